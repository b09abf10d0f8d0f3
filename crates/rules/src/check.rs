//! What a native check is given and what it returns: the [`CheckContext`]
//! (the resource and the rest of its deployment) and a [`Finding`].

use crate::verdict::Verdict;
use aml_model::model::{Model, Resource};
use aml_model::source::Span;
use aml_model::value::Value;

/// The signature of a native check.
pub type CheckFn = fn(&CheckContext<'_>) -> Option<Finding>;

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
    /// Text to point at instead of `path` (a parameter's default value);
    /// `None` uses `path`.
    pub span: Option<Span>,
}

impl Finding {
    pub fn pass(message: impl Into<String>, path: Option<&str>) -> Option<Finding> {
        Some(Finding {
            verdict: Verdict::Pass,
            message: message.into(),
            path: path.map(str::to_string),
            deciding: vec![],
            span: None,
        })
    }

    pub fn fail(message: impl Into<String>, path: Option<&str>) -> Option<Finding> {
        Some(Finding {
            verdict: Verdict::Fail,
            message: message.into(),
            path: path.map(str::to_string),
            deciding: vec![],
            span: None,
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
            span: None,
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
        self.model.find_in_deployment(self.resource.deployment, id)
    }

    /// The resource a property of this one points at (`properties.keyVault`),
    /// when the id (or the identity of an unknown id) names a resource of the
    /// same deployment.
    pub fn linked(&self, path: &str) -> Option<&'m Resource> {
        self.get(path)
            .and_then(Value::as_id)
            .and_then(|id| self.find(id))
    }

    /// Resources of the same deployment, deployed (not `existing`).
    pub fn deployment(&self) -> impl Iterator<Item = &'m Resource> + '_ {
        self.model
            .in_deployment(self.resource.deployment)
            .filter(|r| !r.existing)
    }

    /// The first deployed resource of the same deployment of `resource_type`
    /// with this id (case-insensitive), in model order.
    pub fn with_id(&self, resource_type: &str, id: &str) -> Option<&'m Resource> {
        let model = self.model;
        model
            .positions_with_id(self.resource.deployment, id)
            .iter()
            .map(|&i| &model.resources[i])
            .find(|r| !r.existing && r.is_type(resource_type))
    }

    /// Resources of the same deployment of `resource_type`, deployed, in
    /// model order (an index lookup, not a walk of the deployment).
    pub fn of_type(&self, resource_type: &str) -> impl Iterator<Item = &'m Resource> + 'm {
        self.model
            .of_type_in_deployment(self.resource.deployment, resource_type)
            .filter(|r| !r.existing)
    }

    /// Deployed children of `parent_id` in the same deployment of
    /// `resource_type` (their `parent_id` is it, case-insensitive), in model
    /// order.
    pub fn children<'a>(
        &'a self,
        resource_type: &'a str,
        parent_id: &'a str,
    ) -> impl Iterator<Item = &'m Resource> + 'a {
        self.model
            .linked_to_in_deployment(self.resource.deployment, parent_id)
            .filter(move |r| !r.existing && r.is_type(resource_type))
            .filter(move |r| {
                r.parent_id
                    .as_deref()
                    .is_some_and(|p| p.eq_ignore_ascii_case(parent_id))
            })
    }
}
