//! Suppressions: the ways a team accepts a finding without fixing it, each
//! visible in every report.
//!
//! - **Waivers** in `aml-baseline.toml` (`[[waiver]]`): a rule, a resource
//!   (id, name or glob), a justification, an expiry date and an optional
//!   ticket. An expired waiver stops waiving and is reported; a waiver that
//!   matches nothing is reported, so that old exceptions do not pile up.
//! - **Inline suppressions**: `// aml-baseline-ignore RULE: reason` (JSON
//!   with comments, Bicep) or `# aml-baseline-ignore RULE: reason` (HCL,
//!   YAML) on the resource's first line, on the line of the finding, or in
//!   the comment lines directly above either. A reason is required.
//! - **A baseline report** (`--baseline FILE`, a previous JSON report):
//!   results already failing or unknown there are not new and do not count.
//!
//! A suppressed result keeps its verdict and says why it is suppressed; it
//! no longer counts towards the exit code.

use crate::config::{Date, Waiver};
use crate::ResultEntry;
use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::source::SourceMap;
use aml_rules::evaluate::Verdict;
use std::collections::HashSet;

pub use crate::entry::Suppression;

/// The marker of an inline suppression.
pub const INLINE_MARKER: &str = aml_model::source::INLINE_MARKER;

/// Applies waivers (those not expired on `today`) to the results; returns
/// diagnostics for expired waivers and waivers that matched nothing.
pub fn apply_waivers(
    results: &mut [ResultEntry],
    waivers: &[Waiver],
    today: Date,
    config_path: &str,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (i, w) in waivers.iter().enumerate() {
        let location = Location::Position {
            path: config_path.to_string(),
            line: w.line,
            column: 1,
        };
        let Some(rule) = aml_rules::find(&w.rule) else {
            diagnostics.push(Diagnostic::warning(
                "waiver-unmatched",
                format!(
                    "waiver {} names rule '{}', which does not exist",
                    i + 1,
                    w.rule
                ),
                location,
            ));
            continue;
        };
        let matcher =
            globset::Glob::new(&w.resource.to_ascii_lowercase()).map(|g| g.compile_matcher());
        let matches = |r: &ResultEntry| {
            r.rule == rule.id
                && (r.resource_id.eq_ignore_ascii_case(&w.resource)
                    || r.resource_name.eq_ignore_ascii_case(&w.resource)
                    || matcher.as_ref().is_ok_and(|m| {
                        m.is_match(r.resource_id.to_ascii_lowercase())
                            || m.is_match(r.resource_name.to_ascii_lowercase())
                    }))
        };
        let expired = w.expires < today;
        let mut matched = 0;
        for r in results.iter_mut().filter(|r| matches(r)) {
            matched += 1;
            if !expired && r.result != Verdict::Pass && r.suppressed.is_none() {
                r.suppressed = Some(Box::new(Suppression::Waiver {
                    justification: w.justification.clone(),
                    expires: w.expires.to_string(),
                    ticket: w.ticket.clone(),
                }));
            }
        }
        if expired {
            diagnostics.push(Diagnostic::warning(
                "waiver-expired",
                format!(
                    "the waiver of {} for '{}' expired on {}; it no longer waives anything",
                    rule.id, w.resource, w.expires
                ),
                location,
            ));
        } else if matched == 0 {
            diagnostics.push(Diagnostic::warning(
                "waiver-unmatched",
                format!(
                    "the waiver of {} for '{}' matches no result; remove it",
                    rule.id, w.resource
                ),
                location,
            ));
        }
    }
    diagnostics
}

/// One inline suppression comment found in a source line.
#[derive(Debug, PartialEq, Eq)]
struct Inline<'a> {
    rule: &'a str,
    reason: &'a str,
}

/// Parses `// aml-baseline-ignore RULE: reason` or `# ...` from one line.
fn parse_inline(line: &str) -> Option<Result<Inline<'_>, String>> {
    // One searcher for every line (`str::find` builds one a call).
    static MARKER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(INLINE_MARKER));
    let idx = MARKER.find(line.as_bytes())?;
    let before = line[..idx].trim_end();
    if !(before.ends_with("//") || before.ends_with('#') || before.ends_with("/*")) {
        return None;
    }
    let rest = line[idx + INLINE_MARKER.len()..].trim();
    let rest = rest.trim_end_matches("*/").trim();
    let (rule, reason) = match rest.split_once(':') {
        Some((rule, reason)) => (rule.trim(), reason.trim()),
        None => (rest.split_whitespace().next().unwrap_or(""), ""),
    };
    if rule.is_empty() {
        return Some(Err("an inline suppression needs a rule id".into()));
    }
    if reason.is_empty() {
        return Some(Err(format!(
            "the inline suppression of {rule} has no reason; write `{INLINE_MARKER} {rule}: why it is accepted`"
        )));
    }
    Some(Ok(Inline { rule, reason }))
}

/// The lines an inline suppression may stand on for a result: the line of
/// the finding and the resource's first line, each with the comment lines
/// directly above it.
fn candidate_lines(file: &aml_model::source::SourceFile, lines: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    for &line in lines {
        if line == 0 {
            continue;
        }
        out.push(line);
        let mut above = line - 1;
        while above >= 1 {
            let line_text = file.line_text(above);
            let text = line_text.trim_start();
            if text.starts_with("//")
                || text.starts_with('#')
                || text.starts_with("/*")
                || text.starts_with('*')
            {
                out.push(above);
                above -= 1;
            } else {
                break;
            }
        }
    }
    out
}

/// Applies inline suppressions found in the scanned sources. `resources`
/// (the report's, by `resource_index`) gives the line where each result's
/// resource is declared.
pub fn apply_inline(
    results: &mut [ResultEntry],
    resources: &[crate::entry::ResourceEntry],
    sources: &SourceMap,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut reported: aml_model::FastSet<(String, u32)> = Default::default();
    // Files by displayed path, and only those holding a suppression at all:
    // looking each result's file up (and searching its lines) must not cost
    // a pass over every file or every long line, nor reading every file
    // again (the scan noted which hold the marker).
    let mut marked: aml_model::FastMap<&str, bool> = Default::default();
    for (_, f) in sources.files() {
        marked
            .entry(f.display.as_str())
            .or_insert_with(|| f.holds_inline_marker());
    }
    if !marked.values().any(|m| *m) {
        return diagnostics;
    }
    for r in results.iter_mut() {
        let Some(resource) = resources.get(r.resource_index as usize) else {
            continue;
        };
        let (res_path, res_line) = (&resource.path, resource.line);
        let Some(file) = sources
            .by_display(&r.path)
            .or_else(|| sources.by_display(res_path))
        else {
            continue;
        };
        if !marked.get(file.display.as_str()).copied().unwrap_or(false) {
            continue;
        }
        let mut lines = vec![r.line];
        if *res_path == r.path {
            lines.push(res_line);
        }
        for line in candidate_lines(file, &lines) {
            match parse_inline(&file.line_text(line)) {
                Some(Ok(inline)) => {
                    let names_this =
                        aml_rules::find(inline.rule).is_some_and(|rule| rule.id == r.rule);
                    if names_this && r.result != Verdict::Pass && r.suppressed.is_none() {
                        r.suppressed = Some(Box::new(Suppression::Inline {
                            reason: inline.reason.to_string(),
                            path: file.display.clone(),
                            line,
                        }));
                    }
                }
                Some(Err(message)) if reported.insert((file.display.clone(), line)) => {
                    diagnostics.push(Diagnostic::warning(
                        "suppression",
                        message,
                        Location::Position {
                            path: file.display.clone(),
                            line,
                            column: 1,
                        },
                    ));
                }
                Some(Err(_)) => {}
                None => {}
            }
        }
    }
    diagnostics
}

/// A result's identity across runs: rule and resource, not the line.
fn fingerprint(rule: &str, resource_id: &str) -> String {
    format!(
        "{}|{}",
        rule.to_ascii_lowercase(),
        resource_id.to_ascii_lowercase()
    )
}

/// Marks results that already failed (or were unknown) in a previous JSON
/// report as not new. Returns a diagnostic when the file cannot be used.
pub fn apply_baseline(
    results: &mut [ResultEntry],
    baseline_path: &std::path::Path,
) -> Option<Diagnostic> {
    let display = aml_model::source::display_path(baseline_path);
    let error = |m: String| {
        Some(Diagnostic::error(
            "baseline-file",
            m,
            Location::Path(display.clone()),
        ))
    };
    let text = match std::fs::read_to_string(baseline_path) {
        Ok(t) => t,
        Err(e) => return error(format!("the baseline report could not be read: {e}")),
    };
    let json: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return error(format!("the baseline report is not JSON: {e}")),
    };
    let Some(previous) = json.get("results").and_then(|r| r.as_array()) else {
        return error("the baseline file is not an aml-baseline JSON report (no `results`)".into());
    };
    let known: HashSet<String> = previous
        .iter()
        .filter(|r| r.get("result").and_then(|v| v.as_str()) != Some("pass"))
        .filter_map(|r| {
            Some(fingerprint(
                r.get("rule")?.as_str()?,
                r.get("resource_id")?.as_str()?,
            ))
        })
        .collect();
    for r in results.iter_mut() {
        if r.result != Verdict::Pass
            && r.suppressed.is_none()
            && known.contains(&fingerprint(r.rule, &r.resource_id))
        {
            r.suppressed = Some(Box::new(Suppression::Baseline {
                file: display.clone(),
            }));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_comments_need_a_rule_and_a_reason() {
        assert_eq!(
            parse_inline(
                "  // aml-baseline-ignore AMLB-POL-438c38d2: public by design, behind Front Door"
            ),
            Some(Ok(Inline {
                rule: "AMLB-POL-438c38d2",
                reason: "public by design, behind Front Door"
            }))
        );
        assert_eq!(
            parse_inline("# aml-baseline-ignore 438c38d2: lab subscription")
                .unwrap()
                .unwrap()
                .rule,
            "438c38d2"
        );
        assert!(parse_inline("// aml-baseline-ignore AMLB-POL-438c38d2")
            .unwrap()
            .is_err());
        assert!(parse_inline("// aml-baseline-ignore").unwrap().is_err());
        // Not in a comment: a string that happens to contain the marker.
        assert_eq!(
            parse_inline(r#""description": "aml-baseline-ignore X: y""#),
            None
        );
        assert_eq!(parse_inline("no marker here"), None);
    }
}
