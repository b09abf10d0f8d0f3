//! `drift`: code against live state.

use super::write_output;
use crate::cli::{DriftArgs, Format};

/// Compares and prints; the exit code says whether a verdict drifted.
pub fn run(args: &DriftArgs) -> anyhow::Result<i32> {
    let drift = aml_scan::drift::run(&args.input.scan_options(args.code.clone()), &args.live);
    let text = match args.format {
        Format::Text => drift.render_text(),
        Format::Json => drift.render_json(),
    };
    write_output(args.output.as_ref(), &text)?;
    Ok(drift.exit_code())
}
