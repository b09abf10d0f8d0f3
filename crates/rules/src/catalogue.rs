//! The baseline's catalogue: every control and feature of the *Azure security
//! baseline for Machine Learning Service*, with descriptions and guidance in
//! our own words (`data/baseline/catalogue.json`, shipped in the binary).
//! The report's baseline roll-up (`aml_report::baseline`) reads it.

use serde::Deserialize;
use std::sync::OnceLock;

/// The shipped catalogue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub benchmark: String,
    pub baseline: String,
    pub source: String,
    pub controls: Vec<CatalogueControl>,
}

/// A control of the baseline.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueControl {
    pub id: String,
    pub domain: String,
    pub title: String,
    pub features: Vec<CatalogueFeature>,
}

/// A feature of a control, as the baseline's feature table gives it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueFeature {
    pub name: String,
    pub supported: bool,
    /// `None` where the table says "Not Applicable".
    pub enabled_by_default: Option<bool>,
    /// `customer`, `microsoft`, `shared` or `not-applicable`.
    pub responsibility: String,
    pub description: String,
    pub guidance: String,
    /// `files`, `manual`, `platform` or `none`: what can show the feature.
    pub evidence: String,
    pub reference: Option<String>,
}

/// The catalogue shipped in the binary, parsed once.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        serde_json::from_str(include_str!("../../../data/baseline/catalogue.json"))
            .expect("the shipped catalogue is valid (tested)")
    })
}
