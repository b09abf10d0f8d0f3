//! Reading YAML with `marked-yaml` into a [`Document`]: the value tree (as
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
use marked_yaml::{LoadError, Node};
use std::collections::BTreeMap;

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

/// Byte offsets of a text's characters (marked-yaml counts characters).
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

/// Parses one YAML file. On error, a positioned diagnostic.
pub fn parse(file: FileId, text: &str) -> Result<Document, Diagnostic> {
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
    let node = marked_yaml::parse_yaml(file.0 as usize, text).map_err(|e| {
        let (marker, what) = describe(&e);
        let at = marker.map(|m| offsets.byte(m.character())).unwrap_or(0);
        Diagnostic::error(
            "yaml-syntax",
            format!("invalid YAML: {what}"),
            Location::Span(Span::new(file, at, (at + 1).min(text.len()).max(at))),
        )
    })?;
    let mut spans = BTreeMap::new();
    let value = convert(&node, "", 0, file, &offsets, &mut spans);
    let start = node
        .span()
        .start()
        .map(|m| offsets.byte(m.character()))
        .unwrap_or(0);
    let start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let first_key = text[start..]
        .lines()
        .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
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
    Ok(Document { value, spans, span })
}

fn describe(e: &LoadError) -> (Option<&marked_yaml::Marker>, String) {
    match e {
        LoadError::TopLevelMustBeMapping(m) => (
            Some(m),
            "the document must be a mapping of keys to values".into(),
        ),
        LoadError::TopLevelMustBeSequence(m) => (Some(m), "the document must be a sequence".into()),
        LoadError::UnexpectedAnchor(m) => (
            Some(m),
            "anchors and aliases (`&x`, `*x`) are not supported in Azure ML YAML".into(),
        ),
        LoadError::MappingKeyMustBeScalar(m) => (
            Some(m),
            "a mapping key must be a plain value, not a list or mapping".into(),
        ),
        LoadError::UnexpectedTag(m) => (
            Some(m),
            "explicit tags (`!!str`, `!custom`) are not supported".into(),
        ),
        LoadError::ScanError(m, s) => (Some(m), s.info().to_string()),
        LoadError::DuplicateKey(d) => (
            d.key.span().start(),
            format!("the key `{}` is given twice", d.key.as_str()),
        ),
    }
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
        Node::Scalar(s) => scalar(s.as_str(), s.may_coerce()),
        Node::Sequence(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let p = format!("{path}[{i}]");
                    if let Some(start) = item.span().start() {
                        let b = offsets.byte(start.character());
                        let end = end_of(item, offsets).max(b);
                        spans.entry(p.clone()).or_insert(Span::new(file, b, end));
                    }
                    convert(item, &p, depth + 1, file, offsets, spans)
                })
                .collect(),
        ),
        Node::Mapping(map) => {
            let mut out = Object::new();
            for (k, v) in map.iter() {
                let key = k.as_str().to_string();
                let p = if path.is_empty() {
                    key.to_ascii_lowercase()
                } else {
                    format!("{path}.{}", key.to_ascii_lowercase())
                };
                if let Some(start) = k.span().start() {
                    let b = offsets.byte(start.character());
                    let end = end_of(v, offsets).max(offsets.scalar_end(b));
                    spans.insert(p.clone(), Span::new(file, b, end));
                }
                let value = convert(v, &p, depth + 1, file, offsets, spans);
                out.insert(key, value);
            }
            Value::Object(out)
        }
    }
}

/// Where a node ends: its recorded end, or for a scalar the end of its line.
fn end_of(node: &Node, offsets: &Offsets<'_>) -> usize {
    match node {
        Node::Scalar(s) => s
            .span()
            .start()
            .map(|m| offsets.scalar_end(offsets.byte(m.character())))
            .unwrap_or(0),
        other => match (other.span().end(), other.span().start()) {
            // Block collections end where the next key starts: step back over
            // the line break and indentation.
            (Some(e), _) => {
                let b = offsets.byte(e.character());
                let text = &offsets.text[..b];
                text.trim_end().len()
            }
            (None, Some(s)) => offsets.scalar_end(offsets.byte(s.character())),
            (None, None) => 0,
        },
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
    fn non_ascii_offsets_are_bytes() {
        let text = "é: ü\nname: x\n";
        let d = parse(FileId(0), text).unwrap();
        let s = d.spans["name"];
        assert_eq!(&text[s.start as usize..s.end as usize], "name: x");
    }
}
