//! The deployment model: the ARM resources Azure would hold after the
//! deployment, whatever format they were written in.
//!
//! Every resource keeps where it came from and, for each property path, the
//! span of the text that set it, so that a finding can point at the line to
//! change (and, where a property is absent, at the resource itself).

use crate::source::Span;
use crate::value::Value;
use std::collections::BTreeMap;

/// Everything one scan found: resources from every input, in a stable order.
#[derive(Debug, Default)]
pub struct Model {
    pub resources: Vec<Resource>,
    /// Values of secure parameters and other secrets met while reading; every
    /// renderer redacts them.
    pub secrets: Vec<String>,
    /// Secure parameters whose default value is a literal secret, per
    /// deployment (read by rule AMLB-IM8-004; the value itself is not kept).
    pub secure_defaults: Vec<SecureDefault>,
    /// Credentials written in the files (datastore and connection secrets):
    /// redacted like [`Model::secrets`], but unlike those they do not count
    /// as coming from a secure input. Filled by [`Model::collect_credentials`].
    pub credentials: Vec<String>,
}

/// A secure parameter (`securestring`, `secureObject`, Bicep `@secure()`)
/// whose default value is written in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecureDefault {
    /// The deployment (see [`Resource::deployment`]) the parameter belongs to.
    pub deployment: u32,
    /// The parameter's name.
    pub name: String,
    /// Where the default value is written.
    pub span: Span,
}

/// Whether a resource is deployed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deployed {
    /// Always deployed.
    Yes,
    /// Its `condition` depends on a value the files do not fix.
    Unknown { expr: String },
}

/// One ARM resource as Azure would hold it.
#[derive(Clone, Debug)]
pub struct Resource {
    /// Canonical resource id (`/subscriptions/.../providers/Microsoft.X/a/n`).
    pub id: String,
    /// Full resource type (`Microsoft.MachineLearningServices/workspaces/computes`).
    pub resource_type: String,
    /// Full name (`ws/ci` for a child resource).
    pub name: String,
    pub api_version: Option<String>,
    /// The ARM resource object: `type`, `name`, `apiVersion`, `location`,
    /// `kind`, `sku`, `identity`, `tags`, `properties`, ... with the full type
    /// and name. May contain [`Value::Unknown`].
    pub body: Value,
    /// The id of the parent resource, for child resources.
    pub parent_id: Option<String>,
    /// The id of the resource an extension resource applies to (`scope`).
    pub scope_id: Option<String>,
    /// An `existing` reference: read for relations, not deployed, no rule applies.
    pub existing: bool,
    pub deployed: Deployed,
    /// Where the resource is declared (its object in the source).
    pub span: Span,
    /// Symbolic name, Bicep symbol or Terraform address, when there is one.
    pub symbol: Option<String>,
    /// Span of the text that set each property, keyed by lower-case path
    /// (`properties.publicnetworkaccess`, `properties.ipallowlist[0]`).
    pub spans: BTreeMap<String, Span>,
    /// The input format the resource came from (`arm`, `bicep`, `terraform`).
    pub format: &'static str,
    /// Which deployment (entry template, Bicep entry point, Terraform root
    /// module) the resource belongs to. Relations between resources (private
    /// endpoints, diagnostic settings) are only made within one deployment.
    pub deployment: u32,
}

impl Resource {
    /// Span of the text that sets `path` (dotted, case-insensitive), or of the
    /// nearest enclosing value that is set, or of the resource itself.
    pub fn span_of(&self, path: &str) -> Span {
        let mut p = path.to_ascii_lowercase();
        loop {
            if let Some(s) = self.spans.get(&p) {
                return *s;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p.truncate(i),
                None => return self.span,
            }
        }
    }

    /// True when `path` is set in the source (not inherited from a default).
    pub fn is_set(&self, path: &str) -> bool {
        self.spans.contains_key(&path.to_ascii_lowercase())
    }

    /// Case-insensitive type comparison.
    pub fn is_type(&self, resource_type: &str) -> bool {
        self.resource_type.eq_ignore_ascii_case(resource_type)
    }

    /// The value at a dotted path in the body (`properties.publicNetworkAccess`).
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.body.get_path(path)
    }
}

/// Builds a canonical resource id from a scope id, a full type and a full name.
///
/// `scope` is the id of what the resource is deployed into: a resource group
/// (`/subscriptions/s/resourceGroups/rg`), a subscription, or, for an
/// extension resource, the resource it extends.
pub fn resource_id(scope: &str, full_type: &str, full_name: &str) -> String {
    let mut types = full_type.split('/');
    let namespace = types.next().unwrap_or_default();
    let mut id = format!("{}/providers/{}", scope.trim_end_matches('/'), namespace);
    let mut names = full_name.split('/');
    for t in types {
        id.push('/');
        id.push_str(t);
        id.push('/');
        id.push_str(names.next().unwrap_or_default());
    }
    id
}

/// The parent id of a child resource id (drops the last `type/name` pair),
/// or `None` for a top-level resource.
pub fn parent_id(id: &str) -> Option<String> {
    let idx = id.to_ascii_lowercase().rfind("/providers/")?;
    let tail = &id[idx + "/providers/".len()..];
    // namespace/type/name[/type/name]...
    let segs: Vec<&str> = tail.split('/').collect();
    if segs.len() <= 3 {
        return None;
    }
    let cut: usize = segs[segs.len() - 2..].iter().map(|s| s.len() + 1).sum();
    Some(id[..id.len() - cut].to_string())
}

/// Keys under a resource's `properties.credentials` whose string values are
/// secrets (compared in lower case); every value under a `secrets` or `keys`
/// object is one too, except the `secretsType` marker.
const CREDENTIAL_KEYS: &[&str] = &[
    "key",
    "accountkey",
    "sastoken",
    "clientsecret",
    "password",
    "secretaccesskey",
    "accesskey",
    "pat",
    "privatekey",
    "certificate",
    "connectionstring",
];

fn collect_credential_strings(v: &Value, secret: bool, depth: usize, out: &mut Vec<String>) {
    if depth > 16 {
        return;
    }
    match v {
        Value::String(s) if secret && s.len() >= 4 => out.push(s.clone()),
        Value::Object(o) => {
            for (k, x) in o.iter() {
                let k = k.to_ascii_lowercase();
                let inner = (secret && k != "secretstype")
                    || k == "secrets"
                    || k == "keys"
                    || CREDENTIAL_KEYS.contains(&k.as_str());
                collect_credential_strings(x, inner, depth + 1, out);
            }
        }
        Value::Array(a) => {
            for x in a.iter().take(1000) {
                collect_credential_strings(x, secret, depth + 1, out);
            }
        }
        _ => {}
    }
}

impl Model {
    /// Records the literal credentials of every resource (the string values
    /// of secret fields under `properties.credentials`, as datastores and
    /// workspace connections carry them) so that no output shows them.
    pub fn collect_credentials(&mut self) {
        let mut found = Vec::new();
        for r in &self.resources {
            if let Some(c) = r.get("properties.credentials") {
                collect_credential_strings(c, false, 0, &mut found);
            }
        }
        found.sort();
        found.dedup();
        found.retain(|s| !self.secrets.contains(s));
        self.credentials = found;
    }

    /// Every value no output may show: [`Model::secrets`] and
    /// [`Model::credentials`], longest first (so that a secret containing
    /// another is replaced whole).
    pub fn redactions(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .secrets
            .iter()
            .chain(&self.credentials)
            .filter(|s| !s.is_empty())
            .cloned()
            .collect();
        all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        all.dedup();
        all
    }

    /// Adds what Azure derives from relations between resources of the same
    /// deployment: a private endpoint whose `privateLinkServiceId` targets a
    /// resource in the model makes a `privateEndpointConnections` entry
    /// appear on that resource, `Approved` for an automatic connection (the
    /// deployer owns both) and `Pending` for a manual one.
    pub fn link_private_endpoints(&mut self) {
        let mut connections: Vec<(usize, Value)> = Vec::new();
        for pe in self
            .resources
            .iter()
            .filter(|r| r.is_type("Microsoft.Network/privateEndpoints") && !r.existing)
        {
            for (list, status) in [
                ("properties.privateLinkServiceConnections", "Approved"),
                ("properties.manualPrivateLinkServiceConnections", "Pending"),
            ] {
                let Some(Value::Array(items)) = pe.get(list) else {
                    continue;
                };
                for item in items {
                    let Some(target) = item
                        .get_path("properties.privateLinkServiceId")
                        .and_then(Value::as_str)
                    else {
                        continue;
                    };
                    let Some(index) = self
                        .resources
                        .iter()
                        .position(|r| r.id.eq_ignore_ascii_case(target))
                    else {
                        continue;
                    };
                    let group_ids = item
                        .get_path("properties.groupIds")
                        .cloned()
                        .unwrap_or(Value::Array(vec![]));
                    let name = pe.name.rsplit('/').next().unwrap_or(&pe.name).to_string();
                    let connection = Value::from_json(&serde_json::json!({
                        "id": format!("{}/privateEndpointConnections/{}", self.resources[index].id, name),
                        "name": name,
                        "properties": {
                            "privateEndpoint": { "id": pe.id },
                            "privateLinkServiceConnectionState": {
                                "status": status,
                                "description": "derived by aml-baseline from a private endpoint in the scanned files"
                            }
                        }
                    }));
                    let mut connection = connection;
                    if let Some(o) = connection.get_path("properties").cloned() {
                        let mut o = o;
                        if let Some(obj) = o.as_object_mut() {
                            obj.insert("groupIds".into(), group_ids);
                        }
                        if let Some(c) = connection.as_object_mut() {
                            c.insert("properties".into(), o);
                        }
                    }
                    connections.push((index, connection));
                }
            }
        }
        for (index, connection) in connections {
            let resource = &mut self.resources[index];
            let Some(body) = resource.body.as_object_mut() else {
                continue;
            };
            let props = body
                .entry("properties".to_string())
                .or_insert_with(|| Value::Object(Default::default()));
            let Some(props) = props.as_object_mut() else {
                continue;
            };
            let key = props
                .keys()
                .find(|k| k.eq_ignore_ascii_case("privateEndpointConnections"))
                .cloned()
                .unwrap_or_else(|| "privateEndpointConnections".to_string());
            let list = props.entry(key).or_insert_with(|| Value::Array(vec![]));
            if let Value::Array(items) = list {
                items.push(connection);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_compose_types_and_names() {
        let id = resource_id(
            "/subscriptions/s/resourceGroups/rg",
            "Microsoft.MachineLearningServices/workspaces/computes",
            "ws/ci",
        );
        assert_eq!(
            id,
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/ci"
        );
        assert_eq!(
            parent_id(&id).unwrap(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
        );
        assert_eq!(
            parent_id("/subscriptions/s/resourceGroups/rg/providers/Microsoft.X/a/n"),
            None
        );
    }
}
