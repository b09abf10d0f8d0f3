//! The configuration file, `aml-baseline.toml`: rule selection, assignment
//! parameters of policy rules, and attestations for features no file can
//! show. Found upward from the first scanned path, or given with `--config`.
//! Unknown keys are errors (a typo must not silently change a verdict).
//! `docs/configuration.md` documents it.

use crate::diagnostics::{Diagnostic, Location};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
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

/// An accepted failure: a rule on a resource, with a justification and an expiry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// Rule id, policy GUID or its first 8 hex digits.
    pub rule: String,
    /// Resource id, full name, or a glob over either (`*/workspaces/mlw-lab-*`).
    pub resource: String,
    /// Why the failure is accepted.
    pub justification: String,
    /// The last day the waiver counts.
    pub expires: Date,
    /// A ticket or issue that tracks the exception.
    #[serde(default)]
    pub ticket: Option<String>,
    /// The line of the `[[waiver]]` header (set after parsing, for diagnostics).
    #[serde(skip)]
    pub line: u32,
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

/// A person's statement that a feature is in place, with evidence and an expiry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// Control id, e.g. `IM-7`.
    pub control: String,
    /// Feature name as in the baseline (`aml-baseline baseline` lists them).
    pub feature: String,
    /// Who attests.
    pub by: String,
    /// Where the evidence is (a link, a ticket, a document).
    pub evidence: String,
    /// The last day the attestation counts (`2027-06-30`).
    pub expires: Date,
}

/// A calendar date (UTC), `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date, String> {
        let bad = || format!("'{s}' is not a date of the form YYYY-MM-DD");
        let mut parts = s.trim().splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let (year, month, day) = (
            y.parse::<i32>().map_err(|_| bad())?,
            m.parse::<u8>().map_err(|_| bad())?,
            d.parse::<u8>().map_err(|_| bad())?,
        );
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(bad());
        }
        Ok(Date { year, month, day })
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// The civil date `days` after 1970-01-01 (Howard Hinnant's algorithm).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Accept a TOML date (`expires = 2027-06-30`) or a string.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Toml(toml::value::Datetime),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Text(s) => s,
            Raw::Toml(dt) => dt.to_string(),
        };
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
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
            .map(crate::source::display_path)
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
    let display = crate::source::display_path(path);
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
    let display = crate::source::display_path(path);
    let mut loaded = Loaded {
        path: Some(path.to_path_buf()),
        ..Default::default()
    };
    match toml::from_str::<Config>(text) {
        Ok(config) => {
            for key in config.rules.enable.iter().chain(&config.rules.disable) {
                if key != "all" && crate::rules::find(key).is_none() {
                    loaded.diagnostics.push(position_diag(
                        &display,
                        text,
                        key,
                        format!("no rule is named '{key}' (see `aml-baseline rules`)"),
                    ));
                }
            }
            for key in config.policy_parameters.keys() {
                match crate::rules::find(key) {
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
            let catalogue = crate::baseline::catalogue();
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
