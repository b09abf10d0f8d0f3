//! AMLB-IM8-003: other secret-bearing properties of Azure ML resources are not written in the files.

use super::{check_secrets, CheckContext, Finding};
use crate::rule::{Autofix, Rule, RuleKind, Severity};
use aml_model::value::Value;

pub static RULE: Rule = Rule {
    id: "AMLB-IM8-003",
    title: "Azure Machine Learning resources hold no other keys, tokens or connection strings written in the files",
    kind: RuleKind::Native { check },
    control: "IM-8",
    feature: Some("Service Credential and Secrets Support Integration and Storage in Azure Key Vault"),
    severity: Severity::High,
    enabled_by_default: true,
    fix: "Feed secret-bearing properties (endpoint `keys`, AKS `sslConfiguration.key`, `databricksAccessToken`, Kubernetes connection strings...) from a `securestring` parameter backed by a Key Vault reference, and declare every parameter that carries a secret as `securestring`/`secureObject` (Bicep: `@secure()`).",
    note: Some("Looks at every string property of an Azure ML resource whose name says it carries a secret (password, secret, token, key, SAS, connection string, credential), except those AMLB-IM8-001 and AMLB-IM8-002 check. A value that came from a plain `string` parameter is reported here too: that is how a secret parameter not declared secure shows up."),
    parameters: None,
    autofix: Autofix::None,
};

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    let r = cx.resource;
    let t = r.resource_type.to_ascii_lowercase();
    if !t.starts_with("microsoft.machinelearningservices/")
        || t.ends_with("/datastores")
        || t.ends_with("/connections")
    {
        return None;
    }
    let mut found = Vec::new();
    if let Some(props) = cx.get("properties") {
        walk(props, &mut "properties".to_string(), 0, &mut found);
    }
    let is_compute = t.ends_with("/computes");
    found.retain(|(p, _)| {
        let p = p.to_ascii_lowercase();
        !(is_compute
            && (p.contains("useraccountcredentials.adminuserpassword")
                || p.contains("administratoraccount.password")
                || p.contains("administratoraccount.privatekeydata")))
    });
    if found.is_empty() {
        return None;
    }
    let found: Vec<(String, Option<&Value>)> =
        found.into_iter().map(|(p, v)| (p, Some(v))).collect();
    check_secrets(cx.model, &found, "the secret-bearing property")
}

/// String leaves whose key names a secret, with their paths. `path` is
/// `v`'s path, extended and restored in place: a path is copied only for
/// what is found.
fn walk<'v>(v: &'v Value, path: &mut String, depth: usize, out: &mut Vec<(String, &'v Value)>) {
    if depth > 16 || out.len() > 1000 {
        return;
    }
    let at = path.len();
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                path.push('.');
                path.push_str(k);
                match child {
                    Value::String(_) | Value::Unknown(_) if names_secret(k) => {
                        out.push((path.clone(), child))
                    }
                    _ => walk(child, path, depth + 1, out),
                }
                path.truncate(at);
            }
        }
        Value::Array(a) => {
            use std::fmt::Write;
            for (i, child) in a.iter().enumerate().take(1000) {
                let _ = write!(path, "[{i}]");
                walk(child, path, depth + 1, out);
                path.truncate(at);
            }
        }
        _ => {}
    }
}

/// The words that say a property holds a secret (compared ignoring ASCII
/// case).
pub(crate) const SECRET_WORDS: &[&str] = &[
    "password",
    "secret",
    "token",
    "connectionstring",
    "credential",
    "sas",
    "key",
    "privatekey",
];

/// The endings of a lower-case property name that say it holds something
/// about a secret, not the secret (`keyType`, `secretUri`, `tokenExpiry`).
pub(crate) const NOT_SECRET_ENDINGS: &[&str] = &[
    "type",
    "mode",
    "id",
    "ids",
    "name",
    "uri",
    "url",
    "version",
    "identity",
    "enabled",
    "status",
    "source",
    "size",
    "expiry",
    "expirytime",
    "count",
    "policy",
    "thumbprint",
    "identifier",
    "label",
];

/// True for a property name that says its value is a secret.
pub fn names_secret(key: &str) -> bool {
    // One pass for every word (each `contains` built a searcher of its own,
    // for every property of every resource): most names hold none.
    static WORDS: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(SECRET_WORDS)
            .expect("fixed words")
    });
    if !WORDS.is_match(key) {
        return false;
    }
    let k = key.to_ascii_lowercase();
    !(NOT_SECRET_ENDINGS.iter().any(|s| k.ends_with(s))
        || k.contains("publickey")
        || k.contains("keyvault"))
}
