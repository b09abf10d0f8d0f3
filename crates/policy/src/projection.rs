//! Which members of the normalised `input.resource` a definition can read
//! (decision 0072), so that the memo of outcomes can key an evaluation by
//! those members alone ([`crate::memo::OutcomeMemo::projected_key`]).
//!
//! A compiled definition reads the resource through its `field`s: a
//! built-in field (`type`, `name`, `tags['x']`, `identity.type`...) reads
//! the member of that name, an alias the member its short name begins with
//! (regorus resolves it through the compile registry's alias map, strips
//! the type, lower-cases it, and reads `input.resource` along it), and the
//! `field('...')` calls of its template expressions. Anything else a
//! definition could read the resource by is refused: a template expression
//! calling a function outside [`PURE_FUNCTIONS`] (`current()`,
//! `resourceGroup()`, `subscription()`, `requestContext()`, `reference()`...)
//! or `field()` with anything but one literal string, a `field` that is not
//! a literal string, an alias the map does not know, a short name that
//! reads the resource's root as a whole. A refused definition keeps the
//! exact key of the whole resource.

use crate::rewrite::is_builtin_field;
use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet};

/// Deepest nesting of a rule walked; a deeper rule is refused.
const MAX_DEPTH: usize = 128;

/// The lower-case top-level members of the normalised resource that `rule`
/// (the `policyRule` compiled, legacy aliases rewritten) can read, sorted,
/// `type` and `kind` always among them; `None` when it may read more.
/// `aliases` is the compile registry's map from lower-case alias names to
/// short names.
pub(crate) fn top_level_reads(rule: &J, aliases: &BTreeMap<String, String>) -> Option<Vec<String>> {
    let mut reads: BTreeSet<String> = ["type", "kind"].into_iter().map(String::from).collect();
    walk(rule, aliases, &mut reads, 0)?;
    Some(reads.into_iter().collect())
}

fn walk(
    v: &J,
    aliases: &BTreeMap<String, String>,
    reads: &mut BTreeSet<String>,
    depth: usize,
) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    match v {
        J::String(s) if s.starts_with('[') && !s.starts_with("[[") => {
            for field in expression_fields(s)? {
                reads.insert(member_of_field(field, aliases)?);
            }
        }
        J::Array(items) => {
            for x in items {
                walk(x, aliases, reads, depth + 1)?;
            }
        }
        J::Object(members) => {
            for (k, x) in members {
                if k.eq_ignore_ascii_case("field") {
                    let J::String(field) = x else { return None };
                    reads.insert(member_of_field(field, aliases)?);
                } else {
                    walk(x, aliases, reads, depth + 1)?;
                }
            }
        }
        _ => {}
    }
    Some(())
}

/// Template functions whose result depends on their arguments alone (and
/// `parameters`, whose values are in the memo's key), lower case: an
/// expression calling only these reads the resource through its `field`
/// calls alone.
const PURE_FUNCTIONS: &[&str] = &[
    "add",
    "and",
    "array",
    "bool",
    "coalesce",
    "concat",
    "contains",
    "createarray",
    "div",
    "empty",
    "endswith",
    "equals",
    "field",
    "first",
    "greater",
    "greaterorequals",
    "if",
    "indexof",
    "int",
    "intersection",
    "json",
    "last",
    "lastindexof",
    "length",
    "less",
    "lessorequals",
    "max",
    "min",
    "mod",
    "mul",
    "not",
    "or",
    "padleft",
    "parameters",
    "range",
    "replace",
    "skip",
    "split",
    "startswith",
    "string",
    "sub",
    "substring",
    "take",
    "tolower",
    "toupper",
    "trim",
    "union",
];

/// The fields an expression (`[...]`) reads with `field('...')`; `None`
/// when it calls a function outside [`PURE_FUNCTIONS`], or `field` with
/// anything but one literal string.
fn expression_fields(expression: &str) -> Option<Vec<&str>> {
    let b = expression.as_bytes();
    let mut fields = Vec::new();
    let mut i = 1; // after the `[`
    while i < b.len() {
        match b[i] {
            // A string literal ('' is a quote inside it).
            b'\'' => {
                i += 1;
                loop {
                    match b.get(i) {
                        None => return None,
                        Some(b'\'') if b.get(i + 1) == Some(&b'\'') => i += 2,
                        Some(b'\'') => break,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let name = &expression[start..i];
                // A property after a `.` is not a call.
                let property = start > 0 && b[start - 1] == b'.';
                let mut j = i;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                if property || b.get(j) != Some(&b'(') {
                    continue;
                }
                let lower = name.to_ascii_lowercase();
                if !PURE_FUNCTIONS.contains(&lower.as_str()) {
                    return None;
                }
                if lower == "field" {
                    let (field, end) = literal_argument(expression, j + 1)?;
                    fields.push(field);
                    i = end;
                }
            }
            _ => i += 1,
        }
    }
    Some(fields)
}

/// The one string literal argument of a call whose `(` ends at `from`,
/// without escaped quotes, and where the call's `)` ends.
fn literal_argument(expression: &str, from: usize) -> Option<(&str, usize)> {
    let rest = &expression[from..];
    let body = rest.trim_start().strip_prefix('\'')?;
    let close = body.find('\'')?;
    let after = body[close + 1..].trim_start();
    if !after.starts_with(')') || body[close + 1..].starts_with('\'') {
        return None;
    }
    let end = expression.len() - after.len() + 1;
    Some((&body[..close], end))
}

/// The top-level member a `field` reads: a built-in field's own, an alias's
/// short name's first segment. `None` for an expression, an unknown alias,
/// or a short name without a first segment.
fn member_of_field(field: &str, aliases: &BTreeMap<String, String>) -> Option<String> {
    if field.starts_with('[') {
        return None;
    }
    let lower = field.to_ascii_lowercase();
    if is_builtin_field(field) {
        // `identity.type`, `tags.x`, `tags['x']`: the member before the path.
        let end = lower.find(['.', '[']).unwrap_or(lower.len());
        return Some(lower[..end].to_string());
    }
    // As regorus resolves it: the alias, else the `[*]` alias of the name.
    let short = aliases
        .get(&lower)
        .or_else(|| aliases.get(&format!("{lower}[*]")))?;
    // Without the type (a `/` before the first `[`), lower case.
    let head = short.find('[').map_or(short.as_str(), |i| &short[..i]);
    let path = match head.rfind('/') {
        Some(i) => &short[i + 1..],
        None => short.as_str(),
    };
    let first = path.split(['.', '[']).next().unwrap_or("");
    (!first.is_empty()).then(|| first.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn aliases() -> BTreeMap<String, String> {
        [
            ("microsoft.t/w/publicnetworkaccess", "publicNetworkAccess"),
            ("microsoft.t/w/encryption.status", "encryption.status"),
            ("microsoft.t/w/rules[*]", "rules[*]"),
            ("microsoft.t/w/rules[*].action", "rules[*].action"),
            ("microsoft.t/w/odd", "[*].x"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    #[test]
    fn fields_name_the_members_they_read() {
        let rule = json!({
            "if": {"allOf": [
                {"field": "type", "equals": "Microsoft.T/w"},
                {"field": "Microsoft.T/w/publicNetworkAccess", "notEquals": "[parameters('p')]"},
                {"field": "Microsoft.T/w/Encryption.Status", "equals": "Enabled"},
                {"count": {"field": "Microsoft.T/w/rules[*]", "where": {"field": "Microsoft.T/w/rules[*].action", "equals": "Allow"}}, "greater": 0},
                {"field": "tags['env']", "exists": true},
                {"field": "identity.type", "equals": "None"},
                {"value": "[[literal", "equals": "[[literal"},
                {"value": "[empty(field('Microsoft.T/w/rules[*].action'))]", "equals": false},
                {"value": "[concat(toLower(field( 'name' )), 'x(y)', parameters('s'))]", "notEquals": "[parameters('t')]"}
            ]},
            "then": {"effect": "[parameters('effect')]"}
        });
        assert_eq!(
            top_level_reads(&rule, &aliases()).unwrap(),
            [
                "encryption",
                "identity",
                "kind",
                "name",
                "publicnetworkaccess",
                "rules",
                "tags",
                "type"
            ]
        );
        // A legacy name whose `[*]` alias is known reads the same member.
        let legacy = json!({"field": "Microsoft.T/w/rules", "exists": true});
        assert!(top_level_reads(&legacy, &aliases())
            .unwrap()
            .contains(&"rules".to_string()));
    }

    #[test]
    fn what_may_read_more_is_refused() {
        for rule in [
            json!({"field": "[concat('tags[', parameters('t'), ']')]", "exists": true}),
            json!({"field": "[parameters('f')]", "exists": true}),
            json!({"field": 1, "exists": true}),
            json!({"field": "Microsoft.T/w/unknown", "exists": true}),
            json!({"field": "Microsoft.T/w/odd", "exists": true}),
            json!({"value": "[resourceGroup().name]", "equals": "x"}),
            json!({"value": "[field(parameters('f'))]", "equals": "x"}),
            json!({"value": "[field('a', 'b')]", "equals": "x"}),
            json!({"value": "[field('it''s')]", "equals": "x"}),
            json!({"value": "[current('x')]", "equals": "x"}),
            json!({"value": "[subscription().subscriptionId]", "equals": "x"}),
            json!({"value": "[empty(field('Microsoft.T/w/unknown'))]", "equals": true}),
            json!({"value": "['unterminated]", "equals": true}),
            json!({"value": "[requestContext().apiVersion]", "equals": "x"}),
            json!({"then": {"details": {"name": "[reference(field('fullName'))]"}}}),
        ] {
            assert_eq!(top_level_reads(&rule, &aliases()), None, "{rule}");
        }
        let mut deep = json!({"field": "name", "exists": true});
        for _ in 0..200 {
            deep = json!({"not": deep});
        }
        assert_eq!(top_level_reads(&deep, &aliases()), None);
    }
}
