//! Encoding functions: `base64`, `base64ToString`, `base64ToJson`, `dataUri`,
//! `dataUriToString`, `uri`, `uriComponent`, `uriComponentToString`.

use super::args::str_arg;
use super::string::parse_json;
use super::{limits, Call};
use aml_model::value::Value;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub(crate) fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64; whitespace is ignored and padding is optional.
pub(crate) fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    let mut padding = 0;
    for c in text.bytes() {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == b'=' {
            padding += 1;
            continue;
        }
        if padding > 0 {
            return Err("the text is not valid base64 (data after padding)".to_string());
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => {
                return Err(format!(
                    "the text is not valid base64 (character '{}')",
                    char::from(c)
                ))
            }
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 || padding > 2 {
        return Err("the text is not valid base64 (wrong length)".to_string());
    }
    Ok(out)
}

fn encoded_len_check(len: usize) -> Result<(), String> {
    limits::check_string_len(len.div_ceil(3).saturating_mul(4).saturating_add(40))
}

pub(crate) fn base64(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let s = str_arg(&args[0], 0)?;
    encoded_len_check(s.len())?;
    Ok(Value::String(base64_encode(s.as_bytes())))
}

pub(crate) fn base64_to_string(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let bytes = base64_decode(str_arg(&args[0], 0)?)?;
    Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}

pub(crate) fn base64_to_json(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let bytes = base64_decode(str_arg(&args[0], 0)?)?;
    parse_json(&String::from_utf8_lossy(&bytes))
}

/// `dataUri(s)`: `data:text/plain;charset=utf8;base64,<base64 of s>`, as ARM writes it.
pub(crate) fn data_uri(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let s = str_arg(&args[0], 0)?;
    encoded_len_check(s.len())?;
    Ok(Value::String(format!(
        "data:text/plain;charset=utf8;base64,{}",
        base64_encode(s.as_bytes())
    )))
}

/// `dataUriToString(uri)`: the data of a `data:` URI, base64-decoded when marked so.
pub(crate) fn data_uri_to_string(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let s = str_arg(&args[0], 0)?;
    let rest = s
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("data:"))
        .map(|_| &s[5..])
        .ok_or_else(|| "the text is not a data URI (it must start with 'data:')".to_string())?;
    let (meta, data) = rest
        .split_once(',')
        .ok_or_else(|| "the data URI has no ',' before its data".to_string())?;
    let is_base64 = meta
        .rsplit(';')
        .next()
        .is_some_and(|last| last.eq_ignore_ascii_case("base64"));
    let bytes = if is_base64 {
        base64_decode(data)?
    } else {
        percent_decode(data)
    };
    Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}

/// `uriComponent(s)`: percent-encodes everything but the RFC 3986 unreserved
/// characters (`A-Z a-z 0-9 - _ . ~`), with upper-case hex, as .NET's
/// `Uri.EscapeDataString` does.
pub(crate) fn uri_component(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let s = str_arg(&args[0], 0)?;
    limits::check_string_len(s.len().saturating_mul(3))?;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(Value::String(out))
}

/// `uriComponentToString(s)`: decodes `%XX` sequences; `+` stays `+`.
pub(crate) fn uri_component_to_string(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let s = str_arg(&args[0], 0)?;
    Ok(Value::String(
        String::from_utf8_lossy(&percent_decode(s)).into_owned(),
    ))
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// `uri(base, relative)`: resolves a relative URI against an absolute base
/// (RFC 3986 section 5.2). A base without a trailing `/` loses its last
/// segment: `uri('http://a/b/c', 'd')` is `http://a/b/d`.
pub(crate) fn uri(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let base = str_arg(&args[0], 0)?;
    let relative = str_arg(&args[1], 1)?;
    limits::check_string_len(base.len().saturating_add(relative.len()))?;
    resolve_uri(base, relative).map(Value::String)
}

fn scheme_len(s: &str) -> Option<usize> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (first_ok && rest_ok).then_some(colon)
}

fn resolve_uri(base: &str, relative: &str) -> Result<String, String> {
    let Some(colon) = scheme_len(base) else {
        return Err(format!("the base URI '{base}' is not absolute"));
    };
    if scheme_len(relative).is_some() {
        return Ok(relative.to_string());
    }
    let scheme = &base[..colon];
    let after_scheme = &base[colon + 1..];
    // Authority.
    let (authority, path_query) = match after_scheme.strip_prefix("//") {
        Some(rest) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            (Some(&rest[..end]), &rest[end..])
        }
        None => (None, after_scheme),
    };
    let prefix = match authority {
        Some(a) => format!("{scheme}://{a}"),
        None => format!("{scheme}:"),
    };
    let base_no_frag = path_query.split('#').next().unwrap_or("");
    let base_path = base_no_frag.split('?').next().unwrap_or("");
    if relative.is_empty() {
        return Ok(format!("{prefix}{base_no_frag}"));
    }
    if let Some(rest) = relative.strip_prefix("//") {
        return Ok(format!("{scheme}://{rest}"));
    }
    if relative.starts_with('#') {
        return Ok(format!("{prefix}{base_no_frag}{relative}"));
    }
    if relative.starts_with('?') {
        return Ok(format!("{prefix}{base_path}{relative}"));
    }
    let (rel_path, rel_tail) = match relative.find(['?', '#']) {
        Some(i) => relative.split_at(i),
        None => (relative, ""),
    };
    let merged = if rel_path.starts_with('/') {
        rel_path.to_string()
    } else if authority.is_some() && base_path.is_empty() {
        format!("/{rel_path}")
    } else {
        let dir = base_path.rfind('/').map_or("", |i| &base_path[..=i]);
        format!("{dir}{rel_path}")
    };
    Ok(format!(
        "{prefix}{}{rel_tail}",
        remove_dot_segments(&merged)
    ))
}

/// RFC 3986 section 5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::{eval, eval_err, json};

    #[test]
    fn base64_round_trips() {
        for s in [
            "",
            "f",
            "fo",
            "foo",
            "foob",
            "fooba",
            "foobar",
            "héllo wörld",
        ] {
            let enc = base64_encode(s.as_bytes());
            assert_eq!(base64_decode(&enc).unwrap(), s.as_bytes(), "{s}");
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(
            eval("[base64('one, two, three')]"),
            Value::str("b25lLCB0d28sIHRocmVl")
        );
        assert_eq!(
            eval("[base64ToString('b25lLCB0d28sIHRocmVl')]"),
            Value::str("one, two, three")
        );
        assert_eq!(
            eval("[base64ToJson('eyJhIjogMX0=')]"),
            json(serde_json::json!({"a": 1}))
        );
        assert!(eval_err("[base64ToString('!!!')]")
            .message
            .contains("not valid base64"));
        assert!(eval_err("[base64ToString('Zg=x')]")
            .message
            .contains("not valid base64"));
        assert!(eval_err("[base64ToString('Z')]")
            .message
            .contains("wrong length"));
    }

    #[test]
    fn data_uris() {
        assert_eq!(
            eval("[dataUri('Hello')]"),
            Value::str("data:text/plain;charset=utf8;base64,SGVsbG8=")
        );
        assert_eq!(
            eval("[dataUriToString('data:;base64,SGVsbG8sIFdvcmxkIQ==')]"),
            Value::str("Hello, World!")
        );
        assert_eq!(eval("[dataUriToString('data:,a%20b')]"), Value::str("a b"));
        assert!(eval_err("[dataUriToString('http://x')]")
            .message
            .contains("not a data URI"));
        assert!(eval_err("[dataUriToString('data:abc')]")
            .message
            .contains("','"));
    }

    #[test]
    fn uri_components() {
        assert_eq!(
            eval("[uriComponent('http://contoso.com/resources/nested/azuredeploy.json')]"),
            Value::str("http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json")
        );
        assert_eq!(eval("[uriComponent('a b~é')]"), Value::str("a%20b~%C3%A9"));
        assert_eq!(
            eval("[uriComponentToString('http%3A%2F%2Fcontoso.com%2Fa+b%C3%A9%zz%4')]"),
            Value::str("http://contoso.com/a+bé%zz%4")
        );
    }

    #[test]
    fn uri_resolution() {
        let cases = [
            (
                "http://contoso.com/resources/",
                "nested/azuredeploy.json",
                "http://contoso.com/resources/nested/azuredeploy.json",
            ),
            (
                "http://contoso.com/resources/azuredeploy.json",
                "nested.json",
                "http://contoso.com/resources/nested.json",
            ),
            ("http://contoso.com/a/b?x=1", "c", "http://contoso.com/a/c"),
            ("http://contoso.com", "c", "http://contoso.com/c"),
            ("http://contoso.com/a/b", "/c", "http://contoso.com/c"),
            ("http://contoso.com/a/b", "../c", "http://contoso.com/c"),
            (
                "http://contoso.com/a/b/",
                "./c/./d/../e",
                "http://contoso.com/a/b/c/e",
            ),
            (
                "http://contoso.com/a/b",
                "https://other/x",
                "https://other/x",
            ),
            ("http://contoso.com/a/b", "//other/x", "http://other/x"),
            ("http://contoso.com/a/b?q", "?r", "http://contoso.com/a/b?r"),
            ("http://contoso.com/a/b#f", "#g", "http://contoso.com/a/b#g"),
            (
                "https://s.blob.core.windows.net/c/",
                "f.json?sv=1",
                "https://s.blob.core.windows.net/c/f.json?sv=1",
            ),
        ];
        for (base, rel, expected) in cases {
            assert_eq!(resolve_uri(base, rel).unwrap(), expected, "{base} + {rel}");
        }
        assert!(eval_err("[uri('relative/path', 'x')]")
            .message
            .contains("not absolute"));
    }
}
