//! The safe fixes shown beside a scan's results (JSON `autofix`, SARIF
//! `fixes`, the diff in the text report), planned by `aml-fix` inside the
//! pipeline for every failing result whose rule has a safe fix, before the
//! report is built. The `fix` command ([`crate::fix`]) applies them.

use aml_fix::{Options, Status};
use aml_model::input::ScanOutput;
use aml_report::{AutofixChange, AutofixEntry, AutofixReplacement};
use aml_rules::evaluate::{Outcome, Verdict};
use std::collections::HashMap;

/// The safe fix `fix` would apply to each outcome (its replacements and
/// diff, secrets redacted), by outcome index; `None` where there is none.
pub fn plan(
    scan: &ScanOutput,
    outcomes: &[Outcome],
    allowed: &aml_fix::AllowedSources,
) -> Vec<Option<AutofixEntry>> {
    // A known misjudgement of the resource's kind (a project's public
    // network access) is not fixed on the resource: it has no such setting.
    let fixable = |o: &&Outcome| {
        o.verdict == Verdict::Fail
            && o.known_issue.is_none()
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
        return Vec::new();
    }
    let plan = aml_fix::plan(
        &scan.model,
        &scan.sources,
        &scan.files,
        &failures,
        &Options {
            allowed: allowed.clone(),
            ..Options::default()
        },
    );
    let mut by_outcome: HashMap<(&str, usize), AutofixEntry> = HashMap::new();
    for r in plan.results.iter().filter(|r| r.status == Status::Fixed) {
        by_outcome.insert((r.rule.id, r.resource), entry(scan, r));
    }
    outcomes
        .iter()
        .map(|o| {
            (o.verdict == Verdict::Fail)
                .then(|| by_outcome.get(&(o.rule.id, o.resource)).cloned())
                .flatten()
        })
        .collect()
}

/// The report's view of one planned fix.
fn entry(scan: &ScanOutput, r: &aml_fix::ResultFix) -> AutofixEntry {
    let secrets = scan.model.redactor();
    let redact = |s: &str| aml_report::redact(s, secrets);
    let mut changes: Vec<AutofixChange> = Vec::new();
    for e in &r.edits {
        let src = scan.sources.get(e.file);
        let (start_line, start_column) = src.line_col(e.start as u32);
        let (end_line, end_column) = src.line_col(e.end as u32);
        let replacement = AutofixReplacement {
            start_line,
            start_column,
            end_line,
            end_column,
            text: redact(&e.text),
        };
        match changes.iter_mut().find(|c| c.path == src.display) {
            Some(c) => c.replacements.push(replacement),
            None => changes.push(AutofixChange {
                path: src.display.clone(),
                replacements: vec![replacement],
            }),
        }
    }
    AutofixEntry {
        safety: "safe",
        description: redact(&r.messages.join("\n")),
        changes,
        diff: aml_fix::diff_of(&scan.model, &scan.sources, &r.edits),
    }
}
