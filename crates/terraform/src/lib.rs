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
use aml_model::input::{DeploymentOutput, FrontendInput, FrontendOutput, ScannedFile};
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

/// Runs the Terraform front end over the files read by the scan.
pub fn run(input: &FrontendInput<'_>) -> FrontendOutput {
    let sources = input.sources;
    let mut out = FrontendOutput::default();

    // Plan files.
    for f in input.files {
        let file = sources.get(f.id);
        let is_json = file
            .path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if is_json && plan::looks_like_plan(&file.text) {
            let d = plan::read(f.id, &file.text);
            out.files.push(ScannedFile {
                file: f.id,
                format: "terraform-plan",
                resources: d.resources.len(),
                parameters: None,
            });
            out.deployments.push(d);
        }
    }

    // `.terraform/modules/modules.json` manifests (the scan reads them with
    // the cached module folders they name).
    let mut manifests = Vec::new();
    for f in input.files {
        let file = sources.get(f.id);
        if !modules::is_manifest(&file.path) {
            continue;
        }
        match modules::parse_manifest(&file.path, &file.text) {
            Ok(m) => manifests.push(m),
            Err((offset, message)) => out.diagnostics.push(Diagnostic::warning(
                "terraform-modules-manifest",
                format!("the module manifest could not be read ({message}); registry and git modules are not followed"),
                Location::Span(Span::new(f.id, offset, offset + 1)),
            )),
        }
        out.files.push(ScannedFile {
            file: f.id,
            format: "terraform-modules",
            resources: 0,
            parameters: None,
        });
    }

    // Parse every .tf and .tfvars file once, in parallel (kept in file order).
    let parsed: Vec<(FileId, bool, Result<Body, Diagnostic>)> = input
        .files
        .par_iter()
        .filter(|f| wants(&sources.get(f.id).path))
        .map(|f| {
            let file = sources.get(f.id);
            (f.id, is_tf(&file.path), hcl::parse(f.id, &file.text))
        })
        .collect();
    let mut bodies: Vec<(FileId, Body)> = Vec::new();
    let mut tfvars: Vec<(FileId, Body)> = Vec::new();
    for (id, tf, result) in parsed {
        match result {
            Ok(body) if tf => bodies.push((id, body)),
            Ok(body) => tfvars.push((id, body)),
            Err(d) => {
                out.diagnostics.push(d);
                out.files.push(ScannedFile {
                    file: id,
                    format: if tf { "terraform" } else { "terraform-vars" },
                    resources: 0,
                    parameters: None,
                });
            }
        }
    }
    if bodies.is_empty() {
        for (id, _) in &tfvars {
            out.files.push(ScannedFile {
                file: *id,
                format: "terraform-vars",
                resources: 0,
                parameters: None,
            });
        }
        return out;
    }

    // Group by folder: one module per folder.
    let mut by_dir: BTreeMap<PathBuf, Vec<(FileId, &Body)>> = BTreeMap::new();
    for (id, body) in &bodies {
        let dir = sources
            .get(*id)
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        by_dir.entry(dir).or_default().push((*id, body));
    }
    let mut module_list: Vec<Module<'_>> = by_dir
        .iter()
        .map(|(dir, files)| Module::new(dir.clone(), files))
        .collect();
    let dirs: Vec<PathBuf> = module_list.iter().map(|m| m.dir.clone()).collect();
    let called = modules::resolve_calls(
        &mut module_list,
        &dirs,
        input.root_dir,
        &manifests,
        &mut out.diagnostics,
    );
    let module_list = module_list;

    // Root modules: their variable values in order (diagnostics stay in
    // order), then their evaluations in parallel, kept in order.
    let mut roots = Vec::new();
    for (mi, m) in module_list.iter().enumerate() {
        if called.contains(&mi) {
            continue;
        }
        let entry = *m
            .files
            .iter()
            .min_by_key(|f| &sources.get(**f).path)
            .unwrap_or(&m.files[0]);
        let values = root_values(input, m, &tfvars, &mut out.diagnostics);
        roots.push((mi, entry, values));
    }
    let evaluated: Vec<DeploymentOutput> = roots
        .par_iter()
        .map(|(mi, entry, values)| evaluate_root(input, &module_list, *mi, *entry, values))
        .collect();
    let mut file_resources: HashMap<FileId, usize> = HashMap::new();
    for d in evaluated {
        for r in &d.resources {
            *file_resources.entry(r.span.file).or_default() += 1;
        }
        out.deployments.push(d);
    }
    for (id, _) in &bodies {
        out.files.push(ScannedFile {
            file: *id,
            format: "terraform",
            resources: file_resources.get(id).copied().unwrap_or(0),
            parameters: None,
        });
    }
    for (id, _) in &tfvars {
        out.files.push(ScannedFile {
            file: *id,
            format: "terraform-vars",
            resources: 0,
            parameters: None,
        });
    }
    out
}

/// Root variable values from `.tfvars` files and the command line.
fn root_values(
    input: &FrontendInput<'_>,
    m: &Module<'_>,
    tfvars: &[(FileId, Body)],
    diags: &mut Vec<Diagnostic>,
) -> HashMap<String, (Value, Option<Span>)> {
    let sources = input.sources;
    let mut values: HashMap<String, (Value, Option<Span>)> = HashMap::new();
    let in_dir: Vec<&(FileId, Body)> = tfvars
        .iter()
        .filter(|(id, _)| sources.get(*id).path.parent() == Some(m.dir.as_path()))
        .collect();
    let mut ordered: Vec<&(FileId, Body)> = Vec::new();
    ordered.extend(in_dir.iter().filter(|(id, _)| {
        sources.get(*id).path.file_name().and_then(|n| n.to_str()) == Some("terraform.tfvars")
    }));
    let mut autos: Vec<&&(FileId, Body)> = in_dir
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
    for vf in &input.options.terraform_var_files {
        let p = aml_model::source::normalize_path(vf);
        match tfvars.iter().find(|(id, _)| sources.get(*id).path == p) {
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
    let empty: Vec<Module<'_>> = Vec::new();
    let id_of = |_: &str, _: &eval::ResInstance| None;
    let ev = Evaluator::new(sources, &empty, &id_of);
    for (id, body) in ordered {
        for a in body.attributes() {
            let v = ev.eval_const(*id, &a.value);
            values.insert(a.key.as_str().to_string(), (v, Some(hcl::span_of(*id, a))));
        }
    }
    for (name, raw) in &input.options.terraform_vars {
        let declared_string = m
            .variables
            .iter()
            .find(|v| &v.name == name)
            .and_then(|v| v.block.body.get_attribute("type"))
            .map(|t| matches!(eval::Ty::parse(&t.value), eval::Ty::String))
            .unwrap_or(false);
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
    values
}

/// Evaluates one root module and the modules it calls into a deployment.
fn evaluate_root(
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
        };
        mapping::map(&inp)
            .and_then(|v| v.into_iter().next())
            .filter(|m| m.merge_into.is_none())
            .map(|m| m.id)
    };
    let ev = Evaluator::new(sources, module_list, &id_of);
    let inputs: HashMap<String, Value> = values
        .iter()
        .map(|(k, (v, _))| (k.clone(), v.clone()))
        .collect();
    let root_inst = ev.instantiate(root, String::new(), &inputs, None, true);
    let root_pv = ProviderVersion::from_constraint(module_list[root].azurerm_constraint.as_deref());

    let mut resources: Vec<Resource> = Vec::new();
    let mut merges: Vec<mapping::Mapped> = Vec::new();
    let mut diagnostics = Vec::new();
    let mut secrets = Vec::new();
    let mut stack = vec![root_inst];
    let mut visited = 0usize;
    while let Some(inst) = stack.pop() {
        visited += 1;
        if visited > 10_000 {
            break;
        }
        let module_index = ev.instances.borrow()[inst].module;
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
                };
                let Some(mapped) = mapping::map(&inp) else {
                    continue;
                };
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
                    let symbol = format!(
                        "{}{}",
                        ri_inst.address,
                        mp.symbol_suffix.clone().unwrap_or_default()
                    );
                    resources.push(Resource {
                        id: mp.id,
                        resource_type: mp.resource_type,
                        name: mp.name,
                        api_version: Some(mp.api_version).filter(|s| !s.is_empty()),
                        body: mp.body,
                        parent_id: mp.parent_id,
                        scope_id: mp.scope_id,
                        existing: false,
                        deployed: match &ri_inst.unknown_condition {
                            Some(e) => Deployed::Unknown { expr: e.clone() },
                            None => Deployed::Yes,
                        },
                        span: decl_span,
                        symbol: Some(symbol),
                        spans: mp.spans,
                        format: "terraform",
                        deployment: 0,
                    });
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
    diagnostics.extend(ev.diagnostics.into_inner());
    let secure_defaults = ev.secure_defaults.into_inner();
    secrets.extend(ev.secrets.into_inner());
    secrets.sort();
    secrets.dedup();
    let mut secret_spans = Vec::new();
    secrets::secret_spans(sources, module_list, root, values, &mut secret_spans);
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
