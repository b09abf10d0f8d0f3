//! NIST OSCAL 1.1.3 (`--format oscal`): the report as an OSCAL
//! *assessment-results* document, and (in [`catalog`]) the baseline as the
//! OSCAL *catalog* those results reference. One `result` per scan; a
//! `finding` per baseline control (its target the control's statement, its
//! state from the roll-up); an `observation` per (rule, resource) result; a
//! `risk` per failure, with the fix as a recommended remediation. UUIDs are
//! version 5, derived from what they name, so two runs of the same scan give
//! the same document. `docs/formats.md` describes the mapping; the tests
//! validate the output against NIST's JSON schemas.

pub mod catalog;

use super::stream::{Layout, Object};
use crate::baseline::{ControlStatus, Evidence as FeatureEvidence, Status};
use crate::entry::Suppression;
use crate::{Report, ResultEntry};
use aml_model::input::ScanOutput;
use aml_rules::evaluate::Verdict;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// The OSCAL version the documents declare (and are validated against).
pub const OSCAL_VERSION: &str = "1.1.3";

/// The namespace of the property names aml-baseline defines (`ns` of a
/// `prop`); properties NIST defines (`label`, `asset-id`) have none. OSCAL
/// tools want an `https` URI; the project has no domain, so the name is under
/// the reserved `.invalid` top-level domain: an identifier, never fetched.
pub const NS: &str = "https://aml-baseline.invalid/ns/oscal";

/// A version 5 UUID of `key` in aml-baseline's namespace: the same key
/// always gives the same UUID.
pub fn uuid_of(key: &str) -> String {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, NS.as_bytes());
    Uuid::new_v5(&namespace, key.as_bytes()).to_string()
}

/// [`uuid_of`] `prefix` followed by `value`'s compact JSON (as `{}` shows
/// a JSON value), hashed as it is serialised: the document's and the
/// result's UUIDs are of their whole content, hundreds of megabytes on a
/// large scan, which is never copied or held as one string (decision 0049).
fn uuid_of_json(prefix: &str, value: &impl serde::Serialize) -> String {
    // Serialising a JSON value into a hash cannot fail.
    uuid_of_written(prefix, |w| Ok(serde_json::to_writer(w, value)?)).unwrap_or_default()
}

/// The OSCAL id of a baseline control (`NS-2` → `ns-2`).
pub fn control_id(control: &str) -> String {
    control.to_ascii_lowercase()
}

/// The id of a control's statement part, which findings target.
pub fn statement_id(control: &str) -> String {
    format!("{}_smt", control_id(control))
}

/// A property in aml-baseline's namespace; `None` when `value` is blank.
/// OSCAL values are one line without outer whitespace: runs of whitespace
/// (line breaks included) become one space.
pub(crate) fn prop(name: &str, value: &str) -> Option<Value> {
    let value = one_line(value);
    (!value.is_empty()).then(|| json!({ "name": name, "ns": NS, "value": value }))
}

/// A property NIST's OSCAL namespace defines (`label`, `asset-id`).
pub(crate) fn nist_prop(name: &str, value: &str) -> Option<Value> {
    let value = one_line(value);
    (!value.is_empty()).then(|| json!({ "name": name, "value": value }))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Inserts `key` when the list is not empty (OSCAL arrays have at least
/// one item).
pub(crate) fn put_list(object: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if !items.is_empty() {
        object.insert(key.into(), Value::Array(items));
    }
}

/// Properties from optional ones, in order.
pub(crate) fn props(list: impl IntoIterator<Item = Option<Value>>) -> Vec<Value> {
    list.into_iter().flatten().collect()
}

/// Pretty-printed OSCAL assessment results, with a final newline.
pub fn render(report: &Report, scan: &ScanOutput) -> String {
    crate::render::written(|out| write(report, scan, out))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}\n"))
}

/// Writes the pretty-printed OSCAL assessment results, with a final
/// newline: the bytes of [`assessment_results`] pretty-printed, but the
/// observations, risks and findings' references are made and serialised in
/// parallel, a window at a time, and written in order, never held as one
/// value or one string (issue 20, decision 0049). The UUIDs of the result
/// and of the document are of their content: each is hashed from the
/// content written compact first (the entries made again each time).
pub fn write(
    report: &Report,
    scan: &ScanOutput,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let parts = Parts::new(report, scan);
    let result_uuid =
        uuid_of_written("result\n", |w| parts.write_result(w, Layout::Compact, None))?;
    let body_uuid = uuid_of_written("assessment-results\n", |w| {
        parts.write_body(w, Layout::Compact, None, &result_uuid)
    })?;
    let mut buffered = std::io::BufWriter::with_capacity(super::stream::WRITE_BUFFER, out);
    let mut top = Object::begin(&mut buffered, Layout::Pretty(0))?;
    top.member("assessment-results", |out, layout| {
        parts.write_body(out, layout, Some(&body_uuid), &result_uuid)
    })?;
    top.end()?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

/// What the streamed document is made of besides its entries.
struct Parts<'a> {
    report: &'a Report,
    scan: &'a ScanOutput,
    timestamp: String,
    ids: Ids,
    /// The document's members but its UUID and results.
    metadata: Value,
    import_ap: Value,
    back_matter: Value,
    /// The result's members before its observations.
    head: Map<String, Value>,
    /// The results' positions (what the entries are made from).
    positions: Vec<usize>,
    /// The controls that have a finding.
    controls: Vec<&'a ControlStatus>,
    remarks: Option<Value>,
}

impl<'a> Parts<'a> {
    fn new(report: &'a Report, scan: &'a ScanOutput) -> Self {
        let timestamp = format!("{}T00:00:00Z", report.date);
        let ids = ids(report);
        let head = result_head(report, &ids, &timestamp);
        let (metadata, import_ap, back_matter) = document_members(report);
        Parts {
            report,
            scan,
            timestamp,
            head,
            ids,
            metadata,
            import_ap,
            back_matter,
            positions: (0..report.results.len()).collect(),
            controls: findable(report).collect(),
            remarks: remarks(report),
        }
    }

    /// The document's body (`assessment-results`), with its UUID when given.
    fn write_body<W: std::io::Write + ?Sized>(
        &self,
        out: &mut W,
        layout: Layout,
        uuid: Option<&str>,
        result_uuid: &str,
    ) -> std::io::Result<()> {
        let mut o = Object::begin(out, layout)?;
        if let Some(uuid) = uuid {
            o.field("uuid", uuid)?;
        }
        o.field("metadata", &self.metadata)?;
        o.field("import-ap", &self.import_ap)?;
        o.single("results", |out, layout| {
            self.write_result(out, layout, Some(result_uuid))
        })?;
        o.field("back-matter", &self.back_matter)?;
        o.end()
    }

    /// The one result, with its UUID when given.
    fn write_result<W: std::io::Write + ?Sized>(
        &self,
        out: &mut W,
        layout: Layout,
        uuid: Option<&str>,
    ) -> std::io::Result<()> {
        let (report, ids) = (self.report, &self.ids);
        let mut o = Object::begin(out, layout)?;
        if let Some(uuid) = uuid {
            o.field("uuid", uuid)?;
        }
        for (key, value) in &self.head {
            o.field(key, value)?;
        }
        if !self.positions.is_empty() {
            o.array("observations", &self.positions, |&i| {
                let r = &report.results[i];
                Some(observation(r, self.scan, ids, i, &self.timestamp))
            })?;
        }
        if ids.risks.iter().any(Option::is_some) {
            o.array("risks", &self.positions, |&i| {
                risk(&report.results[i], ids, i)
            })?;
        }
        if !self.controls.is_empty() {
            o.member("findings", |out, layout| write_findings(out, layout, self))?;
        }
        if let Some(remarks) = &self.remarks {
            o.field("remarks", remarks)?;
        }
        o.end()
    }
}

/// The findings, one per control, each listing its observations and risks.
fn write_findings<W: std::io::Write + ?Sized>(
    out: &mut W,
    layout: Layout,
    parts: &Parts<'_>,
) -> std::io::Result<()> {
    let (report, ids) = (parts.report, &parts.ids);
    out.write_all(b"[")?;
    for (n, c) in parts.controls.iter().enumerate() {
        if n == 0 {
            layout.opening(out)?;
        } else {
            layout.separator(out)?;
        }
        let mut o = Object::begin(&mut *out, layout.deeper())?;
        for (key, value) in &finding_head(c) {
            o.field(key, value)?;
        }
        let mine: Vec<usize> = (0..report.results.len())
            .filter(|i| report.results[*i].control == c.id)
            .collect();
        if !mine.is_empty() {
            o.array("related-observations", &mine, |&i| {
                Some(json!({ "observation-uuid": ids.observations[i] }))
            })?;
        }
        if mine.iter().any(|&i| ids.risks[i].is_some()) {
            o.array("related-risks", &mine, |&i| {
                ids.risks[i].as_ref().map(|u| json!({ "risk-uuid": u }))
            })?;
        }
        o.end()?;
    }
    if !parts.controls.is_empty() {
        layout.closing(out)?;
    }
    out.write_all(b"]")
}

/// [`uuid_of`] `prefix` followed by what `write` writes, hashed as it is
/// written.
fn uuid_of_written(
    prefix: &str,
    write: impl FnOnce(&mut Hashing) -> std::io::Result<()>,
) -> std::io::Result<String> {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, NS.as_bytes());
    let mut hashing = Hashing(sha1_smol::Sha1::new());
    hashing.0.update(namespace.as_bytes());
    hashing.0.update(prefix.as_bytes());
    write(&mut hashing)?;
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&hashing.0.digest().bytes()[..16]);
    Ok(uuid::Builder::from_sha1_bytes(bytes)
        .into_uuid()
        .to_string())
}

/// Feeds what is written to SHA-1 (a version 5 UUID's hash).
struct Hashing(sha1_smol::Sha1);

impl std::io::Write for Hashing {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The OSCAL assessment-results document of a report.
pub fn assessment_results(report: &Report, scan: &ScanOutput) -> Value {
    let timestamp = format!("{}T00:00:00Z", report.date);
    let result = result(report, scan, &timestamp);
    let (metadata, import_ap, back_matter) = document_members(report);
    let mut body = json!({
        "metadata": metadata,
        "import-ap": import_ap,
        "results": [result],
        "back-matter": back_matter,
    });
    let uuid = uuid_of_json("assessment-results\n", &body);
    if let Value::Object(o) = &mut body {
        let mut ordered = Map::new();
        ordered.insert("uuid".into(), json!(uuid));
        ordered.extend(std::mem::take(o));
        *o = ordered;
    }
    json!({ "assessment-results": body })
}

/// The document's `metadata`, `import-ap` and `back-matter`.
fn document_members(report: &Report) -> (Value, Value, Value) {
    let timestamp = format!("{}T00:00:00Z", report.date);
    let catalog_uuid = catalog::uuid();
    let plan_uuid = uuid_of(&format!(
        "assessment-plan\n{}",
        report.tool.rules.join("\n")
    ));
    let catalog_resource = uuid_of(&format!("catalog-resource\n{catalog_uuid}"));
    let mut metadata = Map::new();
    metadata.insert(
        "title".into(),
        json!(format!(
            "aml-baseline assessment: {}",
            report.baseline.baseline
        )),
    );
    metadata.insert("last-modified".into(), json!(timestamp));
    metadata.insert("version".into(), json!(report.tool.version));
    metadata.insert("oscal-version".into(), json!(OSCAL_VERSION));
    metadata.insert(
        "props".into(),
        json!([prop(
            "tool",
            &format!("{} {}", report.tool.name, report.tool.version)
        )]),
    );
    metadata.insert(
        "links".into(),
        json!([{
            "href": format!("#{catalog_resource}"),
            "rel": "reference",
            "text": "The baseline's catalog, whose controls the findings target",
        }]),
    );
    let back_matter = json!({ "resources": [
        {
            "uuid": plan_uuid,
            "title": "aml-baseline's assessment plan",
            "description": format!(
                "There is no separate OSCAL assessment plan: the plan is the set of rules aml-baseline \
                 ran, each a test of infrastructure code (method TEST) or an examination of exported live \
                 state (method EXAMINE) against a control of the catalog: {}.",
                report.tool.rules.join(", ")
            ),
        },
        {
            "uuid": catalog_resource,
            "title": format!("{} (OSCAL catalog)", report.baseline.baseline),
            "description": "The baseline's controls and features as an OSCAL catalog: \
                            `aml-baseline baseline --format oscal-catalog`.",
            "document-ids": [{ "identifier": catalog_uuid }],
        },
    ]});
    let import_ap = json!({
        "href": format!("#{plan_uuid}"),
        "remarks": "The assessment plan is the rule set listed in the back matter.",
    });
    (Value::Object(metadata), import_ap, back_matter)
}

/// The UUIDs of a report's observations, risks and inventory items.
struct Ids {
    /// Per result (in report order): its observation's UUID.
    observations: Vec<String>,
    /// Per result: its risk's UUID, for failures.
    risks: Vec<Option<String>>,
    /// Per result: the inventory item of its resource.
    subjects: Vec<String>,
}

fn ids(report: &Report) -> Ids {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut unique = |key: String| {
        let n = seen.entry(key.clone()).or_insert(0);
        *n += 1;
        // A key met twice (the same resource id declared in two files) gets
        // its occurrence number, so UUIDs stay unique.
        uuid_of(&if *n == 1 { key } else { format!("{key}\n#{n}") })
    };
    let mut ids = Ids {
        observations: Vec::new(),
        risks: Vec::new(),
        subjects: Vec::new(),
    };
    for r in &report.results {
        let key = format!(
            "observation\n{}\n{}\n{}\n{}\n{}",
            r.rule,
            r.source,
            r.resource_id,
            r.property.as_deref().unwrap_or(""),
            r.assignment.as_deref().unwrap_or("")
        );
        let observation = unique(key);
        ids.risks
            .push((r.result == Verdict::Fail).then(|| uuid_of(&format!("risk\n{observation}"))));
        ids.observations.push(observation);
        ids.subjects.push(uuid_of(&format!(
            "resource\n{}\n{}",
            r.source, r.resource_id
        )));
    }
    ids
}

fn result(report: &Report, scan: &ScanOutput, timestamp: &str) -> Value {
    let ids = ids(report);
    let mut result = result_head(report, &ids, timestamp);
    let observations: Vec<Value> = report
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| observation(r, scan, &ids, i, timestamp))
        .collect();
    put_list(&mut result, "observations", observations);
    let risks: Vec<Value> = report
        .results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| risk(r, &ids, i))
        .collect();
    put_list(&mut result, "risks", risks);
    let findings: Vec<Value> = findable(report).map(|c| finding(c, report, &ids)).collect();
    put_list(&mut result, "findings", findings);
    if let Some(remarks) = remarks(report) {
        result.insert("remarks".into(), remarks);
    }
    let uuid = uuid_of_json("result\n", &result);
    let mut ordered = Map::new();
    ordered.insert("uuid".into(), json!(uuid));
    ordered.extend(result);
    Value::Object(ordered)
}

/// The result's members before its observations.
fn result_head(report: &Report, ids: &Ids, timestamp: &str) -> Map<String, Value> {
    let mut result = Map::new();
    let s = &report.summary;
    result.insert("title".into(), json!("aml-baseline scan"));
    result.insert(
        "description".into(),
        json!(format!(
            "{} {} checked {} files ({} resources) against the {}: {} results, {} passed, {} failed, \
             {} unknown (the files do not decide them), {} suppressed; {} input errors, {} warnings.",
            report.tool.name,
            report.tool.version,
            s.files,
            s.resources,
            report.baseline.baseline,
            s.results,
            s.passed,
            s.failed,
            s.unknown,
            s.suppressed,
            s.errors,
            s.warnings
        )),
    );
    result.insert("start".into(), json!(timestamp));
    result.insert("end".into(), json!(timestamp));
    result.insert(
        "props".into(),
        json!(props([
            prop("files", &s.files.to_string()),
            prop("resources", &s.resources.to_string()),
            prop("passed", &s.passed.to_string()),
            prop("failed", &s.failed.to_string()),
            prop("unknown", &s.unknown.to_string()),
            prop("suppressed", &s.suppressed.to_string()),
            prop("input-errors", &s.errors.to_string()),
        ])),
    );
    let items = inventory(report, ids);
    if !items.is_empty() {
        result.insert(
            "local-definitions".into(),
            json!({ "inventory-items": items }),
        );
    }
    let reviewed: Vec<Value> = report
        .baseline
        .controls
        .iter()
        .filter(|c| c.status != Status::NotApplicable)
        .map(|c| json!({ "control-id": control_id(c.id) }))
        .collect();
    let selection = if reviewed.is_empty() {
        json!({ "include-all": {} })
    } else {
        json!({
            "description": "Every control of the baseline that applies to the service.",
            "include-controls": reviewed,
        })
    };
    result.insert(
        "reviewed-controls".into(),
        json!({ "control-selections": [selection] }),
    );
    result
}

/// The controls that have a finding: those that apply to the service.
fn findable(report: &Report) -> impl Iterator<Item = &ControlStatus> {
    report
        .baseline
        .controls
        .iter()
        .filter(|c| c.status != Status::NotApplicable)
}

/// The result's remarks: the inputs that could not be read or evaluated.
fn remarks(report: &Report) -> Option<Value> {
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.level == aml_model::diagnostics::Level::Error)
        .map(|d| {
            format!(
                "- {}:{}:{}: {}: {}",
                d.path, d.line, d.column, d.code, d.message
            )
        })
        .collect();
    (!errors.is_empty()).then(|| {
        json!(format!(
            "Inputs that could not be read or evaluated (the results are incomplete):\n{}",
            errors.join("\n")
        ))
    })
}

/// One inventory item per resource the results name, in order of first
/// appearance.
fn inventory(report: &Report, ids: &Ids) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    let mut items = Vec::new();
    for (r, uuid) in report.results.iter().zip(&ids.subjects) {
        if !seen.insert(uuid.as_str()) {
            continue;
        }
        let live = if r.source == "live" { " (live)" } else { "" };
        items.push(json!({
            "uuid": uuid,
            "description": format!("{} '{}'{live}", r.resource_type, r.resource_name),
            "props": props([
                nist_prop("asset-id", &r.resource_id),
                prop("resource-type", &r.resource_type),
                prop("resource-name", &r.resource_name),
                prop("source", r.source),
                r.address.as_deref().and_then(|a| prop("terraform-address", a)),
            ]),
        }));
    }
    items
}

fn observation(r: &ResultEntry, scan: &ScanOutput, ids: &Ids, i: usize, timestamp: &str) -> Value {
    let location = format!("{}:{}:{}", r.path, r.line, r.column);
    let mut o = Map::new();
    o.insert("uuid".into(), json!(ids.observations[i]));
    o.insert(
        "title".into(),
        json!(format!(
            "{} on {} '{}': {}",
            r.rule,
            r.resource_type,
            r.resource_name,
            r.result.as_str()
        )),
    );
    let mut description = r.message.to_string();
    if !r.deciding.is_empty() {
        description.push_str(&format!(" Decided by: {}.", r.deciding.join(", ")));
    }
    o.insert("description".into(), json!(description));
    o.insert(
        "props".into(),
        json!(props([
            prop("rule", r.rule),
            r.policy.and_then(|p| prop("policy", p)),
            prop("control", r.control),
            r.feature.and_then(|f| prop("feature", f)),
            prop("result", r.result.as_str()),
            prop("severity", r.severity),
            r.effect.as_deref().and_then(|e| prop("effect", e)),
            r.assignment.as_deref().and_then(|a| prop("assignment", a)),
            r.denied.then(|| prop("denied", "true")).flatten(),
            r.may_be_denied
                .then(|| prop("may-be-denied", "true"))
                .flatten(),
            r.suppressed
                .as_ref()
                .and_then(|s| prop("suppressed", suppression_kind(s))),
        ])),
    );
    let method = if r.source == "live" {
        "EXAMINE"
    } else {
        "TEST"
    };
    o.insert("methods".into(), json!([method]));
    o.insert(
        "types".into(),
        json!([if r.result == Verdict::Fail {
            "finding"
        } else {
            "control-objective"
        }]),
    );
    o.insert(
        "subjects".into(),
        json!([{
            "subject-uuid": ids.subjects[i],
            "type": "inventory-item",
            "title": format!("{} '{}'", r.resource_type, r.resource_name),
            "props": props([prop("resource-id", &r.resource_id), prop("location", &location)]),
        }]),
    );
    o.insert(
        "relevant-evidence".into(),
        json!([evidence(r, scan, &location)]),
    );
    o.insert("collected".into(), json!(timestamp));
    Value::Object(o)
}

fn suppression_kind(s: &Suppression) -> &'static str {
    match s {
        Suppression::Waiver { .. } => "waiver",
        Suppression::Inline { .. } => "inline",
        Suppression::Baseline { .. } => "baseline",
    }
}

/// The evidence of a result: the source line (never one holding a secret),
/// or the live resource id and where the export holds it.
fn evidence(r: &ResultEntry, scan: &ScanOutput, location: &str) -> Value {
    let mut description = if r.source == "live" {
        format!("Live resource {} as exported at {location}", r.resource_id)
    } else {
        location.to_string()
    };
    if let Some(lines) = super::source_lines(scan, &r.path, r.line, r.line, 1) {
        let text = lines[0].1.trim();
        if !text.is_empty() {
            description.push_str(&format!(": `{text}`"));
        }
    }
    if let Some(e) = &r.evidence {
        description.push_str(&format!(
            "\nMet by {} '{}' at {}:{}:{}.",
            e.resource_type, e.resource_name, e.path, e.line, e.column
        ));
    }
    let mut ev = Map::new();
    if r.line > 0 && !r.path.starts_with('/') && !r.path.contains(':') {
        ev.insert(
            "href".into(),
            json!(format!(
                "{}#L{}",
                super::percent_encode_path(&r.path),
                r.line
            )),
        );
    }
    ev.insert("description".into(), json!(description));
    put_list(
        &mut ev,
        "props",
        props([
            prop("source", r.source),
            r.property.as_deref().and_then(|p| prop("property", p)),
        ]),
    );
    Value::Object(ev)
}

fn risk(r: &ResultEntry, ids: &Ids, i: usize) -> Option<Value> {
    let uuid = ids.risks[i].as_ref()?;
    let rule = aml_rules::find(r.rule);
    let title = rule.map_or(r.rule, |rule| rule.title);
    let status = match r.suppressed.as_deref() {
        Some(Suppression::Waiver { .. } | Suppression::Inline { .. }) => "deviation-approved",
        _ => "open",
    };
    let mut risk = Map::new();
    risk.insert("uuid".into(), json!(uuid));
    risk.insert(
        "title".into(),
        json!(format!(
            "{}: {} '{}' fails {}",
            r.control, r.resource_type, r.resource_name, r.rule
        )),
    );
    risk.insert("description".into(), json!(r.message));
    risk.insert(
        "statement".into(),
        json!(format!(
            "Expected: {title}. {} {} leaves control {}{} unmet for this resource.",
            r.rule,
            if r.denied {
                "would make Azure deny the deployment and"
            } else {
                "fails and"
            },
            r.control,
            r.feature.map(|f| format!(" ({f})")).unwrap_or_default()
        )),
    );
    risk.insert(
        "props".into(),
        json!(props([prop("severity", r.severity), prop("rule", r.rule)])),
    );
    risk.insert("status".into(), json!(status));
    let mut fix = r
        .fix
        .unwrap_or("See the rule's page: aml-baseline explain RULE.")
        .to_string();
    if let Some(a) = &r.autofix {
        fix.push_str(&format!(
            "\n\n`aml-baseline fix` applies it ({}):\n{}",
            a.safety, a.description
        ));
    }
    risk.insert(
        "remediations".into(),
        json!([{
            "uuid": uuid_of(&format!("remediation\n{uuid}")),
            "lifecycle": "recommendation",
            "title": format!("Fix {}", r.rule),
            "description": fix,
        }]),
    );
    if let Some(
        Suppression::Waiver { justification, .. }
        | Suppression::Inline {
            reason: justification,
            ..
        },
    ) = r.suppressed.as_deref()
    {
        risk.insert(
            "mitigating-factors".into(),
            json!([{
                "uuid": uuid_of(&format!("deviation\n{uuid}")),
                "description": format!("Accepted: {justification}"),
            }]),
        );
    }
    risk.insert(
        "related-observations".into(),
        json!([{ "observation-uuid": ids.observations[i] }]),
    );
    Some(Value::Object(risk))
}

/// The OSCAL state of a control's roll-up status, and why.
fn state(status: Status) -> (&'static str, &'static str, &'static str) {
    match status {
        Status::Pass => ("satisfied", "pass", "Every result of its rules passes, or a valid attestation covers it."),
        Status::Platform => ("satisfied", "other", "Microsoft's responsibility and on by default."),
        Status::Fail => ("not-satisfied", "fail", "At least one result of its rules fails."),
        Status::Unknown => (
            "not-satisfied",
            "other",
            "Not shown: the files do not decide it (no failure was seen; see the observations for what decides).",
        ),
        Status::Manual => (
            "not-satisfied",
            "other",
            "Not shown: no file can show it; it needs a person's attestation in aml-baseline.toml.",
        ),
        Status::NotApplicable => ("satisfied", "other", "The service does not support it."),
    }
}

fn finding(c: &ControlStatus, report: &Report, ids: &Ids) -> Value {
    let mut finding = finding_head(c);
    let of_control = |i: &usize| report.results[*i].control == c.id;
    let observations: Vec<Value> = (0..report.results.len())
        .filter(of_control)
        .map(|i| json!({ "observation-uuid": ids.observations[i] }))
        .collect();
    put_list(&mut finding, "related-observations", observations);
    let risks: Vec<Value> = (0..report.results.len())
        .filter(of_control)
        .filter_map(|i| ids.risks[i].as_ref())
        .map(|u| json!({ "risk-uuid": u }))
        .collect();
    put_list(&mut finding, "related-risks", risks);
    Value::Object(finding)
}

/// A finding's members before its related observations and risks.
fn finding_head(c: &ControlStatus) -> Map<String, Value> {
    let (state, reason, why) = state(c.status);
    let mut lines = Vec::new();
    for f in &c.features {
        let mut line = format!("- {}: {}", f.name, f.status.as_str());
        for e in &f.evidence {
            match e {
                FeatureEvidence::Results {
                    passed,
                    failed,
                    unknown,
                    suppressed,
                    ..
                } => line.push_str(&format!(
                    " ({passed} passed, {failed} failed, {unknown} unknown, {suppressed} suppressed)"
                )),
                FeatureEvidence::Attestation { by, expires, expired, .. } => line.push_str(&format!(
                    " (attested by {by} until {expires}{})",
                    if *expired { ", expired" } else { "" }
                )),
                FeatureEvidence::Note { message } => line.push_str(&format!(" ({message})")),
            }
        }
        lines.push(line);
    }
    let mut finding = Map::new();
    finding.insert("uuid".into(), json!(uuid_of(&format!("finding\n{}", c.id))));
    finding.insert("title".into(), json!(format!("{} {}", c.id, c.title)));
    finding.insert(
        "description".into(),
        json!(format!(
            "{}: {}. {why}\n\n{}",
            c.id,
            c.status.as_str(),
            lines.join("\n")
        )),
    );
    finding.insert(
        "props".into(),
        json!(props([
            prop("status", c.status.as_str()),
            prop("domain", c.domain)
        ])),
    );
    finding.insert(
        "target".into(),
        json!({
            "type": "statement-id",
            "target-id": statement_id(c.id),
            "title": format!("{} {}", c.id, c.title),
            "status": { "state": state, "reason": reason, "remarks": why },
        }),
    );
    finding
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_hashed_as_serialised_is_the_uuid_of_the_text() {
        let value = json!({ "a": [1, "x\"y\n", { "b": null }], "c": "é" });
        assert_eq!(
            uuid_of_json("result\n", &value),
            uuid_of(&format!("result\n{value}"))
        );
    }
}
