//! Fixes in Azure ML CLI v2 YAML: the ARM property a rule wants is traced
//! back to the YAML key the CLI sends it from, the YAML value is chosen so
//! that the CLI's own mapping (`aml_yaml::mapping`) gives the wanted ARM
//! value and the CLI's schema (`aml_yaml::schemas`) accepts it, and the edit
//! is a splice at the key's byte range: comments, key order, quoting and
//! indentation stay as they were. There is no second table of keys: the
//! mapping says which key sets a property ([`Resource::source_names`], the
//! spans of the keys the file sets) and is run again on every candidate.

use crate::edit::TextEdit;
use crate::{indent_at, line_end, line_start, same_value, Context, Done, OwnedSetting};
use aml_model::model::Resource;
use aml_model::source::FileId;
use aml_model::value::Value;
use aml_yaml::tree::Document;
use aml_yaml::Kind;

/// Keys nested deeper than this are not written (no Azure ML key comes near).
const MAX_SEGMENTS: usize = 8;

/// Writes `settings` into the YAML document the resource was mapped from.
pub(crate) fn fix(cx: &mut Context, resource: &Resource, settings: &[&OwnedSetting]) -> Done {
    let file = resource.span.file;
    let Some(stream) = cx.yaml(file) else {
        return Done::manual(format!("{} is not valid YAML any more", cx.display(file)));
    };
    let Some(doc) = stream.docs.iter().find(|d| d.span == resource.span) else {
        return Done::manual(format!(
            "the entity's document was not found in {}",
            cx.display(file)
        ));
    };
    let Some(kind) = aml_yaml::detect(&doc.value) else {
        return Done::manual(format!(
            "{} is no Azure ML entity any more",
            cx.display(file)
        ));
    };
    let mut done = Done::default();
    let mut planned: Vec<Planned> = Vec::new();
    for s in settings {
        match plan_key(doc, kind, resource, s, &planned) {
            Ok(p) => planned.push(p),
            Err(why) => done
                .manual
                .push(format!("`{}`: {why}; set it by hand", s.path)),
        }
    }
    write(cx, file, doc, &planned, &mut done);
    done
}

/// A YAML key to set, with its value, for one ARM setting.
#[derive(Clone, Debug)]
struct Planned {
    /// The key path as the CLI spells it (`managed_network.isolation_mode`).
    key: String,
    value: Value,
    /// The ARM path, for messages.
    path: String,
}

/// The YAML key that decides `s.path` and the value to give it.
fn plan_key(
    doc: &Document,
    kind: Kind,
    resource: &Resource,
    s: &OwnedSetting,
    earlier: &[Planned],
) -> Result<Planned, String> {
    let key = key_of(doc, resource, &s.path).ok_or_else(|| {
        "no key of this CLI YAML entity sets it (the CLI derives it or sends its own default)"
            .to_string()
    })?;
    if key.contains('[') || key.split('.').count() > MAX_SEGMENTS {
        return Err(format!("`{key}` is inside a list"));
    }
    let current = doc.value.get_path(&key);
    for candidate in candidates(&s.value, current) {
        if gives(
            doc, kind, resource, &key, &candidate, &s.path, &s.value, earlier,
        ) {
            return Ok(Planned {
                key,
                value: candidate,
                path: s.path.clone(),
            });
        }
    }
    Err(format!(
        "`{key}` decides it, and no value of `{key}` that the CLI accepts gives {}",
        s.value
    ))
}

/// The key that sets an ARM path: the one whose text the file sets it from
/// (its span), else the key the mapping names for it.
fn key_of(doc: &Document, resource: &Resource, path: &str) -> Option<String> {
    let lc = path.to_ascii_lowercase();
    if let Some(span) = resource.spans.get(&lc) {
        if let Some((k, _)) = doc.spans.iter().find(|(_, s)| *s == span) {
            return Some(spelled(doc, k));
        }
    }
    resource.source_names.as_deref()?.get(&lc).cloned()
}

/// A lower-case span key as the document spells it (keys are case-sensitive to the CLI).
fn spelled(doc: &Document, lower: &str) -> String {
    let mut cur = &doc.value;
    let mut out: Vec<String> = Vec::new();
    for part in lower.split('.') {
        let found = cur
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(part)));
        match found {
            Some((k, v)) => {
                out.push(k.clone());
                cur = v;
            }
            None => out.push(part.to_string()),
        }
    }
    out.join(".")
}

/// YAML values that may give the ARM value `want`, the likeliest first:
/// the value itself, its snake_case and lower-case spellings, a boolean for
/// `Enabled`/`Disabled` and its negation, the number of an ISO 8601
/// duration (`PT60M`). The mapping decides which one is right.
fn candidates(want: &serde_json::Value, current: Option<&Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    match want {
        serde_json::Value::Bool(b) => {
            out.push(Value::Bool(*b));
            out.push(Value::Bool(!*b));
        }
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push(Value::Int(i));
            }
        }
        serde_json::Value::String(s) => {
            let snake = snake(s);
            // The file's own style first: a lower-case value stays lower-case.
            let lower_style = current
                .and_then(Value::as_str)
                .is_some_and(|c| c.chars().all(|ch| !ch.is_ascii_uppercase()));
            let multiword = snake.contains('_');
            if lower_style || (current.is_none() && multiword) {
                out.push(Value::str(&snake));
            }
            out.push(Value::str(s));
            out.push(Value::str(&snake));
            out.push(Value::str(s.to_ascii_lowercase()));
            if s.eq_ignore_ascii_case("enabled") || s.eq_ignore_ascii_case("disabled") {
                let on = s.eq_ignore_ascii_case("enabled");
                out.push(Value::Bool(on));
                out.push(Value::Bool(!on));
            }
            if let Some(n) = duration_number(s) {
                out.push(Value::Int(n));
            }
        }
        _ => {}
    }
    let mut unique: Vec<Value> = Vec::new();
    for v in out {
        if !unique.contains(&v) {
            unique.push(v);
        }
    }
    unique
}

/// `AllowOnlyApprovedOutbound` → `allow_only_approved_outbound`.
fn snake(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let after_lower = i > 0 && chars[i - 1].is_ascii_lowercase();
            let acronym_end = i > 0
                && chars[i - 1].is_ascii_uppercase()
                && chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if after_lower || acronym_end {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

/// The number of a one-unit ISO 8601 duration (`PT60M` → 60, `PT120S` → 120).
fn duration_number(s: &str) -> Option<i64> {
    let body = s.strip_prefix("PT").or_else(|| s.strip_prefix("pt"))?;
    let digits = body.strip_suffix(['M', 'S', 'H', 'm', 's', 'h'])?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// True when setting `key` to `candidate` (with the keys planned before)
/// is accepted by the CLI's schema, keeps the entity's kind, and maps to
/// `want` at ARM `path`.
#[allow(clippy::too_many_arguments)]
fn gives(
    doc: &Document,
    kind: Kind,
    resource: &Resource,
    key: &str,
    candidate: &Value,
    path: &str,
    want: &serde_json::Value,
    earlier: &[Planned],
) -> bool {
    let mut value = doc.value.clone();
    for p in earlier {
        value.set_path(&p.key, p.value.clone());
    }
    if !value.set_path(key, candidate.clone()) {
        return false;
    }
    if aml_yaml::detect(&value) != Some(kind) {
        return false;
    }
    if let Some(schema) = aml_yaml::validate::schema_for(kind, &value) {
        let lc = key.to_ascii_lowercase();
        let rejected = aml_yaml::validate::check(&value, schema)
            .iter()
            .any(|p| aml_yaml::validate::span_key(&p.path) == lc);
        if rejected {
            return false;
        }
    }
    let changed = Document {
        value,
        spans: doc.spans.clone(),
        span: doc.span,
    };
    aml_yaml::mapping::map(kind, &changed, &target_of(resource), resource.format)
        .iter()
        .find(|r| {
            r.resource_type
                .eq_ignore_ascii_case(&resource.resource_type)
        })
        .and_then(|r| r.get(path))
        .is_some_and(|v| same_value(v, want))
}

/// The mapping target the resource was made in (from its id).
fn target_of(resource: &Resource) -> aml_yaml::Target {
    let id = &resource.id;
    let scope = match id.to_ascii_lowercase().find("/providers/") {
        Some(i) => id[..i].to_string(),
        None => id.clone(),
    };
    let lower = id.to_ascii_lowercase();
    let workspace = lower
        .find("/workspaces/")
        .map(|i| {
            let rest = &id[i + "/workspaces/".len()..];
            rest.split('/').next().unwrap_or(rest).to_string()
        })
        .unwrap_or_else(|| "<workspace>".to_string());
    aml_yaml::Target {
        scope,
        location: resource
            .body
            .get("location")
            .and_then(Value::as_str)
            .unwrap_or("westeurope")
            .to_string(),
        workspace: aml_yaml::Workspace::Named {
            name: workspace,
            in_files: true,
        },
    }
}

/// An insertion of new keys below one mapping.
struct Insert {
    at: usize,
    indent: String,
    /// Key segments below the mapping, and the value.
    keys: Vec<(Vec<String>, Value, String)>,
}

/// Turns the planned keys into edits: a value replaced where its key is
/// written, new keys inserted after the last key of their mapping.
fn write(cx: &mut Context, file: FileId, doc: &Document, planned: &[Planned], done: &mut Done) {
    let owned = cx.text(file);
    let text: &str = &owned;
    let (nl, unit) = cx.style(file);
    let mut inserts: Vec<Insert> = Vec::new();
    for p in planned {
        let lc = p.key.to_ascii_lowercase();
        if let Some(span) = doc.spans.get(&lc) {
            match replace_value(text, span.start as usize, doc.value.get_path(&p.key)) {
                Ok((start, end, quote)) => {
                    // After a bare `key:`, the value needs its space.
                    let space = if start == end { " " } else { "" };
                    let new = format!("{space}{}", render(&p.value, quote));
                    let old = text[start..end].to_string();
                    done.edits
                        .push(TextEdit::replace(file, start, end, new.clone()));
                    done.messages.push(format!(
                        "{}: `{}` (`{}`) {} → {new}",
                        cx.at(file, start),
                        p.key,
                        p.path,
                        if old.is_empty() { "(empty)" } else { &old },
                    ));
                }
                Err(why) => done.manual.push(format!(
                    "`{}`: `{}` at {} {why}; set it by hand",
                    p.path,
                    p.key,
                    cx.at(file, span.start as usize)
                )),
            }
            continue;
        }
        match insertion(text, doc, &p.key, &unit) {
            Ok((at, indent, rest)) => match inserts.iter_mut().find(|i| i.at == at) {
                Some(i) => i.keys.push((rest, p.value.clone(), p.path.clone())),
                None => inserts.push(Insert {
                    at,
                    indent,
                    keys: vec![(rest, p.value.clone(), p.path.clone())],
                }),
            },
            Err(why) => done.manual.push(format!(
                "`{}`: `{}` cannot be added: {why}; set it by hand",
                p.path, p.key
            )),
        }
    }
    for ins in inserts {
        let mut body = String::new();
        block(&ins.keys, &ins.indent, &unit, nl, &mut body);
        for (keys, value, path) in &ins.keys {
            done.messages.push(format!(
                "{}: added `{}: {}` (`{path}`)",
                cx.at(file, ins.at),
                keys.join("."),
                render(value, None)
            ));
        }
        done.edits.push(TextEdit::insert(file, ins.at, body));
    }
}

/// New keys as block YAML lines, each preceded by a line break: keys that
/// share their first segment are written under one parent.
fn block(
    keys: &[(Vec<String>, Value, String)],
    indent: &str,
    unit: &str,
    nl: &str,
    out: &mut String,
) {
    let mut heads: Vec<&str> = Vec::new();
    for (k, _, _) in keys {
        if let Some(h) = k.first() {
            if !heads.contains(&h.as_str()) {
                heads.push(h);
            }
        }
    }
    for head in heads {
        let group: Vec<&(Vec<String>, Value, String)> = keys
            .iter()
            .filter(|(k, _, _)| k.first().map(String::as_str) == Some(head))
            .collect();
        if let Some((_, v, _)) = group.iter().find(|(k, _, _)| k.len() == 1) {
            out.push_str(&format!("{nl}{indent}{head}: {}", render(v, None)));
            continue;
        }
        out.push_str(&format!("{nl}{indent}{head}:"));
        let inner: Vec<(Vec<String>, Value, String)> = group
            .iter()
            .map(|(k, v, p)| (k[1..].to_vec(), v.clone(), p.clone()))
            .collect();
        block(&inner, &format!("{indent}{unit}"), unit, nl, out);
    }
}

/// The byte range of the value written after the key at `key_start` (on
/// its line), and its quote character. A key with no value (`key:`) gives
/// an empty range after the colon, where a value can go.
fn replace_value(
    text: &str,
    key_start: usize,
    current: Option<&Value>,
) -> Result<(usize, usize, Option<char>), String> {
    let end = line_end(text, key_start);
    let line = &text[key_start..end];
    let colon = colon_of(line).ok_or("has no `:` on its line")?;
    let after = &line[colon + 1..];
    let lead = after.len() - after.trim_start_matches([' ', '\t']).len();
    let start = key_start + colon + 1 + lead;
    let rest = &text[start..end];
    if rest.is_empty() || rest.starts_with('#') {
        return match current {
            None | Some(Value::Null) => Ok((key_start + colon + 1, key_start + colon + 1, None)),
            Some(_) => Err("holds a block (a mapping or a list)".into()),
        };
    }
    match rest.as_bytes()[0] {
        b'"' => {
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => return Ok((start, start + i + 1, Some('"'))),
                    _ => escaped = false,
                }
            }
            Err("holds a quoted value written over several lines".into())
        }
        b'\'' => {
            let b = rest.as_bytes();
            let mut i = 1;
            while i < b.len() {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return Ok((start, start + i + 1, Some('\'')));
                }
                i += 1;
            }
            Err("holds a quoted value written over several lines".into())
        }
        b'|' | b'>' | b'{' | b'[' | b'&' | b'*' | b'!' => {
            Err("holds a block scalar, a flow collection, an anchor or a tag".into())
        }
        _ => {
            let plain = match rest.find(" #").or_else(|| rest.find("\t#")) {
                Some(i) => &rest[..i],
                None => rest,
            };
            let plain = plain.trim_end();
            // A plain value written over several lines reads differently.
            let read = aml_yaml::tree::scalar(plain, true);
            if current.is_some_and(|c| !c.is_unknown() && *c != read) {
                return Err("holds a value written over several lines".into());
            }
            Ok((start, start + plain.len(), None))
        }
    }
}

/// The offset of the `:` that ends the key at the start of `line`.
fn colon_of(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut i = 0;
    if let Some(q @ (b'"' | b'\'')) = b.first().copied() {
        i = 1 + line[1..].find(q as char)? + 1;
    }
    while i < b.len() {
        if b[i] == b':' && (i + 1 == b.len() || matches!(b[i + 1], b' ' | b'\t')) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// A value as YAML text: quoted with `quote` when the old value was, plain
/// when that reads back as the same string, else double-quoted.
fn render(v: &Value, quote: Option<char>) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::String(s) => match quote {
            Some('\'') => format!("'{}'", s.replace('\'', "''")),
            Some(_) => serde_json::to_string(s).unwrap_or_default(),
            None => {
                let safe = !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
                    && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
                if safe && aml_yaml::tree::scalar(s, true) == *v {
                    s.clone()
                } else {
                    serde_json::to_string(s).unwrap_or_default()
                }
            }
        },
        other => other.to_string(),
    }
}

/// Where a missing key goes: after the last key of the deepest mapping on
/// its path that the document has, indented as that mapping's keys are;
/// the offset, the indentation, and the key's segments below that mapping.
fn insertion(
    text: &str,
    doc: &Document,
    key: &str,
    unit: &str,
) -> Result<(usize, String, Vec<String>), String> {
    let segs: Vec<String> = key.split('.').map(str::to_string).collect();
    // The deepest prefix the document writes.
    let mut depth = 0;
    while depth < segs.len() - 1 {
        let prefix = segs[..=depth].join(".").to_ascii_lowercase();
        if !doc.spans.contains_key(&prefix) {
            break;
        }
        depth += 1;
    }
    let parent = segs[..depth].join(".").to_ascii_lowercase();
    let rest = segs[depth..].to_vec();
    let children: Vec<&aml_model::source::Span> = doc
        .spans
        .iter()
        .filter(|(k, _)| is_child(k, &parent))
        .map(|(_, s)| s)
        .collect();
    let (at, indent) = if let Some(first) = children.iter().min_by_key(|s| s.start) {
        let last = children.iter().map(|s| s.end).max().unwrap_or(first.end) as usize;
        let first_start = first.start as usize;
        // A flow mapping (`{...}`, JSON) takes no block keys.
        if text[..first_start].trim_end().ends_with(['{', ',']) {
            return Err("its mapping is written in flow style (`{...}`, JSON)".into());
        }
        let line = line_start(text, first_start).ok_or("the file has lines too long to edit")?;
        if !parent.is_empty() {
            let parent_start = doc.spans[&parent].start as usize;
            if line_start(text, parent_start) == Some(line) {
                return Err(format!(
                    "`{}` is written on one line",
                    segs[..depth].join(".")
                ));
            }
        }
        let indent = &text[line..first_start];
        if !indent.chars().all(|c| c == ' ') {
            return Err("its mapping is inside a list or flow collection".into());
        }
        (
            line_end(text, content_end(text, first_start, last)),
            indent.to_string(),
        )
    } else if parent.is_empty() {
        return Err("the document has no keys".into());
    } else {
        // `parent:` with nothing below: the new keys go one level deeper.
        let parent_start = doc.spans[&parent].start as usize;
        if !matches!(doc.value.get_path(&parent), None | Some(Value::Null)) {
            return Err(format!("`{}` is not a mapping", segs[..depth].join(".")));
        }
        let indent = format!("{}{unit}", indent_at(text, parent_start));
        (line_end(text, parent_start), indent)
    };
    // What follows must not be more deeply indented (a block scalar or a
    // list the spans end early on): then the mapping's end is not known.
    let next = &text[at..];
    let next = next.trim_start_matches(['\r', '\n']);
    let next_line = next.lines().next().unwrap_or("");
    let next_indent = next_line.len() - next_line.trim_start_matches(' ').len();
    if !next_line.trim().is_empty()
        && !next_line.trim_start().starts_with('#')
        && next_indent > indent.len()
    {
        return Err("the end of its mapping is not clear (a block value follows)".into());
    }
    Ok((at, indent, rest))
}

/// The end of `start..end` without the comment lines and blank lines it
/// ends with: a block mapping's span runs to the next key, over the comments
/// that belong to that key.
fn content_end(text: &str, start: usize, end: usize) -> usize {
    let mut end = end.min(text.len());
    while end > start {
        let Some(line) = line_start(text, end.saturating_sub(1)) else {
            break;
        };
        let t = text[line.max(start)..end].trim();
        if line <= start || !(t.is_empty() || t.starts_with('#')) {
            break;
        }
        end = text[..line].trim_end_matches(['\r', '\n']).len();
    }
    end
}

/// True when span key `k` is a key directly below `parent` (`""` for the top).
fn is_child(k: &str, parent: &str) -> bool {
    let rest = if parent.is_empty() {
        k
    } else {
        match k.strip_prefix(parent).and_then(|r| r.strip_prefix('.')) {
            Some(r) => r,
            None => return false,
        }
    };
    !rest.is_empty() && !rest.contains(['.', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_and_durations() {
        assert_eq!(
            snake("AllowOnlyApprovedOutbound"),
            "allow_only_approved_outbound"
        );
        assert_eq!(snake("Disabled"), "disabled");
        assert_eq!(snake("AADToken"), "aad_token");
        assert_eq!(duration_number("PT60M"), Some(60));
        assert_eq!(duration_number("PT1H30M"), None);
    }

    fn doc(text: &str) -> Document {
        aml_yaml::tree::parse(FileId(0), text).unwrap()
    }

    #[test]
    fn new_keys_go_after_their_mapping_and_never_into_a_block() {
        // After the mapping's last key, before the comment of the next key.
        let text = "name: a\nmanaged_network:\n    outbound_rules:\n    - name: x\n# next\ntags:\n  a: b\n";
        let (at, indent, rest) =
            insertion(text, &doc(text), "managed_network.isolation_mode", "  ").unwrap();
        assert_eq!(
            (&text[..at], indent.as_str()),
            (&text[..text.find("\n# next").unwrap()], "    ")
        );
        assert_eq!(rest, ["isolation_mode"]);
        // A missing parent: after the document's last key, at its indentation.
        let text = "name: a\ndescription: |\n  two\n  lines\n";
        let e = insertion(text, &doc(text), "public_network_access", "  ").unwrap_err();
        assert!(e.contains("block value"), "{e}");
        let text = "name: a\nmanaged_network: {outbound_rules: []}\n";
        let e = insertion(text, &doc(text), "managed_network.isolation_mode", "  ").unwrap_err();
        assert!(e.contains("flow style"), "{e}");
        let text = "{\n  \"name\": \"a\",\n  \"kind\": \"default\"\n}\n";
        let e = insertion(text, &doc(text), "public_network_access", "  ").unwrap_err();
        assert!(e.contains("flow style"), "{e}");
        let text = "name: a\r\nkind: default\r\n";
        let (at, indent, rest) =
            insertion(text, &doc(text), "managed_network.isolation_mode", "  ").unwrap();
        assert_eq!((at, indent.as_str()), (text.len() - 2, ""));
        assert_eq!(rest, ["managed_network", "isolation_mode"]);
        let mut out = String::new();
        let keys = vec![(rest, Value::str("disabled"), String::new())];
        block(&keys, "", "  ", "\r\n", &mut out);
        assert_eq!(out, "\r\nmanaged_network:\r\n  isolation_mode: disabled");
    }

    #[test]
    fn candidates_follow_the_file_style() {
        let want = serde_json::json!("AllowOnlyApprovedOutbound");
        let lower = candidates(&want, Some(&Value::str("disabled")));
        assert_eq!(lower[0], Value::str("allow_only_approved_outbound"));
        let pascal = candidates(&want, Some(&Value::str("Disabled")));
        assert_eq!(pascal[0], Value::str("AllowOnlyApprovedOutbound"));
        let absent = candidates(&serde_json::json!("Disabled"), None);
        assert_eq!(absent[0], Value::str("Disabled"));
        assert!(candidates(&serde_json::json!("PT60M"), None).contains(&Value::Int(60)));
        assert_eq!(
            candidates(&serde_json::json!(true), None),
            [Value::Bool(true), Value::Bool(false)]
        );
    }

    #[test]
    fn values_keep_their_quotes() {
        let text = "a: \"Enabled\" # c\nb: 'x'\nc: plain # d\nd:\n";
        let (s, e, q) = replace_value(text, 0, Some(&Value::str("Enabled"))).unwrap();
        assert_eq!((&text[s..e], q), ("\"Enabled\"", Some('"')));
        assert_eq!(render(&Value::str("Disabled"), q), "\"Disabled\"");
        let (s, e, q) = replace_value(text, 17, Some(&Value::str("x"))).unwrap();
        assert_eq!((&text[s..e], q), ("'x'", Some('\'')));
        let (s, e, _) = replace_value(text, 24, Some(&Value::str("plain"))).unwrap();
        assert_eq!(&text[s..e], "plain");
        let (s, e, _) = replace_value(text, 37, None).unwrap();
        assert_eq!((s, e), (39, 39));
        assert_eq!(render(&Value::str("true"), None), "\"true\"");
        assert_eq!(render(&Value::Bool(false), None), "false");
    }
}
