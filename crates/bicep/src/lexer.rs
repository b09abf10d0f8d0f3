//! The Bicep lexer: bytes to tokens with byte spans. Newlines are tokens
//! (Bicep statements end at a line break); comments and `#disable-...`
//! pragmas are skipped. A string is one token whose interpolation holes are
//! kept as byte ranges, parsed later by the parser.

/// What a token is. An identifier borrows its text from the file.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok<'a> {
    Ident(&'a str),
    Int(i64),
    /// A string literal: literal pieces and `${...}` holes (byte ranges of the
    /// expression inside the hole, in the file).
    Str(Vec<StrPart>),
    /// A `'''...'''` string (no escapes, no interpolation).
    MultiStr(String),
    NewLine,
    Sym(&'static str),
    /// A character the language does not use, or an unterminated construct.
    Error(String),
    Eof,
}

/// A piece of a string literal.
#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    Lit(String),
    Hole(usize, usize),
}

/// A token and its byte range.
#[derive(Clone, Debug, PartialEq)]
pub struct Token<'a> {
    pub tok: Tok<'a>,
    pub start: usize,
    pub end: usize,
}

/// Every symbol, longest first among those that start alike: the lexer
/// takes the first that the text starts with ([`symbol_at`] writes this
/// order out as a match; a test checks the two agree).
#[cfg(test)]
const SYMBOLS: &[&str] = &[
    "...", "==", "!=", "=~", "!~", "<=", ">=", "&&", "||", "??", "?.", ".?", "::", "=>", "{", "}",
    "[", "]", "(", ")", ",", ".", ":", "?", "=", "<", ">", "+", "-", "*", "/", "%", "!", "@", "|",
];

/// The symbol `b` starts with (the longest), if any: a match on its first
/// bytes, not a comparison with each symbol (this runs at every symbol of
/// every file).
fn symbol_at(b: &[u8]) -> Option<&'static str> {
    let next = |k: usize| b.get(k).copied();
    Some(match *b.first()? {
        b'.' => match (next(1), next(2)) {
            (Some(b'.'), Some(b'.')) => "...",
            (Some(b'?'), _) => ".?",
            _ => ".",
        },
        b'=' => match next(1) {
            Some(b'=') => "==",
            Some(b'~') => "=~",
            Some(b'>') => "=>",
            _ => "=",
        },
        b'!' => match next(1) {
            Some(b'=') => "!=",
            Some(b'~') => "!~",
            _ => "!",
        },
        b'<' => match next(1) {
            Some(b'=') => "<=",
            _ => "<",
        },
        b'>' => match next(1) {
            Some(b'=') => ">=",
            _ => ">",
        },
        b'&' => match next(1) {
            Some(b'&') => "&&",
            _ => return None,
        },
        b'|' => match next(1) {
            Some(b'|') => "||",
            _ => "|",
        },
        b'?' => match next(1) {
            Some(b'?') => "??",
            Some(b'.') => "?.",
            _ => "?",
        },
        b':' => match next(1) {
            Some(b':') => "::",
            _ => ":",
        },
        b'{' => "{",
        b'}' => "}",
        b'[' => "[",
        b']' => "]",
        b'(' => "(",
        b')' => ")",
        b',' => ",",
        b'+' => "+",
        b'-' => "-",
        b'*' => "*",
        b'/' => "/",
        b'%' => "%",
        b'@' => "@",
        _ => return None,
    })
}

/// The bytes that continue an identifier (`_`, `$`, ASCII letters and
/// digits), one look-up a byte.
static IDENTIFIER_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b == b'_' || b == b'$' || b.is_ascii_alphanumeric();
        c += 1;
    }
    table
};

/// The bytes a run of a string literal's plain characters stops at: the
/// closing quote, a line break, an escape, a possible interpolation.
static ENDS_A_STRING_RUN: [bool; 256] = {
    let mut table = [false; 256];
    table[b'\'' as usize] = true;
    table[b'\n' as usize] = true;
    table[b'\\' as usize] = true;
    table[b'$' as usize] = true;
    table
};

/// Lexes `text[start..end]` (a whole file, or an interpolation hole).
pub fn lex(text: &str, start: usize, end: usize) -> Vec<Token<'_>> {
    let b = text.as_bytes();
    let end = end.min(b.len());
    let mut i = start;
    // Real files have a token every five to eight bytes: most lex with the
    // vector grown once or twice at most.
    let mut out = Vec::with_capacity(end.saturating_sub(start) / 8 + 1);
    while i < end {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' => {
                // A run of indentation at once.
                i += 1;
                while i < end && matches!(b[i], b' ' | b'\t' | b'\r') {
                    i += 1;
                }
            }
            b'\n' => {
                out.push(Token {
                    tok: Tok::NewLine,
                    start: i,
                    end: i + 1,
                });
                i += 1;
            }
            b'/' if i + 1 < end && b[i + 1] == b'/' => {
                i = memchr::memchr(b'\n', &b[i..end]).map_or(end, |n| i + n);
            }
            b'/' if i + 1 < end && b[i + 1] == b'*' => {
                let s = i;
                i += 2;
                while i + 1 < end && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                if i + 1 >= end {
                    out.push(Token {
                        tok: Tok::Error("unterminated comment".into()),
                        start: s,
                        end,
                    });
                    i = end;
                } else {
                    i += 2;
                }
            }
            b'#' => {
                // `#disable-next-line ...` and other pragmas run to the end of the line.
                i = memchr::memchr(b'\n', &b[i..end]).map_or(end, |n| i + n);
            }
            b'\'' => {
                let (tok, next) = if text[i..end].starts_with("'''") {
                    lex_multiline(text, i, end)
                } else {
                    lex_string(text, i, end)
                };
                out.push(Token {
                    tok,
                    start: i,
                    end: next,
                });
                i = next;
            }
            b'0'..=b'9' => {
                let s = i;
                while i < end && b[i].is_ascii_digit() {
                    i += 1;
                }
                let tok = match text[s..i].parse::<i64>() {
                    Ok(n) => Tok::Int(n),
                    Err(_) => Tok::Error("integer literal is too large".into()),
                };
                out.push(Token {
                    tok,
                    start: s,
                    end: i,
                });
            }
            c if c == b'_' || c == b'$' || c.is_ascii_alphabetic() => {
                let s = i;
                i += b[i..end]
                    .iter()
                    .position(|&c| !IDENTIFIER_BYTES[usize::from(c)])
                    .unwrap_or(end - i);
                out.push(Token {
                    tok: Tok::Ident(&text[s..i]),
                    start: s,
                    end: i,
                });
            }
            _ => {
                let rest = &text[i..end];
                if let Some(sym) = symbol_at(rest.as_bytes()) {
                    out.push(Token {
                        tok: Tok::Sym(sym),
                        start: i,
                        end: i + sym.len(),
                    });
                    i += sym.len();
                } else {
                    let ch = rest.chars().next().unwrap_or('?');
                    out.push(Token {
                        tok: Tok::Error(format!("unexpected character '{ch}'")),
                        start: i,
                        end: i + ch.len_utf8(),
                    });
                    i += ch.len_utf8();
                }
            }
        }
    }
    out.push(Token {
        tok: Tok::Eof,
        start: end,
        end,
    });
    out
}

fn lex_multiline(text: &str, start: usize, end: usize) -> (Tok<'_>, usize) {
    let body_start = start + 3;
    match text[body_start..end].find("'''") {
        Some(rel) => {
            let mut close = body_start + rel;
            // A run of more than three quotes ends with the last three.
            while close + 3 < end && text.as_bytes()[close + 3] == b'\'' {
                close += 1;
            }
            let mut body = &text[body_start..close];
            // A line break right after the opening quotes is not part of the value.
            if let Some(b) = body
                .strip_prefix("\r\n")
                .or_else(|| body.strip_prefix('\n'))
            {
                body = b;
            }
            (Tok::MultiStr(body.to_string()), close + 3)
        }
        None => (Tok::Error("unterminated multi-line string".into()), end),
    }
}

fn lex_string(text: &str, start: usize, end: usize) -> (Tok<'_>, usize) {
    let b = text.as_bytes();
    let mut i = start + 1;
    let mut parts = Vec::new();
    let mut lit = String::new();
    while i < end {
        match b[i] {
            b'\'' => {
                if !lit.is_empty() || parts.is_empty() {
                    parts.push(StrPart::Lit(std::mem::take(&mut lit)));
                }
                return (Tok::Str(parts), i + 1);
            }
            b'\n' => break,
            b'\\' => {
                let Some(e) = text[i + 1..end].chars().next() else {
                    break;
                };
                match e {
                    'n' => lit.push('\n'),
                    'r' => lit.push('\r'),
                    't' => lit.push('\t'),
                    '\\' => lit.push('\\'),
                    '\'' => lit.push('\''),
                    '$' => lit.push('$'),
                    'u' if text[i + 2..end].starts_with('{') => {
                        let close = text[i + 2..end].find('}').map(|c| i + 2 + c);
                        let Some(close) = close else { break };
                        let code = u32::from_str_radix(&text[i + 3..close], 16).ok();
                        lit.push(code.and_then(char::from_u32).unwrap_or('\u{fffd}'));
                        i = close + 1;
                        continue;
                    }
                    other => {
                        lit.push('\\');
                        lit.push(other);
                    }
                }
                i += 1 + e.len_utf8();
            }
            b'$' if i + 1 < end && b[i + 1] == b'{' => {
                if !lit.is_empty() || parts.is_empty() {
                    parts.push(StrPart::Lit(std::mem::take(&mut lit)));
                }
                let hole_start = i + 2;
                match hole_end(text, hole_start, end) {
                    Some(close) => {
                        parts.push(StrPart::Hole(hole_start, close));
                        i = close + 1;
                    }
                    None => break,
                }
            }
            _ => {
                // A run of characters that are themselves, at once (it ends
                // at an ASCII byte, so on a character's boundary).
                let run = b[i + 1..end]
                    .iter()
                    .position(|&c| ENDS_A_STRING_RUN[usize::from(c)])
                    .map_or(end, |n| i + 1 + n);
                match text.get(i..run) {
                    Some(piece) => {
                        lit.push_str(piece);
                        i = run;
                    }
                    None => {
                        let ch = text[i..end].chars().next().unwrap_or('?');
                        lit.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
        }
    }
    let stop = text[start..end]
        .find('\n')
        .map(|n| start + n)
        .unwrap_or(end);
    (
        Tok::Error("unterminated string".into()),
        stop.max(start + 1),
    )
}

/// The `}` that closes an interpolation hole starting at `i`, skipping nested
/// braces and strings. Iterative, so nesting cannot overflow the stack.
fn hole_end(text: &str, mut i: usize, end: usize) -> Option<usize> {
    let b = text.as_bytes();
    // Stack of open contexts: b'{' for braces, b'\'' for strings inside a hole.
    let mut stack: Vec<u8> = vec![b'{'];
    while i < end {
        let top = *stack.last()?;
        if top == b'\'' {
            match b[i] {
                b'\\' => i += 1,
                b'\'' => {
                    stack.pop();
                }
                b'$' if i + 1 < end && b[i + 1] == b'{' => {
                    stack.push(b'{');
                    i += 1;
                }
                b'\n' => return None,
                _ => {}
            }
        } else {
            match b[i] {
                b'{' => stack.push(b'{'),
                b'}' => {
                    stack.pop();
                    if stack.is_empty() {
                        return Some(i);
                    }
                }
                b'\'' => stack.push(b'\''),
                b'\n' => return None,
                _ => {}
            }
        }
        i += 1;
        if stack.len() > 256 {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The match finds the symbol the list's first-match rule finds, on
    /// every text of up to three bytes from the symbols' bytes and others.
    #[test]
    fn the_symbol_match_is_the_first_symbol_of_the_list() {
        let by_list = |b: &[u8]| {
            SYMBOLS
                .iter()
                .copied()
                .find(|s| b.starts_with(s.as_bytes()))
        };
        let alphabet: Vec<u8> = SYMBOLS
            .iter()
            .flat_map(|s| s.bytes())
            .chain(*b"a1 \n'#$")
            .collect::<std::collections::BTreeSet<u8>>()
            .into_iter()
            .collect();
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=3 {
            let mut more = Vec::new();
            for t in texts.iter().filter(|t| t.len() == len - 1) {
                for &c in &alphabet {
                    let mut t = t.clone();
                    t.push(c);
                    more.push(t);
                }
            }
            texts.extend(more);
        }
        for t in &texts {
            assert_eq!(symbol_at(t), by_list(t), "{:?}", String::from_utf8_lossy(t));
        }
        assert!(texts.len() > 10_000, "{}", texts.len());
    }

    #[test]
    fn strings_with_holes_and_escapes() {
        let t = "'a${b}\\'c' x";
        let toks = lex(t, 0, t.len());
        match &toks[0].tok {
            Tok::Str(parts) => {
                assert_eq!(parts[0], StrPart::Lit("a".into()));
                assert_eq!(parts[1], StrPart::Hole(4, 5));
                assert_eq!(parts[2], StrPart::Lit("'c".into()));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(toks[1].tok, Tok::Ident("x"));
    }

    #[test]
    fn string_runs_keep_every_character() {
        let t = "'é$x ${a}b\\n$' // c\n'$${'}'}' #x\n'a\\u{1F600}ü'";
        let toks = lex(t, 0, t.len());
        let parts = |i: usize| match &toks[i].tok {
            Tok::Str(parts) => parts.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            parts(0),
            vec![
                StrPart::Lit("é$x ".into()),
                StrPart::Hole(8, 9),
                StrPart::Lit("b\n$".into()),
            ]
        );
        assert_eq!(toks[1].tok, Tok::NewLine);
        assert_eq!(
            parts(2),
            vec![StrPart::Lit("$".into()), StrPart::Hole(25, 28)]
        );
        assert_eq!(toks[3].tok, Tok::NewLine);
        assert_eq!(parts(4), vec![StrPart::Lit("a\u{1F600}ü".into())]);
        assert_eq!(toks[5].tok, Tok::Eof);
    }

    #[test]
    fn symbols_longest_first() {
        let t = "a...b ?? c?.d != e =~ f";
        let syms: Vec<&str> = lex(t, 0, t.len())
            .into_iter()
            .filter_map(|t| match t.tok {
                Tok::Sym(s) => Some(s),
                _ => None,
            })
            .collect();
        assert_eq!(syms, ["...", "??", "?.", "!=", "=~"]);
    }

    #[test]
    fn unterminated_string_is_an_error_token() {
        let t = "'abc\nx";
        let toks = lex(t, 0, t.len());
        assert!(matches!(toks[0].tok, Tok::Error(_)));
        assert_eq!(toks[1].tok, Tok::NewLine);
    }
}
