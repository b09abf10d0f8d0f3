//! Reading and rewriting a definition's JSON before regorus compiles it.
//!
//! - [`rewrite_legacy_aliases`]: legacy array aliases → their `[*]` form.
//! - [`applicability_condition`]: the `if` reduced to what decides applicability.
//! - [`collect_fields`]: the fields a definition reads, with the literals it
//!   compares them against (for unknown alternatives).

use super::catalogue::Catalogue;
use serde_json::{json, Value as J};

/// Operators whose right-hand side is compared against a field's value.
const COMPARISONS: &[&str] = &[
    "equals",
    "notEquals",
    "in",
    "notIn",
    "like",
    "notLike",
    "contains",
    "notContains",
    "match",
    "notMatch",
    "matchInsensitively",
    "notMatchInsensitively",
    "containsKey",
    "notContainsKey",
    "greater",
    "greaterOrEquals",
    "less",
    "lessOrEquals",
];

/// Operators that hold for an empty array under the `[*]` (all members)
/// reading, and also for an empty collection of values: the negative ones.
const NEGATIVE: &[&str] = &[
    "notEquals",
    "notIn",
    "notLike",
    "notContains",
    "notMatch",
    "notMatchInsensitively",
    "notContainsKey",
];

fn key<'a>(obj: &'a serde_json::Map<String, J>, name: &str) -> Option<(&'a String, &'a J)> {
    obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))
}

fn get<'a>(obj: &'a serde_json::Map<String, J>, name: &str) -> Option<&'a J> {
    key(obj, name).map(|(_, v)| v)
}

/// The name `x` when `s` is exactly `[parameters('x')]`.
pub(crate) fn param_ref(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    if inner.len() < "parameters(".len()
        || !inner[.."parameters(".len()].eq_ignore_ascii_case("parameters(")
    {
        return None;
    }
    let arg = inner["parameters(".len()..].strip_suffix(')')?.trim();
    let name = arg.strip_prefix('\'')?.strip_suffix('\'')?;
    (!name.contains('\'')).then_some(name)
}

/// The string arguments of `fn('...')` calls inside template expressions of
/// `s` (case-insensitive function name), e.g. `field`, `current`, `parameters`.
pub(crate) fn call_args<'a>(s: &'a str, func: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    if !s.trim_start().starts_with('[') || s.starts_with("[[") {
        return out;
    }
    let lower = s.to_ascii_lowercase();
    let pat = format!("{}(", func.to_ascii_lowercase());
    let mut from = 0;
    while let Some(i) = lower[from..].find(&pat) {
        let start = from + i;
        let before_ok = start == 0
            || !lower.as_bytes()[start - 1].is_ascii_alphanumeric()
                && lower.as_bytes()[start - 1] != b'_';
        let rest = s[start + pat.len()..].trim_start();
        from = start + pat.len();
        if !before_ok {
            continue;
        }
        if let Some(arg) = rest.strip_prefix('\'') {
            if let Some(end) = arg.find('\'') {
                out.push(&arg[..end]);
            }
        }
    }
    out
}

/// True when the details of the `then` block make the effect a lookup
/// (auditIfNotExists / deployIfNotExists), as regorus decides it.
pub(crate) fn is_cross_resource(rule: &J) -> bool {
    let Some(then) = rule
        .as_object()
        .and_then(|r| get(r, "then"))
        .and_then(J::as_object)
    else {
        return false;
    };
    match get(then, "details").and_then(J::as_object) {
        Some(d) => get(d, "type").is_some() || get(d, "existenceCondition").is_some(),
        None => false,
    }
}

/// The conditions of a rule: its `if` and, for lookups, its `existenceCondition`.
fn conditions_mut(rule: &mut J) -> Vec<&mut J> {
    let mut out = Vec::new();
    let Some(obj) = rule.as_object_mut() else {
        return out;
    };
    for (k, v) in obj.iter_mut() {
        if k.eq_ignore_ascii_case("if") {
            out.push(v);
        } else if k.eq_ignore_ascii_case("then") {
            if let Some(details) = v
                .as_object_mut()
                .and_then(|t| {
                    t.iter_mut()
                        .find(|(k, _)| k.eq_ignore_ascii_case("details"))
                })
                .and_then(|(_, d)| d.as_object_mut())
            {
                if let Some((_, ec)) = details
                    .iter_mut()
                    .find(|(k, _)| k.eq_ignore_ascii_case("existenceCondition"))
                {
                    out.push(ec);
                }
            }
        }
    }
    out
}

fn conditions(rule: &J) -> Vec<&J> {
    let mut out = Vec::new();
    let Some(obj) = rule.as_object() else {
        return out;
    };
    if let Some(c) = get(obj, "if") {
        out.push(c);
    }
    if let Some(ec) = get(obj, "then")
        .and_then(J::as_object)
        .and_then(|t| get(t, "details"))
        .and_then(J::as_object)
        .and_then(|d| get(d, "existenceCondition"))
    {
        out.push(ec);
    }
    out
}

/// Rewrites legacy array aliases (no `[*]` in the name, `[*]` in the path,
/// e.g. `Microsoft.Insights/diagnosticSettings/logs.enabled`) in the `if` and
/// `existenceCondition` of `rule` to the `[*]` alias with the same path, which
/// regorus evaluates with Azure's implicit all-of. Outside a `count`, a
/// positive condition (`equals`, `in`, `exists: true`...) also requires the
/// array to be non-empty: an empty `logs: []` enables no log, and Azure
/// reports it non-compliant (azure-policy#1369), while regorus would hold the
/// all-of vacuously true. Returns whether anything changed.
pub(crate) fn rewrite_legacy_aliases(rule: &mut J, cat: &Catalogue) -> bool {
    let mut changed = false;
    for c in conditions_mut(rule) {
        rewrite_constraint(c, cat, false, &mut changed);
    }
    changed
}

fn rewrite_constraint(c: &mut J, cat: &Catalogue, in_count: bool, changed: &mut bool) {
    let Some(obj) = c.as_object_mut() else {
        return;
    };
    for (k, v) in obj.iter_mut() {
        let lk = k.to_ascii_lowercase();
        match lk.as_str() {
            "allof" | "anyof" => {
                if let Some(items) = v.as_array_mut() {
                    for item in items {
                        rewrite_constraint(item, cat, in_count, changed);
                    }
                }
                return;
            }
            "not" => {
                rewrite_constraint(v, cat, in_count, changed);
                return;
            }
            _ => {}
        }
    }
    // A leaf condition.
    let mut wrap_with: Option<String> = None;
    for (k, v) in obj.iter_mut() {
        let lk = k.to_ascii_lowercase();
        if lk == "count" {
            if let Some(count) = v.as_object_mut() {
                for (ck, cv) in count.iter_mut() {
                    if ck.eq_ignore_ascii_case("where") {
                        rewrite_constraint(cv, cat, true, changed);
                    } else if ck.eq_ignore_ascii_case("field") {
                        if let Some(new) = cv.as_str().and_then(|s| cat.legacy_replacement(s)) {
                            *cv = J::from(new);
                            *changed = true;
                        }
                    } else {
                        rewrite_expressions(cv, cat, changed);
                    }
                }
            }
        } else if lk == "field" {
            if let Some(new) = v.as_str().and_then(|s| cat.legacy_replacement(s)) {
                let array = new.split("[*]").next().map(|base| format!("{base}[*]"));
                wrap_with = array.filter(|a| cat.alias(a).is_some());
                *v = J::from(new);
                *changed = true;
            } else {
                rewrite_expressions(v, cat, changed);
            }
        } else {
            rewrite_expressions(v, cat, changed);
        }
    }
    if let (Some(array), false) = (wrap_with, in_count) {
        if is_positive(obj) {
            let leaf = std::mem::take(c);
            *c = json!({"allOf": [leaf, {"count": {"field": array}, "greater": 0}]});
        }
    }
}

/// Whether a leaf condition's operator can only hold on a non-empty collection.
fn is_positive(obj: &serde_json::Map<String, J>) -> bool {
    if let Some(v) = get(obj, "exists") {
        return match v {
            J::Bool(b) => *b,
            J::String(s) => s.eq_ignore_ascii_case("true"),
            _ => true,
        };
    }
    !obj.keys()
        .any(|k| NEGATIVE.iter().any(|n| n.eq_ignore_ascii_case(k)))
}

/// Rewrites legacy aliases quoted inside template expressions (`field('...')`).
fn rewrite_expressions(v: &mut J, cat: &Catalogue, changed: &mut bool) {
    match v {
        J::String(s) if s.starts_with('[') && !s.starts_with("[[") => {
            let mut out = s.clone();
            for func in ["field", "current"] {
                for arg in call_args(s, func) {
                    if let Some(new) = cat.legacy_replacement(arg) {
                        out = out.replace(&format!("'{arg}'"), &format!("'{new}'"));
                    }
                }
            }
            if out != *s {
                *s = out;
                *changed = true;
            }
        }
        J::Array(items) => items
            .iter_mut()
            .for_each(|x| rewrite_expressions(x, cat, changed)),
        J::Object(o) => o
            .values_mut()
            .for_each(|x| rewrite_expressions(x, cat, changed)),
        _ => {}
    }
}

/// The built-in fields that decide applicability.
fn applicability_field(obj: &serde_json::Map<String, J>) -> Option<&'static str> {
    if get(obj, "count").is_some() {
        return None;
    }
    match get(obj, "field")?.as_str()?.to_ascii_lowercase().as_str() {
        "type" => Some("type"),
        "name" | "fullname" => Some("name"),
        "kind" => Some("kind"),
        _ => None,
    }
}

/// Visits the leaf conditions of a constraint.
fn leaves<'a>(c: &'a J, f: &mut dyn FnMut(&'a serde_json::Map<String, J>)) {
    let Some(obj) = c.as_object() else {
        return;
    };
    for (k, v) in obj {
        match k.to_ascii_lowercase().as_str() {
            "allof" | "anyof" => {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .for_each(|x| leaves(x, f));
                return;
            }
            "not" => return leaves(v, f),
            _ => {}
        }
    }
    f(obj);
}

/// The `if` condition that decides whether a resource is *applicable*, per
/// Azure Policy's documented rule for Resource Manager modes
/// (learn.microsoft.com/azure/governance/policy/concepts/policy-applicability):
///
/// - auditIfNotExists / deployIfNotExists (`lookup = true`): the whole `if`.
/// - every other effect: only the `type`, `name` (and `fullName`) and `kind`
///   conditions count; every other leaf is *neutral*: replaced by `true`, or
///   by `false` under an odd number of `not`s, so that it never excludes a
///   resource. When the `if` has no other leaf at all, `name` and `kind`
///   conditions are neutral too (the documented special cases: "only type
///   and kind" or "only type and name" consider type only; "only name" or
///   "only kind" apply to every resource).
pub(crate) fn applicability_condition(cond: &J, lookup: bool) -> J {
    if lookup {
        return cond.clone();
    }
    let mut has_other = false;
    leaves(cond, &mut |leaf| {
        has_other |= applicability_field(leaf).is_none()
    });
    let keep = |leaf: &serde_json::Map<String, J>| match applicability_field(leaf) {
        Some("type") => true,
        Some(_) => has_other,
        None => false,
    };
    neutralise(cond, true, &keep)
}

/// Whether an applicability condition (as [`applicability_condition`]
/// makes it, for a definition without a lookup) reads nothing of a resource
/// but its `type` and `kind`: every leaf is a neutralised constant or
/// compares `type` or `kind` with literals or parameters (no other template
/// expression, which could read a field or the context). Its outcome is
/// then the same for every resource of one type and kind, given the same
/// parameters.
pub(crate) fn reads_only_type_and_kind(condition: &J) -> bool {
    fn plain(v: &J) -> bool {
        match v {
            J::String(s) => !s.starts_with('[') || s.starts_with("[[") || param_ref(s).is_some(),
            J::Array(items) => items.iter().all(plain),
            J::Object(members) => members.values().all(plain),
            _ => true,
        }
    }
    fn walk(c: &J, depth: usize) -> bool {
        let Some(obj) = c.as_object() else {
            return false;
        };
        if depth > 64 {
            return false;
        }
        for (k, v) in obj {
            match k.to_ascii_lowercase().as_str() {
                "allof" | "anyof" => {
                    return obj.len() == 1
                        && v.as_array()
                            .is_some_and(|items| items.iter().all(|x| walk(x, depth + 1)))
                }
                "not" => return obj.len() == 1 && walk(v, depth + 1),
                _ => {}
            }
        }
        // The constant `neutralise` leaves.
        if obj.len() == 2
            && obj.get("value") == Some(&J::Bool(true))
            && obj.get("equals").is_some_and(J::is_boolean)
        {
            return true;
        }
        let field = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case("field"));
        let Some((_, J::String(field))) = field else {
            return false;
        };
        (field.eq_ignore_ascii_case("type") || field.eq_ignore_ascii_case("kind"))
            && obj
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("field"))
                .all(|(k, v)| {
                    !k.eq_ignore_ascii_case("count") && !k.eq_ignore_ascii_case("value") && plain(v)
                })
    }
    walk(condition, 0)
}

fn single(key: &str, value: J) -> J {
    let mut m = serde_json::Map::new();
    m.insert(key.to_string(), value);
    J::Object(m)
}

fn neutralise(c: &J, positive: bool, keep: &dyn Fn(&serde_json::Map<String, J>) -> bool) -> J {
    let Some(obj) = c.as_object() else {
        return c.clone();
    };
    for (k, v) in obj {
        match k.to_ascii_lowercase().as_str() {
            "allof" | "anyof" => {
                let items: Vec<J> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|x| neutralise(x, positive, keep))
                    .collect();
                return single(k, J::Array(items));
            }
            "not" => return single(k, neutralise(v, !positive, keep)),
            _ => {}
        }
    }
    if keep(obj) {
        c.clone()
    } else {
        json!({"value": true, "equals": positive})
    }
}

/// A right-hand side compared against a field: a literal, or a parameter.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Rhs {
    Literal(J),
    Param(String),
}

/// A field a definition reads, with the values its conditions compare it against.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReadField {
    /// As written (an alias, or a built-in field such as `kind`).
    pub field: String,
    pub compared_to: Vec<Rhs>,
}

/// Built-in (non-alias) fields.
pub(crate) fn is_builtin_field(f: &str) -> bool {
    let l = f.to_ascii_lowercase();
    matches!(
        l.as_str(),
        "type" | "id" | "kind" | "name" | "fullname" | "location" | "tags" | "apiversion"
    ) || l.starts_with("tags.")
        || l.starts_with("tags[")
        || l.starts_with("identity.")
}

/// The ARM path of a built-in field (`None` for `type`, which the host sets).
pub(crate) fn builtin_path(f: &str) -> Option<String> {
    let l = f.to_ascii_lowercase();
    Some(match l.as_str() {
        "type" => return None,
        "fullname" => "name".to_string(),
        "apiversion" => "apiVersion".to_string(),
        _ if l.starts_with("tags[") => {
            let tag = f[5..].trim_end_matches(']').trim_matches('\'');
            format!("tags.{tag}")
        }
        _ => f.to_string(),
    })
}

/// The fields read by the `if` and `existenceCondition` of `rule`, in order
/// of first appearance (case-insensitive), with the compared values.
pub(crate) fn collect_fields(rule: &J) -> Vec<ReadField> {
    let mut out: Vec<ReadField> = Vec::new();
    fn entry<'a>(out: &'a mut Vec<ReadField>, f: &str) -> &'a mut ReadField {
        let i = match out.iter().position(|r| r.field.eq_ignore_ascii_case(f)) {
            Some(i) => i,
            None => {
                out.push(ReadField {
                    field: f.to_string(),
                    compared_to: Vec::new(),
                });
                out.len() - 1
            }
        };
        &mut out[i]
    }
    fn rhs_of(v: &J) -> Vec<Rhs> {
        match v {
            J::String(s) => match param_ref(s) {
                Some(p) => vec![Rhs::Param(p.to_string())],
                None if s.starts_with('[') && !s.starts_with("[[") => Vec::new(),
                None => vec![Rhs::Literal(v.clone())],
            },
            J::Array(items) => items.iter().flat_map(rhs_of).collect(),
            other => vec![Rhs::Literal(other.clone())],
        }
    }
    fn expr_fields(v: &J, out: &mut Vec<ReadField>) {
        match v {
            J::String(s) => {
                for func in ["field", "current"] {
                    for arg in call_args(s, func) {
                        if arg.contains('/') || is_builtin_field(arg) {
                            entry(out, arg);
                        }
                    }
                }
            }
            J::Array(items) => items.iter().for_each(|x| expr_fields(x, out)),
            J::Object(o) => o.values().for_each(|x| expr_fields(x, out)),
            _ => {}
        }
    }
    fn walk(c: &J, out: &mut Vec<ReadField>) {
        let Some(obj) = c.as_object() else {
            return;
        };
        for (k, v) in obj {
            match k.to_ascii_lowercase().as_str() {
                "allof" | "anyof" => {
                    v.as_array()
                        .into_iter()
                        .flatten()
                        .for_each(|x| walk(x, out));
                    return;
                }
                "not" => return walk(v, out),
                _ => {}
            }
        }
        if let Some(count) = get(obj, "count").and_then(J::as_object) {
            if let Some(f) = get(count, "field").and_then(J::as_str) {
                entry(out, f);
            }
            if let Some(w) = get(count, "where") {
                walk(w, out);
            }
            if let Some(v) = get(count, "value") {
                expr_fields(v, out);
            }
        }
        if let Some(f) = get(obj, "field").and_then(J::as_str) {
            if f.starts_with('[') {
                expr_fields(&J::from(f), out);
            } else {
                let rhs: Vec<Rhs> = obj
                    .iter()
                    .filter(|(k, _)| COMPARISONS.iter().any(|c| c.eq_ignore_ascii_case(k)))
                    .flat_map(|(_, v)| rhs_of(v))
                    .collect();
                entry(out, f).compared_to.extend(rhs);
            }
        }
        if let Some(v) = get(obj, "value") {
            expr_fields(v, out);
        }
        for (k, v) in obj {
            if COMPARISONS.iter().any(|c| c.eq_ignore_ascii_case(k)) {
                expr_fields(v, out);
            }
        }
    }
    for c in conditions(rule) {
        walk(c, &mut out);
    }
    out
}

/// The right-hand sides of the `if`'s positive `type` conditions (`equals`,
/// `in`, `like` outside an odd number of `not`s).
pub(crate) fn type_conditions(rule: &J) -> Vec<Rhs> {
    fn walk(c: &J, positive: bool, out: &mut Vec<Rhs>) {
        let Some(obj) = c.as_object() else {
            return;
        };
        for (k, v) in obj {
            match k.to_ascii_lowercase().as_str() {
                "allof" | "anyof" => {
                    v.as_array()
                        .into_iter()
                        .flatten()
                        .for_each(|x| walk(x, positive, out));
                    return;
                }
                "not" => return walk(v, !positive, out),
                _ => {}
            }
        }
        let is_type = get(obj, "field")
            .and_then(J::as_str)
            .is_some_and(|f| f.eq_ignore_ascii_case("type"));
        if !is_type || !positive {
            return;
        }
        for op in ["equals", "in", "like"] {
            if let Some(v) = get(obj, op) {
                match v {
                    J::Array(items) => out.extend(items.iter().map(rhs)),
                    other => out.push(rhs(other)),
                }
            }
        }
    }
    fn rhs(v: &J) -> Rhs {
        match v.as_str().and_then(param_ref) {
            Some(p) => Rhs::Param(p.to_string()),
            None => Rhs::Literal(v.clone()),
        }
    }
    let mut out = Vec::new();
    if let Some(c) = rule.as_object().and_then(|r| get(r, "if")) {
        walk(c, true, &mut out);
    }
    out
}

/// The types a resource must have for the `if` to hold: the right-hand side
/// of a `type` `equals`/`in` condition that is the `if` itself or a direct
/// member of its top-level `allOf`. `None` when there is no such condition.
pub(crate) fn required_types(rule: &J) -> Option<Vec<Rhs>> {
    let cond = rule.as_object().and_then(|r| get(r, "if"))?.as_object()?;
    let type_leaf = |c: &serde_json::Map<String, J>| -> Option<Vec<Rhs>> {
        let f = get(c, "field")?.as_str()?;
        if !f.eq_ignore_ascii_case("type") || get(c, "count").is_some() {
            return None;
        }
        let rhs = get(c, "equals").or_else(|| get(c, "in"))?;
        let one = |v: &J| match v.as_str().and_then(param_ref) {
            Some(p) => Rhs::Param(p.to_string()),
            None => Rhs::Literal(v.clone()),
        };
        Some(match rhs {
            J::Array(items) => items.iter().map(one).collect(),
            other => vec![one(other)],
        })
    };
    if let Some(t) = type_leaf(cond) {
        return Some(t);
    }
    get(cond, "allOf")?
        .as_array()?
        .iter()
        .filter_map(J::as_object)
        .find_map(type_leaf)
}

/// Lower-case names of the parameters referenced anywhere in `v`.
pub(crate) fn referenced_params(v: &J) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &J, out: &mut Vec<String>) {
        match v {
            J::String(s) => {
                for p in call_args(s, "parameters") {
                    let p = p.to_ascii_lowercase();
                    if !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
            J::Array(items) => items.iter().for_each(|x| walk(x, out)),
            J::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_refs() {
        assert_eq!(param_ref("[parameters('effect')]"), Some("effect"));
        assert_eq!(param_ref("[ Parameters( 'effect' ) ]"), Some("effect"));
        assert_eq!(param_ref("[concat(parameters('a'), 'b')]"), None);
        assert_eq!(param_ref("Audit"), None);
        assert_eq!(call_args("[empty(field('A/b/c'))]", "field"), vec!["A/b/c"]);
        assert_eq!(call_args("[[field('x')]", "field"), Vec::<&str>::new());
    }

    #[test]
    fn applicability_keeps_type_name_kind() {
        let cond = json!({"allOf": [
            {"field": "type", "equals": "T"},
            {"not": {"field": "kind", "equals": "project"}},
            {"not": {"field": "T/x", "equals": "enabled"}},
            {"anyOf": [{"field": "T/y", "exists": false}]}
        ]});
        assert_eq!(
            applicability_condition(&cond, false),
            json!({"allOf": [
                {"field": "type", "equals": "T"},
                {"not": {"field": "kind", "equals": "project"}},
                {"not": {"value": true, "equals": false}},
                {"anyOf": [{"value": true, "equals": true}]}
            ]})
        );
        // Only type and kind: kind does not count.
        let cond =
            json!({"allOf": [{"field": "type", "equals": "T"}, {"field": "kind", "equals": "k"}]});
        assert_eq!(
            applicability_condition(&cond, false),
            json!({"allOf": [{"field": "type", "equals": "T"}, {"value": true, "equals": true}]})
        );
        // Lookups use the whole condition.
        assert_eq!(applicability_condition(&cond, true), cond);
    }

    #[test]
    fn fields_and_literals() {
        let rule = json!({
            "if": {"allOf": [
                {"field": "type", "equals": "T"},
                {"field": "T/a", "notEquals": "[parameters('p')]"},
                {"field": "T/b", "in": ["x", "y"]},
                {"value": "[empty(field('T/c'))]", "equals": true}
            ]},
            "then": {"effect": "audit"}
        });
        let f = collect_fields(&rule);
        let names: Vec<&str> = f.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(names, ["type", "T/a", "T/b", "T/c"]);
        assert_eq!(f[1].compared_to, vec![Rhs::Param("p".into())]);
        assert_eq!(f[2].compared_to.len(), 2);
        assert_eq!(referenced_params(&rule), vec!["p".to_string()]);
    }
}
