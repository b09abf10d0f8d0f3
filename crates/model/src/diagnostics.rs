//! Diagnostics about the inputs: unreadable files, parse errors, template
//! errors, things not followed. Each has a stable code, a level and a position.

use crate::source::{SourceMap, Span};
use serde::Serialize;

/// How bad a diagnostic is. `Error` makes the exit code 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Info,
}

impl Level {
    /// The level's name as the reports write it (`error`, `warning`,
    /// `info`: what it serialises as).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
        }
    }
}

/// A message about an input, at a place in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub level: Level,
    /// Stable, documented code (see `docs/diagnostics.md`), e.g. `json-syntax`.
    pub code: &'static str,
    pub message: String,
    pub location: Location,
}

/// Where a diagnostic points: a span in a scanned file, or just a path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    Span(Span),
    Path(String),
    /// A position in a file that is not an input (the configuration file).
    Position {
        path: String,
        line: u32,
        column: u32,
    },
    None,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, location: Location) -> Self {
        Diagnostic {
            level: Level::Error,
            code,
            message: message.into(),
            location,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>, location: Location) -> Self {
        Diagnostic {
            level: Level::Warning,
            code,
            message: message.into(),
            location,
        }
    }

    pub fn info(code: &'static str, message: impl Into<String>, location: Location) -> Self {
        Diagnostic {
            level: Level::Info,
            code,
            message: message.into(),
            location,
        }
    }

    /// `(path, line, column)`; line and column are 0 when unknown.
    pub fn position(&self, sources: &SourceMap) -> (String, u32, u32) {
        match &self.location {
            Location::Span(s) => sources.position(*s),
            Location::Path(p) => (p.clone(), 0, 0),
            Location::Position { path, line, column } => (path.clone(), *line, *column),
            Location::None => (String::new(), 0, 0),
        }
    }
}

/// Every diagnostic code the tool emits, with a one-line description.
/// `docs/diagnostics.md` documents the same table; a test keeps them in step.
pub const CODES: &[(&str, &str)] = &[
    ("io", "a file or folder could not be read"),
    ("not-utf8", "a file is not valid UTF-8 text"),
    ("file-too-large", "a file is larger than the size limit and was not read"),
    ("json-syntax", "a JSON file is not valid JSON (comments are allowed)"),
    ("template-structure", "a template section has the wrong shape (for example `resources` is not an array or object)"),
    ("expression", "a template expression could not be parsed or evaluated"),
    ("parameter-missing", "a parameter has no default and no value; what depends on it is unknown"),
    ("parameter-type", "a parameter value does not have the declared type"),
    ("parameter-not-allowed", "a parameter value is not one of its `allowedValues`"),
    ("parameter-unknown", "a parameter file sets a parameter the template does not declare"),
    ("parameters-file", "a parameter file could not be used"),
    ("copy-limit", "a copy loop is larger than the limit; it was truncated"),
    ("resource-limit", "the deployment has more resources than the limit; the rest were not read"),
    ("depth-limit", "nested deployments or linked templates are nested deeper than the limit"),
    ("referenced-files-limit", "the scanned files reference more than 2,000 local files outside the scanned paths; the rest were not read"),
    ("template-link", "a linked template was not followed (remote URI, outside the scan's boundary, or missing)"),
    ("policy", "a policy definition could not be evaluated for a resource"),
    ("policy-definition", "a definition or initiative in the `--policies` folder could not be read or compiled; it is left out"),
    ("policy-assignment", "the `--assignments` file could not be read, or an assignment names a definition, initiative or parameter that cannot be resolved"),
    ("policy-aliases", "the `--aliases` export could not be read; the shipped alias catalogue is used alone"),
    ("waiver-expired", "a waiver in the configuration has expired and no longer waives anything"),
    ("waiver-unmatched", "a waiver in the configuration matches no result (or names a rule that does not exist)"),
    ("suppression", "an inline `aml-baseline-ignore` comment has no rule or no reason"),
    ("baseline-file", "the `--baseline` report could not be read or is not an aml-baseline JSON report"),
    ("config", "the configuration file could not be read, or names a rule, parameter or feature that does not exist"),
    ("bicep-syntax", "a Bicep file has a syntax error (unterminated string, missing `}`, unknown decorator, ...); the rest of the file is still read"),
    ("bicep-expression", "a Bicep expression could not be evaluated; what depends on it is unknown"),
    ("bicep-cycle", "a Bicep symbol depends on itself; its value is unknown"),
    ("bicep-loop-unknown", "a Bicep resource or module loop runs over values the files do not fix; its instances are not in the model"),
    ("bicep-module", "a local Bicep module was not read (outside the scan's boundary, or not found)"),
    ("bicep-module-cycle", "a Bicep module uses itself, directly or through other modules"),
    ("bicep-registry-module", "a registry module (`br:`) or template spec (`ts:`) is not in the local Bicep cache; it is never downloaded and what depends on it is unknown"),
    ("bicep-using", "a `.bicepparam` file has no usable `using` template"),
    ("bicep-load", "a file named in `loadTextContent`/`loadJsonContent` could not be read (outside the scan's boundary, or missing)"),
    ("hcl-syntax", "a Terraform file is not valid HCL (the parser stops at the first error)"),
    ("terraform-expression", "a Terraform expression could not be evaluated; its value is unknown"),
    ("terraform-variable-missing", "a root module variable has no default and no value; what depends on it is unknown"),
    ("terraform-var-file", "a --var-file could not be read"),
    ("terraform-module-not-fetched", "a module source (registry, git, outside the scan's boundary) is not read; its outputs are unknown"),
    ("terraform-modules-manifest", "a `.terraform/modules/modules.json` could not be read; registry and git modules are not followed"),
    ("terraform-module-cycle", "a local Terraform module calls itself, directly or through other modules; the call that closes the cycle is not followed"),
    ("terraform-count-limit", "a count or for_each is larger than the limit; the rest were not read"),
    ("terraform-provider-default", "an unset argument took the azurerm provider's default for the major version named"),
    ("yaml-syntax", "a YAML file that names an Azure ML `$schema` is not valid YAML, or uses anchors or tags the CLI does not accept"),
    ("terraform-plan", "a Terraform plan file is not valid JSON or has neither `resource_changes` nor `planned_values`"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A level's name is the one serde writes for it.
    #[test]
    fn level_names_are_their_serialised_names() {
        for level in [Level::Error, Level::Warning, Level::Info] {
            assert_eq!(serde_json::to_value(level).unwrap(), level.as_str());
        }
    }
}
