//! The configuration file, `aml-baseline.toml`: rule selection, assignment
//! parameters of policy rules, and attestations for features no file can
//! show. Found upward from the first scanned path, or given with `--config`.
//! Unknown keys are errors (a typo must not silently change a verdict).
//! `docs/configuration.md` documents it.

use aml_model::diagnostics::{Diagnostic, Location};
pub use aml_report::config::{Attestation, Date, Waiver};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file name searched for.
pub const FILE_NAME: &str = "aml-baseline.toml";

/// The configuration as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    #[serde(default)]
    pub rules: RuleSelection,
    /// Assignment parameters per policy rule (rule id, GUID or 8-hex prefix).
    #[serde(default)]
    pub policy_parameters: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    #[serde(default, rename = "attestation")]
    pub attestations: Vec<Attestation>,
    #[serde(default, rename = "waiver")]
    pub waivers: Vec<Waiver>,
}

/// Which rules run besides the defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSelection {
    /// Rules to run that are off by default (ids, policy GUIDs or 8-hex prefixes; `"all"` for every rule).
    #[serde(default)]
    pub enable: Vec<String>,
    /// Rules not to run.
    #[serde(default)]
    pub disable: Vec<String>,
}

/// A loaded configuration and where it came from.
#[derive(Debug, Default)]
pub struct Loaded {
    pub config: Config,
    pub path: Option<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// The configuration file's path as reports show it, or `""`.
    pub fn display_path(&self) -> String {
        self.path
            .as_deref()
            .map(aml_model::source::display_path)
            .unwrap_or_default()
    }
}

/// Finds `aml-baseline.toml` in `start` (a folder, or a file's folder) or above it.
pub fn find_upward(start: &Path) -> Option<PathBuf> {
    let start = if start.is_file() {
        start.parent()?
    } else {
        start
    };
    let start = std::fs::canonicalize(start).ok()?;
    start
        .ancestors()
        .take(64)
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Reads and validates a configuration file. Problems are diagnostics
/// (`config`), with the line and column of the offending text.
pub fn load(path: &Path) -> Loaded {
    let display = aml_model::source::display_path(path);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            return Loaded {
                diagnostics: vec![Diagnostic::error(
                    "config",
                    e.to_string(),
                    Location::Path(display),
                )],
                ..Default::default()
            }
        }
    };
    load_text(path, &text)
}

/// Validates configuration text as if read from `path` (which only names it
/// in diagnostics).
pub fn load_text(path: &Path, text: &str) -> Loaded {
    let display = aml_model::source::display_path(path);
    let mut loaded = Loaded {
        path: Some(path.to_path_buf()),
        ..Default::default()
    };
    match toml::from_str::<Config>(text) {
        Ok(config) => {
            for key in config.rules.enable.iter().chain(&config.rules.disable) {
                if key != "all" && aml_rules::find(key).is_none() {
                    loaded.diagnostics.push(position_diag(
                        &display,
                        text,
                        key,
                        format!("no rule is named '{key}' (see `aml-baseline rules`)"),
                    ));
                }
            }
            for key in config.policy_parameters.keys() {
                match aml_rules::find(key) {
                    Some(r) if r.policy().is_some() => {}
                    Some(r) => loaded.diagnostics.push(position_diag(
                        &display,
                        text,
                        key,
                        format!(
                            "'{}' is a native rule; only policy rules take parameters",
                            r.id
                        ),
                    )),
                    None => loaded.diagnostics.push(position_diag(
                        &display,
                        text,
                        key,
                        format!("no policy rule is named '{key}'"),
                    )),
                }
            }
            let catalogue = aml_report::baseline::catalogue();
            for a in &config.attestations {
                let known = catalogue.controls.iter().any(|c| {
                    c.id.eq_ignore_ascii_case(&a.control)
                        && c.features
                            .iter()
                            .any(|f| f.name.eq_ignore_ascii_case(&a.feature))
                });
                if !known {
                    loaded.diagnostics.push(position_diag(
                        &display,
                        text,
                        &a.feature,
                        format!(
                            "the attestation names '{}' / '{}', which is not a feature of the baseline (see `aml-baseline baseline`)",
                            a.control, a.feature
                        ),
                    ));
                }
            }
            let mut config = config;
            // The line of each `[[waiver]]`, in order, for diagnostics.
            let headers: Vec<u32> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| l.trim_start().starts_with("[[waiver]]"))
                .map(|(i, _)| i as u32 + 1)
                .collect();
            for (w, line) in config.waivers.iter_mut().zip(headers) {
                w.line = line;
            }
            loaded.config = config;
        }
        Err(e) => {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            loaded.diagnostics.push(Diagnostic::error(
                "config",
                e.message().to_string(),
                Location::Position {
                    path: display,
                    line,
                    column,
                },
            ));
        }
    }
    loaded
}

fn position_diag(path: &str, text: &str, needle: &str, message: String) -> Diagnostic {
    let (line, column) = text
        .find(needle)
        .map(|i| line_col(text, i))
        .unwrap_or((0, 0));
    Diagnostic::warning(
        "config",
        message,
        Location::Position {
            path: path.to_string(),
            line,
            column,
        },
    )
}

fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0) as u32
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_compare_and_come_from_the_clock() {
        let a = Date::parse("2027-06-30").unwrap();
        assert_eq!(a.to_string(), "2027-06-30");
        assert!(Date::parse("2027-02-29").is_err());
        assert!(Date::parse("2028-02-29").is_ok());
        assert!(Date::parse("27-6-30").is_err());
        assert!(a < Date::parse("2027-07-01").unwrap());
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(20_000).to_string(),
            "2024-10-04"
        );
        assert!(Date::today().year >= 2024);
    }

    #[test]
    fn config_reads_every_section_and_rejects_typos() {
        let text = r#"
[rules]
enable = ["AMLB-POL-a10ee784"]
disable = ["679ddf89"]

[policy-parameters."6ddb1705"]
isolationMode = "AllowInternetOutbound"

[[attestation]]
control = "IM-7"
feature = "Conditional Access for Data Plane"
by = "alice@example.com"
evidence = "https://example.com/ca-policy"
expires = 2027-06-30
"#;
        let c: Config = toml::from_str(text).unwrap();
        assert_eq!(c.rules.enable, ["AMLB-POL-a10ee784"]);
        assert_eq!(
            c.policy_parameters["6ddb1705"]["isolationMode"],
            "AllowInternetOutbound"
        );
        assert_eq!(
            c.attestations[0].expires,
            Date::parse("2027-06-30").unwrap()
        );
        assert!(toml::from_str::<Config>("[rulez]\nenable = []").is_err());
        assert!(toml::from_str::<Config>("[[attestation]]\ncontrol = \"IM-7\"").is_err());
    }
}
