//! Redaction. Secrets are hidden two ways (decision 0030):
//!
//! - by **source span** ([`SecretSpans`]): the byte ranges of the files where
//!   a secret is written, whatever its spelling (escapes, blocks, pieces of a
//!   `concat`), masked in snippets and diffs;
//! - by **value** ([`Redactor`]): every decoded secret replaced by `***` in
//!   text built from values (messages, ids, names, the model), and in source
//!   text only for values whose written form has no recorded span. One
//!   multi-pattern search per text however many secrets a scan finds.

use crate::source::{FileId, Span};
use aho_corasick::AhoCorasick;
use std::borrow::Cow;
use std::collections::HashMap;

/// What replaces a secret.
pub const MASK: &str = "***";

/// Finds and masks a set of secret values.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// `None` when there is nothing to hide.
    matcher: Option<AhoCorasick>,
    /// The secrets, searched one by one, should the automaton not build.
    fallback: Vec<String>,
}

impl Redactor {
    /// A redactor for `secrets` (empty strings are ignored).
    pub fn new<S: AsRef<str>>(secrets: &[S]) -> Redactor {
        let patterns: Vec<&str> = secrets
            .iter()
            .map(AsRef::as_ref)
            .filter(|s| !s.is_empty())
            .collect();
        if patterns.is_empty() {
            return Redactor::default();
        }
        match AhoCorasick::new(&patterns) {
            Ok(matcher) => Redactor {
                matcher: Some(matcher),
                fallback: Vec::new(),
            },
            // Past the automaton's size limits: slower, never less safe.
            Err(_) => Redactor {
                matcher: None,
                fallback: patterns.iter().map(|s| s.to_string()).collect(),
            },
        }
    }

    /// `text` with every occurrence of every secret masked. Overlapping
    /// secrets are masked as one span, so no part of either shows.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut found: Vec<(usize, usize)> = match &self.matcher {
            Some(m) => m
                .find_overlapping_iter(text)
                .map(|m| (m.start(), m.end()))
                .collect(),
            None => self
                .fallback
                .iter()
                .flat_map(|s| {
                    text.match_indices(s.as_str())
                        .map(|(i, m)| (i, i + m.len()))
                })
                .collect(),
        };
        found.sort_unstable();
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for (start, end) in found {
            match spans.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => spans.push((start, end)),
            }
        }
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end) in spans {
            out.push_str(&text[at..start]);
            out.push_str(MASK);
            at = end;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }

    /// True when `text` holds any secret.
    pub fn finds_secret(&self, text: &str) -> bool {
        match &self.matcher {
            Some(m) => m.is_match(text),
            None => self.fallback.iter().any(|s| text.contains(s.as_str())),
        }
    }
}

/// Masks every string (and key) of a JSON value with `redactor`, before it
/// is serialized: in JSON text a secret holding `"` or `\` is spelled with
/// escapes that a search of the serialized text would miss.
pub fn redact_json(value: &mut serde_json::Value, redactor: &Redactor) {
    fn walk(v: &mut serde_json::Value, r: &Redactor, depth: usize) {
        if depth > 256 {
            return;
        }
        match v {
            serde_json::Value::String(s) => {
                if let Cow::Owned(masked) = r.redact(s) {
                    *s = masked;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|i| walk(i, r, depth + 1)),
            serde_json::Value::Object(map) => {
                let entries: Vec<(String, serde_json::Value)> =
                    std::mem::take(map).into_iter().collect();
                for (k, mut v) in entries {
                    walk(&mut v, r, depth + 1);
                    map.insert(r.redact(&k).into_owned(), v);
                }
            }
            _ => {}
        }
    }
    walk(value, redactor, 0);
}

/// The byte ranges of the files where secrets are written: sorted and
/// merged per file once [`SecretSpans::finish`] has run, so a lookup is a
/// binary search.
#[derive(Clone, Debug, Default)]
pub struct SecretSpans {
    by_file: HashMap<FileId, Vec<(u32, u32)>>,
}

impl SecretSpans {
    /// Records a span (empty spans are ignored). Call [`SecretSpans::finish`] before reading.
    pub fn add(&mut self, span: Span) {
        if span.end > span.start {
            self.by_file
                .entry(span.file)
                .or_default()
                .push((span.start, span.end));
        }
    }

    /// Sorts and merges each file's ranges (overlapping or touching ranges become one).
    pub fn finish(&mut self) {
        for ranges in self.by_file.values_mut() {
            ranges.sort_unstable();
            let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
            for &(s, e) in ranges.iter() {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            *ranges = merged;
        }
    }

    /// True when no span is recorded.
    pub fn is_empty(&self) -> bool {
        self.by_file.is_empty()
    }

    /// Every file with its ranges, in file order.
    pub fn files(&self) -> Vec<(FileId, &[(u32, u32)])> {
        let mut all: Vec<(FileId, &[(u32, u32)])> = self
            .by_file
            .iter()
            .map(|(f, r)| (*f, r.as_slice()))
            .collect();
        all.sort_by_key(|(f, _)| *f);
        all
    }

    /// The ranges of `file`, sorted and disjoint.
    pub fn in_file(&self, file: FileId) -> &[(u32, u32)] {
        self.by_file.get(&file).map(Vec::as_slice).unwrap_or(&[])
    }

    /// True when any byte of `start..end` in `file` is part of a secret.
    pub fn overlaps(&self, file: FileId, start: usize, end: usize) -> bool {
        let ranges = self.in_file(file);
        // The first range ending after `start`.
        let i = ranges.partition_point(|&(_, e)| (e as usize) <= start);
        ranges
            .get(i)
            .is_some_and(|&(s, _)| (s as usize) < end.max(start + 1))
    }

    /// `text`, which starts at byte `base` of `file`, with every part inside a
    /// secret's span replaced by [`MASK`].
    pub fn mask<'a>(&self, file: FileId, text: &'a str, base: usize) -> Cow<'a, str> {
        mask_ranges(text, &self.local(file, base, text.len()))
    }

    /// The ranges of `file` that meet `base..base + len`, clipped to it and
    /// relative to `base`.
    pub fn local(&self, file: FileId, base: usize, len: usize) -> Vec<(usize, usize)> {
        let ranges = self.in_file(file);
        let end = base + len;
        let first = ranges.partition_point(|&(_, e)| (e as usize) <= base);
        ranges[first..]
            .iter()
            .take_while(|&&(s, _)| (s as usize) < end)
            .map(|&(s, e)| ((s as usize).max(base) - base, (e as usize).min(end) - base))
            .collect()
    }
}

/// Where byte `at` of a text lands once `ranges` (sorted, disjoint) are
/// replaced by [`MASK`]; an offset inside a range lands before its mask,
/// or after it when `end` is set.
pub fn masked_offset(ranges: &[(usize, usize)], at: usize, end: bool) -> usize {
    let mut shift: isize = 0;
    for &(s, e) in ranges {
        if at >= e {
            shift += MASK.len() as isize - (e - s) as isize;
        } else if at > s {
            let base = (s as isize + shift) as usize;
            return if end { base + MASK.len() } else { base };
        } else {
            break;
        }
    }
    (at as isize + shift) as usize
}

/// `text` with each of `ranges` (byte ranges, sorted and disjoint) replaced by
/// [`MASK`]; range ends inside a character are widened to its boundaries.
pub fn mask_ranges<'a>(text: &'a str, ranges: &[(usize, usize)]) -> Cow<'a, str> {
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for &(s, e) in ranges {
        let mut s = s.min(text.len());
        while !text.is_char_boundary(s) {
            s -= 1;
        }
        let mut e = e.min(text.len());
        while !text.is_char_boundary(e) {
            e += 1;
        }
        let s = s.max(at);
        if e <= s {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push_str(MASK);
        at = e;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_mask_whatever_the_spelling() {
        let text = "a \"p\\u0041ss\" b 'x' + 'y' c";
        let mut spans = SecretSpans::default();
        let f = FileId(3);
        let at = text.find('"').unwrap();
        spans.add(Span::new(f, at, at + 11));
        let x = text.find("'x'").unwrap();
        spans.add(Span::new(f, x, x + 3));
        spans.add(Span::new(f, x + 6, x + 9));
        spans.add(Span::new(FileId(4), 0, 2));
        spans.finish();
        assert_eq!(spans.mask(f, text, 0), "a *** b *** + *** c");
        // A slice of the file (one line of it): offsets are the file's.
        assert_eq!(spans.mask(f, &text[x..], x), "*** + *** c");
        assert!(spans.overlaps(f, 0, 3));
        assert!(!spans.overlaps(f, 0, 2));
        assert!(!spans.overlaps(FileId(9), 0, 100));
        assert!(matches!(spans.mask(f, "zz", 100), Cow::Borrowed(_)));
        let ranges = [(2, 6), (8, 9)];
        assert_eq!(masked_offset(&ranges, 1, false), 1);
        assert_eq!(masked_offset(&ranges, 4, false), 2);
        assert_eq!(masked_offset(&ranges, 4, true), 5);
        assert_eq!(masked_offset(&ranges, 7, false), 6);
        assert_eq!(masked_offset(&ranges, 10, false), 11);
    }

    #[test]
    fn touching_and_nested_spans_merge() {
        let mut spans = SecretSpans::default();
        let f = FileId(0);
        spans.add(Span::new(f, 2, 5));
        spans.add(Span::new(f, 5, 8));
        spans.add(Span::new(f, 3, 4));
        spans.add(Span::new(f, 9, 9));
        spans.finish();
        assert_eq!(spans.in_file(f), &[(2, 8)]);
        assert_eq!(spans.mask(f, "0123456789", 0), "01***89");
        assert_eq!(mask_ranges("héllo", &[(1, 2)]), "h***llo");
    }

    #[test]
    fn masks_every_occurrence() {
        let r = Redactor::new(&["hunter2", "s3cr3t!"]);
        assert_eq!(
            r.redact("a hunter2 b s3cr3t! c hunter2"),
            "a *** b *** c ***"
        );
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
        assert!(r.finds_secret("xx hunter2"));
        assert!(!r.finds_secret("hunter"));
    }

    #[test]
    fn overlapping_secrets_leave_no_part() {
        let r = Redactor::new(&["abc", "bcdefg", "cd"]);
        assert_eq!(r.redact("xabcdefgy"), "x***y");
        assert_eq!(r.redact("abc abc"), "*** ***");
    }

    #[test]
    fn no_secrets_no_change() {
        let r = Redactor::new::<&str>(&[]);
        assert_eq!(r.redact("abc"), "abc");
        assert!(!r.finds_secret("abc"));
        let r = Redactor::new(&[""]);
        assert_eq!(r.redact("abc"), "abc");
    }
}
