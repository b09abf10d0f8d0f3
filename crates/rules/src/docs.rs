//! Rule documentation: one page per rule in `docs/rules/<ID>.md`, shipped in
//! the binary so that `aml-baseline explain ID` prints the same text.

use super::Rule;

/// The written pages, by rule id: every `docs/rules/AMLB-*.md`, embedded by
/// `build.rs`. A test checks that every rule has one and every page a rule.
static PAGES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/rule_pages.rs"));

/// The written page of a rule, if it has one.
pub fn written(id: &str) -> Option<&'static str> {
    PAGES.iter().find(|(i, _)| *i == id).map(|(_, p)| *p)
}

/// The ids that have a written page.
pub fn ids_with_pages() -> impl Iterator<Item = &'static str> {
    PAGES.iter().map(|(i, _)| *i)
}

/// The page of a rule: the written page, or one generated from the rule's
/// metadata when there is none.
pub fn page(rule: &Rule) -> String {
    if let Some(p) = written(rule.id) {
        let mut s = p.trim_end().to_string();
        s.push_str(&autofix_section(rule));
        return s;
    }
    let mut s = format!("# {}: {}\n\n", rule.id, rule.title);
    s.push_str(&format!(
        "- kind: {}{}\n- control: {} ({})\n- feature: {}\n- severity: {}\n- on by default: {}\n\n",
        rule.kind_name(),
        rule.policy()
            .map(|g| format!(" (Azure Policy {g})"))
            .unwrap_or_default(),
        rule.control,
        super::controls::title(rule.control),
        rule.feature.unwrap_or("none"),
        rule.severity.as_str(),
        if rule.enabled_by_default { "yes" } else { "no" },
    ));
    s.push_str(&format!("## How to fix\n\n{}\n", rule.fix));
    if let Some(note) = rule.note {
        s.push_str(&format!("\n## Notes\n\n{note}\n"));
    }
    s.truncate(s.trim_end().len());
    s.push_str(&autofix_section(rule));
    s
}

/// The `## Autofix` section `explain` adds to every page, from the rule's metadata.
fn autofix_section(rule: &Rule) -> String {
    format!("\n\n## Autofix\n\n{}\n", rule.autofix.describe())
}
