//! The terminal report: failing and unknown results grouped by baseline
//! control, each with the source line it is about and the value underlined,
//! then diagnostics, then one summary line.

use crate::{Report, ResultEntry};
use aml_model::input::ScanOutput;
use aml_rules::controls;
use aml_rules::evaluate::Verdict;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Plain text (no colour, no source snippets), deterministic.
pub fn render(report: &Report) -> String {
    render_with(report, None, false)
}

/// The terminal report; with `scan`, each finding shows its source line with
/// the value underlined; with `color`, ANSI styles (for a terminal).
///
/// Control and bidirectional characters of names, messages and source lines
/// are written as `\u{..}` ([`super::escape_controls`]): only the styles of
/// `color` reach the terminal as escape sequences.
/// The failing and unknown results that are not suppressed, by control in
/// the baseline's order.
fn findings_by_control(report: &Report) -> BTreeMap<(usize, &str), Vec<&ResultEntry>> {
    let mut by_control: BTreeMap<(usize, &str), Vec<&ResultEntry>> = BTreeMap::new();
    for r in report
        .results
        .iter()
        .filter(|r| r.result != Verdict::Pass && r.suppressed.is_none())
    {
        by_control
            .entry((controls::order(r.control), r.control))
            .or_default()
            .push(r);
    }
    by_control
}

pub fn render_with(report: &Report, scan: Option<&ScanOutput>, color: bool) -> String {
    // `done` holds escaped text and styled snippets; `out` what is still to escape.
    let mut done = String::new();
    let mut out = String::new();
    summary_table(report, &mut out);
    for ((_, control), results) in &findings_by_control(report) {
        let _ = writeln!(out, "{control}  {}", controls::title(control));
        for r in results {
            let feature = r.feature.map(|f| format!(" [{f}]")).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<7} {} {}{feature}",
                r.result.as_str(),
                r.rule,
                r.severity
            );
            let _ = writeln!(
                out,
                "          {} '{}'{}",
                r.resource_type,
                r.resource_name,
                r.live_suffix()
            );
            let _ = writeln!(out, "          at {}:{}:{}", r.path, r.line, r.column);
            match scan.and_then(|s| snippet(s, r, color)) {
                Some(snip) => {
                    done.push_str(&super::escape_controls(&std::mem::take(&mut out)));
                    for line in snip.lines() {
                        let _ = writeln!(done, "          {line}");
                    }
                }
                None => {
                    let _ = writeln!(out, "          found: {}", r.message);
                }
            }
            result_tail(r, &mut out);
        }
        out.push('\n');
    }
    if report.has_assignments() {
        denials(report, &mut out);
        possible_denials(report, &mut out);
    }
    for d in &report.diagnostics {
        let level = d.level.as_str();
        let at = match (d.path.is_empty(), d.line > 0) {
            (true, _) => String::new(),
            (false, true) => format!("{}:{}:{}: ", d.path, d.line, d.column),
            (false, false) => format!("{}: ", d.path),
        };
        let _ = writeln!(out, "{level}[{}]: {at}{}", d.code, d.message);
    }
    if !report.diagnostics.is_empty() {
        out.push('\n');
    }
    let suppressed: Vec<&ResultEntry> = report
        .results
        .iter()
        .filter(|r| r.suppressed.is_some())
        .collect();
    if !suppressed.is_empty() {
        let _ = writeln!(out, "suppressed (not counted):");
        for r in &suppressed {
            let why = match r.suppressed.as_deref() {
                Some(crate::suppress::Suppression::Waiver {
                    justification,
                    expires,
                    ticket,
                }) => {
                    let t = ticket
                        .as_deref()
                        .map(|t| format!(", {t}"))
                        .unwrap_or_default();
                    format!("waiver until {expires}{t}: {justification}")
                }
                Some(crate::suppress::Suppression::Inline { reason, path, line }) => {
                    format!("inline at {path}:{line}: {reason}")
                }
                Some(crate::suppress::Suppression::Baseline { file }) => {
                    format!("already in {file}")
                }
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "  {} {} '{}' ({why})",
                r.rule,
                r.result.as_str(),
                r.resource_name
            );
        }
        out.push('\n');
    }
    if let Some(a) = &report.azure {
        let _ = writeln!(
            out,
            "Azure's own verdicts: {} of {} compared results confirmed, {} disagreement(s)",
            a.confirmed,
            a.compared,
            a.disagreements.len()
        );
        for d in &a.disagreements {
            let _ = writeln!(
                out,
                "  {} on {}: ours {}, {} says {}",
                d.rule,
                d.resource_id,
                d.ours.as_str(),
                d.source,
                d.azure
            );
        }
        out.push('\n');
    }
    files_account(report, &mut out);
    rules_account(report, &mut out);
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{} files, {} resources, {} results: {} passed, {} failed, {} unknown, {} suppressed; {} errors, {} warnings",
        s.files, s.resources, s.results, s.passed, s.failed, s.unknown, s.suppressed, s.errors, s.warnings
    );
    done.push_str(&super::escape_controls(&out));
    done
}

/// What `checkPolicyRestrictions` said of a field, for the fix.
fn field_restriction(f: &crate::entry::FieldRestrictionEntry) -> String {
    let values = match f.result.as_str() {
        "Required" if !f.values.is_empty() => format!("allowed: {}", f.values.join(", ")),
        "Deny" if !f.values.is_empty() => format!("denied: {}", f.values.join(", ")),
        other => other.to_ascii_lowercase(),
    };
    let default = f
        .default_value
        .as_deref()
        .map(|d| format!(", default {d}"))
        .unwrap_or_default();
    let assignment = f.assignment.rsplit('/').next().unwrap_or_default();
    format!(
        "Azure Policy (checkPolicyRestrictions): `{}` {values}{default} ({} by assignment {assignment}{})",
        f.field,
        f.effect,
        if f.reason.is_empty() {
            String::new()
        } else {
            format!(": {}", f.reason)
        }
    )
}

/// What follows a finding's source line: the fix, what Azure Policy allows
/// per field (`--verify-online`), the known issue, how the baseline counts
/// it, and the diff `fix` would apply.
fn result_tail(r: &ResultEntry, out: &mut String) {
    if let Some(fix) = r.fix {
        let _ = writeln!(out, "          fix: {fix}");
    }
    for f in &r.field_restrictions {
        let _ = writeln!(out, "          {}", field_restriction(f));
    }
    if let Some(k) = &r.known_issue {
        let _ = writeln!(
            out,
            "          known issue ({}): {} {}",
            k.id, k.summary, k.url
        );
    }
    if let Some(x) = &r.rollup {
        let _ = writeln!(
            out,
            "          baseline counts it as {}: {}",
            x.result.as_str(),
            x.message
        );
    }
    if let Some(a) = &r.autofix {
        let _ = writeln!(
            out,
            "          `aml-baseline fix` would apply ({}):",
            a.safety
        );
        for line in a.diff.lines() {
            let _ = writeln!(out, "          {line}");
        }
    }
}

/// One line accounting for every file under the scanned paths: entry
/// points, files read as context, and files skipped by reason.
fn files_account(report: &Report, out: &mut String) {
    let count = |role: &str| report.files.iter().filter(|f| f.role == role).count();
    let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
    for f in report.files.iter().filter(|f| f.role == "skipped") {
        let reason = f.reason.as_deref().unwrap_or_default();
        // The reason's kind, before any detail after a colon.
        let kind = reason.split(':').next().unwrap_or(reason);
        *reasons.entry(kind).or_default() += 1;
    }
    let skipped: Vec<String> = reasons.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(
        out,
        "Files: {} entry points, {} read as context, {} skipped{}",
        count("entry"),
        count("context"),
        count("skipped"),
        if skipped.is_empty() {
            String::new()
        } else {
            format!(" ({})", skipped.join(", "))
        }
    );
    for f in &report.files {
        if let Some(note) = &f.note {
            let _ = writeln!(out, "  {}: {note}", f.path);
        }
    }
}

/// One line accounting for the rules: how many ran, and how many (resource,
/// rule) pairs of a type a rule targets gave no result (each with its
/// reason in the JSON report's `resources[].not_applicable`).
fn rules_account(report: &Report, out: &mut String) {
    let not_applicable: usize = report
        .resources
        .iter()
        .map(|r| r.not_applicable.len())
        .sum();
    let assigned = report
        .tool
        .targets
        .iter()
        .filter(|t| t.assignment.is_some())
        .count();
    let _ = writeln!(
        out,
        "Rules: {} ran{}; {} results, {} not applicable to a resource of a type they target (why: --format json, resources[].not_applicable)",
        report.tool.rules.len() + assigned,
        if assigned == 0 {
            String::new()
        } else {
            format!(" ({assigned} of them your assignments' definitions)")
        },
        report.results.len(),
        not_applicable
    );
}

/// The "would be denied by" section: each enforced deny assignment whose
/// condition holds, with the resources Azure would reject.
fn denials(report: &Report, out: &mut String) {
    let denials = report.denials();
    if denials.is_empty() {
        let _ = writeln!(
            out,
            "would be denied by: no assignment (no enforced deny assignment's condition holds)\n"
        );
        return;
    }
    let _ = writeln!(out, "would be denied by:");
    list_by_assignment(&denials, out);
}

/// Each assignment id, then its results' rule, resource and position.
fn list_by_assignment(list: &[(&str, Vec<&ResultEntry>)], out: &mut String) {
    for (assignment, results) in list {
        let _ = writeln!(out, "  {assignment}");
        for r in results {
            let _ = writeln!(
                out,
                "    {} {} '{}' at {}:{}:{}",
                r.rule, r.resource_type, r.resource_name, r.path, r.line, r.column
            );
            if let Some(k) = &r.known_issue {
                let _ = writeln!(out, "      known issue ({}): {} {}", k.id, k.summary, k.url);
            }
        }
    }
    out.push('\n');
}

/// Unknown results an enforced deny would reject if they failed.
fn possible_denials(report: &Report, out: &mut String) {
    let list = report.possible_denials();
    if !list.is_empty() {
        let _ = writeln!(out, "may be denied by (the files do not decide):");
        list_by_assignment(&list, out);
    }
}

/// One screen: every control with its status and feature counts.
fn summary_table(report: &Report, out: &mut String) {
    use crate::baseline::Status;
    let _ = writeln!(out, "{}", report.baseline.baseline);
    let _ = writeln!(out, "{:<6} {:<15} {:<54} features", "", "status", "control");
    for c in &report.baseline.controls {
        let mut counts: Vec<String> = Vec::new();
        for s in [
            Status::Fail,
            Status::Unknown,
            Status::Manual,
            Status::Pass,
            Status::Platform,
            Status::NotApplicable,
        ] {
            let n = c.features.iter().filter(|f| f.status == s).count();
            if n > 0 {
                counts.push(format!("{n} {}", s.as_str().replace('_', " ")));
            }
        }
        let title: String = if c.title.chars().count() > 54 {
            c.title.chars().take(51).collect::<String>() + "..."
        } else {
            c.title.to_string()
        };
        let _ = writeln!(
            out,
            "{:<6} {:<15} {:<54} {}",
            c.id,
            c.status.as_str().replace('_', " "),
            title,
            counts.join(", ")
        );
    }
    out.push('\n');
}

/// The line a result points at, rendered as rustc does,
/// with the value underlined and labelled with what was found.
fn snippet(scan: &ScanOutput, r: &ResultEntry, color: bool) -> Option<String> {
    // A value that spans lines (an object) is shown by its first line.
    let lines = super::source_lines(scan, &r.path, r.line, r.line, 1)?;
    let raw: &str = &lines[0].1;
    // Columns count characters of the raw line; escaping lengthens it.
    let escaped_column = |column: u32| -> u32 {
        let prefix: String = raw
            .chars()
            .take(column.saturating_sub(1) as usize)
            .collect();
        super::escape_controls(&prefix).chars().count() as u32 + 1
    };
    let source_owned = super::escape_controls(raw);
    let source: &str = &source_owned;
    let (column, end_column) = (escaped_column(r.column), escaped_column(r.end_column));
    let byte_at = |column: u32| -> usize {
        source
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map(|(b, _)| b)
            .unwrap_or(source.len())
    };
    let start = byte_at(column);
    let mut end = if r.end_line == r.line {
        byte_at(end_column)
    } else {
        source.len()
    };
    if end <= start {
        // A zero-width or unknown end: underline one character.
        end = source[start..]
            .chars()
            .next()
            .map(|c| start + c.len_utf8())
            .unwrap_or(start);
    }
    let level = if r.result == Verdict::Fail {
        Level::ERROR
    } else {
        Level::WARNING
    };
    let label = super::escape_controls(&format!("found: {}", r.message)).into_owned();
    let report = &[Group::with_level(level).element(
        Snippet::source(source)
            .line_start(r.line as usize)
            .fold(false)
            .annotation(
                AnnotationKind::Primary
                    .span(start..end)
                    .label(label.as_str()),
            ),
    )];
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let text = renderer.render(report);
    Some(text.trim_matches('\n').to_string())
}
