//! A large text's tree built on every thread (decision 0064).
//!
//! A live export or a plan is one array of many thousands of elements (an
//! ARM list's `value`, a Resource Graph result's `data`, a bare list). Its
//! text is skimmed once for the array's element boundaries: strings are
//! skipped whole, and only brackets, braces and the commas of the array
//! itself are looked at. Each element is then built on its own by
//! [`super::direct`], in parallel, and the few members around the array
//! (the "skeleton": the text with the array written `[]`) on one thread.
//!
//! The tree is the one [`super::parse`] builds, or nothing: a comment
//! anywhere, a trailing comma, an element or a skeleton that
//! [`super::direct`] leaves to `parse_to_ast`, and the caller parses the
//! whole text as before (so every error is the one it was). The tests
//! compare both on every JSON file of the examples, fixtures and shared
//! corpus, and on generated exports.

use super::{direct, Node, NodeKind};
use rayon::prelude::*;

/// An array the elements of which may be built apart: the root when it is
/// an array, a member of the root object, or a member of an object that is
/// a member of the root (a Resource Graph table's `data.rows`).
struct Candidate {
    /// Where `[` and `]` are.
    open: usize,
    close: usize,
    /// Where the commas between its elements are.
    commas: Vec<usize>,
}

/// A container open during the skim: whether it is an object, and, for a
/// candidate array, its commas so far.
struct Frame {
    object: bool,
    open: usize,
    commas: Option<Vec<usize>>,
}

/// The largest candidate array of `text`, or `None` when the text has a
/// comment, is not balanced, or has none.
fn largest_array(text: &str) -> Option<Candidate> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut best: Option<Candidate> = None;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => at = super::string_end(bytes, at + 1)?,
            b'/' => return None,
            open @ (b'{' | b'[') => {
                let object = open == b'{';
                let candidate = !object
                    && match stack.as_slice() {
                        [] => true,
                        [root] => root.object,
                        [root, member] => root.object && member.object,
                        _ => false,
                    };
                stack.push(Frame {
                    object,
                    open: at,
                    commas: candidate.then(Vec::new),
                });
            }
            close @ (b'}' | b']') => {
                let frame = stack.pop()?;
                if frame.object != (close == b'}') {
                    return None;
                }
                if let Some(commas) = frame.commas {
                    let size = at - frame.open;
                    if best.as_ref().is_none_or(|b| b.close - b.open < size) {
                        best = Some(Candidate {
                            open: frame.open,
                            close: at,
                            commas,
                        });
                    }
                }
            }
            b',' => {
                if let Some(Frame {
                    commas: Some(commas),
                    ..
                }) = stack.last_mut()
                {
                    commas.push(at);
                }
            }
            _ => {}
        }
        at += 1;
    }
    stack.is_empty().then_some(best).flatten()
}

/// The tree of `text` built on every thread when its largest array (see
/// [`Candidate`]) holds at least half the text and two elements; `None`
/// otherwise, or when [`super::direct`] leaves a part to `parse_to_ast`.
/// The elements are built in the order of `key` of their texts (ties in
/// their own order; each thread builds a run of that order), and placed in
/// the tree in their own order: what the caller reads a group at a time is
/// then allocated a group at a time.
pub(super) fn build<K: Ord + Send>(text: &str, key: impl Fn(&str) -> K + Sync) -> Option<Node> {
    let array = largest_array(text)?;
    if array.commas.is_empty() || (array.close - array.open) * 2 < text.len() {
        return None;
    }
    let bounds: Vec<(usize, usize)> = std::iter::once(array.open)
        .chain(array.commas.iter().copied())
        .zip(array.commas.iter().copied().chain([array.close]))
        .map(|(before, after)| (before + 1, after))
        .collect();
    let (skeleton, elements) = rayon::join(
        || skeleton(text, &array),
        || {
            let mut order: Vec<(K, usize)> = bounds
                .par_iter()
                .enumerate()
                .map(|(i, &(start, end))| (key(&text[start..end]), i))
                .collect();
            order.par_sort_unstable();
            let mut built = order
                .into_par_iter()
                .map(|(_, i)| {
                    let (start, end) = bounds[i];
                    let mut node = direct::build(&text[start..end])?;
                    super::shift(&mut node, start as u32);
                    Some((i, node))
                })
                .collect::<Option<Vec<(usize, Node)>>>()?;
            // Back in their own order.
            built.par_sort_unstable_by_key(|(i, _)| *i);
            Some(
                built
                    .into_iter()
                    .map(|(_, node)| node)
                    .collect::<Vec<Node>>(),
            )
        },
    );
    let (mut root, delta) = skeleton?;
    let mut elements = Some(elements?);
    // The array is `[]` at `open` in the skeleton: every position after it
    // moves on by what the skeleton left out, then its elements go in.
    let open = array.open as u32;
    let mut stack = vec![&mut root];
    while let Some(node) = stack.pop() {
        if node.start > open {
            node.start += delta;
        }
        if node.end > open {
            node.end += delta;
        }
        let at_open = node.start == open;
        match &mut node.kind {
            NodeKind::Array(items) if at_open => {
                *items = elements.take()?;
            }
            NodeKind::Array(items) => stack.extend(items.iter_mut()),
            NodeKind::Object(members) => {
                for m in members.iter_mut() {
                    if m.key_start > open {
                        m.key_start += delta;
                    }
                    stack.push(&mut m.value);
                }
            }
            _ => {}
        }
    }
    // Placed once, where the array was.
    elements.is_none().then_some(root)
}

/// The tree of `text` with `array` written `[]`, and how many bytes that
/// left out (what every later position moves on by).
fn skeleton(text: &str, array: &Candidate) -> Option<(Node, u32)> {
    let mut skeleton = String::with_capacity(array.open + 2 + text.len() - array.close - 1);
    skeleton.push_str(&text[..array.open]);
    skeleton.push_str("[]");
    skeleton.push_str(&text[array.close + 1..]);
    let delta = (array.close + 1 - array.open - 2) as u32;
    Some((direct::build(&skeleton)?, delta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, parse_in_parallel_from};

    /// Split from any size: the tree or error of [`parse`]; whether the
    /// text was split.
    fn same_as_parse(text: &str) -> bool {
        assert_eq!(parse_in_parallel_from(text, 0), parse(text), "{text:?}");
        build(text, |_| ()).is_some()
    }

    #[test]
    fn exports_are_split_into_the_same_tree() {
        let element = |i: usize| {
            format!(
                r#"{{"id": "/subscriptions/s/resourceGroups/rg{i}/providers/A/b/n{i}", "type": "A/b", "tags": {{"t": "[,]{{\"}}\\"}}, "properties": {{"list": [1, [2, {{"x": ",]"}}]], "e": []}}}}"#
            )
        };
        let list = |n: usize| (0..n).map(element).collect::<Vec<_>>().join(",\n  ");
        let texts = [
            format!("[{}]", list(50)),
            format!("{{\"value\": [{}], \"nextLink\": null}}", list(50)),
            format!(
                "{{\"count\": 3, \"data\": [{}], \"totalRecords\": 3, \"$skipToken\": \"x,]\"}}",
                list(3)
            ),
            format!(
                "{{\"data\": {{\"columns\": [{{\"name\": \"id\"}}], \"rows\": [{}]}}}}",
                (0..40)
                    .map(|i| format!("[\"/subscriptions/s/x{i}\", {{\"a\": [{i}]}}]"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            format!(" \r\n[ {} ]\n\t", list(7)),
            format!("{{\"value\": [{}], \"a\": 1, \"a\": [1, 2]}}", list(9)),
            format!("[{}, \"é\\u00e9😀\", 1.5e3, null, true, [], {{}}]", list(4)),
        ];
        for text in &texts {
            assert!(same_as_parse(text), "not split: {text}");
            // Built in another order (by each element's text, backwards):
            // the same tree.
            let reordered = build(text, |element| std::cmp::Reverse(element.to_string()));
            assert_eq!(reordered.as_ref(), parse(text).as_ref().ok(), "{text}");
        }
    }

    #[test]
    fn texts_not_split_are_parsed_whole() {
        let list = "{\"id\": \"a\"}, {\"id\": \"b\"}";
        let texts = [
            // A comment or a trailing comma: the full parse decides.
            format!("[{list}, // c\n {{}}]"),
            format!("[{list} /* c */]"),
            format!("[{list},]"),
            format!("{{\"value\": [{list},], \"x\": 1}}"),
            // One element, or the array is not most of the text.
            "[{\"id\": \"a\"}]".to_string(),
            format!(
                "{{\"value\": [{list}], \"other\": \"{}\"}}",
                "x".repeat(200)
            ),
            // Deeper than a member of a member of the root.
            format!("{{\"a\": {{\"b\": {{\"c\": [{list}]}}}}}}"),
            // Errors: the whole text's error, at its offset.
            format!("[{list}, {{\"id\": }}]"),
            format!("[{list}, ]]"),
            format!("[{list}"),
            format!("{{\"value\": [{list}] \"x\": 1}}"),
            format!("[{list}, \"unterminated]"),
            format!("[{list}, \"\\x\"]"),
            format!("[{list}, , {{}}]"),
            format!("[{list}}}"),
            String::new(),
        ];
        for text in &texts {
            assert!(!same_as_parse(text), "split: {text}");
        }
    }

    #[test]
    fn an_element_deeper_than_the_direct_builder_goes_whole() {
        let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
        let text = format!("[1, {deep}, 2]");
        assert!(!same_as_parse(&text));
    }

    /// Every JSON file of the project's examples and fixtures and of the
    /// shared corpus, split from any size, and the texts made from the
    /// smaller ones by deleting or inserting one structural character at
    /// many places: the tree or error of [`parse`].
    #[test]
    fn real_files_and_their_mutations() {
        let (mut files, mut split, mut mutations) = (0, 0, 0);
        for (_, text) in crate::json::json_files_for_tests() {
            files += 1;
            split += usize::from(same_as_parse(&text));
            if text.len() > 20_000 {
                continue;
            }
            let step = (text.len() / 25).max(1);
            for at in (0..text.len()).step_by(step) {
                if !text.is_char_boundary(at) {
                    continue;
                }
                for insert in ["", ",", "]", "}", "[", "{", "\"", "\\", "/"] {
                    let mut changed = text.clone();
                    if insert.is_empty() {
                        let Some(c) = changed[at..].chars().next() else {
                            continue;
                        };
                        changed.replace_range(at..at + c.len_utf8(), "");
                    } else {
                        changed.insert_str(at, insert);
                    }
                    same_as_parse(&changed);
                    mutations += 1;
                }
            }
        }
        assert!(files > 100, "{files} JSON files");
        assert!(split > 20, "{split} of {files} split");
        assert!(mutations > 10_000, "{mutations} mutations");
        eprintln!("{files} files ({split} split), {mutations} mutations");
    }
}
