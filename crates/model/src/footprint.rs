//! An estimate of the heap the deployment model holds, by part, for
//! `AML_BASELINE_TIMINGS` (so a memory change can be aimed before it is made).
//! It counts allocated capacities and container overheads as the standard
//! library and `indexmap` lay them out; allocator rounding is not counted.

use crate::model::{Model, Resource};
use crate::value::{Object, Value};
use std::mem::size_of;

/// Estimated heap bytes held by the model's resources, by part.
#[derive(Debug, Default, Clone, Copy)]
pub struct Footprint {
    pub resources: usize,
    /// The `Resource` structs themselves (the model's vector).
    pub structs: usize,
    /// `body` values: nodes, strings, objects and arrays.
    pub bodies: usize,
    /// Value nodes in bodies (for the node-size share of `bodies`).
    pub nodes: usize,
    /// The part of `bodies` allocated beyond the length of its strings,
    /// arrays and objects (what shrinking them would give back).
    pub slack: usize,
    /// `spans` maps: paths and entries.
    pub spans: usize,
    pub span_entries: usize,
    /// `id`, `resource_type`, `name`, `api_version`, `parent_id`,
    /// `scope_id`, `symbol`.
    pub names: usize,
}

impl Footprint {
    /// Estimates the heap `model` holds in its resources.
    pub fn of(model: &Model) -> Footprint {
        let mut f = Footprint {
            resources: model.resources.len(),
            structs: model.resources.capacity() * size_of::<Resource>(),
            ..Footprint::default()
        };
        for r in &model.resources {
            f.add_resource(r);
        }
        f
    }

    fn add_resource(&mut self, r: &Resource) {
        self.names += r.id.capacity()
            + r.resource_type.capacity()
            + r.name.capacity()
            + r.api_version.as_ref().map_or(0, String::capacity)
            + r.parent_id.as_ref().map_or(0, String::capacity)
            + r.scope_id.as_ref().map_or(0, String::capacity)
            + r.symbol.as_ref().map_or(0, String::capacity);
        self.bodies += value_heap(&r.body, &mut self.nodes, &mut self.slack);
        self.spans += r.spans.heap_bytes();
        self.span_entries += r.spans.len();
    }
}

/// Heap below `v` (not counting `v`'s own node), adding each node seen.
fn value_heap(v: &Value, nodes: &mut usize, slack: &mut usize) -> usize {
    *nodes += 1;
    match v {
        Value::String(s) => {
            *slack += s.capacity() - s.len();
            s.capacity()
        }
        Value::Array(items) => {
            *slack += (items.capacity() - items.len()) * size_of::<Value>();
            items.capacity() * size_of::<Value>()
                + items
                    .iter()
                    .map(|i| value_heap(i, nodes, slack))
                    .sum::<usize>()
        }
        Value::Object(map) => object_heap(map, nodes, slack),
        Value::Unknown(u) => u.expr.capacity() + u.reason.capacity() + 128,
        _ => 0,
    }
}

fn object_heap(map: &Object, nodes: &mut usize, slack: &mut usize) -> usize {
    // indexmap: a vector of (hash, key, value) buckets and a hash table of
    // indices (one usize and one control byte per slot).
    let bucket = size_of::<usize>() + size_of::<String>() + size_of::<Value>();
    let slots = |n: usize| {
        if n == 0 {
            0
        } else {
            (n * 8 / 7).next_power_of_two()
        }
    };
    let slot = size_of::<usize>() + 1;
    *slack +=
        (map.capacity() - map.len()) * bucket + (slots(map.capacity()) - slots(map.len())) * slot;
    map.capacity() * bucket
        + slots(map.capacity()) * slot
        + map
            .iter()
            .map(|(k, v)| {
                *slack += k.capacity() - k.len();
                k.capacity() + value_heap(v, nodes, slack)
            })
            .sum::<usize>()
}

impl std::fmt::Display for Footprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
        write!(
            f,
            "{} resources: structs {:.1} MiB, bodies {:.1} MiB ({} nodes of {} bytes, \
             {:.1} MiB beyond their lengths), spans {:.1} MiB ({} entries), names {:.1} MiB",
            self.resources,
            mib(self.structs),
            mib(self.bodies),
            self.nodes,
            size_of::<Value>(),
            mib(self.slack),
            mib(self.spans),
            self.span_entries,
            mib(self.names)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Deployed;
    use crate::source::{FileId, Span};

    fn resource(body: Value) -> Resource {
        let span = Span::new(FileId(1), 0, 1);
        Resource {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"
                .into(),
            resource_type: "Microsoft.Storage/storageAccounts".into(),
            name: "st".into(),
            api_version: None,
            body,
            parent_id: None,
            scope_id: None,
            existing: false,
            deployed: Deployed::Yes,
            span,
            symbol: None,
            spans: [("properties.minimumtlsversion".to_string(), span)]
                .into_iter()
                .collect(),
            format: "arm",
            deployment: 0,
            source_names: None,
        }
    }

    #[test]
    fn counts_nodes_and_room_that_shrinking_gives_back() {
        let mut properties = crate::value::object_with_capacity(8);
        properties.insert("minimumTlsVersion".into(), Value::str("TLS1_2"));
        let mut body = crate::value::object_with_capacity(8);
        body.insert("properties".into(), Value::Object(properties));
        body.insert("tags".into(), Value::Array(Vec::with_capacity(4)));
        let mut model = Model::default();
        model.resources.push(resource(Value::Object(body)));
        let before = Footprint::of(&model);
        // The body, `properties`, its string and `tags`.
        assert_eq!(before.nodes, 4);
        assert_eq!(before.span_entries, 1);
        assert!(before.slack > 0);
        assert!(before.bodies > before.slack);
        model.resources[0].body.shrink_to_fit();
        let after = Footprint::of(&model);
        assert_eq!(after.nodes, 4);
        assert!(after.slack < before.slack);
        assert!(after.bodies < before.bodies);
        assert_eq!(
            model.resources[0]
                .body
                .get_path("properties.minimumTlsVersion")
                .and_then(Value::as_str),
            Some("TLS1_2")
        );
        assert!(before.to_string().starts_with("1 resources: "));
    }
}
