//! Native rules: checks written in Rust for what Azure Policy cannot say
//! (settings of linked resources, secrets written into templates, role
//! assignments, outbound rules, container images...).
//!
//! One rule, one file: each file holds one `pub static RULE: Rule` with its
//! metadata and a `check` function, and its documentation lives in
//! `docs/rules/<ID>.md` (printed by `aml-baseline explain ID`). A check is
//! called once per deployed resource; it returns nothing when the rule does
//! not apply to that resource, else one [`Finding`] (pass, fail or unknown)
//! that names the property to look at.
//!
//! Adding a rule: a new file here, its `RULE` in [`RULES`], a doc page, and
//! fixtures under `tests/fixtures/native/<ID>/` (pass, fail, unknown).

mod compute_min_nodes;
mod public_access_behind_vnet;

use crate::evaluate::Verdict;
use crate::model::{Model, Resource};
use crate::rules::Rule;
use crate::value::Value;

/// The signature of a native check.
pub type CheckFn = fn(&CheckContext<'_>) -> Option<Finding>;

/// Every native rule, in id order.
pub static RULES: &[&Rule] = &[&public_access_behind_vnet::RULE, &compute_min_nodes::RULE];

/// What a check sees: the resource and the rest of its deployment.
pub struct CheckContext<'m> {
    pub model: &'m Model,
    pub resource: &'m Resource,
}

/// The result of a native rule on one resource.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub verdict: Verdict,
    /// What was found, in one sentence. Never include a secret value.
    pub message: String,
    /// The ARM property path to point at (`properties.allowPublicAccessWhenBehindVnet`);
    /// `None` points at the resource.
    pub path: Option<String>,
    /// For unknowns: the expressions whose values decide.
    pub deciding: Vec<String>,
}

impl Finding {
    pub fn pass(message: impl Into<String>, path: Option<&str>) -> Option<Finding> {
        Some(Finding {
            verdict: Verdict::Pass,
            message: message.into(),
            path: path.map(str::to_string),
            deciding: vec![],
        })
    }

    pub fn fail(message: impl Into<String>, path: Option<&str>) -> Option<Finding> {
        Some(Finding {
            verdict: Verdict::Fail,
            message: message.into(),
            path: path.map(str::to_string),
            deciding: vec![],
        })
    }

    /// Unknown because `value` (an unknown) decides.
    pub fn unknown(value: &Value, path: &str) -> Option<Finding> {
        let expr = value
            .first_unknown()
            .map(|u| u.expr.clone())
            .unwrap_or_else(|| path.to_string());
        Some(Finding {
            verdict: Verdict::Unknown,
            message: format!("`{path}` depends on `{expr}`, which the files do not fix"),
            path: Some(path.to_string()),
            deciding: vec![expr],
        })
    }
}

impl<'m> CheckContext<'m> {
    /// The value at a dotted ARM path of the resource, treating `null` as absent.
    pub fn get(&self, path: &str) -> Option<&'m Value> {
        self.resource
            .get(path)
            .filter(|v| !matches!(v, Value::Null))
    }

    /// A resource of the same deployment by id (case-insensitive), deployed or `existing`.
    pub fn find(&self, id: &str) -> Option<&'m Resource> {
        self.model
            .resources
            .iter()
            .find(|r| r.deployment == self.resource.deployment && r.id.eq_ignore_ascii_case(id))
    }

    /// The resource a property of this one points at (`properties.keyVault`),
    /// when the id is known and the target is in the same deployment.
    pub fn linked(&self, path: &str) -> Option<&'m Resource> {
        self.get(path)
            .and_then(Value::as_str)
            .and_then(|id| self.find(id))
    }

    /// Resources of the same deployment, deployed (not `existing`).
    pub fn deployment(&self) -> impl Iterator<Item = &'m Resource> + '_ {
        let d = self.resource.deployment;
        self.model
            .resources
            .iter()
            .filter(move |r| r.deployment == d && !r.existing)
    }
}

/// `Some(true)` / `Some(false)` for a boolean (or "true"/"false" string as
/// Azure accepts), `None` when absent; `Err` with the value when unknown.
pub fn as_bool(v: Option<&Value>) -> Result<Option<bool>, &Value> {
    match v {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(u @ Value::Unknown(_)) => Err(u),
        Some(_) => Ok(None),
    }
}

/// True for a compute of one of the given `computeType`s (case-insensitive).
pub fn is_compute_of(resource: &Resource, types: &[&str]) -> bool {
    resource.is_type("Microsoft.MachineLearningServices/workspaces/computes")
        && resource
            .get("properties.computeType")
            .and_then(Value::as_str)
            .is_some_and(|t| types.iter().any(|x| x.eq_ignore_ascii_case(t)))
}
