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
    let (run, outcomes, allowed) = pipeline::run_for_fix(options, settings);
    let suppressed: HashSet<(&str, &str)> = run
        .report
        .results
        .iter()
        .filter(|r| r.suppressed.is_some())
        .map(|r| (r.rule, &*r.resource_id))
        .collect();
    let model = &run.scan.model;
    let failures: Vec<aml_fix::Failure> = outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Fail)
        // A known misjudgement of a kind (see aml_rules::kinds): the
        // resource has no such setting to write.
        .filter(|o| o.known_issue.is_none())
        .filter(|o| {
            let id = model.resources[o.resource].id.as_str();
            !suppressed.contains(&(o.rule.id, id))
        })
        .map(|o| aml_fix::Failure {
            rule: o.rule,
            resource: o.resource,
        })
        .collect();
    let fix = Options {
        allowed,
        ..fix.clone()
    };
    let plan = aml_fix::plan(model, &run.scan.sources, &run.scan.files, &failures, &fix);
    (run, plan)
}

/// The text `fix` prints: each file's diff, then each result and what was done.
pub fn render(run: &Run, plan: &Plan) -> String {
    let model = &run.scan.model;
    // Diffs are source text, masked by where secrets are written; the rest
    // is built from values, masked by value (decision 0030).
    let mut diffs = String::new();
    for f in &plan.files {
        diffs.push_str(&f.shown_diff(model));
    }
    let mut s = String::new();
    let mut results: Vec<&ResultFix> = plan.results.iter().collect();
    results.sort_by_key(|r| (r.status.clone(), r.rule.id, r.resource));
    for r in results {
        let res = &model.resources[r.resource];
        let (path, line, col) = run.scan.sources.position(res.span);
        let status = r.status.label();
        s.push_str(&format!(
            "{} {} ({path}:{line}:{col}): {status}\n",
            r.rule.id,
            res.symbol.as_deref().unwrap_or(&res.name)
        ));
        for m in &r.messages {
            s.push_str(&format!("  {m}\n"));
        }
        // What Azure Policy allows per field (`--verify-online`).
        if let Some(definition) = r.rule.policy() {
            for f in crate::verify::allowed_values(&run.scan, &res.id, definition) {
                s.push_str(&format!(
                    "  Azure Policy (checkPolicyRestrictions) says {}\n",
                    crate::verify::describe(f)
                ));
            }
        }
        if let Some(snippet) = &r.snippet {
            for l in snippet.lines() {
                s.push_str(&format!("    {l}\n"));
            }
        }
    }
    s.push_str(&plan.summary());
    s.push('\n');
    let text = diffs + &aml_report::redact(&s, model.redactor());
    aml_report::render::escape_controls(&text).into_owned()
}
