//! Evaluation of a parsed expression.
//!
//! Calls go to [`crate::functions`], except the ones that must see their
//! arguments unevaluated: `if`, `and`, `or` and `coalesce` (lazy), the lambda
//! functions (`map(array, lambda('x', ...))`) and `lambdaVariables`, which
//! reads the evaluator's lambda scope. Before evaluating, the whole tree is
//! checked for unknown functions and argument counts, so that such errors
//! are reported even in branches that are not taken.

use super::ast::{Expr, Ident, Node, NodeKind, Span};
use super::{ExprEnv, ExprError};
use crate::functions::lambda::{self as hof, HoArg, LambdaFn};
use crate::functions::{self, limits};
use aml_model::value::{Unknown, Value};
use std::cell::{Cell, RefCell};
use std::sync::Arc;

pub(crate) fn evaluate(expr: &Expr, env: &dyn ExprEnv) -> Result<Value, ExprError> {
    check_calls(&expr.root)?;
    let ev = Evaluator {
        expr,
        env,
        scope: RefCell::new(Vec::new()),
        work: Cell::new(0),
    };
    ev.eval(&expr.root)
}

/// Reports unknown functions and wrong argument counts anywhere in the tree.
fn check_calls(root: &Node) -> Result<(), ExprError> {
    let mut first_error = None;
    root.walk(&mut |node| {
        if first_error.is_some() {
            return;
        }
        if let NodeKind::Call {
            namespace: None,
            name,
            args,
        } = &node.kind
        {
            if !functions::is_known(&name.name) {
                first_error = Some(ExprError::new(
                    format!("unknown function '{}'", name.name),
                    name.span,
                ));
            } else if let Err(m) = functions::check_arg_count(&name.name, args.len()) {
                first_error = Some(ExprError::new(m, node.span));
            }
        }
    });
    first_error.map_or(Ok(()), Err)
}

struct Evaluator<'a> {
    expr: &'a Expr,
    env: &'a dyn ExprEnv,
    /// Lambda variables in scope, innermost last.
    scope: RefCell<Vec<(String, Value)>>,
    /// Weight of all values produced so far (see [`limits::MAX_WORK`]).
    work: Cell<usize>,
}

impl Evaluator<'_> {
    fn text(&self, span: Span) -> &str {
        self.expr.source(span)
    }

    fn unknown_at(&self, span: Span, u: &Unknown) -> Value {
        Value::unknown(self.text(span), u.reason.clone())
    }

    /// Evaluates a node and charges the weight of its value to the work budget.
    fn eval(&self, node: &Node) -> Result<Value, ExprError> {
        let v = self.eval_node(node)?;
        let remaining = limits::MAX_WORK.saturating_sub(self.work.get());
        let w = limits::weight(&v, remaining).map_err(|_| {
            ExprError::new(
                format!(
                    "evaluating the expression produces more data than the limit ({} units)",
                    limits::MAX_WORK
                ),
                node.span,
            )
        })?;
        self.work.set(self.work.get() + w);
        Ok(v)
    }

    fn eval_node(&self, node: &Node) -> Result<Value, ExprError> {
        match &node.kind {
            NodeKind::String(s) => Ok(Value::String(s.clone())),
            NodeKind::Int(i) => Ok(Value::Int(*i)),
            NodeKind::Property { target, name } => {
                let t = self.eval(target)?;
                self.property(t, name, node.span)
            }
            NodeKind::Index { target, index } => {
                let t = self.eval(target)?;
                let i = self.eval(index)?;
                self.index(t, i, index.span, node.span)
            }
            NodeKind::Call {
                namespace: Some(ns),
                name,
                args,
            } => self.user_function(ns, name, args, node.span),
            NodeKind::Call {
                namespace: None,
                name,
                args,
            } => self.call(name, args, node.span),
        }
    }

    fn property(&self, target: Value, name: &Ident, span: Span) -> Result<Value, ExprError> {
        match target {
            Value::Unknown(u) => Ok(self.unknown_at(span, &u)),
            Value::Object(mut o) => {
                let idx = o
                    .get_index_of(&name.name)
                    .or_else(|| o.keys().position(|k| k.eq_ignore_ascii_case(&name.name)));
                match idx.and_then(|i| o.swap_remove_index(i)) {
                    Some((_, v)) => Ok(v),
                    // A resource's properties as `reference()` sees them: what
                    // the files do not declare, the service sets.
                    None if o.contains_key(super::OPEN_MARK) => Ok(Value::unknown(
                        self.text(span),
                        "a property Azure sets on the deployed resource",
                    )),
                    None => {
                        let mut available: Vec<&str> =
                            o.keys().take(10).map(String::as_str).collect();
                        if o.len() > 10 {
                            available.push("...");
                        }
                        let listed = if available.is_empty() {
                            "the object is empty".to_string()
                        } else {
                            format!("available: {}", available.join(", "))
                        };
                        Err(ExprError::new(
                            format!("property '{}' does not exist ({listed})", name.name),
                            name.span,
                        ))
                    }
                }
            }
            other => Err(ExprError::new(
                format!(
                    "cannot read property '{}' of a {}",
                    name.name,
                    other.type_name()
                ),
                name.span,
            )),
        }
    }

    fn index(
        &self,
        target: Value,
        index: Value,
        index_span: Span,
        span: Span,
    ) -> Result<Value, ExprError> {
        if let Some(u) = [&target, &index].into_iter().find_map(|v| match v {
            Value::Unknown(u) => Some(u.clone()),
            _ => None,
        }) {
            return Ok(self.unknown_at(span, &u));
        }
        match (target, index) {
            (Value::Array(mut a), Value::Int(i)) => {
                let len = a.len();
                match usize::try_from(i).ok().filter(|&i| i < len) {
                    Some(i) => Ok(a.swap_remove(i)),
                    None => Err(ExprError::new(
                        format!("index {i} is out of range for an array of length {len}"),
                        index_span,
                    )),
                }
            }
            (Value::Object(o), Value::String(k)) => {
                let ident = Ident {
                    name: k,
                    span: index_span,
                };
                self.property(Value::Object(o), &ident, span)
            }
            (Value::Array(_), i) => Err(ExprError::new(
                format!("an array index must be an integer, got {}", i.type_name()),
                index_span,
            )),
            (Value::Object(_), k) => Err(ExprError::new(
                format!("an object key must be a string, got {}", k.type_name()),
                index_span,
            )),
            (other, _) => Err(ExprError::new(
                format!("cannot index a {}", other.type_name()),
                span,
            )),
        }
    }

    fn eval_args(&self, args: &[Node]) -> Result<Vec<Value>, ExprError> {
        args.iter().map(|a| self.eval(a)).collect()
    }

    fn user_function(
        &self,
        ns: &Ident,
        name: &Ident,
        args: &[Node],
        span: Span,
    ) -> Result<Value, ExprError> {
        let values = self.eval_args(args)?;
        match self.env.user_function(&ns.name, &name.name, values) {
            None => Err(ExprError::new(
                format!("unknown user-defined function '{}.{}'", ns.name, name.name),
                ns.span.to(name.span),
            )),
            Some(Err(m)) => Err(ExprError::new(
                format!("{}.{}: {m}", ns.name, name.name),
                span,
            )),
            Some(Ok(v)) => {
                limits::check_value(&v).map_err(|m| ExprError::new(m, span))?;
                Ok(v)
            }
        }
    }

    fn call(&self, name: &Ident, args: &[Node], span: Span) -> Result<Value, ExprError> {
        let canonical = functions::canonical_name(&name.name).unwrap_or("");
        match canonical {
            "if" => self.eval_if(args, span),
            "and" => self.eval_and_or(args, span, false),
            "or" => self.eval_and_or(args, span, true),
            "coalesce" => self.eval_coalesce(args, span),
            "lambda" => Err(ExprError::new(
                "lambda() can only be used as an argument of filter, map, reduce, sort, toObject, mapValues or groupBy",
                span,
            )),
            "lambdaVariables" => self.lambda_variable(&args[0], span),
            c if hof::is_higher_order(c) => self.higher_order(c, args, span),
            _ => {
                let values = self.eval_args(args)?;
                functions::call_with_text(&name.name, values, self.env, self.text(span))
                    .map_err(|m| ExprError::new(m, span))
            }
        }
    }

    fn type_error(&self, what: &str, got: &Value, span: Span) -> ExprError {
        ExprError::new(format!("{what}, got {}", got.type_name()), span)
    }

    /// `if(cond, a, b)`: only the taken branch is evaluated. With an unknown
    /// condition both are tried; the result is known only when they agree.
    fn eval_if(&self, args: &[Node], span: Span) -> Result<Value, ExprError> {
        match self.eval(&args[0])? {
            Value::Bool(true) => self.eval(&args[1]),
            Value::Bool(false) => self.eval(&args[2]),
            Value::Unknown(u) => {
                // The branches the condition's allowed values can take.
                let allowed = u.shape.allowed.as_deref();
                let can = |b: bool| allowed.is_none_or(|a| a.contains(&Value::Bool(b)));
                match (can(true), can(false)) {
                    (true, false) => return self.eval(&args[1]),
                    (false, true) => return self.eval(&args[2]),
                    _ => {}
                }
                match (self.eval(&args[1]), self.eval(&args[2])) {
                    (Ok(a), Ok(b)) if a == b => Ok(a),
                    (Ok(a), Ok(b))
                        if allowed.is_some() && !a.contains_unknown() && !b.contains_unknown() =>
                    {
                        // Either branch, and nothing else.
                        Ok(Value::unknown_shaped(
                            self.text(span),
                            u.reason.clone(),
                            aml_model::value::Shape::one_of(vec![a, b]),
                        ))
                    }
                    _ => Ok(self.unknown_at(span, &u)),
                }
            }
            other => Err(self.type_error("if: the condition must be a bool", &other, span)),
        }
    }

    /// `and` / `or`, short-circuiting on the first known deciding value
    /// (`false` for and, `true` for or). After an unknown argument, errors
    /// of later arguments are not reported: they might not be evaluated.
    fn eval_and_or(&self, args: &[Node], span: Span, is_or: bool) -> Result<Value, ExprError> {
        let name = if is_or { "or" } else { "and" };
        let mut unknown: Option<Arc<Unknown>> = None;
        for arg in args {
            match self.eval(arg) {
                Ok(Value::Bool(b)) if b == is_or => return Ok(Value::Bool(is_or)),
                Ok(Value::Bool(_)) => {}
                Ok(Value::Unknown(u)) => {
                    unknown.get_or_insert(u);
                }
                Ok(other) if unknown.is_none() => {
                    return Err(self.type_error(
                        &format!("{name}: every argument must be a bool"),
                        &other,
                        span,
                    ));
                }
                Err(e) if unknown.is_none() => return Err(e),
                Ok(_) | Err(_) => {}
            }
        }
        Ok(match unknown {
            Some(u) => self.unknown_at(span, &u),
            None => Value::Bool(!is_or),
        })
    }

    /// `coalesce`: the first non-null argument; later ones are not evaluated.
    fn eval_coalesce(&self, args: &[Node], span: Span) -> Result<Value, ExprError> {
        for arg in args {
            match self.eval(arg)? {
                Value::Null => continue,
                Value::Unknown(u) => return Ok(self.unknown_at(span, &u)),
                v => return Ok(v),
            }
        }
        Ok(Value::Null)
    }

    fn lambda_variable(&self, arg: &Node, span: Span) -> Result<Value, ExprError> {
        let name = match self.eval(arg)? {
            Value::String(s) => s,
            Value::Unknown(u) => return Ok(self.unknown_at(span, &u)),
            other => {
                return Err(self.type_error(
                    "lambdaVariables: argument 1 must be a string",
                    &other,
                    span,
                ))
            }
        };
        let scope = self.scope.borrow();
        match scope
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(&name))
        {
            Some((_, v)) => Ok(v.clone()),
            None => Err(ExprError::new(
                format!("lambda variable '{name}' is not defined"),
                span,
            )),
        }
    }

    /// `filter`, `map`, `reduce`, `sort`, `toObject`, `mapValues`, `groupBy`.
    fn higher_order(&self, name: &str, args: &[Node], span: Span) -> Result<Value, ExprError> {
        // Lambdas first (they borrow `lambdas`), then the values in order.
        let mut lambdas = Vec::new();
        for arg in args {
            if let Some((params, body)) = lambda_parts(arg)? {
                lambdas.push(EvalLambda {
                    ev: self,
                    params,
                    body,
                    error: RefCell::new(None),
                });
            }
        }
        let mut next_lambda = lambdas.iter();
        let mut ho_args: Vec<HoArg<'_>> = Vec::with_capacity(args.len());
        for arg in args {
            if is_lambda(arg) {
                if let Some(l) = next_lambda.next() {
                    ho_args.push(HoArg::Lambda(l));
                }
            } else {
                ho_args.push(HoArg::Value(self.eval(arg)?));
            }
        }
        let result = hof::call(name, ho_args, self.text(span));
        if let Some(e) = lambdas.iter().find_map(|l| l.error.borrow_mut().take()) {
            return Err(e);
        }
        let v = result.map_err(|m| ExprError::new(m, span))?;
        limits::check_value(&v).map_err(|m| ExprError::new(format!("{name}: {m}"), span))?;
        Ok(v)
    }
}

fn is_lambda(node: &Node) -> bool {
    matches!(&node.kind, NodeKind::Call { namespace: None, name, .. } if name.name.eq_ignore_ascii_case("lambda"))
}

/// The parameter names and body of a `lambda('a', 'b', body)` argument.
fn lambda_parts(node: &Node) -> Result<Option<(Vec<String>, &Node)>, ExprError> {
    let NodeKind::Call { args, .. } = &node.kind else {
        return Ok(None);
    };
    if !is_lambda(node) {
        return Ok(None);
    }
    let (body, params) = args
        .split_last()
        .ok_or_else(|| ExprError::new("lambda() needs a body", node.span))?;
    let names = params
        .iter()
        .map(|p| match &p.kind {
            NodeKind::String(s) => Ok(s.clone()),
            _ => Err(ExprError::new(
                "lambda parameter names must be string literals",
                p.span,
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some((names, body)))
}

/// A `lambda(...)` argument, bound to the evaluator.
struct EvalLambda<'e, 'a> {
    ev: &'e Evaluator<'a>,
    params: Vec<String>,
    body: &'e Node,
    /// The first evaluation error of the body, reported with its own offset.
    error: RefCell<Option<ExprError>>,
}

impl LambdaFn for EvalLambda<'_, '_> {
    fn param_count(&self) -> usize {
        self.params.len()
    }

    fn invoke(&self, args: Vec<Value>) -> Result<Value, String> {
        let bound = self.params.len().min(args.len());
        {
            let mut scope = self.ev.scope.borrow_mut();
            for (p, v) in self.params.iter().zip(args) {
                scope.push((p.clone(), v));
            }
        }
        let result = self.ev.eval(self.body);
        {
            let mut scope = self.ev.scope.borrow_mut();
            let keep = scope.len() - bound;
            scope.truncate(keep);
        }
        result.map_err(|e| {
            let message = e.message.clone();
            self.error.borrow_mut().get_or_insert(e);
            message
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::expr::test_env::{eval, eval_err, is_unknown_with, json, TestEnv};
    use aml_model::value::Value;

    #[test]
    fn literals_and_nesting() {
        assert_eq!(eval("['it''s']"), Value::str("it's"));
        assert_eq!(eval("[-42]"), Value::Int(-42));
        assert_eq!(
            eval("[concat(toUpper('a'), toLower(concat('B', 'C')))]"),
            Value::str("Abc")
        );
        assert_eq!(eval("[ concat ( 'a' ,'b' ) ]"), Value::str("ab"));
        assert_eq!(eval("[TOLOWER('X')]"), Value::str("x"));
    }

    #[test]
    fn property_and_index_access() {
        let env = TestEnv::new().param(
            "o",
            json(serde_json::json!({"Properties": {"list": [10, {"Deep": "v"}]}, "k-1": 1})),
        );
        assert_eq!(
            env.eval("[parameters('o').properties.LIST[0]]"),
            Value::Int(10)
        );
        assert_eq!(
            env.eval("[parameters('o').properties.list[1].deep]"),
            Value::str("v")
        );
        assert_eq!(
            env.eval("[parameters('o')['properties']['list'][1]['DEEP']]"),
            Value::str("v")
        );
        assert_eq!(env.eval("[parameters('o').k-1]"), Value::Int(1));
        assert_eq!(env.eval("[createArray(1, 2, 3)[add(1, 1)]]"), Value::Int(3));

        let e = env.eval_err("[parameters('o').nope]");
        assert_eq!(e.offset, 17);
        assert!(e.message.contains("'nope' does not exist"), "{}", e.message);
        let e = env.eval_err("[createArray(1)[1]]");
        assert_eq!(e.offset, 16);
        assert!(e.message.contains("out of range"));
        let e = env.eval_err("[createArray(1)[-1]]");
        assert!(e.message.contains("out of range"));
        let e = env.eval_err("[createArray(1)['a']]");
        assert!(e.message.contains("must be an integer"));
        let e = env.eval_err("['abc'.length]");
        assert!(e.message.contains("cannot read property"));
        let e = env.eval_err("['abc'[0]]");
        assert!(e.message.contains("cannot index a string"));
    }

    #[test]
    fn unknown_property_access_extends_the_text() {
        let env = TestEnv::new();
        let v = env.eval("[reference('vnet').properties.subnets[0].id]");
        assert!(is_unknown_with(
            &v,
            "reference('vnet').properties.subnets[0].id"
        ));
        let env = TestEnv::new().unknown_param("i");
        let v = env.eval("[createArray(1, 2)[parameters('i')]]");
        assert!(is_unknown_with(&v, "createArray(1, 2)[parameters('i')]"));
        let Value::Unknown(u) = v else { panic!() };
        assert_eq!(u.reason, "parameter 'i' has no value");
    }

    #[test]
    fn unknown_argument_makes_the_call_unknown() {
        let env = TestEnv::new().unknown_param("p");
        let v = env.eval("[concat('a', toLower(parameters('p')))]");
        assert!(is_unknown_with(&v, "concat('a', toLower(parameters('p')))"));
    }

    #[test]
    fn static_errors_are_found_in_untaken_branches() {
        let e = eval_err("[if(true(), 'a', nope('b'))]");
        assert_eq!((e.offset, e.len), (17, 4));
        assert_eq!(e.message, "unknown function 'nope'");
        let e = eval_err("[if(true(), 'a', toLower())]");
        assert_eq!(e.offset, 17);
        assert_eq!(e.message, "toLower() takes 1 argument, 0 given");
        let e = eval_err("[concat('a', substring('abc', 5))]");
        assert_eq!(e.offset, 13, "type/range errors point at the call");
    }

    #[test]
    fn if_is_lazy() {
        assert_eq!(eval("[if(true(), 'a', div(1, 0))]"), Value::str("a"));
        assert_eq!(eval("[if(false(), div(1, 0), 'b')]"), Value::str("b"));
        assert!(eval_err("[if(true(), div(1, 0), 'b')]")
            .message
            .contains("zero"));
        let e = eval_err("[if('yes', 1, 2)]");
        assert!(e.message.contains("condition must be a bool"));
        assert_eq!(e.offset, 1);
    }

    #[test]
    fn if_with_unknown_condition() {
        let env = TestEnv::new().unknown_param("c");
        assert!(is_unknown_with(
            &env.eval("[if(parameters('c'), 'a', 'b')]"),
            "if(parameters('c'), 'a', 'b')"
        ));
        assert_eq!(
            env.eval("[if(parameters('c'), 'same', 'same')]"),
            Value::str("same")
        );
        // A branch that fails makes the result unknown, not an error.
        assert!(env
            .eval("[if(parameters('c'), 'a', first(split('', ','))[5])]")
            .is_unknown());
    }

    #[test]
    fn and_or_short_circuit() {
        let env = TestEnv::new().unknown_param("u");
        assert_eq!(
            env.eval("[and(parameters('u'), false())]"),
            Value::Bool(false)
        );
        assert_eq!(env.eval("[or(parameters('u'), true())]"), Value::Bool(true));
        assert!(env.eval("[and(parameters('u'), true())]").is_unknown());
        assert!(env.eval("[or(false(), parameters('u'))]").is_unknown());
        assert_eq!(env.eval("[and(true(), true(), true())]"), Value::Bool(true));
        assert_eq!(env.eval("[or(false(), false())]"), Value::Bool(false));
        assert_eq!(env.eval("[and(false(), div(1, 0))]"), Value::Bool(false));
        assert_eq!(env.eval("[or(true(), div(1, 0))]"), Value::Bool(true));
        assert!(env.eval("[and(parameters('u'), div(1, 0))]").is_unknown());
        let e = env.eval_err("[and(true(), 'x')]");
        assert!(e.message.contains("must be a bool"), "{}", e.message);
    }

    #[test]
    fn user_functions() {
        let env = TestEnv::new().unknown_param("u");
        assert_eq!(env.eval("[ns.double(21)]"), Value::Int(42));
        assert_eq!(env.eval("[ns.echo(createObject('a', 1)).a]"), Value::Int(1));
        let e = env.eval_err("[concat(ns.nope(1))]");
        assert_eq!((e.offset, e.len), (8, 7));
        let e = env.eval_err("[other.double(1)]");
        assert!(e.message.contains("other.double"));
        let e = env.eval_err("[ns.fail()]");
        assert_eq!(e.message, "ns.fail: user function failed");
        assert!(env.eval("[ns.double(parameters('u'))]").is_unknown());
    }

    #[test]
    fn parameters_variables_and_errors() {
        let env = TestEnv::new()
            .param("p", Value::str("v"))
            .var("x", Value::Int(1));
        assert_eq!(env.eval("[parameters('P')]"), Value::str("v"));
        assert_eq!(env.eval("[variables('x')]"), Value::Int(1));
        let e = env.eval_err("[concat(parameters('missing'))]");
        assert_eq!(e.message, "parameters: parameter 'missing' is not defined");
        assert_eq!(e.offset, 8);
    }

    #[test]
    fn list_functions_are_unknown() {
        let v = eval("[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'sa'), '2023-01-01').keys[0].value]");
        assert!(is_unknown_with(
            &v,
            "listKeys(resourceId('Microsoft.Storage/storageAccounts', 'sa'), '2023-01-01').keys[0].value"
        ));
        assert!(eval("[listSecrets('x', '2020-01-01')]").is_unknown());
        assert!(eval("[ListAccountSas('x', '2020-01-01', createObject())]").is_unknown());
    }

    #[test]
    fn lambdas() {
        let env = TestEnv::new().unknown_param("u");
        assert_eq!(
            env.eval("[map(range(1, 3), lambda('x', mul(lambdaVariables('x'), 10)))]"),
            json(serde_json::json!([10, 20, 30]))
        );
        assert_eq!(
            env.eval("[filter(createArray(1, 2, 3, 4), lambda('x', equals(mod(lambdaVariables('x'), 2), 0)))]"),
            json(serde_json::json!([2, 4]))
        );
        assert_eq!(
            env.eval("[reduce(createArray(1, 2, 3), 0, lambda('acc', 'x', add(lambdaVariables('acc'), lambdaVariables('x'))))]"),
            Value::Int(6)
        );
        // Nested lambdas see outer variables.
        assert_eq!(
            env.eval("[map(createArray(1, 2), lambda('x', map(createArray(10), lambda('y', add(lambdaVariables('x'), lambdaVariables('y'))))))]"),
            json(serde_json::json!([[11], [12]]))
        );
        let e = env.eval_err("[map(createArray(1), lambda('x', lambdaVariables('y')))]");
        assert_eq!(e.message, "lambda variable 'y' is not defined");
        assert_eq!(e.offset, 33, "the error points into the lambda body");
        let e = env.eval_err("[lambda('x', 1)]");
        assert!(e.message.contains("only be used as an argument"));
        let e = env.eval_err("[lambdaVariables('x')]");
        assert!(e.message.contains("not defined"));
        let e = env.eval_err("[map(createArray(1), lambda(concat('x'), 1))]");
        assert!(e.message.contains("string literals"));
        assert!(env
            .eval("[map(parameters('u'), lambda('x', 1))]")
            .is_unknown());
    }

    #[test]
    fn work_is_bounded() {
        let env = TestEnv::new().var("s", Value::str("x".repeat(1 << 20)));
        let e = env.eval_err(
            "[concat(variables('s'), variables('s'), variables('s'), variables('s'), variables('s'))]",
        );
        assert!(e.message.contains("limit"), "{}", e.message);
        // Nested lambdas would run 800^3 times.
        let e = env.eval_err(
            "[map(range(0, 800), lambda('a', map(range(0, 800), lambda('b', map(range(0, 800), lambda('c', 'xxxxxxxxxxxxxxxxxxxxxxxxx'))))))]",
        );
        assert!(e.message.contains("limit"), "{}", e.message);
        // Values cannot nest without bound.
        let e = env.eval_err(
            "[reduce(range(0, 800), createArray(), lambda('acc', 'x', createArray(lambdaVariables('acc'))))]",
        );
        assert!(e.message.contains("nested"), "{}", e.message);
        // Each copy of a large value counts against the budget.
        let env = TestEnv::new().var("big", Value::Array(vec![Value::Int(1); 200_000]));
        let e = env.eval_err(&format!(
            "[createArray({})]",
            vec!["variables('big')"; 100].join(", ")
        ));
        assert!(e.message.contains("limit"), "{}", e.message);
    }

    #[test]
    fn random_expressions_never_panic() {
        let words = [
            "concat(",
            "if(",
            "and(",
            "or(",
            "coalesce(",
            "length(",
            "parameters('p')",
            "variables('v')",
            "createArray(",
            "createObject(",
            "'a'",
            "'b'",
            "1",
            "-1",
            "0",
            ")",
            ")",
            ",",
            ",",
            ".x",
            "[0]",
            "['k']",
            "union(",
            "split(",
            "substring(",
            "range(",
            "map(",
            "lambda('x', ",
            "lambdaVariables('x')",
            "format('{0}', ",
            "json('[1]')",
            "first(",
            "skip(",
            "take(",
            "true()",
            "null()",
            "equals(",
            "reference('r')",
            "ns.echo(",
            "padLeft(",
            "guid(",
            "uniqueString(",
            "string(",
            "div(",
            "mod(",
            "add(",
            "int(",
            "contains(",
            "indexOf(",
            "items(",
            "tryGet(",
            "filter(",
            "sort(",
            "reduce(",
            "dateTimeAdd(",
            "'P1D'",
            "'2020-01-01T00:00:00Z'",
            "resourceId(",
            "'a/b'",
            "base64(",
            "uri(",
        ];
        let env = TestEnv::new()
            .unknown_param("p")
            .var("v", json(serde_json::json!({"x": [1, 2], "k": "v"})));
        let mut seed: u64 = 42;
        for _ in 0..30_000 {
            let mut s = String::from("[");
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = 1 + (seed >> 60) as usize;
            let mut x = seed;
            for _ in 0..n * 2 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push_str(words[(x % words.len() as u64) as usize]);
            }
            s.push(']');
            let _ = crate::expr::eval_str(&s, &env);
        }
    }
}
