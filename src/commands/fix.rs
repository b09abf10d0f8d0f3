//! `fix`: plan the fixes of the failing results, print the diffs, write them.

use super::{report_errors, write_output};
use crate::cli::FixArgs;
use aml_scan::pipeline::Settings;

/// Plans, prints and (unless `--dry-run`) writes the fixes.
pub fn run(args: &FixArgs) -> anyhow::Result<i32> {
    let mut only: Vec<&'static str> = Vec::new();
    // Results of the user's assignments are named by their definition.
    let own_policy = args.policy.policies.is_some() || !args.policy.assignments.is_empty();
    let mut definitions: Vec<&'static str> = Vec::new();
    for r in &args.rules {
        match aml_rules::find(r) {
            Some(rule) => {
                only.push(rule.id);
                // An assignment of a shipped definition gives results named by its GUID.
                only.extend(rule.policy());
            }
            None if own_policy => {
                let name: &'static str = Box::leak(r.trim().to_string().into_boxed_str());
                only.push(name);
                definitions.push(name);
            }
            None => {
                eprintln!("error: no rule is named '{r}' (see `aml-baseline rules`)");
                return Ok(2);
            }
        }
    }
    let options = args.input.scan_options(args.paths.clone());
    let settings = Settings {
        all_rules: args.rule_args.all_rules || !only.is_empty(),
        config: args.rule_args.config.clone(),
        no_config: args.rule_args.no_config,
        policy: aml_scan::policies::PolicyOptions {
            policies: args.policy.policies.clone(),
            assignments: args.policy.assignments.clone(),
            aliases: args.policy.aliases.clone(),
            deployment_scope: args.policy.deployment_scope.clone(),
        },
        verifier: verifier(args),
        ..Default::default()
    };
    let fix_options = aml_scan::fix::Options {
        rules: only,
        allow_unsafe: args.allow_unsafe,
        ..Default::default()
    };
    let (run, mut plan) = aml_scan::fix::plan(&options, &settings, &fix_options);
    for d in definitions {
        if !plan.results.iter().any(|r| r.rule.id == d) {
            eprintln!(
                "warning: '{d}' is no rule of aml-baseline and no definition of your assignments with a failing result here"
            );
        }
    }
    let mut code = report_errors(&run.scan);
    if !args.dry_run {
        // Written first, so that the summary counts what was written.
        let boundary = aml_scan::boundary::of_paths(&options.paths, options.root.as_deref());
        for (error, line) in plan.write_files(boundary.as_deref()) {
            let level = if error { "error" } else { "note" };
            eprintln!("{level}: {}", run.scan.model.redactor().redact(&line));
            if error {
                code = 2;
            }
        }
    }
    write_output(None, &aml_scan::fix::render(&run, &plan))?;
    Ok(code)
}

/// `--verify-online`: the collector's client, with `collect`'s default
/// retries, timeout, deadline and concurrency.
#[cfg(feature = "collect")]
fn verifier(args: &FixArgs) -> Option<std::sync::Arc<dyn aml_scan::verify::Verifier>> {
    args.policy.verify_online.then(|| {
        std::sync::Arc::new(aml_collect::restrictions::OnlineVerifier::with_defaults())
            as std::sync::Arc<dyn aml_scan::verify::Verifier>
    })
}

#[cfg(not(feature = "collect"))]
fn verifier(_: &FixArgs) -> Option<std::sync::Arc<dyn aml_scan::verify::Verifier>> {
    None
}
