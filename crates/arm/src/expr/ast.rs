//! The parsed form of an expression.

use std::sync::Arc;

/// A byte range in the expression text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A new span.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A parsed expression: its text (brackets included) and its tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// The full JSON string text, brackets included.
    pub text: Arc<str>,
    /// The tree; spans are byte offsets into `text`.
    pub root: Node,
}

impl Expr {
    /// The source text of a span of this expression (empty when out of range).
    pub fn source(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    /// Visits every node, parents before children, arguments in order.
    pub fn walk(&self, f: &mut dyn FnMut(&Node)) {
        self.root.walk(f);
    }

    /// The literal first arguments of every call to `function` (case-insensitive),
    /// e.g. the names in `parameters('a')` and `parameters('b')`. Calls whose
    /// first argument is not a string literal are reported as `None`.
    pub fn literal_first_args(&self, function: &str) -> Vec<Option<String>> {
        let mut out = Vec::new();
        self.walk(&mut |node| {
            if let NodeKind::Call {
                namespace: None,
                name,
                args,
            } = &node.kind
            {
                if name.name.eq_ignore_ascii_case(function) {
                    out.push(match args.first().map(|a| &a.kind) {
                        Some(NodeKind::String(s)) => Some(s.clone()),
                        _ => None,
                    });
                }
            }
        });
        out
    }
}

/// A name in the text: a function name, a namespace or a property name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The name as written.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node is.
    pub kind: NodeKind,
    /// The text it covers.
    pub span: Span,
}

/// The kinds of node.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A string literal, with `''` escapes resolved.
    String(String),
    /// An integer literal.
    Int(i64),
    /// A function call `name(args)` or a user function `namespace.name(args)`.
    Call {
        /// The user-defined function namespace, if any.
        namespace: Option<Ident>,
        /// The function name.
        name: Ident,
        /// The arguments, unevaluated.
        args: Vec<Node>,
    },
    /// Property access `target.name`.
    Property {
        /// The value whose property is read.
        target: Box<Node>,
        /// The property name.
        name: Ident,
    },
    /// Index access `target[index]`.
    Index {
        /// The array or object indexed.
        target: Box<Node>,
        /// The index or key expression.
        index: Box<Node>,
    },
}

impl Node {
    /// Visits this node and its descendants, parents first.
    pub fn walk(&self, f: &mut dyn FnMut(&Node)) {
        f(self);
        match &self.kind {
            NodeKind::String(_) | NodeKind::Int(_) => {}
            NodeKind::Call { args, .. } => args.iter().for_each(|a| a.walk(f)),
            NodeKind::Property { target, .. } => target.walk(f),
            NodeKind::Index { target, index } => {
                target.walk(f);
                index.walk(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::expr::parse;

    #[test]
    fn finds_parameter_names() {
        let e = parse("[concat(parameters('a'), Parameters('b'), parameters(variables('c')))]")
            .unwrap();
        assert_eq!(
            e.literal_first_args("parameters"),
            vec![Some("a".to_string()), Some("b".to_string()), None]
        );
        assert_eq!(
            e.literal_first_args("variables"),
            vec![Some("c".to_string())]
        );
    }

    #[test]
    fn source_of_spans() {
        let e = parse("[toLower('X')]").unwrap();
        assert_eq!(e.source(e.root.span), "toLower('X')");
        assert_eq!(e.source(super::Span::new(100, 200)), "");
    }
}
