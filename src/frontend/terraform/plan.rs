//! Terraform plan files (`terraform show -json`): `resource_changes[].change.after`
//! (with `after_unknown` as unknown values and `after_sensitive` values kept
//! out of every output) mapped with the same tables as configurations.
//! Positions point at each resource change's `address`.

use super::eval::{InstanceKey, ResInstance};
use super::mapping::{self, Input, ProviderVersion};
use crate::diagnostics::{Diagnostic, Location};
use crate::frontend::arm::json::{self, Node};
use crate::frontend::DeploymentOutput;
use crate::model::{Deployed, Resource};
use crate::source::{FileId, Span};
use crate::value::{Object, Value};
use std::collections::BTreeMap;

/// A cheap look at the text: a plan has `format_version` and
/// `planned_values` or `resource_changes`.
pub fn looks_like_plan(text: &str) -> bool {
    let head = &text[..text
        .char_indices()
        .map(|(i, _)| i)
        .take_while(|i| *i <= 4096)
        .last()
        .unwrap_or(0)];
    (head.contains("\"format_version\"") || text.contains("\"format_version\""))
        && (text.contains("\"planned_values\"") || text.contains("\"resource_changes\""))
        && !head.contains("deploymentTemplate.json")
}

/// Reads one plan file into a deployment.
pub fn read(file: FileId, text: &str) -> DeploymentOutput {
    let mut out = DeploymentOutput {
        entry: file,
        ..Default::default()
    };
    let root = match json::parse(text) {
        Ok(n) => n,
        Err(e) => {
            out.diagnostics.push(Diagnostic::error(
                "terraform-plan",
                format!("invalid plan JSON: {}", e.message),
                Location::Span(Span::new(file, e.offset, e.offset + 1)),
            ));
            return out;
        }
    };
    let Some(changes) = root.get("resource_changes").and_then(Node::as_array) else {
        out.diagnostics.push(Diagnostic::error(
            "terraform-plan",
            "the plan has no `resource_changes` array",
            Location::Span(Span::new(
                file,
                root.start as usize,
                root.start as usize + 1,
            )),
        ));
        return out;
    };
    let pv = ProviderVersion {
        major: ProviderVersion::CURRENT_MAJOR,
        source: "a plan file (the provider has already filled its defaults)".into(),
    };
    let mut merges = Vec::new();
    for change in changes.iter().take(100_000) {
        let (Some(address), Some(rtype)) = (
            change.get("address").and_then(Node::as_str),
            change.get("type").and_then(Node::as_str),
        ) else {
            continue;
        };
        if change.get("mode").and_then(Node::as_str) == Some("data") {
            continue;
        }
        let span = change
            .member("address")
            .map(|m| Span::new(file, m.value.start as usize, m.value.end as usize))
            .unwrap_or(Span::new(file, change.start as usize, change.end as usize));
        let Some(ch) = change.get("change") else {
            continue;
        };
        let actions: Vec<&str> = ch
            .get("actions")
            .and_then(Node::as_array)
            .map(|a| a.iter().filter_map(Node::as_str).collect())
            .unwrap_or_default();
        if actions == ["delete"] {
            continue;
        }
        let after = ch.get("after").map(Node::to_value).unwrap_or(Value::Null);
        let unknown = ch
            .get("after_unknown")
            .map(Node::to_value)
            .unwrap_or(Value::Null);
        let sensitive = ch
            .get("after_sensitive")
            .map(Node::to_value)
            .unwrap_or(Value::Null);
        collect_sensitive(&after, &sensitive, &mut out.secrets, 0);
        let config = overlay_unknown(after, &unknown, address, 0);
        let spans: BTreeMap<String, Span> = BTreeMap::new();
        let ri = ResInstance {
            key: InstanceKey::None,
            address: address.to_string(),
            config,
            spans,
            unknown_condition: None,
        };
        let inp = Input {
            rtype,
            address,
            config: &ri.config,
            spans: &ri.spans,
            decl: span,
            provider: &pv,
        };
        let Some(mapped) = mapping::map(&inp) else {
            continue;
        };
        for mp in mapped {
            if mp.merge_into.is_some() {
                merges.push(mp);
                continue;
            }
            out.resources.push(Resource {
                id: mp.id,
                resource_type: mp.resource_type,
                name: mp.name,
                api_version: Some(mp.api_version).filter(|s| !s.is_empty()),
                body: mp.body,
                parent_id: mp.parent_id,
                scope_id: mp.scope_id,
                existing: false,
                deployed: Deployed::Yes,
                span,
                symbol: Some(format!(
                    "{address}{}",
                    mp.symbol_suffix.clone().unwrap_or_default()
                )),
                spans: BTreeMap::new(),
                format: "terraform",
                deployment: 0,
            });
        }
    }
    for mp in merges {
        let target = mp.merge_into.clone().unwrap_or_default();
        if let Some(r) = out
            .resources
            .iter_mut()
            .find(|r| r.id.eq_ignore_ascii_case(&target))
        {
            mapping::merge_into(&mut r.body, &mp.body);
        }
    }
    out.secrets.sort();
    out.secrets.dedup();
    out
}

/// Replaces values marked `true` in `after_unknown` with unknowns.
fn overlay_unknown(after: Value, unknown: &Value, path: &str, depth: usize) -> Value {
    if depth > 64 {
        return after;
    }
    match unknown {
        Value::Bool(true) => Value::unknown(path.to_string(), "known only after apply"),
        Value::Object(u) => {
            let mut o = match after {
                Value::Object(o) => o,
                Value::Null => Object::new(),
                other => return other,
            };
            for (k, uv) in u {
                let cur = o.shift_remove(k).unwrap_or(Value::Null);
                let p = format!("{path}.{k}");
                let v = overlay_unknown(cur, uv, &p, depth + 1);
                o.insert(k.clone(), v);
            }
            Value::Object(o)
        }
        Value::Array(u) => match after {
            Value::Array(mut a) => {
                for (i, uv) in u.iter().enumerate() {
                    if i < a.len() {
                        let cur = std::mem::take(&mut a[i]);
                        a[i] = overlay_unknown(cur, uv, &format!("{path}[{i}]"), depth + 1);
                    } else if matches!(uv, Value::Bool(true)) {
                        a.push(Value::unknown(
                            format!("{path}[{i}]"),
                            "known only after apply",
                        ));
                    }
                }
                Value::Array(a)
            }
            other => other,
        },
        _ => after,
    }
}

/// Adds the values under `true` marks of `after_sensitive` to the secrets.
fn collect_sensitive(after: &Value, sensitive: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    match (after, sensitive) {
        (_, Value::Bool(true)) => strings(after, out),
        (Value::Object(a), Value::Object(s)) => {
            for (k, sv) in s {
                if let Some(av) = a.get(k) {
                    collect_sensitive(av, sv, out, depth + 1);
                }
            }
        }
        (Value::Array(a), Value::Array(s)) => {
            for (av, sv) in a.iter().zip(s) {
                collect_sensitive(av, sv, out, depth + 1);
            }
        }
        _ => {}
    }
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if !s.is_empty() => out.push(s.clone()),
        Value::Int(i) => out.push(i.to_string()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}
