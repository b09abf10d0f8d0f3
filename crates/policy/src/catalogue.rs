//! The alias catalogue: regorus' [`AliasRegistry`] plus the host-side tables
//! derived from the same data (legacy array aliases, key casing, alias → ARM
//! path, which types `Indexed` mode covers).
//!
//! The shipped catalogue is `data/aliases/catalogue.json`, generated from
//! PSRule's provider data by `scripts/build-alias-catalogue.py` (a test checks
//! that it is up to date), embedded in the binary with its index
//! (`catalogue-index.tsv`, made by the same script: each type's name,
//! capabilities and place in the catalogue's text), which is all a scan reads
//! up front; each type's aliases are read when that type is first needed.

use crate::normalise::{normalise, EntryIndex};
use aml_model::FastMap as HashMap;
use regorus::languages::azure_policy::aliases::types::{ProviderAliases, ResourceTypeAliases};
use regorus::languages::azure_policy::aliases::AliasRegistry;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};

/// The embedded catalogue text.
const SHIPPED: &str = include_str!("../../../data/aliases/catalogue.json");

/// The embedded catalogue's index: a header line, then per type (in
/// catalogue order) its namespace, name, capabilities and the byte range of
/// its JSON object in [`SHIPPED`], tab-separated.
const SHIPPED_INDEX: &str = include_str!("../../../data/aliases/catalogue-index.tsv");

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
    /// lower-case key → (catalogue key, subtree); looked up for every key
    /// of every resource normalised, so hashed with foldhash.
    pub keys: aml_model::FastMap<String, (String, CaseNode)>,
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

/// The loaded catalogue. Only its index (every type's name and
/// capabilities) is read up front; a type's aliases are read the first time
/// something asks about that type, so a scan pays only for the types it
/// meets (a single workspace reads 2 of the 65 types).
pub(crate) struct Catalogue {
    /// Every type, in catalogue order.
    types: Vec<TypeSlot>,
    /// lower-case type → index in `types`.
    by_type: HashMap<String, usize>,
    /// Registries made for compiling, by the sorted indices of their types.
    compile_registries: Mutex<HashMap<Vec<usize>, Arc<RegistryCell>>>,
}

/// A registry for compiling, made once by the first compile that needs it.
type RegistryCell = OnceLock<regorus::Rc<AliasRegistry>>;

/// One resource type of the catalogue.
struct TypeSlot {
    namespace: String,
    /// `namespace/resourceType`, lower-case.
    name_lc: String,
    /// The type's JSON object, as written in the catalogue: borrowed from the
    /// embedded text (whose copy was most of the heap of a one-file scan),
    /// owned when it comes from a user's export.
    raw: Cow<'static, str>,
    /// Supports tags and location (is evaluated by `Indexed` mode).
    tracked: bool,
    /// What its aliases give (or why they do not read), read on first use.
    entry: OnceLock<Result<TypeEntry, String>>,
}

impl TypeSlot {
    /// A type of namespace `namespace` named `name` (without its namespace),
    /// with its `capabilities` as the catalogue writes them and its JSON.
    fn new(namespace: &str, name: &str, capabilities: &str, raw: Cow<'static, str>) -> TypeSlot {
        let has = |c: &str| {
            capabilities
                .split(',')
                .any(|x| x.trim().eq_ignore_ascii_case(c))
        };
        TypeSlot {
            namespace: namespace.to_string(),
            name_lc: format!("{namespace}/{name}").to_lowercase(),
            raw,
            tracked: has("SupportsTags") && has("SupportsLocation"),
            entry: OnceLock::new(),
        }
    }
}

/// The tables of one type, derived from its aliases.
struct TypeEntry {
    /// regorus' registry holding this type alone (normalisation looks up the
    /// resource's own type only).
    registry: AliasRegistry,
    /// The type as read, for the registries definitions are compiled with.
    source: ResourceTypeAliases,
    /// lower-case alias name → where it points.
    aliases: HashMap<String, AliasInfo>,
    /// lower-case legacy alias name → the `[*]` alias with the same path.
    legacy: HashMap<String, String>,
    /// The key tree.
    case_tree: CaseNode,
    /// The registry's entries by the first segments of their paths, for
    /// normalising with the entries a resource can use.
    index: Option<EntryIndex>,
}

#[derive(Deserialize)]
struct IndexEnvelope<'a> {
    #[serde(borrow)]
    value: Vec<IndexProvider<'a>>,
}

#[derive(Deserialize)]
struct IndexProvider<'a> {
    namespace: String,
    #[serde(borrow, default, rename = "resourceTypes")]
    resource_types: Vec<&'a RawValue>,
}

/// A type's name and capabilities; its aliases are skipped.
#[derive(Deserialize)]
struct TypeHead {
    #[serde(rename = "resourceType")]
    resource_type: String,
    #[serde(default)]
    capabilities: Option<String>,
}

/// The registry of a type the catalogue does not know.
#[cfg(test)]
static EMPTY_REGISTRY: AliasRegistry = AliasRegistry::new();

impl Catalogue {
    /// The shipped catalogue, indexed on first use.
    #[cfg(test)]
    pub fn shipped() -> &'static Catalogue {
        Catalogue::shipped_static()
    }

    fn shipped_static() -> &'static Arc<Catalogue> {
        static CATALOGUE: OnceLock<Arc<Catalogue>> = OnceLock::new();
        CATALOGUE.get_or_init(|| Arc::new(Catalogue::load_shipped()))
    }

    /// The shipped catalogue, shared.
    pub fn shipped_arc() -> Arc<Catalogue> {
        Arc::clone(Catalogue::shipped_static())
    }

    /// The shipped catalogue extended by a user's alias export (`az provider
    /// list --expand resourceTypes/aliases`: an array of providers, or the
    /// same under `value`). A type both hold takes the user's entry (their
    /// export is the newer); the rest of the shipped types stay.
    pub fn extended(user_json: &str) -> Result<Catalogue, String> {
        let trimmed = user_json.trim_start();
        let user = if trimmed.starts_with('[') {
            Catalogue::load(&format!("{{\"value\":{user_json}}}"))?
        } else {
            Catalogue::load(user_json)?
        };
        if user.types.is_empty() {
            return Err("the alias export holds no resource types (expected the output of `az provider list --expand resourceTypes/aliases`)".into());
        }
        // Every type must read: an alias export with a broken type is an
        // error now rather than an unknown alias later.
        for i in 0..user.types.len() {
            user.try_entry(i)?;
        }
        let Catalogue {
            mut types,
            by_type: users,
            ..
        } = user;
        types.extend(
            Catalogue::load_shipped()
                .types
                .into_iter()
                .filter(|slot| !users.contains_key(&slot.name_lc)),
        );
        Ok(Catalogue::of_types(types))
    }

    /// Indexes a catalogue in the `az provider list --expand
    /// resourceTypes/aliases` envelope. A type's aliases are checked when
    /// first read ([`Catalogue::check_all`] reads them all).
    pub fn load(json: &str) -> Result<Catalogue, String> {
        Catalogue::index(json, |raw| Cow::Owned(raw.get().to_string()))
    }

    /// The embedded catalogue, found through its index (the types' JSON
    /// borrowed, not copied, and not read until a type is needed); indexed
    /// by parsing it whole if the index does not fit it (a build defect the
    /// tests catch).
    fn load_shipped() -> Catalogue {
        Catalogue::from_index(SHIPPED, SHIPPED_INDEX).unwrap_or_else(|| {
            Catalogue::index(SHIPPED, |raw| Cow::Borrowed(raw.get()))
                .expect("the embedded alias catalogue is valid")
        })
    }

    /// The types `index` lists, each borrowed from `json` where the index
    /// places it; `None` when a line does not fit (wrong field count, a
    /// range outside the text or not around a type's object).
    fn from_index(json: &'static str, index: &str) -> Option<Catalogue> {
        let mut types = Vec::new();
        for line in index.lines().skip(1) {
            let mut fields = line.split('\t');
            let (namespace, name, capabilities, start, end) = (
                fields.next()?,
                fields.next()?,
                fields.next()?,
                fields.next()?.parse::<usize>().ok()?,
                fields.next()?.parse::<usize>().ok()?,
            );
            let raw = json.get(start..end)?;
            if fields.next().is_some()
                || !raw.starts_with("{\"resourceType\":")
                || !raw.ends_with('}')
            {
                return None;
            }
            types.push(TypeSlot::new(
                namespace,
                name,
                capabilities,
                Cow::Borrowed(raw),
            ));
        }
        Some(Catalogue::of_types(types))
    }

    /// A catalogue of `types`, in that order; a type listed twice keeps its
    /// first entry.
    fn of_types(types: Vec<TypeSlot>) -> Catalogue {
        let mut by_type = HashMap::default();
        for (i, slot) in types.iter().enumerate() {
            by_type.entry(slot.name_lc.clone()).or_insert(i);
        }
        Catalogue {
            types,
            by_type,
            compile_registries: Mutex::new(HashMap::default()),
        }
    }

    /// Indexes `json`, each type's JSON kept as `keep` makes it.
    fn index<'a>(
        json: &'a str,
        keep: impl Fn(&'a RawValue) -> Cow<'static, str>,
    ) -> Result<Catalogue, String> {
        let env: IndexEnvelope =
            serde_json::from_str(json).map_err(|e| format!("alias catalogue: {e}"))?;
        let mut types = Vec::new();
        for provider in env.value {
            for raw in provider.resource_types {
                let head: TypeHead =
                    serde_json::from_str(raw.get()).map_err(|e| format!("alias catalogue: {e}"))?;
                types.push(TypeSlot::new(
                    &provider.namespace,
                    &head.resource_type,
                    head.capabilities.as_deref().unwrap_or(""),
                    keep(raw),
                ));
            }
        }
        Ok(Catalogue::of_types(types))
    }

    /// Reads every type's aliases now; the first problem found, if any.
    #[cfg(test)]
    pub fn check_all(&self) -> Result<(), String> {
        (0..self.types.len()).try_for_each(|i| self.try_entry(i).map(|_| ()))
    }

    /// Number of types.
    #[cfg(test)]
    pub fn type_count(&self) -> usize {
        self.types.len()
    }

    fn type_index(&self, resource_type: &str) -> Option<usize> {
        self.by_type
            .get(&resource_type.to_ascii_lowercase())
            .copied()
    }

    /// The type an alias belongs to: the longest catalogue type that, with a
    /// `/`, starts the alias name (a test checks this holds for every alias).
    fn owner(&self, alias_name: &str) -> Option<usize> {
        let lc = alias_name.to_ascii_lowercase();
        let mut end = lc.len();
        while let Some(slash) = lc[..end].rfind('/') {
            if let Some(i) = self.by_type.get(&lc[..slash]) {
                return Some(*i);
            }
            end = slash;
        }
        None
    }

    fn entry(&self, index: usize) -> Option<&TypeEntry> {
        self.try_entry(index).ok()
    }

    fn try_entry(&self, index: usize) -> Result<&TypeEntry, String> {
        // Built inside the lock: a second thread asking for the same type
        // waits for the first instead of building it too (two workers
        // compiling definitions that name the same type did).
        self.types[index]
            .entry
            .get_or_init(|| build_entry(&self.types[index]))
            .as_ref()
            .map_err(String::clone)
    }

    /// Where an alias (full name, any case) points.
    pub fn alias(&self, name: &str) -> Option<&AliasInfo> {
        let entry = self.entry(self.owner(name)?)?;
        entry.aliases.get(&name.to_ascii_lowercase())
    }

    /// The `[*]` alias that replaces a legacy array alias (no `[*]` in the
    /// name, `[*]` in the path), e.g. `.../logs.enabled` → `.../logs[*].enabled`.
    pub fn legacy_replacement(&self, name: &str) -> Option<&str> {
        let entry = self.entry(self.owner(name)?)?;
        entry
            .legacy
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The key tree of a resource type.
    pub fn case_tree(&self, resource_type: &str) -> Option<&CaseNode> {
        Some(&self.entry(self.type_index(resource_type)?)?.case_tree)
    }

    /// regorus' registry for normalising a resource of this type (empty for
    /// a type the catalogue does not know).
    #[cfg(test)]
    pub fn registry_for(&self, resource_type: &str) -> &AliasRegistry {
        self.type_index(resource_type)
            .and_then(|i| self.entry(i))
            .map_or(&EMPTY_REGISTRY, |e| &e.registry)
    }

    /// regorus' normalisation of `raw`, a resource of `resource_type` as
    /// regorus reads it (its `type` field is `resource_type`), through the
    /// alias entries its keys can reach ([`crate::normalise`]): the same
    /// result as `normalize` with [`Catalogue::registry_for`].
    pub(crate) fn normalise(
        &self,
        raw: &regorus::Value,
        resource_type: &str,
        api_version: Option<&str>,
    ) -> regorus::Value {
        let entry = self.type_index(resource_type).and_then(|i| self.entry(i));
        let tables = entry.and_then(|e| Some((e.registry.get(resource_type)?, e.index.as_ref()?)));
        normalise(raw, tables, api_version)
    }

    /// A registry for compiling a definition: every type that owns an alias
    /// named in `definition` (any string in it). regorus treats a field as
    /// an alias to resolve only when its registry is not empty, so a
    /// definition that names no alias still gets one type: unknown aliases
    /// stay errors, as with the whole catalogue loaded.
    pub fn compile_registry(&self, definition: &serde_json::Value) -> regorus::Rc<AliasRegistry> {
        let mut owners = BTreeSet::new();
        let mut stack = vec![definition];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::String(s) => owners.extend(self.owner(s)),
                serde_json::Value::Array(items) => stack.extend(items),
                serde_json::Value::Object(o) => {
                    stack.extend(o.values());
                    owners.extend(o.keys().filter_map(|k| self.owner(k)));
                }
                _ => {}
            }
        }
        if owners.is_empty() && !self.types.is_empty() {
            owners.insert(0);
        }
        let key: Vec<usize> = owners.into_iter().collect();
        // The key's cell, taken under the lock; the registry is made in the
        // cell, outside it: a second compile of the same types waits for the
        // first instead of making it too.
        let cell = match self.compile_registries.lock() {
            Ok(mut made) => Arc::clone(made.entry(key.clone()).or_default()),
            Err(_) => Arc::default(),
        };
        let registry = cell.get_or_init(|| {
            // The first type that reads gives its own registry (its entry
            // loaded it so), copied; the others are loaded into it. A type
            // that does not read is left out: its aliases are then unknown
            // everywhere.
            let mut registry: Option<AliasRegistry> = None;
            for &i in &key {
                if let Some(e) = self.entry(i) {
                    match registry.as_mut() {
                        None => registry = Some(e.registry.clone()),
                        Some(r) => r.load_provider(provider(&self.types[i], e.source.clone())),
                    }
                }
            }
            regorus::Rc::new(registry.unwrap_or_default())
        });
        regorus::Rc::clone(registry)
    }

    /// Whether the type supports tags and location (is evaluated by `Indexed`
    /// mode); `None` for a type the catalogue does not know.
    pub fn supports_tags_and_location(&self, resource_type: &str) -> Option<bool> {
        self.type_index(resource_type)
            .map(|i| self.types[i].tracked)
    }
}

/// Reads a type's aliases (once, with regorus' own types) into its tables.
fn build_entry(slot: &TypeSlot) -> Result<TypeEntry, String> {
    let source: ResourceTypeAliases =
        serde_json::from_str(&slot.raw).map_err(|e| format!("alias catalogue: {e}"))?;
    let type_lc = format!("{}/{}", slot.namespace, source.resource_type).to_lowercase();
    let mut aliases = HashMap::default();
    let mut legacy = HashMap::default();
    let mut case_tree = CaseNode::default();
    // path (lower-case) → the `[*]` alias that reads it
    let mut wildcard_by_path: HashMap<String, &str> = HashMap::default();
    for a in &source.aliases {
        let Some(default_path) = a.default_path.clone() else {
            continue;
        };
        let versioned: Vec<(String, String)> = a
            .paths
            .iter()
            .flat_map(|p| p.api_versions.iter().map(|v| (v.clone(), p.path.clone())))
            .collect();
        case_tree.insert(&path_segments(&default_path));
        for (_, p) in &versioned {
            case_tree.insert(&path_segments(p));
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
    for a in &source.aliases {
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
    let mut registry = AliasRegistry::new();
    registry.load_provider(provider(slot, source.clone()));
    let index = registry.get(&type_lc).map(EntryIndex::new);
    Ok(TypeEntry {
        registry,
        source,
        aliases,
        legacy,
        case_tree,
        index,
    })
}

/// `resource_type` as regorus loads it: its provider with this one type.
fn provider(slot: &TypeSlot, resource_type: ResourceTypeAliases) -> ProviderAliases {
    ProviderAliases {
        namespace: slot.namespace.clone(),
        resource_types: vec![resource_type],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_index_finds_what_parsing_the_catalogue_finds() {
        let indexed = Catalogue::from_index(SHIPPED, SHIPPED_INDEX).expect(
            "catalogue-index.tsv fits catalogue.json (run scripts/build-alias-catalogue.py)",
        );
        let parsed = Catalogue::index(SHIPPED, |raw| Cow::Borrowed(raw.get())).unwrap();
        assert_eq!(indexed.types.len(), parsed.types.len());
        for (a, b) in indexed.types.iter().zip(&parsed.types) {
            assert_eq!(
                (&a.namespace, &a.name_lc, a.tracked, &a.raw),
                (&b.namespace, &b.name_lc, b.tracked, &b.raw)
            );
        }
        let mut a: Vec<_> = indexed.by_type.iter().collect();
        let mut b: Vec<_> = parsed.by_type.iter().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        // What the index gives is what a scan reads: every type's aliases.
        indexed.check_all().unwrap();
    }

    #[test]
    fn an_index_that_does_not_fit_the_text_is_refused() {
        let header = "namespace\tresourceType\tcapabilities\tstart\tend\n";
        let good = SHIPPED_INDEX.lines().nth(1).unwrap();
        let fields: Vec<&str> = good.split('\t').collect();
        let start: usize = fields[3].parse().unwrap();
        let end: usize = fields[4].parse().unwrap();
        let line = |start: usize, end: usize| {
            format!(
                "{}\t{}\t{}\t{start}\t{end}\n",
                fields[0], fields[1], fields[2]
            )
        };
        assert!(Catalogue::from_index(SHIPPED, &format!("{header}{good}\n")).is_some());
        for broken in [
            line(start + 1, end),
            line(start, end - 1),
            line(start, SHIPPED.len() + 1),
            line(end, start),
            format!("{}\t{}\n", fields[0], fields[1]),
            format!("{good}\textra\n"),
            format!("{}\t{}\t{}\tzero\t{end}\n", fields[0], fields[1], fields[2]),
        ] {
            assert!(
                Catalogue::from_index(SHIPPED, &format!("{header}{broken}")).is_none(),
                "{broken}"
            );
        }
        // The shipped catalogue still loads whole, then.
        assert_eq!(
            Catalogue::load_shipped().types.len(),
            SHIPPED_INDEX.lines().count() - 1
        );
    }

    #[test]
    fn shipped_types_borrow_the_embedded_text_and_a_users_own_theirs() {
        let shipped = Catalogue::shipped();
        assert!(shipped
            .types
            .iter()
            .all(|t| matches!(t.raw, Cow::Borrowed(_))));
        let user = r#"[{"namespace": "Contoso.Widgets", "resourceTypes": [
            {"resourceType": "gadgets", "capabilities": "SupportsTags, SupportsLocation",
             "aliases": [{"name": "Contoso.Widgets/gadgets/colour",
                          "defaultPath": "properties.colour", "paths": []}]}]}]"#;
        let extended = Catalogue::extended(user).unwrap();
        let gadgets = extended.type_index("contoso.widgets/GADGETS").unwrap();
        assert!(matches!(extended.types[gadgets].raw, Cow::Owned(_)));
        assert_eq!(
            extended
                .alias("Contoso.Widgets/gadgets/colour")
                .map(|a| a.path(None)),
            Some("properties.colour")
        );
        assert_eq!(
            extended.supports_tags_and_location("Contoso.Widgets/gadgets"),
            Some(true)
        );
        // The shipped types are still there, borrowed.
        let ws = extended
            .type_index("Microsoft.MachineLearningServices/workspaces")
            .unwrap();
        assert!(matches!(extended.types[ws].raw, Cow::Borrowed(_)));
        assert_eq!(extended.types.len(), shipped.types.len() + 1);
    }

    #[test]
    fn shipped_catalogue_loads() {
        let c = Catalogue::shipped();
        assert!(c.type_count() > 50);
        c.check_all().unwrap();
        let pna = c
            .alias("Microsoft.MachineLearningServices/workspaces/publicNetworkAccess")
            .unwrap();
        assert_eq!(pna.type_lc, "microsoft.machinelearningservices/workspaces");
        assert_eq!(pna.path(None), "properties.publicNetworkAccess");
        assert!(c
            .registry_for("Microsoft.MachineLearningServices/Workspaces")
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

    /// Sets `path` (dotted, `x[*]` for every member of array `x`) in `v`
    /// to `value`, making objects and one-member arrays on the way.
    fn set_path(v: &mut serde_json::Value, path: &str, value: serde_json::Value) {
        let mut here = v;
        let segments: Vec<&str> = path.split('.').collect();
        for (i, seg) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            let (key, array) = match seg.strip_suffix("[*]") {
                Some(k) => (k, true),
                None => (*seg, false),
            };
            if !here.is_object() {
                *here = serde_json::json!({});
            }
            let slot = here
                .as_object_mut()
                .unwrap()
                .entry(key.to_string())
                .or_insert(serde_json::Value::Null);
            here = if array {
                if !slot.is_array() {
                    *slot = serde_json::json!([{}]);
                }
                &mut slot.as_array_mut().unwrap()[0]
            } else {
                slot
            };
            if last {
                *here = value.clone();
            }
        }
    }

    use regorus::languages::azure_policy::aliases::types::ResolvedAliases;

    /// Every shipped type with its alias table, by its full name.
    fn shipped_tables(c: &Catalogue) -> Vec<(String, &ResolvedAliases)> {
        (0..c.types.len())
            .filter_map(|i| {
                let entry = c.entry(i)?;
                let ty = format!("{}/{}", c.types[i].namespace, entry.source.resource_type);
                let table = entry.registry.get(&ty)?;
                Some((ty, table))
            })
            .collect()
    }

    /// No API version, then up to `most - 1` of the versions `table`'s paths name.
    fn versions_of(table: &ResolvedAliases, most: usize) -> Vec<Option<&str>> {
        let mut versions: Vec<Option<&str>> = vec![None];
        for e in table.entries.values() {
            for (v, _) in &e.versioned_paths {
                if !versions.contains(&Some(v.as_str())) && versions.len() < most {
                    versions.push(Some(v.as_str()));
                }
            }
        }
        versions
    }

    /// Sets every `step`-th alias path of `table` (each of its paths) in
    /// `body` to a value naming the entry and the path.
    fn set_alias_paths(body: &mut serde_json::Value, table: &ResolvedAliases, step: usize) {
        for (n, e) in table.entries.values().enumerate().step_by(step) {
            let paths =
                std::iter::once(&e.default_path).chain(e.versioned_paths.iter().map(|(_, p)| p));
            for (k, p) in paths.enumerate() {
                set_path(body, p, serde_json::json!(format!("v{n}-{k}")));
            }
        }
    }

    /// Normalising through the entries a resource's keys select gives what
    /// regorus gives with every entry of the type: every shipped type, a
    /// resource setting every alias path (and one setting every third), with
    /// no API version and with each version the type's paths name.
    #[test]
    fn pruned_normalisation_is_regorus_normalisation() {
        use regorus::languages::azure_policy::aliases::normalizer::normalize;
        let c = Catalogue::shipped();
        let mut compared = 0;
        for (ty, table) in shipped_tables(c) {
            let versions = versions_of(table, 6);
            for step in [1, 3] {
                let mut body = serde_json::json!({"location": "westeurope", "tags": {"A": "b"}});
                set_alias_paths(&mut body, table, step);
                body["type"] = serde_json::json!(ty);
                let raw = regorus::Value::from(body);
                for api in &versions {
                    let expected = normalize(&raw, Some(c.registry_for(&ty)), *api);
                    // Twice: the second finds the pruned table kept.
                    for _ in 0..2 {
                        assert_eq!(c.normalise(&raw, &ty, *api), expected, "{ty} {api:?}");
                    }
                    compared += 1;
                }
            }
        }
        assert!(compared > 100, "{compared}");
    }

    /// A deterministic variant of `v` for comparing normalisers: keys in
    /// other cases, a second spelling of some keys (with another value),
    /// and objects and sub-resource-shaped arrays in place of some strings.
    fn mutate(v: &serde_json::Value, seed: &mut u64) -> serde_json::Value {
        fn next(seed: &mut u64) -> u64 {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed
        }
        match v {
            serde_json::Value::Object(o) => {
                let mut out = serde_json::Map::new();
                for (k, x) in o {
                    let r = next(seed) % 8;
                    let key = match r {
                        0 => k.to_ascii_uppercase(),
                        1 => k
                            .char_indices()
                            .map(|(i, c)| if i == 0 { c.to_ascii_uppercase() } else { c })
                            .collect(),
                        _ => k.clone(),
                    };
                    out.insert(key.clone(), mutate(x, seed));
                    let other = k.to_ascii_uppercase();
                    if r == 2 && other != key {
                        out.insert(other, serde_json::json!({"Other": "spelling"}));
                    }
                }
                serde_json::Value::Object(out)
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(|x| mutate(x, seed)).collect())
            }
            serde_json::Value::String(s) => match next(seed) % 6 {
                0 => serde_json::json!([{"Name": s, "properties": {"Inner": s, "name": "dup"}}, 1]),
                1 => serde_json::json!({"A": s, "a": 1, "Deep": {"B": [{"C": s}]}}),
                _ => v.clone(),
            },
            _ => v.clone(),
        }
    }

    /// `direct` normalisation of `raw` against regorus' normaliser with the
    /// whole table; whether `direct` took it.
    fn compare_direct(
        c: &Catalogue,
        ty: &str,
        raw: &serde_json::Value,
        api: Option<&str>,
    ) -> Option<bool> {
        use regorus::languages::azure_policy::aliases::normalizer::normalize_with_aliases;
        let entry = c.entry(c.type_index(ty)?)?;
        let table = entry.registry.get(ty)?;
        let index = entry.index.as_ref()?;
        let raw = regorus::Value::from(raw.clone());
        let expected = normalize_with_aliases(&raw, Some(table), api);
        let direct = index.direct(table, &raw, api);
        if let Some(got) = &direct {
            assert_eq!(got, &expected, "{ty} {api:?}\n{raw:?}");
        }
        assert_eq!(c.normalise(&raw, ty, api), expected, "{ty} {api:?}");
        Some(direct.is_some())
    }

    /// The direct normalisation is regorus' on every shipped type: a
    /// resource setting every alias path (and every third), root fields,
    /// every sub-resource array, each variant of [`mutate`], with no API
    /// version and each version the type's paths name.
    #[test]
    fn direct_normalisation_is_regorus_normalisation() {
        let c = Catalogue::shipped();
        let (mut compared, mut direct) = (0, 0);
        for (ty, table) in shipped_tables(c) {
            let versions = versions_of(table, 4);
            for step in [1, 3] {
                let mut body = serde_json::json!({
                    "location": "westeurope",
                    "kind": "K",
                    "managedBy": "m",
                    "zones": ["1"],
                    "sku": {"Name": "S", "tier": "T"},
                    "tags": {"A": "b", "Inner": {"X": 1}},
                    "identity": {"Type": "UserAssigned", "userAssignedIdentities": {"/Sub/Id": {"PrincipalId": "p"}}},
                    "plan": {"Name": "p"},
                    "etag": "e",
                    "apiVersion": "2024-04-01",
                    "fullName": "ws/x",
                    "systemData": {"createdBy": "me"},
                    "extendedLocation": {"Type": "EdgeZone", "name": "z"},
                    "Properties": {"Extra": {"Y": [1, {"Z": 2}]}}
                });
                set_alias_paths(&mut body, table, step);
                // The arrays an API version renames, as properties.
                let renamed = std::iter::once(&table.default_aggregates)
                    .chain(table.versioned_aggregates.values())
                    .flat_map(|a| &a.array_renames_normalize);
                for (source, _) in renamed {
                    body["properties"][source.as_str()] = serde_json::json!([{"Renamed": source}]);
                }
                for name in &table.sub_resource_arrays {
                    body["properties"][name.as_str()] = serde_json::json!([
                        {"Name": "n", "properties": {"A": 1, "name": "dup", "Nested": [{"properties": {"B": 2}}]}},
                        "plain"
                    ]);
                }
                body["type"] = serde_json::json!(ty);
                for seed in 0..4u64 {
                    let raw = if seed == 0 {
                        body.clone()
                    } else {
                        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                        let mut m = mutate(&body, &mut s);
                        m["type"] = serde_json::json!(ty);
                        m
                    };
                    for api in &versions {
                        compared += 1;
                        direct += usize::from(compare_direct(c, &ty, &raw, *api).unwrap());
                    }
                }
            }
        }
        assert!(compared > 400, "{compared}");
        assert!(
            direct * 2 > compared,
            "{direct} of {compared} taken directly"
        );
    }

    /// The direct normalisation is regorus' where each element remap and
    /// array rename of the shipped types has something to move: arrays
    /// along each remap's chain (under `properties`) whose elements hold its
    /// (dotted) source field, and each renamed array with and without a
    /// member already spelled as its new name.
    #[test]
    fn direct_normalisation_of_remapped_and_renamed_arrays() {
        fn along(chain: &[Vec<String>], source: &str) -> serde_json::Value {
            let Some((nav, rest)) = chain.split_first() else {
                let mut element = serde_json::json!({"Keep": 1});
                set_path(&mut element, source, serde_json::json!({"Moved": source}));
                return element;
            };
            let mut at = serde_json::json!({});
            set_path(
                &mut at,
                &nav.join("."),
                serde_json::json!([along(rest, source), "scalar", along(rest, source)]),
            );
            at
        }
        let c = Catalogue::shipped();
        let (mut remaps, mut renames) = (0, 0);
        for (ty, table) in shipped_tables(c) {
            let aggregates = std::iter::once((None, &table.default_aggregates)).chain(
                table
                    .versioned_aggregates
                    .iter()
                    .map(|(v, a)| (Some(v.as_str()), a)),
            );
            for (api, aggregates) in aggregates {
                for remap in &aggregates.element_remaps {
                    let body = serde_json::json!({"type": ty, "properties": along(&remap.array_chain, &remap.source_field)});
                    remaps += 1;
                    assert_eq!(compare_direct(c, &ty, &body, api), Some(true));
                }
                for (source, target) in &aggregates.array_renames_normalize {
                    let mut body = serde_json::json!({"type": ty, "properties": {}});
                    body["properties"][source.as_str()] = serde_json::json!([{"A": 1}]);
                    renames += 1;
                    assert_eq!(compare_direct(c, &ty, &body, api), Some(true));
                    body["properties"][target.as_str()] = serde_json::json!("there already");
                    assert_eq!(compare_direct(c, &ty, &body, api), Some(true));
                }
            }
        }
        assert!(
            remaps > 50 && renames > 20,
            "{remaps} remaps, {renames} renames"
        );
    }

    /// The direct normalisation is regorus' on every resource of the shared
    /// corpora's JSON (ARM templates, live exports) and the fixtures whose
    /// type the catalogue knows, as written and varied by [`mutate`].
    #[test]
    fn direct_normalisation_on_the_corpora() {
        fn files(dir: &std::path::Path, depth: usize, out: &mut Vec<std::path::PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() && depth < 12 {
                    files(&p, depth + 1, out);
                } else if p.extension().is_some_and(|x| x == "json")
                    && e.metadata().is_ok_and(|m| m.len() < 8_000_000)
                {
                    out.push(p);
                }
            }
        }
        fn resources<'v>(v: &'v serde_json::Value, out: &mut Vec<&'v serde_json::Value>) {
            match v {
                serde_json::Value::Object(o) => {
                    if o.get("type")
                        .is_some_and(|t| t.as_str().is_some_and(|t| t.contains('/')))
                    {
                        out.push(v);
                    }
                    o.values().for_each(|x| resources(x, out));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|x| resources(x, out)),
                _ => {}
            }
        }
        let root = crate::test_support::repository_root();
        let mut paths = Vec::new();
        for dir in [
            "../shared/corpus/realworld",
            "../shared/corpus/wild",
            "tests/fixtures",
            "examples",
        ] {
            files(&std::path::Path::new(root).join(dir), 0, &mut paths);
        }
        paths.sort();
        let c = Catalogue::shipped();
        let (mut compared, mut direct) = (0, 0);
        for path in &paths {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            let mut found = Vec::new();
            resources(&json, &mut found);
            for (n, r) in found.into_iter().enumerate() {
                let ty = r["type"].as_str().unwrap_or_default();
                let api = r.get("apiVersion").and_then(|a| a.as_str());
                let mut seed = (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                let mut varied = mutate(r, &mut seed);
                varied["type"] = serde_json::json!(ty);
                for raw in [r, &varied] {
                    for api in [None, api] {
                        if let Some(d) = compare_direct(c, ty, raw, api) {
                            compared += 1;
                            direct += usize::from(d);
                        }
                    }
                }
            }
        }
        eprintln!(
            "{} files, {compared} normalisations compared, {direct} direct",
            paths.len()
        );
        assert!(compared > 200, "{compared}");
        assert!(
            direct * 2 > compared,
            "{direct} of {compared} taken directly"
        );
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
        c.check_all().unwrap();
        let legacy: Vec<&String> = c
            .types
            .iter()
            .filter_map(|t| t.entry.get()?.as_ref().ok())
            .flat_map(|e| e.legacy.keys())
            .collect();
        assert_eq!(legacy.len(), 2, "{legacy:?}");
    }

    /// Aliases are found by their name's longest type prefix: true of every
    /// alias of the shipped catalogue.
    #[test]
    fn every_alias_belongs_to_its_longest_type_prefix() {
        let c = Catalogue::shipped();
        c.check_all().unwrap();
        let mut count = 0;
        for i in 0..c.types.len() {
            for (name, info) in &c.entry(i).unwrap().aliases {
                assert_eq!(c.owner(name), Some(i), "{name}");
                assert_eq!(c.entry(i).unwrap().aliases[name].type_lc, info.type_lc);
                count += 1;
            }
        }
        assert!(count > 4000, "{count}");
        assert_eq!(c.owner("Microsoft.Storage/storageAccounts/x"), None);
    }

    /// A definition's compile registry holds the types its aliases belong to,
    /// and one type when it names none.
    #[test]
    fn compile_registries_hold_the_named_types() {
        let c = Catalogue::shipped();
        let def = serde_json::json!({"if": {"allOf": [
            {"field": "type", "equals": "Microsoft.MachineLearningServices/workspaces/computes"},
            {"field": "Microsoft.MachineLearningServices/workspaces/computes/disableLocalAuth", "equals": false},
            {"count": {"field": "Microsoft.Insights/diagnosticSettings/logs[*]"}, "greater": 0}
        ]}});
        let r = c.compile_registry(&def);
        let map = r.alias_map();
        assert!(map.contains_key(
            "microsoft.machinelearningservices/workspaces/computes/disablelocalauth"
        ));
        assert!(map.contains_key("microsoft.insights/diagnosticsettings/logs[*]"));
        let logs = c.compile_registry(&serde_json::json!({"if": {
            "field": "Microsoft.Insights/diagnosticSettings/logs.enabled", "equals": true}}));
        assert!(!logs
            .alias_map()
            .contains_key("microsoft.machinelearningservices/workspaces/publicnetworkaccess"));
        let none = c.compile_registry(&serde_json::json!({"if": {"field": "name", "equals": "x"}}));
        assert!(!none.alias_map().is_empty());
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
        let root = crate::test_support::repository_root();
        let corpus = std::env::var("AML_BASELINE_PSRULE")
            .unwrap_or_else(|_| format!("{root}/../shared/corpus/psrule/providers"));
        crate::test_support::generated_data_is_up_to_date(
            "build-alias-catalogue.py",
            "--psrule",
            &corpus,
        );
    }
}
