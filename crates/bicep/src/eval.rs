//! Evaluation of a parsed Bicep file into model resources.
//!
//! Symbols (parameters, variables, resources, modules) are evaluated lazily
//! and memoised, so declaration order does not matter and a cycle gives an
//! unknown and a diagnostic instead of a hang. Functions come from the shared
//! library ([`aml_arm::functions`]); Bicep-only ones (`any`, `loadTextContent`,
//! ...) are here. Resource and module references (`ws.id`,
//! `ws.properties.x`, `mod.outputs.y`) resolve from the declarations; what
//! only exists at deployment (a principal id, a key) is [`Value::Unknown`].

use super::ast::*;
use super::modules::{self, ModuleSource};
use aml_arm::expr::{DeploymentContext, ExprEnv, TargetScope};
use aml_arm::functions::{self, lambda};
use aml_model::context::Limits;
use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::model::{self, Deployed, Resource, SpanRecorder};
use aml_model::source::{FileId, SourceMap, Span};
use aml_model::value::{Object, Value};
use aml_model::FastMap as HashMap;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use crate::modules::Parsed;

/// What one entry point's evaluation produced (shared with ARM).
pub use aml_model::input::Evaluated;

/// State shared by every file of one deployment.
pub struct Session<'a> {
    pub sources: &'a SourceMap,
    pub parsed: &'a Parsed,
    pub root_dir: Option<PathBuf>,
    pub limits: Limits,
    out: RefCell<Evaluated>,
    count: Cell<usize>,
    limit_reported: Cell<bool>,
    module_stack: RefCell<Vec<PathBuf>>,
    work: Cell<u64>,
    /// Resource ids passed to registry modules that are not restored, with
    /// the module reference: what those modules attach to them is unknown.
    touched: RefCell<Vec<(String, String)>>,
}

/// Evaluation steps allowed per deployment (expressions, loop iterations).
const WORK_BUDGET: u64 = 20_000_000;

impl<'a> Session<'a> {
    pub fn new(
        sources: &'a SourceMap,
        parsed: &'a Parsed,
        root_dir: Option<&Path>,
        limits: Limits,
    ) -> Self {
        Session {
            sources,
            parsed,
            root_dir: root_dir.map(Path::to_path_buf),
            limits,
            out: RefCell::new(Evaluated::default()),
            count: Cell::new(0),
            limit_reported: Cell::new(false),
            module_stack: RefCell::new(Vec::new()),
            work: Cell::new(0),
            touched: RefCell::new(Vec::new()),
        }
    }

    fn diag(&self, d: Diagnostic) {
        let mut out = self.out.borrow_mut();
        if !out.diagnostics.contains(&d) && out.diagnostics.len() < 10_000 {
            out.diagnostics.push(d);
        }
    }

    /// Evaluates an entry file with parameter values; returns everything met.
    pub fn evaluate_entry(
        self,
        file: FileId,
        ast: &File,
        supplied: HashMap<String, (Value, Option<Span>)>,
        context: DeploymentContext,
    ) -> Evaluated {
        let path = self.sources.get(file).path.clone();
        self.module_stack
            .borrow_mut()
            .push(aml_model::source::normalize_path(&path));
        let scope = Scope::new(&self, file, ast, supplied, context, 0, Deployed::Yes);
        let resources = scope.run();
        let mut out = self.out.into_inner();
        // The same resource deployed twice (a module loop over a fixed name)
        // is one resource in Azure; declarations whose ids the files leave
        // open are never merged.
        let touched = self.touched.take();
        let mut resources = resources;
        for r in resources.iter_mut().filter(|r| !r.existing) {
            if let Some((_, module)) = touched
                .iter()
                .find(|(id, _)| id.eq_ignore_ascii_case(&r.id))
            {
                mark_attachments_unknown(r, module);
            }
        }
        let (resources, duplicates) = model::merge_known_duplicates(resources, self.sources);
        out.resources = resources;
        out.diagnostics.extend(duplicates);
        out
    }
}

/// A resolved symbol's evaluation state.
#[derive(Clone)]
enum Slot {
    InProgress,
    Done(Value),
}

/// What a declaration produced: a module's resource, or instance `k` of
/// the resource at a symbol path (moved out once everything is evaluated).
enum Emitted {
    Resource(Box<Resource>),
    Instance(String, usize),
}

/// One resource instance.
struct Instance {
    resource: Resource,
    /// The reference value (`ws` in expressions): made when first read
    /// ([`Instance::reference`]), or set at once for a resource that is not
    /// deployed.
    reference: std::sync::OnceLock<Value>,
    /// Whether the instance is deployed (false when a condition is false).
    emitted: bool,
}

impl Instance {
    /// The reference value: the resource's body with its `id`, made when an
    /// expression first reads it (most resources are never read whole, and
    /// the copy was a body's worth of every resource).
    fn reference(&self) -> &Value {
        self.reference.get_or_init(|| match &self.resource.body {
            Value::Object(body) => {
                let mut reference = body.clone();
                reference.insert("id".into(), Value::String(self.resource.id.clone()));
                Value::Object(reference)
            }
            other => other.clone(),
        })
    }

    /// What [`Scope::member`] finds under `name` in [`Instance::reference`]
    /// (the body with its `id` set), looked up in the body without making
    /// that copy of it: the exact key first, then the first key equal to it
    /// ignoring case, in the reference's order (the body's keys, a body
    /// `id` in its place, else `id` last). `None` when only the reference
    /// tells (it was made already, or the body is not an object).
    fn reference_member(&self, name: &str) -> Option<Option<Value>> {
        if self.reference.get().is_some() {
            return None;
        }
        let Value::Object(body) = &self.resource.body else {
            return None;
        };
        let id = || Value::String(self.resource.id.clone());
        if name == "id" {
            return Some(Some(id()));
        }
        if let Some(v) = body.get(name) {
            return Some(Some(v.clone()));
        }
        let found = body.iter().find(|(k, _)| k.eq_ignore_ascii_case(name));
        Some(match found {
            Some((k, _)) if k == "id" => Some(id()),
            Some((_, v)) => Some(v.clone()),
            None if "id".eq_ignore_ascii_case(name) => Some(id()),
            None => None,
        })
    }
}

/// A parent for nested resources.
#[derive(Clone)]
struct ParentRef {
    full_type: String,
    full_name: String,
    id: String,
    deployed: Deployed,
}

/// The evaluation scope of one file (an entry, or one module instance).
pub struct Scope<'s, 'a> {
    s: &'s Session<'a>,
    file: FileId,
    ast: &'s File,
    text: Arc<str>,
    supplied: HashMap<String, (Value, Option<Span>)>,
    context: DeploymentContext,
    depth: usize,
    base_deployed: Deployed,
    slots: RefCell<HashMap<String, Slot>>,
    /// Resource and module instances by declaration index, for output order.
    produced: RefCell<BTreeMap<usize, Vec<Emitted>>>,
    /// Resource instances memoised by symbol path (`a`, `a::b`).
    instances: RefCell<HashMap<String, Arc<Vec<Instance>>>>,
    locals: RefCell<Vec<(String, Value)>>,
    /// Nested resource declarations by symbol path, with their parent path.
    nested: HashMap<String, (&'s Decl, String)>,
}

fn span_of(file: FileId, sp: Sp) -> Span {
    Span::new(file, sp.start, sp.end)
}

impl<'s, 'a> Scope<'s, 'a> {
    fn new(
        s: &'s Session<'a>,
        file: FileId,
        ast: &'s File,
        supplied: HashMap<String, (Value, Option<Span>)>,
        context: DeploymentContext,
        depth: usize,
        base_deployed: Deployed,
    ) -> Self {
        let mut nested = HashMap::default();
        for d in &ast.decls {
            if let (DeclKind::Resource { name, body, .. }, true) = (&d.kind, true) {
                collect_nested(name, body, &mut nested, 0);
            }
        }
        let mut context = context;
        for d in &ast.decls {
            if let DeclKind::TargetScope(e) = &d.kind {
                if let ExprKind::Str(p) = &e.kind {
                    if let [Piece::Lit(s)] = p.as_slice() {
                        context.scope = match s.as_str() {
                            "subscription" => TargetScope::Subscription,
                            "managementGroup" => TargetScope::ManagementGroup,
                            "tenant" => TargetScope::Tenant,
                            _ => TargetScope::ResourceGroup,
                        };
                    }
                }
            }
        }
        Scope {
            s,
            file,
            ast,
            text: s.sources.get(file).text(),
            supplied,
            context,
            depth,
            base_deployed,
            slots: RefCell::new(HashMap::default()),
            produced: RefCell::new(BTreeMap::new()),
            instances: RefCell::new(HashMap::default()),
            locals: RefCell::new(Vec::new()),
            nested,
        }
    }

    fn span(&self, sp: Sp) -> Span {
        span_of(self.file, sp)
    }

    fn src(&self, sp: Sp) -> &str {
        self.text.get(sp.start..sp.end).unwrap_or("")
    }

    fn error(&self, code: &'static str, sp: Sp, message: impl Into<String>) {
        self.s.diag(Diagnostic::error(
            code,
            message,
            Location::Span(self.span(sp)),
        ));
    }

    fn warn(&self, code: &'static str, sp: Sp, message: impl Into<String>) {
        self.s.diag(Diagnostic::warning(
            code,
            message,
            Location::Span(self.span(sp)),
        ));
    }

    fn unknown(&self, sp: Sp, reason: impl Into<String>) -> Value {
        Value::unknown(abbreviate(self.src(sp)), reason)
    }

    /// Records, as secrets, where the variables and parameter defaults that
    /// `e` (a credential's value) is built from are written, following
    /// variables through variables (bounded).
    fn record_feeding(&self, e: &Expr, depth: usize) {
        if depth > 16 {
            return;
        }
        let mut names = Vec::new();
        idents(e, &mut names, 0);
        for name in names {
            let Some((_, d)) = self.decl(&name) else {
                continue;
            };
            let value = match &d.kind {
                DeclKind::Var { value, .. } => Some(value),
                DeclKind::Param { default, .. } => default.as_ref(),
                _ => None,
            };
            if let DeclKind::Param { name, .. } = &d.kind {
                let given = self
                    .supplied
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name));
                if let Some((_, (_, Some(span)))) = given {
                    self.s.out.borrow_mut().secret_spans.push(*span);
                }
            }
            if let Some(v) = value {
                self.s.out.borrow_mut().secret_spans.push(self.span(v.span));
                self.record_feeding(v, depth + 1);
            }
        }
    }

    fn decl(&self, name: &str) -> Option<(usize, &'s Decl)> {
        self.ast.decls.iter().enumerate().find(|(_, d)| {
            d.name() == Some(name)
                && !matches!(d.kind, DeclKind::Output { .. } | DeclKind::Type { .. })
        })
    }

    /// Evaluates every resource and module; returns the resources in declaration order.
    fn run(&self) -> Vec<Resource> {
        self.evaluate_declarations();
        self.take_resources()
    }

    /// Evaluates every resource and module, noting what each declaration
    /// produced (in declaration order) for [`Scope::take_resources`].
    fn evaluate_declarations(&self) {
        self.check_supplied();
        for (i, d) in self.ast.decls.iter().enumerate() {
            match &d.kind {
                DeclKind::Resource { name, .. } => {
                    let insts = self.resource_instances(name);
                    let mut list = Vec::new();
                    self.flatten_emitted(name, &insts, &mut list);
                    self.produced.borrow_mut().insert(i, list);
                }
                DeclKind::Module { name, .. } => {
                    self.symbol(name, d.name_span);
                }
                _ => {}
            }
        }
    }

    /// The resources produced, in declaration order. An instance is moved
    /// out of the scope's instances (no longer needed: every declaration and
    /// output is evaluated) at its last mention, copied at any earlier one.
    fn take_resources(&self) -> Vec<Resource> {
        let produced = self.produced.take();
        let mut instances = self.instances.take();
        let mut mentions: HashMap<(String, usize), usize> = HashMap::default();
        for e in produced.values().flatten() {
            if let Emitted::Instance(path, k) = e {
                *mentions.entry((path.clone(), *k)).or_default() += 1;
            }
        }
        let mut pools: HashMap<String, Vec<Option<Resource>>> = HashMap::default();
        let mut out = Vec::new();
        for e in produced.into_values().flatten() {
            let (path, k) = match e {
                Emitted::Resource(r) => {
                    out.push(*r);
                    continue;
                }
                Emitted::Instance(path, k) => (path, k),
            };
            let pool = pools.entry(path.clone()).or_insert_with(|| {
                match instances.remove(&path).map(Arc::try_unwrap) {
                    Some(Ok(owned)) => owned.into_iter().map(|i| Some(i.resource)).collect(),
                    Some(Err(shared)) => shared.iter().map(|i| Some(i.resource.clone())).collect(),
                    None => Vec::new(),
                }
            });
            let left = mentions.get_mut(&(path, k)).map(|n| {
                *n -= 1;
                *n
            });
            let resource = match (pool.get_mut(k), left) {
                (Some(slot), Some(0)) => slot.take(),
                (Some(slot), _) => slot.clone(),
                (None, _) => None,
            };
            out.extend(resource);
        }
        out
    }

    /// The instances of a resource and of the resources nested in it.
    fn flatten_emitted(&self, path: &str, insts: &Arc<Vec<Instance>>, out: &mut Vec<Emitted>) {
        for (k, _) in insts.iter().enumerate().filter(|(_, i)| i.emitted) {
            out.push(Emitted::Instance(path.to_string(), k));
        }
        let prefix = [path, "::"].concat();
        let mut children: Vec<(&String, &(&Decl, String))> = self
            .nested
            .iter()
            .filter(|(k, (_, parent))| k.starts_with(&prefix) && parent == path)
            .collect();
        children.sort_by_key(|(_, (d, _))| d.span.start);
        for (child, _) in children {
            let ci = self.resource_instances(child);
            self.flatten_emitted(child, &ci, out);
        }
    }

    fn check_supplied(&self) {
        for (name, (_, span)) in &self.supplied {
            let declared = self.ast.decls.iter().any(|d| matches!(&d.kind, DeclKind::Param { name: n, .. } if n.eq_ignore_ascii_case(name)));
            if !declared && self.depth == 0 {
                self.s.diag(Diagnostic::warning(
                    "parameter-unknown",
                    format!("a value is given for '{name}', which the template does not declare"),
                    span.map(Location::Span).unwrap_or(Location::None),
                ));
            }
        }
    }

    fn tick(&self) -> bool {
        let w = self.s.work.get() + 1;
        self.s.work.set(w);
        w <= WORK_BUDGET
    }

    // ---- symbols ----------------------------------------------------------------

    /// The value of an identifier: a local (loop variable, lambda parameter),
    /// a parameter, variable, resource or module.
    fn symbol(&self, name: &str, sp: Sp) -> Value {
        if let Some((_, v)) = self.locals.borrow().iter().rev().find(|(n, _)| n == name) {
            return v.clone();
        }
        if let Some(slot) = self.slots.borrow().get(name).cloned() {
            return match slot {
                Slot::Done(v) => v,
                Slot::InProgress => {
                    self.warn("bicep-cycle", sp, format!("'{name}' depends on itself"));
                    self.unknown(sp, format!("'{name}' depends on itself"))
                }
            };
        }
        let Some((index, decl)) = self.decl(name) else {
            if self.nested.contains_key(name) {
                return self.resource_reference(name);
            }
            if let Some(v) = self.imported(name) {
                return v;
            }
            self.warn("bicep-expression", sp, format!("'{name}' is not declared"));
            return self.unknown(sp, format!("'{name}' is not declared"));
        };
        self.slots
            .borrow_mut()
            .insert(name.to_string(), Slot::InProgress);
        let value = match &decl.kind {
            DeclKind::Param { name, ty, default } => {
                self.param_value(decl, name, ty, default.as_ref())
            }
            DeclKind::Var { value, .. } | DeclKind::ParamAssign { value, .. } => self.eval(value),
            DeclKind::Resource { .. } => {
                self.slots.borrow_mut().remove(name);
                return self.resource_reference(name);
            }
            DeclKind::Module { .. } => self.module_value(index, decl),
            _ => self.unknown(sp, format!("'{name}' is not a value")),
        };
        self.slots
            .borrow_mut()
            .insert(name.to_string(), Slot::Done(value.clone()));
        value
    }

    /// A name imported with `import { x } from 'file.bicep'` (an exported
    /// variable of a local file, evaluated there) or `import * as ns from
    /// 'file.bicep'` (an object of its exported variables); unknown when the
    /// file is not read (a registry artifact, outside the boundary, missing).
    fn imported(&self, name: &str) -> Option<Value> {
        let (original, from) = self.import_alias(name)?;
        let result = self.in_imported(&from, |sub| {
            if original == "*" {
                let mut o = Object::default();
                for d in &sub.ast.decls {
                    if let DeclKind::Var { name: n, .. } = &d.kind {
                        if d.has_decorator("export") {
                            o.insert(n.clone(), sub.symbol(n, d.name_span));
                        }
                    }
                }
                return Value::Object(o);
            }
            match sub.decl(&original) {
                Some((_, d)) if matches!(d.kind, DeclKind::Var { .. }) => {
                    sub.symbol(&original, d.name_span)
                }
                _ => Value::unknown(
                    name,
                    format!("'{original}' is not a variable exported by '{from}'"),
                ),
            }
        });
        Some(result.unwrap_or_else(|why| {
            Value::unknown(
                name,
                format!("'{name}' is imported from '{from}', which is not read ({why})"),
            )
        }))
    }

    /// `(imported name or "*", source)` of the `import` that binds `alias`.
    fn import_alias(&self, alias: &str) -> Option<(String, String)> {
        self.ast.decls.iter().find_map(|d| match &d.kind {
            DeclKind::Import { names, from } => names
                .iter()
                .find(|(_, a)| a == alias)
                .map(|(original, _)| (original.clone(), from.clone())),
            _ => None,
        })
    }

    /// Runs `f` in a scope of the local Bicep file an `import` names (its own
    /// symbols, no parameters), or says why that file is not read.
    fn in_imported<T>(&self, from: &str, f: impl FnOnce(&Scope<'_, 'a>) -> T) -> Result<T, String> {
        if self.depth + 1 > self.s.limits.max_depth {
            return Err(format!(
                "imports are nested deeper than {}",
                self.s.limits.max_depth
            ));
        }
        let (id, ast) = match modules::resolve(
            self.s.sources,
            self.s.parsed,
            self.s.root_dir.as_deref(),
            self.file,
            from,
        ) {
            ModuleSource::Local(_, id, ast) => (id, ast),
            ModuleSource::Compiled(_) => {
                return Err("the exports of registry artifacts are not read".into())
            }
            ModuleSource::Registry(m) | ModuleSource::Missing(m) => return Err(m),
        };
        let sub = Scope::new(
            self.s,
            id,
            &ast,
            HashMap::default(),
            self.context.clone(),
            self.depth + 1,
            self.base_deployed.clone(),
        );
        Ok(f(&sub))
    }

    /// A call of a function imported from a local file (`f(...)` bound by
    /// `import { f }`, or `ns.f(...)` by `import * as ns`): the arguments
    /// are evaluated here, the body in the file that declares it.
    fn call_imported(
        &self,
        text: &str,
        ns: Option<&str>,
        name: &str,
        args: &[Expr],
    ) -> Option<Value> {
        let (original, from) = match ns {
            Some(ns) => {
                let (star, from) = self.import_alias(ns)?;
                (star == "*").then(|| (name.to_string(), from))?
            }
            None if self.decl(name).is_none() => {
                let (original, from) = self.import_alias(name)?;
                (original != "*").then_some((original, from))?
            }
            None => return None,
        };
        let values: Vec<Value> = args.iter().map(|a| self.eval(a)).collect();
        let result = self.in_imported(&from, |sub| match sub.decl(&original) {
            Some((_, d)) => match &d.kind {
                DeclKind::Func { params, body, .. } => {
                    sub.locals
                        .replace(params.iter().cloned().zip(values).collect());
                    Some(sub.eval(body))
                }
                _ => None,
            },
            None => None,
        });
        Some(match result {
            Ok(Some(v)) => v,
            Ok(None) => Value::unknown(
                text,
                format!("'{original}' is not a function exported by '{from}'"),
            ),
            Err(why) => Value::unknown(
                text,
                format!("'{original}' is imported from '{from}', which is not read ({why})"),
            ),
        })
    }

    fn param_value(&self, decl: &Decl, name: &str, ty: &str, default: Option<&Expr>) -> Value {
        let found = self
            .supplied
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name));
        let supplied = found.map(|(_, v)| v.0.clone());
        let supplied_span = found.map(|(_, v)| v.1);
        let value = match supplied {
            Some(v) => v,
            None => match default {
                Some(e) => self.eval(e),
                None if ty.trim_end().ends_with('?') => Value::Null,
                None => {
                    if self.depth == 0 {
                        self.warn(
                            "parameter-missing",
                            decl.name_span,
                            ["parameter '", name, "' has no default value and no value was supplied; results that depend on it are unknown (give it in a .bicepparam or parameter file)"].concat(),
                        );
                    }
                    // The wording "secure parameter" tells the IM-8 rules the
                    // value is protected (as the ARM front end says it).
                    let kind = if decl.has_decorator("secure") {
                        "secure parameter"
                    } else {
                        "parameter"
                    };
                    // `@allowed([...])` (a single value's type), or a bool:
                    // the values it may take.
                    let allowed: Option<Vec<Value>> = match decl
                        .decorator("allowed")
                        .and_then(|a| a.args.first())
                        .map(|a| self.eval(a))
                    {
                        Some(Value::Array(list))
                            if !list.is_empty()
                                && !list.iter().any(Value::contains_unknown)
                                && !ty.trim_end().ends_with("[]") =>
                        {
                            Some(list)
                        }
                        _ if ty.trim() == "bool" => {
                            Some(vec![Value::Bool(true), Value::Bool(false)])
                        }
                        _ => None,
                    };
                    Value::unknown_shaped(
                        name,
                        format!("{kind} '{name}' has no default and no value"),
                        aml_model::value::Shape {
                            present: true,
                            allowed: allowed.map(Into::into),
                            ..Default::default()
                        },
                    )
                }
            },
        };
        if decl.has_decorator("secure") {
            collect_secrets(&value, &mut self.s.out.borrow_mut().secrets);
            let written = match supplied_span {
                Some(span) => span,
                None => default.map(|d| self.span(d.span)),
            };
            if let Some(span) = written {
                let mut out = self.s.out.borrow_mut();
                out.secret_spans.push(span);
                let text = &self.s.sources.get(span.file).text();
                if text
                    .get(span.start as usize..span.end as usize)
                    .is_some_and(aml_model::secrets::is_literal_text)
                {
                    collect_secrets(&value, &mut out.located_secrets);
                }
            }
            if let Some(d) = default.filter(|d| is_literal_secret(d, 0)) {
                let entry = (name.to_string(), self.span(d.span));
                let mut out = self.s.out.borrow_mut();
                if !out.secure_defaults.contains(&entry) {
                    out.secure_defaults.push(entry);
                }
            }
        }
        if let (Some(allowed), false) = (decl.decorator("allowed"), value.contains_unknown()) {
            if let Some(Value::Array(list)) = allowed.args.first().map(|a| self.eval(a)) {
                let ok = match &value {
                    Value::Array(items) => items.iter().all(|i| list.contains(i)),
                    v => list.contains(v) || (matches!(v, Value::Null) && ty.ends_with('?')),
                };
                if !ok {
                    self.error(
                        "parameter-not-allowed",
                        decl.name_span,
                        format!("the value of '{name}' is not one of its @allowed values"),
                    );
                }
            }
        }
        value
    }

    // ---- resources --------------------------------------------------------------

    /// The reference value of a resource symbol (an object, or an array for a loop).
    fn resource_reference(&self, path: &str) -> Value {
        let insts = self.resource_instances(path);
        let is_loop = self.resource_decl(path).is_some_and(|(d, _)| {
            matches!(&d.kind, DeclKind::Resource { body, .. } if matches!(body.kind, ExprKind::For(_)))
        });
        if is_loop {
            Value::Array(insts.iter().map(|i| i.reference().clone()).collect())
        } else {
            insts
                .first()
                .map(|i| i.reference().clone())
                .unwrap_or_else(|| Value::unknown(path, "the resource could not be evaluated"))
        }
    }

    fn resource_decl(&self, path: &str) -> Option<(&'s Decl, Option<String>)> {
        if let Some((d, parent)) = self.nested.get(path) {
            return Some((d, Some(parent.clone())));
        }
        self.decl(path)
            .filter(|(_, d)| matches!(d.kind, DeclKind::Resource { .. }))
            .map(|(_, d)| (d, None))
    }

    fn resource_instances(&self, path: &str) -> Arc<Vec<Instance>> {
        if let Some(i) = self.instances.borrow().get(path) {
            return i.clone();
        }
        let key = ["resource:", path].concat();
        if matches!(self.slots.borrow().get(&key), Some(Slot::InProgress)) {
            return Arc::new(Vec::new());
        }
        self.slots
            .borrow_mut()
            .insert(key.clone(), Slot::InProgress);
        let insts = match self.resource_decl(path) {
            Some((decl, parent_path)) => self.eval_resource(decl, path, parent_path.as_deref()),
            None => Vec::new(),
        };
        let insts = Arc::new(insts);
        self.slots.borrow_mut().remove(&key);
        self.instances
            .borrow_mut()
            .insert(path.to_string(), insts.clone());
        insts
    }

    fn eval_resource(
        &self,
        decl: &'s Decl,
        path: &str,
        parent_path: Option<&str>,
    ) -> Vec<Instance> {
        let DeclKind::Resource {
            type_version,
            existing,
            body,
            ..
        } = &decl.kind
        else {
            return Vec::new();
        };
        // A nested resource: one instance per parent instance.
        let parents: Vec<Option<ParentRef>> = match parent_path {
            Some(pp) => self
                .resource_instances(pp)
                .iter()
                .map(|i| {
                    Some(ParentRef {
                        full_type: i.resource.resource_type.clone(),
                        full_name: i.resource.name.clone(),
                        id: i.resource.id.clone(),
                        deployed: if i.emitted {
                            i.resource.deployed.clone()
                        } else {
                            Deployed::Unknown {
                                expr: "false".into(),
                            }
                        },
                    })
                })
                .collect(),
            None => vec![None],
        };
        let mut out = Vec::new();
        for parent in parents {
            self.for_each_body(
                body,
                &mut |s: &Self, obj: &Expr, deployed: Option<Deployed>| {
                    if let Some(i) = s.resource_instance(
                        decl,
                        path,
                        type_version,
                        *existing,
                        obj,
                        deployed,
                        parent.as_ref(),
                    ) {
                        out.push(i);
                    }
                },
            );
        }
        out
    }

    /// Calls `f` for each instance body of a resource or module declaration,
    /// with its deployment state (`None` when a condition is false).
    fn for_each_body(&self, body: &Expr, f: &mut dyn FnMut(&Self, &Expr, Option<Deployed>)) {
        match &body.kind {
            ExprKind::For(fe) => {
                let source = self.eval(&fe.source);
                let items = match source {
                    Value::Array(a) => a,
                    Value::Int(_) | Value::Object(_) => {
                        self.warn("bicep-expression", fe.source.span, "a loop needs an array");
                        return;
                    }
                    Value::Unknown(_) => {
                        self.s.diag(Diagnostic::info(
                            "bicep-loop-unknown",
                            format!("the loop over `{}` depends on values the files do not fix; its instances are not in the model", abbreviate(self.src(fe.source.span))),
                            Location::Span(self.span(fe.source.span)),
                        ));
                        return;
                    }
                    _ => Vec::new(),
                };
                let max = self.s.limits.max_copy.max(0) as usize;
                if items.len() > max {
                    self.error(
                        "copy-limit",
                        fe.source.span,
                        format!(
                            "the loop has {} items; only the first {max} were read",
                            items.len()
                        ),
                    );
                }
                for (i, item) in items.into_iter().take(max).enumerate() {
                    let pushed = self.push_loop(fe, item, i);
                    self.conditional_body(&fe.body, f);
                    self.pop_locals(pushed);
                }
            }
            _ => self.conditional_body(body, f),
        }
    }

    fn conditional_body(&self, body: &Expr, f: &mut dyn FnMut(&Self, &Expr, Option<Deployed>)) {
        match &body.kind {
            ExprKind::If(cond, obj) => match self.eval(cond) {
                Value::Bool(true) => f(self, obj, Some(Deployed::Yes)),
                Value::Bool(false) => f(self, obj, None),
                Value::Unknown(u) => f(
                    self,
                    obj,
                    Some(Deployed::Unknown {
                        expr: u.expr.clone(),
                    }),
                ),
                other => {
                    self.warn(
                        "bicep-expression",
                        cond.span,
                        format!("a condition must be a bool, found {}", other.type_name()),
                    );
                    f(
                        self,
                        obj,
                        Some(Deployed::Unknown {
                            expr: self.src(cond.span).to_string(),
                        }),
                    );
                }
            },
            _ => f(self, body, Some(Deployed::Yes)),
        }
    }

    fn push_loop(&self, fe: &ForExpr, item: Value, index: usize) -> usize {
        let mut locals = self.locals.borrow_mut();
        let mut n = 0;
        if let Some(name) = &fe.item {
            locals.push((name.clone(), item));
            n += 1;
        }
        if let Some(name) = &fe.index {
            locals.push((name.clone(), Value::Int(index as i64)));
            n += 1;
        }
        n
    }

    fn pop_locals(&self, n: usize) {
        let mut locals = self.locals.borrow_mut();
        let keep = locals.len().saturating_sub(n);
        locals.truncate(keep);
    }

    fn take_resource_slot(&self, sp: Sp) -> bool {
        let c = self.s.count.get();
        if c >= self.s.limits.max_resources {
            if !self.s.limit_reported.get() {
                self.s.limit_reported.set(true);
                self.s.diag(Diagnostic::error(
                    "resource-limit",
                    format!(
                        "the deployment has more than {} resources; the rest were not read",
                        self.s.limits.max_resources
                    ),
                    Location::Span(self.span(sp)),
                ));
            }
            return false;
        }
        self.s.count.set(c + 1);
        true
    }

    fn context_scope_id(&self) -> String {
        context_scope_id(&self.context)
    }

    #[allow(clippy::too_many_arguments)]
    fn resource_instance(
        &self,
        decl: &Decl,
        path: &str,
        type_version: &str,
        existing: bool,
        obj: &Expr,
        deployed: Option<Deployed>,
        parent: Option<&ParentRef>,
    ) -> Option<Instance> {
        let ExprKind::Object(props) = &obj.kind else {
            self.warn(
                "bicep-expression",
                obj.span,
                "a resource body must be an object",
            );
            return None;
        };
        let emitted = deployed.is_some();
        if !emitted {
            // Not deployed: nothing to read, and its values are not used.
            return Some(self.not_deployed(decl, path, type_version, existing));
        }
        let mut deployed = match (deployed, parent.map(|p| p.deployed.clone())) {
            (Some(Deployed::Unknown { expr }), _) => Deployed::Unknown { expr },
            (_, Some(Deployed::Unknown { expr })) => Deployed::Unknown { expr },
            _ => Deployed::Yes,
        };
        if let (Deployed::Yes, Deployed::Unknown { expr }) = (&deployed, &self.base_deployed) {
            deployed = Deployed::Unknown { expr: expr.clone() };
        }
        if emitted && !existing && !self.take_resource_slot(decl.span) {
            return None;
        }
        let (ty, api) = match type_version.split_once('@') {
            Some((t, v)) => (t.to_string(), Some(v.to_string())),
            None => (type_version.to_string(), None),
        };
        let find = |key: &str| {
            props.iter().find_map(|p| match p {
                Prop::Pair {
                    key: Key::Name(k),
                    value,
                    ..
                } if k == key => Some(value),
                _ => None,
            })
        };
        let name = self.resource_name(find("name"), obj)?;
        // The parent: lexical nesting, or `parent:`.
        let explicit_parent = find("parent").map(|e| self.eval(e));
        let parent_ref = parent_ref(explicit_parent.as_ref(), parent);
        let (full_type, full_name) = match &parent_ref {
            None => (ty.clone(), name.clone()),
            Some(p) => {
                let qualified = ty.split('/').next().is_some_and(|ns| ns.contains('.'));
                let full_type = if qualified {
                    ty.clone()
                } else {
                    [p.full_type.as_str(), "/", &ty].concat()
                };
                (full_type, [p.full_name.as_str(), "/", &name].concat())
            }
        };
        // Where it lives.
        let mut container = parent_ref
            .as_ref()
            .and_then(|p| container_of(&p.id))
            .unwrap_or_else(|| self.context_scope_id());
        let mut scope_id = None;
        if let Some(e) = find("scope") {
            match self.eval(e) {
                Value::Object(o) => {
                    let id = o
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    if is_container_id(&id) {
                        container = id;
                    } else if !id.is_empty() {
                        scope_id = Some(id);
                    }
                }
                Value::Unknown(u) => scope_id = Some(u.expr.clone()),
                _ => {}
            }
        }
        let id = if full_type.eq_ignore_ascii_case("Microsoft.Resources/resourceGroups") {
            format!(
                "/subscriptions/{}/resourceGroups/{}",
                self.context.subscription_id, full_name
            )
        } else {
            let base = scope_id.clone().unwrap_or(container);
            model::resource_id(&base, &full_type, &full_name)
        };
        let mut body = aml_model::value::object_with_capacity(props.len() + 3);
        body.insert("type".into(), Value::String(full_type.clone()));
        body.insert("name".into(), Value::String(full_name.clone()));
        if let Some(a) = &api {
            body.insert("apiVersion".into(), Value::String(a.clone()));
        }
        let sink = if existing {
            SpanRecorder::new()
        } else {
            self.resource_body(props, &mut body)
        };
        let parent_id = parent_ref.as_ref().map(|p| p.id.clone()).or_else(|| {
            if scope_id.is_none() {
                model::parent_id(&id)
            } else {
                None
            }
        });
        let resource = Resource {
            id,
            resource_type: full_type,
            name: full_name,
            api_version: api,
            body: Value::Object(body),
            parent_id,
            scope_id,
            existing,
            deployed,
            span: self.span(decl.span),
            symbol: Some(path.to_string()),
            spans: sink.into_span_map(),
            format: "bicep",
            deployment: 0,
            source_names: None,
        };
        Some(Instance {
            resource,
            reference: std::sync::OnceLock::new(),
            emitted,
        })
    }

    /// The stand-in of a resource that is not deployed (its condition is
    /// false): nothing to read, and its values are not used.
    fn not_deployed(
        &self,
        decl: &Decl,
        path: &str,
        type_version: &str,
        existing: bool,
    ) -> Instance {
        Instance {
            resource: Resource {
                id: String::new(),
                resource_type: type_version
                    .split('@')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                name: String::new(),
                api_version: None,
                body: Value::Null,
                parent_id: None,
                scope_id: None,
                existing,
                deployed: Deployed::Yes,
                span: self.span(decl.span),
                symbol: Some(path.to_string()),
                spans: Default::default(),
                format: "bicep",
                deployment: 0,
                source_names: None,
            },
            reference: std::sync::OnceLock::from(Value::unknown(
                path,
                "the resource is not deployed (its condition is false)",
            )),
            emitted: false,
        }
    }

    /// A resource's `name`: a string, or an unknown's pattern (its literal
    /// parts kept); `None` (with a warning) when it is missing or not a string.
    fn resource_name(&self, name: Option<&Expr>, obj: &Expr) -> Option<String> {
        let name = match name.map(|e| (self.eval(e), e.span)) {
            Some((Value::String(s), _)) => s,
            Some((Value::Unknown(u), _)) => {
                u.pattern_text().unwrap_or_else(|| format!("[{}]", u.expr))
            }
            Some((other, sp)) => {
                self.warn(
                    "bicep-expression",
                    sp,
                    format!(
                        "a resource name must be a string, found {}",
                        other.type_name()
                    ),
                );
                return None;
            }
            None => {
                self.warn("bicep-expression", obj.span, "a resource needs a `name`");
                return None;
            }
        };
        Some(name)
    }

    /// Evaluates the body's properties (but `name`, `parent`, `scope`,
    /// `dependsOn`) into `body`, recording where each was written.
    fn resource_body(&self, props: &[Prop], body: &mut Object) -> SpanRecorder {
        let mut sink = SpanRecorder::new();
        const META: &[&str] = &["name", "parent", "scope", "dependsOn"];
        for p in props {
            match p {
                Prop::Pair { key, value, span } => {
                    let k = match key {
                        Key::Name(k) => k.to_string(),
                        Key::Expr(e) => match self.eval(e) {
                            Value::String(s) => s,
                            _ => continue,
                        },
                    };
                    if META.contains(&k.as_str()) {
                        continue;
                    }
                    sink.push_key(&k);
                    sink.record(self.span(*span));
                    let v = self.eval_rec(value, &mut sink);
                    sink.pop();
                    body.insert(k, v);
                }
                Prop::Spread(e) => {
                    if let Value::Object(o) = self.eval(e) {
                        for (k, v) in o {
                            sink.push_key(&k);
                            sink.record(self.span(e.span));
                            sink.pop();
                            body.insert(k, v);
                        }
                    }
                }
                Prop::Resource(_) => {}
            }
        }
        sink
    }

    // ---- modules ----------------------------------------------------------------

    fn module_value(&self, index: usize, decl: &'s Decl) -> Value {
        let DeclKind::Module {
            path,
            path_span,
            body,
            ..
        } = &decl.kind
        else {
            return Value::Null;
        };
        let is_loop = matches!(body.kind, ExprKind::For(_));
        let source = modules::resolve(
            self.s.sources,
            self.s.parsed,
            self.s.root_dir.as_deref(),
            self.file,
            path,
        );
        let mut values = Vec::new();
        let mut resources = Vec::new();
        match &source {
            ModuleSource::Missing(message) => {
                self.warn("bicep-module", *path_span, message.clone());
            }
            ModuleSource::Registry(message) => {
                self.warn("bicep-registry-module", *path_span, message.clone());
            }
            _ => {}
        }
        self.for_each_body(
            body,
            &mut |s: &Self, obj: &Expr, deployed: Option<Deployed>| {
                let (v, r) = s.module_instance(decl, &source, obj, deployed);
                values.push(v);
                resources.extend(r);
            },
        );
        self.produced.borrow_mut().insert(
            index,
            resources
                .into_iter()
                .map(|r| Emitted::Resource(Box::new(r)))
                .collect(),
        );
        if is_loop {
            Value::Array(values)
        } else {
            values.into_iter().next().unwrap_or(Value::Null)
        }
    }

    fn module_instance(
        &self,
        decl: &Decl,
        source: &ModuleSource,
        obj: &Expr,
        deployed: Option<Deployed>,
    ) -> (Value, Vec<Resource>) {
        let ExprKind::Object(props) = &obj.kind else {
            return (Value::Null, Vec::new());
        };
        let find = |key: &str| {
            props.iter().find_map(|p| match p {
                Prop::Pair {
                    key: Key::Name(k),
                    value,
                    ..
                } if k == key => Some(value),
                _ => None,
            })
        };
        let name = find("name").map(|e| self.eval(e)).unwrap_or(Value::Null);
        let mut result = Object::default();
        result.insert("name".into(), name.clone());
        let Some(deployed) = deployed else {
            result.insert(
                "outputs".into(),
                Value::unknown(
                    self.src(decl.name_span),
                    "the module is not deployed (its condition is false)",
                ),
            );
            return (Value::Object(result), Vec::new());
        };
        let deployed = match (&deployed, &self.base_deployed) {
            (Deployed::Yes, Deployed::Unknown { expr }) => Deployed::Unknown { expr: expr.clone() },
            _ => deployed,
        };
        // The module's scope.
        let mut context = self.context.clone();
        if let Value::String(n) = &name {
            context.deployment_name = n.clone();
        }
        if let Some(e) = find("scope") {
            apply_scope(&mut context, &self.eval(e));
        } else if context.scope == TargetScope::ResourceGroup {
            // stays
        }
        // Parameter values.
        let supplied = self.module_arguments(find("params"));
        match source {
            ModuleSource::Local(child_path, file, ast) => {
                if self.depth + 1 > self.s.limits.max_depth {
                    self.error(
                        "depth-limit",
                        decl.span,
                        format!(
                            "modules are nested deeper than {}; this one was not read",
                            self.s.limits.max_depth
                        ),
                    );
                    result.insert(
                        "outputs".into(),
                        self.unknown(decl.name_span, "the module was not read"),
                    );
                    return (Value::Object(result), Vec::new());
                }
                if self.s.module_stack.borrow().contains(child_path) {
                    self.s.diag(Diagnostic::error(
                        "bicep-module-cycle",
                        format!(
                            "the module '{}' uses itself (directly or through other modules)",
                            aml_model::source::display_path(child_path)
                        ),
                        Location::Span(self.span(decl.span)),
                    ));
                    result.insert(
                        "outputs".into(),
                        self.unknown(decl.name_span, "the module uses itself"),
                    );
                    return (Value::Object(result), Vec::new());
                }
                self.s.module_stack.borrow_mut().push(child_path.clone());
                let child = Scope::new(
                    self.s,
                    *file,
                    ast,
                    supplied,
                    context,
                    self.depth + 1,
                    deployed,
                );
                child.evaluate_declarations();
                let outputs = child.outputs();
                let resources = child.take_resources();
                self.s.module_stack.borrow_mut().pop();
                result.insert("outputs".into(), Value::Object(outputs));
                (Value::Object(result), resources)
            }
            ModuleSource::Compiled(template) => {
                let resources = modules::evaluate_compiled(
                    &self.s.limits,
                    template,
                    &supplied,
                    context,
                    self.span(decl.span),
                    &deployed,
                );
                result.insert(
                    "outputs".into(),
                    self.unknown(
                        decl.name_span,
                        "outputs of a restored registry module are not read",
                    ),
                );
                (Value::Object(result), resources)
            }
            ModuleSource::Registry(_) => {
                let reference = match &decl.kind {
                    DeclKind::Module { path, .. } => path.clone(),
                    _ => String::new(),
                };
                let mut ids = Vec::new();
                for (v, _) in supplied.values() {
                    collect_resource_ids(v, &mut ids);
                }
                self.s
                    .touched
                    .borrow_mut()
                    .extend(ids.into_iter().map(|id| (id, reference.clone())));
                result.insert(
                    "outputs".into(),
                    self.unknown(decl.name_span, "the module is not available locally; what it deploys and returns is unknown"),
                );
                (Value::Object(result), Vec::new())
            }
            ModuleSource::Missing(_) => {
                result.insert(
                    "outputs".into(),
                    self.unknown(decl.name_span, "the module is not available locally; what it deploys and returns is unknown"),
                );
                (Value::Object(result), Vec::new())
            }
        }
    }

    /// The arguments a module call passes (`params:`), each with the span it
    /// was written at.
    fn module_arguments(&self, params: Option<&Expr>) -> HashMap<String, (Value, Option<Span>)> {
        let mut supplied = HashMap::default();
        if let Some(p) = params {
            match (&p.kind, self.eval(p)) {
                (ExprKind::Object(pprops), Value::Object(values)) => {
                    for (k, v) in values {
                        let span = pprops.iter().find_map(|pp| match pp {
                            Prop::Pair {
                                key: Key::Name(n),
                                span,
                                ..
                            } if *n == k => Some(self.span(*span)),
                            _ => None,
                        });
                        supplied.insert(k, (v, span));
                    }
                }
                (_, Value::Object(values)) => {
                    for (k, v) in values {
                        supplied.insert(k, (v, Some(self.span(p.span))));
                    }
                }
                _ => {}
            }
        }
        supplied
    }

    /// The module's outputs.
    fn outputs(&self) -> Object {
        let mut out = Object::default();
        for d in &self.ast.decls {
            if let DeclKind::Output { name, value, .. } = &d.kind {
                out.insert(name.clone(), self.eval(value));
            }
        }
        out
    }

    // ---- expressions ------------------------------------------------------------

    /// Evaluates an expression, recording where each nested property was set.
    fn eval_rec(&self, e: &Expr, sink: &mut SpanRecorder) -> Value {
        match &e.kind {
            ExprKind::Object(props) => {
                // Sized once: grown by doubling, objects kept 31 MiB unused
                // at 10,000 Bicep units.
                let mut o = aml_model::value::object_with_capacity(props.len());
                for p in props {
                    match p {
                        Prop::Pair { key, value, span } => {
                            let Some(k) = self.key(key) else { continue };
                            if aml_model::secrets::is_secret_key(&k) {
                                self.record_feeding(value, 0);
                            }
                            sink.push_key(&k);
                            sink.record(self.span(*span));
                            let v = self.eval_rec(value, sink);
                            sink.pop();
                            o.insert(k, v);
                        }
                        Prop::Spread(x) => match self.eval(x) {
                            Value::Object(m) => {
                                for (k, v) in m {
                                    sink.push_key(&k);
                                    sink.record(self.span(x.span));
                                    sink.pop();
                                    o.insert(k, v);
                                }
                            }
                            Value::Null => {}
                            Value::Unknown(u) => return Value::Unknown(u),
                            other => self.warn(
                                "bicep-expression",
                                x.span,
                                format!(
                                    "only an object can be spread here, found {}",
                                    other.type_name()
                                ),
                            ),
                        },
                        Prop::Resource(_) => {}
                    }
                }
                Value::Object(o)
            }
            ExprKind::Array(items) if items.iter().all(|i| !i.spread) => {
                let mut a = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    sink.push_index(i);
                    sink.record(self.span(item.value.span));
                    a.push(self.eval_rec(&item.value, sink));
                    sink.pop();
                }
                Value::Array(a)
            }
            ExprKind::Ternary(c, a, b) => match self.eval(c) {
                Value::Bool(true) => self.eval_rec(a, sink),
                Value::Bool(false) => self.eval_rec(b, sink),
                _ => self.eval(e),
            },
            ExprKind::For(fe) => {
                let v = self.eval(e);
                if let Value::Array(items) = &v {
                    for i in 0..items.len() {
                        sink.push_index(i);
                        sink.record(self.span(fe.body.span));
                        sink.pop();
                    }
                }
                v
            }
            _ => self.eval(e),
        }
    }

    fn key(&self, key: &Key) -> Option<String> {
        match key {
            Key::Name(k) => Some(k.to_string()),
            Key::Expr(e) => match self.eval(e) {
                Value::String(s) => Some(s),
                Value::Unknown(u) => Some(format!("[{}]", u.expr)),
                _ => None,
            },
        }
    }

    /// An interpolated string: the text, or, when a part is unknown, an
    /// unknown that keeps the known text and where the unknowns fall.
    fn interpolate(&self, span: Sp, pieces: &[Piece]) -> Value {
        use aml_model::pattern::{fragments_of, interpolated};
        use aml_model::value::Fragment;
        let mut fragments = Vec::new();
        let (mut len, mut reason) = (0usize, None);
        for p in pieces {
            match p {
                Piece::Lit(l) => fragments.push(Fragment::Text(l.clone())),
                Piece::Expr(x) => match self.eval(x) {
                    Value::Null => {}
                    v @ (Value::Unknown(_) | Value::String(_)) => {
                        if let Value::Unknown(u) = &v {
                            reason.get_or_insert_with(|| u.reason.clone());
                        }
                        fragments.extend(fragments_of(&v).unwrap_or_default());
                    }
                    other => fragments.push(Fragment::Text(other.to_json_display().to_string())),
                },
            }
            len += match fragments.last() {
                Some(Fragment::Text(t)) | Some(Fragment::Hole(t)) => t.len(),
                None => 0,
            };
            if len > functions::limits::MAX_STRING_BYTES {
                return self.unknown(span, "the string is too long");
            }
        }
        // The expression's text names an unknown result only.
        let known = fragments.iter().all(|f| matches!(f, Fragment::Text(_)));
        let text = if known {
            String::new()
        } else {
            abbreviate(self.src(span))
        };
        match interpolated(text, reason.unwrap_or_default(), fragments) {
            Value::Unknown(u) if u.shape.pattern.is_none() => {
                Value::unknown(u.expr.clone(), u.reason.clone())
            }
            v => v,
        }
    }

    /// Evaluates an expression.
    pub fn eval(&self, e: &Expr) -> Value {
        if !self.tick() {
            return self.unknown(e.span, "the evaluation budget was exhausted");
        }
        match &e.kind {
            ExprKind::Null => Value::Null,
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Error => self.unknown(e.span, "syntax error"),
            ExprKind::Str(pieces) => self.interpolate(e.span, pieces),
            ExprKind::Ident(n) => self.symbol(n, e.span),
            ExprKind::Array(items) => self.array(items),
            ExprKind::Object(_) => self.eval_rec(e, &mut SpanRecorder::disabled()),
            ExprKind::Unary(op, x) => {
                let v = self.eval(x);
                match (*op, v) {
                    (_, Value::Unknown(u)) => self.unknown(e.span, u.reason.clone()),
                    ("!", Value::Bool(b)) => Value::Bool(!b),
                    ("-", Value::Int(i)) => Value::Int(i.wrapping_neg()),
                    ("+", Value::Int(i)) => Value::Int(i),
                    (op, other) => self.error_value(
                        e.span,
                        format!("'{op}' cannot be applied to {}", other.type_name()),
                    ),
                }
            }
            ExprKind::Binary(op, a, b) => self.binary(e, op, a, b),
            ExprKind::Ternary(c, a, b) => self.ternary(e, c, a, b),
            ExprKind::Member(base, name, safe) => {
                if let Some(v) = self.member_of_resource(e.span, base, name, *safe) {
                    return v;
                }
                let v = self.eval(base);
                self.member(e.span, &v, name, *safe)
            }
            ExprKind::Index(base, idx, safe) => {
                let v = self.eval(base);
                let i = self.eval(idx);
                match (v, i) {
                    (Value::Unknown(u), _) | (_, Value::Unknown(u)) => {
                        self.unknown(e.span, u.reason.clone())
                    }
                    (Value::Null, _) if *safe => Value::Null,
                    (Value::Array(a), Value::Int(i)) => {
                        match usize::try_from(i).ok().and_then(|i| a.get(i)) {
                            Some(v) => v.clone(),
                            None if *safe => Value::Null,
                            None => self.error_value(
                                e.span,
                                format!("index {i} is out of range (length {})", a.len()),
                            ),
                        }
                    }
                    (o @ Value::Object(_), Value::String(k)) => self.member(e.span, &o, &k, *safe),
                    (v, i) => self.error_value(
                        e.span,
                        format!("{} cannot be indexed by {}", v.type_name(), i.type_name()),
                    ),
                }
            }
            ExprKind::Nested(base, child) => {
                let path = format!("{}::{child}", self.symbol_path(base).unwrap_or_default());
                if self.nested.contains_key(&path) {
                    self.resource_reference(&path)
                } else {
                    self.unknown(e.span, format!("no nested resource '{path}'"))
                }
            }
            ExprKind::NonNull(x) => self.eval(x),
            ExprKind::Call(ns, name, args) => self.call(e, ns.as_deref(), name, args),
            ExprKind::MethodCall(_, name, _) => self.unknown(
                e.span,
                format!("{name}() returns a value of the deployed resource"),
            ),
            ExprKind::Lambda(..) => {
                self.error_value(e.span, "a lambda can only be passed to a function")
            }
            ExprKind::For(fe) => self.for_loop(e, fe),
            ExprKind::If(_, b) => self.eval(b),
        }
    }

    /// An array literal, spreads (`...x`) expanded.
    fn array(&self, items: &[crate::ast::Item]) -> Value {
        let mut out = Vec::new();
        for i in items {
            let v = self.eval(&i.value);
            if i.spread {
                match v {
                    Value::Array(a) => out.extend(a),
                    Value::Null => {}
                    u @ Value::Unknown(_) => return u,
                    other => {
                        self.warn(
                            "bicep-expression",
                            i.value.span,
                            format!(
                                "only an array can be spread here, found {}",
                                other.type_name()
                            ),
                        );
                    }
                }
            } else {
                out.push(v);
            }
        }
        Value::Array(out)
    }

    /// `c ? a : b`; with an unknown condition, the branches its allowed
    /// values can take.
    fn ternary(&self, e: &Expr, c: &Expr, a: &Expr, b: &Expr) -> Value {
        match self.eval(c) {
            Value::Bool(true) => self.eval(a),
            Value::Bool(false) => self.eval(b),
            Value::Unknown(u) => {
                // The branches the condition's allowed values can take.
                let allowed = u.shape.allowed.as_deref();
                let can = |v: bool| allowed.is_none_or(|l| l.contains(&Value::Bool(v)));
                match (can(true), can(false)) {
                    (true, false) => return self.eval(a),
                    (false, true) => return self.eval(b),
                    _ => {}
                }
                let (x, y) = (self.eval(a), self.eval(b));
                if x == y && !x.contains_unknown() {
                    x
                } else if allowed.is_some() && !x.contains_unknown() && !y.contains_unknown() {
                    match self.unknown(e.span, u.reason.clone()) {
                        Value::Unknown(w) => Value::unknown_shaped(
                            w.expr.clone(),
                            w.reason.clone(),
                            aml_model::value::Shape::one_of(vec![x, y]),
                        ),
                        other => other,
                    }
                } else {
                    self.unknown(e.span, u.reason.clone())
                }
            }
            other => self.error_value(
                c.span,
                format!("a condition must be a bool, found {}", other.type_name()),
            ),
        }
    }

    /// `[for x in source: body]`, with its filter (`if`), bounded by the loop limit.
    fn for_loop(&self, e: &Expr, fe: &crate::ast::ForExpr) -> Value {
        let source = self.eval(&fe.source);
        let items = match source {
            Value::Array(a) => a,
            Value::Unknown(u) => return self.unknown(e.span, u.reason.clone()),
            other => {
                return self.error_value(
                    fe.source.span,
                    format!("a loop needs an array, found {}", other.type_name()),
                )
            }
        };
        let mut out = Vec::new();
        for (i, item) in items
            .into_iter()
            .take(self.s.limits.max_copy.max(0) as usize)
            .enumerate()
        {
            let pushed = self.push_loop(fe, item, i);
            let v = match &fe.body.kind {
                ExprKind::If(c, b) => match self.eval(c) {
                    Value::Bool(true) => Some(self.eval(b)),
                    Value::Bool(false) => None,
                    _ => Some(self.unknown(fe.body.span, "the loop filter is not known")),
                },
                _ => Some(self.eval(&fe.body)),
            };
            self.pop_locals(pushed);
            out.extend(v);
        }
        Value::Array(out)
    }

    fn symbol_path(&self, e: &Expr) -> Option<String> {
        match &e.kind {
            ExprKind::Ident(n) => Some(n.to_string()),
            ExprKind::Nested(b, c) => Some(format!("{}::{c}", self.symbol_path(b)?)),
            ExprKind::Index(b, _, _) => self.symbol_path(b),
            _ => None,
        }
    }

    fn error_value(&self, sp: Sp, message: impl Into<String>) -> Value {
        let m = message.into();
        self.warn(
            "bicep-expression",
            sp,
            format!("{m} in `{}`", abbreviate(self.src(sp))),
        );
        self.unknown(sp, m)
    }

    /// `sym.name` where `sym` names a resource declared without a loop:
    /// the member read from the resource's reference where it is kept, as
    /// evaluating `sym` and then its member would give, without copying
    /// the whole reference for each use. `None` for anything else.
    fn member_of_resource(&self, sp: Sp, base: &Expr, name: &str, safe: bool) -> Option<Value> {
        let ExprKind::Ident(sym) = &base.kind else {
            return None;
        };
        // What `symbol` looks at before the declarations.
        if self.locals.borrow().iter().any(|(n, _)| n == sym)
            || self.slots.borrow().contains_key(sym.as_str())
            || self.nested.contains_key(sym.as_str())
        {
            return None;
        }
        let (_, decl) = self.decl(sym)?;
        match &decl.kind {
            DeclKind::Resource { body, .. } if !matches!(body.kind, ExprKind::For(_)) => {}
            _ => return None,
        }
        // The tick `eval(base)` would take.
        if !self.tick() {
            let v = self.unknown(base.span, "the evaluation budget was exhausted");
            return Some(self.member(sp, &v, name, safe));
        }
        let insts = self.resource_instances(sym);
        Some(match insts.first() {
            Some(i) => match i.reference_member(name) {
                Some(found) => self.found_member(sp, found, name, safe),
                None => self.member(sp, i.reference(), name, safe),
            },
            None => {
                let v = Value::unknown(sym.as_str(), "the resource could not be evaluated");
                self.member(sp, &v, name, safe)
            }
        })
    }

    fn member(&self, sp: Sp, v: &Value, name: &str, safe: bool) -> Value {
        match v {
            Value::Unknown(u) => self.unknown(sp, u.reason.clone()),
            Value::Null if safe => Value::Null,
            Value::Object(o) => {
                let found = o.get(name).or_else(|| {
                    o.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v)
                });
                self.found_member(sp, found.cloned(), name, safe)
            }
            Value::Null => self.unknown(sp, format!("'{name}' of a null value")),
            other => self.error_value(
                sp,
                format!("{} has no property '{name}'", other.type_name()),
            ),
        }
    }

    /// The value of an object's member `name`, as found (or not).
    fn found_member(&self, sp: Sp, found: Option<Value>, name: &str, safe: bool) -> Value {
        match found {
            Some(v) => v,
            None if safe => Value::Null,
            None => self.unknown(
                sp,
                format!("'{name}' is not set in the files (a runtime value or a missing property)"),
            ),
        }
    }

    fn binary(&self, e: &Expr, op: &str, a: &Expr, b: &Expr) -> Value {
        let left = self.eval(a);
        // Short-circuit forms.
        match (op, &left) {
            ("??", Value::Null) => return self.eval(b),
            ("??", Value::Unknown(u)) => {
                let right = self.eval(b);
                return if matches!(right, Value::Unknown(_)) {
                    right
                } else {
                    self.unknown(e.span, u.reason.clone())
                };
            }
            ("??", v) => return v.clone(),
            ("&&", Value::Bool(false)) => return Value::Bool(false),
            ("||", Value::Bool(true)) => return Value::Bool(true),
            _ => {}
        }
        let right = self.eval(b);
        match (op, &left, &right) {
            ("&&", Value::Unknown(_), Value::Bool(false)) => return Value::Bool(false),
            ("||", Value::Unknown(_), Value::Bool(true)) => return Value::Bool(true),
            _ => {}
        }
        if let Some(u) = left.first_unknown().or(right.first_unknown()) {
            if matches!(op, "==" | "!=") && !left.is_unknown() && !right.is_unknown() {
                // Structures with unknown parts: unknown.
            }
            return self.unknown(e.span, u.reason.clone());
        }
        let r = match (op, left, right) {
            ("&&", Value::Bool(x), Value::Bool(y)) => Value::Bool(x && y),
            ("||", Value::Bool(x), Value::Bool(y)) => Value::Bool(x || y),
            ("==", x, y) => Value::Bool(loose_eq(&x, &y)),
            ("!=", x, y) => Value::Bool(!loose_eq(&x, &y)),
            ("=~", Value::String(x), Value::String(y)) => Value::Bool(x.eq_ignore_ascii_case(&y)),
            ("!~", Value::String(x), Value::String(y)) => Value::Bool(!x.eq_ignore_ascii_case(&y)),
            ("<", Value::Int(x), Value::Int(y)) => Value::Bool(x < y),
            ("<=", Value::Int(x), Value::Int(y)) => Value::Bool(x <= y),
            (">", Value::Int(x), Value::Int(y)) => Value::Bool(x > y),
            (">=", Value::Int(x), Value::Int(y)) => Value::Bool(x >= y),
            ("<", Value::String(x), Value::String(y)) => Value::Bool(x < y),
            ("<=", Value::String(x), Value::String(y)) => Value::Bool(x <= y),
            (">", Value::String(x), Value::String(y)) => Value::Bool(x > y),
            (">=", Value::String(x), Value::String(y)) => Value::Bool(x >= y),
            ("+", Value::Int(x), Value::Int(y)) => Value::Int(x.wrapping_add(y)),
            ("-", Value::Int(x), Value::Int(y)) => Value::Int(x.wrapping_sub(y)),
            ("*", Value::Int(x), Value::Int(y)) => Value::Int(x.wrapping_mul(y)),
            ("/", Value::Int(_), Value::Int(0)) | ("%", Value::Int(_), Value::Int(0)) => {
                return self.error_value(e.span, "division by zero")
            }
            ("/", Value::Int(x), Value::Int(y)) => Value::Int(x.wrapping_div(y)),
            ("%", Value::Int(x), Value::Int(y)) => Value::Int(x.wrapping_rem(y)),
            (op, x, y) => {
                return self.error_value(
                    e.span,
                    format!(
                        "'{op}' cannot be applied to {} and {}",
                        x.type_name(),
                        y.type_name()
                    ),
                )
            }
        };
        r
    }

    fn call(&self, e: &Expr, ns: Option<&str>, name: &str, args: &[Expr]) -> Value {
        let text = abbreviate(self.src(e.span));
        if let Some(v) = self.call_imported(&text, ns, name, args) {
            return v;
        }
        // `sym.method()` on a resource: a runtime value.
        if let Some(ns) = ns {
            if !matches!(ns, "sys" | "az") {
                if self.decl(ns).is_some()
                    || self.nested.contains_key(ns)
                    || self.locals.borrow().iter().any(|(n, _)| n == ns)
                {
                    return Value::unknown(
                        text,
                        format!("{name}() returns a value of the deployed resource"),
                    );
                }
                return Value::unknown(
                    text,
                    format!("'{ns}.{name}' is imported and not evaluated"),
                );
            }
        }
        // User-defined functions.
        if ns.is_none() {
            if let Some((_, d)) = self.decl(name) {
                if let DeclKind::Func { params, body, .. } = &d.kind {
                    let values: Vec<Value> = args.iter().map(|a| self.eval(a)).collect();
                    let saved = self
                        .locals
                        .replace(params.iter().cloned().zip(values).collect());
                    let v = self.eval(body);
                    self.locals.replace(saved);
                    return v;
                }
            }
        }
        match name {
            "any" if args.len() == 1 => return self.eval(&args[0]),
            "loadTextContent" | "loadJsonContent" | "loadYamlContent" | "loadFileAsBase64" => {
                return self.load_file(e, name, args);
            }
            "resourceGroup" | "subscription" | "managementGroup" if !args.is_empty() => {
                return self.scope_function(e, name, args);
            }
            "readEnvironmentVariable" | "getSecret" | "externalInput" => {
                return Value::unknown(text, format!("{name}() is only known at deployment"));
            }
            _ => {}
        }
        let canonical = functions::canonical_name(name).unwrap_or(name);
        if lambda::is_higher_order(canonical) {
            return self.call_higher_order(e, canonical, args, &text);
        }
        let values: Vec<Value> = args.iter().map(|a| self.eval(a)).collect();
        match functions::call_with_text(name, values, self, &text) {
            Ok(v) => v,
            Err(m) => self.error_value(e.span, m),
        }
    }

    /// `resourceGroup('rg')`, `resourceGroup('sub', 'rg')`, `subscription('sub')`,
    /// `managementGroup('mg')`: a scope other than the deployment's.
    fn scope_function(&self, e: &Expr, name: &str, args: &[Expr]) -> Value {
        let values: Vec<Value> = args.iter().map(|a| self.eval(a)).collect();
        if let Some(u) = values.iter().find_map(Value::first_unknown) {
            return self.unknown(e.span, u.reason.clone());
        }
        let strs: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        if strs.len() != values.len() || strs.len() > 2 {
            return self.error_value(e.span, format!("{name}() takes one or two strings"));
        }
        let sub = if strs.len() == 2 {
            strs[0]
        } else {
            self.context.subscription_id.as_str()
        };
        let last = strs[strs.len() - 1];
        let mut o = Object::default();
        match name {
            "resourceGroup" => {
                o.insert(
                    "id".into(),
                    Value::String(format!("/subscriptions/{sub}/resourceGroups/{last}")),
                );
                o.insert("name".into(), Value::str(last));
                o.insert(
                    "type".into(),
                    Value::str("Microsoft.Resources/resourceGroups"),
                );
                o.insert("subscriptionId".into(), Value::str(sub));
            }
            "subscription" => {
                o.insert("id".into(), Value::String(format!("/subscriptions/{last}")));
                o.insert("subscriptionId".into(), Value::str(last));
            }
            _ => {
                o.insert(
                    "id".into(),
                    Value::String(format!(
                        "/providers/Microsoft.Management/managementGroups/{last}"
                    )),
                );
                o.insert("name".into(), Value::str(last));
            }
        }
        Value::Object(o)
    }

    fn call_higher_order(&self, e: &Expr, name: &str, args: &[Expr], text: &str) -> Value {
        let lambdas: Vec<Option<BicepLambda>> = args
            .iter()
            .map(|a| match &a.kind {
                ExprKind::Lambda(params, body) => Some(BicepLambda {
                    scope: self,
                    params: params.clone(),
                    body,
                }),
                _ => None,
            })
            .collect();
        let mut ho = Vec::new();
        for (a, l) in args.iter().zip(&lambdas) {
            match l {
                Some(l) => ho.push(lambda::HoArg::Lambda(l)),
                None => ho.push(lambda::HoArg::Value(self.eval(a))),
            }
        }
        match lambda::call(name, ho, text) {
            Ok(v) => v,
            Err(m) => self.error_value(e.span, m),
        }
    }

    fn load_file(&self, e: &Expr, name: &str, args: &[Expr]) -> Value {
        let text = abbreviate(self.src(e.span));
        let Some(Value::String(rel)) = args.first().map(|a| self.eval(a)) else {
            return Value::unknown(text, format!("{name}() needs a literal path"));
        };
        let dir = self
            .s
            .sources
            .get(self.file)
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let path = aml_model::source::normalize_path(&dir.join(&rel));
        if !modules::inside_root(self.s.root_dir.as_deref(), &path) {
            self.warn(
                "bicep-load",
                e.span,
                format!("'{rel}' is outside the scan's boundary (the repository, or `--root`) and was not read"),
            );
            return Value::unknown(text, "the file is outside the scan's boundary");
        }
        let content = match self.s.sources.find(&path) {
            Some(id) => Some(self.s.sources.get(id).text().to_string()),
            None => std::fs::metadata(&path)
                .ok()
                .filter(|m| m.len() <= self.s.limits.max_file_bytes)
                .and_then(|_| std::fs::read_to_string(&path).ok()),
        };
        let Some(content) = content else {
            self.warn("bicep-load", e.span, format!("'{rel}' could not be read"));
            return Value::unknown(text, "the file could not be read");
        };
        match name {
            "loadTextContent" => Value::String(content),
            "loadJsonContent" => match serde_json::from_str::<serde_json::Value>(&content) {
                Ok(j) => {
                    let v = Value::from_json(&j);
                    match args.get(1).map(|a| self.eval(a)) {
                        Some(Value::String(p)) if !p.is_empty() => {
                            let p = p.trim_start_matches('$').trim_start_matches('.');
                            v.get_path(p).cloned().unwrap_or_else(|| {
                                Value::unknown(text, "the JSON path was not found")
                            })
                        }
                        _ => v,
                    }
                }
                Err(err) => self.error_value(e.span, format!("'{rel}' is not JSON: {err}")),
            },
            _ => Value::unknown(text, format!("{name}() is not evaluated")),
        }
    }
}

/// A Bicep lambda bound to its scope.
struct BicepLambda<'x, 's, 'a> {
    scope: &'x Scope<'s, 'a>,
    params: Vec<String>,
    body: &'x Expr,
}

impl lambda::LambdaFn for BicepLambda<'_, '_, '_> {
    fn param_count(&self) -> usize {
        self.params.len()
    }
    fn invoke(&self, args: Vec<Value>) -> Result<Value, String> {
        let n = self.params.len().min(args.len());
        {
            let mut locals = self.scope.locals.borrow_mut();
            for (p, v) in self.params.iter().zip(args) {
                locals.push((p.clone(), v));
            }
        }
        let v = self.scope.eval(self.body);
        self.scope.pop_locals(n);
        Ok(v)
    }
}

impl ExprEnv for Scope<'_, '_> {
    fn parameter(&self, name: &str) -> Result<Value, String> {
        Err(format!("parameters('{name}') is not Bicep"))
    }
    fn variable(&self, name: &str) -> Result<Value, String> {
        Err(format!("variables('{name}') is not Bicep"))
    }
    fn copy_index(&self, _: Option<&str>) -> Result<i64, String> {
        Err("copyIndex() is not Bicep; use a for loop index".into())
    }
    fn context(&self) -> &DeploymentContext {
        &self.context
    }
    fn reference(&self, target: &Value, _: Option<&Value>, _: bool) -> Value {
        Value::unknown(
            format!("reference({target})"),
            "reference() reads a deployed resource",
        )
    }
    fn user_function(&self, _: &str, _: &str, _: Vec<Value>) -> Option<Result<Value, String>> {
        None
    }
}

fn collect_nested<'d>(
    path: &str,
    body: &'d Expr,
    out: &mut HashMap<String, (&'d Decl, String)>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    let obj = match &body.kind {
        ExprKind::If(_, b) => b,
        ExprKind::For(fe) => match &fe.body.kind {
            ExprKind::If(_, b) => b,
            _ => &fe.body,
        },
        _ => body,
    };
    if let ExprKind::Object(props) = &obj.kind {
        for p in props {
            if let Prop::Resource(d) = p {
                if let DeclKind::Resource { name, body, .. } = &d.kind {
                    let child = format!("{path}::{name}");
                    out.insert(child.clone(), (d, path.to_string()));
                    collect_nested(&child, body, out, depth + 1);
                }
            }
        }
    }
}

/// Resource ids (`/subscriptions/.../providers/...`) inside a value.
fn collect_resource_ids(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s)
            if s.starts_with("/subscriptions/")
                && s.to_ascii_lowercase().contains("/providers/")
                && !out.contains(s) =>
        {
            out.push(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|i| collect_resource_ids(i, out)),
        Value::Object(o) => o.values().for_each(|i| collect_resource_ids(i, out)),
        _ => {}
    }
}

/// A resource whose id is given to a registry module that is not restored:
/// the module may attach private endpoints to it, so its private endpoint
/// connections are unknown (unless the file sets them).
fn mark_attachments_unknown(r: &mut Resource, module: &str) {
    let Some(body) = r.body.as_object_mut() else {
        return;
    };
    let props = body
        .entry("properties".to_string())
        .or_insert_with(|| Value::Object(Object::default()));
    if let Value::Object(p) = props {
        if !p
            .keys()
            .any(|k| k.eq_ignore_ascii_case("privateEndpointConnections"))
        {
            p.insert(
                "privateEndpointConnections".into(),
                Value::unknown(
                    format!("module '{module}'"),
                    "a registry module that is not restored receives this resource's id and may add private endpoints to it",
                ),
            );
        }
    }
}

/// The id of what a deployment at this context deploys into.
pub fn context_scope_id(c: &DeploymentContext) -> String {
    aml_arm::template::scope_id_of(c)
}

/// True for a subscription or resource group id (a deployment scope, not a resource).
fn is_container_id(id: &str) -> bool {
    let parts: Vec<&str> = id.trim_matches('/').split('/').collect();
    matches!(
        parts.as_slice(),
        ["subscriptions", _] | ["subscriptions", _, "resourceGroups", _]
    ) || (parts.len() == 4 && parts[2].eq_ignore_ascii_case("resourceGroups"))
}

/// The container (resource group or subscription) part of a resource id.
fn container_of(id: &str) -> Option<String> {
    let lower = id.to_ascii_lowercase();
    let idx = lower.find("/providers/")?;
    Some(id[..idx].to_string())
}

/// Applies a module's `scope:` value to its deployment context.
fn apply_scope(context: &mut DeploymentContext, scope: &Value) {
    match scope {
        Value::Object(o) => {
            let ty = o.get("type").and_then(Value::as_str).unwrap_or_default();
            let id = o.get("id").and_then(Value::as_str).unwrap_or_default();
            let parts: Vec<&str> = id.trim_matches('/').split('/').collect();
            if ty.eq_ignore_ascii_case("Microsoft.Resources/resourceGroups") {
                if let Some(n) = o.get("name").and_then(Value::as_str) {
                    context.resource_group = n.to_string();
                }
                if let Some(l) = o.get("location").and_then(Value::as_str) {
                    context.location = l.to_string();
                }
                context.scope = TargetScope::ResourceGroup;
            } else if parts.len() == 4
                && parts[0].eq_ignore_ascii_case("subscriptions")
                && parts[2].eq_ignore_ascii_case("resourceGroups")
            {
                context.subscription_id = parts[1].to_string();
                context.resource_group = parts[3].to_string();
                context.scope = TargetScope::ResourceGroup;
            } else if parts.len() == 2 && parts[0].eq_ignore_ascii_case("subscriptions") {
                context.subscription_id = parts[1].to_string();
                context.scope = TargetScope::Subscription;
            } else if id.to_ascii_lowercase().contains("/managementgroups/") {
                context.management_group = parts.last().map(|s| s.to_string());
                context.scope = TargetScope::ManagementGroup;
            } else if id.is_empty()
                && ty.is_empty()
                && o.contains_key("tenantId")
                && !o.contains_key("subscriptionId")
            {
                context.scope = TargetScope::Tenant;
            }
        }
        Value::Unknown(u) => {
            context.resource_group = format!("[{}]", u.expr);
            context.scope = TargetScope::ResourceGroup;
        }
        _ => {}
    }
}

/// `==` as Bicep compares: strings case-sensitively, numbers by value.
fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => (*x as f64) == *y,
        _ => a == b,
    }
}

/// True when a default holds a non-empty literal string (not an expression
/// such as `newGuid()`), at any depth of an array or object.
/// The identifiers `e` reads (bounded), each once.
fn idents(e: &Expr, out: &mut Vec<String>, depth: usize) {
    if depth > 32 || out.len() > 64 {
        return;
    }
    if let ExprKind::Ident(n) = &e.kind {
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
        return;
    }
    let mut go = |x: &Expr| idents(x, out, depth + 1);
    match &e.kind {
        ExprKind::Str(pieces) => pieces.iter().for_each(|p| {
            if let Piece::Expr(x) = p {
                go(x)
            }
        }),
        ExprKind::Array(items) => items.iter().for_each(|i| go(&i.value)),
        ExprKind::Object(props) => props.iter().for_each(|p| match p {
            Prop::Pair { value, .. } => go(value),
            Prop::Spread(x) => go(x),
            Prop::Resource(_) => {}
        }),
        ExprKind::Unary(_, x) | ExprKind::NonNull(x) => go(x),
        ExprKind::Binary(_, a, b) => {
            go(a);
            go(b)
        }
        ExprKind::Ternary(a, b, c) => {
            go(a);
            go(b);
            go(c)
        }
        ExprKind::Member(x, _, _) | ExprKind::Nested(x, _) => go(x),
        ExprKind::Index(a, b, _) => {
            go(a);
            go(b)
        }
        ExprKind::Call(_, _, args) => args.iter().for_each(go),
        ExprKind::MethodCall(x, _, args) => {
            go(x);
            args.iter().for_each(go)
        }
        _ => {}
    }
}

fn is_literal_secret(e: &Expr, depth: usize) -> bool {
    if depth > 32 {
        return false;
    }
    match &e.kind {
        ExprKind::Str(pieces) => {
            pieces.iter().all(|p| matches!(p, Piece::Lit(_)))
                && pieces
                    .iter()
                    .any(|p| matches!(p, Piece::Lit(s) if !s.is_empty()))
        }
        ExprKind::Array(items) => items.iter().any(|i| is_literal_secret(&i.value, depth + 1)),
        ExprKind::Object(props) => props.iter().any(|p| match p {
            Prop::Pair { value, .. } => is_literal_secret(value, depth + 1),
            _ => false,
        }),
        _ => false,
    }
}

fn collect_secrets(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() >= 4 && !out.contains(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|i| collect_secrets(i, out)),
        Value::Object(o) => o.values().for_each(|i| collect_secrets(i, out)),
        _ => {}
    }
}

/// Shortens long source text for messages and unknowns.
/// Runs of whitespace become one space; past 120 characters, the first 117
/// and `...` (the text is read only that far).
pub fn abbreviate(s: &str) -> String {
    // Most texts are short ASCII with single spaces: already their own
    // abbreviation.
    let b = s.as_bytes();
    if b.len() <= 120
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
        && b.iter()
            .all(|&c| c.is_ascii() && (c == b' ' || !c.is_ascii_whitespace()) && c != 0x0b)
        && !b.windows(2).any(|w| w == b"  ")
    {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len().min(128));
    let mut chars = 0usize;
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
            chars += 1;
        }
        out.push_str(word);
        chars += word.chars().count();
        if chars > 120 {
            let end = out.char_indices().nth(117).map_or(out.len(), |(i, _)| i);
            out.truncate(end);
            out.push_str("...");
            return out;
        }
    }
    out
}

impl Session<'_> {
    /// Evaluates the `param x = value` assignments of a `.bicepparam` file.
    pub fn eval_param_file(&self, file: FileId, ast: &File) -> Vec<(String, Value, Span)> {
        let scope = Scope::new(
            self,
            file,
            ast,
            HashMap::default(),
            DeploymentContext::default(),
            0,
            Deployed::Yes,
        );
        ast.decls
            .iter()
            .filter_map(|d| match &d.kind {
                DeclKind::ParamAssign { name, value } => Some((
                    name.clone(),
                    scope.symbol(name, d.name_span),
                    span_of(file, value.span),
                )),
                _ => None,
            })
            .collect()
    }
}

/// The parent of a resource: `parent:` (an evaluated resource reference),
/// else the resource it is nested in.
fn parent_ref(explicit: Option<&Value>, nested: Option<&ParentRef>) -> Option<ParentRef> {
    let text = |o: &Object, k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    match (explicit, nested) {
        (Some(Value::Object(o)), _) => Some(ParentRef {
            full_type: text(o, "type"),
            full_name: text(o, "name"),
            id: text(o, "id"),
            deployed: Deployed::Yes,
        }),
        (_, Some(p)) => Some(p.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::abbreviate;

    /// A member read from the body (and the id) is what the same look-up
    /// finds in the reference value made of them, for bodies with `id` keys
    /// of every casing and names of every casing.
    #[test]
    fn members_read_from_the_body_are_those_of_the_reference() {
        use super::{Instance, Value};
        let bodies = [
            serde_json::json!({}),
            serde_json::json!({"id": "own", "Name": 1}),
            serde_json::json!({"Id": 2, "name": "n"}),
            serde_json::json!({"ID": 3, "id": 4, "iD": 5}),
            serde_json::json!({"properties": {"a": 1}, "NAME": "x", "name": "y"}),
        ];
        let names = [
            "id",
            "ID",
            "Id",
            "iD",
            "name",
            "Name",
            "NAME",
            "properties",
            "Properties",
            "missing",
        ];
        let mut compared = 0;
        for body in &bodies {
            for name in names {
                let instance = Instance {
                    resource: aml_model::model::Resource {
                        id: "/subscriptions/s/providers/X/y/z".into(),
                        resource_type: "X/y".into(),
                        name: "z".into(),
                        api_version: None,
                        body: Value::from_json(body),
                        parent_id: None,
                        scope_id: None,
                        existing: false,
                        deployed: aml_model::model::Deployed::Yes,
                        span: aml_model::source::Span::new(aml_model::source::FileId(0), 0, 0),
                        symbol: None,
                        spans: Default::default(),
                        format: "bicep",
                        deployment: 0,
                        source_names: None,
                    },
                    reference: std::sync::OnceLock::new(),
                    emitted: true,
                };
                let direct = instance.reference_member(name).expect("an object body");
                let Value::Object(reference) = instance.reference() else {
                    panic!("an object reference");
                };
                let found = reference
                    .get(name)
                    .or_else(|| {
                        reference
                            .iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(name))
                            .map(|(_, v)| v)
                    })
                    .cloned();
                assert_eq!(direct, found, "{body} {name}");
                // Once made, the reference answers.
                assert_eq!(instance.reference_member(name), None);
                compared += 1;
            }
        }
        assert_eq!(compared, bodies.len() * names.len());
    }

    /// The text as the words of it joined by one space, cut to 117
    /// characters and `...` past 120 (what `abbreviate` returns, read in one
    /// pass that stops early).
    fn joined_and_cut(s: &str) -> String {
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.chars().count() <= 120 {
            s
        } else {
            format!("{}...", s.chars().take(117).collect::<String>())
        }
    }

    #[test]
    fn abbreviations_join_words_and_cut_long_texts() {
        let word = |n: usize, c: char| c.to_string().repeat(n);
        let mut texts = vec![
            String::new(),
            "   ".to_string(),
            " a \n\t b\u{a0}c\u{2003}d ".to_string(),
            word(120, 'x'),
            word(121, 'x'),
            format!("{} {}", word(60, 'é'), word(59, 'ü')),
            format!("{} {}", word(60, 'é'), word(60, 'ü')),
            format!("{}\n\n  {}", word(116, 'a'), word(10, 'b')),
            "a\u{b}b a\u{c}b a\u{1c}b".to_string(),
            " lead".to_string(),
            "trail ".to_string(),
            "a  b".to_string(),
            "plain text, one space".to_string(),
        ];
        for n in 0..300 {
            texts.push(format!("{}  {}", word(n % 130, '\u{1F600}'), word(n, 'z')));
        }
        for t in &texts {
            assert_eq!(abbreviate(t), joined_and_cut(t), "{t:?}");
        }
        assert_eq!(abbreviate(&word(121, 'x')).chars().count(), 120);
    }
}
