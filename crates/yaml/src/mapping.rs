//! The mapping of the CLI's entities (snake_case YAML, or the same keys in
//! `az ml <thing> show -o json`) onto the ARM resources the CLI creates,
//! with the CLI's defaults (azure-ai-ml 1.35.2; see
//! `../shared/reference/azure-ml-settings.md` and `docs/cli-yaml-mapping.md`).
//!
//! A default the CLI sends is written into the body without a span, so a
//! finding about it points at the resource and says the value is not set.

use crate::kind::Kind;
use crate::tree::Document;
use aml_model::model::{parent_id, resource_id, Deployed, Resource};
use aml_model::source::Span;
use aml_model::value::{Object, Value};
use std::collections::BTreeMap;

/// The ARM API version the mapped resources are given.
pub const API_VERSION: &str = "2024-10-01";
const NS: &str = "Microsoft.MachineLearningServices";

/// Where the entities are created: the resource group scope, the location
/// and the workspace of workspace-level entities.
#[derive(Clone, Debug)]
pub struct Target {
    /// `/subscriptions/<id>/resourceGroups/<name>`.
    pub scope: String,
    /// The location of entities that do not name one.
    pub location: String,
    /// The workspace of computes, endpoints, datastores, connections...
    pub workspace: Workspace,
}

/// The workspace a workspace-level entity belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Workspace {
    /// Named; `in_files` when its own YAML is among the scanned files.
    Named { name: String, in_files: bool },
    /// Not known: no workspace YAML beside the file and no `--workspace`.
    Unknown,
}

impl Workspace {
    /// The name used in resource ids (`<workspace>` when unknown).
    pub fn name(&self) -> &str {
        match self {
            Workspace::Named { name, .. } => name,
            Workspace::Unknown => "<workspace>",
        }
    }
}

/// Maps one entity onto its ARM resources (an online deployment with an
/// inline environment gives two). `format` is recorded on each resource
/// (`azureml-yaml`, or the live front end's own).
pub fn map(kind: Kind, doc: &Document, target: &Target, format: &'static str) -> Vec<Resource> {
    let name = name_of(doc);
    let mut cx = Cx {
        doc,
        target,
        format,
        out: Vec::new(),
    };
    match kind {
        Kind::Workspace => workspace(&mut cx, &name),
        Kind::Compute => compute(&mut cx, &name),
        Kind::ManagedOnlineEndpoint => endpoint(&mut cx, &name, "onlineEndpoints", true),
        Kind::KubernetesOnlineEndpoint => endpoint(&mut cx, &name, "onlineEndpoints", false),
        Kind::BatchEndpoint => endpoint(&mut cx, &name, "batchEndpoints", false),
        Kind::ManagedOnlineDeployment => {
            deployment(&mut cx, &name, "onlineEndpoints", Some("Managed"))
        }
        Kind::KubernetesOnlineDeployment => {
            deployment(&mut cx, &name, "onlineEndpoints", Some("Kubernetes"))
        }
        Kind::BatchDeployment => deployment(&mut cx, &name, "batchEndpoints", None),
        Kind::Registry => registry(&mut cx, &name),
        Kind::Datastore => datastore(&mut cx, &name),
        Kind::Connection => connection(&mut cx, &name),
        Kind::Environment => environment(&mut cx, &name),
        Kind::Model => model(&mut cx, &name),
        Kind::Job => job(&mut cx, &name),
    }
    cx.out
}

/// The entity's `name` (text), or `<unnamed>`.
pub fn name_of(doc: &Document) -> String {
    match doc.value.get("name") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Unknown(u)) => u.expr.clone(),
        Some(Value::Int(i)) => i.to_string(),
        _ => "<unnamed>".to_string(),
    }
}

/// The resource a workspace-level entity's workspace stands for when it is
/// not among the scanned files: `existing` (no rule applies to it), with
/// the settings rules read from it unknown.
pub fn workspace_stub(target: &Target, span: Span, format: &'static str) -> Resource {
    let name = target.workspace.name().to_string();
    let why = match &target.workspace {
        Workspace::Named { name, .. } => format!(
            "workspace '{name}' (--workspace) is not in the scanned files; its settings are not known"
        ),
        Workspace::Unknown => "the workspace is not known: no workspace YAML beside the file and no --workspace NAME".to_string(),
    };
    let unknown = |p: &str| Value::unknown(format!("workspace {name}: {p}"), why.clone());
    let mut props = Object::default();
    for p in [
        "publicNetworkAccess",
        "containerRegistry",
        "keyVault",
        "storageAccount",
        "managedNetwork",
        "encryption",
    ] {
        props.insert(p.to_string(), unknown(p));
    }
    let full_type = format!("{NS}/workspaces");
    let mut body = Object::default();
    body.insert("properties".into(), Value::Object(props));
    let id = resource_id(&target.scope, &full_type, &name);
    finish(
        id,
        full_type,
        name,
        body,
        BTreeMap::new(),
        BTreeMap::new(),
        span,
        format,
        true,
    )
}

struct Cx<'a> {
    doc: &'a Document,
    target: &'a Target,
    format: &'static str,
    out: Vec<Resource>,
}

/// An ARM body being built, with the span of each property set from the file.
struct Body<'a> {
    doc: &'a Document,
    obj: Object,
    spans: BTreeMap<String, Span>,
    /// Lower-case ARM path → the YAML key that sets it (set or not), for
    /// messages in the file's own words ([`Resource::source_names`]).
    names: BTreeMap<String, String>,
}

impl<'a> Body<'a> {
    fn new(doc: &'a Document) -> Self {
        Body {
            doc,
            obj: Object::default(),
            spans: BTreeMap::new(),
            names: BTreeMap::new(),
        }
    }

    /// The YAML value at a dotted path (`ssh_settings.admin_password`).
    /// An unknown value on the way (a `${{...}}` expression, or a value the
    /// CLI rejects, see [`crate::validate`]) is the answer for everything
    /// below it.
    fn get(&self, path: &str) -> Option<&'a Value> {
        let mut cur = &self.doc.value;
        for part in path.split('.').filter(|p| !p.is_empty()) {
            if cur.is_unknown() {
                return Some(cur);
            }
            cur = cur.get(part)?;
        }
        match cur {
            Value::Null => None,
            v => Some(v),
        }
    }

    fn text(&self, path: &str) -> Option<String> {
        self.get(path).and_then(Value::as_str).map(str::to_string)
    }

    fn has(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    /// Sets `arm` (dotted) to `v`; records the span of `from` when given.
    fn put(&mut self, arm: &str, v: Value, from: Option<&str>) {
        // A bool the key does not hold as it is (inverted, or derived from
        // a block) is not said in the key's words.
        let derived = matches!(v, Value::Bool(_)) && from.and_then(|y| self.get(y)) != Some(&v);
        insert(&mut self.obj, arm, v);
        if let Some(y) = from {
            if !derived {
                self.name(arm, y);
            }
            if let Some(s) = self.doc.spans.get(&y.to_ascii_lowercase()) {
                self.spans.insert(arm.to_ascii_lowercase(), *s);
            } else if self.doc.spans.is_empty() {
                // `show` output: no positions, but the value is in the input.
                self.spans.insert(arm.to_ascii_lowercase(), self.doc.span);
            }
        }
    }

    /// Records that YAML key `yaml` sets ARM path `arm`.
    fn name(&mut self, arm: &str, yaml: &str) {
        self.names
            .entry(arm.to_ascii_lowercase())
            .or_insert_with(|| yaml.to_string());
    }

    /// Copies a YAML value, when present.
    fn copy(&mut self, yaml: &str, arm: &str) {
        self.name(arm, yaml);
        if let Some(v) = self.get(yaml) {
            self.put(arm, v.clone(), Some(yaml));
        }
    }

    /// Copies a YAML value through `f`, when present.
    fn copy_with(&mut self, yaml: &str, arm: &str, f: impl Fn(&Value) -> Value) {
        self.name(arm, yaml);
        if let Some(v) = self.get(yaml) {
            self.put(arm, f(v), Some(yaml));
        }
    }

    /// Copies a YAML value through `f`, or sets the CLI's default.
    fn copy_or(&mut self, yaml: &str, arm: &str, default: Value, f: impl Fn(&Value) -> Value) {
        self.name(arm, yaml);
        match self.get(yaml) {
            Some(v) => self.put(arm, f(v), Some(yaml)),
            None => self.put(arm, default, None),
        }
    }
}

fn insert(obj: &mut Object, path: &str, v: Value) {
    let mut parts = path.split('.').peekable();
    let mut cur = obj;
    while let Some(p) = parts.next() {
        if parts.peek().is_none() {
            cur.insert(p.to_string(), v);
            return;
        }
        let next = cur
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Object::default()));
        if !matches!(next, Value::Object(_)) {
            *next = Value::Object(Object::default());
        }
        let Value::Object(o) = next else { return };
        cur = o;
    }
}

/// `allow_only_approved_outbound` → `AllowOnlyApprovedOutbound`,
/// `system_assigned,user_assigned` → `SystemAssigned,UserAssigned`.
pub fn pascal(s: &str) -> String {
    s.split(',')
        .map(|part| {
            part.trim()
                .split(['_', '-', ' '])
                .map(|w| {
                    let mut c = w.chars();
                    match c.next() {
                        Some(f) => {
                            f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase()
                        }
                        None => String::new(),
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A value through [`pascal`] when it is text; anything else unchanged.
fn pascal_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(pascal(s)),
        Value::Bool(b) => Value::String(if *b { "Enabled" } else { "Disabled" }.into()),
        other => other.clone(),
    }
}

fn not(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(!b),
        other => other.clone(),
    }
}

fn enabled(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::str(if *b { "Enabled" } else { "Disabled" }),
        other => pascal_value(other),
    }
}

/// The CLI's identity block → ARM `identity`.
fn identity(b: &mut Body<'_>, default: Option<&str>) {
    match b.get("identity") {
        Some(Value::Object(_)) => {
            b.copy_with("identity.type", "identity.type", pascal_value);
            if let Some(uais) = b.get("identity.user_assigned_identities") {
                let mut map = Object::default();
                match uais {
                    Value::Array(items) => {
                        for item in items {
                            let id = item
                                .get("resource_id")
                                .or_else(|| item.get("id"))
                                .and_then(Value::as_str)
                                .or(item.as_str());
                            if let Some(id) = id {
                                map.insert(id.to_string(), Value::Object(Object::default()));
                            }
                        }
                    }
                    Value::Object(o) => {
                        for k in o.keys() {
                            map.insert(k.clone(), Value::Object(Object::default()));
                        }
                    }
                    _ => {}
                }
                b.put(
                    "identity.userAssignedIdentities",
                    Value::Object(map),
                    Some("identity.user_assigned_identities"),
                );
            }
        }
        Some(other) => b.put("identity", other.clone(), Some("identity")),
        None => {
            if let Some(t) = default {
                b.put("identity.type", Value::str(t), None);
            }
        }
    }
}

fn common(b: &mut Body<'_>, target: &Target) {
    b.copy_or(
        "location",
        "location",
        Value::str(&target.location),
        Value::clone,
    );
    b.copy("tags", "tags");
}

#[allow(clippy::too_many_arguments)]
fn finish(
    id: String,
    full_type: String,
    name: String,
    mut body: Object,
    spans: BTreeMap<String, Span>,
    names: BTreeMap<String, String>,
    span: Span,
    format: &'static str,
    existing: bool,
) -> Resource {
    let mut head = Object::default();
    head.insert("type".into(), Value::str(&full_type));
    head.insert("name".into(), Value::str(&name));
    head.insert("apiVersion".into(), Value::str(API_VERSION));
    for (k, v) in body.drain(..) {
        head.insert(k, v);
    }
    Resource {
        parent_id: parent_id(&id),
        id,
        resource_type: full_type,
        name,
        api_version: Some(API_VERSION.to_string()),
        body: Value::Object(head),
        scope_id: None,
        existing,
        deployed: Deployed::Yes,
        span,
        symbol: None,
        spans: spans.into(),
        format,
        deployment: 0,
        source_names: (!names.is_empty()).then(|| std::sync::Arc::new(names)),
    }
}

impl Cx<'_> {
    /// Adds a resource of `child_type` under the workspace (`computes`,
    /// `onlineEndpoints/deployments`...) or at the top (`None`).
    fn push(&mut self, child: Option<(&str, &str)>, top: (&str, &str), b: Body<'_>) {
        let (full_type, full_name) = match child {
            Some((t, n)) => (format!("{NS}/{}/{t}", top.0), format!("{}/{n}", top.1)),
            None => (format!("{NS}/{}", top.0), top.1.to_string()),
        };
        let id = resource_id(&self.target.scope, &full_type, &full_name);
        self.out.push(finish(
            id,
            full_type,
            full_name,
            b.obj,
            b.spans,
            b.names,
            self.doc.span,
            self.format,
            false,
        ));
    }

    fn ws(&self) -> String {
        self.target.workspace.name().to_string()
    }
}

// ---------------------------------------------------------------- workspace

fn workspace(cx: &mut Cx<'_>, name: &str) {
    let mut b = Body::new(cx.doc);
    // A file with only a name and the managed network updates an existing
    // workspace (`az ml workspace update --file`): what it does not set is
    // the existing workspace's, not the create defaults.
    let update = crate::kind::is_workspace_update(&cx.doc.value);
    common(&mut b, cx.target);
    let (feature_store, project) = kind(&mut b);
    b.copy("display_name", "properties.friendlyName");
    b.copy("description", "properties.description");
    if update {
        for (arm, what) in [
            ("properties.publicNetworkAccess", "public_network_access"),
            ("properties.hbiWorkspace", "hbi_workspace"),
            ("properties.encryption", "customer_managed_key"),
            (
                "properties.primaryUserAssignedIdentity",
                "primary_user_assigned_identity",
            ),
            ("identity.type", "identity"),
            ("properties.v1LegacyMode", "the v1 legacy mode"),
            (
                "properties.allowPublicAccessWhenBehindVnet",
                "the public access behind a virtual network",
            ),
        ] {
            b.put(arm, unset(what), None);
        }
    } else {
        b.copy_or(
            "public_network_access",
            "properties.publicNetworkAccess",
            Value::str("Enabled"),
            pascal_value,
        );
        if !project {
            b.copy_or(
                "hbi_workspace",
                "properties.hbiWorkspace",
                Value::Bool(false),
                Value::clone,
            );
        }
        if !project {
            customer_managed_key(&mut b);
        }
        b.copy(
            "primary_user_assigned_identity",
            "properties.primaryUserAssignedIdentity",
        );
        identity(&mut b, Some("SystemAssigned"));
        b.copy_or(
            "enable_data_isolation",
            "properties.enableDataIsolation",
            Value::Bool(false),
            Value::clone,
        );
    }
    for (y, a) in [
        ("key_vault", "properties.keyVault"),
        ("storage_account", "properties.storageAccount"),
        ("container_registry", "properties.containerRegistry"),
        ("application_insights", "properties.applicationInsights"),
        ("image_build_compute", "properties.imageBuildCompute"),
        (
            "system_datastores_auth_mode",
            "properties.systemDatastoresAuthMode",
        ),
        ("hub_id", "properties.hubResourceId"),
        ("workspace_hub", "properties.hubResourceId"),
        ("provision_network_now", "properties.provisionNetworkNow"),
    ] {
        b.copy(y, a);
    }
    if b.has("serverless_compute") {
        b.copy(
            "serverless_compute.custom_subnet",
            "properties.serverlessComputeSettings.serverlessComputeCustomSubnet",
        );
        b.copy_or(
            "serverless_compute.no_public_ip",
            "properties.serverlessComputeSettings.serverlessComputeNoPublicIP",
            Value::Bool(false),
            Value::clone,
        );
    }
    if b.has("network_acls") {
        b.copy_with(
            "network_acls.default_action",
            "properties.networkAcls.defaultAction",
            pascal_value,
        );
        if let Some(Value::Array(rules)) = b.get("network_acls.ip_rules") {
            let rules = rules
                .iter()
                .map(|r| {
                    let mut o = Object::default();
                    o.insert(
                        "value".into(),
                        r.get("value").cloned().unwrap_or_else(|| r.clone()),
                    );
                    Value::Object(o)
                })
                .collect();
            b.put(
                "properties.networkAcls.ipRules",
                Value::Array(rules),
                Some("network_acls.ip_rules"),
            );
        }
    }
    if !project {
        managed_network(&mut b, update);
    }
    cx.push(None, ("workspaces", name), b);
    if feature_store {
        offline_store(cx, name);
    }
}

/// A feature store's `offline_store`: the ADLS Gen2 connection the CLI
/// creates beside the workspace (`OfflineStoreConnectionName-<random>`;
/// named here without the random part), with the materialization identity
/// as its credential.
fn offline_store(cx: &mut Cx<'_>, name: &str) {
    let mut b = Body::new(cx.doc);
    if !b.has("offline_store") {
        return;
    }
    b.put("properties.category", Value::str("ADLSGen2"), None);
    b.copy("offline_store.target", "properties.target");
    if b.has("materialization_identity") {
        b.put("properties.authType", Value::str("ManagedIdentity"), None);
        b.copy(
            "materialization_identity.client_id",
            "properties.credentials.clientId",
        );
        b.copy(
            "materialization_identity.resource_id",
            "properties.credentials.resourceId",
        );
    }
    cx.push(
        Some(("connections", "OfflineStoreConnectionName")),
        ("workspaces", name),
        b,
    );
}

/// A workspace's kind: `kind` in Azure's spelling; without one, a feature
/// store (`az ml feature-store create` sends kind `featurestore`) or, with
/// `hub_id`/`workspace_hub`, a project (as the SDK makes it). Returns
/// (feature store, project).
fn kind(b: &mut Body<'_>) -> (bool, bool) {
    use aml_model::model::WorkspaceKind;
    let feature_store = crate::validate::is_feature_store(&b.doc.value);
    b.copy_with("kind", "kind", |v| match v {
        Value::String(s) => match WorkspaceKind::parse(s) {
            Some(k) => Value::str(k.as_str()),
            None => Value::str(pascal(s)),
        },
        o => o.clone(),
    });
    let hub = b.has("hub_id") || b.has("workspace_hub");
    if !b.has("kind") {
        if feature_store {
            b.put("kind", Value::str("FeatureStore"), None);
        } else if hub {
            b.put("kind", Value::str("Project"), None);
        }
    }
    // A project's template (workspace_project.json) sends no managed
    // network, encryption or HBI flag: the project takes its hub's.
    let project = hub
        || b.get("kind")
            .and_then(Value::as_str)
            .and_then(WorkspaceKind::parse)
            == Some(WorkspaceKind::Project);
    (feature_store, project)
}

/// `customer_managed_key` → `properties.encryption`.
fn customer_managed_key(b: &mut Body<'_>) {
    if let Some(cmk) = b.get("customer_managed_key") {
        // An encryption without a key is no customer-managed key: the
        // service rejects it, so the status is not known to be Enabled.
        let status = match cmk {
            Value::Object(_) if b.has("customer_managed_key.key_uri") => Value::str("Enabled"),
            Value::Unknown(_) => cmk.clone(),
            _ => Value::unknown(
                "customer_managed_key",
                "`customer_managed_key` names no `key_uri`: there is no key to encrypt with, and the service rejects the workspace",
            ),
        };
        b.put(
            "properties.encryption.status",
            status,
            Some("customer_managed_key"),
        );
        for (y, a) in [
            ("key_vault", "keyVaultProperties.keyVaultArmId"),
            ("key_uri", "keyVaultProperties.keyIdentifier"),
            ("cosmosdb_id", "cosmosDbResourceId"),
            ("storage_id", "storageAccountResourceId"),
            ("search_id", "searchAccountResourceId"),
        ] {
            b.copy(
                &format!("customer_managed_key.{y}"),
                &format!("properties.encryption.{a}"),
            );
        }
    }
}

/// What a workspace update file does not set: the existing workspace's value.
fn unset(what: &str) -> Value {
    Value::unknown(
        format!("{what} (not in the workspace update file)"),
        "the file updates an existing workspace and does not set it; the existing workspace's value stands",
    )
}

/// `managed_network` → `properties.managedNetwork` (isolation mode, firewall
/// SKU, outbound rules by name).
fn managed_network(b: &mut Body<'_>, update: bool) {
    match b.get("managed_network") {
        Some(Value::Object(_)) => {
            // An update that does not name the isolation mode leaves it as it is.
            let absent = if update {
                unset("managed_network.isolation_mode")
            } else {
                Value::str("Disabled")
            };
            b.copy_or(
                "managed_network.isolation_mode",
                "properties.managedNetwork.isolationMode",
                absent,
                pascal_value,
            );
            let mode = b
                .get("managed_network.isolation_mode")
                .and_then(Value::as_str)
                .map(pascal);
            if mode.as_deref().is_some_and(|m| m != "Disabled") {
                b.copy_or(
                    "managed_network.firewall_sku",
                    "properties.managedNetwork.firewallSku",
                    Value::str("Standard"),
                    pascal_value,
                );
            }
            // A list of named rules, as the schema says; a mapping of rule
            // names to rules (which `az ml` rejects) is read all the same.
            let rules: Vec<(String, &Value, String)> = match b.get("managed_network.outbound_rules")
            {
                Some(Value::Array(rules)) => rules
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| {
                        let name = r.get("name").and_then(Value::as_str)?;
                        Some((
                            name.to_string(),
                            r,
                            format!("managed_network.outbound_rules[{i}]"),
                        ))
                    })
                    .collect(),
                Some(Value::Object(o)) => o
                    .iter()
                    .map(|(k, r)| (k.clone(), r, format!("managed_network.outbound_rules.{k}")))
                    .collect(),
                _ => Vec::new(),
            };
            for (rule_name, r, from) in rules {
                let arm = format!("properties.managedNetwork.outboundRules.{rule_name}");
                b.put(&arm, outbound_rule(r), Some(&from));
            }
        }
        Some(other) => b.put(
            "properties.managedNetwork",
            other.clone(),
            Some("managed_network"),
        ),
        None if update => {}
        None => {
            // Named, so that messages and fixes say the key the CLI sends it from.
            b.name(
                "properties.managedNetwork.isolationMode",
                "managed_network.isolation_mode",
            );
            b.put(
                "properties.managedNetwork.isolationMode",
                Value::str("Disabled"),
                None,
            )
        }
    }
}

fn outbound_rule(r: &Value) -> Value {
    let mut o = Object::default();
    let ty = r
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let arm_type = match ty.as_str() {
        "fqdn" => "FQDN".to_string(),
        "private_endpoint" => "PrivateEndpoint".to_string(),
        "service_tag" => "ServiceTag".to_string(),
        other => pascal(other),
    };
    o.insert("type".into(), Value::str(arm_type));
    o.insert("category".into(), Value::str("UserDefined"));
    match r.get("destination") {
        Some(Value::Object(d)) => {
            let mut dest = Object::default();
            for (k, v) in d {
                let key = match k.as_str() {
                    "service_resource_id" => "serviceResourceId",
                    "subresource_target" => "subresourceTarget",
                    "spark_enabled" => "sparkEnabled",
                    "service_tag" => "serviceTag",
                    "port_ranges" => "portRanges",
                    "address_prefixes" => "addressPrefixes",
                    other => other,
                };
                dest.insert(key.to_string(), v.clone());
            }
            o.insert("destination".into(), Value::Object(dest));
        }
        Some(v) => {
            o.insert("destination".into(), v.clone());
        }
        None => {}
    }
    if let Some(f) = r.get("fqdns") {
        o.insert("fqdns".into(), f.clone());
    }
    Value::Object(o)
}

// ---------------------------------------------------------------- computes

fn subnet_id(b: &Body<'_>, target: &Target) -> Option<Value> {
    let subnet = b.get("network_settings.subnet")?;
    let Value::String(s) = subnet else {
        return Some(subnet.clone());
    };
    if s.starts_with('/') {
        return Some(subnet.clone());
    }
    match b.get("network_settings.vnet_name") {
        Some(Value::String(vnet)) => Some(Value::str(format!(
            "{}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{s}",
            target.scope
        ))),
        Some(u @ Value::Unknown(_)) => Some(u.clone()),
        _ => Some(subnet.clone()),
    }
}

/// A cluster's or instance's node network: public IPs (the CLI's default is
/// `true`) and the subnet.
fn node_network(b: &mut Body<'_>, target: &Target, p: &str) {
    b.copy_or(
        "enable_node_public_ip",
        &format!("{p}.enableNodePublicIp"),
        Value::Bool(true),
        Value::clone,
    );
    b.name(&format!("{p}.subnet.id"), "network_settings.subnet");
    if let Some(s) = subnet_id(b, target) {
        b.put(
            &format!("{p}.subnet.id"),
            s,
            Some("network_settings.subnet"),
        );
    }
}

/// A cluster's settings (`properties.properties` at `p`).
fn aml_compute(b: &mut Body<'_>, target: &Target, p: &str) {
    b.copy("size", &format!("{p}.vmSize"));
    b.copy_with("tier", &format!("{p}.vmPriority"), |v| match v {
        Value::String(s) if s.eq_ignore_ascii_case("low_priority") => Value::str("LowPriority"),
        other => pascal_value(other),
    });
    b.copy_or(
        "min_instances",
        &format!("{p}.scaleSettings.minNodeCount"),
        Value::Int(0),
        Value::clone,
    );
    b.copy_or(
        "max_instances",
        &format!("{p}.scaleSettings.maxNodeCount"),
        Value::Int(4),
        Value::clone,
    );
    b.copy_or(
        "idle_time_before_scale_down",
        &format!("{p}.scaleSettings.nodeIdleTimeBeforeScaleDown"),
        Value::str("PT120S"),
        |v| match v {
            Value::Int(i) => Value::str(format!("PT{i}S")),
            o => o.clone(),
        },
    );
    node_network(b, target, p);
    // The SDK sends `NotSpecified` unless `ssh_public_access_enabled` is given.
    b.copy_or(
        "ssh_public_access_enabled",
        &format!("{p}.remoteLoginPortPublicAccess"),
        Value::str("NotSpecified"),
        enabled,
    );
    if let Some(u @ Value::Unknown(_)) = b.get("ssh_settings") {
        b.put(
            "properties.disableLocalAuth",
            u.clone(),
            Some("ssh_settings"),
        );
    } else if b.has("ssh_settings") {
        b.copy(
            "ssh_settings.admin_username",
            &format!("{p}.userAccountCredentials.adminUserName"),
        );
        b.copy(
            "ssh_settings.admin_password",
            &format!("{p}.userAccountCredentials.adminUserPassword"),
        );
        b.copy(
            "ssh_settings.ssh_key_value",
            &format!("{p}.userAccountCredentials.adminUserSshPublicKey"),
        );
        // With SSH credentials, local (SSH) authentication stays on.
        b.put(
            "properties.disableLocalAuth",
            Value::Bool(false),
            Some("ssh_settings"),
        );
    } else {
        b.put("properties.disableLocalAuth", Value::Bool(true), None);
    }
}

/// A compute instance's settings (`properties.properties` at `p`).
fn compute_instance(b: &mut Body<'_>, target: &Target, p: &str) {
    b.copy("size", &format!("{p}.vmSize"));
    node_network(b, target, p);
    let ssh_public = b.get("ssh_public_access_enabled").cloned();
    if ssh_public.is_some() || b.has("ssh_settings") {
        let access = match &ssh_public {
            Some(v) => enabled(v),
            None => Value::str("Disabled"),
        };
        b.put(
            &format!("{p}.sshSettings.sshPublicAccess"),
            access,
            Some("ssh_public_access_enabled"),
        );
        b.copy(
            "ssh_settings.ssh_key_value",
            &format!("{p}.sshSettings.adminPublicKey"),
        );
    }
    // `disableLocalAuth = not ssh_public_access_enabled`.
    match &ssh_public {
        Some(v) => b.put(
            "properties.disableLocalAuth",
            not(v),
            Some("ssh_public_access_enabled"),
        ),
        None => b.put("properties.disableLocalAuth", Value::Bool(true), None),
    }
    b.copy_with(
        "idle_time_before_shutdown_minutes",
        &format!("{p}.idleTimeBeforeShutdown"),
        |v| match v {
            Value::Int(i) => Value::str(format!("PT{i}M")),
            o => o.clone(),
        },
    );
    b.copy(
        "idle_time_before_shutdown",
        &format!("{p}.idleTimeBeforeShutdown"),
    );
    b.copy("enable_sso", &format!("{p}.enableSSO"));
    b.copy("enable_root_access", &format!("{p}.enableRootAccess"));
    b.copy("enable_os_patching", &format!("{p}.enableOSPatching"));
    b.copy("setup_scripts", &format!("{p}.setupScripts"));
    b.copy("schedules", &format!("{p}.schedules"));
    b.copy(
        "create_on_behalf_of.user_object_id",
        &format!("{p}.personalComputeInstanceSettings.assignedUser.objectId"),
    );
    b.copy(
        "create_on_behalf_of.user_tenant_id",
        &format!("{p}.personalComputeInstanceSettings.assignedUser.tenantId"),
    );
    b.put(
        &format!("{p}.computeInstanceAuthorizationType"),
        Value::str("personal"),
        None,
    );
    b.put(
        &format!("{p}.applicationSharingPolicy"),
        Value::str("Shared"),
        None,
    );
}

fn compute(cx: &mut Cx<'_>, name: &str) {
    let mut b = Body::new(cx.doc);
    common(&mut b, cx.target);
    let ty = b.text("type").unwrap_or_default().to_ascii_lowercase();
    let arm_type = match ty.as_str() {
        "amlcompute" => "AmlCompute",
        "computeinstance" => "ComputeInstance",
        "kubernetes" => "Kubernetes",
        "virtualmachine" => "VirtualMachine",
        "synapsespark" => "SynapseSpark",
        _ => "AmlCompute",
    };
    b.put("properties.computeType", Value::str(arm_type), Some("type"));
    b.copy("description", "properties.description");
    b.copy("resource_id", "properties.resourceId");
    identity(&mut b, None);
    let p = "properties.properties";
    match arm_type {
        "AmlCompute" => aml_compute(&mut b, cx.target, p),
        "ComputeInstance" => compute_instance(&mut b, cx.target, p),
        "Kubernetes" => {
            b.copy_or(
                "namespace",
                &format!("{p}.namespace"),
                Value::str("default"),
                Value::clone,
            );
        }
        "VirtualMachine" => {
            b.copy(
                "ssh_settings.admin_username",
                &format!("{p}.administratorAccount.username"),
            );
            b.copy(
                "ssh_settings.admin_password",
                &format!("{p}.administratorAccount.password"),
            );
            b.copy("ssh_settings.ssh_port", &format!("{p}.sshPort"));
            // `ssh_private_key_file` names a file the CLI reads; it is not read here.
            if b.has("ssh_settings.ssh_private_key_file") {
                b.put(
                    &format!("{p}.administratorAccount.privateKeyData"),
                    Value::unknown(
                        "ssh_settings.ssh_private_key_file",
                        "the private key is read from a file by the CLI, outside the scanned text",
                    ),
                    Some("ssh_settings.ssh_private_key_file"),
                );
            }
        }
        _ => {}
    }
    let ws = cx.ws();
    cx.push(Some(("computes", name)), ("workspaces", &ws), b);
}

// ---------------------------------------------------------------- endpoints

fn endpoint(cx: &mut Cx<'_>, name: &str, child: &str, managed: bool) {
    let mut b = Body::new(cx.doc);
    common(&mut b, cx.target);
    let batch = child == "batchEndpoints";
    b.copy_or(
        "auth_mode",
        "properties.authMode",
        Value::str(if batch { "AADToken" } else { "Key" }),
        auth_mode,
    );
    b.copy("description", "properties.description");
    if managed {
        b.copy_or(
            "public_network_access",
            "properties.publicNetworkAccess",
            Value::str("Enabled"),
            pascal_value,
        );
    }
    if child == "onlineEndpoints" && !managed {
        b.copy_with("compute", "properties.compute", compute_ref);
    }
    b.copy("traffic", "properties.traffic");
    // The SDK sends a system-assigned identity for online endpoints, none for
    // batch endpoints (the service decides).
    identity(&mut b, (!batch).then_some("SystemAssigned"));
    let ws = cx.ws();
    cx.push(Some((child, name)), ("workspaces", &ws), b);
}

fn auth_mode(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::str(match s.to_ascii_lowercase().as_str() {
            "key" => "Key".to_string(),
            "aml_token" | "amltoken" => "AMLToken".to_string(),
            "aad_token" | "aadtoken" => "AADToken".to_string(),
            other => pascal(other),
        }),
        o => o.clone(),
    }
}

/// `azureml:cpu-cluster` → `cpu-cluster` (a compute named in the workspace).
fn compute_ref(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::str(s.strip_prefix("azureml:").unwrap_or(s)),
        o => o.clone(),
    }
}

fn deployment(cx: &mut Cx<'_>, name: &str, child: &str, compute_type: Option<&str>) {
    let mut b = Body::new(cx.doc);
    common(&mut b, cx.target);
    let endpoint = match b.get("endpoint_name") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Unknown(u)) => u.expr.clone(),
        _ => "<endpoint>".to_string(),
    };
    b.copy("description", "properties.description");
    if let Some(t) = compute_type {
        b.put("properties.endpointComputeType", Value::str(t), None);
    }
    if compute_type == Some("Managed") {
        b.copy_or(
            "egress_public_network_access",
            "properties.egressPublicNetworkAccess",
            Value::str("Enabled"),
            pascal_value,
        );
    }
    if child == "onlineEndpoints" {
        b.copy_or(
            "app_insights_enabled",
            "properties.appInsightsEnabled",
            Value::Bool(false),
            Value::clone,
        );
        b.copy("instance_type", "properties.instanceType");
        b.copy("instance_count", "sku.capacity");
        b.copy("data_collector", "properties.dataCollector");
    } else {
        b.copy_with("compute", "properties.compute", compute_ref);
    }
    b.copy_with(
        "environment_variables",
        "properties.environmentVariables",
        key_vault_references,
    );
    match b.get("model") {
        Some(Value::String(_) | Value::Unknown(_)) => b.copy("model", "properties.model.assetId"),
        Some(Value::Object(_)) => b.put(
            "properties.model.assetId",
            Value::str(format!("anonymous model of deployment {name}")),
            Some("model"),
        ),
        _ => {}
    }
    let ws = cx.ws();
    // An inline environment is registered by the CLI as an anonymous
    // environment version; its image is checked there.
    match b.get("environment") {
        Some(Value::Object(_)) => {
            let version = format!("{endpoint}-{name}");
            let env_name = "CliV2AnonymousEnvironment";
            let env_id = resource_id(
                &cx.target.scope,
                &format!("{NS}/workspaces/environments/versions"),
                &format!("{ws}/{env_name}/{version}"),
            );
            b.put(
                "properties.environmentId",
                Value::str(env_id),
                Some("environment"),
            );
            environment_version(cx, "environment", env_name, &version);
        }
        Some(_) => b.copy("environment", "properties.environmentId"),
        None => {}
    }
    cx.push(
        Some((
            &format!("{child}/deployments"),
            &format!("{endpoint}/{name}"),
        )),
        ("workspaces", &ws),
        b,
    );
}

/// Environment variables whose value names a Key Vault secret
/// (`name@https://<vault>.vault.azure.net`) hold a reference the deployment
/// resolves at run time, not the secret: they become unknown values that say so.
fn key_vault_references(v: &Value) -> Value {
    let Value::Object(o) = v else {
        return v.clone();
    };
    Value::Object(
        o.iter()
            .map(|(k, x)| {
                let x = match x {
                    Value::String(s) if s.to_ascii_lowercase().contains(".vault.azure.net") => {
                        Value::unknown(
                            s.clone(),
                            "a Key Vault reference the deployment resolves at run time",
                        )
                    }
                    other => other.clone(),
                };
                (k.clone(), x)
            })
            .collect(),
    )
}

// ---------------------------------------------------------------- registry

fn registry(cx: &mut Cx<'_>, name: &str) {
    let mut b = Body::new(cx.doc);
    common(&mut b, cx.target);
    b.copy("description", "properties.description");
    b.copy_with(
        "public_network_access",
        "properties.publicNetworkAccess",
        pascal_value,
    );
    b.copy(
        "intellectual_property.publisher",
        "properties.intellectualPropertyPublisher",
    );
    if let Some(Value::Array(locs)) = b.get("replication_locations") {
        let details = locs
            .iter()
            .map(|l| {
                let mut o = Object::default();
                if let Some(loc) = l.get("location") {
                    o.insert("location".into(), loc.clone());
                }
                if let Some(sc) = l.get("storage_config") {
                    let mut acc = Object::default();
                    for (y, a) in [
                        ("storage_account_hns", "storageAccountHnsEnabled"),
                        ("storage_account_type", "storageAccountType"),
                    ] {
                        if let Some(v) = sc.get(y) {
                            acc.insert(a.into(), v.clone());
                        }
                    }
                    let mut sys = Object::default();
                    sys.insert("systemCreatedStorageAccount".into(), Value::Object(acc));
                    o.insert(
                        "storageAccountDetails".into(),
                        Value::Array(vec![Value::Object(sys)]),
                    );
                }
                Value::Object(o)
            })
            .collect();
        b.put(
            "properties.regionDetails",
            Value::Array(details),
            Some("replication_locations"),
        );
    }
    // The SDK sends a system-assigned identity when the file names none.
    identity(&mut b, Some("SystemAssigned"));
    cx.push(None, ("registries", name), b);
}

// ---------------------------------------------------------------- datastores

fn datastore(cx: &mut Cx<'_>, name: &str) {
    let mut b = Body::new(cx.doc);
    let ty = b.text("type").unwrap_or_default().to_ascii_lowercase();
    let arm_type = match ty.as_str() {
        "azure_blob" => "AzureBlob",
        "azure_file" => "AzureFile",
        "azure_data_lake_gen1" => "AzureDataLakeGen1",
        "azure_data_lake_gen2" => "AzureDataLakeGen2",
        "one_lake" => "OneLake",
        _ => "AzureBlob",
    };
    b.put(
        "properties.datastoreType",
        Value::str(arm_type),
        Some("type"),
    );
    b.copy("description", "properties.description");
    b.copy("tags", "properties.tags");
    for (y, a) in [
        ("account_name", "properties.accountName"),
        ("container_name", "properties.containerName"),
        ("file_share_name", "properties.fileShareName"),
        ("filesystem", "properties.filesystem"),
        ("store_name", "properties.storeName"),
        ("protocol", "properties.protocol"),
        ("endpoint", "properties.endpoint"),
    ] {
        b.copy(y, a);
    }
    b.copy_or(
        "service_data_access_auth_identity",
        "properties.serviceDataAccessAuthIdentity",
        Value::str("None"),
        pascal_value,
    );
    let c = "properties.credentials";
    // (YAML keys that select the kind, credentialsType, the secret's YAML key and ARM key, service principal fields)
    const KINDS: &[(&[&str], &str, &str, &str, bool)] = &[
        (&["account_key"], "AccountKey", "account_key", "key", false),
        (&["sas_token"], "Sas", "sas_token", "sasToken", false),
        (
            &["certificate", "thumbprint"],
            "Certificate",
            "certificate",
            "certificate",
            true,
        ),
        (
            &["client_secret", "client_id"],
            "ServicePrincipal",
            "client_secret",
            "clientSecret",
            true,
        ),
    ];
    let kind = KINDS
        .iter()
        .find(|(keys, ..)| keys.iter().any(|k| b.has(&format!("credentials.{k}"))));
    match kind {
        Some((_, ty, secret, arm, sp)) => {
            b.put(
                &format!("{c}.credentialsType"),
                Value::str(*ty),
                Some("credentials"),
            );
            b.put(&format!("{c}.secrets.secretsType"), Value::str(*ty), None);
            b.copy(
                &format!("credentials.{secret}"),
                &format!("{c}.secrets.{arm}"),
            );
            if *sp {
                sp_fields(&mut b, c);
            }
            b.copy("credentials.thumbprint", &format!("{c}.thumbprint"));
        }
        None => b.put(&format!("{c}.credentialsType"), Value::str("None"), None),
    }
    let ws = cx.ws();
    cx.push(Some(("datastores", name)), ("workspaces", &ws), b);
}

fn sp_fields(b: &mut Body<'_>, c: &str) {
    for (y, a) in [
        ("credentials.tenant_id", "tenantId"),
        ("credentials.client_id", "clientId"),
        ("credentials.authority_url", "authorityUrl"),
        ("credentials.resource_url", "resourceUrl"),
    ] {
        b.copy(y, &format!("{c}.{a}"));
    }
}

// ---------------------------------------------------------------- connections

/// Connection `type`s whose ARM category is not the PascalCase of the name.
const CATEGORIES: &[(&str, &str)] = &[
    ("azure_open_ai", "AzureOpenAI"),
    ("azure_ai_services", "AIServices"),
    ("azure_ai_search", "CognitiveSearch"),
    ("azure_sql_db", "AzureSqlDb"),
    ("s3", "S3"),
    ("adls_gen2", "ADLSGen2"),
    ("azure_data_lake_gen2", "ADLSGen2"),
    ("open_ai", "OpenAI"),
    ("serp", "Serp"),
    ("custom", "CustomKeys"),
];

/// CLI credential keys → ARM credential keys.
const CREDENTIAL_FIELDS: &[(&str, &str)] = &[
    ("pat", "pat"),
    ("sas_token", "sas"),
    ("username", "username"),
    ("password", "password"),
    ("security_token", "securityToken"),
    ("client_id", "clientId"),
    ("client_secret", "clientSecret"),
    ("tenant_id", "tenantId"),
    ("access_key_id", "accessKeyId"),
    ("secret_access_key", "secretAccessKey"),
    ("key", "key"),
    ("account_key", "key"),
    ("api_key", "key"),
    ("resource_id", "resourceId"),
    ("keys", "keys"),
];

fn connection(cx: &mut Cx<'_>, name: &str) {
    let mut b = Body::new(cx.doc);
    let ty = b.text("type").unwrap_or_default().to_ascii_lowercase();
    let category = CATEGORIES
        .iter()
        .find(|(k, _)| *k == ty)
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| pascal(&ty));
    b.put("properties.category", Value::str(category), Some("type"));
    b.copy("target", "properties.target");
    if !b.has("target") {
        b.copy("url", "properties.target");
        b.copy("endpoint", "properties.target");
    }
    b.copy("tags", "properties.metadata");
    b.copy_or(
        "is_shared",
        "properties.isSharedToAll",
        Value::Bool(true),
        Value::clone,
    );
    let cred_type = b.text("credentials.type").map(|t| t.to_ascii_lowercase());
    let auth = match cred_type.as_deref() {
        Some("pat") => "PAT",
        Some("sas") => "SAS",
        Some("username_password") => "UsernamePassword",
        Some("managed_identity") => "ManagedIdentity",
        Some("service_principal") => "ServicePrincipal",
        Some("access_key") => "AccessKey",
        Some("api_key") => "ApiKey",
        Some("account_key") => "AccountKey",
        Some("aad") => "AAD",
        Some("none") => "None",
        Some(_) | None => {
            if b.has("credentials.pat") {
                "PAT"
            } else if b.has("credentials.sas_token") {
                "SAS"
            } else if b.has("credentials.password") {
                "UsernamePassword"
            } else if b.has("credentials.secret_access_key") {
                "AccessKey"
            } else if b.has("credentials.client_secret") {
                "ServicePrincipal"
            } else if b.has("credentials.account_key") {
                "AccountKey"
            } else if b.has("credentials.key") || b.has("api_key") {
                "ApiKey"
            } else if b.has("credentials.keys") {
                "CustomKeys"
            } else if b.has("credentials.resource_id") || b.has("credentials.client_id") {
                "ManagedIdentity"
            } else {
                "AAD"
            }
        }
    };
    let from = if b.has("credentials.type") {
        Some("credentials.type")
    } else {
        None
    };
    b.put("properties.authType", Value::str(auth), from);
    for (y, a) in CREDENTIAL_FIELDS {
        b.copy(
            &format!("credentials.{y}"),
            &format!("properties.credentials.{a}"),
        );
    }
    // Subtype files (azure_open_ai, azure_ai_services...) carry `api_key` at the top.
    b.copy("api_key", "properties.credentials.key");
    let ws = cx.ws();
    cx.push(Some(("connections", name)), ("workspaces", &ws), b);
}

// ---------------------------------------------------------------- assets and jobs

fn environment(cx: &mut Cx<'_>, name: &str) {
    let version = match cx.doc.value.get("version") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Int(i)) => i.to_string(),
        _ => "1".to_string(),
    };
    environment_version(cx, "", name, &version);
}

/// An environment version from the environment at `prefix` (`` for an
/// environment file, `environment` for a deployment's inline one).
fn environment_version(cx: &mut Cx<'_>, prefix: &str, name: &str, version: &str) {
    let mut b = Body::new(cx.doc);
    let at = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    b.copy(&at("image"), "properties.image");
    b.copy(&at("description"), "properties.description");
    b.copy(&at("os_type"), "properties.osType");
    if b.has(&at("build")) {
        b.copy(&at("build.path"), "properties.build.contextUri");
        b.copy(
            &at("build.dockerfile_path"),
            "properties.build.dockerfilePath",
        );
    }
    if b.has(&at("conda_file")) {
        b.put(
            "properties.condaFile",
            Value::str("(conda file)"),
            Some(&at("conda_file")),
        );
    }
    let ws = cx.ws();
    cx.push(
        Some(("environments/versions", &format!("{name}/{version}"))),
        ("workspaces", &ws),
        b,
    );
}

fn model(cx: &mut Cx<'_>, name: &str) {
    let mut b = Body::new(cx.doc);
    let version = match cx.doc.value.get("version") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Int(i)) => i.to_string(),
        _ => "1".to_string(),
    };
    b.copy("path", "properties.modelUri");
    b.copy("type", "properties.modelType");
    b.copy("description", "properties.description");
    let ws = cx.ws();
    cx.push(
        Some(("models/versions", &format!("{name}/{version}"))),
        ("workspaces", &ws),
        b,
    );
}

fn job(cx: &mut Cx<'_>, name: &str) {
    let mut b = Body::new(cx.doc);
    b.copy_with("type", "properties.jobType", pascal_value);
    b.copy("display_name", "properties.displayName");
    b.copy("experiment_name", "properties.experimentName");
    b.copy_with("compute", "properties.computeId", compute_ref);
    b.copy(
        "settings.default_compute",
        "properties.settings.defaultCompute",
    );
    match b.get("environment") {
        Some(Value::Object(_)) => b.put(
            "properties.environmentId",
            Value::str("anonymous environment of the job"),
            Some("environment"),
        ),
        Some(_) => b.copy("environment", "properties.environmentId"),
        None => {}
    }
    b.copy("identity", "properties.identity");
    b.copy("environment_variables", "properties.environmentVariables");
    let ws = cx.ws();
    cx.push(Some(("jobs", name)), ("workspaces", &ws), b);
}
