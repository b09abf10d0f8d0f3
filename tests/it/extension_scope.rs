//! Extension resources whose `scope` is written in the relative form
//! `Microsoft.X/type/name` (and the `[format('Microsoft.X/type/{0}', ...)]`
//! Bicep compiles `scope: ws` into): they attach to the resource they name,
//! so a diagnostic setting written that way counts for afe0c3be.

use crate::common;

use common::{errors, project, report, verdict};

fn scan(file: &str) -> aml_baseline::report::Report {
    let r = report(
        &[project(&format!("tests/fixtures/extension-scope/{file}"))],
        None,
    );
    assert_eq!(errors(&r), Vec::<String>::new(), "{file}");
    r
}

#[test]
fn relative_scope_attaches_a_diagnostic_setting_to_its_workspace() {
    let r = scan("relative-pass.json");
    assert_eq!(verdict(&r, "afe0c3be", "mlw-logs"), "pass");
    let ws = r
        .resources
        .iter()
        .find(|x| x.name == "mlw-logs")
        .expect("the workspace");
    let diag = r
        .resources
        .iter()
        .find(|x| x.name == "to-law")
        .expect("the diagnostic setting");
    assert_eq!(
        diag.id,
        format!(
            "{}/providers/Microsoft.Insights/diagnosticSettings/to-law",
            ws.id
        )
    );
    // The pass names its evidence: the setting and where it is declared.
    let pass = r
        .results
        .iter()
        .find(|x| x.rule.ends_with("afe0c3be"))
        .unwrap();
    let evidence = pass.evidence.as_ref().expect("the pass names its evidence");
    assert_eq!(evidence.resource_name, "to-law");
    assert_eq!(evidence.resource_id, diag.id);
    assert!(evidence.path.ends_with("relative-pass.json") && evidence.line == 13);
    assert!(
        pass.message.contains("'to-law' (")
            && pass.message.contains("relative-pass.json:13) meets"),
        "{}",
        pass.message
    );
}

#[test]
fn format_scope_counts_when_logs_are_sent_and_fails_when_they_are_not() {
    assert_eq!(
        verdict(&scan("format-pass.json"), "afe0c3be", "mlw-format"),
        "pass"
    );
    // Metrics only on this workspace; the setting sending logs is scoped to
    // another workspace, so it does not count.
    assert_eq!(
        verdict(&scan("format-fail.json"), "afe0c3be", "mlw-metrics"),
        "fail"
    );
    let r = scan("format-unknown.json");
    assert_eq!(verdict(&r, "afe0c3be", "mlw-unknown"), "unknown");
    let result = r
        .results
        .iter()
        .find(|x| x.resource_name == "mlw-unknown" && x.rule.ends_with("afe0c3be"))
        .unwrap();
    assert!(
        result.deciding.iter().any(|d| d.contains("logsEnabled")),
        "{:?}",
        result.deciding
    );
}

#[test]
fn bicep_scope_on_a_symbol_counts() {
    assert_eq!(
        verdict(&scan("pass.bicep"), "afe0c3be", "mlw-bicep"),
        "pass"
    );
    assert_eq!(
        verdict(&scan("fail.bicep"), "afe0c3be", "mlw-bicep-fail"),
        "fail"
    );
    assert_eq!(
        verdict(&scan("unknown.bicep"), "afe0c3be", "mlw-bicep-unknown"),
        "unknown"
    );
}
