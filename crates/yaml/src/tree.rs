//! Reading YAML with `yaml-rust2`'s event parser into [`Document`]s: the value tree (as
//! [`Value`]) and, for every key path, the span of the text that sets it.
//!
//! Plain scalars are typed as YAML 1.2's core schema types them (`true`,
//! `12`, `1.5`, `null`, `~`); quoted scalars stay strings. Two kinds of
//! string are values the file does not fix, so they become
//! [`Value::Unknown`]: CLI expressions (`${{parent.inputs.x}}`) and
//! placeholders to fill in (`<ADMIN_PASSWORD>`).

use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::source::{FileId, Span};
use aml_model::value::{Object, Value};
use std::collections::BTreeMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Nesting deeper than this is not read (the rest of the branch is unknown).
const MAX_DEPTH: usize = 64;

/// One document: its value, the span of each key path, and its own span.
#[derive(Clone, Debug)]
pub struct Document {
    /// The top-level mapping as a value.
    pub value: Value,
    /// Spans keyed by lower-case dotted path (`ssh_settings.admin_password`,
    /// `managed_network.outbound_rules[0].destination`): from the key to the
    /// end of its value.
    pub spans: BTreeMap<String, Span>,
    /// Where the entity is declared: its `name` key, else the document's first key.
    pub span: Span,
}

impl Document {
    /// A document without positions (JSON from `az ml <thing> show -o json`):
    /// every path points at `span`.
    pub fn without_positions(value: Value, span: Span) -> Document {
        Document {
            value,
            spans: BTreeMap::new(),
            span,
        }
    }
}

/// Byte offsets of a text's characters (the parser counts characters).
struct Offsets<'a> {
    text: &'a str,
    /// Byte offset of each character, for non-ASCII text only.
    table: Option<Vec<u32>>,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        let table =
            (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i as u32).collect());
        Offsets { text, table }
    }

    fn byte(&self, character: usize) -> usize {
        match &self.table {
            None => character.min(self.text.len()),
            Some(t) => t
                .get(character)
                .map(|b| *b as usize)
                .unwrap_or(self.text.len()),
        }
    }

    /// The end of a scalar starting at `start`: the end of its line, before a
    /// trailing comment and spaces.
    fn scalar_end(&self, start: usize) -> usize {
        let rest = &self.text[start..];
        let line = &rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())];
        let line = match line.find(" #") {
            Some(i) if !line.starts_with(['"', '\'']) => &line[..i],
            _ => line,
        };
        start + line.trim_end().len().max(1).min(rest.len())
    }
}

/// A line whose indentation (spaces and `- ` markers) is wider than this is
/// nested too deeply for the parser's stack; no Azure ML file comes near.
const MAX_INDENT: usize = 1024;

/// The offset of the first line indented wider than [`MAX_INDENT`].
fn too_deep(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches([' ', '\t', '-', '?', ':']).len();
        if indent > MAX_INDENT {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// A node of the YAML tree, with character positions (the parser counts
/// characters, not bytes).
enum Node {
    Scalar {
        text: String,
        plain: bool,
        at: usize,
    },
    Seq {
        items: Vec<Node>,
        start: usize,
        end: usize,
    },
    Map {
        entries: Vec<(Key, Node)>,
        start: usize,
        end: usize,
    },
}

/// A mapping key: its text and where it is written.
struct Key {
    text: String,
    at: usize,
    line: usize,
    col: usize,
}

impl Node {
    fn start(&self) -> usize {
        match self {
            Node::Scalar { at, .. } => *at,
            Node::Seq { start, .. } | Node::Map { start, .. } => *start,
        }
    }
}

/// A collection being read.
enum Frame {
    Seq(usize, Vec<Node>),
    Map(usize, Vec<(Key, Node)>, Option<Key>),
}

/// A key given twice in one mapping: the first and the last place.
struct Duplicate {
    path: String,
    first: (usize, usize, usize),
    last: (usize, usize, usize),
}

/// Collections nested deeper than this are refused (flow style `[[[[` has
/// no indentation for [`too_deep`] to see).
const MAX_NESTING: usize = 256;

/// Builds the documents of a stream from the parser's events, keeping the
/// last value of a key given twice (as PyYAML, which the CLI uses, does)
/// and noting the duplicate.
#[derive(Default)]
struct Loader {
    docs: Vec<Node>,
    stack: Vec<Frame>,
    duplicates: Vec<Duplicate>,
    error: Option<(usize, String)>,
}

impl Loader {
    fn attach(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, pending)) => match pending.take() {
                None => match node {
                    Node::Scalar { text, at, .. } => {
                        *pending = Some(Key {
                            text,
                            at,
                            line: 0,
                            col: 0,
                        })
                    }
                    other => {
                        self.error = Some((
                            other.start(),
                            "a mapping key must be a plain value, not a list or mapping".into(),
                        ))
                    }
                },
                Some(key) => {
                    if let Some(i) = entries.iter().position(|(k, _)| k.text == key.text) {
                        let (old, _) = entries.remove(i);
                        let path = self.path_of(&key.text);
                        self.duplicates.push(Duplicate {
                            path,
                            first: (old.at, old.line, old.col),
                            last: (key.at, key.line, key.col),
                        });
                    }
                    if let Some(Frame::Map(_, entries, _)) = self.stack.last_mut() {
                        entries.push((key, node));
                    }
                }
            },
        }
    }

    /// The dotted path of a key in the innermost mapping being read.
    fn path_of(&self, key: &str) -> String {
        let mut path = String::new();
        for f in &self.stack {
            match f {
                Frame::Map(_, _, Some(k)) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&k.text);
                }
                Frame::Seq(_, items) => path.push_str(&format!("[{}]", items.len())),
                Frame::Map(_, _, None) => {}
            }
        }
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        path
    }

    fn refuse(&mut self, at: usize, what: &str) {
        self.error.get_or_insert((at, what.to_string()));
    }
}

impl MarkedEventReceiver for Loader {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let at = mark.index();
        match ev {
            Event::Alias(_) => self.refuse(at, ANCHORS),
            Event::Scalar(_, _, aid, _)
            | Event::SequenceStart(aid, _)
            | Event::MappingStart(aid, _)
                if aid != 0 =>
            {
                self.refuse(at, ANCHORS)
            }
            Event::Scalar(_, _, _, Some(_))
            | Event::SequenceStart(_, Some(_))
            | Event::MappingStart(_, Some(_)) => {
                self.refuse(at, "explicit tags (`!!str`, `!custom`) are not supported")
            }
            Event::Scalar(text, style, _, None) => {
                let waiting_key = matches!(self.stack.last(), Some(Frame::Map(_, _, None)));
                self.attach(Node::Scalar {
                    text,
                    plain: matches!(style, TScalarStyle::Plain),
                    at,
                });
                if waiting_key {
                    if let Some(Frame::Map(_, _, Some(k))) = self.stack.last_mut() {
                        k.line = mark.line();
                        k.col = mark.col() + 1;
                    }
                }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if self.stack.len() >= MAX_NESTING {
                    return self.refuse(at, "the YAML is nested too deeply to read");
                }
                if matches!(self.stack.last(), Some(Frame::Map(_, _, None))) {
                    return self.refuse(
                        at,
                        "a mapping key must be a plain value, not a list or mapping",
                    );
                }
                self.stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq(at, Vec::new())
                } else {
                    Frame::Map(at, Vec::new(), None)
                });
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq(start, items)) => self.attach(Node::Seq {
                    items,
                    start,
                    end: at,
                }),
                Some(Frame::Map(start, entries, _)) => self.attach(Node::Map {
                    entries,
                    start,
                    end: at,
                }),
                None => {}
            },
            _ => {}
        }
    }
}

const ANCHORS: &str = "anchors and aliases (`&x`, `*x`) are not supported in Azure ML YAML";

/// Every document of a YAML file, and what reading them found.
#[derive(Debug, Default)]
pub struct Stream {
    /// The documents that are mappings, in file order (empty documents are left out).
    pub docs: Vec<Document>,
    /// Keys given twice (warnings, at the last one: the CLI reads it).
    pub diagnostics: Vec<Diagnostic>,
    /// How many documents the file holds (empty ones included).
    pub documents: usize,
}

/// Parses one YAML file's first document. On error, a positioned diagnostic.
pub fn parse(file: FileId, text: &str) -> Result<Document, Diagnostic> {
    let stream = parse_stream(file, text)?;
    Ok(stream.docs.into_iter().next().unwrap_or_else(|| {
        Document::without_positions(
            Value::Object(Object::default()),
            Span::new(file, 0, text.len().min(1)),
        )
    }))
}

/// Parses every document of a YAML file (`---` separates them). On a syntax
/// error anywhere, a positioned diagnostic. A document that is not a
/// mapping is an error; an empty one is left out.
pub fn parse_stream(file: FileId, text: &str) -> Result<Stream, Diagnostic> {
    if let Some(at) = too_deep(text) {
        return Err(Diagnostic::error(
            "yaml-syntax",
            format!(
                "the YAML is nested too deeply to read (indentation over {MAX_INDENT} columns)"
            ),
            Location::Span(Span::new(file, at, (at + 1).min(text.len()))),
        ));
    }
    let offsets = Offsets::new(text);
    let error = |character: usize, what: &str| {
        let at = offsets.byte(character);
        Diagnostic::error(
            "yaml-syntax",
            format!("invalid YAML: {what}"),
            Location::Span(Span::new(file, at, (at + 1).min(text.len()).max(at))),
        )
    };
    let mut loader = Loader::default();
    let mut parser = Parser::new(text.chars());
    if let Err(e) = parser.load(&mut loader, true) {
        return Err(error(e.marker().index(), e.info()));
    }
    if let Some((at, what)) = &loader.error {
        return Err(error(*at, what));
    }
    let mut stream = Stream {
        documents: loader.docs.len(),
        ..Default::default()
    };
    for node in &loader.docs {
        match node {
            Node::Map { .. } => {}
            Node::Scalar { text: t, plain, .. }
                if *plain && matches!(t.as_str(), "" | "~" | "null") =>
            {
                continue
            }
            other => {
                return Err(error(
                    other.start(),
                    "the document must be a mapping of keys to values",
                ))
            }
        }
        stream.docs.push(document(node, file, text, &offsets));
    }
    for d in &loader.duplicates {
        let span = |(at, ..): (usize, usize, usize)| {
            let b = offsets.byte(at);
            Span::new(file, b, offsets.scalar_end(b).max(b))
        };
        stream.diagnostics.push(Diagnostic::warning(
            "yaml-duplicate-key",
            format!(
                "the key `{}` is given twice, at line {}, column {} and at line {}, column {}: the CLI (PyYAML) reads the last one, and so does this scan",
                d.path, d.first.1, d.first.2, d.last.1, d.last.2
            ),
            Location::Span(span(d.last)),
        ));
    }
    Ok(stream)
}

/// One document (a mapping node) as a [`Document`].
fn document(node: &Node, file: FileId, text: &str, offsets: &Offsets<'_>) -> Document {
    let mut spans = BTreeMap::new();
    let value = convert(node, "", 0, file, offsets, &mut spans);
    let start = offsets.byte(node.start());
    let start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let first_key = text[start..]
        .lines()
        .position(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && t != "---"
        })
        .map(|skip| {
            text[start..]
                .lines()
                .take(skip)
                .map(|l| l.len() + 1)
                .sum::<usize>()
                + start
        })
        .unwrap_or(start)
        .min(text.len());
    // A resource is shown where its `name` is written, else at the first key.
    let span = spans.get("name").copied().unwrap_or_else(|| {
        Span::new(
            file,
            first_key,
            offsets.scalar_end(first_key).min(text.len()).max(first_key),
        )
    });
    Document { value, spans, span }
}

fn convert(
    node: &Node,
    path: &str,
    depth: usize,
    file: FileId,
    offsets: &Offsets<'_>,
    spans: &mut BTreeMap<String, Span>,
) -> Value {
    if depth > MAX_DEPTH {
        return Value::unknown(path, "the YAML is nested too deeply to read");
    }
    match node {
        Node::Scalar { text, plain, .. } => scalar(text, *plain),
        Node::Seq { items, .. } => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let p = format!("{path}[{i}]");
                    let b = offsets.byte(item.start());
                    let end = end_of(item, offsets).max(b);
                    spans.entry(p.clone()).or_insert(Span::new(file, b, end));
                    convert(item, &p, depth + 1, file, offsets, spans)
                })
                .collect(),
        ),
        Node::Map { entries, .. } => {
            let mut out = Object::default();
            for (k, v) in entries {
                let p = if path.is_empty() {
                    k.text.to_ascii_lowercase()
                } else {
                    format!("{path}.{}", k.text.to_ascii_lowercase())
                };
                let b = offsets.byte(k.at);
                let end = end_of(v, offsets).max(offsets.scalar_end(b));
                spans.insert(p.clone(), Span::new(file, b, end));
                let value = convert(v, &p, depth + 1, file, offsets, spans);
                out.insert(k.text.clone(), value);
            }
            Value::Object(out)
        }
    }
}

/// Where a node ends: its recorded end, or for a scalar the end of its line.
fn end_of(node: &Node, offsets: &Offsets<'_>) -> usize {
    match node {
        Node::Scalar { at, .. } => offsets.scalar_end(offsets.byte(*at)),
        Node::Seq { end, .. } | Node::Map { end, .. } => {
            // Block collections end where the next key starts: step back over
            // the line break and indentation.
            let b = offsets.byte(*end);
            offsets.text[..b].trim_end().len()
        }
    }
}

/// A scalar's value: typed when plain, a string when quoted; CLI
/// expressions and placeholders are unknown.
pub fn scalar(s: &str, plain: bool) -> Value {
    if let Some(u) = unknown_text(s) {
        return u;
    }
    if !plain {
        return Value::String(s.to_string());
    }
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Int(i);
        }
    }
    if digits.bytes().any(|b| b.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
    {
        if let Ok(f) = s.parse::<f64>() {
            if f.is_finite() {
                return Value::Float(f);
            }
        }
    }
    Value::String(s.to_string())
}

/// A CLI expression (`${{...}}`) or a placeholder (`<NAME>`) as an unknown
/// value; `None` for any other text.
pub fn unknown_text(s: &str) -> Option<Value> {
    let t = s.trim();
    if t.contains("${{") {
        return Some(Value::unknown(
            t,
            "a CLI expression (`${{...}}`) resolved when the job or pipeline runs",
        ));
    }
    if t.len() >= 3
        && t.starts_with('<')
        && t.ends_with('>')
        && !t[1..t.len() - 1].contains(['<', '>'])
    {
        return Some(Value::unknown(
            t,
            "a placeholder to fill in before the file is used",
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_spans_and_scalars_types() {
        let text = "$schema: x\nname: a # comment\nssh_settings:\n  admin_password: \"p@ss\"\n  port: 22\nlist:\n  - one\n";
        let d = parse(FileId(0), text).unwrap();
        assert_eq!(d.value.get_path("ssh_settings.port"), Some(&Value::Int(22)));
        let s = d.spans["ssh_settings.admin_password"];
        assert_eq!(
            &text[s.start as usize..s.end as usize],
            "admin_password: \"p@ss\""
        );
        let s = d.spans["name"];
        assert_eq!(&text[s.start as usize..s.end as usize], "name: a");
        let s = d.spans["list[0]"];
        assert_eq!(&text[s.start as usize..s.end as usize], "one");
        assert_eq!(&text[d.span.start as usize..d.span.end as usize], "name: a");
        let d = parse(FileId(0), "# c\n$schema: x\n").unwrap();
        assert_eq!(d.span.start, 4);
    }

    #[test]
    fn placeholders_and_expressions_are_unknown() {
        assert!(scalar("<PASSWORD>", true).is_unknown());
        assert!(scalar("${{parent.inputs.key}}", true).is_unknown());
        assert_eq!(scalar("a<b>", true), Value::str("a<b>"));
        assert_eq!(scalar("true", false), Value::str("true"));
        assert_eq!(scalar("1.5", true), Value::Float(1.5));
    }

    #[test]
    fn errors_are_positioned() {
        let text = "a: 1\nb: [1, 2\n";
        let e = parse(FileId(0), text).unwrap_err();
        assert_eq!(e.code, "yaml-syntax");
        let e = parse(FileId(0), "a: &x 1\nb: *x\n").unwrap_err();
        assert!(e.message.contains("anchors"), "{}", e.message);
        let e = parse(FileId(0), "- 1\n").unwrap_err();
        assert!(e.message.contains("mapping"), "{}", e.message);
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let mut text = String::from("a:\n");
        for i in 0..3000 {
            text.push_str(&" ".repeat(2 * i + 2));
            text.push_str(&format!("k{i}:\n"));
        }
        let e = parse(FileId(0), &text).unwrap_err();
        assert!(e.message.contains("too deeply"), "{}", e.message);
        let mut text = String::from("a:\n");
        text.push_str(&"- ".repeat(100_000));
        text.push('x');
        assert!(parse(FileId(0), &text).is_err());
    }

    #[test]
    fn duplicate_keys_keep_the_last_and_say_where_both_are() {
        let text = "name: a\ncustomer_managed_key:\n  key_uri: x\nhbi_workspace: false\nhbi_workspace: true\nnested:\n  k: 1\n  k: 2\n";
        let s = parse_stream(FileId(0), text).unwrap();
        let d = &s.docs[0];
        assert_eq!(d.value.get("hbi_workspace"), Some(&Value::Bool(true)));
        assert_eq!(d.value.get_path("nested.k"), Some(&Value::Int(2)));
        let sp = d.spans["hbi_workspace"];
        assert_eq!(
            &text[sp.start as usize..sp.end as usize],
            "hbi_workspace: true"
        );
        assert_eq!(s.diagnostics.len(), 2);
        let m = &s.diagnostics[0].message;
        assert!(
            m.contains("`hbi_workspace`")
                && m.contains("line 4, column 1")
                && m.contains("line 5, column 1"),
            "{m}"
        );
        assert!(
            s.diagnostics[1].message.contains("`nested.k`"),
            "{}",
            s.diagnostics[1].message
        );
        let Location::Span(at) = s.diagnostics[0].location else {
            panic!()
        };
        assert_eq!(
            &text[at.start as usize..at.end as usize],
            "hbi_workspace: true"
        );
    }

    #[test]
    fn every_document_is_read() {
        let text =
            "name: a\ntype: amlcompute\n---\n# second\nname: b\ntype: computeinstance\n---\n";
        let s = parse_stream(FileId(0), text).unwrap();
        assert_eq!(s.docs.len(), 2);
        assert_eq!(s.docs[1].value.get("name"), Some(&Value::str("b")));
        let sp = s.docs[1].span;
        assert_eq!(&text[sp.start as usize..sp.end as usize], "name: b");
        assert!(parse_stream(FileId(0), "a: 1\n---\n- x\n").is_err());
        assert!(parse_stream(FileId(0), "a: [[[[[[[[[[").is_err());
        let deep = format!("a: {}{}", "[".repeat(5000), "]".repeat(5000));
        let e = parse_stream(FileId(0), &deep).unwrap_err();
        assert!(
            e.message.contains("too deeply") || e.message.contains("recursion limit"),
            "{}",
            e.message
        );
        assert!(parse(FileId(0), "# only a comment\n")
            .unwrap()
            .value
            .as_object()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn non_ascii_offsets_are_bytes() {
        let text = "é: ü\nname: x\n";
        let d = parse(FileId(0), text).unwrap();
        let s = d.spans["name"];
        assert_eq!(&text[s.start as usize..s.end as usize], "name: x");
    }
}
