//! What the organisation allows a fix to write. With `--policies` /
//! `--assignments`, a fix writes a value every enforced assignment allows:
//! among the values the rule accepts (and those the assignments' conditions
//! name), the first on which no assignment that cares about the property
//! would deny or audit the resource. When there is none, the fix is left to
//! a person and the message names the assignments that conflict.
//!
//! The sources are pluggable ([`Allowed`]): the user's assignments, judged
//! by the policy engine the scan uses ([`Assignments`]); other sources
//! (Azure's `checkPolicyRestrictions` field restrictions) implement the
//! same trait and are judged together.

use aml_model::model::{Model, Resource};
use aml_model::value::Value;
use aml_policy::{AssignmentSet, DeploymentScope};
use serde_json::Value as J;
use std::sync::Arc;

/// One check a source makes on a resource: an assignment's verdict, a
/// field restriction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Unique among the checks of all sources (`assignment#3`).
    pub key: String,
    /// How messages name it: `assignment 'Allowed VM sizes' (definition x, Deny)`.
    pub name: String,
    /// The id of the results this check gives (an assignment's definition
    /// name), when it gives results of its own.
    pub rule: Option<String>,
    /// The resource as given would not be allowed.
    pub fails: bool,
}

/// A source of what a fix may write.
pub trait Allowed: Send + Sync {
    /// Values this source names for ARM `path` of `resource` (an allowed-values
    /// parameter, the isolation mode an assignment asks for, a field
    /// restriction's allowed values): candidates, judged by [`Allowed::judge`].
    fn suggest(&self, model: &Model, resource: &Resource, path: &str) -> Vec<J>;
    /// This source's checks of `resource` (a resource of `model`, possibly
    /// with a fix's changes made to its body) that may depend on ARM `path`
    /// (the others cannot tell one value of it from another).
    fn judge(&self, model: &Model, resource: &Resource, path: &str) -> Vec<Check>;
    /// For a failing result of this source's own (`rule` as in
    /// [`Check::rule`]): the ARM paths that decide it and the values it names
    /// for each. Empty for results of other rules.
    fn proposals(&self, model: &Model, resource: &Resource, rule: &str) -> Vec<(String, Vec<J>)>;
}

/// The sources a plan consults; none by default (every value the rule
/// accepts is written).
#[derive(Clone, Default)]
pub struct AllowedSources(pub Vec<Arc<dyn Allowed>>);

impl std::fmt::Debug for AllowedSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AllowedSources({} sources)", self.0.len())
    }
}

impl AllowedSources {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn judge(&self, model: &Model, resource: &Resource, path: &str) -> Vec<Check> {
        self.0
            .iter()
            .flat_map(|s| s.judge(model, resource, path))
            .collect()
    }

    fn suggest(&self, model: &Model, resource: &Resource, path: &str) -> Vec<J> {
        let mut out: Vec<J> = Vec::new();
        for v in self.0.iter().flat_map(|s| s.suggest(model, resource, path)) {
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }

    /// The paths and values the sources name for one of their own failing results.
    pub(crate) fn proposals(
        &self,
        model: &Model,
        resource: &Resource,
        rule: &str,
    ) -> Vec<(String, Vec<J>)> {
        self.0
            .iter()
            .flat_map(|s| s.proposals(model, resource, rule))
            .collect()
    }
}

/// The values a fix may write at `path`, in order of preference, and what
/// must hold of the one chosen.
pub(crate) struct Want<'a> {
    pub path: &'a str,
    /// Values that satisfy the rule being fixed, the first preferred.
    pub preferred: Vec<J>,
    /// For a source's own result: the checks of this rule must pass too
    /// (and the sources' suggestions are candidates as well).
    pub must_pass: Option<&'a str>,
}

/// `resource` with `path` set to `value`.
fn with(resource: &Resource, path: &str, value: &J) -> Resource {
    let mut r = resource.clone();
    r.body.set_path(path, Value::from_json(value));
    r
}

/// Azure compares strings case-insensitively.
fn same_json(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::String(x), J::String(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

fn shown(v: &J) -> String {
    match v {
        J::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

/// The value to write: the first wanted value on which no check that
/// depends on `path` fails (a check depends on it when some candidate, or
/// the value the resource has, passes it and another fails it), with a note
/// when a preferred value was passed over; or why none is allowed, naming
/// the checks that refuse each candidate.
pub(crate) fn choose(
    sources: &AllowedSources,
    model: &Model,
    resource: &Resource,
    want: &Want,
) -> Result<(J, Vec<String>), String> {
    // Every candidate is judged, so that a check is known to depend on the
    // property; only the preferred ones may be written for a rule's fix.
    let mut tried: Vec<J> = want.preferred.clone();
    for v in sources.suggest(model, resource, want.path) {
        if !tried.iter().any(|t| same_json(t, &v)) {
            tried.push(v);
        }
    }
    let pool = if want.must_pass.is_some() {
        tried.len()
    } else {
        want.preferred.len()
    };
    let original = sources.judge(model, resource, want.path);
    let verdicts: Vec<(J, Vec<Check>)> = tried
        .iter()
        .map(|v| {
            let changed = with(resource, want.path, v);
            (v.clone(), sources.judge(model, &changed, want.path))
        })
        .collect();
    let depends = |key: &str| {
        let all = original
            .iter()
            .chain(verdicts.iter().flat_map(|(_, c)| c))
            .filter(|c| c.key == key);
        let (mut pass, mut fail) = (false, false);
        for c in all {
            pass |= !c.fails;
            fail |= c.fails;
        }
        pass && fail
    };
    let mut refused: Vec<String> = Vec::new();
    for (v, checks) in verdicts.iter().take(pool) {
        let own = |c: &&Check| want.must_pass.is_some() && c.rule.as_deref() == want.must_pass;
        // A source's own result must be judged and pass: a value that makes
        // its definition stop applying (a type-like field) fixes nothing.
        let unjudged = want.must_pass.is_some() && !checks.iter().any(|c| own(&c));
        let objectors: Vec<&str> = checks
            .iter()
            .filter(|c| c.fails && (own(c) || depends(&c.key)))
            .map(|c| c.name.as_str())
            .collect();
        if !unjudged && objectors.is_empty() {
            let notes = if refused.is_empty() {
                Vec::new()
            } else {
                vec![format!(
                    "`{}`: {} chosen, allowed by every enforced assignment ({})",
                    want.path,
                    shown(v),
                    refused.join("; ")
                )]
            };
            return Ok((v.clone(), notes));
        }
        refused.push(if unjudged {
            format!(
                "{} would only make the failing definition stop applying",
                shown(v)
            )
        } else {
            format!("{} is not allowed by {}", shown(v), objectors.join(", "))
        });
    }
    if pool == 0 {
        return Err(format!(
            "`{}`: the assignments name no value to write; set it by hand",
            want.path
        ));
    }
    if want.must_pass.is_none() {
        // Values the assignments allow that the rule does not accept.
        let allowed: Vec<String> = verdicts
            .iter()
            .skip(pool)
            .filter(|(_, checks)| !checks.iter().any(|c| c.fails && depends(&c.key)))
            .map(|(v, _)| shown(v))
            .collect();
        let besides = if allowed.is_empty() {
            String::new()
        } else {
            format!(
                "; the assignments allow {}, which this rule does not accept",
                allowed.join(", ")
            )
        };
        return Err(format!(
            "`{}`: no value this rule accepts is allowed by every enforced assignment: {}{besides}; the rule and the assignments conflict: change the assignment, or waive the rule, then fix it by hand",
            want.path,
            refused.join("; ")
        ));
    }
    Err(format!(
        "`{}`: no value is allowed by every enforced assignment, so they conflict: {}; change an assignment or exempt the resource, then fix it by hand",
        want.path,
        refused.join("; ")
    ))
}

/// The user's assignments (`--policies`, `--assignments`) as a source:
/// each enforced binding that applies to a resource, judged by the policy
/// engine; its definition's conditions name the candidate values.
pub struct Assignments {
    pub set: AssignmentSet,
    pub deployment: Option<DeploymentScope>,
    /// `YYYY-MM-DD`, for exemptions' expiry.
    pub today: String,
}

impl Assignments {
    fn context(&self) -> aml_rules::assigned::AssignmentContext<'_> {
        aml_rules::assigned::AssignmentContext {
            set: &self.set,
            deployment: self.deployment.as_ref(),
            today: self.today.clone(),
        }
    }

    /// The values binding `b`'s definition compares `path` with.
    fn values_for(&self, b: &aml_policy::Binding, resource: &Resource, path: &str) -> Vec<J> {
        self.set
            .library
            .engine
            .compared_values(
                b.definition,
                &resource.resource_type,
                resource.api_version.as_deref(),
                &b.params,
            )
            .into_iter()
            .filter(|(p, _)| p.eq_ignore_ascii_case(path))
            .flat_map(|(_, vs)| vs)
            .collect()
    }

    /// The bindings of `judgements` (those that look at the resource).
    fn bindings<'s>(
        &'s self,
        judgements: &[aml_rules::assigned::Judgement],
    ) -> impl Iterator<Item = (&'s aml_policy::Binding, String)> + 's {
        let picked: Vec<(usize, String)> = judgements
            .iter()
            .map(|j| (j.binding, j.definition.clone()))
            .collect();
        picked
            .into_iter()
            .map(move |(i, d)| (&self.set.bindings[i], d))
    }
}

impl Allowed for Assignments {
    fn suggest(&self, model: &Model, resource: &Resource, path: &str) -> Vec<J> {
        let judgements = aml_rules::assigned::judge(model, &self.context(), resource, &|_| true);
        let mut out: Vec<J> = Vec::new();
        for (b, _) in self.bindings(&judgements) {
            for v in self.values_for(b, resource, path) {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        out
    }

    fn judge(&self, model: &Model, resource: &Resource, path: &str) -> Vec<Check> {
        let engine = &self.set.library.engine;
        let reads = |def: usize| {
            engine
                .field_paths(
                    def,
                    &resource.resource_type,
                    resource.api_version.as_deref(),
                )
                .iter()
                .any(|p| p.eq_ignore_ascii_case(path))
        };
        aml_rules::assigned::judge(model, &self.context(), resource, &reads)
            .into_iter()
            .map(|j| Check {
                key: format!("assignment#{}", j.binding),
                name: j.name,
                rule: Some(j.definition),
                fails: j.fails,
            })
            .collect()
    }

    fn proposals(&self, model: &Model, resource: &Resource, rule: &str) -> Vec<(String, Vec<J>)> {
        let judgements = aml_rules::assigned::judge(model, &self.context(), resource, &|_| true);
        let mut out: Vec<(String, Vec<J>)> = Vec::new();
        for (b, definition) in self.bindings(&judgements) {
            if definition != rule {
                continue;
            }
            let paths = self.set.library.engine.compared_values(
                b.definition,
                &resource.resource_type,
                resource.api_version.as_deref(),
                &b.params,
            );
            for (path, values) in paths {
                aml_policy::merge_compared_values(&mut out, path, values);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aml_model::model::Resource;
    use serde_json::json;

    /// A source like Azure's field restrictions: one path, its allowed
    /// values; and a check that fails whatever the value.
    struct Restriction {
        path: &'static str,
        allowed: Vec<J>,
    }

    impl Allowed for Restriction {
        fn suggest(&self, _: &Model, _: &Resource, path: &str) -> Vec<J> {
            if path == self.path {
                self.allowed.clone()
            } else {
                Vec::new()
            }
        }
        fn judge(&self, _: &Model, resource: &Resource, _: &str) -> Vec<Check> {
            let v = resource.get(self.path).map(Value::to_json_display);
            vec![
                Check {
                    key: "restriction".into(),
                    name: "field restriction".into(),
                    rule: None,
                    fails: !v.is_some_and(|v| self.allowed.iter().any(|a| same_json(a, &v))),
                },
                Check {
                    key: "always".into(),
                    name: "a check about something else".into(),
                    rule: None,
                    fails: true,
                },
            ]
        }
        fn proposals(&self, _: &Model, _: &Resource, _: &str) -> Vec<(String, Vec<J>)> {
            Vec::new()
        }
    }

    fn workspace() -> Resource {
        let mut body = Value::Object(Default::default());
        body.set_path(
            "properties.managedNetwork.isolationMode",
            Value::str("Disabled"),
        );
        Resource {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws".into(),
            resource_type: "Microsoft.MachineLearningServices/workspaces".into(),
            name: "ws".into(),
            api_version: None,
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
        }
    }

    #[test]
    fn the_first_allowed_value_the_rule_accepts_is_chosen() {
        let sources = AllowedSources(vec![Arc::new(Restriction {
            path: "properties.managedNetwork.isolationMode",
            allowed: vec![json!("AllowInternetOutbound")],
        })]);
        let model = Model::default();
        let want = Want {
            path: "properties.managedNetwork.isolationMode",
            preferred: vec![
                json!("AllowOnlyApprovedOutbound"),
                json!("AllowInternetOutbound"),
            ],
            must_pass: None,
        };
        let (v, notes) = choose(&sources, &model, &workspace(), &want).unwrap();
        assert_eq!(v, json!("AllowInternetOutbound"));
        assert!(
            notes[0].contains("`AllowOnlyApprovedOutbound` is not allowed by field restriction"),
            "{notes:?}"
        );
        // Only the rule's own value: a conflict, naming who refuses it and what is allowed;
        // the check that fails whatever the value is not named.
        let want = Want {
            preferred: vec![json!("AllowOnlyApprovedOutbound")],
            ..want
        };
        let e = choose(&sources, &model, &workspace(), &want).unwrap_err();
        assert!(
            e.contains("`AllowOnlyApprovedOutbound` is not allowed by field restriction; the assignments allow `AllowInternetOutbound`"),
            "{e}"
        );
        assert!(!e.contains("something else"), "{e}");
    }
}
