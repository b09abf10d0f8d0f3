//! The machine-readable JSON report (`--format json`), documented in
//! `docs/json-report.md`.

use crate::report::Report;

/// Pretty-printed JSON, with a final newline.
pub fn render(report: &Report) -> String {
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
