//! Every rule has a documentation page in `docs/rules/<ID>.md` in the fixed
//! layout, and every page belongs to a rule (`explain` printing it is tested
//! end to end in the root's `tests/it/cli.rs`).

use aml_rules::{self as rules, docs};

const HEADINGS: &[&str] = &[
    "## What it checks",
    "## Why it matters",
    "## How to fix",
    "### ARM template",
    "### Bicep",
    "### Terraform",
    "## Notes",
    "## References",
];

const BULLETS: &[&str] = &[
    "- **Kind:**",
    "- **Policy definition:**",
    "- **Control:**",
    "- **Feature:**",
    "- **Severity:**",
    "- **On by default:**",
    "- **Resource types:**",
];

#[test]
fn every_rule_has_a_page_in_the_fixed_layout() {
    let mut problems = Vec::new();
    for rule in rules::all() {
        let Some(page) = docs::written(rule.id) else {
            problems.push(format!("{}: no docs/rules/{}.md", rule.id, rule.id));
            continue;
        };
        let title = format!("# {}: {}", rule.id, rule.title);
        if page.lines().next() != Some(title.as_str()) {
            problems.push(format!("{}: the first line is not `{title}`", rule.id));
        }
        let mut at = 0;
        for h in HEADINGS {
            match page[at..].find(&format!("\n{h}\n")) {
                Some(i) => at += i + 1,
                None => problems.push(format!(
                    "{}: heading `{h}` missing or out of order",
                    rule.id
                )),
            }
        }
        for b in BULLETS {
            if !page.lines().any(|l| l.starts_with(b)) {
                problems.push(format!("{}: bullet `{b}` missing", rule.id));
            }
        }
        let control = format!("- **Control:** {} ", rule.control);
        if !page.contains(&control) {
            problems.push(format!(
                "{}: the control line does not name {}",
                rule.id, rule.control
            ));
        }
        if let Some(guid) = rule.policy() {
            if !page.contains(guid) {
                problems.push(format!(
                    "{}: the page does not give the policy GUID",
                    rule.id
                ));
            }
        }
        if let Some(feature) = rule.feature {
            if !page.contains(&format!("- **Feature:** {feature}\n")) {
                problems.push(format!(
                    "{}: the feature line does not name `{feature}`",
                    rule.id
                ));
            }
        }
        for fence in ["```json", "```bicep", "```hcl"] {
            if !page.contains(fence) {
                problems.push(format!("{}: no {fence} snippet", rule.id));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_page_belongs_to_a_rule() {
    for id in docs::ids_with_pages() {
        assert!(
            rules::all().iter().any(|r| r.id == id),
            "docs/rules/{id}.md has no rule"
        );
    }
}
