//! `aml-baseline fix`: scan, plan the fixes of the failing results that are
//! not suppressed, print the diffs, write them (unless `--dry-run`), re-scan.

use crate::pipeline::{self, Settings};
use crate::scan::ScanOptions;
pub use aml_fix::{FileFix, Options, Plan, ResultFix, Status};
use aml_report::Run;
use aml_rules::evaluate::Verdict;
use std::collections::HashSet;

/// Scans and plans the fixes.
pub fn plan(options: &ScanOptions, settings: &Settings, fix: &Options) -> (Run, Plan) {
    let (run, outcomes) = pipeline::run_with_outcomes(options, settings);
    let suppressed: HashSet<(&str, &str)> = run
        .report
        .results
        .iter()
        .filter(|r| r.suppressed.is_some())
        .map(|r| (r.rule, r.resource_id.as_str()))
        .collect();
    let model = &run.scan.model;
    let failures: Vec<aml_fix::Failure> = outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Fail)
        .filter(|o| {
            let id = model.resources[o.resource].id.as_str();
            !suppressed.contains(&(o.rule.id, id))
        })
        .map(|o| aml_fix::Failure {
            rule: o.rule,
            resource: o.resource,
        })
        .collect();
    let plan = aml_fix::plan(model, &run.scan.sources, &run.scan.files, &failures, fix);
    (run, plan)
}

/// The text `fix` prints: each file's diff, then each result and what was done.
pub fn render(run: &Run, plan: &Plan) -> String {
    let mut s = String::new();
    for f in &plan.files {
        s.push_str(&f.diff());
    }
    let model = &run.scan.model;
    let mut results: Vec<&ResultFix> = plan.results.iter().collect();
    results.sort_by_key(|r| (r.status.clone(), r.rule.id, r.resource));
    for r in results {
        let res = &model.resources[r.resource];
        let (path, line, col) = run.scan.sources.position(res.span);
        let status = match r.status {
            Status::Fixed => "fixed",
            Status::NeedsUnsafe => "needs --unsafe",
            Status::Snippet => "snippet",
            Status::Manual => "by hand",
        };
        s.push_str(&format!(
            "{} {} ({path}:{line}:{col}): {status}\n",
            r.rule.id,
            res.symbol.as_deref().unwrap_or(&res.name)
        ));
        for m in &r.messages {
            s.push_str(&format!("  {m}\n"));
        }
        if let Some(snippet) = &r.snippet {
            for l in snippet.lines() {
                s.push_str(&format!("    {l}\n"));
            }
        }
    }
    let count = |st: Status| plan.results.iter().filter(|r| r.status == st).count();
    s.push_str(&format!(
        "{} files changed; {} results fixed, {} need --unsafe, {} snippets to add, {} to fix by hand\n",
        plan.files.len(),
        count(Status::Fixed),
        count(Status::NeedsUnsafe),
        count(Status::Snippet),
        count(Status::Manual)
    ));
    aml_report::redact(&s, model.redactor())
}
