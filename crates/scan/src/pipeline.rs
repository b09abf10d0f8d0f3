//! The whole pipeline behind `scan`: configuration, front ends, evaluation,
//! baseline assessment and the report. The CLI and the tests call [`run`].

use crate::config::{self, Date};
use crate::scan::{self, ScanOptions};
pub use aml_report::Run;
use aml_report::{BuildContext, FailOn, Report};
use aml_rules::evaluate::{self, Outcome, Verdict};
use aml_rules::{self as rules, Rule};
use std::collections::HashMap;
use std::path::PathBuf;

/// How unknown results are counted (`--assume-unknown`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AssumeUnknown {
    /// Report them as unknown (the default).
    #[default]
    Unknown,
    /// Treat them as failures (strict CI).
    Fail,
    /// Treat them as passes.
    Pass,
}

/// Settings of a run besides what to scan.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Run every rule, including those off by default.
    pub all_rules: bool,
    /// The configuration file; when `None`, `aml-baseline.toml` is searched
    /// upward from the first scanned path unless `no_config`.
    pub config: Option<PathBuf>,
    pub no_config: bool,
    pub assume_unknown: AssumeUnknown,
    /// The date attestations and waivers are compared with (default: today, UTC).
    pub today: Option<Date>,
    /// A previous JSON report: only results new against it count (`--baseline`).
    pub baseline_report: Option<PathBuf>,
    /// Which results make the exit code 1 (`--fail-on`).
    pub fail_on: FailOn,
    /// The user's own definitions, assignments and aliases (`--policies`,
    /// `--assignments`, `--aliases`, `--deployment-scope`).
    pub policy: crate::policies::PolicyOptions,
    /// Plan the safe fix of every failing result (shown by the text, JSON
    /// and SARIF reports); off when no output shows them.
    pub plan_fixes: bool,
    /// Asks Azure's `checkPolicyRestrictions` about every resource whose
    /// denial was predicted or ruled out (`--verify-online`; see [`crate::verify`]).
    pub verifier: Option<std::sync::Arc<dyn crate::verify::Verifier>>,
    /// Keep each resource's settings (`Resource::body`) in the returned run
    /// (drift, the language server, `model` and tests read them); `scan`
    /// frees them before the report is built, which needs none.
    pub keep_resource_bodies: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            all_rules: false,
            config: None,
            no_config: false,
            assume_unknown: AssumeUnknown::default(),
            today: None,
            baseline_report: None,
            fail_on: FailOn::default(),
            policy: Default::default(),
            plan_fixes: true,
            verifier: None,
            keep_resource_bodies: true,
        }
    }
}

/// Runs the pipeline: the scan, the evaluation, the fixes (when
/// `settings.plan_fixes`) and the report.
pub fn run(options: &ScanOptions, settings: &Settings) -> Run {
    run_stages(options, settings, false).0
}

/// Runs the pipeline and also returns every rule's outcome (for `fix`).
pub fn run_with_outcomes(options: &ScanOptions, settings: &Settings) -> (Run, Vec<Outcome>) {
    let (run, outcomes, _) = run_for_fix(options, settings);
    (run, outcomes)
}

/// Runs the pipeline; also returns every rule's outcome and what the
/// user's policy allows a fix to write (`--policies`, `--assignments`).
pub fn run_for_fix(
    options: &ScanOptions,
    settings: &Settings,
) -> (Run, Vec<Outcome>, aml_fix::AllowedSources) {
    run_stages(options, settings, true)
}

/// The stages; the outcomes are returned when `keep_outcomes` (the report
/// consumes them otherwise).
fn run_stages(
    options: &ScanOptions,
    settings: &Settings,
    keep_outcomes: bool,
) -> (Run, Vec<Outcome>, aml_fix::AllowedSources) {
    let loaded = load_config(options, settings);
    let progress = crate::progress::Progress::start("reading files");
    // `--deployment-scope` fills the ids' subscription and resource group.
    let scoped;
    let options = match &settings.policy.deployment_scope {
        Some(scope) => {
            scoped = ScanOptions {
                context: crate::policies::deployment_context(options.context.clone(), Some(scope)),
                ..options.clone()
            };
            &scoped
        }
        None => options,
    };
    let selected = select_rules(settings.all_rules, &loaded.config);
    let warming;
    let options = if selected.iter().any(|r| r.policy().is_some()) {
        warming = ScanOptions {
            on_first_input: Some(warm_up_policy_engine),
            ..options.clone()
        };
        &warming
    } else {
        options
    };
    let mut output = scan::scan(options);
    progress.stage("evaluating rules");
    let today = settings.today.unwrap_or_else(Date::today);
    let (outcomes, mut diagnostics, account, assignments) =
        evaluate_all(&mut output, &selected, &loaded.config, settings, today);
    if let Some(verifier) = &settings.verifier {
        progress.stage("asking Azure Policy (checkPolicyRestrictions)");
        let deployment = settings.policy.deployment_scope.as_ref();
        let (targets, d) =
            crate::verify::targets(&output, &outcomes, assignments.as_ref(), deployment);
        diagnostics.extend(d);
        let answers = verifier.check(&targets);
        diagnostics.extend(crate::verify::apply(
            &mut output,
            &outcomes,
            &targets,
            answers,
        ));
    }
    let mut allowed = aml_fix::AllowedSources::default();
    if let Some(set) = assignments {
        allowed.0.push(std::sync::Arc::new(aml_fix::Assignments {
            set,
            deployment: settings.policy.deployment_scope.clone(),
            today: today.to_string(),
        }));
    }
    if !output.model.restrictions.is_empty() {
        allowed
            .0
            .push(std::sync::Arc::new(crate::verify::AzureAllowed));
    }
    diagnostics.extend(loaded.diagnostics.iter().cloned());
    if !settings.keep_resource_bodies && allowed.0.is_empty() {
        free_bodies_fixes_do_not_read(&mut output, &outcomes, settings);
    }
    let mut autofixes = if settings.plan_fixes {
        progress.stage("planning fixes");
        crate::autofix::plan(&output, &outcomes, &allowed)
    } else {
        Vec::new()
    };
    crate::verify::annotate_fixes(&output, &outcomes, &mut autofixes);
    diagnostics.extend(crate::scan::changed_files(&output.sources));
    let config_path = loaded.display_path();
    let context = BuildContext {
        rules: &selected,
        attestations: &loaded.config.attestations,
        waivers: &loaded.config.waivers,
        config_path: &config_path,
        baseline_report: settings.baseline_report.as_deref(),
        today,
        fail_on: settings.fail_on,
        autofixes,
        account: &account,
    };
    progress.stage("building the report");
    if !settings.keep_resource_bodies {
        // Nothing after this reads a resource's settings: free them before
        // the report's entries are made (the peak of a large scan).
        use rayon::prelude::*;
        output
            .model
            .resources
            .par_iter_mut()
            .for_each(|r| r.body = aml_model::value::Value::Null);
    }
    let (outcomes, kept) = if keep_outcomes {
        (outcomes.clone(), outcomes)
    } else {
        (outcomes, Vec::new())
    };
    let report = Report::build(&output, outcomes, &diagnostics, context);
    let outcomes = kept;
    drop(progress);
    (
        Run {
            scan: output,
            report,
        },
        outcomes,
        allowed,
    )
}

/// Frees, before fixes are planned, the settings of every resource no fix
/// reads ([`fixes_read`]; with the user's assignments or Azure's
/// restrictions a fix judges the fixed resource among the others, and
/// nothing is freed then).
fn free_bodies_fixes_do_not_read(
    output: &mut scan::ScanOutput,
    outcomes: &[Outcome],
    settings: &Settings,
) {
    use rayon::prelude::*;
    let resources = &output.model.resources;
    let mut read = vec![false; resources.len()];
    for o in outcomes {
        if let Some(r) = resources.get(o.resource) {
            read[o.resource] |= fixes_read(settings, r, std::slice::from_ref(o));
        }
    }
    output
        .model
        .resources
        .par_iter_mut()
        .zip(read)
        .filter(|(_, read)| !read)
        .for_each(|(r, _)| r.body = aml_model::value::Value::Null);
}

/// Whether planning fixes reads the settings of `resource`, whose outcomes
/// are `own`: fixes are planned (`settings.plan_fixes`), `fix` edits the
/// resource's format ([`aml_fix::edits_format`]), and a result on it fails
/// (or is unknown, counted as a failure by `--assume-unknown fail`).
fn fixes_read(settings: &Settings, resource: &aml_model::model::Resource, own: &[Outcome]) -> bool {
    let fails = |o: &Outcome| {
        o.verdict == Verdict::Fail
            || (o.verdict == Verdict::Unknown && settings.assume_unknown == AssumeUnknown::Fail)
    };
    settings.plan_fixes && aml_fix::edits_format(resource.format) && own.iter().any(fails)
}

/// The configuration file: `settings.config`, else `aml-baseline.toml`
/// found upward from the first scanned path (unless `no_config`).
fn load_config(options: &ScanOptions, settings: &Settings) -> config::Loaded {
    let config_path = settings.config.clone().or_else(|| {
        if settings.no_config {
            return None;
        }
        let first = options
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        config::find_upward(&first)
    });
    config_path.as_deref().map(config::load).unwrap_or_default()
}

/// Every selected rule on every resource, then the user's assignments
/// (returned too); `--assume-unknown` applied. When nothing after the
/// evaluation reads the settings of a resource that has no failure to fix
/// (the run keeps no settings, no assignment and no verifier judges
/// resources among the others), they are freed as the evaluation goes
/// ([`evaluate::evaluate_releasing`]).
fn evaluate_all(
    output: &mut scan::ScanOutput,
    selected: &[&'static Rule],
    config: &config::Config,
    settings: &Settings,
    today: Date,
) -> (
    Vec<Outcome>,
    Vec<aml_model::diagnostics::Diagnostic>,
    rules::account::RuleAccount,
    Option<aml_policy::AssignmentSet>,
) {
    let parameters = rule_parameters(config);
    let (assignments, policy_diagnostics) = crate::policies::load(&settings.policy);
    if !settings.keep_resource_bodies
        && settings.verifier.is_none()
        && assignments.is_none()
        && output.model.restrictions.is_empty()
    {
        let keep = |r: &aml_model::model::Resource, own: &[Outcome]| fixes_read(settings, r, own);
        let evaluated =
            evaluate::evaluate_releasing(&mut output.model, selected, &parameters, &keep);
        let mut outcomes = evaluated.outcomes;
        let mut diagnostics = evaluated.diagnostics;
        diagnostics.extend(policy_diagnostics);
        apply_assumption(&mut outcomes, settings.assume_unknown);
        return (outcomes, diagnostics, evaluated.account, None);
    }
    let (mut outcomes, mut diagnostics) = evaluate::evaluate(&output.model, selected, &parameters);
    diagnostics.extend(policy_diagnostics);
    let assignment_context = assignments
        .as_ref()
        .map(|set| rules::assigned::AssignmentContext {
            set,
            deployment: settings.policy.deployment_scope.as_ref(),
            today: today.to_string(),
        });
    if let Some(cx) = &assignment_context {
        let (o, d) = rules::assigned::evaluate_assignments(&output.model, cx);
        outcomes.extend(o);
        diagnostics.extend(d);
    }
    apply_assumption(&mut outcomes, settings.assume_unknown);
    let account = rules::account::account(
        &output.model,
        selected,
        &parameters,
        assignment_context.as_ref(),
        &outcomes,
    );
    (outcomes, diagnostics, account, assignments)
}

/// The default rules, adjusted by `--all-rules` and the configuration.
pub fn select_rules(all: bool, config: &config::Config) -> Vec<&'static Rule> {
    let matches = |list: &[String], r: &Rule| {
        list.iter()
            .any(|k| k == "all" || rules::find(k).is_some_and(|f| f.id == r.id))
    };
    rules::all()
        .iter()
        .copied()
        .filter(|r| all || r.enabled_by_default || matches(&config.rules.enable, r))
        .filter(|r| !matches(&config.rules.disable, r))
        .collect()
}

/// Loads the built-in policy definitions and the alias catalogue on a thread
/// of their own, started when discovery finds the first input while a
/// selected rule is a policy rule: the walk and the reads leave a core idle
/// for much of their time, and the first rule evaluation would otherwise
/// load them while the other core waits (decision 0066). Nothing is compiled
/// here (each definition compiles when a resource first needs it), so the
/// memory is what a scan that evaluates a policy rule holds anyway; a scan
/// that ends first does not wait for it, and one that finds no input never
/// loads it. Once a process (the language server scans many times).
fn warm_up_policy_engine() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        // A thread that cannot start changes nothing: the engine loads on
        // first use, as without it.
        let _ = std::thread::Builder::new()
            .name("policy-engine".into())
            .spawn(|| {
                aml_policy::PolicyEngine::builtin();
            });
    });
}

/// Assignment parameters from the configuration, by rule id.
fn rule_parameters(
    config: &config::Config,
) -> HashMap<&'static str, serde_json::Map<String, serde_json::Value>> {
    config
        .policy_parameters
        .iter()
        .filter_map(|(k, v)| rules::find(k).map(|r| (r.id, v.clone())))
        .collect()
}

fn apply_assumption(outcomes: &mut [Outcome], assume: AssumeUnknown) {
    let to = match assume {
        AssumeUnknown::Unknown => return,
        AssumeUnknown::Fail => Verdict::Fail,
        AssumeUnknown::Pass => Verdict::Pass,
    };
    for o in outcomes
        .iter_mut()
        .filter(|o| o.verdict == Verdict::Unknown)
    {
        o.verdict = to;
        o.message = format!(
            "{} (assumed {} by --assume-unknown)",
            o.message,
            to.as_str()
        )
        .into();
    }
}
