//! Azure Policy's own answer on a resource before it exists: what Policy
//! Insights' `checkPolicyRestrictions` is asked ([`Target`]) and what it
//! answers ([`Restrictions`]), the vocabulary shared by the scan, which
//! chooses what to ask, the collector, which asks, and the report, which
//! sets the answer beside our verdicts (`scan --verify-online`).

/// Where Azure is asked: the scope the resource would be created in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckScope {
    /// `/subscriptions/{sub}/resourceGroups/{rg}`.
    ResourceGroup {
        subscription: String,
        resource_group: String,
    },
    /// `/subscriptions/{sub}` (resources deployed at subscription scope).
    Subscription { subscription: String },
    /// `/providers/Microsoft.Management/managementGroups/{mg}`.
    ManagementGroup { group: String },
}

impl CheckScope {
    /// The scope's ARM id.
    pub fn id(&self) -> String {
        match self {
            CheckScope::ResourceGroup {
                subscription,
                resource_group,
            } => format!("/subscriptions/{subscription}/resourceGroups/{resource_group}"),
            CheckScope::Subscription { subscription } => format!("/subscriptions/{subscription}"),
            CheckScope::ManagementGroup { group } => {
                format!("/providers/Microsoft.Management/managementGroups/{group}")
            }
        }
    }
}

/// One resource to ask about.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The resource's id in the model (to file the answer under).
    pub resource_id: String,
    pub scope: CheckScope,
    /// `resourceDetails.resourceContent`: what the files fix of the resource
    /// (`type`, `name`, `location`, `properties`, ...), unknown values left out.
    pub content: serde_json::Value,
    /// `resourceDetails.apiVersion`.
    pub api_version: Option<String>,
    /// `resourceDetails.scope`: the parent's id, for a child resource.
    pub parent: Option<String>,
    /// `pendingFields`: the fields (`location`, aliases) whose restrictions
    /// are wanted.
    pub pending_fields: Vec<String>,
}

/// The policy behind a restriction or an evaluation (`PolicyReference`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyRef {
    pub definition_id: String,
    pub assignment_id: String,
    pub set_definition_id: String,
    pub reference_id: String,
}

impl PolicyRef {
    /// The definition's name (the last segment of its id), lower case.
    pub fn definition(&self) -> String {
        last_segment(&self.definition_id)
    }

    /// The assignment's name (the last segment of its id), lower case.
    pub fn assignment(&self) -> String {
        last_segment(&self.assignment_id)
    }
}

fn last_segment(id: &str) -> String {
    id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase()
}

/// The restriction one policy places on one field (`FieldRestriction`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldRestriction {
    /// `location`, `tags.env`, or an alias.
    pub field: String,
    /// `Required`, `Removed`, `Deny` or `Audit`.
    pub result: String,
    /// The values policy requires (`Required`) or denies (`Deny`).
    pub values: Vec<String>,
    /// The value policy sets when none is given.
    pub default_value: Option<String>,
    pub policy: PolicyRef,
    /// The policy's effect (`Deny`, `Modify`, ...).
    pub effect: String,
    pub reason: String,
}

/// A policy that finds the given content non-compliant (`PolicyEvaluationResult`):
/// with `includeAuditEffect` off, one that would deny it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evaluation {
    pub policy: PolicyRef,
    /// `NonCompliant`, or another value when Azure could not evaluate.
    pub result: String,
    /// `effectDetails.policyEffect`.
    pub effect: String,
}

/// Azure's answer for one resource.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Restrictions {
    /// `fieldRestrictions`, one entry per field and policy.
    pub fields: Vec<FieldRestriction>,
    /// `contentEvaluationResult.policyEvaluations`.
    pub evaluations: Vec<Evaluation>,
}

impl Restrictions {
    /// Whether Azure would deny the content for definition `name` (case-insensitive).
    pub fn denies(&self, name: &str) -> bool {
        self.evaluations.iter().any(|e| {
            e.policy.definition().eq_ignore_ascii_case(name)
                && e.result.eq_ignore_ascii_case("noncompliant")
                && e.effect.eq_ignore_ascii_case("deny")
        })
    }

    /// Azure's verdict for definition `name`: `Denied` when it would deny
    /// the content, the evaluation's own result when Azure could not decide
    /// (an `evaluationResult` other than `NonCompliant`), else `NotDenied`.
    pub fn verdict(&self, name: &str) -> String {
        if self.denies(name) {
            return "Denied".to_string();
        }
        self.evaluations
            .iter()
            .find(|e| {
                e.policy.definition().eq_ignore_ascii_case(name)
                    && !e.result.eq_ignore_ascii_case("noncompliant")
            })
            .map(|e| {
                if e.result.is_empty() {
                    "Unknown".to_string()
                } else {
                    e.result.clone()
                }
            })
            .unwrap_or_else(|| "NotDenied".to_string())
    }

    /// The restrictions definition `name` places on fields.
    pub fn of_definition<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a FieldRestriction> {
        self.fields
            .iter()
            .filter(move |f| f.policy.definition().eq_ignore_ascii_case(name))
    }
}

/// Asks Azure about resources: one answer or error (a message) per target,
/// in order (`scan --verify-online`; the collector implements it).
pub trait Verifier: Send + Sync + std::fmt::Debug {
    fn check(&self, targets: &[Target]) -> Vec<Result<Restrictions, String>>;
}
