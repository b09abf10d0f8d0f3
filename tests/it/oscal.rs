//! `--format oscal` and `baseline --format oscal-catalog`: valid against
//! NIST's OSCAL 1.1.3 JSON schemas (`tests/fixtures/oscal/`), findings per
//! control targeting the catalog's statements, observations per result,
//! risks per failure, and stable UUIDs.

use crate::common::run;
use aml_baseline::evaluate::Verdict;
use aml_baseline::pipeline::Run;
use aml_baseline::render::oscal;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

fn validator(schema: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(schema).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("NIST's schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, document: &Value) {
    crate::common::assert_schema_valid(validator, document, "OSCAL schema errors");
}

fn results_validator() -> jsonschema::Validator {
    validator(include_str!(
        "../fixtures/oscal/oscal_assessment-results_schema.json"
    ))
}

/// The assessment results of `run`, checked against the schema.
fn assessment(run: &Run) -> Value {
    let text = oscal::render(&run.report, &run.scan);
    let document: Value = serde_json::from_str(&text).expect("OSCAL output is JSON");
    assert_valid(&results_validator(), &document);
    document
}

fn collect_uuids(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(o) => {
            if let Some(Value::String(u)) = o.get("uuid") {
                out.push(u.clone());
            }
            o.values().for_each(|v| collect_uuids(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_uuids(v, out)),
        _ => {}
    }
}

#[test]
fn oscal_of_the_examples_is_valid_and_complete() {
    let run = run(&["examples"]);
    let document = assessment(&run);
    let ar = &document["assessment-results"];
    assert_eq!(ar["metadata"]["oscal-version"], "1.1.3");
    assert_eq!(ar["metadata"]["last-modified"], "2026-11-28T00:00:00Z");
    let results = ar["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "one result per scan");
    let result = &results[0];

    // An observation per (rule, resource) result, each about one inventory item.
    let observations = result["observations"].as_array().unwrap();
    assert_eq!(observations.len(), run.report.results.len());
    let items: HashSet<&str> = result["local-definitions"]["inventory-items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["uuid"].as_str().unwrap())
        .collect();
    for o in observations {
        assert_eq!(o["methods"], serde_json::json!(["TEST"]), "code is tested");
        let subject = &o["subjects"][0];
        assert_eq!(subject["type"], "inventory-item");
        assert!(items.contains(subject["subject-uuid"].as_str().unwrap()));
        let location = subject["props"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "location")
            .unwrap()["value"]
            .as_str()
            .unwrap();
        assert!(location.starts_with("examples/"), "{location}");
    }
    // A risk per failure, with the rule's fix as the recommended remediation.
    let failures: Vec<_> = run
        .report
        .results
        .iter()
        .filter(|r| r.result == Verdict::Fail)
        .collect();
    assert!(!failures.is_empty());
    let risks = result["risks"].as_array().unwrap();
    assert_eq!(risks.len(), failures.len());
    for r in risks {
        assert_eq!(r["remediations"][0]["lifecycle"], "recommendation");
        assert!(!r["remediations"][0]["description"]
            .as_str()
            .unwrap()
            .is_empty());
    }
    let public_access = failures
        .iter()
        .find(|r| r.rule == "AMLB-POL-438c38d2")
        .expect("the insecure example leaves public access on");
    let evidence = observations
        .iter()
        .find(|o| {
            o["title"]
                .as_str()
                .unwrap()
                .starts_with("AMLB-POL-438c38d2")
                && o["title"]
                    .as_str()
                    .unwrap()
                    .contains(public_access.resource_name.as_str())
                && o["title"].as_str().unwrap().ends_with(": fail")
        })
        .expect("the failure has an observation")["relevant-evidence"][0]
        .clone();
    assert!(
        evidence["description"]
            .as_str()
            .unwrap()
            .contains(&format!("{}:{}", public_access.path, public_access.line)),
        "{evidence}"
    );
    assert!(evidence["href"]
        .as_str()
        .unwrap()
        .ends_with(&format!("#L{}", public_access.line)));

    // A finding per applicable control; its state from the roll-up.
    let findings = result["findings"].as_array().unwrap();
    let statuses: HashMap<&str, &str> = run
        .report
        .baseline
        .controls
        .iter()
        .map(|c| (c.id, c.status.as_str()))
        .collect();
    assert_eq!(
        findings.len(),
        statuses
            .values()
            .filter(|s| **s != "not_applicable")
            .count()
    );
    for f in findings {
        let id = f["title"].as_str().unwrap().split(' ').next().unwrap();
        let status = f["target"]["status"]["state"].as_str().unwrap();
        let reason = f["target"]["status"]["reason"].as_str().unwrap();
        match statuses[id] {
            "pass" => assert_eq!((status, reason), ("satisfied", "pass")),
            "fail" => assert_eq!((status, reason), ("not-satisfied", "fail")),
            "platform" => assert_eq!((status, reason), ("satisfied", "other")),
            // Never a failure for what the files cannot show, never a pass without evidence.
            "unknown" | "manual" => assert_eq!((status, reason), ("not-satisfied", "other")),
            other => panic!("{id}: {other}"),
        }
        assert_eq!(f["target"]["type"], "statement-id");
    }
    // The schema does check: a third state, or a token with a space, is refused.
    let validator = results_validator();
    let mut broken = document.clone();
    broken["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] =
        json!("unknown");
    assert!(!validator.is_valid(&broken));
    let mut broken = document.clone();
    broken["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] =
        json!("ns 2");
    assert!(!validator.is_valid(&broken));

    let ns2 = findings
        .iter()
        .find(|f| f["target"]["target-id"] == "ns-2_smt")
        .unwrap();
    assert_eq!(ns2["target"]["status"]["state"], "not-satisfied");
    assert!(!ns2["related-risks"].as_array().unwrap().is_empty());

    // Every UUID is unique, and every reference resolves.
    let mut uuids = Vec::new();
    collect_uuids(ar, &mut uuids);
    let unique: HashSet<&String> = uuids.iter().collect();
    assert_eq!(unique.len(), uuids.len(), "UUIDs are unique");
    let text = document.to_string();
    for key in ["observation-uuid", "risk-uuid", "subject-uuid"] {
        for part in text.split(&format!("\"{key}\":\"")).skip(1) {
            let u = &part[..36];
            assert!(unique.contains(&u.to_string()), "{key} {u} resolves");
        }
    }
}

#[test]
fn oscal_is_deterministic_and_uuids_are_derived_from_content() {
    let first = oscal::render(&run(&["examples"]).report, &run(&["examples"]).scan);
    let examples = run(&["examples"]);
    let second = oscal::render(&examples.report, &examples.scan);
    assert_eq!(first, second, "two runs give the same bytes");
    // An observation keeps its UUID when another input joins the scan.
    let wider = run(&["examples", "tests/fixtures/live/resource-graph.json"]);
    let uuids_of = |text: &str| -> HashSet<String> {
        let v: Value = serde_json::from_str(text).unwrap();
        v["assessment-results"]["results"][0]["observations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["uuid"].as_str().unwrap().to_string())
            .collect()
    };
    let narrow = uuids_of(&first);
    let wide = uuids_of(&oscal::render(&wider.report, &wider.scan));
    assert!(narrow.is_subset(&wide));
    assert!(wide.len() > narrow.len());
}

#[test]
fn live_state_is_examined_and_names_the_live_id() {
    let run = run(&["tests/fixtures/live/resource-graph.json"]);
    let document = assessment(&run);
    let observations = document["assessment-results"]["results"][0]["observations"]
        .as_array()
        .unwrap();
    assert!(!observations.is_empty());
    for o in observations {
        assert_eq!(o["methods"], serde_json::json!(["EXAMINE"]));
        let evidence = o["relevant-evidence"][0]["description"].as_str().unwrap();
        assert!(
            evidence.starts_with("Live resource /subscriptions/"),
            "{evidence}"
        );
    }
}

#[test]
fn oscal_with_hostile_names_and_input_errors_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hostile.json"),
        r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    { "type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01",
      "name": " ws\n<x> \t", "location": "westeurope", "properties": { "publicNetworkAccess": "Enabled" } }
  ]
}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{ \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", ",
    )
    .unwrap();
    let run = run(&[dir.path().to_str().unwrap()]);
    assert!(run.report.summary.errors > 0);
    let document = assessment(&run);
    let remarks = document["assessment-results"]["results"][0]["remarks"]
        .as_str()
        .unwrap();
    assert!(remarks.contains("broken.json"), "{remarks}");
}

#[test]
fn the_catalog_is_valid_and_holds_every_target() {
    let catalog: Value = serde_json::from_str(&oscal::catalog::render()).unwrap();
    assert_valid(
        &validator(include_str!("../fixtures/oscal/oscal_catalog_schema.json")),
        &catalog,
    );
    let text = catalog.to_string();
    let baseline = aml_baseline::baseline::catalogue();
    for c in &baseline.controls {
        let id = c.id.to_ascii_lowercase();
        assert!(text.contains(&format!("\"id\":\"{id}_smt\"")), "{id}");
        for f in &c.features {
            assert!(text.contains(&serde_json::to_string(&f.name).unwrap()));
        }
    }
    // The rules of a feature are listed on it.
    assert!(text.contains("AMLB-POL-438c38d2"));
    // The results reference this catalog by its UUID, and target its statements.
    let run = run(&["examples"]);
    let ar = assessment(&run);
    let resources = ar["assessment-results"]["back-matter"]["resources"]
        .as_array()
        .unwrap();
    assert!(resources
        .iter()
        .any(|r| r["document-ids"][0]["identifier"] == catalog["catalog"]["uuid"]));
    for f in ar["assessment-results"]["results"][0]["findings"]
        .as_array()
        .unwrap()
    {
        let target = f["target"]["target-id"].as_str().unwrap();
        assert!(text.contains(&format!("\"id\":\"{target}\"")), "{target}");
    }
    assert_eq!(oscal::catalog::render(), oscal::catalog::render());
}

#[test]
fn the_schemas_are_nists_release_unmodified() {
    use sha2::Digest;
    let sha = |bytes: &[u8]| format!("{:x}", sha2::Sha256::digest(bytes));
    assert_eq!(
        sha(include_bytes!(
            "../fixtures/oscal/oscal_assessment-results_schema.json"
        )),
        "d9e34757f0c12aff61f52b821f0b8f83ba0ba75b3a149a202b08ba82f82bc4c3"
    );
    assert_eq!(
        sha(include_bytes!(
            "../fixtures/oscal/oscal_catalog_schema.json"
        )),
        "5e120afbd14c480a9498ab6388857ef32b3b880e458525e966ff7c7f59333d90"
    );
}

/// The document is written in pieces (observations, risks and references
/// made and serialised in parallel, the UUIDs of the result and of the
/// document hashed as their content is written): the bytes are those of
/// the whole document built as one value and pretty-printed, with the
/// same UUIDs, on results with and without remarks, risks and findings.
#[test]
fn the_streamed_document_is_the_whole_document_pretty_printed() {
    let empty = tempfile::tempdir().unwrap();
    let wild = std::path::Path::new("../shared/corpus/wild");
    let mut inputs = vec![
        "examples",
        "tests/fixtures/live",
        empty.path().to_str().unwrap(),
    ];
    if wild.is_dir() {
        inputs.push("../shared/corpus/wild");
    }
    for input in inputs {
        let run = run(&[input]);
        let whole = oscal::assessment_results(&run.report, &run.scan);
        assert_eq!(
            oscal::render(&run.report, &run.scan),
            serde_json::to_string_pretty(&whole).unwrap() + "\n",
            "{input}"
        );
    }
}
