//! [`SpanMap`]: for one resource, the span of the text that set each
//! property path, stored compactly.
//!
//! A resource keeps one entry per property its source sets: a live export of
//! 100,000 resources holds 1.4 million. As a `BTreeMap<String, Span>` each
//! entry cost about 100 bytes (a heap string per path and the tree's nodes);
//! here the paths are laid end to end in one string, in order, beside one
//! vector of (end of path, span): 16 bytes per entry and the path's text.
//! A lookup is a binary search. The map is built once and not changed in
//! place (see decision 0053).

use crate::source::Span;
use std::collections::BTreeMap;

/// Property path (lower-case, dotted: `properties.ipallowlist[0]`) → the span
/// of the text that set it, in path order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpanMap {
    /// Every path, in order, end to end.
    paths: Box<str>,
    /// For each path in order: where its text ends in `paths`, and its span.
    entries: Box<[(u32, Span)]>,
}

impl SpanMap {
    /// An empty map.
    pub fn new() -> SpanMap {
        SpanMap::default()
    }

    /// The number of paths.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no path has a span.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The span recorded for `path` (already lower-case).
    pub fn get(&self, path: &str) -> Option<&Span> {
        let (mut low, mut high) = (0, self.entries.len());
        while low < high {
            let mid = low + (high - low) / 2;
            match self.path(mid).cmp(path) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Some(&self.entries[mid].1),
            }
        }
        None
    }

    /// True when `path` (already lower-case) has a span.
    pub fn contains_key(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    /// The paths and their spans, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Span)> + '_ {
        let mut start = 0;
        self.entries.iter().map(move |(end, span)| {
            let path = &self.paths[start..*end as usize];
            start = *end as usize;
            (path, span)
        })
    }

    /// The heap bytes the map holds.
    pub fn heap_bytes(&self) -> usize {
        self.paths.len() + std::mem::size_of_val(&*self.entries)
    }

    /// Removes every path.
    pub fn clear(&mut self) {
        *self = SpanMap::default();
    }

    /// Keeps the paths whose span `keep` accepts, in order; drops the rest.
    pub fn retain(&mut self, mut keep: impl FnMut(&Span) -> bool) {
        let mut paths = String::new();
        let mut entries = Vec::new();
        for (path, span) in self.iter() {
            if keep(span) {
                paths.push_str(path);
                entries.push((paths.len() as u32, *span));
            }
        }
        if entries.len() < self.entries.len() {
            *self = SpanMap {
                paths: paths.into_boxed_str(),
                entries: entries.into_boxed_slice(),
            };
        }
    }

    /// Adds `more`, whose spans replace those of the same paths here.
    pub fn extend(&mut self, more: BTreeMap<String, Span>) {
        if more.is_empty() {
            return;
        }
        let mut all: BTreeMap<String, Span> = self
            .iter()
            .map(|(path, span)| (path.to_string(), *span))
            .collect();
        all.extend(more);
        *self = SpanMap::from(all);
    }

    /// The path of entry `index`: from where the entry before it ends to
    /// where it ends.
    fn path(&self, index: usize) -> &str {
        let start = match index {
            0 => 0,
            i => self.entries[i - 1].0 as usize,
        };
        &self.paths[start..self.entries[index].0 as usize]
    }
}

impl SpanMap {
    /// The map of `entries`, given sorted by path with each path once.
    pub fn from_sorted<'p>(
        entries: impl ExactSizeIterator<Item = (&'p str, Span)> + Clone,
    ) -> SpanMap {
        let total: usize = entries.clone().map(|(p, _)| p.len()).sum();
        // Paths longer in all than `u32` can index are not kept: no source
        // this tool reads (each under its size limit) comes near.
        if u32::try_from(total).is_err() {
            return SpanMap::default();
        }
        let mut paths = String::with_capacity(total);
        let mut kept = Vec::with_capacity(entries.len());
        for (path, span) in entries {
            paths.push_str(path);
            kept.push((paths.len() as u32, span));
        }
        SpanMap {
            paths: paths.into_boxed_str(),
            entries: kept.into_boxed_slice(),
        }
    }
}

impl From<BTreeMap<String, Span>> for SpanMap {
    fn from(map: BTreeMap<String, Span>) -> SpanMap {
        SpanMap::from_sorted(map.iter().map(|(path, span)| (path.as_str(), *span)))
    }
}

impl FromIterator<(String, Span)> for SpanMap {
    fn from_iter<I: IntoIterator<Item = (String, Span)>>(iter: I) -> SpanMap {
        SpanMap::from(iter.into_iter().collect::<BTreeMap<_, _>>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn span(n: usize) -> Span {
        Span::new(FileId(1), n, n + 1)
    }

    #[test]
    fn finds_every_path_and_no_other() {
        let paths = [
            "location",
            "properties",
            "properties.ipallowlist",
            "properties.ipallowlist[0]",
            "properties.ipallowlist[10]",
            "properties.publicnetworkaccess",
            "tags.env",
        ];
        let map: SpanMap = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.to_string(), span(i)))
            .collect();
        assert_eq!(map.len(), paths.len());
        for (i, p) in paths.iter().enumerate() {
            assert_eq!(map.get(p), Some(&span(i)), "{p}");
        }
        for absent in [
            "",
            "a",
            "properties.",
            "properties.ipallowlist[1]",
            "tags",
            "zz",
        ] {
            assert_eq!(map.get(absent), None, "{absent}");
        }
        let listed: Vec<&str> = map.iter().map(|(p, _)| p).collect();
        assert_eq!(listed, paths);
    }

    #[test]
    fn extend_replaces_and_adds_in_order() {
        let mut map: SpanMap = [("b".to_string(), span(1)), ("d".to_string(), span(2))]
            .into_iter()
            .collect();
        map.extend(BTreeMap::from([
            ("d".to_string(), span(9)),
            ("a".to_string(), span(0)),
        ]));
        let listed: Vec<(&str, Span)> = map.iter().map(|(p, s)| (p, *s)).collect();
        assert_eq!(listed, [("a", span(0)), ("b", span(1)), ("d", span(9))]);
        map.clear();
        assert!(map.is_empty());
        assert_eq!(map.get("a"), None);
    }

    #[test]
    fn retain_keeps_the_accepted_paths_in_order() {
        let mut map: SpanMap = ["a", "b.c", "b.d", "e"]
            .iter()
            .enumerate()
            .map(|(i, p)| (p.to_string(), span(i)))
            .collect();
        map.retain(|s| *s != span(1) && *s != span(3));
        let listed: Vec<(&str, Span)> = map.iter().map(|(p, s)| (p, *s)).collect();
        assert_eq!(listed, [("a", span(0)), ("b.d", span(2))]);
        assert_eq!(map.get("b.d"), Some(&span(2)));
        assert_eq!(map.get("b.c"), None);
        assert_eq!(map.heap_bytes(), 4 + 2 * std::mem::size_of::<(u32, Span)>());
        map.retain(|_| false);
        assert!(map.is_empty());
    }

    #[test]
    fn empty_paths_and_empty_map() {
        let map = SpanMap::new();
        assert_eq!(map.get("x"), None);
        assert_eq!(map.iter().count(), 0);
        let map: SpanMap = [(String::new(), span(3))].into_iter().collect();
        assert_eq!(map.get(""), Some(&span(3)));
    }
}
