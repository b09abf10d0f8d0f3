//! The entries of the report: files, diagnostics, resources and results as
//! the JSON report serialises them (`docs/json-report.md`), and why a result
//! is suppressed. The baseline roll-up, suppressions and renderers read them.

use aml_model::diagnostics::Level;
use aml_rules::Verdict;
use serde::Serialize;

/// A string shared by the entries that repeat it (a resource's id, type,
/// name and address, a file's path, a message: every result of a resource
/// holds them). Serialised, compared and shown as the string itself.
pub use aml_model::intern::Text as Shared;

/// Where a resource was read from: `code`, `live`, or `predicted` (the
/// resources a `bicep snapshot` file predicts).
pub fn source_of(r: &aml_model::model::Resource) -> &'static str {
    match r.format {
        "live" => "live",
        "bicep-snapshot" => "predicted",
        _ => "code",
    }
}

/// What the report's file account says of a file of `format`, when it
/// says something: a `bicep snapshot`'s verdicts are those of the resources
/// it predicts.
pub fn file_note(format: &str) -> Option<String> {
    (format == "bicep-snapshot").then(|| {
        "bicep snapshot: its verdicts are those of the predicted resources (the deployment as Bicep normalised it locally), not of deployed resources".to_string()
    })
}

#[derive(Debug, Serialize)]
pub struct FileEntry {
    pub path: String,
    /// `arm`, `arm-parameters`, `bicep`, ...; `none` for a skipped file.
    pub format: &'static str,
    /// Resources this file contributed (0 for parameter files and linked templates).
    pub resources: usize,
    /// The parameter file used with a template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<String>,
    /// `entry` (a deployment starts from it), `context` (read for another
    /// file: parameters, modules, linked templates, companions) or `skipped`.
    pub role: &'static str,
    /// For `context`: the file it was read for, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_of: Option<String>,
    /// For `skipped`: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What to know about the file's verdicts (a `bicep snapshot`'s are
    /// those of its predicted resources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DiagnosticEntry {
    pub level: Level,
    pub path: Shared,
    pub line: u32,
    pub column: u32,
    pub code: &'static str,
    pub message: Shared,
}

#[derive(Debug, Serialize)]
pub struct ResourceEntry {
    pub id: Shared,
    #[serde(rename = "type")]
    pub resource_type: Shared,
    pub name: Shared,
    pub path: Shared,
    pub line: u32,
    pub column: u32,
    /// Symbolic name (language version 2.0 templates), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// The Terraform address (`module.ml.azurerm_x.this[0]`), for Terraform resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Shared>,
    pub format: &'static str,
    /// `code` (a template, Bicep, Terraform) or `live` (an export of deployed resources).
    pub source: &'static str,
    /// `existing` references are read, not deployed.
    pub existing: bool,
    /// `yes`, or `unknown` when a condition the files do not fix decides it.
    pub deployed: &'static str,
    /// Rules that ran, target this resource's type and gave it no result, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_applicable: Vec<NotApplicableEntry>,
}

/// A rule that gave a resource of a type it targets no result, and why.
#[derive(Clone, Debug, Serialize)]
pub struct NotApplicableEntry {
    pub rule: Shared,
    /// The assignment's id, for a rule of the user's assignments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment: Option<Shared>,
    /// Shared with the rule account's entries of the same reason.
    pub reason: Shared,
}

/// The resource types a rule that ran can give a result on.
#[derive(Clone, Debug, Serialize)]
pub struct RuleTargetsEntry {
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment: Option<String>,
    /// Full types, or `Provider/*` for a provider's every type; `null`: any type.
    pub types: Option<Vec<String>>,
    /// Present and true when the rule judges code only, never a live export's resources.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub code_only: bool,
}

impl From<&aml_rules::account::RuleTargets> for RuleTargetsEntry {
    fn from(t: &aml_rules::account::RuleTargets) -> Self {
        RuleTargetsEntry {
            rule: t.rule.clone(),
            assignment: t.assignment.clone(),
            types: t.types.clone(),
            code_only: t.code_only,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ResultEntry {
    pub rule: &'static str,
    /// The Azure Policy definition's name (GUID) for policy rules, else null.
    pub policy: Option<&'static str>,
    pub control: &'static str,
    pub feature: Option<&'static str>,
    pub result: Verdict,
    pub severity: &'static str,
    pub resource_id: Shared,
    pub resource_type: Shared,
    pub resource_name: Shared,
    /// The resource's index in the report's `resources[]` (several resources
    /// can share an id: the same id declared in two files).
    pub resource_index: u32,
    /// `code` when the resource was read from a template, Bicep or Terraform;
    /// `live` when it was read from an export of deployed resources;
    /// `predicted` when it is one a `bicep snapshot` file predicts.
    pub source: &'static str,
    /// What Azure says for the same policy definition and resource, when a
    /// live export holds it (`collect --policy-states`), or, for a result of
    /// an assignment's `deny`, what `checkPolicyRestrictions` answered
    /// (`scan --verify-online`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure: Option<Box<AzureEntry>>,
    /// The restrictions Azure Policy places on the resource's fields through
    /// the result's definition, as `checkPolicyRestrictions` answered
    /// (`scan --verify-online`): the values a fix may choose from.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub field_restrictions: Box<[FieldRestrictionEntry]>,
    /// The Terraform address of the resource, for Terraform resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Shared>,
    pub path: Shared,
    pub line: u32,
    pub column: u32,
    pub message: Shared,
    /// The Azure Policy effect a failing policy rule would have; for a
    /// result of a policy assignment, the effect the assignment gives, in
    /// lower case (`deny`, `audit`, ...), whatever the verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<Shared>,
    /// The id of the policy assignment the result is of (`scan --assignments`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment: Option<Shared>,
    /// True when Azure would reject the deployment for this result: an
    /// enforced assignment's `deny` whose condition holds.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub denied: bool,
    /// True for an `unknown` result Azure would reject the deployment for
    /// if it failed: an enforced `deny` whose condition the files do not decide.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub may_be_denied: bool,
    /// A public report that the definition misjudges this kind of resource
    /// (an AI Foundry project): `id`, `summary`, `url`. The verdict stays Azure's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_issue: Option<&'static aml_rules::kinds::KnownIssue>,
    /// For unknown results: the expressions whose values decide.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub deciding: Box<[String]>,
    /// For a pass that a related resource satisfied (auditIfNotExists,
    /// deployIfNotExists): that resource and where it is declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Box<Evidence>>,
    /// What the baseline roll-up counts instead of `result` (a project
    /// judged by its hub's posture; a known misjudgement not counted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollup: Option<Box<aml_rules::kinds::Rollup>>,
    /// How to fix a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<&'static str>,
    /// Why a failing or unknown result does not count (waiver, inline comment, baseline report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Box<Suppression>>,
    /// Where the text at `line:column` ends: the position just after it
    /// (1-based, exclusive, like SARIF's `endColumn`).
    pub end_line: u32,
    pub end_column: u32,
    /// The lower-case dotted path of the property at `line:column`
    /// (`properties.publicnetworkaccess`), or null when it is the resource's
    /// declaration. Fingerprints use it instead of line numbers.
    pub property: Option<Shared>,
    /// The edit `aml-baseline fix` would make for this failure (safe fixes
    /// only), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autofix: Option<Box<AutofixEntry>>,
}

/// An automatic fix of one result: its replacements per file, and the diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AutofixEntry {
    /// `safe`: what `aml-baseline fix` applies without `--unsafe`.
    pub safety: &'static str,
    /// What the fix does, in one line per change.
    pub description: String,
    pub changes: Vec<AutofixChange>,
    /// The unified diff of the change (secrets redacted).
    pub diff: String,
}

/// The replacements of one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AutofixChange {
    pub path: String,
    pub replacements: Vec<AutofixReplacement>,
}

/// Replace the text from `start_line:start_column` up to (not including)
/// `end_line:end_column` with `text`; equal positions insert. Lines and
/// columns are 1-based, columns count characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AutofixReplacement {
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub text: String,
}

/// One restriction `checkPolicyRestrictions` reported on a field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldRestrictionEntry {
    /// `location`, `tags.env`, or an Azure Policy alias.
    pub field: String,
    /// `Required` (the values are the ones allowed), `Deny` (the values are
    /// denied), `Removed` or `Audit`.
    pub result: String,
    pub values: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    /// The policy's effect (`Deny`, ...).
    pub effect: String,
    /// The assignment's id.
    pub assignment: String,
    pub reason: String,
}

/// Azure's verdict beside ours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AzureEntry {
    /// `azure-policy`, `defender-for-cloud` or `check-policy-restrictions`.
    pub source: &'static str,
    /// Azure's state: `Compliant`, `NonCompliant`, `Healthy`, `Unhealthy`,
    /// ..., or `Denied`/`NotDenied` (`check-policy-restrictions`).
    pub state: String,
    /// Whether Azure confirms our verdict: `true`, `false`, or `null` when
    /// one side decides nothing (our `unknown`, Azure's exempt or not applicable).
    pub agrees: Option<bool>,
}

/// How our verdicts compare with Azure's, over the results that have both.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AzureComparison {
    /// Results with an Azure verdict beside.
    pub compared: usize,
    /// Of those, the ones Azure confirms.
    pub confirmed: usize,
    /// Every result where Azure says otherwise.
    pub disagreements: Vec<Disagreement>,
}

/// One result where Azure's verdict differs from ours.
#[derive(Clone, Debug, Serialize)]
pub struct Disagreement {
    pub rule: &'static str,
    pub resource_id: String,
    pub ours: Verdict,
    pub azure: String,
    pub source: &'static str,
}

impl ResultEntry {
    /// What renderers add after the resource's name: nothing for code, the
    /// resource id for a result read from live state, and that it is a
    /// prediction for a resource of a `bicep snapshot`.
    pub fn live_suffix(&self) -> String {
        match self.source {
            "live" => format!(" (live: {})", self.resource_id),
            "predicted" => " (predicted by bicep snapshot)".to_string(),
            _ => String::new(),
        }
    }
}

/// The resource that satisfied a result, and where it is declared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub resource_id: String,
    pub resource_type: String,
    pub resource_name: String,
    pub path: String,
    pub line: u32,
    pub column: u32,
}

/// Why a result does not count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Suppression {
    Waiver {
        justification: String,
        expires: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        ticket: Option<String>,
    },
    Inline {
        reason: String,
        path: String,
        line: u32,
    },
    Baseline {
        file: String,
    },
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    /// A scan holds one entry per result (490,913 for a 100,000-resource
    /// live export): their size is the report's memory. 416 bytes before
    /// issue 20's fifth round.
    #[test]
    fn entries_stay_small() {
        assert!(std::mem::size_of::<super::ResultEntry>() <= 288);
        assert!(std::mem::size_of::<super::DiagnosticEntry>() <= 48);
        assert_eq!(std::mem::size_of::<super::Shared>(), 8);
    }
}
