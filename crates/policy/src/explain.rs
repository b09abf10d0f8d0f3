//! Policy conditions in words, for the reasons a report gives: why a
//! definition does not apply to a resource (its applicability condition,
//! rendered with the assignment's parameter values).

use super::rewrite::param_ref;
use serde_json::{Map, Value as J};

/// The longest rendering kept; longer conditions end in `…`.
const MAX_CHARS: usize = 480;
/// Nesting deeper than this is shown as `…` (definitions are shallow).
const MAX_DEPTH: usize = 12;

/// The operators of a leaf condition, as Azure Policy spells them.
const OPERATORS: &[&str] = &[
    "equals",
    "notEquals",
    "like",
    "notLike",
    "match",
    "matchInsensitively",
    "notMatch",
    "notMatchInsensitively",
    "contains",
    "notContains",
    "in",
    "notIn",
    "containsKey",
    "notContainsKey",
    "less",
    "lessOrEquals",
    "greater",
    "greaterOrEquals",
    "exists",
];

/// `condition` in words (`` `type` equals 'T' and not `kind` equals 'Project' ``),
/// parameters replaced by their values in `params`. Leaves the
/// applicability rewrite made neutral (`{"value": true, "equals": b}`) are
/// left out; `None` when nothing is left.
pub(crate) fn render_condition(condition: &J, params: &Map<String, J>) -> Option<String> {
    let text = render(condition, params, 0)?;
    Some(truncate(text, MAX_CHARS))
}

fn render(c: &J, params: &Map<String, J>, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return Some("…".to_string());
    }
    let obj = c.as_object()?;
    for (k, v) in obj {
        let lower = k.to_ascii_lowercase();
        match lower.as_str() {
            "allof" | "anyof" => {
                let parts: Vec<String> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .take(64)
                    .filter_map(|x| render(x, params, depth + 1))
                    .collect();
                let joiner = if lower == "allof" { " and " } else { " or " };
                return match parts.len() {
                    0 => None,
                    1 => parts.into_iter().next(),
                    _ => Some(format!("({})", parts.join(joiner))),
                };
            }
            "not" => return render(v, params, depth + 1).map(|t| format!("not {t}")),
            _ => {}
        }
    }
    if is_neutral(obj) {
        return None;
    }
    let lhs = if let Some(f) = obj.get("field").and_then(J::as_str) {
        format!("`{f}`")
    } else if let Some(count) = obj.get("count") {
        let what = count
            .get("field")
            .and_then(J::as_str)
            .map(|f| format!("`{f}`"))
            .or_else(|| count.get("value").map(|v| show(&resolve(v, params))))
            .unwrap_or_else(|| "members".to_string());
        match count
            .get("where")
            .and_then(|w| render(w, params, depth + 1))
        {
            Some(w) => format!("the count of {what} where {w}"),
            None => format!("the count of {what}"),
        }
    } else if let Some(v) = obj.get("value") {
        show(&resolve(v, params))
    } else {
        return Some("a condition".to_string());
    };
    let (op, rhs) = OPERATORS
        .iter()
        .find_map(|op| {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(op))
                .map(|(_, v)| (*op, v))
        })
        .unwrap_or(("is", &J::Null));
    Some(format!("{lhs} {op} {}", show(&resolve(rhs, params))))
}

/// A leaf the applicability rewrite put in place of a condition that does
/// not decide applicability.
fn is_neutral(obj: &Map<String, J>) -> bool {
    obj.len() == 2
        && obj.get("value") == Some(&J::Bool(true))
        && obj.get("equals").is_some_and(J::is_boolean)
}

/// A `[parameters('x')]` reference replaced by the parameter's value.
fn resolve(v: &J, params: &Map<String, J>) -> J {
    match v.as_str().and_then(param_ref) {
        Some(p) => params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(p))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| v.clone()),
        None => v.clone(),
    }
}

fn show(v: &J) -> String {
    match v {
        J::String(s) => format!("'{}'", truncate(s.clone(), 120)),
        J::Array(items) => {
            let shown: Vec<String> = items.iter().take(12).map(show).collect();
            let more = if items.len() > 12 { ", …" } else { "" };
            format!("[{}{more}]", shown.join(", "))
        }
        other => truncate(other.to_string(), 120),
    }
}

fn truncate(mut s: String, max: usize) -> String {
    if s.chars().count() > max {
        let cut = s.char_indices().nth(max).map_or(s.len(), |(i, _)| i);
        s.truncate(cut);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_applicability_without_neutral_leaves() {
        let c = json!({"allOf": [
            {"field": "type", "equals": "Microsoft.MachineLearningServices/workspaces"},
            {"not": {"field": "kind", "in": "[parameters('kinds')]"}},
            {"value": true, "equals": true}
        ]});
        let params = json!({"Kinds": ["Project", "Hub"]});
        assert_eq!(
            render_condition(&c, params.as_object().unwrap()).as_deref(),
            Some("(`type` equals 'Microsoft.MachineLearningServices/workspaces' and not `kind` in ['Project', 'Hub'])")
        );
        assert_eq!(
            render_condition(
                &json!({"anyOf": [{"value": true, "equals": false}]}),
                &Map::new()
            ),
            None
        );
    }

    #[test]
    fn bounded_on_deep_and_long_conditions() {
        let mut c = json!({"field": "name", "like": "x".repeat(2000)});
        for _ in 0..100 {
            c = json!({"not": c});
        }
        let text = render_condition(&c, &Map::new()).unwrap();
        assert!(text.chars().count() <= MAX_CHARS + 1, "{}", text.len());
        assert!(text.contains('…'));
    }
}
