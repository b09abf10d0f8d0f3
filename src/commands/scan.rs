//! `scan`: the pipeline, then every requested format written where asked.

use super::write_rendered;
use crate::cli::ScanArgs;
use aml_report::render::{self, OutputFormat};
use aml_scan::pipeline::Settings;
use std::path::PathBuf;

/// Where each requested format goes: a file, or standard output (`None`).
pub type OutputPlan = Vec<(OutputFormat, Option<PathBuf>)>;

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
    #[cfg(feature = "collect")]
    if args.live {
        match super::collect::collect_for_scan(&args.live_args, args.live_output.as_deref()) {
            Ok(export) => paths.push(export),
            Err(message) => {
                eprintln!("error: {message}");
                return Ok(2);
            }
        }
    }
    let options = args.input.scan_options(paths);
    let mut run = aml_scan::pipeline::run(&options, &settings(args, &plan));
    if args.allow_partial {
        run.report.allow_partial();
    }
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
    }
}

/// `--verify-online`: the collector's client asks Azure.
#[cfg(feature = "collect")]
fn verifier(args: &ScanArgs) -> Option<std::sync::Arc<dyn aml_scan::verify::Verifier>> {
    args.verify_online.then(|| {
        std::sync::Arc::new(super::collect::OnlineVerifier::new(&args.live_args))
            as std::sync::Arc<dyn aml_scan::verify::Verifier>
    })
}

#[cfg(not(feature = "collect"))]
fn verifier(_: &ScanArgs) -> Option<std::sync::Arc<dyn aml_scan::verify::Verifier>> {
    None
}

/// Pairs every `--output` with the `--format` given closest before it (or,
/// when none is before it, the first unpaired one after it). Without
/// `--format` the format is `text`. At most one format may go to standard
/// output, no file may be named twice and every output needs a format.
pub fn pair_outputs(
    formats: &[(usize, OutputFormat)],
    outputs: &[(usize, PathBuf)],
) -> Result<OutputPlan, String> {
    let formats: Vec<(usize, OutputFormat)> = if formats.is_empty() {
        vec![(0, OutputFormat::Text)]
    } else {
        formats.to_vec()
    };
    let mut target: Vec<Option<PathBuf>> = vec![None; formats.len()];
    for (at, path) in outputs {
        let before = (0..formats.len())
            .rev()
            .find(|&i| formats[i].0 < *at && target[i].is_none());
        let slot = before.or_else(|| (0..formats.len()).find(|&i| target[i].is_none()));
        match slot {
            Some(i) => target[i] = Some(path.clone()),
            None => {
                return Err(format!(
                    "--output {} has no --format to write (give one --format per --output)",
                    path.display()
                ))
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for p in target.iter().flatten() {
        if !seen.insert(p.clone()) {
            return Err(format!("--output {} is given twice", p.display()));
        }
    }
    let to_stdout: Vec<&str> = formats
        .iter()
        .zip(&target)
        .filter(|(_, t)| t.is_none())
        .map(|((_, f), _)| f.name())
        .collect();
    if to_stdout.len() > 1 {
        return Err(format!(
            "only one format can go to standard output, but {} have no --output",
            to_stdout.join(", ")
        ));
    }
    Ok(formats.into_iter().map(|(_, f)| f).zip(target).collect())
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
