//! What the configuration file (`aml-baseline.toml`, read by the command
//! line) gives the report: waivers of failing results, attestations of
//! features no file can show, and the dates they expire on.

use serde::Deserialize;
use std::fmt;

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
