//! JUnit XML (`--format junit`) for a CI system's test tab: one
//! `<testsuite>` per baseline control, one `<testcase>` per (rule, resource)
//! result. A failing result is a `<failure>`, an unknown one `<skipped>`, and
//! a suppressed one (waiver, inline comment, baseline report) `<skipped>` with
//! the reason, so that accepted findings do not fail the CI test tab.

use crate::{Report, ResultEntry};
use aml_rules::evaluate::Verdict;
use std::fmt::Write;

/// The XML document, with a final newline.
pub fn render(report: &Report) -> String {
    let count = |v: Verdict| report.results.iter().filter(|r| kind(r) == Some(v)).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        attr(&format!("{} {}", report.tool.name, report.tool.version)),
        report.results.len(),
        count(Verdict::Fail),
        report.summary.errors,
        count(Verdict::Unknown),
    );
    for control in &report.baseline.controls {
        let mine: Vec<&ResultEntry> = report
            .results
            .iter()
            .filter(|r| r.control == control.id && r.assignment.is_none())
            .collect();
        let n = |v: Verdict| mine.iter().filter(|r| kind(r) == Some(v)).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
            attr(&format!("{} {}", control.id, control.title)),
            mine.len(),
            n(Verdict::Fail),
            n(Verdict::Unknown),
        );
        let _ = writeln!(out, "    <properties>");
        let _ = writeln!(
            out,
            "      <property name=\"status\" value=\"{}\"/>",
            control.status.as_str()
        );
        let _ = writeln!(
            out,
            "      <property name=\"domain\" value=\"{}\"/>",
            attr(control.domain)
        );
        let _ = writeln!(out, "    </properties>");
        for r in mine {
            testcase(r, &mut out);
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    // The results of the user's policy assignments: a suite of their own.
    let assigned: Vec<&ResultEntry> = report
        .results
        .iter()
        .filter(|r| r.assignment.is_some())
        .collect();
    if !assigned.is_empty() {
        let n = |v: Verdict| assigned.iter().filter(|r| kind(r) == Some(v)).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"policy assignments\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
            assigned.len(),
            n(Verdict::Fail),
            n(Verdict::Unknown),
        );
        for r in assigned {
            testcase(r, &mut out);
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    if !report.diagnostics.is_empty() {
        // Input problems are errors of a suite of their own, so a CI test tab
        // shows them instead of a silently shorter list.
        let errors = report.summary.errors;
        let _ = writeln!(
            out,
            "  <testsuite name=\"inputs\" tests=\"{}\" failures=\"0\" errors=\"{errors}\" skipped=\"0\">",
            report.diagnostics.len()
        );
        for d in &report.diagnostics {
            let at = if d.line > 0 {
                format!("{}:{}:{}", d.path, d.line, d.column)
            } else {
                d.path.clone()
            };
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\"",
                attr(d.code),
                attr(&at)
            );
            match d.level {
                aml_model::diagnostics::Level::Error => {
                    let _ = writeln!(
                        out,
                        ">\n      <error message=\"{}\" type=\"{}\">{}</error>\n    </testcase>",
                        attr(&d.message),
                        attr(d.code),
                        text(&format!("{at}: {}", d.message))
                    );
                }
                _ => {
                    let _ = writeln!(
                        out,
                        ">\n      <system-out>{}</system-out>\n    </testcase>",
                        text(&format!("{at}: {}", d.message))
                    );
                }
            }
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

/// How a result counts: pass, fail or unknown (skipped); a suppressed
/// failure or unknown counts as skipped (`Some(Unknown)`).
fn kind(r: &ResultEntry) -> Option<Verdict> {
    match (r.result, &r.suppressed) {
        (Verdict::Pass, _) => Some(Verdict::Pass),
        (_, Some(_)) => Some(Verdict::Unknown),
        (v, None) => Some(v),
    }
}

fn testcase(r: &ResultEntry, out: &mut String) {
    let at = format!("{}:{}:{}", r.path, r.line, r.column);
    if let (Some(why), true) = (&r.suppressed, r.result != Verdict::Pass) {
        let why = match why {
            crate::suppress::Suppression::Waiver {
                justification,
                expires,
                ..
            } => {
                format!("waived until {expires}: {justification}")
            }
            crate::suppress::Suppression::Inline { reason, .. } => {
                format!("suppressed inline: {reason}")
            }
            crate::suppress::Suppression::Baseline { file } => format!("already in {file}"),
        };
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
            attr(r.rule),
            attr(&format!("{} {}", r.resource_type, r.resource_name)),
            attr(&r.path),
            r.line
        );
        let _ = writeln!(
            out,
            ">\n      <skipped message=\"{}\"/>\n      <system-out>{}</system-out>\n    </testcase>",
            attr(&format!("{} ({why})", r.result.as_str())),
            text(&format!("{at}\n{}", r.message))
        );
        return;
    }
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
        attr(r.rule),
        attr(&format!("{} {}", r.resource_type, r.resource_name)),
        attr(&r.path),
        r.line
    );
    match r.result {
        Verdict::Pass => out.push_str("/>\n"),
        Verdict::Fail => {
            let mut body = format!("{at}\n{}", r.message);
            if let Some(a) = &r.assignment {
                let effect = r.effect.as_deref().unwrap_or("?");
                body.push_str(&format!("\nassignment: {a} (effect {effect})"));
                if r.denied {
                    body.push_str("\nthe deployment would be denied");
                }
            }
            if let Some(fix) = r.fix {
                body.push_str(&format!("\nfix: {fix}"));
            }
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                attr(&r.message),
                r.severity,
                text(&body)
            );
        }
        Verdict::Unknown => {
            let mut reason = r.message.clone();
            if !r.deciding.is_empty() {
                reason.push_str(&format!(" (decided by: {})", r.deciding.join(", ")));
            }
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}\"/>\n      <system-out>{}</system-out>\n    </testcase>",
                attr(&format!("unknown: {reason}")),
                text(&format!("{at}\n{reason}"))
            );
        }
    }
}

/// Characters XML 1.0 cannot hold at all become `\u{..}` text, so the
/// document stays well-formed and the reader still sees them.
fn push_clean(c: char, out: &mut String) -> bool {
    let allowed = matches!(c, '\t' | '\n' | '\r')
        || ('\u{20}'..='\u{D7FF}').contains(&c)
        || ('\u{E000}'..='\u{FFFD}').contains(&c)
        || c >= '\u{10000}';
    if !allowed {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    }
    !allowed
}

/// Escapes text content.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if push_clean(c, &mut out) {
            continue;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value (double-quoted); line breaks and tabs are
/// written as character references so parsers keep them.
pub fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if push_clean(c, &mut out) {
            continue;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_control_characters() {
        assert_eq!(attr("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(text("x\u{1b}[31m\u{0}y"), "x\\u{1b}[31m\\u{0}y");
        assert_eq!(attr("l1\nl2"), "l1&#10;l2");
        assert_eq!(text("\u{FFFF}"), "\\u{ffff}");
    }
}
