//! Turning a [`PolicyResource`] into the `input.resource` regorus evaluates:
//! key casing canonicalised along the catalogue's alias paths, unknown values
//! replaced (by an alternative, or dropped), normalised through the alias
//! registry, and the host fields `fullname`, `name` and `apiversion` set.

use super::catalogue::{CaseNode, Catalogue, Seg};
use super::PolicyResource;
use aml_model::value::{Unknown, Value};
use regorus::Value as RValue;
use std::sync::Arc;

/// Decides what an unknown value becomes: `None` drops it (absent).
pub(crate) type Substitute<'a> = &'a dyn Fn(&Unknown) -> Option<serde_json::Value>;

/// The short name: the last segment of the full name (`ws/ci` → `ci`).
pub(crate) fn short_name(full_name: &str) -> &str {
    full_name.rsplit('/').next().unwrap_or(full_name)
}

/// Converts a model value to a regorus value, renaming object keys to the
/// catalogue's casing where they follow an alias path (so `"Subnet": {"Id":
/// ...}` reads as `subnet.id`). Keys off the alias paths keep their casing, and
/// a key is not renamed when the object already has the catalogue spelling.
pub(crate) fn to_regorus(v: &Value, node: Option<&CaseNode>, subst: Substitute) -> Option<RValue> {
    Some(match v {
        Value::Null => RValue::Null,
        Value::Bool(b) => RValue::Bool(*b),
        Value::Int(i) => RValue::from(*i),
        Value::Float(f) => RValue::from(*f),
        Value::String(s) => RValue::from(s.as_str()),
        Value::Array(items) => {
            let child = node.and_then(|n| n.items.as_deref());
            RValue::from(
                items
                    .iter()
                    .filter_map(|x| to_regorus(x, child, subst))
                    .collect::<Vec<_>>(),
            )
        }
        Value::Object(obj) => {
            let mut out = regorus::value::Object::default();
            for (k, val) in obj {
                let found = node.and_then(|n| key_in(&n.keys, k));
                let (key, child) = match found {
                    Some((canon, child)) if canon == k || !obj.contains_key(canon.as_str()) => {
                        (canon.as_str(), Some(child))
                    }
                    Some((_, child)) => (k.as_str(), Some(child)),
                    None => (k.as_str(), None),
                };
                if let Some(x) = to_regorus(val, child, subst) {
                    out.insert(RValue::from(key), x);
                }
            }
            RValue::from(out)
        }
        Value::Unknown(u) => RValue::from(subst(u)?),
    })
}

/// The entry of `keys` (lower-case) for `key`, lower-cased on the stack
/// when it is short (almost every key): no allocation per key.
fn key_in<'a, V, S: std::hash::BuildHasher>(
    keys: &'a std::collections::HashMap<String, V, S>,
    key: &str,
) -> Option<&'a V> {
    let mut buf = [0u8; 64];
    match buf.get_mut(..key.len()) {
        Some(lower) => {
            lower.copy_from_slice(key.as_bytes());
            lower.make_ascii_lowercase();
            keys.get(std::str::from_utf8(lower).ok()?)
        }
        None => keys.get(&key.to_ascii_lowercase()),
    }
}

#[cfg(test)]
thread_local! {
    /// Resources this thread has normalised (tests of what is shared).
    pub(crate) static PREPARED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The normalised `input.resource` for a resource, with host fields.
pub(crate) fn prepare(cat: &Catalogue, r: &PolicyResource, subst: Substitute) -> RValue {
    #[cfg(test)]
    PREPARED.with(|n| n.set(n.get() + 1));
    let tree = cat.case_tree(r.resource_type);
    let mut raw = match r.body {
        Value::Object(_) => to_regorus(r.body, tree, subst).unwrap_or_else(RValue::new_object),
        _ => RValue::new_object(),
    };
    let body_name = r.body.get("name").and_then(Value::as_str).unwrap_or("");
    let full_name = if r.full_name.is_empty() {
        body_name
    } else {
        r.full_name
    };
    if let Ok(obj) = raw.as_object_mut() {
        // The host's type and short name replace the body's, whatever their casing.
        obj.retain(|k, _| {
            !matches!(k, RValue::String(s) if s.eq_ignore_ascii_case("type") || s.eq_ignore_ascii_case("name"))
        });
        obj.insert(RValue::from("type"), RValue::from(r.resource_type));
        obj.insert(RValue::from("name"), RValue::from(short_name(full_name)));
        if !r.id.is_empty() && r.body.get("id").is_none() {
            obj.insert(RValue::from("id"), RValue::from(r.id));
        }
        if let (Some(loc), None) = (r.location, r.body.get("location")) {
            obj.insert(RValue::from("location"), RValue::from(loc));
        }
    }
    let mut res = cat.normalise(&raw, r.resource_type, r.api_version);
    if let Ok(obj) = res.as_object_mut() {
        obj.insert(RValue::from("fullname"), RValue::from(full_name));
        if let Some(api) = r.api_version {
            obj.insert(RValue::from("apiversion"), RValue::from(api));
        }
    }
    res
}

/// An unknown value found in a resource body, and where.
pub(crate) struct UnknownLeaf {
    /// Lower-case path; array indices are [`Seg::Any`].
    pub path: Vec<Seg>,
    pub unknown: Arc<Unknown>,
}

/// Every unknown value in `v`, depth first.
pub(crate) fn unknown_leaves(v: &Value) -> Vec<UnknownLeaf> {
    fn walk(v: &Value, path: &mut Vec<Seg>, out: &mut Vec<UnknownLeaf>) {
        match v {
            Value::Unknown(u) => out.push(UnknownLeaf {
                path: path.clone(),
                unknown: Arc::clone(u),
            }),
            Value::Array(items) => {
                for x in items {
                    path.push(Seg::Any);
                    walk(x, path, out);
                    path.pop();
                }
            }
            Value::Object(obj) => {
                for (k, x) in obj {
                    path.push(Seg::Key(k.to_ascii_lowercase()));
                    walk(x, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if v.contains_unknown() {
        walk(v, &mut Vec::new(), &mut out);
    }
    out
}

/// Resource group and subscription from a resource id, for the context.
pub(crate) fn scope_of(id: &str) -> (Option<&str>, Option<&str>) {
    let parts: Vec<&str> = id.split('/').filter(|p| !p.is_empty()).collect();
    let after = |key: &str| {
        parts
            .iter()
            .position(|p| p.eq_ignore_ascii_case(key))
            .and_then(|i| parts.get(i + 1).copied())
    };
    (after("resourceGroups"), after("subscriptions"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(v: serde_json::Value) -> Value {
        Value::from_json(&v)
    }

    #[test]
    fn keys_follow_catalogue_casing() {
        let cat = Catalogue::shipped();
        let body = json(serde_json::json!({
            "Properties": {"computeType": "AmlCompute", "Properties": {"Subnet": {"Id": "/x"}, "Custom": 1}}
        }));
        let tree = cat.case_tree("Microsoft.MachineLearningServices/workspaces/computes");
        let v = to_regorus(&body, tree, &|_| None).unwrap();
        assert_eq!(
            v["properties"]["properties"]["subnet"]["id"],
            RValue::from("/x")
        );
        assert_eq!(v["properties"]["properties"]["Custom"], RValue::from(1i64));
    }

    #[test]
    fn unknowns_are_substituted_or_dropped() {
        let mut o = aml_model::value::Object::default();
        o.insert("a".into(), Value::unknown("[parameters('a')]", "no value"));
        o.insert("b".into(), Value::unknown("[parameters('b')]", "no value"));
        let v = to_regorus(&Value::Object(o.clone()), None, &|u| {
            (u.expr == "[parameters('a')]").then(|| serde_json::json!("x"))
        })
        .unwrap();
        assert_eq!(v["a"], RValue::from("x"));
        assert_eq!(v["b"], RValue::Undefined);
        let leaves = unknown_leaves(&Value::Object(o));
        assert_eq!(leaves.len(), 2);
        assert_eq!(leaves[0].path, vec![Seg::Key("a".into())]);
    }

    #[test]
    fn host_fields_override_the_body() {
        let cat = Catalogue::shipped();
        let body = json(serde_json::json!({"Name": "ws/ci", "TYPE": "x", "properties": {}}));
        let r = PolicyResource {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/ci",
            resource_type: "Microsoft.MachineLearningServices/workspaces/computes",
            full_name: "ws/ci",
            api_version: Some("2024-04-01"),
            location: Some("eastus"),
            body: &body,
        };
        let v = prepare(cat, &r, &|_| None);
        assert_eq!(v["name"], RValue::from("ci"));
        assert_eq!(v["fullname"], RValue::from("ws/ci"));
        assert_eq!(v["type"], RValue::from(r.resource_type));
        assert_eq!(v["location"], RValue::from("eastus"));
        assert_eq!(v["apiversion"], RValue::from("2024-04-01"));
    }

    #[test]
    fn keys_are_found_lower_cased() {
        let mut keys = std::collections::HashMap::new();
        keys.insert("properties".to_string(), 1);
        let long = format!("a{}", "b".repeat(80));
        keys.insert(long.clone(), 2);
        keys.insert("ünïcode".to_string(), 3);
        assert_eq!(key_in(&keys, "Properties"), Some(&1));
        assert_eq!(key_in(&keys, "PROPERTIES"), Some(&1));
        assert_eq!(key_in(&keys, &long.to_uppercase()), Some(&2));
        // ASCII letters only are lower-cased, as `to_ascii_lowercase` does.
        assert_eq!(key_in(&keys, "üNïCODE"), Some(&3));
        assert_eq!(key_in(&keys, "Ünïcode"), None);
        assert_eq!(key_in(&keys, "propertie"), None);
    }

    #[test]
    fn scope() {
        let id = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws";
        assert_eq!(scope_of(id), (Some("rg1"), Some("s1")));
        assert_eq!(short_name("ws/ci"), "ci");
    }
}
