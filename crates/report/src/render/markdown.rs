//! Markdown (`--format markdown`): a compact pull-request comment. A table of
//! the baseline's controls with status icons, then the failing and unknown
//! results grouped by control. The whole comment stays under
//! [`MAX_CHARS`] however large the scan: what does not fit is counted.

use super::RenderOptions;
use crate::baseline::Status;
use crate::{Report, ResultEntry};
use aml_rules::controls;
use aml_rules::evaluate::Verdict;
use std::collections::BTreeMap;
use std::fmt::Write;

/// GitHub's limit on a comment is 65,536 characters; keep a margin.
pub const MAX_CHARS: usize = 65_000;

/// The icon of a status.
pub fn icon(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅",
        Status::Fail => "❌",
        Status::Unknown => "❔",
        Status::Manual => "📝",
        Status::Platform => "☁️",
        Status::NotApplicable => "➖",
    }
}

/// The comment, at most [`MAX_CHARS`] characters.
pub fn render(report: &Report, options: &RenderOptions) -> String {
    render_limited(report, options, MAX_CHARS)
}

/// The comment with control and bidirectional characters escaped
/// ([`super::escape_controls`]).
fn finish(text: String) -> String {
    super::escape_controls(&text).into_owned()
}

/// The comment, at most `limit` characters (counted as Unicode scalar values).
pub fn render_limited(report: &Report, options: &RenderOptions, limit: usize) -> String {
    let s = &report.summary;
    let mut head = String::new();
    let _ = writeln!(head, "## aml-baseline: {}\n", esc(report.baseline.baseline));
    let _ = writeln!(
        head,
        "**{} failed**, {} unknown, {} passed: {} results on {} resources in {} files; {} errors, {} warnings.\n",
        s.failed, s.unknown, s.passed, s.results, s.resources, s.files, s.errors, s.warnings
    );
    let _ = writeln!(head, "| | Control | Status | Features |");
    let _ = writeln!(head, "|---|---|---|---|");
    for c in &report.baseline.controls {
        let mut counts = Vec::new();
        for st in [
            Status::Fail,
            Status::Unknown,
            Status::Manual,
            Status::Pass,
            Status::Platform,
            Status::NotApplicable,
        ] {
            let n = c.features.iter().filter(|f| f.status == st).count();
            if n > 0 {
                counts.push(format!("{} {n}", icon(st)));
            }
        }
        let _ = writeln!(
            head,
            "| {} | **{}** {} | {} | {} |",
            icon(c.status),
            c.id,
            esc(c.title),
            c.status.as_str().replace('_', " "),
            counts.join(" ")
        );
    }
    head.push('\n');
    if report.has_assignments() {
        denials(report, &mut head);
        possible_denials(report, &mut head);
    }

    // Findings by control, in baseline order; failures before unknowns.
    let mut by_control: BTreeMap<(usize, &str), Vec<&ResultEntry>> = BTreeMap::new();
    for r in report.results.iter().filter(|r| r.result != Verdict::Pass) {
        by_control
            .entry((controls::order(r.control), r.control))
            .or_default()
            .push(r);
    }
    for list in by_control.values_mut() {
        list.sort_by_key(|r| r.result != Verdict::Fail);
    }
    let total: usize = by_control.values().map(Vec::len).sum();

    let mut out = finish(head);
    let mut used = out.chars().count();
    // Room for the truncation line and the footer.
    let reserve = 200;
    let mut shown = 0usize;
    let mut truncated = false;
    'outer: for ((_, control), list) in &by_control {
        let heading = format!("### {control} {}\n\n", esc(controls::title(control)));
        let heading_len = heading.chars().count();
        let mut first = true;
        for r in list {
            let item = finish(item(r, options));
            let extra = item.chars().count() + if first { heading_len } else { 0 };
            if used + extra + reserve > limit {
                truncated = true;
                break 'outer;
            }
            if first {
                out.push_str(&heading);
                first = false;
            }
            out.push_str(&item);
            used += extra;
            shown += 1;
        }
        if !first {
            out.push('\n');
            used += 1;
        }
    }
    if truncated {
        let _ = writeln!(
            out,
            "\n… and {} more failing or unknown results (see the full report: `--format html` or `--format sarif`).",
            total - shown
        );
    }
    let _ = writeln!(
        out,
        "\n<sub>{} {}</sub>",
        report.tool.name, report.tool.version
    );
    // The head alone (a table of a dozen controls) is far under any sane
    // limit; cut hard at a character boundary if a caller asks for less.
    if out.chars().count() > limit {
        out = out.chars().take(limit).collect();
    }
    out
}

/// Most resources listed under "would be denied by" (the comment stays short).
const MAX_DENIALS: usize = 50;

/// The "would be denied by" section.
fn denials(report: &Report, out: &mut String) {
    let denials = report.denials();
    if denials.is_empty() {
        out.push_str("**Would be denied by:** no assignment (no enforced deny assignment's condition holds).\n\n");
        return;
    }
    out.push_str("### Would be denied by\n\n");
    list_by_assignment(&denials, out);
}

/// The "may be denied by" section: unknown results of enforced denies.
fn possible_denials(report: &Report, out: &mut String) {
    let list = report.possible_denials();
    if !list.is_empty() {
        out.push_str("### May be denied by (the files do not decide)\n\n");
        list_by_assignment(&list, out);
    }
}

/// Each assignment id and its results, at most [`MAX_DENIALS`] of them.
fn list_by_assignment(list: &[(&str, Vec<&ResultEntry>)], out: &mut String) {
    let mut listed = 0;
    let total: usize = list.iter().map(|(_, l)| l.len()).sum();
    for (assignment, results) in list {
        let _ = writeln!(out, "- {}", code(assignment));
        for r in results {
            if listed == MAX_DENIALS {
                break;
            }
            listed += 1;
            let _ = writeln!(
                out,
                "  - {} {} {} at {}",
                code(r.rule),
                esc(&r.resource_type),
                code(&r.resource_name),
                code(&format!("{}:{}", r.path, r.line))
            );
            if let Some(k) = &r.known_issue {
                let _ = writeln!(
                    out,
                    "    - Known issue ([{}]({})): {}",
                    esc(k.id),
                    k.url,
                    esc(k.summary)
                );
            }
        }
    }
    if listed < total {
        let _ = writeln!(out, "- … and {} more", total - listed);
    }
    out.push('\n');
}

fn item(r: &ResultEntry, options: &RenderOptions) -> String {
    let mark = if r.result == Verdict::Fail {
        "❌"
    } else {
        "❔"
    };
    let at = format!("{}:{}", r.path, r.line);
    let link = match options.file_url(&r.path, r.line) {
        Some(url) => format!("[{}]({url})", esc(&at)),
        None => code(&at),
    };
    let mut s = format!(
        "- {mark} **{}** ({}) {} {}{} at {link}: {}\n",
        r.rule,
        r.severity,
        code(&r.resource_type),
        code(&r.resource_name),
        esc(&r.live_suffix()),
        esc(&r.message)
    );
    if let Some(fix) = r.fix {
        // Fixes are the tool's own Markdown (code in backticks), not input.
        let fix: String = fix
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let _ = writeln!(s, "  - Fix: {fix}");
    }
    // What Azure Policy allows per field (`--verify-online`): Azure's text, so quoted.
    for f in &r.field_restrictions {
        let values: Vec<String> = f.values.iter().map(|v| code(v)).collect();
        let assignment = f.assignment.rsplit('/').next().unwrap_or_default();
        let _ = writeln!(
            s,
            "  - Azure Policy (checkPolicyRestrictions): {} {} {} ({} by assignment {})",
            code(&f.field),
            esc(&f.result),
            values.join(", "),
            esc(&f.effect),
            code(assignment)
        );
    }
    if let Some(k) = &r.known_issue {
        let _ = writeln!(
            s,
            "  - Known issue ([{}]({})): {}",
            esc(k.id),
            k.url,
            esc(k.summary)
        );
    }
    if let Some(x) = &r.rollup {
        let _ = writeln!(
            s,
            "  - Baseline counts it as {}: {}",
            x.result.as_str(),
            esc(&x.message)
        );
    }
    s
}

/// Inline code that any text fits in: the fence is one backtick longer than
/// the longest run inside; line breaks become spaces.
fn code(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Escapes Markdown and HTML in running text and keeps it on one line.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_backticks_and_escaping_neutralises_markup() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(esc("<img src=x> | *b*"), "&lt;img src=x&gt; \\| \\*b\\*");
        assert_eq!(esc("a\nb"), "a b");
    }
}
