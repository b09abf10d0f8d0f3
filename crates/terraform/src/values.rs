//! Terraform's own view of values, shared by the evaluator, the function
//! library and the mapping: conversions and equality as Terraform does them,
//! and the mark of a resource instance.

use aml_model::value::Value;

/// Marks an object that stands for a resource instance: reading an attribute
/// it lacks gives an unknown ("known after apply"), not an error.
pub const RESOURCE_MARK: &str = "\u{1}resource";
/// Terraform's conversion of a primitive to string.
pub fn to_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(fmt_float(*f)),
        _ => None,
    }
}

/// A number as Terraform prints it: integers without a fraction.
pub fn fmt_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// A number, or a string that holds one.
pub fn to_num(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Equality as Terraform compares values (numbers by value).
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            to_num(a) == to_num(b)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}
