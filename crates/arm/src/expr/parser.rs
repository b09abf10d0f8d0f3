//! Recursive descent parser over the token list.
//!
//! Grammar (whitespace allowed between tokens):
//!
//! ```text
//! expression := '[' value ']'
//! value      := primary ( '.' NAME | '[' value ']' )*
//! primary    := STRING | INTEGER | NAME ( '.' NAME )? '(' ( value ( ',' value )* )? ')'
//! ```
//!
//! Each token is looked at a bounded number of times, so parsing is linear;
//! descent is bounded by [`MAX_DEPTH`] so that no input overflows the stack.

use super::ast::{Expr, Ident, Node, NodeKind, Span};
use super::lexer::{lex, Tok, Token};
use super::{ExprError, MAX_DEPTH};
use std::sync::Arc;

pub(crate) fn parse(text: &str) -> Result<Expr, ExprError> {
    let whole = Span::new(0, text.len());
    if text.len() < 2 || !text.starts_with('[') || !text.ends_with(']') {
        return Err(ExprError::new(
            "an expression must start with '[' and end with ']'",
            whole,
        ));
    }
    if text.starts_with("[[") {
        return Err(ExprError::new(
            "a string starting with '[[' is an escaped literal, not an expression",
            Span::new(0, 2),
        ));
    }
    let tokens = lex(text, 1, text.len() - 1)?;
    if tokens[0].kind == Tok::Eof {
        return Err(ExprError::new("empty expression", whole));
    }
    let mut parser = Parser { tokens, pos: 0 };
    let (root, _) = parser.value(0)?;
    let next = parser.peek();
    if next.kind != Tok::Eof {
        return Err(ExprError::new(
            format!(
                "unexpected {} after the end of the expression",
                next.kind.describe()
            ),
            next.span,
        ));
    }
    Ok(Expr {
        text: Arc::from(text),
        root,
    })
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> &Token {
        // The list always ends with Eof, and `next` never moves past it.
        let last = self.tokens.len() - 1;
        &self.tokens[(self.pos + ahead).min(last)]
    }

    /// The next token, taken out of the list (the parser never looks back):
    /// a name or string is moved, not copied. At the end, `Eof` again.
    fn next(&mut self) -> Token {
        let last = self.tokens.len() - 1;
        if self.pos >= last {
            return self.tokens[last].clone();
        }
        let span = self.tokens[self.pos].span;
        let t = std::mem::replace(
            &mut self.tokens[self.pos],
            Token {
                kind: Tok::Eof,
                span,
            },
        );
        self.pos += 1;
        t
    }

    fn too_deep(span: Span) -> ExprError {
        ExprError::new(
            format!("expression is nested too deeply (limit {MAX_DEPTH})"),
            span,
        )
    }

    /// A value with its postfix chain; returns the node and its height.
    fn value(&mut self, level: usize) -> Result<(Node, usize), ExprError> {
        if level >= MAX_DEPTH {
            return Err(Self::too_deep(self.peek().span));
        }
        let (mut node, mut height) = self.primary(level)?;
        loop {
            match self.peek().kind {
                Tok::Dot => {
                    self.next();
                    let t = self.next();
                    let Tok::Ident(name) = t.kind else {
                        return Err(ExprError::new(
                            format!(
                                "expected a property name after '.', found {}",
                                t.kind.describe()
                            ),
                            t.span,
                        ));
                    };
                    let span = node.span.to(t.span);
                    node = Node {
                        kind: NodeKind::Property {
                            target: Box::new(node),
                            name: Ident { name, span: t.span },
                        },
                        span,
                    };
                    height += 1;
                }
                Tok::LBracket => {
                    self.next();
                    let (index, h) = self.value(level + 1)?;
                    let close = self.next();
                    if close.kind != Tok::RBracket {
                        return Err(ExprError::new(
                            format!("expected ']', found {}", close.kind.describe()),
                            close.span,
                        ));
                    }
                    let span = node.span.to(close.span);
                    node = Node {
                        kind: NodeKind::Index {
                            target: Box::new(node),
                            index: Box::new(index),
                        },
                        span,
                    };
                    height = height.max(h) + 1;
                }
                _ => break,
            }
            if height > MAX_DEPTH {
                return Err(Self::too_deep(node.span));
            }
        }
        Ok((node, height))
    }

    fn primary(&mut self, level: usize) -> Result<(Node, usize), ExprError> {
        let t = self.next();
        match t.kind {
            Tok::Str(s) => Ok((
                Node {
                    kind: NodeKind::String(s),
                    span: t.span,
                },
                1,
            )),
            Tok::Int(i) => Ok((
                Node {
                    kind: NodeKind::Int(i),
                    span: t.span,
                },
                1,
            )),
            Tok::Ident(first) => {
                let mut namespace = None;
                let mut name = Ident {
                    name: first,
                    span: t.span,
                };
                if self.peek().kind == Tok::Dot
                    && matches!(self.peek_at(1).kind, Tok::Ident(_))
                    && self.peek_at(2).kind == Tok::LParen
                {
                    self.next();
                    let n = self.next();
                    if let Tok::Ident(fname) = n.kind {
                        namespace = Some(std::mem::replace(
                            &mut name,
                            Ident {
                                name: fname,
                                span: n.span,
                            },
                        ));
                    }
                }
                let open = self.next();
                if open.kind != Tok::LParen {
                    return Err(ExprError::new(
                        format!(
                            "expected '(' after function name '{}', found {}",
                            name.name,
                            open.kind.describe()
                        ),
                        open.span,
                    ));
                }
                let mut args = Vec::new();
                let mut height = 0;
                let close = if self.peek().kind == Tok::RParen {
                    self.next()
                } else {
                    loop {
                        let (arg, h) = self.value(level + 1)?;
                        height = height.max(h);
                        args.push(arg);
                        let sep = self.next();
                        match sep.kind {
                            Tok::Comma => continue,
                            Tok::RParen => break sep,
                            other => {
                                return Err(ExprError::new(
                                    format!(
                                        "expected ',' or ')' in the arguments of '{}', found {}",
                                        name.name,
                                        other.describe()
                                    ),
                                    sep.span,
                                ));
                            }
                        }
                    }
                };
                let start = namespace.as_ref().map_or(name.span, |n| n.span);
                Ok((
                    Node {
                        kind: NodeKind::Call {
                            namespace,
                            name,
                            args,
                        },
                        span: start.to(close.span),
                    },
                    height + 1,
                ))
            }
            other => Err(ExprError::new(
                format!(
                    "expected a function call, a string or an integer, found {}",
                    other.describe()
                ),
                t.span,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn err(text: &str) -> ExprError {
        parse(text).unwrap_err()
    }

    #[test]
    fn parses_calls_properties_and_indexes() {
        let e = parse("[ concat( 'a' , parameters('p').x[0] ) ]").unwrap();
        let NodeKind::Call { name, args, .. } = &e.root.kind else {
            panic!("not a call")
        };
        assert_eq!(name.name, "concat");
        assert_eq!(args.len(), 2);
        assert_eq!(
            e.source(e.root.span),
            "concat( 'a' , parameters('p').x[0] )"
        );
        assert_eq!(e.source(args[1].span), "parameters('p').x[0]");
        assert!(matches!(args[1].kind, NodeKind::Index { .. }));
    }

    #[test]
    fn parses_user_functions() {
        let e = parse("[ns.fn(1).prop]").unwrap();
        let NodeKind::Property { target, name } = &e.root.kind else {
            panic!()
        };
        assert_eq!(name.name, "prop");
        let NodeKind::Call {
            namespace,
            name,
            args,
        } = &target.kind
        else {
            panic!()
        };
        assert_eq!(namespace.as_ref().unwrap().name, "ns");
        assert_eq!(name.name, "fn");
        assert_eq!(args[0].kind, NodeKind::Int(1));
        assert_eq!(e.source(target.span), "ns.fn(1)");
    }

    #[test]
    fn literals_at_top_level() {
        assert_eq!(
            parse("['it''s']").unwrap().root.kind,
            NodeKind::String("it's".into())
        );
        assert_eq!(parse("[-5]").unwrap().root.kind, NodeKind::Int(-5));
    }

    #[test]
    fn error_offsets() {
        assert_eq!(err("[]").message, "empty expression");
        assert_eq!(err("[   ]").message, "empty expression");
        assert_eq!(err("[concat('a'").offset, 0);
        assert_eq!(err("x").offset, 0);
        let e = err("[concat('a']");
        assert_eq!(e.offset, 11, "{e:?}");
        let e = err("[concat('a') x]");
        assert_eq!((e.offset, e.len), (13, 1));
        assert!(e.message.contains("after the end"), "{}", e.message);
        let e = err("[concat('abc]");
        assert_eq!(e.message, "unterminated string literal");
        assert_eq!(e.offset, 8);
        let e = err("[concat(,)]");
        assert_eq!(e.offset, 8);
        let e = err("[concat('a',)]");
        assert_eq!(e.offset, 12);
        let e = err("[foo]");
        assert!(e.message.contains("expected '('"), "{}", e.message);
        let e = err("[a().]");
        assert!(e.message.contains("property name"));
        let e = err("[a()[1]");
        assert!(e.message.contains("expected ']'"), "{}", e.message);
        assert!(err("[[a()]").message.contains("escaped"));
    }

    #[test]
    fn depth_is_limited() {
        let deep = format!(
            "[{}1{}]",
            "f(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(err(&deep).message.contains("nested too deeply"));
        let ok = format!(
            "[{}1{}]",
            "f(".repeat(MAX_DEPTH - 2),
            ")".repeat(MAX_DEPTH - 2)
        );
        assert!(parse(&ok).is_ok());
        let chain = format!("[f(){}]", ".a".repeat(MAX_DEPTH + 5));
        assert!(err(&chain).message.contains("nested too deeply"));
        let idx = format!("[f(){}]", "[0]".repeat(MAX_DEPTH + 5));
        assert!(err(&idx).message.contains("nested too deeply"));
        // Very deep input must not overflow the stack.
        let huge = format!("[{}]", "f(".repeat(200_000));
        assert!(err(&huge).message.contains("nested too deeply"));
    }

    #[test]
    fn garbage_never_panics() {
        // A small deterministic generator over the characters that matter.
        let alphabet: Vec<char> = "[]().,'' ab-019é\u{0}\"".chars().collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 24) as usize;
            let mut s = String::from("[");
            let mut x = seed;
            for _ in 0..len {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push(alphabet[(x >> 33) as usize % alphabet.len()]);
            }
            s.push(']');
            if let Err(e) = parse(&s) {
                assert!(e.offset <= s.len(), "{s:?} {e:?}");
            }
        }
    }
}
