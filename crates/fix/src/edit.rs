//! Text edits at byte ranges, and the unified diff of their result.

use aml_model::source::FileId;

/// Replace `start..end` of a file's text (as the scan read it, without a
/// byte order mark) with `text`; `start == end` inserts.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TextEdit {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
    pub text: String,
}

impl TextEdit {
    pub fn replace(file: FileId, start: usize, end: usize, text: impl Into<String>) -> TextEdit {
        TextEdit {
            file,
            start,
            end,
            text: text.into(),
        }
    }

    pub fn insert(file: FileId, at: usize, text: impl Into<String>) -> TextEdit {
        TextEdit::replace(file, at, at, text)
    }

    /// True when both touch the same text (two inserts at one place overlap).
    pub fn overlaps(&self, other: &TextEdit) -> bool {
        self.file == other.file
            && if self.start == self.end || other.start == other.end {
                // An insertion overlaps what it falls strictly inside, or another insertion there.
                (self.start == self.end && other.start == other.end && self.start == other.start)
                    || (self.start > other.start && self.start < other.end)
                    || (other.start > self.start && other.start < self.end)
            } else {
                self.start < other.end && other.start < self.end
            }
    }
}

/// Applies sorted, non-overlapping edits.
pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in edits {
        if e.start < at || e.end > text.len() {
            continue;
        }
        out.push_str(&text[at..e.start]);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&text[at..]);
    out
}

/// `text`, which starts at byte `base` of `file`, and the result of `edits`
/// on it (in `text`'s offsets, sorted), both with every secret the model
/// knows masked: by span first, the edits moved onto the masked text, then
/// by value (see `Model::hides_source`; decision 0030).
pub fn masked_change(
    model: &aml_model::model::Model,
    file: FileId,
    text: &str,
    base: usize,
    edits: &[TextEdit],
) -> (String, String) {
    use aml_model::redact::{mask_ranges, masked_offset};
    let ranges = model.secret_spans.local(file, base, text.len());
    let before = mask_ranges(text, &ranges);
    let moved: Vec<TextEdit> = edits
        .iter()
        .map(|e| {
            TextEdit::replace(
                e.file,
                masked_offset(&ranges, e.start, false),
                masked_offset(&ranges, e.end, e.end > e.start),
                e.text.clone(),
            )
        })
        .collect();
    let after = apply(&before, &moved);
    (
        model.mask_values(file, &before),
        model.mask_values(file, &after),
    )
}

/// The unified diff of a file's change, three lines of context.
pub fn unified_diff(display: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&side("a", display), &side("b", display))
        .to_string()
}

/// `a/path` for a relative path, the path itself for an absolute one.
fn side(prefix: &str, display: &str) -> String {
    if display.starts_with('/') || display.get(1..3) == Some(":/") {
        display.to_string()
    } else {
        format!("{prefix}/{display}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_replacements_and_insertions_in_order() {
        let f = FileId(0);
        let edits = vec![
            TextEdit::replace(f, 0, 1, "A"),
            TextEdit::insert(f, 3, "+"),
            TextEdit::replace(f, 3, 4, "D"),
        ];
        assert_eq!(apply("abcd", &edits), "Abc+D");
    }

    #[test]
    fn insertions_at_one_place_overlap() {
        let f = FileId(0);
        assert!(TextEdit::insert(f, 2, "x").overlaps(&TextEdit::insert(f, 2, "y")));
        assert!(!TextEdit::insert(f, 2, "x").overlaps(&TextEdit::replace(f, 0, 2, "y")));
        assert!(TextEdit::insert(f, 1, "x").overlaps(&TextEdit::replace(f, 0, 2, "y")));
    }

    #[test]
    fn diff_has_headers() {
        let d = unified_diff("a.json", "x\ny\n", "x\nz\n");
        assert!(d.contains("--- a/a.json"), "{d}");
        assert!(d.contains("-y\n+z"), "{d}");
    }
}
