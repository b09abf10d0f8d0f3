//! Logical functions: `and`, `or`, `not`, `if`, `bool`, `true`, `false`.
//!
//! `if`, `and` and `or` are lazy in the expression evaluator; these eager
//! forms give the same results for arguments that are already evaluated.

use super::args::{bool_arg, type_error};
use super::comparison::deep_eq;
use super::Call;
use aml_model::value::Value;

fn and_or(call: &Call<'_>, args: &[Value], is_or: bool) -> Result<Value, String> {
    let mut unknown = None;
    for (i, a) in args.iter().enumerate() {
        match a {
            Value::Bool(b) if *b == is_or => return Ok(Value::Bool(is_or)),
            Value::Bool(_) => {}
            Value::Unknown(u) => {
                unknown.get_or_insert(u);
            }
            other => return Err(type_error(i, "a bool", other)),
        }
    }
    Ok(match unknown {
        Some(u) => call.unknown_from(u),
        None => Value::Bool(!is_or),
    })
}

/// `and(a, b, ...)`: false when any argument is false, even if others are unknown.
pub(crate) fn and(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    and_or(call, &args, false)
}

/// `or(a, b, ...)`: true when any argument is true, even if others are unknown.
pub(crate) fn or(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    and_or(call, &args, true)
}

pub(crate) fn not(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::Bool(!bool_arg(&args[0], 0)?))
}

/// `if(cond, a, b)` on evaluated arguments; with an unknown condition the
/// result is known only when both branches are equal.
pub(crate) fn if_(call: &Call<'_>, mut args: Vec<Value>) -> Result<Value, String> {
    let b = args.pop().unwrap_or_default();
    let a = args.pop().unwrap_or_default();
    match &args[0] {
        Value::Bool(true) => Ok(a),
        Value::Bool(false) => Ok(b),
        Value::Unknown(u) => Ok(if deep_eq(&a, &b) == Some(true) || (a == b) {
            a
        } else {
            call.unknown_from(u)
        }),
        other => Err(type_error(0, "a bool", other)),
    }
}

/// `bool(x)`: bools, `'true'`/`'false'` (any case) and integers (non-zero is true).
pub(crate) fn bool(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    match &args[0] {
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::Int(i) => Ok(Value::Bool(*i != 0)),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        Value::String(s) => Err(format!("'{s}' is not a bool")),
        other => Err(type_error(0, "a bool, a string or an integer", other)),
    }
}

pub(crate) fn true_(_: &Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    Ok(Value::Bool(true))
}

pub(crate) fn false_(_: &Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    Ok(Value::Bool(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::{eval, eval_err, TestEnv};
    use crate::functions::call;

    #[test]
    fn basics() {
        assert_eq!(eval("[not(true())]"), Value::Bool(false));
        assert_eq!(eval("[true()]"), Value::Bool(true));
        assert_eq!(eval("[false()]"), Value::Bool(false));
        assert_eq!(eval("[null()]"), Value::Null);
        assert!(eval_err("[not('x')]").message.contains("must be a bool"));
        assert!(eval_err("[true(1)]").message.contains("takes 0 arguments"));
    }

    #[test]
    fn bool_conversion() {
        assert_eq!(eval("[bool('TRUE')]"), Value::Bool(true));
        assert_eq!(eval("[bool('false')]"), Value::Bool(false));
        assert_eq!(eval("[bool(0)]"), Value::Bool(false));
        assert_eq!(eval("[bool(2)]"), Value::Bool(true));
        assert!(eval_err("[bool('yes')]").message.contains("not a bool"));
        assert!(eval_err("[bool(createArray())]")
            .message
            .contains("argument 1"));
    }

    #[test]
    fn eager_forms_match_the_lazy_ones() {
        let env = TestEnv::new();
        let u = Value::unknown("parameters('u')", "no value");
        let t = Value::Bool(true);
        let f = Value::Bool(false);
        assert_eq!(call("and", vec![u.clone(), f.clone()], &env).unwrap(), f);
        assert!(call("and", vec![u.clone(), t.clone()], &env)
            .unwrap()
            .is_unknown());
        assert_eq!(call("or", vec![u.clone(), t.clone()], &env).unwrap(), t);
        assert_eq!(call("or", vec![f.clone(), f.clone()], &env).unwrap(), f);
        assert!(call("or", vec![f.clone(), Value::Int(1)], &env).is_err());
        assert_eq!(
            call(
                "if",
                vec![u.clone(), Value::str("a"), Value::str("a")],
                &env
            )
            .unwrap(),
            Value::str("a")
        );
        assert!(call(
            "if",
            vec![u.clone(), Value::str("a"), Value::str("b")],
            &env
        )
        .unwrap()
        .is_unknown());
        assert_eq!(
            call("if", vec![t, Value::Int(1), u.clone()], &env).unwrap(),
            Value::Int(1)
        );
        assert!(call("coalesce", vec![Value::Null, u], &env)
            .unwrap()
            .is_unknown());
    }
}
