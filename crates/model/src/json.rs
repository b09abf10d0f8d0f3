//! JSON (with comments) parsed into a tree that keeps the byte span of every
//! value and key, so that findings can point at the line to change.

use crate::value::Value;
use jsonc_parser::ast;

mod direct;
mod split;

/// A JSON value with its byte span in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub start: u32,
    pub end: u32,
}

/// The JSON value kinds. Objects keep their members in order, with key spans.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Array(Vec<Node>),
    Object(Vec<Member>),
}

/// One object member: key, key span, value.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub key: String,
    pub key_start: u32,
    pub value: Node,
}

/// A JSON syntax error at a byte offset.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonError {
    pub message: String,
    pub offset: usize,
}

impl Node {
    /// Case-insensitive member lookup on an object node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.member(key).map(|m| &m.value)
    }

    /// Case-insensitive member lookup, returning the member (for its key span).
    /// Of a key written twice, the last copy: the one Azure reads (Json.NET,
    /// which Azure Resource Manager parses with, replaces a duplicate's value
    /// by default; see [`duplicate_keys`] and decision 0030).
    pub fn member(&self, key: &str) -> Option<&Member> {
        match &self.kind {
            NodeKind::Object(members) => members
                .iter()
                .rev()
                .find(|m| m.key == key)
                .or_else(|| members.iter().find(|m| m.key.eq_ignore_ascii_case(key))),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_members(&self) -> Option<&[Member]> {
        match &self.kind {
            NodeKind::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self.kind, NodeKind::Object(_))
    }

    /// The JSON kind name, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "bool",
            NodeKind::Int(_) | NodeKind::Float(_) => "number",
            NodeKind::String(_) => "string",
            NodeKind::Array(_) => "array",
            NodeKind::Object(_) => "object",
        }
    }

    /// The plain value, without evaluating expressions.
    pub fn to_value(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::Int(*i),
            NodeKind::Float(f) => Value::Float(*f),
            NodeKind::String(s) => Value::String(s.clone()),
            NodeKind::Array(a) => Value::Array(a.iter().map(Node::to_value).collect()),
            NodeKind::Object(m) => Value::Object(
                m.iter()
                    .map(|m| (m.key.clone(), m.value.to_value()))
                    .collect(),
            ),
        }
    }
}

/// A key written twice in one object: the key, where its first copy starts
/// and where the copy Azure reads (the last) starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    pub key: String,
    pub first: u32,
    pub last: u32,
}

/// Every key written more than once in an object of the tree (compared as
/// written: Json.NET keeps `a` and `A` apart), in document order.
pub fn duplicate_keys(node: &Node) -> Vec<DuplicateKey> {
    fn walk(node: &Node, out: &mut Vec<DuplicateKey>, depth: usize) {
        if depth > 1024 {
            return;
        }
        match &node.kind {
            NodeKind::Object(members) => {
                // Most objects are small: compare pairs; hash the large ones.
                let twice = if members.len() <= 16 {
                    members
                        .iter()
                        .enumerate()
                        .any(|(i, m)| members[..i].iter().any(|p| p.key == m.key))
                } else {
                    let mut keys = std::collections::HashSet::with_capacity_and_hasher(
                        members.len(),
                        crate::FastHasher::default(),
                    );
                    !members.iter().all(|m| keys.insert(m.key.as_str()))
                };
                if twice {
                    let mut seen: Vec<(&str, u32, u32)> = Vec::new();
                    let mut index: std::collections::HashMap<&str, usize> =
                        std::collections::HashMap::new();
                    for m in members {
                        match index.get(m.key.as_str()) {
                            Some(&i) => seen[i].2 = m.key_start,
                            None => {
                                index.insert(&m.key, seen.len());
                                seen.push((&m.key, m.key_start, m.key_start));
                            }
                        }
                    }
                    out.extend(seen.into_iter().filter(|(_, f, l)| f != l).map(
                        |(key, first, last)| DuplicateKey {
                            key: key.to_string(),
                            first,
                            last,
                        },
                    ));
                }
                members.iter().for_each(|m| walk(&m.value, out, depth + 1));
            }
            NodeKind::Array(items) => items.iter().for_each(|i| walk(i, out, depth + 1)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(node, &mut out, 0);
    out
}

/// For each member, whether a later member has the same key (compared as
/// written): Azure reads only the last copy (see [`duplicate_keys`]).
pub fn superseded(members: &[Member]) -> Vec<bool> {
    if members.len() <= 16 {
        return members
            .iter()
            .enumerate()
            .map(|(i, m)| members[i + 1..].iter().any(|n| n.key == m.key))
            .collect();
    }
    let mut last: std::collections::HashMap<&str, usize, _> =
        std::collections::HashMap::with_capacity_and_hasher(
            members.len(),
            crate::FastHasher::default(),
        );
    for (i, m) in members.iter().enumerate() {
        last.insert(&m.key, i);
    }
    members
        .iter()
        .enumerate()
        .map(|(i, m)| last[m.key.as_str()] != i)
        .collect()
}

/// The `json-duplicate-key` warning of every key written twice in `node`
/// (parsed from `file`): both positions, and that the last copy is the one read.
pub fn duplicate_key_diagnostics(
    sources: &crate::source::SourceMap,
    file: crate::source::FileId,
    node: &Node,
) -> Vec<crate::diagnostics::Diagnostic> {
    use crate::diagnostics::{Diagnostic, Location};
    use crate::source::Span;
    let src = sources.get(file);
    duplicate_keys(node)
        .into_iter()
        .map(|d| {
            let (l1, c1) = src.line_col(d.first);
            let (l2, c2) = src.line_col(d.last);
            Diagnostic::warning(
                "json-duplicate-key",
                format!(
                    "the key `{}` is written more than once in one object (first at {l1}:{c1}, last at {l2}:{c2}); Azure reads the last copy, so findings and fixes are about that one: remove the others",
                    d.key
                ),
                Location::Span(Span::new(file, d.last as usize, d.last as usize + d.key.len() + 2)),
            )
        })
        .collect()
}

/// Parses JSON text; comments and trailing commas are accepted (as ARM does).
pub fn parse(text: &str) -> Result<Node, JsonError> {
    // Straight from the tokens when the text allows; otherwise (an error,
    // a text only the full parser accepts) the full parser decides.
    if let Some(node) = direct::build(text) {
        return Ok(node);
    }
    parse_with_ast(text)
}

/// Texts from this size on are parsed by [`parse_in_parallel`] on every
/// thread when their shape allows.
pub const PARALLEL_FROM: usize = 4 << 20;

/// [`parse`], the same tree or error, built on every thread when the text
/// is at least [`PARALLEL_FROM`] bytes and most of it one array's elements
/// (a live export, a plan; see `json/split.rs`).
pub fn parse_in_parallel(text: &str) -> Result<Node, JsonError> {
    parse_in_parallel_from(text, PARALLEL_FROM)
}

/// [`parse_in_parallel`] with the size from which the text is split.
pub fn parse_in_parallel_from(text: &str, from: usize) -> Result<Node, JsonError> {
    if text.len() >= from {
        if let Some(node) = split::build(text, |_| ()) {
            return Ok(node);
        }
    }
    parse(text)
}

/// The tree [`parse`] gives, built on every thread when [`parse_in_parallel`]
/// would split the text, with the elements of its largest array built in
/// the order of `key` of their texts (see `json/split.rs`); `None` when the
/// text is not split (the caller parses it whole).
pub fn parse_split_by<K: Ord + Send>(text: &str, key: impl Fn(&str) -> K + Sync) -> Option<Node> {
    if text.len() < PARALLEL_FROM {
        return None;
    }
    split::build(text, key)
}

/// Where a string whose text starts at `from` (just after its opening
/// quote) in `bytes` closes: the first `"` no backslash escapes; `None`
/// when it does not close.
pub fn string_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut from = from;
    loop {
        let found = from + memchr::memchr2(b'"', b'\\', bytes.get(from..)?)?;
        if bytes[found] == b'\\' {
            from = found + 2;
        } else {
            return Some(found);
        }
    }
}

/// Moves every position in `node` on by `by` (without recursion: the
/// depth is the text's).
pub fn shift(node: &mut Node, by: u32) {
    let mut stack = vec![node];
    while let Some(Node { kind, start, end }) = stack.pop() {
        *start += by;
        *end += by;
        match kind {
            NodeKind::Array(items) => stack.extend(items.iter_mut()),
            NodeKind::Object(members) => {
                for m in members.iter_mut() {
                    m.key_start += by;
                    stack.push(&mut m.value);
                }
            }
            _ => {}
        }
    }
}

/// Every JSON file of the project's examples and fixtures and of the shared
/// corpus, with its text: what the parsers' tests compare them on.
#[cfg(test)]
pub(crate) fn json_files_for_tests() -> Vec<(std::path::PathBuf, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut dirs = vec![
        root.join("examples"),
        root.join("tests/fixtures"),
        root.join("../shared/corpus"),
    ];
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    files.push((path, text));
                }
            }
        }
    }
    files
}

/// What [`parse`] accepts: JSON with comments and trailing commas (as ARM
/// does), nothing looser. [`direct`] scans with the same options.
const OPTIONS: jsonc_parser::ParseOptions = jsonc_parser::ParseOptions {
    allow_comments: true,
    allow_trailing_commas: true,
    allow_loose_object_property_names: false,
    allow_missing_commas: false,
    allow_single_quoted_strings: false,
    allow_hexadecimal_numbers: false,
    allow_unary_plus_numbers: false,
    allow_bare_decimal_point_numbers: false,
    allow_non_finite_numbers: false,
    allow_extended_string_escapes: false,
};

/// [`parse`] through `jsonc_parser`'s syntax tree.
fn parse_with_ast(text: &str) -> Result<Node, JsonError> {
    let parsed =
        jsonc_parser::parse_to_ast(text, &Default::default(), &OPTIONS).map_err(|e| JsonError {
            message: e.kind().to_string(),
            offset: e.range().start,
        })?;
    match parsed.value {
        Some(v) => Ok(convert(v)),
        None => Err(JsonError {
            message: "the file holds no JSON value".into(),
            offset: 0,
        }),
    }
}

/// A number token's value: an integer when it is one that fits, else a
/// float (both trees read numbers this way).
fn number(text: &str) -> NodeKind {
    match text.parse::<i64>() {
        Ok(i) => NodeKind::Int(i),
        Err(_) => NodeKind::Float(text.parse::<f64>().unwrap_or(0.0)),
    }
}

fn convert(v: ast::Value<'_>) -> Node {
    let (kind, range) = match v {
        ast::Value::NullKeyword(n) => (NodeKind::Null, n.range),
        ast::Value::BooleanLit(b) => (NodeKind::Bool(b.value), b.range),
        ast::Value::NumberLit(n) => (number(n.value), n.range),
        ast::Value::StringLit(s) => (NodeKind::String(s.value.into_owned()), s.range),
        ast::Value::Array(a) => (
            NodeKind::Array(a.elements.into_iter().map(convert).collect()),
            a.range,
        ),
        ast::Value::Object(o) => (
            NodeKind::Object(
                o.properties
                    .into_iter()
                    .map(|p| {
                        let key_start = match &p.name {
                            ast::ObjectPropName::String(s) => s.range.start,
                            ast::ObjectPropName::Word(w) => w.range.start,
                        };
                        Member {
                            key: p.name.into_string(),
                            key_start: key_start as u32,
                            value: convert(p.value),
                        }
                    })
                    .collect(),
            ),
            o.range,
        ),
    };
    Node {
        kind,
        start: range.start as u32,
        end: range.end as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_spans_and_accepts_comments() {
        let text = "{\n // c\n \"a\": [1, \"x\"], /* d */ \"B\": true,\n}";
        let n = parse(text).unwrap();
        let a = n.get("a").unwrap();
        assert_eq!(&text[a.start as usize..a.end as usize], "[1, \"x\"]");
        assert_eq!(n.get("b").unwrap().kind, NodeKind::Bool(true));
    }

    #[test]
    fn reports_the_offset_of_a_syntax_error() {
        let err = parse("{\"a\": 1,, }").unwrap_err();
        assert_eq!(err.offset, 8);
    }

    #[test]
    fn the_last_copy_of_a_duplicated_key_is_read() {
        let text = "{\"a\": 1, \"b\": {\"c\": 1, \"c\": 2, \"c\": 3}, \"a\": 2, \"A\": 3}";
        let n = parse(text).unwrap();
        assert_eq!(n.get("a").unwrap().kind, NodeKind::Int(2));
        assert_eq!(n.get("b").unwrap().get("c").unwrap().kind, NodeKind::Int(3));
        assert_eq!(n.to_value().get_path("b.c"), Some(&Value::Int(3)));
        let d = duplicate_keys(&n);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!((d[0].key.as_str(), d[0].first, d[0].last), ("a", 1, 40));
        assert_eq!(d[1].key, "c");
        assert_eq!(&text[d[1].last as usize..d[1].last as usize + 3], "\"c\"");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        assert!(parse(&text).is_err());
    }
}
