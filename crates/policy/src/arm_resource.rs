//! Definitions and initiatives kept as ARM resources (Enterprise-Scale, the
//! Azure Landing Zones library, many policy repositories):
//! `{"type": "Microsoft.Authorization/policyDefinitions", "apiVersion": ...,
//! "properties": {...}}`, deployed by a template, so every expression in
//! them is escaped (`"[[parameters('effect')]"`). ARM unescapes a string
//! that starts with `[[` by dropping the first `[` when it deploys the
//! resource; so do we, everywhere in the file, before reading it.

use serde_json::Value as J;

/// The resource types whose files are unescaped.
const TYPES: &[&str] = &[
    "Microsoft.Authorization/policyDefinitions",
    "Microsoft.Authorization/policySetDefinitions",
];

/// The file's text as ARM would deploy it, when it is a definition or an
/// initiative kept as an ARM resource that holds escaped expressions;
/// `None` otherwise (the text is read as it is). The change is made in
/// the text, one character per escaped string, so that lines (and, but
/// for that character, columns) of later diagnostics stay those of the file.
pub fn unescape(text: &str) -> Option<String> {
    if !text.contains("\"[[") {
        return None;
    }
    let root: J = serde_json::from_str(text).ok()?;
    let ty = root.get("type").and_then(J::as_str)?;
    if !TYPES.iter().any(|t| t.eq_ignore_ascii_case(ty)) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        out.push(c);
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_string = true;
            // A string that starts with `[[`: drop the first `[`.
            if text[i + 1..].starts_with("[[") {
                chars.next();
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_expressions_lose_one_bracket() {
        let text = r#"{
  "type": "Microsoft.Authorization/policyDefinitions",
  "name": "x",
  "properties": {
    "description": "keeps \"[[this]\" and [[that]",
    "policyRule": {"then": {"effect": "[[parameters('effect')]"}},
    "literal": "[[[x]"
  }
}"#;
        let out = unescape(text).unwrap();
        assert!(out.contains(r#""effect": "[parameters('effect')]""#));
        assert!(out.contains(r#""keeps \"[[this]\" and [[that]""#));
        assert!(out.contains(r#""literal": "[[x]""#));
        assert_eq!(out.lines().count(), text.lines().count());
    }

    #[test]
    fn other_files_are_read_as_they_are() {
        let plain = r#"{"properties": {"policyRule": {"then": {"effect": "[[parameters('e')]"}}}}"#;
        assert_eq!(unescape(plain), None);
        let template = r#"{"type": "Microsoft.Storage/storageAccounts", "x": "[[a]"}"#;
        assert_eq!(unescape(template), None);
    }
}
