//! The Terraform functions configurations commonly use. `Ok(None)` means
//! the result depends on an unknown argument.

use crate::values::{fmt_float, to_num, to_str, values_equal, RESOURCE_MARK};
use aml_model::value::{Object, Value};

/// Why a function gave no value.
pub enum FnError {
    /// Not one of the functions evaluated here.
    Unsupported,
    /// Wrong arguments (an error inside `try` selects the fallback).
    Failed(String),
}

type FnResult = Result<Option<Value>, FnError>;

fn fail<T>(m: impl Into<String>) -> Result<T, FnError> {
    Err(FnError::Failed(m.into()))
}

fn string_arg(v: &Value, what: &str) -> Result<String, FnError> {
    to_str(v)
        .ok_or_else(|| FnError::Failed(format!("{what} must be a string, not {}", v.type_name())))
}

/// Calls `name` on evaluated arguments.
pub fn call(name: &str, args: Vec<Value>) -> FnResult {
    // Functions that look inside collections tolerate unknown elements;
    // the rest need every argument fully known.
    let tolerant = matches!(
        name,
        "length"
            | "lookup"
            | "merge"
            | "coalesce"
            | "tolist"
            | "toset"
            | "tomap"
            | "concat"
            | "keys"
            | "values"
            | "one"
            | "flatten"
            | "element"
            | "compact"
            | "coalescelist"
            | "try"
            | "distinct"
    );
    if args.iter().any(Value::is_unknown) && name != "coalesce" {
        return Ok(None);
    }
    if !tolerant && args.iter().any(Value::contains_unknown) {
        return Ok(None);
    }
    for family in FAMILIES {
        match family(name, &args) {
            Err(FnError::Unsupported) => continue,
            result => return result,
        }
    }
    Err(FnError::Unsupported)
}

/// `format` or `join` called with unknown string parts: the result's known
/// text and where the unknowns fall (see `aml_model::pattern`), by calling
/// the function with a marker for each unknown. `None` for other functions,
/// an unknown format string, separator or list, or a marker a function cut.
pub fn with_holes(name: &str, args: &[Value]) -> Option<Vec<aml_model::value::Fragment>> {
    use aml_model::pattern::{fragments_of, hole_marker, unmark};
    let mut holes = Vec::new();
    let mut mark = |v: &Value| -> Option<Value> {
        match v {
            Value::Unknown(_) => {
                holes.push(fragments_of(v)?);
                Some(Value::String(hole_marker(holes.len() - 1)))
            }
            other => Some(other.clone()),
        }
    };
    let filled: Vec<Value> = match (name, args) {
        ("format", [f @ Value::String(_), rest @ ..]) => std::iter::once(Some(f.clone()))
            .chain(rest.iter().map(&mut mark))
            .collect::<Option<_>>()?,
        ("join", [sep @ Value::String(_), Value::Array(items)]) => vec![
            sep.clone(),
            Value::Array(items.iter().map(&mut mark).collect::<Option<_>>()?),
        ],
        _ => return None,
    };
    if holes.is_empty() || filled.iter().any(Value::contains_unknown) {
        return None;
    }
    match call(name, filled) {
        Ok(Some(Value::String(s))) => unmark(&s, &holes),
        _ => None,
    }
}

/// One family of functions: `Err(FnError::Unsupported)` for a name not in it.
type Family = fn(&str, &[Value]) -> FnResult;

/// The families `call` tries, in turn.
const FAMILIES: [Family; 5] = [maps, lists, order, strings, encoding];

/// Maps and objects: `merge`, `lookup`, `coalesce`, `coalescelist`, `keys`, `values`, `zipmap`.
#[allow(clippy::ptr_arg)]
fn maps(name: &str, args: &[Value]) -> FnResult {
    let a = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
    let v = match name {
        "merge" => {
            let mut out = Object::default();
            for x in args {
                match x {
                    Value::Object(o) => {
                        for (k, v) in o {
                            if k != RESOURCE_MARK {
                                out.insert(k.clone(), v.clone());
                            }
                        }
                    }
                    Value::Null => {}
                    other => {
                        return fail(format!("merge() takes objects, not {}", other.type_name()))
                    }
                }
            }
            Value::Object(out)
        }
        "lookup" => match (a(0), a(1)) {
            (Value::Object(o), k) => {
                let k = string_arg(&k, "key")?;
                match o.get(&k) {
                    Some(v) => v.clone(),
                    None if args.len() > 2 => a(2),
                    None => return fail(format!("lookup(): no key {k:?}")),
                }
            }
            (other, _) => return fail(format!("lookup() takes a map, not {}", other.type_name())),
        },
        "coalesce" => {
            for x in args {
                match x {
                    Value::Unknown(_) => return Ok(None),
                    Value::Null => continue,
                    Value::String(s) if s.is_empty() => continue,
                    other => return Ok(Some(other.clone())),
                }
            }
            return fail("coalesce(): no non-null argument");
        }
        "coalescelist" => {
            for x in args {
                if let Value::Array(l) = x {
                    if !l.is_empty() {
                        return Ok(Some(x.clone()));
                    }
                }
            }
            Value::Array(vec![])
        }
        "keys" => match a(0) {
            Value::Object(o) => {
                let mut ks: Vec<String> = o
                    .keys()
                    .filter(|k| k.as_str() != RESOURCE_MARK)
                    .cloned()
                    .collect();
                ks.sort();
                Value::Array(ks.into_iter().map(Value::String).collect())
            }
            other => return fail(format!("keys() of {}", other.type_name())),
        },
        "values" => match a(0) {
            Value::Object(o) => {
                let mut kv: Vec<(&String, &Value)> = o
                    .iter()
                    .filter(|(k, _)| k.as_str() != RESOURCE_MARK)
                    .collect();
                kv.sort_by(|x, y| x.0.cmp(y.0));
                Value::Array(kv.into_iter().map(|(_, v)| v.clone()).collect())
            }
            other => return fail(format!("values() of {}", other.type_name())),
        },
        "zipmap" => match (a(0), a(1)) {
            (Value::Array(ks), Value::Array(vs)) if ks.len() == vs.len() => {
                let mut o = Object::default();
                for (k, v) in ks.iter().zip(vs) {
                    o.insert(string_arg(k, "zipmap() key")?, v);
                }
                Value::Object(o)
            }
            _ => return fail("zipmap() takes two lists of the same length"),
        },
        _ => return Err(FnError::Unsupported),
    };
    Ok(Some(v))
}

/// Lists and sets: `toset`, `concat`, `contains`, `length`, `flatten`, `distinct`, `compact`, `one`, `element`, `setunion`, `index`.
fn lists(name: &str, args: &[Value]) -> FnResult {
    let a = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
    let v = match name {
        "toset" => match a(0) {
            Value::Array(l) => {
                let mut out: Vec<Value> = Vec::new();
                for x in l {
                    if !out.iter().any(|y| values_equal(y, &x)) {
                        out.push(x);
                    }
                }
                if out.iter().all(|x| matches!(x, Value::String(_))) {
                    out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                }
                Value::Array(out)
            }
            Value::Null => Value::Null,
            other => return fail(format!("toset() takes a list, not {}", other.type_name())),
        },
        "concat" => {
            let mut out = Vec::new();
            for x in args {
                match x {
                    Value::Array(l) => out.extend(l.iter().cloned()),
                    other => {
                        return fail(format!("concat() takes lists, not {}", other.type_name()))
                    }
                }
            }
            Value::Array(out)
        }
        "contains" => match a(0) {
            Value::Array(l) => {
                if l.iter().any(Value::contains_unknown) {
                    return Ok(None);
                }
                Value::Bool(l.iter().any(|x| values_equal(x, &a(1))))
            }
            other => {
                return fail(format!(
                    "contains() takes a list, not {}",
                    other.type_name()
                ))
            }
        },
        "length" => match a(0) {
            Value::Array(l) => Value::Int(l.len() as i64),
            Value::Object(o) => {
                Value::Int(o.keys().filter(|k| k.as_str() != RESOURCE_MARK).count() as i64)
            }
            Value::String(s) => Value::Int(s.chars().count() as i64),
            other => return fail(format!("length() of {}", other.type_name())),
        },
        "flatten" => {
            let mut out = Vec::new();
            flatten(&a(0), &mut out, 0)?;
            Value::Array(out)
        }
        "distinct" => match a(0) {
            Value::Array(l) => {
                let mut out: Vec<Value> = Vec::new();
                for x in l {
                    if !out.iter().any(|y| values_equal(y, &x)) {
                        out.push(x);
                    }
                }
                Value::Array(out)
            }
            other => return fail(format!("distinct() of {}", other.type_name())),
        },
        "compact" => match a(0) {
            Value::Array(l) => Value::Array(
                l.into_iter()
                    .filter(|x| !matches!(x, Value::Null) && x.as_str() != Some(""))
                    .collect(),
            ),
            other => return fail(format!("compact() of {}", other.type_name())),
        },
        "one" => match a(0) {
            Value::Array(l) if l.is_empty() => Value::Null,
            Value::Array(l) if l.len() == 1 => l[0].clone(),
            Value::Array(_) => return fail("one(): more than one element"),
            Value::Null => Value::Null,
            other => return fail(format!("one() of {}", other.type_name())),
        },
        "element" => match a(0) {
            Value::Array(l) if !l.is_empty() => {
                let i = to_num(&a(1)).unwrap_or(0.0).max(0.0) as usize;
                l[i % l.len()].clone()
            }
            _ => return fail("element() of an empty or non-list value"),
        },
        "setunion" => {
            let mut out: Vec<Value> = Vec::new();
            for x in args {
                if let Value::Array(l) = x {
                    for y in l {
                        if !out.iter().any(|z| values_equal(z, y)) {
                            out.push(y.clone());
                        }
                    }
                }
            }
            Value::Array(out)
        }
        "index" => match a(0) {
            Value::Array(l) => match l.iter().position(|x| values_equal(x, &a(1))) {
                Some(i) => Value::Int(i as i64),
                None => return fail("index(): not found"),
            },
            _ => return fail("index() takes a list"),
        },
        _ => return Err(FnError::Unsupported),
    };
    Ok(Some(v))
}

/// Slicing, ordering and numbers: `slice`, `reverse`, `sort`, `alltrue`, `anytrue`, `range`, `min`, `max`, `abs`.
fn order(name: &str, args: &[Value]) -> FnResult {
    let a = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
    let v = match name {
        "slice" => match a(0) {
            Value::Array(l) => {
                let s = to_num(&a(1)).unwrap_or(0.0) as usize;
                let e = to_num(&a(2)).unwrap_or(0.0) as usize;
                if s > e || e > l.len() {
                    return fail("slice(): index out of range");
                }
                Value::Array(l[s..e].to_vec())
            }
            other => return fail(format!("slice() of {}", other.type_name())),
        },
        "reverse" => match a(0) {
            Value::Array(mut l) => {
                l.reverse();
                Value::Array(l)
            }
            other => return fail(format!("reverse() of {}", other.type_name())),
        },
        "sort" => match a(0) {
            Value::Array(l) => {
                let mut ss: Vec<String> = l
                    .iter()
                    .map(|x| string_arg(x, "sort() element"))
                    .collect::<Result<_, _>>()?;
                ss.sort();
                Value::Array(ss.into_iter().map(Value::String).collect())
            }
            other => return fail(format!("sort() of {}", other.type_name())),
        },
        "alltrue" | "anytrue" => match a(0) {
            Value::Array(l) => {
                let bs: Vec<bool> = l
                    .iter()
                    .map(|x| x.as_bool().unwrap_or(x.as_str() == Some("true")))
                    .collect();
                Value::Bool(if name == "alltrue" {
                    bs.iter().all(|b| *b)
                } else {
                    bs.iter().any(|b| *b)
                })
            }
            other => return fail(format!("{name}() of {}", other.type_name())),
        },
        "range" => {
            let ns: Vec<f64> = args.iter().filter_map(to_num).collect();
            let (start, end, step) = match ns.as_slice() {
                [e] => (0.0, *e, 1.0),
                [s, e] => (*s, *e, 1.0),
                [s, e, st] => (*s, *e, *st),
                _ => return fail("range() takes 1 to 3 numbers"),
            };
            if step == 0.0 {
                return fail("range(): step 0");
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                out.push(to_value_num(x));
                x += step;
                if out.len() > 10_000 {
                    return fail("range(): too many elements");
                }
            }
            Value::Array(out)
        }
        "min" | "max" => {
            let ns: Option<Vec<f64>> = args.iter().map(to_num).collect();
            let Some(ns) = ns.filter(|n| !n.is_empty()) else {
                return fail("min()/max() take numbers");
            };
            let r = if name == "min" {
                ns.iter().cloned().fold(f64::INFINITY, f64::min)
            } else {
                ns.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            };
            to_value_num(r)
        }
        "abs" => to_value_num(to_num(&a(0)).unwrap_or(0.0).abs()),
        _ => return Err(FnError::Unsupported),
    };
    Ok(Some(v))
}

/// Strings: `lower`, `upper`, `trimspace`, `title`, `replace`, `split`, `join`, `substr`, `startswith`, `endswith`, `strcontains`, `trimprefix`, `trimsuffix`.
fn strings(name: &str, args: &[Value]) -> FnResult {
    let a = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
    let v = match name {
        "lower" => Value::String(string_arg(&a(0), "lower()")?.to_lowercase()),
        "upper" => Value::String(string_arg(&a(0), "upper()")?.to_uppercase()),
        "trimspace" => Value::String(string_arg(&a(0), "trimspace()")?.trim().to_string()),
        "title" => {
            let s = string_arg(&a(0), "title()")?;
            let mut out = String::new();
            let mut start = true;
            for c in s.chars() {
                if start {
                    out.extend(c.to_uppercase());
                } else {
                    out.push(c);
                }
                start = !c.is_alphanumeric();
            }
            Value::String(out)
        }
        "replace" => {
            let s = string_arg(&a(0), "replace()")?;
            let from = string_arg(&a(1), "replace()")?;
            let to = string_arg(&a(2), "replace()")?;
            if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                return Ok(None);
            }
            if from.is_empty() {
                Value::String(s)
            } else {
                Value::String(s.replace(&from, &to))
            }
        }
        "split" => {
            let sep = string_arg(&a(0), "split()")?;
            let s = string_arg(&a(1), "split()")?;
            if sep.is_empty() {
                return fail("split(): empty separator");
            }
            Value::Array(
                s.split(sep.as_str())
                    .map(|x| Value::String(x.to_string()))
                    .collect(),
            )
        }
        "join" => {
            let sep = string_arg(&a(0), "join()")?;
            let mut parts = Vec::new();
            for l in &args[1.min(args.len())..] {
                match l {
                    Value::Array(items) => {
                        for x in items {
                            parts.push(string_arg(x, "join() element")?);
                        }
                    }
                    other => return fail(format!("join() takes lists, not {}", other.type_name())),
                }
            }
            Value::String(parts.join(&sep))
        }
        "substr" => {
            let s = string_arg(&a(0), "substr()")?;
            let off = to_num(&a(1)).unwrap_or(0.0) as i64;
            let len = to_num(&a(2)).unwrap_or(-1.0) as i64;
            let chars: Vec<char> = s.chars().collect();
            let start = if off < 0 {
                (chars.len() as i64 + off).max(0)
            } else {
                off.min(chars.len() as i64)
            } as usize;
            let end = if len < 0 {
                chars.len()
            } else {
                (start + len as usize).min(chars.len())
            };
            Value::String(chars[start..end].iter().collect())
        }
        "startswith" | "endswith" | "strcontains" => {
            let s = string_arg(&a(0), name)?;
            let p = string_arg(&a(1), name)?;
            Value::Bool(match name {
                "startswith" => s.starts_with(&p),
                "endswith" => s.ends_with(&p),
                _ => s.contains(&p),
            })
        }
        "trimprefix" | "trimsuffix" => {
            let s = string_arg(&a(0), name)?;
            let p = string_arg(&a(1), name)?;
            Value::String(if name == "trimprefix" {
                s.strip_prefix(&p).unwrap_or(&s).to_string()
            } else {
                s.strip_suffix(&p).unwrap_or(&s).to_string()
            })
        }
        _ => return Err(FnError::Unsupported),
    };
    Ok(Some(v))
}

/// Encoding and type conversion: `jsonencode`, `jsondecode`, `format`, `tolist`, `tomap`, `tostring`, `tonumber`, `tobool`, `sensitive`, `nonsensitive` (`formatlist` is not evaluated).
fn encoding(name: &str, args: &[Value]) -> FnResult {
    let a = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
    let v = match name {
        "jsonencode" => {
            let j = a(0)
                .to_json_with(&|_| None)
                .unwrap_or(serde_json::Value::Null);
            Value::String(strip_marks(j).to_string())
        }
        "jsondecode" => {
            let s = string_arg(&a(0), "jsondecode() argument")?;
            match serde_json::from_str::<serde_json::Value>(&s) {
                Ok(j) => Value::from_json(&j),
                Err(e) => return fail(format!("jsondecode(): {e}")),
            }
        }
        "format" => Value::String(format(args)?),
        "formatlist" => return Err(FnError::Unsupported),
        "tolist" | "tomap" | "tostring" | "tonumber" | "tobool" | "sensitive" | "nonsensitive" => {
            match (name, a(0)) {
                ("tostring", v) => to_str(&v).map(Value::String).unwrap_or(v),
                ("tonumber", v) => to_num(&v)
                    .map(|f| {
                        if f.fract() == 0.0 {
                            Value::Int(f as i64)
                        } else {
                            Value::Float(f)
                        }
                    })
                    .unwrap_or(Value::Null),
                ("tobool", Value::String(s)) => Value::Bool(s == "true"),
                (_, v) => v,
            }
        }
        _ => return Err(FnError::Unsupported),
    };
    Ok(Some(v))
}

fn to_value_num(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9e15 {
        Value::Int(f as i64)
    } else {
        Value::Float(f)
    }
}

fn strip_marks(j: serde_json::Value) -> serde_json::Value {
    match j {
        serde_json::Value::Object(o) => serde_json::Value::Object(
            o.into_iter()
                .filter(|(k, _)| k != RESOURCE_MARK)
                .map(|(k, v)| (k, strip_marks(v)))
                .collect(),
        ),
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(strip_marks).collect())
        }
        other => other,
    }
}

fn flatten(v: &Value, out: &mut Vec<Value>, depth: usize) -> Result<(), FnError> {
    if depth > 64 {
        return fail("flatten(): nesting too deep");
    }
    match v {
        Value::Array(l) => {
            for x in l {
                match x {
                    Value::Array(_) => flatten(x, out, depth + 1)?,
                    other => out.push(other.clone()),
                }
            }
            Ok(())
        }
        other => fail(format!("flatten() of {}", other.type_name())),
    }
}

/// `format()` with the common verbs: `%s`, `%d`, `%v`, `%q`, `%%`, `%t`, `%f`.
fn format(args: &[Value]) -> Result<String, FnError> {
    let Some(fmt) = args.first().and_then(Value::as_str) else {
        return fail("format() needs a format string");
    };
    let mut out = String::new();
    let mut next = 1;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Skip flags and width.
        let mut verb = None;
        while let Some(&n) = chars.peek() {
            chars.next();
            if n.is_ascii_alphabetic() || n == '%' {
                verb = Some(n);
                break;
            }
        }
        match verb {
            Some('%') => out.push('%'),
            Some(v) => {
                let Some(arg) = args.get(next) else {
                    return fail("format(): too few arguments");
                };
                next += 1;
                match v {
                    'q' => out.push_str(&format!("{:?}", to_str(arg).unwrap_or_default())),
                    'f' | 'g' | 'e' => {
                        out.push_str(&to_num(arg).map(fmt_float).unwrap_or_default())
                    }
                    _ => match to_str(arg) {
                        Some(s) => out.push_str(&s),
                        None => out.push_str(&arg.to_json_display().to_string()),
                    },
                }
            }
            None => return fail("format(): incomplete verb"),
        }
    }
    Ok(out)
}
