//! Object functions: `createObject`, `items`, `objectKeys`, `shallowMerge`,
//! `tryGet`, `null`. (`union`, `intersection`, `contains`, `empty` and
//! `length` are in the array family; `json` in the string family.)

use super::args::{self, into_object, type_error};
use super::array::insert_case_insensitive;
use super::Call;
use aml_model::value::{Object, Value};

/// `createObject(key1, value1, ...)`: unknown values stay inside; an unknown
/// key makes the object unknown. Duplicate keys are an error, as in ARM.
pub(crate) fn create_object(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    if args.len() % 2 != 0 {
        return Err(format!(
            "takes pairs of keys and values, {} arguments given",
            args.len()
        ));
    }
    let mut out = Object::default();
    let mut it = args.into_iter().enumerate();
    while let (Some((i, key)), Some((_, value))) = (it.next(), it.next()) {
        let key = match key {
            Value::String(k) => k,
            Value::Unknown(u) => return Ok(call.unknown_from(&u)),
            other => return Err(type_error(i, "a string (a key)", &other)),
        };
        if out.contains_key(&key) {
            return Err(format!("the key '{key}' is given twice"));
        }
        out.insert(key, value);
    }
    Ok(Value::Object(out))
}

/// `items(object)`: `[{key, value}, ...]` sorted by key (case-insensitively,
/// then ordinally), as ARM returns them.
pub(crate) fn items(_: &Call<'_>, mut args: Vec<Value>) -> Result<Value, String> {
    let obj = into_object(args.remove(0), 0)?;
    let mut entries: Vec<(String, Value)> = obj.into_iter().collect();
    entries.sort_by(|(a, _), (b, _)| {
        a.to_lowercase()
            .cmp(&b.to_lowercase())
            .then_with(|| a.cmp(b))
    });
    Ok(Value::Array(
        entries
            .into_iter()
            .map(|(k, v)| {
                let mut item = Object::default();
                item.insert("key".to_string(), Value::String(k));
                item.insert("value".to_string(), v);
                Value::Object(item)
            })
            .collect(),
    ))
}

/// `objectKeys(object)`: the keys in their order.
pub(crate) fn object_keys(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let obj = args::object_arg(&args[0], 0)?;
    Ok(Value::Array(
        obj.keys().map(|k| Value::str(k.as_str())).collect(),
    ))
}

/// `shallowMerge(arrayOfObjects)`: top-level keys of later objects win.
pub(crate) fn shallow_merge(call: &Call<'_>, mut args: Vec<Value>) -> Result<Value, String> {
    let items = match args.remove(0) {
        Value::Unknown(u) => return Ok(call.unknown_from(&u)),
        other => args::into_array(other, 0)?,
    };
    let mut out = Object::default();
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Value::Object(o) => {
                for (k, v) in o {
                    insert_case_insensitive(&mut out, k, v);
                }
            }
            Value::Null => {}
            Value::Unknown(u) => return Ok(call.unknown_from(&u)),
            other => {
                return Err(format!(
                    "element {i} is a {}, not an object",
                    other.type_name()
                ))
            }
        }
    }
    Ok(Value::Object(out))
}

/// `tryGet(value, keyOrIndex, ...)`: follows object keys (case-insensitive)
/// and array indexes; null when one is missing.
pub(crate) fn try_get(call: &Call<'_>, mut args: Vec<Value>) -> Result<Value, String> {
    let keys = args.split_off(1);
    let mut cur = args.remove(0);
    for (i, key) in keys.into_iter().enumerate() {
        let pos = i + 1;
        if let Value::Unknown(u) = &cur {
            return Ok(call.unknown_from(u));
        }
        if let Value::Unknown(u) = &key {
            return Ok(call.unknown_from(u));
        }
        cur = match (cur, key) {
            (Value::Null, _) => return Ok(Value::Null),
            (Value::Object(mut o), Value::String(k)) => {
                let idx = o
                    .get_index_of(&k)
                    .or_else(|| o.keys().position(|x| x.eq_ignore_ascii_case(&k)));
                match idx.and_then(|i| o.swap_remove_index(i)) {
                    Some((_, v)) => v,
                    None => return Ok(Value::Null),
                }
            }
            (Value::Array(mut a), Value::Int(n)) => {
                match usize::try_from(n).ok().filter(|&n| n < a.len()) {
                    Some(n) => a.swap_remove(n),
                    None => return Ok(Value::Null),
                }
            }
            (Value::Object(_), k) => return Err(type_error(pos, "a string (an object key)", &k)),
            (Value::Array(_), k) => return Err(type_error(pos, "an integer (an array index)", &k)),
            (other, _) => return Err(type_error(0, "an object or an array", &other)),
        };
    }
    Ok(cur)
}

/// `null()`.
pub(crate) fn null(_: &Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    Ok(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::{eval, eval_err, json, TestEnv};
    use serde_json::json as j;

    #[test]
    fn create_object_rules() {
        assert_eq!(eval("[createObject()]"), json(j!({})));
        assert_eq!(
            eval("[createObject('a', 1, 'b', createArray('x'))]"),
            json(j!({"a": 1, "b": ["x"]}))
        );
        assert!(eval_err("[createObject('a')]").message.contains("pairs"));
        assert!(eval_err("[createObject(1, 2)]")
            .message
            .contains("argument 1"));
        assert!(eval_err("[createObject('a', 1, 'a', 2)]")
            .message
            .contains("twice"));
        let env = TestEnv::new().unknown_param("u");
        let v = env.eval("[createObject('a', parameters('u'), 'b', 2)]");
        assert!(v.get("a").unwrap().is_unknown());
        assert!(env.eval("[createObject(parameters('u'), 1)]").is_unknown());
    }

    #[test]
    fn items_and_keys() {
        assert_eq!(
            eval("[items(createObject('b', 2, 'A', 1))]"),
            json(j!([{"key": "A", "value": 1}, {"key": "b", "value": 2}]))
        );
        assert_eq!(
            eval("[objectKeys(createObject('b', 2, 'a', 1))]"),
            json(j!(["b", "a"]))
        );
        assert!(eval_err("[items(createArray())]")
            .message
            .contains("must be an object"));
    }

    #[test]
    fn shallow_merge() {
        assert_eq!(
            eval("[shallowMerge(createArray(createObject('a', 1, 'n', createObject('x', 1)), createObject('A', 2, 'n', createObject('y', 2))))]"),
            json(j!({"a": 2, "n": {"y": 2}}))
        );
        assert!(eval_err("[shallowMerge(createArray(1))]")
            .message
            .contains("not an object"));
        let env = TestEnv::new().unknown_param("u");
        assert!(env
            .eval("[shallowMerge(createArray(parameters('u')))]")
            .is_unknown());
    }

    #[test]
    fn try_get_paths() {
        let env = TestEnv::new().var("o", json(j!({"A": {"b": [10, 20]}})));
        assert_eq!(
            env.eval("[tryGet(variables('o'), 'a')]"),
            json(j!({"b": [10, 20]}))
        );
        assert_eq!(
            env.eval("[tryGet(variables('o'), 'a', 'b', 1)]"),
            Value::Int(20)
        );
        assert_eq!(env.eval("[tryGet(variables('o'), 'x', 'b')]"), Value::Null);
        assert_eq!(
            env.eval("[tryGet(variables('o'), 'a', 'b', 5)]"),
            Value::Null
        );
        assert_eq!(
            env.eval("[tryGet(variables('o'), 'a', 'b', -1)]"),
            Value::Null
        );
        assert!(env
            .eval_err("[tryGet(variables('o'), 1)]")
            .message
            .contains("object key"));
        assert!(env
            .eval_err("[tryGet('s', 1)]")
            .message
            .contains("argument 1"));
        let env = TestEnv::new().unknown_param("u");
        assert!(env.eval("[tryGet(parameters('u'), 'a')]").is_unknown());
        assert!(env
            .eval("[tryGet(createObject('a', 1), parameters('u'))]")
            .is_unknown());
    }
}
