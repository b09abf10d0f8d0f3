//! Where the values feeding a template's credentials are written: the
//! variables, parameter defaults and parameter-file values that a credential
//! property's expression reads (`[variables('pw')]`, `[concat(parameters('a'),
//! variables('b'))]`), followed through variables, so that every piece of a
//! secret is masked whatever builds it (decision 0030).

use aml_model::json::{Node, NodeKind};
use aml_model::secrets::{Kind, Scope};
use aml_model::source::{FileId, Span};

/// How deep variables are followed through variables.
const MAX_HOPS: usize = 16;

/// The spans of every variable, parameter default and parameter-file value
/// (in `params`) read by a credential property of `template`.
pub fn feeding_spans(
    file: FileId,
    template: &Node,
    params: Option<(FileId, &Node)>,
    out: &mut Vec<Span>,
) {
    let mut exprs: Vec<&str> = Vec::new();
    if let Some(resources) = template.get("resources") {
        credential_strings(resources, Scope::root(), &mut exprs, 0);
    }
    let mut seen: Vec<(bool, String)> = Vec::new();
    let mut queue: Vec<(&str, usize)> = exprs.into_iter().map(|e| (e, 0)).collect();
    while let Some((expr, hops)) = queue.pop() {
        if hops > MAX_HOPS {
            continue;
        }
        for (is_var, name) in references(expr) {
            if seen.contains(&(is_var, name.clone())) {
                continue;
            }
            seen.push((is_var, name.clone()));
            let written: Vec<(FileId, &Node)> = if is_var {
                template
                    .get("variables")
                    .and_then(|v| v.get(&name))
                    .map(|n| (file, n))
                    .into_iter()
                    .collect()
            } else {
                let default = template
                    .get("parameters")
                    .and_then(|p| p.get(&name))
                    .and_then(|p| p.get("defaultValue"))
                    .map(|n| (file, n));
                let given = params.and_then(|(pid, p)| {
                    p.get("parameters")
                        .and_then(|p| p.get(&name))
                        .and_then(|p| p.get("value"))
                        .map(|n| (pid, n))
                });
                default.into_iter().chain(given).collect()
            };
            for (f, n) in written {
                out.push(Span::new(f, n.start as usize, n.end as usize));
                if f == file {
                    let mut more = Vec::new();
                    strings(n, &mut more, 0);
                    queue.extend(more.into_iter().map(|e| (e, hops + 1)));
                }
            }
        }
    }
}

/// The strings of credential properties (by name or enclosing object).
fn credential_strings<'a>(node: &'a Node, scope: Scope, out: &mut Vec<&'a str>, depth: usize) {
    if depth > 256 {
        return;
    }
    match &node.kind {
        NodeKind::Object(members) => {
            for m in members {
                match scope.member(&m.key) {
                    Kind::Secret => strings(&m.value, out, depth + 1),
                    Kind::Nested(inner) => credential_strings(&m.value, inner, out, depth + 1),
                }
            }
        }
        NodeKind::Array(items) => items
            .iter()
            .for_each(|i| credential_strings(i, scope, out, depth + 1)),
        _ => {}
    }
}

/// Every string in a value (bounded).
fn strings<'a>(node: &'a Node, out: &mut Vec<&'a str>, depth: usize) {
    if depth > 256 || out.len() > 4096 {
        return;
    }
    match &node.kind {
        NodeKind::String(s) => out.push(s),
        NodeKind::Object(members) => members
            .iter()
            .for_each(|m| strings(&m.value, out, depth + 1)),
        NodeKind::Array(items) => items.iter().for_each(|i| strings(i, out, depth + 1)),
        _ => {}
    }
}

/// The `variables('x')` (true) and `parameters('x')` (false) an ARM
/// expression reads; none for a plain string.
fn references(expr: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    if !expr.starts_with('[') || expr.starts_with("[[") {
        return out;
    }
    let lower = expr.to_ascii_lowercase();
    for (is_var, call) in [(true, "variables("), (false, "parameters(")] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(call) {
            let rest = &expr[from + i + call.len()..];
            from += i + call.len();
            let rest = rest.trim_start();
            let Some(rest) = rest.strip_prefix('\'') else {
                continue;
            };
            if let Some(end) = rest.find('\'') {
                out.push((is_var, rest[..end].to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_variables_and_parameters_into_credentials() {
        let template = r#"{
  "parameters": {"a": {"type": "string", "defaultValue": "pa\u0072t1"}, "n": {"type": "string", "defaultValue": "name"}},
  "variables": {"b": "[variables('c')]", "c": "part2", "unused": "zzz"},
  "resources": [{"name": "[parameters('n')]", "properties": {"osProfile": {"adminPassword": "[concat(parameters('a'), variables( 'b'))]"}}}]
}"#;
        let params = r#"{"parameters": {"a": {"value": "given"}}}"#;
        let t = aml_model::json::parse(template).unwrap();
        let p = aml_model::json::parse(params).unwrap();
        let mut out = Vec::new();
        feeding_spans(FileId(0), &t, Some((FileId(1), &p)), &mut out);
        let mut shown: Vec<&str> = out
            .iter()
            .map(|s| {
                let text = if s.file == FileId(0) {
                    template
                } else {
                    params
                };
                &text[s.start as usize..s.end as usize]
            })
            .collect();
        shown.sort();
        assert_eq!(
            shown,
            [
                r#""[variables('c')]""#,
                r#""given""#,
                r#""pa\u0072t1""#,
                r#""part2""#
            ]
        );
    }
}
