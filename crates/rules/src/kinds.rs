//! Workspace kinds in verdicts (Default, Hub, Project, FeatureStore).
//!
//! - [`KNOWN_ISSUES`]: the shipped built-in definitions known to misjudge a
//!   kind, with the public report of it. A policy-backed result stays
//!   exactly Azure's verdict; a result that is not a pass on a resource of
//!   such a kind carries the issue (`Outcome::known_issue`).
//! - [`hub_of`]: the hub a project takes its network isolation, managed
//!   network, storage, key vault and encryption from.
//! - [`annotation`]: the known issue of a result, and its [`Rollup`]: what
//!   the baseline roll-up counts for a project's result instead of Azure's
//!   verdict (its hub's posture for NS-1 and NS-2; not counted for a known
//!   misjudgement elsewhere); [`hub_result_rollup`]: a project's managed
//!   network and customer-managed key results counted as its hub's.
//!
//! See `docs/decisions/0035-workspace-kinds.md`.

use crate::{Rule, Verdict};
use aml_model::model::{KindOf, Model, Resource, WorkspaceKind};
use aml_model::value::Value;
use serde::Serialize;

/// A shipped built-in definition known to misjudge resources of some kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KnownIssue {
    /// The definition, by the first 8 hex digits of its GUID.
    #[serde(skip)]
    pub definition: &'static str,
    /// The workspace kinds it misjudges.
    #[serde(skip)]
    pub kinds: &'static [WorkspaceKind],
    /// A stable id: the report's `owner/repository#number`.
    pub id: &'static str,
    /// The public report (a GitHub issue).
    pub url: &'static str,
    /// What goes wrong, in one sentence.
    pub summary: &'static str,
}

/// The known misjudgements, by definition. An entry applies to a result
/// that is not a pass on a workspace of one of its kinds: where the shipped
/// definition excludes the kind (ba769a63 from 1.1.0), it gives no result
/// there and the entry only ever applies to an older copy a user assigns.
pub const KNOWN_ISSUES: &[KnownIssue] = &[
    KnownIssue {
        definition: "438c38d2",
        kinds: &[WorkspaceKind::Project],
        id: "Azure/Azure-Landing-Zones#190",
        url: "https://github.com/Azure/Azure-Landing-Zones/issues/190",
        summary: "438c38d2 does not exclude AI Foundry projects, which have no publicNetworkAccess of their own (they take their hub's), so it flags every project, and a Deny assignment of it blocks creating them.",
    },
    KnownIssue {
        definition: "a10ee784",
        kinds: &[WorkspaceKind::Project],
        id: "Azure/Azure-Landing-Zones#190",
        url: "https://github.com/Azure/Azure-Landing-Zones/issues/190",
        summary: "a10ee784 has the condition of 438c38d2 (reported there): it flags every AI Foundry project, which has no publicNetworkAccess of its own (it takes its hub's).",
    },
    KnownIssue {
        definition: "5f0c7d88",
        kinds: &[WorkspaceKind::Project],
        id: "Azure/azure-policy#1428",
        url: "https://github.com/Azure/azure-policy/issues/1428",
        summary: "5f0c7d88 judges AI Foundry projects too, though it should skip them: a project's serverless endpoints cannot be set up with the identity it asks for.",
    },
    KnownIssue {
        definition: "ba769a63",
        kinds: &[WorkspaceKind::Project],
        id: "Azure/azure-policy#1344",
        url: "https://github.com/Azure/azure-policy/issues/1344",
        summary: "versions of ba769a63 before 1.1.0 require a customer-managed key on AI Foundry projects, which cannot set encryption (they take their hub's); 1.1.0, the version shipped, excludes them by kind.",
    },
];

/// The known issue of `definition` (a GUID, or its first 8 hex digits) on
/// workspaces of `kind`.
pub fn known_issue(definition: &str, kind: WorkspaceKind) -> Option<&'static KnownIssue> {
    let prefix = definition.get(..8)?;
    KNOWN_ISSUES
        .iter()
        .find(|k| k.definition.eq_ignore_ascii_case(prefix) && k.kinds.contains(&kind))
}

/// What the baseline roll-up counts for a result instead of its verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RollupResult {
    Pass,
    Fail,
    Unknown,
    /// Not counted: the definition misjudges the resource's kind.
    NotApplicable,
}

impl RollupResult {
    /// `pass`, `fail`, `unknown` or `not_applicable`.
    pub fn as_str(self) -> &'static str {
        match self {
            RollupResult::Pass => "pass",
            RollupResult::Fail => "fail",
            RollupResult::Unknown => "unknown",
            RollupResult::NotApplicable => "not_applicable",
        }
    }
}

/// A project's result as the baseline roll-up judges it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rollup {
    pub result: RollupResult,
    /// Why, in one sentence (names the hub).
    pub message: String,
    /// The hub's id, when the result is judged by the hub.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_id: Option<String>,
}

/// The hub of a project.
#[derive(Clone, Debug)]
pub enum HubOf<'m> {
    /// Deployed by the scanned files.
    Found(&'m Resource),
    /// Named, but not deployed by the scanned files (absent, or only an
    /// `existing` reference): its settings are not known.
    NotInFiles(String),
    /// `properties.hubResourceId` is not fixed by the files (or not set).
    Undecided(String),
}

impl HubOf<'_> {
    /// What decides a verdict that depends on the hub, when it is not in the files.
    pub fn deciding(&self) -> Option<String> {
        match self {
            HubOf::Found(_) => None,
            HubOf::NotInFiles(id) => {
                Some(format!("the hub {id} (not deployed by the scanned files)"))
            }
            HubOf::Undecided(e) => Some(e.clone()),
        }
    }
}

/// The hub a project names in `properties.hubResourceId`: the workspace of
/// that id in the project's deployment, else the only deployed one of that
/// id in the scan (a hub in another file).
pub fn hub_of<'m>(model: &'m Model, project: &Resource) -> HubOf<'m> {
    let id = match hub_id(project) {
        Ok(id) => id,
        Err(undecided) => return undecided,
    };
    let deployed = |r: &&Resource| r.is_workspace() && !r.existing;
    if let Some(r) = model
        .find_in_deployment(project.deployment, &id)
        .filter(deployed)
    {
        return HubOf::Found(r);
    }
    let mut elsewhere = model
        .positions_with_id_in_scan(&id)
        .iter()
        .map(|&i| &model.resources[i])
        .filter(deployed);
    match (elsewhere.next(), elsewhere.next()) {
        (Some(r), None) => HubOf::Found(r),
        _ => HubOf::NotInFiles(id),
    }
}

/// The id of the hub a project names in `properties.hubResourceId` (of an
/// unknown id, its identity), as [`hub_of`] looks it up; what decides it
/// when the files do not.
pub fn hub_id<'m>(project: &Resource) -> Result<String, HubOf<'m>> {
    match project.hub_resource_id() {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(v @ Value::Unknown(u)) => match v.as_id() {
            Some(identity) => Ok(identity.to_string()),
            None => Err(HubOf::Undecided(u.expr.clone())),
        },
        _ => Err(HubOf::Undecided(
            "properties.hubResourceId (not set)".into(),
        )),
    }
}

/// A hub's network posture: private (`publicNetworkAccess` `Disabled`) with
/// a managed network (`isolationMode` other than `Disabled`).
pub fn hub_posture(hub: &Resource) -> (RollupResult, String) {
    let name = &hub.name;
    let mut failed = Vec::new();
    let mut unknown = Vec::new();
    let mut seen = Vec::new();
    let text = |path: &str| hub.get(path).filter(|v| !matches!(v, Value::Null));
    match text("properties.publicNetworkAccess") {
        Some(Value::String(v)) if v.eq_ignore_ascii_case("Disabled") => {
            seen.push("`publicNetworkAccess` is `Disabled`".to_string())
        }
        Some(Value::String(v)) => failed.push(format!("its `publicNetworkAccess` is `{v}`")),
        Some(u @ Value::Unknown(_)) => unknown.push(describe_unknown(u, "publicNetworkAccess")),
        _ => failed.push(
            "its `publicNetworkAccess` is not set (the service default is `Enabled`)".to_string(),
        ),
    }
    match text("properties.managedNetwork.isolationMode") {
        Some(Value::String(v)) if !v.eq_ignore_ascii_case("Disabled") => {
            seen.push(format!("the managed network's `isolationMode` is `{v}`"))
        }
        Some(Value::String(_)) => {
            failed.push("its managed network isolation is `Disabled`".to_string())
        }
        Some(u @ Value::Unknown(_)) => {
            unknown.push(describe_unknown(u, "managedNetwork.isolationMode"))
        }
        _ => failed.push("it has no managed network (`isolationMode` is not set)".to_string()),
    }
    if !failed.is_empty() {
        return (
            RollupResult::Fail,
            format!(
                "hub '{name}' is not private with a managed network: {}",
                failed.join("; ")
            ),
        );
    }
    if !unknown.is_empty() {
        return (
            RollupResult::Unknown,
            format!("hub '{name}': {}", unknown.join("; ")),
        );
    }
    (
        RollupResult::Pass,
        format!(
            "hub '{name}' is private with a managed network ({})",
            seen.join(", ")
        ),
    )
}

fn describe_unknown(v: &Value, what: &str) -> String {
    let expr = v
        .first_unknown()
        .map(|u| u.expr.clone())
        .unwrap_or_else(|| what.to_string());
    format!("its `{what}` depends on `{expr}`, which the files do not fix")
}

/// Controls whose settings a project takes from its hub, judged by the
/// hub's posture in the roll-up.
const BY_HUB: &[&str] = &["NS-1", "NS-2"];

/// The known issue and the roll-up of a result of `rule` with `verdict` on
/// `resource` (nothing for resources that are not workspaces of a known kind).
pub fn annotation(
    model: &Model,
    rule: &Rule,
    resource: &Resource,
    verdict: Verdict,
) -> (Option<&'static KnownIssue>, Option<Rollup>) {
    let Some(KindOf::Known(kind)) = resource.workspace_kind() else {
        return (None, None);
    };
    let issue = if verdict != Verdict::Pass {
        rule.policy().and_then(|d| known_issue(d, kind))
    } else {
        None
    };
    if kind != WorkspaceKind::Project {
        return (issue, None);
    }
    let rollup = if BY_HUB.contains(&rule.control) {
        project_rollup(model, resource)
    } else {
        issue
            .filter(|_| rule.control != crate::controls::ASSIGNMENTS_CONTROL)
            .map(|issue| Rollup {
                result: RollupResult::NotApplicable,
                message: format!(
                    "not counted for project '{}': a known misjudgement of the definition ({})",
                    resource.name, issue.url
                ),
                hub_id: None,
            })
    };
    (issue, rollup)
}

/// A project's NS-1/NS-2 result in the roll-up: its hub's posture when the
/// hub is private with a managed network (pass) or not decided (unknown);
/// none (the result counts as it is) when the hub is not private.
fn project_rollup(model: &Model, project: &Resource) -> Option<Rollup> {
    match hub_of(model, project) {
        HubOf::Found(hub) => {
            let (result, why) = hub_posture(hub);
            (result != RollupResult::Fail).then(|| Rollup {
                result,
                message: format!("project '{}' is judged by its hub: {why}", project.name),
                hub_id: Some(hub.id.clone()),
            })
        }
        other => {
            let deciding = other.deciding().unwrap_or_default();
            let hub_id = match &other {
                HubOf::NotInFiles(id) => Some(id.clone()),
                _ => None,
            };
            Some(Rollup {
                result: RollupResult::Unknown,
                message: format!(
                    "project '{}' takes its network isolation from its hub, which decides: {deciding}",
                    project.name
                ),
                hub_id,
            })
        }
    }
}

/// Definitions outside NS-1/NS-2 whose settings a project takes from its
/// hub (the managed network's isolation mode, the customer-managed key):
/// the roll-up counts a project's result as the hub's result of the same
/// rule and assignment.
const HUB_SETTINGS: &[&str] = &["6ddb1705", "ba769a63", "7f40cee6"];

/// True for a result of `rule` on a project that the roll-up counts as its
/// hub's result of the same rule ([`HUB_SETTINGS`]).
pub fn judged_as_hub_result(rule: &Rule, resource: &Resource) -> bool {
    rule.policy()
        .and_then(|d| d.get(..8))
        .is_some_and(|p| HUB_SETTINGS.iter().any(|h| h.eq_ignore_ascii_case(p)))
        && resource.is_kind(WorkspaceKind::Project)
}

/// The roll-up of a project's result that counts as its hub's result of the
/// same rule: `hub_verdict` gives that result for a hub in the files (`None`:
/// the rule gave none there, and the roll-up says nothing).
pub fn hub_result_rollup(
    model: &Model,
    rule: &Rule,
    project: &Resource,
    hub_verdict: impl Fn(&Resource) -> Option<Verdict>,
) -> Option<Rollup> {
    match hub_of(model, project) {
        HubOf::Found(hub) => hub_verdict(hub).map(|v| Rollup {
            result: match v {
                Verdict::Pass => RollupResult::Pass,
                Verdict::Fail => RollupResult::Fail,
                Verdict::Unknown => RollupResult::Unknown,
            },
            message: format!(
                "project '{}' takes this setting from its hub: hub '{}' is {} for {}",
                project.name,
                hub.name,
                v.as_str(),
                rule.id
            ),
            hub_id: Some(hub.id.clone()),
        }),
        other => Some(Rollup {
            result: RollupResult::Unknown,
            message: format!(
                "project '{}' takes this setting from its hub, which decides: {}",
                project.name,
                other.deciding().unwrap_or_default()
            ),
            hub_id: match &other {
                HubOf::NotInFiles(id) => Some(id.clone()),
                _ => None,
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_issues_by_prefix_and_kind() {
        let k = known_issue(
            "438c38d2-3772-465a-a9cc-7a6666a275ce",
            WorkspaceKind::Project,
        );
        assert_eq!(
            k.map(|k| k.url),
            Some("https://github.com/Azure/Azure-Landing-Zones/issues/190")
        );
        assert!(known_issue("438c38d2", WorkspaceKind::Hub).is_none());
        assert!(known_issue("45e05259", WorkspaceKind::Project).is_none());
        assert!(known_issue("", WorkspaceKind::Project).is_none());
        for k in KNOWN_ISSUES {
            assert_eq!(k.definition.len(), 8);
            assert!(k.url.starts_with("https://github.com/"));
            let (repo, number) = k.id.split_once('#').unwrap();
            assert_eq!(k.url, format!("https://github.com/{repo}/issues/{number}"));
            assert!(k.summary.ends_with('.') && !k.summary.contains('\n'));
            assert!(
                crate::find(k.definition).is_some(),
                "{} is a shipped rule",
                k.definition
            );
        }
    }
}
