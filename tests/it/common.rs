//! Helpers shared by the integration tests.
#![allow(dead_code)]

use aml_baseline::report::Report;
use aml_baseline::scan::ScanOptions;
use std::path::{Path, PathBuf};

/// `corpus!("rel/path")`: a path inside `../shared/corpus/realworld`, or
/// return from the calling test (with a message) when the corpus is not
/// beside the project. Needs `realworld` in scope.
#[allow(unused_macros)]
macro_rules! corpus {
    ($rel:expr) => {{
        let Some(root) = realworld() else {
            eprintln!("../shared/corpus/realworld is not here; skipping");
            return;
        };
        root.join($rel)
    }};
}

/// `../shared/corpus/realworld` (CI has it at the same place), or `None`.
pub fn realworld() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/realworld");
    p.is_dir().then_some(p)
}

/// A path inside the project.
pub fn project(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Scans paths with the default rules and builds the report.
pub fn report(paths: &[PathBuf], parameters: Option<PathBuf>) -> Report {
    report_with(paths, parameters, false)
}

/// Scans paths, with every rule when `all_rules`; no configuration file is
/// searched for, and attestations are compared with a fixed date.
pub fn report_with(paths: &[PathBuf], parameters: Option<PathBuf>, all_rules: bool) -> Report {
    let options = ScanOptions {
        paths: paths.to_vec(),
        parameters,
        ..Default::default()
    };
    let settings = aml_baseline::pipeline::Settings {
        all_rules,
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        ..Default::default()
    };
    aml_baseline::pipeline::run(&options, &settings).report
}

/// The result of `rule` (id or 8-hex policy prefix) on the resource named
/// `name` (full name), as "pass" / "fail" / "unknown", or "n/a".
pub fn verdict(report: &Report, rule: &str, name: &str) -> String {
    verdict_where(report, rule, name, |r| r.resource_name == name)
}

/// The result of `rule` on the resource read from the file whose path ends
/// with `file` (for files whose resources share a name).
pub fn verdict_in_file(report: &Report, rule: &str, file: &str) -> String {
    verdict_where(report, rule, file, |r| r.path.ends_with(file))
}

fn verdict_where(
    report: &Report,
    rule: &str,
    what: &str,
    pick: impl Fn(&aml_baseline::report::ResultEntry) -> bool,
) -> String {
    let rule_id = aml_baseline::rules::find(rule)
        .map(|r| r.id)
        .unwrap_or(rule);
    let hits: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.rule == rule_id && pick(r))
        .collect();
    match hits.as_slice() {
        [] => "n/a".into(),
        [one] => one.result.as_str().into(),
        many => panic!(
            "{} results for {rule} on {what}: {:?}",
            many.len(),
            many.iter().map(|r| &r.path).collect::<Vec<_>>()
        ),
    }
}

/// Every output format.
pub const ALL_FORMATS: [aml_baseline::render::OutputFormat; 7] = [
    aml_baseline::render::OutputFormat::Text,
    aml_baseline::render::OutputFormat::Json,
    aml_baseline::render::OutputFormat::Sarif,
    aml_baseline::render::OutputFormat::Junit,
    aml_baseline::render::OutputFormat::Markdown,
    aml_baseline::render::OutputFormat::Csv,
    aml_baseline::render::OutputFormat::Html,
];

/// Runs the pipeline on `paths` (relative to the crate root) with no
/// configuration file and a fixed date (2026-11-28).
pub fn run(paths: &[&str]) -> aml_baseline::pipeline::Run {
    let options = ScanOptions {
        paths: paths.iter().map(PathBuf::from).collect(),
        ..Default::default()
    };
    let settings = aml_baseline::pipeline::Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        ..Default::default()
    };
    aml_baseline::pipeline::run(&options, &settings)
}

/// Asserts that `document` is valid against `validator`, listing the first
/// errors (message and where) when it is not.
pub fn assert_schema_valid(
    validator: &jsonschema::Validator,
    document: &serde_json::Value,
    what: &str,
) {
    let errors: Vec<String> = validator
        .iter_errors(document)
        .take(20)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

/// Error-level diagnostics, formatted for an assertion message.
pub fn errors(report: &Report) -> Vec<String> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.level == aml_baseline::diagnostics::Level::Error)
        .map(|d| {
            format!(
                "{}:{}:{} [{}] {}",
                d.path, d.line, d.column, d.code, d.message
            )
        })
        .collect()
}

/// What [`account_problems`] counted.
#[derive(Debug, Default)]
pub struct AccountCounts {
    /// (resource, rule) pairs where the rule targets the resource's type.
    pub pairs: usize,
    /// Of those, pairs with a result.
    pub results: usize,
    /// Of those, pairs in the resource's `not_applicable`, with a reason.
    pub not_applicable: usize,
}

/// Checks a JSON report's rule account as a consumer would (docs/json-report.md,
/// "Proving that nothing was dropped"): every deployed resource and every rule
/// in `tool.targets` whose types cover it has a result or a `not_applicable`
/// entry with a reason, and never both; and no rule has a result on a type
/// it does not target. Returns the counts and the problems.
pub fn account_problems(json: &str) -> (AccountCounts, Vec<String>) {
    use std::collections::HashSet;
    let report: serde_json::Value = serde_json::from_str(json).expect("JSON report");
    let covers = |pattern: &str, t: &str| {
        pattern == "*"
            || pattern.eq_ignore_ascii_case(t)
            || pattern.strip_suffix("/*").is_some_and(|p| {
                t.len() > p.len() + 1
                    && t[..p.len()].eq_ignore_ascii_case(p)
                    && t.as_bytes()[p.len()] == b'/'
            })
    };
    let key = |rule: &serde_json::Value, assignment: Option<&serde_json::Value>| {
        (
            rule.as_str().unwrap_or_default().to_string(),
            assignment
                .and_then(|a| a.as_str())
                .unwrap_or_default()
                .to_string(),
        )
    };
    let results: HashSet<(u64, String, String)> = report["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let (rule, a) = key(&r["rule"], r.get("assignment"));
            (r["resource_index"].as_u64().unwrap_or(u64::MAX), rule, a)
        })
        .collect();
    let mut counts = AccountCounts::default();
    let mut problems = Vec::new();
    let targets = report["tool"]["targets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if targets.is_empty() && !results.is_empty() {
        problems.push("results, but no tool.targets".to_string());
    }
    // A result is on a type its rule targets.
    let resources = report["resources"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (index, rule, a) in &results {
        let Some(t) = resources
            .get(*index as usize)
            .and_then(|r| r["type"].as_str())
        else {
            continue;
        };
        let types = targets
            .iter()
            .find(|target| {
                key(&target["rule"], target.get("assignment")) == (rule.clone(), a.clone())
            })
            .and_then(|target| target["types"].as_array());
        if let Some(types) = types {
            if !types
                .iter()
                .filter_map(|p| p.as_str())
                .any(|p| covers(p, t))
            {
                problems.push(format!(
                    "{rule} {a} has a result on a {t}, a type it does not target"
                ));
            }
        }
    }
    for (index, resource) in report["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let t = resource["type"].as_str().unwrap_or_default();
        if resource["existing"] == true || t.eq_ignore_ascii_case("Microsoft.Resources/deployments")
        {
            continue;
        }
        let id = resource["id"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let live = resource["source"] == "live";
        let absent: HashSet<(String, String)> = resource["not_applicable"]
            .as_array()
            .into_iter()
            .flatten()
            .inspect(|na| {
                if na["reason"].as_str().is_none_or(|r| r.trim().is_empty()) {
                    problems.push(format!(
                        "{id}: {} is not applicable without a reason",
                        na["rule"]
                    ));
                }
            })
            .map(|na| key(&na["rule"], na.get("assignment")))
            .collect();
        for target in &targets {
            let covered = match target["types"].as_array() {
                None => true,
                Some(types) => types
                    .iter()
                    .filter_map(|p| p.as_str())
                    .any(|p| covers(p, t)),
            };
            if !covered || (live && target["code_only"] == true) {
                continue;
            }
            counts.pairs += 1;
            let (rule, a) = key(&target["rule"], target.get("assignment"));
            let has_result = results.contains(&(index as u64, rule.clone(), a.clone()));
            let listed = absent.contains(&(rule.clone(), a.clone()));
            match (has_result, listed) {
                (true, false) => counts.results += 1,
                (false, true) => counts.not_applicable += 1,
                (true, true) => problems.push(format!(
                    "{id}: {rule} has a result and is listed as not applicable"
                )),
                (false, false) => problems.push(format!(
                    "{id} ({t}): {rule} {a} targets it but gave no result and no reason"
                )),
            }
        }
    }
    (counts, problems)
}
