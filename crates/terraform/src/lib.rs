//! The Terraform front end: folders of `.tf` files (one module each) with
//! their `.tfvars`, and plan files (`terraform show -json`), into ARM-shaped
//! model resources named by their Terraform address.
//!
//! A root module (a folder not called as a module by another scanned folder)
//! is one deployment. Variables take, in increasing precedence: defaults,
//! `terraform.tfvars`, `*.auto.tfvars` (lexical order), `--var-file`, `--var`.

pub mod eval;
pub mod functions;
pub mod hcl;
pub mod mapping;
pub mod modules;
pub mod plan;
pub mod secrets;
pub mod values;

use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::input::{
    Candidate, Claim, DeploymentOutput, Frontend, FrontendInput, FrontendOutput, UnitSink,
};
use aml_model::model::{Deployed, Resource};
use aml_model::source::{FileId, Span};
use aml_model::value::Value;
use eval::{Evaluator, Module};
use hcl_edit::structure::Body;
pub use mapping::SUBSCRIPTION;
use mapping::{Input, ProviderVersion};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Extensions this front end reads.
pub fn wants(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    name.ends_with(".tf") || name.ends_with(".tfvars")
}

fn is_tf(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("tf"))
}

/// The files that come with a `.tf` named alone: the other `.tf` files of its
/// folder, `terraform.tfvars` and `*.auto.tfvars`.
pub fn companions(path: &Path) -> Vec<PathBuf> {
    if !is_tf(path) {
        return Vec::new();
    }
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p != path)
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            is_tf(p) || n == "terraform.tfvars" || n.ends_with(".auto.tfvars")
        })
        .map(|p| aml_model::source::normalize_path(&p))
        .collect();
    out.sort();
    out
}

/// The Terraform front end's own settings.
#[derive(Clone, Debug, Default)]
pub struct TerraformOptions {
    /// Variables given on the command line (`--var NAME=VALUE`), in order.
    pub vars: Vec<(String, String)>,
    /// Variable files given on the command line (`--var-file FILE`), in order.
    pub var_files: Vec<PathBuf>,
}

/// The Terraform front end.
#[derive(Clone, Debug, Default)]
pub struct Terraform {
    pub options: TerraformOptions,
}

impl Terraform {
    /// The front end with its settings.
    pub fn new(options: TerraformOptions) -> Self {
        Terraform { options }
    }
}

impl Frontend for Terraform {
    fn name(&self) -> &'static str {
        "terraform"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["tf", "tfvars", "json"]
    }

    /// `.tf` and `.tfvars` files, `.terraform/modules/modules.json`
    /// manifests and plans (`terraform show -json`).
    fn claim(&self, file: &Candidate<'_>) -> Claim {
        let plan = aml_model::input::has_extension(file.path, &["json"])
            && plan::looks_like_plan(file.text);
        if wants(file.path) || modules::is_manifest(file.path) || plan {
            Claim::Yes
        } else {
            Claim::No
        }
    }

    fn companions(&self, path: &Path) -> Vec<PathBuf> {
        companions(path)
    }

    /// The `.tf` files of the local module folders a file calls.
    fn local_references(&self, path: &Path, text: &str) -> Vec<PathBuf> {
        if !wants(path) {
            return Vec::new();
        }
        let mut files = Vec::new();
        for dir in modules::local_module_dirs(path, text) {
            // `examples/x/../../` normalises to the empty path: the current directory.
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            files.extend(modules::tf_files_in(&dir));
        }
        files
    }

    fn cached_files(&self, found: &[PathBuf]) -> Vec<PathBuf> {
        modules::cached_module_files(found)
    }

    fn option_files(&self) -> Vec<PathBuf> {
        self.options.var_files.clone()
    }

    /// Plans, then module manifests, then every folder of `.tf` files as a
    /// module; each root module (called by no other) is one deployment.
    fn run(&self, input: &FrontendInput<'_>, units: &dyn UnitSink) -> FrontendOutput {
        let sources = input.sources;
        let mut out = FrontendOutput::default();
        read_plans(input, units, &mut out);
        let manifests = read_manifests(input, &mut out);
        let (outlines, tfvars) = parse_hcl(input, &manifests, &mut out);
        if outlines.is_empty() {
            for (id, _) in &tfvars {
                out.file(*id, "terraform-vars", 0);
            }
            return out;
        }
        let file_ids: Vec<FileId> = outlines.iter().map(|(id, _)| *id).collect();
        // Group by folder: one module per folder.
        let mut by_dir: BTreeMap<PathBuf, Vec<Outline>> = BTreeMap::new();
        for (id, outline) in outlines {
            let dir = sources
                .get(id)
                .path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            by_dir.entry(dir).or_default().push((id, outline));
        }
        let mut layouts: Vec<modules::Layout> = by_dir
            .into_iter()
            .map(|(dir, files)| modules::Layout::new(dir, files))
            .collect();
        let dirs: Vec<PathBuf> = layouts.iter().map(|m| m.dir.clone()).collect();
        let called = modules::resolve_calls(
            &mut layouts,
            &dirs,
            input.root_dir,
            &manifests,
            &mut out.diagnostics,
        );
        let layouts = layouts;

        // Root modules: their variable values in order, then their
        // evaluations in parallel, each parsing the modules it reaches and
        // freeing them when done. A root module none of whose files parses
        // is no deployment (nor are its variable files' diagnostics shown).
        let mut roots = Vec::new();
        let vars_index = VarsIndex::new(sources, &tfvars);
        for (mi, m) in layouts.iter().enumerate() {
            if called.contains(&mi) {
                continue;
            }
            let mut diagnostics = Vec::new();
            let values = root_values(input, &self.options, m, &vars_index, &mut diagnostics);
            roots.push((mi, values, diagnostics));
        }
        let done: Vec<(HashMap<FileId, usize>, Vec<Diagnostic>)> = roots
            .into_par_iter()
            .map(|(mi, values, diagnostics)| {
                let (d, unparsed) = evaluate_root(input, &self.options, &layouts, mi, values);
                let mut counts: HashMap<FileId, usize> = HashMap::new();
                if let Some(mut d) = d {
                    for r in &d.resources {
                        *counts.entry(r.span.file).or_default() += 1;
                    }
                    d.diagnostics.extend(diagnostics);
                    units.unit(d);
                }
                (counts, unparsed)
            })
            .collect();
        let mut counts = Vec::with_capacity(done.len());
        for (c, unparsed) in done {
            counts.push(c);
            out.diagnostics.extend(unparsed);
        }
        let mut file_resources: HashMap<FileId, usize> = HashMap::new();
        for (file, n) in counts.into_iter().flatten() {
            *file_resources.entry(file).or_default() += n;
        }
        for id in &file_ids {
            let n = file_resources.get(id).copied().unwrap_or(0);
            out.file(*id, "terraform", n);
        }
        for (id, _) in &tfvars {
            out.file(*id, "terraform-vars", 0);
        }
        out
    }
}

/// Plan files: one deployment each.
fn read_plans(input: &FrontendInput<'_>, units: &dyn UnitSink, out: &mut FrontendOutput) {
    for f in input.files {
        let file = input.sources.get(f.id);
        if aml_model::input::has_extension(&file.path, &["json"])
            && plan::looks_like_plan(&file.text())
        {
            let d = plan::read(f.id, &file.text());
            out.file(f.id, "terraform-plan", d.resources.len());
            units.unit(d);
        }
    }
}

/// `.terraform/modules/modules.json` manifests (the scan reads them with the
/// cached module folders they name).
fn read_manifests(input: &FrontendInput<'_>, out: &mut FrontendOutput) -> Vec<modules::Manifest> {
    let mut manifests = Vec::new();
    for f in input.files {
        let file = input.sources.get(f.id);
        if !modules::is_manifest(&file.path) {
            continue;
        }
        match modules::parse_manifest(&file.path, &file.text()) {
            Ok(m) => manifests.push(m),
            Err((offset, message)) => out.diagnostics.push(Diagnostic::warning(
                "terraform-modules-manifest",
                format!("the module manifest could not be read ({message}); registry and git modules are not followed"),
                Location::Span(Span::new(f.id, offset, offset + 1)),
            )),
        }
        out.file(f.id, "terraform-modules", 0);
    }
    manifests
}

/// The values a `.tfvars` file sets, in file order: name, value, span of
/// the attribute.
type VarsFile = (FileId, Vec<(String, Value, Span)>);

/// A `.tf` file's outline: `None` when the file was not parsed yet (it
/// declares no module call and lies in no folder a call may lead to).
type Outline = (FileId, Option<modules::FileOutline>);

/// Reads the `.tf` and `.tfvars` files, in parallel (kept in file order),
/// and keeps no tree: the `.tfvars` files' constant values, and the outlines
/// (calls and variables) of the `.tf` files that need one before any root
/// module is evaluated: those that may declare a module call, and those in a
/// folder such a call or a manifest may lead to (whether such a folder is a
/// module depends on its files parsing). The others are parsed once, by
/// their root module's job (which also reads the declared types that decide
/// how a `--var` value reads). Files that do not parse are recorded with
/// their diagnostic.
fn parse_hcl(
    input: &FrontendInput<'_>,
    manifests: &[modules::Manifest],
    out: &mut FrontendOutput,
) -> (Vec<Outline>, Vec<VarsFile>) {
    enum Read {
        Tf(Option<modules::FileOutline>),
        Vars(Vec<(String, Value, Span)>),
    }
    let sources = input.sources;
    let read = |id: FileId, outline: bool| -> Result<Read, Diagnostic> {
        let file = sources.get(id);
        if !is_tf(&file.path) {
            return hcl::parse(id, &file.text())
                .map(|body| Read::Vars(tfvars_values(sources, id, &body)));
        }
        if !outline {
            return Ok(Read::Tf(None));
        }
        hcl::parse(id, &file.text()).map(|body| Read::Tf(Some(modules::FileOutline::of(id, &body))))
    };
    let mut parsed: Vec<(FileId, bool, Result<Read, Diagnostic>)> = input
        .files
        .par_iter()
        .filter(|f| wants(&sources.get(f.id).path))
        .map(|f| {
            let file = sources.get(f.id);
            // A look: the file's root module parses it later.
            let outline = modules::may_call_modules(&file.peek_text());
            (f.id, is_tf(&file.path), read(f.id, outline))
        })
        .collect();
    let dir_of = |id: FileId| {
        sources
            .get(id)
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    let dirs: Vec<PathBuf> = parsed.iter().map(|(id, _, _)| dir_of(*id)).collect();
    let targets = modules::possible_targets(
        parsed
            .iter()
            .zip(&dirs)
            .filter_map(|((_, _, r), dir)| match r {
                Ok(Read::Tf(Some(outline))) => Some((dir.as_path(), outline)),
                _ => None,
            }),
        manifests,
    );
    // Files of the folders a call may lead to: their outlines now.
    parsed
        .par_iter_mut()
        .zip(&dirs)
        .filter(|((_, _, r), dir)| matches!(r, Ok(Read::Tf(None))) && targets.contains(*dir))
        .for_each(|((id, _, r), _)| *r = read(*id, true));
    let mut outlines = Vec::new();
    let mut tfvars = Vec::new();
    for (id, tf, result) in parsed {
        match result {
            Ok(Read::Tf(outline)) => outlines.push((id, outline)),
            Ok(Read::Vars(values)) => tfvars.push((id, values)),
            Err(d) => {
                out.diagnostics.push(d);
                out.file(id, if tf { "terraform" } else { "terraform-vars" }, 0);
            }
        }
    }
    (outlines, tfvars)
}

/// The constant values a `.tfvars` file sets.
fn tfvars_values(
    sources: &aml_model::source::SourceMap,
    id: FileId,
    body: &Body,
) -> Vec<(String, Value, Span)> {
    let empty: Vec<Module<'_>> = Vec::new();
    let id_of = |_: &str, _: &eval::ResInstance| None;
    let ev = Evaluator::new(sources, &empty, &id_of);
    body.attributes()
        .map(|a| {
            (
                a.key.as_str().to_string(),
                ev.eval_const(id, &a.value),
                hcl::span_of(id, a),
            )
        })
        .collect()
}

/// The `.tfvars` files by folder and by path (in file order), so that each
/// root module finds its own without a walk over every file of the scan.
struct VarsIndex<'t> {
    by_dir: HashMap<&'t Path, Vec<&'t VarsFile>>,
    by_path: HashMap<&'t Path, &'t VarsFile>,
}

impl<'t> VarsIndex<'t> {
    fn new(sources: &'t aml_model::source::SourceMap, tfvars: &'t [VarsFile]) -> Self {
        let mut index = VarsIndex {
            by_dir: HashMap::new(),
            by_path: HashMap::new(),
        };
        for vf in tfvars {
            let path = sources.get(vf.0).path.as_path();
            if let Some(dir) = path.parent() {
                index.by_dir.entry(dir).or_default().push(vf);
            }
            index.by_path.entry(path).or_insert(vf);
        }
        index
    }
}

/// Root variable values from `.tfvars` files (`--var` values are added by
/// the root module's job, which reads the variables' declared types).
fn root_values(
    input: &FrontendInput<'_>,
    options: &TerraformOptions,
    m: &modules::Layout,
    tfvars: &VarsIndex<'_>,
    diags: &mut Vec<Diagnostic>,
) -> HashMap<String, (Value, Option<Span>)> {
    let sources = input.sources;
    let mut values: HashMap<String, (Value, Option<Span>)> = HashMap::new();
    let in_dir: &[&VarsFile] = tfvars
        .by_dir
        .get(m.dir.as_path())
        .map_or(&[], Vec::as_slice);
    modules::count_lookups(in_dir.len() + options.var_files.len());
    let mut ordered: Vec<&VarsFile> = Vec::new();
    ordered.extend(in_dir.iter().filter(|(id, _)| {
        sources.get(*id).path.file_name().and_then(|n| n.to_str()) == Some("terraform.tfvars")
    }));
    let mut autos: Vec<&&VarsFile> = in_dir
        .iter()
        .filter(|(id, _)| {
            sources
                .get(*id)
                .path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".auto.tfvars"))
        })
        .collect();
    autos.sort_by_key(|(id, _)| sources.get(*id).path.clone());
    ordered.extend(autos.into_iter().copied());
    for vf in &options.var_files {
        let p = aml_model::source::normalize_path(vf);
        match tfvars.by_path.get(p.as_path()) {
            Some(t) => ordered.push(t),
            None => {
                if sources.find(&p).is_none() {
                    diags.push(Diagnostic::error(
                        "terraform-var-file",
                        "the --var-file could not be read as HCL",
                        Location::Path(aml_model::source::display_path(vf)),
                    ));
                }
            }
        }
    }
    for (_, set) in ordered {
        for (name, v, span) in set {
            values.insert(name.clone(), (v.clone(), Some(*span)));
        }
    }
    values
}

/// Adds the variables given on the command line (`--var`) to a root
/// module's values: the text as it is for a variable declared `string` (the
/// first declaration of that name in the root module), else read as an HCL
/// expression when it is one with a known value, else as text.
fn add_cli_vars(
    sources: &aml_model::source::SourceMap,
    vars: &[(String, String)],
    root: &Module<'_>,
    values: &mut HashMap<String, (Value, Option<Span>)>,
) {
    if vars.is_empty() {
        return;
    }
    let empty: Vec<Module<'_>> = Vec::new();
    let id_of = |_: &str, _: &eval::ResInstance| None;
    let ev = Evaluator::new(sources, &empty, &id_of);
    for (name, raw) in vars {
        let declared_string = root
            .variables
            .iter()
            .find(|v| &v.name == name)
            .is_some_and(|v| v.declared_string());
        let v = if declared_string {
            Value::String(raw.clone())
        } else {
            match hcl_edit::parser::parse_expr(raw) {
                Ok(e) => match ev.eval(usize::MAX, FileId(0), &mut Vec::new(), &e) {
                    Ok(v) if !v.is_unknown() => v,
                    _ => Value::String(raw.clone()),
                },
                Err(_) => Value::String(raw.clone()),
            }
        };
        values.insert(name.clone(), (v, None));
    }
}

/// The model resource of one mapped resource instance.
fn mapped_resource(
    mp: mapping::Mapped,
    ri_inst: &eval::ResInstance,
    rtype: &str,
    decl_span: Span,
) -> Resource {
    let mut symbol = String::with_capacity(
        ri_inst.address.len() + mp.symbol_suffix.as_ref().map_or(0, String::len),
    );
    symbol.push_str(&ri_inst.address);
    symbol.push_str(mp.symbol_suffix.as_deref().unwrap_or_default());
    Resource {
        id: exact(mp.id),
        resource_type: exact(mp.resource_type),
        name: exact(mp.name),
        api_version: Some(mp.api_version).filter(|s| !s.is_empty()).map(exact),
        body: {
            let mut body = mp.body;
            shrink(&mut body, 0);
            body
        },
        parent_id: mp.parent_id.map(exact),
        scope_id: mp.scope_id.map(exact),
        existing: false,
        deployed: match &ri_inst.unknown_condition {
            Some(e) => Deployed::Unknown { expr: e.clone() },
            None => Deployed::Yes,
        },
        span: decl_span,
        symbol: Some(symbol),
        spans: mp.spans.into(),
        format: "terraform",
        deployment: 0,
        source_names: mapping::source_names(rtype),
    }
}

/// A name without the spare capacity it was built with (ids and names are
/// built by `format!` and pushes, and stay in memory until the report is
/// written).
fn exact(mut s: String) -> String {
    s.shrink_to_fit();
    s
}

/// Gives back the spare capacity of a resource body's objects, arrays and
/// strings (built by insertion, they hold up to twice what they use), as the
/// body stays in memory until the report is written.
fn shrink(v: &mut Value, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::String(s) => s.shrink_to_fit(),
        Value::Array(items) => {
            items.shrink_to_fit();
            for item in items {
                shrink(item, depth + 1);
            }
        }
        Value::Object(o) => {
            o.shrink_to_fit();
            for (_, item) in o.iter_mut() {
                shrink(item, depth + 1);
            }
        }
        _ => {}
    }
}

/// Merges the resources that only add to another (an NSG association into
/// its subnet) into it, by id.
fn apply_merges(resources: &mut [Resource], merges: Vec<mapping::Mapped>) {
    for mp in merges {
        let target = mp.merge_into.clone().unwrap_or_default();
        if let Some(r) = resources
            .iter_mut()
            .find(|r| r.id.eq_ignore_ascii_case(&target))
        {
            mapping::merge_into(&mut r.body, &mp.body);
            r.spans.extend(mp.spans);
        }
    }
}

/// Evaluates one root module and the modules it calls into a deployment:
/// parses their files again, evaluates them, and frees the trees and the
/// evaluation's state before returning what the model keeps.
///
/// Also returns the diagnostics of the files parsed here for the first time
/// that do not parse (they are left out); no deployment when none of the
/// root module's own files parses.
fn evaluate_root(
    input: &FrontendInput<'_>,
    options: &TerraformOptions,
    layouts: &[modules::Layout],
    root: usize,
    mut values: HashMap<String, (Value, Option<Span>)>,
) -> (Option<DeploymentOutput>, Vec<Diagnostic>) {
    let sources = input.sources;
    // The reached modules in module order, so the order of their secrets
    // and of everything else walked by module index stays the same.
    let reached = modules::reached_from(layouts, root);
    let mut unparsed = Vec::new();
    let trees: Vec<Vec<(FileId, Body)>> = reached
        .iter()
        .map(|&mi| {
            let layout = &layouts[mi];
            let mut trees = Vec::with_capacity(layout.files.len());
            for (&f, &outlined) in layout.files.iter().zip(&layout.outlined) {
                match hcl::parse(f, &sources.get(f).text()) {
                    Ok(b) => trees.push((f, b)),
                    Err(d) if !outlined => unparsed.push(d),
                    Err(_) => {}
                }
            }
            trees
        })
        .collect();
    let local_root = reached.binary_search(&root).unwrap_or(0);
    // The entry file: the root module's first file (by path) that parses.
    let Some(entry) = trees[local_root]
        .iter()
        .map(|(f, _)| *f)
        .min_by_key(|f| &sources.get(*f).path)
    else {
        return (None, unparsed);
    };
    let module_list: Vec<Module<'_>> = reached
        .iter()
        .zip(&trees)
        .map(|(&mi, files)| {
            let layout = &layouts[mi];
            let files: Vec<(FileId, &Body)> = files.iter().map(|(f, b)| (*f, b)).collect();
            let mut m = Module::new(layout.dir.clone(), &files);
            for (call, site) in m.calls.iter_mut().zip(&layout.calls) {
                call.target = match &site.target {
                    eval::CallTarget::Local(ti) => match reached.binary_search(ti) {
                        Ok(local) => eval::CallTarget::Local(local),
                        Err(_) => eval::CallTarget::NotFollowed(String::new()),
                    },
                    other => other.clone(),
                };
            }
            m
        })
        .collect();
    add_cli_vars(
        sources,
        &options.vars,
        &module_list[local_root],
        &mut values,
    );
    let d = evaluate_modules(input, &module_list, local_root, entry, &values);
    (Some(d), unparsed)
}

/// Evaluates a root module (`root`, an index into `module_list`, which holds
/// it and the modules it reaches) into a deployment.
fn evaluate_modules(
    input: &FrontendInput<'_>,
    module_list: &[Module<'_>],
    root: usize,
    entry: FileId,
    values: &HashMap<String, (Value, Option<Span>)>,
) -> DeploymentOutput {
    let sources = input.sources;
    let id_of = |rtype: &str, ri: &eval::ResInstance| -> Option<String> {
        let pv = ProviderVersion {
            major: ProviderVersion::CURRENT_MAJOR,
            source: String::new(),
        };
        let inp = Input {
            rtype,
            address: &ri.address,
            config: &ri.config,
            spans: &ri.spans,
            decl: Span::new(entry, 0, 0),
            provider: &pv,
            default_rg: &input.context.resource_group,
        };
        mapping::mapped_id(&inp)
    };
    let ev = Evaluator::new(sources, module_list, &id_of);
    let inputs: aml_model::FastMap<String, Value> = values
        .iter()
        .map(|(k, (v, _))| (k.clone(), v.clone()))
        .collect();
    let root_inst = ev.instantiate(root, String::new(), &inputs, None, true);
    let root_pv = ProviderVersion::from_constraint(module_list[root].azurerm_constraint.as_deref());

    let default_rg = input.context.resource_group.as_str();
    let mut resources: Vec<Resource> = Vec::new();
    let mut merges: Vec<mapping::Mapped> = Vec::new();
    let mut diagnostics = Vec::new();
    let mut secrets = Vec::new();
    let mut stack = vec![root_inst];
    let mut visited = 0usize;
    // The modules this root instantiates (itself and those it calls): only
    // their secrets belong to this deployment.
    let mut reached: std::collections::BTreeSet<usize> = std::collections::BTreeSet::new();
    while let Some(inst) = stack.pop() {
        visited += 1;
        if visited > 10_000 {
            break;
        }
        let module_index = ev.instances.borrow()[inst].module;
        reached.insert(module_index);
        let m = &module_list[module_index];
        let pv = match &m.azurerm_constraint {
            Some(c) => ProviderVersion::from_constraint(Some(c)),
            None => root_pv.clone(),
        };
        for (ri, decl) in m.resources.iter().enumerate() {
            if decl.data {
                continue;
            }
            let supported =
                mapping::spec(&decl.rtype).is_some() || decl.rtype.starts_with("azapi_");
            if !supported {
                continue;
            }
            let decl_span = hcl::block_span(decl.file, decl.block);
            for ri_inst in ev.resource_instances(inst, ri).iter() {
                let inp = Input {
                    rtype: &decl.rtype,
                    address: &ri_inst.address,
                    config: &ri_inst.config,
                    spans: &ri_inst.spans,
                    decl: decl_span,
                    provider: &pv,
                    default_rg,
                };
                let Some(mapped) = mapping::map(&inp) else {
                    continue;
                };
                if let Some(d) = scope_filled_rg(&inp, decl_span) {
                    diagnostics.push(d);
                }
                for mp in mapped {
                    for note in &mp.defaults_applied {
                        diagnostics.push(Diagnostic::info(
                            "terraform-provider-default",
                            format!("{}: {note}", ri_inst.address),
                            Location::Span(decl_span),
                        ));
                    }
                    // A credential written as a literal is in plain sight in the
                    // files (as in an ARM template): only values of sensitive
                    // variables count as secrets (for redaction and IM-8).
                    if mp.merge_into.is_some() {
                        merges.push(mp);
                        continue;
                    }
                    resources.push(mapped_resource(mp, ri_inst, &decl.rtype, decl_span));
                }
            }
        }
        let mut children = Vec::new();
        for ci in 0..m.calls.len() {
            for (_, child) in ev.children(inst, ci).iter() {
                children.push(*child);
            }
        }
        stack.extend(children.into_iter().rev());
    }
    apply_merges(&mut resources, merges);
    diagnostics.extend(ev.diagnostics.into_inner());
    let secure_defaults = ev.secure_defaults.into_inner();
    secrets.extend(ev.secrets.into_inner());
    secrets.sort();
    secrets.dedup();
    let (resources, duplicates) = aml_model::model::merge_known_duplicates(resources, sources);
    diagnostics.extend(duplicates);
    let mut secret_spans = Vec::new();
    secrets::secret_spans(
        sources,
        module_list,
        &reached,
        root,
        values,
        &mut secret_spans,
    );
    // Values given on the command line (`--var`) are written nowhere; the
    // others are in the spans above, literal or not: mask by value too.
    DeploymentOutput {
        entry,
        resources,
        secrets,
        secret_spans,
        secure_defaults,
        diagnostics,
        ..Default::default()
    }
}

/// The info diagnostic for a resource whose `resource_group_name` the files
/// do not fix when the deployment scope (`--deployment-scope`) names a
/// resource group: that resource group is assumed, as for ARM and Bicep.
fn scope_filled_rg(input: &Input<'_>, span: Span) -> Option<Diagnostic> {
    if input.default_rg == mapping::DEFAULT_RG {
        return None;
    }
    let rg = input.config.get("resource_group_name")?;
    let shown = match rg {
        Value::Unknown(u) => format!("`{}`", u.expr),
        Value::Null => "null".to_string(),
        Value::String(s) if s.is_empty() => "''".to_string(),
        _ => return None,
    };
    Some(Diagnostic::info(
        "terraform-deployment-scope",
        format!(
            "{}: `resource_group_name` is {shown}, which the files do not fix; the deployment scope's resource group '{}' is assumed",
            input.address, input.default_rg
        ),
        Location::Span(span),
    ))
}
