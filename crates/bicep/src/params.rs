//! Parameter values for a Bicep entry point: a `.bicepparam` file (`using`
//! plus `param x = value`, evaluated like Bicep expressions), a JSON
//! deployment parameter file, or none (defaults).

use super::ast::File;
use super::eval::Session;
use aml_arm::template;
use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::json;
use aml_model::source::{FileId, SourceMap, Span};
use aml_model::value::Value;
use aml_model::FastMap as HashMap;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Parameter values by name, with the span of the text that set each.
pub type Supplied = HashMap<String, (Value, Option<Span>)>;

/// Where an entry point's parameter values come from.
#[derive(Clone, Debug)]
pub enum Source {
    None,
    BicepParam(FileId),
    Json(FileId),
}

impl Source {
    /// The parameter file, if any.
    pub fn file(&self) -> Option<FileId> {
        match self {
            Source::None => None,
            Source::BicepParam(f) | Source::Json(f) => Some(*f),
        }
    }
}

/// `--parameters` when given (a `.bicepparam` or JSON file), else
/// `<name>.parameters.json` beside the template, else none.
pub fn choose(sources: &SourceMap, template_path: &Path, explicit: Option<&Path>) -> Source {
    // The map knows every file under its normalised path too.
    let of = |p: &Path| sources.find(p);
    if let Some(p) = explicit {
        if let Some(id) = of(p) {
            return if super::is_param_file(p) {
                Source::BicepParam(id)
            } else {
                Source::Json(id)
            };
        }
    }
    let Some(stem) = template_path.file_stem().and_then(|s| s.to_str()) else {
        return Source::None;
    };
    let beside = template_path.with_file_name(format!("{stem}.parameters.json"));
    match of(&beside) {
        Some(id) => Source::Json(id),
        None => Source::None,
    }
}

/// Reads the parameter values of `source`.
pub fn values(
    session: &Session<'_>,
    source: &Source,
    param_asts: &BTreeMap<FileId, Arc<File>>,
) -> (Supplied, Vec<Diagnostic>) {
    let mut out = HashMap::default();
    let mut diags = Vec::new();
    match source {
        Source::None => {}
        Source::Json(id) => {
            let text = &session.sources.get(*id).text();
            match json::parse(text) {
                Ok(node) => match template::ParameterValues::from_parameter_file(*id, &node) {
                    Ok(v) => {
                        for (k, v, s) in v.values {
                            out.insert(k, (v, s));
                        }
                    }
                    Err((m, offset)) => diags.push(Diagnostic::error(
                        "parameters-file",
                        m,
                        Location::Span(Span::new(*id, offset as usize, offset as usize + 1)),
                    )),
                },
                Err(e) => diags.push(Diagnostic::error(
                    "parameters-file",
                    format!("invalid JSON: {}", e.message),
                    Location::Span(Span::new(*id, e.offset, e.offset + 1)),
                )),
            }
        }
        Source::BicepParam(id) => {
            if let Some(ast) = param_asts.get(id) {
                for (name, value, span) in session.eval_param_file(*id, ast) {
                    out.insert(name, (value, Some(span)));
                }
            }
        }
    }
    (out, diags)
}
