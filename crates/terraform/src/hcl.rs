//! Reading HCL files with `hcl-edit`: one parsed [`Body`] per file, with the
//! byte spans `hcl-edit` records, and a `file:line:col` diagnostic for a file
//! that does not parse (the parser stops at the first error).

use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::source::{FileId, Span};
use hcl_edit::structure::{Block, Body};
use hcl_edit::Span as _;
use std::sync::atomic::{AtomicU64, Ordering};

static PARSES: AtomicU64 = AtomicU64::new(0);

/// How many times this process has parsed a file's text with `hcl-edit`
/// (work counter: each `.tf` file should be parsed once per scan, besides the
/// few read for their module calls first; see `tests/parse_once.rs`).
pub fn parses() -> u64 {
    PARSES.load(Ordering::Relaxed)
}

/// Parses a whole file's text with `hcl-edit`, counted by [`parses`]. The
/// evaluation reads values and spans, never whitespace or comments: the
/// tree's decor stays spans into `text` (the vendored parser's
/// `parse_body_spanned_decor`), not copies of it.
pub fn parse_body(text: &str) -> Result<Body, hcl_edit::parser::Error> {
    PARSES.fetch_add(1, Ordering::Relaxed);
    hcl_edit::parser::parse_body_spanned_decor(text)
}

/// Parses one file. On error, a diagnostic at the position the parser gave.
pub fn parse(file: FileId, text: &str) -> Result<Body, Diagnostic> {
    match parse_body(text) {
        Ok(body) => Ok(body),
        Err(e) => {
            let loc = e.location();
            let offset = loc.offset().min(text.len());
            let message = e
                .message()
                .lines()
                .next()
                .unwrap_or("syntax error")
                .to_string();
            Err(Diagnostic::error(
                "hcl-syntax",
                format!("invalid HCL: {message}"),
                Location::Span(Span::new(file, offset, (offset + 1).min(text.len()))),
            ))
        }
    }
}

/// The span of anything `hcl-edit` positioned, or an empty span at the start.
pub fn span_of(file: FileId, item: &dyn hcl_edit::Span) -> Span {
    match item.span() {
        Some(r) => Span::new(file, r.start, r.end),
        None => Span::new(file, 0, 0),
    }
}

/// The span of a block's header and body.
pub fn block_span(file: FileId, block: &Block) -> Span {
    match block.span() {
        Some(r) => Span::new(file, r.start, r.end),
        None => Span::new(file, 0, 0),
    }
}

/// The source text of a positioned item (for unknown values' expressions).
pub fn text_of<'t>(text: &'t str, item: &dyn hcl_edit::Span) -> &'t str {
    item.span()
        .and_then(|r| text.get(r.start..r.end))
        .map(str::trim)
        .unwrap_or("")
}
