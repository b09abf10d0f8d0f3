//! The Azure ML CLI v2 YAML front end: the `.yml`/`.yaml` files that
//! `az ml <thing> create --file` reads (workspaces, computes, online and
//! batch endpoints and deployments, registries, datastores, connections,
//! environments, models, jobs), mapped onto the ARM resources the CLI
//! creates, with the CLI's own defaults, so that every rule applies.
//!
//! # Public API
//!
//! The mapping works on a parsed tree, whatever it was read from:
//!
//! - [`tree::parse`] reads YAML (with `marked-yaml`) into a [`Document`]: the
//!   value tree as a [`Value`] and the span of every key path.
//! - [`Document::without_positions`] wraps a value that has no positions, such
//!   as the JSON of `az ml workspace show -o json` or `az ml compute show -o
//!   json` (the same snake_case keys as the YAML) turned into a [`Value`].
//! - [`kind::detect`] says which entity a tree is: by its `$schema` URL, by
//!   the ARM `id` that `show` prints, or by its shape (a compute's `type`, a
//!   connection's `target` and `credentials`, a registry's
//!   `replication_locations`, a workspace update file's `managed_network`).
//! - [`mapping::map`] turns an entity into ARM resources in a [`Target`]
//!   (resource group scope, location, and the [`Workspace`] of
//!   workspace-level entities); [`Target::from_id`] reads the target from a
//!   `show` output's `id`. [`mapping::workspace_stub`] stands for a workspace
//!   that is not among the inputs: its settings are unknown.
//! - [`map_value`] does the last three in one call.
//!
//! Keys absent from the tree take the CLI's create defaults (a cluster
//! without `ssh_settings` gets `disableLocalAuth: true`, an online endpoint
//! without `auth_mode` gets `Key`). That is right for the YAML given to
//! `create`; `show` output prints the stored values, so a key it leaves out
//! (secrets, `ssh_settings`) is better read from the ARM resource itself.
//!
//! # The scan
//!
//! [`run`] reads every `.yml`/`.yaml` file the scan found that is an Azure ML
//! entity, and skips other YAML silently. A file that names an Azure ML
//! `$schema` and does not parse gets a `yaml-syntax` error. A workspace-level
//! entity's workspace is the workspace YAML in the same folder when there is
//! exactly one, else `--workspace NAME`, else unknown. The files of one
//! folder form one deployment, so that relations (a workspace's computes, a
//! deployment's workspace registry) are made between files that sit together.

pub mod kind;
pub mod mapping;
pub mod tree;

use aml_model::context::DeploymentContext;
use aml_model::input::{
    Candidate, Claim, DeploymentOutput, Frontend, FrontendInput, FrontendOutput, UnitSink,
};
use aml_model::source::{FileId, Span};
use aml_model::value::Value;
pub use kind::{detect, may_be_azure_ml, Kind};
pub use mapping::{Target, Workspace};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
pub use tree::Document;

/// The format name recorded on resources and files read from YAML.
pub const FORMAT: &str = "azureml-yaml";

/// Extensions this front end reads.
pub fn wants(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

impl Target {
    /// The target of a scan: the deployment context's resource group and
    /// location, and the given workspace.
    pub fn new(context: &DeploymentContext, workspace: Workspace) -> Target {
        Target {
            scope: format!(
                "/subscriptions/{}/resourceGroups/{}",
                context.subscription_id, context.resource_group
            ),
            location: context.location.clone(),
            workspace,
        }
    }

    /// The target an ARM id names (`show` output): its resource group scope
    /// and, below a workspace, the workspace. `None` for other ids.
    pub fn from_id(id: &str, location: &str) -> Option<Target> {
        let lower = id.to_ascii_lowercase();
        let at = lower.find("/providers/microsoft.machinelearningservices/")?;
        let scope = id[..at].to_string();
        if !lower.starts_with("/subscriptions/") || !lower[..at].contains("/resourcegroups/") {
            return None;
        }
        let tail: Vec<&str> = id[at..].split('/').collect();
        // ["", "providers", "Microsoft.MachineLearningServices", "workspaces", ws, child...]
        let workspace = match tail.get(3..5) {
            Some([t, name]) if t.eq_ignore_ascii_case("workspaces") && tail.len() > 5 => {
                Workspace::Named {
                    name: name.to_string(),
                    in_files: false,
                }
            }
            _ => Workspace::Unknown,
        };
        Some(Target {
            scope,
            location: location.to_string(),
            workspace,
        })
    }
}

/// Detects and maps one tree in one call: `None` when it is no Azure ML
/// entity the mapping reads.
pub fn map_value(
    doc: &Document,
    target: &Target,
    format: &'static str,
) -> Option<(Kind, Vec<aml_model::model::Resource>)> {
    let kind = detect(&doc.value)?;
    Some((kind, mapping::map(kind, doc, target, format)))
}

/// Whether a file found by walking is worth reading (a cheap look).
pub fn worth_reading(path: &Path, text: &str) -> bool {
    wants(path) && may_be_azure_ml(text)
}

/// The files that come with a YAML file named alone: the workspace YAML
/// files beside it, which give its workspace.
pub fn companions(path: &Path) -> Vec<PathBuf> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && wants(p) && p.file_name() != path.file_name())
        .filter(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.len() < 1024 * 1024)
                && std::fs::read_to_string(p).is_ok_and(|t| {
                    let lower = t.to_ascii_lowercase();
                    lower.contains("/workspace.schema.json")
                        || (t.lines().any(|l| l.starts_with("managed_network:")))
                })
        })
        .map(|p| aml_model::source::normalize_path(&p))
        .collect();
    out.sort();
    out
}

/// The CLI YAML front end's own settings.
#[derive(Clone, Debug, Default)]
pub struct YamlOptions {
    /// The workspace of entities (computes, endpoints, datastores,
    /// connections...) with no workspace YAML beside them (`--workspace`).
    pub workspace: Option<String>,
}

/// The Azure ML CLI v2 YAML front end.
#[derive(Clone, Debug, Default)]
pub struct Yaml {
    pub options: YamlOptions,
}

impl Yaml {
    /// The front end with its settings.
    pub fn new(options: YamlOptions) -> Self {
        Yaml { options }
    }
}

impl Frontend for Yaml {
    fn name(&self) -> &'static str {
        FORMAT
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["yml", "yaml"]
    }

    /// `.yml`/`.yaml` files that look like Azure ML entities, and any named
    /// on the command line.
    fn claim(&self, file: &Candidate<'_>) -> Claim {
        if wants(file.path) && (file.explicit || may_be_azure_ml(file.text)) {
            Claim::Yes
        } else {
            Claim::No
        }
    }

    fn companions(&self, path: &Path) -> Vec<PathBuf> {
        if wants(path) {
            companions(path)
        } else {
            Vec::new()
        }
    }

    /// Reads every entity; the files of one folder form one deployment.
    fn run(&self, input: &FrontendInput<'_>, units: &dyn UnitSink) -> FrontendOutput {
        let mut out = FrontendOutput::default();
        let entities = read_entities(input, &mut out);
        // One deployment per folder, in the order of its first file.
        let mut by_dir: BTreeMap<&Path, Vec<&Entity>> = BTreeMap::new();
        for e in &entities {
            by_dir.entry(e.dir.as_path()).or_default().push(e);
        }
        let mut counts: BTreeMap<FileId, usize> = BTreeMap::new();
        for group in by_dir.values() {
            units.unit(self.folder_unit(input.context, group, &mut counts));
        }
        for e in &entities {
            out.file(e.file, FORMAT, counts.get(&e.file).copied().unwrap_or(0));
        }
        out
    }
}

struct Entity {
    file: FileId,
    dir: PathBuf,
    kind: Kind,
    doc: Document,
}

/// Parses the files and keeps the Azure ML entities; a file that names an
/// Azure ML `$schema` and does not parse gets its syntax error.
fn read_entities(input: &FrontendInput<'_>, out: &mut FrontendOutput) -> Vec<Entity> {
    let mut entities = Vec::new();
    for f in input.files {
        let file = input.sources.get(f.id);
        let doc = match tree::parse(f.id, &file.text) {
            Ok(d) => d,
            Err(d) => {
                if kind::names_azure_ml_schema(&file.text) {
                    out.diagnostics.push(d);
                    out.file(f.id, FORMAT, 0);
                }
                continue;
            }
        };
        let Some(kind) = detect(&doc.value) else {
            continue;
        };
        entities.push(Entity {
            file: f.id,
            dir: file
                .path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            kind,
            doc,
        });
    }
    entities
}

impl Yaml {
    /// The workspace of a folder's entities: its one workspace YAML, else
    /// `--workspace`, else unknown.
    fn folder_workspace(&self, group: &[&Entity]) -> Workspace {
        let workspaces: Vec<String> = group
            .iter()
            .filter(|e| e.kind == Kind::Workspace)
            .filter_map(|e| match e.doc.value.get("name") {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        match (workspaces.as_slice(), &self.options.workspace) {
            ([one], _) => Workspace::Named {
                name: one.clone(),
                in_files: true,
            },
            (_, Some(name)) => Workspace::Named {
                name: name.clone(),
                in_files: workspaces.iter().any(|w| w == name),
            },
            _ => Workspace::Unknown,
        }
    }

    /// The deployment of one folder's entities (with a stub for their
    /// workspace when it is not among them).
    fn folder_unit(
        &self,
        context: &DeploymentContext,
        group: &[&Entity],
        counts: &mut BTreeMap<FileId, usize>,
    ) -> DeploymentOutput {
        let workspace = self.folder_workspace(group);
        let target = Target::new(context, workspace.clone());
        let mut d = DeploymentOutput {
            entry: group[0].file,
            ..Default::default()
        };
        let mut needs_stub: Option<Span> = None;
        for e in group {
            let resources = mapping::map(e.kind, &e.doc, &target, FORMAT);
            *counts.entry(e.file).or_default() += resources.len();
            if e.kind.in_workspace() {
                needs_stub.get_or_insert(e.doc.span);
            }
            d.resources.extend(resources);
        }
        let in_files = matches!(workspace, Workspace::Named { in_files: true, .. });
        if let (Some(span), false) = (needs_stub, in_files) {
            d.resources
                .push(mapping::workspace_stub(&target, span, FORMAT));
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aml_model::source::FileId;

    fn target() -> Target {
        Target::new(&DeploymentContext::default(), Workspace::Unknown)
    }

    #[test]
    fn show_output_maps_like_yaml() {
        // `az ml compute show -o json`: the YAML's keys, plus the ARM id.
        let json = serde_json::json!({
            "id": "/subscriptions/s/resourceGroups/prod/providers/Microsoft.MachineLearningServices/workspaces/mlw/computes/cpu",
            "name": "cpu",
            "type": "amlcompute",
            "location": "westeurope",
            "enable_node_public_ip": false,
            "min_instances": 0,
            "max_instances": 2
        });
        let value = Value::from_json(&json);
        let target =
            Target::from_id(value.get("id").unwrap().as_str().unwrap(), "westeurope").unwrap();
        assert_eq!(target.workspace.name(), "mlw");
        let doc = Document::without_positions(value, Span::new(FileId(0), 0, 1));
        let (kind, resources) = map_value(&doc, &target, "azureml-cli-json").unwrap();
        assert_eq!(kind, Kind::Compute);
        let r = &resources[0];
        assert_eq!(
            r.id,
            "/subscriptions/s/resourceGroups/prod/providers/Microsoft.MachineLearningServices/workspaces/mlw/computes/cpu"
        );
        assert_eq!(
            r.get("properties.properties.enableNodePublicIp"),
            Some(&Value::Bool(false))
        );
        assert!(r.is_set("properties.properties.enableNodePublicIp"));
        assert_eq!(
            r.get("properties.disableLocalAuth"),
            Some(&Value::Bool(true))
        );
    }

    #[test]
    fn yaml_defaults_are_the_clis() {
        let text = "$schema: https://azuremlschemas.azureedge.net/latest/workspace.schema.json\nname: w\nmanaged_network:\n  isolation_mode: allow_only_approved_outbound\ncustomer_managed_key:\n  key_vault: /subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv\n  key_uri: https://kv.vault.azure.net/keys/k/1\n";
        let doc = tree::parse(FileId(0), text).unwrap();
        let (kind, rs) = map_value(&doc, &target(), FORMAT).unwrap();
        assert_eq!(kind, Kind::Workspace);
        let ws = &rs[0];
        assert_eq!(
            ws.get("properties.publicNetworkAccess"),
            Some(&Value::str("Enabled"))
        );
        assert!(!ws.is_set("properties.publicNetworkAccess"));
        assert_eq!(
            ws.get("properties.managedNetwork.isolationMode"),
            Some(&Value::str("AllowOnlyApprovedOutbound"))
        );
        assert_eq!(
            ws.get("properties.managedNetwork.firewallSku"),
            Some(&Value::str("Standard"))
        );
        assert_eq!(
            ws.get("properties.encryption.status"),
            Some(&Value::str("Enabled"))
        );
        assert_eq!(ws.get("identity.type"), Some(&Value::str("SystemAssigned")));
        let span = ws.span_of("properties.managedNetwork.isolationMode");
        assert_eq!(
            &text[span.start as usize..span.end as usize],
            "isolation_mode: allow_only_approved_outbound"
        );

        let text = "$schema: https://azuremlschemas.azureedge.net/latest/computeInstance.schema.json\nname: ci\ntype: computeinstance\nssh_public_access_enabled: true\n";
        let doc = tree::parse(FileId(0), text).unwrap();
        let (_, rs) = map_value(&doc, &target(), FORMAT).unwrap();
        assert_eq!(
            rs[0].get("properties.disableLocalAuth"),
            Some(&Value::Bool(false))
        );
        assert_eq!(
            rs[0].get("properties.properties.sshSettings.sshPublicAccess"),
            Some(&Value::str("Enabled"))
        );
        assert_eq!(rs[0].name, "<workspace>/ci");

        let text = "$schema: https://azuremlschemas.azureedge.net/latest/batchEndpoint.schema.json\nname: b\n";
        let doc = tree::parse(FileId(0), text).unwrap();
        let (_, rs) = map_value(&doc, &target(), FORMAT).unwrap();
        assert_eq!(
            rs[0].get("properties.authMode"),
            Some(&Value::str("AADToken"))
        );
    }

    #[test]
    fn conda_and_workflows_are_not_entities() {
        for text in [
            "name: env\ndependencies:\n  - python=3.10\n",
            "name: ci\non: [push]\njobs:\n  a:\n    runs-on: ubuntu-latest\n",
            "services:\n  web:\n    image: nginx\n",
        ] {
            let doc = tree::parse(FileId(0), text).unwrap();
            assert!(detect(&doc.value).is_none(), "{text}");
        }
    }
}
