//! A tiny [`ExprEnv`] for tests, with helpers to evaluate expressions.

use super::{eval_str, DeploymentContext, ExprEnv, ExprError};
use aml_model::value::Value;
use indexmap::IndexMap;

/// Parameters, variables, copy loops and resources held in memory.
///
/// User functions: `ns.double(int)`, `ns.echo(any)` and `ns.fail()` (an error).
#[derive(Default)]
pub(crate) struct TestEnv {
    pub params: IndexMap<String, Value>,
    pub vars: IndexMap<String, Value>,
    pub copy: Vec<(Option<String>, i64)>,
    pub ctx: DeploymentContext,
    /// `reference()` targets: resource id or name -> full resource object.
    pub resources: IndexMap<String, Value>,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv::default()
    }

    pub fn param(mut self, name: &str, v: Value) -> TestEnv {
        self.params.insert(name.to_string(), v);
        self
    }

    /// A parameter with no value: `Value::unknown("parameters('name')", ...)`.
    pub fn unknown_param(self, name: &str) -> TestEnv {
        let u = Value::unknown(
            format!("parameters('{name}')"),
            format!("parameter '{name}' has no value"),
        );
        self.param(name, u)
    }

    pub fn var(mut self, name: &str, v: Value) -> TestEnv {
        self.vars.insert(name.to_string(), v);
        self
    }

    pub fn copy(mut self, loop_name: Option<&str>, index: i64) -> TestEnv {
        self.copy.push((loop_name.map(str::to_string), index));
        self
    }

    pub fn resource(mut self, id: &str, v: Value) -> TestEnv {
        self.resources.insert(id.to_string(), v);
        self
    }

    /// Evaluates and panics on error.
    pub fn eval(&self, text: &str) -> Value {
        match eval_str(text, self) {
            Ok(v) => v,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    /// Evaluates and panics on success.
    pub fn eval_err(&self, text: &str) -> ExprError {
        match eval_str(text, self) {
            Ok(v) => panic!("{text}: expected an error, got {v}"),
            Err(e) => e,
        }
    }
}

/// Evaluates with an empty [`TestEnv`].
pub(crate) fn eval(text: &str) -> Value {
    TestEnv::new().eval(text)
}

/// Evaluates with an empty [`TestEnv`], expecting an error.
pub(crate) fn eval_err(text: &str) -> ExprError {
    TestEnv::new().eval_err(text)
}

/// True when `v` is an unknown whose expression text is `expr`.
pub(crate) fn is_unknown_with(v: &Value, expr: &str) -> bool {
    match v {
        Value::Unknown(u) if u.expr == expr => true,
        Value::Unknown(u) => {
            eprintln!("unknown text is {:?}, expected {expr:?}", u.expr);
            false
        }
        other => {
            eprintln!("not unknown: {other}");
            false
        }
    }
}

/// JSON to [`Value`].
pub(crate) fn json(v: serde_json::Value) -> Value {
    Value::from_json(&v)
}

impl ExprEnv for TestEnv {
    fn parameter(&self, name: &str) -> Result<Value, String> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("parameter '{name}' is not defined"))
    }

    fn variable(&self, name: &str) -> Result<Value, String> {
        self.vars
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("variable '{name}' is not defined"))
    }

    fn copy_index(&self, loop_name: Option<&str>) -> Result<i64, String> {
        self.copy
            .iter()
            .rev()
            .find(|(n, _)| match (n, loop_name) {
                (_, None) => true,
                (Some(n), Some(l)) => n.eq_ignore_ascii_case(l),
                (None, Some(_)) => false,
            })
            .map(|(_, i)| *i)
            .ok_or_else(|| "copyIndex() is only available in a copy loop".to_string())
    }

    fn context(&self) -> &DeploymentContext {
        &self.ctx
    }

    fn reference(&self, target: &Value, _api_version: Option<&Value>, full: bool) -> Value {
        let found = target.as_str().and_then(|t| {
            self.resources
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(t))
                .map(|(_, v)| v.clone())
        });
        match found {
            Some(r) if full => r,
            Some(r) => r.get("properties").cloned().unwrap_or(Value::Null),
            None => Value::unknown(
                format!("reference({target})"),
                "the resource is not in the deployment",
            ),
        }
    }

    fn user_function(
        &self,
        namespace: &str,
        name: &str,
        args: Vec<Value>,
    ) -> Option<Result<Value, String>> {
        if !namespace.eq_ignore_ascii_case("ns") {
            return None;
        }
        match name {
            "double" => Some(match args.first() {
                Some(Value::Int(i)) => i
                    .checked_mul(2)
                    .map(Value::Int)
                    .ok_or_else(|| "overflow".to_string()),
                Some(u @ Value::Unknown(_)) => Ok(u.clone()),
                _ => Err("double expects an int".to_string()),
            }),
            "echo" => Some(Ok(args.into_iter().next().unwrap_or(Value::Null))),
            "fail" => Some(Err("user function failed".to_string())),
            _ => None,
        }
    }
}
