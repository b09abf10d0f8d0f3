//! The machine-readable JSON report (`--format json`), documented in
//! `docs/json-report.md`.

use super::stream::{Layout, Object};
use crate::Report;

/// Writes the pretty-printed JSON, with a final newline, as it is
/// serialised: the bytes of `serde_json::to_writer_pretty(report)`, but the
/// resources and results are serialised in parallel, a window at a time,
/// and written in order (decision 0049); a large report is never held as
/// one string. The serialiser's many small writes go to buffers of its own,
/// not through `dyn Write` (decision 0044).
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut buffered = std::io::BufWriter::with_capacity(super::stream::WRITE_BUFFER, out);
    write_members(report, &mut buffered)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

/// The report's members in the order of its `Serialize` derive (a test
/// compares the two).
fn write_members(report: &Report, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut o = Object::begin(out, Layout::Pretty(0))?;
    o.field("schema_version", &report.schema_version)?;
    o.field("tool", &report.tool)?;
    o.field("files", &report.files)?;
    // Each in parallel (a large scan has thousands), in order.
    o.items_pretty_by(
        "diagnostics",
        &report.diagnostics,
        super::json_result::write_diagnostic,
    )?;
    o.items_pretty_by(
        "resources",
        &report.resources,
        super::json_result::write_resource,
    )?;
    o.items_pretty_by("results", &report.results, super::json_result::write)?;
    o.member("baseline", |out, layout| {
        super::json_baseline::write(out, layout, &report.baseline)
    })?;
    o.field("summary", &report.summary)?;
    if let Some(azure) = &report.azure {
        o.field("azure", azure)?;
    }
    o.end()
}

/// Pretty-printed JSON, with a final newline.
pub fn render(report: &Report) -> String {
    super::written(|out| write(report, out)).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}\n"))
}
