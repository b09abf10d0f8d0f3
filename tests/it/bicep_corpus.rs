//! End to end on the real Bicep files of `../shared/corpus/realworld`: every
//! file parses without an error, the verdicts are the ones a person reads in
//! the files, and the AVM modules give the same resources and results as the
//! ARM templates compiled from them.

use crate::common;

use aml_baseline::scan::{scan, ScanOptions};
use common::{errors, realworld, report, verdict};
use std::path::PathBuf;

const AVM_ROOT: &str = "Azure__bicep-registry-modules";
const AVM: &str = "Azure__bicep-registry-modules/avm/res/machine-learning-services/workspace";
const SETUP_WS: &str = "Azure__azureml-examples/cli/endpoints/online/managed/vnet/setup_ws";

#[test]
fn every_bicep_file_in_the_corpus_parses_without_errors() {
    let root = corpus!("");
    let mut count = 0;
    for entry in walk(&root) {
        let text = std::fs::read_to_string(&entry).unwrap();
        let (_, errors) = aml_baseline::frontend::bicep::parser::parse(&text);
        assert!(errors.is_empty(), "{}: {errors:?}", entry.display());
        count += 1;
    }
    assert_eq!(count, 24);
    // And the whole corpus scans without an error diagnostic.
    let r = report(&[root], None);
    assert_eq!(errors(&r), Vec::<String>::new());
    let bicep = r.files.iter().filter(|f| f.format == "bicep").count();
    assert_eq!(bicep, 24);
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "bicep") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn setup_ws_is_public_despite_its_comment_with_a_private_endpoint_and_no_logs() {
    let r = report(&[corpus!(format!("{SETUP_WS}/main.bicep"))], None);
    assert_eq!(errors(&r), Vec::<String>::new());
    // `suffix` has no value: the workspace name keeps its known text and a
    // placeholder for the rest (`name` is `toLower('${suffix}')`).
    let ws = "mlw-[toLower('${suffix}')]";
    assert_eq!(verdict(&r, "438c38d2", ws), "fail");
    assert_eq!(verdict(&r, "45e05259", ws), "pass");
    assert_eq!(verdict(&r, "afe0c3be", ws), "fail");
    // The finding points at the line that sets publicNetworkAccess, in the module.
    let hit = r
        .results
        .iter()
        .find(|x| x.rule.ends_with("438c38d2") && x.resource_name == ws)
        .unwrap();
    assert!(
        hit.path.ends_with("modules/machinelearning.bicep"),
        "{}",
        hit.path
    );
    assert_eq!((hit.line, hit.column), (58, 5));
    // The module files are evaluated by main.bicep only.
    let entries: Vec<_> = r.files.iter().filter(|f| f.resources > 0).collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
}

#[test]
fn avm_e2e_tests_give_the_verdicts_their_parameters_imply() {
    let r = report(&[corpus!(AVM_ROOT)], None);
    assert_eq!(errors(&r), Vec::<String>::new());
    let cases: &[(&str, &[(&str, &str)])] = &[
        // defaults: publicNetworkAccess defaults to 'Disabled'; nothing else set.
        (
            "#_namePrefix_#mlswmin001",
            &[
                ("438c38d2", "pass"),
                ("45e05259", "fail"),
                ("ba769a63", "fail"),
                ("5f0c7d88", "fail"),
                ("6ddb1705", "fail"),
                ("afe0c3be", "fail"),
            ],
        ),
        // encr: a customer-managed key and a primary user-assigned identity.
        (
            "#_namePrefix_#mlswecr001",
            &[
                ("438c38d2", "pass"),
                ("ba769a63", "pass"),
                ("5f0c7d88", "pass"),
                ("6ddb1705", "fail"), // AllowInternetOutbound
                ("afe0c3be", "fail"),
            ],
        ),
        // max: metrics-only diagnostic settings are not resource logs; the
        // private endpoints come from an unrestored registry module.
        (
            "#_namePrefix_#mlswmax001",
            &[
                ("438c38d2", "pass"),
                ("45e05259", "unknown"),
                ("ba769a63", "fail"),
                ("5f0c7d88", "pass"),
                ("6ddb1705", "fail"), // isolationMode Disabled
                ("afe0c3be", "fail"),
            ],
        ),
        // waf-aligned: all logs by default, approved-outbound managed network.
        (
            "#_namePrefix_#mlswwaf001",
            &[
                ("438c38d2", "pass"),
                ("45e05259", "unknown"),
                ("ba769a63", "fail"),
                ("5f0c7d88", "fail"),
                ("6ddb1705", "pass"),
                ("afe0c3be", "pass"),
            ],
        ),
    ];
    for (ws, rules) in cases {
        for (rule, want) in *rules {
            assert_eq!(verdict(&r, rule, ws), *want, "{rule} on {ws}");
        }
    }
    // One warning per unrestored registry module, saying how to restore it.
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.code == "bicep-registry-module" && d.message.contains("bicep restore")));
}

/// Resources (not `existing` references) as `(type, name)`, names that the
/// files do not fix shown as `*`.
fn resource_keys(path: PathBuf) -> Vec<(String, String)> {
    let out = scan(&ScanOptions {
        paths: vec![path],
        ..Default::default()
    });
    let mut keys: Vec<(String, String)> = out
        .model
        .resources
        .iter()
        .filter(|r| !r.existing)
        .map(|r| {
            let name = if r.name.contains('[') {
                "*".to_string()
            } else {
                r.name.clone()
            };
            (r.resource_type.to_ascii_lowercase(), name)
        })
        .collect();
    keys.sort();
    keys
}

fn triples(path: PathBuf) -> Vec<(String, String, String)> {
    let r = report(&[path], None);
    let mut t: Vec<_> = r
        .results
        .iter()
        .map(|x| {
            let name = if x.resource_name.contains('[') {
                "*".to_string()
            } else {
                x.resource_name.to_string()
            };
            (
                x.rule.to_string(),
                format!("{}:{name}", x.resource_type.to_ascii_lowercase()),
                x.result.as_str().to_string(),
            )
        })
        .collect();
    t.sort();
    t
}

#[test]
fn avm_modules_match_their_compiled_arm() {
    for dir in ["compute", "connection", "datastore", ""] {
        let base = corpus!(format!("{AVM}/{dir}"));
        let bicep = base.join("main.bicep");
        let arm = base.join("main.json");
        assert_eq!(
            resource_keys(bicep.clone()),
            resource_keys(arm.clone()),
            "resources of {dir}/main"
        );
        assert_eq!(triples(bicep), triples(arm), "results of {dir}/main");
    }
}
