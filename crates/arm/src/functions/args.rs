//! Argument checks and conversions shared by the function families.
//!
//! Positions are zero-based in code and one-based in messages.

use aml_model::value::{Object, Value};

/// `argument N must be a X, got Y`.
pub(crate) fn type_error(pos: usize, expected: &str, got: &Value) -> String {
    format!(
        "argument {} must be {expected}, got {}",
        pos + 1,
        got.type_name()
    )
}

pub(crate) fn str_arg(v: &Value, pos: usize) -> Result<&str, String> {
    v.as_str().ok_or_else(|| type_error(pos, "a string", v))
}

pub(crate) fn int_arg(v: &Value, pos: usize) -> Result<i64, String> {
    v.as_i64().ok_or_else(|| type_error(pos, "an integer", v))
}

pub(crate) fn bool_arg(v: &Value, pos: usize) -> Result<bool, String> {
    v.as_bool().ok_or_else(|| type_error(pos, "a bool", v))
}

pub(crate) fn array_arg(v: &Value, pos: usize) -> Result<&Vec<Value>, String> {
    v.as_array().ok_or_else(|| type_error(pos, "an array", v))
}

pub(crate) fn object_arg(v: &Value, pos: usize) -> Result<&Object, String> {
    v.as_object().ok_or_else(|| type_error(pos, "an object", v))
}

pub(crate) fn into_array(v: Value, pos: usize) -> Result<Vec<Value>, String> {
    match v {
        Value::Array(a) => Ok(a),
        other => Err(type_error(pos, "an array", &other)),
    }
}

pub(crate) fn into_object(v: Value, pos: usize) -> Result<Object, String> {
    match v {
        Value::Object(o) => Ok(o),
        other => Err(type_error(pos, "an object", &other)),
    }
}

/// A count or index argument as `usize`, negative values clamped to zero.
pub(crate) fn clamped_count(v: &Value, pos: usize) -> Result<usize, String> {
    let n = int_arg(v, pos)?;
    Ok(usize::try_from(n.max(0)).unwrap_or(usize::MAX))
}

/// The string ARM makes of a value: strings as is, `True`/`False` for bools
/// (.NET's spelling), compact JSON for arrays and objects, `""` for null.
pub(crate) fn to_arm_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format_float(*f),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Null => String::new(),
        Value::Array(_) | Value::Object(_) => to_json_compact(v),
        Value::Unknown(u) => format!("<unknown: {}>", u.expr),
    }
}

/// Compact JSON, as `string()` of an array or object gives.
pub(crate) fn to_json_compact(v: &Value) -> String {
    let json = v.to_json_with(&|_| None).unwrap_or(serde_json::Value::Null);
    serde_json::to_string(&json).unwrap_or_default()
}

/// A float the way .NET prints it for the common cases (`1.5`, `3`).
pub(crate) fn format_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// Case folding for ARM's ordinal-ignore-case comparisons: one char to one
/// char, so character positions are preserved.
pub(crate) fn fold_char(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// `s` case-folded char by char (see [`fold_char`]).
pub(crate) fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// The char index of a byte offset of `s`.
pub(crate) fn char_index(s: &str, byte: usize) -> usize {
    s.get(..byte).map_or(0, |p| p.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_strings() {
        assert_eq!(to_arm_string(&Value::Bool(true)), "True");
        assert_eq!(to_arm_string(&Value::Null), "");
        assert_eq!(to_arm_string(&Value::Float(1.5)), "1.5");
        assert_eq!(to_arm_string(&Value::Float(3.0)), "3");
        let v = Value::from_json(&serde_json::json!({"b": [1, "x"], "a": null}));
        assert_eq!(to_arm_string(&v), r#"{"b":[1,"x"],"a":null}"#);
    }

    #[test]
    fn folding_keeps_positions() {
        assert_eq!(fold("aBç"), "ABÇ");
        // 'ß' upper-cases to "SS": it is kept as is so positions do not move.
        assert_eq!(fold("ß").chars().count(), 1);
        assert_eq!(char_index("éa", 2), 1);
    }

    #[test]
    fn errors_name_the_position() {
        assert_eq!(
            str_arg(&Value::Int(1), 0).unwrap_err(),
            "argument 1 must be a string, got int"
        );
        assert_eq!(clamped_count(&Value::Int(-5), 1).unwrap(), 0);
    }
}
