//! Array functions (most also take strings or objects): `array`, `concat`,
//! `contains`, `createArray`, `empty`, `first`, `last`, `flatten`, `indexOf`,
//! `lastIndexOf`, `intersection`, `union`, `length`, `min`, `max`, `range`,
//! `skip`, `take`.

use super::args::{self, clamped_count, fold, int_arg, to_arm_string, type_error};
use super::comparison::{canonical_key, deep_eq};
use super::{limits, Call};
use aml_model::value::{Object, Unknown, Value};
use std::collections::HashSet;
use std::sync::Arc;

/// `array(x)`: an array as is, anything else wrapped in a one-element array.
pub(crate) fn array(_: &Call<'_>, mut args: Vec<Value>) -> Result<Value, String> {
    Ok(match args.remove(0) {
        a @ Value::Array(_) => a,
        other => Value::Array(vec![other]),
    })
}

/// `createArray(a, b, ...)`: unknown elements stay inside.
pub(crate) fn create_array(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::Array(args))
}

/// `concat(...)`: strings (numbers and bools are written as text), arrays
/// (nulls skipped) or objects (shallow merge, later keys win).
pub(crate) fn concat(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let is_text = |v: &Value| {
        matches!(
            v,
            Value::String(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_)
        )
    };
    if args.iter().any(is_text) {
        if let Some((i, v)) = args
            .iter()
            .enumerate()
            .find(|(_, v)| matches!(v, Value::Array(_) | Value::Object(_)))
        {
            return Err(format!(
                "cannot concatenate the {} of argument {} with strings",
                v.type_name(),
                i + 1
            ));
        }
        let total = args.iter().map(|a| a.as_str().map_or(20, str::len)).sum();
        limits::check_string_len(total)?;
        return Ok(Value::String(args.iter().map(to_arm_string).collect()));
    }
    if args
        .iter()
        .all(|a| matches!(a, Value::Array(_) | Value::Null))
    {
        let total = args.iter().map(|a| a.as_array().map_or(0, Vec::len)).sum();
        limits::check_array_len(total)?;
        let mut out = Vec::with_capacity(total);
        for a in args {
            if let Value::Array(items) = a {
                out.extend(items);
            }
        }
        return Ok(Value::Array(out));
    }
    if args
        .iter()
        .all(|a| matches!(a, Value::Object(_) | Value::Null))
    {
        let mut out = Object::default();
        for a in args {
            if let Value::Object(o) = a {
                for (k, v) in o {
                    insert_case_insensitive(&mut out, k, v);
                }
            }
        }
        return Ok(Value::Object(out));
    }
    Err("the arguments must be all strings, all arrays or all objects".to_string())
}

/// Inserts or replaces a key, matching existing keys case-insensitively.
pub(crate) fn insert_case_insensitive(obj: &mut Object, key: String, value: Value) {
    match obj.keys().position(|k| k.eq_ignore_ascii_case(&key)) {
        Some(i) => {
            if let Some((_, slot)) = obj.get_index_mut(i) {
                *slot = value;
            }
        }
        None => {
            obj.insert(key, value);
        }
    }
}

/// The unknown to return when `v` is unknown itself.
fn top_unknown(v: &Value) -> Option<&Arc<Unknown>> {
    match v {
        Value::Unknown(u) => Some(u),
        _ => None,
    }
}

/// `contains(container, item)`: a substring (case-sensitive), an object key
/// (case-insensitive) or an array element (deep equality).
pub(crate) fn contains(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    if let Some(u) = top_unknown(&args[0]) {
        return Ok(call.unknown_from(u));
    }
    let item = &args[1];
    match &args[0] {
        Value::Array(items) => {
            let mut unknown = None;
            for x in items {
                match deep_eq(x, item) {
                    Some(true) => return Ok(Value::Bool(true)),
                    Some(false) => {}
                    None => {
                        unknown =
                            unknown.or_else(|| x.first_unknown().or(item.first_unknown()).cloned());
                    }
                }
            }
            Ok(match unknown {
                Some(u) => call.unknown_from(&u),
                None => Value::Bool(false),
            })
        }
        Value::String(s) => {
            if let Some(u) = item.first_unknown() {
                return Ok(call.unknown_from(u));
            }
            let needle = text_item(item)?;
            Ok(Value::Bool(s.contains(needle.as_str())))
        }
        Value::Object(o) => {
            if let Some(u) = item.first_unknown() {
                return Ok(call.unknown_from(u));
            }
            let key = text_item(item)?;
            Ok(Value::Bool(o.keys().any(|k| k.eq_ignore_ascii_case(&key))))
        }
        other => Err(type_error(0, "a string, an array or an object", other)),
    }
}

fn text_item(item: &Value) -> Result<String, String> {
    match item {
        Value::Array(_) | Value::Object(_) => Err(type_error(1, "a string", item)),
        other => Ok(to_arm_string(other)),
    }
}

/// `empty(x)`: true for null and for an empty string, array or object.
pub(crate) fn empty(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::Bool(match &args[0] {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        other => return Err(type_error(0, "a string, an array or an object", other)),
    }))
}

/// `length(x)`: characters of a string, elements of an array, keys of an object.
pub(crate) fn length(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let n = match &args[0] {
        Value::String(s) => s.chars().count(),
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        other => return Err(type_error(0, "a string, an array or an object", other)),
    };
    Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// `first(x)`: first element (null for an empty array) or first character.
pub(crate) fn first(_: &Call<'_>, mut args: Vec<Value>) -> Result<Value, String> {
    match args.remove(0) {
        Value::Array(a) => Ok(a.into_iter().next().unwrap_or(Value::Null)),
        Value::String(s) => Ok(Value::String(s.chars().take(1).collect())),
        other => Err(type_error(0, "a string or an array", &other)),
    }
}

/// `last(x)`: last element (null for an empty array) or last character.
pub(crate) fn last(_: &Call<'_>, mut args: Vec<Value>) -> Result<Value, String> {
    match args.remove(0) {
        Value::Array(a) => Ok(a.into_iter().next_back().unwrap_or(Value::Null)),
        Value::String(s) => Ok(Value::String(
            s.chars().next_back().map(String::from).unwrap_or_default(),
        )),
        other => Err(type_error(0, "a string or an array", &other)),
    }
}

/// `skip(x, n)`: negative counts skip nothing, large ones everything.
pub(crate) fn skip(_: &Call<'_>, mut args: Vec<Value>) -> Result<Value, String> {
    let n = clamped_count(&args[1], 1)?;
    match args.swap_remove(0) {
        Value::Array(a) => Ok(Value::Array(a.into_iter().skip(n).collect())),
        Value::String(s) => Ok(Value::String(s.chars().skip(n).collect())),
        other => Err(type_error(0, "a string or an array", &other)),
    }
}

/// `take(x, n)`: negative counts take nothing, large ones everything.
pub(crate) fn take(_: &Call<'_>, mut args: Vec<Value>) -> Result<Value, String> {
    let n = clamped_count(&args[1], 1)?;
    match args.swap_remove(0) {
        Value::Array(a) => Ok(Value::Array(a.into_iter().take(n).collect())),
        Value::String(s) => Ok(Value::String(s.chars().take(n).collect())),
        other => Err(type_error(0, "a string or an array", &other)),
    }
}

fn index_in(call: &Call<'_>, args: &[Value], from_end: bool) -> Result<Value, String> {
    if let Some(u) = top_unknown(&args[0]).or(top_unknown(&args[1])) {
        return Ok(call.unknown_from(u));
    }
    match (&args[0], &args[1]) {
        (Value::String(s), Value::String(needle)) => {
            // Ordinal, ignoring case; the folding keeps character positions.
            let (hay, needle) = (fold(s), fold(needle));
            let found = if from_end {
                hay.rfind(&needle)
            } else {
                hay.find(&needle)
            };
            Ok(Value::Int(
                found.map_or(-1, |b| args::char_index(&hay, b) as i64),
            ))
        }
        (Value::String(_), other) => Err(type_error(1, "a string", other)),
        (Value::Array(items), item) => {
            let mut unknown = None;
            let mut check = |i: usize, x: &Value| match deep_eq(x, item) {
                Some(true) => Some(i),
                Some(false) => None,
                None => {
                    unknown = unknown
                        .take()
                        .or_else(|| x.first_unknown().or(item.first_unknown()).cloned());
                    None
                }
            };
            let found = if from_end {
                items
                    .iter()
                    .enumerate()
                    .rev()
                    .find_map(|(i, x)| check(i, x))
            } else {
                items.iter().enumerate().find_map(|(i, x)| check(i, x))
            };
            // An undecidable element before the match could be the real answer.
            match (found, unknown) {
                (_, Some(u)) => Ok(call.unknown_from(&u)),
                (Some(i), None) => Ok(Value::Int(i as i64)),
                (None, None) => Ok(Value::Int(-1)),
            }
        }
        (other, _) => Err(type_error(0, "a string or an array", other)),
    }
}

/// `indexOf(stringOrArray, item)`: -1 when absent; strings ignore case.
pub(crate) fn index_of(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    index_in(call, &args, false)
}

/// `lastIndexOf(stringOrArray, item)`: -1 when absent; strings ignore case.
pub(crate) fn last_index_of(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    index_in(call, &args, true)
}

/// `flatten(arrayOfArrays)`.
pub(crate) fn flatten(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let items = match &args[0] {
        Value::Unknown(u) => return Ok(call.unknown_from(u)),
        other => args::array_arg(other, 0)?,
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::Array(inner) => {
                limits::check_array_len(out.len() + inner.len())?;
                out.extend(inner.iter().cloned());
            }
            Value::Unknown(u) => return Ok(call.unknown_from(u)),
            other => {
                return Err(format!(
                    "element {i} is a {}, not an array",
                    other.type_name()
                ))
            }
        }
    }
    Ok(Value::Array(out))
}

/// Keys of the elements, or `None` when one holds an unknown.
fn keyed(items: &[Value]) -> Option<Vec<String>> {
    items.iter().map(canonical_key).collect()
}

/// `union(a, b, ...)`: arrays without duplicates (first occurrence kept), or
/// objects merged deeply (nested objects merged, other values replaced by
/// later ones). Null arguments are skipped.
pub(crate) fn union(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    if args
        .iter()
        .all(|a| matches!(a, Value::Array(_) | Value::Null))
    {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for a in args {
            let Value::Array(items) = a else { continue };
            let Some(keys) = keyed(&items) else {
                let u = items.iter().find_map(Value::first_unknown).cloned();
                return Ok(u.map_or_else(
                    || call.unknown("an element is unknown"),
                    |u| call.unknown_from(&u),
                ));
            };
            for (item, key) in items.into_iter().zip(keys) {
                if seen.insert(key) {
                    out.push(item);
                }
            }
            limits::check_array_len(out.len())?;
        }
        return Ok(Value::Array(out));
    }
    if args
        .iter()
        .all(|a| matches!(a, Value::Object(_) | Value::Null))
    {
        let mut out = Object::default();
        for a in args {
            if let Value::Object(o) = a {
                merge_deep(&mut out, o);
            }
        }
        return Ok(Value::Object(out));
    }
    Err("the arguments must be all arrays or all objects".to_string())
}

/// ARM's deep merge for `union`. An unknown on either side of a merge of
/// nested objects leaves that key unknown.
fn merge_deep(into: &mut Object, from: Object) {
    for (k, v) in from {
        let existing = into.keys().position(|e| e.eq_ignore_ascii_case(&k));
        let Some(i) = existing else {
            into.insert(k, v);
            continue;
        };
        let Some((_, slot)) = into.get_index_mut(i) else {
            continue;
        };
        match (slot, v) {
            (Value::Object(old), Value::Object(new)) => merge_deep(old, new),
            // The old value might be an object to merge with: it stays unknown.
            (Value::Unknown(_), Value::Object(_)) => {}
            (slot, v) => *slot = v,
        }
    }
}

/// `intersection(a, b, ...)`: the elements (arrays) or key/value pairs
/// (objects) of the first argument found in all the others.
pub(crate) fn intersection(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    match &args[0] {
        Value::Array(first) => {
            let mut others = Vec::new();
            for (i, a) in args.iter().enumerate().skip(1) {
                let items = args::array_arg(a, i)?;
                others.push(
                    keyed(items)
                        .unwrap_or_default()
                        .into_iter()
                        .collect::<HashSet<_>>(),
                );
            }
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for item in first {
                let Some(key) = canonical_key(item) else {
                    continue;
                };
                if others.iter().all(|set| set.contains(&key)) && seen.insert(key) {
                    out.push(item.clone());
                }
            }
            Ok(Value::Array(out))
        }
        Value::Object(first) => {
            let mut out = Object::default();
            for (i, a) in args.iter().enumerate().skip(1) {
                args::object_arg(a, i)?;
            }
            for (k, v) in first {
                let in_all = args[1..]
                    .iter()
                    .all(|o| o.get(k).is_some_and(|w| deep_eq(v, w) == Some(true)));
                if in_all {
                    out.insert(k.clone(), v.clone());
                }
            }
            Ok(Value::Object(out))
        }
        other => Err(type_error(0, "an array or an object", other)),
    }
}

/// The numbers of `min`/`max`: integer or float arguments, or arrays of them.
fn numbers(args: &[Value]) -> Result<Vec<&Value>, String> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        match a {
            Value::Int(_) | Value::Float(_) => out.push(a),
            Value::Array(items) => {
                for x in items {
                    match x {
                        Value::Int(_) | Value::Float(_) => out.push(x),
                        other => {
                            return Err(format!(
                                "argument {} holds a {}, not a number",
                                i + 1,
                                other.type_name()
                            ))
                        }
                    }
                }
            }
            other => return Err(type_error(i, "a number or an array of numbers", other)),
        }
    }
    if out.is_empty() {
        return Err("there are no numbers to compare".to_string());
    }
    Ok(out)
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => f64::NAN,
    }
}

fn extreme(args: &[Value], want_max: bool) -> Result<Value, String> {
    let nums = numbers(args)?;
    let mut best = nums[0];
    for &x in &nums[1..] {
        let better = match (x, best) {
            (Value::Int(a), Value::Int(b)) => (a > b) == want_max && a != b,
            _ => (as_f64(x) > as_f64(best)) == want_max && as_f64(x) != as_f64(best),
        };
        if better {
            best = x;
        }
    }
    Ok(best.clone())
}

/// `min(...)`: the smallest of integers (or arrays of integers).
pub(crate) fn min(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    extreme(&args, false)
}

/// `max(...)`: the largest of integers (or arrays of integers).
pub(crate) fn max(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    extreme(&args, true)
}

/// `range(start, count)`: `count` consecutive integers from `start`; count
/// between 0 and [`limits::MAX_RANGE_COUNT`].
pub(crate) fn range(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let start = int_arg(&args[0], 0)?;
    let count = int_arg(&args[1], 1)?;
    if count < 0 {
        return Err(format!("the count {count} must not be negative"));
    }
    if count > limits::MAX_RANGE_COUNT {
        return Err(format!(
            "the count {count} is more than the limit of {}",
            limits::MAX_RANGE_COUNT
        ));
    }
    if start.checked_add(count).is_none() {
        return Err(format!("start {start} plus count {count} overflows"));
    }
    Ok(Value::Array(
        (start..start + count).map(Value::Int).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::{eval, eval_err, is_unknown_with, json, TestEnv};
    use serde_json::json as j;

    #[test]
    fn array_and_create_array() {
        assert_eq!(eval("[array('a')]"), json(j!(["a"])));
        assert_eq!(eval("[array(createArray(1))]"), json(j!([1])));
        assert_eq!(eval("[array(null())]"), json(j!([null])));
        assert_eq!(eval("[createArray()]"), json(j!([])));
        assert_eq!(
            eval("[createArray(1, 'a', createObject())]"),
            json(j!([1, "a", {}]))
        );
    }

    #[test]
    fn concat_kinds() {
        assert_eq!(eval("[concat('a', 'b', 1, true())]"), Value::str("ab1True"));
        assert_eq!(
            eval("[concat(createArray(1), null(), createArray(2, 3))]"),
            json(j!([1, 2, 3]))
        );
        assert_eq!(
            eval("[concat(createObject('a', 1, 'b', 2), createObject('B', 3))]"),
            json(j!({"a": 1, "b": 3}))
        );
        assert!(eval_err("[concat('a', createArray())]")
            .message
            .contains("cannot concatenate"));
        assert!(eval_err("[concat(createArray(), createObject())]")
            .message
            .contains("all strings"));
    }

    #[test]
    fn concat_keeps_known_structure() {
        let env = TestEnv::new().unknown_param("u");
        let v = env.eval("[concat(createObject('a', parameters('u')), createObject('b', 1))]");
        assert!(v.get("a").unwrap().is_unknown());
        assert_eq!(v.get("b"), Some(&Value::Int(1)));
        let v = env.eval("[concat(createArray(parameters('u')), createArray(1))]");
        assert_eq!(v.as_array().unwrap().len(), 2);
        assert!(is_unknown_with(
            &env.eval("[concat('a', parameters('u'))]"),
            "concat('a', parameters('u'))"
        ));
    }

    #[test]
    fn contains_variants() {
        assert_eq!(eval("[contains('OneTwo', 'Two')]"), Value::Bool(true));
        assert_eq!(eval("[contains('OneTwo', 'two')]"), Value::Bool(false));
        assert_eq!(
            eval("[contains(createObject('Key', 1), 'key')]"),
            Value::Bool(true)
        );
        assert_eq!(
            eval("[contains(createArray('a', 1), 1)]"),
            Value::Bool(true)
        );
        assert_eq!(
            eval("[contains(createArray('a'), 'A')]"),
            Value::Bool(false)
        );
        assert_eq!(
            eval("[contains(createArray(createArray(1)), createArray(1))]"),
            Value::Bool(true)
        );
        assert!(eval_err("[contains(1, 1)]").message.contains("argument 1"));
        let env = TestEnv::new().unknown_param("u");
        assert_eq!(
            env.eval("[contains(createArray(parameters('u'), 'a'), 'a')]"),
            Value::Bool(true)
        );
        assert!(env
            .eval("[contains(createArray(parameters('u'), 'a'), 'b')]")
            .is_unknown());
        assert!(env.eval("[contains(parameters('u'), 'b')]").is_unknown());
        assert!(env.eval("[contains('abc', parameters('u'))]").is_unknown());
        assert_eq!(
            env.eval("[contains(createObject('a', parameters('u')), 'a')]"),
            Value::Bool(true)
        );
    }

    #[test]
    fn empty_length_first_last() {
        assert_eq!(eval("[empty('')]"), Value::Bool(true));
        assert_eq!(eval("[empty(null())]"), Value::Bool(true));
        assert_eq!(eval("[empty(createObject())]"), Value::Bool(true));
        assert_eq!(eval("[empty(createArray(1))]"), Value::Bool(false));
        assert!(eval_err("[empty(1)]").message.contains("argument 1"));
        assert_eq!(eval("[length('héllo')]"), Value::Int(5));
        assert_eq!(eval("[length(createArray(1, 2))]"), Value::Int(2));
        assert_eq!(eval("[length(createObject('a', 1))]"), Value::Int(1));
        assert!(eval_err("[length(null())]").message.contains("got null"));
        assert_eq!(eval("[first(createArray(1, 2))]"), Value::Int(1));
        assert_eq!(eval("[first(createArray())]"), Value::Null);
        assert_eq!(eval("[first('abc')]"), Value::str("a"));
        assert_eq!(eval("[first('')]"), Value::str(""));
        assert_eq!(eval("[last(createArray(1, 2))]"), Value::Int(2));
        assert_eq!(eval("[last('abé')]"), Value::str("é"));
        assert_eq!(eval("[last(createArray())]"), Value::Null);
    }

    #[test]
    fn length_of_partly_unknown_values_is_known() {
        let env = TestEnv::new().unknown_param("u");
        assert_eq!(
            env.eval("[length(createArray(parameters('u'), 2))]"),
            Value::Int(2)
        );
        assert_eq!(
            env.eval("[empty(createArray(parameters('u')))]"),
            Value::Bool(false)
        );
        assert_eq!(
            env.eval("[length(createObject('a', parameters('u')))]"),
            Value::Int(1)
        );
        assert!(env.eval("[length(parameters('u'))]").is_unknown());
        assert!(env
            .eval("[first(createArray(parameters('u')))]")
            .is_unknown());
        assert_eq!(
            env.eval("[last(createArray(parameters('u'), 2))]"),
            Value::Int(2)
        );
    }

    #[test]
    fn skip_take_clamp() {
        assert_eq!(eval("[skip('abcd', 2)]"), Value::str("cd"));
        assert_eq!(eval("[skip('abcd', -3)]"), Value::str("abcd"));
        assert_eq!(eval("[skip('abcd', 10)]"), Value::str(""));
        assert_eq!(eval("[take(createArray(1, 2, 3), 2)]"), json(j!([1, 2])));
        assert_eq!(eval("[take(createArray(1, 2, 3), -1)]"), json(j!([])));
        assert_eq!(
            eval("[take(createArray(1), 9223372036854775807)]"),
            json(j!([1]))
        );
        assert!(eval_err("[skip(1, 1)]").message.contains("argument 1"));
        assert!(eval_err("[skip('a', 'b')]").message.contains("argument 2"));
    }

    #[test]
    fn index_of_variants() {
        assert_eq!(eval("[indexOf('test', 'T')]"), Value::Int(0));
        assert_eq!(eval("[lastIndexOf('test', 'T')]"), Value::Int(3));
        assert_eq!(eval("[indexOf('abcdef', 'CD')]"), Value::Int(2));
        assert_eq!(eval("[indexOf('éab', 'a')]"), Value::Int(1));
        assert_eq!(eval("[indexOf('abc', 'z')]"), Value::Int(-1));
        assert_eq!(eval("[indexOf('abc', '')]"), Value::Int(0));
        assert_eq!(eval("[lastIndexOf('abc', '')]"), Value::Int(3));
        assert_eq!(
            eval("[indexOf(createArray('a', 'b', 'a'), 'a')]"),
            Value::Int(0)
        );
        assert_eq!(
            eval("[lastIndexOf(createArray('a', 'b', 'a'), 'a')]"),
            Value::Int(2)
        );
        assert_eq!(eval("[indexOf(createArray('A'), 'a')]"), Value::Int(-1));
        assert_eq!(
            eval("[indexOf(createArray(1, createArray(2)), createArray(2))]"),
            Value::Int(1)
        );
        let env = TestEnv::new().unknown_param("u");
        assert_eq!(
            env.eval("[indexOf(createArray('a', parameters('u')), 'a')]"),
            Value::Int(0)
        );
        assert!(env
            .eval("[indexOf(createArray(parameters('u'), 'a'), 'a')]")
            .is_unknown());
    }

    #[test]
    fn flatten_union_intersection() {
        assert_eq!(
            eval("[flatten(createArray(createArray(1), createArray(2, 3)))]"),
            json(j!([1, 2, 3]))
        );
        assert!(eval_err("[flatten(createArray(1))]")
            .message
            .contains("not an array"));
        assert_eq!(
            eval("[union(createArray(1, 2), createArray(2, 3), createArray(json('1.0')))]"),
            json(j!([1, 2, 3]))
        );
        assert_eq!(
            eval("[union(json('{\"a\":{\"x\":1,\"y\":[1]},\"b\":1}'), json('{\"A\":{\"y\":[2],\"z\":3},\"c\":2}'))]"),
            json(j!({"a": {"x": 1, "y": [2], "z": 3}, "b": 1, "c": 2}))
        );
        assert!(eval_err("[union(createArray(), createObject())]")
            .message
            .contains("all arrays"));
        assert_eq!(
            eval(
                "[intersection(createArray(1, 2, 3, 2), createArray(2, 3), createArray(3, 2, 9))]"
            ),
            json(j!([2, 3]))
        );
        assert_eq!(
            eval("[intersection(createObject('a', 1, 'b', 2), createObject('a', 1, 'b', 3))]"),
            json(j!({"a": 1}))
        );
    }

    #[test]
    fn union_with_unknowns() {
        let env = TestEnv::new().unknown_param("u");
        let v =
            env.eval("[union(createObject('a', parameters('u'), 'b', 1), createObject('c', 2))]");
        assert!(v.get("a").unwrap().is_unknown());
        assert_eq!(v.get("c"), Some(&Value::Int(2)));
        let v = env.eval("[union(createObject('a', parameters('u')), createObject('a', 5))]");
        assert_eq!(
            v.get("a"),
            Some(&Value::Int(5)),
            "a known later value replaces the unknown"
        );
        let v = env.eval(
            "[union(createObject('a', parameters('u')), createObject('a', createObject('x', 1)))]",
        );
        assert!(
            v.get("a").unwrap().is_unknown(),
            "cannot merge into an unknown"
        );
        assert!(env
            .eval("[union(createArray(parameters('u')), createArray(1))]")
            .is_unknown());
        assert!(env
            .eval("[union(parameters('u'), createObject())]")
            .is_unknown());
    }

    #[test]
    fn min_max_range() {
        assert_eq!(eval("[min(3, 1, 2)]"), Value::Int(1));
        assert_eq!(eval("[max(createArray(3, 7, 2))]"), Value::Int(7));
        assert_eq!(eval("[max(1, float('2.5'))]"), Value::Float(2.5));
        assert!(eval_err("[min(createArray())]")
            .message
            .contains("no numbers"));
        assert!(eval_err("[min('a')]").message.contains("argument 1"));
        assert_eq!(eval("[range(5, 3)]"), json(j!([5, 6, 7])));
        assert_eq!(eval("[range(0, 0)]"), json(j!([])));
        assert_eq!(eval("[length(range(0, 800))]"), Value::Int(800));
        assert!(eval_err("[range(0, 801)]").message.contains("limit"));
        assert!(eval_err("[range(0, -1)]").message.contains("negative"));
        assert!(eval_err("[range(9223372036854775807, 1)]")
            .message
            .contains("overflows"));
    }
}
