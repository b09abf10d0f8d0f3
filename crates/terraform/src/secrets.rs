//! Where a configuration's secrets are written (decision 0030): the
//! defaults and given values (`terraform.tfvars`, `*.auto.tfvars`,
//! `--var-file`) of `sensitive` variables, every credential argument of a
//! resource (`admin_password`, `account_key`, `sas_token`, `client_secret`,
//! connection strings..., heredocs and escapes included), and the
//! variables and locals such an argument reads, followed through locals.

use crate::eval::Module;
use crate::hcl::span_of;
use aml_model::secrets::{Kind, Scope};
use aml_model::source::{FileId, Span};
use aml_model::value::Value;
use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use std::collections::HashMap;

/// How deep locals are followed through locals.
const MAX_HOPS: usize = 16;

/// The spans of every secret written in the `reached` modules (those one
/// root instantiates); `root` is the root
/// module and `given` its variables' values with where they are written.
pub fn secret_spans(
    sources: &aml_model::source::SourceMap,
    modules: &[Module<'_>],
    reached: &std::collections::BTreeSet<usize>,
    root: usize,
    given: &HashMap<String, (Value, Option<Span>)>,
    out: &mut Vec<Span>,
) {
    for &i in reached {
        let Some(m) = modules.get(i) else { continue };
        let cx = Feeding {
            sources,
            module: m,
            given: (i == root).then_some(given),
        };
        for v in &m.variables {
            let sensitive = v
                .block
                .body
                .get_attribute("sensitive")
                .and_then(|a| a.value.as_bool())
                .unwrap_or(false);
            if sensitive {
                cx.variable(&v.name, out);
            }
        }
        for r in m.resources.iter().filter(|r| !r.data) {
            cx.body(r.file, &r.block.body, Scope::root(), out, 0);
        }
    }
}

struct Feeding<'a, 'm> {
    sources: &'a aml_model::source::SourceMap,
    module: &'a Module<'m>,
    given: Option<&'a HashMap<String, (Value, Option<Span>)>>,
}

impl Feeding<'_, '_> {
    /// Credential arguments of a block body, and what they read.
    fn body(&self, file: FileId, body: &Body, scope: Scope, out: &mut Vec<Span>, depth: usize) {
        if depth > 32 {
            return;
        }
        for a in body.attributes() {
            match scope.member(a.key.as_str()) {
                Kind::Secret => self.argument(file, &a.value, out),
                Kind::Nested(inner) if inner.is_secret() => self.argument(file, &a.value, out),
                Kind::Nested(_) => {}
            }
        }
        for b in body.blocks() {
            let ident = match b.ident.as_str() {
                // `dynamic "name"` generates `name` blocks.
                "dynamic" => b.labels.first().map(|l| l.as_str()).unwrap_or("dynamic"),
                other => other,
            };
            match scope.member(ident) {
                Kind::Secret => {
                    out.push(span_of(file, &b.body));
                }
                Kind::Nested(inner) => self.body(file, &b.body, inner, out, depth + 1),
            }
        }
    }

    /// A credential argument: where it is written (unless it only names a
    /// variable or local), and what it reads.
    fn argument(&self, file: FileId, e: &Expression, out: &mut Vec<Span>) {
        let source = self.sources.get(file).text();
        let text = crate::hcl::text_of(&source, e);
        if !aml_model::secrets::is_reference(text) {
            out.push(span_of(file, e));
        }
        self.reads(file, e, out, 0);
    }

    /// Where the variables and locals `e` reads are written.
    fn reads(&self, file: FileId, e: &Expression, out: &mut Vec<Span>, hops: usize) {
        if hops > MAX_HOPS {
            return;
        }
        let source = self.sources.get(file).text();
        let text = crate::hcl::text_of(&source, e);
        for (kind, name) in references(text) {
            if kind == "var" {
                self.variable(&name, out);
            } else if let Some((f, a)) = self.module.locals.get(&name) {
                out.push(span_of(*f, &a.value));
                self.reads(*f, &a.value, out, hops + 1);
            }
        }
    }

    /// Where a variable's default and given value are written.
    fn variable(&self, name: &str, out: &mut Vec<Span>) {
        if let Some(v) = self.module.variables.iter().find(|v| v.name == name) {
            if let Some(a) = v.block.body.get_attribute("default") {
                out.push(span_of(v.file, &a.value));
            }
        }
        if let Some((_, Some(span))) = self.given.and_then(|g| g.get(name)) {
            out.push(*span);
        }
    }
}

/// The `var.NAME` and `local.NAME` an expression's text reads (bounded).
fn references(text: &str) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for kind in ["var", "local"] {
        let prefix = format!("{kind}.");
        let mut from = 0;
        while let Some(i) = text[from..].find(&prefix) {
            let at = from + i;
            from = at + prefix.len();
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let name: String = text[from..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            if !name.is_empty() && !out.iter().any(|(k, n)| *k == kind && *n == name) {
                out.push((kind, name));
            }
            if out.len() > 256 {
                return out;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_variables_and_locals() {
        assert_eq!(
            references("\"${var.a}-${local.b_c}\" + myvar.x + var.a"),
            [("var", "a".to_string()), ("local", "b_c".to_string())]
        );
        assert!(references("\"plain\"").is_empty());
    }
}
