//! AMLB-IM1-001: online and batch endpoints authenticate callers with Microsoft Entra ID.

use super::{CheckContext, Finding, Text};
use crate::rule::{Autofix, Rule, RuleKind, Safety, Setting, Severity};

pub static RULE: Rule = Rule {
    id: "AMLB-IM1-001",
    title: "Azure Machine Learning online and batch endpoints do not use key authentication",
    kind: RuleKind::Native { check },
    control: "IM-1",
    feature: Some("Azure AD Authentication Required for Data Plane Access"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "Set `properties.authMode` to `AADToken` (CLI YAML: `auth_mode: aad_token`); `AMLToken` is accepted.",
    note: Some("`Key` fails: endpoint keys never expire and bypass Microsoft Entra ID. `AMLToken` passes: the token is issued by the workspace to a caller who signed in with Entra ID and holds the endpoint's token permission, and it expires; `AADToken` is the strongest choice. The CLI's default when `auth_mode` is omitted is `key`."),
    parameters: None,
    autofix: Autofix::Set {
        safety: Safety::Safe,
        settings: &[
        Setting { path: "properties.authMode", value: r#""AADToken""#, accept: &[r#""AMLToken""#], compute_types: &[], terraform: None },
        ],
    },
};

const PATH: &str = "properties.authMode";

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    let r = cx.resource;
    if !r.is_type("Microsoft.MachineLearningServices/workspaces/onlineEndpoints")
        && !r.is_type("Microsoft.MachineLearningServices/workspaces/batchEndpoints")
    {
        return None;
    }
    match cx.text(PATH) {
        Text::Known(m) if m.eq_ignore_ascii_case("AADToken") => {
            Finding::pass("`authMode` is `AADToken` (Microsoft Entra ID)", Some(PATH))
        }
        Text::Known(m) if m.eq_ignore_ascii_case("AMLToken") => Finding::pass(
            "`authMode` is `AMLToken`: short-lived tokens issued to callers authenticated with Microsoft Entra ID",
            Some(PATH),
        ),
        Text::Known(m) => Finding::fail(
            format!("`authMode` is `{m}`: callers authenticate with a static key instead of Microsoft Entra ID"),
            Some(PATH),
        ),
        Text::Unknown(u) => Finding::unknown(u, PATH),
        Text::Absent | Text::Other(_) => Finding::fail(
            "`authMode` is not set (the property is required; the CLI's default is `key`)",
            Some(PATH),
        ),
    }
}
