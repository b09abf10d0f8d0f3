//! Where secrets are written in a YAML file (decision 0030), found line by
//! line so that every document of a multi-document file, every copy of a
//! duplicated key and every spelling (quoted, `''` escapes, `|` and `>-`
//! blocks, plain multi-line scalars, inline flow mappings) is covered: the
//! value of each credential key (`account_key`, `sas_token`,
//! `client_secret`, `password`, connection strings, a `credentials`
//! object's `key` or `certificate`...), from the key's colon to the last line
//! indented deeper than the key. Errs on the side of masking more.

use aml_model::secrets::{Kind, Scope};
use aml_model::source::{FileId, Span};

/// The spans of every credential value in `text`.
pub fn secret_spans(file: FileId, text: &str, out: &mut Vec<Span>) {
    // Open mappings: the column of their keys, and their scope.
    let mut stack: Vec<(usize, Scope)> = Vec::new();
    // A value being masked, maybe over several lines: the column of its key,
    // where it starts and where its last line so far ends.
    let mut block: Option<(usize, usize, usize)> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        if let Some((col, start, end)) = block {
            if content.is_empty() {
                continue;
            }
            if indent > col {
                block = Some((col, start, line_start + line.len()));
                continue;
            }
            out.push(Span::new(file, start, end));
            block = None;
        }
        if content.starts_with("---") || content.starts_with("...") {
            stack.clear();
            continue;
        }
        if content.starts_with('#') {
            continue;
        }
        // `- key: value`: the key sits after the list markers.
        let mut col = indent;
        let mut rest = content;
        while let Some(r) = rest.strip_prefix("- ").or_else(|| rest.strip_prefix("-\t")) {
            let r2 = r.trim_start_matches([' ', '\t']);
            col += rest.len() - r2.len();
            rest = r2;
        }
        let Some((key, value, value_at)) = split_key(rest) else {
            continue;
        };
        let value_start = line_start + (line.len() - rest.len()) + value_at;
        let line_end = line_start + line.len();
        while stack.last().is_some_and(|(c, _)| *c >= col) {
            stack.pop();
        }
        let scope = stack.last().map(|(_, s)| *s).unwrap_or_else(Scope::root);
        let value = value.trim();
        let inline = !value.is_empty() && !value.starts_with('#');
        let hidden = match scope.member(key) {
            Kind::Secret => true,
            // A credentials object written inline, or a flow mapping holding a credential.
            Kind::Nested(inner) if inline => inner != scope || flow_has_secret(value, inner),
            Kind::Nested(inner) => {
                stack.push((col, inner));
                false
            }
        };
        if hidden {
            // The value, and what goes on over the next, deeper lines (a
            // block, a plain or quoted multi-line scalar, a flow value).
            block = Some((col, value_start, line_end));
        }
    }
    if let Some((_, start, end)) = block {
        out.push(Span::new(file, start, end));
    }
}

/// True when an inline flow value (`{admin_password: x, port: 22}`) names a
/// credential key, or a credentials object, at any depth.
fn flow_has_secret(value: &str, scope: Scope) -> bool {
    value.starts_with(['{', '['])
        && value
            .split([',', '{', '}', '[', ']'])
            .filter_map(|piece| piece.split_once(':'))
            .any(|(k, _)| {
                let k = k.trim().trim_matches(['"', '\'']);
                match scope.member(k) {
                    Kind::Secret => true,
                    Kind::Nested(inner) => inner != scope,
                }
            })
}

/// A `key: value` line: the key (unquoted), the value and the byte offset
/// of the value in `line`; `None` for anything else.
fn split_key(line: &str) -> Option<(&str, &str, usize)> {
    let (key, after) = if let Some(q) = line.strip_prefix(['"', '\'']) {
        let quote = line.as_bytes()[0] as char;
        let end = q.find(quote)?;
        (&q[..end], &q[end + 1..])
    } else {
        let end = line
            .find(": ")
            .or_else(|| line.ends_with(':').then(|| line.len() - 1))?;
        if line[..end].contains(['{', '[', '#']) {
            return None;
        }
        (&line[..end], &line[end..])
    };
    let after_colon = after.strip_prefix(':')?;
    let value_at = line.len() - after_colon.len();
    Some((key.trim(), after_colon, value_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        secret_spans(FileId(0), text, &mut out);
        out.iter()
            .map(|s| text[s.start as usize..s.end as usize].trim())
            .collect()
    }

    #[test]
    fn every_spelling_and_document() {
        let text = "\
name: ds
credentials:
  credentials_type: AccountKey
  account_key: 'it''s1'
  client_id: abc
---
type: azure_blob
credentials:
  sas_token: |
    line-one
    line-two

  tenant_id: t
  account_key: >-
    folded
    text
admin_password: plain
  continued
- ssh_settings: {admin_password: x}
  credentials: {account_key: y}
";
        assert_eq!(
            shown(text),
            [
                "'it''s1'",
                "|\n    line-one\n    line-two",
                ">-\n    folded\n    text",
                "plain\n  continued",
                "{admin_password: x}",
                "{account_key: y}",
            ]
        );
    }

    #[test]
    fn non_secret_settings_stay() {
        let text = "credentials:\n  type: service_principal\n  resource_id: /subscriptions/x/subnet_a\n  client_id: c\nservice_data_access_auth_identity: none\n";
        assert!(shown(text).is_empty(), "{:?}", shown(text));
    }
}
