//! What `az ml` accepts: each entity's keys and value types, checked as the
//! CLI's marshmallow schemas check them (azure-ai-ml 1.35.2, the table in
//! [`crate::schemas`], generated from `azure/ai/ml/_schema/` by
//! `scripts/yaml-schema-table.py`).
//!
//! A key the schema does not know, or a value of the wrong type, makes `az
//! ml` reject the file: each gets a positioned `yaml-schema` error. An
//! invalid value is replaced by an unknown value before the mapping reads
//! it, so that it never satisfies a rule (`customer_managed_key: false` is
//! no customer-managed key).
//!
//! The checks are as lenient as marshmallow's: a boolean may be written
//! `"true"` or `"yes"`, a number `"3"`; enumerations compare without case
//! and underscores. Jobs are not checked (their schemas are a union of
//! dozens of job types that carry no security settings).

use crate::kind::Kind;
use crate::schemas;
use crate::tree::Document;
use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::value::Value;

/// A key of a schema and the type of its value.
pub struct F(pub &'static str, pub T);

/// A schema: its keys, and whether keys it does not name are accepted.
pub struct S {
    /// Keys it does not name are accepted (`unknown = INCLUDE/EXCLUDE`).
    pub open: bool,
    /// The keys it names.
    pub fields: &'static [F],
}

/// The type of a value.
pub enum T {
    /// Anything (a field the schema reads with custom code, or ignores).
    Any,
    /// Text.
    Str,
    /// A boolean (or `"true"`, `"yes"`, `1`...).
    Bool,
    /// An integer (or its text).
    Int,
    /// A number (or its text).
    Num,
    /// One of these texts (case and underscores aside).
    Enum(&'static [&'static str]),
    /// A list of values of a type.
    List(&'static T),
    /// A mapping from text to values of a type.
    Map(&'static T),
    /// A mapping with the keys of a schema.
    Obj(&'static S),
    /// Any one of these types.
    OneOf(&'static [T]),
}

/// One step of a path into a document.
#[derive(Clone, Debug, PartialEq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// Something `az ml` would reject.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Where, from the document's top.
    pub path: Vec<Seg>,
    /// What is wrong, and what was expected.
    pub message: String,
    /// The value is of the wrong type (else: a key the schema does not know).
    pub invalid: bool,
}

/// Keys only a feature store has (`az ml feature-store create --file`).
const FEATURE_STORE_KEYS: &[&str] = &[
    "offline_store",
    "online_store",
    "materialization_identity",
    "compute_runtime",
];

/// A feature store: `kind: featurestore`, a feature store `$schema`, or a
/// key only feature stores have.
pub fn is_feature_store(value: &Value) -> bool {
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .and_then(aml_model::model::WorkspaceKind::parse);
    let schema = value
        .get("$schema")
        .and_then(Value::as_str)
        .map(|u| u.to_ascii_lowercase())
        .is_some_and(|u| {
            u.rsplit('/')
                .next()
                .is_some_and(|l| l.starts_with("featurestore"))
        });
    kind == Some(aml_model::model::WorkspaceKind::FeatureStore)
        || schema
        || FEATURE_STORE_KEYS.iter().any(|k| value.get(k).is_some())
}

/// The schema `az ml` loads an entity with: by its kind and, for computes,
/// datastores, connections, workspaces and batch deployments, by its `type`
/// or `kind`. `None` for jobs (not checked).
pub fn schema_for(kind: Kind, value: &Value) -> Option<&'static S> {
    let ty = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_str)
            .map(|s| s.to_ascii_lowercase().replace(['_', '-'], ""))
            .unwrap_or_default()
    };
    Some(match kind {
        Kind::Workspace => match ty("kind").as_str() {
            "hub" => schemas::HUB,
            "project" => schemas::PROJECT,
            "featurestore" => schemas::FEATURE_STORE,
            // `az ml feature-store create`: no `kind`, its own keys.
            _ if is_feature_store(value) => schemas::FEATURE_STORE,
            _ => schemas::WORKSPACE,
        },
        Kind::Compute => match ty("type").as_str() {
            "amlcompute" => schemas::AML_COMPUTE,
            "computeinstance" => schemas::COMPUTE_INSTANCE,
            "kubernetes" => schemas::KUBERNETES_COMPUTE,
            "virtualmachine" => schemas::VIRTUAL_MACHINE_COMPUTE,
            "synapsespark" => schemas::SYNAPSE_SPARK_COMPUTE,
            _ => return None,
        },
        Kind::ManagedOnlineEndpoint => schemas::MANAGED_ONLINE_ENDPOINT,
        Kind::KubernetesOnlineEndpoint => schemas::KUBERNETES_ONLINE_ENDPOINT,
        Kind::BatchEndpoint => schemas::BATCH_ENDPOINT,
        Kind::ManagedOnlineDeployment => schemas::MANAGED_ONLINE_DEPLOYMENT,
        Kind::KubernetesOnlineDeployment => schemas::KUBERNETES_ONLINE_DEPLOYMENT,
        Kind::BatchDeployment => match ty("type").as_str() {
            "model" => schemas::MODEL_BATCH_DEPLOYMENT,
            "pipeline" => schemas::PIPELINE_COMPONENT_BATCH_DEPLOYMENT,
            _ => schemas::BATCH_DEPLOYMENT,
        },
        Kind::Registry => schemas::REGISTRY,
        Kind::Datastore => match ty("type").as_str() {
            "azureblob" => schemas::AZURE_BLOB,
            "azurefile" => schemas::AZURE_FILE,
            "azuredatalakegen1" => schemas::AZURE_DATA_LAKE_GEN1,
            "azuredatalakegen2" => schemas::AZURE_DATA_LAKE_GEN2,
            "onelake" => schemas::ONE_LAKE,
            _ => return None,
        },
        Kind::Connection => match ty("type").as_str() {
            "azureopenai" => schemas::AZURE_OPEN_AI_CONNECTION,
            "aiservices" | "azureaiservices" => schemas::AZURE_AI_SERVICES_CONNECTION,
            "cognitivesearch" | "azureaisearch" => schemas::AZURE_AI_SEARCH_CONNECTION,
            "azurecontentsafety" => schemas::AZURE_CONTENT_SAFETY_CONNECTION,
            "azurespeechservices" => schemas::AZURE_SPEECH_SERVICES_CONNECTION,
            "azureblob" => schemas::AZURE_BLOB_STORE_CONNECTION,
            "azureonelake" => schemas::ONE_LAKE_CONNECTION,
            "apikey" => schemas::API_KEY_CONNECTION,
            "openai" => schemas::OPEN_AI_CONNECTION,
            "serp" => schemas::SERP_CONNECTION,
            "serverless" => schemas::SERVERLESS_CONNECTION,
            _ => schemas::CONNECTION,
        },
        Kind::Environment => schemas::ENVIRONMENT,
        Kind::Model => schemas::MODEL,
        Kind::Job => return None,
    })
}

/// Checks a document's value against a schema.
pub fn check(value: &Value, schema: &S) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    obj(value, schema, &mut path, &mut out);
    out
}

/// Nesting deeper than this is not checked (the tree is bounded already).
const MAX_DEPTH: usize = 32;

fn obj(value: &Value, schema: &S, path: &mut Vec<Seg>, out: &mut Vec<Problem>) {
    let Some(o) = value.as_object() else {
        return;
    };
    for (k, v) in o {
        path.push(Seg::Key(k.clone()));
        match schema.fields.iter().find(|f| f.0 == k) {
            Some(F(_, t)) => ty(v, t, path, out),
            None if schema.open => {}
            None => out.push(Problem {
                path: path.clone(),
                message: format!(
                    "is not a key the CLI accepts here (it accepts {})",
                    keys(schema)
                ),
                invalid: false,
            }),
        }
        path.pop();
    }
}

/// The keys a schema names, for messages (the first twelve).
fn keys(schema: &S) -> String {
    let all: Vec<&str> = schema
        .fields
        .iter()
        .map(|f| f.0)
        .filter(|k| *k != "$schema")
        .collect();
    let mut out = all.iter().take(12).copied().collect::<Vec<_>>().join(", ");
    if all.len() > 12 {
        out.push_str(&format!(" and {} more", all.len() - 12));
    }
    out
}

fn ty(v: &Value, t: &T, path: &mut Vec<Seg>, out: &mut Vec<Problem>) {
    if matches!(v, Value::Unknown(_) | Value::Null) || path.len() > MAX_DEPTH {
        return;
    }
    let wrong = |expected: String, out: &mut Vec<Problem>| {
        out.push(Problem {
            path: path.clone(),
            message: format!("expected {expected}, found {}", shown(v)),
            invalid: true,
        })
    };
    match t {
        T::Any => {}
        T::Str => {
            if !matches!(v, Value::String(_)) {
                wrong("text".into(), out)
            }
        }
        T::Bool => {
            let ok = match v {
                Value::Bool(_) => true,
                Value::Int(i) => *i == 0 || *i == 1,
                Value::String(s) => TRUTHY.contains(&s.as_str()) || FALSY.contains(&s.as_str()),
                _ => false,
            };
            if !ok {
                wrong("true or false".into(), out)
            }
        }
        T::Int | T::Num => {
            let ok = match v {
                Value::Int(_) => true,
                Value::Float(f) => matches!(t, T::Num) || f.fract() == 0.0,
                Value::String(s) => match t {
                    T::Int => s.trim().parse::<i64>().is_ok(),
                    _ => s.trim().parse::<f64>().is_ok_and(f64::is_finite),
                },
                _ => false,
            };
            if !ok {
                wrong(
                    if matches!(t, T::Int) {
                        "an integer"
                    } else {
                        "a number"
                    }
                    .into(),
                    out,
                )
            }
        }
        T::Enum(values) => {
            let ok = v
                .as_str()
                .is_some_and(|s| values.iter().any(|a| norm(a) == norm(s)));
            if !ok {
                wrong(format!("one of {}", values.join(", ")), out)
            }
        }
        T::List(inner) => match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    ty(item, inner, path, out);
                    path.pop();
                }
            }
            _ => wrong("a list".into(), out),
        },
        T::Map(inner) => match v {
            Value::Object(o) => {
                for (k, item) in o {
                    path.push(Seg::Key(k.clone()));
                    ty(item, inner, path, out);
                    path.pop();
                }
            }
            _ => wrong("a mapping".into(), out),
        },
        T::Obj(schema) => match v {
            Value::Object(_) => obj(v, schema, path, out),
            _ => wrong(format!("a mapping with the keys {}", keys(schema)), out),
        },
        T::OneOf(options) => {
            let fits = options.iter().any(|o| {
                let mut p = path.clone();
                let mut found = Vec::new();
                ty(v, o, &mut p, &mut found);
                found.is_empty()
            });
            if !fits {
                // Report what the closest form finds (the one with the fewest
                // problems, all inside the value), else that no form fits.
                let best = options
                    .iter()
                    .map(|o| {
                        let mut p = path.clone();
                        let mut found = Vec::new();
                        ty(v, o, &mut p, &mut found);
                        found
                    })
                    .filter(|found| found.iter().all(|f| f.path.len() > path.len()))
                    .min_by_key(Vec::len);
                match best {
                    Some(found) => out.extend(found),
                    None => wrong("a value of another form".into(), out),
                }
            }
        }
    }
}

const TRUTHY: &[&str] = &[
    "t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1",
];
const FALSY: &[&str] = &[
    "f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0",
];

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '_' | ' ' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A short description of a value for messages (never its text when long:
/// it may be a secret).
fn shown(v: &Value) -> String {
    match v {
        Value::Bool(b) => format!("`{b}`"),
        Value::Int(i) => format!("`{i}`"),
        Value::Float(f) => format!("`{f}`"),
        Value::String(s) if s.len() <= 16 && !s.contains(['\n', '`']) => format!("`\"{s}\"`"),
        Value::String(_) => "text".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
        Value::Null | Value::Unknown(_) => "nothing".into(),
    }
}

/// The span key of a path (`managed_network.outbound_rules[0].type`).
pub fn span_key(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(&k.to_ascii_lowercase());
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Checks a document against its entity's schema: a `yaml-schema` error for
/// each problem, and every invalid value replaced by an unknown value.
pub fn validate(kind: Kind, doc: &mut Document) -> Vec<Diagnostic> {
    let Some(schema) = schema_for(kind, &doc.value) else {
        return Vec::new();
    };
    let problems = check(&doc.value, schema);
    let mut out = Vec::new();
    for p in problems {
        let key = span_key(&p.path);
        let named = p.invalid && named_items(&doc.value, &p.path);
        let span = doc.spans.get(&key).copied().unwrap_or(doc.span);
        let at = if key.is_empty() { "the document" } else { &key };
        out.push(Diagnostic::error(
            "yaml-schema",
            format!(
                "`{at}`{} {}; `az ml` rejects this {} file{}",
                if p.invalid { ":" } else { "" },
                p.message,
                kind.noun(),
                if named {
                    "; it is read all the same as the items it names"
                } else if p.invalid {
                    ", and the value is not judged (unknown)"
                } else {
                    ""
                }
            ),
            Location::Span(span),
        ));
        if p.invalid && !named {
            if let Some(slot) = get_mut(&mut doc.value, &p.path) {
                *slot = Value::unknown(key.clone(), format!("`{key}` is not valid: {}", p.message));
            }
        }
    }
    out
}

/// A mapping of names to mappings where the CLI wants a list of named
/// items (`managed_network.outbound_rules` written as `{name: rule}`): the
/// file is diagnosed, but what it says is plain, so the mapping reads it.
fn named_items(value: &Value, path: &[Seg]) -> bool {
    let mut v = value;
    for seg in path {
        v = match (seg, v) {
            (Seg::Key(k), Value::Object(o)) => match o.get(k) {
                Some(x) => x,
                None => return false,
            },
            (Seg::Index(i), Value::Array(a)) => match a.get(*i) {
                Some(x) => x,
                None => return false,
            },
            _ => return false,
        };
    }
    span_key(path) == "managed_network.outbound_rules"
        && v.as_object()
            .is_some_and(|o| o.values().all(|r| r.as_object().is_some()))
}

fn get_mut<'a>(mut v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    for seg in path {
        v = match (seg, v) {
            (Seg::Key(k), Value::Object(o)) => o.get_mut(k)?,
            (Seg::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::parse;
    use aml_model::source::FileId;

    fn problems(text: &str, kind: Kind) -> (Document, Vec<Diagnostic>) {
        let mut doc = parse(FileId(0), text).unwrap();
        let d = validate(kind, &mut doc);
        (doc, d)
    }

    #[test]
    fn wrong_types_are_positioned_and_unknown() {
        for bad in ["false", "7", "\"none\"", "[a]"] {
            let text = format!("name: w\ncustomer_managed_key: {bad}\n");
            let (doc, d) = problems(&text, Kind::Workspace);
            assert_eq!(d.len(), 1, "{bad}: {d:?}");
            assert_eq!(d[0].code, "yaml-schema");
            assert!(
                d[0].message.contains("customer_managed_key"),
                "{}",
                d[0].message
            );
            let Location::Span(s) = d[0].location else {
                panic!()
            };
            assert_eq!(s.start, 8);
            assert!(doc.value.get("customer_managed_key").unwrap().is_unknown());
        }
    }

    #[test]
    fn lenient_like_marshmallow() {
        let (_, d) = problems(
            "name: w\nhbi_workspace: \"yes\"\npublic_network_access: Disabled\ntags: {a: b}\n",
            Kind::Workspace,
        );
        assert!(d.is_empty(), "{d:?}");
        let (_, d) = problems(
            "name: c\ntype: amlcompute\nmin_instances: \"0\"\nmax_instances: 2\n",
            Kind::Compute,
        );
        assert!(d.is_empty(), "{d:?}");
        // The schema's own pre_load renames `nvidia.com/gpu`.
        let (_, d) = problems(
            "name: b\nendpoint_name: e\ntype: kubernetes\nresources:\n  limits:\n    nvidia.com/gpu: \"1\"\n",
            Kind::KubernetesOnlineDeployment,
        );
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn stray_keys_and_bad_numbers() {
        let (doc, d) = problems(
            "name: blue\nendpoint_name: e\ninstance_count: two\nstray: 1\n",
            Kind::ManagedOnlineDeployment,
        );
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].message.contains("instance_count") && d[0].message.contains("integer"));
        assert!(
            d[1].message.contains("`stray` is not a key"),
            "{}",
            d[1].message
        );
        assert!(doc.value.get("instance_count").unwrap().is_unknown());
        assert_eq!(doc.value.get("stray"), Some(&Value::Int(1)));
    }

    #[test]
    fn nested_keys_and_lists() {
        let (_, d) = problems(
            "name: w\nmanaged_network:\n  isolation_mode: allow_only_approved_outbound\n  outbound_rules:\n    - name: r\n      type: fqdn\n      destination: x.com\n      colour: red\n",
            Kind::Workspace,
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message
                .contains("managed_network.outbound_rules[0].colour"),
            "{}",
            d[0].message
        );
    }
}
