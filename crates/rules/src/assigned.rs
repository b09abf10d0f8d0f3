//! The user's own policy assignments (`scan --policies DIR --assignments
//! FILE`): every binding of an [`AssignmentSet`] over every deployed
//! resource it applies to, as [`Outcome`]s like the built-in rules', each
//! carrying the assignment and the effect it gives; an enforced `deny`
//! whose condition holds is a failure that also says Azure would reject the
//! deployment.

use crate::evaluate::{conditional, over_resources, run_policy_rule, Outcome, PolicyBinding};
use crate::{Rule, RuleKind, Severity, Verdict};
use aml_model::diagnostics::Diagnostic;
use aml_model::model::{Model, Resource};
use aml_policy::{Applicability, AssignmentSet, Binding, DeploymentScope};

pub use crate::controls::ASSIGNMENTS_CONTROL;

/// What evaluating assignments needs besides the model.
pub struct AssignmentContext<'a> {
    pub set: &'a AssignmentSet,
    /// `--deployment-scope`, when given.
    pub deployment: Option<&'a DeploymentScope>,
    /// `YYYY-MM-DD`: exemptions that expired before it do not exempt.
    pub today: String,
}

/// A binding's rule: made once per binding for the run (rules are static
/// data; a scan has a bounded number of bindings).
fn rule_of(set: &AssignmentSet, b: &Binding) -> &'static Rule {
    let d = &set.library.engine.definitions()[b.definition];
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let deny = b
        .effect
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case("deny"));
    let control = b
        .groups
        .iter()
        .find_map(|g| {
            crate::controls::CONTROLS
                .iter()
                .find(|(c, _)| {
                    g.len() > c.len()
                        && g.get(g.len() - c.len()..)
                            .is_some_and(|t| t.eq_ignore_ascii_case(c))
                        && !g.as_bytes()[g.len() - c.len() - 1].is_ascii_alphanumeric()
                })
                .map(|(c, _)| *c)
        })
        .unwrap_or(ASSIGNMENTS_CONTROL);
    let title = if d.display_name.is_empty() {
        d.name.clone()
    } else {
        d.display_name.clone()
    };
    let fix = if d.description.is_empty() {
        format!(
            "Change the resource so that policy definition '{}' no longer finds it non-compliant.",
            d.name
        )
    } else {
        d.description.clone()
    };
    let name = leak(d.name.clone());
    Box::leak(Box::new(Rule {
        id: name,
        title: leak(title),
        kind: RuleKind::Policy { definition: name },
        control,
        feature: None,
        severity: if deny {
            Severity::High
        } else {
            Severity::Medium
        },
        enabled_by_default: true,
        fix: leak(fix),
        note: None,
        parameters: None,
        // Users' definitions: `fix` writes only what the shipped rules declare.
        autofix: crate::rule::Autofix::None,
    }))
}

/// Evaluates every binding of `cx.set` over the model's deployed resources.
pub fn evaluate_assignments(
    model: &Model,
    cx: &AssignmentContext,
) -> (Vec<Outcome>, Vec<Diagnostic>) {
    let set = cx.set;
    let engine = &set.library.engine;
    let prepared: Vec<(&'static Rule, PolicyBinding, Vec<String>)> = set
        .bindings
        .iter()
        .map(|b| {
            let a = &set.assignments[b.assignment];
            let traps = aml_policy::parameter_traps(set, b)
                .into_iter()
                .map(|t| t.note)
                .collect();
            (
                rule_of(set, b),
                PolicyBinding {
                    def_index: b.definition,
                    params: b.params.clone(),
                    set_parameters_in: format!("in the parameters of assignment '{}'", a.name),
                    // Every resource in scope is evaluated.
                    types: None,
                    fields: Default::default(),
                },
                traps,
            )
        })
        .collect();
    over_resources(model, |i, resource, related, cache, outcomes, diags| {
        for (b, (rule, binding, traps)) in set.bindings.iter().zip(&prepared) {
            let applies = set.applies(b, &resource.id, cx.deployment, &cx.today);
            let unknown_scope = match applies {
                Applicability::Applies => None,
                Applicability::Unknown(why) => Some(why),
                other => {
                    if let Some(d) = not_applicable(set, b, resource, &other) {
                        diags.push(d);
                    }
                    continue;
                }
            };
            let Some(mut o) =
                run_policy_rule(engine, rule, binding, i, resource, cache, related, diags)
            else {
                continue;
            };
            let a = &set.assignments[b.assignment];
            o.assignment = Some(a.id.clone());
            o.effect = b.effect.as_ref().map(|e| e.to_ascii_lowercase());
            if let Some(r) = &b.reference_id {
                o.message = format!("{} (initiative member '{r}')", o.message).into();
            }
            for t in traps {
                o.message = format!("{}; {t}", o.message).into();
            }
            let deny = o.effect.as_deref() == Some("deny");
            crate::evaluate::annotate(&mut o, model);
            let known = o
                .known_issue
                .map(|k| {
                    format!(
                        " (a known issue of the definition: {} {})",
                        k.summary, k.url
                    )
                })
                .unwrap_or_default();
            if o.verdict == Verdict::Fail {
                if let Some(why) = unknown_scope {
                    o.verdict = Verdict::Unknown;
                    o.message = format!(
                        "{}; whether assignment '{}' applies depends on {why}",
                        o.message, a.name
                    )
                    .into();
                    o.deciding.push(why);
                } else if deny && a.enforced {
                    o.denied = true;
                    let mode = &engine.definitions()[b.definition].mode;
                    o.message = (if ["all", "indexed"].contains(&mode.to_ascii_lowercase().as_str())
                    {
                        format!(
                            "{}; Azure would deny the deployment (RequestDisallowedByPolicy) by assignment '{}'{known}",
                            o.message, a.display_name
                        )
                    } else {
                        format!(
                            "{}; Azure Machine Learning would refuse to create the deployment (resource-provider mode {mode}, enforced by the service) by assignment '{}'",
                            o.message, a.display_name
                        )
                    }).into();
                } else if deny {
                    o.message = format!(
                        "{}; assignment '{}' is DoNotEnforce: reported, not denied",
                        o.message, a.display_name
                    )
                    .into();
                }
            }
            let mut o = crate::evaluate::unread_evidence(conditional(o, resource), model);
            crate::evaluate::annotate(&mut o, model);
            o.denied &= o.verdict == Verdict::Fail;
            o.may_deny = deny && a.enforced && o.verdict == Verdict::Unknown;
            outcomes.push(o);
        }
    })
}

/// One enforced binding's verdict on a resource as a fix would leave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    /// Index into the set's bindings.
    pub binding: usize,
    /// The definition's name (the id of the binding's results).
    pub definition: String,
    /// `assignment 'Display name' (definition x, Deny)`, for messages.
    pub name: String,
    /// The resource would be non-compliant (denied or audited).
    pub fails: bool,
}

/// The verdict of every binding of an enforced assignment of `cx.set` that
/// applies to `resource` and whose definition looks at it: `resource` is a
/// resource of `model` with a fix's changes made to its body, so that `fix`
/// writes only values the organisation's policy allows. Bindings whose
/// scope the files do not decide, unknown verdicts and `Disabled` effects
/// are left out: they neither allow nor refuse a value.
/// Only definitions `wanted` says yes to (by index) are evaluated.
pub fn judge(
    model: &Model,
    cx: &AssignmentContext,
    resource: &Resource,
    wanted: &dyn Fn(usize) -> bool,
) -> Vec<Judgement> {
    let set = cx.set;
    let engine = &set.library.engine;
    let related = crate::evaluate::ModelRelations {
        model,
        deployment: resource.deployment,
    };
    let cache = aml_policy::ResourceCache::default();
    let policy_resource = aml_policy::PolicyResource {
        id: &resource.id,
        resource_type: &resource.resource_type,
        full_name: &resource.name,
        api_version: resource.api_version.as_deref(),
        location: resource
            .body
            .get("location")
            .and_then(aml_model::value::Value::as_str),
        body: &resource.body,
    };
    let mut out = Vec::new();
    for (i, b) in set.bindings.iter().enumerate() {
        let a = &set.assignments[b.assignment];
        let disabled = b
            .effect
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case("disabled"));
        if !a.enforced || disabled || !wanted(b.definition) {
            continue;
        }
        if set.applies(b, &resource.id, cx.deployment, &cx.today) != Applicability::Applies {
            continue;
        }
        let fails = match engine.evaluate_cached(
            b.definition,
            &policy_resource,
            &cache,
            &b.params,
            &related,
        ) {
            aml_policy::PolicyOutcome::NonCompliant { .. } => true,
            aml_policy::PolicyOutcome::Compliant { .. } => false,
            _ => continue,
        };
        let d = &engine.definitions()[b.definition];
        let member = b
            .reference_id
            .as_deref()
            .map(|r| format!(", initiative member '{r}'"))
            .unwrap_or_default();
        out.push(Judgement {
            binding: i,
            definition: d.name.clone(),
            name: format!(
                "assignment '{}' (definition {}{member}, {})",
                a.display_name,
                short(&d.name),
                b.effect.as_deref().unwrap_or("effect unknown")
            ),
            fails,
        });
    }
    out
}

/// A definition's name as messages give it: a GUID's first 8 hex digits.
fn short(name: &str) -> &str {
    let guid = name.len() == 36 && name.bytes().filter(|b| *b == b'-').count() == 4;
    if guid {
        &name[..8]
    } else {
        name
    }
}

/// Why a binding gives no result on a resource of a type its definition
/// targets (outside the assignment's scope, under a `notScope`, exempted),
/// as an info diagnostic at the resource: a verdict is never silently
/// absent. `None` for resources of other types (the definition does not
/// look at them) and definitions that name no type.
fn not_applicable(
    set: &AssignmentSet,
    b: &Binding,
    resource: &aml_model::model::Resource,
    why: &Applicability,
) -> Option<Diagnostic> {
    let d = &set.library.engine.definitions()[b.definition];
    if !d.resource_types.iter().any(|t| resource.is_type(t)) {
        return None;
    }
    let a = &set.assignments[b.assignment];
    let reason = scope_reason(set, b, resource, why)?;
    let member = b
        .reference_id
        .as_deref()
        .map(|r| format!(" (initiative member '{r}')"))
        .unwrap_or_default();
    Some(Diagnostic::info(
        "policy-not-applicable",
        format!(
            "policy definition '{}'{member} of assignment '{}' is not applicable to {} '{}': {reason}",
            d.name, a.name, resource.resource_type, resource.name
        ),
        aml_model::diagnostics::Location::Span(resource.span),
    ))
}

/// Why an assignment's scope leaves the resource out; `None` when it does not.
fn scope_reason(
    set: &AssignmentSet,
    b: &Binding,
    resource: &aml_model::model::Resource,
    why: &Applicability,
) -> Option<String> {
    let a = &set.assignments[b.assignment];
    Some(match why {
        Applicability::OutOfScope => format!(
            "the resource ({}) is outside its scope {}",
            resource.id, a.scope
        ),
        Applicability::NotScoped(ns) => format!("the resource is under its notScope {ns}"),
        Applicability::Exempted { name, category } => {
            format!("the resource is exempted by '{name}' ({category})")
        }
        Applicability::Applies | Applicability::Unknown(_) => return None,
    })
}

/// Why binding `index` of `cx.set` gives no result on `resource`: the
/// assignment's scope, notScopes and exemptions, else the definition's own
/// applicability (for the report's rule account).
pub(crate) fn binding_not_applicable_reason(
    cx: &AssignmentContext,
    index: usize,
    resource: &aml_model::model::Resource,
) -> String {
    let set = cx.set;
    let b = &set.bindings[index];
    let why = set.applies(b, &resource.id, cx.deployment, &cx.today);
    if let Some(reason) = scope_reason(set, b, resource, &why) {
        return reason;
    }
    set.library.engine.not_applicable_reason(
        b.definition,
        &crate::evaluate::policy_resource(resource),
        &b.params,
    )
}
