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
    super::written(|out| write(report, out)).unwrap_or_default()
}

/// Writes the XML document, with a final newline: the test cases are made
/// in parallel, a window at a time, and written in order (decision 0049);
/// the document is never held as one string.
pub fn write(report: &Report, sink: &mut dyn std::io::Write) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut sink = std::io::BufWriter::with_capacity(super::stream::WRITE_BUFFER, sink);
    // What is written between the lists of test cases.
    let mut out = String::new();
    let mut cases = |out: &mut String, list: &[&ResultEntry]| -> std::io::Result<()> {
        sink.write_all(out.as_bytes())?;
        out.clear();
        super::stream::texts_in_order(list, |r, case| testcase(r, case), &mut sink)
    };
    let count = |v: Verdict| report.results.iter().filter(|r| kind(r) == Some(v)).count();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
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
        cases(&mut out, &mine)?;
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
        cases(&mut out, &assigned)?;
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
                d.path.to_string()
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
    cases(&mut out, &[])?;
    sink.flush()
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
        let why = match &**why {
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
            attr(&format!(
                "{} {}{}",
                r.resource_type,
                r.resource_name,
                r.live_suffix()
            )),
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
        attr(&format!(
            "{} {}{}",
            r.resource_type,
            r.resource_name,
            r.live_suffix()
        )),
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
            let mut reason = r.message.to_string();
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

pub use aml_model::xml::{attr, text};
