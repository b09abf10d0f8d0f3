//! String functions: `toLower`, `toUpper`, `trim`, `substring`, `replace`,
//! `split`, `join`, `startsWith`, `endsWith`, `padLeft`, `string`, `json`.
//!
//! Positions and lengths count characters (Unicode scalar values); Azure
//! counts UTF-16 code units, which is the same for text outside the astral
//! planes. `startsWith`, `endsWith`, `indexOf` and `lastIndexOf` ignore case,
//! as in ARM; `contains`, `replace` and `equals` do not.

use super::args::{self, clamped_count, fold, int_arg, str_arg, to_arm_string};
use super::{limits, Call};
use aml_model::value::Value;

pub(crate) fn to_lower(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::String(str_arg(&args[0], 0)?.to_lowercase()))
}

pub(crate) fn to_upper(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::String(str_arg(&args[0], 0)?.to_uppercase()))
}

pub(crate) fn trim(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::str(str_arg(&args[0], 0)?.trim()))
}

/// `substring(s, start = 0, length = rest)`: an error when the range is not
/// inside the string, as in ARM.
pub(crate) fn substring(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let s = str_arg(&args[0], 0)?;
    let len = s.chars().count();
    let start = match args.get(1) {
        Some(v) => int_arg(v, 1)?,
        None => 0,
    };
    let start_ok = usize::try_from(start).ok().filter(|&st| st <= len);
    let Some(start) = start_ok else {
        return Err(format!(
            "the start index {start} is outside the string (length {len})"
        ));
    };
    let count = match args.get(2) {
        Some(v) => {
            let n = int_arg(v, 2)?;
            match usize::try_from(n).ok().filter(|&n| n <= len - start) {
                Some(n) => n,
                None => {
                    return Err(format!(
                        "the length {n} from index {start} goes outside the string (length {len})"
                    ))
                }
            }
        }
        None => len - start,
    };
    Ok(Value::String(s.chars().skip(start).take(count).collect()))
}

/// `replace(s, old, new)`: every occurrence, case-sensitive.
pub(crate) fn replace(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let s = str_arg(&args[0], 0)?;
    let old = str_arg(&args[1], 1)?;
    let new = str_arg(&args[2], 2)?;
    if old.is_empty() {
        return Err("the string to replace must not be empty".to_string());
    }
    if new.len() > old.len() {
        let count = s.matches(old).count();
        let grown = s
            .len()
            .saturating_add(count.saturating_mul(new.len() - old.len()));
        limits::check_string_len(grown)?;
    }
    Ok(Value::String(s.replace(old, new)))
}

/// `split(s, delimiter)` with a string or an array of strings; empty
/// delimiters are ignored, as in .NET.
pub(crate) fn split(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let s = str_arg(&args[0], 0)?;
    let delimiters: Vec<&str> = match &args[1] {
        Value::String(d) => vec![d.as_str()],
        Value::Array(a) => a
            .iter()
            .map(|d| {
                d.as_str()
                    .ok_or_else(|| "argument 2 must be a string or an array of strings".to_string())
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(args::type_error(
                1,
                "a string or an array of strings",
                other,
            ))
        }
    };
    let delimiters: Vec<&str> = delimiters.into_iter().filter(|d| !d.is_empty()).collect();
    // The next match of each delimiter, searched again only once passed:
    // linear in the length of the string for each delimiter.
    let mut next: Vec<Option<usize>> = delimiters.iter().map(|d| s.find(d)).collect();
    let mut parts = Vec::new();
    let mut pos = 0;
    // At one position the first delimiter of the list wins, as in .NET.
    while let Some((at, i)) = next
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|p| (p, i)))
        .min()
    {
        parts.push(Value::str(&s[pos..at]));
        limits::check_array_len(parts.len())?;
        pos = at + delimiters[i].len();
        for (slot, d) in next.iter_mut().zip(&delimiters) {
            if slot.is_some_and(|p| p < pos) {
                *slot = s[pos..].find(d).map(|p| p + pos);
            }
        }
    }
    parts.push(Value::str(&s[pos..]));
    Ok(Value::Array(parts))
}

/// `join(array, delimiter)`: strings, numbers and bools are joined as text.
pub(crate) fn join(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let items = args::array_arg(&args[0], 0)?;
    let delimiter = str_arg(&args[1], 1)?;
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if matches!(item, Value::Array(_) | Value::Object(_)) {
            return Err(format!(
                "element {i} of the array is a {}, not a string",
                item.type_name()
            ));
        }
        if i > 0 {
            out.push_str(delimiter);
        }
        out.push_str(&to_arm_string(item));
        limits::check_string_len(out.len())?;
    }
    Ok(Value::String(out))
}

pub(crate) fn starts_with(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let s = fold(str_arg(&args[0], 0)?);
    let p = fold(str_arg(&args[1], 1)?);
    Ok(Value::Bool(s.starts_with(&p)))
}

pub(crate) fn ends_with(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let s = fold(str_arg(&args[0], 0)?);
    let p = fold(str_arg(&args[1], 1)?);
    Ok(Value::Bool(s.ends_with(&p)))
}

/// `padLeft(value, totalLength, padChar = ' ')`: the value is a string or an
/// integer; the padding character must be a single character.
pub(crate) fn pad_left(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let s = match &args[0] {
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        other => return Err(args::type_error(0, "a string or an integer", other)),
    };
    let total = int_arg(&args[1], 1)?;
    if total < 0 {
        return Err(format!("the total length {total} must not be negative"));
    }
    let total = clamped_count(&args[1], 1)?;
    if total > limits::MAX_PAD_WIDTH {
        return Err(format!(
            "the total length {total} is more than the limit of {}",
            limits::MAX_PAD_WIDTH
        ));
    }
    let pad = match args.get(2) {
        Some(v) => {
            let p = str_arg(v, 2)?;
            let mut chars = p.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => c,
                _ => {
                    return Err(format!(
                        "the padding must be exactly one character, got '{p}'"
                    ))
                }
            }
        }
        None => ' ',
    };
    let len = s.chars().count();
    let mut out: String = std::iter::repeat_n(pad, total.saturating_sub(len)).collect();
    out.push_str(&s);
    Ok(Value::String(out))
}

/// `string(value)`: strings as is, compact JSON for arrays and objects,
/// `True`/`False` for bools (as ARM prints them).
pub(crate) fn string(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let s = to_arm_string(&args[0]);
    limits::check_string_len(s.len())?;
    Ok(Value::String(s))
}

/// `json(text)`: parses JSON; `json('null')` is null.
pub(crate) fn json(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let text = str_arg(&args[0], 0)?;
    parse_json(text)
}

pub(crate) fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|j| Value::from_json(&j))
        .map_err(|e| format!("the text is not valid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::{eval, eval_err, is_unknown_with, json, TestEnv};
    use serde_json::json as j;

    #[test]
    fn case_and_trim() {
        assert_eq!(eval("[toLower('AbC')]"), Value::str("abc"));
        assert_eq!(eval("[toUpper('ärger')]"), Value::str("ÄRGER"));
        assert_eq!(eval("[trim('  a b \t')]"), Value::str("a b"));
        assert!(eval_err("[toLower(1)]")
            .message
            .contains("argument 1 must be a string, got int"));
    }

    #[test]
    fn substring_bounds() {
        assert_eq!(eval("[substring('hello', 1, 3)]"), Value::str("ell"));
        assert_eq!(eval("[substring('hello', 2)]"), Value::str("llo"));
        assert_eq!(eval("[substring('hello')]"), Value::str("hello"));
        assert_eq!(eval("[substring('hello', 5)]"), Value::str(""));
        assert_eq!(eval("[substring('héllo', 1, 1)]"), Value::str("é"));
        assert!(eval_err("[substring('hello', 6)]")
            .message
            .contains("outside"));
        assert!(eval_err("[substring('hello', -1)]")
            .message
            .contains("outside"));
        assert!(eval_err("[substring('hello', 2, 4)]")
            .message
            .contains("outside"));
        assert!(eval_err("[substring('hello', 0, -1)]")
            .message
            .contains("outside"));
        assert!(eval_err("[substring('hello', 1, 9223372036854775807)]")
            .message
            .contains("outside"));
    }

    #[test]
    fn replace_and_split_and_join() {
        assert_eq!(eval("[replace('a-b-c', '-', '')]"), Value::str("abc"));
        assert_eq!(eval("[replace('aA', 'a', 'x')]"), Value::str("xA"));
        assert!(eval_err("[replace('a', '', 'x')]")
            .message
            .contains("empty"));
        assert_eq!(
            eval("[split('a,b,,c', ',')]"),
            json(j!(["a", "b", "", "c"]))
        );
        assert_eq!(
            eval("[split('a,b;c', createArray(',', ';'))]"),
            json(j!(["a", "b", "c"]))
        );
        assert_eq!(eval("[split('', ',')]"), json(j!([""])));
        assert_eq!(eval("[split('abc', '')]"), json(j!(["abc"])));
        assert_eq!(eval("[split('aéb', 'é')]"), json(j!(["a", "b"])));
        assert_eq!(
            eval("[join(createArray('a', 'b', 1, true()), '-')]"),
            Value::str("a-b-1-True")
        );
        assert!(eval_err("[join(createArray(createArray()), '-')]")
            .message
            .contains("not a string"));
    }

    #[test]
    fn replace_cannot_blow_up() {
        let env = TestEnv::new().var("s", Value::str("a".repeat(100_000)));
        let e = env.eval_err("[replace(variables('s'), 'a', variables('s'))]");
        assert!(e.message.contains("limit"), "{}", e.message);
    }

    #[test]
    fn starts_ends_ignore_case() {
        assert_eq!(eval("[startsWith('Hello', 'hE')]"), Value::Bool(true));
        assert_eq!(eval("[endsWith('Hello', 'LO')]"), Value::Bool(true));
        assert_eq!(eval("[endsWith('Hello', 'x')]"), Value::Bool(false));
        assert_eq!(eval("[startsWith('a', '')]"), Value::Bool(true));
    }

    #[test]
    fn pad_left() {
        assert_eq!(eval("[padLeft('7', 3, '0')]"), Value::str("007"));
        assert_eq!(eval("[padLeft(7, 3, '0')]"), Value::str("007"));
        assert_eq!(eval("[padLeft('abcd', 2)]"), Value::str("abcd"));
        assert_eq!(eval("[padLeft('a', 3)]"), Value::str("  a"));
        assert!(eval_err("[padLeft('a', 3, 'xy')]")
            .message
            .contains("one character"));
        assert!(eval_err("[padLeft('a', 3, '')]")
            .message
            .contains("one character"));
        assert!(eval_err("[padLeft('a', -1)]").message.contains("negative"));
        assert!(eval_err("[padLeft('a', 100000000)]")
            .message
            .contains("limit"));
    }

    #[test]
    fn string_and_json() {
        assert_eq!(eval("[string(true())]"), Value::str("True"));
        assert_eq!(eval("[string(12)]"), Value::str("12"));
        assert_eq!(eval("[string('x')]"), Value::str("x"));
        assert_eq!(
            eval("[string(createObject('a', createArray(1, 'b')))]"),
            Value::str(r#"{"a":[1,"b"]}"#)
        );
        assert_eq!(
            eval("[json('{\"a\": [1, 2.5, null]}')]"),
            json(j!({"a": [1, 2.5, null]}))
        );
        assert_eq!(eval("[json('null')]"), Value::Null);
        assert_eq!(eval("[json('\"s\"')]"), Value::str("s"));
        assert!(eval_err("[json('{')]").message.contains("not valid JSON"));
        let deep = format!("[json('{}{}')]", "[".repeat(200), "]".repeat(200));
        assert!(eval_err(&deep).message.contains("not valid JSON"));
    }

    #[test]
    fn unknown_propagation() {
        let env = TestEnv::new().unknown_param("u");
        for f in [
            "toLower(parameters('u'))",
            "substring(parameters('u'), 1)",
            "replace('a', parameters('u'), 'b')",
            "split(parameters('u'), ',')",
            "join(createArray('a', parameters('u')), ',')",
            "startsWith(parameters('u'), 'a')",
            "padLeft(parameters('u'), 3)",
            "string(createObject('a', parameters('u')))",
            "json(parameters('u'))",
        ] {
            assert!(is_unknown_with(&env.eval(&format!("[{f}]")), f), "{f}");
        }
    }
}
