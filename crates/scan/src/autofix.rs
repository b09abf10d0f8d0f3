//! The safe fixes shown beside a scan's results (JSON `autofix`, SARIF
//! `fixes`, the diff in the text report), planned by `aml-fix` inside the
//! pipeline for every failing result whose rule has a safe fix, before the
//! report is built. The `fix` command ([`crate::fix`]) applies them.

use aml_fix::{Options, Status};
use aml_model::input::ScanOutput;
use aml_report::{AutofixChange, AutofixEntry, AutofixReplacement};
use aml_rules::evaluate::{Outcome, Verdict};

/// The safe fix `fix` would apply to each outcome (its replacements and
/// diff, secrets redacted), by outcome index; `None` where there is none.
pub fn plan(
    scan: &ScanOutput,
    outcomes: &[Outcome],
    allowed: &aml_fix::AllowedSources,
) -> Vec<Option<Box<AutofixEntry>>> {
    // A known misjudgement of the resource's kind (a project's public
    // network access) is not fixed on the resource: it has no such setting.
    // Nor is a resource of a format `fix` does not edit (a live export's):
    // its fix is never more than a message no report shows, and its
    // settings may be freed already (`pipeline::fixes_read`).
    let fixable = |o: &&Outcome| {
        o.verdict == Verdict::Fail
            && o.known_issue.is_none()
            && matches!(
                o.rule.autofix,
                aml_rules::Autofix::Set { .. } | aml_rules::Autofix::Modify { .. }
            )
            && scan
                .model
                .resources
                .get(o.resource)
                .is_some_and(|r| aml_fix::edits_format(r.format))
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
    let results = aml_fix::plan_results(
        &scan.model,
        &scan.sources,
        &scan.files,
        &failures,
        &Options {
            allowed: allowed.clone(),
            ..Options::default()
        },
    );
    // The first failing outcome of each (rule, resource) gets the entry its
    // result makes, each result dropped once its entry is made; a later
    // outcome of the same pair (rare) gets a copy.
    let mut first: aml_model::FastMap<(&str, usize), usize> = Default::default();
    for (i, o) in outcomes.iter().enumerate() {
        if o.verdict == Verdict::Fail {
            first.entry((o.rule.id, o.resource)).or_insert(i);
        }
    }
    // Boxed: one pointer per outcome, most of which have no fix.
    let mut entries: Vec<Option<Box<AutofixEntry>>> = vec![None; outcomes.len()];
    // Made in parallel (each its redacted replacements and diff); each
    // worker remembers its last diff, which the results of one resource
    // share.
    use rayon::prelude::*;
    let made: Vec<(usize, AutofixEntry)> = results
        .into_par_iter()
        .filter(|r| r.status == Status::Fixed)
        .filter_map(|r| first.get(&(r.rule.id, r.resource)).map(|&i| (i, r)))
        .map_init(|| None, |last, (i, r)| (i, entry(scan, r, last)))
        .collect();
    for (i, e) in made {
        entries[i] = Some(Box::new(e));
    }
    for (i, o) in outcomes.iter().enumerate() {
        if o.verdict != Verdict::Fail {
            continue;
        }
        match first.get(&(o.rule.id, o.resource)) {
            Some(&f) if f != i => entries[i] = entries[f].clone(),
            _ => {}
        }
    }
    entries
}

/// The report's view of one planned fix.
///
/// `last` holds the previous result's edits and diff: the results of one
/// resource share their edits, and their diff is made once.
fn entry(
    scan: &ScanOutput,
    r: aml_fix::ResultFix,
    last: &mut Option<(Vec<aml_fix::TextEdit>, String)>,
) -> AutofixEntry {
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
    changes.shrink_to_fit();
    let diff = match last {
        Some((edits, diff)) if *edits == r.edits => diff.clone(),
        _ => {
            // Kept to the report's end: without the slack it was built with.
            let mut diff = aml_fix::diff_of(&scan.model, &scan.sources, &r.edits);
            diff.shrink_to_fit();
            *last = Some((r.edits, diff.clone()));
            diff
        }
    };
    AutofixEntry {
        safety: "safe",
        description: redact(&r.messages.join("\n")),
        changes,
        diff,
    }
}
