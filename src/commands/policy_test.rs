//! `policy test DIR`: the cases of every definition's `NAME.tests.yaml`.

use super::write_output;
use crate::cli::{PolicyTestArgs, TestFormat};

/// Runs the cases and prints the report.
pub fn run(args: &PolicyTestArgs) -> anyhow::Result<i32> {
    let aliases = match &args.aliases {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => Some((p.display().to_string(), t)),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", p.display());
                return Ok(2);
            }
        },
        None => None,
    };
    let run = aml_policytest::run(
        &args.dir,
        &aml_scan::boundary::of(&args.dir, None),
        aliases.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
        &aml_scan::policies::case_resources,
    );
    let text = match args.format {
        TestFormat::Text => aml_policytest::render_text(&run),
        TestFormat::Junit => aml_policytest::render_junit(&run),
    };
    write_output(args.output.as_ref(), &text)?;
    if args.output.is_some() || args.format == TestFormat::Junit {
        for e in &run.errors {
            eprintln!("error: {e}");
        }
    }
    Ok(run.exit_code())
}
