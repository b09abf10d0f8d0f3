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

use regorus::languages::azure_policy::aliases::normalizer::normalize_with_aliases;
use regorus::languages::azure_policy::aliases::types::ResolvedAliases;
use regorus::Value as RValue;
use std::collections::{BTreeMap, HashMap};
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
    root: PathNode,
    pruned: Mutex<Kept>,
}

impl EntryIndex {
    /// Indexes the entries of `aliases` that the normaliser walks.
    pub(crate) fn new(aliases: &ResolvedAliases) -> EntryIndex {
        let mut keys = Vec::new();
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
            root,
            pruned: Mutex::new(HashMap::new()),
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
        Some((table, index)) => match index.pruned(table, raw, api_version) {
            Some(pruned) => normalize_with_aliases(raw, Some(&pruned), api_version),
            None => normalize_with_aliases(raw, Some(table), api_version),
        },
        None => normalize_with_aliases(raw, None, api_version),
    }
}
