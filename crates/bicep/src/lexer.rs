//! The Bicep lexer: bytes to tokens with byte spans. Newlines are tokens
//! (Bicep statements end at a line break); comments and `#disable-...`
//! pragmas are skipped. A string is one token whose interpolation holes are
//! kept as byte ranges, parsed later by the parser.
//!
//! A token owns nothing: text is borrowed from the file, and the pieces of a
//! string with escapes or holes sit beside the tokens ([`Lexed::strings`]).
//! Most strings are plain and allocate nothing here, and the token list is
//! freed at once, with no token to visit (decision 0068).

/// What a token is. An identifier borrows its text from the file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tok<'a> {
    Ident(&'a str),
    Int(i64),
    /// A string literal with neither escape nor hole: its value is this
    /// text (between the quotes).
    Plain(&'a str),
    /// Any other string literal: its literal pieces and `${...}` holes (byte
    /// ranges of the expression inside the hole, in the file) are
    /// [`Lexed::strings`]`[i]`.
    Str(u32),
    /// A `'''...'''` string (no escapes, no interpolation): its value.
    MultiStr(&'a str),
    NewLine,
    Sym(&'static str),
    /// A character the language does not use, or an unterminated construct.
    Error(LexError),
    Eof,
}

/// What the lexer could not read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LexError {
    UnterminatedComment,
    IntegerTooLarge,
    UnexpectedCharacter(char),
    UnterminatedMultiLineString,
    UnterminatedString,
}

impl LexError {
    /// The diagnostic's message.
    pub fn message(self) -> String {
        match self {
            LexError::UnterminatedComment => "unterminated comment".into(),
            LexError::IntegerTooLarge => "integer literal is too large".into(),
            LexError::UnexpectedCharacter(ch) => format!("unexpected character '{ch}'"),
            LexError::UnterminatedMultiLineString => "unterminated multi-line string".into(),
            LexError::UnterminatedString => "unterminated string".into(),
        }
    }
}

/// The tokens of a text, and the pieces of its strings that are not plain.
#[derive(Debug, Default)]
pub struct Lexed<'a> {
    pub toks: Vec<Token<'a>>,
    /// The pieces of each [`Tok::Str`], by its index.
    pub strings: Vec<Vec<StrPart>>,
}

/// A piece of a string literal.
#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    Lit(String),
    Hole(usize, usize),
}

/// A token and its byte range.
#[derive(Clone, Copy, Debug, PartialEq)]
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
pub fn lex(text: &str, start: usize, end: usize) -> Lexed<'_> {
    let b = text.as_bytes();
    let end = end.min(b.len());
    let mut i = start;
    // Real files have a token every seven to eight bytes (medians of the
    // generated and the shared real-world corpora: 7.7 and 8.0, none under
    // 6.9), an interpolation hole a few: room for one every six bytes, and
    // a few more, grows almost none of them.
    let mut out = Vec::with_capacity(end.saturating_sub(start) / 6 + 8);
    let mut strings = Vec::new();
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
                        tok: Tok::Error(LexError::UnterminatedComment),
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
                    lex_string(text, i, end, &mut strings)
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
                    Err(_) => Tok::Error(LexError::IntegerTooLarge),
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
                        tok: Tok::Error(LexError::UnexpectedCharacter(ch)),
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
    Lexed { toks: out, strings }
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
            (Tok::MultiStr(body), close + 3)
        }
        None => (Tok::Error(LexError::UnterminatedMultiLineString), end),
    }
}

/// The string literal starting at `start` (its opening quote), and where it
/// ends: [`Tok::Plain`] when it has neither escape nor hole, else its pieces
/// are pushed to `strings`.
fn lex_string<'a>(
    text: &'a str,
    start: usize,
    end: usize,
    strings: &mut Vec<Vec<StrPart>>,
) -> (Tok<'a>, usize) {
    if let Some(close) = plain_string_end(text.as_bytes(), start, end) {
        return (Tok::Plain(&text[start + 1..close]), close + 1);
    }
    match string_pieces(text, start, end) {
        (Ok(parts), next) => {
            strings.push(parts);
            (Tok::Str((strings.len() - 1) as u32), next)
        }
        (Err(e), next) => (Tok::Error(e), next),
    }
}

/// The pieces of the string literal starting at `start`, and where it ends.
fn string_pieces(text: &str, start: usize, end: usize) -> (Result<Vec<StrPart>, LexError>, usize) {
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
                return (Ok(parts), i + 1);
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
    (Err(LexError::UnterminatedString), stop.max(start + 1))
}

/// The closing quote of the string literal opening at `start` when nothing
/// in it is an escape or a hole (a `$` not followed by `{` is itself); `None`
/// for any other string, or one the line or text ends in.
fn plain_string_end(b: &[u8], start: usize, end: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        i += b
            .get(i..end)?
            .iter()
            .position(|&c| ENDS_A_STRING_RUN[usize::from(c)])?;
        match b[i] {
            b'\'' => return Some(i),
            b'$' if b.get(i + 1) != Some(&b'{') || i + 1 >= end => i += 1,
            _ => return None,
        }
    }
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

    /// A plain string's value is what the pieces of the full reading say,
    /// and ends where it does; every other string has an escape or a hole
    /// (or does not end): every text of up to five characters between
    /// quotes, from the characters that matter to strings and others.
    #[test]
    fn plain_strings_read_as_their_pieces_say() {
        let alphabet = ['a', '$', '{', '}', '\'', '\\', 'n', 'é', '\n'];
        let mut bodies: Vec<String> = vec![String::new()];
        let mut last: Vec<String> = vec![String::new()];
        for _ in 0..5 {
            last = last
                .iter()
                .flat_map(|b| alphabet.iter().map(move |c| format!("{b}{c}")))
                .collect();
            bodies.extend(last.iter().cloned());
        }
        let (mut plain, mut other) = (0, 0);
        for body in &bodies {
            let text = format!("'{body}");
            let full = string_pieces(&text, 0, text.len());
            match plain_string_end(text.as_bytes(), 0, text.len()) {
                Some(close) => {
                    plain += 1;
                    let value = text[1..close].to_string();
                    assert_eq!(full, (Ok(vec![StrPart::Lit(value)]), close + 1), "{text:?}");
                }
                None => {
                    other += 1;
                    // (An unknown escape reads as itself, but is not plain.)
                    let simple = !body.contains('\\')
                        && matches!(&full.0, Ok(p) if p.len() == 1
                        && matches!(&p[0], StrPart::Lit(l) if text[1..].starts_with(&format!("{l}'"))));
                    assert!(!simple, "{text:?} reads as plain but was not: {full:?}");
                }
            }
        }
        assert!(plain > 1_000 && other > 10_000, "{plain} {other}");
    }

    #[test]
    fn strings_with_holes_and_escapes() {
        let t = "'a${b}\\'c' x";
        let lexed = lex(t, 0, t.len());
        let toks = &lexed.toks;
        match &toks[0].tok {
            Tok::Str(i) => {
                let parts = &lexed.strings[*i as usize];
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
        let t = "'é$x ${a}b\\n$' // c\n'$${'}'}' #x\n'a\\u{1F600}ü' 'b$c é'";
        let lexed = lex(t, 0, t.len());
        let toks = &lexed.toks;
        let parts = |i: usize| match toks[i].tok {
            Tok::Str(s) => lexed.strings[s as usize].clone(),
            Tok::Plain(s) => vec![StrPart::Lit(s.into())],
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
        assert_eq!(toks[5].tok, Tok::Plain("b$c é"));
        assert_eq!(toks[6].tok, Tok::Eof);
    }

    #[test]
    fn symbols_longest_first() {
        let t = "a...b ?? c?.d != e =~ f";
        let syms: Vec<&str> = lex(t, 0, t.len())
            .toks
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
        let toks = lex(t, 0, t.len()).toks;
        assert_eq!(toks[0].tok, Tok::Error(LexError::UnterminatedString));
        assert_eq!(toks[1].tok, Tok::NewLine);
    }
}
