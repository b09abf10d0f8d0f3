//! AMLB-PV3-001: environments and deployments pull images from trusted registries only.

use super::{CheckContext, Finding, Text};
use crate::rule::{Autofix, Rule, RuleKind, Severity};
use aml_model::value::Value;

pub static RULE: Rule = Rule {
    id: "AMLB-PV3-001",
    title: "Azure Machine Learning environments and deployments use images from the workspace's registry, Microsoft's registry or Azure ML registries",
    kind: RuleKind::Native { check },
    control: "PV-3",
    feature: Some("Custom Containers Images"),
    severity: Severity::Medium,
    enabled_by_default: true,
    fix: "Import the image into the workspace's container registry (`properties.containerRegistry`) and reference it as `<registry>.azurecr.io/...` in the environment's `properties.image`, or use an image from `mcr.microsoft.com` or an environment from an Azure ML registry (`azureml://registries/...`).",
    note: Some("Trusted sources: `mcr.microsoft.com`, the login server of the workspace's linked container registry, and Azure ML registries. An image with no registry host comes from Docker Hub. Environments built from a Dockerfile (`build`) are not checked: the base image is in the Dockerfile."),
    parameters: None,
    autofix: Autofix::None,
};

fn check(cx: &CheckContext<'_>) -> Option<Finding> {
    let r = cx.resource;
    let path = if r.is_type("Microsoft.MachineLearningServices/workspaces/environments/versions") {
        "properties.image"
    } else if r.is_type("Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments")
        || r.is_type("Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments")
    {
        "properties.environmentId"
    } else {
        return None;
    };
    let image = match cx.text(path) {
        Text::Known(i) => i.trim(),
        Text::Unknown(u) => return Finding::unknown(u, path),
        _ => return None,
    };
    let lower = image.to_ascii_lowercase();
    if lower.starts_with("azureml://registries/") {
        return Finding::pass(
            "the environment comes from an Azure ML registry",
            Some(path),
        );
    }
    if lower.starts_with("azureml:")
        || lower.starts_with("/subscriptions/")
        || lower.starts_with("azureml://")
    {
        // An environment asset of the workspace: its own image is checked where it is declared.
        return None;
    }
    let host = registry_host(&lower);
    if host == "mcr.microsoft.com" {
        return Finding::pass(
            "the image comes from Microsoft's registry (mcr.microsoft.com)",
            Some(path),
        );
    }
    match workspace_registry(cx) {
        Some(Ok(login)) if host == login => {
            Finding::pass(format!("the image comes from the workspace's registry ({login})"), Some(path))
        }
        Some(Err(u)) if host.ends_with(".azurecr.io") => Finding::unknown(u, path),
        _ => Finding::fail(
            format!("the image comes from `{host}`, which is neither the workspace's container registry nor mcr.microsoft.com"),
            Some(path),
        ),
    }
}

/// The registry host of an image reference (`docker.io` when none is named).
fn registry_host(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first.to_string()
        }
        _ => "docker.io".to_string(),
    }
}

/// The login server of the container registry linked to the resource's
/// workspace (`<name>.azurecr.io`), or the unknown value that decides it.
fn workspace_registry<'m>(cx: &CheckContext<'m>) -> Option<Result<String, &'m Value>> {
    let ws_id = workspace_id(&cx.resource.id)?;
    let ws = cx.find(&ws_id)?;
    match ws.get("properties.containerRegistry") {
        Some(Value::String(id)) => {
            let name = id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase();
            Some(Ok(format!("{name}.azurecr.io")))
        }
        Some(u @ Value::Unknown(_)) => Some(Err(u)),
        _ => None,
    }
}

/// The id of the workspace a child resource id belongs to.
fn workspace_id(id: &str) -> Option<String> {
    let lower = id.to_ascii_lowercase();
    let marker = "/providers/microsoft.machinelearningservices/workspaces/";
    let start = lower.find(marker)? + marker.len();
    let end = lower[start..]
        .find('/')
        .map(|i| start + i)
        .unwrap_or(id.len());
    Some(id[..end].to_string())
}
