//! Splits the inside of an expression into tokens, in one linear pass.

use super::{ExprError, Span};

/// A token and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub span: Span,
}

/// The kinds of token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Str(String),
    Int(i64),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    /// End of the expression (the closing `]`).
    Eof,
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("name '{s}'"),
            Tok::Str(_) => "string literal".to_string(),
            Tok::Int(i) => format!("number {i}"),
            Tok::LParen => "'('".to_string(),
            Tok::RParen => "')'".to_string(),
            Tok::LBracket => "'['".to_string(),
            Tok::RBracket => "']'".to_string(),
            Tok::Comma => "','".to_string(),
            Tok::Dot => "'.'".to_string(),
            Tok::Eof => "the end of the expression".to_string(),
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || c == '-'
}

/// Tokenises `text[start..end]` (offsets stay relative to `text`). The last
/// token is always [`Tok::Eof`], spanning `end..end + 1` (the closing bracket).
pub(crate) fn lex(text: &str, start: usize, end: usize) -> Result<Vec<Token>, ExprError> {
    let src = &text[start..end];
    let mut tokens = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        let at = start + i;
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let single = |kind| Token {
            kind,
            span: Span::new(at, at + 1),
        };
        match c {
            '(' | ')' | '[' | ']' | ',' | '.' => {
                chars.next();
                tokens.push(single(match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '[' => Tok::LBracket,
                    ']' => Tok::RBracket,
                    ',' => Tok::Comma,
                    _ => Tok::Dot,
                }));
            }
            '\'' => {
                chars.next();
                let mut value = String::new();
                let mut closed = None;
                while let Some((j, d)) = chars.next() {
                    if d == '\'' {
                        if chars.peek().map(|&(_, n)| n) == Some('\'') {
                            chars.next();
                            value.push('\'');
                        } else {
                            closed = Some(start + j + 1);
                            break;
                        }
                    } else {
                        value.push(d);
                    }
                }
                let Some(close) = closed else {
                    return Err(ExprError::new(
                        "unterminated string literal",
                        Span::new(at, end),
                    ));
                };
                tokens.push(Token {
                    kind: Tok::Str(value),
                    span: Span::new(at, close),
                });
            }
            '-' | '0'..='9' => {
                chars.next();
                let mut stop = at + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    chars.next();
                    stop = start + j + 1;
                }
                let span = Span::new(at, stop);
                let digits = &text[at..stop];
                if digits == "-" {
                    return Err(ExprError::new("'-' must be followed by digits", span));
                }
                if let Some(&(j, '.')) = chars.peek() {
                    if src[j + 1..].starts_with(|d: char| d.is_ascii_digit()) {
                        return Err(ExprError::new(
                            "decimal literals are not supported in template expressions; use json('1.5') or float('1.5')",
                            span,
                        ));
                    }
                }
                let value = digits.parse::<i64>().map_err(|_| {
                    ExprError::new(format!("integer literal {digits} is out of range"), span)
                })?;
                tokens.push(Token {
                    kind: Tok::Int(value),
                    span,
                });
            }
            c if is_ident_start(c) => {
                chars.next();
                let mut stop = at + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if !is_ident_continue(d) {
                        break;
                    }
                    chars.next();
                    stop = start + j + d.len_utf8();
                }
                tokens.push(Token {
                    kind: Tok::Ident(text[at..stop].to_string()),
                    span: Span::new(at, stop),
                });
            }
            other => {
                return Err(ExprError::new(
                    format!("unexpected character '{other}'"),
                    Span::new(at, at + other.len_utf8()),
                ));
            }
        }
    }
    tokens.push(Token {
        kind: Tok::Eof,
        span: Span::new(end, end + 1),
    });
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        lex(s, 0, s.len())
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn lexes_all_token_kinds() {
        assert_eq!(
            kinds("f('a''b', -12)[0].x"),
            vec![
                Tok::Ident("f".into()),
                Tok::LParen,
                Tok::Str("a'b".into()),
                Tok::Comma,
                Tok::Int(-12),
                Tok::RParen,
                Tok::LBracket,
                Tok::Int(0),
                Tok::RBracket,
                Tok::Dot,
                Tok::Ident("x".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn spans_are_byte_offsets() {
        let text = "[ab('é')]";
        let toks = lex(text, 1, text.len() - 1).unwrap();
        assert_eq!(toks[0].span, Span::new(1, 3));
        assert_eq!(toks[2].span, Span::new(4, 8)); // 'é' is two bytes
        assert_eq!(toks.last().unwrap().span, Span::new(9, 10));
    }

    #[test]
    fn errors() {
        let e = lex("'abc", 0, 4).unwrap_err();
        assert_eq!(
            (e.offset, e.message.as_str()),
            (0, "unterminated string literal")
        );
        let e = lex("a(1.5)", 0, 6).unwrap_err();
        assert_eq!(e.offset, 2);
        let e = lex("99999999999999999999", 0, 20).unwrap_err();
        assert!(e.message.contains("out of range"));
        let e = lex("a + b", 0, 5).unwrap_err();
        assert_eq!(
            (e.offset, e.message.as_str()),
            (2, "unexpected character '+'")
        );
        let e = lex("- 1", 0, 3).unwrap_err();
        assert_eq!(e.offset, 0);
    }

    #[test]
    fn extreme_integers() {
        assert_eq!(kinds("-9223372036854775808")[0], Tok::Int(i64::MIN));
        assert_eq!(kinds("9223372036854775807")[0], Tok::Int(i64::MAX));
    }
}
