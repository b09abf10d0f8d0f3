//! Normalising a resource through only the alias entries that can find a
//! value in it (decision 0046).
//!
//! regorus' normaliser tries every alias entry of the resource's type: it
//! walks each entry's ARM path into the resource and, when the path leads to
//! a value, writes that value at the alias' short name. A type has hundreds
//! of aliases (a workspace: about 400) and a resource sets a few dozen
//! properties, so almost every walk stops after one or two steps, and the
//! walks were the largest part of a scan's policy evaluation.
//!
//! A walk whose first two segments are not keys of the resource (the second
//! one of an object under the first) finds nothing, and an entry that finds
//! nothing changes nothing. So each type's entries are indexed by the first
//! two segments of each of their paths (default and per API version), and a
//! resource is normalised with the entries its own keys select, in the
//! registry's order, and the type's other tables (sub-resource arrays,
//! element remaps, array renames) unchanged: the same result as with every
//! entry. Wildcard and sub-resource-array entries, which the normaliser
//! skips, are left out. Pruned tables are kept per set of entries, a bounded
//! number per type.

use regorus::languages::azure_policy::aliases::normalizer::normalize_with_aliases;
use regorus::languages::azure_policy::aliases::types::ResolvedAliases;
use regorus::Value as RValue;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Most pruned tables kept per type; past this a resource whose set of
/// entries is new is normalised with every entry (the same result, slower).
const MAX_PRUNED_PER_TYPE: usize = 64;

/// Entries whose path has one segment only, and entries by their path's
/// second segment.
type Continuations = (Vec<u32>, HashMap<String, Vec<u32>>);

/// A type's alias entries by the first segments of their ARM paths.
pub(crate) struct EntryIndex {
    /// Entry keys (lower-case short names) in the registry's order.
    keys: Vec<String>,
    /// First segment → (entries whose path has that one segment only,
    /// second segment → entries whose path continues with it).
    by_segments: HashMap<String, Continuations>,
    /// Pruned tables, by their sorted entry positions.
    pruned: Mutex<HashMap<Vec<u32>, Arc<ResolvedAliases>>>,
}

impl EntryIndex {
    /// Indexes the entries of `aliases` that the normaliser walks.
    pub(crate) fn new(aliases: &ResolvedAliases) -> EntryIndex {
        let mut keys = Vec::new();
        let mut by_segments: HashMap<String, Continuations> = HashMap::new();
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
                // The normaliser splits paths the same way.
                let mut segments = path.split('.');
                let first = segments.next().unwrap_or_default();
                let slot = by_segments.entry(first.to_string()).or_default();
                let list = match segments.next() {
                    None => &mut slot.0,
                    Some(second) => slot.1.entry(second.to_string()).or_default(),
                };
                if list.last() != Some(&position) {
                    list.push(position);
                }
            }
        }
        EntryIndex {
            keys,
            by_segments,
            pruned: Mutex::new(HashMap::new()),
        }
    }

    /// The positions of the entries whose path may lead to a value in `raw`:
    /// its first segment is a key of `raw` and, for a longer path, its
    /// second a key of the object under it. Sorted, once each.
    fn selected(&self, raw: &RValue) -> Vec<u32> {
        let mut out = Vec::new();
        let RValue::Object(obj) = raw else {
            return out;
        };
        for (k, v) in obj.iter() {
            let RValue::String(k) = k else { continue };
            let Some((alone, next)) = self.by_segments.get(k.as_ref()) else {
                continue;
            };
            out.extend_from_slice(alone);
            if let RValue::Object(inner) = v {
                for (k2, _) in inner.iter() {
                    if let RValue::String(k2) = k2 {
                        if let Some(list) = next.get(k2.as_ref()) {
                            out.extend_from_slice(list);
                        }
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// `aliases` (the table this index was made from) with only the entries
    /// `raw` selects; `None` when that would not be smaller, or when the
    /// type holds as many pruned tables as it may.
    fn pruned(&self, aliases: &ResolvedAliases, raw: &RValue) -> Option<Arc<ResolvedAliases>> {
        let selected = self.selected(raw);
        if selected.len() == self.keys.len() {
            return None;
        }
        let mut kept = self.pruned.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = kept.get(&selected) {
            return Some(Arc::clone(found));
        }
        if kept.len() >= MAX_PRUNED_PER_TYPE {
            return None;
        }
        let entries: BTreeMap<_, _> = selected
            .iter()
            .filter_map(|&i| {
                let key = self.keys.get(i as usize)?;
                Some((key.clone(), aliases.entries.get(key)?.clone()))
            })
            .collect();
        let table = Arc::new(ResolvedAliases {
            resource_type: aliases.resource_type.clone(),
            entries,
            sub_resource_arrays: aliases.sub_resource_arrays.clone(),
            default_aggregates: aliases.default_aggregates.clone(),
            versioned_aggregates: aliases.versioned_aggregates.clone(),
        });
        kept.insert(selected, Arc::clone(&table));
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
        Some((table, index)) => match index.pruned(table, raw) {
            Some(pruned) => normalize_with_aliases(raw, Some(&pruned), api_version),
            None => normalize_with_aliases(raw, Some(table), api_version),
        },
        None => normalize_with_aliases(raw, None, api_version),
    }
}
