//! Native rules: checks written in Rust for what Azure Policy cannot say
//! (settings of linked resources, secrets written into templates, role
//! assignments, outbound rules, container images...).
//!
//! One rule, one file: each file holds one `pub static RULE: Rule` with its
//! metadata and a `check` function, and its documentation lives in
//! `docs/rules/<ID>.md` (printed by `aml-baseline explain ID`). A check is
//! called once per deployed resource; it returns nothing when the rule does
//! not apply to that resource, else one [`Finding`] (pass, fail or unknown)
//! that names the property to look at.
//!
//! Adding a rule: a new file here, its `RULE` in [`RULES`], a doc page, and
//! fixtures under `tests/fixtures/native/<ID>/` (pass, fail, unknown).

mod compute_min_nodes;
mod compute_node_public_ip;
mod compute_public_ssh;
mod compute_subnet_nsg;
mod custom_role_wildcards;
mod endpoint_auth_mode;
mod endpoint_public_access;
mod image_sources;
mod inference_cluster_tls;
mod inline_compute_passwords;
mod inline_data_credentials;
mod inline_other_secrets;
mod key_rotation;
mod key_vault_purge_protection;
mod managed_identity;
mod outbound_fqdn_wildcards;
mod private_endpoint_dns;
mod privileged_role_assignment;
mod public_access_behind_vnet;
mod registry_admin_user;
mod registry_public_access;
mod secure_parameter_default;
mod storage_transport;
mod workspace_ip_allowlist;
mod workspace_isolation_computes;

pub use crate::check::{CheckContext, CheckFn, Finding};
use crate::Rule;
use aml_model::model::{KindOf, Model, Resource, WorkspaceKind};
use aml_model::value::Value;

/// Every native rule, grouped by control.
/// (Baseline order: controls as in the baseline, ids ascending.)
pub static RULES: &[&Rule] = &[
    &workspace_isolation_computes::RULE,
    &compute_subnet_nsg::RULE,
    &compute_node_public_ip::RULE,
    &compute_public_ssh::RULE,
    &public_access_behind_vnet::RULE,
    &registry_public_access::RULE,
    &endpoint_public_access::RULE,
    &workspace_ip_allowlist::RULE,
    &private_endpoint_dns::RULE,
    &endpoint_auth_mode::RULE,
    &managed_identity::RULE,
    &inline_data_credentials::RULE,
    &inline_compute_passwords::RULE,
    &inline_other_secrets::RULE,
    &secure_parameter_default::RULE,
    &privileged_role_assignment::RULE,
    &custom_role_wildcards::RULE,
    &outbound_fqdn_wildcards::RULE,
    &inference_cluster_tls::RULE,
    &storage_transport::RULE,
    &key_vault_purge_protection::RULE,
    &key_rotation::RULE,
    &image_sources::RULE,
    &registry_admin_user::RULE,
    &compute_min_nodes::RULE,
];

/// `Some(true)` / `Some(false)` for a boolean (or "true"/"false" string as
/// Azure accepts), `None` when absent; `Err` with the value when unknown.
pub fn as_bool(v: Option<&Value>) -> Result<Option<bool>, &Value> {
    match v {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(u @ Value::Unknown(_)) => Err(u),
        Some(_) => Ok(None),
    }
}

/// True for a compute of one of the given `computeType`s (case-insensitive).
pub fn is_compute_of(resource: &Resource, types: &[&str]) -> bool {
    resource.is_type("Microsoft.MachineLearningServices/workspaces/computes")
        && resource
            .get("properties.computeType")
            .and_then(Value::as_str)
            .is_some_and(|t| types.iter().any(|x| x.eq_ignore_ascii_case(t)))
}

/// Where a secret-bearing value comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SecretSource<'v> {
    /// Absent, null or empty: no credential.
    None,
    /// A string written in the files (a literal, a plain parameter's value or
    /// default, a variable): it is stored in the deployment's history and in
    /// source control.
    Inline,
    /// The value of a secure parameter (`securestring`, `@secure()`), a Key
    /// Vault reference, or a `list*()` call: not written in the files.
    Protected(&'static str),
    /// An unknown value that the files do not tie to a secure input.
    Unknown(&'v Value),
}

/// Classifies a credential value. A known string is inline unless it is one
/// of the model's protected secrets (values of secure parameters). An unknown value is
/// protected when its reason says it comes from a secure parameter, a Key
/// Vault reference or a `list*()` call (the front ends word their unknowns so).
pub fn secret_source<'v>(model: &Model, value: Option<&'v Value>) -> SecretSource<'v> {
    match value {
        None | Some(Value::Null) => SecretSource::None,
        Some(Value::String(s)) if s.is_empty() => SecretSource::None,
        Some(Value::String(s)) if model.protected_secrets.iter().any(|x| x == s) => {
            SecretSource::Protected("a secure parameter")
        }
        Some(Value::String(_)) => SecretSource::Inline,
        Some(v @ Value::Unknown(u)) => {
            let reason = u.reason.to_ascii_lowercase();
            let expr = u.expr.trim_start().to_ascii_lowercase();
            if reason.contains("key vault") || expr.starts_with("data.azurerm_key_vault_secret.") {
                SecretSource::Protected("a Key Vault reference")
            } else if reason.contains("secure parameter") {
                SecretSource::Protected("a secure parameter")
            } else if expr.starts_with("random_password.") || expr.starts_with("ephemeral.") {
                // Terraform: generated at apply, never written in the files.
                SecretSource::Protected("a value generated at apply")
            } else if reason.contains("returns keys or other runtime values")
                || u.expr.to_ascii_lowercase().starts_with("list")
            {
                SecretSource::Protected("a list*() call at deployment")
            } else {
                SecretSource::Unknown(v)
            }
        }
        Some(Value::Object(o)) => worst_source(model, o.values()),
        Some(Value::Array(a)) => worst_source(model, a.iter()),
        Some(_) => SecretSource::Inline,
    }
}

/// The worst source among the items of a map or list of credentials (a
/// connection's `CustomKeys`): inline, then unknown, then protected.
fn worst_source<'v>(model: &Model, items: impl Iterator<Item = &'v Value>) -> SecretSource<'v> {
    let mut worst = SecretSource::None;
    for item in items.take(1000) {
        let source = match item {
            // Nested containers are not credentials of known services.
            Value::Object(_) | Value::Array(_) => continue,
            v => secret_source(model, Some(v)),
        };
        worst = match (worst, source) {
            (_, SecretSource::Inline) => return SecretSource::Inline,
            (SecretSource::Unknown(v), _) => SecretSource::Unknown(v),
            (_, s @ SecretSource::Unknown(_)) => s,
            (SecretSource::Protected(p), _) => SecretSource::Protected(p),
            (_, s) => s,
        };
    }
    worst
}

/// The worst of several credential values at `(path, value)`: inline first,
/// then unknown, then protected. `None` when no credential is present.
pub fn check_secrets(
    model: &Model,
    found: &[(String, Option<&Value>)],
    what: &str,
) -> Option<Finding> {
    let mut unknown: Option<(&str, &Value)> = None;
    let mut protected: Option<(&str, &'static str)> = None;
    for (path, value) in found {
        match secret_source(model, *value) {
            SecretSource::Inline => {
                let leaf = path.rsplit('.').next().unwrap_or(path);
                return Finding::fail(
                    format!("{what} `{leaf}` is written in the files (a literal or a plain parameter), not taken from a secure parameter or Key Vault"),
                    Some(path),
                );
            }
            SecretSource::Unknown(v) => {
                unknown.get_or_insert((path.as_str(), v));
            }
            SecretSource::Protected(from) => {
                protected.get_or_insert((path.as_str(), from));
            }
            SecretSource::None => {}
        }
    }
    if let Some((path, v)) = unknown {
        return Finding::unknown(v, path);
    }
    let (path, from) = protected?;
    let leaf = path.rsplit('.').next().unwrap_or(path);
    Finding::pass(format!("{what} `{leaf}` comes from {from}"), Some(path))
}

/// A string property: absent (or null), a known string, or unknown; other
/// JSON kinds are returned as `Other`.
pub enum Text<'v> {
    Absent,
    Known(&'v str),
    Unknown(&'v Value),
    Other(&'v Value),
}

impl<'m> CheckContext<'m> {
    /// The string at `path`, classified.
    pub fn text(&self, path: &str) -> Text<'m> {
        text_of(self.get(path))
    }

    /// True when the deployment holds a deployed Azure ML workspace.
    pub fn has_workspace(&self) -> bool {
        self.of_type("Microsoft.MachineLearningServices/workspaces")
            .next()
            .is_some()
    }

    /// Deployed workspaces of the deployment whose property `path` is this
    /// resource's id (the workspaces that link it), in model order: found
    /// through an index of the workspaces by each property's value.
    pub fn linking_workspaces(&self, paths: &[&str]) -> Vec<&'m Resource> {
        const WORKSPACE: &str = "Microsoft.MachineLearningServices/workspaces";
        let model = self.model;
        let mut found: Vec<usize> = paths
            .iter()
            .flat_map(|p| {
                model.positions_with_property(
                    self.resource.deployment,
                    WORKSPACE,
                    p,
                    &self.resource.id,
                )
            })
            .collect();
        found.sort_unstable();
        found.dedup();
        found
            .into_iter()
            .map(|i| &model.resources[i])
            .filter(|w| !w.existing)
            .collect()
    }
}

impl<'m> CheckContext<'m> {
    /// For a project (`kind: Project`): the hub it takes its network,
    /// storage, key vault and encryption from; `None` for other resources.
    pub fn project_hub(&self) -> Option<crate::kinds::HubOf<'m>> {
        self.resource
            .is_kind(WorkspaceKind::Project)
            .then(|| crate::kinds::hub_of(self.model, self.resource))
    }

    /// Deployed feature stores whose offline store (an `ADLSGen2`
    /// connection) is in this storage account.
    pub fn offline_store_of(&self) -> Vec<&'m Resource> {
        let prefix = format!("{}/", self.resource.id.to_ascii_lowercase());
        let own = self.resource.id.to_ascii_lowercase();
        self.of_type("Microsoft.MachineLearningServices/workspaces/connections")
            .filter(|c| {
                c.get("properties.category")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k.eq_ignore_ascii_case("ADLSGen2"))
            })
            .filter(|c| {
                c.get("properties.target")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .is_some_and(|t| t == own || t.starts_with(&prefix))
            })
            .filter_map(|c| c.parent_id.as_deref().and_then(|p| self.find(p)))
            .filter(|w| w.is_kind(WorkspaceKind::FeatureStore) && !w.existing)
            .collect()
    }
}

/// A workspace in words, with what its kind means for what it links:
/// "hub 'h' (shared by its projects)", "feature store 'f'", "workspace 'w'".
pub fn workspace_words(w: &Resource) -> String {
    match w.workspace_kind() {
        Some(KindOf::Known(WorkspaceKind::Hub)) => {
            format!("hub '{}' (shared by its projects)", w.name)
        }
        Some(KindOf::Known(k)) => format!("{} '{}'", k.noun(), w.name),
        _ => format!("workspace '{}'", w.name),
    }
}

/// A rule that judges a setting a project takes from its hub (`what`:
/// "its public access behind a virtual network"): on a project, `judge`
/// runs on the hub and the finding says so, pointing at the project's
/// `hubResourceId`; unknown, naming the hub, when the hub is not in the
/// scanned files. Other resources are judged as they are.
pub fn judged_by_hub(
    cx: &CheckContext<'_>,
    what: &str,
    judge: impl Fn(&CheckContext<'_>) -> Option<Finding>,
) -> Option<Finding> {
    use crate::kinds::HubOf;
    const LINK: &str = "properties.hubResourceId";
    match cx.project_hub() {
        None => judge(cx),
        Some(HubOf::Found(hub)) => {
            let on_hub = CheckContext {
                model: cx.model,
                resource: hub,
            };
            let mut f = judge(&on_hub)?;
            f.message = format!(
                "a project takes {what} from its hub; hub '{}': {}",
                hub.name, f.message
            );
            f.path = Some(LINK.to_string());
            f.span = None;
            Some(f)
        }
        Some(other) => {
            let deciding = other.deciding().unwrap_or_default();
            Some(Finding {
                verdict: crate::Verdict::Unknown,
                message: format!("a project takes {what} from its hub, which decides: {deciding}"),
                path: Some(LINK.to_string()),
                deciding: vec![deciding],
                span: None,
            })
        }
    }
}

/// Classifies an optional value as a string.
pub fn text_of(v: Option<&Value>) -> Text<'_> {
    match v {
        None | Some(Value::Null) => Text::Absent,
        Some(Value::String(s)) => Text::Known(s),
        Some(u @ Value::Unknown(_)) => Text::Unknown(u),
        Some(other) => Text::Other(other),
    }
}

/// `properties.publicNetworkAccess`: `Disabled` passes; `Enabled`, any other
/// value and absence (the service default is `Enabled`) fail.
pub fn public_access(cx: &CheckContext<'_>, what: &str) -> Option<Finding> {
    const PATH: &str = "properties.publicNetworkAccess";
    match cx.text(PATH) {
        Text::Known(v) if v.eq_ignore_ascii_case("Disabled") => {
            Finding::pass("`publicNetworkAccess` is `Disabled`", Some(PATH))
        }
        Text::Known(v) => Finding::fail(
            format!("`publicNetworkAccess` is `{v}`: the {what} is reachable from the internet"),
            Some(PATH),
        ),
        Text::Unknown(u) => Finding::unknown(u, PATH),
        Text::Absent | Text::Other(_) => Finding::fail(
            format!("`publicNetworkAccess` is not set; the service default is `Enabled`, so the {what} is reachable from the internet"),
            Some(PATH),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Verdict;

    fn model_with_secret(s: &str) -> Model {
        let mut model = Model::default();
        model.secrets = vec![s.to_string()];
        model.protected_secrets = vec![s.to_string()];
        model
    }

    #[test]
    fn secret_sources_are_told_apart() {
        let m = model_with_secret("from-a-secure-parameter");
        let literal = Value::str("written-in-the-file");
        let secure = Value::str("from-a-secure-parameter");
        let kv = Value::unknown(
            "Key Vault secret 'k'",
            "a Key Vault reference is resolved at deployment",
        );
        let secure_unset = Value::unknown(
            "parameters('p')",
            "secure parameter 'p' has no default and no value",
        );
        let plain_unset = Value::unknown(
            "parameters('p')",
            "parameter 'p' has no default and no value",
        );
        let list = Value::unknown("listKeys('id', '2023-01-01').keys[0].value", "listKeys() returns keys or other runtime values of a deployed resource; they are never read");
        assert_eq!(secret_source(&m, Some(&literal)), SecretSource::Inline);
        assert!(matches!(
            secret_source(&m, Some(&secure)),
            SecretSource::Protected(_)
        ));
        assert!(matches!(
            secret_source(&m, Some(&kv)),
            SecretSource::Protected(_)
        ));
        assert!(matches!(
            secret_source(&m, Some(&secure_unset)),
            SecretSource::Protected(_)
        ));
        assert!(matches!(
            secret_source(&m, Some(&list)),
            SecretSource::Protected(_)
        ));
        assert!(matches!(
            secret_source(&m, Some(&plain_unset)),
            SecretSource::Unknown(_)
        ));
        let tf_kv = Value::unknown(
            "data.azurerm_key_vault_secret.tls_key.value",
            "`value` is known only after apply",
        );
        let tf_random = Value::unknown(
            "random_password.admin.result",
            "`result` is known only after apply",
        );
        assert!(matches!(
            secret_source(&m, Some(&tf_kv)),
            SecretSource::Protected(_)
        ));
        assert!(matches!(
            secret_source(&m, Some(&tf_random)),
            SecretSource::Protected(_)
        ));
        assert_eq!(secret_source(&m, None), SecretSource::None);
        assert_eq!(secret_source(&m, Some(&Value::str(""))), SecretSource::None);
        // A map of keys: the worst item decides.
        let mut keys = aml_model::value::Object::default();
        keys.insert("a".into(), secure.clone());
        keys.insert("b".into(), literal.clone());
        assert_eq!(
            secret_source(&m, Some(&Value::Object(keys))),
            SecretSource::Inline
        );
    }

    #[test]
    fn a_failing_secret_finding_names_the_property_not_the_value() {
        let m = Model::default();
        let v = Value::str("S3cr3t-Plant3d-Value");
        let f = check_secrets(
            &m,
            &[("properties.credentials.pat".into(), Some(&v))],
            "the credential",
        )
        .unwrap();
        assert_eq!(f.verdict, Verdict::Fail);
        assert!(f.message.contains("`pat`"), "{}", f.message);
        assert!(!f.message.contains("S3cr3t"), "{}", f.message);
        assert!(check_secrets(&m, &[("x".into(), None)], "the credential").is_none());
    }

    #[test]
    fn secret_property_names() {
        for yes in [
            "adminUserPassword",
            "primaryKey",
            "sasToken",
            "relayConnectionString",
            "databricksAccessToken",
            "clientSecret",
            "key",
        ] {
            assert!(inline_other_secrets::names_secret(yes), "{yes}");
        }
        for no in [
            "keyVault",
            "keyVaultArmId",
            "keyIdentifier",
            "adminUserSshPublicKey",
            "credentialsType",
            "authMode",
            "keyUri",
            "secretsType",
            "leafDomainLabel",
        ] {
            assert!(!inline_other_secrets::names_secret(no), "{no}");
        }
    }

    /// The one-pass search says what a `contains` per word on the
    /// lower-cased name said, on names joined from the words, the words it
    /// must not take, others, and their casings.
    #[test]
    fn secret_names_found_in_one_pass_are_those_found_word_by_word() {
        // The reading before: a `contains` per word on the lower-cased name.
        let word_by_word = |key: &str| {
            let k = key.to_ascii_lowercase();
            if inline_other_secrets::NOT_SECRET_ENDINGS
                .iter()
                .any(|s| k.ends_with(s))
                || k.contains("publickey")
                || k.contains("keyvault")
            {
                return false;
            }
            inline_other_secrets::SECRET_WORDS
                .iter()
                .any(|s| k.contains(s))
        };
        let parts = [
            "",
            "Pass",
            "word",
            "Secret",
            "TOKEN",
            "connection",
            "String",
            "Cred",
            "ential",
            "sas",
            "Key",
            "private",
            "public",
            "Vault",
            "Id",
            "type",
            "Name",
            "Uri",
            "x",
            "Ssh",
            "Ké",
        ];
        let mut checked = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for name in [
                        format!("{a}{b}{c}"),
                        format!("{a}{b}{c}").to_ascii_uppercase(),
                    ] {
                        assert_eq!(
                            inline_other_secrets::names_secret(&name),
                            word_by_word(&name),
                            "{name}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 18_000, "{checked}");
    }
}
