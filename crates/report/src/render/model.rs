//! `aml-baseline model`: the deployment model the files evaluate to, as JSON
//! (every resource as Azure would hold it, unknown values as `<unknown: EXPR>`),
//! secrets redacted.

use aml_model::input::ScanOutput;
use aml_model::model::Deployed;

/// The model of a scan as pretty JSON, one object per resource.
pub fn render(output: &ScanOutput) -> String {
    let resources: Vec<serde_json::Value> = output
        .model
        .resources
        .iter()
        .map(|r| {
            let (path, line, column) = output.sources.position(r.span);
            serde_json::json!({
                "id": r.id,
                "path": format!("{path}:{line}:{column}"),
                "existing": r.existing,
                "deployed": match &r.deployed {
                    Deployed::Yes => "yes".to_string(),
                    Deployed::Unknown { expr } => format!("unknown: {expr}"),
                },
                "resource": r.body.to_json_display(),
            })
        })
        .collect();
    // Masked before serializing: JSON escapes a secret's `"` and `\`.
    let mut resources = serde_json::Value::Array(resources);
    aml_model::redact::redact_json(&mut resources, output.model.redactor());
    let text = serde_json::to_string_pretty(&resources).unwrap_or_default();
    format!("{text}\n")
}
