//! Azure Policy evaluation: the built-in Azure ML definitions (and users' own)
//! evaluated against ARM resources with the `regorus` crate's Azure Policy engine.
//!
//! regorus parses, compiles and runs a definition; this module is the *host*
//! around it (docs/decisions/0002-policy-engine.md):
//!
//! - the shipped alias catalogue (`catalogue`) and built-in definitions;
//! - pre-compile rewrites of the definition JSON (`rewrite`): legacy array
//!   aliases, and the separate *applicability* condition;
//! - resource preparation (`resource`): key casing, host fields, unknowns;
//! - evaluation (`engine`): mode, parameters, applicability,
//!   auditIfNotExists / deployIfNotExists lookups;
//! - unknown values (`unknowns`): alternatives and their verdict.
//!
//! [`PolicyEngine`] is the entry point; [`PolicyEngine::builtin`] holds the
//! shipped definitions.

pub mod arm_resource;
mod assignment;
mod builtin;
mod catalogue;
mod dataplane;
mod engine;
mod explain;
mod memo;
mod modify;
mod normalise;
mod projection;
mod resource;
mod rewrite;
#[cfg(test)]
mod test_support;
mod traps;
mod unknowns;

use aml_model::value::Value;

pub use assignment::{
    contains, parse_assignments, shipped_initiatives, Applicability, Assignment, AssignmentFile,
    AssignmentSet, Binding, Containment, DeploymentScope, Exemption, Initiative, Member,
    PolicyLibrary,
};
pub use engine::{merge_compared_values, PolicyEngine, ResourceCache};
pub use modify::{modify_operations, ModifyOperation};
pub use traps::{parameter_traps, TrapFinding};

/// GUID of the built-in "Azure Machine Learning and Ai Studio should use Allow
/// Only Approved Outbound Managed Vnet mode" (`ManagedNetworkIsolationMode_Audit`).
pub const MANAGED_NETWORK_ISOLATION_MODE: &str = "6ddb1705-c8cf-450e-aa4b-19ad6703c440";

/// The assignment parameters the product uses for a built-in definition, on
/// top of the definition's own defaults (empty for most definitions).
///
/// For `6ddb1705` (managed network isolation mode) this is `isolationMode =
/// AllowOnlyApprovedOutbound`: the built-in's own default, `Disabled`, would
/// pass every workspace that has no managed network at all, which contradicts
/// the baseline's NS-1/NS-2 guidance to isolate the workspace network.
/// `name` is the definition GUID or its first 8 hex digits.
pub fn default_assignment_parameters(name: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut params = serde_json::Map::new();
    if matches_name(MANAGED_NETWORK_ISOLATION_MODE, name) {
        params.insert(
            "isolationMode".into(),
            serde_json::Value::from("AllowOnlyApprovedOutbound"),
        );
    }
    params
}

/// True when `query` is `guid` (case-insensitive) or its first 8 hex digits.
fn matches_name(guid: &str, query: &str) -> bool {
    guid.eq_ignore_ascii_case(query)
        || (query.len() == 8 && guid.get(..8).is_some_and(|p| p.eq_ignore_ascii_case(query)))
}

/// One policy definition known to an engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDefinition {
    /// The definition's `name` (a GUID for built-ins; the file stem when absent).
    pub name: String,
    /// `properties.displayName`.
    pub display_name: String,
    /// `properties.description`.
    pub description: String,
    /// `properties.mode` (`All`, `Indexed`, or a data-plane mode); `All` when absent.
    pub mode: String,
    /// `properties.version`, or `properties.metadata.version`.
    pub version: Option<String>,
    /// The effect with default parameters (`Audit`, `AuditIfNotExists`, ...),
    /// or the effect expression as written when it cannot be resolved.
    pub default_effect: String,
    /// Whether [`PolicyEngine::evaluate`] can evaluate it against ARM resources.
    pub evaluable: Evaluability,
    /// Resource types named by the `if`'s `type` conditions (`equals`/`in`,
    /// parameter defaults resolved), as written; for the registry-model mode
    /// (`Microsoft.MachineLearningServices.v2.Data`), followed by the online
    /// and batch deployment types it is evaluated on.
    pub resource_types: Vec<String>,
    /// The aliases the definition reads (in `if` and `existenceCondition`), as written.
    pub fields: Vec<String>,
    /// Where the definition came from (`builtin/...` for the shipped ones).
    pub source_path: String,
}

/// Whether a definition can be evaluated offline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evaluability {
    /// An ARM-mode (`All`/`Indexed`) definition that compiled.
    Evaluable,
    /// A resource-provider (data-plane) mode definition, e.g.
    /// `Microsoft.MachineLearningServices.Data`: it governs data-plane
    /// operations, which templates do not contain. (The registry-model mode,
    /// `Microsoft.MachineLearningServices.v2.Data`, is `Evaluable`: it reads
    /// the model of online and batch deployments.)
    DataPlane { reason: String },
    /// The definition parsed but regorus could not compile it.
    CompileError { message: String },
}

/// A definition file that could not be loaded (or compiled), with the
/// position of the problem in that file (1-based; 1:1 when unknown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyLoadError {
    /// The path given with the definition text.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// What is wrong, without the position.
    pub message: String,
}

impl std::fmt::Display for PolicyLoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.col, self.message
        )
    }
}

impl std::error::Error for PolicyLoadError {}

/// A resource to evaluate, borrowed from the deployment model.
#[derive(Clone, Copy, Debug)]
pub struct PolicyResource<'a> {
    /// Canonical resource id (`/subscriptions/.../providers/...`).
    pub id: &'a str,
    /// Full resource type, e.g. `Microsoft.MachineLearningServices/workspaces/computes`.
    pub resource_type: &'a str,
    /// Full name: `ws/ci` for a child resource.
    pub full_name: &'a str,
    /// The resource's API version, used for versioned alias paths.
    pub api_version: Option<&'a str>,
    /// Location, when the body does not carry one.
    pub location: Option<&'a str>,
    /// The ARM resource object (`type`, `name`, `location`, `kind`, `sku`,
    /// `identity`, `tags`, `properties`, ...); may contain [`Value::Unknown`].
    pub body: &'a Value,
}

/// An owned [`PolicyResource`], as returned by [`RelatedResources`].
#[derive(Clone, Debug, PartialEq)]
pub struct OwnedPolicyResource {
    /// See [`PolicyResource::id`].
    pub id: String,
    /// See [`PolicyResource::resource_type`].
    pub resource_type: String,
    /// See [`PolicyResource::full_name`].
    pub full_name: String,
    /// See [`PolicyResource::api_version`].
    pub api_version: Option<String>,
    /// See [`PolicyResource::location`].
    pub location: Option<String>,
    /// See [`PolicyResource::body`].
    pub body: Value,
}

impl OwnedPolicyResource {
    /// Borrows it as a [`PolicyResource`].
    pub fn as_resource(&self) -> PolicyResource<'_> {
        PolicyResource {
            id: &self.id,
            resource_type: &self.resource_type,
            full_name: &self.full_name,
            api_version: self.api_version.as_deref(),
            location: self.location.as_deref(),
            body: &self.body,
        }
    }
}

impl From<PolicyResource<'_>> for OwnedPolicyResource {
    fn from(r: PolicyResource<'_>) -> Self {
        OwnedPolicyResource {
            id: r.id.to_string(),
            resource_type: r.resource_type.to_string(),
            full_name: r.full_name.to_string(),
            api_version: r.api_version.map(str::to_string),
            location: r.location.map(str::to_string),
            body: r.body.clone(),
        }
    }
}

/// Finds the related resources of an auditIfNotExists / deployIfNotExists
/// definition in the deployment model.
pub trait RelatedResources {
    /// Candidates of type `related_type` for the primary resource
    /// `primary_id`: its children or extension resources of that type (for
    /// example its `Microsoft.Insights/diagnosticSettings`), filtered by
    /// `name` when the definition names one.
    fn related(
        &self,
        primary_id: &str,
        related_type: &str,
        name: Option<&str>,
    ) -> Vec<OwnedPolicyResource>;

    /// Candidates that may be related: their link to the primary resource
    /// (an extension `scope`, a parent) is an id the files do not fix. Each
    /// comes with the text of what decides it. None by default.
    fn maybe_related(
        &self,
        _primary_id: &str,
        _related_type: &str,
        _name: Option<&str>,
    ) -> Vec<(OwnedPolicyResource, String)> {
        Vec::new()
    }

    /// Whether [`RelatedResources::related`] or
    /// [`RelatedResources::maybe_related`] finds any candidate of
    /// `related_type`, whatever its name (an implementation may answer
    /// without copying them).
    fn has_candidates(&self, primary_id: &str, related_type: &str) -> bool {
        !self.related(primary_id, related_type, None).is_empty()
            || !self
                .maybe_related(primary_id, related_type, None)
                .is_empty()
    }
}

/// [`RelatedResources`] that also returns the maybe-related candidates, and
/// remembers what decides them.
pub(crate) struct WithMaybes<'a> {
    pub inner: &'a dyn RelatedResources,
    pub deciding: std::cell::RefCell<Vec<String>>,
}

impl RelatedResources for WithMaybes<'_> {
    fn related(
        &self,
        primary_id: &str,
        related_type: &str,
        name: Option<&str>,
    ) -> Vec<OwnedPolicyResource> {
        let mut found = self.inner.related(primary_id, related_type, name);
        for (candidate, deciding) in self.inner.maybe_related(primary_id, related_type, name) {
            let mut d = self.deciding.borrow_mut();
            if !d.contains(&deciding) {
                d.push(deciding);
            }
            found.push(candidate);
        }
        found
    }
}

/// A [`RelatedResources`] that knows no resources.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRelated;

impl RelatedResources for NoRelated {
    fn related(&self, _: &str, _: &str, _: Option<&str>) -> Vec<OwnedPolicyResource> {
        Vec::new()
    }
}

impl PolicyOutcome {
    /// Compliant, with no related resource to name.
    pub const COMPLIANT: PolicyOutcome = PolicyOutcome::Compliant { satisfied_by: None };

    /// The same verdict (and effect, deciding values, message), whatever
    /// evidence each gives.
    pub fn same_verdict(&self, other: &PolicyOutcome) -> bool {
        match (self, other) {
            (PolicyOutcome::Compliant { .. }, PolicyOutcome::Compliant { .. }) => true,
            (a, b) => a == b,
        }
    }
}

/// A condition of a definition's `if`, false for one resource: the field's
/// ARM path, its value there (`None` when not set; strings quoted), and the
/// values the condition looks for, as they would be written (see
/// [`PolicyEngine::selection_miss`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectionMiss {
    pub path: String,
    pub value: Option<String>,
    pub expected: Vec<String>,
}

/// What Azure Policy would report for one definition and one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyOutcome {
    /// The definition does not apply: its `type`/`name`/`kind` conditions are
    /// false, its mode excludes the resource type, or its effect is `Disabled`.
    NotApplicable,
    /// Applicable and compliant. For auditIfNotExists/deployIfNotExists,
    /// `satisfied_by` is the id of the related resource that met the
    /// existence condition (the first candidate that did).
    Compliant { satisfied_by: Option<String> },
    /// Applicable and non-compliant, with the effect Azure would apply
    /// (`Audit`, `Deny`, `Modify`, `AuditIfNotExists`, `DeployIfNotExists`...).
    NonCompliant { effect: String },
    /// The outcome depends on values the files do not determine; `deciding`
    /// holds their expressions ([`aml_model::value::Unknown::expr`]).
    Unknown { deciding: Vec<String> },
    /// The definition could not be evaluated (missing parameter, runtime error...).
    Error { message: String },
}

/// Where a problem of an assignment made from the definition or initiative
/// file `path` is shown: for an initiative's members, the line of its
/// `policyDefinitions` list (the first member a message names, when it can
/// be found), else the file.
pub fn problem_location(path: &str, message: &str) -> aml_model::diagnostics::Location {
    use aml_model::diagnostics::Location;
    let text = std::fs::metadata(path)
        .ok()
        .filter(|m| m.len() <= 32 * 1024 * 1024)
        .and_then(|_| std::fs::read_to_string(path).ok());
    let Some(text) = text else {
        return Location::Path(path.to_string());
    };
    // `... members of initiative 'x' name definitions ... (a, b, ...)`: the first named.
    let named = message
        .rsplit_once(" (")
        .and_then(|(_, list)| list.split([',', ')']).next())
        .map(str::trim)
        .filter(|n| !n.is_empty() && message.contains("members of initiative"));
    let at = named
        .and_then(|n| text.find(n))
        .or_else(|| text.find("\"policyDefinitions\""));
    match at {
        Some(offset) => {
            let before = &text[..offset];
            let line = before.matches('\n').count() as u32 + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() as u32 + 1;
            Location::Position {
                path: path.to_string(),
                line,
                column,
            }
        }
        None => Location::Path(path.to_string()),
    }
}
