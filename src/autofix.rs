//! The safe fixes attached to a scan's report (JSON `autofix`, SARIF
//! `fixes`, the diff in the text report), planned by `aml-fix` for every
//! failing result whose rule has a safe fix. The `fix` command (`fix.rs`)
//! applies them.

use crate::evaluate::Verdict;
use aml_fix::{Options, Status};
use aml_report::Run;

/// Attaches to each failing result of the report the safe fix `fix` would
/// apply (its replacements and diff), for the text, JSON and SARIF reports.
pub fn attach(run: &mut Run, outcomes: &[crate::evaluate::Outcome]) {
    let fixable = |o: &&crate::evaluate::Outcome| {
        o.verdict == Verdict::Fail
            && matches!(
                o.rule.autofix,
                aml_rules::Autofix::Set { .. } | aml_rules::Autofix::Modify { .. }
            )
    };
    let failures: Vec<aml_fix::Failure> = outcomes
        .iter()
        .filter(fixable)
        .map(|o| aml_fix::Failure {
            rule: o.rule,
            resource: o.resource,
        })
        .collect();
    if failures.is_empty() {
        return;
    }
    let scan = &run.scan;
    let plan = aml_fix::plan(
        &scan.model,
        &scan.sources,
        &scan.files,
        &failures,
        &Options::default(),
    );
    let secrets = scan.model.redactor();
    let redact = |s: &str| crate::report::redact(s, secrets);
    let mut by_key = std::collections::HashMap::new();
    for r in plan.results.iter().filter(|r| r.status == Status::Fixed) {
        let res = &scan.model.resources[r.resource];
        let mut changes: Vec<aml_report::AutofixChange> = Vec::new();
        for e in &r.edits {
            let src = scan.sources.get(e.file);
            let (start_line, start_column) = src.line_col(e.start as u32);
            let (end_line, end_column) = src.line_col(e.end as u32);
            let replacement = aml_report::AutofixReplacement {
                start_line,
                start_column,
                end_line,
                end_column,
                text: redact(&e.text),
            };
            match changes.iter_mut().find(|c| c.path == src.display) {
                Some(c) => c.replacements.push(replacement),
                None => changes.push(aml_report::AutofixChange {
                    path: src.display.clone(),
                    replacements: vec![replacement],
                }),
            }
        }
        let entry = aml_report::AutofixEntry {
            safety: "safe",
            description: redact(&r.messages.join("\n")),
            changes,
            diff: aml_fix::diff_of(&scan.model, &scan.sources, &r.edits),
        };
        by_key.insert((r.rule.id, redact(&res.id)), entry);
    }
    for result in run.report.results.iter_mut() {
        if result.result != Verdict::Fail {
            continue;
        }
        if let Some(e) = by_key.get(&(result.rule, result.resource_id.clone())) {
            result.autofix = Some(e.clone());
        }
    }
}
