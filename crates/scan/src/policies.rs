//! The user's own policy for `scan`: `--policies DIR` (definitions and
//! initiatives), `--assignments FILE` (assignments and exemptions),
//! `--aliases FILE` (an alias export extending the shipped catalogue), read
//! into an [`AssignmentSet`] with positioned diagnostics.

use aml_model::diagnostics::{Diagnostic, Location};
use aml_policy::{
    parse_assignments, Assignment, AssignmentFile, AssignmentSet, DeploymentScope, PolicyLibrary,
    PolicyLoadError,
};
use std::path::{Path, PathBuf};

/// The options of `scan` that bring the user's policy.
#[derive(Clone, Debug, Default)]
pub struct PolicyOptions {
    pub policies: Option<PathBuf>,
    pub assignments: Vec<PathBuf>,
    pub aliases: Option<PathBuf>,
    pub deployment_scope: Option<DeploymentScope>,
}

impl PolicyOptions {
    /// Whether any of the options is given.
    pub fn any(&self) -> bool {
        self.policies.is_some() || !self.assignments.is_empty() || self.aliases.is_some()
    }
}

/// The deployment context of `--deployment-scope`: `context` with the
/// subscription, resource group or management group of `scope` (unchanged
/// when `None`). The target scope stays: each template's `$schema` decides it.
pub fn deployment_context(
    mut cx: aml_model::context::DeploymentContext,
    scope: Option<&DeploymentScope>,
) -> aml_model::context::DeploymentContext {
    match scope {
        None => {}
        Some(DeploymentScope::ResourceGroup { subscription, name }) => {
            cx.subscription_id = subscription.clone();
            cx.resource_group = name.clone();
        }
        Some(DeploymentScope::Subscription(s)) => {
            cx.subscription_id = s.clone();
        }
        Some(DeploymentScope::ManagementGroup(m)) => {
            cx.management_group = Some(m.clone());
        }
    }
    cx
}

/// The files under `dir` whose names end with `suffix` (sorted, bounded);
/// folders that cannot be read as diagnostics.
pub fn files_under(dir: &Path, suffix: &str, diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let (files, problems) = aml_policytest::files_under(dir, suffix);
    for (d, why) in problems {
        diags.push(Diagnostic::error(
            "io",
            format!("cannot read folder {}: {why}", d.display()),
            Location::Path(d.display().to_string()),
        ));
    }
    files
}

/// Reads a file as text (bounded in size), or a diagnostic.
pub fn read_text(path: &Path, code: &'static str) -> Result<String, Diagnostic> {
    let too_big = std::fs::metadata(path)
        .map(|m| m.len() > crate::scan::MAX_FILE_BYTES)
        .unwrap_or(false);
    if too_big {
        return Err(Diagnostic::error(
            "file-too-large",
            format!(
                "the file is over {} bytes and was not read",
                crate::scan::MAX_FILE_BYTES
            ),
            Location::Path(path.display().to_string()),
        ));
    }
    std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::error(
            code,
            format!("cannot read {}: {e}", path.display()),
            Location::Path(path.display().to_string()),
        )
    })
}

/// A load error as a diagnostic.
pub fn load_error(code: &'static str, e: PolicyLoadError) -> Diagnostic {
    Diagnostic::error(
        code,
        e.message,
        Location::Position {
            path: e.path,
            line: e.line,
            column: e.col,
        },
    )
}

/// Loads the definitions (and the alias export) of `--policies DIR`.
pub fn load_library(
    dir: Option<&Path>,
    aliases: Option<&Path>,
    diags: &mut Vec<Diagnostic>,
) -> PolicyLibrary {
    let mut files = Vec::new();
    if let Some(dir) = dir {
        if dir.is_file() {
            files.push(dir.to_path_buf());
        } else {
            files = files_under(dir, ".json", diags);
        }
    }
    let texts: Vec<(String, String)> = files
        .iter()
        .filter_map(|p| match read_text(p, "policy-definition") {
            Ok(t) => Some((p.display().to_string(), t)),
            Err(d) => {
                diags.push(d);
                None
            }
        })
        .collect();
    let alias_text = aliases.map(|p| (p.display().to_string(), read_text(p, "policy-aliases")));
    let alias_arg = match &alias_text {
        Some((p, Ok(t))) => Some((p.as_str(), t.as_str())),
        Some((_, Err(d))) => {
            diags.push(d.clone());
            None
        }
        None => None,
    };
    let (library, errors) = PolicyLibrary::load(texts, alias_arg);
    for e in errors {
        let code = if alias_arg.is_some_and(|(p, _)| p == e.path) {
            "policy-aliases"
        } else {
            "policy-definition"
        };
        diags.push(load_error(code, e));
    }
    library
}

/// Reads the user's policy: the library, the assignments (every user
/// definition and initiative assigned at the deployment scope with its
/// defaults when no `--assignments` is given) and their resolution.
pub fn load(options: &PolicyOptions) -> (Option<AssignmentSet>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    if !options.any() {
        return (None, diags);
    }
    let library = load_library(
        options.policies.as_deref(),
        options.aliases.as_deref(),
        &mut diags,
    );
    let mut file = AssignmentFile::default();
    let mut origin: Vec<String> = Vec::new();
    for path in &options.assignments {
        let text = match read_text(path, "policy-assignment") {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        match parse_assignments(&path.display().to_string(), &text) {
            Ok(f) => {
                origin.extend(f.assignments.iter().map(|_| path.display().to_string()));
                file.assignments.extend(f.assignments);
                file.exemptions.extend(f.exemptions);
            }
            Err(e) => diags.push(load_error("policy-assignment", e)),
        }
    }
    if options.assignments.is_empty() {
        let scope = options
            .deployment_scope
            .as_ref()
            .map_or_else(|| "/".to_string(), DeploymentScope::id);
        let defs = library.engine.definitions()[..library.user_definitions]
            .iter()
            .map(|d| (d.name.clone(), "policyDefinitions", d.source_path.clone()));
        let sets = library.initiatives.iter().map(|i| {
            (
                i.name.clone(),
                "policySetDefinitions",
                i.source_path.clone(),
            )
        });
        for (name, kind, source) in defs.chain(sets) {
            file.assignments.push(Assignment {
                id: format!("{scope}/providers/Microsoft.Authorization/policyAssignments/{name}")
                    .replacen("//", "/", 1),
                display_name: name.clone(),
                definition_id: format!("/providers/Microsoft.Authorization/{kind}/{name}"),
                name,
                parameters: Default::default(),
                scope: scope.clone(),
                not_scopes: Vec::new(),
                enforced: true,
            });
            origin.push(source);
        }
    }
    let (set, problems) = AssignmentSet::resolve(library, file);
    for (i, message) in problems {
        let location = match origin.get(i).filter(|p| !p.is_empty()) {
            Some(p) => aml_policy::problem_location(p, &message),
            None => Location::None,
        };
        diags.push(Diagnostic::warning("policy-assignment", message, location));
    }
    trap_diagnostics(&set, &origin, &mut diags);
    resource_provider_members(&set, &origin, &mut diags);
    (Some(set), diags)
}

/// A `policy-parameter-trap` warning per binding whose parameters make a
/// known trap (the definition does something else than its name suggests),
/// at the file of its assignment; once per message.
fn trap_diagnostics(set: &AssignmentSet, origin: &[String], diags: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    for b in &set.bindings {
        for t in aml_policy::parameter_traps(set, b) {
            if !seen.insert(t.message.clone()) {
                continue;
            }
            let location = match origin.get(b.assignment).filter(|p| !p.is_empty()) {
                Some(p) => Location::Path(p.clone()),
                None => Location::None,
            };
            diags.push(Diagnostic::warning(
                "policy-parameter-trap",
                t.message,
                location,
            ));
        }
    }
}

/// Per assignment, an info diagnostic naming the assigned definitions whose
/// resource-provider mode governs operations that deployment files do not
/// contain (`Microsoft.MachineLearningServices.Data`: jobs and their
/// settings): they are not evaluated, and say so rather than vanish.
fn resource_provider_members(set: &AssignmentSet, origin: &[String], diags: &mut Vec<Diagnostic>) {
    let definitions = set.library.engine.definitions();
    let mut by_assignment: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
    for b in &set.bindings {
        let d = &definitions[b.definition];
        if let aml_policy::Evaluability::DataPlane { .. } = d.evaluable {
            let name = match &b.reference_id {
                Some(r) => format!("'{r}' ({}, {})", &d.name[..8.min(d.name.len())], d.mode),
                None => format!("{} ({})", d.name, d.mode),
            };
            by_assignment.entry(b.assignment).or_default().push(name);
        }
    }
    for (ai, names) in by_assignment {
        let a = &set.assignments[ai];
        let location = match origin.get(ai).filter(|p| !p.is_empty()) {
            Some(p) => Location::Path(p.clone()),
            None => Location::None,
        };
        diags.push(Diagnostic::info(
            "policy-assignment",
            format!(
                "assignment '{}': {} govern{} resource-provider (data-plane) operations that deployment files do not contain (jobs, their environments and registries); not evaluated: {}",
                a.name,
                if names.len() == 1 { "1 definition".to_string() } else { format!("{} definitions", names.len()) },
                if names.len() == 1 { "s" } else { "" },
                names.join(", ")
            ),
            location,
        ));
    }
}

/// The resources of a `policy test` case's `input:` file (a template, a
/// Bicep file, a Terraform folder): the deployed resources the scan reads.
pub fn case_resources(path: &Path) -> Result<Vec<aml_policytest::CaseResource>, String> {
    if !path.exists() {
        return Err("not found".into());
    }
    let output = crate::scan::scan(&crate::scan::ScanOptions {
        paths: vec![path.to_path_buf()],
        ..Default::default()
    });
    let errors: Vec<String> = output
        .diagnostics
        .iter()
        .filter(|d| d.level == aml_model::diagnostics::Level::Error)
        .map(|d| {
            let (p, l, c) = d.position(&output.sources);
            format!("{p}:{l}:{c}: {}", d.message)
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors.join("; "));
    }
    Ok(output
        .model
        .resources
        .iter()
        .filter(|r| !r.existing && !r.is_type("Microsoft.Resources/deployments"))
        .map(|r| aml_policytest::CaseResource {
            resource: aml_rules::evaluate::owned(r),
            scope: r.scope_id.clone().or_else(|| r.parent_id.clone()),
        })
        .collect())
}
