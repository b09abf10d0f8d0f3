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
//! - [`tree::parse_stream`] reads YAML (`yaml-rust2`'s events) into one
//!   [`Document`] per document of the file: the value tree as a [`Value`] and
//!   the span of every key path; a key given twice keeps its last value, as
//!   PyYAML (the CLI) reads it, with a warning naming both places.
//! - [`Document::without_positions`] wraps a value that has no positions, such
//!   as the JSON of `az ml workspace show -o json` or `az ml compute show -o
//!   json` (the same snake_case keys as the YAML) turned into a [`Value`].
//! - [`kind::classify`] says which entity a tree is: by its `$schema` URL, by
//!   the ARM `id` that `show` prints, or by its keys as azure-ai-ml's schemas
//!   define them ([`shape`]); the content decides between managed and
//!   Kubernetes variants as the SDK does.
//! - [`validate::validate`] checks the keys and value types against what
//!   `az ml` accepts ([`schemas`], generated from azure-ai-ml 1.35.2) and
//!   makes invalid values unknown.
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
//! [`Yaml`] reads every document of every `.yml`/`.yaml` file the scan found
//! that is an Azure ML entity, and skips other YAML silently. A file that
//! names an Azure ML `$schema` and does not parse gets a `yaml-syntax` error;
//! a document with Azure ML keys whose kind cannot be told a
//! `yaml-unrecognised` warning; a file of several documents a
//! `yaml-multi-document` warning; keys and types the CLI rejects
//! `yaml-schema` errors. A workspace-level
//! entity's workspace is the workspace YAML in the same folder when there is
//! exactly one, else `--workspace NAME`, else unknown. The files of one
//! folder form one deployment, so that relations (a workspace's computes, a
//! deployment's workspace registry) are made between files that sit together.

pub mod kind;
pub mod mapping;
pub mod schemas;
pub mod secrets;
pub mod shape;
pub mod tree;
pub mod validate;

use aml_model::context::DeploymentContext;
use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::input::{
    Candidate, Claim, DeploymentOutput, Frontend, FrontendInput, FrontendOutput, InputFile,
    UnitSink,
};
use aml_model::source::{FileId, Span};
use aml_model::value::Value;
pub use kind::{classify, detect, may_be_azure_ml, Classified, Kind};
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

/// A `.json` file that is not Terraform's (`.tfvars.json`, `.tf.json`).
fn is_json(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    name.ends_with(".json") && !name.ends_with(".tfvars.json") && !name.ends_with(".tf.json")
}

/// JSON (a YAML flow mapping) whose keys are the CLI's: an Azure ML entity,
/// or a document with Azure ML keys whose kind cannot be told (then warned
/// about). ARM templates, parameter files and live exports are not.
pub fn json_is_azure_ml(text: &str) -> bool {
    const MAX: usize = 1024 * 1024;
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if text.len() > MAX || !t.starts_with('{') {
        return false;
    }
    let head = &t[..kind::floor_boundary(t, 4096)];
    if head.contains("deploymentTemplate") || head.contains("deploymentParameters") {
        return false;
    }
    if aml_model::input::looks_like_live_export(text) || aml_model::input::looks_like_plan(text) {
        return false;
    }
    // `"key": value` pieces as `key: value` lines, for the YAML sniff.
    let yaml_like: String = t[..kind::floor_boundary(t, 64 * 1024)]
        .split([',', '{', '\n'])
        .map(str::trim)
        .filter_map(|l| l.strip_prefix('"'))
        .map(|l| l.replacen("\":", ":", 1))
        .collect::<Vec<_>>()
        .join("\n");
    if !may_be_azure_ml(&yaml_like) {
        return false;
    }
    tree::parse_stream(FileId(0), t).is_ok_and(|s| {
        s.docs
            .iter()
            .any(|d| !matches!(classify(&d.value), Classified::NotAzureMl))
    })
}

/// Whether a file found by walking is worth reading (a cheap look).
pub fn worth_reading(path: &Path, text: &str) -> bool {
    wants(path) && may_be_azure_ml(text)
}

/// The files that come with a YAML file named alone: the workspace YAML
/// files beside it (by `$schema` or by their keys), which give its workspace.
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
                    t.to_ascii_lowercase().contains("/workspace.schema.json")
                        || (may_be_azure_ml(&t)
                            && tree::parse_stream(FileId(0), &t).is_ok_and(|s| {
                                s.docs
                                    .iter()
                                    .any(|d| detect(&d.value) == Some(Kind::Workspace))
                            }))
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
        &["yml", "yaml", "json"]
    }

    /// `.yml`/`.yaml` files that look like Azure ML entities, and any named
    /// on the command line; JSON with the CLI's keys (`az ml ... show -o
    /// json` saved, or an entity written as JSON), which is no ARM template.
    fn claim(&self, file: &Candidate<'_>) -> Claim {
        let yaml = wants(file.path) && (file.explicit || may_be_azure_ml(file.text));
        if yaml || (is_json(file.path) && json_is_azure_ml(file.text)) {
            Claim::Yes
        } else {
            Claim::No
        }
    }

    fn companions(&self, path: &Path) -> Vec<PathBuf> {
        companions(path)
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
        let mut seen = std::collections::BTreeSet::new();
        for e in &entities {
            if seen.insert(e.file) {
                out.file(e.file, FORMAT, counts.get(&e.file).copied().unwrap_or(0));
            }
        }
        out
    }
}

struct Entity {
    file: FileId,
    dir: PathBuf,
    kind: Kind,
    doc: Document,
    /// Read as context (beside a file named alone): it may name the
    /// workspace of the others, never an entity of its own.
    context: bool,
}

/// Parses the files and keeps the Azure ML entities of every document; a
/// file that names an Azure ML `$schema` and does not parse gets its syntax
/// error.
fn read_entities(input: &FrontendInput<'_>, out: &mut FrontendOutput) -> Vec<Entity> {
    let mut entities = Vec::new();
    for f in input.files {
        let file = input.sources.get(f.id);
        // Where credentials are written, in every document (decision 0030).
        secrets::secret_spans(f.id, &file.text(), &mut out.secret_spans);
        let stream = match tree::parse_stream(f.id, &file.text()) {
            Ok(s) => s,
            Err(d) => {
                if kind::names_azure_ml_schema(&file.text()) {
                    out.diagnostics.push(d);
                    out.file(f.id, FORMAT, 0);
                }
                continue;
            }
        };
        let dir = file
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        read_stream(f, &dir, stream, &mut entities, out);
    }
    entities
}

/// Classifies, checks and keeps each document of one file: a warning for a
/// document with Azure ML keys whose kind cannot be told, for a file of
/// several documents (`az ml` reads one), and for keys given twice.
fn read_stream(
    input: &InputFile,
    dir: &Path,
    stream: tree::Stream,
    entities: &mut Vec<Entity>,
    out: &mut FrontendOutput,
) {
    let file = input.id;
    let diagnostics = &mut out.diagnostics;
    let documents = stream.docs.len();
    let second = stream.docs.get(1).map(|d| d.span);
    let first_schema = stream
        .docs
        .iter()
        .find_map(|d| Some((schema_kind(d.value.get("$schema")?.as_str()?)?, d.span)));
    let mut azure_ml = 0;
    let mut unrecognised: Option<String> = None;
    for mut doc in stream.docs {
        match classify(&doc.value) {
            Classified::Entity(kind) => {
                diagnostics.extend(validate::validate(kind, &mut doc));
                entities.push(Entity {
                    file,
                    dir: dir.to_path_buf(),
                    kind,
                    doc,
                    context: input.context.is_some(),
                });
                azure_ml += 1;
            }
            Classified::Unrecognised(why) => {
                diagnostics.push(Diagnostic::warning(
                    "yaml-unrecognised",
                    format!("Azure ML entity not read: {why}"),
                    Location::Span(doc.span),
                ));
                unrecognised.get_or_insert(why);
            }
            Classified::NotAzureMl => {}
        }
    }
    if azure_ml == 0 {
        let reason = match (unrecognised, first_schema) {
            (Some(why), _) => format!("an unrecognised Azure ML shape: {why}"),
            // An Azure ML file of a kind with no baseline setting (a data
            // asset, a component, a schedule, a job): said, not silent.
            (None, Some((kind, span))) => {
                diagnostics.push(Diagnostic::info(
                    "yaml-not-evaluated",
                    format!("an Azure ML {kind} file (`$schema`): no setting of the baseline applies to it, so it is not evaluated"),
                    Location::Span(span),
                ));
                format!("an Azure ML {kind} file: no setting of the baseline applies")
            }
            (None, None) => "YAML that is no Azure ML entity the CLI reads".to_string(),
        };
        out.skipped.push((file, reason));
        return;
    }
    diagnostics.extend(stream.diagnostics);
    if let (Some(span), true) = (second, documents > 1) {
        diagnostics.push(Diagnostic::warning(
            "yaml-multi-document",
            format!(
                "the file holds {documents} YAML documents (`---`); `az ml` reads a file of one document and rejects this one, so each is read here as an entity of its own"
            ),
            Location::Span(span),
        ));
    }
}

/// The kind an Azure ML `$schema` URL names (`data` for
/// `.../latest/data.schema.json`), when it is one.
fn schema_kind(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    if !lower.contains("azureml") {
        return None;
    }
    let file = lower.rsplit('/').next()?;
    let kind = file.strip_suffix(".schema.json")?;
    Some(kind.to_string())
}

impl Yaml {
    /// The workspace of a folder's entities: its one workspace YAML, else
    /// `--workspace`, else unknown.
    fn folder_workspace(&self, group: &[&Entity]) -> Workspace {
        // Workspaces of the files scanned, else of those read as context.
        let scanned = group
            .iter()
            .any(|e| e.kind == Kind::Workspace && !e.context);
        let workspaces: Vec<String> = group
            .iter()
            .filter(|e| e.kind == Kind::Workspace && e.context != scanned)
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
            // A workspace read as context is what the others use: in the
            // model as an existing resource, judged by no rule.
            let named = e.kind == Kind::Workspace
                && matches!(&workspace, Workspace::Named { name, .. }
                    if e.doc.value.get("name").and_then(Value::as_str) == Some(name));
            if e.context && !named {
                continue;
            }
            let mut resources = mapping::map(e.kind, &e.doc, &target, FORMAT);
            if e.context {
                resources.iter_mut().for_each(|r| r.existing = true);
            }
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
