//! `format(formatString, arg0, arg1, ...)`: .NET composite formatting.
//!
//! Supported: `{0}`, `{{` and `}}`, alignment `{0,5}` / `{0,-5}`, and for
//! numbers the standard specifiers `D`, `N`, `F`, `X`, `P`, `G` (with a
//! precision, e.g. `{0:D3}`) and zero-only custom formats (`{0:000}`). Output
//! is in the invariant / en-US style ARM uses (`1,234.50`). Bools print as
//! `True`/`False`, arrays and objects as indented JSON, as in Azure.

use super::args::{format_float, str_arg};
use super::{limits, Call};
use aml_model::value::Value;

/// Largest precision of a numeric format specifier.
const MAX_PRECISION: usize = 99;

pub(crate) fn format(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    if let Value::Unknown(u) = &args[0] {
        return Ok(call.unknown_from(u));
    }
    let fmt = str_arg(&args[0], 0)?;
    let values = &args[1..];
    let mut out = String::new();
    let mut chars = fmt.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|&(_, n)| n) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|&(_, n)| n) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '}' => {
                return Err(format!(
                    "unmatched '}}' at position {at} of the format string"
                ))
            }
            '{' => {
                let close = fmt[at..].find('}').map(|i| at + i).ok_or_else(|| {
                    format!("unmatched '{{' at position {at} of the format string")
                })?;
                let item = &fmt[at + 1..close];
                while chars.peek().is_some_and(|&(i, _)| i <= close) {
                    chars.next();
                }
                let (index, align, spec) = parse_item(item)?;
                let value = values.get(index).ok_or_else(|| {
                    format!(
                        "the format item {{{index}}} has no argument ({} given)",
                        values.len()
                    )
                })?;
                if let Some(u) = value.first_unknown() {
                    return Ok(call.unknown_from(u));
                }
                let text = render(value, spec)?;
                pad(&mut out, &text, align);
            }
            c => out.push(c),
        }
        limits::check_string_len(out.len())?;
    }
    Ok(Value::String(out))
}

/// `index[,alignment][:spec]`.
fn parse_item(item: &str) -> Result<(usize, i64, &str), String> {
    let (head, spec) = item.split_once(':').unwrap_or((item, ""));
    let (index, align) = match head.split_once(',') {
        Some((i, a)) => (i, Some(a)),
        None => (head, None),
    };
    let index: usize = index
        .trim()
        .parse()
        .map_err(|_| format!("'{{{item}}}' is not a valid format item"))?;
    let align = match align {
        Some(a) => a
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("'{{{item}}}' has an invalid alignment"))?,
        None => 0,
    };
    if align.unsigned_abs() > limits::MAX_PAD_WIDTH as u64 {
        return Err(format!(
            "the alignment {align} is wider than the limit of {}",
            limits::MAX_PAD_WIDTH
        ));
    }
    Ok((index, align, spec))
}

fn pad(out: &mut String, text: &str, align: i64) {
    let width = usize::try_from(align.unsigned_abs()).unwrap_or(0);
    let fill = width.saturating_sub(text.chars().count());
    if align > 0 {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(text);
    } else {
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', fill));
    }
}

fn render(v: &Value, spec: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(true) => Ok("True".to_string()),
        Value::Bool(false) => Ok("False".to_string()),
        Value::Null => Ok(String::new()),
        Value::Int(i) => format_int(*i, spec),
        Value::Float(f) => format_number(*f, spec),
        Value::Array(_) | Value::Object(_) => {
            let json = v.to_json_with(&|_| None).unwrap_or(serde_json::Value::Null);
            let pretty = serde_json::to_string_pretty(&json).unwrap_or_default();
            Ok(pretty.replace('\n', "\r\n"))
        }
        Value::Unknown(u) => Err(format!("the value of {} is unknown", u.expr)),
    }
}

/// Splits `N2` into ('N', Some(2)).
fn split_spec(spec: &str) -> Result<(char, Option<usize>), String> {
    let mut chars = spec.chars();
    let letter = chars.next().unwrap_or('G');
    let digits = chars.as_str();
    let precision = if digits.is_empty() {
        None
    } else {
        let p: usize = digits
            .parse()
            .map_err(|_| format!("'{spec}' is not a supported format specifier"))?;
        if p > MAX_PRECISION {
            return Err(format!(
                "the precision {p} is more than the limit of {MAX_PRECISION}"
            ));
        }
        Some(p)
    };
    Ok((letter, precision))
}

fn format_int(i: i64, spec: &str) -> Result<String, String> {
    if !spec.is_empty() && spec.chars().all(|c| c == '0') {
        if spec.len() > MAX_PRECISION {
            return Err(format!(
                "the format '{spec}' is longer than the limit of {MAX_PRECISION}"
            ));
        }
        return Ok(zero_pad(i, spec.len()));
    }
    let (letter, precision) = split_spec(spec)?;
    match letter {
        'D' | 'd' => Ok(zero_pad(i, precision.unwrap_or(0))),
        'X' | 'x' => {
            let hex = if letter == 'X' {
                format!("{i:X}")
            } else {
                format!("{i:x}")
            };
            let width = precision.unwrap_or(0);
            Ok(format!(
                "{}{hex}",
                "0".repeat(width.saturating_sub(hex.len()))
            ))
        }
        'G' | 'g' if precision.is_none() => Ok(i.to_string()),
        _ => format_number(i as f64, spec),
    }
}

fn zero_pad(i: i64, width: usize) -> String {
    let digits = i.unsigned_abs().to_string();
    let sign = if i < 0 { "-" } else { "" };
    format!(
        "{sign}{}{digits}",
        "0".repeat(width.saturating_sub(digits.len()))
    )
}

fn format_number(f: f64, spec: &str) -> Result<String, String> {
    let (letter, precision) = split_spec(spec)?;
    match letter {
        'G' | 'g' if precision.is_none() => Ok(format_float(f)),
        'F' | 'f' => Ok(format!("{f:.*}", precision.unwrap_or(2))),
        'N' | 'n' => Ok(group_thousands(&format!("{f:.*}", precision.unwrap_or(2)))),
        'P' | 'p' => Ok(format!(
            "{} %",
            group_thousands(&format!("{:.*}", precision.unwrap_or(2), f * 100.0))
        )),
        _ => Err(format!("the format specifier '{spec}' is not supported")),
    }
}

/// `1234567.50` -> `1,234,567.50`.
fn group_thousands(fixed: &str) -> String {
    let (sign, rest) = match fixed.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", fixed),
    };
    let (int_part, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut grouped = String::new();
    for (n, c) in int_part.chars().enumerate() {
        if n > 0 && (int_part.len() - n) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::{eval, eval_err, is_unknown_with, TestEnv};

    #[test]
    fn placeholders_and_escapes() {
        assert_eq!(eval("[format('{0}-{1}', 'a', 2)]"), Value::str("a-2"));
        assert_eq!(eval("[format('{1}{0}{1}', 'a', 'b')]"), Value::str("bab"));
        assert_eq!(eval("[format('{{0}} {0}', 'x')]"), Value::str("{0} x"));
        assert_eq!(eval("[format('plain')]"), Value::str("plain"));
        assert_eq!(
            eval("[format('{0} {1}', true(), null())]"),
            Value::str("True ")
        );
        assert_eq!(
            eval("[format('[{0,4}][{0,-4}]', 'ab')]"),
            Value::str("[  ab][ab  ]")
        );
        assert_eq!(eval("[format('{ 0 }', 'x')]"), Value::str("x"));
    }

    #[test]
    fn number_specifiers() {
        assert_eq!(eval("[format('{0:D3}', 7)]"), Value::str("007"));
        assert_eq!(eval("[format('{0:D3}', -7)]"), Value::str("-007"));
        assert_eq!(eval("[format('{0:000}', 42)]"), Value::str("042"));
        assert_eq!(
            eval("[format('{0:N}', 8175133)]"),
            Value::str("8,175,133.00")
        );
        assert_eq!(eval("[format('{0:N0}', -1234)]"), Value::str("-1,234"));
        assert_eq!(eval("[format('{0:F1}', float('2.26'))]"), Value::str("2.3"));
        assert_eq!(eval("[format('{0:X}', 255)]"), Value::str("FF"));
        assert_eq!(eval("[format('{0:x4}', 255)]"), Value::str("00ff"));
        assert_eq!(eval("[format('{0:P0}', float('0.5'))]"), Value::str("50 %"));
        assert_eq!(eval("[format('{0:N}', 'text')]"), Value::str("text"));
    }

    #[test]
    fn objects_are_indented_json() {
        assert_eq!(
            eval("[format('{0}', createObject('a', 1))]"),
            Value::str("{\r\n  \"a\": 1\r\n}")
        );
    }

    #[test]
    fn errors() {
        assert!(eval_err("[format('{1}', 'a')]")
            .message
            .contains("has no argument"));
        assert!(eval_err("[format('{0', 'a')]")
            .message
            .contains("unmatched '{'"));
        assert!(eval_err("[format('a}', 'a')]")
            .message
            .contains("unmatched '}'"));
        assert!(eval_err("[format('{x}', 'a')]")
            .message
            .contains("not a valid format item"));
        assert!(eval_err("[format('{0:Q}', 1)]")
            .message
            .contains("not supported"));
        assert!(eval_err("[format('{0,100000000}', 1)]")
            .message
            .contains("limit"));
        assert!(eval_err("[format('{0:D1000}', 1)]")
            .message
            .contains("limit"));
    }

    #[test]
    fn unknowns_only_when_used() {
        let env = TestEnv::new().unknown_param("u");
        assert_eq!(
            env.eval("[format('{0}', 'a', parameters('u'))]"),
            Value::str("a")
        );
        assert!(is_unknown_with(
            &env.eval("[format('{1}', 'a', parameters('u'))]"),
            "format('{1}', 'a', parameters('u'))"
        ));
        assert!(env.eval("[format(parameters('u'), 'a')]").is_unknown());
    }
}
