//! AMLB-NS1-004: the SSH port of computes is not open to the internet.

use super::{is_compute_of, CheckContext, Finding, Text};
use crate::rule::{Autofix, Rule, RuleKind, Safety, Setting, Severity, TerraformSetting};
use aml_model::value::Value;

pub static RULE: Rule = Rule {
    id: "AMLB-NS1-004",
    title: "Azure Machine Learning computes do not open SSH to the internet",
    kind: RuleKind::Native { check },
    control: "NS-1",
    feature: Some("Network Security Group Support"),
    severity: Severity::High,
    enabled_by_default: true,
    fix: "Set `properties.properties.remoteLoginPortPublicAccess` to `Disabled` on clusters and `properties.properties.sshSettings.sshPublicAccess` to `Disabled` on compute instances (Terraform: `ssh_public_access_enabled = false`; no `ssh` block on instances).",
    note: Some("On clusters the default `NotSpecified` leaves SSH open when the cluster has no subnet; a cluster without admin credentials has no SSH login and passes. On instances the default is `Disabled`."),
    parameters: None,
    autofix: Autofix::Set {
        safety: Safety::Safe,
        settings: &[
        Setting { path: "properties.properties.sshSettings.sshPublicAccess", value: r#""Disabled""#, accept: &[], compute_types: &["ComputeInstance"], terraform: None },
        Setting { path: "properties.properties.remoteLoginPortPublicAccess", value: r#""Disabled""#, accept: &[], compute_types: &["AmlCompute"], terraform: Some(TerraformSetting { blocks: &[], attribute: "ssh_public_access_enabled", value: r#"false"# }) },
        ],
    },
};

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    if is_compute_of(cx.resource, &["AmlCompute"]) {
        return cluster(cx);
    }
    if is_compute_of(cx.resource, &["ComputeInstance"]) {
        const PATH: &str = "properties.properties.sshSettings.sshPublicAccess";
        return match cx.text(PATH) {
            Text::Unknown(u) => Finding::unknown(u, PATH),
            Text::Known(v) if v.eq_ignore_ascii_case("Enabled") => Finding::fail(
                "`sshPublicAccess` is `Enabled`: the instance's SSH port is reachable from the internet",
                Some(PATH),
            ),
            Text::Absent => Finding::pass("`sshPublicAccess` is not set (the service default is `Disabled`)", Some(PATH)),
            _ => Finding::pass("`sshPublicAccess` is not `Enabled`", Some(PATH)),
        };
    }
    None
}

fn cluster(cx: &CheckContext<'_>) -> Option<Finding> {
    const PATH: &str = "properties.properties.remoteLoginPortPublicAccess";
    const CREDENTIALS: &str = "properties.properties.userAccountCredentials";
    let mode = match cx.text(PATH) {
        Text::Unknown(u) => return Finding::unknown(u, PATH),
        Text::Known(v) => Some(v),
        _ => None,
    };
    if mode.is_some_and(|m| m.eq_ignore_ascii_case("Disabled")) {
        return Finding::pass("`remoteLoginPortPublicAccess` is `Disabled`", Some(PATH));
    }
    if cx.get(CREDENTIALS).is_none() {
        return Finding::pass(
            "the cluster has no admin credentials (`userAccountCredentials`), so nobody can log in over SSH",
            Some(PATH),
        );
    }
    match mode {
        Some(m) if m.eq_ignore_ascii_case("Enabled") => Finding::fail(
            "`remoteLoginPortPublicAccess` is `Enabled` and the cluster has admin credentials: SSH is open to the internet",
            Some(PATH),
        ),
        _ => {
            let shown = if mode.is_some() { "is `NotSpecified`" } else { "is not set (the service default is `NotSpecified`)" };
            match cx.text("properties.properties.subnet.id") {
                Text::Known(_) => Finding::pass(
                    format!("`remoteLoginPortPublicAccess` {shown}, which keeps SSH closed for a cluster in a subnet"),
                    Some(PATH),
                ),
                Text::Unknown(Value::Unknown(u)) if u.shape.non_empty() => Finding::pass(
                    format!(
                        "`remoteLoginPortPublicAccess` {shown}, which keeps SSH closed for a cluster in a subnet (`subnet.id` is `{}`, set at deployment)",
                        u.placeholder()
                    ),
                    Some(PATH),
                ),
                Text::Unknown(u) => Finding::unknown(u, "properties.properties.subnet.id"),
                _ => Finding::fail(
                    format!("`remoteLoginPortPublicAccess` {shown} and the cluster has admin credentials and no subnet: SSH is open to the internet"),
                    Some(PATH),
                ),
            }
        }
    }
}
