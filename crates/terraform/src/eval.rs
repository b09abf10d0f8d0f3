//! Terraform evaluation: variables (with their types and `optional()`
//! defaults), locals, references between resources, data sources and module
//! outputs, `count`/`for_each`, `dynamic` blocks, conditionals, `for`
//! expressions, splats, templates and the common functions.
//!
//! Evaluation is lazy and memoised per module instance, as Terraform's own
//! graph walk would order it; a cycle or a value the files do not fix gives a
//! [`Value::Unknown`] carrying the HCL text. Every loop and every recursion
//! is bounded.

use super::functions;
use super::hcl::{span_of, text_of};
use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::source::{FileId, SourceMap, Span};
use aml_model::value::{placeholder_of, Fragment, Object, Shape, Value};
use aml_model::{FastMap as HashMap, FastSet as HashSet};
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Attribute, Block, Body};
use hcl_edit::template::{Directive, Element, Template};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

use crate::values::{to_num, to_str, values_equal, RESOURCE_MARK};

/// Most instances one `count`/`for_each` expands to.
pub const MAX_INSTANCES: usize = 1000;
const MAX_DEPTH: usize = 96;
const MAX_STEPS: u64 = 5_000_000;

/// An evaluation error; inside `try`/`can` it selects the fallback.
#[derive(Debug, Clone)]
pub struct EvalErr(pub String);

pub type EvalResult = Result<Value, EvalErr>;

fn err<T>(m: impl Into<String>) -> Result<T, EvalErr> {
    Err(EvalErr(m.into()))
}

/// A `variable` block.
pub struct VarDecl<'a> {
    pub name: String,
    pub file: FileId,
    pub block: &'a Block,
}

impl VarDecl<'_> {
    /// Whether the variable's declared type is `string`.
    pub fn declared_string(&self) -> bool {
        self.block
            .body
            .get_attribute("type")
            .is_some_and(|t| matches!(Ty::parse(&t.value), Ty::String))
    }
}

/// A `resource` or `data` block.
pub struct ResDecl<'a> {
    pub data: bool,
    pub rtype: String,
    pub name: String,
    pub file: FileId,
    pub block: &'a Block,
}

/// Where a `module` block's source leads.
#[derive(Clone, Debug)]
pub enum CallTarget {
    /// A folder of the scan (index into the module list).
    Local(usize),
    /// Registry, git, or a folder outside the scanned tree: not followed.
    NotFollowed(String),
}

/// A `module` block.
pub struct CallDecl<'a> {
    pub name: String,
    pub file: FileId,
    pub block: &'a Block,
    pub target: CallTarget,
}

/// A folder of `.tf` files.
pub struct Module<'a> {
    pub dir: PathBuf,
    pub files: Vec<FileId>,
    pub variables: Vec<VarDecl<'a>>,
    pub locals: HashMap<String, (FileId, &'a Attribute)>,
    pub resources: Vec<ResDecl<'a>>,
    pub calls: Vec<CallDecl<'a>>,
    pub outputs: HashMap<String, (FileId, &'a Attribute)>,
    /// The `azurerm` version constraint in `required_providers`, if any.
    pub azurerm_constraint: Option<String>,
}

impl<'a> Module<'a> {
    /// Collects the declarations of a folder's parsed files.
    pub fn new(dir: PathBuf, bodies: &[(FileId, &'a Body)]) -> Module<'a> {
        let mut m = Module {
            dir,
            files: bodies.iter().map(|(f, _)| *f).collect(),
            variables: Vec::new(),
            locals: HashMap::default(),
            resources: Vec::new(),
            calls: Vec::new(),
            outputs: HashMap::default(),
            azurerm_constraint: None,
        };
        for (file, body) in bodies {
            for block in body.blocks() {
                let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
                match (block.ident.as_str(), labels.as_slice()) {
                    ("variable", [name]) => m.variables.push(VarDecl {
                        name: name.to_string(),
                        file: *file,
                        block,
                    }),
                    ("locals", _) => {
                        for a in block.body.attributes() {
                            m.locals.insert(a.key.as_str().to_string(), (*file, a));
                        }
                    }
                    ("output", [name]) => {
                        if let Some(a) = block.body.get_attribute("value") {
                            m.outputs.insert(name.to_string(), (*file, a));
                        }
                    }
                    ("resource", [t, n]) | ("data", [t, n]) => m.resources.push(ResDecl {
                        data: block.ident.as_str() == "data",
                        rtype: t.to_string(),
                        name: n.to_string(),
                        file: *file,
                        block,
                    }),
                    ("module", [name]) => m.calls.push(CallDecl {
                        name: name.to_string(),
                        file: *file,
                        block,
                        target: CallTarget::NotFollowed(String::new()),
                    }),
                    ("terraform", _) => {
                        for rp in block.body.get_blocks("required_providers") {
                            if let Some(a) = rp.body.get_attribute("azurerm") {
                                if let Some(Expression::Object(o)) = Some(&a.value) {
                                    for (k, v) in o.iter() {
                                        if object_key_name(k).as_deref() == Some("version") {
                                            if let Some(s) = v.expr().as_str() {
                                                m.azurerm_constraint = Some(s.to_string());
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        m
    }

    /// The literal `source` of a module call.
    pub fn call_source(call: &CallDecl<'_>) -> Option<String> {
        call.block
            .body
            .get_attribute("source")
            .and_then(|a| a.value.as_str().map(str::to_string))
    }
}

/// The literal name of an object key (`name = ...` or `"name" = ...`).
pub fn object_key_name(k: &ObjectKey) -> Option<String> {
    match k {
        ObjectKey::Ident(i) => Some(i.as_str().to_string()),
        ObjectKey::Expression(e) => match e {
            Expression::String(s) => Some(s.as_str().to_string()),
            Expression::Variable(v) => Some(v.as_str().to_string()),
            _ => None,
        },
    }
}

/// The key of one instance of an expanded resource or module.
#[derive(Clone, Debug, PartialEq)]
pub enum InstanceKey {
    None,
    Index(i64),
    Key(String),
    /// `count`/`for_each` the files do not fix.
    Unknown,
}

impl InstanceKey {
    /// The address suffix: `[0]`, `["a"]`, or nothing.
    pub fn suffix(&self) -> String {
        match self {
            InstanceKey::None => String::new(),
            InstanceKey::Index(i) => format!("[{i}]"),
            InstanceKey::Key(k) => format!("[{k:?}]"),
            InstanceKey::Unknown => "[*]".to_string(),
        }
    }
}

/// One evaluated instance of a resource block.
#[derive(Clone, Debug)]
pub struct ResInstance {
    pub key: InstanceKey,
    /// Full address (`module.ml.azurerm_x.this[0]`).
    pub address: String,
    /// The evaluated arguments; nested blocks are lists of objects.
    pub config: Value,
    /// Span of the text that set each argument path (`identity[0].type`,
    /// `body.properties.publicNetworkAccess`).
    pub spans: BTreeMap<String, Span>,
    /// The `count`/`for_each` expression when it is not known.
    pub unknown_condition: Option<String>,
}

/// The instances a `module` block expands to: key and instance index.
pub type ChildInstances = Rc<Vec<(InstanceKey, usize)>>;

/// One instance of a module (the root, or a `module` block's instance).
pub struct Instance {
    pub module: usize,
    /// Address prefix: empty for the root, `module.ml.` for a child.
    pub prefix: String,
    pub vars: HashMap<String, Value>,
    /// The expression of an unknown `count`/`for_each` of this or an enclosing module call.
    pub unknown_condition: Option<String>,
    locals: RefCell<HashMap<String, Value>>,
    resources: RefCell<HashMap<usize, Rc<Vec<ResInstance>>>>,
    /// The value a reference to each resource gives (by declaration index),
    /// built once: mapping a resource for its `id` costs as much as mapping
    /// it for the model, and most resources are referenced several times.
    refs: RefCell<HashMap<usize, Rc<Value>>>,
    children: RefCell<HashMap<usize, ChildInstances>>,
    in_progress: RefCell<HashSet<String>>,
}

/// Computes the value a reference to a resource instance's `id` gives.
pub type IdOf<'f> = dyn Fn(&str, &ResInstance) -> Option<String> + 'f;

/// The evaluator of one root module and the modules it calls.
pub struct Evaluator<'a> {
    pub sources: &'a SourceMap,
    pub modules: &'a [Module<'a>],
    pub instances: RefCell<Vec<Rc<Instance>>>,
    pub diagnostics: RefCell<Vec<Diagnostic>>,
    /// Values of sensitive variables, to redact (and, for the IM-8 rules,
    /// values that are not written in plain sight).
    pub secrets: RefCell<Vec<String>>,
    /// Sensitive variables with a literal default (name, span of the default).
    pub secure_defaults: RefCell<Vec<(String, Span)>>,
    id_of: &'a IdOf<'a>,
    depth: Cell<usize>,
    steps: Cell<u64>,
}

/// Local names bound while evaluating (`each`, `count`, `for` variables,
/// `dynamic` iterators).
pub type Scope = Vec<(String, Value)>;

impl<'a> Evaluator<'a> {
    /// An evaluator; `id_of` gives the canonical id of a mapped resource.
    pub fn new(sources: &'a SourceMap, modules: &'a [Module<'a>], id_of: &'a IdOf<'a>) -> Self {
        Evaluator {
            sources,
            modules,
            instances: RefCell::new(Vec::new()),
            diagnostics: RefCell::new(Vec::new()),
            secrets: RefCell::new(Vec::new()),
            secure_defaults: RefCell::new(Vec::new()),
            id_of,
            depth: Cell::new(0),
            steps: Cell::new(0),
        }
    }

    fn text(&self, file: FileId, item: &dyn hcl_edit::Span) -> String {
        text_of(&self.sources.get(file).text(), item).to_string()
    }

    fn warn(&self, code: &'static str, message: String, span: Span) {
        let d = Diagnostic::warning(code, message, Location::Span(span));
        let mut ds = self.diagnostics.borrow_mut();
        if !ds.contains(&d) {
            ds.push(d);
        }
    }

    fn info(&self, code: &'static str, message: String, span: Span) {
        let d = Diagnostic::info(code, message, Location::Span(span));
        let mut ds = self.diagnostics.borrow_mut();
        if !ds.contains(&d) {
            ds.push(d);
        }
    }

    /// The only values a variable's `validation` conditions admit, when they
    /// say so in a form read here: `contains([...], var.x)`, `var.x == v`
    /// (either side), and `&&` / `||` of those, over constant lists and
    /// values. `None` when no condition restricts it that way.
    fn validation_allowed(&self, v: &VarDecl<'_>) -> Option<Vec<Value>> {
        let mut allowed: Option<Vec<Value>> = None;
        for block in v.block.body.get_blocks("validation") {
            let Some(cond) = block.body.get_attribute("condition") else {
                continue;
            };
            if let Some(set) = self.admitted(v, &cond.value, 0) {
                allowed = Some(match allowed {
                    None => set,
                    Some(prev) => prev.into_iter().filter(|x| set.contains(x)).collect(),
                });
            }
        }
        allowed.filter(|a| !a.is_empty())
    }

    /// The values of `var.<name>` for which `e` holds, when `e` has one of the
    /// forms [`Self::validation_allowed`] reads.
    fn admitted(&self, v: &VarDecl<'_>, e: &Expression, depth: usize) -> Option<Vec<Value>> {
        use hcl_edit::expr::BinaryOperator as Op;
        if depth > 16 {
            return None;
        }
        let is_var = |x: &Expression| match x {
            Expression::Traversal(t) => {
                matches!(&t.expr, Expression::Variable(n) if n.as_str() == "var")
                    && t.operators.len() == 1
                    && matches!(t.operators[0].value(), TraversalOperator::GetAttr(a) if a.as_str() == v.name)
            }
            _ => false,
        };
        let constant = |x: &Expression| {
            let c = self.eval_const(v.file, x);
            (!c.contains_unknown()).then_some(c)
        };
        match e {
            Expression::Parenthesis(p) => self.admitted(v, p.inner(), depth + 1),
            Expression::FuncCall(fc)
                if fc.name.name.as_str() == "contains" && fc.args.len() == 2 =>
            {
                let args: Vec<&Expression> = fc.args.iter().collect();
                if !is_var(args[1]) {
                    return None;
                }
                match constant(args[0])? {
                    Value::Array(list) => Some(list),
                    _ => None,
                }
            }
            Expression::BinaryOp(b) => match *b.operator.value() {
                Op::Eq if is_var(&b.lhs_expr) => constant(&b.rhs_expr).map(|c| vec![c]),
                Op::Eq if is_var(&b.rhs_expr) => constant(&b.lhs_expr).map(|c| vec![c]),
                Op::And => {
                    let (l, r) = (
                        self.admitted(v, &b.lhs_expr, depth + 1),
                        self.admitted(v, &b.rhs_expr, depth + 1),
                    );
                    match (l, r) {
                        (Some(l), Some(r)) => {
                            Some(l.into_iter().filter(|x| r.contains(x)).collect())
                        }
                        (Some(x), None) | (None, Some(x)) => Some(x),
                        (None, None) => None,
                    }
                }
                Op::Or => {
                    let mut l = self.admitted(v, &b.lhs_expr, depth + 1)?;
                    for x in self.admitted(v, &b.rhs_expr, depth + 1)? {
                        if !l.contains(&x) {
                            l.push(x);
                        }
                    }
                    Some(l)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Creates a module instance with its input values (already evaluated).
    /// Variables without a value take their default; all are converted to
    /// their declared type.
    pub fn instantiate(
        &self,
        module: usize,
        prefix: String,
        inputs: &HashMap<String, Value>,
        unknown_condition: Option<String>,
        root: bool,
    ) -> usize {
        let m = &self.modules[module];
        let mut vars = HashMap::default();
        for v in &m.variables {
            let body = &v.block.body;
            let ty = body
                .get_attribute("type")
                .map(|a| Ty::parse(&a.value))
                .unwrap_or(Ty::Any);
            let nullable = body
                .get_attribute("nullable")
                .and_then(|a| a.value.as_bool())
                .unwrap_or(true);
            let default = body
                .get_attribute("default")
                .map(|a| self.eval_const(v.file, &a.value));
            let sensitive = body
                .get_attribute("sensitive")
                .and_then(|a| a.value.as_bool())
                .unwrap_or(false);
            if sensitive {
                if let (Some(a), Some(d)) = (body.get_attribute("default"), &default) {
                    let literal = matches!(d, Value::String(s) if !s.is_empty())
                        || matches!(d, Value::Object(o) if !o.is_empty());
                    let span = span_of(v.file, &a.value);
                    let mut sd = self.secure_defaults.borrow_mut();
                    if literal && !sd.iter().any(|(_, s)| *s == span) {
                        sd.push((v.name.clone(), span));
                    }
                }
            }
            let given = inputs.get(&v.name).cloned();
            let value = match (given, default) {
                (Some(Value::Null), Some(d)) if !nullable => d,
                (Some(g), _) => g,
                (None, Some(d)) => d,
                (None, None) => {
                    if root {
                        self.warn(
                            "terraform-variable-missing",
                            format!(
                                "variable `{}` has no default and no value (use --var or --var-file); what depends on it is unknown",
                                v.name
                            ),
                            span_of(v.file, v.block),
                        );
                    }
                    // What its `validation` blocks admit, or a bool's two values.
                    let allowed = self.validation_allowed(v).or_else(|| {
                        matches!(ty, Ty::Bool).then(|| vec![Value::Bool(true), Value::Bool(false)])
                    });
                    Value::unknown_shaped(
                        format!("var.{}", v.name),
                        if sensitive {
                            "a sensitive variable (secure parameter) with no value in the files"
                        } else {
                            "the variable has no value"
                        },
                        Shape {
                            present: !nullable,
                            allowed: allowed.map(Into::into),
                            ..Shape::default()
                        },
                    )
                }
            };
            let value = ty.convert(&value, self);
            if sensitive {
                collect_strings(&value, &mut self.secrets.borrow_mut());
            }
            vars.insert(v.name.clone(), value);
        }
        let inst = Instance {
            module,
            prefix,
            vars,
            unknown_condition,
            locals: RefCell::default(),
            resources: RefCell::default(),
            refs: RefCell::default(),
            children: RefCell::default(),
            in_progress: RefCell::default(),
        };
        let mut all = self.instances.borrow_mut();
        all.push(Rc::new(inst));
        all.len() - 1
    }

    fn inst(&self, i: usize) -> Rc<Instance> {
        self.instances.borrow()[i].clone()
    }

    /// Evaluates an expression that may not refer to anything (defaults,
    /// `.tfvars` values, `optional()` defaults).
    pub fn eval_const(&self, file: FileId, e: &Expression) -> Value {
        // Instance index usize::MAX: every reference is unknown.
        match self.eval(usize::MAX, file, &mut Vec::new(), e) {
            Ok(v) => v,
            Err(EvalErr(m)) => Value::unknown(self.text(file, e), m),
        }
    }

    fn step(&self) -> Result<(), EvalErr> {
        let s = self.steps.get() + 1;
        self.steps.set(s);
        if s > MAX_STEPS {
            return err("evaluation step limit reached");
        }
        Ok(())
    }

    /// Evaluates an expression in a module instance.
    pub fn eval(&self, inst: usize, file: FileId, scope: &mut Scope, e: &Expression) -> EvalResult {
        self.step()?;
        let d = self.depth.get();
        if d > MAX_DEPTH {
            return err("expression nesting limit reached");
        }
        self.depth.set(d + 1);
        let r = self.eval_inner(inst, file, scope, e);
        self.depth.set(d);
        r
    }

    fn eval_inner(
        &self,
        inst: usize,
        file: FileId,
        scope: &mut Scope,
        e: &Expression,
    ) -> EvalResult {
        Ok(match e {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(**b),
            Expression::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            Expression::String(s) => Value::String(s.to_string()),
            Expression::Array(a) => {
                let mut out = Vec::new();
                for x in a.iter() {
                    out.push(self.eval(inst, file, scope, x)?);
                }
                Value::Array(out)
            }
            Expression::Object(o) => {
                let mut out = Object::default();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(Expression::Variable(v)) => v.as_str().to_string(),
                        ObjectKey::Expression(ke) => {
                            let kv = self.eval(inst, file, scope, ke)?;
                            match to_str(&kv) {
                                Some(s) => s,
                                None if kv.is_unknown() => {
                                    return Ok(Value::unknown(
                                        self.text(file, e),
                                        "an object key is unknown",
                                    ))
                                }
                                None => {
                                    return err(format!(
                                        "object key must be a string, not {}",
                                        kv.type_name()
                                    ))
                                }
                            }
                        }
                    };
                    let val = self.eval(inst, file, scope, v.expr())?;
                    out.insert(key, val);
                }
                Value::Object(out)
            }
            Expression::StringTemplate(t) => self.template(inst, file, scope, t, e)?,
            Expression::HeredocTemplate(h) => self.template(inst, file, scope, &h.template, e)?,
            Expression::Parenthesis(p) => self.eval(inst, file, scope, p.inner())?,
            Expression::Variable(v) => self.traverse(inst, file, scope, v.as_str(), &[], e)?,
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => {
                    self.traverse(inst, file, scope, v.as_str(), &t.operators, e)?
                }
                other => {
                    let base = self.eval(inst, file, scope, other)?;
                    self.apply_ops(inst, file, scope, base, &t.operators, e)?
                }
            },
            Expression::Conditional(c) => {
                let cond = self.eval(inst, file, scope, &c.cond_expr)?;
                match cond {
                    Value::Bool(true) => self.eval(inst, file, scope, &c.true_expr)?,
                    Value::Bool(false) => self.eval(inst, file, scope, &c.false_expr)?,
                    Value::String(s) if s == "true" => {
                        self.eval(inst, file, scope, &c.true_expr)?
                    }
                    Value::String(s) if s == "false" => {
                        self.eval(inst, file, scope, &c.false_expr)?
                    }
                    Value::Unknown(u) => {
                        let a = self.eval(inst, file, scope, &c.true_expr);
                        let b = self.eval(inst, file, scope, &c.false_expr);
                        match (a, b) {
                            (Ok(a), Ok(b)) if a == b && !a.contains_unknown() => a,
                            _ => Value::unknown(
                                self.text(file, e),
                                format!("the condition depends on {}", u.expr),
                            ),
                        }
                    }
                    other => {
                        return err(format!(
                            "a condition must be a bool, not {}",
                            other.type_name()
                        ))
                    }
                }
            }
            Expression::UnaryOp(u) => {
                let v = self.eval(inst, file, scope, &u.expr)?;
                if v.is_unknown() {
                    return Ok(Value::unknown(self.text(file, e), "the operand is unknown"));
                }
                match (*u.operator, v) {
                    (hcl_edit::expr::UnaryOperator::Not, Value::Bool(b)) => Value::Bool(!b),
                    (hcl_edit::expr::UnaryOperator::Neg, Value::Int(i)) => {
                        Value::Int(i.saturating_neg())
                    }
                    (hcl_edit::expr::UnaryOperator::Neg, Value::Float(f)) => Value::Float(-f),
                    (op, v) => {
                        return err(format!("operator {op} cannot apply to {}", v.type_name()))
                    }
                }
            }
            Expression::BinaryOp(b) => self.binary(inst, file, scope, b, e)?,
            Expression::ForExpr(f) => self.for_expr(inst, file, scope, f, e)?,
            Expression::FuncCall(fc) => self.call(inst, file, scope, fc, e)?,
        })
    }

    fn binary(
        &self,
        inst: usize,
        file: FileId,
        scope: &mut Scope,
        b: &hcl_edit::expr::BinaryOp,
        e: &Expression,
    ) -> EvalResult {
        use hcl_edit::expr::BinaryOperator as Op;
        let op = *b.operator.value();
        let l = self.eval(inst, file, scope, &b.lhs_expr)?;
        // Short-circuit on known booleans.
        match (op, &l) {
            (Op::And, Value::Bool(false)) => return Ok(Value::Bool(false)),
            (Op::Or, Value::Bool(true)) => return Ok(Value::Bool(true)),
            _ => {}
        }
        let r = self.eval(inst, file, scope, &b.rhs_expr)?;
        if matches!(op, Op::And | Op::Or) {
            return Ok(match (op, &l, &r) {
                (Op::And, _, Value::Bool(false)) => Value::Bool(false),
                (Op::Or, _, Value::Bool(true)) => Value::Bool(true),
                (_, Value::Bool(x), Value::Bool(y)) => {
                    Value::Bool(if op == Op::And { *x && *y } else { *x || *y })
                }
                _ if l.is_unknown() || r.is_unknown() => {
                    Value::unknown(self.text(file, e), "an operand is unknown")
                }
                _ => return err("logical operators need bools"),
            });
        }
        if matches!(op, Op::Eq | Op::NotEq) {
            // Comparing with null is known unless the value itself is unknown.
            if (l == Value::Null && !r.is_unknown()) || (r == Value::Null && !l.is_unknown()) {
                let eq = l == r;
                return Ok(Value::Bool(if op == Op::Eq { eq } else { !eq }));
            }
            if l.contains_unknown() || r.contains_unknown() {
                return Ok(Value::unknown(self.text(file, e), "an operand is unknown"));
            }
            let eq = values_equal(&l, &r);
            return Ok(Value::Bool(if op == Op::Eq { eq } else { !eq }));
        }
        if l.is_unknown() || r.is_unknown() {
            return Ok(Value::unknown(self.text(file, e), "an operand is unknown"));
        }
        let (Some(x), Some(y)) = (to_num(&l), to_num(&r)) else {
            return err(format!(
                "arithmetic needs numbers, not {} and {}",
                l.type_name(),
                r.type_name()
            ));
        };
        Ok(match op {
            Op::Less => Value::Bool(x < y),
            Op::LessEq => Value::Bool(x <= y),
            Op::Greater => Value::Bool(x > y),
            Op::GreaterEq => Value::Bool(x >= y),
            Op::Plus => num(x + y),
            Op::Minus => num(x - y),
            Op::Mul => num(x * y),
            Op::Div => {
                if y == 0.0 {
                    return err("division by zero");
                }
                num(x / y)
            }
            Op::Mod => {
                if y == 0.0 {
                    return err("modulo by zero");
                }
                num(x % y)
            }
            _ => return err("unsupported operator"),
        })
    }

    fn template(
        &self,
        inst: usize,
        file: FileId,
        scope: &mut Scope,
        t: &Template,
        whole: &Expression,
    ) -> EvalResult {
        let mut out = Vec::new();
        let mut reason = None;
        let text = self.text(file, whole);
        self.render(inst, file, scope, t, &mut out, &mut reason, &text)?;
        Ok(match reason {
            None => aml_model::pattern::interpolated(text, "", out),
            Some(u) => match aml_model::pattern::interpolated(text, u, out) {
                Value::Unknown(u) if u.shape.pattern.is_none() => {
                    Value::unknown(u.expr.clone(), u.reason.clone())
                }
                v => v,
            },
        })
    }

    /// Renders a template into `out`, an unknown part as a hole; `reason`
    /// is set to why the first unknown part is unknown. A directive whose
    /// condition or collection is unknown is one hole for the template.
    #[allow(clippy::too_many_arguments)]
    fn render(
        &self,
        inst: usize,
        file: FileId,
        scope: &mut Scope,
        t: &Template,
        out: &mut Vec<Fragment>,
        reason: &mut Option<String>,
        whole: &str,
    ) -> Result<(), EvalErr> {
        let hole = |out: &mut Vec<Fragment>, reason: &mut Option<String>, why: String| {
            reason.get_or_insert(why);
            out.push(Fragment::Hole(placeholder_of(whole)));
        };
        for el in t.iter() {
            self.step()?;
            match el {
                Element::Literal(s) => out.push(Fragment::Text(s.to_string())),
                Element::Interpolation(i) => {
                    let v = self.eval(inst, file, scope, &i.expr)?;
                    match template_str(&v) {
                        Ok(s) => out.push(Fragment::Text(s)),
                        Err(Some(u)) => {
                            reason.get_or_insert(u);
                            out.extend(aml_model::pattern::fragments_of(&v).unwrap_or_default());
                        }
                        // After an unknown part, the string is unknown anyway.
                        Err(None) if reason.is_some() => hole(out, reason, String::new()),
                        Err(None) => return err(format!("cannot interpolate a {}", v.type_name())),
                    }
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(i) => {
                        let c = self.eval(inst, file, scope, &i.if_expr.cond_expr)?;
                        match c {
                            Value::Bool(true) => self.render(
                                inst,
                                file,
                                scope,
                                &i.if_expr.template,
                                out,
                                reason,
                                whole,
                            )?,
                            Value::Bool(false) => {
                                if let Some(el) = &i.else_expr {
                                    self.render(
                                        inst,
                                        file,
                                        scope,
                                        &el.template,
                                        out,
                                        reason,
                                        whole,
                                    )?
                                }
                            }
                            _ => hole(out, reason, "a template condition is unknown".into()),
                        }
                    }
                    Directive::For(f) => {
                        let coll = self.eval(inst, file, scope, &f.for_expr.collection_expr)?;
                        let Some(items) = iter_items(&coll) else {
                            hole(
                                out,
                                reason,
                                "a template loop's collection is unknown".into(),
                            );
                            continue;
                        };
                        for (k, v) in items {
                            let n = scope.len();
                            if let Some(kv) = &f.for_expr.key_var {
                                scope.push((kv.as_str().to_string(), k));
                            }
                            scope.push((f.for_expr.value_var.as_str().to_string(), v));
                            let r = self.render(
                                inst,
                                file,
                                scope,
                                &f.for_expr.template,
                                out,
                                reason,
                                whole,
                            );
                            scope.truncate(n);
                            r?;
                        }
                    }
                },
            }
        }
        Ok(())
    }

    fn for_expr(
        &self,
        inst: usize,
        file: FileId,
        scope: &mut Scope,
        f: &hcl_edit::expr::ForExpr,
        e: &Expression,
    ) -> EvalResult {
        let coll = self.eval(inst, file, scope, &f.intro.collection_expr)?;
        let Some(items) = iter_items(&coll) else {
            if coll.is_unknown() {
                return Ok(Value::unknown(
                    self.text(file, e),
                    "the collection is unknown",
                ));
            }
            if coll == Value::Null {
                return err("cannot iterate over null");
            }
            return err(format!("cannot iterate over {}", coll.type_name()));
        };
        let mut list = Vec::new();
        let mut obj = Object::default();
        for (k, v) in items {
            let n = scope.len();
            if let Some(kv) = &f.intro.key_var {
                scope.push((kv.as_str().to_string(), k));
            }
            scope.push((f.intro.value_var.as_str().to_string(), v));
            let r = (|| -> Result<Option<(Option<String>, Value)>, EvalErr> {
                if let Some(c) = &f.cond {
                    match self.eval(inst, file, scope, &c.expr)? {
                        Value::Bool(true) => {}
                        Value::Bool(false) => return Ok(None),
                        _ => return Ok(Some((None, Value::unknown("", "filter unknown")))),
                    }
                }
                let val = self.eval(inst, file, scope, &f.value_expr)?;
                let key = match &f.key_expr {
                    Some(ke) => {
                        let kv = self.eval(inst, file, scope, ke)?;
                        match to_str(&kv) {
                            Some(s) => Some(s),
                            None => return Ok(Some((None, Value::unknown("", "key unknown")))),
                        }
                    }
                    None => None,
                };
                Ok(Some((key, val)))
            })();
            scope.truncate(n);
            match r? {
                None => {}
                Some((None, v)) if f.key_expr.is_some() => {
                    let _ = v;
                    return Ok(Value::unknown(
                        self.text(file, e),
                        "a key or filter is unknown",
                    ));
                }
                Some((None, v)) => {
                    if v.is_unknown() && f.cond.is_some() {
                        return Ok(Value::unknown(self.text(file, e), "a filter is unknown"));
                    }
                    list.push(v)
                }
                Some((Some(k), v)) => {
                    if f.grouping {
                        if let Value::Array(a) =
                            obj.entry(k).or_insert_with(|| Value::Array(vec![]))
                        {
                            a.push(v);
                        }
                    } else {
                        obj.insert(k, v);
                    }
                }
            }
        }
        Ok(if f.key_expr.is_some() {
            Value::Object(obj)
        } else {
            Value::Array(list)
        })
    }

    fn call(
        &self,
        inst: usize,
        file: FileId,
        scope: &mut Scope,
        fc: &hcl_edit::expr::FuncCall,
        e: &Expression,
    ) -> EvalResult {
        let name = fc.name.name.as_str();
        let args: Vec<&Expression> = fc.args.iter().collect();
        if !fc.name.namespace.is_empty() {
            // Provider functions: `normalise_resource_id` keeps the id as written.
            if name == "normalise_resource_id" && args.len() == 1 {
                return self.eval(inst, file, scope, args[0]);
            }
            return Ok(Value::unknown(
                self.text(file, e),
                "provider function not evaluated",
            ));
        }
        match name {
            "try" => {
                for a in &args {
                    match self.eval(inst, file, scope, a) {
                        Ok(v) => return Ok(v),
                        Err(_) => continue,
                    }
                }
                return err("no argument of try() could be evaluated");
            }
            "can" => {
                let Some(a) = args.first() else {
                    return err("can() takes one argument");
                };
                return Ok(match self.eval(inst, file, scope, a) {
                    Ok(v) if v.is_unknown() => {
                        Value::unknown(self.text(file, e), "the argument is unknown")
                    }
                    Ok(_) => Value::Bool(true),
                    Err(_) => Value::Bool(false),
                });
            }
            _ => {}
        }
        let mut vals = Vec::new();
        for a in &args {
            vals.push(self.eval(inst, file, scope, a)?);
        }
        if fc.args.expand_final() {
            if let Some(Value::Array(last)) = vals.pop() {
                vals.extend(last);
            } else {
                return Ok(Value::unknown(
                    self.text(file, e),
                    "expanded argument is unknown",
                ));
            }
        }
        let holes = matches!(name, "format" | "join").then(|| vals.clone());
        match functions::call(name, vals) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => {
                let reason = format!("{name}() depends on an unknown value");
                Ok(match holes.and_then(|v| functions::with_holes(name, &v)) {
                    // A string with known parts (`format("%s/subnets/%s", ...)`).
                    Some(fragments) => {
                        match aml_model::pattern::interpolated(
                            self.text(file, e),
                            reason,
                            fragments,
                        ) {
                            Value::Unknown(u) if u.shape.pattern.is_none() => {
                                Value::unknown(u.expr.clone(), u.reason.clone())
                            }
                            v => v,
                        }
                    }
                    None => Value::unknown(self.text(file, e), reason),
                })
            }
            Err(functions::FnError::Unsupported) => Ok(Value::unknown(
                self.text(file, e),
                format!("function {name}() is not evaluated by aml-baseline"),
            )),
            Err(functions::FnError::Failed(m)) => err(format!("{name}(): {m}")),
        }
    }

    /// Resolves a reference (`var.x`, `local.y`, `azurerm_x.n.id`, `module.m.o`,
    /// `each.value`, ...) and applies the remaining traversal operators.
    fn traverse(
        &self,
        inst: usize,
        file: FileId,
        scope: &mut Scope,
        root: &str,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        e: &Expression,
    ) -> EvalResult {
        if let Some((_, v)) = scope.iter().rev().find(|(n, _)| n == root) {
            let v = v.clone();
            return self.apply_ops(inst, file, scope, v, ops, e);
        }
        let attr = |i: usize| -> Option<&str> {
            match ops.get(i).map(|o| o.value()) {
                Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
                _ => None,
            }
        };
        if inst == usize::MAX {
            return Ok(Value::unknown(
                self.text(file, e),
                "references are not allowed here",
            ));
        }
        let instance = self.inst(inst);
        let (base, used) = match root {
            "var" => {
                let Some(n) = attr(0) else {
                    return err("`var` needs an attribute");
                };
                match instance.vars.get(n) {
                    Some(v) => (v.clone(), 1),
                    None => return err(format!("no variable `{n}` is declared")),
                }
            }
            "local" => {
                let Some(n) = attr(0) else {
                    return err("`local` needs an attribute");
                };
                (self.local(inst, n)?, 1)
            }
            "each" | "count" | "self" => {
                return Ok(Value::unknown(
                    self.text(file, e),
                    format!("`{root}` is not available here"),
                ));
            }
            "path" => {
                let dir = aml_model::source::display_path(&self.modules[instance.module].dir);
                (Value::String(dir), 1)
            }
            "terraform" => (Value::String("default".into()), 1),
            "module" => {
                let Some(n) = attr(0) else {
                    return err("`module` needs a name");
                };
                let m = &self.modules[instance.module];
                let Some(ci) = m.calls.iter().position(|c| c.name == n) else {
                    return err(format!("no module call `{n}`"));
                };
                if let CallTarget::NotFollowed(src) = &m.calls[ci].target {
                    return Ok(Value::unknown(
                        self.text(file, e),
                        format!("module `{n}` (source `{src}`) is not read"),
                    ));
                }
                let children = self.children(inst, ci);
                let expanded = !children.iter().all(|(k, _)| *k == InstanceKey::None);
                if !expanded {
                    if let (Some((_, child)), Some(out)) = (children.first(), attr(1)) {
                        (self.output(*child, out)?, 2)
                    } else if let Some((_, child)) = children.first() {
                        (self.all_outputs(*child)?, 1)
                    } else {
                        return err("module has no instance");
                    }
                } else {
                    let mut list = Vec::new();
                    let mut map = Object::default();
                    for (k, c) in children.iter() {
                        let v = self.all_outputs(*c)?;
                        match k {
                            InstanceKey::Key(s) => {
                                map.insert(s.clone(), v);
                            }
                            InstanceKey::Unknown => {
                                return Ok(Value::unknown(
                                    self.text(file, e),
                                    "the module's count/for_each is unknown",
                                ))
                            }
                            _ => list.push(v),
                        }
                    }
                    (
                        if map.is_empty() {
                            Value::Array(list)
                        } else {
                            Value::Object(map)
                        },
                        1,
                    )
                }
            }
            "data" => {
                let (Some(t), Some(n)) = (attr(0), attr(1)) else {
                    return err("`data` needs a type and a name");
                };
                if t == "azurerm_key_vault_secret" {
                    return Ok(Value::unknown(
                        self.text(file, e),
                        "a Key Vault reference (data.azurerm_key_vault_secret), read at apply",
                    ));
                }
                let base = self.resource_ref(inst, true, t, n, file, e)?;
                return self.apply_ops_shared(inst, file, scope, &base, &ops[2..], e);
            }
            t => {
                let Some(n) = attr(0) else {
                    return err(format!("unknown name `{t}`"));
                };
                let base = self.resource_ref(inst, false, t, n, file, e)?;
                return self.apply_ops_shared(inst, file, scope, &base, &ops[1..], e);
            }
        };
        self.apply_ops(inst, file, scope, base, &ops[used..], e)
    }

    /// [`Self::apply_ops`] on a shared value (a resource reference's): the
    /// first attribute is read in place, so only what it selects is copied.
    fn apply_ops_shared(
        &self,
        inst: usize,
        file: FileId,
        scope: &mut Scope,
        cur: &Value,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        e: &Expression,
    ) -> EvalResult {
        let Some(TraversalOperator::GetAttr(a)) = ops.first().map(|o| o.value()) else {
            return self.apply_ops(inst, file, scope, cur.clone(), ops, e);
        };
        if cur.is_unknown() {
            return self.apply_ops(inst, file, scope, cur.clone(), ops, e);
        }
        // As the first step of `apply_ops` does.
        let in_resource = matches!(cur, Value::Object(o) if o.contains_key(RESOURCE_MARK));
        let next = match get_attr(cur, a.as_str(), || self.text(file, e)) {
            Err(_) if in_resource && matches!(cur, Value::Object(_)) => Value::unknown(
                self.text(file, e),
                format!("`{}` is known only after apply", a.as_str()),
            ),
            other => other?,
        };
        self.apply_ops_from(inst, file, scope, next, &ops[1..], e, in_resource)
    }

    fn apply_ops(
        &self,
        inst: usize,
        file: FileId,
        scope: &mut Scope,
        cur: Value,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        e: &Expression,
    ) -> EvalResult {
        self.apply_ops_from(inst, file, scope, cur, ops, e, false)
    }

    /// [`Self::apply_ops`], already inside a resource when `in_resource`.
    #[allow(clippy::too_many_arguments)]
    fn apply_ops_from(
        &self,
        inst: usize,
        file: FileId,
        scope: &mut Scope,
        mut cur: Value,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        e: &Expression,
        mut in_resource: bool,
    ) -> EvalResult {
        // Inside a resource (its attributes and nested blocks), an attribute
        // the configuration does not set is computed by the provider: known
        // only after apply, never an error.
        for (i, op) in ops.iter().enumerate() {
            if let Value::Unknown(u) = &cur {
                let _ = u;
                return Ok(Value::unknown(
                    self.text(file, e),
                    "known only after apply or not fixed by the files",
                ));
            }
            in_resource |= matches!(&cur, Value::Object(o) if o.contains_key(RESOURCE_MARK));
            match op.value() {
                TraversalOperator::GetAttr(a) => {
                    cur = match get_attr(&cur, a.as_str(), || self.text(file, e)) {
                        Err(_) if in_resource && matches!(cur, Value::Object(_)) => Value::unknown(
                            self.text(file, e),
                            format!("`{}` is known only after apply", a.as_str()),
                        ),
                        other => other?,
                    }
                }
                TraversalOperator::Index(ix) => {
                    let k = self.eval(inst, file, scope, ix)?;
                    cur = index(&cur, &k, || self.text(file, e))?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    cur = index(&cur, &Value::Int(**n as i64), || self.text(file, e))?;
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let items = match cur {
                        Value::Null => vec![],
                        Value::Array(a) => a,
                        Value::Object(ref o) if o.contains_key(RESOURCE_MARK) => vec![cur.clone()],
                        Value::Object(o) => o.into_values().collect(),
                        other => vec![other],
                    };
                    let rest = &ops[i + 1..];
                    let mut out = Vec::new();
                    for it in items {
                        out.push(self.apply_ops(inst, file, scope, it, rest, e)?);
                    }
                    return Ok(Value::Array(out));
                }
            }
        }
        Ok(cur)
    }

    fn local(&self, inst: usize, name: &str) -> EvalResult {
        let instance = self.inst(inst);
        if let Some(v) = instance.locals.borrow().get(name) {
            return Ok(v.clone());
        }
        let m = &self.modules[instance.module];
        let Some((file, attr)) = m.locals.get(name) else {
            return err(format!("no local `{name}`"));
        };
        let key = format!("local.{name}");
        if !instance.in_progress.borrow_mut().insert(key.clone()) {
            return Ok(Value::unknown(key, "the local refers to itself"));
        }
        let v = self.eval(inst, *file, &mut Vec::new(), &attr.value);
        instance.in_progress.borrow_mut().remove(&key);
        let v = match v {
            Ok(v) => v,
            Err(EvalErr(m)) => {
                self.info(
                    "terraform-expression",
                    format!("local `{name}` could not be evaluated: {m}"),
                    span_of(*file, *attr),
                );
                Value::unknown(self.text(*file, &attr.value), m)
            }
        };
        instance
            .locals
            .borrow_mut()
            .insert(name.to_string(), v.clone());
        Ok(v)
    }

    fn output(&self, inst: usize, name: &str) -> EvalResult {
        let instance = self.inst(inst);
        let m = &self.modules[instance.module];
        let Some((file, attr)) = m.outputs.get(name) else {
            return err(format!("the module has no output `{name}`"));
        };
        let key = format!("output.{name}");
        if !instance.in_progress.borrow_mut().insert(key.clone()) {
            return Ok(Value::unknown(key, "the output refers to itself"));
        }
        let v = self.eval(inst, *file, &mut Vec::new(), &attr.value);
        instance.in_progress.borrow_mut().remove(&key);
        Ok(v.unwrap_or_else(|EvalErr(m)| Value::unknown(self.text(*file, &attr.value), m)))
    }

    fn all_outputs(&self, inst: usize) -> EvalResult {
        let instance = self.inst(inst);
        let mut names: Vec<&String> = self.modules[instance.module].outputs.keys().collect();
        names.sort();
        let mut o = Object::default();
        for n in names {
            o.insert(n.clone(), self.output(inst, n)?);
        }
        Ok(Value::Object(o))
    }

    /// The value a reference to a resource or data source gives: an object
    /// per instance (a list under `count`, a map under `for_each`).
    fn resource_ref(
        &self,
        inst: usize,
        data: bool,
        t: &str,
        n: &str,
        file: FileId,
        e: &Expression,
    ) -> Result<Rc<Value>, EvalErr> {
        let instance = self.inst(inst);
        let m = &self.modules[instance.module];
        let Some(ri) = m
            .resources
            .iter()
            .position(|r| r.data == data && r.rtype == t && r.name == n)
        else {
            return err(format!(
                "no {} `{t}.{n}` is declared",
                if data { "data source" } else { "resource" }
            ));
        };
        let decl = &m.resources[ri];
        let instances = self.resource_instances(inst, ri);
        let value_of = |ri: &ResInstance| -> Value {
            let mut obj = match &ri.config {
                Value::Object(o) if !data => o.clone(),
                _ => Object::default(),
            };
            obj.insert(RESOURCE_MARK.to_string(), Value::String(t.to_string()));
            if data {
                if t == "azurerm_resource_group" {
                    if let Some(name) = ri.config.get("name") {
                        obj.insert("name".into(), name.clone());
                        if let Some(s) = name.as_str() {
                            obj.insert(
                                "id".into(),
                                Value::String(format!(
                                    "/subscriptions/{}/resourceGroups/{s}",
                                    super::SUBSCRIPTION
                                )),
                            );
                        }
                    }
                }
            } else if let Some(id) = (self.id_of)(t, ri) {
                obj.insert("id".into(), Value::String(id));
            } else {
                obj.shift_remove("id");
            }
            Value::Object(obj)
        };
        let counted = decl.block.body.get_attribute("count").is_some();
        let each = decl.block.body.get_attribute("for_each").is_some();
        if instances.iter().any(|i| i.key == InstanceKey::Unknown) {
            return Ok(Rc::new(Value::unknown(
                self.text(file, e),
                "the resource's count/for_each is unknown",
            )));
        }
        // Known instances are final (memoised above): so is their value.
        if let Some(v) = instance.refs.borrow().get(&ri) {
            return Ok(v.clone());
        }
        let value = Rc::new(if each {
            Value::Object(
                instances
                    .iter()
                    .map(|i| match &i.key {
                        InstanceKey::Key(k) => (k.clone(), value_of(i)),
                        _ => (String::new(), value_of(i)),
                    })
                    .collect(),
            )
        } else if counted {
            Value::Array(instances.iter().map(value_of).collect())
        } else {
            instances.first().map(value_of).unwrap_or(Value::Null)
        });
        instance.refs.borrow_mut().insert(ri, value.clone());
        Ok(value)
    }

    /// The module instances a `module` block expands to (created on first use).
    pub fn children(&self, inst: usize, call: usize) -> Rc<Vec<(InstanceKey, usize)>> {
        let instance = self.inst(inst);
        if let Some(c) = instance.children.borrow().get(&call) {
            return c.clone();
        }
        let m = &self.modules[instance.module];
        let decl = &m.calls[call];
        let CallTarget::Local(target) = decl.target else {
            let rc = Rc::new(Vec::new());
            instance.children.borrow_mut().insert(call, rc.clone());
            return rc;
        };
        // Guard against a module calling itself through its folders.
        let depth = instance.prefix.matches("module.").count();
        if depth > 16 {
            let rc = Rc::new(Vec::new());
            instance.children.borrow_mut().insert(call, rc.clone());
            return rc;
        }
        instance
            .children
            .borrow_mut()
            .insert(call, Rc::new(Vec::new()));
        let expansion = self.expand(
            inst,
            decl.file,
            decl.block,
            &format!("module.{}", decl.name),
        );
        let mut out = Vec::new();
        for (key, scope_vals, unknown) in expansion {
            let mut scope = scope_vals;
            let mut inputs = HashMap::default();
            for a in decl.block.body.attributes() {
                let k = a.key.as_str();
                if matches!(
                    k,
                    "source" | "version" | "count" | "for_each" | "providers" | "depends_on"
                ) {
                    continue;
                }
                let v = self
                    .eval(inst, decl.file, &mut scope, &a.value)
                    .unwrap_or_else(|EvalErr(m)| Value::unknown(self.text(decl.file, &a.value), m));
                inputs.insert(k.to_string(), v);
            }
            let prefix = format!("{}module.{}{}.", instance.prefix, decl.name, key.suffix());
            let cond = unknown.or_else(|| instance.unknown_condition.clone());
            let child = self.instantiate(target, prefix, &inputs, cond, false);
            out.push((key, child));
        }
        let rc = Rc::new(out);
        instance.children.borrow_mut().insert(call, rc.clone());
        rc
    }

    /// Expands `count` / `for_each` of a block into instance keys with their
    /// `count`/`each` bindings; an unknown expansion gives one instance.
    fn expand(
        &self,
        inst: usize,
        file: FileId,
        block: &Block,
        what: &str,
    ) -> Vec<(InstanceKey, Scope, Option<String>)> {
        let body = &block.body;
        if let Some(c) = body.get_attribute("count") {
            let v = self.eval(inst, file, &mut Vec::new(), &c.value);
            return match v {
                Ok(Value::Int(n)) => {
                    let n = n.max(0) as usize;
                    if n > MAX_INSTANCES {
                        self.warn("terraform-count-limit", format!("{what}: count {n} is over the limit of {MAX_INSTANCES}; the rest were not read"), span_of(file, c));
                    }
                    (0..n.min(MAX_INSTANCES))
                        .map(|i| {
                            let mut o = Object::default();
                            o.insert("index".into(), Value::Int(i as i64));
                            (
                                InstanceKey::Index(i as i64),
                                vec![("count".to_string(), Value::Object(o))],
                                None,
                            )
                        })
                        .collect()
                }
                Ok(Value::Float(f)) if f >= 0.0 => self_count(f as usize),
                _ => {
                    let mut o = Object::default();
                    o.insert("index".into(), Value::Int(0));
                    vec![(
                        InstanceKey::Unknown,
                        vec![("count".to_string(), Value::Object(o))],
                        Some(self.text(file, &c.value)),
                    )]
                }
            };
        }
        if let Some(fe) = body.get_attribute("for_each") {
            let v = self.eval(inst, file, &mut Vec::new(), &fe.value);
            let items: Option<Vec<(String, Value)>> = match &v {
                Ok(Value::Object(o)) => {
                    Some(o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                }
                Ok(Value::Array(a)) if a.iter().all(|x| to_str(x).is_some()) => {
                    let mut keys: Vec<String> = a.iter().filter_map(to_str).collect();
                    keys.sort();
                    keys.dedup();
                    Some(
                        keys.into_iter()
                            .map(|k| (k.clone(), Value::String(k)))
                            .collect(),
                    )
                }
                Ok(Value::Null) => Some(vec![]),
                _ => None,
            };
            return match items {
                Some(items) => {
                    if items.len() > MAX_INSTANCES {
                        self.warn("terraform-count-limit", format!("{what}: for_each has {} elements, over the limit of {MAX_INSTANCES}", items.len()), span_of(file, fe));
                    }
                    items
                        .into_iter()
                        .take(MAX_INSTANCES)
                        .map(|(k, v)| {
                            let mut o = Object::default();
                            o.insert("key".into(), Value::String(k.clone()));
                            o.insert("value".into(), v);
                            (
                                InstanceKey::Key(k),
                                vec![("each".to_string(), Value::Object(o))],
                                None,
                            )
                        })
                        .collect()
                }
                None => {
                    let text = self.text(file, &fe.value);
                    let mut o = Object::default();
                    o.insert(
                        "key".into(),
                        Value::unknown("each.key", format!("for_each = {text} is not known")),
                    );
                    o.insert(
                        "value".into(),
                        Value::unknown("each.value", format!("for_each = {text} is not known")),
                    );
                    vec![(
                        InstanceKey::Unknown,
                        vec![("each".to_string(), Value::Object(o))],
                        Some(text),
                    )]
                }
            };
        }
        vec![(InstanceKey::None, vec![], None)]
    }

    /// The evaluated instances of a resource block (memoised).
    pub fn resource_instances(&self, inst: usize, ri: usize) -> Rc<Vec<ResInstance>> {
        let instance = self.inst(inst);
        if let Some(v) = instance.resources.borrow().get(&ri) {
            return v.clone();
        }
        let m = &self.modules[instance.module];
        let decl = &m.resources[ri];
        let key = format!("resource.{ri}");
        if !instance.in_progress.borrow_mut().insert(key.clone()) {
            // A cycle: the reference sees an unknown value.
            return Rc::new(vec![ResInstance {
                key: InstanceKey::Unknown,
                address: String::new(),
                config: Value::unknown(format!("{}.{}", decl.rtype, decl.name), "cyclic reference"),
                spans: BTreeMap::new(),
                unknown_condition: None,
            }]);
        }
        let base = format!(
            "{}{}{}.{}",
            instance.prefix,
            if decl.data { "data." } else { "" },
            decl.rtype,
            decl.name
        );
        let mut out = Vec::new();
        for (k, mut scope, unknown) in self.expand(inst, decl.file, decl.block, &base) {
            let mut spans = BTreeMap::new();
            let config = self.eval_body(
                inst,
                decl.file,
                &mut scope,
                &decl.block.body,
                "",
                &mut spans,
                0,
            );
            out.push(ResInstance {
                address: format!("{base}{}", k.suffix()),
                key: k,
                config,
                spans,
                unknown_condition: unknown.or_else(|| instance.unknown_condition.clone()),
            });
        }
        instance.in_progress.borrow_mut().remove(&key);
        let rc = Rc::new(out);
        instance.resources.borrow_mut().insert(ri, rc.clone());
        rc
    }

    /// Evaluates a block body into an object: attributes, nested blocks as
    /// lists of objects (with `dynamic` blocks expanded), recording spans.
    #[allow(clippy::too_many_arguments)]
    fn eval_body(
        &self,
        inst: usize,
        file: FileId,
        scope: &mut Scope,
        body: &Body,
        prefix: &str,
        spans: &mut BTreeMap<String, Span>,
        depth: usize,
    ) -> Value {
        let mut obj = Object::default();
        if depth > 32 {
            return Value::Object(obj);
        }
        for a in body.attributes() {
            let k = a.key.as_str();
            if depth == 0 && matches!(k, "count" | "for_each" | "depends_on" | "provider") {
                continue;
            }
            let path = format!("{prefix}{k}");
            spans.insert(path.clone(), span_of(file, a));
            // `jsonencode({...})` bodies (azapi 1.x) are read as the object they encode.
            let expr = match &a.value {
                Expression::FuncCall(fc)
                    if fc.name.name.as_str() == "jsonencode"
                        && fc.args.len() == 1
                        && k == "body" =>
                {
                    fc.args.iter().next().unwrap_or(&a.value)
                }
                other => other,
            };
            record_object_spans(file, expr, &path, spans, 0);
            let v = match self.eval(inst, file, scope, expr) {
                Ok(v) => v,
                Err(EvalErr(m)) => {
                    self.info(
                        "terraform-expression",
                        format!("`{k}` could not be evaluated: {m}"),
                        span_of(file, a),
                    );
                    Value::unknown(self.text(file, &a.value), m)
                }
            };
            obj.insert(k.to_string(), v);
        }
        for b in body.blocks() {
            let ident = b.ident.as_str();
            if depth == 0
                && matches!(
                    ident,
                    "lifecycle" | "provisioner" | "connection" | "timeouts"
                )
            {
                continue;
            }
            if ident == "dynamic" {
                let Some(name) = b.labels.first().map(|l| l.as_str().to_string()) else {
                    continue;
                };
                let iter_name = b
                    .body
                    .get_attribute("iterator")
                    .and_then(|a| a.value.as_variable().map(|v| v.as_str().to_string()))
                    .unwrap_or_else(|| name.clone());
                let Some(content) = b.body.get_blocks("content").next() else {
                    continue;
                };
                let fe = b.body.get_attribute("for_each");
                let coll = match fe {
                    Some(fe) => self
                        .eval(inst, file, scope, &fe.value)
                        .unwrap_or_else(|EvalErr(m)| Value::unknown(self.text(file, &fe.value), m)),
                    None => Value::Array(vec![]),
                };
                let Some(items) = iter_items(&coll) else {
                    obj.insert(
                        name.clone(),
                        Value::unknown(
                            self.text(file, b),
                            "the dynamic block's for_each is unknown",
                        ),
                    );
                    spans.insert(format!("{prefix}{name}"), span_of(file, b));
                    continue;
                };
                for (k, v) in items.into_iter().take(MAX_INSTANCES) {
                    let list = obj
                        .entry(name.clone())
                        .or_insert_with(|| Value::Array(vec![]));
                    let idx = list.as_array().map(|a| a.len()).unwrap_or(0);
                    let p = format!("{prefix}{name}[{idx}]");
                    spans.insert(p.clone(), span_of(file, b));
                    let mut o = Object::default();
                    o.insert("key".into(), k);
                    o.insert("value".into(), v);
                    scope.push((iter_name.clone(), Value::Object(o)));
                    let val = self.eval_body(
                        inst,
                        file,
                        scope,
                        &content.body,
                        &format!("{p}."),
                        spans,
                        depth + 1,
                    );
                    scope.pop();
                    if let Some(Value::Array(a)) = obj.get_mut(&name) {
                        a.push(val);
                    }
                }
                continue;
            }
            let list = obj
                .entry(ident.to_string())
                .or_insert_with(|| Value::Array(vec![]));
            let idx = list.as_array().map(|a| a.len()).unwrap_or(0);
            let p = format!("{prefix}{ident}[{idx}]");
            spans.insert(p.clone(), span_of(file, b));
            let val = self.eval_body(
                inst,
                file,
                scope,
                &b.body,
                &format!("{p}."),
                spans,
                depth + 1,
            );
            if let Some(Value::Array(a)) = obj.get_mut(ident) {
                a.push(val);
            }
        }
        Value::Object(obj)
    }
}

fn self_count(n: usize) -> Vec<(InstanceKey, Scope, Option<String>)> {
    (0..n.min(MAX_INSTANCES))
        .map(|i| {
            let mut o = Object::default();
            o.insert("index".into(), Value::Int(i as i64));
            (
                InstanceKey::Index(i as i64),
                vec![("count".to_string(), Value::Object(o))],
                None,
            )
        })
        .collect()
}

/// Records the span of every `key = value` item of object literals under `path`.
fn record_object_spans(
    file: FileId,
    e: &Expression,
    path: &str,
    spans: &mut BTreeMap<String, Span>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    match e {
        Expression::Object(o) => {
            for (k, v) in o.iter() {
                let Some(name) = object_key_name(k) else {
                    continue;
                };
                let p = format!("{path}.{name}");
                let start = hcl_edit::Span::span(k).map(|r| r.start);
                let end = hcl_edit::Span::span(v.expr()).map(|r| r.end);
                if let (Some(s), Some(en)) = (start, end) {
                    spans.insert(p.clone(), Span::new(file, s, en));
                }
                record_object_spans(file, v.expr(), &p, spans, depth + 1);
            }
        }
        Expression::Parenthesis(p) => record_object_spans(file, p.inner(), path, spans, depth + 1),
        Expression::Conditional(c) => {
            record_object_spans(file, &c.true_expr, path, spans, depth + 1);
        }
        _ => {}
    }
}

/// `(key, value)` pairs of a list (index keys) or an object (string keys).
pub fn iter_items(v: &Value) -> Option<Vec<(Value, Value)>> {
    match v {
        Value::Array(a) => Some(
            a.iter()
                .enumerate()
                .map(|(i, x)| (Value::Int(i as i64), x.clone()))
                .collect(),
        ),
        Value::Object(o) => Some(
            o.iter()
                .filter(|(k, _)| k.as_str() != RESOURCE_MARK)
                .map(|(k, x)| (Value::String(k.clone()), x.clone()))
                .collect(),
        ),
        Value::Null => Some(vec![]),
        _ => None,
    }
}

fn get_attr(cur: &Value, name: &str, text: impl Fn() -> String) -> EvalResult {
    match cur {
        Value::Object(o) => match o.get(name) {
            Some(v) => Ok(v.clone()),
            None if name == "id" && o.contains_key(RESOURCE_MARK) => {
                // Azure always sets a resource's id: present, a string, an id of
                // the mapped type; the same reference names the same resource.
                let tf_type = o.get(RESOURCE_MARK).and_then(Value::as_str).unwrap_or("");
                let arm_type = crate::mapping::spec(tf_type).map(|(t, _, _)| t);
                let text = text();
                let mut shape = Shape::resource_id(&placeholder_of(&text), arm_type);
                shape.prefix = Some(
                    if tf_type == "azurerm_management_group" {
                        "/providers/"
                    } else {
                        "/subscriptions/"
                    }
                    .to_string(),
                );
                Ok(Value::unknown_shaped(
                    text,
                    format!("the id of `{tf_type}` is known only after apply"),
                    shape,
                ))
            }
            None if o.contains_key(RESOURCE_MARK) => Ok(Value::unknown(
                text(),
                format!("`{name}` is known only after apply"),
            )),
            None => err(format!("the object has no attribute `{name}`")),
        },
        Value::Null => err(format!("attempt to get attribute `{name}` from null")),
        Value::Array(_) => err(format!(
            "a list has no attribute `{name}` (use an index or a splat)"
        )),
        other => err(format!("a {} has no attribute `{name}`", other.type_name())),
    }
}

fn index(cur: &Value, k: &Value, text: impl Fn() -> String) -> EvalResult {
    if k.is_unknown() {
        return Ok(Value::unknown(text(), "the index is unknown"));
    }
    match cur {
        Value::Array(a) => {
            let i =
                to_num(k).ok_or_else(|| EvalErr("a list index must be a number".into()))? as i64;
            if i < 0 || i as usize >= a.len() {
                return err(format!("index {i} out of range for a list of {}", a.len()));
            }
            Ok(a[i as usize].clone())
        }
        Value::Object(o) => {
            let key = to_str(k).ok_or_else(|| EvalErr("an object key must be a string".into()))?;
            match o.get(&key) {
                Some(v) => Ok(v.clone()),
                None => err(format!("the map has no key {key:?}")),
            }
        }
        Value::Null => err("attempt to index null"),
        other => err(format!("cannot index a {}", other.type_name())),
    }
}

/// A string for interpolation; `Err(Some(reason))` for unknowns.
fn template_str(v: &Value) -> Result<String, Option<String>> {
    match v {
        Value::Unknown(u) => Err(Some(format!("{} is unknown", u.expr))),
        Value::Null => Err(None),
        other => to_str(other).ok_or(None),
    }
}

fn num(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9e15 {
        Value::Int(f as i64)
    } else {
        Value::Float(f)
    }
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() >= 4 && !out.contains(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

/// A variable's type constraint.
#[derive(Clone, Debug)]
pub enum Ty {
    Any,
    String,
    Number,
    Bool,
    List(Box<Ty>),
    Set(Box<Ty>),
    Map(Box<Ty>),
    Tuple(Vec<Ty>),
    /// Attributes with their type and, for `optional(...)`, the default expression.
    Object(Vec<(String, Ty, Option<Option<Expression>>)>),
}

impl Ty {
    /// Reads a type expression (`map(object({a = optional(string, "x")}))`).
    pub fn parse(e: &Expression) -> Ty {
        Self::parse_depth(e, 0)
    }

    fn parse_depth(e: &Expression, depth: usize) -> Ty {
        if depth > 32 {
            return Ty::Any;
        }
        match e {
            Expression::Variable(v) => match v.as_str() {
                "string" => Ty::String,
                "number" => Ty::Number,
                "bool" => Ty::Bool,
                _ => Ty::Any,
            },
            Expression::FuncCall(fc) => {
                let args: Vec<&Expression> = fc.args.iter().collect();
                let inner = || {
                    args.first()
                        .map(|a| Box::new(Self::parse_depth(a, depth + 1)))
                        .unwrap_or(Box::new(Ty::Any))
                };
                match fc.name.name.as_str() {
                    "list" => Ty::List(inner()),
                    "set" => Ty::Set(inner()),
                    "map" => Ty::Map(inner()),
                    "tuple" => match args.first() {
                        Some(Expression::Array(a)) => {
                            Ty::Tuple(a.iter().map(|x| Self::parse_depth(x, depth + 1)).collect())
                        }
                        _ => Ty::Any,
                    },
                    "object" => match args.first() {
                        Some(Expression::Object(o)) => Ty::Object(
                            o.iter()
                                .filter_map(|(k, v)| {
                                    let name = object_key_name(k)?;
                                    match v.expr() {
                                        Expression::FuncCall(opt)
                                            if opt.name.name.as_str() == "optional" =>
                                        {
                                            let oa: Vec<&Expression> = opt.args.iter().collect();
                                            let t = oa
                                                .first()
                                                .map(|a| Self::parse_depth(a, depth + 1))
                                                .unwrap_or(Ty::Any);
                                            Some((name, t, Some(oa.get(1).map(|d| (*d).clone()))))
                                        }
                                        other => {
                                            Some((name, Self::parse_depth(other, depth + 1), None))
                                        }
                                    }
                                })
                                .collect(),
                        ),
                        _ => Ty::Any,
                    },
                    _ => Ty::Any,
                }
            }
            _ => Ty::Any,
        }
    }

    /// Converts a value to this type, filling `optional()` defaults.
    pub fn convert(&self, v: &Value, ev: &Evaluator<'_>) -> Value {
        self.convert_depth(v, ev, 0)
    }

    fn convert_depth(&self, v: &Value, ev: &Evaluator<'_>, depth: usize) -> Value {
        if depth > 32 || v.is_unknown() || *v == Value::Null {
            return v.clone();
        }
        match (self, v) {
            (Ty::Any, _) => v.clone(),
            (Ty::String, _) => to_str(v).map(Value::String).unwrap_or_else(|| v.clone()),
            (Ty::Number, Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .map(num)
                .unwrap_or_else(|_| v.clone()),
            (Ty::Bool, Value::String(s)) if s == "true" || s == "false" => Value::Bool(s == "true"),
            (Ty::List(t), Value::Array(a)) => Value::Array(
                a.iter()
                    .map(|x| t.convert_depth(x, ev, depth + 1))
                    .collect(),
            ),
            (Ty::Set(t), Value::Array(a)) => {
                let mut out: Vec<Value> = Vec::new();
                for x in a {
                    let c = t.convert_depth(x, ev, depth + 1);
                    if !out.iter().any(|y| values_equal(y, &c)) {
                        out.push(c);
                    }
                }
                if out.iter().all(|x| matches!(x, Value::String(_))) {
                    out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                }
                Value::Array(out)
            }
            (Ty::Map(t), Value::Object(o)) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), t.convert_depth(x, ev, depth + 1)))
                    .collect(),
            ),
            (Ty::Tuple(ts), Value::Array(a)) => Value::Array(
                a.iter()
                    .enumerate()
                    .map(|(i, x)| {
                        ts.get(i)
                            .map(|t| t.convert_depth(x, ev, depth + 1))
                            .unwrap_or_else(|| x.clone())
                    })
                    .collect(),
            ),
            (Ty::Object(attrs), Value::Object(o)) => {
                let mut out = Object::default();
                for (name, t, optional) in attrs {
                    let given = o.get(name).filter(|x| **x != Value::Null);
                    let val = match (given, optional) {
                        (Some(g), _) => t.convert_depth(g, ev, depth + 1),
                        (None, Some(Some(default))) => {
                            let d = ev.eval_const(FileId(0), default);
                            t.convert_depth(&d, ev, depth + 1)
                        }
                        _ => Value::Null,
                    };
                    out.insert(name.clone(), val);
                }
                Value::Object(out)
            }
            _ => v.clone(),
        }
    }
}
