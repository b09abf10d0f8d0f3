//! The machine-readable JSON report (`--format json`), documented in
//! `docs/json-report.md`.

use crate::Report;

/// Writes the pretty-printed JSON, with a final newline, as it is
/// serialised (a large report is never held as one string). The
/// serialiser's many small writes (a token, an indent) go to a buffer of
/// its own, whose writes are not calls through `dyn Write` (decision 0044).
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut buffered, report)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

/// Pretty-printed JSON, with a final newline.
pub fn render(report: &Report) -> String {
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
