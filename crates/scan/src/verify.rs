//! `scan --verify-online`: Azure's own answer beside each predicted denial.
//! For every resource whose denial an assignment's `deny` predicted (a
//! failure) or ruled out (a pass), Azure Policy Insights'
//! `checkPolicyRestrictions` is asked what it would do to the resource
//! ([`targets`]); the answers ([`apply`]) become Azure's verdicts beside ours
//! (source [`RESTRICTIONS`]: `Denied` or `NotDenied` per definition, every
//! disagreement listed in the report's `azure` section) and the allowed
//! values per field (`fieldRestrictions`), which the report shows with the
//! fix of each result and [`annotate_fixes`] adds to its planned fix.
//!
//! The asking is a [`Verifier`] the command line gives (the collector's
//! client, with its credential, retries, limits and deadline, behind the
//! `collect` feature), so the pipeline needs no network code.

use aml_model::context::DeploymentContext;
use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::input::ScanOutput;
use aml_model::model::{AzureVerdict, Model, Resource, RESTRICTIONS};
use aml_model::restrictions::{CheckScope, FieldRestriction, Restrictions, Target};
use aml_model::value::Value;
use aml_policy::{AssignmentSet, DeploymentScope};
use aml_report::AutofixEntry;
use aml_rules::evaluate::{Outcome, Verdict};
use std::collections::BTreeMap;

/// Most fields asked about per resource.
const MAX_PENDING_FIELDS: usize = 64;

/// Keys of a resource that describe it to Azure Policy (the rest of a
/// template's resource object is deployment syntax).
const CONTENT_KEYS: &[&str] = &[
    "type",
    "name",
    "location",
    "kind",
    "sku",
    "identity",
    "tags",
    "properties",
    "zones",
    "plan",
    "extendedLocation",
    "managedBy",
];

pub use aml_model::restrictions::Verifier;

/// Whether an outcome is one whose denial was predicted or ruled out: an
/// assignment's `deny` that fails with the denial predicted, or passes.
fn asked(o: &Outcome) -> bool {
    o.assignment.is_some()
        && o.effect
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case("deny"))
        && (o.denied || o.verdict == Verdict::Pass)
}

/// The scope to ask at: the management group of `--deployment-scope`, else
/// the subscription and resource group of the resource's id (or of
/// `--deployment-scope` when the id holds the placeholder subscription).
fn check_scope(id: &str, deployment: Option<&DeploymentScope>) -> Result<CheckScope, String> {
    if let Some(DeploymentScope::ManagementGroup(group)) = deployment {
        return Ok(CheckScope::ManagementGroup {
            group: group.clone(),
        });
    }
    let segs: Vec<&str> = id.split('/').collect();
    let sub = (segs.len() > 2 && segs[1].eq_ignore_ascii_case("subscriptions")).then(|| segs[2]);
    let rg = (segs.len() > 4 && segs[3].eq_ignore_ascii_case("resourceGroups")).then(|| segs[4]);
    let open = |s: &str| s.is_empty() || s.contains('[') || s == DeploymentContext::PLACEHOLDER_ID;
    let scope = |subscription: &str, rg: Option<&str>| match rg {
        Some(rg) => CheckScope::ResourceGroup {
            subscription: subscription.to_string(),
            resource_group: rg.to_string(),
        },
        None => CheckScope::Subscription {
            subscription: subscription.to_string(),
        },
    };
    match (sub, deployment) {
        (Some(s), _) if !open(s) && !rg.is_some_and(open) => Ok(scope(s, rg)),
        (_, Some(DeploymentScope::ResourceGroup { subscription, name })) => {
            Ok(scope(subscription, Some(name)))
        }
        (_, Some(DeploymentScope::Subscription(s))) => Ok(scope(s, rg.filter(|r| !open(r)))),
        _ => Err("its id does not name the subscription and resource group it would be deployed to (the files leave them to the deployment); give --deployment-scope to ask Azure".to_string()),
    }
}

/// What the files fix of a resource, as `resourceContent` (unknown values
/// left out; a child resource's own name, its parent given as `scope`).
fn content(r: &Resource) -> serde_json::Value {
    let json = r.body.to_json_with(&|_| None).unwrap_or_default();
    let mut out = serde_json::Map::new();
    if let Some(o) = json.as_object() {
        for (k, v) in o {
            if CONTENT_KEYS.iter().any(|c| c.eq_ignore_ascii_case(k)) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if r.parent_id.is_some() {
        let leaf = r.name.rsplit('/').next().unwrap_or(&r.name);
        out.insert("name".into(), serde_json::Value::String(leaf.to_string()));
    }
    serde_json::Value::Object(out)
}

/// The fields to ask the restrictions of: `location` (a definition's
/// `location` conditions are not among its aliases), then the aliases of
/// the resource's type the asked definitions read.
fn pending_fields(set: &AssignmentSet, definitions: &[&str], r: &Resource) -> Vec<String> {
    let engine = &set.library.engine;
    let prefix = format!("{}/", r.resource_type.to_ascii_lowercase());
    let mut out: Vec<String> = Vec::new();
    if r.get("location").is_some() {
        out.push("location".to_string());
    }
    for name in definitions {
        let Some(i) = set.library.definition(name) else {
            continue;
        };
        for f in &engine.definitions()[i].fields {
            let lower = f.to_ascii_lowercase();
            let top = ["location", "name", "kind"].contains(&lower.as_str())
                || lower == "tags"
                || lower.starts_with("tags[")
                || lower.starts_with("tags.");
            if (top || lower.starts_with(&prefix))
                && !out.iter().any(|o| o.eq_ignore_ascii_case(f))
                && out.len() < MAX_PENDING_FIELDS
            {
                out.push(f.clone());
            }
        }
    }
    out
}

/// The resources to ask about (one target per resource), and a diagnostic
/// for each that cannot be asked about.
pub fn targets(
    scan: &ScanOutput,
    outcomes: &[Outcome],
    set: Option<&AssignmentSet>,
    deployment: Option<&DeploymentScope>,
) -> (Vec<Target>, Vec<Diagnostic>) {
    let mut by_resource: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| asked(o)) {
        let defs = by_resource.entry(o.resource).or_default();
        if let Some(p) = o.rule.policy().filter(|p| !defs.contains(p)) {
            defs.push(p);
        }
    }
    let (mut targets, mut diagnostics) = (Vec::new(), Vec::new());
    for (index, definitions) in by_resource {
        let r = &scan.model.resources[index];
        match check_scope(&r.id, deployment) {
            Ok(scope) => targets.push(Target {
                resource_id: r.id.clone(),
                scope,
                content: content(r),
                api_version: r.api_version.clone(),
                parent: r.parent_id.clone(),
                pending_fields: set
                    .map(|s| pending_fields(s, &definitions, r))
                    .unwrap_or_default(),
            }),
            Err(why) => diagnostics.push(Diagnostic::warning(
                "verify-online",
                format!(
                    "Azure was not asked about {} '{}': {why}",
                    r.resource_type, r.name
                ),
                Location::Span(r.span),
            )),
        }
    }
    (targets, diagnostics)
}

/// Files Azure's answers in the model: the restrictions by resource, and
/// `Denied` or `NotDenied` for every asked (resource, definition) (or the
/// evaluation's result when Azure could not decide: it counts as neither); an error
/// diagnostic per distinct failure (with how many resources it left unasked).
pub fn apply(
    scan: &mut ScanOutput,
    outcomes: &[Outcome],
    targets: &[Target],
    answers: Vec<Result<Restrictions, String>>,
) -> Vec<Diagnostic> {
    // Each distinct failure once: its message, the resources it left unasked.
    let mut failures: Vec<(String, Vec<usize>)> = Vec::new();
    for (target, answer) in targets.iter().zip(answers) {
        let key = target.resource_id.to_ascii_lowercase();
        let index = scan
            .model
            .resources
            .iter()
            .position(|r| r.id.eq_ignore_ascii_case(&target.resource_id));
        match answer {
            Ok(restrictions) => {
                for o in outcomes
                    .iter()
                    .filter(|o| asked(o) && Some(o.resource) == index)
                {
                    let Some(definition) = o.rule.policy() else {
                        continue;
                    };
                    let verdict = AzureVerdict {
                        resource_id: key.clone(),
                        definition: definition.to_ascii_lowercase(),
                        state: restrictions.verdict(definition),
                        source: RESTRICTIONS,
                    };
                    if !scan.model.azure_verdicts.contains(&verdict) {
                        scan.model.azure_verdicts.push(verdict);
                    }
                }
                scan.model.restrictions.insert(key, restrictions);
            }
            Err(message) => {
                let index = index.unwrap_or(usize::MAX);
                match failures.iter_mut().find(|f| f.0 == message) {
                    Some(f) => f.1.push(index),
                    None => failures.push((message, vec![index])),
                }
            }
        }
    }
    failures
        .into_iter()
        .map(|(message, indices)| {
            let resources = &scan.model.resources;
            let names: Vec<&str> = indices
                .iter()
                .filter_map(|&i| resources.get(i))
                .map(|r| r.name.as_str())
                .take(5)
                .collect();
            let more = if indices.len() > names.len() {
                format!(" and {} more", indices.len() - names.len())
            } else {
                String::new()
            };
            let location = indices
                .first()
                .and_then(|&i| resources.get(i))
                .map_or(Location::None, |r| Location::Span(r.span));
            Diagnostic::error(
                "verify-online",
                format!(
                    "Azure Policy's checkPolicyRestrictions could not be asked about {} resource(s) ({}{more}): {message}",
                    indices.len(),
                    names.join(", ")
                ),
                location,
            )
        })
        .collect()
}

/// The restrictions Azure places, through definition `definition`, on the
/// fields of the resource with id `resource_id`: the values a fix may
/// choose from (`fix` planners read them through this).
pub fn allowed_values<'a>(
    scan: &'a ScanOutput,
    resource_id: &str,
    definition: &'a str,
) -> Vec<&'a FieldRestriction> {
    scan.model
        .restrictions
        .get(&resource_id.to_ascii_lowercase())
        .map(|r| r.of_definition(definition).collect())
        .unwrap_or_default()
}

/// One line saying a field restriction (`location`: Deny `eastus` ...).
pub fn describe(f: &FieldRestriction) -> String {
    let values = if f.values.is_empty() {
        String::new()
    } else {
        format!(" {}", f.values.join(", "))
    };
    let default = f
        .default_value
        .as_deref()
        .map(|d| format!(" (default {d})"))
        .unwrap_or_default();
    let assignment = f.policy.assignment();
    let by = if assignment.is_empty() {
        String::new()
    } else {
        format!(", assignment {assignment}")
    };
    format!(
        "`{}`: {}{values}{default} ({}{by})",
        f.field,
        f.result,
        if f.effect.is_empty() {
            "policy"
        } else {
            &f.effect
        }
    )
}

/// Adds Azure's allowed values to the planned fix of each failing result
/// whose definition restricts fields of its resource.
pub fn annotate_fixes(scan: &ScanOutput, outcomes: &[Outcome], fixes: &mut [Option<AutofixEntry>]) {
    for (o, fix) in outcomes.iter().zip(fixes.iter_mut()) {
        let (Some(fix), Some(definition)) = (fix.as_mut(), o.rule.policy()) else {
            continue;
        };
        let id = &scan.model.resources[o.resource].id;
        for f in allowed_values(scan, id, definition) {
            fix.description.push_str(&format!(
                "\nAzure Policy (checkPolicyRestrictions) says {}",
                describe(f)
            ));
        }
    }
}

/// The ARM path a restricted field names: `location`, `name`, `kind`,
/// `tags.x` as they are, an alias through the shipped catalogue (for the
/// resource's API version); `None` for array aliases and unknown ones.
fn field_path(field: &str, r: &Resource) -> Option<String> {
    let lower = field.to_ascii_lowercase();
    if ["location", "name", "kind"].contains(&lower.as_str()) || lower.starts_with("tags.") {
        return Some(field.to_string());
    }
    let path = aml_policy::PolicyEngine::builtin().alias_path(field, r.api_version.as_deref())?;
    (!path.contains('[')).then_some(path)
}

/// Whether `value` is one of `values` (strings compared as Azure does,
/// ignoring case).
fn one_of(value: Option<&Value>, values: &[String]) -> bool {
    match value {
        Some(Value::String(s)) => values.iter().any(|v| v.eq_ignore_ascii_case(s)),
        Some(Value::Bool(b)) => values
            .iter()
            .any(|v| v.eq_ignore_ascii_case(&b.to_string())),
        Some(Value::Int(i)) => values.iter().any(|v| v == &i.to_string()),
        _ => false,
    }
}

/// Azure's field restrictions (`--verify-online`) as a source of what a fix
/// may write ([`aml_fix::Allowed`]), judged with the user's assignments: a
/// `Required` restriction suggests its values and refuses any other, a
/// `Deny` one refuses its values. Azure's answers are no results of their
/// own, so they propose nothing and own no check.
#[derive(Debug, Default)]
pub struct AzureAllowed;

impl AzureAllowed {
    /// The restrictions on `resource` whose field is ARM `path`.
    fn on<'m>(
        model: &'m Model,
        resource: &Resource,
        path: &str,
    ) -> Vec<(usize, &'m FieldRestriction)> {
        let Some(answer) = model.restrictions.get(&resource.id.to_ascii_lowercase()) else {
            return Vec::new();
        };
        answer
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                field_path(&f.field, resource).is_some_and(|p| p.eq_ignore_ascii_case(path))
            })
            .collect()
    }
}

impl aml_fix::Allowed for AzureAllowed {
    fn suggest(&self, model: &Model, resource: &Resource, path: &str) -> Vec<serde_json::Value> {
        Self::on(model, resource, path)
            .into_iter()
            .filter(|(_, f)| f.result.eq_ignore_ascii_case("required"))
            .flat_map(|(_, f)| {
                f.values
                    .iter()
                    .map(|v| serde_json::Value::String(v.clone()))
            })
            .collect()
    }

    fn judge(&self, model: &Model, resource: &Resource, path: &str) -> Vec<aml_fix::Check> {
        let value = resource.get(path);
        Self::on(model, resource, path)
            .into_iter()
            .filter_map(|(i, f)| {
                let fails = match f.result.to_ascii_lowercase().as_str() {
                    "required" if f.values.is_empty() => value.is_none(),
                    "required" => !one_of(value, &f.values),
                    "deny" => one_of(value, &f.values),
                    _ => return None,
                };
                Some(aml_fix::Check {
                    key: format!("check-policy-restrictions#{i}"),
                    name: format!("Azure Policy's restriction {}", describe(f)),
                    rule: None,
                    fails,
                })
            })
            .collect()
    }

    fn proposals(&self, _: &Model, _: &Resource, _: &str) -> Vec<(String, Vec<serde_json::Value>)> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_restrictions_suggest_and_refuse_values_for_fixes() {
        use aml_fix::Allowed;
        let id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w";
        let mut body = Value::Object(Default::default());
        body.set_path("properties.publicNetworkAccess", Value::str("Enabled"));
        body.set_path("location", Value::str("eastus"));
        let resource = Resource {
            id: id.into(),
            resource_type: "Microsoft.MachineLearningServices/workspaces".into(),
            name: "w".into(),
            api_version: Some("2024-10-01".into()),
            body,
            parent_id: None,
            scope_id: None,
            existing: false,
            deployed: aml_model::model::Deployed::Yes,
            span: aml_model::source::Span::new(aml_model::source::FileId(0), 0, 1),
            symbol: None,
            spans: Default::default(),
            format: "arm",
            deployment: 0,
            source_names: None,
        };
        let restriction = |field: &str, result: &str, values: &[&str]| FieldRestriction {
            field: field.into(),
            result: result.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            effect: "Deny".into(),
            ..Default::default()
        };
        let mut model = Model::default();
        model.restrictions.insert(
            id.to_ascii_lowercase(),
            Restrictions {
                fields: vec![
                    restriction(
                        "Microsoft.MachineLearningServices/workspaces/publicNetworkAccess",
                        "Required",
                        &["Disabled"],
                    ),
                    restriction("location", "Deny", &["eastus"]),
                ],
                evaluations: Vec::new(),
            },
        );
        let pna = "properties.publicNetworkAccess";
        assert_eq!(
            AzureAllowed.suggest(&model, &resource, pna),
            vec![serde_json::json!("Disabled")]
        );
        let checks = AzureAllowed.judge(&model, &resource, pna);
        assert_eq!(checks.len(), 1);
        assert!(checks[0].fails, "Enabled is not the required value");
        let mut fixed = resource.clone();
        fixed.body.set_path(pna, Value::str("disabled"));
        assert!(!AzureAllowed.judge(&model, &fixed, pna)[0].fails);
        let location = AzureAllowed.judge(&model, &resource, "location");
        assert!(location[0].fails && location[0].rule.is_none());
        assert!(AzureAllowed
            .suggest(&model, &resource, "location")
            .is_empty());
        assert!(AzureAllowed
            .judge(&model, &resource, "properties.other")
            .is_empty());
    }

    #[test]
    fn scopes_come_from_the_id_or_the_deployment_scope() {
        let id = "/subscriptions/s1/resourceGroups/g1/providers/Microsoft.MachineLearningServices/workspaces/w";
        assert_eq!(
            check_scope(id, None),
            Ok(CheckScope::ResourceGroup {
                subscription: "s1".into(),
                resource_group: "g1".into()
            })
        );
        let mg = DeploymentScope::ManagementGroup("corp".into());
        assert_eq!(
            check_scope(id, Some(&mg)),
            Ok(CheckScope::ManagementGroup {
                group: "corp".into()
            })
        );
        let placeholder = format!(
            "/subscriptions/{}/resourceGroups/rg/providers/X/y/z",
            DeploymentContext::PLACEHOLDER_ID
        );
        assert!(check_scope(&placeholder, None).is_err());
        let rg = DeploymentScope::ResourceGroup {
            subscription: "s2".into(),
            name: "g2".into(),
        };
        assert_eq!(
            check_scope(&placeholder, Some(&rg)),
            Ok(CheckScope::ResourceGroup {
                subscription: "s2".into(),
                resource_group: "g2".into()
            })
        );
        assert_eq!(
            check_scope("/subscriptions/s3/providers/Microsoft.Resources/x/y", None),
            Ok(CheckScope::Subscription {
                subscription: "s3".into()
            })
        );
    }
}
