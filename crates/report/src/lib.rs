//! The report: what a scan found, in a stable, serialisable shape that every
//! renderer reads. `docs/json-report.md` documents it; `schema_version`
//! changes when a field is removed or changes meaning.

pub mod baseline;
pub mod config;
pub mod entry;
pub mod render;
pub mod suppress;

pub use entry::{
    AutofixChange, AutofixEntry, AutofixReplacement, DiagnosticEntry, FieldRestrictionEntry,
    FileEntry, ResourceEntry, ResultEntry,
};

use aml_model::diagnostics::{Diagnostic, Level};
use aml_model::input::ScanOutput;
use aml_model::model::Deployed;
use aml_model::redact::Redactor;
use aml_model::source::Span;
use aml_rules::evaluate::{Outcome, Verdict};
use entry::Shared;
use rayon::prelude::*;
use serde::Serialize;

/// Diagnostics saying a live export is partial: errors unless
/// `--allow-partial` is given.
pub const PARTIAL_CODES: &[&str] = &["live-export-partial", "live-export-incomplete"];

/// The version of the JSON report's shape.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub files: Vec<FileEntry>,
    pub diagnostics: Vec<DiagnosticEntry>,
    pub resources: Vec<ResourceEntry>,
    pub results: Vec<ResultEntry>,
    /// Every control and feature of the baseline with its status.
    pub baseline: crate::baseline::Baseline,
    pub summary: Summary,
    /// Our verdicts against Azure's (live exports with policy states only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure: Option<entry::AzureComparison>,
    /// The `--fail-on` threshold the exit code uses (not serialised).
    #[serde(skip)]
    pub fail_on: FailOn,
    /// The date of the scan (`--today`, default today UTC): OSCAL's
    /// timestamps (not serialised in the JSON report).
    #[serde(skip)]
    pub date: crate::config::Date,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
    /// Ids of the rules that ran.
    pub rules: Vec<&'static str>,
    /// The resource types each rule that ran (the product's, then each of
    /// the user's assignments) can give a result on.
    pub targets: Vec<entry::RuleTargetsEntry>,
}

/// A finished run: the scan (for renderers that show source) and the report.
pub struct Run {
    pub scan: ScanOutput,
    pub report: Report,
}

/// What `Report::build` needs besides the scan and the outcomes.
pub struct BuildContext<'a> {
    /// The rules that ran.
    pub rules: &'a [&'static aml_rules::Rule],
    pub attestations: &'a [crate::config::Attestation],
    pub waivers: &'a [crate::config::Waiver],
    /// The configuration file's path as displayed, for waiver diagnostics.
    pub config_path: &'a str,
    /// A previous JSON report: results failing there are not new.
    pub baseline_report: Option<&'a std::path::Path>,
    /// The date attestations and waivers are compared with.
    pub today: crate::config::Date,
    /// Which results make the exit code 1.
    pub fail_on: FailOn,
    /// The fix planned for each outcome, by outcome index (empty when none
    /// were planned); moved into the results, never copied.
    pub autofixes: Vec<Option<Box<AutofixEntry>>>,
    /// The rules that ran and gave a resource no result, and why.
    pub account: &'a aml_rules::account::RuleAccount,
}

/// The threshold of `--fail-on`: failures of at least this severity (or, for
/// `Unknown`, any failure or unknown result) make the exit code 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    /// Any failure (the default).
    #[default]
    Low,
    /// Any failure or unknown result.
    Unknown,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Files read (entry points and context).
    pub files: usize,
    /// Files under the scanned paths that were not used (`files[]` says why).
    pub skipped_files: usize,
    pub resources: usize,
    pub results: usize,
    pub passed: usize,
    /// Failing results that are not suppressed.
    pub failed: usize,
    /// Unknown results that are not suppressed.
    pub unknown: usize,
    /// Results suppressed by a waiver, an inline comment or a baseline report.
    pub suppressed: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Report {
    /// Builds the report from a scan and its evaluation. Secrets met during
    /// the scan are redacted from every message. The outcomes are consumed.
    /// `diagnostics` are those of the run beside the scan's own
    /// (`scan.diagnostics`, which the report adds itself: no copy of them).
    pub fn build(
        scan: &ScanOutput,
        outcomes: Vec<Outcome>,
        diagnostics: &[Diagnostic],
        mut context: BuildContext<'_>,
    ) -> Report {
        let rules = context.rules;
        let secrets = scan.model.redactor();
        let files = file_entries(scan);
        let paths = shared_paths(scan);
        let resources = resource_entries(scan, context.account, secrets, &paths);
        let autofixes = std::mem::take(&mut context.autofixes);
        let sorted = sort_outcomes(scan, (&resources, &paths), outcomes, autofixes);
        let mut results = result_entries(scan, (&resources, &paths), sorted, secrets);
        let unused = apply_suppressions(scan, &resources, &mut results, &context);
        // A suppressed result is not offered a fix, as `fix` does not make one.
        for r in results.iter_mut().filter(|r| r.suppressed.is_some()) {
            r.autofix = None;
        }
        let all = scan.diagnostics.iter().chain(diagnostics).chain(&unused);
        let diags = diagnostic_entries(scan, all, &paths, secrets);
        let summary = summarise(scan, &resources, &results, &diags);
        let baseline =
            crate::baseline::assess(rules, &results, context.attestations, context.today);
        let azure = (!scan.model.azure_verdicts.is_empty()).then(|| azure_comparison(&results));
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "aml-baseline",
                version: env!("CARGO_PKG_VERSION"),
                rules: rules.iter().map(|r| r.id).collect(),
                targets: context
                    .account
                    .targets
                    .iter()
                    .map(entry::RuleTargetsEntry::from)
                    .collect(),
            },
            files,
            diagnostics: diags,
            resources,
            results,
            baseline,
            summary,
            azure,
            fail_on: context.fail_on,
            date: context.today,
        }
    }

    /// The exit code: 2 when an input could not be read or evaluated, else 1
    /// when a result that is not suppressed reaches the `--fail-on`
    /// threshold, else 0.
    /// `--allow-partial`: the gaps of partial live exports
    /// ([`PARTIAL_CODES`]) become warnings, so they no longer make the exit
    /// code 2; their unknown results stay.
    pub fn allow_partial(&mut self) {
        for d in &mut self.diagnostics {
            if d.level == Level::Error && PARTIAL_CODES.contains(&d.code) {
                d.level = Level::Warning;
                d.message = format!("{} (accepted by --allow-partial)", d.message).into();
                self.summary.errors -= 1;
                self.summary.warnings += 1;
            }
        }
    }

    pub fn exit_code(&self) -> i32 {
        if self.summary.errors > 0 {
            return 2;
        }
        let min = match self.fail_on {
            FailOn::Critical => "critical",
            FailOn::High => "high",
            FailOn::Medium => "medium",
            FailOn::Low | FailOn::Unknown => "low",
        };
        let rank = |s: &str| {
            ["low", "medium", "high", "critical"]
                .iter()
                .position(|x| *x == s)
                .unwrap_or(0)
        };
        let failing = self
            .results
            .iter()
            .filter(|r| r.suppressed.is_none())
            .any(|r| match r.result {
                Verdict::Fail => rank(r.severity) >= rank(min),
                Verdict::Unknown => self.fail_on == FailOn::Unknown,
                Verdict::Pass => false,
            });
        i32::from(failing)
    }
}

impl Report {
    /// Whether any result is of a policy assignment (`scan --assignments`):
    /// the human reports then have a "would be denied by" section.
    pub fn has_assignments(&self) -> bool {
        self.results.iter().any(|r| r.assignment.is_some())
    }

    /// The results Azure would reject the deployment for, by assignment id
    /// (in id order; suppressed ones included: a waiver does not stop Azure).
    pub fn denials(&self) -> Vec<(&str, Vec<&ResultEntry>)> {
        self.by_assignment(|r| r.denied)
    }

    /// The unknown results Azure would reject the deployment for if they
    /// failed, by assignment id.
    pub fn possible_denials(&self) -> Vec<(&str, Vec<&ResultEntry>)> {
        self.by_assignment(|r| r.may_be_denied)
    }

    fn by_assignment(&self, keep: impl Fn(&ResultEntry) -> bool) -> Vec<(&str, Vec<&ResultEntry>)> {
        let mut by: std::collections::BTreeMap<&str, Vec<&ResultEntry>> = Default::default();
        for r in self.results.iter().filter(|r| keep(r)) {
            if let Some(a) = &r.assignment {
                by.entry(a.as_str()).or_default().push(r);
            }
        }
        by.into_iter().collect()
    }
}

/// Replaces every secret `redactor` knows in `text` with `***`.
pub fn redact(text: &str, redactor: &aml_model::redact::Redactor) -> String {
    redactor.redact(text).into_owned()
}

/// [`redact`] of a string the caller gives up: kept as it is (no copy) when
/// nothing in it is masked.
pub fn redact_owned(text: String, redactor: &aml_model::redact::Redactor) -> String {
    match redactor.redact(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(masked) => masked,
    }
}

/// [`redact_owned`] for a shared text: the same copy when nothing is masked.
fn redact_shared(text: Shared, redactor: &aml_model::redact::Redactor) -> Shared {
    match redactor.redact(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(masked) => masked.into(),
    }
}

/// The Terraform address of a resource read from Terraform.
fn terraform_address(r: &aml_model::model::Resource) -> Option<Shared> {
    (r.format == "terraform")
        .then(|| r.symbol.as_deref().map(Shared::from))
        .flatten()
}

/// Every file's displayed path, by file id: the resources and results of a
/// file share one copy (issue 20: a copy per result was megabytes).
fn shared_paths(scan: &ScanOutput) -> Vec<Shared> {
    scan.sources
        .files()
        .map(|(_, f)| Shared::from(f.display.as_str()))
        .collect()
}

/// The displayed path, line and column of a span's start.
fn shared_position(scan: &ScanOutput, paths: &[Shared], span: Span) -> (Shared, u32, u32) {
    let (line, column) = scan.sources.get(span.file).line_col(span.start);
    (paths[span.file.0 as usize].clone(), line, column)
}

/// Every file under the scanned paths: read as an entry point, read as
/// context (for which file), or skipped (why).
fn file_entries(scan: &ScanOutput) -> Vec<FileEntry> {
    use aml_model::input::Context;
    use std::collections::{HashMap, HashSet};
    let sources = &scan.sources;
    let entries: HashSet<_> = scan.unit_entries.iter().copied().collect();
    let mut context_of: HashMap<_, _> = scan
        .context
        .iter()
        .filter_map(|(f, c)| match c {
            Context::Of(by) => Some((*f, *by)),
            Context::Scan => None,
        })
        .collect();
    for f in &scan.files {
        if let Some(p) = f.parameters {
            context_of.entry(p).or_insert(f.file);
        }
    }
    let brought: HashSet<_> = scan.context.iter().map(|(f, _)| *f).collect();
    // An entry point starts a deployment, or (in a format that reads a folder
    // as one deployment) contributes resources without being brought along.
    let is_entry = |f: &aml_model::input::ScannedFile| {
        entries.contains(&f.file) || (f.resources > 0 && !brought.contains(&f.file))
    };
    let mut files: Vec<FileEntry> = scan
        .files
        .iter()
        .map(|f| FileEntry {
            path: sources.get(f.file).display.clone(),
            format: f.format,
            resources: f.resources,
            parameters: f.parameters.map(|p| sources.get(p).display.clone()),
            role: if is_entry(f) { "entry" } else { "context" },
            context_of: (!is_entry(f))
                .then(|| context_of.get(&f.file))
                .flatten()
                .map(|by| sources.get(*by).display.clone()),
            reason: None,
            note: entry::file_note(f.format),
        })
        .collect();
    files.extend(scan.skipped.iter().map(|s| FileEntry {
        path: s.path.clone(),
        format: "none",
        resources: 0,
        parameters: None,
        role: "skipped",
        context_of: None,
        reason: Some(s.reason.clone()),
        note: None,
    }));
    files
}

/// Every resource of the model (built in parallel, kept in order).
fn resource_entries(
    scan: &ScanOutput,
    account: &aml_rules::account::RuleAccount,
    secrets: &Redactor,
    paths: &[Shared],
) -> Vec<ResourceEntry> {
    let mut absent: Vec<&[aml_rules::account::NotApplicable]> =
        vec![&[]; scan.model.resources.len()];
    for group in account
        .not_applicable
        .chunk_by(|a, b| a.resource == b.resource)
    {
        if let Some(slot) = absent.get_mut(group[0].resource) {
            *slot = group;
        }
    }
    scan.model
        .resources
        .par_iter()
        .zip(absent.par_iter())
        .map(|(r, absent)| {
            let (path, line, column) = shared_position(scan, paths, r.span);
            ResourceEntry {
                id: redact(&r.id, secrets).into(),
                resource_type: r.resource_type.as_str().into(),
                name: redact(&r.name, secrets).into(),
                path,
                line,
                column,
                symbol: r.symbol.clone(),
                address: terraform_address(r),
                format: r.format,
                source: entry::source_of(r),
                existing: r.existing,
                deployed: match r.deployed {
                    Deployed::Yes => "yes",
                    Deployed::Unknown { .. } => "unknown",
                },
                not_applicable: absent
                    .iter()
                    .map(|a| entry::NotApplicableEntry {
                        rule: a.rule.clone(),
                        assignment: a.assignment.clone(),
                        reason: redact_shared(a.reason.clone(), secrets),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Azure's verdicts by (resource id, definition), both lower case; Azure
/// Policy's before Defender's.
fn azure_index(
    scan: &ScanOutput,
) -> std::collections::HashMap<(String, String), &aml_model::model::AzureVerdict> {
    let verdicts = &scan.model.azure_verdicts;
    let mut index: std::collections::HashMap<(String, String), &aml_model::model::AzureVerdict> =
        Default::default();
    for v in verdicts
        .iter()
        .filter(|v| v.source == "azure-policy")
        .chain(verdicts.iter().filter(|v| v.source != "azure-policy"))
    {
        index
            .entry((v.resource_id.clone(), v.definition.clone()))
            .or_insert(v);
    }
    index
}

/// One entry per outcome (built in parallel, kept in order), with its fix.
/// A result shares its resource's id, type, name and address with the
/// resource's entry in `shared.0`, and its path with `shared.1`.
fn result_entries(
    scan: &ScanOutput,
    shared: (&[ResourceEntry], &[Shared]),
    sorted: SortedOutcomes,
    secrets: &Redactor,
) -> Vec<ResultEntry> {
    let SortedOutcomes {
        mut outcomes,
        mut autofixes,
        mut starts,
    } = sorted;
    let azure = azure_index(scan);
    let texts = aml_model::intern::Interner::default();
    // The outcomes are made entries a batch at a time from the end, the
    // outcomes' vector shrunk as it empties: the entries and every outcome
    // are never held at once (20 MiB less at the peak of 10,000 ARM units).
    // The entries are made last to first, then put in order.
    let mut entries = Vec::with_capacity(outcomes.len());
    while !outcomes.is_empty() {
        let start = outcomes.len().saturating_sub(4096);
        let batch = outcomes.split_off(start);
        let fixes = autofixes.split_off(start);
        let at = starts.split_off(start);
        entries.par_extend(batch.into_par_iter().zip(fixes).zip(at).rev().map(
            |((o, autofix), start)| {
                let mut entry = result_entry(scan, shared, (o, start), (&azure, &texts), secrets);
                entry.autofix = autofix;
                entry
            },
        ));
        if outcomes.len() < outcomes.capacity() / 2 {
            outcomes.shrink_to_fit();
            autofixes.shrink_to_fit();
            starts.shrink_to_fit();
        }
    }
    entries.reverse();
    entries
}

/// The report's entry of one outcome (without suppression or fix).
fn result_entry(
    scan: &ScanOutput,
    (resources, paths): (&[ResourceEntry], &[Shared]),
    (o, (line, column)): (Outcome, (u32, u32)),
    (azure, texts): (
        &std::collections::HashMap<(String, String), &aml_model::model::AzureVerdict>,
        &aml_model::intern::Interner,
    ),
    secrets: &Redactor,
) -> ResultEntry {
    let sources = &scan.sources;
    let r = &scan.model.resources[o.resource];
    let shared = &resources[o.resource];
    let path = paths[o.span.file.0 as usize].clone();
    // The end is searched from the start's line (found when sorting).
    let (end_line, end_column) = sources
        .get(o.span.file)
        .line_col_near(o.span.end, &mut (line.saturating_sub(1) as usize));
    let property = (o.span != r.span)
        .then(|| r.spans.iter().find(|(_, s)| **s == o.span))
        .flatten()
        .map(|(p, _)| texts.get(p));
    let evidence = o.evidence.map(|e| {
        let er = &scan.model.resources[e];
        let (path, line, column) = sources.position(er.span);
        Box::new(crate::entry::Evidence {
            resource_id: redact(&er.id, secrets),
            resource_type: er.resource_type.clone(),
            resource_name: redact(&er.name, secrets),
            path,
            line,
            column,
        })
    });
    // Computed before the outcome's strings move into the entry.
    let field_restrictions = field_restrictions(scan, r, &o, secrets);
    // The outcome's message is already one shared copy.
    let message = match &evidence {
        Some(e) => texts.get(&aml_rules::evaluate::evidence_message(
            &e.resource_type,
            &e.resource_name,
            Some(&format!("{}:{}", e.path, e.line)),
        )),
        None => redact_shared(o.message, secrets),
    };
    ResultEntry {
        rule: o.rule.id,
        policy: o.rule.policy(),
        control: o.rule.control,
        feature: o.rule.feature,
        result: o.verdict,
        severity: o.rule.severity.as_str(),
        resource_id: shared.id.clone(),
        resource_type: shared.resource_type.clone(),
        resource_name: shared.name.clone(),
        // A scan holds far fewer resources than `u32` counts (each costs
        // hundreds of bytes).
        resource_index: u32::try_from(o.resource).unwrap_or(u32::MAX),
        source: entry::source_of(r),
        // Most scans hold no verdict of Azure's: no key made to look one up.
        azure: o
            .rule
            .policy()
            .filter(|_| !azure.is_empty())
            .and_then(|p| azure.get(&(r.id.to_ascii_lowercase(), p.to_ascii_lowercase())))
            // `checkPolicyRestrictions` answers for the assignments' denials only.
            .filter(|v| v.source != aml_model::model::RESTRICTIONS || o.assignment.is_some())
            .map(|v| {
                Box::new(entry::AzureEntry {
                    source: v.source,
                    state: v.state.clone(),
                    agrees: match (v.compliant(), o.verdict) {
                        (Some(c), Verdict::Pass) => Some(c),
                        (Some(c), Verdict::Fail) => Some(!c),
                        _ => None,
                    },
                })
            }),
        address: shared.address.clone(),
        path,
        line,
        column,
        message,
        effect: o.effect.map(|e| texts.get(&e)),
        assignment: o.assignment.map(|a| texts.get(&redact_owned(a, secrets))),
        denied: o.denied,
        may_be_denied: o.may_deny,
        known_issue: o.known_issue,
        deciding: o
            .deciding
            .into_iter()
            .map(|d| redact_owned(d, secrets))
            .collect(),
        evidence,
        rollup: o.rollup.map(|mut r| {
            r.message = redact_owned(std::mem::take(&mut r.message), secrets);
            r.hub_id = r.hub_id.map(|h| redact_owned(h, secrets));
            r
        }),
        fix: (o.verdict != Verdict::Pass).then_some(o.rule.fix),
        field_restrictions: field_restrictions.into_boxed_slice(),
        end_line,
        end_column,
        property,
        suppressed: None,
        autofix: None,
    }
}

/// The outcomes, their planned fixes and the line and column of each
/// one's start, in the order of the report's results.
struct SortedOutcomes {
    outcomes: Vec<Outcome>,
    autofixes: Vec<Option<Box<AutofixEntry>>>,
    starts: Vec<(u32, u32)>,
}

/// Puts the outcomes (and the fix planned for each) in the order of the
/// report's results: by position, rule and resource, stable. The order is
/// found on compact keys (the ranks of the path and the rule, the line and
/// column, the outcome's index: 20 bytes side by side), sorted in
/// parallel, and applied by swaps in place, to the outcomes before their
/// entries are made (an outcome is less than half an entry's size): a
/// stable sort would move them through a scratch copy of half of them
/// (issue 20: tens of megabytes at 100,000 results). An outcome's path,
/// line, column, rule and resource id are its entry's; the lines and
/// columns found for the keys are kept for the entries.
fn sort_outcomes(
    scan: &ScanOutput,
    (resources, paths): (&[ResourceEntry], &[Shared]),
    mut outcomes: Vec<Outcome>,
    mut autofixes: Vec<Option<Box<AutofixEntry>>>,
) -> SortedOutcomes {
    autofixes.resize_with(outcomes.len(), || None);
    // Each file's rank is its path's: files, not outcomes, are ranked.
    let path = ranks(paths.iter(), |p| (p.addr(), p.as_str()));
    let path: Vec<u32> = paths.iter().map(|p| path[&p.addr()]).collect();
    // Rule ids are the rule table's strings: a few dozen places, not one
    // string per result to sort. Gathered on every thread.
    let rule_at = |o: &Outcome| (o.rule.id.as_ptr() as usize, o.rule.id.len());
    let rules: Vec<&'static aml_rules::Rule> = outcomes
        .par_iter()
        .fold(aml_model::FastMap::default, |mut held, o| {
            held.entry(rule_at(o)).or_insert(o.rule);
            held
        })
        .reduce(aml_model::FastMap::default, |mut a, b| {
            a.extend(b);
            a
        })
        .into_values()
        .collect();
    let rule = ranks(rules.iter(), |r| {
        ((r.id.as_ptr() as usize, r.id.len()), r.id)
    });
    let mut keys: Vec<[u32; 5]> = outcomes
        .par_iter()
        .enumerate()
        .map(|(i, o)| {
            let (line, column) = scan.sources.get(o.span.file).line_col(o.span.start);
            [
                path[o.span.file.0 as usize],
                line,
                column,
                rule[&rule_at(o)],
                i as u32,
            ]
        })
        .collect();
    drop(rule);
    drop(path);
    // Equal keys but for the index: the resource's id decides, then the
    // index (the sort is stable).
    keys.par_sort_unstable_by(|a, b| {
        a[..4].cmp(&b[..4]).then_with(|| {
            let (x, y) = (&outcomes[a[4] as usize], &outcomes[b[4] as usize]);
            resources[x.resource]
                .id
                .cmp(&resources[y.resource].id)
                .then(a[4].cmp(&b[4]))
        })
    });
    let order: Vec<usize> = keys.iter().map(|k| k[4] as usize).collect();
    let starts = keys.iter().map(|k| (k[1], k[2])).collect();
    drop(keys);
    permute(&order, &mut outcomes, &mut autofixes);
    SortedOutcomes {
        outcomes,
        autofixes,
        starts,
    }
}

/// Puts `items[order[i]]` (and `more[order[i]]`) at `i`, in place: each
/// cycle of the permutation is followed once, one swap a place, so the
/// work is linear whatever the permutation's shape. (Following a cycle
/// from each place to the first place not yet filled, without marking,
/// walked chains that grew with the input: 151 ms of 100,000 live
/// resources' outcomes, against 9 ms at 10,000.)
fn permute<T, U>(order: &[usize], items: &mut [T], more: &mut [U]) {
    let mut placed = vec![false; order.len()];
    for start in 0..order.len() {
        let mut at = start;
        while !placed[at] {
            placed[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            items.swap(at, from);
            more.swap(at, from);
            at = from;
        }
    }
}

/// The rank of each distinct string `of` the items, by where it is held
/// (`of` gives that place and the string: the results share one copy of
/// each path, and of each rule id), in the strings' order; equal strings
/// held apart have the same rank.
fn ranks<'a, T: 'a, K: std::hash::Hash + Eq + Copy>(
    items: impl Iterator<Item = &'a T>,
    of: impl Fn(&'a T) -> (K, &'a str),
) -> aml_model::FastMap<K, u32> {
    // foldhash: a look-up per outcome, of a key SipHash took longer to hash.
    let mut held: aml_model::FastMap<K, &str> = Default::default();
    for r in items {
        let (place, s) = of(r);
        held.entry(place).or_insert(s);
    }
    let mut distinct: Vec<(&str, K)> = held.into_iter().map(|(a, s)| (s, a)).collect();
    // Equal strings get one rank whichever comes first.
    distinct.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut rank = 0u32;
    let mut out = aml_model::FastMap::with_capacity_and_hasher(distinct.len(), Default::default());
    for (i, (s, addr)) in distinct.iter().enumerate() {
        if i > 0 && distinct[i - 1].0 != *s {
            rank += 1;
        }
        out.insert(*addr, rank);
    }
    out
}

/// What `checkPolicyRestrictions` said of the fields the outcome's
/// definition restricts on its resource, for results that are not passes.
fn field_restrictions(
    scan: &ScanOutput,
    r: &aml_model::model::Resource,
    o: &Outcome,
    secrets: &Redactor,
) -> Vec<entry::FieldRestrictionEntry> {
    let (Some(definition), false) = (o.rule.policy(), o.verdict == Verdict::Pass) else {
        return Vec::new();
    };
    // Most scans ask Azure nothing: no key made to look an answer up.
    if scan.model.restrictions.is_empty() {
        return Vec::new();
    }
    let Some(answer) = scan.model.restrictions.get(&r.id.to_ascii_lowercase()) else {
        return Vec::new();
    };
    answer
        .of_definition(definition)
        .map(|f| entry::FieldRestrictionEntry {
            field: f.field.clone(),
            result: f.result.clone(),
            values: f.values.iter().map(|v| redact(v, secrets)).collect(),
            default_value: f.default_value.as_deref().map(|v| redact(v, secrets)),
            effect: f.effect.clone(),
            assignment: f.policy.assignment_id.clone(),
            reason: redact(&f.reason, secrets),
        })
        .collect()
}

/// Suppressions: inline comments, then waivers, then a baseline report;
/// returns their diagnostics.
fn apply_suppressions(
    scan: &ScanOutput,
    resources: &[ResourceEntry],
    results: &mut [ResultEntry],
    context: &BuildContext<'_>,
) -> Vec<Diagnostic> {
    let mut diagnostics = crate::suppress::apply_inline(results, resources, &scan.sources);
    diagnostics.extend(crate::suppress::apply_waivers(
        results,
        context.waivers,
        context.today,
        context.config_path,
    ));
    if let Some(file) = context.baseline_report {
        diagnostics.extend(crate::suppress::apply_baseline(results, file));
    }
    diagnostics
}

/// The diagnostics as the report lists them: positioned, redacted, sorted,
/// without duplicates.
fn diagnostic_entries<'d>(
    scan: &ScanOutput,
    diagnostics: impl Iterator<Item = &'d Diagnostic>,
    paths: &[Shared],
    secrets: &Redactor,
) -> Vec<DiagnosticEntry> {
    // A scan repeats few diagnostic texts many times (38,236 `parameter-missing`
    // warnings of 33 texts at 10,000 Bicep units): one copy of each.
    let texts = aml_model::intern::Interner::default();
    let mut diags: Vec<DiagnosticEntry> = diagnostics
        .map(|d| {
            let (path, line, column) = match &d.location {
                aml_model::diagnostics::Location::Span(s) => shared_position(scan, paths, *s),
                _ => {
                    let (path, line, column) = d.position(&scan.sources);
                    (Shared::from(path), line, column)
                }
            };
            DiagnosticEntry {
                level: d.level,
                path,
                line,
                column,
                code: d.code,
                message: texts.get(&redact(&d.message, secrets)),
            }
        })
        .collect();
    diags.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.code, &a.message)
            .cmp(&(&b.path, b.line, b.column, b.code, &b.message))
    });
    diags.dedup_by(|a, b| {
        a.path == b.path
            && a.line == b.line
            && a.column == b.column
            && a.code == b.code
            && a.message == b.message
    });
    diags
}

/// The counts of the summary line.
fn summarise(
    scan: &ScanOutput,
    resources: &[ResourceEntry],
    results: &[ResultEntry],
    diags: &[DiagnosticEntry],
) -> Summary {
    // One pass over the results, on every thread: [passed, failed,
    // unknown, suppressed] (failed and unknown: not suppressed).
    let counts = results
        .par_iter()
        .map(|r| {
            let open = r.suppressed.is_none();
            [
                r.result == Verdict::Pass,
                open && r.result == Verdict::Fail,
                open && r.result == Verdict::Unknown,
                !open,
            ]
            .map(usize::from)
        })
        .reduce(|| [0; 4], |a, b| std::array::from_fn(|i| a[i] + b[i]));
    let [passed, failed, unknown, suppressed] = counts;
    Summary {
        files: scan.files.len(),
        skipped_files: scan.skipped.len(),
        resources: resources.iter().filter(|r| !r.existing).count(),
        results: results.len(),
        passed,
        failed,
        unknown,
        suppressed,
        errors: diags.iter().filter(|d| d.level == Level::Error).count(),
        warnings: diags.iter().filter(|d| d.level == Level::Warning).count(),
    }
}

/// Our verdicts against Azure's, with every disagreement.
fn azure_comparison(results: &[ResultEntry]) -> entry::AzureComparison {
    let mut c = entry::AzureComparison::default();
    for r in results {
        let Some(a) = &r.azure else { continue };
        let Some(agrees) = a.agrees else { continue };
        c.compared += 1;
        if agrees {
            c.confirmed += 1;
        } else {
            c.disagreements.push(entry::Disagreement {
                rule: r.rule,
                resource_id: r.resource_id.to_string(),
                ours: r.result,
                azure: a.state.clone(),
                source: a.source,
            });
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::permute;

    /// `permute` puts `items[order[i]]` at `i` for every shape of
    /// permutation: identity, reversal, one long cycle, many short ones,
    /// and pseudo-random ones; the second slice follows the first.
    #[test]
    fn permute_places_each_item_where_the_order_says() {
        let mut orders: Vec<Vec<usize>> = vec![
            vec![],
            vec![0],
            (0..50).collect(),
            (0..50).rev().collect(),
            (1..50).chain([0]).collect(),
            (0..50).map(|i| i ^ 1).collect(),
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for n in [2usize, 7, 64, 1000] {
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                order.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            orders.push(order);
        }
        for order in orders {
            let mut items: Vec<usize> = (0..order.len()).map(|i| i * 10).collect();
            let mut more: Vec<String> = (0..order.len()).map(|i| i.to_string()).collect();
            permute(&order, &mut items, &mut more);
            let expected: Vec<usize> = order.iter().map(|&o| o * 10).collect();
            assert_eq!(items, expected, "{order:?}");
            let expected: Vec<String> = order.iter().map(|o| o.to_string()).collect();
            assert_eq!(more, expected);
        }
    }
}
