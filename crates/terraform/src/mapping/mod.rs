//! Terraform resources onto ARM's shape: one table per resource type
//! ([`tables`]) plus the few shapes a table cannot say (identity blocks,
//! private endpoint connections, diagnostic logs, azapi bodies).

pub mod tables;

use crate::values::RESOURCE_MARK;
use aml_model::model::resource_id;
use aml_model::source::Span;
use aml_model::value::{Object, Value};
use std::collections::BTreeMap;
use tables::{Conv, Dflt, Row, BUILTIN_ROLES};

/// The fixed subscription of the model's context.
pub const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";
/// Resource group used when the configuration does not fix one.
pub const DEFAULT_RG: &str = "rg";

/// The azurerm major version whose defaults apply, and why.
#[derive(Clone, Debug)]
pub struct ProviderVersion {
    pub major: u32,
    /// `required_providers` constraint, or that none was found.
    pub source: String,
}

impl ProviderVersion {
    /// The current azurerm major (5.x) when nothing pins it.
    pub const CURRENT_MAJOR: u32 = 5;

    /// Reads the lowest major a `required_providers` constraint admits
    /// (`~> 3.0`, `>= 3.0, < 4.0`, `=3.0.2`, `>= 4.17.0, < 5.0`).
    pub fn from_constraint(c: Option<&str>) -> ProviderVersion {
        let Some(c) = c else {
            return ProviderVersion {
                major: Self::CURRENT_MAJOR,
                source: format!(
                    "no azurerm version in required_providers: assuming the current major {}.x",
                    Self::CURRENT_MAJOR
                ),
            };
        };
        let mut lowest: Option<u32> = None;
        let mut upper_exclusive: Option<u32> = None;
        for part in c.split(',') {
            let p = part.trim();
            let (op, ver) = p.split_at(p.find(|ch: char| ch.is_ascii_digit()).unwrap_or(p.len()));
            let major: Option<u32> = ver.split('.').next().and_then(|m| m.parse().ok());
            let Some(major) = major else { continue };
            match op.trim() {
                "<" => {
                    let exact_major = ver
                        .split('.')
                        .skip(1)
                        .all(|x| x.trim_matches('0').is_empty());
                    upper_exclusive = Some(if exact_major {
                        major.saturating_sub(1)
                    } else {
                        major
                    });
                }
                "<=" => upper_exclusive = Some(major),
                _ => lowest = Some(lowest.map_or(major, |l: u32| l.max(major))),
            }
        }
        let major = lowest.or(upper_exclusive).unwrap_or(Self::CURRENT_MAJOR);
        ProviderVersion {
            major,
            source: format!("azurerm version `{c}` in required_providers"),
        }
    }
}

/// What to read from one resource instance.
pub struct Input<'c> {
    pub rtype: &'c str,
    pub address: &'c str,
    pub config: &'c Value,
    /// Spans of argument paths (`identity[0].type`).
    pub spans: &'c BTreeMap<String, Span>,
    /// The resource block (fallback position).
    pub decl: Span,
    pub provider: &'c ProviderVersion,
    /// The resource group of resources whose `resource_group_name` the
    /// files do not fix: the deployment scope's (`--deployment-scope`),
    /// else [`DEFAULT_RG`].
    pub default_rg: &'c str,
}

/// One ARM resource made from a Terraform resource.
#[derive(Clone, Debug)]
pub struct Mapped {
    pub id: String,
    pub resource_type: String,
    pub name: String,
    pub api_version: String,
    pub body: Value,
    /// Lower-case ARM path → span.
    pub spans: BTreeMap<String, Span>,
    pub parent_id: Option<String>,
    pub scope_id: Option<String>,
    /// Notes about provider defaults applied (for an info diagnostic).
    pub defaults_applied: Vec<String>,
    /// Sensitive values met (credentials), to redact.
    pub secrets: Vec<String>,
    /// Set for `azapi_update_resource` and NSG associations: merge onto this id.
    pub merge_into: Option<String>,
    /// Address suffix for extra resources made from one block (DNS zone groups).
    pub symbol_suffix: Option<String>,
}

/// The ARM type, API version and table of each mapped azurerm type.
pub fn spec(rtype: &str) -> Option<(&'static str, &'static str, &'static [Row])> {
    use tables::*;
    Some(match rtype {
        "azurerm_machine_learning_workspace" => (
            "Microsoft.MachineLearningServices/workspaces",
            "2025-06-01",
            WORKSPACE,
        ),
        "azurerm_ai_foundry" => (
            "Microsoft.MachineLearningServices/workspaces",
            "2025-06-01",
            AI_FOUNDRY,
        ),
        "azurerm_ai_foundry_project" => (
            "Microsoft.MachineLearningServices/workspaces",
            "2025-06-01",
            AI_FOUNDRY_PROJECT,
        ),
        "azurerm_machine_learning_compute_cluster" => (
            "Microsoft.MachineLearningServices/workspaces/computes",
            "2025-06-01",
            COMPUTE_CLUSTER,
        ),
        "azurerm_machine_learning_compute_instance" => (
            "Microsoft.MachineLearningServices/workspaces/computes",
            "2025-06-01",
            COMPUTE_INSTANCE,
        ),
        "azurerm_machine_learning_inference_cluster" => (
            "Microsoft.MachineLearningServices/workspaces/computes",
            "2025-06-01",
            INFERENCE_CLUSTER,
        ),
        "azurerm_machine_learning_synapse_spark" => (
            "Microsoft.MachineLearningServices/workspaces/computes",
            "2025-06-01",
            SYNAPSE_SPARK,
        ),
        "azurerm_machine_learning_datastore_blobstorage" => (
            "Microsoft.MachineLearningServices/workspaces/datastores",
            "2025-06-01",
            DATASTORE_BLOB,
        ),
        "azurerm_machine_learning_datastore_fileshare" => (
            "Microsoft.MachineLearningServices/workspaces/datastores",
            "2025-06-01",
            DATASTORE_FILE,
        ),
        "azurerm_machine_learning_datastore_datalake_gen2" => (
            "Microsoft.MachineLearningServices/workspaces/datastores",
            "2025-06-01",
            DATASTORE_ADLS,
        ),
        "azurerm_machine_learning_workspace_network_outbound_rule_fqdn" => (
            "Microsoft.MachineLearningServices/workspaces/outboundRules",
            "2025-06-01",
            OUTBOUND_FQDN,
        ),
        "azurerm_machine_learning_workspace_network_outbound_rule_private_endpoint" => (
            "Microsoft.MachineLearningServices/workspaces/outboundRules",
            "2025-06-01",
            OUTBOUND_PE,
        ),
        "azurerm_machine_learning_workspace_network_outbound_rule_service_tag" => (
            "Microsoft.MachineLearningServices/workspaces/outboundRules",
            "2025-06-01",
            OUTBOUND_TAG,
        ),
        "azurerm_private_endpoint" => (
            "Microsoft.Network/privateEndpoints",
            "2024-05-01",
            PRIVATE_ENDPOINT,
        ),
        "azurerm_monitor_diagnostic_setting" => (
            "Microsoft.Insights/diagnosticSettings",
            "2021-05-01-preview",
            DIAGNOSTIC_SETTING,
        ),
        "azurerm_key_vault" => ("Microsoft.KeyVault/vaults", "2023-07-01", KEY_VAULT),
        "azurerm_key_vault_key" => (
            "Microsoft.KeyVault/vaults/keys",
            "2023-07-01",
            KEY_VAULT_KEY,
        ),
        "azurerm_storage_account" => (
            "Microsoft.Storage/storageAccounts",
            "2023-05-01",
            STORAGE_ACCOUNT,
        ),
        "azurerm_container_registry" => (
            "Microsoft.ContainerRegistry/registries",
            "2023-07-01",
            CONTAINER_REGISTRY,
        ),
        "azurerm_role_assignment" => (
            "Microsoft.Authorization/roleAssignments",
            "2022-04-01",
            ROLE_ASSIGNMENT,
        ),
        "azurerm_role_definition" => (
            "Microsoft.Authorization/roleDefinitions",
            "2022-04-01",
            ROLE_DEFINITION,
        ),
        "azurerm_subnet" => (
            "Microsoft.Network/virtualNetworks/subnets",
            "2024-05-01",
            SUBNET,
        ),
        "azurerm_subnet_network_security_group_association" => (
            "Microsoft.Network/virtualNetworks/subnets",
            "2024-05-01",
            SUBNET_NSG_ASSOCIATION,
        ),
        "azurerm_network_security_group" => (
            "Microsoft.Network/networkSecurityGroups",
            "2024-05-01",
            NETWORK_SECURITY_GROUP,
        ),
        "azurerm_private_dns_zone" => (
            "Microsoft.Network/privateDnsZones",
            "2020-06-01",
            PRIVATE_DNS_ZONE,
        ),
        "azurerm_private_dns_zone_virtual_network_link" => (
            "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
            "2020-06-01",
            PRIVATE_DNS_ZONE_LINK,
        ),
        "azurerm_user_assigned_identity" => (
            "Microsoft.ManagedIdentity/userAssignedIdentities",
            "2023-01-31",
            USER_ASSIGNED_IDENTITY,
        ),
        _ => return None,
    })
}

/// The argument path of each ARM path the type's table maps (lower-case
/// ARM path → `managed_network[0].isolation_mode`), for messages in the
/// configuration's own words ([`aml_model::model::Resource::in_own_words`]).
/// Built once per type and shared by every resource of it.
pub fn source_names(rtype: &str) -> Option<SourceNames> {
    static BUILT: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, Option<SourceNames>>>,
    > = std::sync::OnceLock::new();
    // Only types of the mapping tables are kept: the cache stays bounded.
    spec(rtype)?;
    let cache = BUILT.get_or_init(Default::default);
    let mut cache = cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cache
        .entry(rtype.to_string())
        .or_insert_with(|| build_source_names(rtype))
        .clone()
}

/// ARM path → argument path, shared between the resources of one type.
pub use aml_model::model::SourceNames;

fn build_source_names(rtype: &str) -> Option<SourceNames> {
    let (_, _, table) = spec(rtype)?;
    let mut names = std::collections::BTreeMap::new();
    for r in table {
        // An inverted boolean is said as the opposite of its argument.
        let name = match r.conv {
            Conv::Not => format!("!{}", r.tf),
            _ => r.tf.to_string(),
        };
        names.entry(r.arm.to_ascii_lowercase()).or_insert(name);
    }
    (!names.is_empty()).then(|| std::sync::Arc::new(names))
}

/// The top-level argument of resource type `rtype` that sets ARM path
/// `arm` to its own value (no conversion, no nested block): what `fix`
/// writes a value there with, when the rule names no attribute.
pub fn same_argument(rtype: &str, arm: &str) -> Option<&'static str> {
    let (_, _, table) = spec(rtype)?;
    table
        .iter()
        .find(|r| {
            r.arm.eq_ignore_ascii_case(arm)
                && matches!(r.conv, Conv::Same)
                && !r.tf.contains(['.', '['])
        })
        .map(|r| r.tf)
}

/// Reads a path like `encryption[0].key_id` in a config object.
pub fn get<'v>(config: &'v Value, path: &str) -> Option<&'v Value> {
    let mut cur = config;
    for seg in aml_model::value::dot_segments(path) {
        let (name, idx) = match seg.bytes().position(|b| b == b'[') {
            Some(i) => (&seg[..i], seg[i + 1..seg.len() - 1].parse::<usize>().ok()),
            None => (seg, None),
        };
        cur = cur.as_object()?.get(name)?;
        if let Some(i) = idx {
            cur = match cur {
                Value::Array(a) => a.get(i)?,
                Value::Unknown(_) => return Some(cur),
                _ => return None,
            };
        }
    }
    Some(cur)
}

fn set(obj: &mut Value, path: &str, v: Value) {
    let mut cur = obj;
    let mut parts = aml_model::value::dot_segments(path).peekable();
    while let Some(p) = parts.next() {
        if !matches!(cur, Value::Object(_)) {
            *cur = Value::Object(Object::default());
        }
        let Value::Object(o) = cur else { return };
        // A key is copied only when it is new (the same order as `insert`
        // and `entry` keep: a key in place, a new one at the end).
        if parts.peek().is_none() {
            match o.get_mut(p) {
                Some(slot) => *slot = v,
                None => {
                    o.insert(p.to_string(), v);
                }
            }
            return;
        }
        let i = match o.get_index_of(p) {
            Some(i) => i,
            None => {
                o.insert_full(p.to_string(), Value::Object(Object::default()))
                    .0
            }
        };
        let Some((_, next)) = o.get_index_mut(i) else {
            return;
        };
        cur = next;
    }
}

fn is_set(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !matches!(v, Value::Null))
}

struct Builder<'c> {
    input: &'c Input<'c>,
    body: Value,
    spans: BTreeMap<String, Span>,
    defaults: Vec<String>,
    secrets: Vec<String>,
}

impl<'c> Builder<'c> {
    fn new(input: &'c Input<'c>) -> Self {
        Builder {
            input,
            body: Value::Object(Object::default()),
            spans: BTreeMap::new(),
            defaults: Vec::new(),
            secrets: Vec::new(),
        }
    }

    fn span_for(&self, tf: &str) -> Option<Span> {
        self.input.spans.get(tf).copied()
    }

    /// Sets an ARM path from a value, with the span of the Terraform argument.
    fn put(&mut self, arm: &str, v: Value, tf: Option<&str>) {
        if let Some(s) = tf.and_then(|t| self.span_for(t)) {
            self.spans.insert(arm.to_ascii_lowercase(), s);
        }
        set(&mut self.body, arm, v);
    }

    fn apply(&mut self, table: &[Row]) {
        for row in table {
            // Looked up once: the value, whether it is set, and its text.
            let given = is_set(get(self.input.config, row.tf));
            let v = match given {
                Some(v) => convert(v, row.conv),
                None => match row.default {
                    Dflt::None => continue,
                    Dflt::Bool(b) => convert(&Value::Bool(b), row.conv),
                    Dflt::Str(s) => convert(&Value::str(s), row.conv),
                    Dflt::Int(i) => Value::Int(i),
                    Dflt::PublicNetworkAccessByMajor => {
                        let p = self.input.provider;
                        let enabled = p.major >= 4;
                        self.defaults.push(format!(
                            "`{}` is not set: azurerm {}.x sends publicNetworkAccess {} ({})",
                            row.tf,
                            p.major,
                            if enabled { "Enabled" } else { "Disabled" },
                            p.source
                        ));
                        convert(&Value::Bool(enabled), row.conv)
                    }
                },
            };
            let tf = given.is_some().then_some(row.tf);
            if let Some(Value::String(s)) = given {
                if is_secret_arg(row.tf) {
                    self.secrets.push(s.clone());
                }
            }
            self.put(row.arm, v, tf);
        }
    }

    fn common(&mut self, location: bool) {
        if location {
            if let Some(l) = is_set(self.input.config.get("location")).cloned() {
                self.put("location", l, Some("location"));
            }
        }
        if let Some(t) = is_set(self.input.config.get("tags")).cloned() {
            self.put("tags", t, Some("tags"));
        }
    }

    /// `identity { type, identity_ids }` → ARM `identity`.
    fn identity(&mut self) {
        let Some(ty) = is_set(get(self.input.config, "identity[0].type")).cloned() else {
            if let Some(u @ Value::Unknown(_)) = self.input.config.get("identity") {
                self.put("identity", u.clone(), Some("identity"));
            }
            return;
        };
        let ty = match ty {
            Value::String(s) => Value::String(s.replace(", ", ",")),
            other => other,
        };
        self.put("identity.type", ty, Some("identity[0].type"));
        if let Some(ids) = is_set(get(self.input.config, "identity[0].identity_ids")).cloned() {
            let v = match ids {
                Value::Array(a) => {
                    let mut o = Object::default();
                    for id in a {
                        match id {
                            Value::String(s) => {
                                o.insert(s, Value::Object(Object::default()));
                            }
                            other => {
                                return self.put(
                                    "identity.userAssignedIdentities",
                                    other,
                                    Some("identity[0].identity_ids"),
                                )
                            }
                        }
                    }
                    Value::Object(o)
                }
                other => other,
            };
            self.put(
                "identity.userAssignedIdentities",
                v,
                Some("identity[0].identity_ids"),
            );
        }
    }
}

/// `permissions` blocks of `azurerm_role_definition` → ARM `permissions[]`
/// (`actions`, `notActions`, `dataActions`, `notDataActions`); unknown
/// values stay unknown.
fn role_permissions(blocks: &Value) -> Value {
    let Value::Array(blocks) = blocks else {
        return blocks.clone();
    };
    let keys = [
        ("actions", "actions"),
        ("not_actions", "notActions"),
        ("data_actions", "dataActions"),
        ("not_data_actions", "notDataActions"),
    ];
    Value::Array(
        blocks
            .iter()
            .map(|block| match block {
                Value::Object(o) => {
                    let mut out = Object::default();
                    for (tf, arm) in keys {
                        if let Some(v) = is_set(o.get(tf)) {
                            out.insert(arm.to_string(), v.clone());
                        }
                    }
                    Value::Object(out)
                }
                other => other.clone(),
            })
            .collect(),
    )
}

/// The `sslConfiguration.status` the provider sends for an inference
/// cluster's `ssl` block: `Auto` with a `leaf_domain_label`, else `Enabled`
/// with any of `cert`, `key`, `cname`, else `Disabled`; unknown when the
/// block, or the argument that decides, is unknown.
fn ssl_status(config: &Value, ssl: &Value) -> Value {
    if ssl.is_unknown() {
        return ssl.clone();
    }
    let arg = |k: &str| is_set(get(config, &format!("ssl[0].{k}")));
    let given = |v: &Value| v.as_str() != Some("");
    match arg("leaf_domain_label") {
        Some(u @ Value::Unknown(_)) => return u.clone(),
        Some(v) if given(v) => return Value::str("Auto"),
        _ => {}
    }
    let manual: Vec<&Value> = ["cert", "key", "cname"]
        .iter()
        .filter_map(|k| arg(k))
        .collect();
    if manual.iter().any(|v| !v.is_unknown() && given(v)) {
        return Value::str("Enabled");
    }
    match manual.into_iter().find(|v| v.is_unknown()) {
        Some(u) => u.clone(),
        None => Value::str("Disabled"),
    }
}

fn is_secret_arg(tf: &str) -> bool {
    tf.ends_with("password")
        || tf.ends_with("account_key")
        || tf.ends_with("shared_access_signature")
        || tf.ends_with("client_secret")
        || tf.ends_with("ssl[0].key")
}

fn convert(v: &Value, conv: Conv) -> Value {
    if let (Value::Unknown(u), false) = (v, matches!(conv, Conv::IdObject)) {
        // The values it may take, converted the same way.
        let Some(allowed) = &u.shape.allowed else {
            return v.clone();
        };
        let mut shape = u.shape.clone();
        shape.allowed = Some(allowed.iter().map(|a| convert(a, conv)).collect());
        return Value::unknown_shaped(u.expr.clone(), u.reason.clone(), shape);
    }
    match conv {
        Conv::Same => v.clone(),
        Conv::Not => match v {
            Value::Bool(b) => Value::Bool(!b),
            other => other.clone(),
        },
        Conv::Enum(t, f) => match v {
            Value::Bool(true) => Value::str(t),
            Value::Bool(false) => Value::str(f),
            other => other.clone(),
        },
        Conv::IdObject => {
            let mut o = Object::default();
            o.insert("id".into(), v.clone());
            Value::Object(o)
        }
        Conv::IdObjects => match v {
            Value::Array(a) => Value::Array(a.iter().map(|x| convert(x, Conv::IdObject)).collect()),
            other => other.clone(),
        },
    }
}

/// The Azure name of the resource: its `name`, or, when the configuration
/// does not fix it, the Terraform address (with `/` replaced).
fn name_of(input: &Input<'_>, attr: &str) -> String {
    match input.config.get(attr) {
        Some(Value::String(s)) if !s.is_empty() => s.replace('/', "_"),
        _ => input.address.replace('/', "_"),
    }
}

fn rg_scope(input: &Input<'_>) -> String {
    let rg = match input.config.get("resource_group_name") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => input.default_rg.to_string(),
    };
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{rg}")
}

/// The resource group named in a resource id, if it has one.
fn split_parent(id: &str) -> Option<(String, String)> {
    // `<scope>/providers/<ns>/<type>/<name>`: returns (rg scope, name).
    let lower = id.to_ascii_lowercase();
    let p = lower.rfind("/providers/")?;
    let scope = id[..p].to_string();
    let name = id.rsplit('/').next()?.to_string();
    Some((scope, name))
}

/// The parent's id from an id-valued argument, or a stand-in parent in the
/// default resource group when the argument is not known.
fn parent_from(input: &Input<'_>, attr: &str, parent_type: &str) -> (String, String) {
    match input.config.get(attr) {
        Some(Value::String(id)) if id.to_ascii_lowercase().contains("/providers/") => {
            let name = id.rsplit('/').next().unwrap_or_default().to_string();
            (id.clone(), name)
        }
        _ => {
            let name = format!("{}.{attr}", input.address).replace('/', "_");
            let id = resource_id(&rg_scope(input), parent_type, &name);
            (id, name)
        }
    }
}

/// Maps one resource instance. `None` for types outside the model.
pub fn map(input: &Input<'_>) -> Option<Vec<Mapped>> {
    if is_azapi(input.rtype) {
        return azapi(input).map(|m| vec![m]);
    }
    let (arm_type, api, table) = spec(input.rtype)?;
    let mut b = Builder::new(input);
    b.apply(table);
    let Some(placed) = place_of(input.rtype)(input, &mut b, arm_type) else {
        return Some(vec![]);
    };
    let Placed {
        id,
        name,
        parent_id,
        scope_id,
        merge_into,
        extra,
    } = placed;
    let mut body = b.body;
    finish_body(&mut body, arm_type, &name, api);
    let mut out = vec![Mapped {
        id,
        resource_type: arm_type.to_string(),
        name,
        api_version: api.to_string(),
        body,
        spans: b.spans,
        parent_id,
        scope_id,
        defaults_applied: b.defaults,
        secrets: b.secrets,
        merge_into,
        symbol_suffix: None,
    }];
    out.extend(extra);
    Some(out)
}

/// Whether `rtype` is one of the `azapi` types [`azapi`] maps (a body
/// written in ARM's own shape).
fn is_azapi(rtype: &str) -> bool {
    rtype == "azapi_resource" || rtype == "azapi_update_resource"
}

/// The id [`map`] gives the first resource it maps `input` to; `None` when
/// it maps to nothing or that resource merges into another. What a
/// reference to the resource reads: the resource is placed (its id, name,
/// parent, scope) without applying its argument table or finishing its
/// body, which no placement reads.
pub fn mapped_id(input: &Input<'_>) -> Option<String> {
    if is_azapi(input.rtype) {
        return azapi(input)
            .filter(|m| m.merge_into.is_none())
            .map(|m| m.id);
    }
    let (arm_type, _, _) = spec(input.rtype)?;
    let mut b = Builder::new(input);
    let placed = place_of(input.rtype)(input, &mut b, arm_type)?;
    placed.merge_into.is_none().then_some(placed.id)
}

/// Where a mapped resource sits: its id and Azure name, its parent, scope or
/// merge target, and extra resources it brings; `None` when it maps to nothing.
type Place = fn(&Input<'_>, &mut Builder<'_>, &str) -> Option<Placed>;

/// The placement of each Terraform type (the table `map` dispatches on).
fn place_of(rtype: &str) -> Place {
    match rtype {
        "azurerm_machine_learning_workspace" => workspace,
        "azurerm_ai_foundry" => ai_foundry_hub,
        "azurerm_ai_foundry_project" => ai_foundry_project,
        "azurerm_private_endpoint" => private_endpoint,
        "azurerm_monitor_diagnostic_setting" => diagnostic_setting,
        "azurerm_role_assignment" => role_assignment,
        "azurerm_role_definition" => role_definition,
        "azurerm_storage_account" => storage_account,
        "azurerm_key_vault_key" => key_vault_key,
        "azurerm_subnet" => subnet,
        "azurerm_subnet_network_security_group_association" => subnet_nsg_association,
        "azurerm_private_dns_zone_virtual_network_link" => private_dns_zone_link,
        "azurerm_private_dns_zone" => private_dns_zone,
        t if t.starts_with("azurerm_machine_learning_") => workspace_child,
        _ => in_resource_group,
    }
}

/// What a type's placement decides besides the body.
#[derive(Default)]
struct Placed {
    id: String,
    name: String,
    parent_id: Option<String>,
    scope_id: Option<String>,
    merge_into: Option<String>,
    extra: Vec<Mapped>,
}

/// `azurerm_machine_learning_workspace`: a workspace in its resource group.
fn workspace(input: &Input<'_>, b: &mut Builder<'_>, arm_type: &str) -> Option<Placed> {
    let p = Placed::default();
    let (id, name) = {
        b.common(true);
        b.identity();
        if is_set(get(input.config, "encryption[0]")).is_some() {
            b.put(
                "properties.encryption.status",
                Value::str("Enabled"),
                Some("encryption[0]"),
            );
        }
        let name = name_of(input, "name");
        (resource_id(&rg_scope(input), arm_type, &name), name)
    };
    Some(Placed { id, name, ..p })
}

/// `azurerm_ai_foundry`: a workspace of kind `Hub` in its resource group
/// (the provider sends `kind: Hub`; its arguments are the workspace's).
fn ai_foundry_hub(input: &Input<'_>, b: &mut Builder<'_>, arm_type: &str) -> Option<Placed> {
    b.put("kind", Value::str("Hub"), None);
    workspace(input, b, arm_type)
}

/// `azurerm_ai_foundry_project`: a workspace of kind `Project`, created in
/// its hub's resource group (the provider takes it from `ai_services_hub_id`),
/// with `properties.hubResourceId` naming the hub.
fn ai_foundry_project(input: &Input<'_>, b: &mut Builder<'_>, arm_type: &str) -> Option<Placed> {
    b.put("kind", Value::str("Project"), None);
    b.common(true);
    b.identity();
    let name = name_of(input, "name");
    let scope = match input.config.get("ai_services_hub_id") {
        Some(Value::String(hub)) => split_parent(hub)
            .map(|(scope, _)| scope)
            .filter(|s| s.to_ascii_lowercase().contains("/resourcegroups/")),
        _ => None,
    }
    .unwrap_or_else(|| {
        format!(
            "/subscriptions/{SUBSCRIPTION}/resourceGroups/{}",
            input.default_rg
        )
    });
    Some(Placed {
        id: resource_id(&scope, arm_type, &name),
        name,
        ..Placed::default()
    })
}

/// `azurerm_machine_learning_*` (computes, datastores, outbound rules): a child of its workspace.
fn workspace_child(input: &Input<'_>, b: &mut Builder<'_>, arm_type: &str) -> Option<Placed> {
    let mut p = Placed::default();
    let t = input.rtype;
    let (id, name) = {
        let ws_attr = if t.contains("compute")
            || t.ends_with("synapse_spark")
            || t.ends_with("inference_cluster")
        {
            "machine_learning_workspace_id"
        } else {
            "workspace_id"
        };
        let (ws_id, ws_name) = parent_from(
            input,
            ws_attr,
            "Microsoft.MachineLearningServices/workspaces",
        );
        b.common(true);
        b.identity();
        match t {
            "azurerm_machine_learning_compute_cluster" => {
                b.put("properties.computeType", Value::str("AmlCompute"), None)
            }
            "azurerm_machine_learning_compute_instance" => {
                b.put(
                    "properties.computeType",
                    Value::str("ComputeInstance"),
                    None,
                );
                let ssh = is_set(get(input.config, "ssh[0]")).is_some();
                b.put(
                    "properties.properties.sshSettings.sshPublicAccess",
                    Value::str(if ssh { "Enabled" } else { "Disabled" }),
                    if ssh { Some("ssh[0]") } else { None },
                );
            }
            "azurerm_machine_learning_inference_cluster" => {
                b.put("properties.computeType", Value::str("AKS"), None);
                if let Some(ssl) = is_set(get(input.config, "ssl[0]")) {
                    b.put(
                        "properties.properties.sslConfiguration.status",
                        ssl_status(input.config, ssl),
                        Some("ssl[0]"),
                    );
                }
            }
            "azurerm_machine_learning_synapse_spark" => {
                b.put("properties.computeType", Value::str("SynapseSpark"), None)
            }
            "azurerm_machine_learning_datastore_blobstorage"
            | "azurerm_machine_learning_datastore_fileshare" => {
                b.put(
                    "properties.datastoreType",
                    Value::str(if t.ends_with("blobstorage") {
                        "AzureBlob"
                    } else {
                        "AzureFile"
                    }),
                    None,
                );
                let ct = if is_set(get(input.config, "account_key")).is_some() {
                    "AccountKey"
                } else if is_set(get(input.config, "shared_access_signature")).is_some() {
                    "Sas"
                } else {
                    "None"
                };
                b.put(
                    "properties.credentials.credentialsType",
                    Value::str(ct),
                    None,
                );
            }
            "azurerm_machine_learning_datastore_datalake_gen2" => {
                b.put(
                    "properties.datastoreType",
                    Value::str("AzureDataLakeGen2"),
                    None,
                );
                let sp = is_set(get(input.config, "client_secret")).is_some();
                b.put(
                    "properties.credentials.credentialsType",
                    Value::str(if sp { "ServicePrincipal" } else { "None" }),
                    None,
                );
            }
            t if t.contains("outbound_rule") => {
                let kind = if t.ends_with("fqdn") {
                    "FQDN"
                } else if t.ends_with("private_endpoint") {
                    "PrivateEndpoint"
                } else {
                    "ServiceTag"
                };
                b.put("properties.type", Value::str(kind), None);
                b.put("properties.category", Value::str("UserDefined"), None);
            }
            _ => {}
        }
        let name = name_of(input, "name");
        let full = format!("{ws_name}/{name}");
        let child = arm_type.rsplit('/').next().unwrap_or_default();
        p.parent_id = Some(ws_id.clone());
        (format!("{ws_id}/{child}/{name}"), full)
    };
    Some(Placed { id, name, ..p })
}

/// `azurerm_private_endpoint`: its connections, and a `privateDnsZoneGroups` child per `private_dns_zone_group`.
fn private_endpoint(input: &Input<'_>, b: &mut Builder<'_>, arm_type: &str) -> Option<Placed> {
    let mut p = Placed::default();
    let (id, name) = {
        b.common(true);
        let mut auto = Vec::new();
        let mut manual = Vec::new();
        if let Some(Value::Array(conns)) = input.config.get("private_service_connection") {
            for (i, c) in conns.iter().enumerate() {
                let mut props = Object::default();
                let target = c
                    .get("private_connection_resource_id")
                    .or_else(|| c.get("private_connection_resource_alias"))
                    .cloned()
                    .unwrap_or(Value::Null);
                props.insert("privateLinkServiceId".into(), target);
                if let Some(g) = is_set(c.get("subresource_names")) {
                    props.insert("groupIds".into(), g.clone());
                }
                if let Some(m) = is_set(c.get("request_message")) {
                    props.insert("requestMessage".into(), m.clone());
                }
                let mut conn = Object::default();
                conn.insert("name".into(), c.get("name").cloned().unwrap_or(Value::Null));
                conn.insert("properties".into(), Value::Object(props));
                let is_manual = c
                    .get("is_manual_connection")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let list = if is_manual { &mut manual } else { &mut auto };
                let arm_list = if is_manual {
                    "manualprivatelinkserviceconnections"
                } else {
                    "privatelinkserviceconnections"
                };
                let idx = list.len();
                if let Some(s) = b.span_for(&format!("private_service_connection[{i}]")) {
                    b.spans.insert(format!("properties.{arm_list}[{idx}]"), s);
                }
                if let Some(s) = b.span_for(&format!(
                    "private_service_connection[{i}].private_connection_resource_id"
                )) {
                    b.spans.insert(
                        format!("properties.{arm_list}[{idx}].properties.privatelinkserviceid"),
                        s,
                    );
                }
                list.push(Value::Object(conn));
            }
        } else if let Some(u @ Value::Unknown(_)) = input.config.get("private_service_connection") {
            b.put(
                "properties.privateLinkServiceConnections",
                u.clone(),
                Some("private_service_connection"),
            );
        }
        if !auto.is_empty() {
            set(
                &mut b.body,
                "properties.privateLinkServiceConnections",
                Value::Array(auto),
            );
        }
        if !manual.is_empty() {
            set(
                &mut b.body,
                "properties.manualPrivateLinkServiceConnections",
                Value::Array(manual),
            );
        }
        let name = name_of(input, "name");
        let id = resource_id(&rg_scope(input), arm_type, &name);
        if let Some(Value::Array(groups)) = input.config.get("private_dns_zone_group") {
            for (i, g) in groups.iter().enumerate() {
                let gname = g
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("default")
                    .to_string();
                let zones = g
                    .get("private_dns_zone_ids")
                    .cloned()
                    .unwrap_or(Value::Array(vec![]));
                let configs = match &zones {
                    Value::Array(z) => Value::Array(
                        z.iter()
                            .map(|zid| {
                                let mut p = Object::default();
                                p.insert("privateDnsZoneId".into(), zid.clone());
                                let mut c = Object::default();
                                c.insert(
                                    "name".into(),
                                    Value::String(
                                        zid.as_str()
                                            .and_then(|s| s.rsplit('/').next())
                                            .unwrap_or("zone")
                                            .replace('.', "-"),
                                    ),
                                );
                                c.insert("properties".into(), Value::Object(p));
                                Value::Object(c)
                            })
                            .collect(),
                    ),
                    other => other.clone(),
                };
                let mut body = Value::Object(Object::default());
                set(&mut body, "properties.privateDnsZoneConfigs", configs);
                let gtype = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups";
                let full = format!("{name}/{gname}");
                let mut spans = BTreeMap::new();
                if let Some(s) = input
                    .spans
                    .get(&format!("private_dns_zone_group[{i}].private_dns_zone_ids"))
                {
                    spans.insert("properties.privatednszoneconfigs".to_string(), *s);
                }
                finish_body(&mut body, gtype, &full, "2024-05-01");
                p.extra.push(Mapped {
                    id: format!("{id}/privateDnsZoneGroups/{gname}"),
                    resource_type: gtype.into(),
                    name: full,
                    api_version: "2024-05-01".into(),
                    body,
                    spans,
                    parent_id: Some(id.clone()),
                    scope_id: None,
                    defaults_applied: vec![],
                    secrets: vec![],
                    merge_into: None,
                    symbol_suffix: Some(format!(".private_dns_zone_group[{i}]")),
                });
            }
        }
        (id, name)
    };
    Some(Placed { id, name, ..p })
}

/// `azurerm_monitor_diagnostic_setting`: an extension of its target resource.
fn diagnostic_setting(input: &Input<'_>, b: &mut Builder<'_>, arm_type: &str) -> Option<Placed> {
    let mut p = Placed::default();
    let (id, name) = {
        let target = match input.config.get("target_resource_id") {
            Some(Value::String(s)) => s.clone(),
            _ => format!(
                "/subscriptions/{SUBSCRIPTION}/resourceGroups/{}/providers/unknown/{}",
                input.default_rg,
                input.address.replace('/', "_")
            ),
        };
        let mut logs = Vec::new();
        for block in ["enabled_log", "log"] {
            match input.config.get(block) {
                Some(Value::Array(items)) => {
                    for (i, l) in items.iter().enumerate() {
                        let mut o = Object::default();
                        if let Some(c) = is_set(l.get("category")) {
                            o.insert("category".into(), c.clone());
                        }
                        if let Some(c) = is_set(l.get("category_group")) {
                            o.insert("categoryGroup".into(), c.clone());
                        }
                        o.insert(
                            "enabled".into(),
                            l.get("enabled")
                                .cloned()
                                .filter(|v| *v != Value::Null)
                                .unwrap_or(Value::Bool(true)),
                        );
                        if let Some(s) = input.spans.get(&format!("{block}[{i}]")) {
                            b.spans
                                .insert(format!("properties.logs[{}]", logs.len()), *s);
                        }
                        logs.push(Value::Object(o));
                    }
                }
                Some(u @ Value::Unknown(_)) => logs.push(u.clone()),
                _ => {}
            }
        }
        set(&mut b.body, "properties.logs", Value::Array(logs));
        let mut metrics = Vec::new();
        for block in ["enabled_metric", "metric"] {
            if let Some(Value::Array(items)) = input.config.get(block) {
                for m in items {
                    let mut o = Object::default();
                    o.insert(
                        "category".into(),
                        m.get("category").cloned().unwrap_or(Value::Null),
                    );
                    o.insert(
                        "enabled".into(),
                        m.get("enabled")
                            .cloned()
                            .filter(|v| *v != Value::Null)
                            .unwrap_or(Value::Bool(true)),
                    );
                    metrics.push(Value::Object(o));
                }
            }
        }
        set(&mut b.body, "properties.metrics", Value::Array(metrics));
        let name = name_of(input, "name");
        p.scope_id = Some(target.clone());
        (resource_id(&target, arm_type, &name), name)
    };
    Some(Placed { id, name, ..p })
}

/// `azurerm_role_assignment`: an extension of its scope; a built-in `role_definition_name` becomes its id.
fn role_assignment(input: &Input<'_>, b: &mut Builder<'_>, arm_type: &str) -> Option<Placed> {
    let mut p = Placed::default();
    let (id, name) = {
        let scope = match input.config.get("scope") {
            Some(Value::String(s)) => s.clone(),
            _ => format!(
                "/subscriptions/{SUBSCRIPTION}/resourceGroups/{}",
                input.default_rg
            ),
        };
        // `role_definition_name` names the role instead of its id: a
        // built-in name becomes the role's well-known id; any other value
        // (a custom role's name, an unknown) stays where it was mapped.
        if is_set(input.config.get("role_definition_id")).is_none() {
            if let Some(Value::String(role)) = is_set(input.config.get("role_definition_name")) {
                if let Some((_, guid)) = BUILTIN_ROLES
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(role.trim()))
                {
                    b.put(
                        "properties.roleDefinitionId",
                        Value::String(format!(
                            "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
                        )),
                        Some("role_definition_name"),
                    );
                }
            }
        }
        let name = name_of(input, "name");
        p.scope_id = Some(scope.clone());
        (resource_id(&scope, arm_type, &name), name)
    };
    Some(Placed { id, name, ..p })
}

/// `azurerm_role_definition`: a custom role at its scope.
fn role_definition(input: &Input<'_>, b: &mut Builder<'_>, arm_type: &str) -> Option<Placed> {
    let p = Placed::default();
    let (id, name) = {
        let scope = match input.config.get("scope") {
            Some(Value::String(s)) => s.clone(),
            _ => format!(
                "/subscriptions/{SUBSCRIPTION}/resourceGroups/{}",
                input.default_rg
            ),
        };
        b.put("properties.type", Value::str("CustomRole"), None);
        if let Some(p) = is_set(input.config.get("permissions")) {
            b.put(
                "properties.permissions",
                role_permissions(p),
                Some("permissions"),
            );
        }
        let name = name_of(input, "role_definition_id");
        (resource_id(&scope, arm_type, &name), name)
    };
    Some(Placed { id, name, ..p })
}

/// `azurerm_storage_account`: its SKU from tier and replication.
fn storage_account(input: &Input<'_>, b: &mut Builder<'_>, arm_type: &str) -> Option<Placed> {
    let p = Placed::default();
    let (id, name) = {
        b.common(true);
        if let (Some(Value::String(t)), Some(Value::String(r))) = (
            input.config.get("account_tier"),
            input.config.get("account_replication_type"),
        ) {
            b.put(
                "sku.name",
                Value::String(format!("{t}_{r}")),
                Some("account_replication_type"),
            );
        }
        let name = name_of(input, "name");
        (resource_id(&rg_scope(input), arm_type, &name), name)
    };
    Some(Placed { id, name, ..p })
}

/// `azurerm_key_vault_key`: a child of its vault.
fn key_vault_key(input: &Input<'_>, _b: &mut Builder<'_>, _arm_type: &str) -> Option<Placed> {
    let mut p = Placed::default();
    let (id, name) = {
        let (kv_id, kv_name) = parent_from(input, "key_vault_id", "Microsoft.KeyVault/vaults");
        let name = name_of(input, "name");
        p.parent_id = Some(kv_id.clone());
        (format!("{kv_id}/keys/{name}"), format!("{kv_name}/{name}"))
    };
    Some(Placed { id, name, ..p })
}

/// `azurerm_subnet`: a child of its virtual network.
fn subnet(input: &Input<'_>, _b: &mut Builder<'_>, _arm_type: &str) -> Option<Placed> {
    let mut p = Placed::default();
    let (id, name) = {
        let vnet = match input.config.get("virtual_network_name") {
            Some(Value::String(s)) => s.clone(),
            _ => format!("{}.virtual_network_name", input.address).replace('/', "_"),
        };
        let vnet_id = resource_id(&rg_scope(input), "Microsoft.Network/virtualNetworks", &vnet);
        let name = name_of(input, "name");
        p.parent_id = Some(vnet_id.clone());
        (
            format!("{vnet_id}/subnets/{name}"),
            format!("{vnet}/{name}"),
        )
    };
    Some(Placed { id, name, ..p })
}

/// `azurerm_subnet_network_security_group_association`: merged into its subnet (nothing when the subnet is unknown).
fn subnet_nsg_association(
    input: &Input<'_>,
    _b: &mut Builder<'_>,
    _arm_type: &str,
) -> Option<Placed> {
    let mut p = Placed::default();
    let (id, name) = {
        let target = match input.config.get("subnet_id") {
            Some(Value::String(s)) => s.clone(),
            _ => return None,
        };
        p.merge_into = Some(target.clone());
        let name = split_parent(&target).map(|(_, n)| n).unwrap_or_default();
        (target, name)
    };
    Some(Placed { id, name, ..p })
}

/// `azurerm_private_dns_zone_virtual_network_link`: a child of its zone.
fn private_dns_zone_link(
    input: &Input<'_>,
    b: &mut Builder<'_>,
    _arm_type: &str,
) -> Option<Placed> {
    let mut p = Placed::default();
    let (id, name) = {
        let zone = match input.config.get("private_dns_zone_name") {
            Some(Value::String(s)) => s.clone(),
            _ => format!("{}.private_dns_zone_name", input.address).replace('/', "_"),
        };
        let zone_id = resource_id(&rg_scope(input), "Microsoft.Network/privateDnsZones", &zone);
        let name = name_of(input, "name");
        b.put("location", Value::str("global"), None);
        p.parent_id = Some(zone_id.clone());
        (
            format!("{zone_id}/virtualNetworkLinks/{name}"),
            format!("{zone}/{name}"),
        )
    };
    Some(Placed { id, name, ..p })
}

/// `azurerm_private_dns_zone`: a global resource.
fn private_dns_zone(input: &Input<'_>, b: &mut Builder<'_>, arm_type: &str) -> Option<Placed> {
    let p = Placed::default();
    let (id, name) = {
        b.put("location", Value::str("global"), None);
        b.common(false);
        let name = name_of(input, "name");
        (resource_id(&rg_scope(input), arm_type, &name), name)
    };
    Some(Placed { id, name, ..p })
}

/// Every other mapped type: a resource in its resource group.
fn in_resource_group(input: &Input<'_>, b: &mut Builder<'_>, arm_type: &str) -> Option<Placed> {
    let p = Placed::default();
    let (id, name) = {
        b.common(true);
        let name = name_of(input, "name");
        (resource_id(&rg_scope(input), arm_type, &name), name)
    };
    Some(Placed { id, name, ..p })
}

fn finish_body(body: &mut Value, arm_type: &str, name: &str, api: &str) {
    if let Value::Object(o) = body {
        let mut head = Object::default();
        head.insert("type".into(), Value::str(arm_type));
        head.insert("name".into(), Value::str(name));
        head.insert("apiVersion".into(), Value::str(api));
        for (k, v) in std::mem::take(o) {
            head.insert(k, v);
        }
        *o = head;
    }
}

/// `azapi_resource` / `azapi_update_resource`: the body is already ARM-shaped.
fn azapi(input: &Input<'_>) -> Option<Mapped> {
    let c = input.config;
    let (full_type, api) = match c.get("type") {
        Some(Value::String(t)) => match t.split_once('@') {
            Some((ty, v)) => (ty.to_string(), v.to_string()),
            None => (t.clone(), String::new()),
        },
        _ => return None,
    };
    let mut b = Builder::new(input);
    let body_value = match c.get("body") {
        Some(Value::String(s)) => serde_json::from_str::<serde_json::Value>(s)
            .map(|j| Value::from_json(&j))
            .unwrap_or(Value::Null),
        Some(v) => v.clone(),
        None => Value::Null,
    };
    if let Value::Object(o) = &body_value {
        for (k, v) in o {
            if k == RESOURCE_MARK || matches!(v, Value::Null) {
                continue;
            }
            b.body.as_object_mut()?.insert(k.clone(), strip_nulls(v));
        }
    } else if body_value.is_unknown() {
        b.put("properties", body_value.clone(), Some("body"));
    }
    for (tf, arm) in [("body", "")] {
        let prefix = format!("{tf}.");
        for (p, s) in input.spans.iter() {
            if let Some(rest) = p.strip_prefix(&prefix) {
                b.spans
                    .insert(format!("{arm}{}", rest.to_ascii_lowercase()), *s);
            }
        }
    }
    b.common(true);
    b.identity();
    let update = input.rtype == "azapi_update_resource";
    let parent = match c.get("parent_id") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let name = match c.get("name") {
        Some(Value::String(s)) if !s.is_empty() => s.replace('/', "_"),
        _ => input.address.replace('/', "_"),
    };
    let segments = full_type.split('/').count();
    let parent_scope = parent.clone().unwrap_or_else(|| {
        format!(
            "/subscriptions/{SUBSCRIPTION}/resourceGroups/{}",
            input.default_rg
        )
    });
    let parent_is_resource = parent_scope.to_ascii_lowercase().contains("/providers/");
    let (id, full_name, parent_id, scope_id) = if segments > 2 && parent_is_resource {
        let child = full_type.rsplit('/').next().unwrap_or_default();
        let pname = parent_scope
            .split("/providers/")
            .last()
            .unwrap_or_default()
            .split('/')
            .skip(2)
            .step_by(2)
            .collect::<Vec<_>>()
            .join("/");
        (
            format!("{parent_scope}/{child}/{name}"),
            format!("{pname}/{name}"),
            Some(parent_scope.clone()),
            None,
        )
    } else if segments == 2 && parent_is_resource {
        (
            resource_id(&parent_scope, &full_type, &name),
            name.clone(),
            None,
            Some(parent_scope.clone()),
        )
    } else {
        (
            resource_id(&parent_scope, &full_type, &name),
            name.clone(),
            None,
            None,
        )
    };
    let merge_into = if update {
        match c.get("resource_id") {
            Some(Value::String(s)) => Some(s.clone()),
            _ => Some(id.clone()),
        }
    } else {
        None
    };
    let mut body = b.body;
    finish_body(&mut body, &full_type, &full_name, &api);
    Some(Mapped {
        id,
        resource_type: full_type,
        name: full_name,
        api_version: api,
        body,
        spans: b.spans,
        parent_id,
        scope_id,
        defaults_applied: vec![],
        secrets: vec![],
        merge_into,
        symbol_suffix: None,
    })
}

/// Drops `null` members (Terraform omits null attributes from an azapi body).
fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(k, x)| !matches!(x, Value::Null) && k.as_str() != RESOURCE_MARK)
                .map(|(k, x)| (k.clone(), strip_nulls(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// Deep-merges `patch` into `target` (objects merge, everything else replaces).
pub fn merge_into(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if matches!(k.as_str(), "type" | "name" | "apiVersion") {
                    continue;
                }
                let key = t
                    .keys()
                    .find(|x| x.eq_ignore_ascii_case(k))
                    .cloned()
                    .unwrap_or_else(|| k.clone());
                match t.get_mut(&key) {
                    Some(existing) => merge_into(existing, v),
                    None => {
                        t.insert(key, v.clone());
                    }
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every supported type (and `azapi_resource`), with the arguments the
    /// placements read set, left out, or unknown: `mapped_id` gives the id
    /// `map` gives its first resource, and `None` where `map` maps to nothing
    /// or to a resource merged into another.
    #[test]
    fn the_id_of_a_reference_is_the_id_map_gives() {
        let types: Vec<&str> = include_str!("mod.rs")
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"')?.split('"').next())
            .filter(|t| t.starts_with("azurerm_") && spec(t).is_some())
            .chain(["azapi_resource", "azapi_update_resource"])
            .collect();
        assert!(types.len() > 20, "{types:?}");
        let ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
        let configs = [
            serde_json::json!({}),
            serde_json::json!({
                "name": "x", "resource_group_name": "rg", "location": "westeurope",
                "machine_learning_workspace_id": ws, "workspace_id": ws,
                "target_resource_id": ws, "scope": ws, "key_vault_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
                "virtual_network_name": "vnet", "subnet_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/sn",
                "network_security_group_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg",
                "private_dns_zone_name": "privatelink.api.azureml.ms",
                "ai_services_hub_id": ws, "type": "Microsoft.MachineLearningServices/workspaces@2024-04-01",
                "parent_id": "/subscriptions/s/resourceGroups/rg", "resource_id": ws,
                "role_definition_name": "Reader", "principal_id": "p",
                "private_service_connection": [{"name": "c", "private_connection_resource_id": ws}],
                "private_dns_zone_group": [{"name": "g", "private_dns_zone_ids": ["z"]}],
            }),
        ];
        let pv = ProviderVersion {
            major: ProviderVersion::CURRENT_MAJOR,
            source: String::new(),
        };
        let spans = BTreeMap::new();
        let (mut compared, mut with_id) = (0, 0);
        for t in &types {
            for config in &configs {
                let mut config = Value::from_json(config);
                for unknown in [false, true] {
                    if unknown {
                        if let Value::Object(o) = &mut config {
                            o.insert("name".into(), Value::unknown("var.name", "not given"));
                        }
                    }
                    let input = Input {
                        rtype: t,
                        address: "a.b",
                        config: &config,
                        spans: &spans,
                        decl: Span::new(aml_model::source::FileId(0), 0, 0),
                        provider: &pv,
                        default_rg: DEFAULT_RG,
                    };
                    let full = map(&input)
                        .and_then(|v| v.into_iter().next())
                        .filter(|m| m.merge_into.is_none())
                        .map(|m| m.id);
                    assert_eq!(mapped_id(&input), full, "{t} with {config:?}");
                    compared += 1;
                    with_id += usize::from(full.is_some());
                }
            }
        }
        assert_eq!(compared, types.len() * 4);
        assert!(with_id > types.len(), "{with_id} of {compared} with an id");
    }

    #[test]
    fn provider_constraints_give_the_lowest_major() {
        assert_eq!(
            ProviderVersion::from_constraint(Some(">= 3.0, < 4.0")).major,
            3
        );
        assert_eq!(ProviderVersion::from_constraint(Some("=3.0.2")).major, 3);
        assert_eq!(ProviderVersion::from_constraint(Some("~> 4.0")).major, 4);
        assert_eq!(
            ProviderVersion::from_constraint(Some(">= 4.17.0, < 5.0")).major,
            4
        );
        assert_eq!(
            ProviderVersion::from_constraint(None).major,
            ProviderVersion::CURRENT_MAJOR
        );
    }
}
