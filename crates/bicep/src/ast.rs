//! The Bicep syntax tree. Every node has a byte span in its file.

/// A byte range in the file being parsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sp {
    pub start: usize,
    pub end: usize,
}

impl Sp {
    pub fn to(self, other: Sp) -> Sp {
        Sp {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A name in an expression (an identifier, a member, a function, a key): a
/// string kept inline when it is short (almost every name), so that parsing
/// does not allocate each one (decision 0068).
pub type Name = compact_str::CompactString;

/// An expression.
#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Sp,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    /// A string, possibly interpolated: literal pieces and expressions.
    Str(Vec<Piece>),
    Ident(Name),
    Array(Vec<Item>),
    Object(Vec<Prop>),
    Unary(&'static str, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `a.b` or `a.?b` (safe).
    Member(Box<Expr>, Name, bool),
    /// `a[i]` or `a[?i]` (safe).
    Index(Box<Expr>, Box<Expr>, bool),
    /// `a::b` (nested resource access).
    Nested(Box<Expr>, Name),
    /// `a!` (non-null assertion).
    NonNull(Box<Expr>),
    /// `ns.f(args)` or `f(args)`.
    Call(Option<Name>, Name, Vec<Expr>),
    /// `x.method(args)` on a resource (`kv.getSecret('s')`, `st.listKeys()`).
    MethodCall(Box<Expr>, Name, Vec<Expr>),
    Lambda(Vec<String>, Box<Expr>),
    /// `[for (x, i) in source: body]`, with an optional `if (cond)` filter.
    For(Box<ForExpr>),
    /// `if (cond) body` (resource and module bodies only).
    If(Box<Expr>, Box<Expr>),
    /// Something that did not parse; a diagnostic was reported.
    Error,
}

/// A `for` expression.
#[derive(Clone, Debug)]
pub struct ForExpr {
    pub item: Option<String>,
    pub index: Option<String>,
    pub source: Expr,
    pub body: Expr,
}

/// A piece of an interpolated string.
#[derive(Clone, Debug)]
pub enum Piece {
    Lit(String),
    Expr(Expr),
}

/// An array item (possibly a spread).
#[derive(Clone, Debug)]
pub struct Item {
    pub spread: bool,
    pub value: Expr,
}

/// An object property, a spread, or (in resource bodies) a nested resource.
#[derive(Clone, Debug)]
pub enum Prop {
    Pair { key: Key, value: Expr, span: Sp },
    Spread(Expr),
    Resource(Box<Decl>),
}

/// An object key: a name, or an (interpolated) string.
#[derive(Clone, Debug)]
pub enum Key {
    Name(Name),
    Expr(Expr),
}

/// A decorator `@name(args)` or `@ns.name(args)`.
#[derive(Clone, Debug)]
pub struct Decorator {
    pub name: String,
    pub args: Vec<Expr>,
    pub span: Sp,
}

/// A top-level statement.
#[derive(Clone, Debug)]
pub struct Decl {
    pub decorators: Vec<Decorator>,
    pub kind: DeclKind,
    pub span: Sp,
    /// Span of the declared name.
    pub name_span: Sp,
}

#[derive(Clone, Debug)]
pub enum DeclKind {
    TargetScope(Expr),
    Metadata(String, Expr),
    Param {
        name: String,
        /// The type as written (`string`, `string?`, `myType[]?`), empty if absent.
        ty: String,
        default: Option<Expr>,
    },
    Var {
        name: String,
        value: Expr,
    },
    Resource {
        name: String,
        /// `Microsoft.X/y@2024-01-01` (possibly relative for nested resources).
        type_version: String,
        existing: bool,
        body: Expr,
    },
    Module {
        name: String,
        path: String,
        path_span: Sp,
        body: Expr,
    },
    Output {
        name: String,
        ty: String,
        value: Expr,
    },
    Type {
        name: String,
    },
    Func {
        name: String,
        params: Vec<String>,
        body: Expr,
    },
    Import {
        /// The imported names (`{ a, b as c }`) or a namespace alias (`* as x`).
        names: Vec<(String, String)>,
        from: String,
    },
    Extension(String),
    /// `.bicepparam`: `using './main.bicep'`.
    Using(String, Sp),
    /// `.bicepparam`: `param x = value`.
    ParamAssign {
        name: String,
        value: Expr,
    },
    Assert(String, Expr),
}

impl Decl {
    /// The declared symbol name, if any.
    pub fn name(&self) -> Option<&str> {
        match &self.kind {
            DeclKind::Param { name, .. }
            | DeclKind::Var { name, .. }
            | DeclKind::Resource { name, .. }
            | DeclKind::Module { name, .. }
            | DeclKind::Output { name, .. }
            | DeclKind::Type { name }
            | DeclKind::Func { name, .. }
            | DeclKind::ParamAssign { name, .. } => Some(name),
            _ => None,
        }
    }

    /// True when a decorator of this name (any namespace, any case) is present.
    pub fn has_decorator(&self, name: &str) -> bool {
        self.decorator(name).is_some()
    }

    /// The decorator of this name (any namespace, any case).
    pub fn decorator(&self, name: &str) -> Option<&Decorator> {
        self.decorators.iter().find(|d| {
            d.name.eq_ignore_ascii_case(name)
                || d.name
                    .rsplit('.')
                    .next()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    }
}

/// A parsed file.
#[derive(Clone, Debug, Default)]
pub struct File {
    pub decls: Vec<Decl>,
}
