//! The baseline report: for each control and feature of the *Azure security
//! baseline for Machine Learning Service*, a status computed from the rule
//! results, the catalogue and the user's attestations.
//!
//! The catalogue (`data/baseline/catalogue.json`, shipped in the binary) is
//! the baseline's full feature table with descriptions and guidance in our
//! own words.
//!
//! A feature's status:
//! - **not applicable**: the service does not support the feature;
//! - **fail** / **unknown** / **pass**: from the results of the rules mapped
//!   to it (any fail → fail; else any unknown → unknown; else pass), each
//!   counted as its `rollup` says when it has one (a project judged by its
//!   hub; a known misjudgement of its kind not counted; see
//!   `aml_rules::kinds`);
//! - **platform**: Microsoft's responsibility and on by default, with no rule
//!   result saying otherwise;
//! - **manual**: no file can show it (or no rule covers it yet): it needs an
//!   attestation in the configuration; a valid attestation makes it pass, an
//!   expired one is reported and does not count;
//! - a feature that files can show but no resource in the scan is in scope of
//!   its rules is **unknown**.
//!
//! A control's status is the worst of its features, in the order fail,
//! unknown, manual, pass, platform, not applicable.

use crate::config::{Attestation, Date};
use crate::entry::ResultEntry;
pub use aml_rules::catalogue::{catalogue, Catalogue, CatalogueControl, CatalogueFeature};
use aml_rules::{Rule, Verdict};
use rayon::prelude::*;
use serde::Serialize;

/// The status of a feature or control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Fail,
    Unknown,
    Manual,
    Pass,
    Platform,
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::Manual => "manual",
            Status::Pass => "pass",
            Status::Platform => "platform",
            Status::NotApplicable => "not_applicable",
        }
    }
}

/// The baseline section of the report.
#[derive(Debug, Serialize)]
pub struct Baseline {
    pub benchmark: &'static str,
    pub baseline: &'static str,
    pub controls: Vec<ControlStatus>,
}

#[derive(Debug, Serialize)]
pub struct ControlStatus {
    pub id: &'static str,
    pub domain: &'static str,
    pub title: &'static str,
    pub status: Status,
    pub features: Vec<FeatureStatus>,
}

#[derive(Debug, Serialize)]
pub struct FeatureStatus {
    pub name: String,
    /// False for checks this tool adds under a control that has no baseline feature for them.
    pub in_baseline: bool,
    pub supported: bool,
    pub enabled_by_default: Option<bool>,
    pub responsibility: String,
    pub status: Status,
    pub description: String,
    pub guidance: String,
    pub reference: Option<String>,
    /// Ids of the rules that ran for this feature.
    pub rules: Vec<&'static str>,
    pub evidence: Vec<Evidence>,
}

/// Why a feature has its status.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// Counts of the rule results behind the status, with the failing and
    /// unknown ones listed (pass results are counted, not listed).
    Results {
        passed: usize,
        failed: usize,
        unknown: usize,
        /// Failing or unknown results accepted by a waiver, an inline comment or a baseline report.
        suppressed: usize,
        findings: Vec<EvidenceFinding>,
    },
    /// A person's attestation from the configuration.
    Attestation {
        by: String,
        evidence: String,
        expires: String,
        expired: bool,
    },
    /// A sentence explaining the status.
    Note { message: String },
}

/// A failing or unknown result behind a feature's status.
#[derive(Clone, Debug, Serialize)]
pub struct EvidenceFinding {
    pub rule: &'static str,
    pub result: Verdict,
    /// Shared with the result's entry.
    pub resource_id: crate::entry::Shared,
    pub path: crate::entry::Shared,
    pub line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Box<crate::suppress::Suppression>>,
}

/// Computes the status of every control and feature.
pub fn assess(
    rules: &[&'static Rule],
    results: &[ResultEntry],
    attestations: &[Attestation],
    today: Date,
) -> Baseline {
    let cat = catalogue();
    let by_rule = ResultsByRule::new(results);
    // Controls and their features judged on every thread (each gathers its
    // rules' results), kept in the catalogue's order.
    let controls = cat
        .controls
        .par_iter()
        .map(|control| {
            let mut features: Vec<FeatureStatus> = control
                .features
                .par_iter()
                .map(|f| {
                    let mine: Vec<&'static Rule> = rules
                        .iter()
                        .copied()
                        .filter(|r| r.control == control.id && r.feature == Some(f.name.as_str()))
                        .collect();
                    assess_feature(control, f, true, &mine, &by_rule, attestations, today)
                })
                .collect();
            // Rules under this control that no baseline feature covers.
            let mut extra: Vec<&'static Rule> = rules
                .iter()
                .copied()
                .filter(|r| r.control == control.id && r.feature.is_none())
                .collect();
            extra.sort_by_key(|r| r.id);
            for rule in extra {
                let pseudo = CatalogueFeature {
                    name: rule.title.to_string(),
                    supported: true,
                    enabled_by_default: None,
                    responsibility: "customer".into(),
                    description: String::new(),
                    guidance: rule.note.unwrap_or_default().to_string(),
                    evidence: "files".into(),
                    reference: None,
                };
                features.push(assess_feature(
                    control,
                    &pseudo,
                    false,
                    &[rule],
                    &by_rule,
                    attestations,
                    today,
                ));
            }
            let status = features
                .iter()
                .map(|f| f.status)
                .min()
                .unwrap_or(Status::NotApplicable);
            ControlStatus {
                id: &control.id,
                domain: &control.domain,
                title: &control.title,
                status,
                features,
            }
        })
        .collect();
    Baseline {
        benchmark: &cat.benchmark,
        baseline: &cat.baseline,
        controls,
    }
}

/// The results' positions by rule id: a feature reads the results of its
/// own rules without going through every result (issue 20: every feature
/// did, a tenth of a second at 100,000 live resources).
struct ResultsByRule<'a> {
    results: &'a [ResultEntry],
    positions: aml_model::FastMap<&'static str, Vec<usize>>,
}

impl<'a> ResultsByRule<'a> {
    fn new(results: &'a [ResultEntry]) -> Self {
        let mut positions: aml_model::FastMap<&'static str, Vec<usize>> = Default::default();
        for (i, r) in results.iter().enumerate() {
            positions.entry(r.rule).or_default().push(i);
        }
        ResultsByRule { results, positions }
    }

    /// The results of the rules `ids`, in the report's order.
    fn of(&self, ids: &[&'static str]) -> Vec<&'a ResultEntry> {
        let mut at: Vec<usize> = ids
            .iter()
            .filter_map(|id| self.positions.get(id))
            .flatten()
            .copied()
            .collect();
        // Each rule's positions are in order; several rules' are merged
        // (a rule id listed twice would list its results once).
        if ids.len() > 1 {
            at.sort_unstable();
            at.dedup();
        }
        at.into_iter().map(|i| &self.results[i]).collect()
    }
}

fn assess_feature(
    control: &CatalogueControl,
    f: &CatalogueFeature,
    in_baseline: bool,
    rules: &[&'static Rule],
    results: &ResultsByRule<'_>,
    attestations: &[Attestation],
    today: Date,
) -> FeatureStatus {
    let mut evidence = Vec::new();
    let ids: Vec<&'static str> = rules.iter().map(|r| r.id).collect();
    let of_rules = results.of(&ids);
    // A result counts as its roll-up says (a project judged by its hub), if
    // it says anything; a known misjudgement of the kind is not counted.
    let mine: Vec<(&ResultEntry, Verdict)> = of_rules
        .iter()
        .filter_map(|r| counted(r).map(|v| (*r, v)))
        .collect();
    // Suppressed results (waived, inline, baseline) do not decide the status;
    // they are counted and listed as evidence.
    let count = |v: Verdict| {
        mine.iter()
            .filter(|(r, c)| *c == v && r.suppressed.is_none())
            .count()
    };
    let (passed, failed, unknown) = (
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Unknown),
    );
    let suppressed = mine.iter().filter(|(r, _)| r.suppressed.is_some()).count();
    if !mine.is_empty() {
        evidence.push(Evidence::Results {
            passed,
            failed,
            unknown,
            suppressed,
            findings: mine
                .iter()
                .filter(|(_, c)| *c != Verdict::Pass)
                .map(|(r, c)| EvidenceFinding {
                    rule: r.rule,
                    result: *c,
                    resource_id: r.resource_id.clone(),
                    path: r.path.clone(),
                    line: r.line,
                    suppressed: r.suppressed.clone(),
                })
                .collect(),
        });
    }
    // Why results count otherwise than their verdict: the hubs that judge
    // projects, the misjudgements not counted.
    let mut notes: Vec<&str> = of_rules
        .iter()
        .filter_map(|r| r.rollup.as_ref().map(|x| x.message.as_str()))
        .collect();
    notes.sort_unstable();
    notes.dedup();
    evidence.extend(notes.into_iter().map(|m| Evidence::Note {
        message: m.to_string(),
    }));
    let attestation = attestations
        .iter()
        .filter(|a| {
            a.control.eq_ignore_ascii_case(&control.id) && a.feature.eq_ignore_ascii_case(&f.name)
        })
        .max_by_key(|a| a.expires);
    if let Some(a) = attestation {
        evidence.push(Evidence::Attestation {
            by: a.by.clone(),
            evidence: a.evidence.clone(),
            expires: a.expires.to_string(),
            expired: a.expires < today,
        });
    }
    let valid_attestation = attestation.is_some_and(|a| a.expires >= today);

    let status = if !f.supported {
        Status::NotApplicable
    } else if failed > 0 {
        Status::Fail
    } else if unknown > 0 {
        Status::Unknown
    } else if passed > 0 || suppressed > 0 {
        Status::Pass
    } else if f.evidence == "platform" {
        evidence.push(Evidence::Note {
            message: "Microsoft's responsibility, on by default".into(),
        });
        Status::Platform
    } else if valid_attestation {
        Status::Pass
    } else if f.evidence == "files" && !rules.is_empty() {
        evidence.push(Evidence::Note {
            message: "no resource in the scanned files is in scope of this feature's rules".into(),
        });
        Status::Unknown
    } else {
        let message = match attestation {
            Some(a) => format!("the attestation expired on {}; attest it again", a.expires),
            None if f.evidence == "files" => {
                "no rule checks this feature yet; attest it in aml-baseline.toml".to_string()
            }
            None => "no file can show this feature; attest it in aml-baseline.toml".to_string(),
        };
        evidence.push(Evidence::Note { message });
        Status::Manual
    };
    FeatureStatus {
        name: f.name.clone(),
        in_baseline,
        supported: f.supported,
        enabled_by_default: f.enabled_by_default,
        responsibility: f.responsibility.clone(),
        status,
        description: f.description.clone(),
        guidance: f.guidance.clone(),
        reference: f.reference.clone(),
        rules: ids,
        evidence,
    }
}

/// The verdict a result counts as in the roll-up: its [`ResultEntry::rollup`]
/// when it has one (`None`: not counted), else its own.
fn counted(r: &ResultEntry) -> Option<Verdict> {
    use aml_rules::kinds::RollupResult;
    match r.rollup.as_ref().map(|x| x.result) {
        None => Some(r.result),
        Some(RollupResult::Pass) => Some(Verdict::Pass),
        Some(RollupResult::Fail) => Some(Verdict::Fail),
        Some(RollupResult::Unknown) => Some(Verdict::Unknown),
        Some(RollupResult::NotApplicable) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_every_feature_of_the_baseline() {
        let cat = catalogue();
        let features: usize = cat.controls.iter().map(|c| c.features.len()).sum();
        assert_eq!(features, 35);
        for c in &cat.controls {
            assert!(
                !aml_rules::controls::title(&c.id).is_empty(),
                "{} has a title",
                c.id
            );
            for f in &c.features {
                assert!(["files", "manual", "platform", "none"].contains(&f.evidence.as_str()));
                assert_eq!(f.supported, f.evidence != "none", "{}/{}", c.id, f.name);
            }
        }
    }

    #[test]
    fn every_rule_maps_to_a_catalogue_feature() {
        let cat = catalogue();
        for r in aml_rules::all() {
            let control = cat.controls.iter().find(|c| c.id == r.control);
            let control =
                control.unwrap_or_else(|| panic!("{} maps to unknown control {}", r.id, r.control));
            if let Some(feature) = r.feature {
                let f = control.features.iter().find(|f| f.name == feature);
                let f = f.unwrap_or_else(|| panic!("{} maps to unknown feature {feature}", r.id));
                assert!(f.supported, "{} maps to an unsupported feature", r.id);
            }
        }
    }

    #[test]
    fn every_feature_files_can_show_has_a_rule() {
        let cat = catalogue();
        for c in &cat.controls {
            for f in c.features.iter().filter(|f| f.evidence == "files") {
                let covered = aml_rules::all()
                    .iter()
                    .any(|r| r.control == c.id && r.feature == Some(f.name.as_str()));
                assert!(covered, "no rule covers {} / {}", c.id, f.name);
            }
        }
    }
}
