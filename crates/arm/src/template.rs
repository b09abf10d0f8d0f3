//! Evaluation of an ARM deployment template into model resources.
//!
//! Parameters (defaults, parameter files, `allowedValues`), variables
//! (including `copy`), user-defined functions, resources as an array or as a
//! symbolic-name object (`languageVersion` 2.0), `condition`, `copy` loops,
//! nested child resources, `existing`, extension resources, and nested
//! deployments (inline templates with inner or outer expression scope, and
//! `templateLink.relativePath` inside the scanned tree).
//!
//! Nothing is fetched: a remote `templateLink` is a warning and its resources
//! are not in the model. Values the files do not fix are [`Value::Unknown`].

use crate::expr::{self, DeploymentContext, ExprEnv, TargetScope};
use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::json::{self, Member, Node, NodeKind};
use aml_model::model::{self, Deployed, Resource, SpanRecorder};
use aml_model::source::{FileId, SourceMap, Span};
use aml_model::value::{Object, Shape, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use aml_model::context::Limits;

/// Where one template's parameter values come from.
#[derive(Clone, Debug, Default)]
pub struct ParameterValues {
    /// Name (any case) → value, with the span that set it when it came from a file.
    pub values: Vec<(String, Value, Option<Span>)>,
}

impl ParameterValues {
    /// Reads a deployment parameter file (`{"parameters": {"x": {"value": ...}}}`).
    /// Key Vault references become unknown values.
    pub fn from_parameter_file(file: FileId, root: &Node) -> Result<Self, (String, u32)> {
        let params = root.get("parameters").ok_or_else(|| {
            (
                "a parameter file needs a `parameters` object".to_string(),
                root.start,
            )
        })?;
        let members = params
            .as_members()
            .ok_or_else(|| ("`parameters` must be an object".to_string(), params.start))?;
        let mut values = Vec::new();
        for m in members {
            let span = Span::new(file, m.value.start as usize, m.value.end as usize);
            if let Some(v) = m.value.get("value") {
                values.push((m.key.clone(), literal_value(v), Some(span)));
            } else if let Some(r) = m.value.get("reference") {
                let secret = r.get("secretName").and_then(Node::as_str).unwrap_or("?");
                values.push((
                    m.key.clone(),
                    Value::unknown(
                        format!("Key Vault secret '{secret}'"),
                        "a Key Vault reference is resolved at deployment",
                    ),
                    Some(span),
                ));
            }
        }
        Ok(ParameterValues { values })
    }
}

/// A JSON literal from a parameter file: strings are taken as written (a
/// parameter file holds no expressions; a leading `[` is literal), except a
/// whole value `${NAME}` or `${NAME=DEFAULT}`, which the Azure Developer CLI
/// (azd) replaces with an environment variable when it provisions: unknown
/// here, naming the variable.
fn literal_value(node: &Node) -> Value {
    if let Some(name) = node.as_str().and_then(azd_variable) {
        return Value::unknown(
            format!("${{{name}}}"),
            format!("set by the Azure Developer CLI from the environment variable {name} when it provisions"),
        );
    }
    node.to_value()
}

/// The environment variable of an azd substitution (`${AZURE_LOCATION}`,
/// `${USE_SEARCH=true}`), when the whole string is one.
pub fn azd_variable(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("${")?.strip_suffix('}')?;
    let name = inner.split_once('=').map_or(inner, |(n, _)| n);
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (valid && !inner[name.len()..].contains('}')).then_some(name)
}

/// What evaluating one entry template produced (shared with Bicep).
pub use aml_model::input::Evaluated;

/// Shared state of one entry template's evaluation.
struct Build<'a> {
    sources: &'a SourceMap,
    root_dir: Option<PathBuf>,
    limits: Limits,
    out: RefCell<Evaluated>,
    /// Resources of the current entry template so far, for the resource limit.
    count: RefCell<usize>,
    limit_reported: RefCell<bool>,
    /// The outputs of each nested deployment evaluated so far, by lower-case
    /// deployment id, as `reference()` returns them (`{"name": {"type", "value"}}`).
    outputs: RefCell<HashMap<String, Value>>,
    /// Whether `reference()` has returned an open object (see
    /// [`expr::mark_open`]): only then do values need their marks removed.
    opened: std::cell::Cell<bool>,
    /// Per file: whether its text calls `reference()`, the only reader of
    /// the dependency order.
    calls_reference: RefCell<HashMap<FileId, bool>>,
}

impl Build<'_> {
    fn diag(&self, d: Diagnostic) {
        let mut out = self.out.borrow_mut();
        if !out.diagnostics.contains(&d) {
            out.diagnostics.push(d);
        }
    }
}

/// Evaluates the template `root` read from `file`.
///
/// `root_dir` bounds linked templates: a `templateLink.relativePath` that
/// leaves it is not followed.
pub fn evaluate(
    sources: &SourceMap,
    file: FileId,
    root: &Node,
    params: &ParameterValues,
    context: DeploymentContext,
    root_dir: Option<&Path>,
    limits: Limits,
) -> Evaluated {
    let build = Build {
        sources,
        root_dir: root_dir.map(Path::to_path_buf),
        limits,
        out: RefCell::new(Evaluated::default()),
        count: RefCell::new(0),
        limit_reported: RefCell::new(false),
        outputs: RefCell::new(HashMap::new()),
        opened: std::cell::Cell::new(false),
        calls_reference: RefCell::new(HashMap::new()),
    };
    let supplied: Vec<(String, Supplied)> = params
        .values
        .iter()
        .map(|(n, v, s)| {
            (
                n.clone(),
                Supplied {
                    value: v.clone(),
                    span: *s,
                },
            )
        })
        .collect();
    // Parameters named in the file that the template does not declare.
    if let Some(declared) = root.get("parameters").and_then(Node::as_members) {
        for (name, _, span) in &params.values {
            if !declared.iter().any(|m| m.key.eq_ignore_ascii_case(name)) {
                build.diag(Diagnostic::warning(
                    "parameter-unknown",
                    format!(
                        "the parameter file sets '{name}', which the template does not declare"
                    ),
                    span.map(Location::Span).unwrap_or(Location::None),
                ));
            }
        }
    }
    let scope = Scope::new(&build, file, root, supplied, context, 0);
    scope.check_parameters();
    scope.eval_resources_section(None);
    let scope_diags = scope.diags.into_inner();
    let mut out = build.out.into_inner();
    for d in scope_diags {
        if !out.diagnostics.contains(&d) {
            out.diagnostics.push(d);
        }
    }
    out
}

/// A value supplied for a parameter.
#[derive(Clone, Debug)]
struct Supplied {
    value: Value,
    span: Option<Span>,
}

/// The evaluation scope of one template: its parameters, variables and
/// functions, and the deployment context. Implements [`ExprEnv`].
struct Scope<'b, 't> {
    build: &'b Build<'b>,
    file: FileId,
    template: &'t Node,
    supplied: Vec<(String, Supplied)>,
    params: RefCell<aml_model::FastMap<String, Value>>,
    params_in_progress: RefCell<aml_model::FastSet<String>>,
    vars: RefCell<aml_model::FastMap<String, Value>>,
    vars_in_progress: RefCell<aml_model::FastSet<String>>,
    copy_stack: RefCell<Vec<(String, i64)>>,
    context: DeploymentContext,
    depth: usize,
    diags: RefCell<Vec<Diagnostic>>,
    /// Set while [`Scope::dependency_order`] evaluates names and `dependsOn`.
    ordering: std::cell::Cell<bool>,
    /// Where resources deploy when that is not [`Scope::context`]: an
    /// outer-scope nested deployment into another resource group or
    /// subscription evaluates its expressions here but deploys there.
    deploy_into: RefCell<Option<DeploymentContext>>,
}

impl<'b, 't> Scope<'b, 't> {
    fn new(
        build: &'b Build<'b>,
        file: FileId,
        template: &'t Node,
        supplied: Vec<(String, Supplied)>,
        context: DeploymentContext,
        depth: usize,
    ) -> Self {
        Scope {
            build,
            file,
            template,
            supplied,
            params: RefCell::default(),
            params_in_progress: RefCell::default(),
            vars: RefCell::default(),
            vars_in_progress: RefCell::default(),
            copy_stack: RefCell::new(Vec::new()),
            context,
            depth,
            diags: RefCell::new(Vec::new()),
            ordering: std::cell::Cell::new(false),
            deploy_into: RefCell::new(None),
        }
    }

    fn span(&self, node: &Node) -> Span {
        Span::new(self.file, node.start as usize, node.end as usize)
    }

    fn diag(&self, d: Diagnostic) {
        // Expressions evaluated only to order resources (names of resources
        // that may not be deployed) report nothing; evaluation proper does.
        if self.ordering.get() && d.code == "expression" {
            return;
        }
        let mut diags = self.diags.borrow_mut();
        if !diags.contains(&d) {
            diags.push(d);
        }
    }

    fn error_at(&self, code: &'static str, node: &Node, message: impl Into<String>) {
        self.diag(Diagnostic::error(
            code,
            message,
            Location::Span(self.span(node)),
        ));
    }

    fn section(&self, name: &str) -> Option<&'t Node> {
        self.template.get(name)
    }

    // ---- parameters -------------------------------------------------------

    fn parameter_decl(&self, name: &str) -> Option<&'t Member> {
        self.section("parameters")?
            .as_members()?
            .iter()
            .rev() // of a name written twice, Azure reads the last
            .find(|m| m.key.eq_ignore_ascii_case(name))
    }

    /// Resolves every declared parameter once, so that type and
    /// `allowedValues` problems are reported even when nothing reads them.
    fn check_parameters(&self) {
        let Some(members) = self.section("parameters").and_then(Node::as_members) else {
            if let Some(p) = self.section("parameters") {
                self.error_at("template-structure", p, "`parameters` must be an object");
            }
            return;
        };
        for m in members {
            let _ = self.resolve_parameter(&m.key);
        }
    }

    fn resolve_parameter(&self, name: &str) -> Result<Value, String> {
        let key = name.to_ascii_lowercase();
        if let Some(v) = self.params.borrow().get(&key) {
            return Ok(v.clone());
        }
        let decl = self
            .parameter_decl(name)
            .ok_or_else(|| format!("the parameter '{name}' is not declared in the template"))?;
        if !self.params_in_progress.borrow_mut().insert(key.clone()) {
            return Err(format!(
                "the default value of parameter '{name}' refers to itself"
            ));
        }
        let value = self.compute_parameter(decl);
        self.params_in_progress.borrow_mut().remove(&key);
        self.params.borrow_mut().insert(key, value.clone());
        Ok(value)
    }

    fn compute_parameter(&self, decl: &'t Member) -> Value {
        let name = &decl.key;
        let declared_type = decl
            .value
            .get("type")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let secure = declared_type.starts_with("secure");
        if secure {
            if let Some(default) = decl
                .value
                .get("defaultValue")
                .filter(|d| is_literal_secret(d))
            {
                let entry = (name.clone(), self.span(default));
                let mut out = self.build.out.borrow_mut();
                if !out.secure_defaults.contains(&entry) {
                    out.secure_defaults.push(entry);
                }
            }
        }
        let nullable = matches!(
            decl.value.get("nullable").map(|n| &n.kind),
            Some(NodeKind::Bool(true))
        );
        let (value, origin) = if let Some((_, s)) = self
            .supplied
            .iter()
            .rev() // a parameter file's last copy, as Azure reads it
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            (s.value.clone(), s.span)
        } else if let Some(default) = decl.value.get("defaultValue") {
            let mut sink = SpanRecorder::disabled();
            (
                self.eval_node(default, &mut sink, 0),
                Some(self.span(default)),
            )
        } else if nullable {
            (Value::Null, None)
        } else {
            let location = Location::Span(Span::new(
                self.file,
                decl.key_start as usize,
                decl.value.end as usize,
            ));
            self.diag(Diagnostic::warning(
                "parameter-missing",
                format!(
                    "parameter '{name}' has no default value and no value was supplied; results that depend on it are unknown (give it in a parameter file or with --parameters)"
                ),
                location,
            ));
            let kind = if secure {
                "secure parameter"
            } else {
                "parameter"
            };
            // What the declaration still says of the value: `allowedValues`
            // (for a single value), or `true`/`false` for a bool.
            let allowed: Option<Vec<Value>> =
                match decl.value.get("allowedValues").and_then(Node::as_array) {
                    Some(list) if declared_type != "array" && !list.is_empty() => {
                        Some(list.iter().map(Node::to_value).collect())
                    }
                    _ if declared_type == "bool" => {
                        Some(vec![Value::Bool(true), Value::Bool(false)])
                    }
                    _ => None,
                };
            return Value::unknown_shaped(
                format!("parameters('{name}')"),
                format!("{kind} '{name}' has no default and no value"),
                Shape {
                    present: true,
                    allowed: allowed.map(Into::into),
                    ..Shape::default()
                },
            );
        };
        let at = origin
            .map(Location::Span)
            .unwrap_or(Location::Span(self.span(&decl.value)));
        if secure {
            let mut out = self.build.out.borrow_mut();
            collect_secrets(&value, &mut out.secrets);
            if let Some(span) = origin {
                out.secret_spans.push(span);
                // A literal (no `[expression]`) holds every string of the value.
                let text = &self.build.sources.get(span.file).text();
                let literal = text
                    .get(span.start as usize..span.end as usize)
                    .is_some_and(|t| !t.replace("\"[[", "").contains("\"["));
                if literal {
                    let mut values = Vec::new();
                    collect_secrets(&value, &mut values);
                    out.located_secrets.extend(values);
                }
            }
        }
        if !value.contains_unknown() {
            if let Some(problem) = type_mismatch(&declared_type, &value, nullable) {
                self.diag(Diagnostic::error(
                    "parameter-type",
                    format!("parameter '{name}' is declared as {declared_type} but {problem}"),
                    at.clone(),
                ));
            }
            if let Some(allowed) = decl.value.get("allowedValues").and_then(Node::as_array) {
                let allowed: Vec<Value> = allowed.iter().map(Node::to_value).collect();
                let ok = match &value {
                    Value::Array(items) if declared_type == "array" => {
                        items.iter().all(|i| allowed.contains(i))
                    }
                    Value::Null if nullable => true,
                    v => allowed.contains(v),
                };
                if !ok {
                    let shown = if secure {
                        "a value".to_string()
                    } else {
                        value.to_string()
                    };
                    let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
                    self.diag(Diagnostic::error(
                        "parameter-not-allowed",
                        format!(
                            "parameter '{name}' is {shown}, which is not one of its allowedValues: {}",
                            list.join(", ")
                        ),
                        at,
                    ));
                }
            }
        }
        value
    }

    // ---- variables --------------------------------------------------------

    fn resolve_variable(&self, name: &str) -> Result<Value, String> {
        let key = name.to_ascii_lowercase();
        if let Some(v) = self.vars.borrow().get(&key) {
            return Ok(v.clone());
        }
        let vars = self
            .section("variables")
            .and_then(Node::as_members)
            .ok_or_else(|| format!("the variable '{name}' is not declared in the template"))?;
        if !self.vars_in_progress.borrow_mut().insert(key.clone()) {
            return Err(format!("the variable '{name}' refers to itself"));
        }
        let result = if let Some(m) = vars.iter().rev().find(|m| m.key.eq_ignore_ascii_case(name)) {
            let mut sink = SpanRecorder::disabled();
            Ok(self.eval_node(&m.value, &mut sink, 0))
        } else {
            // `copy` in the variables section declares array variables.
            let copy = vars
                .iter()
                .find(|m| m.key.eq_ignore_ascii_case("copy"))
                .and_then(|m| m.value.as_array())
                .and_then(|loops| {
                    loops.iter().find(|l| {
                        l.get("name")
                            .and_then(Node::as_str)
                            .is_some_and(|n| n.eq_ignore_ascii_case(name))
                    })
                });
            match copy {
                Some(l) => {
                    let mut sink = SpanRecorder::disabled();
                    Ok(self.eval_copy_array(l, &mut sink, 0))
                }
                None => Err(format!(
                    "the variable '{name}' is not declared in the template"
                )),
            }
        };
        self.vars_in_progress.borrow_mut().remove(&key);
        if let Ok(v) = &result {
            self.vars.borrow_mut().insert(key, v.clone());
        }
        result
    }

    // ---- values -----------------------------------------------------------

    /// Evaluates a template JSON value: expressions in strings, `copy`
    /// property loops in objects. Records spans into `sink`.
    fn eval_node(&self, node: &Node, sink: &mut SpanRecorder, depth: usize) -> Value {
        sink.record(self.span(node));
        if depth > 256 {
            self.error_at(
                "depth-limit",
                node,
                "the value is nested deeper than 256 levels",
            );
            return Value::unknown("…", "nested too deeply");
        }
        match &node.kind {
            NodeKind::String(s) => self.eval_string(s, node),
            NodeKind::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        sink.push_index(i);
                        let v = self.eval_node(item, sink, depth + 1);
                        sink.pop();
                        v
                    })
                    .collect(),
            ),
            NodeKind::Object(members) => {
                // Sized once: an object grown by doubling keeps a quarter of
                // its room unused (23 MiB of 80 at 10,000 ARM units).
                let mut obj = aml_model::value::object_with_capacity(members.len());
                // Of a key written twice, Azure reads the last copy.
                let skip = json::superseded(members);
                for (m, _) in members.iter().zip(skip).filter(|(_, s)| !s) {
                    if m.key.eq_ignore_ascii_case("copy") {
                        if let Some(loops) = m.value.as_array() {
                            for l in loops {
                                let Some(pname) = l.get("name").and_then(Node::as_str) else {
                                    self.error_at(
                                        "template-structure",
                                        l,
                                        "a property copy loop needs a `name`",
                                    );
                                    continue;
                                };
                                sink.push_key(pname);
                                let v = self.eval_copy_array(l, sink, depth + 1);
                                sink.pop();
                                obj.insert(pname.to_string(), v);
                            }
                            continue;
                        }
                    }
                    // Property names may be expressions too.
                    let key = if expr::is_expression(&m.key) {
                        let key_node = Node {
                            kind: NodeKind::String(m.key.clone()),
                            start: m.key_start,
                            end: m.key_start + m.key.len() as u32 + 2,
                        };
                        match self.eval_string(&m.key, &key_node) {
                            Value::String(k) => k,
                            Value::Unknown(u) => format!(
                                "[{}]",
                                u.expr.trim_start_matches('[').trim_end_matches(']')
                            ),
                            other => other.to_string(),
                        }
                    } else {
                        expr::unescape_literal(&m.key).into_owned()
                    };
                    sink.push_key(&key);
                    let v = self.eval_node(&m.value, sink, depth + 1);
                    sink.pop();
                    obj.insert(key, v);
                }
                Value::Object(obj)
            }
            _ => node.to_value(),
        }
    }

    /// A `{name, count, input}` loop: the array of `input` for each index.
    fn eval_copy_array(&self, l: &Node, sink: &mut SpanRecorder, depth: usize) -> Value {
        let name = l
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        let Some(input) = l.get("input") else {
            self.error_at(
                "template-structure",
                l,
                format!("the copy loop '{name}' needs an `input`"),
            );
            return Value::Array(vec![]);
        };
        let count = match self.copy_count(l) {
            Some(c) => c,
            None => return Value::unknown(format!("copy '{name}'"), "the loop count is not known"),
        };
        let mut items = Vec::with_capacity(count as usize);
        for i in 0..count {
            self.copy_stack
                .borrow_mut()
                .push((name.to_ascii_lowercase(), i));
            sink.push_index(i as usize);
            items.push(self.eval_node(input, sink, depth + 1));
            sink.pop();
            self.copy_stack.borrow_mut().pop();
        }
        Value::Array(items)
    }

    /// The count of a copy loop, capped at the limit; `None` when unknown.
    fn copy_count(&self, l: &Node) -> Option<i64> {
        let count_node = l.get("count");
        let count = match count_node {
            Some(n) => self.eval_node(n, &mut SpanRecorder::disabled(), 0),
            None => {
                self.error_at("template-structure", l, "a copy loop needs a `count`");
                return Some(0);
            }
        };
        let node = count_node.unwrap_or(l);
        match count {
            Value::Int(c) if c < 0 => {
                self.error_at(
                    "copy-limit",
                    node,
                    format!("the copy count {c} is negative"),
                );
                Some(0)
            }
            Value::Int(c) if c > self.build.limits.max_copy => {
                self.error_at(
                    "copy-limit",
                    node,
                    format!(
                        "the copy count {c} is above ARM's limit of {}; only the first {} copies were read",
                        self.build.limits.max_copy, self.build.limits.max_copy
                    ),
                );
                Some(self.build.limits.max_copy)
            }
            Value::Int(c) => Some(c),
            Value::Unknown(_) => None,
            other => {
                self.error_at(
                    "expression",
                    node,
                    format!(
                        "the copy count must be an integer, found {}",
                        other.type_name()
                    ),
                );
                Some(0)
            }
        }
    }

    fn eval_string(&self, s: &str, node: &Node) -> Value {
        if !expr::is_expression(s) {
            return Value::String(expr::unescape_literal(s).into_owned());
        }
        match expr::eval_str(s, self) {
            Ok(v) => v,
            Err(e) => {
                // +1 for the opening quote of the JSON string.
                let start = node.start as usize + 1 + e.offset;
                let span = Span::new(self.file, start, start + e.len.max(1));
                self.diag(Diagnostic::error(
                    "expression",
                    format!("{} in `{}`", e.message, abbreviate(s)),
                    Location::Span(span),
                ));
                Value::unknown(
                    s,
                    format!("the expression could not be evaluated: {}", e.message),
                )
            }
        }
    }

    // ---- resources ----------------------------------------------------------

    fn eval_resources_section(&self, parent: Option<&Parent>) {
        let Some(resources) = self.section("resources") else {
            return;
        };
        self.eval_resource_list(resources, parent);
    }

    fn eval_resource_list(&self, resources: &'t Node, parent: Option<&Parent>) {
        let entries: Vec<(&'t Node, Option<&'t str>)> = match &resources.kind {
            NodeKind::Array(items) => items.iter().map(|r| (r, None)).collect(),
            NodeKind::Object(members) => members
                .iter()
                .map(|m| (&m.value, Some(m.key.as_str())))
                .collect(),
            _ => {
                return self.error_at(
                    "template-structure",
                    resources,
                    format!(
                        "`resources` must be an array or an object, found {}",
                        resources.kind_name()
                    ),
                )
            }
        };
        for i in self.dependency_order(&entries) {
            let (node, symbol) = entries[i];
            self.eval_resource(node, symbol, parent);
        }
    }

    /// Whether this template's file calls `reference()` anywhere.
    fn calls_reference(&self) -> bool {
        *self
            .build
            .calls_reference
            .borrow_mut()
            .entry(self.file)
            .or_insert_with(|| {
                // Function names are case-insensitive.
                let text = self
                    .build
                    .sources
                    .get(self.file)
                    .text()
                    .to_ascii_lowercase();
                text.contains("reference(") || text.contains("reference (")
            })
    }

    /// The order to evaluate resources in: as declared, except that what a
    /// resource `dependsOn` comes first (so `reference()` finds the outputs of
    /// the deployments and the properties of the resources it names, as
    /// Azure deploys them). Cycles keep the declared order.
    fn dependency_order(&self, entries: &[(&'t Node, Option<&'t str>)]) -> Vec<usize> {
        let n = entries.len();
        let has_deps = entries.iter().any(|(node, _)| {
            node.get("dependsOn")
                .and_then(Node::as_array)
                .is_some_and(|d| !d.is_empty())
        });
        if n < 2 || !has_deps || !self.calls_reference() {
            return (0..n).collect();
        }
        let sink = &mut SpanRecorder::disabled();
        self.ordering.set(true);
        // Each entry's type and (for single resources) short name.
        let keys: Vec<(String, Option<String>)> = entries
            .iter()
            .map(|(node, _)| {
                let ty = node
                    .get("type")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string();
                let name = if node.get("copy").is_some() {
                    None
                } else {
                    match node.get("name").map(|n| self.eval_node(n, sink, 0)) {
                        Some(Value::String(s)) => Some(s),
                        Some(Value::Unknown(u)) => Some(u.placeholder()),
                        _ => None,
                    }
                };
                (ty, name)
            })
            .collect();
        let matches = |dep: &str, j: usize| -> bool {
            let (ty, name) = &keys[j];
            if entries[j]
                .1
                .is_some_and(|sym| sym.eq_ignore_ascii_case(dep))
            {
                return true;
            }
            let Some(name) = name else { return false };
            let short = name.rsplit('/').next().unwrap_or(name);
            if dep.starts_with('/') {
                let dep_type = model::resource_type_of(dep).unwrap_or_default();
                let dep_name = dep.rsplit('/').next().unwrap_or("");
                dep_type.eq_ignore_ascii_case(ty) && dep_name.eq_ignore_ascii_case(short)
            } else {
                dep.eq_ignore_ascii_case(name)
                    || dep.eq_ignore_ascii_case(short)
                    || dep.eq_ignore_ascii_case(&format!("{ty}/{name}"))
            }
        };
        let deps: Vec<Vec<usize>> = entries
            .iter()
            .enumerate()
            .map(|(i, (node, _))| {
                let mut out = Vec::new();
                for d in node
                    .get("dependsOn")
                    .and_then(Node::as_array)
                    .unwrap_or(&[])
                {
                    let value = match &d.kind {
                        NodeKind::String(text) if expr::is_expression(text) => {
                            self.eval_string(text, d)
                        }
                        NodeKind::String(text) => Value::String(text.clone()),
                        _ => continue,
                    };
                    let Some(dep) = value.as_id().map(str::to_string).or_else(|| match &value {
                        Value::Unknown(u) => Some(u.placeholder()),
                        _ => None,
                    }) else {
                        continue;
                    };
                    out.extend((0..n).filter(|&j| j != i && matches(&dep, j)));
                }
                out
            })
            .collect();
        self.ordering.set(false);
        // Depth first, without recursion: each entry after what it depends on.
        let mut state = vec![0u8; n]; // 0 new, 1 on the stack, 2 placed
        let mut order = Vec::with_capacity(n);
        for start in 0..n {
            if state[start] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some((i, next)) = stack.pop() {
                if let Some(&j) = deps[i].get(next) {
                    stack.push((i, next + 1));
                    if state[j] == 0 {
                        state[j] = 1;
                        stack.push((j, 0));
                    }
                } else {
                    state[i] = 2;
                    order.push(i);
                }
            }
        }
        order
    }

    fn eval_resource(&self, node: &'t Node, symbol: Option<&str>, parent: Option<&Parent>) {
        if !node.is_object() {
            self.error_at(
                "template-structure",
                node,
                format!("a resource must be an object, found {}", node.kind_name()),
            );
            return;
        }
        match node.get("copy") {
            Some(copy) if copy.is_object() => {
                let name = copy
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string();
                match self.copy_count(copy) {
                    Some(count) => {
                        for i in 0..count {
                            self.copy_stack
                                .borrow_mut()
                                .push((name.to_ascii_lowercase(), i));
                            let sym = symbol.map(|s| format!("{s}[{i}]"));
                            self.eval_resource_instance(node, sym.as_deref(), parent, None);
                            self.copy_stack.borrow_mut().pop();
                        }
                    }
                    None => {
                        // Unknown count: read one instance so its settings are
                        // checked; whether any is deployed is unknown.
                        self.copy_stack
                            .borrow_mut()
                            .push((name.to_ascii_lowercase(), 0));
                        let sym = symbol.map(|s| format!("{s}[0]"));
                        self.eval_resource_instance(
                            node,
                            sym.as_deref(),
                            parent,
                            Some(format!("copy '{name}' count")),
                        );
                        self.copy_stack.borrow_mut().pop();
                    }
                }
            }
            _ => self.eval_resource_instance(node, symbol, parent, None),
        }
    }

    fn take_resource_slot(&self, node: &Node) -> bool {
        let mut count = self.build.count.borrow_mut();
        if *count >= self.build.limits.max_resources {
            if !*self.build.limit_reported.borrow() {
                *self.build.limit_reported.borrow_mut() = true;
                self.error_at(
                    "resource-limit",
                    node,
                    format!(
                        "the deployment has more than {} resources; the rest were not read",
                        self.build.limits.max_resources
                    ),
                );
            }
            return false;
        }
        *count += 1;
        true
    }

    fn eval_resource_instance(
        &self,
        node: &'t Node,
        symbol: Option<&str>,
        parent: Option<&Parent>,
        unknown_condition: Option<String>,
    ) {
        let mut deployed = match unknown_condition {
            Some(expr) => Deployed::Unknown { expr },
            None => parent.map(|p| p.deployed.clone()).unwrap_or(Deployed::Yes),
        };
        if let Some(cond) = node.get("condition") {
            match self.eval_node(cond, &mut SpanRecorder::disabled(), 0) {
                Value::Bool(false) => return,
                Value::Bool(true) => {}
                Value::Unknown(u) => {
                    deployed = Deployed::Unknown {
                        expr: u.expr.clone(),
                    }
                }
                other => {
                    self.error_at(
                        "expression",
                        cond,
                        format!("a condition must be a bool, found {}", other.type_name()),
                    );
                }
            }
        }
        if !self.take_resource_slot(node) {
            return;
        }
        let ty = node
            .get("type")
            .map(|t| self.eval_node(t, &mut SpanRecorder::disabled(), 0));
        let Some(Value::String(ty)) = ty else {
            self.error_at(
                "template-structure",
                node,
                "a resource needs a string `type`",
            );
            return;
        };
        let name = match node.get("name") {
            Some(n) => match self.eval_node(n, &mut SpanRecorder::disabled(), 0) {
                Value::String(s) => s,
                Value::Unknown(u) => u.placeholder(),
                other => {
                    self.error_at(
                        "template-structure",
                        n,
                        format!(
                            "a resource name must be a string, found {}",
                            other.type_name()
                        ),
                    );
                    return;
                }
            },
            None => {
                self.error_at("template-structure", node, "a resource needs a `name`");
                return;
            }
        };
        let (full_type, full_name) = compose_type_and_name(&ty, &name, parent);
        let existing = matches!(
            node.get("existing").map(|n| &n.kind),
            Some(NodeKind::Bool(true))
        );

        // Where the resource lives: its scope, resource group or subscription.
        let scope_id = match node.get("scope") {
            Some(s) => match self.eval_node(s, &mut SpanRecorder::disabled(), 0) {
                Value::String(s) => Some(self.resolve_scope(&s)),
                // A scope with known parts (`Microsoft.X/y/[name]`) resolves
                // as a written one would.
                Value::Unknown(u) => Some(match (&u.shape.identity, u.pattern_text()) {
                    (Some(id), _) => id.clone(),
                    (None, Some(text)) => self.resolve_scope(&text),
                    (None, None) => u.placeholder(),
                }),
                _ => None,
            },
            None => None,
        };
        let target = self.deploy_into.borrow().clone();
        let target = target.as_ref().unwrap_or(&self.context);
        let (full_type, full_name, scope_id) =
            split_provider_extension(&full_type, &full_name, scope_id, target);
        let container = scope_id.clone().unwrap_or_else(|| self.target_scope_id());
        let id = model::resource_id(&container, &full_type, &full_name);

        if full_type.eq_ignore_ascii_case("Microsoft.Resources/deployments") && !existing {
            self.eval_nested_deployment(node, &id, &full_name, symbol, &deployed);
            return;
        }

        let (body, sink) = self.resource_body(node, &full_type, &full_name);
        let api_version = body
            .get("apiVersion")
            .and_then(Value::as_str)
            .map(str::to_string);
        let parent_id = parent.map(|p| p.id.clone()).or_else(|| {
            if scope_id.is_none() {
                model::parent_id(&id)
            } else {
                None
            }
        });
        let resource = Resource {
            id: id.clone(),
            resource_type: full_type.clone(),
            name: full_name.clone(),
            api_version,
            body: Value::Object(body),
            parent_id,
            scope_id,
            existing,
            deployed: deployed.clone(),
            span: self.span(node),
            symbol: symbol.map(str::to_string),
            spans: sink.into_span_map(),
            format: "arm",
            deployment: 0,
            source_names: None,
        };
        self.build.out.borrow_mut().resources.push(resource);

        if let Some(children) = node.get("resources") {
            let me = Parent {
                id,
                full_type,
                full_name,
                deployed,
            };
            self.eval_resource_list(children, Some(&me));
        }
    }

    /// A resource's body: its members but the template's own keywords
    /// (`copy`, `condition`, `dependsOn`...), evaluated, with where each was written.
    fn resource_body(
        &self,
        node: &'t Node,
        full_type: &str,
        full_name: &str,
    ) -> (Object, SpanRecorder) {
        let mut sink = SpanRecorder::new();
        let members = node.as_members().unwrap_or(&[]);
        let mut body = aml_model::value::object_with_capacity(members.len());
        body.insert("type".into(), Value::String(full_type.to_string()));
        body.insert("name".into(), Value::String(full_name.to_string()));
        const META: &[&str] = &[
            "type",
            "name",
            "copy",
            "condition",
            "dependsOn",
            "resources",
            "comments",
            "existing",
            "scope",
            "metadata",
            "batchSize",
            "decorators",
        ];
        for m in members {
            if META.iter().any(|k| k.eq_ignore_ascii_case(&m.key)) {
                continue;
            }
            sink.push_key(&m.key);
            let mut v = self.eval_node(&m.value, &mut sink, 0);
            sink.pop();
            if self.build.opened.get() {
                expr::strip_open_marks(&mut v);
            }
            body.insert(m.key.clone(), v);
        }
        (body, sink)
    }

    /// The id of what this template's resources deploy into: the
    /// deployment's scope, or the target of an outer-scope nested deployment.
    fn target_scope_id(&self) -> String {
        match self.deploy_into.borrow().as_ref() {
            Some(c) => scope_id_of(c),
            None => self.context_scope_id(),
        }
    }

    /// The id of what this template deploys into.
    fn context_scope_id(&self) -> String {
        scope_id_of(&self.context)
    }

    /// A `scope` value: a resource id, (language version 2.0) a symbolic
    /// name of a resource in the same template, or the relative form
    /// `Microsoft.X/type/name[/type/name]...` (what Bicep compiles
    /// `scope: ws` into) naming a resource of the deployment's scope.
    fn resolve_scope(&self, s: &str) -> String {
        if s.starts_with('/') {
            return s.to_string();
        }
        if let Some(resources) = self.section("resources").and_then(Node::as_members) {
            if let Some(m) = resources.iter().find(|m| m.key == s) {
                let sink = &mut SpanRecorder::disabled();
                if let (Some(Value::String(t)), Some(Value::String(n))) = (
                    m.value.get("type").map(|t| self.eval_node(t, sink, 0)),
                    m.value.get("name").map(|n| self.eval_node(n, sink, 0)),
                ) {
                    return model::resource_id(&self.context_scope_id(), &t, &n);
                }
            }
        }
        relative_scope_id(&self.target_scope_id(), s).unwrap_or_else(|| s.to_string())
    }

    // ---- nested deployments ---------------------------------------------------

    fn eval_nested_deployment(
        &self,
        node: &'t Node,
        id: &str,
        name: &str,
        symbol: Option<&str>,
        deployed: &Deployed,
    ) {
        // The deployment itself is a resource Azure holds; keep it small.
        let mut body = Object::default();
        body.insert("type".into(), Value::str("Microsoft.Resources/deployments"));
        body.insert("name".into(), Value::str(name));
        self.build.out.borrow_mut().resources.push(Resource {
            id: id.to_string(),
            resource_type: "Microsoft.Resources/deployments".into(),
            name: name.to_string(),
            api_version: node
                .get("apiVersion")
                .and_then(Node::as_str)
                .map(str::to_string),
            body: Value::Object(body),
            parent_id: None,
            scope_id: None,
            existing: false,
            deployed: deployed.clone(),
            span: self.span(node),
            symbol: symbol.map(str::to_string),
            spans: Default::default(),
            format: "arm",
            deployment: 0,
            source_names: None,
        });

        if self.depth + 1 > self.build.limits.max_depth {
            self.error_at(
                "depth-limit",
                node,
                format!(
                    "nested deployments are nested deeper than {}; '{name}' was not read",
                    self.build.limits.max_depth
                ),
            );
            return;
        }
        let Some(props) = node.get("properties") else {
            return;
        };
        // The target scope of the nested deployment (by default where this
        // template's resources deploy).
        let target = self.deploy_into.borrow().clone();
        let mut context = target.unwrap_or_else(|| self.context.clone());
        context.deployment_name = name.to_string();
        let sink = &mut SpanRecorder::disabled();
        // A name the files do not fix keeps its identity as a placeholder.
        let segment = |v: Value| match v {
            Value::String(s) => Some(s),
            Value::Unknown(u) => Some(u.placeholder()),
            _ => None,
        };
        if let Some(rg) = node
            .get("resourceGroup")
            .and_then(|n| segment(self.eval_node(n, sink, 0)))
        {
            context.resource_group = rg;
            context.scope = TargetScope::ResourceGroup;
        }
        if let Some(sub) = node
            .get("subscriptionId")
            .and_then(|n| segment(self.eval_node(n, sink, 0)))
        {
            context.subscription_id = sub;
            if node.get("resourceGroup").is_none() {
                context.scope = TargetScope::Subscription;
            }
        }

        let inner_scope = props
            .get("expressionEvaluationOptions")
            .and_then(|o| o.get("scope"))
            .and_then(Node::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"));

        // The template: inline, or linked by relative path.
        if let Some(t) = props.get("template") {
            if !t.is_object() {
                self.error_at(
                    "template-structure",
                    t,
                    "a nested template must be an object",
                );
                return;
            }
            let outputs = if inner_scope {
                let supplied = self.nested_parameters(props);
                self.eval_child_template(self.file, t, supplied, context)
            } else {
                // Outer scope: the nested template's expressions see this
                // template's parameters, variables and scope functions, and
                // its resources deploy where the deployment points.
                if let Some(resources) = t.get("resources") {
                    let before = self.deploy_into.replace(Some(context));
                    self.eval_resource_list(resources, None);
                    self.deploy_into.replace(before);
                }
                self.eval_outputs(t)
            };
            self.record_outputs(id, outputs);
        } else if let Some(link) = props.get("templateLink") {
            // A linked template always has its own scope.
            if let Some((file, linked)) = self.load_linked_template(link) {
                let supplied = self.nested_parameters(props);
                let outputs = self.eval_child_template(file, &linked, supplied, context);
                self.record_outputs(id, outputs);
            }
        }
    }

    /// Keeps a nested deployment's outputs for `reference()`.
    fn record_outputs(&self, deployment_id: &str, outputs: Value) {
        self.build
            .outputs
            .borrow_mut()
            .insert(deployment_id.to_ascii_lowercase(), outputs);
    }

    /// A template's `outputs`, evaluated in this scope, as `reference()`
    /// returns them: `{"name": {"type": ..., "value": ...}}`. An output
    /// built with `copy` is unknown.
    fn eval_outputs(&self, template: &Node) -> Value {
        let mut outputs = Object::default();
        let sink = &mut SpanRecorder::disabled();
        for m in template
            .get("outputs")
            .and_then(Node::as_members)
            .unwrap_or(&[])
        {
            let value = match m.value.get("value") {
                Some(v) if m.value.get("condition").is_none() => self.eval_node(v, sink, 0),
                _ => Value::unknown(
                    format!("outputs.{}", m.key),
                    "an output with a condition or a copy loop",
                ),
            };
            let mut entry = Object::default();
            if let Some(t) = m.value.get("type").and_then(Node::as_str) {
                entry.insert("type".into(), Value::str(t));
            }
            entry.insert("value".into(), value);
            outputs.insert(m.key.clone(), Value::Object(entry));
        }
        Value::Object(outputs)
    }

    /// The `parameters` of a nested deployment, evaluated in this scope.
    fn nested_parameters(&self, props: &Node) -> Vec<(String, Supplied)> {
        let mut supplied = Vec::new();
        for m in props
            .get("parameters")
            .and_then(Node::as_members)
            .unwrap_or(&[])
        {
            let span = Some(self.span(&m.value));
            if let NodeKind::String(text) = &m.value.kind {
                // The whole parameter as an expression, as Bicep compiles a
                // conditional module argument:
                // `"[if(c, createObject('value', x), createObject('value', null()))]"`.
                let value = match self.eval_node(&m.value, &mut SpanRecorder::disabled(), 0) {
                    Value::Object(o) => {
                        match o.iter().find(|(k, _)| k.eq_ignore_ascii_case("value")) {
                            Some((_, v)) => v.clone(),
                            None => continue,
                        }
                    }
                    Value::Unknown(u) => Value::Unknown(u),
                    _ => Value::unknown(
                        text.clone(),
                        "a nested deployment parameter that is not a `{\"value\": ...}` object",
                    ),
                };
                supplied.push((m.key.clone(), Supplied { value, span }));
            } else if let Some(v) = m.value.get("value") {
                let value = self.eval_node(v, &mut SpanRecorder::disabled(), 0);
                supplied.push((m.key.clone(), Supplied { value, span }));
            } else if m.value.get("reference").is_some() {
                let value = Value::unknown(
                    format!("Key Vault reference for '{}'", m.key),
                    "a Key Vault reference is resolved at deployment",
                );
                supplied.push((m.key.clone(), Supplied { value, span }));
            }
        }
        supplied
    }

    /// Evaluates a nested or linked template in a scope of its own; returns
    /// its outputs (see [`Scope::eval_outputs`]).
    fn eval_child_template(
        &self,
        file: FileId,
        template: &Node,
        supplied: Vec<(String, Supplied)>,
        context: DeploymentContext,
    ) -> Value {
        let child = Scope::new(
            self.build,
            file,
            template,
            supplied,
            context,
            self.depth + 1,
        );
        child.check_parameters();
        child.eval_resources_section(None);
        let outputs = child.eval_outputs(template);
        for d in child.diags.into_inner() {
            self.diag(d);
        }
        outputs
    }

    /// Loads a `templateLink` by relative path from inside the scanned tree.
    fn load_linked_template(&self, link: &Node) -> Option<(FileId, Node)> {
        let sink = &mut SpanRecorder::disabled();
        let rel = link.get("relativePath").map(|n| self.eval_node(n, sink, 0));
        let Some(Value::String(rel)) = rel else {
            let what = if link.get("uri").is_some() {
                "a remote templateLink.uri is never fetched"
            } else if link.get("id").is_some() {
                "a template spec (templateLink.id) is never fetched"
            } else {
                "the templateLink has no relativePath that can be read"
            };
            self.diag(Diagnostic::warning(
                "template-link",
                format!("{what}; the resources it deploys are not checked"),
                Location::Span(self.span(link)),
            ));
            return None;
        };
        let base = self
            .build
            .sources
            .get(self.file)
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let path = normalize_path(&base.join(&rel));
        if let Some(root) = &self.build.root_dir {
            if !aml_model::source::is_within(root, &path) {
                self.diag(Diagnostic::warning(
                    "template-link",
                    format!("the linked template '{rel}' is outside the scan's boundary (the repository, or `--root`) and was not read"),
                    Location::Span(self.span(link)),
                ));
                return None;
            }
        }
        if let Some(id) = self.build.sources.find(&path) {
            // Discovery already read it; parse it again here (cheap, and it
            // keeps the node borrow local to this build).
            let text = &self.build.sources.get(id).text();
            return match json::parse(text) {
                Ok(node) => Some((id, node)),
                Err(_) => None, // its own scan reports the syntax error
            };
        }
        self.diag(Diagnostic::warning(
            "template-link",
            format!("the linked template '{rel}' was not found in the scanned files"),
            Location::Span(self.span(link)),
        ));
        None
    }
}

/// The parent of a nested child resource.
struct Parent {
    id: String,
    full_type: String,
    full_name: String,
    deployed: Deployed,
}

impl ExprEnv for Scope<'_, '_> {
    fn parameter(&self, name: &str) -> Result<Value, String> {
        self.resolve_parameter(name)
    }

    fn variable(&self, name: &str) -> Result<Value, String> {
        self.resolve_variable(name)
    }

    fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, String> {
        let stack = self.copy_stack.borrow();
        match loop_name {
            None => stack
                .last()
                .map(|(_, i)| *i)
                .ok_or_else(|| "copyIndex() is only allowed inside a copy loop".to_string()),
            Some(n) => stack
                .iter()
                .rev()
                .find(|(l, _)| l.eq_ignore_ascii_case(n))
                .map(|(_, i)| *i)
                .ok_or_else(|| format!("there is no copy loop named '{n}' here")),
        }
    }

    fn context(&self) -> &DeploymentContext {
        &self.context
    }

    /// `reference()`: a nested deployment evaluated before this expression
    /// gives its outputs; a resource of this deployment its properties as
    /// declared (with `'Full'`, the whole resource), where what the files do
    /// not declare (`principalId`, `discoveryUrl`, ...) is unknown. Anything
    /// else is unknown.
    fn reference(&self, target: &Value, _api_version: Option<&Value>, full: bool) -> Value {
        let shown = match target {
            Value::String(s) => format!("'{s}'"),
            Value::Unknown(u) => u.expr.clone(),
            other => other.to_string(),
        };
        let f = if full { ", 'Full'" } else { "" };
        let unknown = || {
            Value::unknown(
                format!("reference({shown}{f})"),
                "a runtime property of a deployed resource",
            )
        };
        let Some(t) = target.as_id() else {
            return unknown();
        };
        let deployment_id = if t.starts_with('/') {
            t.to_string()
        } else {
            model::resource_id(
                &self.context_scope_id(),
                "Microsoft.Resources/deployments",
                t,
            )
        };
        let outputs = self
            .build
            .outputs
            .borrow()
            .get(&deployment_id.to_ascii_lowercase())
            .cloned();
        let mut value = if let Some(outputs) = outputs {
            let mut o = Object::default();
            o.insert("outputs".into(), outputs);
            if full {
                let mut whole = Object::default();
                whole.insert("properties".into(), Value::Object(o));
                Value::Object(whole)
            } else {
                Value::Object(o)
            }
        } else {
            let out = self.build.out.borrow();
            let candidates: Vec<&Resource> = if t.starts_with('/') {
                out.resources
                    .iter()
                    .filter(|r| model::match_ids(t, &r.id) == model::IdMatch::Same)
                    .collect()
            } else {
                out.resources
                    .iter()
                    .filter(|r| {
                        !r.is_type("Microsoft.Resources/deployments")
                            && (r.name.eq_ignore_ascii_case(t)
                                || r.name
                                    .rsplit('/')
                                    .next()
                                    .is_some_and(|n| n.eq_ignore_ascii_case(t)))
                    })
                    .collect()
            };
            let [r] = candidates.as_slice() else {
                return unknown();
            };
            if full {
                let mut whole = r.body.clone();
                if let Some(o) = whole.as_object_mut() {
                    // Azure returns the id: known, or an id that keeps the
                    // identity of the unknowns in its name.
                    let id = if model::has_placeholder(&r.id) {
                        Value::unknown_shaped(
                            format!("reference({shown}{f}).id"),
                            "the id of a resource whose name the files do not fix",
                            Shape::resource_id(&r.id, Some(&r.resource_type)),
                        )
                    } else {
                        Value::String(r.id.clone())
                    };
                    o.insert("id".into(), id);
                }
                whole
            } else {
                r.body
                    .get("properties")
                    .cloned()
                    .unwrap_or_else(|| Value::Object(Object::default()))
            }
        };
        expr::mark_open(&mut value);
        self.build.opened.set(true);
        value
    }

    fn user_function(
        &self,
        namespace: &str,
        name: &str,
        args: Vec<Value>,
    ) -> Option<Result<Value, String>> {
        let functions = self.section("functions")?.as_array()?;
        let ns = functions.iter().find(|f| {
            f.get("namespace")
                .and_then(Node::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(namespace))
        })?;
        let member = ns.get("members")?.member(name)?;
        let def = &member.value;
        let params: Vec<&str> = def
            .get("parameters")
            .and_then(Node::as_array)
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| p.get("name").and_then(Node::as_str))
                    .collect()
            })
            .unwrap_or_default();
        if params.len() != args.len() {
            return Some(Err(format!(
                "the function '{namespace}.{name}' takes {} argument(s), {} given",
                params.len(),
                args.len()
            )));
        }
        let Some(output) = def.get("output").and_then(|o| o.get("value")) else {
            return Some(Err(format!(
                "the function '{namespace}.{name}' has no output value"
            )));
        };
        let env = FunctionScope {
            outer: self,
            params: params.into_iter().map(str::to_string).zip(args).collect(),
        };
        Some(Ok(env.eval(output)))
    }
}

/// The scope inside a user-defined function: only its own parameters.
struct FunctionScope<'s, 'b, 't> {
    outer: &'s Scope<'b, 't>,
    params: Vec<(String, Value)>,
}

impl FunctionScope<'_, '_, '_> {
    fn eval(&self, node: &Node) -> Value {
        match &node.kind {
            NodeKind::String(s) if expr::is_expression(s) => match expr::eval_str(s, self) {
                Ok(v) => v,
                Err(e) => {
                    self.outer.error_at(
                        "expression",
                        node,
                        format!("{} in `{}`", e.message, abbreviate(s)),
                    );
                    Value::unknown(s.as_str(), e.message)
                }
            },
            NodeKind::String(s) => Value::String(expr::unescape_literal(s).into_owned()),
            NodeKind::Array(items) => Value::Array(items.iter().map(|i| self.eval(i)).collect()),
            NodeKind::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|m| (m.key.clone(), self.eval(&m.value)))
                    .collect(),
            ),
            _ => node.to_value(),
        }
    }
}

impl ExprEnv for FunctionScope<'_, '_, '_> {
    fn parameter(&self, name: &str) -> Result<Value, String> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("the function has no parameter '{name}'"))
    }
    fn variable(&self, name: &str) -> Result<Value, String> {
        Err(format!(
            "variables('{name}') cannot be used inside a user-defined function"
        ))
    }
    fn copy_index(&self, _: Option<&str>) -> Result<i64, String> {
        Err("copyIndex() cannot be used inside a user-defined function".into())
    }
    fn context(&self) -> &DeploymentContext {
        &self.outer.context
    }
    fn reference(&self, _: &Value, _: Option<&Value>, _: bool) -> Value {
        Value::unknown(
            "reference()",
            "reference() cannot be used inside a user-defined function",
        )
    }
    fn user_function(
        &self,
        namespace: &str,
        name: &str,
        args: Vec<Value>,
    ) -> Option<Result<Value, String>> {
        self.outer.user_function(namespace, name, args)
    }
}

/// Full type and name of a resource, composed with its parent's for a nested child.
fn compose_type_and_name(ty: &str, name: &str, parent: Option<&Parent>) -> (String, String) {
    match parent {
        None => (ty.to_string(), name.to_string()),
        Some(p) => {
            // A nested child may give its type fully qualified.
            let qualified = ty.split('/').next().is_some_and(|ns| ns.contains('.'));
            if qualified {
                let full_name = if name.matches('/').count() + 1 == ty.matches('/').count() {
                    name.to_string()
                } else {
                    format!("{}/{}", p.full_name, name)
                };
                (ty.to_string(), full_name)
            } else {
                (
                    format!("{}/{}", p.full_type, ty),
                    format!("{}/{}", p.full_name, name),
                )
            }
        }
    }
}

/// The id of the scope a deployment context deploys into.
pub fn scope_id_of(context: &DeploymentContext) -> String {
    match context.scope {
        TargetScope::ResourceGroup => [
            "/subscriptions/",
            context.subscription_id.as_str(),
            "/resourceGroups/",
            context.resource_group.as_str(),
        ]
        .concat(),
        TargetScope::Subscription => ["/subscriptions/", context.subscription_id.as_str()].concat(),
        TargetScope::ManagementGroup => format!(
            "/providers/Microsoft.Management/managementGroups/{}",
            context.management_group.as_deref().unwrap_or("mg")
        ),
        TargetScope::Tenant => String::new(),
    }
}

/// The id a relative extension scope `Namespace/type/name[/type/name]...`
/// names under `container`, or `None` when `s` does not have that shape (a
/// namespace with a dot, then non-empty type/name pairs).
fn relative_scope_id(container: &str, s: &str) -> Option<String> {
    let segments: Vec<&str> = s.split('/').collect();
    let shaped = segments.len() >= 3
        && segments.len() % 2 == 1
        && segments[0].contains('.')
        && segments.iter().all(|seg| !seg.trim().is_empty());
    shaped.then(|| format!("{}/providers/{s}", container.trim_end_matches('/')))
}

/// The older extension-resource form: type `Microsoft.X/t/providers/Microsoft.Y/u`
/// with name `n/Microsoft.Y/m` deploys `Microsoft.Y/u` named `m` on `Microsoft.X/t/n`.
fn split_provider_extension(
    full_type: &str,
    full_name: &str,
    scope_id: Option<String>,
    ctx: &DeploymentContext,
) -> (String, String, Option<String>) {
    let lower = full_type.to_ascii_lowercase();
    if let Some(idx) = lower.find("/providers/") {
        let target_type = &full_type[..idx];
        let ext_type = &full_type[idx + "/providers/".len()..];
        let target_segments = target_type.matches('/').count();
        let names: Vec<&str> = full_name.split('/').collect();
        if names.len() > target_segments + 1 {
            let target_name = names[..target_segments].join("/");
            let ext_name = names[target_segments + 1..].join("/");
            let rg_scope = format!(
                "/subscriptions/{}/resourceGroups/{}",
                ctx.subscription_id, ctx.resource_group
            );
            let target_id = model::resource_id(&rg_scope, target_type, &target_name);
            return (ext_type.to_string(), ext_name, Some(target_id));
        }
    }
    (full_type.to_string(), full_name.to_string(), scope_id)
}

pub use aml_model::source::normalize_path;

/// Describes how a parameter value fails its declared type, if it does.
fn type_mismatch(declared: &str, v: &Value, nullable: bool) -> Option<String> {
    if matches!(v, Value::Null) && nullable {
        return None;
    }
    let ok = match declared {
        "string" | "securestring" => matches!(v, Value::String(_)),
        "int" => matches!(v, Value::Int(_)),
        "bool" => matches!(v, Value::Bool(_)),
        "object" | "secureobject" => matches!(v, Value::Object(_)),
        "array" => matches!(v, Value::Array(_)),
        _ => true,
    };
    (!ok).then(|| format!("its value is {}", describe_type(v)))
}

fn describe_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Int(_) | Value::Float(_) => "a number",
        Value::Bool(_) => "a bool",
        Value::Object(_) => "an object",
        Value::Array(_) => "an array",
        Value::Null => "null",
        Value::Unknown(_) => "unknown",
    }
}

/// True for a default value that holds a secret written as a literal: a
/// non-empty string that is not an expression, or an object or array with
/// such a string inside.
fn is_literal_secret(node: &Node) -> bool {
    fn walk(node: &Node, depth: usize) -> bool {
        if depth > 32 {
            return false;
        }
        match &node.kind {
            NodeKind::String(s) => !s.is_empty() && (!s.starts_with('[') || s.starts_with("[[")),
            NodeKind::Array(items) => items.iter().any(|i| walk(i, depth + 1)),
            NodeKind::Object(members) => members.iter().any(|m| walk(&m.value, depth + 1)),
            _ => false,
        }
    }
    walk(node, 0)
}

/// Adds every string inside a secure value to the secrets to redact.
fn collect_secrets(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() >= 4 && !out.contains(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|i| collect_secrets(i, out)),
        Value::Object(o) => o.values().for_each(|i| collect_secrets(i, out)),
        _ => {}
    }
}

fn abbreviate(s: &str) -> String {
    if s.chars().count() <= 120 {
        s.to_string()
    } else {
        let head: String = s.chars().take(117).collect();
        format!("{head}...")
    }
}

#[cfg(test)]
mod tests {
    use super::azd_variable;

    #[test]
    fn azd_substitutions_are_recognised() {
        assert_eq!(azd_variable("${AZURE_LOCATION}"), Some("AZURE_LOCATION"));
        assert_eq!(azd_variable("${USE_SEARCH=true}"), Some("USE_SEARCH"));
        assert_eq!(azd_variable("${A}-${B}"), None);
        assert_eq!(azd_variable("westeurope"), None);
        assert_eq!(azd_variable("${}"), None);
        assert_eq!(azd_variable("${1X}"), None);
    }
}
