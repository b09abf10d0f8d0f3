//! Recognising an export by its shape and reading its resources.

use crate::types;
use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::json::{Member, Node, NodeKind};
use aml_model::model::{parent_id, resource_id, AzureVerdict, Deployed, Resource};
use aml_model::source::{FileId, Span};
use aml_model::value::Value;
use aml_model::FastSet;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The shape an export was recognised as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportShape {
    /// A Resource Graph result: `{"data": [...]}` (REST or `az graph query`).
    ResourceGraph,
    /// A Resource Graph result in table form: `{"data": {"columns", "rows"}}`.
    ResourceGraphTable,
    /// An ARM list response: `{"value": [...], "nextLink": ...}` (`az resource list`).
    ArmList,
    /// One ARM resource (`GET`, `az resource show`).
    ArmResource,
    /// A JSON array of resources (`az graph query --query data`, PSRule's test data).
    ResourceList,
    /// What `aml-baseline collect` writes.
    Collected,
    /// `az ml <thing> show -o json` (one entity) or `az ml <thing> list -o json`
    /// (an array): the CLI's snake_case shapes, mapped by `aml-yaml`.
    AzMl,
}

impl ExportShape {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportShape::ResourceGraph => "resource-graph",
            ExportShape::ResourceGraphTable => "resource-graph-table",
            ExportShape::ArmList => "arm-list",
            ExportShape::ArmResource => "arm-resource",
            ExportShape::ResourceList => "resource-list",
            ExportShape::Collected => "aml-baseline-collect",
            ExportShape::AzMl => "az-ml",
        }
    }
}

/// What an export holds.
#[derive(Debug)]
pub struct LiveExport {
    pub shape: ExportShape,
    pub resources: Vec<Resource>,
    pub diagnostics: Vec<Diagnostic>,
    /// Azure Policy compliance states and Defender for Cloud assessments:
    /// the collector's `policyStates` and `assessments`, or rows of those
    /// types in a Resource Graph result.
    pub azure_verdicts: Vec<AzureVerdict>,
}

/// Azure's verdict in a policy state or assessment row, when it names a
/// resource and a policy definition.
pub fn azure_verdict(row: &Node) -> Option<AzureVerdict> {
    let ty = row.get("type").and_then(Node::as_str)?.to_ascii_lowercase();
    let props = row.get("properties")?;
    let guid = |id: &str| id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase();
    match ty.as_str() {
        "microsoft.policyinsights/policystates" => Some(AzureVerdict {
            resource_id: props.get("resourceId")?.as_str()?.to_ascii_lowercase(),
            definition: props
                .get("policyDefinitionName")
                .and_then(Node::as_str)
                .map(str::to_ascii_lowercase)
                .or_else(|| {
                    props
                        .get("policyDefinitionId")
                        .and_then(Node::as_str)
                        .map(guid)
                })?,
            state: props.get("complianceState")?.as_str()?.to_string(),
            source: "azure-policy",
        }),
        "microsoft.security/assessments" => Some(AzureVerdict {
            resource_id: props
                .get("resourceDetails")
                .and_then(|d| d.get("Id").or_else(|| d.get("ResourceId")))?
                .as_str()?
                .to_ascii_lowercase(),
            definition: props
                .get("metadata")
                .and_then(|m| m.get("policyDefinitionId"))
                .and_then(Node::as_str)
                .map(guid)?,
            state: props.get("status")?.get("code")?.as_str()?.to_string(),
            source: "defender-for-cloud",
        }),
        _ => None,
    }
}

fn is_verdict_row(n: &Node) -> bool {
    n.get("type").and_then(Node::as_str).is_some_and(|t| {
        t.eq_ignore_ascii_case("microsoft.policyinsights/policystates")
            || t.eq_ignore_ascii_case("microsoft.security/assessments")
    })
}

/// The `exportFormat` value `aml-baseline collect` writes.
pub const COLLECT_FORMAT: &str = "aml-baseline-live-export/1";

/// The scope given to resources whose export names neither an id nor a
/// subscription and resource group (resource lists written by hand).
pub const UNKNOWN_SCOPE: &str =
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/export";

/// Most nested levels read below a resource (deeper values are kept, their
/// positions are those of the enclosing value).
const MAX_SPAN_DEPTH: usize = 48;

/// Reads `root` as an export, or `None` when it is not one (a template, a
/// parameter file, any other JSON). The tree is consumed, so the tree and
/// the model are never both whole in memory (decision 0044). With `text`,
/// the text `root` was parsed from, the tree is dropped whole once what
/// needs it is read, and each item parsed again from its text and read, a
/// resource group at a time ([`by_resource_group`]); without, each item's
/// node is turned into its resource (its strings moved, not copied) and
/// dropped as soon as it is read, also a resource group at a time. A large
/// export's tree comes without its text, its items built a resource group
/// at a time (`json::parse_split_by` with [`group_of_text`]): what is read
/// and freed together was allocated together, without a second parse.
pub fn read_export(
    file: FileId,
    mut root: Node,
    text: Option<std::sync::Arc<str>>,
) -> Option<LiveExport> {
    let mut diagnostics = Vec::new();
    let here = |start: u32| Location::Span(Span::new(file, start as usize, start as usize));
    // What needs the whole tree is read first, from the borrowed items.
    let (shape, default_scope, mut azure_verdicts) = {
        let (shape, items) = classify(&root)?;
        // A resource that names no id takes the scope of the export's first id.
        let default_scope = items
            .iter()
            .filter_map(|n| id_of(n))
            .find_map(|id| resource_group_scope(&id))
            .unwrap_or_else(|| UNKNOWN_SCOPE.to_string());
        let verdicts: Vec<AzureVerdict> = ["policyStates", "assessments"]
            .iter()
            .filter_map(|k| root.get(k).and_then(Node::as_array))
            .flatten()
            .chain(
                items
                    .iter()
                    .map(|n| n.as_ref())
                    .filter(|n| is_verdict_row(n)),
            )
            .filter_map(azure_verdict)
            .collect();
        (shape, default_scope, verdicts)
    };
    if let Some(warning) = incomplete(&root) {
        diagnostics.push(Diagnostic::error(
            "live-export-incomplete",
            warning,
            here(root.start),
        ));
    }
    let mut unread = crate::partial::read(file, &root, &mut diagnostics);
    if root.get("data").is_some() && root.get("value").and_then(Node::as_array).is_some() {
        diagnostics.push(Diagnostic::warning(
            "live-export",
            "the export has both `data` (a Resource Graph result) and `value` (an ARM list): the resources of both were read",
            here(root.start),
        ));
    }
    azure_verdicts.sort_by(|a, b| {
        (&a.resource_id, &a.definition, a.source).cmp(&(&b.resource_id, &b.definition, b.source))
    });
    azure_verdicts.dedup();
    let items: Vec<Node> = take_items(shape, &mut root)
        .into_iter()
        .filter(|n| !is_verdict_row(n))
        .collect();
    drop(root);
    // A table's rows are built, not text of the export: read as they are.
    let text = text.filter(|_| shape != ExportShape::ResourceGraphTable && items.len() > 1);
    // In parallel: copying 100,000 texts and dropping their nodes is work
    // of its own.
    let items: Vec<(usize, Item)> = by_resource_group(items)
        .into_par_iter()
        .map(|(position, n)| match &text {
            // Each item's text on its own, freed once it is parsed: the
            // export's text is not held beside the whole model.
            Some(text) => {
                let own = text.get(n.start as usize..n.end as usize).map(Box::from);
                (position, Item::Text(n.start, own))
            }
            None => (position, Item::Node(n)),
        })
        .collect();
    drop(text);
    // Each item is read on its own (in parallel: a tenant's export holds
    // 100,000 of them) and its node dropped, then kept in order.
    let mut reads: Vec<(usize, u32, Result<Vec<Resource>, String>)> = items
        .into_par_iter()
        .map(|(position, item)| {
            let item = match item {
                Item::Node(n) => n,
                Item::Text(start, own) => match own.and_then(|t| parse_at(&t, start)) {
                    Some(n) => n,
                    None => return (position, start, Err(UNREADABLE.to_string())),
                },
            };
            let start = item.start;
            let read = if shape == ExportShape::AzMl || is_az_ml(&item) {
                az_ml_resources(file, item)
            } else {
                resource(file, item, &default_scope).map(|r| vec![r])
            };
            (position, start, read)
        })
        .collect();
    reads.sort_unstable_by_key(|(position, _, _)| *position);
    let mut resources = Vec::with_capacity(reads.len());
    // Where each resource's item starts, for a repeat's diagnostic.
    let mut starts = Vec::with_capacity(reads.len());
    for (_, start, read) in reads {
        match read {
            Ok(rs) => {
                starts.extend(std::iter::repeat_n(start, rs.len()));
                resources.extend(rs);
            }
            Err(message) => {
                diagnostics.push(Diagnostic::warning("live-export", message, here(start)))
            }
        }
    }
    // The first entry of an id is kept: ids lower-cased on every thread,
    // then looked up in order.
    let lower: Vec<String> = resources
        .par_iter()
        .map(|r| r.id.to_ascii_lowercase())
        .collect();
    let mut seen: FastSet<&str> = FastSet::default();
    seen.reserve(lower.len());
    let keep: Vec<bool> = lower.iter().map(|id| seen.insert(id.as_str())).collect();
    drop(seen);
    drop(lower);
    let mut duplicates = Duplicates::default();
    for ((r, start), _) in resources
        .iter()
        .zip(&starts)
        .zip(&keep)
        .filter(|(_, k)| !**k)
    {
        duplicates.add(&r.id, here(*start));
    }
    let mut kept = keep.into_iter();
    resources.retain(|_| kept.next().unwrap_or(true));
    duplicates.report("is listed again", &mut diagnostics);
    resources.append(&mut unread);
    Some(LiveExport {
        shape,
        resources,
        diagnostics,
        azure_verdicts,
    })
}

/// An item of an export to read: its node, or where its text starts in the
/// export and the text.
enum Item {
    Node(Node),
    Text(u32, Option<Box<str>>),
}

/// What is said of an item whose text does not parse again (never: it
/// parsed as part of the export).
const UNREADABLE: &str = "an element of the export could not be read again; it was skipped";

/// An item's `text`, which starts at `start` in the export, parsed on its
/// own, its positions those in the export.
fn parse_at(text: &str, start: u32) -> Option<Node> {
    let mut node = aml_model::json::parse(text).ok()?;
    aml_model::json::shift(&mut node, start);
    Some(node)
}

/// The items with their positions, ordered by the resource group their id
/// names (in export order within a group). Read in that order, the settings
/// of the resources of a resource group are allocated side by side, not
/// spread over the whole heap among those of the other groups: the scan
/// evaluates a group at a time and frees its settings when it is done
/// (`aml_rules::evaluate::evaluate_releasing`), and memory freed a group at
/// a time is then whole pages the allocator gives back, not holes in pages
/// the other groups still hold. The resources are put back in export order
/// once read.
fn by_resource_group(items: Vec<Node>) -> Vec<(usize, Node)> {
    let group = |n: &Node| {
        let id = ["id", "ResourceId", "resourceId"]
            .iter()
            .find_map(|k| n.get(k).and_then(Node::as_str))
            .unwrap_or_default();
        let lower = id.to_ascii_lowercase();
        match lower.find("/providers/") {
            Some(at) => lower[..at].to_string(),
            None => lower,
        }
    };
    let keys: Vec<(String, usize)> = items
        .par_iter()
        .enumerate()
        .map(|(position, n)| (group(n), position))
        .collect();
    let mut order: Vec<(&str, usize)> = keys.iter().map(|(k, p)| (k.as_str(), *p)).collect();
    // Positions are unique: the order is total, the same on every run.
    order.par_sort_unstable();
    let mut slots: Vec<Option<Node>> = items.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|(_, position)| slots[position].take().map(|n| (position, n)))
        .collect()
}

/// The resource group an item's text names in its own `id` (or
/// `ResourceId`), lower case: the key [`by_resource_group`] orders items
/// by, read from the text before it is parsed (a skim of the item's
/// outermost object: strings skipped whole, the value of the first such
/// key taken). Empty when there is none, or when it is written with an
/// escape. It only decides the order in which items are built.
pub(crate) fn group_of_text(item: &str) -> String {
    let bytes = item.as_bytes();
    let mut depth = 0usize;
    // In the outermost object, whether the next string is a key.
    let mut key_next = false;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                let Some(end) = aml_model::json::string_end(bytes, at + 1) else {
                    return String::new();
                };
                if depth == 1 && key_next {
                    let key = &item[at + 1..end];
                    key_next = false;
                    if key.eq_ignore_ascii_case("id") || key.eq_ignore_ascii_case("resourceid") {
                        let rest = item[end + 1..].trim_start();
                        let Some(value) = rest.strip_prefix(':').map(str::trim_start) else {
                            return String::new();
                        };
                        let Some(value) = value.strip_prefix('"') else {
                            return String::new();
                        };
                        let Some(close) = value.find(['"', '\\']) else {
                            return String::new();
                        };
                        if value.as_bytes()[close] == b'\\' {
                            return String::new();
                        }
                        // Lower-cased up to its first `/providers/`.
                        let id = &value[..close];
                        let cut = aml_model::model::find_ignoring_ascii_case(id, "/providers/");
                        return id[..cut.unwrap_or(id.len())].to_ascii_lowercase();
                    }
                }
                at = end;
            }
            b'{' | b'[' => {
                depth += 1;
                key_next = depth == 1 && bytes[at] == b'{';
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => key_next = true,
            _ => {}
        }
        at += 1;
    }
    String::new()
}

/// Moves the items [`classify`] found for `shape` out of `root`, in the
/// same order (a Resource Graph table's rows are built).
fn take_items(shape: ExportShape, root: &mut Node) -> Vec<Node> {
    // The member `Node::get` reads (of a key written twice, the last).
    let take = |root: &mut Node, key: &str| -> Option<Node> {
        let target: *const Member = root.member(key)?;
        match &mut root.kind {
            NodeKind::Object(members) => members
                .iter_mut()
                .find(|m| std::ptr::eq(&**m, target))
                .map(|m| take_node(&mut m.value)),
            _ => None,
        }
    };
    let array = |n: Option<Node>| match n.map(|n| n.kind) {
        Some(NodeKind::Array(items)) => items,
        _ => Vec::new(),
    };
    match shape {
        ExportShape::ResourceList | ExportShape::AzMl
            if matches!(root.kind, NodeKind::Array(_)) =>
        {
            array(Some(take_node(root)))
        }
        ExportShape::AzMl | ExportShape::ArmResource => vec![take_node(root)],
        ExportShape::ResourceGraph => {
            [array(take(root, "data")), array(take(root, "value"))].concat()
        }
        ExportShape::ResourceGraphTable => {
            let rows = root.get("data").and_then(table_rows).unwrap_or_default();
            [rows, array(take(root, "value"))].concat()
        }
        ExportShape::ArmList | ExportShape::Collected | ExportShape::ResourceList => {
            array(take(root, "value"))
        }
    }
}

/// The node, leaving `null` at its place.
fn take_node(n: &mut Node) -> Node {
    let (start, end) = (n.start, n.end);
    std::mem::replace(
        n,
        Node {
            kind: NodeKind::Null,
            start,
            end,
        },
    )
}

/// The plain value of `node`, as [`Node::to_value`] gives it, its strings
/// moved instead of copied.
fn into_value(node: Node) -> Value {
    match node.kind {
        NodeKind::Null => Value::Null,
        NodeKind::Bool(b) => Value::Bool(b),
        NodeKind::Int(i) => Value::Int(i),
        NodeKind::Float(f) => Value::Float(f),
        NodeKind::String(s) => Value::String(s),
        NodeKind::Array(a) => Value::Array(a.into_iter().map(into_value).collect()),
        NodeKind::Object(m) => Value::Object(
            m.into_iter()
                .map(|m| (m.key, into_value(m.value)))
                .collect(),
        ),
    }
}

/// Resources listed more than once, counted per id, so that an export
/// repeating one id 50,000 times gives one diagnostic, not 49,999.
#[derive(Default)]
pub struct Duplicates {
    /// Per id (as first spelt): where it was first repeated, and how often.
    ids: Vec<(String, Location, usize)>,
    index: std::collections::HashMap<String, usize>,
}

impl Duplicates {
    /// Most ids named one by one; the rest are counted in one more line.
    const NAMED: usize = 20;

    /// Counts one more entry of `id` at `at`.
    pub fn add(&mut self, id: &str, at: Location) {
        let key = id.to_ascii_lowercase();
        match self.index.get(&key) {
            Some(&i) => self.ids[i].2 += 1,
            None => {
                self.index.insert(key, self.ids.len());
                self.ids.push((id.to_string(), at, 1));
            }
        }
    }

    /// One `live-duplicate` diagnostic per id (the first [`Self::NAMED`]),
    /// then one for the others; `what` says where the repeats were.
    pub fn report(self, what: &str, out: &mut Vec<Diagnostic>) {
        let total = self.ids.len();
        let mut ids = self.ids.into_iter();
        for (id, at, n) in ids.by_ref().take(Self::NAMED) {
            let times = if n == 1 {
                String::new()
            } else {
                format!(" {n} times")
            };
            out.push(Diagnostic::info(
                "live-duplicate",
                format!("`{id}` {what}{times}; the first entry is used"),
                at,
            ));
        }
        if let Some((_, at, _)) = ids.next() {
            out.push(Diagnostic::info(
                "live-duplicate",
                format!(
                    "{} more resource ids {what}; the first entry of each is used",
                    total - Self::NAMED
                ),
                at,
            ));
        }
    }
}

/// The shape of `root` and its resource nodes.
/// The export's shape and its items, borrowed from the tree (a Resource
/// Graph table's rows are built).
fn classify(root: &Node) -> Option<(ExportShape, Vec<Cow<'_, Node>>)> {
    fn borrowed(items: &[Node]) -> Vec<Cow<'_, Node>> {
        items.iter().map(Cow::Borrowed).collect()
    }
    let is_resource = |n: &Node| {
        n.get("type")
            .and_then(Node::as_str)
            .is_some_and(|t| t.contains('/'))
    };
    match &root.kind {
        NodeKind::Array(items) if items.iter().any(is_resource) => {
            Some((ExportShape::ResourceList, borrowed(items)))
        }
        NodeKind::Array(items) => items
            .iter()
            .any(is_az_ml)
            .then(|| (ExportShape::AzMl, borrowed(items))),
        NodeKind::Object(_) => {
            if root.get("$schema").is_some() {
                return None;
            }
            if let Some(data) = root.get("data") {
                // `value` beside `data` is read too, never dropped.
                let value = match root.get("value").map(|v| &v.kind) {
                    Some(NodeKind::Array(v)) => borrowed(v),
                    _ => Vec::new(),
                };
                return match &data.kind {
                    NodeKind::Array(items) => (items.is_empty() || items.iter().any(is_resource))
                        .then(|| {
                            (
                                ExportShape::ResourceGraph,
                                [borrowed(items), value].concat(),
                            )
                        }),
                    NodeKind::Object(_) => {
                        let rows = table_rows(data)?;
                        (rows.is_empty() || rows.iter().any(is_resource)).then(|| {
                            let rows: Vec<Cow<'_, Node>> =
                                rows.into_iter().map(Cow::Owned).collect();
                            (ExportShape::ResourceGraphTable, [rows, value].concat())
                        })
                    }
                    _ => None,
                };
            }
            if let Some(NodeKind::Array(items)) = root.get("value").map(|v| &v.kind) {
                let collected =
                    root.get("exportFormat").and_then(Node::as_str) == Some(COLLECT_FORMAT);
                return (collected || items.iter().any(is_resource)).then(|| {
                    let shape = if collected {
                        ExportShape::Collected
                    } else {
                        ExportShape::ArmList
                    };
                    (shape, borrowed(items))
                });
            }
            if is_az_ml(root) {
                return Some((ExportShape::AzMl, vec![Cow::Borrowed(root)]));
            }
            let arm_id = root.get("id").and_then(Node::as_str).is_some_and(|id| {
                id.starts_with("/subscriptions/") || id.starts_with("/providers/")
            });
            (arm_id && is_resource(root))
                .then(|| (ExportShape::ArmResource, vec![Cow::Borrowed(root)]))
        }
        _ => None,
    }
}

/// An entity as `az ml <thing> show -o json` prints it: an Azure ML ARM id,
/// and no ARM `type` (a compute's `type` is `amlcompute`, a workspace has none).
fn is_az_ml(n: &Node) -> bool {
    // The type first: an ARM item (most of an export) has one with a `/`.
    !n.get("type")
        .and_then(Node::as_str)
        .is_some_and(|t| t.contains('/'))
        && n.get("id").and_then(Node::as_str).is_some_and(|id| {
            id.starts_with("/subscriptions/")
                && id
                    .to_ascii_lowercase()
                    .contains("/providers/microsoft.machinelearningservices/")
        })
}

/// The resources an `az ml` entity maps to, through the CLI YAML front end's
/// mapping (the JSON has the YAML's keys), positioned at the export.
fn az_ml_resources(file: FileId, node: Node) -> Result<Vec<Resource>, String> {
    let id = node
        .get("id")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_string();
    let location = node
        .get("location")
        .and_then(Node::as_str)
        .unwrap_or_default();
    let target = aml_yaml::Target::from_id(&id, location).ok_or_else(|| {
        format!("`{id}` is not an Azure ML id in a resource group; the entity was skipped")
    })?;
    let mut spans = BTreeMap::new();
    record_spans(file, &node, &mut String::new(), &mut spans, 0);
    let span = Span::new(file, node.start as usize, node.end as usize);
    let doc = aml_yaml::Document {
        value: into_value(node),
        spans,
        span,
    };
    let (_, resources) = aml_yaml::map_value(&doc, &target, crate::FORMAT).ok_or_else(|| {
        format!("`{id}` is not an Azure ML entity the CLI mapping reads; it was skipped")
    })?;
    Ok(resources)
}

/// The rows of a Resource Graph table result, as objects keyed by column.
fn table_rows(data: &Node) -> Option<Vec<Node>> {
    let columns: Vec<String> = data
        .get("columns")?
        .as_array()?
        .iter()
        .map(|c| {
            c.get("name")
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let rows = data.get("rows")?.as_array()?;
    Some(
        rows.iter()
            .filter_map(|row| {
                let cells = row.as_array()?;
                let members = columns
                    .iter()
                    .zip(cells)
                    .map(|(name, cell)| Member {
                        key: name.clone(),
                        key_start: cell.start,
                        value: cell.clone(),
                    })
                    .collect();
                Some(Node {
                    kind: NodeKind::Object(members),
                    start: row.start,
                    end: row.end,
                })
            })
            .collect(),
    )
}

/// A warning when the export says more results exist than it holds.
fn incomplete(root: &Node) -> Option<String> {
    let set = |key: &str| {
        root.get(key)
            .is_some_and(|v| !matches!(v.kind, NodeKind::Null) && v.as_str() != Some(""))
    };
    let truncated = root
        .get("resultTruncated")
        .is_some_and(|v| v.as_str() == Some("true") || v.kind == NodeKind::Bool(true));
    if set("$skipToken") || set("skip_token") || set("skipToken") || truncated {
        return Some("the Resource Graph result is one page of more (it has a skip token or is truncated): resources on the other pages are not scanned; `aml-baseline collect` follows every page".into());
    }
    if set("nextLink") {
        return Some("the ARM list is one page of more (it has a `nextLink`): resources on the other pages are not scanned; `aml-baseline collect` follows every page".into());
    }
    None
}

fn id_of(n: &Node) -> Option<String> {
    ["id", "ResourceId", "resourceId"]
        .iter()
        .find_map(|k| n.get(k).and_then(Node::as_str))
        .filter(|s| s.starts_with('/'))
        .map(str::to_string)
}

/// `/subscriptions/s/resourceGroups/rg` of an id, as the id spells it.
fn resource_group_scope(id: &str) -> Option<String> {
    let segs: Vec<&str> = id.split('/').collect();
    (segs.len() >= 5
        && segs[1].eq_ignore_ascii_case("subscriptions")
        && segs[3].eq_ignore_ascii_case("resourceGroups"))
    .then(|| segs[..5].join("/"))
}

/// One resource of an export.
fn resource(file: FileId, node: Node, default_scope: &str) -> Result<Resource, String> {
    if !node.is_object() {
        return Err(format!(
            "an element of the export is {} where a resource object was expected; it was skipped",
            node.kind_name()
        ));
    }
    let Some(raw_type) = node
        .get("type")
        .and_then(Node::as_str)
        .filter(|t| t.contains('/'))
    else {
        return Err("a resource of the export has no `type` (expected `Namespace/type`, as Resource Graph and ARM report it); it was skipped".into());
    };
    let given_id = id_of(&node);
    let resource_type = types::canonical(raw_type, given_id.as_deref());
    let given_name = node.get("name").and_then(Node::as_str).unwrap_or_default();
    let id = match &given_id {
        Some(id) => id.clone(),
        None => {
            if given_name.is_empty() {
                return Err(format!(
                    "a `{resource_type}` of the export has neither `id` nor `name`; it was skipped"
                ));
            }
            let scope = match (
                ["subscriptionId", "SubscriptionId"]
                    .iter()
                    .find_map(|k| node.get(k).and_then(Node::as_str)),
                ["resourceGroup", "resourceGroupName", "ResourceGroupName"]
                    .iter()
                    .find_map(|k| node.get(k).and_then(Node::as_str)),
            ) {
                (Some(s), Some(rg)) => format!("/subscriptions/{s}/resourceGroups/{rg}"),
                _ => default_scope.to_string(),
            };
            resource_id(&scope, &resource_type, given_name)
        }
    };
    // The full name (`ws/ci`) from the id; ARM and Resource Graph give the last segment only.
    let name = types::type_and_name(&id)
        .filter(|(t, _)| t.eq_ignore_ascii_case(&resource_type))
        .map(|(_, n)| n)
        .unwrap_or_else(|| given_name.to_string());
    let scope_id = types::extension_scope(&id);
    let parent = if scope_id.is_some() {
        None
    } else {
        parent_id(&id)
    };
    let mut spans = BTreeMap::new();
    record_spans(file, &node, &mut String::new(), &mut spans, 0);
    let api_version = node
        .get("apiVersion")
        .and_then(Node::as_str)
        .map(str::to_string);
    let span = Span::new(file, node.start as usize, node.end as usize);
    let mut body = into_value(node);
    if let Some(o) = body.as_object_mut() {
        set_key(o, "type", Value::str(&resource_type));
        set_key(o, "name", Value::str(&name));
        if !o.keys().any(|k| k.eq_ignore_ascii_case("id")) {
            o.insert("id".into(), Value::str(&id));
        }
    }
    Ok(Resource {
        id,
        resource_type,
        name,
        api_version,
        body,
        parent_id: parent,
        scope_id,
        existing: false,
        deployed: Deployed::Yes,
        span,
        symbol: None,
        spans: spans.into(),
        format: crate::FORMAT,
        deployment: 0,
        source_names: None,
    })
}

/// Sets `key` (matched case-insensitively) to `value`.
fn set_key(o: &mut aml_model::value::Object, key: &str, value: Value) {
    match o.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned() {
        Some(k) => {
            o.insert(k, value);
        }
        None => {
            o.insert(key.to_string(), value);
        }
    }
}

/// The span of every value below `node`, by lower-case dotted path (the
/// `bicep snapshot` front end records its predicted resources' spans alike).
pub fn record_spans(
    file: FileId,
    node: &Node,
    path: &mut String,
    spans: &mut BTreeMap<String, Span>,
    depth: usize,
) {
    if depth > MAX_SPAN_DEPTH {
        return;
    }
    if !path.is_empty() {
        spans
            .entry(path.clone())
            .or_insert_with(|| Span::new(file, node.start as usize, node.end as usize));
    }
    let len = path.len();
    match &node.kind {
        NodeKind::Object(members) => {
            // Of a key written twice, Azure reports (and we read) the last copy.
            let skip = aml_model::json::superseded(members);
            for (m, _) in members.iter().zip(skip).filter(|(_, s)| !s) {
                if !path.is_empty() {
                    path.push('.');
                }
                aml_model::model::push_ascii_lowercase(path, &m.key);
                record_spans(file, &m.value, path, spans, depth + 1);
                path.truncate(len);
            }
        }
        NodeKind::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                // Written in place: one path per value, no string per step.
                let _ = write!(path, "[{i}]");
                record_spans(file, item, path, spans, depth + 1);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aml_model::json::parse;

    fn read(text: &str) -> Option<LiveExport> {
        read_export(FileId(0), parse(text).unwrap(), Some(text.into()))
    }

    const WS: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

    #[test]
    fn resource_graph_lower_case_types_and_child_names() {
        let text = format!(
            r#"{{"count": 2, "data": [
              {{"id": "{WS}", "name": "ws", "type": "microsoft.machinelearningservices/workspaces",
                "properties": {{"publicNetworkAccess": "Enabled"}}}},
              {{"id": "{WS}/computes/ci", "name": "ci", "type": "microsoft.machinelearningservices/workspaces/computes",
                "properties": {{"computeType": "ComputeInstance"}}}}
            ], "skip_token": null, "total_records": 2}}"#
        );
        let e = read(&text).unwrap();
        assert_eq!(e.shape, ExportShape::ResourceGraph);
        assert!(e.diagnostics.is_empty(), "{:?}", e.diagnostics);
        let ci = &e.resources[1];
        assert_eq!(
            ci.resource_type,
            "Microsoft.MachineLearningServices/workspaces/computes"
        );
        assert_eq!(ci.name, "ws/ci");
        assert_eq!(ci.parent_id.as_deref(), Some(WS));
        assert_eq!(
            ci.get("type").and_then(Value::as_str),
            Some(ci.resource_type.as_str())
        );
        // positions at the export's JSON
        let pna = e.resources[0].span_of("properties.publicNetworkAccess");
        assert_eq!(&text[pna.start as usize..pna.end as usize], "\"Enabled\"");
    }

    #[test]
    fn arm_list_with_next_link_is_read_and_said_incomplete() {
        let text = format!(
            r#"{{"value": [{{"id": "{WS}/providers/microsoft.insights/diagnosticSettings/d",
                "type": "Microsoft.Insights/diagnosticSettings", "name": "d", "properties": {{}}}}],
                "nextLink": "https://management.azure.com/next"}}"#
        );
        let e = read(&text).unwrap();
        assert_eq!(e.shape, ExportShape::ArmList);
        assert_eq!(e.resources[0].scope_id.as_deref(), Some(WS));
        assert_eq!(e.resources[0].parent_id, None);
        assert_eq!(e.diagnostics[0].code, "live-export-incomplete");
    }

    #[test]
    fn one_resource_table_form_and_lists() {
        let one = format!(
            r#"{{"id": "{WS}", "type": "Microsoft.MachineLearningServices/workspaces", "name": "ws"}}"#
        );
        assert_eq!(read(&one).unwrap().shape, ExportShape::ArmResource);
        let table = format!(
            r#"{{"totalRecords": 1, "count": 1, "data": {{"columns": [{{"name": "id", "type": "string"}}, {{"name": "type", "type": "string"}}],
               "rows": [["{WS}", "microsoft.machinelearningservices/workspaces"]]}}}}"#
        );
        let e = read(&table).unwrap();
        assert_eq!(e.shape, ExportShape::ResourceGraphTable);
        assert_eq!(e.resources[0].name, "ws");
        let list = r#"[{"type": "Microsoft.MachineLearningServices/workspaces", "name": "w", "subscriptionId": "x", "resourceGroup": "g"}, 3]"#;
        let e = read(list).unwrap();
        assert_eq!(e.shape, ExportShape::ResourceList);
        assert_eq!(
            e.resources[0].id,
            "/subscriptions/x/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w"
        );
        assert_eq!(e.diagnostics[0].code, "live-export");
    }

    #[test]
    fn templates_and_other_json_are_not_exports() {
        assert!(read(r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": []}"#).is_none());
        assert!(read(r#"{"name": "package", "version": "1.0.0"}"#).is_none());
        assert!(read(r#"[1, 2]"#).is_none());
        assert!(read(r#"{"value": [{"a": 1}]}"#).is_none());
    }

    /// The items moved out of the tree are the ones [`classify`] names, in
    /// its order, and their values are what [`Node::to_value`] gives.
    #[test]
    fn the_items_read_are_those_classified() {
        let ws = |n: &str| {
            format!(
                r#"{{"id": "{WS}{n}", "type": "microsoft.machinelearningservices/workspaces/computes", "properties": {{"a": [1, 2.5, null, true, {{"B": "x", "B": "y"}}]}}}}"#
            )
        };
        let (c1, c2, c3) = (ws("/computes/c1"), ws("/computes/c2"), ws("/computes/c3"));
        let table = format!(
            r#"{{"columns": [{{"name": "id"}}, {{"name": "type"}}], "rows": [["{WS}/computes/t", "microsoft.machinelearningservices/workspaces/computes"]]}}"#
        );
        let texts = [
            format!(r#"{{"data": [{c1}], "value": [{c2}]}}"#),
            format!(r#"{{"data": {table}, "value": [{c1}]}}"#),
            // Of a key written twice, the last copy is read.
            format!(r#"{{"value": [{c1}], "value": [{c2}, {c3}]}}"#),
            format!(r#"{{"Value": [{c1}], "value": [{c3}]}}"#),
            format!(r#"[{c2}, {c1}]"#),
            c3.clone(),
        ];
        for text in &texts {
            let root = parse(text).unwrap();
            let (_, items) = classify(&root).unwrap();
            let expected: Vec<(Option<String>, Value)> = items
                .iter()
                .map(|n| {
                    (
                        id_of(n),
                        n.get("properties").map(Node::to_value).unwrap_or_default(),
                    )
                })
                .collect();
            let e = read(text).unwrap();
            let got: Vec<(Option<String>, Value)> = e
                .resources
                .iter()
                .map(|r| {
                    let props = r.body.get("properties").cloned().unwrap_or_default();
                    (Some(r.id.clone()), props)
                })
                .collect();
            assert_eq!(got, expected, "{text}");
            assert!(!got.is_empty());
        }
    }

    #[test]
    fn an_items_group_is_read_from_its_own_id() {
        let cases = [
            (
                r#"{"id": "/subscriptions/S/resourceGroups/RG/providers/A/b/n", "type": "A/b"}"#,
                "/subscriptions/s/resourcegroups/rg",
            ),
            // Ids below the item's own are not its own.
            (
                r#"{"properties": {"id": "/subscriptions/x/resourceGroups/other"}, "tags": ["id"], "ResourceId": "/subscriptions/s/resourceGroups/g2/providers/P/q"}"#,
                "/subscriptions/s/resourcegroups/g2",
            ),
            (
                r#"{"name": "id", "id" : "/subscriptions/s/resourceGroups/g3"}"#,
                "/subscriptions/s/resourcegroups/g3",
            ),
            (
                r#"{"k\"id": "x", "id": "/Subscriptions/s"}"#,
                "/subscriptions/s",
            ),
            // None, or one written with an escape: no group.
            (r#"{"type": "A/b"}"#, ""),
            (r#"{"id": "/subscriptions/s/resourceGroups/g\u0041"}"#, ""),
            (r#"{"id": 5}"#, ""),
            (r#"["id", "/subscriptions/s"]"#, ""),
            (r#"{"id": "/subscriptions/s"#, ""),
        ];
        for (item, group) in cases {
            assert_eq!(group_of_text(item), group, "{item}");
        }
    }

    #[test]
    fn an_export_built_a_group_at_a_time_is_the_tree_and_the_read_of_one_built_in_order() {
        let item = |i: usize| {
            format!(
                r#"{{"id": "/subscriptions/s/resourceGroups/rg{}/providers/Microsoft.MachineLearningServices/workspaces/w{i}", "type": "Microsoft.MachineLearningServices/workspaces", "name": "w{i}", "location": "westeurope", "properties": {{"publicNetworkAccess": "Enabled", "n": {i}}}}}"#,
                (i * 7) % 13
            )
        };
        let items: Vec<String> = (0..40_000).map(item).collect();
        let text = format!("{{\"value\": [\n{}\n]}}", items.join(",\n"));
        assert!(text.len() >= aml_model::json::PARALLEL_FROM);
        let grouped = aml_model::json::parse_split_by(&text, group_of_text).expect("split");
        let whole = aml_model::json::parse(&text).unwrap();
        assert_eq!(grouped, whole);
        let file = FileId(0);
        let without_text = read_export(file, grouped, None).unwrap();
        let with_text =
            read_export(file, whole, Some(std::sync::Arc::from(text.as_str()))).unwrap();
        assert_eq!(without_text.resources.len(), 40_000);
        assert_eq!(
            format!("{:?}", without_text.resources),
            format!("{:?}", with_text.resources)
        );
    }

    #[test]
    fn duplicates_are_kept_once() {
        let text = format!(
            r#"[{{"id": "{WS}", "type": "Microsoft.MachineLearningServices/workspaces"}}, {{"id": "{WS}", "type": "Microsoft.MachineLearningServices/workspaces"}}]"#
        );
        let e = read(&text).unwrap();
        assert_eq!(e.resources.len(), 1);
        assert_eq!(e.diagnostics[0].code, "live-duplicate");
    }
}

#[cfg(test)]
mod az_ml_tests {
    use super::*;

    #[test]
    fn az_ml_show_output_maps_through_the_cli_mapping() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/live-az-ml/compute-list.json"
        ))
        .unwrap();
        assert!(aml_model::input::looks_like_live_export(&text));
        let e = read_export(
            FileId(0),
            aml_model::json::parse(&text).unwrap(),
            Some(text.as_str().into()),
        )
        .unwrap();
        assert_eq!(e.shape, ExportShape::AzMl);
        assert!(e.diagnostics.is_empty(), "{:?}", e.diagnostics);
        assert_eq!(e.resources[0].name, "mlw-cli/cpu-cluster");
        assert_eq!(e.resources[0].format, crate::FORMAT);
    }

    /// An export's items read again from their own text, a resource group
    /// at a time, give the resources (settings, spans, positions) and the
    /// diagnostics that reading the tree's nodes gives, in export order.
    #[test]
    fn items_read_again_by_resource_group_are_read_as_in_the_tree() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/live/");
        let mut items: Vec<serde_json::Value> = Vec::new();
        for name in [
            "computes.json",
            "diagnostic-settings.json",
            "resource-graph.json",
        ] {
            let text = std::fs::read_to_string(format!("{dir}{name}")).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            for key in ["value", "data"] {
                if let Some(a) = v.get(key).and_then(|a| a.as_array()) {
                    items.extend(a.iter().cloned());
                }
            }
        }
        // Interleaved groups (every other item moved to another resource
        // group), a duplicate, an item that is no resource.
        let mut items: Vec<serde_json::Value> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let text = item.to_string();
                let text = match i % 2 {
                    0 => text.replace("resourceGroups/rg-ml", "resourceGroups/rg-b"),
                    _ => text,
                };
                serde_json::from_str(&text).unwrap()
            })
            .collect();
        items.reverse();
        items.push(items[0].clone());
        items.push(serde_json::json!(3));
        let text = serde_json::to_string_pretty(&serde_json::json!({ "value": items })).unwrap();
        let parse = |text: &str| aml_model::json::parse(text).unwrap();
        let once = read_export(FileId(0), parse(&text), None).unwrap();
        let again = read_export(FileId(0), parse(&text), Some(text.as_str().into())).unwrap();
        let shown = |e: &LiveExport| {
            e.resources
                .iter()
                .map(|r| {
                    let spans: Vec<(&str, &Span)> = r.spans.iter().collect();
                    format!(
                        "{} {:?} {:?} {:?} {:?}",
                        r.id, r.span, r.body, spans, r.parent_id
                    )
                })
                .collect::<Vec<_>>()
        };
        assert!(once.resources.len() > 4);
        let groups: std::collections::HashSet<&str> = once
            .resources
            .iter()
            .filter_map(|r| r.id.split("/providers/").next())
            .collect();
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert_eq!(shown(&again), shown(&once));
        assert_eq!(
            format!("{:?}", again.diagnostics),
            format!("{:?}", once.diagnostics)
        );
        assert!(!once.diagnostics.is_empty());
        // In export order, whatever the order they were read in.
        for e in [&once, &again] {
            assert!(e
                .resources
                .windows(2)
                .all(|w| w[0].span.start < w[1].span.start));
        }
    }
}
