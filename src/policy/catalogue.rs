//! The alias catalogue: regorus' [`AliasRegistry`] plus the host-side tables
//! derived from the same data (legacy array aliases, key casing, alias → ARM
//! path, which types `Indexed` mode covers).
//!
//! The shipped catalogue is `data/aliases/catalogue.json`, generated from
//! PSRule's provider data by `scripts/build-alias-catalogue.py` (a test checks
//! that it is up to date), embedded in the binary and parsed once.

use regorus::languages::azure_policy::aliases::AliasRegistry;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// The embedded catalogue text.
const SHIPPED: &str = include_str!("../../data/aliases/catalogue.json");

/// One segment of an ARM path: a property name, or `[*]` (every array member).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Seg {
    Key(String),
    Any,
}

/// Splits an ARM path such as `properties.logs[*].enabled` into segments.
pub(crate) fn path_segments(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut key = part;
        let mut stars = 0;
        while let Some(k) = key.strip_suffix("[*]") {
            key = k;
            stars += 1;
        }
        if !key.is_empty() {
            out.push(Seg::Key(key.to_string()));
        }
        out.extend(std::iter::repeat_n(Seg::Any, stars));
    }
    out
}

/// Where an alias points.
#[derive(Clone, Debug)]
pub(crate) struct AliasInfo {
    /// Lower-case resource type that owns the alias.
    pub type_lc: String,
    pub default_path: String,
    /// `(api version, path)` pairs, for versioned aliases.
    pub versioned: Vec<(String, String)>,
}

impl AliasInfo {
    /// The ARM path for `api_version` (the default path when no version matches).
    pub fn path(&self, api_version: Option<&str>) -> &str {
        api_version
            .and_then(|v| {
                self.versioned
                    .iter()
                    .find(|(av, _)| av.eq_ignore_ascii_case(v))
            })
            .map_or(self.default_path.as_str(), |(_, p)| p.as_str())
    }
}

/// The property names of a resource type's alias paths, as a tree, in the
/// catalogue's casing (used to canonicalise the keys of a resource).
#[derive(Debug, Default)]
pub(crate) struct CaseNode {
    /// lower-case key → (catalogue key, subtree)
    pub keys: HashMap<String, (String, CaseNode)>,
    /// Subtree for the members of an array at this position.
    pub items: Option<Box<CaseNode>>,
}

impl CaseNode {
    fn insert(&mut self, segs: &[Seg]) {
        let Some((first, rest)) = segs.split_first() else {
            return;
        };
        let child = match first {
            Seg::Key(k) => {
                &mut self
                    .keys
                    .entry(k.to_ascii_lowercase())
                    .or_insert_with(|| (k.clone(), CaseNode::default()))
                    .1
            }
            Seg::Any => self.items.get_or_insert_with(Default::default).as_mut(),
        };
        child.insert(rest);
    }
}

/// The loaded catalogue.
pub(crate) struct Catalogue {
    /// regorus' registry, for compiling and normalising.
    pub registry: regorus::Rc<AliasRegistry>,
    /// lower-case alias name → where it points.
    aliases: HashMap<String, AliasInfo>,
    /// lower-case legacy alias name → the `[*]` alias with the same path.
    legacy: HashMap<String, String>,
    /// lower-case type → key tree.
    case_trees: HashMap<String, CaseNode>,
    /// lower-case types that support tags and location.
    tracked: HashSet<String>,
}

#[derive(Deserialize)]
struct Envelope {
    value: Vec<Provider>,
}

#[derive(Deserialize)]
struct Provider {
    namespace: String,
    #[serde(default, rename = "resourceTypes")]
    resource_types: Vec<ResourceType>,
}

#[derive(Deserialize)]
struct ResourceType {
    #[serde(rename = "resourceType")]
    resource_type: String,
    #[serde(default)]
    capabilities: Option<String>,
    #[serde(default)]
    aliases: Option<Vec<Alias>>,
}

#[derive(Deserialize)]
struct Alias {
    name: String,
    #[serde(default, rename = "defaultPath")]
    default_path: Option<serde_json::Value>,
    #[serde(default)]
    paths: Option<Vec<AliasPath>>,
}

#[derive(Deserialize)]
struct AliasPath {
    path: String,
    #[serde(default, rename = "apiVersions")]
    api_versions: Vec<String>,
}

impl Catalogue {
    /// The shipped catalogue, parsed on first use.
    pub fn shipped() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| {
            // The file is embedded and checked by tests; failing here is a build defect.
            Catalogue::load(SHIPPED).expect("the embedded alias catalogue is valid")
        })
    }

    /// Parses a catalogue in the `az provider list --expand
    /// resourceTypes/aliases` envelope.
    pub fn load(json: &str) -> Result<Catalogue, String> {
        // The two reads of the same text are independent: run them side by side.
        let (registry, env) = rayon::join(
            || {
                let mut registry = AliasRegistry::new();
                registry
                    .load_from_json(json)
                    .map(|_| registry)
                    .map_err(|e| format!("alias catalogue: {e}"))
            },
            || serde_json::from_str::<Envelope>(json).map_err(|e| format!("alias catalogue: {e}")),
        );
        let (registry, env) = (registry?, env?);
        let mut aliases = HashMap::new();
        let mut legacy = HashMap::new();
        let mut case_trees: HashMap<String, CaseNode> = HashMap::new();
        let mut tracked = HashSet::new();
        for provider in &env.value {
            for rt in &provider.resource_types {
                let type_lc = format!("{}/{}", provider.namespace, rt.resource_type).to_lowercase();
                let caps = rt.capabilities.as_deref().unwrap_or("");
                let has = |c: &str| caps.split(',').any(|x| x.trim().eq_ignore_ascii_case(c));
                if has("SupportsTags") && has("SupportsLocation") {
                    tracked.insert(type_lc.clone());
                }
                let tree = case_trees.entry(type_lc.clone()).or_default();
                // path (lower-case) → the `[*]` alias that reads it
                let mut wildcard_by_path: HashMap<String, &str> = HashMap::new();
                for a in rt.aliases.iter().flatten() {
                    let default_path = match &a.default_path {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(serde_json::Value::Object(o)) => match o.get("path") {
                            Some(serde_json::Value::String(s)) => s.clone(),
                            _ => continue,
                        },
                        _ => continue,
                    };
                    let versioned: Vec<(String, String)> = a
                        .paths
                        .iter()
                        .flatten()
                        .flat_map(|p| p.api_versions.iter().map(|v| (v.clone(), p.path.clone())))
                        .collect();
                    tree.insert(&path_segments(&default_path));
                    for (_, p) in &versioned {
                        tree.insert(&path_segments(p));
                    }
                    if a.name.contains("[*]") {
                        wildcard_by_path.insert(default_path.to_ascii_lowercase(), &a.name);
                    }
                    aliases.insert(
                        a.name.to_ascii_lowercase(),
                        AliasInfo {
                            type_lc: type_lc.clone(),
                            default_path,
                            versioned,
                        },
                    );
                }
                for a in rt.aliases.iter().flatten() {
                    if a.name.contains("[*]") {
                        continue;
                    }
                    let Some(info) = aliases.get(&a.name.to_ascii_lowercase()) else {
                        continue;
                    };
                    if !info.default_path.contains("[*]") {
                        continue;
                    }
                    if let Some(w) = wildcard_by_path.get(&info.default_path.to_ascii_lowercase()) {
                        legacy.insert(a.name.to_ascii_lowercase(), (*w).to_string());
                    }
                }
            }
        }
        Ok(Catalogue {
            registry: regorus::Rc::new(registry),
            aliases,
            legacy,
            case_trees,
            tracked,
        })
    }

    /// Where an alias (full name, any case) points.
    pub fn alias(&self, name: &str) -> Option<&AliasInfo> {
        self.aliases.get(&name.to_ascii_lowercase())
    }

    /// The `[*]` alias that replaces a legacy array alias (no `[*]` in the
    /// name, `[*]` in the path), e.g. `.../logs.enabled` → `.../logs[*].enabled`.
    pub fn legacy_replacement(&self, name: &str) -> Option<&str> {
        self.legacy
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The key tree of a resource type.
    pub fn case_tree(&self, resource_type: &str) -> Option<&CaseNode> {
        self.case_trees.get(&resource_type.to_ascii_lowercase())
    }

    /// Whether the type supports tags and location (is evaluated by `Indexed`
    /// mode); `None` for a type the catalogue does not know.
    pub fn supports_tags_and_location(&self, resource_type: &str) -> Option<bool> {
        let lc = resource_type.to_ascii_lowercase();
        if self.tracked.contains(&lc) {
            Some(true)
        } else if self.case_trees.contains_key(&lc) {
            Some(false)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalogue_loads() {
        let c = Catalogue::shipped();
        assert!(c.registry.len() > 50);
        let pna = c
            .alias("Microsoft.MachineLearningServices/workspaces/publicNetworkAccess")
            .unwrap();
        assert_eq!(pna.type_lc, "microsoft.machinelearningservices/workspaces");
        assert_eq!(pna.path(None), "properties.publicNetworkAccess");
        assert!(c
            .registry
            .alias_modifiable_map()
            .get("microsoft.machinelearningservices/workspaces/publicnetworkaccess")
            .copied()
            .unwrap_or(false));
        let pe = c
            .alias(
                "Microsoft.Network/privateEndpoints/privateLinkServiceConnections[*].groupIds[*]",
            )
            .unwrap();
        assert_eq!(pe.type_lc, "microsoft.network/privateendpoints");
    }

    #[test]
    fn legacy_table_is_derived_from_the_catalogue() {
        let c = Catalogue::shipped();
        assert_eq!(
            c.legacy_replacement("microsoft.insights/diagnosticsettings/LOGS.enabled"),
            Some("Microsoft.Insights/diagnosticSettings/logs[*].enabled")
        );
        assert_eq!(
            c.legacy_replacement("Microsoft.Insights/diagnosticSettings/metrics.enabled"),
            Some("Microsoft.Insights/diagnosticSettings/metrics[*].enabled")
        );
        assert_eq!(c.legacy.len(), 2, "{:?}", c.legacy);
    }

    #[test]
    fn indexed_mode_types() {
        let c = Catalogue::shipped();
        let ml = "Microsoft.MachineLearningServices/";
        for t in [
            "workspaces",
            "workspaces/computes",
            "registries",
            "workspaces/onlineEndpoints",
            "workspaces/batchEndpoints",
            "workspaces/serverlessEndpoints",
        ] {
            assert_eq!(
                c.supports_tags_and_location(&format!("{ml}{t}")),
                Some(true),
                "{t}"
            );
        }
        for t in [
            "workspaces/privateEndpointConnections",
            "workspaces/datastores",
            "workspaces/connections",
            "workspaces/outboundRules",
        ] {
            assert_eq!(
                c.supports_tags_and_location(&format!("{ml}{t}")),
                Some(false),
                "{t}"
            );
        }
        assert_eq!(
            c.supports_tags_and_location("Microsoft.Insights/diagnosticSettings"),
            Some(false)
        );
        assert_eq!(
            c.supports_tags_and_location("Microsoft.Network/privateEndpoints"),
            Some(true)
        );
        assert_eq!(
            c.supports_tags_and_location("Microsoft.Storage/storageAccounts"),
            None
        );
    }

    #[test]
    fn segments() {
        assert_eq!(
            path_segments("properties.logs[*].enabled"),
            vec![
                Seg::Key("properties".into()),
                Seg::Key("logs".into()),
                Seg::Any,
                Seg::Key("enabled".into())
            ]
        );
    }

    /// The committed catalogue is what the generator script produces (skipped,
    /// with a note, where python3 or the PSRule corpus is not available).
    #[test]
    fn committed_catalogue_is_up_to_date() {
        let root = env!("CARGO_MANIFEST_DIR");
        let corpus = std::env::var("AML_BASELINE_PSRULE")
            .unwrap_or_else(|_| format!("{root}/../shared/corpus/psrule/providers"));
        if !std::path::Path::new(&corpus).is_dir() {
            eprintln!("skipped: PSRule corpus not found at {corpus}");
            return;
        }
        let script = format!("{root}/scripts/build-alias-catalogue.py");
        let out = std::process::Command::new("python3")
            .args([script.as_str(), "--check", "--psrule", corpus.as_str()])
            .output();
        match out {
            Ok(o) => assert!(
                o.status.success(),
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => eprintln!("skipped: cannot run python3: {e}"),
        }
    }
}
