//! Numeric functions: `add`, `sub`, `mul`, `div`, `mod`, `int`, `float`
//! (`min` and `max` are in the array family, `copyIndex` in deployment).
//!
//! Arithmetic is on 64-bit integers, as in ARM; overflow and division by
//! zero are errors.

use super::args::{int_arg, type_error};
use super::Call;
use aml_model::value::Value;

fn arith(args: &[Value], op: &str, f: fn(i64, i64) -> Option<i64>) -> Result<Value, String> {
    let a = int_arg(&args[0], 0)?;
    let b = int_arg(&args[1], 1)?;
    f(a, b)
        .map(Value::Int)
        .ok_or_else(|| format!("{a} {op} {b} overflows a 64-bit integer"))
}

pub(crate) fn add(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    arith(&args, "+", i64::checked_add)
}

pub(crate) fn sub(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    arith(&args, "-", i64::checked_sub)
}

pub(crate) fn mul(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    arith(&args, "*", i64::checked_mul)
}

/// `div(a, b)`: integer division, truncated toward zero.
pub(crate) fn div(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    if args[1] == Value::Int(0) {
        return Err("division by zero".to_string());
    }
    arith(&args, "/", i64::checked_div)
}

/// `mod(a, b)`: the remainder, with the sign of `a`.
pub(crate) fn modulo(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    if args[1] == Value::Int(0) {
        return Err("division by zero".to_string());
    }
    arith(&args, "%", i64::checked_rem)
}

/// `int(x)`: integers, floats (rounded half to even, as .NET converts) and
/// strings holding an integer.
pub(crate) fn int(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    match &args[0] {
        Value::Int(i) => Ok(Value::Int(*i)),
        Value::Float(f) => {
            let r = f.round_ties_even();
            // -2^63 converts exactly; 2^63 is the first value out of range.
            let bound = -(i64::MIN as f64);
            if r >= -bound && r < bound {
                Ok(Value::Int(r as i64))
            } else {
                Err(format!("{f} is out of the range of a 64-bit integer"))
            }
        }
        Value::String(s) => {
            let t = s.trim();
            t.strip_prefix('+')
                .unwrap_or(t)
                .parse::<i64>()
                .ok()
                .filter(|_| !t.starts_with("+-"))
                .map(Value::Int)
                .ok_or_else(|| format!("'{s}' is not an integer"))
        }
        other => Err(type_error(0, "an integer, a float or a string", other)),
    }
}

/// `float(x)`: integers, floats and strings holding a number.
pub(crate) fn float(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    match &args[0] {
        Value::Int(i) => Ok(Value::Float(*i as f64)),
        Value::Float(f) => Ok(Value::Float(*f)),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Value::Float)
            .ok_or_else(|| format!("'{s}' is not a number")),
        other => Err(type_error(0, "an integer, a float or a string", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::{eval, eval_err, is_unknown_with, TestEnv};

    #[test]
    fn arithmetic() {
        assert_eq!(eval("[add(5, 3)]"), Value::Int(8));
        assert_eq!(eval("[sub(5, 8)]"), Value::Int(-3));
        assert_eq!(eval("[mul(-4, 3)]"), Value::Int(-12));
        assert_eq!(eval("[div(7, 2)]"), Value::Int(3));
        assert_eq!(eval("[div(-7, 2)]"), Value::Int(-3));
        assert_eq!(eval("[mod(7, 3)]"), Value::Int(1));
        assert_eq!(eval("[mod(-7, 3)]"), Value::Int(-1));
        assert!(eval_err("[add('1', 2)]")
            .message
            .contains("argument 1 must be an integer"));
    }

    #[test]
    fn overflow_and_zero_are_errors() {
        assert!(eval_err("[add(9223372036854775807, 1)]")
            .message
            .contains("overflows"));
        assert!(eval_err("[sub(-9223372036854775808, 1)]")
            .message
            .contains("overflows"));
        assert!(eval_err("[mul(4611686018427387904, 2)]")
            .message
            .contains("overflows"));
        assert!(eval_err("[div(-9223372036854775808, -1)]")
            .message
            .contains("overflows"));
        assert!(eval_err("[mod(-9223372036854775808, -1)]")
            .message
            .contains("overflows"));
        let e = eval_err("[div(1, 0)]");
        assert_eq!((e.message.as_str(), e.offset), ("div: division by zero", 1));
        assert!(eval_err("[mod(1, 0)]").message.contains("zero"));
    }

    #[test]
    fn conversions() {
        assert_eq!(eval("[int('4')]"), Value::Int(4));
        assert_eq!(eval("[int(' -12 ')]"), Value::Int(-12));
        assert_eq!(eval("[int('+7')]"), Value::Int(7));
        assert_eq!(eval("[int(float('2.5'))]"), Value::Int(2));
        assert_eq!(eval("[int(float('3.5'))]"), Value::Int(4));
        assert!(eval_err("[int('1.5')]").message.contains("not an integer"));
        assert!(eval_err("[int('+-1')]").message.contains("not an integer"));
        assert!(eval_err("[int(float('1e300'))]")
            .message
            .contains("out of the range"));
        assert!(eval_err("[int(true())]").message.contains("argument 1"));
        assert_eq!(eval("[float('1.25')]"), Value::Float(1.25));
        assert_eq!(eval("[float(2)]"), Value::Float(2.0));
        assert!(eval_err("[float('abc')]").message.contains("not a number"));
        assert!(eval_err("[float('inf')]").message.contains("not a number"));
    }

    #[test]
    fn unknowns() {
        let env = TestEnv::new().unknown_param("u");
        assert!(is_unknown_with(
            &env.eval("[add(parameters('u'), 1)]"),
            "add(parameters('u'), 1)"
        ));
        // Division by an unknown is unknown, not an error.
        assert!(env.eval("[div(1, parameters('u'))]").is_unknown());
    }
}
