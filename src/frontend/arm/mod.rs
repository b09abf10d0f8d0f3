//! The ARM template front end: recognises deployment templates and parameter
//! files among JSON files, and evaluates templates into model resources.

pub mod json;
pub mod template;

use json::Node;

/// What a JSON file is, judged by its `$schema`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    /// A deployment template (resource group, subscription, management group or tenant).
    Template,
    /// A deployment parameter file.
    Parameters,
    /// Any other JSON (`metadata.json`, `package.json`, ...): skipped silently.
    Other,
}

/// Classifies a parsed JSON document by its `$schema`.
pub fn classify(root: &Node) -> JsonKind {
    let Some(schema) = root.get("$schema").and_then(Node::as_str) else {
        return JsonKind::Other;
    };
    let schema = schema.to_ascii_lowercase();
    if schema.contains("deploymenttemplate.json") {
        JsonKind::Template
    } else if schema.contains("deploymentparameters.json") {
        JsonKind::Parameters
    } else {
        JsonKind::Other
    }
}

/// Cheap check on raw text before parsing: could this file be a template or a
/// parameter file? Avoids parsing every JSON file of a large repository.
pub fn may_be_arm(text: &str) -> bool {
    let head = if text.len() > 4096 {
        let mut end = 4096;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        &text[..end]
    } else {
        text
    };
    head.contains("$schema") || text.contains("deploymentTemplate.json")
}

/// The deployment scope a template's `$schema` declares.
pub fn target_scope(root: &Node) -> crate::expr::TargetScope {
    use crate::expr::TargetScope;
    let schema = root
        .get("$schema")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if schema.contains("subscriptiondeploymenttemplate") {
        TargetScope::Subscription
    } else if schema.contains("managementgroupdeploymenttemplate") {
        TargetScope::ManagementGroup
    } else if schema.contains("tenantdeploymenttemplate") {
        TargetScope::Tenant
    } else {
        TargetScope::ResourceGroup
    }
}
