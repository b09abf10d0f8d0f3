//! The tree built straight from the parser's tokens (decision 0059).
//!
//! `jsonc_parser::parse_to_ast` makes a syntax tree of the whole text (a
//! range for every property, value and literal, the property list of every
//! object), which [`super::convert`] then turns into [`Node`]s: two trees,
//! one after the other. Here the same scanner (the same options, so the
//! same tokens, strings unescaped the same way) feeds a loop with a stack
//! of open containers that makes the [`Node`]s directly.
//!
//! It accepts a subset of what `parse_to_ast` accepts with [`super::parse`]'s
//! options: values, objects with string keys, arrays, trailing commas and
//! comments. On anything else (a syntax error, a loose key, a nesting deeper
//! than [`MAX_DEPTH`]) it gives up and [`super::parse`] parses the text with
//! `parse_to_ast`, so every error, and every tree of a text accepted only
//! there, is the one it gave before. Where both accept a text the trees are
//! the same: the tests compare them on every JSON file of the examples,
//! fixtures and shared corpus, and on generated texts.

use super::{Member, Node, NodeKind};
use jsonc_parser::tokens::Token;
use jsonc_parser::{Scanner, ScannerOptions};

/// Deepest nesting built here; deeper texts go to `parse_to_ast` (whose
/// own limit, 512, then decides).
const MAX_DEPTH: usize = 256;

/// A container being read: where it opened, where its elements or members
/// start on the shared lists of those read, and for an object the key (with
/// where it starts) of the member whose value is being read. Elements wait
/// on one list for every open array (and members on one for every object),
/// and move into a vector of their exact number when their container
/// closes: no vector grows by doubling, none keeps room it does not use.
enum Open {
    Array(u32, usize),
    Object(u32, usize, String, u32),
}

/// The tree of `text`, or `None` when `parse_to_ast` is to decide (see the
/// module's documentation).
pub(super) fn build(text: &str) -> Option<Node> {
    // The scanner `parse_to_ast` makes from the same options.
    let o = &super::OPTIONS;
    let options = ScannerOptions {
        allow_single_quoted_strings: o.allow_single_quoted_strings,
        allow_hexadecimal_numbers: o.allow_hexadecimal_numbers,
        allow_unary_plus_numbers: o.allow_unary_plus_numbers,
        allow_bare_decimal_point_numbers: o.allow_bare_decimal_point_numbers,
        allow_non_finite_numbers: o.allow_non_finite_numbers,
        allow_extended_string_escapes: o.allow_extended_string_escapes,
    };
    let mut scanner = Scanner::new(text, &options);
    let mut stack: Vec<Open> = Vec::new();
    let mut elements: Vec<Node> = Vec::new();
    let mut members: Vec<Member> = Vec::new();
    let mut token = next(&mut scanner)?;
    loop {
        // A value starts at `token`.
        let start = scanner.token_start() as u32;
        let mut value = match token? {
            Token::OpenBrace => match next(&mut scanner)?? {
                Token::CloseBrace => node(NodeKind::Object(Vec::new()), start, &scanner),
                Token::String(key) => {
                    if stack.len() >= MAX_DEPTH {
                        return None;
                    }
                    let key_start = scanner.token_start() as u32;
                    colon(&mut scanner)?;
                    stack.push(Open::Object(
                        start,
                        members.len(),
                        key.into_owned(),
                        key_start,
                    ));
                    token = next(&mut scanner)?;
                    continue;
                }
                _ => return None,
            },
            Token::OpenBracket => match next(&mut scanner)?? {
                Token::CloseBracket => node(NodeKind::Array(Vec::new()), start, &scanner),
                first => {
                    if stack.len() >= MAX_DEPTH {
                        return None;
                    }
                    stack.push(Open::Array(start, elements.len()));
                    token = Some(first);
                    continue;
                }
            },
            Token::String(s) => node(NodeKind::String(s.into_owned()), start, &scanner),
            Token::Number(n) => node(super::number(n), start, &scanner),
            Token::Boolean(b) => node(NodeKind::Bool(b), start, &scanner),
            Token::Null => node(NodeKind::Null, start, &scanner),
            _ => return None,
        };
        // The value is whole: it goes into its container, and each
        // container it closes into the one around it.
        loop {
            match stack.last_mut() {
                None => {
                    // The root: nothing may follow it.
                    return match next(&mut scanner)? {
                        None => Some(value),
                        Some(_) => None,
                    };
                }
                Some(Open::Array(..)) => {
                    elements.push(value);
                    match next(&mut scanner)?? {
                        Token::CloseBracket => {}
                        Token::Comma => match next(&mut scanner)?? {
                            Token::CloseBracket => {}
                            after => {
                                token = Some(after);
                                break;
                            }
                        },
                        _ => return None,
                    }
                }
                Some(Open::Object(_, _, key, key_start)) => {
                    members.push(Member {
                        key: std::mem::take(key),
                        key_start: *key_start,
                        value,
                    });
                    let after_comma = match next(&mut scanner)?? {
                        Token::CloseBrace => None,
                        Token::Comma => match next(&mut scanner)?? {
                            Token::CloseBrace => None,
                            Token::String(next_key) => Some(next_key),
                            _ => return None,
                        },
                        _ => return None,
                    };
                    if let Some(next_key) = after_comma {
                        *key = next_key.into_owned();
                        *key_start = scanner.token_start() as u32;
                        colon(&mut scanner)?;
                        token = next(&mut scanner)?;
                        break;
                    }
                }
            }
            // The container closed at the token just read.
            value = match stack.pop()? {
                Open::Array(start, first) => {
                    let items = elements.drain(first..).collect();
                    node(NodeKind::Array(items), start, &scanner)
                }
                Open::Object(start, first, ..) => {
                    let own = members.drain(first..).collect();
                    node(NodeKind::Object(own), start, &scanner)
                }
            };
        }
    }
}

/// The next token that is not a comment: `None` on a scanner error (for
/// `parse_to_ast` to report), `Some(None)` at the end of the text.
fn next<'a>(scanner: &mut Scanner<'a>) -> Option<Option<Token<'a>>> {
    loop {
        match scanner.scan() {
            Err(_) => return None,
            Ok(Some(Token::CommentLine(_) | Token::CommentBlock(_))) => continue,
            Ok(token) => return Some(token),
        }
    }
}

/// The colon after a key.
fn colon(scanner: &mut Scanner<'_>) -> Option<()> {
    match next(scanner)?? {
        Token::Colon => Some(()),
        _ => None,
    }
}

/// A node from `start` to the end of the token just read.
fn node(kind: NodeKind, start: u32, scanner: &Scanner<'_>) -> Node {
    Node {
        kind,
        start,
        end: scanner.token_end() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_with_ast;
    use super::*;

    /// `build` gives `parse_to_ast`'s tree, or leaves the text to it; and
    /// gives up on every text `parse_to_ast` refuses.
    fn agrees(text: &str) -> bool {
        let full = parse_with_ast(text);
        match build(text) {
            Some(tree) => {
                assert_eq!(Ok(&tree), full.as_ref(), "{text:?}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn the_same_tree_as_the_syntax_tree() {
        let texts = [
            "{}",
            "[]",
            " { } ",
            "[ ]",
            "null",
            "true",
            "-0",
            "\"\"",
            "12345678901234567890",
            "[1, -2.5e3, 1E-2, 0.5, -9223372036854775808, 9223372036854775808]",
            r#"{"a": 1, "b": [true, false, null], "c": {"d": {"e": []}}}"#,
            r#"{"k\"ey": "v\\\"", "\u0041": "\ud83d\ude00", "é": "ü\n\t"}"#,
            r#"{"a": 1, "a": 2, "A": 3, "": {}}"#,
            "{\n // a comment\n \"a\": [1, /* another */ 2,],\n \"b\": {\"c\": 1,},\n} // end",
            "/* first */ [[[[[]]]], {\"x\": [[{}]]}]",
            "\u{a0}[\u{2003}1\u{3000}]",
            "\r\n\t{\"a\"\r\n:\t1}\n",
            r#"[{"id": "/subscriptions/s/a", "type": "A/b", "properties": {"x": [1, {"y": "z"}]}}]"#,
        ];
        for text in texts {
            assert!(agrees(text), "left to the full parser: {text:?}");
        }
    }

    #[test]
    fn refused_texts_go_to_the_full_parser() {
        let texts = [
            "",
            "   ",
            "// only a comment",
            "{",
            "[",
            "[1",
            "[1,",
            "{\"a\"",
            "{\"a\":",
            "{\"a\": 1",
            "{\"a\": 1,",
            "[1 2]",
            "[1 [2]]",
            "{\"a\": 1 \"b\": 2}",
            "{\"a\" 1}",
            "{a: 1}",
            "{1: 1}",
            "{true: 1}",
            "{\"a\": 1,, }",
            "[,]",
            "[1,,2]",
            "{,}",
            "[1]]",
            "{}}",
            "[}",
            "{]",
            "[][]",
            "1 2",
            "[word]",
            "['single']",
            "[0x1F]",
            "[+1]",
            "[.5]",
            "[NaN, Infinity]",
            "[\"\\x\"]",
            "[\"unterminated]",
            "/* unterminated",
            "[1] /",
            "[:]",
            "{\"a\": :}",
            // Not white space to the scanner.
            "\u{feff}{\"bom\": 1}",
        ];
        for text in texts {
            let accepted = parse_with_ast(text).is_ok();
            assert!(!agrees(text) || accepted, "{text:?}");
            // `parse` gives the full parser's answer, error and offset included.
            assert_eq!(crate::json::parse(text), parse_with_ast(text), "{text:?}");
        }
    }

    #[test]
    fn nesting_past_the_bound_goes_to_the_full_parser() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        // `deep(n)` holds n - 1 open arrays around an empty one.
        assert!(agrees(&deep(MAX_DEPTH + 1)));
        assert!(build(&deep(MAX_DEPTH + 2)).is_none());
        assert_eq!(
            crate::json::parse(&deep(600)),
            parse_with_ast(&deep(600)),
            "the full parser's nesting error"
        );
        assert!(build(&"[".repeat(100_000)).is_none());
        let objects = format!("{}1{}", "{\"a\":".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert!(agrees(&objects));
    }

    /// Every JSON file of the project's examples and fixtures and of the
    /// shared corpus: the same tree; and the texts made from each by
    /// deleting or inserting one structural character at many places are
    /// either given the same tree or left to the full parser.
    #[test]
    fn real_files_and_their_mutations() {
        let (mut files, mut built, mut mutations) = (0, 0, 0);
        for (path, text) in crate::json::json_files_for_tests() {
            files += 1;
            if agrees(&text) {
                built += 1;
            } else {
                assert!(
                    parse_with_ast(&text).is_err(),
                    "a text the full parser accepts left to it: {}",
                    path.display()
                );
            }
            if text.len() > 20_000 {
                continue;
            }
            // Positions spread over the text, on character boundaries.
            let step = (text.len() / 40).max(1);
            for at in (0..text.len()).step_by(step) {
                if !text.is_char_boundary(at) {
                    continue;
                }
                let mut deleted = text.clone();
                if let Some(c) = deleted[at..].chars().next() {
                    deleted.replace_range(at..at + c.len_utf8(), "");
                    agrees(&deleted);
                    mutations += 1;
                }
                for insert in [",", "]", "}", "[", "{", ":", "\"", "/", "1", "x"] {
                    let mut inserted = text.clone();
                    inserted.insert_str(at, insert);
                    agrees(&inserted);
                    mutations += 1;
                }
            }
        }
        assert!(files > 100, "{files} JSON files");
        assert!(built * 10 > files * 9, "{built} of {files} built directly");
        assert!(mutations > 10_000, "{mutations} mutations");
        eprintln!("{files} files ({built} built directly), {mutations} mutations");
    }
}
