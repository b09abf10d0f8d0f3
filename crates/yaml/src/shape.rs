//! The kind of a document without `$schema` or ARM `id`: `$schema` is
//! optional for the CLI (the command, `az ml compute create`, says what the
//! file is), so the keys decide, as azure-ai-ml's schemas define them
//! ([`crate::schemas`]).
//!
//! The order matters: `endpoint_name` makes a deployment before a compute
//! `type` is looked at (a Kubernetes deployment has `type: kubernetes` too).
//! A document with Azure ML keys whose kind cannot be told is
//! [`Classified::Unrecognised`], with what it looked like and why.

use crate::kind::{
    by_content, is_workspace_update, Classified, Kind, COMPUTE_TYPES, DATASTORE_TYPES,
};
use crate::validate::{schema_for, S};
use aml_model::value::Value;

/// Keys only online deployments have.
const ONLINE_DEPLOYMENT: &[&str] = &[
    "instance_type",
    "instance_count",
    "scale_settings",
    "request_settings",
    "liveness_probe",
    "readiness_probe",
    "app_insights_enabled",
    "egress_public_network_access",
    "data_collector",
    "private_network_connection",
];
/// Keys only batch deployments have.
const BATCH_DEPLOYMENT: &[&str] = &[
    "compute",
    "mini_batch_size",
    "output_action",
    "output_file_name",
    "error_threshold",
    "retry_settings",
    "logging_level",
    "max_concurrency_per_instance",
    "job_definition",
    "component",
    "settings",
    "deployment_configuration",
];
/// Keys only workspaces (hubs, projects) have.
const WORKSPACE: &[&str] = &[
    "storage_account",
    "key_vault",
    "container_registry",
    "application_insights",
    "hbi_workspace",
    "customer_managed_key",
    "managed_network",
    "image_build_compute",
    "primary_user_assigned_identity",
    "serverless_compute",
    "network_acls",
    "system_datastores_auth_mode",
    "enable_data_isolation",
    "workspace_hub",
    "hub_id",
    "provision_network_now",
    "allow_roleassignment_on_rg",
    "mlflow_tracking_uri",
    "discovery_url",
    "default_resource_group",
    "associated_workspaces",
];

/// The top-level keys of a document that the schema does not name.
fn unknown_keys<'v>(value: &'v Value, schema: &S) -> Vec<&'v str> {
    let Some(o) = value.as_object() else {
        return Vec::new();
    };
    if schema.open {
        return Vec::new();
    }
    o.keys()
        .map(String::as_str)
        .filter(|k| !schema.fields.iter().any(|f| f.0 == *k))
        .collect()
}

fn quoted(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Classifies a document by its keys (no `$schema`, no ARM `id`).
pub fn classify(value: &Value) -> Classified {
    let has = |k: &str| value.get(k).is_some_and(|v| !matches!(v, Value::Null));
    let ty = value
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if has("endpoint_name") {
        let online = ONLINE_DEPLOYMENT.iter().any(|k| has(k))
            || matches!(ty.as_str(), "kubernetes" | "managed");
        let batch =
            BATCH_DEPLOYMENT.iter().any(|k| has(k)) || matches!(ty.as_str(), "model" | "pipeline");
        return match (online, batch) {
            (true, false) => Classified::Entity(by_content(Kind::ManagedOnlineDeployment, value)),
            (false, true) => Classified::Entity(Kind::BatchDeployment),
            (both, _) => Classified::Unrecognised(format!(
                "it looks like a deployment (it names `endpoint_name`), but its keys {}; add the `$schema` of a managed or Kubernetes online deployment or of a batch deployment",
                if both {
                    "belong to both online and batch deployments"
                } else {
                    "do not say whether it is an online or a batch deployment"
                }
            )),
        };
    }
    if COMPUTE_TYPES.contains(&ty.as_str()) {
        return Classified::Entity(Kind::Compute);
    }
    if DATASTORE_TYPES.contains(&ty.as_str()) && !has("target") && !has("url") {
        return Classified::Entity(Kind::Datastore);
    }
    if !ty.is_empty()
        && has("name")
        && (has("target") || has("url") || has("endpoint") || has("azure_endpoint"))
    {
        let fits =
            schema_for(Kind::Connection, value).is_some_and(|s| unknown_keys(value, s).is_empty());
        if fits || has("credentials") || has("api_key") {
            return Classified::Entity(Kind::Connection);
        }
    }
    if has("replication_locations") {
        return Classified::Entity(Kind::Registry);
    }
    if let Some(c) = endpoint(value, &has) {
        return c;
    }
    if let Some(c) = workspace(value, &has) {
        return c;
    }
    for (kind, keys) in [
        (Kind::Environment, &["image", "build", "conda_file"][..]),
        (Kind::Model, &["path"][..]),
    ] {
        if has("name") && keys.iter().any(|k| has(k)) {
            let schema = schema_for(kind, value);
            if schema.is_some_and(|s| unknown_keys(value, s).is_empty()) {
                return Classified::Entity(kind);
            }
        }
    }
    let preview: Vec<&str> = ["friendly_name", "private_endpoints"]
        .into_iter()
        .filter(|k| has(k))
        .collect();
    if !preview.is_empty() && has("name") {
        return Classified::Unrecognised(format!(
            "it looks like a workspace of the preview CLI (it has {}), keys today's `az ml` does not accept; write it with today's keys (`display_name`, `managed_network`, private endpoints created apart)",
            quoted(&preview)
        ));
    }
    if has("command") && (has("environment") || has("compute") || has("code"))
        || (ty == "pipeline" && has("jobs"))
    {
        return Classified::Entity(Kind::Job);
    }
    Classified::NotAzureMl
}

/// Online or batch endpoints: `auth_mode`, `traffic`, `mirror_traffic` or a
/// batch endpoint's `defaults.deployment_name`.
fn endpoint(value: &Value, has: &dyn Fn(&str) -> bool) -> Option<Classified> {
    let batch = value.get_path("defaults.deployment_name").is_some();
    if !(has("auth_mode") || has("traffic") || has("mirror_traffic") || batch) {
        return None;
    }
    let auth = value
        .get("auth_mode")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let online = [
        "traffic",
        "mirror_traffic",
        "compute",
        "public_network_access",
        "identity",
    ]
    .iter()
    .any(|k| has(k))
        || matches!(auth.as_str(), "key" | "aml_token" | "amltoken");
    Some(match (online, batch) {
        (true, false) => Classified::Entity(by_content(Kind::ManagedOnlineEndpoint, value)),
        (false, true) => Classified::Entity(Kind::BatchEndpoint),
        (both, _) => Classified::Unrecognised(format!(
            "it looks like an endpoint (it has {}), but its keys {}; add the `$schema` of a managed or Kubernetes online endpoint or of a batch endpoint",
            quoted(
                &["auth_mode", "traffic", "mirror_traffic", "defaults"]
                    .into_iter()
                    .filter(|k| has(k))
                    .collect::<Vec<_>>()
            ),
            if both {
                "belong to both online and batch endpoints"
            } else {
                "do not say whether it is an online or a batch endpoint"
            }
        )),
    })
}

/// Workspaces, hubs and projects: their own keys (`storage_account`,
/// `managed_network`, `customer_managed_key`...).
fn workspace(value: &Value, has: &dyn Fn(&str) -> bool) -> Option<Classified> {
    if is_workspace_update(value) {
        return Some(Classified::Entity(Kind::Workspace));
    }
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let own: Vec<&str> = WORKSPACE.iter().copied().filter(|k| has(k)).collect();
    let hub_kind = matches!(kind.as_deref(), Some("hub" | "project" | "default"))
        || crate::validate::is_feature_store(value);
    if own.is_empty() && !hub_kind {
        return None;
    }
    let schema = schema_for(Kind::Workspace, value)?;
    let unknown = unknown_keys(value, schema);
    if unknown.is_empty() || own.len() >= 2 || (hub_kind && !own.is_empty()) {
        return Some(Classified::Entity(Kind::Workspace));
    }
    // Mostly keys no workspace has (a Terraform variables file with a
    // `storage_account`): something else, not a workspace gone wrong.
    let known = value.as_object().map_or(0, |o| o.len()) - unknown.len();
    if unknown.len() > known {
        return None;
    }
    Some(Classified::Unrecognised(format!(
        "it looks like a workspace (it has {}), but {} {} no workspace key{}",
        quoted(if own.is_empty() { &["kind"] } else { &own }),
        quoted(&unknown),
        if unknown.len() == 1 { "is" } else { "are" },
        if unknown.len() == 1 { "" } else { "s" },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::parse;
    use aml_model::source::FileId;

    fn kind_of(text: &str) -> Classified {
        crate::kind::classify(&parse(FileId(0), text).unwrap().value)
    }

    #[test]
    fn workspace_without_schema() {
        let text = "name: hbi\nlocation: westeurope\nstorage_account: /subscriptions/s/x\nkey_vault: /subscriptions/s/kv\npublic_network_access: Disabled\nhbi_workspace: true\ncustomer_managed_key:\n  key_vault: kv\n  key_uri: https://kv/keys/k\nmanaged_network:\n  isolation_mode: allow_only_approved_outbound\nserverless_compute:\n  no_public_ip: true\nprimary_user_assigned_identity: /x\nimage_build_compute: cpu\n";
        assert_eq!(kind_of(text), Classified::Entity(Kind::Workspace));
        assert_eq!(
            kind_of("name: w\nhbi_workspace: true\n"),
            Classified::Entity(Kind::Workspace)
        );
        assert!(matches!(
            kind_of("name: w\nhbi_workspace: true\nfavourite_colour: red\n"),
            Classified::Unrecognised(m) if m.contains("favourite_colour")
        ));
        assert_eq!(
            kind_of("storage_account: st\nenvironment_name: dev\nprincipal_id: p\napim: {}\n"),
            Classified::NotAzureMl
        );
    }

    #[test]
    fn deployments_before_compute_types() {
        let k8s = "name: blue\nendpoint_name: e\ntype: kubernetes\nmodel: azureml:m:1\ninstance_type: defaultinstancetype\n";
        assert_eq!(
            kind_of(k8s),
            Classified::Entity(Kind::KubernetesOnlineDeployment)
        );
        let managed = "name: blue\nendpoint_name: e\nmodel: azureml:m:1\ninstance_type: Standard_DS3_v2\ninstance_count: 1\n";
        assert_eq!(
            kind_of(managed),
            Classified::Entity(Kind::ManagedOnlineDeployment)
        );
        let batch = "name: b\nendpoint_name: e\ncompute: azureml:cpu\nmini_batch_size: 10\n";
        assert_eq!(kind_of(batch), Classified::Entity(Kind::BatchDeployment));
        assert!(matches!(
            kind_of("name: d\nendpoint_name: e\nmodel: azureml:m:1\n"),
            Classified::Unrecognised(m) if m.contains("online or a batch")
        ));
    }

    #[test]
    fn endpoints_by_content() {
        assert_eq!(
            kind_of("name: e\nauth_mode: key\ncompute: azureml:k8s\n"),
            Classified::Entity(Kind::KubernetesOnlineEndpoint)
        );
        assert_eq!(
            kind_of("$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json\nname: e\nauth_mode: key\ncompute: azureml:k8s\n"),
            Classified::Entity(Kind::KubernetesOnlineEndpoint)
        );
        assert_eq!(
            kind_of("$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json\nname: b\nendpoint_name: e\ntype: kubernetes\n"),
            Classified::Entity(Kind::KubernetesOnlineDeployment)
        );
        assert_eq!(
            kind_of("name: e\nauth_mode: aml_token\n"),
            Classified::Entity(Kind::ManagedOnlineEndpoint)
        );
        assert_eq!(
            kind_of("name: e\nauth_mode: aad_token\ndefaults:\n  deployment_name: d\n"),
            Classified::Entity(Kind::BatchEndpoint)
        );
        assert!(matches!(
            kind_of("name: e\nauth_mode: aad_token\n"),
            Classified::Unrecognised(_)
        ));
    }

    #[test]
    fn preview_workspaces_are_named_not_read() {
        assert!(matches!(
            kind_of("name: w\nlocation: eastus\nprivate_endpoints:\n  approval_type: AutoApproval\n"),
            Classified::Unrecognised(m) if m.contains("`private_endpoints`")
        ));
    }

    #[test]
    fn other_yaml_is_not_azure_ml() {
        for text in [
            "name: ci\non: push\ndefaults:\n  run:\n    shell: bash\njobs:\n  a:\n    runs-on: x\n",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n",
            "name: env\nchannels: [conda-forge]\ndependencies: [python]\n",
            "services:\n  web:\n    image: nginx\n",
        ] {
            assert_eq!(kind_of(text), Classified::NotAzureMl, "{text}");
        }
    }
}
