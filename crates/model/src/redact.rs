//! Redaction: every secret the model knows is replaced by `***` in anything
//! shown (messages, ids, names, snippets), with one multi-pattern search per
//! text however many secrets a scan finds.

use aho_corasick::AhoCorasick;
use std::borrow::Cow;

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

#[cfg(test)]
mod tests {
    use super::*;

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
