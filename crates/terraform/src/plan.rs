//! Terraform plan files (`terraform show -json`): `resource_changes[].change.after`
//! (with `after_unknown` as unknown values and `after_sensitive` values kept
//! out of every output) and the `planned_values` resources the changes do not
//! list, mapped with the same tables as configurations. References `after`
//! leaves unknown (ids of resources created in the same apply) are linked
//! through the plan's `configuration`. Positions point at each `address`.

use super::mapping::{self, Input, ProviderVersion};
use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::input::DeploymentOutput;
use aml_model::json::{self, Node, NodeKind};
use aml_model::model::{Deployed, Resource};
use aml_model::source::{FileId, Span};
use aml_model::value::{Object, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

pub use aml_model::input::looks_like_plan;

/// One resource of the plan before mapping.
struct PlanResource {
    address: String,
    rtype: String,
    span: Span,
    config: Value,
}

/// Reads one plan file into a deployment: `resource_changes`, then the
/// resources of `planned_values` the changes do not list; references that
/// `after` leaves unknown are linked through `configuration`.
pub fn read(file: FileId, text: &str) -> DeploymentOutput {
    let mut out = DeploymentOutput {
        entry: file,
        ..Default::default()
    };
    let root = match json::parse_in_parallel(text) {
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
    // Credential attributes by name (`admin_password`, `account_key`...).
    aml_model::secrets::json_secret_spans(file, &root, &mut out.secret_spans);
    let changes = root.get("resource_changes").and_then(Node::as_array);
    let planned = root
        .get("planned_values")
        .and_then(|p| p.get("root_module"));
    if changes.is_none() && planned.is_none() {
        out.diagnostics.push(Diagnostic::error(
            "terraform-plan",
            "the plan has neither a `resource_changes` array nor `planned_values`",
            Location::Span(Span::new(
                file,
                root.start as usize,
                root.start as usize + 1,
            )),
        ));
        return out;
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut plan_resources = changed_resources(
        file,
        changes.unwrap_or_default(),
        &mut seen,
        &mut out.secrets,
    );
    plan_resources.extend(planned_resources(
        file,
        planned,
        &mut seen,
        &mut out.secrets,
    ));
    let pv = ProviderVersion {
        major: ProviderVersion::CURRENT_MAJOR,
        source: "a plan file (the provider has already filled its defaults)".into(),
    };
    if let Some(config_root) = root.get("configuration").and_then(|c| c.get("root_module")) {
        link_configuration(config_root, &mut plan_resources, &pv);
    }
    out.resources = mapped_resources(&plan_resources, &pv);
    out.secrets.sort();
    out.secrets.dedup();
    out
}

/// The span of a plan entry's `address` (else of the entry).
fn address_span(file: FileId, n: &Node) -> Span {
    n.member("address")
        .map(|m| Span::new(file, m.value.start as usize, m.value.end as usize))
        .unwrap_or(Span::new(file, n.start as usize, n.end as usize))
}

/// The resources `resource_changes` creates or updates (every address,
/// data sources and deletions included, goes into `seen`).
fn changed_resources(
    file: FileId,
    changes: &[Node],
    seen: &mut HashSet<String>,
    secrets: &mut Vec<String>,
) -> Vec<PlanResource> {
    let mut plan_resources = Vec::new();
    for change in changes.iter().take(100_000) {
        let (Some(address), Some(rtype)) = (
            change.get("address").and_then(Node::as_str),
            change.get("type").and_then(Node::as_str),
        ) else {
            continue;
        };
        seen.insert(address.to_string());
        if change.get("mode").and_then(Node::as_str) == Some("data") {
            continue;
        }
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
        collect_sensitive(&after, &sensitive, secrets, 0);
        let after = mask_sensitive(after, &sensitive, address, 0);
        plan_resources.push(PlanResource {
            address: address.to_string(),
            rtype: rtype.to_string(),
            span: address_span(file, change),
            config: overlay_unknown(after, &unknown, address, 0),
        });
    }
    plan_resources
}

/// Resources `planned_values` has and `resource_changes` lacks (values
/// known after apply are absent there: they stay absent).
fn planned_resources(
    file: FileId,
    planned: Option<&Node>,
    seen: &mut HashSet<String>,
    secrets: &mut Vec<String>,
) -> Vec<PlanResource> {
    let mut plan_resources = Vec::new();
    let mut modules: Vec<&Node> = planned.into_iter().collect();
    let mut visited = 0usize;
    while let Some(m) = modules.pop() {
        visited += 1;
        if visited > 10_000 {
            break;
        }
        for r in m
            .get("resources")
            .and_then(Node::as_array)
            .unwrap_or_default()
            .iter()
            .take(100_000)
        {
            let (Some(address), Some(rtype)) = (
                r.get("address").and_then(Node::as_str),
                r.get("type").and_then(Node::as_str),
            ) else {
                continue;
            };
            if r.get("mode").and_then(Node::as_str) == Some("data") || !seen.insert(address.into())
            {
                continue;
            }
            let values = r.get("values").map(Node::to_value).unwrap_or(Value::Null);
            let sensitive = r
                .get("sensitive_values")
                .map(Node::to_value)
                .unwrap_or(Value::Null);
            collect_sensitive(&values, &sensitive, secrets, 0);
            plan_resources.push(PlanResource {
                address: address.to_string(),
                rtype: rtype.to_string(),
                span: address_span(file, r),
                config: mask_sensitive(values, &sensitive, address, 0),
            });
        }
        if let Some(children) = m.get("child_modules").and_then(Node::as_array) {
            modules.extend(children.iter().rev());
        }
    }
    plan_resources
}

/// Maps one plan resource onto ARM resources.
fn map_one(pr: &PlanResource, pv: &ProviderVersion) -> Option<Vec<mapping::Mapped>> {
    let spans = BTreeMap::new();
    mapping::map(&Input {
        rtype: &pr.rtype,
        address: &pr.address,
        config: &pr.config,
        spans: &spans,
        decl: pr.span,
        provider: pv,
        default_rg: mapping::DEFAULT_RG,
    })
}

/// Links the references `after` leaves unknown through `configuration`: to
/// the canonical id and Azure name of the resource they name.
fn link_configuration(
    config_root: &Node,
    plan_resources: &mut [PlanResource],
    pv: &ProviderVersion,
) {
    let targets: HashMap<String, (String, String)> = plan_resources
        .iter()
        .filter_map(|pr| {
            let m = map_one(pr, pv)?.into_iter().next()?;
            m.merge_into
                .is_none()
                .then(|| (pr.address.clone(), (m.id, m.name)))
        })
        .collect();
    for pr in plan_resources.iter_mut() {
        let Some(parts) = parse_address(&pr.address) else {
            continue;
        };
        let Some((module, expressions)) = config_expressions(config_root, &parts) else {
            continue;
        };
        let sensitive_vars: Vec<&str> = module
            .get("variables")
            .and_then(Node::as_members)
            .unwrap_or_default()
            .iter()
            .filter(|v| v.value.get("sensitive").map(|s| &s.kind) == Some(&NodeKind::Bool(true)))
            .map(|v| v.key.as_str())
            .collect();
        let cx = RefContext {
            module_prefix: &parts.module_prefix,
            key: parts.key.as_deref(),
            targets: &targets,
            sensitive_vars: &sensitive_vars,
        };
        link_references(&mut pr.config, expressions, &cx, 0);
    }
}

/// The model resources of the plan's resources, merges applied.
fn mapped_resources(plan_resources: &[PlanResource], pv: &ProviderVersion) -> Vec<Resource> {
    let mut resources: Vec<Resource> = Vec::new();
    let mut merges = Vec::new();
    for pr in plan_resources {
        let Some(mapped) = map_one(pr, pv) else {
            continue;
        };
        for mp in mapped {
            if mp.merge_into.is_some() {
                merges.push(mp);
                continue;
            }
            resources.push(Resource {
                id: mp.id,
                resource_type: mp.resource_type,
                name: mp.name,
                api_version: Some(mp.api_version).filter(|s| !s.is_empty()),
                body: mp.body,
                parent_id: mp.parent_id,
                scope_id: mp.scope_id,
                existing: false,
                deployed: Deployed::Yes,
                span: pr.span,
                symbol: Some(format!(
                    "{}{}",
                    pr.address,
                    mp.symbol_suffix.clone().unwrap_or_default()
                )),
                spans: Default::default(),
                format: "terraform",
                deployment: 0,
                source_names: mapping::source_names(&pr.rtype),
            });
        }
    }
    for mp in merges {
        let target = mp.merge_into.clone().unwrap_or_default();
        if let Some(r) = resources
            .iter_mut()
            .find(|r| r.id.eq_ignore_ascii_case(&target))
        {
            mapping::merge_into(&mut r.body, &mp.body);
        }
    }
    resources
}

/// A resource address split into its module path and resource.
#[derive(Debug, PartialEq)]
struct Address {
    /// Module call names, outermost first (`["ml", "network"]`).
    modules: Vec<String>,
    /// The module part of the address with instance keys (`module.ml[0].`).
    module_prefix: String,
    rtype: String,
    name: String,
    /// The resource's instance key as written (`[0]`, `["a"]`), if any.
    key: Option<String>,
}

/// Splits `module.ml["a"].azurerm_x.y[0]` (or a reference such as
/// `azurerm_x.y.id`) into segments: a name and the instance key after it.
fn segments(text: &str) -> Option<Vec<(String, Option<String>)>> {
    let b = text.as_bytes();
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let mut i = 0;
    while i < b.len() && out.len() < 256 {
        let start = i;
        while i < b.len() && b[i] != b'.' && b[i] != b'[' {
            i += 1;
        }
        let name = text.get(start..i)?.to_string();
        if name.is_empty() {
            return None;
        }
        let mut key = None;
        if i < b.len() && b[i] == b'[' {
            let k_start = i;
            let mut in_string = false;
            while i < b.len() {
                match b[i] {
                    b'\\' if in_string => i += 1,
                    b'"' => in_string = !in_string,
                    b']' if !in_string => break,
                    _ => {}
                }
                i += 1;
            }
            if i >= b.len() {
                return None;
            }
            i += 1;
            key = Some(text.get(k_start..i)?.to_string());
        }
        out.push((name, key));
        if i < b.len() {
            if b[i] != b'.' {
                return None;
            }
            i += 1;
        }
    }
    Some(out)
}

fn parse_address(address: &str) -> Option<Address> {
    let segs = segments(address)?;
    let mut modules = Vec::new();
    let mut module_prefix = String::new();
    let mut i = 0;
    while i + 1 < segs.len() && segs[i].0 == "module" && segs[i].1.is_none() {
        let (name, key) = &segs[i + 1];
        modules.push(name.clone());
        module_prefix.push_str(&format!(
            "module.{name}{}.",
            key.clone().unwrap_or_default()
        ));
        i += 2;
    }
    let rest = &segs[i..];
    let [(rtype, None), (name, key)] = rest else {
        return None;
    };
    Some(Address {
        modules,
        module_prefix,
        rtype: rtype.clone(),
        name: name.clone(),
        key: key.clone(),
    })
}

/// The `expressions` of a resource in the plan's `configuration`
/// (`root_module`, then `module_calls.<name>.module` per module).
fn config_expressions<'n>(root: &'n Node, address: &Address) -> Option<(&'n Node, &'n Node)> {
    let mut module = root;
    for name in &address.modules {
        module = module.get("module_calls")?.get(name)?.get("module")?;
    }
    let expressions = module
        .get("resources")?
        .as_array()?
        .iter()
        .find(|r| {
            r.get("mode").and_then(Node::as_str) != Some("data")
                && r.get("type").and_then(Node::as_str) == Some(address.rtype.as_str())
                && r.get("name").and_then(Node::as_str) == Some(address.name.as_str())
        })?
        .get("expressions")?;
    Some((module, expressions))
}

/// Where a resource's references are resolved.
struct RefContext<'a> {
    module_prefix: &'a str,
    key: Option<&'a str>,
    targets: &'a HashMap<String, (String, String)>,
    /// The module's variables declared `sensitive = true`.
    sensitive_vars: &'a [&'a str],
}

impl RefContext<'_> {
    /// The value a module-relative reference (`azurerm_x.y.id`,
    /// `azurerm_x.y[0].name`) takes, when it names an `id` or `name` of a
    /// resource of the plan and the instance is clear.
    fn resolve(&self, reference: &str) -> Option<String> {
        let segs = segments(reference)?;
        let [(rtype, None), (name, key), (attr, None)] = segs.as_slice() else {
            return None;
        };
        if matches!(
            rtype.as_str(),
            "module" | "var" | "local" | "data" | "each" | "count" | "path" | "self" | "terraform"
        ) {
            return None;
        }
        let base = format!("{}{rtype}.{name}", self.module_prefix);
        let target = match key {
            Some(k) => self.targets.get(&format!("{base}{k}")),
            None => self.targets.get(&base).or_else(|| {
                // Same instance key as the referrer, else the only instance.
                self.key
                    .and_then(|k| self.targets.get(&format!("{base}{k}")))
                    .or_else(|| {
                        let mut found = self
                            .targets
                            .iter()
                            .filter(|(a, _)| a.starts_with(&format!("{base}[")));
                        let first = found.next();
                        first.filter(|_| found.next().is_none()).map(|(_, v)| v)
                    })
            }),
        }?;
        match attr.as_str() {
            "id" => Some(target.0.clone()),
            "name" => Some(target.1.clone()),
            _ => None,
        }
    }
}

/// Replaces unknown values of `config` whose configuration expression refers
/// to a resource of the plan (`private_connection_resource_id =
/// azurerm_machine_learning_workspace.ws.id`) with that resource's id or name.
fn link_references(config: &mut Value, expressions: &Node, cx: &RefContext<'_>, depth: usize) {
    if depth > 32 {
        return;
    }
    let Value::Object(values) = config else {
        return;
    };
    let Some(members) = expressions.as_members() else {
        return;
    };
    for m in members.iter().take(10_000) {
        let Some(value) = values.get_mut(m.key.as_str()) else {
            continue;
        };
        let e = &m.value;
        if e.get("references").is_some() || e.get("constant_value").is_some() {
            if !value.is_unknown() {
                continue;
            }
            let references: Vec<&str> = e
                .get("references")
                .and_then(Node::as_array)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .collect();
            if let Some(v) = references.iter().find_map(|r| cx.resolve(r)) {
                *value = Value::String(v);
            } else if let Some(var) = references.iter().find(|r| {
                r.strip_prefix("var.")
                    .is_some_and(|n| cx.sensitive_vars.contains(&n))
            }) {
                *value = Value::unknown(
                    var.to_string(),
                    "a sensitive variable (secure parameter); the plan redacts it",
                );
            }
        } else if let (Some(blocks), Value::Array(items)) = (e.as_array(), &mut *value) {
            for (item, block) in items.iter_mut().zip(blocks) {
                link_references(item, block, cx, depth + 1);
            }
        } else if e.is_object() {
            link_references(value, e, cx, depth + 1);
        }
    }
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
                Value::Null => Object::default(),
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

/// Replaces the values under `true` marks of `after_sensitive` with
/// unknowns: the plan does not say whether they were written in the files
/// (the configuration may: see [`link_references`]), and they stay out of
/// the model.
fn mask_sensitive(after: Value, sensitive: &Value, path: &str, depth: usize) -> Value {
    if depth > 64 {
        return after;
    }
    match (after, sensitive) {
        (Value::Null, _) => Value::Null,
        (v, Value::Bool(true)) if matches!(v, Value::String(ref s) if s.is_empty()) => v,
        (_, Value::Bool(true)) => Value::unknown(
            path.to_string(),
            "sensitive in the plan; where its value comes from is not recorded",
        ),
        (Value::Object(mut o), Value::Object(s)) => {
            for (k, sv) in s {
                if let Some(v) = o.shift_remove(k) {
                    let masked = mask_sensitive(v, sv, &format!("{path}.{k}"), depth + 1);
                    o.insert(k.clone(), masked);
                }
            }
            Value::Object(o)
        }
        (Value::Array(a), Value::Array(s)) => Value::Array(
            a.into_iter()
                .enumerate()
                .map(|(i, v)| match s.get(i) {
                    Some(sv) => mask_sensitive(v, sv, &format!("{path}[{i}]"), depth + 1),
                    None => v,
                })
                .collect(),
        ),
        (v, _) => v,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_into_module_path_and_resource() {
        let a = parse_address(r#"module.ml["a.b"].module.net[0].azurerm_subnet.this[2]"#).unwrap();
        assert_eq!(a.modules, ["ml", "net"]);
        assert_eq!(a.module_prefix, r#"module.ml["a.b"].module.net[0]."#);
        assert_eq!(
            (a.rtype.as_str(), a.name.as_str()),
            ("azurerm_subnet", "this")
        );
        assert_eq!(a.key.as_deref(), Some("[2]"));
        assert!(parse_address("azurerm_x").is_none());
        assert!(parse_address(r#"azurerm_x.y["unterminated"#).is_none());
        assert!(parse_address("").is_none());
    }

    #[test]
    fn references_resolve_to_ids_of_the_same_module_and_instance() {
        let mut targets = HashMap::new();
        targets.insert(
            "module.m.azurerm_x.y[0]".to_string(),
            ("/id0".into(), "n0".into()),
        );
        targets.insert(
            "module.m.azurerm_x.y[1]".to_string(),
            ("/id1".into(), "n1".into()),
        );
        targets.insert("azurerm_kv.k".to_string(), ("/kv".into(), "kv".into()));
        let cx = RefContext {
            module_prefix: "module.m.",
            key: Some("[1]"),
            targets: &targets,
            sensitive_vars: &[],
        };
        assert_eq!(cx.resolve("azurerm_x.y.id").as_deref(), Some("/id1"));
        assert_eq!(cx.resolve("azurerm_x.y[0].name").as_deref(), Some("n0"));
        assert_eq!(cx.resolve("azurerm_kv.k.id"), None); // another module
        assert_eq!(cx.resolve("var.x.id"), None);
        let root = RefContext {
            module_prefix: "",
            key: None,
            targets: &targets,
            sensitive_vars: &[],
        };
        assert_eq!(root.resolve("azurerm_kv.k.id").as_deref(), Some("/kv"));
        assert_eq!(root.resolve("azurerm_kv.k.location"), None);
    }

    #[test]
    fn mutated_plans_never_panic() {
        let base = include_str!("../../../tests/fixtures/terraform/plan-101/plan.json");
        let mut seed: u64 = 0x2545f4914f6cdd1d;
        for i in 0..200 {
            let mut bytes = base.as_bytes().to_vec();
            for _ in 0..(1 + i % 8) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let pos = (seed as usize) % bytes.len();
                let choice = b"{}[]\":,.tfn0 x\\";
                bytes[pos] = choice[(seed >> 32) as usize % choice.len()];
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = read(FileId(0), &text);
        }
    }
}
