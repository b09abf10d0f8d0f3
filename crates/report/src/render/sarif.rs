//! SARIF 2.1.0 (`--format sarif`) for GitHub code scanning and other SARIF
//! consumers. The few objects we emit are built as JSON values in the order
//! the specification lists their properties; a test validates the output
//! against the OASIS schema (`tests/fixtures/sarif/`). Choices are recorded in
//! `docs/decisions/0007-report-formats.md`.

use super::stream::{Layout, Object};
use super::RenderOptions;
use crate::{Report, ResultEntry};
use aml_model::diagnostics::Level;
use aml_rules::evaluate::Verdict;
use aml_rules::{self as rules, Rule, Severity};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The `uriBaseId` of every relative artifact location: the folder the scan
/// ran in (usually the repository root).
pub const SRCROOT: &str = "%SRCROOT%";

/// The key under `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "amlBaselineResult/v1";

/// The `$schema` of the log.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF log, pretty-printed with a final newline.
pub fn render(report: &Report, options: &RenderOptions) -> String {
    super::written(|out| write(report, options, out))
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}\n"))
}

/// Writes the SARIF log, pretty-printed with a final newline: the bytes of
/// [`log`] pretty-printed, but the results are made and serialised in
/// parallel, a window at a time, and written in order; the log is never
/// held whole, as a value or as a string (issue 20, decision 0049).
pub fn write(
    report: &Report,
    options: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let parts = parts(report, options);
    let mut buffered = std::io::BufWriter::with_capacity(super::stream::WRITE_BUFFER, out);
    let mut log = Object::begin(&mut buffered, Layout::Pretty(0))?;
    log.field("$schema", SCHEMA)?;
    log.field("version", "2.1.0")?;
    log.single("runs", |out, layout| {
        let mut run = Object::begin(out, layout)?;
        run.field("tool", &parts.tool)?;
        run.field("invocations", &parts.invocations)?;
        run.field("originalUriBaseIds", &parts.uri_base_ids)?;
        run.array("results", &report.results, |r| sarif_result(r, &parts.ran))?;
        run.field("columnKind", COLUMN_KIND)?;
        run.field("properties", &parts.properties)?;
        run.end()
    })?;
    log.end()?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

/// SARIF's `columnKind`: columns count Unicode code points.
const COLUMN_KIND: &str = "unicodeCodePoints";

/// The SARIF log as a JSON value.
pub fn log(report: &Report, options: &RenderOptions) -> Value {
    let parts = parts(report, options);
    let results: Vec<Value> = report
        .results
        .iter()
        .filter_map(|r| sarif_result(r, &parts.ran))
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": parts.tool,
            "invocations": parts.invocations,
            "originalUriBaseIds": parts.uri_base_ids,
            "results": results,
            "columnKind": COLUMN_KIND,
            "properties": parts.properties,
        }]
    })
}

/// The run's members besides its results.
struct Parts {
    /// The rules that ran (`ruleIndex` is a position in it).
    ran: Vec<&'static Rule>,
    tool: Value,
    invocations: Value,
    uri_base_ids: Value,
    properties: Value,
}

/// A result's SARIF result: failures and unknowns only.
fn sarif_result(r: &ResultEntry, ran: &[&'static Rule]) -> Option<Value> {
    (r.result != Verdict::Pass).then(|| result(r, ran.iter().position(|d| d.id == r.rule)))
}

fn parts(report: &Report, options: &RenderOptions) -> Parts {
    let ran: Vec<&'static Rule> = report
        .tool
        .rules
        .iter()
        .filter_map(|id| rules::find(id))
        .collect();
    let descriptors: Vec<Value> = ran.iter().map(|r| descriptor(r, options)).collect();
    let notifications: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let mut n = Map::new();
            n.insert(
                "locations".into(),
                match location(&d.path, d.line, d.column, 0, 0) {
                    Some(l) => json!([l]),
                    None => json!([]),
                },
            );
            n.insert("message".into(), json!({ "text": d.message }));
            n.insert(
                "level".into(),
                json!(match d.level {
                    Level::Error => "error",
                    Level::Warning => "warning",
                    Level::Info => "note",
                }),
            );
            n.insert("descriptor".into(), json!({ "id": d.code }));
            Value::Object(n)
        })
        .chain(report.files.iter().filter(|f| f.role == "skipped").map(|f| {
            json!({
                "locations": location(&f.path, 0, 0, 0, 0).map_or(json!([]), |l| json!([l])),
                "message": { "text": format!("skipped: {}", f.reason.as_deref().unwrap_or_default()) },
                "level": "note",
                "descriptor": { "id": "file-skipped" },
            })
        }))
        .collect();
    let mut driver = Map::new();
    driver.insert("name".into(), json!(report.tool.name));
    driver.insert("version".into(), json!(report.tool.version));
    driver.insert("semanticVersion".into(), json!(report.tool.version));
    if let Some(base) = &options.rule_docs_base {
        driver.insert("informationUri".into(), json!(base));
    }
    driver.insert("rules".into(), Value::Array(descriptors));

    Parts {
        ran,
        tool: json!({ "driver": driver }),
        invocations: json!([{
            "executionSuccessful": report.summary.errors == 0,
            "toolExecutionNotifications": notifications,
        }]),
        uri_base_ids: json!({
            SRCROOT: { "description": { "text": "The folder aml-baseline was run in; paths are relative to it." } }
        }),
        properties: json!({
            "baseline": report.baseline.baseline,
            "benchmark": report.baseline.benchmark,
            "summary": serde_json::to_value(&report.summary).unwrap_or(Value::Null),
        }),
    }
}

/// SARIF's level for a rule's severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` score (a CVSS-like number) for a severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// A rule's identifier for people: its title in PascalCase.
fn pascal_name(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn descriptor(rule: &Rule, options: &RenderOptions) -> Value {
    let page = format!("docs/rules/{}.md", rule.id);
    let mut full = format!(
        "{}. Baseline control {} ({}){}.",
        rule.title,
        rule.control,
        rules::controls::title(rule.control),
        rule.feature
            .map(|f| format!(", feature \"{f}\""))
            .unwrap_or_default()
    );
    if let Some(note) = rule.note {
        full.push(' ');
        full.push_str(note);
    }
    let mut d = Map::new();
    d.insert("id".into(), json!(rule.id));
    d.insert("name".into(), json!(pascal_name(rule.title)));
    d.insert("shortDescription".into(), json!({ "text": rule.title }));
    d.insert("fullDescription".into(), json!({ "text": full }));
    d.insert(
        "defaultConfiguration".into(),
        json!({ "level": level(rule.severity) }),
    );
    if let Some(url) = options.rule_doc_url(rule.id) {
        d.insert("helpUri".into(), json!(url));
    }
    d.insert(
        "help".into(),
        json!({
            "text": format!("{} See {page} (or `aml-baseline explain {}`).", rule.fix, rule.id),
            "markdown": format!("**Fix:** {}\n\nSee `{page}` or run `aml-baseline explain {}`.", rule.fix, rule.id),
        }),
    );
    let mut tags = vec![
        json!("security"),
        json!("azure-machine-learning"),
        json!(format!("MCSB/{}", rule.control)),
        json!(rule.kind_name()),
    ];
    if rule.policy().is_some() {
        tags.push(json!("azure-policy"));
    }
    d.insert(
        "properties".into(),
        json!({
            "control": rule.control,
            "controlTitle": rules::controls::title(rule.control),
            "feature": rule.feature,
            "policy": rule.policy(),
            "severity": rule.severity.as_str(),
            "security-severity": security_severity(rule.severity),
            "tags": tags,
        }),
    );
    Value::Object(d)
}

/// A physical location; `None` when there is no path.
fn location(path: &str, line: u32, column: u32, end_line: u32, end_column: u32) -> Option<Value> {
    if path.is_empty() {
        return None;
    }
    let artifact = artifact_location(path);
    let mut physical = Map::new();
    physical.insert("artifactLocation".into(), artifact);
    if line > 0 {
        let mut region = Map::new();
        region.insert("startLine".into(), json!(line));
        if column > 0 {
            region.insert("startColumn".into(), json!(column));
        }
        if end_line >= line && end_line > 0 {
            region.insert("endLine".into(), json!(end_line));
            if end_column > 0 && (end_line > line || end_column > column) {
                region.insert("endColumn".into(), json!(end_column));
            }
        }
        physical.insert("region".into(), Value::Object(region));
    }
    Some(json!({ "physicalLocation": physical }))
}

/// A relative path becomes a relative URI under `%SRCROOT%`; an absolute one
/// a `file:` URI.
fn artifact_location(path: &str) -> Value {
    let is_windows_abs = path.len() > 2 && path.as_bytes()[1] == b':';
    if path.starts_with('/') {
        json!({ "uri": format!("file://{}", super::percent_encode_path(path)) })
    } else if is_windows_abs {
        let (drive, rest) = path.split_at(2);
        json!({ "uri": format!("file:///{drive}{}", super::percent_encode_path(rest)) })
    } else {
        json!({ "uri": super::percent_encode_path(path), "uriBaseId": SRCROOT })
    }
}

/// A fingerprint that survives unrelated edits: the rule, the resource and
/// the property, never a line number.
pub fn fingerprint(r: &ResultEntry) -> String {
    let mut h = Sha256::new();
    h.update(r.rule.as_bytes());
    h.update([0]);
    h.update(r.resource_id.as_bytes());
    h.update([0]);
    h.update(r.property.as_deref().unwrap_or("").as_bytes());
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn result(r: &ResultEntry, rule_index: Option<usize>) -> Value {
    let mut out = Map::new();
    out.insert("ruleId".into(), json!(r.rule));
    if let Some(i) = rule_index {
        out.insert("ruleIndex".into(), json!(i));
    }
    // An unknown is for a person to decide: SARIF's `review` kind, whose
    // level must be `none`.
    match r.result {
        Verdict::Unknown => {
            out.insert("kind".into(), json!("review"));
            out.insert("level".into(), json!("none"));
        }
        _ => {
            out.insert("kind".into(), json!("fail"));
            out.insert(
                "level".into(),
                json!(rules::find(r.rule)
                    .filter(|_| r.assignment.is_none())
                    .map(|x| level(x.severity))
                    .unwrap_or(if r.denied { "error" } else { "warning" })),
            );
        }
    }
    let verdict = match r.result {
        Verdict::Unknown => "Unknown",
        _ => "Fails",
    };
    let mut text = format!(
        "{verdict}: {} '{}': {}",
        r.resource_type, r.resource_name, r.message
    );
    if !r.deciding.is_empty() {
        text.push_str(&format!(" (decided by: {})", r.deciding.join(", ")));
    }
    out.insert("message".into(), json!({ "text": text }));
    // A result about the resource's declaration marks where it starts: the
    // whole declaration would be a region of dozens of lines.
    let (end_line, end_column) = match r.property {
        Some(_) => (r.end_line, r.end_column),
        None => (0, 0),
    };
    let mut loc =
        location(&r.path, r.line, r.column, end_line, end_column).unwrap_or_else(|| json!({}));
    loc["logicalLocations"] = json!([{
        "name": r.resource_name,
        "fullyQualifiedName": r.resource_id,
        "kind": "resource",
    }]);
    out.insert("locations".into(), json!([loc]));
    out.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: fingerprint(r) }),
    );
    let mut props = Map::new();
    props.insert("result".into(), json!(r.result.as_str()));
    props.insert("severity".into(), json!(r.severity));
    props.insert("control".into(), json!(r.control));
    props.insert("feature".into(), json!(r.feature));
    props.insert("resourceType".into(), json!(r.resource_type));
    props.insert("source".into(), json!(r.source));
    if let Some(a) = &r.azure {
        props.insert("azure".into(), json!(a));
    }
    if !r.field_restrictions.is_empty() {
        props.insert("fieldRestrictions".into(), json!(r.field_restrictions));
    }
    if let Some(p) = &r.property {
        props.insert("property".into(), json!(p));
    }
    if let Some(e) = &r.effect {
        props.insert("effect".into(), json!(e));
    }
    if let Some(a) = &r.assignment {
        props.insert("assignment".into(), json!(a));
    }
    if r.denied {
        props.insert("denied".into(), json!(true));
    }
    if r.may_be_denied {
        props.insert("mayBeDenied".into(), json!(true));
    }
    if !r.deciding.is_empty() {
        props.insert("deciding".into(), json!(r.deciding));
    }
    if let Some(k) = &r.known_issue {
        props.insert("knownIssue".into(), json!(k));
    }
    if let Some(x) = &r.rollup {
        props.insert("rollup".into(), json!(x));
    }
    if let Some(fix) = r.fix {
        props.insert("fix".into(), json!(fix));
    }
    if let Some(a) = &r.autofix {
        out.insert("fixes".into(), json!([autofix(a)]));
    }
    out.insert("properties".into(), Value::Object(props));
    Value::Object(out)
}

/// A SARIF `fix`: the edit `aml-baseline fix` would make, per file.
fn autofix(a: &crate::entry::AutofixEntry) -> Value {
    let changes: Vec<Value> = a
        .changes
        .iter()
        .map(|c| {
            let replacements: Vec<Value> = c
                .replacements
                .iter()
                .map(|r| {
                    json!({
                        "deletedRegion": {
                            "startLine": r.start_line,
                            "startColumn": r.start_column,
                            "endLine": r.end_line,
                            "endColumn": r.end_column,
                        },
                        "insertedContent": { "text": r.text },
                    })
                })
                .collect();
            json!({
                "artifactLocation": artifact_location(&c.path),
                "replacements": replacements,
            })
        })
        .collect();
    json!({
        "description": { "text": a.description },
        "artifactChanges": changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
    }

    #[test]
    fn names_are_pascal_case_of_the_title() {
        assert_eq!(
            pascal_name("Workspaces should disable public network access"),
            "WorkspacesShouldDisablePublicNetworkAccess"
        );
    }

    #[test]
    fn artifact_locations_are_relative_to_srcroot_or_file_uris() {
        assert_eq!(
            artifact_location("infra/a b.json"),
            json!({ "uri": "infra/a%20b.json", "uriBaseId": SRCROOT })
        );
        assert_eq!(
            artifact_location("/tmp/x.json"),
            json!({ "uri": "file:///tmp/x.json" })
        );
        assert_eq!(
            artifact_location("C:/x/y.json"),
            json!({ "uri": "file:///C:/x/y.json" })
        );
    }
}
