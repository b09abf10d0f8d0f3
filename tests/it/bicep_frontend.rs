//! The Bicep front end on small fixtures: parameters from a `.bicepparam`,
//! secure values, loops with filters, nested and `parent:` children,
//! extension resources, modules in another resource group, malformed input
//! and random input.

use crate::common;

use aml_baseline::frontend::bicep::parser;
use aml_baseline::model::Deployed;
use aml_baseline::scan::{scan, ScanOptions};
use common::{project, report, verdict};

fn model_of(rel: &str) -> aml_baseline::scan::ScanOutput {
    scan(&ScanOptions {
        paths: vec![project(rel)],
        ..Default::default()
    })
}

#[test]
fn bicepparam_values_loops_children_and_modules() {
    let out = model_of("tests/fixtures/bicep/app/main.bicep");
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let names: Vec<(&str, &str)> = out
        .model
        .resources
        .iter()
        .map(|r| (r.resource_type.as_str(), r.name.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("Microsoft.MachineLearningServices/workspaces", "ws-app"),
            // The loop's filter drops 'gpu'; the index is kept.
            (
                "Microsoft.MachineLearningServices/workspaces/computes",
                "ws-app/cpu-0"
            ),
            (
                "Microsoft.MachineLearningServices/workspaces/computes",
                "ws-app/ci1"
            ),
            ("Microsoft.Insights/diagnosticSettings", "to-law"),
            ("Microsoft.Network/privateEndpoints", "pe-ws-app"),
        ]
    );
    let ws = &out.model.resources[0];
    let rg = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg";
    assert_eq!(
        ws.id,
        format!("{rg}/providers/Microsoft.MachineLearningServices/workspaces/ws-app")
    );
    // The .bicepparam sets pna = 'Disabled'.
    assert_eq!(
        ws.get("properties.publicNetworkAccess").unwrap().as_str(),
        Some("Disabled")
    );
    let (_, line, col) = out
        .sources
        .position(ws.span_of("properties.publicNetworkAccess"));
    assert_eq!((line, col), (27, 5));
    // The diagnostic setting extends the workspace.
    assert_eq!(
        out.model.resources[3].scope_id.as_deref(),
        Some(ws.id.as_str())
    );
    // The module deploys into another resource group.
    assert_eq!(
        out.model.resources[4].id,
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/network-rg/providers/Microsoft.Network/privateEndpoints/pe-ws-app"
    );
    // The secure parameter's value is a secret to redact.
    assert!(out.model.secrets.iter().any(|s| s == "S3cr3t-Passw0rd!"));
    // Verdicts: private endpoint from the module, logs from the diagnostic setting.
    let r = report(&[project("tests/fixtures/bicep/app/main.bicep")], None);
    assert_eq!(verdict(&r, "438c38d2", "ws-app"), "pass");
    assert_eq!(verdict(&r, "45e05259", "ws-app"), "pass");
    assert_eq!(verdict(&r, "afe0c3be", "ws-app"), "pass");
}

#[test]
fn unknown_conditions_make_deployment_unknown() {
    let dir = std::env::temp_dir().join(format!("amlb-bicep-cond-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("main.bicep");
    std::fs::write(
        &file,
        "param deploy bool\nparam skip bool = false\nresource a 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = if (deploy) {\n  name: 'maybe'\n  location: 'westeurope'\n}\nresource b 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = if (skip) {\n  name: 'never'\n  location: 'westeurope'\n}\nresource k 'Microsoft.KeyVault/vaults@2023-02-01' existing = {\n  name: 'kv'\n}\n",
    )
    .unwrap();
    let out = scan(&ScanOptions {
        paths: vec![file],
        ..Default::default()
    });
    let names: Vec<&str> = out
        .model
        .resources
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, vec!["maybe", "kv"]);
    assert!(matches!(
        out.model.resources[0].deployed,
        Deployed::Unknown { .. }
    ));
    assert!(out.model.resources[1].existing);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn malformed_bicep_gives_positions_and_the_scan_goes_on() {
    let r = report(
        &[
            project("tests/fixtures/bicep/malformed"),
            project("tests/fixtures/bicep/cycle"),
        ],
        None,
    );
    let errors = common::errors(&r);
    let has = |needle: &str| errors.iter().any(|e| e.contains(needle));
    assert!(
        has("broken.bicep:1:25 [bicep-syntax] unterminated string"),
        "{errors:#?}"
    );
    assert!(
        has("broken.bicep:6:15 [bicep-syntax] expected '}' to close this object"),
        "{errors:#?}"
    );
    assert!(
        has("broken.bicep:9:2 [bicep-syntax] unknown decorator '@bogus'"),
        "{errors:#?}"
    );
    assert!(has("[bicep-module-cycle]"), "{errors:#?}");
    // What follows the errors is still read.
    assert_eq!(verdict(&r, "438c38d2", "ws-after-errors"), "pass");
    assert_eq!(verdict(&r, "438c38d2", "ws-broken"), "fail");
    assert_eq!(verdict(&r, "438c38d2", "ws-cycle"), "pass");
}

/// A small deterministic generator (no dependency).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_and_mutated_input_never_panics() {
    let seeds = [
        std::fs::read_to_string(project("tests/fixtures/bicep/app/main.bicep")).unwrap(),
        std::fs::read_to_string(project("tests/fixtures/bicep/malformed/broken.bicep")).unwrap(),
    ];
    let alphabet: Vec<char> = "{}[]()'\n:.?!@=<>|&$,/*#-+ abcxyz019\\é".chars().collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..1500 {
        let mut chars: Vec<char> = seeds[round % 2].chars().collect();
        for _ in 0..(1 + rng.next() % 8) {
            let i = (rng.next() as usize) % (chars.len() + 1);
            match rng.next() % 3 {
                0 if i < chars.len() => {
                    chars.remove(i);
                }
                1 => chars.insert(i, alphabet[(rng.next() as usize) % alphabet.len()]),
                _ => {
                    let j = (rng.next() as usize) % (chars.len() + 1);
                    chars.truncate(i.max(j).min(chars.len()));
                }
            }
        }
        let text: String = chars.into_iter().collect();
        let _ = parser::parse(&text);
    }
    for _ in 0..500 {
        let len = (rng.next() % 200) as usize;
        let text: String = (0..len)
            .map(|_| alphabet[(rng.next() as usize) % alphabet.len()])
            .collect();
        let _ = parser::parse(&text);
    }
    // Deep nesting is bounded, not a stack overflow.
    let deep = format!("var x = {}1{}\n", "(".repeat(100_000), ")".repeat(100_000));
    let (_, errors) = parser::parse(&deep);
    assert!(!errors.is_empty());
    let deep = format!("var x = {}\n", "[".repeat(100_000));
    let _ = parser::parse(&deep);
    let deep = format!("var x = '{}'\n", "${'".repeat(10_000));
    let _ = parser::parse(&deep);
}

#[test]
fn a_large_generated_file_parses_in_linear_time() {
    // Member access chains were quadratic in tree-sitter-bicep; here they are not.
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!(
            "var v{i} = s.properties.x[{i}].?y ?? '${{a.b}}-{i}'\nresource r{i} 'Microsoft.X/y@2020-01-01' = {{\n  name: 'n{i}'\n  properties: {{\n    a: [1, 2]\n  }}\n}}\n"
        ));
    }
    assert!(text.len() > 2_000_000);
    let (file, errors) = parser::parse(&text);
    assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(3)]);
    assert_eq!(file.decls.len(), 40_000);
}
