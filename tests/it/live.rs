//! Live state: exports of deployed resources (Resource Graph, ARM REST,
//! resource lists) scanned like any input, and rules on facts only live
//! state decides.

use crate::common::{project, report, verdict};
use aml_baseline::render::{self, OutputFormat, RenderOptions};
use std::path::PathBuf;

fn live_fixtures() -> PathBuf {
    project("tests/fixtures/live")
}

#[test]
fn psrule_resource_list_gives_the_verdicts_its_author_meant() {
    let path = project("../shared/corpus/psrule/tests/Resources.ML.json");
    if !path.is_file() {
        eprintln!("../shared/corpus/psrule is not here; skipping");
        return;
    }
    let r = report(&[path], None);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    // mlcomp-a is the compliant compute (local auth off, idle shutdown, subnet), mlcomp-b the bare one.
    assert_eq!(verdict(&r, "e96a9a5f", "test-ws/mlcomp-a"), "pass");
    assert_eq!(verdict(&r, "e96a9a5f", "test-ws/mlcomp-b"), "fail");
    assert_eq!(verdict(&r, "679ddf89", "test-ws/mlcomp-a"), "pass");
    assert_eq!(verdict(&r, "679ddf89", "test-ws/mlcomp-b"), "fail");
    assert_eq!(verdict(&r, "7804b5c7", "test-ws/mlcomp-a"), "pass");
    assert_eq!(verdict(&r, "7804b5c7", "test-ws/mlcomp-b"), "fail");
    // ml-wks-a: public access off, user-assigned identity; ml-wks-b public; ml-wks-c open behind a VNet.
    assert_eq!(verdict(&r, "438c38d2", "ml-wks-a"), "pass");
    assert_eq!(verdict(&r, "438c38d2", "ml-wks-b"), "fail");
    assert_eq!(verdict(&r, "5f0c7d88", "ml-wks-a"), "pass");
    assert_eq!(verdict(&r, "5f0c7d88", "ml-wks-b"), "fail");
    assert_eq!(verdict(&r, "AMLB-NS2-001", "ml-wks-c"), "fail");
    // The list gives no osImageMetadata: unknown, never a pass.
    assert_eq!(verdict(&r, "f110a506", "test-ws/mlcomp-a"), "unknown");
    assert!(r.results.iter().all(|x| x.source == "live"));
    // Computes name their workspace through the id the list gives.
    let a = r
        .results
        .iter()
        .find(|x| x.resource_name == "test-ws/mlcomp-a")
        .unwrap();
    assert!(a
        .resource_id
        .ends_with("/workspaces/test-ws/computes/mlcomp-a"));
}

#[test]
fn exports_are_read_by_content_and_linked_by_id() {
    let r = report(&[live_fixtures()], None);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let formats: Vec<_> = r
        .files
        .iter()
        .map(|f| (f.path.rsplit('/').next().unwrap(), f.format, f.resources))
        .collect();
    assert_eq!(
        formats,
        [
            ("computes.json", "live", 2),
            ("diagnostic-settings.json", "live", 1),
            ("resource-graph.json", "live", 3),
        ]
    );
    // An instance on an outdated image fails; one on the latest passes.
    assert_eq!(verdict(&r, "f110a506", "mlw-live/ci-old"), "fail");
    assert_eq!(verdict(&r, "f110a506", "mlw-live/ci-new"), "pass");
    // The connection the service reports: approved passes, pending fails.
    assert_eq!(verdict(&r, "45e05259", "mlw-live"), "pass");
    assert_eq!(verdict(&r, "45e05259", "mlw-pending"), "fail");
    // The diagnostic setting listed in another file relates by id.
    assert_eq!(verdict(&r, "afe0c3be", "mlw-live"), "pass");
    assert_eq!(verdict(&r, "afe0c3be", "mlw-pending"), "fail");
    // Positions are the export's lines; results name the live id.
    let old = r
        .results
        .iter()
        .find(|x| x.rule == "AMLB-POL-f110a506" && x.resource_name == "mlw-live/ci-old")
        .unwrap();
    assert!(old.path.ends_with("tests/fixtures/live/computes.json"));
    let text = std::fs::read_to_string(live_fixtures().join("computes.json")).unwrap();
    let line = text.lines().nth(old.line as usize - 1).unwrap();
    assert!(line.contains("\"isLatestOsImageVersion\": false"), "{line}");
    assert_eq!(old.source, "live");
    assert_eq!(
        old.resource_id,
        "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-live/computes/ci-old"
    );
    // Lower-case Resource Graph types get ARM's casing.
    assert!(r.resources.iter().any(|x| x.resource_type
        == "Microsoft.MachineLearningServices/workspaces"
        && x.source == "live"));
}

#[test]
fn code_never_passes_a_live_only_fact() {
    let r = report(&[project("examples/hardened-workspace")], None);
    let ci: Vec<_> = r
        .results
        .iter()
        .filter(|x| x.rule == "AMLB-POL-f110a506" && x.resource_name.ends_with("notebook-ci"))
        .collect();
    assert_eq!(ci.len(), 1);
    assert_eq!(ci[0].result.as_str(), "unknown");
    assert_eq!(ci[0].source, "code");
    assert!(
        ci[0]
            .message
            .contains("reported by Azure on the deployed compute instance"),
        "{}",
        ci[0].message
    );
}

#[test]
fn sarif_and_text_name_the_live_resource() {
    let options = aml_baseline::scan::ScanOptions {
        paths: vec![live_fixtures()],
        ..Default::default()
    };
    let settings = aml_baseline::pipeline::Settings {
        no_config: true,
        ..Default::default()
    };
    let run = aml_baseline::pipeline::run(&options, &settings);
    let sarif: serde_json::Value = serde_json::from_str(&render::render_run(
        OutputFormat::Sarif,
        &run,
        &RenderOptions::default(),
    ))
    .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let old = results
        .iter()
        .find(|x| {
            x["ruleId"] == "AMLB-POL-f110a506"
                && x["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                    .as_str()
                    .unwrap()
                    .ends_with("/computes/ci-old")
        })
        .expect("the outdated instance in SARIF");
    assert_eq!(old["properties"]["source"], "live");
    let text = render::render_run(OutputFormat::Text, &run, &RenderOptions::default());
    assert!(text.contains("'mlw-live/ci-old' (live: /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-live/computes/ci-old)"));
}

#[test]
fn a_page_of_more_is_said_incomplete_and_other_json_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("page.json"),
        r#"{"totalRecords": 2000, "count": 1, "resultTruncated": "false", "$skipToken": "ew0KIC",
            "data": [{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w",
                      "type": "microsoft.machinelearningservices/workspaces", "name": "w", "properties": {}}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("other.json"),
        r#"{"type": "module", "homepage": "/subscriptions/x"}"#,
    )
    .unwrap();
    let r = report(&[dir.path().to_path_buf()], None);
    let codes: Vec<_> = r.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["live-export-incomplete"]);
    let read: Vec<_> = r.files.iter().filter(|f| f.role != "skipped").collect();
    assert_eq!(read.len(), 1);
    // The other JSON is accounted for: skipped, with the reason.
    let other = r
        .files
        .iter()
        .find(|f| f.path.ends_with("other.json"))
        .unwrap();
    assert_eq!(other.role, "skipped");
    assert!(
        other.reason.as_deref().unwrap().contains("no export shape"),
        "{other:?}"
    );
    assert_eq!(verdict(&r, "438c38d2", "w"), "fail");
}

#[test]
fn az_ml_show_and_list_output_map_through_the_cli_mapping() {
    let r = report(&[project("tests/fixtures/live-az-ml")], None);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert!(r.files.iter().all(|f| f.format == "live"));
    assert_eq!(verdict(&r, "438c38d2", "mlw-cli"), "fail");
    assert_eq!(verdict(&r, "6ddb1705", "mlw-cli"), "fail");
    assert_eq!(verdict(&r, "AMLB-NS1-003", "mlw-cli/cpu-cluster"), "fail");
    assert_eq!(verdict(&r, "AMLB-PV6-001", "mlw-cli/cpu-cluster"), "fail");
    let pna = r
        .results
        .iter()
        .find(|x| x.rule == "AMLB-POL-438c38d2")
        .unwrap();
    assert_eq!(pna.source, "live");
    assert!(pna.path.ends_with("workspace-show.json"));
    let text =
        std::fs::read_to_string(project("tests/fixtures/live-az-ml/workspace-show.json")).unwrap();
    assert!(text
        .lines()
        .nth(pna.line as usize - 1)
        .unwrap()
        .contains("\"public_network_access\": \"Enabled\""));
    assert_eq!(
        pna.resource_id,
        "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-cli/providers/Microsoft.MachineLearningServices/workspaces/mlw-cli"
    );
}
