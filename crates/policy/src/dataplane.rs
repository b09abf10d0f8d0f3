//! The registry-model data-plane mode (`Microsoft.MachineLearningServices.v2.Data`):
//! its definitions (12e5dd16, 19539b54) read the model a deployment serves,
//! as `Microsoft.MachineLearningServices.v2.Data/workspaces/deployments/model.*`.
//! No ARM resource has that type; the files hold the same model as an online
//! or batch deployment's `properties.model` (the online deployment's URI
//! string, the batch deployment's asset reference `{referenceType: Id,
//! assetId}`, or the same under `assetId` as the CLI YAML front end writes
//! it). [`deployment_view`] builds the data-plane view of such a deployment:
//!
//! - `model.assetId`: the model's asset id as written
//!   (`azureml://registries/<registry>/models/<name>/versions/<v>`, a
//!   workspace model's `azureml:name:version`, ...); unknown when the files
//!   leave it open, or when it is the ARM id of a registry model (the asset id
//!   Azure records for it is not in the files);
//! - `model.registryName`: the `<registry>` of a registry model (`azureml://
//!   registries/<registry>/...` or an ARM id `.../registries/<registry>/models/...`),
//!   absent for other models;
//! - `model.publisher`: unknown for a registry model (the registry's
//!   catalogue sets it; the files never do), absent for other models.
//!
//! See docs/decisions/0036-shipped-initiatives-and-registry-models.md.

use crate::{OwnedPolicyResource, PolicyResource};
use aml_model::value::{Object, Shape, Value};

/// The mode whose definitions are evaluated on a deployment's view.
pub(crate) const REGISTRY_MODEL_MODE: &str = "Microsoft.MachineLearningServices.v2.Data";
/// The type of the view.
pub(crate) const DEPLOYMENT_VIEW_TYPE: &str =
    "Microsoft.MachineLearningServices.v2.Data/workspaces/deployments";
/// The ARM types whose resources have a view.
pub(crate) const DEPLOYMENT_TYPES: [&str; 2] = [
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
    "Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments",
];
/// The ARM path of the model on those types.
pub(crate) const MODEL_PATH: &str = "properties.model";

/// Whether `mode` is the registry-model data-plane mode.
pub(crate) fn is_registry_model_mode(mode: &str) -> bool {
    mode.eq_ignore_ascii_case(REGISTRY_MODEL_MODE)
}

/// Whether `resource_type` is an online or batch deployment.
pub(crate) fn is_deployment(resource_type: &str) -> bool {
    DEPLOYMENT_TYPES
        .iter()
        .any(|t| t.eq_ignore_ascii_case(resource_type))
}

/// The data-plane view of `r`: itself when it already has the view's type,
/// built from its model when it is an online or batch deployment, else `None`.
pub(crate) fn deployment_view(r: &PolicyResource) -> Option<OwnedPolicyResource> {
    if r.resource_type.eq_ignore_ascii_case(DEPLOYMENT_VIEW_TYPE) {
        return Some(OwnedPolicyResource::from(*r));
    }
    if !is_deployment(r.resource_type) {
        return None;
    }
    let model = r.body.get("properties").and_then(|p| p.get("model"));
    let asset = match model {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => o.get("assetId").cloned(),
        Some(v) => Some(v.clone()),
    };
    let mut view = Object::default();
    if let Some(asset) = asset {
        model_fields(&asset, &mut view);
    }
    let mut props = Object::default();
    props.insert("model".to_string(), Value::Object(view));
    let mut body = Object::default();
    body.insert("type".to_string(), Value::str(DEPLOYMENT_VIEW_TYPE));
    let name = r.full_name.rsplit('/').next().unwrap_or(r.full_name);
    body.insert("name".to_string(), Value::str(name));
    body.insert("properties".to_string(), Value::Object(props));
    Some(OwnedPolicyResource {
        id: r.id.to_string(),
        resource_type: DEPLOYMENT_VIEW_TYPE.to_string(),
        full_name: r.full_name.to_string(),
        api_version: None,
        location: None,
        body: Value::Object(body),
    })
}

/// The registry named by a model reference's text: `azureml://registries/<r>/...`
/// or an ARM id `.../providers/Microsoft.MachineLearningServices/registries/<r>/models/...`.
/// `(registry, is_arm_id)`.
fn registry_of(text: &str) -> Option<(&str, bool)> {
    let lower = text.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("azureml://registries/") {
        let at = text.len() - rest.len();
        let end = text[at..].find('/').map_or(text.len(), |i| at + i);
        return Some((&text[at..end], false));
    }
    let marker = "/providers/microsoft.machinelearningservices/registries/";
    let start = lower.find(marker)? + marker.len();
    let end = text[start..].find('/').map_or(text.len(), |i| start + i);
    lower[end..]
        .starts_with("/models/")
        .then_some((&text[start..end], true))
}

/// Fills `model.assetId`, `model.registryName` and `model.publisher` from
/// the model reference `asset` (a string, or an unknown with what is known
/// of its text).
fn model_fields(asset: &Value, view: &mut Object) {
    let text = match asset {
        Value::String(s) => s.clone(),
        Value::Unknown(u) => u.placeholder(),
        _ => return,
    };
    let registry = registry_of(&text);
    // A placeholder in the registry's own segment leaves it open.
    let registry_known = registry.filter(|(r, _)| !r.contains('['));
    match (asset, registry) {
        (Value::String(s), Some((_, true))) => {
            view.insert(
                "assetId".to_string(),
                Value::unknown(
                    format!("the asset id Azure records for registry model {s}"),
                    "the files name the model by its ARM id; the asset id the service evaluates is not in them",
                ),
            );
        }
        _ => {
            view.insert("assetId".to_string(), asset.clone());
        }
    }
    let open_reference = matches!(asset, Value::Unknown(_)) && registry.is_none();
    match registry_known {
        Some((r, _)) => {
            view.insert("registryName".to_string(), Value::str(r));
        }
        None if registry.is_some() || open_reference => {
            view.insert(
                "registryName".to_string(),
                Value::unknown_shaped(
                    format!("the registry of model {text}"),
                    "the files do not fix the model reference",
                    Shape::default(),
                ),
            );
        }
        None => return,
    }
    view.insert(
        "publisher".to_string(),
        Value::unknown(
            format!("the publisher of model {text} (set by its registry)"),
            "a registry model's publisher is in the registry's catalogue, not in the files",
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view_of(model: Value, ty: &str) -> Option<Value> {
        let mut props = Object::default();
        props.insert("model".into(), model);
        let mut body = Object::default();
        body.insert("properties".into(), Value::Object(props));
        let body = Value::Object(body);
        let r = PolicyResource {
            id: "/subscriptions/s/resourceGroups/rg/providers/x/d",
            resource_type: ty,
            full_name: "ws/ep/blue",
            api_version: None,
            location: None,
            body: &body,
        };
        deployment_view(&r).map(|v| {
            v.body
                .get("properties")
                .unwrap()
                .get("model")
                .unwrap()
                .clone()
        })
    }

    #[test]
    fn registry_models_have_a_registry_and_an_unknown_publisher() {
        let online = DEPLOYMENT_TYPES[0];
        let m = view_of(
            Value::str("azureml://registries/azureml-meta/models/Llama-2-7b/versions/3"),
            online,
        )
        .unwrap();
        assert_eq!(m.get("registryName"), Some(&Value::str("azureml-meta")));
        assert!(m.get("publisher").unwrap().is_unknown());
        // A batch deployment's asset reference; a workspace model.
        let mut reference = Object::default();
        reference.insert("referenceType".into(), Value::str("Id"));
        reference.insert("assetId".into(), Value::str("azureml:churn:3"));
        let m = view_of(Value::Object(reference), DEPLOYMENT_TYPES[1]).unwrap();
        assert_eq!(m.get("assetId"), Some(&Value::str("azureml:churn:3")));
        assert_eq!(m.get("registryName"), None);
        assert_eq!(m.get("publisher"), None);
        // The ARM id of a registry model: the registry is known, the asset id is not.
        let m = view_of(
            Value::str("/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/registries/shared/models/m/versions/1"),
            online,
        )
        .unwrap();
        assert_eq!(m.get("registryName"), Some(&Value::str("shared")));
        assert!(m.get("assetId").unwrap().is_unknown());
        // Not a deployment.
        assert!(view_of(
            Value::str("x"),
            "Microsoft.MachineLearningServices/workspaces"
        )
        .is_none());
    }
}
