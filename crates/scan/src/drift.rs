//! `aml-baseline drift`: the code and the live exports scanned separately
//! (the same pipeline as `scan`), then compared by `aml-drift`.

use crate::ScanOptions;
pub use aml_drift::Drift;
use std::path::PathBuf;

/// Scans the code (`code`: its paths and how to read them) and the `live`
/// exports and compares them. Configuration files are not read: both sides
/// run the default rules, so a verdict differs only because the resources do.
pub fn run(code: &ScanOptions, live: &[PathBuf]) -> Drift {
    let settings = crate::pipeline::Settings {
        no_config: true,
        plan_fixes: false,
        ..Default::default()
    };
    let code_run = crate::pipeline::run(code, &settings);
    let live_run = crate::pipeline::run(
        &ScanOptions {
            paths: live.to_vec(),
            ..Default::default()
        },
        &settings,
    );
    let mut drift = Drift::compare(
        aml_drift::Side {
            model: &code_run.scan.model,
            report: &code_run.report,
        },
        aml_drift::Side {
            model: &live_run.scan.model,
            report: &live_run.report,
        },
    );
    // The code side must be code and the live side live.
    if let Some(r) = live_run
        .report
        .resources
        .iter()
        .find(|r| r.source != "live")
    {
        drift.errors.push(format!(
            "{}:{}: `--live` names code ({}), not an export of deployed resources",
            r.path, r.line, r.format
        ));
    }
    if let Some(r) = code_run
        .report
        .resources
        .iter()
        .find(|r| r.source == "live")
    {
        drift.errors.push(format!(
            "{}:{}: `--code` names a live export; pass it to `--live`",
            r.path, r.line
        ));
    }
    drift
}
