//! Renderers: pure functions from a [`Report`] (and the scanned sources, for
//! snippets) to text. They never evaluate anything; `docs/formats.md`
//! describes each format.

pub mod csv;
pub mod html;
pub mod json;
mod json_baseline;
mod json_result;
pub mod junit;
pub mod listing;
pub mod markdown;
pub mod model;
pub mod oscal;
pub mod plan;
pub mod sarif;
mod stream;
pub mod text;

use crate::Report;
use aml_model::input::ScanOutput;

/// The formats `scan --format` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// The terminal report (controls table, findings with source snippets, summary).
    Text,
    /// The JSON report (`docs/json-report.md`).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML, for a CI system's test tab.
    Junit,
    /// A compact Markdown summary for a pull-request comment.
    Markdown,
    /// One CSV row per result.
    Csv,
    /// One self-contained HTML page for an auditor.
    Html,
    /// NIST OSCAL 1.1.3 assessment results (JSON), for compliance tools.
    Oscal,
}

impl OutputFormat {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [OutputFormat; 8] = [
        OutputFormat::Text,
        OutputFormat::Json,
        OutputFormat::Sarif,
        OutputFormat::Junit,
        OutputFormat::Markdown,
        OutputFormat::Csv,
        OutputFormat::Html,
        OutputFormat::Oscal,
    ];

    /// The format named `name` (as `--format` takes it).
    pub fn from_name(name: &str) -> Option<OutputFormat> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether the format shows the fixes planned for failing results (the
    /// text report's diffs, JSON `autofix`, SARIF `fixes`).
    pub fn shows_autofix(self) -> bool {
        matches!(
            self,
            OutputFormat::Text | OutputFormat::Json | OutputFormat::Sarif | OutputFormat::Oscal
        )
    }

    /// What the format is, in one line (`--help` shows it).
    pub fn description(self) -> &'static str {
        match self {
            OutputFormat::Text => {
                "The terminal report (controls table, findings with source snippets, summary)"
            }
            OutputFormat::Json => "The JSON report (`docs/json-report.md`)",
            OutputFormat::Sarif => "SARIF 2.1.0, for GitHub code scanning and other SARIF viewers",
            OutputFormat::Junit => "JUnit XML, for a CI system's test tab",
            OutputFormat::Markdown => "A compact Markdown summary for a pull-request comment",
            OutputFormat::Csv => "One CSV row per result",
            OutputFormat::Html => "One self-contained HTML page for an auditor",
            OutputFormat::Oscal => {
                "NIST OSCAL 1.1.3 assessment results (JSON), referencing `baseline --format oscal-catalog`"
            }
        }
    }

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Text => "text",
            OutputFormat::Json => "json",
            OutputFormat::Sarif => "sarif",
            OutputFormat::Junit => "junit",
            OutputFormat::Markdown => "markdown",
            OutputFormat::Csv => "csv",
            OutputFormat::Html => "html",
            OutputFormat::Oscal => "oscal",
        }
    }
}

/// Settings that change how a report is shown, never what it says.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// ANSI colour in the text format (a terminal without `NO_COLOR`).
    pub color: bool,
    /// Base URL that repository-relative paths are appended to for links:
    /// rule pages (`docs/rules/ID.md`) in SARIF `helpUri`, and file links
    /// in Markdown. Without it, SARIF has no `helpUri` and Markdown shows
    /// `path:line` as code.
    pub link_base: Option<String>,
    /// Base URL of the tool's own repository for rule pages, when different
    /// from `link_base` (which points at the scanned repository).
    pub rule_docs_base: Option<String>,
}

impl RenderOptions {
    /// The URL of a rule's documentation page, when a base is known.
    pub fn rule_doc_url(&self, rule: &str) -> Option<String> {
        self.rule_docs_base
            .as_deref()
            .map(|base| join_url(base, &format!("docs/rules/{rule}.md")))
    }

    /// A link to `path` at `line` in the scanned repository, when a base is known.
    pub fn file_url(&self, path: &str, line: u32) -> Option<String> {
        let base = self.link_base.as_deref()?;
        if path.starts_with('/') || path.contains(':') {
            return None;
        }
        let mut url = join_url(base, &percent_encode_path(path));
        if line > 0 {
            url.push_str(&format!("#L{line}"));
        }
        Some(url)
    }
}

fn join_url(base: &str, rel: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        rel.trim_start_matches('/')
    )
}

/// Percent-encodes what is not safe in a URI path: everything but
/// unreserved characters and `/`.
pub fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether `c` must not reach a terminal or a spreadsheet raw: control
/// characters (ESC starts terminal escape sequences) but newline and tab,
/// bidirectional formatting characters (U+202E RIGHT-TO-LEFT OVERRIDE and
/// the isolates U+2066-U+2069 reorder what a reader sees, "Trojan Source"),
/// and the line and paragraph separators.
pub fn is_unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// `s` with every [`is_unsafe_char`] written as `\u{..}` (its code point in
/// hex), so it is seen and never acted upon; the text and Markdown reports
/// and CSV cells go through it.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Renders `report` in `format`. `scan` must be the scan the report was
/// built from: the text and HTML formats quote source lines from it (never
/// a line holding a secret).
pub fn render(
    format: OutputFormat,
    report: &Report,
    scan: &ScanOutput,
    options: &RenderOptions,
) -> String {
    match format {
        OutputFormat::Text => text::render_with(report, Some(scan), options.color),
        OutputFormat::Json => json::render(report),
        OutputFormat::Sarif => sarif::render(report, options),
        OutputFormat::Junit => junit::render(report),
        OutputFormat::Markdown => markdown::render(report, options),
        OutputFormat::Csv => csv::render(report),
        OutputFormat::Html => html::render(report, scan),
        OutputFormat::Oscal => oscal::render(report, scan),
    }
}

/// Renders a finished pipeline run.
pub fn render_run(format: OutputFormat, run: &crate::Run, options: &RenderOptions) -> String {
    render(format, &run.report, &run.scan, options)
}

/// Writes a finished pipeline run to `out`: the JSON report, SARIF, OSCAL,
/// CSV, JUnit and HTML are streamed (their entries made in parallel and
/// written in order, never held whole); the text and Markdown reports are
/// rendered, then written.
pub fn write_run(
    format: OutputFormat,
    run: &crate::Run,
    options: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        OutputFormat::Json => json::write(&run.report, out),
        OutputFormat::Sarif => sarif::write(&run.report, options, out),
        OutputFormat::Csv => csv::write(&run.report, out),
        OutputFormat::Oscal => oscal::write(&run.report, &run.scan, out),
        OutputFormat::Junit => junit::write(&run.report, out),
        OutputFormat::Html => html::write(&run.report, &run.scan, out),
        _ => out.write_all(render_run(format, run, options).as_bytes()),
    }
}

/// Lines `first..=last` (1-based) of the file a report path names, each with
/// its number; `None` when the file is not in the scan, the range is empty
/// or longer than `max`, or any line holds a secret (snippets never show one).
pub(crate) fn source_lines(
    scan: &ScanOutput,
    path: &str,
    first: u32,
    last: u32,
    max: u32,
) -> Option<Vec<(u32, String)>> {
    if first == 0 || last < first || last - first >= max {
        return None;
    }
    let id = scan.sources.find_display(path)?;
    let file = scan.sources.get(id);
    let lines: Vec<(u32, String)> = (first..=last).map(|n| (n, file.line_text(n))).collect();
    // A secret is found by where it is written, whatever its spelling, and
    // by value where that is not known (decision 0030).
    let hidden = |n: u32, l: &str| {
        let (start, _) = file.line_span(n);
        scan.model.hides_source(id, l, start)
    };
    if lines.iter().any(|(n, l)| hidden(*n, l)) {
        return None;
    }
    Some(lines)
}

/// What a renderer's `write` writes, as a string (the renderers' `render`).
pub(crate) fn written(
    write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
) -> std::io::Result<String> {
    let mut out = Vec::new();
    write(&mut out)?;
    Ok(String::from_utf8(out).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_characters_are_escaped() {
        assert_eq!(
            escape_controls("a\u{1b}[31mb\u{202e}c\u{2066}d\te\nf\r\u{7f}"),
            "a\\u{1b}[31mb\\u{202e}c\\u{2066}d\te\nf\\u{d}\\u{7f}"
        );
        assert!(matches!(
            escape_controls("plain é"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn file_links_are_encoded_and_only_for_relative_paths() {
        let o = RenderOptions {
            link_base: Some("https://example.test/r/blob/abc/".into()),
            ..Default::default()
        };
        assert_eq!(
            o.file_url("infra/my file#1.json", 7).unwrap(),
            "https://example.test/r/blob/abc/infra/my%20file%231.json#L7"
        );
        assert!(o.file_url("/abs/x.json", 1).is_none());
        assert!(RenderOptions::default().file_url("a.json", 1).is_none());
    }
}
