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
    /// Whether `aml-baseline fix` can fix a failure, and how safely.
    pub autofix: Autofix,
}

/// How safe an automatic fix is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    /// Changes only the failing setting; `fix` applies it.
    Safe,
    /// Can break a working deployment; `fix` applies it only with `--unsafe`.
    Unsafe,
}

impl Safety {
    pub fn as_str(self) -> &'static str {
        match self {
            Safety::Safe => "safe",
            Safety::Unsafe => "unsafe",
        }
    }
}

/// One setting a fix writes: an ARM property and the value it takes.
#[derive(Clone, Copy, Debug)]
pub struct Setting {
    /// The ARM path (`properties.publicNetworkAccess`), from the resource.
    pub path: &'static str,
    /// The value to write, as JSON text (`"Disabled"`, `true`, `0`).
    pub value: &'static str,
    /// Other values (JSON text) that already comply: the setting is left alone.
    pub accept: &'static [&'static str],
    /// Compute types (`ComputeInstance`, `AmlCompute`) the setting is for;
    /// empty for every resource the rule checks.
    pub compute_types: &'static [&'static str],
    /// The Terraform attribute that holds the setting, when one does.
    pub terraform: Option<TerraformSetting>,
}

/// Where a [`Setting`] lives in a Terraform resource block.
#[derive(Clone, Copy, Debug)]
pub struct TerraformSetting {
    /// Nested block names from the resource block (`scale_settings`), or none.
    pub blocks: &'static [&'static str],
    pub attribute: &'static str,
    /// The value, as HCL text (`false`, `"TLS1_2"`, `0`).
    pub value: &'static str,
}

/// A resource a fix would add: printed as a snippet, never written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnippetKind {
    /// A private endpoint to the workspace (`amlworkspace`).
    PrivateEndpoint,
    /// A diagnostic setting on the workspace with every log.
    DiagnosticSetting,
    /// A customer-managed key for the workspace.
    CustomerManagedKey,
}

impl SnippetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SnippetKind::PrivateEndpoint => "private-endpoint",
            SnippetKind::DiagnosticSetting => "diagnostic-setting",
            SnippetKind::CustomerManagedKey => "customer-managed-key",
        }
    }
}

/// Whether a rule has an automatic fix, and what it is.
#[derive(Clone, Copy, Debug)]
pub enum Autofix {
    /// Nothing `fix` can write: the change needs a person (a secret to move,
    /// a role to narrow, an image to choose).
    None,
    /// Sets properties of the failing resource.
    Set {
        safety: Safety,
        settings: &'static [Setting],
    },
    /// Sets what the rule's Azure Policy Modify definition sets: its
    /// `operations` (`addOrReplace` of an alias to a value) drive the edit.
    Modify { safety: Safety },
    /// Needs a resource the files do not have: `fix` prints it as a snippet
    /// in the file's language and writes nothing.
    Snippet(SnippetKind),
}

impl Autofix {
    /// `safe`, `unsafe`, `snippet` or `none`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Autofix::None => "none",
            Autofix::Set { safety, .. } | Autofix::Modify { safety } => safety.as_str(),
            Autofix::Snippet(_) => "snippet",
        }
    }

    /// One line for `rules` and `explain`.
    pub fn describe(&self) -> String {
        match self {
            Autofix::None => "none: the change needs a person".to_string(),
            Autofix::Set { safety, settings } => {
                let what: Vec<String> = settings
                    .iter()
                    .map(|s| format!("`{}` = `{}`", s.path, s.value))
                    .collect();
                format!(
                    "{}: `aml-baseline fix{}` sets {}",
                    safety.as_str(),
                    if *safety == Safety::Unsafe {
                        " --unsafe"
                    } else {
                        ""
                    },
                    what.join(", ")
                )
            }
            Autofix::Modify { safety } => format!(
                "{}: `aml-baseline fix{}` applies the Modify definition's `operations`",
                safety.as_str(),
                if *safety == Safety::Unsafe {
                    " --unsafe"
                } else {
                    ""
                },
            ),
            Autofix::Snippet(kind) => format!(
                "snippet: `aml-baseline fix` prints a {} to add (never written)",
                kind.as_str().replace('-', " ")
            ),
        }
    }
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
