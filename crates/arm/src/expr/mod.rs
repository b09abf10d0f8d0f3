//! The ARM template expression language: `"[concat('a', parameters('p'))]"`.
//!
//! A JSON string in a template is an *expression* when it starts with `[` and
//! ends with `]` (and does not start with the `[[` escape). This module lexes
//! and parses such strings into an [`Expr`] and evaluates it against an
//! [`ExprEnv`], the part of the template the expression can see (parameters,
//! variables, copy loops, the deployment scope, resources for `reference()`).
//! The functions themselves live in [`crate::functions`], shared with the
//! Bicep front end.
//!
//! # Unknown values
//!
//! A value the scanned files do not determine is a [`Value::Unknown`]. A
//! function that receives one returns an unknown naming the call
//! (`concat('a', parameters('p'))`) unless its result does not depend on it
//! (`if` with a known condition, `and` with a known `false`, `length` of an
//! array whose elements are unknown, ...). Property access on an unknown is
//! unknown with the longer text (`reference('x').properties.y`).
//!
//! # Limits
//!
//! Parsing is linear and nesting is bounded ([`MAX_DEPTH`]); evaluation has a
//! work budget, and strings, arrays and nested values have size caps (see
//! [`crate::functions::limits`]). No input makes this module panic, hang or
//! allocate without bound: it returns an [`ExprError`] instead.

mod ast;
mod eval;
mod lexer;
mod parser;
#[cfg(test)]
pub(crate) mod test_env;

pub use ast::{Expr, Ident, Node, NodeKind, Span};

pub use crate::env::ExprEnv;
pub use aml_model::context::{DeploymentContext, TargetScope};
use aml_model::value::Value;
use std::borrow::Cow;
use std::fmt;

/// A key that marks an object as *open*: reading a property it does not
/// hold gives an unknown (a property Azure sets) instead of an error. The
/// template evaluator marks what `reference()` returns, and removes the mark
/// from every value it keeps ([`strip_open_marks`]).
pub const OPEN_MARK: &str = "\u{1}open";

/// `v` with every object marked open, nested objects included.
pub fn mark_open(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.values_mut().for_each(mark_open);
            o.insert(OPEN_MARK.to_string(), Value::Bool(true));
        }
        Value::Array(a) => a.iter_mut().for_each(mark_open),
        _ => {}
    }
}

/// `v` without the marks of [`mark_open`].
pub fn strip_open_marks(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.shift_remove(OPEN_MARK);
            o.values_mut().for_each(strip_open_marks);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_open_marks),
        _ => {}
    }
}

/// Maximum nesting depth of an expression (calls, property and index chains).
pub const MAX_DEPTH: usize = 128;

/// True when a JSON string is a template expression: starts with `[` and ends
/// with `]` and does not start with `[[`.
pub fn is_expression(s: &str) -> bool {
    s.len() >= 2 && s.starts_with('[') && s.ends_with(']') && !s.starts_with("[[")
}

/// A JSON string that is not an expression, with the `[[` escape removed
/// (`"[[foo]"` becomes `"[foo]"`). Other strings are returned unchanged.
pub fn unescape_literal(s: &str) -> Cow<'_, str> {
    if s.starts_with("[[") && s.ends_with(']') {
        Cow::Owned(s[1..].to_string())
    } else {
        Cow::Borrowed(s)
    }
}

/// Parses the full JSON string text of an expression, brackets included
/// (`"[concat('a', parameters('p'))]"`). Offsets in errors and spans in the
/// tree are byte offsets into `text`.
pub fn parse(text: &str) -> Result<Expr, ExprError> {
    parser::parse(text)
}

/// Evaluates a parsed expression.
pub fn evaluate(expr: &Expr, env: &dyn ExprEnv) -> Result<Value, ExprError> {
    eval::evaluate(expr, env)
}

/// Convenience: a literal string gives [`Value::String`] (unescaped), an
/// expression is parsed and evaluated.
pub fn eval_str(text: &str, env: &dyn ExprEnv) -> Result<Value, ExprError> {
    if is_expression(text) {
        evaluate(&parse(text)?, env)
    } else {
        Ok(Value::String(unescape_literal(text).into_owned()))
    }
}

/// A parse or evaluation error, located in the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    /// What went wrong, for a human.
    pub message: String,
    /// Byte offset into the expression text (brackets included).
    pub offset: usize,
    /// Length in bytes of the offending text (at least 1 when the text is not empty).
    pub len: usize,
}

impl ExprError {
    /// A new error at `span`.
    pub fn new(message: impl Into<String>, span: Span) -> ExprError {
        ExprError {
            message: message.into(),
            offset: span.start,
            len: span.end.saturating_sub(span.start),
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.message, self.offset)
    }
}

impl std::error::Error for ExprError {}

#[cfg(test)]
mod tests {
    use super::test_env::TestEnv;
    use super::*;

    #[test]
    fn recognises_expressions() {
        assert!(is_expression("[concat('a')]"));
        assert!(is_expression("[]"));
        assert!(!is_expression("[[concat('a')]"));
        assert!(!is_expression("["));
        assert!(!is_expression("]"));
        assert!(!is_expression("plain"));
        assert!(!is_expression(" [x()]"));
        assert!(!is_expression(""));
    }

    #[test]
    fn unescapes_literals() {
        assert_eq!(unescape_literal("[[foo]"), "[foo]");
        assert_eq!(unescape_literal("[[foo"), "[[foo");
        assert_eq!(unescape_literal("plain"), "plain");
        assert!(matches!(unescape_literal("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn eval_str_handles_literals_and_expressions() {
        let env = TestEnv::new();
        assert_eq!(eval_str("[[x]", &env).unwrap(), Value::str("[x]"));
        assert_eq!(eval_str("abc", &env).unwrap(), Value::str("abc"));
        assert_eq!(
            eval_str("[toUpper('abc')]", &env).unwrap(),
            Value::str("ABC")
        );
    }

    #[test]
    fn default_context_is_documented_placeholder() {
        let c = DeploymentContext::default();
        assert_eq!(c.subscription_id, "00000000-0000-0000-0000-000000000000");
        assert_eq!(c.tenant_id, "00000000-0000-0000-0000-000000000000");
        assert_eq!(c.resource_group, "rg");
        assert_eq!(c.location, "westeurope");
        assert_eq!(c.deployment_name, "deployment");
        assert_eq!(c.scope, TargetScope::ResourceGroup);
    }

    #[test]
    fn error_display_has_offset() {
        let e = ExprError::new("boom", Span { start: 3, end: 5 });
        assert_eq!(e.len, 2);
        assert_eq!(e.to_string(), "boom (at offset 3)");
    }
}
