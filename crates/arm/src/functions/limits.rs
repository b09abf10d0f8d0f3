//! Size and work limits, so that no template makes evaluation hang or
//! allocate without bound.
//!
//! Sizes are measured as a *weight*: one unit per value, plus one unit per
//! eight bytes of string. Every value a function returns is checked against
//! [`MAX_VALUE_WEIGHT`] and [`MAX_VALUE_DEPTH`]; one evaluation of an
//! expression may produce at most [`MAX_WORK`] units in total.

use aml_model::value::Value;

/// Longest string a function may return (4 MiB).
pub const MAX_STRING_BYTES: usize = 4 * 1024 * 1024;
/// Most elements an array built by a function may have.
pub const MAX_ARRAY_LEN: usize = 100_000;
/// Largest `count` of `range()`. ARM's copy loops stop at 800 iterations,
/// and this library applies the same cap to `range()`.
pub const MAX_RANGE_COUNT: i64 = 800;
/// Widest padding of `padLeft()` and of `format()` alignments.
pub const MAX_PAD_WIDTH: usize = 16_384;
/// Heaviest value a function may return.
pub const MAX_VALUE_WEIGHT: usize = 1_000_000;
/// Deepest nesting of arrays and objects in a value.
pub const MAX_VALUE_DEPTH: usize = 256;
/// Total weight of the values one evaluation may produce.
pub const MAX_WORK: usize = 4_000_000;
/// Longest input of `uniqueString()` (Azure's own limit, in characters).
pub const MAX_UNIQUE_STRING_INPUT: usize = 131_072;

/// The weight of a string of `len` bytes.
pub fn string_weight(len: usize) -> usize {
    1 + len / 8
}

/// The weight of `v`, or an error when it is heavier than `limit`, nested
/// deeper than [`MAX_VALUE_DEPTH`] or holds a string longer than
/// [`MAX_STRING_BYTES`]. Stops as soon as the limit is passed, so the cost
/// is at most `limit`.
pub fn weight(v: &Value, limit: usize) -> Result<usize, String> {
    let mut total = 0usize;
    add_weight(v, 0, limit, &mut total)?;
    Ok(total)
}

fn add_weight(v: &Value, depth: usize, limit: usize, total: &mut usize) -> Result<(), String> {
    if depth > MAX_VALUE_DEPTH {
        return Err(format!(
            "the value is nested deeper than {MAX_VALUE_DEPTH} levels"
        ));
    }
    *total += match v {
        Value::String(s) => {
            check_string_len(s.len())?;
            string_weight(s.len())
        }
        Value::Unknown(u) => string_weight(u.expr.len()),
        _ => 1,
    };
    if *total > limit {
        return Err(format!(
            "the value is larger than the limit ({limit} units)"
        ));
    }
    match v {
        Value::Array(a) => {
            for x in a {
                add_weight(x, depth + 1, limit, total)?;
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                *total += k.len() / 8;
                add_weight(x, depth + 1, limit, total)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks a value returned by a function.
pub(crate) fn check_value(v: &Value) -> Result<usize, String> {
    weight(v, MAX_VALUE_WEIGHT)
}

/// Checks the length of a string about to be built.
pub(crate) fn check_string_len(len: usize) -> Result<(), String> {
    if len > MAX_STRING_BYTES {
        Err(format!(
            "the resulting string would be {len} bytes long, more than the limit of {MAX_STRING_BYTES}"
        ))
    } else {
        Ok(())
    }
}

/// Checks the length of an array about to be built.
pub(crate) fn check_array_len(len: usize) -> Result<(), String> {
    if len > MAX_ARRAY_LEN {
        Err(format!(
            "the resulting array would have {len} elements, more than the limit of {MAX_ARRAY_LEN}"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights() {
        assert_eq!(weight(&Value::Int(1), 10).unwrap(), 1);
        assert_eq!(weight(&Value::str("x".repeat(80)), 100).unwrap(), 11);
        let arr = Value::Array(vec![Value::Int(1); 5]);
        assert_eq!(weight(&arr, 100).unwrap(), 6);
        assert!(weight(&arr, 3).is_err());
    }

    #[test]
    fn depth_is_bounded() {
        let mut v = Value::Null;
        for _ in 0..(MAX_VALUE_DEPTH + 2) {
            v = Value::Array(vec![v]);
        }
        assert!(weight(&v, usize::MAX).unwrap_err().contains("nested"));
    }

    #[test]
    fn long_strings_are_rejected() {
        assert!(check_string_len(MAX_STRING_BYTES).is_ok());
        assert!(check_string_len(MAX_STRING_BYTES + 1).is_err());
        assert!(check_array_len(MAX_ARRAY_LEN + 1).is_err());
    }
}
