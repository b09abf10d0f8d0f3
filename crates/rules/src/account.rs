//! The rule account: for every deployed resource, the rules that ran and gave
//! it no result, and why. With each rule's target types, it lets a report's
//! reader prove that no verdict was dropped: every (resource, rule) pair is a
//! result, a type the rule does not target, or an entry here with its reason.

use crate::assigned::AssignmentContext;
use crate::evaluate::{policy_resource, Outcome, PolicyBinding, RuleParameters};
use crate::{Rule, RuleKind};
use aml_model::intern::Text;
use aml_model::model::{Model, Resource};
use aml_policy::PolicyEngine;
use rayon::prelude::*;
use std::collections::HashMap;

/// A rule that ran, gave no result on a resource of a type it targets, and why.
///
/// The strings are shared: every entry of one rule holds the same id, and
/// entries with the same reason (most of them: a rule's reason rarely names
/// the resource) the same reason, so that an account of hundreds of
/// thousands of entries holds a few strings, not one per entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotApplicable {
    /// Index of the resource in [`Model::resources`].
    pub resource: usize,
    /// The rule id (for an assignment: the definition's name).
    pub rule: Text,
    /// The assignment's id, for a rule of the user's assignments.
    pub assignment: Option<Text>,
    /// Why it gave no result, in one phrase.
    pub reason: Text,
}

/// The resource types a rule that ran can give a result on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleTargets {
    pub rule: String,
    pub assignment: Option<String>,
    /// Full types (`Microsoft.X/y`), or a provider's every type
    /// (`Microsoft.X/*`); `None`: any type.
    pub types: Option<Vec<String>>,
    /// The rule judges code only (templates, Bicep, Terraform, YAML), never
    /// resources read from a live export.
    pub code_only: bool,
}

/// What the account holds for one scan.
#[derive(Clone, Debug, Default)]
pub struct RuleAccount {
    pub targets: Vec<RuleTargets>,
    /// In resource order, then rule order.
    pub not_applicable: Vec<NotApplicable>,
}

/// Which resources a native rule judges: its target types, in words the
/// resources of those types it gives a result on, and the compute types
/// (`properties.computeType`) it selects computes by, if any. Every native
/// rule has an entry (a test checks it).
pub fn native_scope(id: &str) -> Option<NativeScope> {
    const WS: &str = "Microsoft.MachineLearningServices/workspaces";
    const COMPUTES: &str = "Microsoft.MachineLearningServices/workspaces/computes";
    const ONLINE: &str = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints";
    const BATCH: &str = "Microsoft.MachineLearningServices/workspaces/batchEndpoints";
    const CI_AND_CLUSTERS: &[&str] = &["ComputeInstance", "AmlCompute"];
    let (types, judges, compute_types): (&'static [&'static str], &'static str, &'static [&'static str]) = match id {
        "AMLB-NS1-001" => (&[WS], "workspaces", &[]),
        "AMLB-NS1-002" => (&[COMPUTES], "compute instances and clusters (`computeType` `ComputeInstance` or `AmlCompute`) whose subnet is known, or unknown in files that declare a virtual network", CI_AND_CLUSTERS),
        "AMLB-NS1-003" => (&[COMPUTES], "compute instances and clusters (`computeType` `ComputeInstance` or `AmlCompute`)", CI_AND_CLUSTERS),
        "AMLB-NS1-004" => (&[COMPUTES], "compute instances and clusters (`computeType` `ComputeInstance` or `AmlCompute`)", CI_AND_CLUSTERS),
        "AMLB-NS2-001" => (&[WS], "workspaces", &[]),
        "AMLB-NS2-002" => (&["Microsoft.MachineLearningServices/registries"], "registries", &[]),
        "AMLB-NS2-003" => (&[ONLINE], "online endpoints", &[]),
        "AMLB-NS2-004" => (&[WS], "workspaces that set `ipAllowlist` or `networkAcls`", &[]),
        "AMLB-NS2-005" => (&["Microsoft.Network/privateEndpoints"], "private endpoints whose target is a workspace", &[]),
        "AMLB-IM1-001" => (&[ONLINE, BATCH], "online and batch endpoints", &[]),
        "AMLB-IM3-001" => (&[WS, COMPUTES], "workspaces, and compute instances and clusters (`computeType` `ComputeInstance` or `AmlCompute`)", CI_AND_CLUSTERS),
        "AMLB-IM8-001" => (&["Microsoft.MachineLearningServices/workspaces/datastores", "Microsoft.MachineLearningServices/workspaces/connections"], "datastores and connections with a credential", &[]),
        "AMLB-IM8-002" => (&[COMPUTES], "computes that set a credential field (admin password, SSH key, user account)", &[]),
        "AMLB-IM8-003" => (&["Microsoft.MachineLearningServices/*"], "Azure ML resources other than datastores and connections that hold a secret-looking value", &[]),
        "AMLB-IM8-004" => (&["*"], "a deployment's parameter defaults, once, on its first resource (code only)", &[]),
        "AMLB-PA7-001" => (&["Microsoft.Authorization/roleAssignments"], "role assignments at a workspace, or at its resource group or wider in files that declare a workspace", &[]),
        "AMLB-PA7-002" => (&["Microsoft.Authorization/roleDefinitions"], "custom role definitions whose `permissions` the files set", &[]),
        "AMLB-DP2-001" => (&[WS, "Microsoft.MachineLearningServices/workspaces/outboundRules"], "workspaces and outbound rules with FQDN outbound rules", &[]),
        "AMLB-DP3-001" => (&[COMPUTES], "attached AKS inference clusters (`computeType` `AKS`)", &["AKS"]),
        "AMLB-DP3-002" => (&["Microsoft.Storage/storageAccounts"], "storage accounts a workspace in the same files uses (`storageAccount`)", &[]),
        "AMLB-DP6-001" => (&["Microsoft.KeyVault/vaults"], "key vaults a workspace in the same files uses (`keyVault`, or its customer-managed key's vault)", &[]),
        "AMLB-DP6-002" => (&["Microsoft.KeyVault/vaults/keys"], "keys in files that declare a workspace", &[]),
        "AMLB-PV3-001" => (&["Microsoft.MachineLearningServices/workspaces/environments/versions", "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments", "Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments"], "environment versions and endpoint deployments whose image is not a workspace asset", &[]),
        "AMLB-PV3-002" => (&["Microsoft.ContainerRegistry/registries"], "container registries in files that declare a workspace", &[]),
        "AMLB-PV6-001" => (&[COMPUTES], "compute clusters (`computeType` `AmlCompute`)", &["AmlCompute"]),
        _ => return None,
    };
    Some(NativeScope {
        types,
        judges,
        compute_types,
    })
}

/// What [`native_scope`] says of a native rule.
#[derive(Clone, Copy, Debug)]
pub struct NativeScope {
    /// Target types (`Microsoft.X/y`, `Microsoft.X/*`, or `*`).
    pub types: &'static [&'static str],
    /// The resources of those types it gives a result on, in words.
    pub judges: &'static str,
    /// For computes: the `computeType`s it judges; empty when it does not
    /// select computes by type.
    pub compute_types: &'static [&'static str],
}

/// Native rules that judge code only: a live export has no parameters.
const CODE_ONLY: &[&str] = &["AMLB-IM8-004"];

/// Whether `pattern` (a full type, `Provider/*`, or `*`) covers `resource_type`.
pub fn type_matches(pattern: &str, resource_type: &str) -> bool {
    match pattern.strip_suffix("/*") {
        _ if pattern == "*" => true,
        Some(provider) => resource_type.get(..provider.len() + 1).is_some_and(|p| {
            p[..provider.len()].eq_ignore_ascii_case(provider) && p.ends_with('/')
        }),
        None => pattern.eq_ignore_ascii_case(resource_type),
    }
}

fn evaluable(r: &Resource) -> bool {
    !r.existing && !r.is_type("Microsoft.Resources/deployments")
}

/// One rule that ran, ready for the account.
struct Ran<'a> {
    id: &'a str,
    assignment: Option<(&'a str, usize)>,
    /// `id` and the assignment's id as the entries share them.
    shared: (Text, Option<Text>),
    types: Option<Vec<String>>,
    code_only: bool,
    reason: Reason<'a>,
}

enum Reason<'a> {
    Native(&'static str),
    Policy(&'a PolicyEngine, PolicyBinding),
    Assigned(usize),
}

/// The account of `outcomes`: the target types of every rule that ran (the
/// product's `rules`, then every binding of the assignments) and, for each
/// deployed resource of a targeted type, each rule that gave no result.
pub fn account(
    model: &Model,
    rules: &[&'static Rule],
    parameters: &RuleParameters,
    assignments: Option<&AssignmentContext>,
    outcomes: &[Outcome],
) -> RuleAccount {
    let mut accounting = Accounting::new(model, rules, parameters, assignments);
    let resources: Vec<usize> = (0..model.resources.len())
        .filter(|&i| evaluable(&model.resources[i]))
        .collect();
    accounting.add(model, &resources, outcomes);
    accounting.finish()
}

/// An account made a part of the resources at a time ([`account`] makes it
/// at once): the rules that ran, and the entries of the resources added so
/// far.
pub struct Accounting<'a> {
    ran: Vec<Ran<'a>>,
    assignments: Option<&'a AssignmentContext<'a>>,
    /// Rules by lower-case target type; rules for any type or a provider.
    by_type: HashMap<String, Vec<usize>>,
    open: Vec<usize>,
    /// Equal reasons are one shared string.
    reasons: aml_model::intern::Interner,
    any_evaluable: bool,
    not_applicable: Vec<NotApplicable>,
}

impl<'a> Accounting<'a> {
    /// The rules that ran: the product's `rules`, then every binding of the
    /// assignments.
    pub fn new(
        model: &Model,
        rules: &[&'static Rule],
        parameters: &RuleParameters,
        assignments: Option<&'a AssignmentContext<'a>>,
    ) -> Accounting<'a> {
        let any_evaluable = model.resources.iter().any(evaluable);
        let ran = rules_that_ran(any_evaluable, rules, parameters, assignments);
        let mut by_type: HashMap<String, Vec<usize>> = HashMap::new();
        let mut open: Vec<usize> = Vec::new();
        for (i, r) in ran.iter().enumerate() {
            match &r.types {
                Some(types) if types.iter().all(|t| !t.ends_with("/*")) => {
                    for t in types {
                        by_type.entry(t.to_ascii_lowercase()).or_default().push(i);
                    }
                }
                _ => open.push(i),
            }
        }
        Accounting {
            ran,
            assignments,
            by_type,
            open,
            reasons: Default::default(),
            any_evaluable,
            not_applicable: Vec::new(),
        }
    }

    /// The entries of `resources` (positions of deployed resources in
    /// [`Model::resources`], in order, after those added before), whose
    /// outcomes are all in `outcomes`.
    pub fn add(&mut self, model: &Model, resources: &[usize], outcomes: &[Outcome]) {
        if self.any_evaluable {
            let entries = self.absences(model, resources, outcomes);
            self.not_applicable.extend(entries);
        }
    }

    /// The account of the resources added.
    pub fn finish(self) -> RuleAccount {
        let targets = self
            .ran
            .iter()
            .map(|r| RuleTargets {
                rule: r.id.to_string(),
                assignment: r.assignment.map(|(a, _)| a.to_string()),
                types: r.types.clone(),
                code_only: r.code_only,
            })
            .collect();
        RuleAccount {
            targets,
            not_applicable: self.not_applicable,
        }
    }

    /// Every (resource, rule) pair of a targeted type without an outcome.
    fn absences(
        &self,
        model: &Model,
        resources: &[usize],
        outcomes: &[Outcome],
    ) -> Vec<NotApplicable> {
        let (ran, by_type, open) = (&self.ran, &self.by_type, &self.open);
        let given = OutcomesByResource::new(resources, outcomes);
        // Each resource on its own (in parallel), its entries in rule order;
        // gathered in resource order.
        let per_resource: Vec<Vec<NotApplicable>> = resources
            .par_iter()
            .enumerate()
            .map(|(k, &index)| {
                let resource = &model.resources[index];
                let mut candidates: Vec<usize> = Vec::new();
                if let Some(rules) = by_type.get(&resource.resource_type.to_ascii_lowercase()) {
                    candidates.extend_from_slice(rules);
                }
                candidates.extend(open.iter().copied().filter(|&i| {
                    match &ran[i].types {
                        None => true,
                        Some(types) => types
                            .iter()
                            .any(|t| type_matches(t, &resource.resource_type)),
                    }
                }));
                candidates.sort_unstable();
                candidates.dedup();
                let mut out = Vec::new();
                for &i in &candidates {
                    let r = &ran[i];
                    if r.code_only && resource.format == "live" {
                        continue;
                    }
                    let assignment = r.assignment.map(|(a, _)| a);
                    if given.has(outcomes, k, r.id, assignment) {
                        continue;
                    }
                    let reason = match &r.reason {
                        Reason::Native(words) => native_reason(words, resource),
                        Reason::Policy(engine, binding) => engine.not_applicable_reason(
                            binding.def_index,
                            &policy_resource(resource),
                            &binding.params,
                        ),
                        Reason::Assigned(b) => match self.assignments {
                            Some(cx) => {
                                crate::assigned::binding_not_applicable_reason(cx, *b, resource)
                            }
                            None => continue,
                        },
                    };
                    out.push(NotApplicable {
                        resource: index,
                        rule: r.shared.0.clone(),
                        assignment: r.shared.1.clone(),
                        reason: self.reasons.get(&reason),
                    });
                }
                out
            })
            .collect();
        per_resource.into_iter().flatten().collect()
    }
}

/// The rules that ran, ready for the account: the product's, then every
/// binding of the assignments.
fn rules_that_ran<'a>(
    any_evaluable: bool,
    rules: &[&'static Rule],
    parameters: &RuleParameters,
    assignments: Option<&'a AssignmentContext<'a>>,
) -> Vec<Ran<'a>> {
    let engine =
        (any_evaluable && rules.iter().any(|r| r.policy().is_some())).then(PolicyEngine::builtin);
    let mut ran: Vec<Ran> = Vec::new();
    for rule in rules {
        match rule.kind {
            RuleKind::Native { .. } => {
                let (types, words) = native_scope(rule.id)
                    .map(|n| (n.types, n.judges))
                    .unwrap_or((&["*"], "the resources its check judges"));
                let types =
                    (!types.contains(&"*")).then(|| types.iter().map(|t| t.to_string()).collect());
                let code_only = CODE_ONLY.contains(&rule.id);
                ran.push(Ran {
                    id: rule.id,
                    assignment: None,
                    shared: (rule.id.into(), None),
                    types,
                    code_only,
                    reason: Reason::Native(words),
                });
            }
            RuleKind::Policy { definition } => {
                let Some(engine) = engine else { continue };
                let Some(binding) =
                    PolicyBinding::new(engine, rule, definition, parameters.get(rule.id))
                else {
                    continue;
                };
                let types = engine.target_types(binding.def_index, &binding.params);
                ran.push(Ran {
                    id: rule.id,
                    assignment: None,
                    shared: (rule.id.into(), None),
                    types,
                    code_only: false,
                    reason: Reason::Policy(engine, binding),
                });
            }
        }
    }
    if let Some(cx) = assignments {
        let engine = &cx.set.library.engine;
        for (i, b) in cx.set.bindings.iter().enumerate() {
            let d = &engine.definitions()[b.definition];
            let a = &cx.set.assignments[b.assignment];
            ran.push(Ran {
                id: d.name.as_str(),
                assignment: Some((a.id.as_str(), b.assignment)),
                shared: (d.name.as_str().into(), Some(a.id.as_str().into())),
                types: engine.target_types(b.definition, &b.params),
                code_only: false,
                reason: Reason::Assigned(i),
            });
        }
    }
    ran
}

/// The outcomes of each resource, found without hashing: the outcomes'
/// positions grouped by resource (a counting sort), so a resource's few
/// outcomes are one short slice. A set of every (resource, rule,
/// assignment) triple cost more than the rest of the account at 100,000
/// resources, and more per outcome the more there were (cache misses).
struct OutcomesByResource {
    /// `start[r]..start[r + 1]` indexes `order` for resource `r`.
    start: Vec<usize>,
    /// Positions in the outcomes, by resource, in outcome order.
    order: Vec<usize>,
}

impl OutcomesByResource {
    /// The outcomes of `resources` (positions in [`Model::resources`], in
    /// order), found by their place `k` in `resources`; outcomes of other
    /// resources are left out.
    fn new(resources: &[usize], outcomes: &[Outcome]) -> OutcomesByResource {
        let place = |o: &Outcome| resources.binary_search(&o.resource).ok();
        let n = resources.len();
        let mut start = vec![0usize; n + 1];
        for o in outcomes {
            if let Some(k) = place(o) {
                start[k + 1] += 1;
            }
        }
        for r in 0..n {
            start[r + 1] += start[r];
        }
        let mut next = start.clone();
        let mut order = vec![0usize; start[n]];
        for (j, o) in outcomes.iter().enumerate() {
            if let Some(k) = place(o) {
                order[next[k]] = j;
                next[k] += 1;
            }
        }
        OutcomesByResource { start, order }
    }

    /// Whether `outcomes` hold a result of rule `id` (of `assignment`) on
    /// the resource at place `index` of the resources it was made for.
    fn has(&self, outcomes: &[Outcome], index: usize, id: &str, assignment: Option<&str>) -> bool {
        let (Some(&from), Some(&to)) = (self.start.get(index), self.start.get(index + 1)) else {
            return false;
        };
        self.order[from..to].iter().any(|&k| {
            let o = &outcomes[k];
            o.rule.id == id && o.assignment.as_deref() == assignment
        })
    }
}

/// A native rule's reason: what it judges, and what this resource is.
fn native_reason(words: &str, resource: &Resource) -> String {
    let mut reason = format!("it judges only {words}");
    if words.contains("computeType")
        && resource.is_type("Microsoft.MachineLearningServices/workspaces/computes")
    {
        match resource.get("properties.computeType") {
            Some(v) if v.as_str().is_some() => {
                let ct = v.as_str().unwrap_or_default();
                // Said only when it is what leaves the compute out.
                if !words
                    .to_ascii_lowercase()
                    .contains(&format!("`{}`", ct.to_ascii_lowercase()))
                {
                    reason.push_str(&format!("; this compute's `computeType` is '{ct}'"));
                }
            }
            Some(_) => {
                reason.push_str("; this compute's `computeType` is not known from the files")
            }
            None => reason.push_str("; this compute has no `computeType`"),
        }
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The account of computes the compute rules leave out: every entry of
    /// one rule holds the rule's one id string, equal reasons are one
    /// string, and the reasons are those each resource gives.
    #[test]
    fn entries_share_rule_ids_and_keep_their_reasons() {
        use aml_model::model::Deployed;
        use aml_model::value::Value;
        let compute = |i: usize, compute_type: &str| {
            Resource {
            id: format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/c{i}"),
            resource_type: "Microsoft.MachineLearningServices/workspaces/computes".into(),
            name: format!("ws/c{i}"),
            api_version: None,
            body: Value::from_json(&serde_json::json!({
                "properties": { "computeType": compute_type }
            })),
            parent_id: None,
            scope_id: None,
            existing: false,
            deployed: Deployed::Yes,
            span: aml_model::source::Span::new(Default::default(), i, i + 1),
            symbol: None,
            spans: Default::default(),
            format: "live",
            deployment: 0,
            source_names: None,
        }
        };
        let mut model = Model::default();
        model.resources = (0..300)
            .map(|i| compute(i, if i % 3 == 0 { "Kubernetes" } else { "AKS" }))
            .collect();
        let rules: Vec<&'static Rule> = crate::native::RULES
            .iter()
            .copied()
            .filter(|r| r.id == "AMLB-NS1-003" || r.id == "AMLB-IM8-002")
            .collect();
        assert_eq!(rules.len(), 2);
        let account = account(&model, &rules, &Default::default(), None, &[]);
        let entries = &account.not_applicable;
        assert_eq!(entries.len(), 600, "both rules, every compute");
        for rule in &rules {
            let mine: Vec<&NotApplicable> =
                entries.iter().filter(|e| &*e.rule == rule.id).collect();
            assert_eq!(mine.len(), 300);
            assert!(mine.iter().all(|e| e.rule.addr() == mine[0].rule.addr()));
        }
        for e in entries {
            let resource = &model.resources[e.resource];
            let words = native_scope(&e.rule).unwrap().judges;
            assert_eq!(&*e.reason, native_reason(words, resource));
        }
        for a in entries {
            for b in entries.iter().filter(|b| b.reason == a.reason) {
                assert_eq!(a.reason.addr(), b.reason.addr(), "{}", a.reason);
            }
        }
        let kubernetes = entries
            .iter()
            .filter(|e| {
                e.reason
                    .ends_with("this compute's `computeType` is 'Kubernetes'")
            })
            .count();
        assert_eq!(kubernetes, 100, "NS1-003 names the type it leaves out");
    }

    #[test]
    fn every_native_rule_has_a_scope() {
        for rule in crate::native::RULES {
            assert!(
                native_scope(rule.id).is_some(),
                "{} has no entry in native_scope",
                rule.id
            );
        }
    }

    /// The outcomes found for each resource are the ones a set of every
    /// (resource, rule, assignment) triple holds, whatever their order
    /// (product rules in resource order, then assignments' again from the
    /// first resource) and however many a resource has (none, several).
    #[test]
    fn outcomes_by_resource_are_the_outcomes_given() {
        use crate::evaluate::Outcome;
        let rules = crate::native::RULES;
        let outcome = |resource: usize, rule: usize, assignment: Option<&str>| Outcome {
            rule: rules[rule % rules.len()],
            resource,
            verdict: crate::Verdict::Pass,
            message: "".into(),
            span: aml_model::source::Span::new(Default::default(), 0, 0),
            effect: None,
            deciding: Vec::new(),
            evidence: None,
            assignment: assignment.map(str::to_string),
            denied: false,
            may_deny: false,
            known_issue: None,
            rollup: None,
        };
        let resources = 40;
        let mut outcomes = Vec::new();
        for r in (0..resources).filter(|r| r % 7 != 3) {
            for k in 0..(r % 4) {
                outcomes.push(outcome(r, r * 3 + k, None));
            }
        }
        for r in (0..resources).rev().filter(|r| r % 5 == 0) {
            outcomes.push(outcome(r, r, Some("/a/1")));
        }
        // An index past the resources (never looked up) is left out.
        outcomes.push(outcome(resources + 2, 0, None));
        let given: std::collections::HashSet<(usize, &str, Option<&str>)> = outcomes
            .iter()
            .map(|o| (o.resource, o.rule.id, o.assignment.as_deref()))
            .collect();
        let all: Vec<usize> = (0..resources).collect();
        let index = OutcomesByResource::new(&all, &outcomes);
        let mut found = 0;
        for r in 0..resources + 3 {
            for rule in rules.iter() {
                for a in [None, Some("/a/1"), Some("/a/2")] {
                    let want = r < resources && given.contains(&(r, rule.id, a));
                    assert_eq!(
                        index.has(&outcomes, r, rule.id, a),
                        want,
                        "{r} {} {a:?}",
                        rule.id
                    );
                    found += usize::from(want);
                }
            }
        }
        assert_eq!(found, given.len() - 1);
    }

    #[test]
    fn type_patterns() {
        assert!(type_matches("*", "Microsoft.Storage/storageAccounts"));
        assert!(type_matches(
            "Microsoft.MachineLearningServices/*",
            "microsoft.machinelearningservices/workspaces"
        ));
        assert!(!type_matches(
            "Microsoft.MachineLearningServices/*",
            "Microsoft.MachineLearningServicesX/workspaces"
        ));
        assert!(type_matches(
            "Microsoft.KeyVault/vaults",
            "microsoft.keyvault/VAULTS"
        ));
        assert!(!type_matches(
            "Microsoft.KeyVault/vaults",
            "Microsoft.KeyVault/vaults/keys"
        ));
    }
}
