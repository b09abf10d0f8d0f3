//! Lambda functions: `filter`, `map`, `reduce`, `sort`, `toObject`,
//! `mapValues`, `groupBy`.
//!
//! A lambda is whatever the caller's evaluator makes of `lambda('x', body)`
//! (ARM) or `x => body` (Bicep): anything implementing [`LambdaFn`]. The
//! evaluator passes each argument as a [`HoArg`] to [`call`].
//!
//! Lambdas receive the element and, when they declare a second (third for
//! `reduce`) parameter, its index.

use super::{args, limits};
use aml_model::value::{Object, Value};

/// A lambda argument, bound to its evaluator.
pub trait LambdaFn {
    /// How many parameters the lambda declares.
    fn param_count(&self) -> usize;
    /// Calls the lambda; extra arguments beyond [`Self::param_count`] are ignored.
    fn invoke(&self, args: Vec<Value>) -> Result<Value, String>;
}

/// An argument of a higher-order function: a value or a lambda.
pub enum HoArg<'a> {
    /// An evaluated argument.
    Value(Value),
    /// A lambda argument.
    Lambda(&'a dyn LambdaFn),
}

const HIGHER_ORDER: &[&str] = &[
    "filter",
    "groupBy",
    "map",
    "mapValues",
    "reduce",
    "sort",
    "toObject",
];

/// True for the canonical names of the functions that take lambdas.
pub fn is_higher_order(canonical_name: &str) -> bool {
    HIGHER_ORDER.contains(&canonical_name)
}

/// The table entry of the lambda functions when called with plain values.
pub(crate) fn needs_evaluator(_: &super::Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    Err(
        "this function takes a lambda argument and must be called through functions::lambda::call"
            .to_string(),
    )
}

/// Calls a higher-order function (canonical name). `text` names the call in
/// unknown results.
pub fn call(name: &str, args: Vec<HoArg<'_>>, text: &str) -> Result<Value, String> {
    let mut a = Args {
        args: args.into_iter().map(Some).collect(),
    };
    match name {
        "filter" => filter(a.value(0)?, a.lambda(1)?, text),
        "map" => map(a.value(0)?, a.lambda(1)?, text),
        "reduce" => reduce(a.value(0)?, a.value(1)?, a.lambda(2)?, text),
        "sort" => sort(a.value(0)?, a.lambda(1)?, text),
        "toObject" => {
            let values = if a.args.len() > 2 {
                Some(a.lambda(2)?)
            } else {
                None
            };
            to_object(a.value(0)?, a.lambda(1)?, values, text)
        }
        "mapValues" => map_values(a.value(0)?, a.lambda(1)?, text),
        "groupBy" => group_by(a.value(0)?, a.lambda(1)?, text),
        _ => Err(format!("'{name}' is not a lambda function")),
    }
    .map_err(|m| format!("{name}: {m}"))
}

struct Args<'a> {
    args: Vec<Option<HoArg<'a>>>,
}

impl<'a> Args<'a> {
    fn value(&mut self, pos: usize) -> Result<Value, String> {
        match self.args.get_mut(pos).and_then(Option::take) {
            Some(HoArg::Value(v)) => Ok(v),
            Some(HoArg::Lambda(_)) => Err(format!(
                "argument {} must be a value, not a lambda",
                pos + 1
            )),
            None => Err(format!("argument {} is missing", pos + 1)),
        }
    }

    fn lambda(&mut self, pos: usize) -> Result<&'a dyn LambdaFn, String> {
        match self.args.get_mut(pos).and_then(Option::take) {
            Some(HoArg::Lambda(l)) => Ok(l),
            Some(HoArg::Value(v)) => Err(format!(
                "argument {} must be a lambda, got {}",
                pos + 1,
                v.type_name()
            )),
            None => Err(format!("argument {} is missing", pos + 1)),
        }
    }
}

/// The input array, or `Err(Ok(unknown))` to return when it is unknown.
fn input_array(v: Value, text: &str) -> Result<Vec<Value>, Result<Value, String>> {
    match v {
        Value::Unknown(u) => Err(Ok(Value::unknown(text, u.reason.clone()))),
        other => args::into_array(other, 0).map_err(Err),
    }
}

fn invoke_item(f: &dyn LambdaFn, item: Value, index: usize) -> Result<Value, String> {
    let mut call_args = vec![item];
    if f.param_count() > 1 {
        call_args.push(Value::Int(i64::try_from(index).unwrap_or(i64::MAX)));
    }
    f.invoke(call_args)
}

fn filter(input: Value, f: &dyn LambdaFn, text: &str) -> Result<Value, String> {
    let items = match input_array(input, text) {
        Ok(a) => a,
        Err(done) => return done,
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match invoke_item(f, item.clone(), i)? {
            Value::Bool(true) => out.push(item),
            Value::Bool(false) => {}
            Value::Unknown(u) => return Ok(Value::unknown(text, u.reason.clone())),
            other => {
                return Err(format!(
                    "the lambda must return a bool, got {}",
                    other.type_name()
                ))
            }
        }
    }
    Ok(Value::Array(out))
}

fn map(input: Value, f: &dyn LambdaFn, text: &str) -> Result<Value, String> {
    let items = match input_array(input, text) {
        Ok(a) => a,
        Err(done) => return done,
    };
    let out = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| invoke_item(f, item, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::Array(out))
}

fn reduce(input: Value, initial: Value, f: &dyn LambdaFn, text: &str) -> Result<Value, String> {
    let items = match input_array(input, text) {
        Ok(a) => a,
        Err(done) => return done,
    };
    let mut acc = initial;
    for (i, item) in items.into_iter().enumerate() {
        let mut call_args = vec![acc, item];
        if f.param_count() > 2 {
            call_args.push(Value::Int(i64::try_from(i).unwrap_or(i64::MAX)));
        }
        acc = f.invoke(call_args)?;
        limits::check_value(&acc)?;
    }
    Ok(acc)
}

/// `sort(array, lambda('a', 'b', less(...)))`: the lambda says whether `a`
/// goes before `b`. A stable merge sort, so that a lambda that is not a
/// strict order cannot make it misbehave.
fn sort(input: Value, f: &dyn LambdaFn, text: &str) -> Result<Value, String> {
    let items = match input_array(input, text) {
        Ok(a) => a,
        Err(done) => return done,
    };
    let mut unknown = None;
    let mut before = |a: &Value, b: &Value| -> Result<bool, String> {
        match f.invoke(vec![a.clone(), b.clone()])? {
            Value::Bool(x) => Ok(x),
            Value::Unknown(u) => {
                unknown.get_or_insert(u);
                Ok(false)
            }
            other => Err(format!(
                "the lambda must return a bool, got {}",
                other.type_name()
            )),
        }
    };
    let sorted = merge_sort(items, &mut before)?;
    match unknown {
        Some(u) => Ok(Value::unknown(text, u.reason.clone())),
        None => Ok(Value::Array(sorted)),
    }
}

fn merge_sort(
    mut items: Vec<Value>,
    before: &mut dyn FnMut(&Value, &Value) -> Result<bool, String>,
) -> Result<Vec<Value>, String> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let right = items.split_off(items.len() / 2);
    let left = merge_sort(items, before)?;
    let right = merge_sort(right, before)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut l = left.into_iter().peekable();
    let mut r = right.into_iter().peekable();
    while let (Some(a), Some(b)) = (l.peek(), r.peek()) {
        // Take from the right only when it strictly goes first: stable.
        let next = if before(b, a)? { r.next() } else { l.next() };
        out.extend(next);
    }
    out.extend(l);
    out.extend(r);
    Ok(out)
}

fn key_of(v: Value, text: &str) -> Result<Result<String, Value>, String> {
    match v {
        Value::String(s) => Ok(Ok(s)),
        Value::Unknown(u) => Ok(Err(Value::unknown(text, u.reason.clone()))),
        other => Err(format!(
            "the key lambda must return a string, got {}",
            other.type_name()
        )),
    }
}

fn to_object(
    input: Value,
    keys: &dyn LambdaFn,
    values: Option<&dyn LambdaFn>,
    text: &str,
) -> Result<Value, String> {
    let items = match input_array(input, text) {
        Ok(a) => a,
        Err(done) => return done,
    };
    let mut out = Object::default();
    for item in items {
        let key = match key_of(keys.invoke(vec![item.clone()])?, text)? {
            Ok(k) => k,
            Err(unknown) => return Ok(unknown),
        };
        let value = match values {
            Some(v) => v.invoke(vec![item])?,
            None => item,
        };
        out.insert(key, value);
    }
    Ok(Value::Object(out))
}

fn map_values(input: Value, f: &dyn LambdaFn, text: &str) -> Result<Value, String> {
    let obj = match input {
        Value::Unknown(u) => return Ok(Value::unknown(text, u.reason.clone())),
        other => args::into_object(other, 0)?,
    };
    let mut out = Object::default();
    for (k, v) in obj {
        out.insert(k, f.invoke(vec![v])?);
    }
    Ok(Value::Object(out))
}

fn group_by(input: Value, f: &dyn LambdaFn, text: &str) -> Result<Value, String> {
    let items = match input_array(input, text) {
        Ok(a) => a,
        Err(done) => return done,
    };
    let mut out = Object::default();
    for item in items {
        let key = match key_of(f.invoke(vec![item.clone()])?, text)? {
            Ok(k) => k,
            Err(unknown) => return Ok(unknown),
        };
        if let Value::Array(group) = out.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
            group.push(item);
        }
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::{eval, json, TestEnv};

    #[test]
    fn sort_is_stable_and_total() {
        assert_eq!(
            eval("[sort(createArray(3, 1, 2), lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))]"),
            json(serde_json::json!([1, 2, 3]))
        );
        // A lambda that is not an order cannot break it.
        let v = eval("[sort(range(0, 50), lambda('a', 'b', true()))]");
        assert_eq!(v.as_array().unwrap().len(), 50);
        let v = eval(
            "[sort(createArray(createObject('k', 1, 'n', 'a'), createObject('k', 0, 'n', 'b'), createObject('k', 1, 'n', 'c')), lambda('a', 'b', less(lambdaVariables('a').k, lambdaVariables('b').k)))]",
        );
        let names: Vec<_> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.get("n").unwrap().clone())
            .collect();
        assert_eq!(
            names,
            vec![Value::str("b"), Value::str("a"), Value::str("c")]
        );
    }

    #[test]
    fn to_object_map_values_group_by() {
        assert_eq!(
            eval("[toObject(createArray('a', 'b'), lambda('x', toUpper(lambdaVariables('x'))))]"),
            json(serde_json::json!({"A": "a", "B": "b"}))
        );
        assert_eq!(
            eval("[toObject(createArray('a'), lambda('x', lambdaVariables('x')), lambda('x', 1))]"),
            json(serde_json::json!({"a": 1}))
        );
        assert_eq!(
            eval("[mapValues(createObject('a', 1, 'b', 2), lambda('v', mul(lambdaVariables('v'), 2)))]"),
            json(serde_json::json!({"a": 2, "b": 4}))
        );
        assert_eq!(
            eval("[groupBy(createArray('ab', 'ac', 'b'), lambda('x', substring(lambdaVariables('x'), 0, 1)))]"),
            json(serde_json::json!({"a": ["ab", "ac"], "b": ["b"]}))
        );
    }

    #[test]
    fn index_parameters() {
        assert_eq!(
            eval("[map(createArray('a', 'b'), lambda('x', 'i', concat(lambdaVariables('x'), string(lambdaVariables('i')))))]"),
            json(serde_json::json!(["a0", "b1"]))
        );
        assert_eq!(
            eval("[filter(createArray('a', 'b', 'c'), lambda('x', 'i', not(equals(lambdaVariables('i'), 1))))]"),
            json(serde_json::json!(["a", "c"]))
        );
    }

    #[test]
    fn unknowns_in_lambdas() {
        let env = TestEnv::new().unknown_param("u");
        assert!(env
            .eval("[filter(createArray(1, 2), lambda('x', equals(lambdaVariables('x'), parameters('u'))))]")
            .is_unknown());
        let v = env.eval("[map(createArray(1, 2), lambda('x', parameters('u')))]");
        assert_eq!(
            v.as_array().unwrap().len(),
            2,
            "map keeps the known structure"
        );
        assert!(env
            .eval("[toObject(createArray(1), lambda('x', parameters('u')))]")
            .is_unknown());
    }

    #[test]
    fn wrong_arguments() {
        let env = TestEnv::new();
        let e = env.eval_err("[map(createArray(1), 2)]");
        assert!(e.message.contains("must be a lambda"), "{}", e.message);
        let e = env.eval_err("[map(lambda('x', 1), lambda('x', 1))]");
        assert!(e.message.contains("not a lambda"), "{}", e.message);
        let e = env.eval_err("[filter(createArray(1), lambda('x', 1))]");
        assert!(e.message.contains("must return a bool"), "{}", e.message);
        let e = env.eval_err("[map('abc', lambda('x', 1))]");
        assert!(e.message.contains("must be an array"), "{}", e.message);
    }
}
