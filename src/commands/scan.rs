//! `scan`: the pipeline, then every requested format written where asked.

use super::write_rendered;
use crate::cli::ScanArgs;
use aml_report::render::plan::{pair_outputs, OutputPlan};
use aml_report::render::{self, OutputFormat};
use aml_scan::pipeline::Settings;
use std::path::PathBuf;

/// Scans and writes the reports; the exit code follows `--fail-on`.
pub fn run(args: &ScanArgs, matches: Option<&clap::ArgMatches>) -> anyhow::Result<i32> {
    let plan = match output_plan(args, matches) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(2);
        }
    };
    #[allow(unused_mut)]
    let mut paths = args.paths.clone();
    // `scan --live`'s temporary export: removed when this function returns,
    // after the reports (which may read it again) are written.
    #[cfg(feature = "collect")]
    let _temporary_export = if args.live {
        match super::collect::collect_for_scan(&args.live_args, args.live_output.as_deref()) {
            Ok((export, temporary)) => {
                paths.push(export);
                Some(temporary)
            }
            Err(message) => {
                eprintln!("error: {message}");
                return Ok(2);
            }
        }
    } else {
        None
    };
    let options = args.input.scan_options(paths);
    let mut run = aml_scan::pipeline::run(&options, &settings(args, &plan));
    if args.allow_partial {
        run.report.allow_partial();
    }
    // `AML_BASELINE_TIMINGS=1`: the writing's wall time and memory.
    let laps = aml_scan::progress::Laps::start();
    for (format, path) in &plan {
        let render_options = render::RenderOptions {
            color: path.is_none() && stdout_wants_color(),
            link_base: args.link_base.clone(),
            rule_docs_base: args.rule_docs_url.clone(),
        };
        write_rendered(path.as_ref(), |out| {
            render::write_run(*format, &run, &render_options, out)
        })?;
    }
    laps.lap("writing the reports");
    let code = run.report.exit_code();
    // The process ends here: freeing every file, resource and result one by
    // one would only delay the exit (a few percent of a large scan).
    std::mem::forget(run);
    Ok(code)
}

/// The pipeline's settings from the arguments; fixes are planned only when
/// a requested format shows them.
fn settings(args: &ScanArgs, plan: &OutputPlan) -> Settings {
    Settings {
        all_rules: args.rule_args.all_rules,
        config: args.rule_args.config.clone(),
        no_config: args.rule_args.no_config,
        assume_unknown: args.assume_unknown.into(),
        today: args.today,
        baseline_report: args.baseline.clone(),
        fail_on: args.fail_on.into(),
        policy: aml_scan::policies::PolicyOptions {
            policies: args.policies.clone(),
            assignments: args.assignments.clone(),
            aliases: args.aliases.clone(),
            deployment_scope: args.deployment_scope.clone(),
        },
        plan_fixes: plan.iter().any(|(f, _)| f.shows_autofix()),
        verifier: verifier(args),
        keep_resource_bodies: false,
    }
}

/// `--verify-online`: the collector's client asks Azure.
#[cfg(feature = "collect")]
fn verifier(args: &ScanArgs) -> Option<std::sync::Arc<dyn aml_scan::verify::Verifier>> {
    args.verify_online.then(|| {
        std::sync::Arc::new(super::collect::online_verifier(&args.live_args))
            as std::sync::Arc<dyn aml_scan::verify::Verifier>
    })
}

#[cfg(not(feature = "collect"))]
fn verifier(_: &ScanArgs) -> Option<std::sync::Arc<dyn aml_scan::verify::Verifier>> {
    None
}

fn output_plan(args: &ScanArgs, matches: Option<&clap::ArgMatches>) -> Result<OutputPlan, String> {
    let indices = |id: &str| -> Vec<usize> {
        matches
            .and_then(|m| m.indices_of(id))
            .map(|i| i.collect())
            .unwrap_or_default()
    };
    let formats: Vec<(usize, OutputFormat)> = indices("format")
        .into_iter()
        .zip(args.format.iter().map(|f| f.0))
        .collect();
    let outputs: Vec<(usize, PathBuf)> = indices("output")
        .into_iter()
        .zip(args.output.iter().cloned())
        .collect();
    pair_outputs(&formats, &outputs)
}

/// Colour for the terminal: standard output is a terminal and `NO_COLOR`
/// is unset or empty.
fn stdout_wants_color() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stdout().is_terminal()
}
