//! Issue 22, points 2 and 3, end to end: `scan --assignments FILE` without
//! `--policies` resolves the shipped landing-zone and benchmark initiatives
//! and definitions by their ids (at any management group), reports the
//! parameter traps, and evaluates the registry-model (data-plane)
//! definitions on online and batch deployments in YAML, Bicep, ARM and live exports
//! (tests/fixtures/landing-zone, tests/fixtures/registry-models).

use crate::common::project;
use aml_baseline::pipeline::{self, Settings};
use aml_baseline::policies::PolicyOptions;
use aml_baseline::report::{Report, ResultEntry};
use aml_baseline::scan::ScanOptions;
use std::path::PathBuf;
use std::process::Command;

fn fixture(rel: &str) -> PathBuf {
    project(&format!("tests/fixtures/{rel}"))
}

/// Scans `infra` with the assignments file `assignments`, no `--policies`.
fn scan(infra: &str, assignments: &str) -> Report {
    let options = ScanOptions {
        paths: vec![fixture(infra)],
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-01-01").unwrap()),
        policy: PolicyOptions {
            policies: None,
            assignments: vec![fixture(assignments)],
            aliases: None,
            deployment_scope: None,
        },
        ..Default::default()
    };
    pipeline::run(&options, &settings).report
}

/// The results of assignment `name`.
fn of<'a>(report: &'a Report, name: &str) -> Vec<&'a ResultEntry> {
    report
        .results
        .iter()
        .filter(|r| {
            r.assignment
                .as_deref()
                .is_some_and(|a| a.ends_with(&format!("/{name}")))
        })
        .collect()
}

/// `(result, effect, denied)` of `rule` (a definition name or a GUID's
/// first 8 digits) on `resource` in `list`.
fn verdict(list: &[&ResultEntry], rule: &str, resource: &str) -> (String, Option<String>, bool) {
    let r = find(list, rule, resource);
    (
        r.result.as_str().to_string(),
        r.effect.as_deref().map(str::to_string),
        r.denied,
    )
}

fn find<'a>(list: &[&'a ResultEntry], rule: &str, resource: &str) -> &'a ResultEntry {
    list.iter()
        .find(|r| r.rule.starts_with(rule) && r.resource_name.ends_with(resource))
        .copied()
        .unwrap_or_else(|| panic!("no {rule} result on {resource}: {list:#?}"))
}

fn v(result: &str, effect: &str, denied: bool) -> (String, Option<String>, bool) {
    (result.to_string(), Some(effect.to_string()), denied)
}

fn diagnostics<'a>(report: &'a Report, code: &str) -> Vec<&'a str> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .map(|d| d.message.as_str())
        .collect()
}

#[test]
fn the_landing_zone_initiative_and_definitions_resolve_by_id_at_a_management_group() {
    let report = scan("landing-zone/infra", "landing-zone/assignments-alz.json");
    let gr = of(&report, "Enforce-GR-MachineLearning");
    // Members get the initiative's defaults: Deny for idle shutdown, local
    // auth, user-assigned identity and legacy mode; Audit for the network.
    assert_eq!(
        verdict(&gr, "679ddf89", "mlw-managed/notebook"),
        v("fail", "deny", true)
    );
    assert_eq!(
        verdict(&gr, "e96a9a5f", "mlw-managed/notebook"),
        v("pass", "deny", false)
    );
    assert_eq!(
        verdict(&gr, "7804b5c7", "mlw-managed/gpu-cluster"),
        v("fail", "audit", false)
    );
    assert_eq!(
        verdict(&gr, "5f0c7d88", "mlw-managed"),
        v("fail", "deny", true)
    );
    // The legacy-mode trap: e413671a asks for v1LegacyMode true.
    assert_eq!(
        verdict(&gr, "e413671a", "mlw-managed"),
        v("fail", "deny", true)
    );
    assert_eq!(
        verdict(&gr, "e413671a", "mlw-legacy"),
        v("pass", "deny", false)
    );
    let legacy = find(&gr, "e413671a", "mlw-managed");
    assert!(
        legacy
            .message
            .contains("(initiative member 'Deny-ML-Legacy-Mode')")
            && legacy.message.contains("parameter trap: effect = \"Deny\""),
        "{}",
        legacy.message
    );
    // The landing zones' custom definitions, assigned by their management
    // group ids (a management group other than the assignment's).
    let aks = of(&report, "Deny-ML-Aks");
    assert_eq!(
        verdict(&aks, "Deny-MachineLearning-Aks", "mlw-legacy/aks-new"),
        v("fail", "deny", true)
    );
    assert_eq!(
        verdict(&aks, "Deny-MachineLearning-Aks", "mlw-managed/gpu-cluster"),
        v("pass", "deny", false)
    );
    let size = of(&report, "Deny-ML-VmSize");
    assert_eq!(
        verdict(
            &size,
            "Deny-MachineLearning-Compute-VmSize",
            "mlw-managed/gpu-cluster"
        ),
        v("fail", "deny", true)
    );
    assert_eq!(
        verdict(
            &size,
            "Deny-MachineLearning-Compute-VmSize",
            "mlw-managed/cpu-cluster"
        ),
        v("pass", "deny", false)
    );
    // The assignment's maxNodeCount (8) over the definition's default (10).
    let scale = of(&report, "Deny-ML-Scale");
    assert_eq!(
        verdict(
            &scale,
            "Deny-MachineLearning-ComputeCluster-Scale",
            "mlw-managed/cpu-cluster"
        ),
        v("fail", "deny", true)
    );
    assert_eq!(
        verdict(
            &scale,
            "Deny-MachineLearning-ComputeCluster-Scale",
            "mlw-managed/gpu-cluster"
        ),
        v("pass", "deny", false)
    );
    // Nothing unresolved; the data-plane members are named, not dropped.
    assert!(diagnostics(&report, "policy-assignment")
        .iter()
        .all(|m| !m.contains("neither")));
    let data_plane = diagnostics(&report, "policy-assignment");
    assert_eq!(data_plane.len(), 1, "{data_plane:?}");
    assert!(
        data_plane[0].contains("3 definitions govern resource-provider (data-plane) operations")
            && data_plane[0].contains("'Deny-ML-Allowed-Module' (53c70b02"),
        "{}",
        data_plane[0]
    );
    // Two traps: legacy mode, and the registry deployment member that no
    // assignment of the initiative can give a registry.
    let traps = diagnostics(&report, "policy-parameter-trap");
    assert_eq!(traps.len(), 2, "{traps:?}");
    assert!(traps.iter().any(|m| m.contains("member 'Deny-ML-Legacy-Mode' (definition e413671a): effect = \"Deny\" (the default of the initiative's parameter 'mlLegacyMode'")));
    assert!(traps.iter().any(|m| m.contains("member 'Deny-ML-Allowed-Registry-Deploy' (definition 19539b54): allowedRegistryName = \"\" (the definition's default: the initiative passes no value for it")));
    assert!(report.denials().len() >= 4);
}

#[test]
fn mcsb_v2_flags_workspaces_that_use_a_managed_network_and_says_why() {
    let report = scan("landing-zone/infra", "landing-zone/assignments-mcsb.json");
    let v2 = of(&report, "mcsb-v2");
    // 6ddb1705 without parameters: isolationMode Disabled is what passes.
    let managed = find(&v2, "6ddb1705", "mlw-managed");
    assert_eq!(
        (managed.result.as_str(), managed.effect.as_deref()),
        ("fail", Some("audit"))
    );
    assert!(
        managed
            .message
            .contains("`properties.managedNetwork.isolationMode` is 'AllowOnlyApprovedOutbound'")
            && managed
                .message
                .contains("parameter trap: isolationMode = \"Disabled\""),
        "{}",
        managed.message
    );
    let traps = diagnostics(&report, "policy-parameter-trap");
    let trap = traps
        .iter()
        .find(|m| m.contains("6ddb1705"))
        .unwrap_or_else(|| panic!("{traps:?}"));
    assert!(
        trap.starts_with("assignment 'mcsb-v2', initiative '[Preview]: Microsoft cloud security benchmark v2' (e3ec7e09) member 'MLAIStudioAllowOnlyApprovedOutboundManagedVnetMode' (definition 6ddb1705): isolationMode = \"Disabled\" (the definition's default"),
        "{trap}"
    );
    assert!(trap.contains("every workspace that does use a managed network"));
    // 12e5dd16 without parameters: nothing approved, every registry model flagged.
    assert!(traps.iter().any(|m| m.contains("member 'MLDeploymentsOnlyApprovedRegistryModels' (definition 12e5dd16): allowedPublishers = [] (the definition's default") && m.contains("every deployment of a registry model is non-compliant")), "{traps:?}");
    assert_eq!(traps.len(), 4, "{traps:?}");
    // The CMK member is Disabled by both benchmarks' defaults: said, no result.
    assert!(
        traps
            .iter()
            .filter(|m| m.contains("(definition ba769a63): effect = \"Disabled\""))
            .count()
            == 2,
        "{traps:?}"
    );
    assert!(v2.iter().all(|r| !r.rule.starts_with("ba769a63")));
    // Members shipped are evaluated; the others are counted and named.
    assert_eq!(
        verdict(&v2, "438c38d2", "mlw-managed"),
        v("pass", "audit", false)
    );
    let members = diagnostics(&report, "policy-assignment");
    assert!(members.iter().any(|m| m.starts_with("assignment 'mcsb-v2': 402 of the 414 members of initiative '[Preview]: Microsoft cloud security benchmark v2' (e3ec7e09) (shipped with aml-baseline) name definitions for other services")), "{members:?}");
    assert!(members.iter().any(|m| m.starts_with("assignment 'SecurityCenterBuiltIn': 216 of the 223 members of initiative 'Microsoft cloud security benchmark' (1f3afdf9)")), "{members:?}");
    // MCSB v1 (DoNotEnforce): its private link member audits, nothing denies.
    let v1 = of(&report, "SecurityCenterBuiltIn");
    assert_eq!(
        verdict(&v1, "45e05259", "mlw-legacy"),
        v("fail", "audit", false)
    );
    assert!(report.denials().is_empty());
}

#[test]
fn registry_model_deployments_are_judged_in_yaml_bicep_arm_and_live_exports() {
    let cases = [
        ("registry-models/yaml", "chat/meta", "chat/contoso"),
        ("registry-models/bicep", "chat/meta", "chat/contoso"),
        ("registry-models/arm", "score/mistral", "chat/contoso"),
        ("registry-models/live", "chat/meta", "chat/contoso"),
    ];
    for (infra, other_registry, allowed_registry) in cases {
        let report = scan(infra, "registry-models/assignments.json");
        let deny = of(&report, "ml-registry-deny");
        let denied = find(&deny, "19539b54", other_registry);
        assert_eq!(
            (denied.result.as_str(), denied.denied),
            ("fail", true),
            "{infra}"
        );
        assert!(
            denied
                .message
                .contains("Azure Machine Learning would refuse to create the deployment (resource-provider mode Microsoft.MachineLearningServices.v2.Data"),
            "{infra}: {}",
            denied.message
        );
        assert_eq!(
            verdict(&deny, "19539b54", allowed_registry),
            v("pass", "deny", false),
            "{infra}"
        );
        // The audit approves contoso-models by asset id and Microsoft by
        // publisher: a model of another registry depends on its publisher.
        let audit = of(&report, "ml-registry-audit");
        let open = find(&audit, "12e5dd16", other_registry);
        assert_eq!(open.result.as_str(), "unknown", "{infra}");
        assert!(
            open.message
                .contains("the publisher of model azureml://registries/"),
            "{infra}: {}",
            open.message
        );
        assert_eq!(
            verdict(&audit, "12e5dd16", allowed_registry),
            v("pass", "audit", false),
            "{infra}"
        );
        let denials = report.denials();
        assert_eq!(denials.len(), 1, "{infra}");
        assert_eq!(denials[0].1.len(), 1, "{infra}");
    }
    // A workspace model (YAML batch deployment, ARM batch asset reference) is
    // not a registry model: compliant with both.
    let report = scan("registry-models/yaml", "registry-models/assignments.json");
    assert_eq!(
        verdict(
            &of(&report, "ml-registry-deny"),
            "19539b54",
            "score/nightly"
        ),
        v("pass", "deny", false)
    );
    let report = scan("registry-models/arm", "registry-models/assignments.json");
    assert_eq!(
        verdict(&of(&report, "ml-registry-audit"), "12e5dd16", "score/churn"),
        v("pass", "audit", false)
    );
    // A model the files leave open (a Bicep parameter) is unknown, and may be denied.
    let report = scan("registry-models/bicep", "registry-models/assignments.json");
    let chosen = find(&of(&report, "ml-registry-deny"), "19539b54", "chat/chosen");
    assert_eq!(chosen.result.as_str(), "unknown");
    assert!(chosen.may_be_denied);
}

#[test]
fn mcsb_v2_audits_every_registry_model_and_accounts_for_its_disabled_member() {
    let report = scan(
        "registry-models/bicep",
        "landing-zone/assignments-mcsb.json",
    );
    let v2 = of(&report, "mcsb-v2");
    // 12e5dd16 without parameters approves nothing: every registry model fails.
    for name in ["chat/meta", "chat/contoso"] {
        let r = find(&v2, "12e5dd16", name);
        assert_eq!(r.result.as_str(), "fail", "{name}");
        assert!(
            r.message
                .contains("parameter trap: allowedPublishers = [], allowedAssetIds = []"),
            "{}",
            r.message
        );
    }
    // 19539b54 is a member with the literal effect Disabled: no result, and
    // the report says why on each deployment.
    assert!(v2.iter().all(|r| !r.rule.starts_with("19539b54")));
    let meta = report
        .resources
        .iter()
        .find(|r| r.name.ends_with("chat/meta"))
        .unwrap();
    let why = meta
        .not_applicable
        .iter()
        .find(|n| n.rule.starts_with("19539b54"))
        .unwrap_or_else(|| panic!("{:?}", meta.not_applicable));
    assert_eq!(why.reason, "its effect is `Disabled`");
}

#[test]
fn the_command_line_predicts_the_denial_and_shows_the_trap() {
    let out = Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
        .args(["scan", "--no-config", "--assignments"])
        .arg(fixture("landing-zone/assignments-alz.json"))
        .arg(fixture("registry-models/arm"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("would be denied by:"), "{text}");
    assert!(
        text.contains("parameter trap: allowedRegistryName = \"\": no registry is allowed"),
        "{text}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let all = format!("{text}{err}");
    assert!(all.contains("policy-parameter-trap"), "{all}");
}
