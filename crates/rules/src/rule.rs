//! A rule: its id, control and feature, severity, fix, and what it runs.

use crate::check::CheckFn;
use serde::Serialize;

/// How much a failure matters; `--fail-on` compares against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// What a rule runs.
#[derive(Clone, Copy)]
pub enum RuleKind {
    /// A built-in Azure Policy definition, by its full GUID.
    Policy { definition: &'static str },
    /// A check written in Rust: called once per deployed resource of the
    /// model; an empty result means the rule does not apply to it.
    Native { check: CheckFn },
}

impl std::fmt::Debug for RuleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleKind::Policy { definition } => write!(f, "Policy({definition})"),
            RuleKind::Native { .. } => write!(f, "Native"),
        }
    }
}

/// A rule's description and mapping. All fields are static data.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable id, e.g. `AMLB-POL-438c38d2`.
    pub id: &'static str,
    /// What a compliant resource looks like, in one line.
    pub title: &'static str,
    pub kind: RuleKind,
    /// Baseline control id (`NS-2`).
    pub control: &'static str,
    /// Baseline feature name, as in the baseline's feature table; `None` when
    /// the control has no feature this rule belongs to.
    pub feature: Option<&'static str>,
    pub severity: Severity,
    /// Whether `scan` runs the rule unless the configuration says otherwise.
    /// Modify/DeployIfNotExists twins of an audit rule and deprecated
    /// definitions are off by default, so one setting is reported once.
    pub enabled_by_default: bool,
    /// What to change, in one sentence naming the ARM property.
    pub fix: &'static str,
    /// Where the baseline and the built-in policy disagree, or other caveats.
    pub note: Option<&'static str>,
    /// Assignment parameters this product uses instead of the definition's
    /// defaults (JSON object text), e.g. 6ddb1705's isolation mode.
    pub parameters: Option<&'static str>,
}

impl Rule {
    /// The policy definition GUID of a policy rule.
    pub fn policy(&self) -> Option<&'static str> {
        match self.kind {
            RuleKind::Policy { definition } => Some(definition),
            RuleKind::Native { .. } => None,
        }
    }

    /// `policy` or `native`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            RuleKind::Policy { .. } => "policy",
            RuleKind::Native { .. } => "native",
        }
    }
}
