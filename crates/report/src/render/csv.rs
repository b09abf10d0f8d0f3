//! CSV (`--format csv`): one row per result, passes included, with a header.
//! Fields are quoted as RFC 4180 says; a field a spreadsheet would run as a
//! formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a
//! leading `'`. Control and bidirectional characters are written as
//! `\u{..}` (newlines, inside quotes, and tabs stay).

use crate::{Report, ResultEntry};

/// The columns, in order.
pub const HEADER: [&str; 17] = [
    "rule",
    "policy",
    "control",
    "feature",
    "result",
    "severity",
    "resource_id",
    "resource_type",
    "resource_name",
    "path",
    "line",
    "column",
    "message",
    "fix",
    "effect",
    "assignment",
    "source",
];

/// The CSV text (CRLF line ends, as RFC 4180 gives them).
pub fn render(report: &Report) -> String {
    super::written(|out| write(report, out)).unwrap_or_default()
}

/// Writes the CSV text: the rows are made in parallel, a window at a time,
/// and written in order (decision 0049).
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut buffered = std::io::BufWriter::with_capacity(super::stream::WRITE_BUFFER, out);
    let mut header = String::new();
    row(&mut header, HEADER.iter().map(|h| h.to_string()));
    buffered.write_all(header.as_bytes())?;
    let each = |r: &ResultEntry, line: &mut String| row(line, fields(r).into_iter());
    super::stream::texts_in_order(&report.results, each, &mut buffered)?;
    buffered.flush()
}

/// A result's cells, in the order of [`HEADER`].
fn fields(r: &ResultEntry) -> [String; 17] {
    [
        r.rule.to_string(),
        r.policy.unwrap_or_default().to_string(),
        r.control.to_string(),
        r.feature.unwrap_or_default().to_string(),
        r.result.as_str().to_string(),
        r.severity.to_string(),
        r.resource_id.to_string(),
        r.resource_type.to_string(),
        r.resource_name.to_string(),
        r.path.to_string(),
        r.line.to_string(),
        r.column.to_string(),
        r.message.to_string(),
        r.fix.unwrap_or_default().to_string(),
        r.effect.as_deref().unwrap_or_default().to_string(),
        r.assignment.as_deref().unwrap_or_default().to_string(),
        r.source.to_string(),
    ]
}

fn row(out: &mut String, fields: impl Iterator<Item = String>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field(&f));
    }
    out.push_str("\r\n");
}

/// One field, quoted when it must be and defused against formula injection.
pub fn field(value: &str) -> String {
    let mut v = super::escape_controls(value).into_owned();
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        v.insert(0, '\'');
    }
    if v.contains([',', '"', '\n', '\r']) || v.starts_with(' ') || v.ends_with(' ') {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("-1,2"), "\"'-1,2\"");
    }
}
