//! The machine-readable JSON report (`--format json`), documented in
//! `docs/json-report.md`.

use crate::Report;

/// Writes the pretty-printed JSON, with a final newline, as it is
/// serialised (a large report is never held as one string).
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

/// Pretty-printed JSON, with a final newline.
pub fn render(report: &Report) -> String {
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
