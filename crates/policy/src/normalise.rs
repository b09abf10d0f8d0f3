//! Normalising a resource through only the alias entries that find a value
//! in it (decision 0046).
//!
//! regorus' normaliser tries every alias entry of the resource's type: it
//! walks each entry's ARM path into the resource and, when the path leads to
//! a value, writes that value at the alias' short name. A type has up to
//! hundreds of aliases and a resource sets a few dozen properties, so most
//! walks stop early, and the walks were the largest part of normalising.
//!
//! An entry whose path leads to nothing changes nothing. So each type's
//! entries are kept in a tree of their paths' segments (default and per API
//! version); one walk of the resource along that tree finds the entries
//! whose paths lead to a value, and the resource is normalised with those
//! entries (in the registry's order) and the type's other tables
//! (sub-resource arrays, element remaps, array renames for the resource's
//! API version) unchanged: the same result as with every entry. Wildcard and
//! sub-resource-array entries, which the normaliser skips, are left out.
//! Pruned tables are kept per set of entries and API version, a bounded
//! number per type.
//!
//! Most resources take a shorter way still ([`EntryIndex::direct`]): the
//! same transformation written straight into regorus' `Object`s, with the
//! entries' paths and targets split once when the index is made. regorus
//! builds each object of the result in a hash map of freshly allocated keys,
//! formats every key's dotted path as it descends, then copies the map into
//! an `Object`; here a key already in lower case is shared, not copied, and
//! paths are followed only when the type has sub-resource arrays; element
//! remaps and array renames are split into keys once per API version. A
//! data-plane type keeps regorus' normaliser. Tests compare the two on
//! every shipped type, its remaps and renames, and the resources of the
//! corpora.

use regorus::languages::azure_policy::aliases::normalizer::normalize_with_aliases;
use regorus::languages::azure_policy::aliases::types::{
    ResolvedAliases, ResolvedEntry, VersionedAggregates,
};
use regorus::Value as RValue;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// Most pruned tables kept per type; past this a resource whose set of
/// entries is new is normalised with every entry (the same result, slower).
const MAX_PRUNED_PER_TYPE: usize = 64;

/// One segment of the alias paths of a type.
#[derive(Default)]
struct PathNode {
    /// Entries whose path ends here.
    ends: Vec<u32>,
    /// The next segments.
    next: aml_model::FastMap<String, PathNode>,
}

/// Pruned tables, by the lower-case API version and the sorted positions of
/// their entries.
type Kept = HashMap<(Option<String>, Vec<u32>), Arc<ResolvedAliases>>;

/// A type's alias entries in a tree of their ARM paths.
pub(crate) struct EntryIndex {
    /// Entry keys (lower-case short names) in the registry's order.
    keys: Vec<String>,
    /// Each entry's paths and target, split (same order as `keys`).
    split: Vec<SplitEntry>,
    root: PathNode,
    pruned: Mutex<Kept>,
    /// Element remaps and array renames as keys, by the address of the
    /// table's aggregates they come from.
    moves: Mutex<HashMap<usize, Arc<Moves>>>,
}

/// An alias entry's ARM paths and the place its value goes, as regorus keys.
struct SplitEntry {
    /// The default path's segments.
    default_path: Vec<RValue>,
    /// Per API version (as the catalogue spells it), that version's path.
    versioned: Vec<(String, Vec<RValue>)>,
    /// The lower-case segments of where the value is written: one for a
    /// top-level key, more for a dotted short name (or a short name that is
    /// a root field, written under `_p_`).
    target: Vec<RValue>,
}

impl SplitEntry {
    fn new(entry: &ResolvedEntry) -> SplitEntry {
        let segments = |path: &str| -> Vec<RValue> { path.split('.').map(RValue::from).collect() };
        let short = entry.short_name.as_str();
        let target = if is_root_field_collision(short, &entry.default_path) {
            format!("_p_{}", short.to_ascii_lowercase())
        } else {
            short.to_ascii_lowercase()
        };
        SplitEntry {
            default_path: segments(&entry.default_path),
            versioned: entry
                .versioned_paths
                .iter()
                .map(|(v, p)| (v.clone(), segments(p)))
                .collect(),
            target: target.split('.').map(RValue::from).collect(),
        }
    }

    /// The path regorus reads for `api_version`: the first versioned path
    /// whose version matches (ASCII case ignored), else the default.
    fn path(&self, api_version: Option<&str>) -> &[RValue] {
        api_version
            .and_then(|ver| {
                self.versioned
                    .iter()
                    .find(|(v, _)| v.eq_ignore_ascii_case(ver))
            })
            .map_or(&self.default_path, |(_, p)| p)
    }
}

/// A type's element remaps and array renames for one API version, with
/// their paths split into regorus keys.
struct Moves {
    remaps: Vec<Remap>,
    /// The distinct first keys of the remaps' chains.
    firsts: Vec<RValue>,
    /// `(source, target)` top-level keys.
    renames: Vec<(RValue, RValue)>,
}

/// An element remap: in each element the arrays of `chain` lead to, the
/// value at `source` moves to `target`.
struct Remap {
    /// The place of `chain`'s first key in [`Moves::firsts`].
    first: usize,
    /// Each level's keys to the next array.
    chain: Vec<Vec<RValue>>,
    /// The source field's segments, as written.
    source: Vec<RValue>,
    /// The target's segments: one key as written, or a dotted path's
    /// segments in lower case (as regorus writes each).
    target: Vec<RValue>,
}

impl Moves {
    fn new(aggregates: &VersionedAggregates) -> Moves {
        let keys = |path: &[String]| -> Vec<RValue> {
            path.iter().map(|s| RValue::from(s.as_str())).collect()
        };
        let mut firsts: Vec<RValue> = Vec::new();
        let remaps = aggregates
            .element_remaps
            .iter()
            .map(|r| Remap {
                first: r.array_chain.first().and_then(|nav| nav.first()).map_or(
                    usize::MAX,
                    |first| {
                        let first = RValue::from(first.as_str());
                        firsts.iter().position(|f| *f == first).unwrap_or_else(|| {
                            firsts.push(first);
                            firsts.len() - 1
                        })
                    },
                ),
                chain: r.array_chain.iter().map(|nav| keys(nav)).collect(),
                source: r.source_field.split('.').map(RValue::from).collect(),
                target: if r.target_field.contains('.') {
                    r.target_field
                        .split('.')
                        .map(|s| RValue::from(s.to_ascii_lowercase()))
                        .collect()
                } else {
                    vec![RValue::from(r.target_field.as_str())]
                },
            })
            .collect();
        let renames = aggregates
            .array_renames_normalize
            .iter()
            .map(|(s, t)| (RValue::from(s.as_str()), RValue::from(t.as_str())))
            .collect();
        Moves {
            remaps,
            firsts,
            renames,
        }
    }
}

/// The fields regorus' normaliser keeps at the resource's root (its
/// `ROOT_FIELDS`, in its order; the tests set each in resources normalised
/// both ways).
const ROOT_FIELDS: &[&str] = &[
    "name",
    "type",
    "location",
    "kind",
    "id",
    "tags",
    "identity",
    "sku",
    "plan",
    "zones",
    "managedBy",
    "etag",
    "apiVersion",
    "fullName",
    "systemData",
    "extendedLocation",
];

/// The place of `type` in [`ROOT_FIELDS`].
const TYPE_FIELD: usize = 1;

/// Whether an alias' short name is a root field while its path is under
/// `properties.`: regorus then writes it under `_p_` and the short name.
fn is_root_field_collision(short_name: &str, default_path: &str) -> bool {
    const PROPERTIES_DOT: &str = "properties.";
    ROOT_FIELDS
        .iter()
        .any(|f| f.eq_ignore_ascii_case(short_name))
        && default_path.len() > PROPERTIES_DOT.len()
        && default_path
            .as_bytes()
            .get(..PROPERTIES_DOT.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(PROPERTIES_DOT.as_bytes()))
}

impl EntryIndex {
    /// Indexes the entries of `aliases` that the normaliser walks.
    pub(crate) fn new(aliases: &ResolvedAliases) -> EntryIndex {
        let mut keys = Vec::new();
        let mut split = Vec::new();
        let mut root = PathNode::default();
        for (key, entry) in &aliases.entries {
            // Skipped by the normaliser: never needed.
            if entry.is_wildcard || aliases.sub_resource_arrays.contains(key.as_str()) {
                continue;
            }
            let Ok(position) = u32::try_from(keys.len()) else {
                break;
            };
            keys.push(key.clone());
            split.push(SplitEntry::new(entry));
            let paths = std::iter::once(entry.default_path.as_str())
                .chain(entry.versioned_paths.iter().map(|(_, p)| p.as_str()));
            for path in paths {
                // The normaliser splits paths the same way and looks each
                // segment up as it is written.
                let mut node = &mut root;
                for segment in path.split('.') {
                    node = node.next.entry(segment.to_string()).or_default();
                }
                if node.ends.last() != Some(&position) {
                    node.ends.push(position);
                }
            }
        }
        EntryIndex {
            keys,
            split,
            root,
            pruned: Mutex::new(HashMap::new()),
            moves: Mutex::new(HashMap::new()),
        }
    }

    /// The positions of the entries one of whose paths leads to a value in
    /// `raw` (each segment a key of the object the path has reached).
    /// Sorted, once each.
    fn selected(&self, raw: &RValue) -> Vec<u32> {
        fn walk(node: &PathNode, value: &RValue, out: &mut Vec<u32>) {
            let RValue::Object(obj) = value else {
                return;
            };
            for (k, v) in obj.iter() {
                let RValue::String(k) = k else { continue };
                if let Some(child) = node.next.get(k.as_ref()) {
                    out.extend_from_slice(&child.ends);
                    // Bounded: no deeper than the longest alias path.
                    walk(child, v, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, raw, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// regorus' normalisation of `raw` with `aliases` (the table this index
    /// was made from), written directly; `None` where regorus' own
    /// normaliser is kept (see the module's documentation).
    pub(crate) fn direct(
        &self,
        aliases: &ResolvedAliases,
        raw: &RValue,
        api_version: Option<&str>,
    ) -> Option<RValue> {
        let RValue::Object(obj) = raw else {
            return None;
        };
        let aggregates = match api_version {
            Some(v) => aliases
                .versioned_aggregates
                .get(&v.to_ascii_lowercase())
                .unwrap_or(&aliases.default_aggregates),
            None => &aliases.default_aggregates,
        };
        // The first member spelled as each root field, `type` and
        // `properties` (ASCII case ignored): one pass over the members.
        let mut roots: [Option<&RValue>; ROOT_FIELDS.len()] = [None; ROOT_FIELDS.len()];
        let mut properties = None;
        for (k, v) in obj.iter() {
            let RValue::String(k) = k else { continue };
            if k.eq_ignore_ascii_case("properties") {
                properties = properties.or(Some(v));
            } else if let Some(i) = ROOT_FIELDS.iter().position(|f| f.eq_ignore_ascii_case(k)) {
                roots[i] = roots[i].or(Some(v));
            }
        }
        // `type` is a root field.
        let is_data_plane = roots[TYPE_FIELD].is_some_and(|t| match t {
            RValue::String(t) => t.to_ascii_lowercase().contains(".data/"),
            _ => false,
        });
        if is_data_plane {
            return None;
        }
        let mut walk = Walk::new(&aliases.sub_resource_arrays);
        let mut result = BTreeMap::new();
        for (field, value) in ROOT_FIELDS.iter().zip(roots) {
            if let Some(value) = value {
                let value = if matches!(*field, "tags" | "identity") {
                    lower_keys(value)
                } else {
                    walk.from(field, |w| w.value(value))
                };
                result.insert(RValue::from(field.to_ascii_lowercase()), value);
            }
        }
        if let Some(RValue::Object(props)) = properties {
            for (key, value) in props.iter() {
                let RValue::String(k) = key else { continue };
                let lower = lower_key(k);
                if let Entry::Vacant(slot) = result.entry(lower) {
                    slot.insert(walk.from(k, |w| w.value(value)));
                }
            }
        }
        let mut plain = Walk::new(&EMPTY);
        for &i in &self.selected(raw) {
            let Some(entry) = self.split.get(i as usize) else {
                continue;
            };
            let Some(found) = follow(raw, entry.path(api_version)) else {
                continue;
            };
            let value = plain.value(found);
            set_nested(&mut result, &entry.target, value);
        }
        let mut normalised = RValue::from(result);
        let moves = self.moves(aggregates);
        if let Ok(obj) = normalised.as_object_mut() {
            // Whether each remap's first key is in the resource, looked up
            // once: a remap into elements changes no top-level key (one at
            // the top level may, and the answers are then looked up again).
            let mut present: Vec<Option<bool>> = vec![None; moves.firsts.len()];
            for remap in &moves.remaps {
                if remap.chain.is_empty() {
                    present.fill(None);
                } else if let Some(slot) = present.get_mut(remap.first) {
                    let first = &moves.firsts[remap.first];
                    if !*slot.get_or_insert_with(|| obj.contains_key(first)) {
                        continue;
                    }
                }
                remap_elements(obj, &remap.chain, &remap.source, &remap.target);
                // The source field goes: only the alias' short name stays.
                remove_from_elements(obj, &remap.chain, &remap.source);
            }
            for (source, target) in &moves.renames {
                if !obj.contains_key(target) {
                    if let Some(v) = obj.remove(source) {
                        obj.insert(target.clone(), v);
                    }
                }
            }
        }
        Some(normalised)
    }

    /// `aggregates` (the table's, for an API version) as regorus keys, made
    /// once per aggregates.
    fn moves(&self, aggregates: &VersionedAggregates) -> Arc<Moves> {
        // The table outlives the index: its aggregates' address names them.
        let key = aggregates as *const VersionedAggregates as usize;
        let mut kept = self.moves.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            kept.entry(key)
                .or_insert_with(|| Arc::new(Moves::new(aggregates))),
        )
    }

    /// `aliases` (the table this index was made from) with only the entries
    /// `raw` selects and the aggregates of `api_version`; `None` when the
    /// type holds as many pruned tables as it may.
    fn pruned(
        &self,
        aliases: &ResolvedAliases,
        raw: &RValue,
        api_version: Option<&str>,
    ) -> Option<Arc<ResolvedAliases>> {
        let key = (api_version.map(str::to_ascii_lowercase), self.selected(raw));
        let mut kept = self.pruned.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = kept.get(&key) {
            return Some(Arc::clone(found));
        }
        if kept.len() >= MAX_PRUNED_PER_TYPE {
            return None;
        }
        let entries: BTreeMap<_, _> = key
            .1
            .iter()
            .filter_map(|&i| {
                let name = self.keys.get(i as usize)?;
                Some((name.clone(), aliases.entries.get(name)?.clone()))
            })
            .collect();
        // The normaliser reads the aggregates of the resource's version
        // (lower-case), or the default ones.
        let versioned_aggregates = key
            .0
            .as_ref()
            .and_then(|v| Some((v.clone(), aliases.versioned_aggregates.get(v)?.clone())))
            .into_iter()
            .collect();
        let table = Arc::new(ResolvedAliases {
            resource_type: aliases.resource_type.clone(),
            entries,
            sub_resource_arrays: aliases.sub_resource_arrays.clone(),
            default_aggregates: aliases.default_aggregates.clone(),
            versioned_aggregates,
        });
        kept.insert(key, Arc::clone(&table));
        Some(table)
    }
}

/// regorus' normalisation of `raw` with `aliases` (its type's table, if
/// the catalogue has it), walking only the entries `index` selects.
pub(crate) fn normalise(
    raw: &RValue,
    aliases: Option<(&ResolvedAliases, &EntryIndex)>,
    api_version: Option<&str>,
) -> RValue {
    match aliases {
        Some((table, index)) => match index.direct(table, raw, api_version) {
            Some(normalised) => normalised,
            None => normalise_pruned(raw, table, index, api_version),
        },
        None => normalize_with_aliases(raw, None, api_version),
    }
}

/// regorus' normaliser with the entries `index` selects.
fn normalise_pruned(
    raw: &RValue,
    table: &ResolvedAliases,
    index: &EntryIndex,
    api_version: Option<&str>,
) -> RValue {
    match index.pruned(table, raw, api_version) {
        Some(pruned) => normalize_with_aliases(raw, Some(&pruned), api_version),
        None => normalize_with_aliases(raw, Some(table), api_version),
    }
}

/// No sub-resource arrays: what an alias' value is normalised with.
static EMPTY: BTreeSet<String> = BTreeSet::new();

/// The value of the first member of `obj` named `name`, ASCII case ignored
/// (in `Object::iter`'s order, as regorus looks).
fn first_member<'o>(obj: &'o regorus::value::Object, name: &str) -> Option<&'o RValue> {
    obj.iter()
        .find(|(k, _)| matches!(k, RValue::String(s) if s.eq_ignore_ascii_case(name)))
        .map(|(_, v)| v)
}

/// `key` in ASCII lower case, sharing its text when it already is.
fn lower_key(key: &regorus::Rc<str>) -> RValue {
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        RValue::from(key.to_ascii_lowercase())
    } else {
        RValue::String(regorus::Rc::clone(key))
    }
}

/// An object with its keys (not its values) in lower case; anything else
/// as it is.
fn lower_keys(value: &RValue) -> RValue {
    let RValue::Object(obj) = value else {
        return value.clone();
    };
    let mut out = BTreeMap::new();
    for (k, v) in obj.iter() {
        if let RValue::String(k) = k {
            out.insert(lower_key(k), v.clone());
        }
    }
    RValue::from(out)
}

/// The value at `path` (keys, as written) in `value`.
fn follow<'v>(value: &'v RValue, path: &[RValue]) -> Option<&'v RValue> {
    path.iter().try_fold(value, |at, segment| match at {
        RValue::Object(obj) => obj.get(segment),
        _ => None,
    })
}

/// Writes `value` at `path` (lower-case keys) under `result`, making the
/// objects on the way; a member on the way that is not an object leaves
/// the value unwritten, as regorus does.
fn set_nested(result: &mut BTreeMap<RValue, RValue>, path: &[RValue], value: RValue) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        result.insert(first.clone(), value);
        return;
    }
    let slot = result
        .entry(first.clone())
        .or_insert_with(RValue::new_object);
    if let RValue::Object(inner) = slot {
        set_nested_in(regorus::Rc::make_mut(inner), rest, value);
    }
}

/// [`set_nested`] inside a regorus object.
fn set_nested_in(obj: &mut regorus::value::Object, path: &[RValue], value: RValue) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        obj.insert(first.clone(), value);
        return;
    }
    if !obj.contains_key(first) {
        obj.insert(first.clone(), RValue::new_object());
    }
    if let Some(RValue::Object(inner)) = obj.get_mut(first) {
        set_nested_in(regorus::Rc::make_mut(inner), rest, value);
    }
}

/// The member `nav` (keys) leads to from `obj`.
fn member_mut<'o>(obj: &'o mut regorus::value::Object, nav: &[RValue]) -> Option<&'o mut RValue> {
    let (first, rest) = nav.split_first()?;
    let mut at = obj.get_mut(first)?;
    for segment in rest {
        at = at.as_object_mut().ok()?.get_mut(segment)?;
    }
    Some(at)
}

/// Each object element of the array `nav` leads to from `obj`.
fn each_element(
    obj: &mut regorus::value::Object,
    nav: &[RValue],
    mut f: impl FnMut(&mut regorus::value::Object),
) {
    if let Some(RValue::Array(elements)) = member_mut(obj, nav) {
        for element in regorus::Rc::make_mut(elements).iter_mut() {
            if let RValue::Object(o) = element {
                f(regorus::Rc::make_mut(o));
            }
        }
    }
}

/// regorus' element remap: in each element the array chain `chain` leads
/// to (arrays within arrays), the value at `source` is copied to `target`.
fn remap_elements(
    obj: &mut regorus::value::Object,
    chain: &[Vec<RValue>],
    source: &[RValue],
    target: &[RValue],
) {
    let Some((nav, rest)) = chain.split_first() else {
        let Some((first, path)) = source.split_first() else {
            return;
        };
        let found = path.iter().try_fold(obj.get(first), |at, segment| {
            Some(at?.as_object().ok()?.get(segment))
        });
        if let Some(Some(value)) = found {
            let value = value.clone();
            set_nested_in(obj, target, value);
        }
        return;
    };
    each_element(obj, nav, |o| remap_elements(o, rest, source, target));
}

/// regorus' removal of a (dotted) field from each element the array chain
/// `chain` leads to.
fn remove_from_elements(obj: &mut regorus::value::Object, chain: &[Vec<RValue>], field: &[RValue]) {
    let Some((nav, rest)) = chain.split_first() else {
        let Some((leaf, parents)) = field.split_last() else {
            return;
        };
        if parents.is_empty() {
            obj.remove(leaf);
        } else if let Some(RValue::Object(parent)) = member_mut(obj, parents) {
            regorus::Rc::make_mut(parent).remove(leaf);
        }
        return;
    };
    each_element(obj, nav, |o| remove_from_elements(o, rest, field));
}

/// regorus' recursive value normalisation (keys in lower case, elements of
/// sub-resource arrays flattened), with the dotted path of the field being
/// normalised kept in lower case in one buffer, and only when the type has
/// sub-resource arrays to compare it with.
struct Walk<'s> {
    sub_arrays: &'s BTreeSet<String>,
    path: String,
}

impl<'s> Walk<'s> {
    fn new(sub_arrays: &'s BTreeSet<String>) -> Self {
        Walk {
            sub_arrays,
            path: String::new(),
        }
    }

    /// `f` with the path set to `field` (a root field or a member of
    /// `properties`).
    fn from(&mut self, field: &str, f: impl FnOnce(&mut Self) -> RValue) -> RValue {
        if self.sub_arrays.is_empty() {
            return f(self);
        }
        self.path.clear();
        self.path.push_str(field);
        self.path.make_ascii_lowercase();
        f(self)
    }

    /// `f` with `.key` added to the path.
    fn under(&mut self, key: &str, f: impl FnOnce(&mut Self) -> RValue) -> RValue {
        if self.sub_arrays.is_empty() {
            return f(self);
        }
        let len = self.path.len();
        self.path.push('.');
        self.path.push_str(key);
        self.path[len..].make_ascii_lowercase();
        let out = f(self);
        self.path.truncate(len);
        out
    }

    fn value(&mut self, value: &RValue) -> RValue {
        match value {
            RValue::Array(items) => {
                let flatten = !self.sub_arrays.is_empty() && self.sub_arrays.contains(&self.path);
                let items: Vec<RValue> = items
                    .iter()
                    .map(|e| {
                        if flatten {
                            self.element(e)
                        } else {
                            self.value(e)
                        }
                    })
                    .collect();
                RValue::from(items)
            }
            RValue::Object(obj) => {
                let mut out = BTreeMap::new();
                for (k, v) in obj.iter() {
                    let RValue::String(k) = k else { continue };
                    let v = self.under(k, |w| w.value(v));
                    out.insert(lower_key(k), v);
                }
                RValue::from(out)
            }
            _ => value.clone(),
        }
    }

    /// An element of a sub-resource array: its `properties` merged into it.
    fn element(&mut self, element: &RValue) -> RValue {
        let RValue::Object(obj) = element else {
            return element.clone();
        };
        let mut out = BTreeMap::new();
        for (k, v) in obj.iter() {
            let RValue::String(k) = k else { continue };
            if k.eq_ignore_ascii_case("properties") {
                continue;
            }
            let v = self.under(k, |w| w.value(v));
            out.insert(lower_key(k), v);
        }
        if let Some(RValue::Object(props)) = first_member(obj, "properties") {
            for (k, v) in props.iter() {
                let RValue::String(k) = k else { continue };
                let lower = lower_key(k);
                if let Entry::Vacant(slot) = out.entry(lower) {
                    slot.insert(self.under(k, |w| w.value(v)));
                }
            }
        }
        RValue::from(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regorus::languages::azure_policy::aliases::types::{PrecomputedRemap, VersionedAggregates};

    /// A made-up table with what no shipped type has alone: a remap whose
    /// dotted source's parent stays (no other remap removes it), nested
    /// chains, and a sub-resource array; direct and regorus agree on it.
    #[test]
    fn direct_normalisation_of_a_made_up_table() {
        let remap = |chain: &[&[&str]], source: &str, target: &str| PrecomputedRemap {
            array_chain: chain
                .iter()
                .map(|nav| nav.iter().map(|s| s.to_string()).collect())
                .collect(),
            source_field: source.into(),
            target_field: target.into(),
        };
        let table = ResolvedAliases {
            resource_type: "Test.Made/up".into(),
            entries: BTreeMap::new(),
            sub_resource_arrays: ["rules".to_string()].into_iter().collect(),
            default_aggregates: VersionedAggregates {
                element_remaps: vec![
                    remap(&[&["arr"]], "a.b", "c.d"),
                    remap(&[&["outer", "list"], &["inner"]], "x", "y"),
                    remap(&[&["arr"]], "plain", "Moved"),
                ],
                array_renames_normalize: vec![("old".into(), "new".into())],
                ..Default::default()
            },
            versioned_aggregates: BTreeMap::new(),
        };
        assert_eq!(ROOT_FIELDS[TYPE_FIELD], "type");
        let index = EntryIndex::new(&table);
        let body = serde_json::json!({
            "type": "Test.Made/up",
            "properties": {
                "arr": [{"a": {"b": 1, "keep": 2}, "plain": 3}, {"a": 5}, "s"],
                "outer": {"list": [{"inner": [{"x": 1, "z": 2}, 4]}]},
                "Rules": [{"name": "r", "properties": {"Port": 22, "name": "dup"}}, 7],
                "old": [1],
                "New": "kept"
            }
        });
        let raw = RValue::from(body);
        let expected = normalize_with_aliases(&raw, Some(&table), None);
        assert_eq!(index.direct(&table, &raw, None), Some(expected.clone()));
        // What the remaps and the flattening did, so the comparison means something.
        let text = format!("{expected:?}");
        for moved in ["\"c\"", "\"y\"", "\"Moved\"", "\"port\""] {
            assert!(text.contains(moved), "{moved} in {text}");
        }
    }
}
