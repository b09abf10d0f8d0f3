//! `model`: the deployment model the files evaluate to, with every
//! diagnostic on standard error.

use super::write_output;
use crate::cli::ModelArgs;

/// Scans and prints the model; 2 when an input had an error.
pub fn run(args: &ModelArgs) -> anyhow::Result<i32> {
    let output = aml_scan::scan::scan(&args.input.scan_options(args.paths.clone()));
    write_output(None, &aml_report::render::model::render(&output))?;
    let errors = output
        .diagnostics
        .iter()
        .filter(|d| d.level == aml_model::diagnostics::Level::Error)
        .count();
    for d in &output.diagnostics {
        let (p, l, c) = d.position(&output.sources);
        eprintln!(
            "{:?}[{}]: {p}:{l}:{c}: {}",
            d.level,
            d.code,
            aml_report::redact(&d.message, output.model.redactor())
        );
    }
    Ok(if errors > 0 { 2 } else { 0 })
}
