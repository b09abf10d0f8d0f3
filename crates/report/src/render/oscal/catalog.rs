//! The baseline as an OSCAL 1.1.3 catalog (`aml-baseline baseline --format
//! oscal-catalog`): a group per security domain, a control per baseline
//! control (`ns-2`, labelled `NS-2`), whose statement has an item per
//! feature (description, responsibility, what can show it, the rules that
//! check it) and whose guidance has the feature's guidance. Findings of
//! `--format oscal` target the statements (`ns-2_smt`).

use super::{control_id, nist_prop, prop, props, put_list, statement_id, uuid_of, OSCAL_VERSION};
use aml_rules::catalogue::{catalogue, CatalogueControl, CatalogueFeature};
use serde_json::{json, Map, Value};

/// When `data/baseline/catalogue.json` last changed: the catalog's
/// `last-modified` (a constant, so the catalog is the same on every run).
pub const CATALOGUE_MODIFIED: &str = "2026-11-28T11:56:45Z";

/// The ids of the rules checking `feature` of `control` (all feature-less
/// rules of the control with `None`).
pub fn covering(control: &str, feature: Option<&str>) -> Vec<&'static str> {
    aml_rules::all()
        .iter()
        .filter(|r| r.control == control && r.feature == feature)
        .map(|r| r.id)
        .collect()
}

/// Pretty-printed catalog, with a final newline.
pub fn render() -> String {
    let mut s = serde_json::to_string_pretty(&document())
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// The catalog's UUID (derived from its content).
pub fn uuid() -> String {
    uuid_of(&format!("catalog\n{}", body()))
}

/// The OSCAL catalog document.
pub fn document() -> Value {
    let mut ordered = Map::new();
    ordered.insert("uuid".into(), json!(uuid()));
    if let Value::Object(o) = body() {
        ordered.extend(o);
    }
    json!({ "catalog": ordered })
}

/// Everything of the catalog but its UUID.
fn body() -> Value {
    let c = catalogue();
    let source = uuid_of(&format!("catalogue-source\n{}", c.source));
    let mut groups: Vec<(String, String, Vec<Value>)> = Vec::new();
    for control in &c.controls {
        let prefix = control
            .id
            .split('-')
            .next()
            .unwrap_or(&control.id)
            .to_ascii_lowercase();
        let value = oscal_control(control);
        match groups.iter_mut().find(|(id, _, _)| *id == prefix) {
            Some((_, _, controls)) => controls.push(value),
            None => groups.push((prefix, control.domain.clone(), vec![value])),
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(id, title, controls)| json!({ "id": id, "class": "domain", "title": title, "controls": controls }))
        .collect();
    json!({
        "metadata": {
            "title": c.baseline,
            "last-modified": CATALOGUE_MODIFIED,
            "version": env!("CARGO_PKG_VERSION"),
            "oscal-version": OSCAL_VERSION,
            "props": props([prop("benchmark", &c.benchmark)]),
            "links": [{ "href": format!("#{source}"), "rel": "source", "text": "The baseline's feature table" }],
            "remarks": "Descriptions and guidance are aml-baseline's own words; `aml-baseline baseline` \
                        prints the same catalogue as text or JSON.",
        },
        "groups": groups,
        "back-matter": { "resources": [{
            "uuid": source,
            "title": format!("{} ({})", c.baseline, c.benchmark),
            "rlinks": [{ "href": c.source }],
        }]},
    })
}

fn oscal_control(c: &CatalogueControl) -> Value {
    let id = control_id(&c.id);
    let items: Vec<Value> = c
        .features
        .iter()
        .enumerate()
        .map(|(i, f)| feature_item(c, f, &format!("{}.{}", statement_id(&c.id), i + 1)))
        .collect();
    let guidance: Vec<Value> = c
        .features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            json!({
                "id": format!("{id}_gdn.{}", i + 1),
                "name": "guidance",
                "title": f.name,
                "prose": f.guidance,
            })
        })
        .collect();
    let mut statement = Map::new();
    statement.insert("id".into(), json!(statement_id(&c.id)));
    statement.insert("name".into(), json!("statement"));
    statement.insert("prose".into(), json!(format!("{}: {}.", c.id, c.title)));
    put_list(&mut statement, "parts", items);
    let mut parts = vec![Value::Object(statement)];
    if !guidance.is_empty() {
        parts.push(json!({ "id": format!("{id}_gdn"), "name": "guidance", "parts": guidance }));
    }
    let mut control = Map::new();
    control.insert("id".into(), json!(id));
    control.insert("class".into(), json!("mcsb-control"));
    control.insert("title".into(), json!(c.title));
    control.insert(
        "props".into(),
        json!(props(
            [nist_prop("label", &c.id), prop("domain", &c.domain)]
                .into_iter()
                .chain(
                    covering(&c.id, None)
                        .into_iter()
                        .map(|r| prop("other-rule", r))
                )
        )),
    );
    control.insert("parts".into(), Value::Array(parts));
    Value::Object(control)
}

fn feature_item(c: &CatalogueControl, f: &CatalogueFeature, id: &str) -> Value {
    let enabled = match f.enabled_by_default {
        Some(true) => "true",
        Some(false) => "false",
        None => "not-applicable",
    };
    let mut item = Map::new();
    item.insert("id".into(), json!(id));
    item.insert("name".into(), json!("item"));
    item.insert("title".into(), json!(f.name));
    item.insert(
        "props".into(),
        json!(props(
            [
                prop("supported", if f.supported { "true" } else { "false" }),
                prop("enabled-by-default", enabled),
                prop("responsibility", &f.responsibility),
                prop("evidence", &f.evidence),
            ]
            .into_iter()
            .chain(
                covering(&c.id, Some(f.name.as_str()))
                    .into_iter()
                    .map(|r| prop("rule", r))
            )
        )),
    );
    item.insert("prose".into(), json!(f.description));
    if let Some(reference) = &f.reference {
        item.insert(
            "links".into(),
            json!([{ "href": reference, "rel": "reference" }]),
        );
    }
    Value::Object(item)
}
