//! The rule registry: every rule aml-baseline knows, with its stable id, its
//! baseline control and feature, its severity and how to fix what it finds.
//!
//! Two kinds of rule share one registry:
//! - **policy** rules run a built-in Azure Policy definition (shipped in
//!   `policies/builtin/`) through [`aml_policy`]; their id is
//!   `AMLB-POL-` and the first 8 hex digits of the definition's GUID;
//! - **native** rules are Rust checks for what policy cannot say (added by the
//!   baseline work; see `docs/rules/`).
//!
//! Ids are never reused. The doc page of rule `ID` is `docs/rules/ID.md`, and
//! `aml-baseline rules` lists them all.

pub mod account;
pub mod assigned;
pub mod catalogue;
pub mod check;
pub mod controls;
pub mod docs;
pub mod evaluate;
pub mod kinds;
pub mod native;
mod policy_rules;
pub mod rule;
pub mod verdict;

pub use policy_rules::POLICY_RULES;

pub use check::{CheckContext, CheckFn, Finding};
pub use rule::{Autofix, Rule, RuleKind, Safety, Setting, Severity, SnippetKind, TerraformSetting};
pub use verdict::Verdict;

/// Every rule: policy rules, then native rules.
pub fn all() -> &'static [&'static Rule] {
    static ALL: std::sync::OnceLock<Vec<&'static Rule>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        POLICY_RULES
            .iter()
            .chain(native::RULES.iter().copied())
            .collect()
    })
}

/// Looks a rule up by id (case-insensitive), by policy GUID, or by the GUID's
/// first 8 hex digits.
pub fn find(key: &str) -> Option<&'static Rule> {
    let key = key.trim();
    all().iter().copied().find(|r| {
        r.id.eq_ignore_ascii_case(key)
            || r.policy().is_some_and(|g| {
                g.eq_ignore_ascii_case(key) || (key.len() == 8 && g[..8].eq_ignore_ascii_case(key))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for r in all() {
            assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
            assert!(r.id.starts_with("AMLB-"), "{}", r.id);
            if r.policy().is_none() {
                // Native ids: AMLB-<control without dash>-<3 digits>.
                let control = r.control.replace('-', "");
                assert!(
                    r.id.starts_with(&format!("AMLB-{control}-")),
                    "{} vs {}",
                    r.id,
                    r.control
                );
            }
            if let Some(g) = r.policy() {
                assert_eq!(r.id, format!("AMLB-POL-{}", &g[..8]));
            }
        }
    }

    #[test]
    fn find_accepts_id_guid_and_prefix() {
        let r = find("438c38d2").unwrap();
        assert_eq!(r.id, "AMLB-POL-438c38d2");
        assert_eq!(find("amlb-pol-438c38d2").unwrap().id, r.id);
        assert_eq!(
            find("438c38d2-3772-465a-a9cc-7a6666a275ce").unwrap().id,
            r.id
        );
        assert!(find("nope").is_none());
    }

    #[test]
    fn every_rule_maps_to_a_baseline_control() {
        let controls = [
            "AM-2", "DP-2", "DP-3", "DP-5", "DP-6", "IM-1", "IM-3", "IM-8", "LT-4", "NS-1", "NS-2",
            "PA-7", "PV-3", "PV-6",
        ];
        for r in all() {
            assert!(
                controls.contains(&r.control),
                "{} maps to {}",
                r.id,
                r.control
            );
        }
    }
}
