//! Invariants over `../shared/corpus/wild`: real Azure ML infrastructure from
//! dozens of public repositories, with no expected verdicts (never tune
//! verdicts to it). Each entry item is scanned alone, as a user would (a
//! Terraform folder, a Bicep or ARM entry file, a YAML file), and must hold:
//!
//! - no error diagnostic, except for the files `tests/fixtures/wild-broken.tsv`
//!   lists as genuinely broken (with the reason);
//! - every Azure ML resource declared in a Bicep or Terraform file the scan
//!   read (not `existing`, not a data source) is in the report at its
//!   declaration: two declarations never merge into one;
//! - every file under the item is accounted for (entry, context or skipped
//!   with a reason), and an Azure ML YAML item is read or diagnosed;
//! - the same bytes on a second run.
//!
//! The counts are printed (`cargo test wild -- --nocapture`).

use aml_baseline::report::Report;
use aml_baseline::scan::ScanOptions;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn wild() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/wild");
    std::fs::canonicalize(p).ok().filter(|p| p.is_dir())
}

/// The entry items of `SOURCES.tsv`: Terraform root folders, and Bicep, ARM
/// and YAML entry files.
fn items(root: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(root.join("SOURCES.tsv")).expect("SOURCES.tsv");
    let mut out = BTreeSet::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [repo, _, path, _, kind, note, ..] = cols[..] else {
            continue;
        };
        if !note.starts_with("entry") {
            continue;
        }
        let file = root.join(repo.replace('/', "__")).join(path);
        let file = std::fs::canonicalize(&file).unwrap_or(file);
        let item = if kind == "terraform" {
            file.parent().map(Path::to_path_buf).unwrap_or(file)
        } else {
            file
        };
        if item.exists() {
            out.insert(item);
        }
    }
    out.into_iter().collect()
}

/// Files known to be broken upstream (path relative to the corpus, reason).
fn broken(root: &Path) -> BTreeMap<String, String> {
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wild-broken.tsv");
    let text = std::fs::read_to_string(list).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('\t'))
        .map(|(p, why)| (root.join(p).display().to_string(), why.to_string()))
        .collect()
}

fn scan(item: &Path) -> (Report, String) {
    let options = ScanOptions {
        paths: vec![item.to_path_buf()],
        ..Default::default()
    };
    let settings = aml_baseline::pipeline::Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        ..Default::default()
    };
    let run = aml_baseline::pipeline::run(&options, &settings);
    let mut json = Vec::new();
    aml_baseline::render::write_run(
        aml_baseline::render::OutputFormat::Json,
        &run,
        &Default::default(),
        &mut json,
    )
    .expect("renders");
    (run.report, String::from_utf8(json).expect("UTF-8"))
}

/// Lines (1-based) of the Azure ML resources a Bicep or Terraform file
/// declares unconditionally (not `existing`, not a data source, no
/// condition, loop, `count` or `for_each`, which may deploy none), by a
/// plain reading of the text.
fn declarations(path: &Path) -> Vec<u32> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let conditional = |l: &str| {
        let compact: String = l.split_whitespace().collect();
        compact.contains("=if") || compact.contains("[for")
    };
    let counted = |at: usize| {
        lines[at + 1..(at + 6).min(lines.len())]
            .iter()
            .any(|l| l.trim_start().starts_with("for_each") || l.trim_start().starts_with("count"))
    };
    (0..lines.len())
        .filter(|&i| {
            let t = lines[i].trim_start();
            match ext {
                "bicep" => {
                    t.starts_with("resource ")
                        && t.contains("'Microsoft.MachineLearningServices/")
                        && !t.contains(" existing")
                        && !conditional(t)
                }
                "tf" => t.starts_with("resource \"azurerm_machine_learning_") && !counted(i),
                _ => false,
            }
        })
        .map(|i| i as u32 + 1)
        .collect()
}

#[test]
fn wild_corpus_invariants() {
    let Some(root) = wild() else {
        eprintln!("../shared/corpus/wild is not here; skipping");
        return;
    };
    let broken = broken(&root);
    let items = items(&root);
    assert!(items.len() > 50, "{} items", items.len());
    let mut problems = Vec::new();
    let (mut with_errors, mut declared, mut resources, mut skipped) = (0, 0, 0, 0);
    let (mut pairs, mut with_result, mut not_applicable) = (0, 0, 0);
    for item in &items {
        let (report, json) = scan(item);
        let (_, again) = scan(item);
        let name = item.display().to_string();
        if json != again {
            problems.push(format!("{name}: a second run gives other bytes"));
        }
        let errors: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.level == aml_baseline::diagnostics::Level::Error)
            .filter(|d| !broken.contains_key(d.path.as_str()))
            .map(|d| format!("{}:{}: {}", d.path, d.line, d.message))
            .collect();
        if !errors.is_empty() {
            with_errors += 1;
            problems.push(format!("{name}: errors: {}", errors.join("; ")));
        }
        let (counts, account) = crate::common::account_problems(&json);
        pairs += counts.pairs;
        with_result += counts.results;
        not_applicable += counts.not_applicable;
        problems.extend(account.into_iter().map(|p| format!("{name}: {p}")));
        resources += report.summary.resources;
        skipped += report.files.iter().filter(|f| f.role == "skipped").count();
        for f in report.files.iter().filter(|f| f.role != "skipped") {
            for line in declarations(Path::new(&f.path)) {
                declared += 1;
                let found = report
                    .resources
                    .iter()
                    .any(|r| r.path == f.path && r.line == line);
                if !found {
                    problems.push(format!(
                        "{name}: the Azure ML resource declared at {}:{line} is not in the report",
                        f.path
                    ));
                }
            }
        }
        for f in &report.files {
            if f.role == "skipped" && f.reason.as_deref().unwrap_or_default().is_empty() {
                problems.push(format!("{name}: {} skipped without a reason", f.path));
            }
        }
        let is_yaml = matches!(
            item.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        );
        if is_yaml {
            let shown = item.display().to_string();
            let read = report
                .files
                .iter()
                .any(|f| f.path == shown && f.role != "skipped");
            let diagnosed = report.diagnostics.iter().any(|d| d.path == shown);
            if !read && !diagnosed {
                problems.push(format!(
                    "{name}: an Azure ML YAML neither read nor diagnosed"
                ));
            }
        }
    }
    println!(
        "wild corpus: {} items, {with_errors} with error diagnostics, {declared} Azure ML declarations checked, {resources} resources, {skipped} files skipped with a reason, {pairs} (resource, rule) pairs of a targeted type: {with_result} with a result, {not_applicable} not applicable with a reason, {} problems",
        items.len(),
        problems.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
