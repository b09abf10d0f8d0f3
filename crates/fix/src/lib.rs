//! Automatic fixes: a failing result turned into an edit of the source that
//! keeps the file's formatting (comments, key order, indentation, line
//! endings, a byte order mark, tabs), or, where the fix adds a resource, a
//! snippet to paste (never written). See `docs/decisions/0019-autofix.md`.
//!
//! [`plan`] takes the scan's model and sources and the failing results, and
//! returns a [`Plan`]: one [`FileFix`] per file that changes (its text before
//! and after, a unified diff) and one [`ResultFix`] per result saying what
//! was done, where, and what else the change touches. [`plan_results`]
//! gives the same results without the files' texts: what a scan's report
//! shows (replacements, and [`diff_of`] the edited lines) needs no more.
//!
//! Each language edits its own syntax tree's byte ranges: ARM JSON (with
//! comments) through the positioned JSON reader (`jsonc-parser`), Bicep
//! through the Bicep front end's parser, Terraform through `hcl-edit`. An
//! ARM resource's object and a Terraform resource's block are parsed alone
//! (the whole file only when a value is followed to a parameter, variable
//! or caller), so planning reads about what it edits (decision 0045).

mod allowed;
mod bicep;
mod callers;
mod edit;
mod hcl;
mod json;
mod snippet;
pub mod write;
mod yaml;

pub use allowed::{Allowed, AllowedSources, Assignments, Check};
pub use edit::TextEdit;

/// Bytes of source text fix planning has handed to a parser, process-wide
/// since the start or the last [`reset_parsed_bytes`]: a test's guard that a
/// plan parses each file it edits about once, and a Terraform resource's
/// block rather than its file (decision 0045). Never changes an output.
pub fn parsed_bytes() -> u64 {
    PARSED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Sets [`parsed_bytes`] back to zero.
pub fn reset_parsed_bytes() {
    PARSED.store(0, std::sync::atomic::Ordering::Relaxed);
}

static PARSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts `text` in [`parsed_bytes`] and returns it, for a parser.
pub(crate) fn parsing(text: &str) -> &str {
    PARSED.fetch_add(text.len() as u64, std::sync::atomic::Ordering::Relaxed);
    text
}

use aml_model::input::ScannedFile;
use aml_model::model::{Model, Resource};
use aml_model::source::Span;
use aml_model::source::{FileId, SourceMap};
use aml_model::value::Value;
use aml_rules::{Autofix, Rule, Safety, Setting, TerraformSetting};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

/// What to fix.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only these rules (ids as `rules::find` takes them); all when empty.
    pub rules: Vec<&'static str>,
    /// Apply unsafe fixes too (`--unsafe`).
    pub allow_unsafe: bool,
    /// What the organisation allows a fix to write (`--policies`,
    /// `--assignments`): values are chosen that every source allows.
    pub allowed: AllowedSources,
}

/// A failing result to fix: the rule and the resource (index into the model).
#[derive(Clone, Copy, Debug)]
pub struct Failure {
    pub rule: &'static Rule,
    pub resource: usize,
}

/// What happened to one failing result.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Edits were planned (and are in the plan's files).
    Fixed,
    /// An unsafe fix, left out without `--unsafe`.
    NeedsUnsafe,
    /// A resource to add: the snippet is printed, nothing is written.
    Snippet,
    /// The rule has no automatic fix, or the value is decided somewhere
    /// `fix` cannot edit (an expression, a module's caller): the message says why.
    Manual,
    /// Edits were planned but a file they need could not be written (the
    /// message says which and why); nothing of the file changed.
    NotWritten,
}

impl Status {
    /// How `fix` names the status in its listing.
    pub fn label(&self) -> &'static str {
        match self {
            Status::Fixed => "fixed",
            Status::NeedsUnsafe => "needs --unsafe",
            Status::Snippet => "snippet",
            Status::Manual => "by hand",
            Status::NotWritten => "not written",
        }
    }
}

/// One failing result and what `fix` does about it.
#[derive(Clone, Debug)]
pub struct ResultFix {
    pub rule: &'static Rule,
    /// Index into [`Model::resources`].
    pub resource: usize,
    pub status: Status,
    /// What was changed and where, or why nothing was.
    pub messages: Vec<String>,
    /// The edits of this result (also merged into [`Plan::files`]).
    pub edits: Vec<TextEdit>,
    /// For [`Status::Snippet`]: the text to paste, in the file's language.
    pub snippet: Option<String>,
}

/// One file that changes.
#[derive(Clone, Debug)]
pub struct FileFix {
    pub file: FileId,
    pub path: PathBuf,
    /// The path as reports show it.
    pub display: String,
    /// The text as the scan read it (without a byte order mark).
    pub before: String,
    pub after: String,
    /// The edits applied, in `before`'s byte offsets, sorted.
    pub edits: Vec<TextEdit>,
}

impl FileFix {
    /// The unified diff from `before` to `after`, with `a/` and `b/` headers.
    pub fn diff(&self) -> String {
        edit::unified_diff(&self.display, &self.before, &self.after)
    }

    /// [`FileFix::diff`] as it may be shown: every secret `model` knows masked,
    /// whatever its spelling (see [`edit::masked_change`]).
    pub fn shown_diff(&self, model: &Model) -> String {
        let (before, after) = edit::masked_change(model, self.file, &self.before, 0, &self.edits);
        edit::unified_diff(&self.display, &before, &after)
    }

    /// Writes `after` over the file, keeping a byte order mark the file
    /// starts with, atomically (see [`write::replace_file`]): a failure
    /// leaves the original intact. Refuses when the file changed since the
    /// scan read it, or when it is a symbolic link to a file outside
    /// `boundary`.
    pub fn write(&self, boundary: Option<&std::path::Path>) -> std::io::Result<write::Written> {
        write::replace_file(
            &self.path,
            &self.display,
            self.before.as_bytes(),
            |bom| {
                let mut out = Vec::with_capacity(self.after.len() + 3);
                if bom {
                    out.extend_from_slice("\u{feff}".as_bytes());
                }
                out.extend_from_slice(self.after.as_bytes());
                out
            },
            boundary,
        )
    }
}

/// Everything `fix` would do.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub files: Vec<FileFix>,
    pub results: Vec<ResultFix>,
}

impl Plan {
    /// Writes every file of the plan; a file that cannot be written is
    /// dropped from [`Plan::files`] and the results whose edits it held
    /// become [`Status::NotWritten`], so the summary counts what was
    /// actually written. Returns one line per failure or note, for
    /// standard error.
    pub fn write_files(&mut self, boundary: Option<&std::path::Path>) -> Vec<(bool, String)> {
        let mut said = Vec::new();
        let mut failed: Vec<(FileId, String)> = Vec::new();
        self.files.retain(|f| match f.write(boundary) {
            Ok(w) => {
                said.extend(w.notes.into_iter().map(|n| (false, n)));
                true
            }
            Err(e) => {
                let message = if e.to_string().contains(&f.display) {
                    e.to_string()
                } else {
                    format!("{}: {e}; the file was left as it was", f.display)
                };
                said.push((true, message.clone()));
                failed.push((f.file, message));
                false
            }
        });
        for r in &mut self.results {
            for (file, message) in &failed {
                if r.status == Status::Fixed && r.edits.iter().any(|e| e.file == *file) {
                    r.status = Status::NotWritten;
                    r.messages.push(format!("not written: {message}"));
                }
            }
        }
        said
    }

    /// The closing line: files changed and results per status.
    pub fn summary(&self) -> String {
        let count = |st: Status| self.results.iter().filter(|r| r.status == st).count();
        let files = self.files.len();
        let mut s = format!(
            "{files} file{} changed; {} result{} fixed, {} need --unsafe, {} snippets to add, {} to fix by hand",
            if files == 1 { "" } else { "s" },
            count(Status::Fixed),
            if count(Status::Fixed) == 1 { "" } else { "s" },
            count(Status::NeedsUnsafe),
            count(Status::Snippet),
            count(Status::Manual)
        );
        let not_written = count(Status::NotWritten);
        if not_written > 0 {
            s.push_str(&format!(", {not_written} not written"));
        }
        s
    }
}

/// Plans the fixes of `failures` (failing, unsuppressed results).
pub fn plan(
    model: &Model,
    sources: &SourceMap,
    files: &[ScannedFile],
    failures: &[Failure],
    options: &Options,
) -> Plan {
    let mut results = plan_each(model, sources, files, failures, options);
    let edits = merge(sources, &mut results, true);
    let files = files_of(sources, edits);
    Plan { files, results }
}

/// Whether `fix` edits files of the resource format `format` (`arm`,
/// `bicep`, `terraform`, Azure ML CLI YAML): a failure on a resource of
/// another format (a live export's) never gets an edit, and its planning
/// reads nothing a report shows.
pub fn edits_format(format: &str) -> bool {
    matches!(format, "arm" | "bicep" | "terraform" | aml_yaml::FORMAT)
}

/// [`plan`]'s results alone, the same ones (status, messages, edits), without
/// its [`Plan::files`]: no copy of a file's text before and after is made.
/// What a report shows of a fix (its replacements, [`diff_of`] its edits)
/// needs no more, so a scan of many files plans its fixes in memory that
/// grows with the edits, not with the files (decision 0045).
pub fn plan_results(
    model: &Model,
    sources: &SourceMap,
    files: &[ScannedFile],
    failures: &[Failure],
    options: &Options,
) -> Vec<ResultFix> {
    let mut results = plan_each(model, sources, files, failures, options);
    merge(sources, &mut results, false);
    results
}

/// Units planned by one task: enough to amortise a task and its caches.
const UNITS_PER_TASK: usize = 16;

/// Each failure (once, in order) triaged and its resource's edits made,
/// before the edits of all results are merged per file.
///
/// A result's fix depends only on its failure, its resource and that
/// resource's other failures (planned by the same task: a unit's resources
/// all are), and the caches of a [`Context`] are pure functions of the
/// model and the sources, so units are planned in parallel, a few to a task
/// with caches of their own, and give the same results as one pass over all
/// of them; edits are merged over all results afterwards (decision 0056).
fn plan_each(
    model: &Model,
    sources: &SourceMap,
    files: &[ScannedFile],
    failures: &[Failure],
    options: &Options,
) -> Vec<ResultFix> {
    use rayon::prelude::*;
    let mut seen = std::collections::HashSet::new();
    let wanted: Vec<(&Failure, &Resource)> = failures
        .iter()
        .filter(|f| options.rules.is_empty() || options.rules.contains(&f.rule.id))
        .filter(|f| seen.insert((f.rule.id, f.resource)))
        .filter_map(|f| Some((f, model.resources.get(f.resource)?)))
        .collect();
    drop(seen);
    let mut by_unit: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, (_, resource)) in wanted.iter().enumerate() {
        by_unit.entry(resource.deployment).or_default().push(i);
    }
    let units: Vec<Vec<usize>> = by_unit.into_values().collect();
    let shared = Shared::new(files, sources, &wanted);
    let planned: Vec<Vec<(usize, ResultFix)>> = units
        .par_chunks(UNITS_PER_TASK)
        .map(|chunk| {
            let mut cx = Context::new(model, sources, &shared);
            let items: Vec<usize> = chunk.iter().flatten().copied().collect();
            plan_items(&mut cx, &wanted, &items, options)
        })
        .collect();
    let mut results: Vec<Option<ResultFix>> = (0..wanted.len()).map(|_| None).collect();
    for (i, r) in planned.into_iter().flatten() {
        results[i] = Some(r);
    }
    results.into_iter().flatten().collect()
}

/// The results of the `items` of `wanted` (indexes), with their indexes.
fn plan_items(
    cx: &mut Context<'_>,
    wanted: &[(&Failure, &Resource)],
    items: &[usize],
    options: &Options,
) -> Vec<(usize, ResultFix)> {
    let model = cx.model;
    let mut results: Vec<(ResultFix, Vec<OwnedSetting>)> = items
        .iter()
        .map(|&i| {
            let (f, resource) = wanted[i];
            triage(cx, f, resource, options)
        })
        .collect();
    // One pass per resource with the settings of every rule that fails on
    // it, so that two rules adding members to one object make one edit.
    let mut by_resource: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, (r, needed)) in results.iter().enumerate() {
        if r.status == Status::Fixed && !needed.is_empty() {
            by_resource.entry(r.resource).or_default().push(i);
        }
    }
    for (res, members) in by_resource {
        let resource = &model.resources[res];
        let mut all: Vec<&OwnedSetting> = Vec::new();
        let mut clash: Vec<(usize, String)> = Vec::new();
        for &i in &members {
            // Two results wanting different values of one property (a rule
            // and an assignment): the first is written, the other told.
            let theirs = results[i].1.iter().find_map(|s| {
                all.iter()
                    .find(|a| a.path.eq_ignore_ascii_case(&s.path) && a.value != s.value)
                    .map(|a| (s, a))
            });
            if let Some((s, a)) = theirs {
                clash.push((
                    i,
                    format!(
                        "`{}`: another fix of this resource writes {} there, this one wants {}; they conflict: fix it by hand",
                        s.path, a.value, s.value
                    ),
                ));
                continue;
            }
            for s in &results[i].1 {
                if !all.iter().any(|a| a.path.eq_ignore_ascii_case(&s.path)) {
                    all.push(s);
                }
            }
        }
        let all: Vec<OwnedSetting> = all.into_iter().cloned().collect();
        let all: Vec<&OwnedSetting> = all.iter().collect();
        for (i, why) in clash {
            results[i].0.status = Status::Manual;
            results[i].0.messages.push(why);
            results[i].1.clear();
        }
        let members: Vec<usize> = members
            .into_iter()
            .filter(|&i| !results[i].1.is_empty())
            .collect();
        let done = match resource.format {
            "arm" => json::fix(cx, resource, &all),
            "bicep" => bicep::fix(cx, resource, &all),
            "terraform" => hcl::fix(cx, resource, &all),
            aml_yaml::FORMAT => yaml::fix(cx, resource, &all),
            other => Done {
                // Every format `edits_format` names has its arm above.
                manual: all
                    .iter()
                    .map(|s| {
                        format!(
                            "`{}`: `fix` does not edit {other} files yet; set it by hand",
                            s.path
                        )
                    })
                    .collect(),
                ..Done::default()
            },
        };
        for &i in &members {
            let (r, needed) = &mut results[i];
            let mentions = |m: &String| {
                m.starts_with("fixed where")
                    || needed.iter().any(|s| {
                        m.contains(&format!("`{}`", s.path))
                            || s.terraform.is_some_and(|t| m.contains(t.attribute))
                    })
            };
            r.messages
                .extend(done.messages.iter().filter(|m| mentions(m)).cloned());
            let manual: Vec<String> = done
                .manual
                .iter()
                .filter(|m| mentions(m))
                .cloned()
                .collect();
            r.edits = done.edits.clone();
            if done.edits.is_empty() || manual.len() >= needed.len() {
                r.status = Status::Manual;
                r.edits.clear();
            }
            r.messages.extend(manual);
            if r.status == Status::Manual && r.messages.is_empty() {
                r.messages
                    .push(format!("`fix` could not write it: {}", r.rule.fix));
            }
        }
    }
    items
        .iter()
        .zip(results)
        .map(|(&i, (r, _))| (i, r))
        .collect()
}

/// The files that change: each file's text before and after its edits
/// (`edits` sorted per file, as [`Context::merge`] returns them).
fn files_of(sources: &SourceMap, edits: BTreeMap<FileId, Vec<TextEdit>>) -> Vec<FileFix> {
    edits
        .into_iter()
        .filter_map(|(file, edits)| {
            let src = sources.get(file);
            let before = src.text();
            let after = edit::apply(&before, &edits);
            (after != *before).then(|| FileFix {
                file,
                path: src.path.clone(),
                display: src.display.clone(),
                before: before.to_string(),
                after,
                edits,
            })
        })
        .collect()
}

/// The settings of a rule's fix (the Modify definition's operations for
/// [`Autofix::Modify`]), with its safety.
pub fn settings_of(rule: &Rule, resource: &Resource) -> Option<(Safety, Vec<OwnedSetting>)> {
    match rule.autofix {
        Autofix::Set { safety, settings } => Some((
            safety,
            settings.iter().map(OwnedSetting::from_static).collect(),
        )),
        Autofix::Modify { safety } => {
            let ops =
                aml_policy::modify_operations(rule.policy()?, resource.api_version.as_deref());
            if ops.is_empty() {
                return None;
            }
            // The Terraform attribute of the same ARM path, from the audit twin.
            let twin_tf = |path: &str| -> Option<TerraformSetting> {
                aml_rules::all()
                    .iter()
                    .filter_map(|r| match r.autofix {
                        Autofix::Set { settings, .. } => Some(settings),
                        _ => None,
                    })
                    .flatten()
                    .find(|s| s.path.eq_ignore_ascii_case(path))
                    .and_then(|s| s.terraform)
            };
            Some((
                safety,
                ops.into_iter()
                    .map(|op| OwnedSetting {
                        terraform: twin_tf(&op.path),
                        path: op.path,
                        value: op.value,
                        accept: vec![],
                        compute_types: vec![],
                    })
                    .collect(),
            ))
        }
        Autofix::None | Autofix::Snippet(_) => None,
    }
}

/// The fix of a failing result of the organisation's own policy (an
/// assignment's definition): a value its conditions name that it and every
/// other enforced assignment allow. Unsafe, unless the definition is a
/// shipped one whose rule's fix is safe: which of the allowed values fits
/// the workload (a VM size, a SKU) is for a person to confirm. `None`, with
/// the reason in `out` when there is one, when no such value exists.
fn allowed_fix(
    model: &Model,
    sources: &AllowedSources,
    rule: &'static Rule,
    resource: &Resource,
    out: &mut ResultFix,
) -> Option<(Safety, Vec<OwnedSetting>)> {
    if sources.is_empty() {
        return None;
    }
    let mut refused = Vec::new();
    for (path, values) in sources.proposals(model, resource, rule.id) {
        let want = allowed::Want {
            path: &path,
            preferred: values,
            must_pass: Some(rule.id),
        };
        match allowed::choose(sources, model, resource, &want) {
            Ok((value, notes)) => {
                out.messages.extend(notes);
                let setting = OwnedSetting {
                    path,
                    value,
                    accept: vec![],
                    compute_types: vec![],
                    terraform: None,
                };
                // A shipped definition's fix keeps the safety its rule has.
                let safety = match aml_rules::find(rule.id).map(|r| r.autofix) {
                    Some(Autofix::Set { safety, .. } | Autofix::Modify { safety }) => safety,
                    _ => Safety::Unsafe,
                };
                return Some((safety, vec![setting]));
            }
            Err(why) => refused.push(why),
        }
    }
    // The paths a definition only selects on (a compute type) say nothing
    // worth repeating when another path had candidates: the last one speaks.
    out.messages.extend(refused.pop());
    None
}

/// A [`Setting`] with its value parsed.
#[derive(Clone, Debug)]
pub struct OwnedSetting {
    pub path: String,
    pub value: serde_json::Value,
    pub accept: Vec<serde_json::Value>,
    pub compute_types: Vec<&'static str>,
    pub terraform: Option<TerraformSetting>,
}

impl OwnedSetting {
    fn from_static(s: &Setting) -> OwnedSetting {
        let parse = |t: &str| serde_json::from_str(t).unwrap_or(serde_json::Value::Null);
        OwnedSetting {
            path: s.path.to_string(),
            value: parse(s.value),
            accept: s.accept.iter().map(|a| parse(a)).collect(),
            compute_types: s.compute_types.to_vec(),
            terraform: s.terraform,
        }
    }

    /// True when the resource already holds the value (or an accepted one).
    fn satisfied_by(&self, v: Option<&Value>) -> bool {
        let Some(v) = v else {
            // `null` among the accepted values: absent is fine (the service default complies).
            return self.accept.iter().any(serde_json::Value::is_null);
        };
        std::iter::once(&self.value)
            .chain(&self.accept)
            .any(|want| same_value(v, want))
    }

    /// True when the setting is for this resource (its compute type).
    fn applies_to(&self, resource: &Resource) -> bool {
        self.compute_types.is_empty()
            || resource
                .get("properties.computeType")
                .and_then(Value::as_str)
                .is_some_and(|t| self.compute_types.iter().any(|c| c.eq_ignore_ascii_case(t)))
    }
}

/// Compares a model value with a JSON value the way Azure does (strings
/// case-insensitively; `"true"` is `true`).
pub(crate) fn same_value(v: &Value, want: &serde_json::Value) -> bool {
    match (v, want) {
        (Value::String(a), serde_json::Value::String(b)) => a.eq_ignore_ascii_case(b),
        (Value::Bool(a), serde_json::Value::Bool(b)) => a == b,
        (Value::String(a), serde_json::Value::Bool(b)) => a.eq_ignore_ascii_case(&b.to_string()),
        (Value::Int(a), serde_json::Value::Number(n)) => n.as_i64() == Some(*a),
        _ => false,
    }
}

/// What a failing result needs: a snippet, `--unsafe`, a person, or the
/// settings to write (status [`Status::Fixed`] until the edit is tried).
fn triage(
    cx: &mut Context,
    f: &Failure,
    resource: &Resource,
    options: &Options,
) -> (ResultFix, Vec<OwnedSetting>) {
    let mut out = ResultFix {
        rule: f.rule,
        resource: f.resource,
        status: Status::Manual,
        messages: vec![],
        edits: vec![],
        snippet: None,
    };
    if let Autofix::Snippet(kind) = f.rule.autofix {
        out.status = Status::Snippet;
        out.snippet = Some(snippet::render(kind, resource, cx.sources));
        out.messages.push(format!(
            "add this {} (printed, not written):",
            kind.as_str().replace('-', " ")
        ));
        return (out, vec![]);
    }
    let Some((safety, settings)) = settings_of(f.rule, resource)
        .or_else(|| allowed_fix(cx.model, &options.allowed, f.rule, resource, &mut out))
    else {
        if out.messages.is_empty() {
            out.messages
                .push(format!("no automatic fix: {}", f.rule.fix));
        }
        return (out, vec![]);
    };
    if safety == Safety::Unsafe && !options.allow_unsafe {
        out.status = Status::NeedsUnsafe;
        out.messages.push(
            "an unsafe fix (it can break a working deployment): run `fix --unsafe` to apply it"
                .to_string(),
        );
        return (out, vec![]);
    }
    let mut needed: Vec<OwnedSetting> = settings
        .into_iter()
        .filter(|s| s.applies_to(resource) && !s.satisfied_by(resource.get(&s.path)))
        .collect();
    if !options.allowed.is_empty() {
        for s in &mut needed {
            let want = allowed::Want {
                path: &s.path,
                preferred: std::iter::once(s.value.clone())
                    .chain(s.accept.iter().filter(|a| !a.is_null()).cloned())
                    .collect(),
                must_pass: None,
            };
            match allowed::choose(&options.allowed, cx.model, resource, &want) {
                Ok((value, notes)) => {
                    s.value = value;
                    out.messages.extend(notes);
                }
                Err(why) => {
                    out.messages.push(why);
                    return (out, vec![]);
                }
            }
        }
    }
    if needed.is_empty() {
        out.messages.push(
            "nothing `fix` can change: the settings it writes already hold the fixed values"
                .to_string(),
        );
        return (out, vec![]);
    }
    out.status = Status::Fixed;
    (out, needed)
}

/// The edits a fix makes, what to tell the user, and what is left to a person.
#[derive(Debug, Default)]
pub(crate) struct Done {
    pub edits: Vec<TextEdit>,
    pub messages: Vec<String>,
    /// Why part of the fix could not be written.
    pub manual: Vec<String>,
}

impl Done {
    pub fn manual(why: String) -> Done {
        Done {
            manual: vec![why],
            ..Done::default()
        }
    }
}

/// A setting still to write, below some object: the path left and the value.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    pub segs: Vec<String>,
    pub value: serde_json::Value,
    /// The full ARM path, for messages.
    pub path: String,
}

impl Pending {
    pub fn of(settings: &[&OwnedSetting]) -> Vec<Pending> {
        settings
            .iter()
            .map(|s| Pending {
                segs: s.path.split('.').map(str::to_string).collect(),
                value: s.value.clone(),
                path: s.path.clone(),
            })
            .collect()
    }

    /// Groups by first segment (case-insensitive), in first-seen order.
    pub fn group(list: Vec<Pending>) -> Vec<(String, Vec<Pending>)> {
        let mut groups: Vec<(String, Vec<Pending>)> = Vec::new();
        for mut p in list {
            if p.segs.is_empty() {
                continue;
            }
            let head = p.segs.remove(0);
            match groups
                .iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case(&head))
            {
                Some((_, g)) => g.push(p),
                None => groups.push((head, vec![p])),
            }
        }
        groups
    }
}

/// Resources using a value: their declarations' spans and their names.
pub(crate) type Users = Rc<Vec<(Span, String)>>;

/// State shared across results: the sources, and each file's parsed tree.
/// Syntax trees a plan keeps per kind. Fixes visit resources in model
/// order, so files come one after the other: a few recent trees serve them,
/// and the memory of a plan stays bounded whatever the number of files.
const RECENT_TREES: usize = 64;

/// The cached value of `file`, made (and cached) when absent; the cache is
/// emptied first when it holds [`RECENT_TREES`] values.
fn recent<T: Clone>(cache: &mut BTreeMap<FileId, T>, file: FileId, make: impl FnOnce() -> T) -> T {
    if let Some(v) = cache.get(&file) {
        return v.clone();
    }
    if cache.len() >= RECENT_TREES {
        cache.clear();
    }
    let v = make();
    cache.insert(file, v.clone());
    v
}

/// What every task of a plan reads and none changes: the parameter file of
/// each template, and the module callers when a failure may need them.
struct Shared {
    /// The parameter file of each template, Bicep file or Terraform root.
    parameter_files: BTreeMap<FileId, FileId>,
    /// Files by folder and module callers; indexed before the tasks start
    /// when a Bicep or Terraform failure is planned (only their fixes follow
    /// a value to a module's caller). Built inside a task, its parallel
    /// indexing could take up another task of the plan on the same thread,
    /// which would wait for the index being built.
    callers: Option<std::sync::Arc<callers::Callers>>,
}

impl Shared {
    fn new(files: &[ScannedFile], sources: &SourceMap, wanted: &[(&Failure, &Resource)]) -> Shared {
        let may_follow_callers = wanted
            .iter()
            .any(|(_, r)| matches!(r.format, "bicep" | "terraform"));
        Shared {
            parameter_files: files
                .iter()
                .filter_map(|f| Some((f.file, f.parameters?)))
                .collect(),
            callers: may_follow_callers
                .then(|| std::sync::Arc::new(callers::Callers::new(sources))),
        }
    }
}

pub(crate) struct Context<'a> {
    pub model: &'a Model,
    pub sources: &'a SourceMap,
    /// The parameter file of each template, Bicep file or Terraform root.
    pub parameter_files: &'a BTreeMap<FileId, FileId>,
    json_trees: BTreeMap<FileId, Option<Rc<aml_model::json::Node>>>,
    bicep_trees: BTreeMap<FileId, Rc<aml_bicep::ast::File>>,
    hcl_bodies: BTreeMap<FileId, Option<Rc<hcl_edit::structure::Body>>>,
    yaml_streams: BTreeMap<FileId, Option<Rc<aml_yaml::tree::Stream>>>,
    /// Resources (names) whose text contains a reference, by (file, reference).
    shared: std::collections::HashMap<(FileId, String), Users>,
    counts: std::collections::HashMap<(FileId, String), usize>,
    /// Each file's line ending and indentation unit, found once.
    styles: std::cell::RefCell<BTreeMap<FileId, (&'static str, Rc<str>)>>,
    /// Files by folder and module callers (see [`Shared::callers`]).
    callers: Option<std::sync::Arc<callers::Callers>>,
}

impl<'a> Context<'a> {
    fn new(model: &'a Model, sources: &'a SourceMap, shared: &'a Shared) -> Context<'a> {
        Context {
            model,
            sources,
            parameter_files: &shared.parameter_files,
            json_trees: BTreeMap::new(),
            bicep_trees: BTreeMap::new(),
            hcl_bodies: BTreeMap::new(),
            yaml_streams: BTreeMap::new(),
            shared: std::collections::HashMap::new(),
            counts: std::collections::HashMap::new(),
            styles: Default::default(),
            callers: shared.callers.clone(),
        }
    }

    /// Files by folder and the local module calls of every file, indexed once
    /// (for a plan of only ARM and YAML failures, here, on first use).
    pub(crate) fn callers(&mut self) -> std::sync::Arc<callers::Callers> {
        let sources = self.sources;
        self.callers
            .get_or_insert_with(|| std::sync::Arc::new(callers::Callers::new(sources)))
            .clone()
    }

    /// The file's text (read again from disk when it is not kept; see
    /// [`aml_model::source::SourceFile::text`]).
    pub fn text(&self, file: FileId) -> std::sync::Arc<str> {
        self.sources.get(file).text()
    }

    pub fn display(&self, file: FileId) -> &'a str {
        &self.sources.get(file).display
    }

    /// `file:line` of a byte offset.
    pub fn at(&self, file: FileId, offset: usize) -> String {
        let f = self.sources.get(file);
        let (line, _) = f.line_col(offset as u32);
        format!("{}:{line}", f.display)
    }

    /// The positioned JSON tree of a file, parsed once while it is recent.
    pub fn json(&mut self, file: FileId) -> Option<Rc<aml_model::json::Node>> {
        let owned = self.text(file);
        let text: &str = &owned;
        recent(&mut self.json_trees, file, || {
            aml_model::json::parse(parsing(text)).ok().map(Rc::new)
        })
    }

    /// The Bicep syntax tree of a file, parsed once while it is recent.
    pub fn bicep(&mut self, file: FileId) -> Rc<aml_bicep::ast::File> {
        let owned = self.text(file);
        let text: &str = &owned;
        recent(&mut self.bicep_trees, file, || {
            Rc::new(aml_bicep::parser::parse(parsing(text)).0)
        })
    }

    /// The HCL body of a file, parsed once while it is recent (`hcl-edit`
    /// keeps the spans).
    pub fn hcl(&mut self, file: FileId) -> Option<Rc<hcl_edit::structure::Body>> {
        let owned = self.text(file);
        let text: &str = &owned;
        recent(&mut self.hcl_bodies, file, || {
            hcl_edit::parser::parse_body_spanned_decor(parsing(text))
                .ok()
                .map(Rc::new)
        })
    }

    /// The YAML documents of a file with their key spans, parsed once while recent.
    pub fn yaml(&mut self, file: FileId) -> Option<Rc<aml_yaml::tree::Stream>> {
        let owned = self.text(file);
        let text: &str = &owned;
        recent(&mut self.yaml_streams, file, || {
            aml_yaml::tree::parse_stream(file, parsing(text))
                .ok()
                .map(Rc::new)
        })
    }

    /// The file's line ending and indentation unit (see [`newline_of`] and [`indent_unit`]).
    pub fn style(&self, file: FileId) -> (&'static str, Rc<str>) {
        self.styles
            .borrow_mut()
            .entry(file)
            .or_insert_with(|| {
                let owned = self.text(file);
                let text: &str = &owned;
                (newline_of(text), Rc::from(indent_unit(text)))
            })
            .clone()
    }

    /// `count(text, name)` for a file, computed once per name.
    pub fn count(&mut self, file: FileId, name: &str, count: fn(&str, &str) -> usize) -> usize {
        let owned = self.text(file);
        let text: &str = &owned;
        *self
            .counts
            .entry((file, name.to_string()))
            .or_insert_with(|| count(text, name))
    }

    /// The deployed resources of `deployment` declared in `file` whose text
    /// contains `needle` (case-insensitive): their spans and names, found once.
    pub fn using(
        &mut self,
        deployment: u32,
        file: FileId,
        needle: &str,
    ) -> Rc<Vec<(Span, String)>> {
        let key = (
            file,
            format!("{deployment}\u{0}{}", needle.to_ascii_lowercase()),
        );
        if let Some(v) = self.shared.get(&key) {
            return v.clone();
        }
        let owned = self.text(file);
        let text: &str = &owned;
        let needle = needle.to_ascii_lowercase();
        let found: Vec<(Span, String)> = self
            .model
            .in_deployment(deployment)
            .filter(|r| !r.existing && r.span.file == file)
            .filter(|r| {
                text.get(r.span.start as usize..r.span.end as usize)
                    .is_some_and(|t| t.to_ascii_lowercase().contains(&needle))
            })
            .map(|r| (r.span, r.name.clone()))
            .collect();
        let found = Rc::new(found);
        self.shared.insert(key, found.clone());
        found
    }
}

/// Merges every result's edits per file (identical edits once; an edit
/// that overlaps an earlier different one is dropped and its result told).
/// With `per_file`, also returns the kept edits of each file, sorted; else
/// an empty map.
fn merge(
    sources: &SourceMap,
    results: &mut [ResultFix],
    per_file: bool,
) -> BTreeMap<FileId, Vec<TextEdit>> {
    let at = |file: FileId, offset: usize| {
        let f = sources.get(file);
        format!("{}:{}", f.display, f.line_col(offset as u32).0)
    };
    // Every edit with its result, in file order; identical edits are
    // kept once, an edit overlapping the last one kept is dropped.
    let mut all: Vec<(TextEdit, usize)> = Vec::new();
    for (i, r) in results.iter_mut().enumerate() {
        all.extend(std::mem::take(&mut r.edits).into_iter().map(|e| (e, i)));
    }
    all.sort();
    let mut kept: BTreeMap<FileId, Vec<TextEdit>> = BTreeMap::new();
    let mut last: Option<TextEdit> = None;
    for (e, i) in all {
        match last.as_ref().filter(|l| l.file == e.file) {
            Some(l) if *l == e => results[i].edits.push(e),
            Some(l) if l.overlaps(&e) || e.start < l.end => {
                results[i].messages.push(format!(
                    "an edit at {} overlaps another fix's; run `fix` again to apply it",
                    at(e.file, e.start)
                ));
            }
            _ => {
                if per_file {
                    kept.entry(e.file).or_default().push(e.clone());
                }
                last = Some(e.clone());
                results[i].edits.push(e);
            }
        }
    }
    kept
}

/// `; also used by a, b, c and N more, which change too`, naming the
/// resources in `using` other than `resource`; empty when there are none.
pub(crate) fn also_used_by(using: &[(Span, String)], resource: &Resource) -> String {
    let others: Vec<&str> = using
        .iter()
        .filter(|(s, _)| *s != resource.span)
        .map(|(_, n)| n.as_str())
        .collect();
    match others.len() {
        0 => String::new(),
        n => {
            let named: Vec<String> = others.iter().take(5).map(|o| format!("`{o}`")).collect();
            let more = if n > 5 {
                format!(" and {} more", n - 5)
            } else {
                String::new()
            };
            format!(
                "; also used by {}{more}, which change too",
                named.join(", ")
            )
        }
    }
}

/// The unified diff of `edits` alone, per file they touch, with every secret
/// of `model` masked. Only the lines around the edits are compared, so a
/// result's diff costs what it changes, not the size of its file.
pub fn diff_of(model: &Model, sources: &SourceMap, edits: &[TextEdit]) -> String {
    let mut files: Vec<FileId> = edits.iter().map(|e| e.file).collect();
    files.sort();
    files.dedup();
    let mut out = String::new();
    for file in files {
        let src = sources.get(file);
        let text = src.text();
        let mut mine: Vec<&TextEdit> = edits.iter().filter(|e| e.file == file).collect();
        mine.sort();
        // Windows of three lines around each edit, merged where they meet.
        let mut windows: Vec<(usize, usize, Vec<&TextEdit>)> = Vec::new();
        for e in mine {
            let (ws, we) = (
                lines_before(&text, e.start, 3),
                lines_after(&text, e.end, 3),
            );
            match windows.last_mut() {
                Some(w) if ws <= w.1 => {
                    w.1 = w.1.max(we);
                    w.2.push(e);
                }
                _ => windows.push((ws, we, vec![e])),
            }
        }
        for (i, (ws, we, list)) in windows.into_iter().enumerate() {
            let shifted: Vec<TextEdit> = list
                .iter()
                .map(|e| TextEdit::replace(file, e.start - ws, e.end - ws, e.text.clone()))
                .collect();
            let window = &text[ws..we];
            let offset = src.line_col(ws as u32).0 as usize - 1;
            if window.len() > 64 * MAX_DIFF_LINE || window.lines().any(|l| l.len() > MAX_DIFF_LINE)
            {
                // A minified line: its diff would repeat the whole line.
                if i == 0 {
                    out.push_str(&format!("--- a/{0}\n+++ b/{0}\n", src.display));
                }
                out.push_str(&format!(
                    "@@ line {}: longer than {MAX_DIFF_LINE} characters, not shown; the replacements say what changes @@\n",
                    offset + 1
                ));
                continue;
            }
            let (before, after) = edit::masked_change(model, file, window, ws, &shifted);
            let diff = edit::unified_diff(&src.display, &before, &after);
            for line in diff.lines() {
                if i > 0 && (line.starts_with("--- ") || line.starts_with("+++ ")) {
                    continue;
                }
                match line.strip_prefix("@@ ") {
                    Some(rest) => out.push_str(&shift_hunk(rest, offset)),
                    None => out.push_str(line),
                }
                out.push('\n');
            }
        }
    }
    out
}

/// Lines longer than this are not shown in a result's diff.
const MAX_DIFF_LINE: usize = 1_000;

/// The start of the line `n` lines above the one holding `at` (bounded on minified lines).
fn lines_before(text: &str, at: usize, n: usize) -> usize {
    let Some(mut start) = line_start(text, at) else {
        return at;
    };
    for _ in 0..n {
        if start == 0 {
            break;
        }
        match line_start(text, start - 1) {
            Some(s) => start = s,
            None => break,
        }
    }
    start
}

/// The end (after its line break) of the line `n` lines below the one holding `at`.
fn lines_after(text: &str, at: usize, n: usize) -> usize {
    let mut end = at;
    for _ in 0..=n {
        let e = line_end(text, end);
        if e >= text.len() {
            return text.len();
        }
        end = text[e..].find('\n').map_or(text.len(), |i| e + i + 1);
    }
    end
}

/// A hunk header (`-a,b +c,d @@`) with both line numbers moved down by `offset`.
fn shift_hunk(rest: &str, offset: usize) -> String {
    let shift = |part: &str, sign: char| -> String {
        let body = part.trim_start_matches(sign);
        let (line, count) = body
            .split_once(',')
            .map_or((body, None), |(l, c)| (l, Some(c)));
        let line = line
            .parse::<usize>()
            .map_or(line.to_string(), |l| (l + offset).to_string());
        match count {
            Some(c) => format!("{sign}{line},{c}"),
            None => format!("{sign}{line}"),
        }
    };
    let mut parts = rest.splitn(3, ' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), Some(tail)) => format!("@@ {} {} {tail}", shift(a, '-'), shift(b, '+')),
        _ => format!("@@ {rest}"),
    }
}

/// How a language writes object members: keys, scalar values, and what
/// separates members written one per line (`,` in JSON, nothing in Bicep).
pub(crate) struct Syntax {
    pub key: fn(&str) -> String,
    pub value: fn(&serde_json::Value) -> String,
    pub line_separator: &'static str,
}

/// Members (`key: value`, nested objects for longer paths) as text: one per
/// line indented by `indent` (nested ones one `unit` deeper), or all on one
/// line when `nl` is a space.
pub(crate) fn render_members(
    syntax: &Syntax,
    missing: &[(String, Vec<Pending>)],
    indent: &str,
    unit: &str,
    nl: &str,
) -> Vec<String> {
    missing
        .iter()
        .map(|(key, group)| {
            let k = (syntax.key)(key);
            match group.iter().find(|p| p.segs.is_empty()) {
                Some(p) => format!("{k}: {}", (syntax.value)(&p.value)),
                None => {
                    let inner = format!("{indent}{unit}");
                    let body =
                        render_members(syntax, &Pending::group(group.clone()), &inner, unit, nl);
                    if nl == " " {
                        format!("{k}: {{ {} }}", body.join(", "))
                    } else {
                        let sep = format!("{}{nl}{inner}", syntax.line_separator);
                        format!("{k}: {{{nl}{inner}{}{nl}{indent}}}", body.join(&sep))
                    }
                }
            }
        })
        .collect()
}

/// The line ending a text uses: `\r\n` when its first line break is one.
pub(crate) fn newline_of(text: &str) -> &'static str {
    // The first 64 KiB decide (a minified file has no line break to find).
    match text
        .as_bytes()
        .iter()
        .take(65_536)
        .position(|b| *b == b'\n')
    {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// The indentation unit of a text: a tab when an indented line starts with
/// one, else the smallest positive number of leading spaces (2 when none).
pub(crate) fn indent_unit(text: &str) -> String {
    let mut smallest: Option<usize> = None;
    // The first 200 lines decide: the cost does not grow with the file.
    // The lines of `str::lines` (a `\r` before a `\n` is not in the line),
    // cut at each `\n` found by `memchr` (`lines`' searcher cost more than
    // the look at the line itself).
    let mut rest = text.as_bytes();
    for _ in 0..200 {
        if rest.is_empty() {
            break;
        }
        let line = match memchr::memchr(b'\n', rest) {
            Some(end) => {
                let line = &rest[..end];
                rest = &rest[end + 1..];
                line.strip_suffix(b"\r").unwrap_or(line)
            }
            None => std::mem::take(&mut rest),
        };
        if line.first() == Some(&b'\t') {
            return "\t".to_string();
        }
        let n = line.iter().take_while(|&&b| b == b' ').count();
        if n > 0 && n < line.len() {
            smallest = Some(smallest.map_or(n, |s| s.min(n)));
        }
    }
    " ".repeat(smallest.unwrap_or(2))
}

/// How far the line helpers look for a line break: a minified file's one
/// line is not scanned end to end for every edit.
pub(crate) const LINE_SCAN: usize = 65_536;

/// Where the line holding `offset` starts, or `None` when no line break is
/// found within [`LINE_SCAN`] bytes before it (a minified line).
pub(crate) fn line_start(text: &str, offset: usize) -> Option<usize> {
    let mut lo = offset.saturating_sub(LINE_SCAN);
    while !text.is_char_boundary(lo) {
        lo -= 1;
    }
    match text[lo..offset].rfind('\n') {
        Some(i) => Some(lo + i + 1),
        None if lo == 0 => Some(0),
        None => None,
    }
}

/// The leading whitespace of the line holding `offset` (empty on a minified line).
pub(crate) fn indent_at(text: &str, offset: usize) -> &str {
    let Some(start) = line_start(text, offset) else {
        return "";
    };
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// Where the line holding `offset` ends (before `\r\n` or `\n`), or the
/// text's end (also when no line break is found within [`LINE_SCAN`] bytes).
pub(crate) fn line_end(text: &str, offset: usize) -> usize {
    let mut hi = (offset + LINE_SCAN).min(text.len());
    while !text.is_char_boundary(hi) {
        hi -= 1;
    }
    match text[offset..hi].find('\n') {
        Some(i) => {
            let nl = offset + i;
            if nl > 0 && text.as_bytes()[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            }
        }
        None => text.len(),
    }
}

#[cfg(test)]
mod tests {
    /// The unit `str::lines` gives (the reading before `memchr` cut the
    /// lines), on every text of up to six characters from a space, a tab,
    /// `x`, `\r` and `\n`, and on texts past the 200 lines read.
    #[test]
    fn the_indent_unit_is_the_one_lines_give() {
        fn by_lines(text: &str) -> String {
            let mut smallest: Option<usize> = None;
            for line in text.lines().take(200) {
                if line.starts_with('\t') {
                    return "\t".to_string();
                }
                let n = line.len() - line.trim_start_matches(' ').len();
                if n > 0 && n < line.len() {
                    smallest = Some(smallest.map_or(n, |s| s.min(n)));
                }
            }
            " ".repeat(smallest.unwrap_or(2))
        }
        let alphabet = [' ', '\t', 'x', '\r', '\n'];
        let mut texts = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..6 {
            last = last
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(last.iter().cloned());
        }
        texts.push(format!("{}   x\n\tx\n", "x\n".repeat(199)));
        texts.push(format!("{}   x\n\tx\n", "x\n".repeat(198)));
        texts.push(format!("{} x\r\n", "    x\r\n".repeat(300)));
        for t in &texts {
            assert_eq!(super::indent_unit(t), by_lines(t), "{t:?}");
        }
    }
}
