//! Comparison functions: `equals`, `less`, `lessOrEquals`, `greater`,
//! `greaterOrEquals`, `coalesce`, and the deep equality the array functions
//! share.

use super::Call;
use aml_model::value::Value;
use std::cmp::Ordering;
use std::fmt::Write as _;

/// ARM's deep equality: strings case-sensitive, `1` equals `1.0`, object keys
/// compared exactly, key order ignored. `None` when an unknown decides it;
/// values that differ in a known part are unequal even if they also hold
/// unknowns.
pub(crate) fn deep_eq(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Unknown(_), _) | (_, Value::Unknown(_)) => None,
        (Value::Null, Value::Null) => Some(true),
        (Value::Bool(x), Value::Bool(y)) => Some(x == y),
        (Value::Int(x), Value::Int(y)) => Some(x == y),
        (Value::Float(x), Value::Float(y)) => Some(x == y),
        (Value::Int(i), Value::Float(f)) | (Value::Float(f), Value::Int(i)) => {
            Some(*i as f64 == *f)
        }
        (Value::String(x), Value::String(y)) => Some(x == y),
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            all_equal(x.iter().zip(y.iter()).map(|(p, q)| deep_eq(p, q)))
        }
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            all_equal(x.iter().map(|(k, v)| match y.get(k) {
                Some(w) => deep_eq(v, w),
                None => Some(false),
            }))
        }
        _ => Some(false),
    }
}

fn all_equal(results: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut undecided = false;
    for r in results {
        match r {
            Some(false) => return Some(false),
            None => undecided = true,
            Some(true) => {}
        }
    }
    if undecided {
        None
    } else {
        Some(true)
    }
}

/// A string that is equal for two values exactly when [`deep_eq`] says they
/// are equal; `None` when the value holds an unknown. Used to deduplicate in
/// linear time.
pub(crate) fn canonical_key(v: &Value) -> Option<String> {
    let mut out = String::new();
    write_key(v, &mut out).then_some(out)
}

fn write_key(v: &Value, out: &mut String) -> bool {
    match v {
        Value::Unknown(_) => return false,
        Value::Null => out.push('n'),
        Value::Bool(b) => out.push(if *b { 't' } else { 'f' }),
        Value::Int(i) => {
            let _ = write!(out, "i{i};");
        }
        Value::Float(f) => {
            if f.fract() == 0.0 && *f >= -9.2e18 && *f <= 9.2e18 {
                let _ = write!(out, "i{};", *f as i64);
            } else {
                let _ = write!(out, "d{};", f.to_bits());
            }
        }
        Value::String(s) => {
            let _ = write!(out, "s{}:{s}", s.len());
        }
        Value::Array(a) => {
            let _ = write!(out, "[{}:", a.len());
            for x in a {
                if !write_key(x, out) {
                    return false;
                }
            }
        }
        Value::Object(o) => {
            let mut entries: Vec<_> = o.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let _ = write!(out, "{{{}:", o.len());
            for (k, x) in entries {
                let _ = write!(out, "{}:{k}", k.len());
                if !write_key(x, out) {
                    return false;
                }
            }
        }
    }
    true
}

/// `equals(a, b)`: deep, case-sensitive; unknown when an unknown decides it.
pub(crate) fn equals(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    match deep_eq(&args[0], &args[1]) {
        Some(b) => Ok(Value::Bool(b)),
        None => {
            let u = args.iter().find_map(Value::first_unknown).cloned();
            Ok(u.map_or_else(
                || call.unknown("an operand is unknown"),
                |u| call.unknown_from(&u),
            ))
        }
    }
}

/// Orders two ints, floats or strings (ordinal, case-sensitive).
fn compare(a: &Value, b: &Value) -> Result<Ordering, String> {
    let num = |v: &Value| match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    };
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
        (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x
                .partial_cmp(&y)
                .ok_or_else(|| "cannot compare NaN".to_string()),
            _ => Err(format!(
                "can only compare two integers or two strings, got {} and {}",
                a.type_name(),
                b.type_name()
            )),
        },
    }
}

pub(crate) fn less(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::Bool(compare(&args[0], &args[1])?.is_lt()))
}

pub(crate) fn less_or_equals(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::Bool(compare(&args[0], &args[1])?.is_le()))
}

pub(crate) fn greater(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::Bool(compare(&args[0], &args[1])?.is_gt()))
}

pub(crate) fn greater_or_equals(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::Bool(compare(&args[0], &args[1])?.is_ge()))
}

/// `coalesce(a, b, ...)`: the first argument that is not null (null when all
/// are); unknown when an unknown comes before the first known non-null.
pub(crate) fn coalesce(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    for a in args {
        match a {
            Value::Null => continue,
            Value::Unknown(u) => return Ok(call.unknown_from(&u)),
            v => return Ok(v),
        }
    }
    Ok(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::{eval, eval_err, is_unknown_with, TestEnv};

    #[test]
    fn equals_is_deep_and_case_sensitive() {
        assert_eq!(eval("[equals('a', 'a')]"), Value::Bool(true));
        assert_eq!(eval("[equals('a', 'A')]"), Value::Bool(false));
        assert_eq!(eval("[equals(1, 1)]"), Value::Bool(true));
        assert_eq!(eval("[equals(1, '1')]"), Value::Bool(false));
        assert_eq!(eval("[equals(json('1.0'), 1)]"), Value::Bool(true));
        assert_eq!(
            eval("[equals(createObject('a', 1, 'b', createArray(1, 2)), json('{\"b\":[1,2],\"a\":1}'))]"),
            Value::Bool(true)
        );
        assert_eq!(
            eval("[equals(createArray(1, 2), createArray(2, 1))]"),
            Value::Bool(false)
        );
        assert_eq!(eval("[equals(null(), null())]"), Value::Bool(true));
    }

    #[test]
    fn equals_with_unknowns() {
        let env = TestEnv::new().unknown_param("u");
        assert!(is_unknown_with(
            &env.eval("[equals(parameters('u'), 'x')]"),
            "equals(parameters('u'), 'x')"
        ));
        // Known parts that differ decide it.
        assert_eq!(
            env.eval("[equals(createArray(1, parameters('u')), createArray(2, parameters('u')))]"),
            Value::Bool(false)
        );
        assert_eq!(
            env.eval("[equals(createArray(parameters('u')), createArray(1, 2))]"),
            Value::Bool(false)
        );
        // Never compare the unknown's text as a literal.
        assert!(env
            .eval("[equals(parameters('u'), '<unknown: parameters(''u'')>')]")
            .is_unknown());
    }

    #[test]
    fn ordering() {
        assert_eq!(eval("[less(1, 2)]"), Value::Bool(true));
        assert_eq!(eval("[lessOrEquals(2, 2)]"), Value::Bool(true));
        assert_eq!(eval("[greater('b', 'a')]"), Value::Bool(true));
        assert_eq!(eval("[greater('B', 'a')]"), Value::Bool(false));
        assert_eq!(
            eval("[greaterOrEquals(float('2.5'), 2)]"),
            Value::Bool(true)
        );
        let e = eval_err("[less(1, 'a')]");
        assert!(e.message.contains("compare"), "{}", e.message);
        assert_eq!(e.offset, 1);
    }

    #[test]
    fn coalesce_skips_nulls_lazily() {
        let env = TestEnv::new().unknown_param("u").param("n", Value::Null);
        assert_eq!(
            env.eval("[coalesce(null(), 'a', parameters('u'))]"),
            Value::str("a")
        );
        assert_eq!(env.eval("[coalesce(parameters('n'), null())]"), Value::Null);
        assert!(env
            .eval("[coalesce(null(), parameters('u'), 'a')]")
            .is_unknown());
        // Arguments after the first non-null are not evaluated.
        assert_eq!(env.eval("[coalesce('a', div(1, 0))]"), Value::str("a"));
    }

    #[test]
    fn canonical_keys_match_deep_eq() {
        let vals = [
            Value::Int(1),
            Value::Float(1.0),
            Value::Float(1.5),
            Value::str("1"),
            Value::str("i1;"),
            Value::Array(vec![Value::Int(1)]),
            Value::from_json(&serde_json::json!({"a": 1, "b": 2})),
            Value::from_json(&serde_json::json!({"b": 2, "a": 1})),
            Value::from_json(&serde_json::json!({"a": "1"})),
            Value::Null,
            Value::Bool(false),
        ];
        for a in &vals {
            for b in &vals {
                assert_eq!(
                    deep_eq(a, b) == Some(true),
                    canonical_key(a) == canonical_key(b),
                    "{a} vs {b}"
                );
            }
        }
        assert_eq!(canonical_key(&Value::unknown("x", "y")), None);
    }
}
