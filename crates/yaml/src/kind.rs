//! Which Azure ML entity a document describes: by its `$schema` URL, by the
//! ARM `id` that `az ml <thing> show -o json` prints, or by its shape.

use aml_model::value::Value;

/// The Azure ML entities the mapping reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `workspace.schema.json` (also hubs, projects and feature stores).
    Workspace,
    /// A compute (`amlCompute`, `computeInstance`, `kubernetesCompute`,
    /// `vmCompute`, `synapseSparkCompute`...): its `type` says which.
    Compute,
    /// `managedOnlineEndpoint.schema.json`.
    ManagedOnlineEndpoint,
    /// `kubernetesOnlineEndpoint.schema.json`.
    KubernetesOnlineEndpoint,
    /// `managedOnlineDeployment.schema.json`.
    ManagedOnlineDeployment,
    /// `kubernetesOnlineDeployment.schema.json`.
    KubernetesOnlineDeployment,
    /// `batchEndpoint.schema.json`.
    BatchEndpoint,
    /// `batchDeployment.schema.json` (and the model / pipeline component variants).
    BatchDeployment,
    /// `registry.schema.json`.
    Registry,
    /// `azureBlob`, `azureFile`, `azureDataLakeGen1`, `azureDataLakeGen2`, `oneLake`.
    Datastore,
    /// `Connection.json` and the `*Connection.schema.json` family.
    Connection,
    /// `environment.schema.json`.
    Environment,
    /// `model.schema.json`.
    Model,
    /// `commandJob`, `pipelineJob`, `sparkJob`, `sweepJob` and AutoML jobs.
    Job,
}

impl Kind {
    /// A short name for messages (`compute`, `online endpoint`...).
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Workspace => "workspace",
            Kind::Compute => "compute",
            Kind::ManagedOnlineEndpoint | Kind::KubernetesOnlineEndpoint => "online endpoint",
            Kind::ManagedOnlineDeployment | Kind::KubernetesOnlineDeployment => "online deployment",
            Kind::BatchEndpoint => "batch endpoint",
            Kind::BatchDeployment => "batch deployment",
            Kind::Registry => "registry",
            Kind::Datastore => "datastore",
            Kind::Connection => "connection",
            Kind::Environment => "environment",
            Kind::Model => "model",
            Kind::Job => "job",
        }
    }

    /// Whether the entity lives in a workspace (and so needs to know which).
    pub fn in_workspace(self) -> bool {
        !matches!(self, Kind::Workspace | Kind::Registry)
    }
}

/// What a `$schema` URL says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// Not an Azure ML schema (or no `$schema`).
    None,
    /// An Azure ML schema of an entity the mapping reads.
    Entity(Kind),
    /// An Azure ML schema of something with no security settings to map
    /// (components, data assets, schedules...).
    Other,
}

/// Reads a `$schema` URL.
pub fn schema_kind(url: &str) -> Schema {
    let lower = url.trim().to_ascii_lowercase();
    if !lower.contains("azureml") {
        return Schema::None;
    }
    let last = lower.rsplit('/').next().unwrap_or_default();
    let name = last.trim_end_matches(".json").trim_end_matches(".schema");
    let kind = match name {
        "workspace" | "hubworkspace" | "projectworkspace" | "featurestore" => Kind::Workspace,
        "amlcompute"
        | "computeinstance"
        | "kubernetescompute"
        | "vmcompute"
        | "synapsesparkcompute"
        | "attachedcompute"
        | "virtualmachinecompute" => Kind::Compute,
        // Preview-era names: the SDK decides the variant from the content.
        "managedonlineendpoint" | "onlineendpoint" => Kind::ManagedOnlineEndpoint,
        "kubernetesonlineendpoint" => Kind::KubernetesOnlineEndpoint,
        "managedonlinedeployment" | "onlinedeployment" => Kind::ManagedOnlineDeployment,
        "kubernetesonlinedeployment" => Kind::KubernetesOnlineDeployment,
        "batchendpoint" => Kind::BatchEndpoint,
        "batchdeployment" | "modelbatchdeployment" | "pipelinecomponentbatchdeployment" => {
            Kind::BatchDeployment
        }
        "registry" => Kind::Registry,
        "azureblob" | "azurefile" | "azuredatalakegen1" | "azuredatalakegen2" | "onelake" => {
            Kind::Datastore
        }
        "environment" => Kind::Environment,
        "model" => Kind::Model,
        n if n.contains("connection") => Kind::Connection,
        n if n.ends_with("job") => Kind::Job,
        _ => return Schema::Other,
    };
    Schema::Entity(kind)
}

/// Compute `type`s of the CLI.
pub const COMPUTE_TYPES: &[&str] = &[
    "amlcompute",
    "computeinstance",
    "kubernetes",
    "virtualmachine",
    "synapsespark",
];
/// Datastore `type`s of the CLI.
pub const DATASTORE_TYPES: &[&str] = &[
    "azure_blob",
    "azure_file",
    "azure_data_lake_gen1",
    "azure_data_lake_gen2",
    "one_lake",
];

/// What a document is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Classified {
    /// An entity the mapping reads.
    Entity(Kind),
    /// Not an Azure ML entity (conda files, workflows, Kubernetes manifests,
    /// Azure ML files of kinds with no settings to map).
    NotAzureMl,
    /// It carries Azure ML keys, but its kind cannot be told: what it looked
    /// like and why it is not read.
    Unrecognised(String),
}

/// The kind of a document: its `$schema`, else the ARM `id` of `show`
/// output, else its shape. `None` for anything else (conda files,
/// workflows, Kubernetes manifests...) and for documents whose kind cannot
/// be told (see [`classify`]).
pub fn detect(value: &Value) -> Option<Kind> {
    match classify(value) {
        Classified::Entity(k) => Some(k),
        _ => None,
    }
}

/// Classifies a document as the CLI would load it. The `$schema` names the
/// entity, but the content decides between variants as the SDK does: an
/// online endpoint with a `compute` is a Kubernetes endpoint, an online
/// deployment with `type: kubernetes` a Kubernetes deployment (whatever the
/// `$schema` says). Without `$schema` or ARM `id`, the shape decides, from
/// the keys azure-ai-ml's schemas define ([`crate::schemas`]).
pub fn classify(value: &Value) -> Classified {
    if value.as_object().is_none() {
        return Classified::NotAzureMl;
    }
    if let Some(url) = value.get("$schema").and_then(Value::as_str) {
        match schema_kind(url) {
            Schema::Entity(k) => return Classified::Entity(by_content(k, value)),
            Schema::Other => return Classified::NotAzureMl,
            Schema::None => {}
        }
    }
    if let Some(id) = value.get("id").and_then(Value::as_str) {
        if let Some(k) = kind_of_id(&id.to_ascii_lowercase(), value) {
            return Classified::Entity(k);
        }
    }
    crate::shape::classify(value)
}

/// The variant the SDK picks from the content: `compute` makes an online
/// endpoint a Kubernetes one, `type: kubernetes` an online deployment.
pub fn by_content(kind: Kind, value: &Value) -> Kind {
    match kind {
        Kind::ManagedOnlineEndpoint | Kind::KubernetesOnlineEndpoint => {
            let compute = value.get("compute").is_some_and(|c| {
                !matches!(c, Value::Null | Value::Bool(false)) && c.as_str() != Some("")
            });
            if compute {
                Kind::KubernetesOnlineEndpoint
            } else {
                Kind::ManagedOnlineEndpoint
            }
        }
        Kind::ManagedOnlineDeployment | Kind::KubernetesOnlineDeployment => {
            if value.get("type").and_then(Value::as_str) == Some("kubernetes") {
                Kind::KubernetesOnlineDeployment
            } else {
                Kind::ManagedOnlineDeployment
            }
        }
        other => other,
    }
}

/// A workspace update file (`az ml workspace update --file`): no `$schema`,
/// a name and the managed network, nothing else but descriptive keys.
pub fn is_workspace_update(value: &Value) -> bool {
    let Some(obj) = value.as_object() else {
        return false;
    };
    value.get("$schema").is_none()
        && value.get("name").is_some()
        && value.get("managed_network").is_some()
        && obj.keys().all(|k| {
            matches!(
                k.to_ascii_lowercase().as_str(),
                "name"
                    | "managed_network"
                    | "description"
                    | "display_name"
                    | "tags"
                    | "location"
                    | "resource_group"
            )
        })
}

/// The kind named by an ARM id (`show` output), the compute's `type` or the
/// endpoint's `kind` deciding between variants.
fn kind_of_id(id: &str, value: &Value) -> Option<Kind> {
    let tail = id
        .split("/providers/microsoft.machinelearningservices/")
        .nth(1)?;
    let segs: Vec<&str> = tail.split('/').collect();
    let kubernetes = value
        .get("kind")
        .or_else(|| value.get("type"))
        .and_then(Value::as_str)
        .is_some_and(|k| k.eq_ignore_ascii_case("kubernetes"));
    Some(match segs.as_slice() {
        ["workspaces", _] => Kind::Workspace,
        ["registries", _] => Kind::Registry,
        ["workspaces", _, "computes", _] => Kind::Compute,
        ["workspaces", _, "datastores", _] => Kind::Datastore,
        ["workspaces", _, "connections", _] => Kind::Connection,
        ["workspaces", _, "onlineendpoints", _] if kubernetes => Kind::KubernetesOnlineEndpoint,
        ["workspaces", _, "onlineendpoints", _] => Kind::ManagedOnlineEndpoint,
        ["workspaces", _, "onlineendpoints", _, "deployments", _] if kubernetes => {
            Kind::KubernetesOnlineDeployment
        }
        ["workspaces", _, "onlineendpoints", _, "deployments", _] => Kind::ManagedOnlineDeployment,
        ["workspaces", _, "batchendpoints", _] => Kind::BatchEndpoint,
        ["workspaces", _, "batchendpoints", _, "deployments", _] => Kind::BatchDeployment,
        ["workspaces", _, "environments", _, "versions", _] => Kind::Environment,
        ["workspaces", _, "models", _, "versions", _] => Kind::Model,
        ["workspaces", _, "jobs", _] => Kind::Job,
        _ => return None,
    })
}

/// A cheap look at a YAML file's text before parsing it: an Azure ML
/// `$schema`, or a top-level key or compute/datastore `type` that only
/// Azure ML files have. Keeps a repository's thousands of YAML files fast.
pub fn may_be_azure_ml(text: &str) -> bool {
    let head = &text[..floor_boundary(text, 64 * 1024)];
    for line in head.lines() {
        if line.starts_with([' ', '\t', '-', '#']) {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim().trim_matches(['"', '\'']);
        let value = value.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
        match key {
            "$schema" if value.contains("azureml") => return true,
            "type"
                if COMPUTE_TYPES.contains(&value.as_str())
                    || DATASTORE_TYPES.contains(&value.as_str()) =>
            {
                return true
            }
            "replication_locations"
            | "managed_network"
            | "credentials"
            | "api_key"
            | "endpoint_name"
            | "auth_mode"
            | "traffic"
            | "mirror_traffic" => return true,
            k if SNIFFED_WORKSPACE_KEYS.contains(&k) => return true,
            _ => {}
        }
    }
    false
}

/// Top-level keys that only workspaces have, looked for by [`may_be_azure_ml`].
const SNIFFED_WORKSPACE_KEYS: &[&str] = &[
    "storage_account",
    "key_vault",
    "container_registry",
    "application_insights",
    "hbi_workspace",
    "customer_managed_key",
    "image_build_compute",
    "primary_user_assigned_identity",
    "serverless_compute",
    "system_datastores_auth_mode",
    "hub_id",
    "workspace_hub",
    "friendly_name",
    "private_endpoints",
];

/// Whether the text names an Azure ML schema (then a parse error is reported).
pub fn names_azure_ml_schema(text: &str) -> bool {
    let head = &text[..floor_boundary(text, 64 * 1024)];
    head.lines().any(|l| {
        let l = l.trim_start_matches(['"', '\'']);
        l.starts_with("$schema") && l.to_ascii_lowercase().contains("azureml")
    })
}

/// The largest character boundary at or below `max`.
pub fn floor_boundary(text: &str, max: usize) -> usize {
    let mut i = max.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_name_kinds() {
        assert_eq!(
            schema_kind("https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json"),
            Schema::Entity(Kind::Compute)
        );
        assert_eq!(
            schema_kind("http://azureml/sdk-2-0/Connection.json"),
            Schema::Entity(Kind::Connection)
        );
        assert_eq!(
            schema_kind("https://azuremlschemas.azureedge.net/latest/commandJob.schema.json"),
            Schema::Entity(Kind::Job)
        );
        assert_eq!(
            schema_kind("https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json"),
            Schema::Other
        );
        assert_eq!(
            schema_kind("https://json.schemastore.org/github-workflow.json"),
            Schema::None
        );
    }

    #[test]
    fn sniff_is_cheap_and_narrow() {
        assert!(may_be_azure_ml(
            "$schema: https://azuremlschemas.azureedge.net/latest/workspace.schema.json\n"
        ));
        assert!(may_be_azure_ml("name: x\ntype: amlcompute\n"));
        assert!(!may_be_azure_ml(
            "name: env\ndependencies:\n  - python=3.10\n"
        ));
        assert!(!may_be_azure_ml(
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
        ));
        assert!(!may_be_azure_ml(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n"
        ));
    }
}
