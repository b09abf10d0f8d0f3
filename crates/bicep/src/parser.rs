//! A hand-written, newline-aware recursive-descent parser for Bicep, in the
//! shape of Bicep's own: statements end at line breaks, line breaks are
//! insignificant inside parentheses, objects and arrays take one item per
//! line (or comma-separated items). Errors are collected (several per file)
//! and the parser resynchronises at the next line, so one mistake does not
//! hide the rest of the file. Parsing is linear in the input; nesting is
//! bounded by [`MAX_DEPTH`].

use super::ast::*;
use super::lexer::{lex, Lexed, StrPart, Tok, Token};

/// Maximum nesting of expressions, objects and arrays.
pub const MAX_DEPTH: usize = 64;

/// A syntax error at a byte range.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub start: usize,
    pub end: usize,
}

/// Decorators Bicep knows (with or without the `sys.` namespace).
const DECORATORS: &[&str] = &[
    "description",
    "allowed",
    "secure",
    "minValue",
    "maxValue",
    "minLength",
    "maxLength",
    "metadata",
    "batchSize",
    "export",
    "discriminator",
    "sealed",
    "onlyIfNotExists",
];

/// Keywords that start a top-level statement.
const STATEMENTS: &[&str] = &[
    "param",
    "var",
    "resource",
    "module",
    "output",
    "type",
    "func",
    "import",
    "targetScope",
    "metadata",
    "extension",
    "using",
    "assert",
];

/// Parses a whole file.
pub fn parse(text: &str) -> (File, Vec<ParseError>) {
    let mut p = Parser::new(text, lex(text, 0, text.len()));
    let file = p.file();
    (file, p.errors)
}

/// Parses a single expression (a whole file's text), for tests and tools.
pub fn parse_expr(text: &str) -> (Expr, Vec<ParseError>) {
    let mut p = Parser::new(text, lex(text, 0, text.len()));
    p.nl_insignificant.push(true);
    let e = p.expr();
    if !matches!(p.peek(), Tok::Eof) {
        p.error_here("unexpected text after the expression");
    }
    (e, p.errors)
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<Token<'a>>,
    /// The pieces of the [`Tok::Str`] tokens, each taken by the parser when
    /// it reads the string.
    strings: Vec<Vec<StrPart>>,
    pos: usize,
    errors: Vec<ParseError>,
    /// Innermost last: true inside parentheses (line breaks are ignored).
    nl_insignificant: Vec<bool>,
    depth: usize,
}

type PResult<T> = Result<T, ()>;

impl<'a> Parser<'a> {
    fn new(text: &'a str, lexed: Lexed<'a>) -> Self {
        Parser {
            text,
            toks: lexed.toks,
            strings: lexed.strings,
            pos: 0,
            errors: Vec::new(),
            nl_insignificant: vec![false],
            depth: 0,
        }
    }

    // ---- token access ---------------------------------------------------------

    #[inline]
    fn skip_insignificant(&mut self) {
        if *self.nl_insignificant.last().unwrap_or(&false) {
            while matches!(self.toks[self.pos].tok, Tok::NewLine) {
                self.pos += 1;
            }
        }
    }

    #[inline]
    fn peek(&mut self) -> &Tok<'a> {
        self.skip_insignificant();
        &self.toks[self.pos].tok
    }

    /// The next significant token's kind, copied (a token owns nothing).
    #[inline]
    fn peek_tok(&mut self) -> Tok<'a> {
        *self.peek()
    }

    fn cur(&mut self) -> &Token<'a> {
        self.skip_insignificant();
        &self.toks[self.pos]
    }

    fn bump(&mut self) -> Token<'a> {
        self.skip_insignificant();
        let t = self.toks[self.pos];
        self.advance();
        t
    }

    /// The pieces of the string token `t`, moved out (the parser reads a
    /// string once, and passes it).
    fn take_string(&mut self, t: Tok<'a>) -> Vec<StrPart> {
        match t {
            Tok::Plain(s) => vec![StrPart::Lit(s.to_string())],
            Tok::MultiStr(s) => vec![StrPart::Lit(s.to_string())],
            Tok::Str(i) => self
                .strings
                .get_mut(i as usize)
                .map(std::mem::take)
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Moves past the current token, as [`Parser::bump`] does without
    /// returning it (a copy of its text saved).
    #[inline]
    fn advance(&mut self) {
        self.skip_insignificant();
        if !matches!(self.toks[self.pos].tok, Tok::Eof) {
            self.pos += 1;
        }
    }

    fn prev_end(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.toks[self.pos - 1].end
        }
    }

    #[inline]
    fn is_sym(&mut self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if same_symbol(x, s))
    }

    fn is_ident(&mut self, s: &str) -> bool {
        matches!(self.peek(), Tok::Ident(x) if *x == s)
    }

    #[inline]
    fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn skip_newlines(&mut self) {
        while matches!(self.toks[self.pos].tok, Tok::NewLine) {
            self.pos += 1;
        }
    }

    /// The token after any line breaks, and its index.
    fn peek_past_newlines(&self) -> (&Tok<'a>, usize) {
        let mut i = self.pos;
        while matches!(self.toks[i].tok, Tok::NewLine) {
            i += 1;
        }
        (&self.toks[i].tok, i)
    }

    /// An operator that may start a continuation line (`? :` of a ternary,
    /// `??`, `&&`, `||`): true (and positioned on it) when it comes next.
    fn continues_with(&mut self, s: &str) -> bool {
        let (t, i) = self.peek_past_newlines();
        if matches!(t, Tok::Sym(x) if same_symbol(x, s)) {
            self.pos = i;
            true
        } else {
            false
        }
    }

    fn error(&mut self, message: impl Into<String>, start: usize, end: usize) {
        // One error per position is enough.
        if self.errors.last().is_some_and(|e| e.start == start) {
            return;
        }
        if self.errors.len() < 1000 {
            self.errors.push(ParseError {
                message: message.into(),
                start,
                end: end.max(start),
            });
        }
    }

    fn error_here(&mut self, message: impl Into<String>) {
        let (start, end, lexerr) = {
            let t = self.cur();
            let e = match t.tok {
                Tok::Error(m) => Some(m.message()),
                _ => None,
            };
            (t.start, t.end, e)
        };
        match lexerr {
            Some(m) => self.error(m, start, end),
            None => {
                let found = self.describe_current();
                self.error(format!("{}, found {found}", message.into()), start, end)
            }
        }
    }

    fn describe_current(&mut self) -> String {
        match self.peek_tok() {
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Int(i) => format!("'{i}'"),
            Tok::Plain(_) | Tok::Str(_) | Tok::MultiStr(_) => "a string".into(),
            Tok::NewLine => "the end of the line".into(),
            Tok::Sym(s) => format!("'{s}'"),
            Tok::Error(m) => m.message(),
            Tok::Eof => "the end of the file".into(),
        }
    }

    fn expect_sym(&mut self, s: &str) -> PResult<Token<'a>> {
        if self.is_sym(s) {
            Ok(self.bump())
        } else {
            self.error_here(format!("expected '{s}'"));
            Err(())
        }
    }

    fn expect_ident(&mut self, what: &str) -> PResult<(String, Sp)> {
        match self.peek_tok() {
            Tok::Ident(s) => {
                let t = self.bump();
                Ok((
                    s.to_string(),
                    Sp {
                        start: t.start,
                        end: t.end,
                    },
                ))
            }
            _ => {
                self.error_here(format!("expected {what}"));
                Err(())
            }
        }
    }

    /// A plain (not interpolated) string literal.
    fn expect_plain_string(&mut self, what: &str) -> PResult<(String, Sp)> {
        let t = *self.cur();
        let sp = Sp {
            start: t.start,
            end: t.end,
        };
        let text = match t.tok {
            Tok::Plain(s) | Tok::MultiStr(s) => Some(s.to_string()),
            Tok::Str(i) => self.strings.get(i as usize).and_then(|parts| {
                parts
                    .iter()
                    .map(|p| match p {
                        StrPart::Lit(s) => Some(s.as_str()),
                        StrPart::Hole(..) => None,
                    })
                    .collect::<Option<String>>()
            }),
            _ => None,
        };
        match text {
            Some(s) => {
                self.advance();
                Ok((s, sp))
            }
            None => {
                self.error_here(format!("expected {what} (a string without interpolation)"));
                Err(())
            }
        }
    }

    /// Skips to the end of the current line, keeping brackets balanced so that
    /// a multi-line object or array is skipped whole.
    fn recover_line(&mut self) {
        self.nl_insignificant.push(false);
        let mut depth = 0i64;
        loop {
            match &self.toks[self.pos].tok {
                Tok::Eof => break,
                Tok::NewLine if depth <= 0 => break,
                Tok::Sym("{") | Tok::Sym("[") | Tok::Sym("(") => depth += 1,
                Tok::Sym("}") | Tok::Sym("]") | Tok::Sym(")") => depth -= 1,
                Tok::Ident(k)
                    if depth > 0 && self.at_line_start(self.pos) && self.starts_statement(k) =>
                {
                    // An unclosed bracket: the next statement starts here.
                    break;
                }
                _ => {}
            }
            self.pos += 1;
        }
        self.nl_insignificant.pop();
    }

    /// At `@`: the keyword after the decorator lines (`resource`, `param`...).
    fn decorated_keyword(&self) -> Option<&str> {
        let mut i = self.pos;
        let mut depth = 0i64;
        let mut steps = 0;
        loop {
            steps += 1;
            if steps > 10_000 {
                return None;
            }
            match &self.toks.get(i)?.tok {
                Tok::Eof => return None,
                Tok::Sym("(") | Tok::Sym("[") | Tok::Sym("{") => depth += 1,
                Tok::Sym(")") | Tok::Sym("]") | Tok::Sym("}") => depth -= 1,
                Tok::NewLine if depth <= 0 => {
                    while matches!(self.toks.get(i + 1).map(|t| &t.tok), Some(Tok::NewLine)) {
                        i += 1;
                    }
                    match &self.toks.get(i + 1)?.tok {
                        Tok::Sym("@") => {}
                        Tok::Ident(k) => return Some(*k),
                        _ => return None,
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    fn at_line_start(&self, i: usize) -> bool {
        i == 0 || matches!(self.toks[i - 1].tok, Tok::NewLine)
    }

    /// `param x`, `var x`, `resource x`... : a statement keyword followed by a
    /// name (not a property named like a keyword, `type: 'x'`).
    fn starts_statement(&self, k: &str) -> bool {
        if !STATEMENTS.contains(&k) {
            return false;
        }
        matches!(
            self.toks.get(self.pos + 1).map(|t| &t.tok),
            Some(Tok::Ident(_))
                | Some(Tok::Plain(_))
                | Some(Tok::Str(_))
                | Some(Tok::Sym("{"))
                | Some(Tok::Sym("*"))
                | Some(Tok::Sym("="))
        ) && !matches!(
            self.toks.get(self.pos + 1).map(|t| &t.tok),
            Some(Tok::Sym(":"))
        )
    }

    // ---- statements -------------------------------------------------------------

    fn file(&mut self) -> File {
        let mut decls = Vec::new();
        loop {
            self.skip_newlines();
            if matches!(self.toks[self.pos].tok, Tok::Eof) {
                break;
            }
            let before = self.pos;
            match self.statement() {
                Ok(d) => {
                    decls.push(d);
                    // A statement ends at a line break.
                    if !matches!(self.toks[self.pos].tok, Tok::NewLine | Tok::Eof)
                        && !self.at_line_start(self.pos)
                    {
                        self.error_here("expected a new line after the declaration");
                        self.recover_line();
                    }
                }
                Err(()) => self.recover_line(),
            }
            if self.pos == before {
                self.pos += 1;
            }
        }
        File { decls }
    }

    fn decorators(&mut self) -> Vec<Decorator> {
        let mut out = Vec::new();
        while self.is_sym("@") {
            let at = self.bump();
            let Ok((mut name, mut sp)) = self.expect_ident("a decorator name") else {
                self.recover_line();
                self.skip_newlines();
                continue;
            };
            if self.is_sym(".") {
                self.advance();
                if let Ok((n, s)) = self.expect_ident("a decorator name") {
                    name = format!("{name}.{n}");
                    sp = sp.to(s);
                }
            }
            let args = if self.is_sym("(") {
                self.call_args().unwrap_or_default()
            } else {
                Vec::new()
            };
            let short = name.rsplit('.').next().unwrap_or(&name);
            if !DECORATORS.iter().any(|d| d.eq_ignore_ascii_case(short)) {
                self.error(format!("unknown decorator '@{name}'"), sp.start, sp.end);
            }
            out.push(Decorator {
                name,
                args,
                span: Sp {
                    start: at.start,
                    end: self.prev_end(),
                },
            });
            self.skip_newlines();
        }
        out
    }

    fn statement(&mut self) -> PResult<Decl> {
        let decorators = self.decorators();
        let start = self.cur().start;
        let Tok::Ident(kw) = self.peek_tok() else {
            self.error_here("expected a declaration");
            return Err(());
        };
        self.advance();
        let mut name_span = Sp {
            start,
            end: self.prev_end(),
        };
        let kind = match kw {
            "targetScope" => {
                self.expect_sym("=")?;
                DeclKind::TargetScope(self.expr())
            }
            "metadata" => {
                let (n, s) = self.expect_ident("a metadata name")?;
                name_span = s;
                self.expect_sym("=")?;
                DeclKind::Metadata(n, self.expr())
            }
            "param" => self.param_decl(&mut name_span)?,
            "var" => {
                let (name, s) = self.expect_ident("a variable name")?;
                name_span = s;
                if !self.is_sym("=") {
                    self.type_text(&["="])?;
                }
                self.expect_sym("=")?;
                DeclKind::Var {
                    name,
                    value: self.expr(),
                }
            }
            "resource" => self.resource_decl(&mut name_span)?,
            "module" => {
                let (name, s) = self.expect_ident("a module name")?;
                name_span = s;
                let (path, path_span) = self.expect_plain_string("the module path")?;
                self.expect_sym("=")?;
                let body = self.decl_body()?;
                DeclKind::Module {
                    name,
                    path,
                    path_span,
                    body,
                }
            }
            "output" => {
                let (name, s) = self.expect_ident("an output name")?;
                name_span = s;
                let ty = self.type_text(&["="])?;
                self.expect_sym("=")?;
                DeclKind::Output {
                    name,
                    ty,
                    value: self.expr(),
                }
            }
            "type" => {
                let (name, s) = self.expect_ident("a type name")?;
                name_span = s;
                self.expect_sym("=")?;
                self.type_text(&[])?;
                DeclKind::Type { name }
            }
            "func" => self.func_decl(&mut name_span)?,
            "import" => self.import_decl()?,
            "extension" | "provider" => {
                let (n, _) = match self.peek_tok() {
                    Tok::Ident(_) => self.expect_ident("an extension name")?,
                    _ => self.expect_plain_string("an extension name")?,
                };
                // `with {...}` and `as alias` are not needed for the model.
                self.type_text(&[])?;
                DeclKind::Extension(n)
            }
            "using" => self.using_decl()?,
            "assert" => {
                let (n, s) = self.expect_ident("an assertion name")?;
                name_span = s;
                self.expect_sym("=")?;
                DeclKind::Assert(n, self.expr())
            }
            other => {
                self.error(
                    format!("expected a declaration (param, var, resource, module, output, ...), found '{other}'"),
                    start,
                    self.prev_end(),
                );
                return Err(());
            }
        };
        Ok(Decl {
            decorators,
            kind,
            span: Sp {
                start,
                end: self.prev_end(),
            },
            name_span,
        })
    }

    /// `param NAME TYPE [= DEFAULT]`, or `param NAME = VALUE` in a `.bicepparam`.
    fn param_decl(&mut self, name_span: &mut Sp) -> PResult<DeclKind> {
        let (name, s) = self.expect_ident("a parameter name")?;
        *name_span = s;
        if self.eat_sym("=") {
            return Ok(DeclKind::ParamAssign {
                name,
                value: self.expr(),
            });
        }
        let ty = self.type_text(&["="])?;
        let default = if self.eat_sym("=") {
            Some(self.expr())
        } else {
            None
        };
        Ok(DeclKind::Param { name, ty, default })
    }

    /// `func NAME(PARAMS) TYPE => BODY`.
    fn func_decl(&mut self, name_span: &mut Sp) -> PResult<DeclKind> {
        let (name, s) = self.expect_ident("a function name")?;
        *name_span = s;
        self.expect_sym("(")?;
        let mut params = Vec::new();
        self.nl_insignificant.push(true);
        while !self.is_sym(")") && !matches!(self.peek(), Tok::Eof) {
            let Ok((p, _)) = self.expect_ident("a parameter name") else {
                self.nl_insignificant.pop();
                return Err(());
            };
            params.push(p);
            let _ = self.type_text(&[",", ")"]);
            if !self.eat_sym(",") {
                break;
            }
        }
        self.nl_insignificant.pop();
        self.expect_sym(")")?;
        self.type_text(&["=>"])?;
        self.expect_sym("=>")?;
        Ok(DeclKind::Func {
            name,
            params,
            body: self.expr(),
        })
    }

    /// `using 'PATH'` (with `with {...}` ignored), or `using none`.
    fn using_decl(&mut self) -> PResult<DeclKind> {
        if self.is_ident("none") {
            let t = self.bump();
            return Ok(DeclKind::Using(
                String::new(),
                Sp {
                    start: t.start,
                    end: t.end,
                },
            ));
        }
        let (p, s) = self.expect_plain_string("the template path")?;
        self.type_text(&[])?;
        Ok(DeclKind::Using(p, s))
    }

    fn resource_decl(&mut self, name_span: &mut Sp) -> PResult<DeclKind> {
        let (name, s) = self.expect_ident("a resource name")?;
        *name_span = s;
        let (type_version, _) = self.expect_plain_string("the resource type")?;
        let existing = if self.is_ident("existing") {
            self.advance();
            true
        } else {
            false
        };
        self.expect_sym("=")?;
        let body = self.decl_body()?;
        Ok(DeclKind::Resource {
            name,
            type_version,
            existing,
            body,
        })
    }

    fn import_decl(&mut self) -> PResult<DeclKind> {
        let mut names = Vec::new();
        if self.is_sym("{") {
            self.advance();
            self.nl_insignificant.push(true);
            while !self.is_sym("}") && !matches!(self.peek(), Tok::Eof) {
                let Ok((n, _)) = self.expect_ident("an imported name") else {
                    self.nl_insignificant.pop();
                    return Err(());
                };
                let alias = if self.is_ident("as") {
                    self.advance();
                    self.expect_ident("an alias")
                        .map(|a| a.0)
                        .unwrap_or_else(|_| n.clone())
                } else {
                    n.clone()
                };
                names.push((n, alias));
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.nl_insignificant.pop();
            self.expect_sym("}")?;
        } else if self.eat_sym("*") && self.is_ident("as") {
            self.advance();
            let (a, _) = self.expect_ident("a namespace name")?;
            names.push(("*".into(), a));
        }
        let from = if self.is_ident("from") {
            self.advance();
            self.expect_plain_string("the import source")?.0
        } else {
            // Older `import 'az@1.0.0'` / `import 'x' as y` forms.
            let s = self.expect_plain_string("the import source")?.0;
            self.type_text(&[])?;
            s
        };
        Ok(DeclKind::Import { names, from })
    }

    /// Skips a type expression (or any balanced text) up to one of `stops` at
    /// bracket depth 0, or the end of the line. Returns the text.
    fn type_text(&mut self, stops: &[&str]) -> PResult<String> {
        self.skip_insignificant();
        let start = self.toks[self.pos].start;
        let mut depth = 0i64;
        let mut end = start;
        loop {
            let t = &self.toks[self.pos];
            match &t.tok {
                Tok::Eof => break,
                Tok::NewLine if depth <= 0 => {
                    // A union type may go on with `| 'b'` on the next lines.
                    let (next, i) = self.peek_past_newlines();
                    if matches!(next, Tok::Sym("|")) {
                        self.pos = i;
                        continue;
                    }
                    break;
                }
                Tok::Sym(s) if depth <= 0 && stops.contains(s) => break,
                Tok::Sym("{") | Tok::Sym("[") | Tok::Sym("(") => depth += 1,
                Tok::Sym("}") | Tok::Sym("]") | Tok::Sym(")") => {
                    depth -= 1;
                    if depth < 0 {
                        break;
                    }
                }
                Tok::Error(m) => {
                    let (m, s, e) = (m.message(), t.start, t.end);
                    end = e;
                    self.error(m, s, e);
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            end = t.end;
            self.pos += 1;
        }
        Ok(self.text[start.min(end)..end].trim().to_string())
    }

    /// The body of a resource or module: `{...}`, `if (c) {...}` or `[for ...]`.
    /// The body after `=` of a resource or module: an object, a loop, or a
    /// condition, which may start on the next line (`module m './m.bicep' =`
    /// then `  if (deploy) {`, as Azure Developer CLI templates write it).
    fn decl_body(&mut self) -> PResult<Expr> {
        self.skip_newlines();
        let start = self.cur().start;
        if self.is_ident("if") {
            self.advance();
            let cond = self.paren_expr()?;
            let body = self.object()?;
            return Ok(Expr {
                span: Sp {
                    start,
                    end: body.span.end,
                },
                kind: ExprKind::If(Box::new(cond), Box::new(body)),
            });
        }
        if self.is_sym("[") {
            return Ok(self.array());
        }
        self.object()
    }

    fn paren_expr(&mut self) -> PResult<Expr> {
        self.expect_sym("(")?;
        self.nl_insignificant.push(true);
        let e = self.expr();
        let close = self.expect_sym(")");
        self.nl_insignificant.pop();
        close?;
        Ok(e)
    }

    // ---- expressions ------------------------------------------------------------

    fn expr(&mut self) -> Expr {
        self.depth += 1;
        let e = if self.depth > MAX_DEPTH {
            let (s, e) = (self.cur().start, self.cur().end);
            self.error("the expression is nested too deeply", s, e);
            self.recover_line();
            Expr {
                kind: ExprKind::Error,
                span: Sp { start: s, end: e },
            }
        } else {
            self.ternary()
        };
        self.depth -= 1;
        e
    }

    fn ternary(&mut self) -> Expr {
        let cond = self.binary(0);
        if self.continues_with("?") {
            self.advance();
            self.skip_newlines();
            let a = self.expr();
            if !self.continues_with(":") {
                self.error_here("expected ':' in the conditional expression");
                return Expr {
                    span: cond.span.to(a.span),
                    kind: ExprKind::Error,
                };
            }
            self.advance();
            self.skip_newlines();
            let b = self.expr();
            return Expr {
                span: cond.span.to(b.span),
                kind: ExprKind::Ternary(Box::new(cond), Box::new(a), Box::new(b)),
            };
        }
        cond
    }

    /// Binary operators at `min_level` of [`BINARY_LEVELS`] or tighter,
    /// by precedence climbing: the same tree as one function per level
    /// (each chain left-associative), without descending through every
    /// level for every operand.
    fn binary(&mut self, min_level: usize) -> Expr {
        let mut left = self.unary();
        while let Some((op, level)) = self.binary_operator(min_level) {
            self.advance();
            self.skip_newlines();
            let right = if level + 1 < BINARY_LEVELS.len() {
                self.binary(level + 1)
            } else {
                self.unary()
            };
            left = Expr {
                span: left.span.to(right.span),
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
            };
        }
        left
    }

    /// The binary operator that comes next, when its level is `min_level`
    /// or tighter, positioned on it. `??`, `||` and `&&` may start a
    /// continuation line; the others must follow on the same line.
    fn binary_operator(&mut self, min_level: usize) -> Option<(&'static str, usize)> {
        let level_of = |t: &Tok| match t {
            Tok::Sym(x) => binary_level(x).filter(|l| *l >= min_level).map(|l| (*x, l)),
            _ => None,
        };
        if let Some(found) = level_of(self.peek()) {
            return Some(found);
        }
        let (t, i) = self.peek_past_newlines();
        let found = level_of(t).filter(|(_, l)| *l <= CONTINUING_LEVELS)?;
        self.pos = i;
        Some(found)
    }

    fn unary(&mut self) -> Expr {
        if self.is_sym("!") || self.is_sym("-") || self.is_sym("+") {
            let t = self.bump();
            let op = match t.tok {
                Tok::Sym(s) => s,
                _ => "!",
            };
            self.depth += 1;
            let inner = if self.depth > MAX_DEPTH {
                self.error("the expression is nested too deeply", t.start, t.end);
                Expr {
                    kind: ExprKind::Error,
                    span: Sp {
                        start: t.start,
                        end: t.end,
                    },
                }
            } else {
                self.unary()
            };
            self.depth -= 1;
            let span = Sp {
                start: t.start,
                end: inner.span.end,
            };
            if op == "-" {
                if let ExprKind::Int(i) = inner.kind {
                    return Expr {
                        kind: ExprKind::Int(-i),
                        span,
                    };
                }
            }
            return Expr {
                kind: ExprKind::Unary(op, Box::new(inner)),
                span,
            };
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Expr {
        let mut e = self.primary();
        loop {
            if self.is_sym(".") || self.is_sym(".?") {
                let safe = matches!(self.bump().tok, Tok::Sym(".?"));
                let Tok::Ident(name) = self.peek_tok() else {
                    self.error_here("expected a property name after '.'");
                    return Expr {
                        span: e.span,
                        kind: ExprKind::Error,
                    };
                };
                let t = self.bump();
                if self.is_sym("(") && !safe {
                    let args = self.call_args().unwrap_or_default();
                    let span = Sp {
                        start: e.span.start,
                        end: self.prev_end(),
                    };
                    e = match e.kind {
                        ExprKind::Ident(ns) => Expr {
                            kind: ExprKind::Call(Some(ns), Name::from(name), args),
                            span,
                        },
                        _ => Expr {
                            kind: ExprKind::MethodCall(Box::new(e), Name::from(name), args),
                            span,
                        },
                    };
                } else {
                    e = Expr {
                        span: Sp {
                            start: e.span.start,
                            end: t.end,
                        },
                        kind: ExprKind::Member(Box::new(e), Name::from(name), safe),
                    };
                }
            } else if self.is_sym("::") {
                self.advance();
                let Ok((name, s)) = self.expect_ident("a nested resource name") else {
                    return Expr {
                        span: e.span,
                        kind: ExprKind::Error,
                    };
                };
                e = Expr {
                    span: e.span.to(s),
                    kind: ExprKind::Nested(Box::new(e), Name::from(name)),
                };
            } else if self.is_sym("[") && !matches!(self.toks[self.pos].tok, Tok::NewLine) {
                self.advance();
                self.nl_insignificant.push(true);
                let safe = self.eat_sym("?");
                let idx = self.expr();
                let close = self.expect_sym("]");
                self.nl_insignificant.pop();
                if close.is_err() {
                    return Expr {
                        span: e.span,
                        kind: ExprKind::Error,
                    };
                }
                e = Expr {
                    span: Sp {
                        start: e.span.start,
                        end: self.prev_end(),
                    },
                    kind: ExprKind::Index(Box::new(e), Box::new(idx), safe),
                };
            } else if self.is_sym("!") && self.toks[self.pos].start == e.span.end {
                let t = self.bump();
                e = Expr {
                    span: Sp {
                        start: e.span.start,
                        end: t.end,
                    },
                    kind: ExprKind::NonNull(Box::new(e)),
                };
            } else {
                break;
            }
        }
        e
    }

    fn call_args(&mut self) -> PResult<Vec<Expr>> {
        self.expect_sym("(")?;
        self.nl_insignificant.push(true);
        let mut args = Vec::new();
        while !self.is_sym(")") && !matches!(self.peek(), Tok::Eof) {
            args.push(self.expr());
            if !self.eat_sym(",") {
                break;
            }
        }
        let r = self.expect_sym(")");
        self.nl_insignificant.pop();
        r?;
        Ok(args)
    }

    fn primary(&mut self) -> Expr {
        let t = *self.cur();
        let sp = Sp {
            start: t.start,
            end: t.end,
        };
        match t.tok {
            Tok::Int(i) => {
                self.advance();
                Expr {
                    kind: ExprKind::Int(i),
                    span: sp,
                }
            }
            Tok::Str(_) => {
                // The pieces go into the tree as they are, moved out.
                let parts = self.take_string(t.tok);
                self.advance();
                self.string(parts, sp)
            }
            Tok::Plain(s) | Tok::MultiStr(s) => {
                self.advance();
                Expr {
                    kind: ExprKind::Str(vec![Piece::Lit(s.to_string())]),
                    span: sp,
                }
            }
            Tok::Ident(name) => {
                self.advance();
                match name {
                    "true" => {
                        return Expr {
                            kind: ExprKind::Bool(true),
                            span: sp,
                        }
                    }
                    "false" => {
                        return Expr {
                            kind: ExprKind::Bool(false),
                            span: sp,
                        }
                    }
                    "null" => {
                        return Expr {
                            kind: ExprKind::Null,
                            span: sp,
                        }
                    }
                    _ => {}
                }
                if self.is_sym("=>") {
                    self.advance();
                    self.skip_newlines();
                    let body = self.expr();
                    return Expr {
                        span: sp.to(body.span),
                        kind: ExprKind::Lambda(vec![name.to_string()], Box::new(body)),
                    };
                }
                if self.is_sym("(") {
                    let args = self.call_args().unwrap_or_default();
                    return Expr {
                        span: Sp {
                            start: sp.start,
                            end: self.prev_end(),
                        },
                        kind: ExprKind::Call(None, Name::from(name), args),
                    };
                }
                Expr {
                    kind: ExprKind::Ident(Name::from(name)),
                    span: sp,
                }
            }
            Tok::Sym("(") => {
                if let Some(params) = self.lambda_params() {
                    self.skip_newlines();
                    let body = self.expr();
                    return Expr {
                        span: sp.to(body.span),
                        kind: ExprKind::Lambda(params, Box::new(body)),
                    };
                }
                self.advance();
                self.nl_insignificant.push(true);
                let e = self.expr();
                let close = self.expect_sym(")");
                self.nl_insignificant.pop();
                if close.is_err() {
                    return Expr {
                        kind: ExprKind::Error,
                        span: sp,
                    };
                }
                Expr {
                    span: Sp {
                        start: sp.start,
                        end: self.prev_end(),
                    },
                    kind: e.kind,
                }
            }
            Tok::Sym("[") => self.array(),
            Tok::Sym("{") => self.object().unwrap_or(Expr {
                kind: ExprKind::Error,
                span: sp,
            }),
            Tok::Error(m) => {
                self.error(m.message(), sp.start, sp.end);
                self.advance();
                Expr {
                    kind: ExprKind::Error,
                    span: sp,
                }
            }
            _ => {
                self.error_here("expected an expression");
                Expr {
                    kind: ExprKind::Error,
                    span: sp,
                }
            }
        }
    }

    /// `(a, b) =>` or `() =>`: consumes it and returns the parameter names;
    /// otherwise leaves the position unchanged. The look-ahead only crosses
    /// names and commas, so it stays linear.
    fn lambda_params(&mut self) -> Option<Vec<String>> {
        let save = self.pos;
        self.advance(); // (
        self.nl_insignificant.push(true);
        let mut names = Vec::new();
        let ok = loop {
            match self.peek_tok() {
                Tok::Sym(")") => {
                    self.advance();
                    break true;
                }
                Tok::Ident(n) => {
                    self.advance();
                    names.push(n.to_string());
                    if self.eat_sym(",") {
                        continue;
                    }
                    if self.is_sym(")") {
                        continue;
                    }
                    break false;
                }
                _ => break false,
            }
        };
        self.nl_insignificant.pop();
        if ok && self.is_sym("=>") {
            self.advance();
            return Some(names);
        }
        self.pos = save;
        None
    }

    fn string(&mut self, parts: Vec<StrPart>, sp: Sp) -> Expr {
        let mut pieces = Vec::with_capacity(parts.len());
        for p in parts {
            match p {
                StrPart::Lit(s) => pieces.push(Piece::Lit(s)),
                StrPart::Hole(a, b) => {
                    let mut sub = Parser::new(self.text, lex(self.text, a, b));
                    sub.depth = self.depth + 1;
                    sub.nl_insignificant.push(true);
                    let e = if sub.depth > MAX_DEPTH {
                        sub.error("the expression is nested too deeply", a, b);
                        Expr {
                            kind: ExprKind::Error,
                            span: Sp { start: a, end: b },
                        }
                    } else {
                        sub.expr()
                    };
                    if !matches!(sub.peek(), Tok::Eof) {
                        sub.error_here("unexpected text in the interpolation");
                    }
                    self.errors.extend(sub.errors);
                    pieces.push(Piece::Expr(e));
                }
            }
        }
        Expr {
            kind: ExprKind::Str(pieces),
            span: sp,
        }
    }

    fn array(&mut self) -> Expr {
        let open = self.bump(); // [
        let start = open.start;
        self.nl_insignificant.push(false);
        self.depth += 1;
        let result = if self.depth > MAX_DEPTH {
            self.error("the expression is nested too deeply", open.start, open.end);
            self.recover_line();
            Expr {
                kind: ExprKind::Error,
                span: Sp {
                    start,
                    end: open.end,
                },
            }
        } else {
            self.skip_newlines();
            if self.is_ident("for") {
                self.for_expr(start)
            } else {
                self.array_items(start)
            }
        };
        self.depth -= 1;
        self.nl_insignificant.pop();
        result
    }

    fn array_items(&mut self, start: usize) -> Expr {
        let mut items = Vec::new();
        loop {
            self.skip_newlines();
            match self.peek_tok() {
                Tok::Sym("]") => {
                    let t = self.bump();
                    return Expr {
                        kind: ExprKind::Array(items),
                        span: Sp { start, end: t.end },
                    };
                }
                Tok::Eof => {
                    self.error("expected ']' to close this array", start, start + 1);
                    return Expr {
                        kind: ExprKind::Array(items),
                        span: Sp {
                            start,
                            end: self.prev_end(),
                        },
                    };
                }
                Tok::Ident(k) if self.at_line_start(self.pos) && self.starts_statement(k) => {
                    self.error("expected ']' to close this array", start, start + 1);
                    return Expr {
                        kind: ExprKind::Array(items),
                        span: Sp {
                            start,
                            end: self.prev_end(),
                        },
                    };
                }
                _ => {}
            }
            let spread = self.eat_sym("...");
            let before = self.pos;
            let value = self.expr();
            items.push(Item { spread, value });
            if !(self.eat_sym(",")
                || matches!(self.peek(), Tok::NewLine | Tok::Sym("]"))
                || self.at_line_start(self.pos))
            {
                self.error_here("expected a new line or ',' between array items");
                self.recover_line();
            }
            if self.pos == before {
                self.pos += 1;
            }
        }
    }

    fn for_expr(&mut self, start: usize) -> Expr {
        self.advance(); // for
        let (item, mut index);
        index = None;
        let err = |p: &mut Self| {
            p.recover_line();
            Expr {
                kind: ExprKind::Error,
                span: Sp {
                    start,
                    end: p.prev_end(),
                },
            }
        };
        if self.is_sym("(") {
            self.advance();
            match self.expect_ident("a loop variable") {
                Ok((n, _)) => item = Some(n),
                Err(()) => return err(self),
            }
            if self.eat_sym(",") {
                match self.expect_ident("an index variable") {
                    Ok((n, _)) => index = Some(n),
                    Err(()) => return err(self),
                }
            }
            if self.expect_sym(")").is_err() {
                return err(self);
            }
        } else {
            match self.expect_ident("a loop variable") {
                Ok((n, _)) => item = Some(n),
                Err(()) => return err(self),
            }
        }
        if !self.is_ident("in") {
            self.error_here("expected 'in'");
            return err(self);
        }
        self.advance();
        let source = self.expr();
        if self.expect_sym(":").is_err() {
            return err(self);
        }
        self.skip_newlines();
        let body = if self.is_ident("if") {
            let s = self.cur().start;
            self.advance();
            let Ok(cond) = self.paren_expr() else {
                return err(self);
            };
            self.skip_newlines();
            let b = self.expr();
            Expr {
                span: Sp {
                    start: s,
                    end: b.span.end,
                },
                kind: ExprKind::If(Box::new(cond), Box::new(b)),
            }
        } else {
            self.expr()
        };
        self.skip_newlines();
        if self.expect_sym("]").is_err() {
            return err(self);
        }
        Expr {
            kind: ExprKind::For(Box::new(ForExpr {
                item,
                index,
                source,
                body,
            })),
            span: Sp {
                start,
                end: self.prev_end(),
            },
        }
    }

    fn object(&mut self) -> PResult<Expr> {
        let open = self.expect_sym("{")?;
        let start = open.start;
        self.nl_insignificant.push(false);
        self.depth += 1;
        let r = if self.depth > MAX_DEPTH {
            self.error("the expression is nested too deeply", open.start, open.end);
            self.recover_line();
            Ok(Expr {
                kind: ExprKind::Error,
                span: Sp {
                    start,
                    end: open.end,
                },
            })
        } else {
            Ok(self.object_props(start))
        };
        self.depth -= 1;
        self.nl_insignificant.pop();
        r
    }

    /// An object property's key at `t` (the current token), moved past: a
    /// name, a string (a literal one is a name), or `*`; `None`, with
    /// nothing consumed, for anything else.
    fn property_key(&mut self, t: &Token<'a>) -> Option<Key> {
        Some(match t.tok {
            Tok::Ident(k) => {
                self.advance();
                Key::Name(Name::from(k))
            }
            Tok::Plain(k) => {
                self.advance();
                Key::Name(Name::from(k))
            }
            Tok::Str(_) => {
                // The current token is the string just seen.
                let parts = self.take_string(t.tok);
                self.advance();
                let e = self.string(
                    parts,
                    Sp {
                        start: t.start,
                        end: t.end,
                    },
                );
                match &e.kind {
                    ExprKind::Str(p) if p.iter().all(|x| matches!(x, Piece::Lit(_))) => Key::Name(
                        p.iter()
                            .map(|x| match x {
                                Piece::Lit(s) => s.as_str(),
                                Piece::Expr(_) => "",
                            })
                            .collect(),
                    ),
                    _ => Key::Expr(e),
                }
            }
            Tok::Sym("*") => {
                self.advance();
                Key::Name("*".into())
            }
            _ => return None,
        })
    }

    fn object_props(&mut self, start: usize) -> Expr {
        let mut props = Vec::new();
        loop {
            self.skip_newlines();
            let t = *self.cur();
            match &t.tok {
                Tok::Sym("}") => {
                    self.advance();
                    return Expr {
                        kind: ExprKind::Object(props),
                        span: Sp { start, end: t.end },
                    };
                }
                Tok::Eof => {
                    self.error("expected '}' to close this object", start, start + 1);
                    return Expr {
                        kind: ExprKind::Object(props),
                        span: Sp {
                            start,
                            end: self.prev_end(),
                        },
                    };
                }
                Tok::Sym("@")
                    if self.at_line_start(self.pos)
                        && self
                            .decorated_keyword()
                            .is_some_and(|k| k != "resource" && STATEMENTS.contains(&k)) =>
                {
                    self.error("expected '}' to close this object", start, start + 1);
                    return Expr {
                        kind: ExprKind::Object(props),
                        span: Sp {
                            start,
                            end: self.prev_end(),
                        },
                    };
                }
                Tok::Ident(k)
                    if *k != "resource"
                        && self.at_line_start(self.pos)
                        && self.starts_statement(k) =>
                {
                    self.error("expected '}' to close this object", start, start + 1);
                    return Expr {
                        kind: ExprKind::Object(props),
                        span: Sp {
                            start,
                            end: self.prev_end(),
                        },
                    };
                }
                _ => {}
            }
            let before = self.pos;
            if self.eat_sym("...") {
                props.push(Prop::Spread(self.expr()));
            } else if (self.is_sym("@") && self.decorated_keyword() == Some("resource"))
                || (self.is_ident("resource")
                    && matches!(
                        self.toks.get(self.pos + 1).map(|t| &t.tok),
                        Some(Tok::Ident(_))
                    ))
            {
                match self.statement() {
                    Ok(d) => props.push(Prop::Resource(Box::new(d))),
                    Err(()) => {
                        self.recover_line();
                        continue;
                    }
                }
            } else {
                let Some(key) = self.property_key(&t) else {
                    self.error_here("expected a property name");
                    self.recover_line();
                    if self.pos == before {
                        self.pos += 1;
                    }
                    continue;
                };
                if self.expect_sym(":").is_err() {
                    self.recover_line();
                    continue;
                }
                let value = self.expr();
                props.push(Prop::Pair {
                    key,
                    span: Sp {
                        start: t.start,
                        end: value.span.end,
                    },
                    value,
                });
            }
            if !(self.eat_sym(",")
                || matches!(self.peek(), Tok::NewLine | Tok::Sym("}"))
                || self.at_line_start(self.pos))
            {
                self.error_here("expected a new line or ',' after the property");
                self.recover_line();
            }
            if self.pos == before {
                self.pos += 1;
            }
        }
    }
}

/// Whether two symbols are the same: compared inline (symbols are one to
/// three bytes; the parser asks this several times for every token).
/// The binary operators by level, loosest first.
const BINARY_LEVELS: &[&[&str]] = &[
    &["??"],
    &["||"],
    &["&&"],
    &["==", "!=", "=~", "!~"],
    &["<", "<=", ">", ">="],
    &["+", "-"],
    &["*", "/", "%"],
];

/// The levels (of [`BINARY_LEVELS`]) whose operators may start a line.
const CONTINUING_LEVELS: usize = 2;

/// The level of a binary operator in [`BINARY_LEVELS`].
fn binary_level(op: &str) -> Option<usize> {
    BINARY_LEVELS
        .iter()
        .position(|ops| ops.iter().any(|o| same_symbol(o, op)))
}

#[inline]
fn same_symbol(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> File {
        let (f, errors) = parse(text);
        assert_eq!(errors, vec![], "{text}");
        f
    }

    #[test]
    fn member_access_binds_tighter_than_operators() {
        let (e, errs) = parse_expr("a.?b ?? c.id");
        assert!(errs.is_empty());
        match e.kind {
            ExprKind::Binary("??", l, r) => {
                assert!(matches!(l.kind, ExprKind::Member(_, _, true)));
                assert!(matches!(r.kind, ExprKind::Member(_, _, false)));
            }
            other => panic!("{other:?}"),
        }
        let (e, _) = parse_expr("!x.enabled");
        assert!(matches!(e.kind, ExprKind::Unary("!", _)));
    }

    /// The tree of an expression, parenthesised: operands, operators and
    /// ternaries only.
    fn shape(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Ident(n) => n.to_string(),
            ExprKind::Int(i) => i.to_string(),
            ExprKind::Unary(op, x) => format!("{op}{}", shape(x)),
            ExprKind::Binary(op, l, r) => format!("({} {op} {})", shape(l), shape(r)),
            ExprKind::Ternary(c, t, f) => format!("({} ? {} : {})", shape(c), shape(t), shape(f)),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn binary_operators_bind_by_level_and_associate_to_the_left() {
        let cases = [
            ("a + b * c", "(a + (b * c))"),
            ("a * b + c", "((a * b) + c)"),
            ("a - b - c", "((a - b) - c)"),
            ("a / b % c * d", "(((a / b) % c) * d)"),
            ("a < b == c >= d", "((a < b) == (c >= d))"),
            ("a == b != c =~ d", "(((a == b) != c) =~ d)"),
            ("a && b || c && d", "((a && b) || (c && d))"),
            ("a ?? b || c", "(a ?? (b || c))"),
            ("a ?? b ?? c", "((a ?? b) ?? c)"),
            ("-a * -b + !c && d", "(((-a * -b) + !c) && d)"),
            ("a || b ? c + 1 : d * 2", "((a || b) ? (c + 1) : (d * 2))"),
            (
                "1 + 2 * 3 - 4 / 5 < 6 && 7 > 8 || 9",
                "(((((1 + (2 * 3)) - (4 / 5)) < 6) && (7 > 8)) || 9)",
            ),
        ];
        for (text, want) in cases {
            let (e, errors) = parse_expr(text);
            assert!(errors.is_empty(), "{text}: {errors:?}");
            assert_eq!(shape(&e), want, "{text}");
        }
    }

    #[test]
    fn only_logical_operators_continue_a_line() {
        // `&&`, `||` and `??` may start the next line of a declaration.
        let f = ok("var a = x\n  && y\n  || z\nvar b = p\n  ?? q\n");
        let values: Vec<String> = f
            .decls
            .iter()
            .map(|d| match &d.kind {
                crate::ast::DeclKind::Var { value, .. } => shape(value),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(values, ["((x && y) || z)", "(p ?? q)"]);
        // `+` may not: the line ends the declaration and `+ y` is an error.
        let (_, errors) = parse("var a = x\n  + y\n");
        assert!(!errors.is_empty());
        // Inside parentheses line breaks do not matter.
        let (e, errors) = parse_expr("(x\n + y\n * z)");
        assert!(errors.is_empty(), "{errors:?}");
        assert!(shape(&e).contains("(x + (y * z))"), "{}", shape(&e));
    }

    #[test]
    fn multi_line_ternary_and_nullable_params() {
        let f =
            ok("param p myType?\nvar v = !empty(p)\n  ? { a: 1 }\n  : null\nparam q string[]?\n");
        assert_eq!(f.decls.len(), 3);
    }

    #[test]
    fn lambdas_spread_and_loops() {
        let f = ok("var a = map(xs, (x, i) => x.name)\nvar b = {\n  ...c\n  d: [for (x, i) in range(0, 3): if (i > 0) x]\n}\nvar e = reduce(xs, {}, (cur, next) => union(cur, next))\n");
        assert_eq!(f.decls.len(), 3);
    }

    #[test]
    fn errors_are_collected_and_parsing_goes_on() {
        let (f, errors) =
            parse("var a = 'open\nvar b = {\n  x: 1\nparam c string\n@bogus()\nparam d int\n");
        assert!(errors.len() >= 3, "{errors:?}");
        assert!(f.decls.iter().any(|d| d.name() == Some("c")));
        assert!(f.decls.iter().any(|d| d.name() == Some("d")));
    }
}
