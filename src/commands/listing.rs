//! `rules`, `baseline`, `policies` (`policy list`) and `explain`: what the
//! tool ships, rendered by the report crate.

use super::write_output;
use crate::cli::{BaselineArgs, BaselineFormat, ExplainArgs, Format, ListArgs};
use aml_report::render::listing;

/// `rules`.
pub fn rules(args: &ListArgs) -> anyhow::Result<i32> {
    write_output(None, &listing::rules(args.format == Format::Json))?;
    Ok(0)
}

/// `baseline`: text, JSON, or the OSCAL catalog.
pub fn baseline(args: &BaselineArgs) -> anyhow::Result<i32> {
    let text = match args.format {
        BaselineFormat::OscalCatalog => aml_report::render::oscal::catalog::render(),
        f => listing::baseline(f == BaselineFormat::Json),
    };
    write_output(None, &text)?;
    Ok(0)
}

/// `policies` and `policy list`.
pub fn policies(args: &ListArgs) -> anyhow::Result<i32> {
    write_output(None, &listing::policies(args.format == Format::Json))?;
    Ok(0)
}

/// `explain ID`: a rule's page.
pub fn explain(args: &ExplainArgs) -> anyhow::Result<i32> {
    let Some(rule) = aml_rules::find(&args.rule) else {
        eprintln!(
            "error: no rule is named '{}' (see `aml-baseline rules`)",
            args.rule
        );
        return Ok(2);
    };
    write_output(None, &aml_rules::docs::page(rule))?;
    Ok(0)
}
