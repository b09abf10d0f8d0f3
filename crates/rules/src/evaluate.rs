//! Evaluation: every enabled rule over every deployed resource of the model,
//! in parallel. The result is one [`Outcome`] per (rule, resource) where the
//! rule applies; "not applicable" is never reported as a pass.

pub use crate::Verdict;
use crate::{Rule, RuleKind};
use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::intern::Text;
use aml_model::model::{
    has_placeholder, match_ids, resource_group_of, Deployed, IdMatch, Model, Resource, SourceNames,
    WorkspaceKind,
};
use aml_model::source::Span;
use aml_model::value::Value;
use aml_policy::{
    OwnedPolicyResource, PolicyEngine, PolicyOutcome, PolicyResource, RelatedResources,
    ResourceCache,
};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The result of one rule on one resource.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub rule: &'static Rule,
    /// Index of the resource in [`Model::resources`].
    pub resource: usize,
    pub verdict: Verdict,
    /// What was found, in one sentence.
    pub message: aml_model::intern::Text,
    /// The text to change: the property that decides, or the resource.
    pub span: Span,
    /// The Azure Policy effect, for policy rules that fail (`Audit`, `AuditIfNotExists`...).
    pub effect: Option<String>,
    /// For unknowns: the expressions whose values decide the result.
    pub deciding: Vec<String>,
    /// For a pass of auditIfNotExists/deployIfNotExists: the index in
    /// [`Model::resources`] of the related resource that met the existence
    /// condition.
    pub evidence: Option<usize>,
    /// The id of the user's policy assignment this result is of (`scan
    /// --assignments`); `None` for the product's own rules.
    pub assignment: Option<String>,
    /// A failure Azure would reject the deployment for: an enforced
    /// assignment's `deny` whose condition holds.
    pub denied: bool,
    /// An unknown result that Azure would reject the deployment for if it
    /// failed: an enforced assignment's `deny` whose condition the files do
    /// not decide.
    pub may_deny: bool,
    /// A public report that the definition misjudges the resource's
    /// workspace kind (see [`crate::kinds::KNOWN_ISSUES`]); the verdict
    /// stays Azure's.
    pub known_issue: Option<&'static crate::kinds::KnownIssue>,
    /// What the baseline roll-up counts instead of the verdict (a project
    /// judged by its hub); `None`: the verdict. Boxed: rare, and an
    /// outcome is made per (rule, resource).
    pub rollup: Option<Box<crate::kinds::Rollup>>,
}

/// Assignment parameters of policy rules set by the configuration, by rule id.
pub type RuleParameters = HashMap<&'static str, serde_json::Map<String, serde_json::Value>>;

/// Runs `rules` over the model with the built-in policy engine.
pub fn evaluate(
    model: &Model,
    rules: &[&'static Rule],
    parameters: &RuleParameters,
) -> (Vec<Outcome>, Vec<Diagnostic>) {
    let prepared = Prepared::new(model, rules, parameters);
    over_resources(model, |i, resource, related, cache, outcomes, diags| {
        prepared.run(i, resource, related, cache, outcomes, diags)
    })
}

/// What [`evaluate_releasing`] gives: [`evaluate`]'s outcomes and
/// diagnostics, the rule account of the outcomes, and how many settings it
/// freed while it evaluated.
#[derive(Debug, Default)]
pub struct Evaluated {
    pub outcomes: Vec<Outcome>,
    pub diagnostics: Vec<Diagnostic>,
    /// [`crate::account::account`] of the outcomes (without assignments).
    pub account: crate::account::RuleAccount,
    /// Resources whose settings were freed before the last block of
    /// resources was evaluated (a work counter: the tests check that the
    /// settings go as the evaluation goes, not at its end).
    pub freed_while_evaluating: usize,
    /// Resources whose settings were freed in all.
    pub freed: usize,
}

/// [`evaluate`] and [`crate::account::account`] (without the user's
/// assignments) together, freeing each resource's settings
/// (`Resource::body`) as soon as nothing of the evaluation reads them any
/// more, unless `keep` says a later reader needs them (it is given the
/// resource and its outcomes). With them go the spans of its properties
/// (`Resource::spans`) but those its outcomes point at, which the report
/// names the property of a result by. The evaluation reads a resource's settings
/// when it judges the resource and when it judges a resource of the same
/// deployment (relations are made within a deployment only), so a
/// resource's settings go once every resource of its deployment is judged
/// and accounted for; a project's and its hub's are kept (a project reads
/// its hub's in any deployment, [`crate::kinds::hub_of`]). The outcomes, the diagnostics
/// and the account are those of [`evaluate`] then
/// [`crate::account::account`], in the same order; the peak holds the
/// outcomes made so far and the settings not yet freed, not the settings of
/// every resource beside every outcome.
pub fn evaluate_releasing(
    model: &mut Model,
    rules: &[&'static Rule],
    parameters: &RuleParameters,
    keep: &(dyn Fn(&Resource, &[Outcome]) -> bool + Sync),
) -> Evaluated {
    evaluate_releasing_in(model, rules, parameters, keep, EVALUATION_BLOCK)
}

/// [`evaluate_releasing`] with blocks of at least `fewest` resources.
fn evaluate_releasing_in(
    model: &mut Model,
    rules: &[&'static Rule],
    parameters: &RuleParameters,
    keep: &(dyn Fn(&Resource, &[Outcome]) -> bool + Sync),
    fewest: usize,
) -> Evaluated {
    let prepared = Prepared::new(model, rules, parameters);
    let mut accounting = crate::account::Accounting::new(model, rules, parameters, None);
    let mut blocks = Blocks::new(model, fewest);
    let mut release = Release::new(model, &blocks.evaluated);
    let ranges = blocks.ranges();
    let mut freed_while_evaluating = 0;
    for (k, block) in ranges.iter().enumerate() {
        let added = blocks.run(
            model,
            block.clone(),
            &|i, resource, related, cache, outcomes, diags| {
                prepared.run(i, resource, related, cache, outcomes, diags)
            },
        );
        accounting.add(
            model,
            &blocks.evaluated[block.clone()],
            &blocks.gathered.outcomes[added],
        );
        let freed = release.up_to(model, block.end, &blocks.gathered.outcomes, keep);
        if k + 1 < ranges.len() {
            freed_while_evaluating += freed;
        }
    }
    let (outcomes, diagnostics) = blocks.finish(model);
    Evaluated {
        outcomes,
        diagnostics,
        account: accounting.finish(),
        freed_while_evaluating,
        freed: release.freed,
    }
}

/// The rules to run, with the policy engine and each policy rule's binding
/// resolved once.
struct Prepared<'r> {
    rules: &'r [&'static Rule],
    engine: Option<&'static PolicyEngine>,
    bindings: Vec<Option<PolicyBinding>>,
    /// Each native rule's target types ([`crate::account::native_scope`]).
    native_types: Vec<&'static [&'static str]>,
}

impl<'r> Prepared<'r> {
    fn new(model: &Model, rules: &'r [&'static Rule], parameters: &RuleParameters) -> Self {
        // Loaded on first use, so a scan with nothing to evaluate never pays for
        // it. Loading reads the definitions only; each compiles the first time
        // a resource of a type it can apply to meets it, inside the parallel
        // loop. That is safe because compiling never waits on the rayon pool
        // (a pool thread waiting inside the loop for work queued on the pool
        // could leave that work no thread to run on).
        let evaluable =
            |r: &&Resource| !r.existing && !r.is_type("Microsoft.Resources/deployments");
        let needs_engine = rules.iter().any(|r| r.policy().is_some())
            && model.resources.iter().any(|r| evaluable(&r));
        let engine = needs_engine.then(PolicyEngine::builtin);
        // Each policy rule's definition and assignment parameters, resolved once.
        let bindings: Vec<Option<PolicyBinding>> = rules
            .iter()
            .map(|rule| {
                let engine = engine?;
                let definition = rule.policy()?;
                PolicyBinding::new(engine, rule, definition, parameters.get(rule.id))
            })
            .collect();
        let native_types = rules
            .iter()
            .map(|rule| crate::account::native_scope(rule.id).map_or(&["*"][..], |s| s.types))
            .collect();
        Prepared {
            rules,
            engine,
            bindings,
            native_types,
        }
    }

    /// Every rule on one resource (its model is `related.model`).
    fn run(
        &self,
        i: usize,
        resource: &Resource,
        related: &ModelRelations,
        cache: &ResourceCache,
        outcomes: &mut Vec<Outcome>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let model = related.model;
        let engine = self.engine;
        let allowed = AllowedVariants::new(resource, engine.map(|e| (e, cache)));
        for ((rule, binding), types) in self
            .rules
            .iter()
            .zip(&self.bindings)
            .zip(&self.native_types)
        {
            let outcome = match rule.kind {
                RuleKind::Policy { .. } => {
                    let (Some(engine), Some(binding)) = (engine, binding) else {
                        continue;
                    };
                    // A type the definition rules out: no result, and
                    // nothing to build for it.
                    if !binding.may_apply_to(&resource.resource_type) {
                        continue;
                    }
                    run_policy_rule(engine, rule, binding, i, resource, cache, related, diags)
                }
                RuleKind::Native { check } => {
                    let targeted = types
                        .iter()
                        .any(|t| crate::account::type_matches(t, &resource.resource_type));
                    if !targeted {
                        continue;
                    }
                    run_native_rule(model, rule, check, i, resource)
                }
            };
            // An unknown result on values the files restrict to a few
            // allowed values: the rule again, on each of them.
            let outcome = outcome.map(|o| {
                over_allowed_values(o, &allowed, |variant, variant_cache| match rule.kind {
                    RuleKind::Policy { .. } => {
                        let (Some(engine), Some(binding)) = (engine, binding) else {
                            return None;
                        };
                        // The verdict alone: no message, span or evidence.
                        verdict_of(&engine.evaluate_cached(
                            binding.def_index,
                            &policy_resource(variant),
                            variant_cache,
                            &binding.params,
                            related,
                        ))
                    }
                    RuleKind::Native { check } => {
                        run_native_rule(model, rule, check, i, variant).map(|o| o.verdict)
                    }
                })
            });
            outcomes.extend(outcome.map(|o| {
                let mut o = unread_evidence(conditional(o, resource), model);
                annotate(&mut o, model);
                o
            }));
        }
    }
}

/// What [`over_resources`] calls on each resource: its index, the resource,
/// its related-resource lookup and evaluation cache, and where to push its
/// outcomes and diagnostics.
pub(crate) trait Each:
    Fn(usize, &Resource, &ModelRelations, &ResourceCache, &mut Vec<Outcome>, &mut Vec<Diagnostic>)
    + Sync
{
}

impl<F> Each for F where
    F: Fn(
            usize,
            &Resource,
            &ModelRelations,
            &ResourceCache,
            &mut Vec<Outcome>,
            &mut Vec<Diagnostic>,
        ) + Sync
{
}

/// Calls `each` on every deployed resource of the model (not `existing`
/// references, not nested deployments), in parallel, with its
/// related-resource lookup and its evaluation cache; the outcomes and
/// diagnostics it pushes, in resource order.
pub(crate) fn over_resources(model: &Model, each: impl Each) -> (Vec<Outcome>, Vec<Diagnostic>) {
    let mut blocks = Blocks::new(model, EVALUATION_BLOCK);
    for block in blocks.ranges() {
        blocks.run(model, block, &each);
    }
    blocks.finish(model)
}

/// The resources [`over_resources`] evaluates, a block at a time (in
/// parallel within a block), and each block's outcomes moved into the one
/// vector before the next block: the outcomes of every resource are never
/// held twice, in their per-resource vectors and in the vector they are
/// gathered into (at 100,000 live resources, 75 MiB each).
struct Blocks {
    /// The positions in [`Model::resources`] of the resources evaluated
    /// (not `existing` references, not nested deployments), in order.
    evaluated: Vec<usize>,
    /// Resources in a block.
    size: usize,
    /// Outcomes repeat few messages many times: one copy of each.
    messages: aml_model::intern::Interner,
    gathered: Gathered,
}

impl Blocks {
    /// Blocks of at least `fewest` resources, and at most 16 blocks.
    fn new(model: &Model, fewest: usize) -> Blocks {
        let evaluable = |r: &Resource| !r.existing && !r.is_type("Microsoft.Resources/deployments");
        let evaluated: Vec<usize> = model
            .resources
            .iter()
            .enumerate()
            .filter(|(_, r)| evaluable(r))
            .map(|(i, _)| i)
            .collect();
        Blocks {
            size: fewest.max(evaluated.len().div_ceil(16)).max(1),
            gathered: Gathered::new(evaluated.len()),
            evaluated,
            messages: Default::default(),
        }
    }

    /// The blocks, as ranges of [`Blocks::evaluated`].
    fn ranges(&self) -> Vec<std::ops::Range<usize>> {
        (0..self.evaluated.len())
            .step_by(self.size)
            .map(|start| start..(start + self.size).min(self.evaluated.len()))
            .collect()
    }

    /// Evaluates one block; returns where its outcomes are in the outcomes
    /// gathered.
    fn run(
        &mut self,
        model: &Model,
        block: std::ops::Range<usize>,
        each: &impl Each,
    ) -> std::ops::Range<usize> {
        let messages = &self.messages;
        let per_resource: Vec<(Vec<Outcome>, Vec<Diagnostic>)> = self.evaluated[block.clone()]
            .par_iter()
            // Each resource's outcomes are gathered in a buffer that lives
            // as long as the worker's share of the work, then moved into a
            // vector of their exact number: no growing vector per resource.
            .map_init(
                || (Vec::new(), OwnWords::default()),
                |(scratch, own_words): &mut (Vec<Outcome>, OwnWords), &i| {
                    let resource = &model.resources[i];
                    let mut diags = Vec::new();
                    let related = ModelRelations {
                        model,
                        deployment: resource.deployment,
                    };
                    let cache = ResourceCache::default();
                    scratch.clear();
                    each(i, resource, &related, &cache, scratch, &mut diags);
                    // Terraform and CLI YAML findings name what the user wrote.
                    let outcomes: Vec<Outcome> = scratch
                        .drain(..)
                        .map(|mut o| {
                            o.message = own_words.of(resource, &o.message, messages);
                            o
                        })
                        .collect();
                    (outcomes, diags)
                },
            )
            .collect();
        let from = self.gathered.outcomes.len();
        self.gathered.add(block.len(), per_resource);
        from..self.gathered.outcomes.len()
    }

    /// The outcomes and diagnostics of every block, projects' results
    /// rolled up by their hubs'.
    fn finish(self, model: &Model) -> (Vec<Outcome>, Vec<Diagnostic>) {
        let Gathered {
            mut outcomes,
            diags,
            ..
        } = self.gathered;
        by_hub_result(model, &mut outcomes);
        (outcomes, diags)
    }
}

/// Which resources' settings [`evaluate_releasing`] frees after each block:
/// a resource's once the last evaluated resource of its deployment is.
struct Release {
    /// (blocks' end past which the resource's deployment is evaluated,
    /// the resource), in that order.
    order: Vec<(usize, usize)>,
    /// How many of `order` are done.
    next: usize,
    /// Settings freed so far.
    freed: usize,
    /// The lower-case ids of the hubs projects name: a project judged in a
    /// later block reads its hub's settings in any deployment
    /// ([`crate::kinds::hub_of`]).
    hubs: std::collections::HashSet<String>,
}

impl Release {
    fn new(model: &Model, evaluated: &[usize]) -> Release {
        let deployments = model
            .resources
            .iter()
            .map(|r| r.deployment as usize + 1)
            .max()
            .unwrap_or(0);
        // Each deployment's end: one past the position (in `evaluated`) of
        // its last evaluated resource; 0 when none is.
        let mut end = vec![0usize; deployments];
        for (position, &i) in evaluated.iter().enumerate() {
            end[model.resources[i].deployment as usize] = position + 1;
        }
        let mut order: Vec<(usize, usize)> = model
            .resources
            .iter()
            .enumerate()
            .map(|(i, r)| (end[r.deployment as usize], i))
            .collect();
        order.sort_unstable();
        let hubs = model
            .resources
            .iter()
            .filter(|r| r.is_kind(WorkspaceKind::Project))
            .filter_map(|r| crate::kinds::hub_id(r).ok())
            .map(|id| id.to_ascii_lowercase())
            .collect();
        Release {
            order,
            next: 0,
            freed: 0,
            hubs,
        }
    }

    /// A workspace whose settings the evaluation reads after its
    /// deployment's: a project (its hub's roll-up reads its
    /// `hubResourceId` at the end) or a hub a project names.
    fn read_later(&self, r: &Resource) -> bool {
        r.is_kind(WorkspaceKind::Project)
            || (!self.hubs.is_empty()
                && r.is_workspace()
                && self.hubs.contains(&r.id.to_ascii_lowercase()))
    }

    /// Frees the settings, and the spans no outcome of theirs points at, of
    /// the resources whose deployment is evaluated once the first `done`
    /// evaluated resources are (`outcomes`: theirs, in resource order), but
    /// those read later ([`Release::read_later`]) and those `keep` keeps.
    /// Returns how many it freed.
    fn up_to(
        &mut self,
        model: &mut Model,
        done: usize,
        outcomes: &[Outcome],
        keep: &(dyn Fn(&Resource, &[Outcome]) -> bool + Sync),
    ) -> usize {
        let start = self.next;
        while self
            .order
            .get(self.next)
            .is_some_and(|&(end, _)| end <= done)
        {
            self.next += 1;
        }
        // The resources whose turn it is, released on every thread.
        let mut due = vec![false; model.resources.len()];
        for &(_, i) in &self.order[start..self.next] {
            due[i] = true;
        }
        let this = &*self;
        let count: usize = model
            .resources
            .par_iter_mut()
            .enumerate()
            .filter(|(i, _)| due[*i])
            .map(|(i, resource)| {
                if this.read_later(resource) || matches!(resource.body, Value::Null) {
                    return 0;
                }
                let from = outcomes.partition_point(|o| o.resource < i);
                let to = from + outcomes[from..].partition_point(|o| o.resource == i);
                let own = &outcomes[from..to];
                if keep(resource, own) {
                    return 0;
                }
                drop(std::mem::replace(&mut resource.body, Value::Null));
                // The report reads a result's property from the spans: those
                // of its outcomes stay.
                resource.spans.retain(|s| own.iter().any(|o| o.span == *s));
                1
            })
            .sum();
        self.freed += count;
        count
    }
}

/// The fewest resources [`over_resources`] evaluates in one block (and at
/// most 16 blocks).
const EVALUATION_BLOCK: usize = 4096;

/// The outcomes and diagnostics of the blocks evaluated so far, in order.
struct Gathered {
    outcomes: Vec<Outcome>,
    diags: Vec<Diagnostic>,
    /// Resources evaluated so far, and in all.
    done: usize,
    total: usize,
}

impl Gathered {
    fn new(total: usize) -> Gathered {
        Gathered {
            outcomes: Vec::new(),
            diags: Vec::new(),
            done: 0,
            total,
        }
    }

    /// Adds a block of `resources` resources' outcomes. When they do not
    /// fit, room is made for the outcomes the rest of the resources are
    /// likely to give at the rate seen so far (and 5% more), once, rather
    /// than doubling: a vector that doubles holds its old and new buffers
    /// together, and up to twice the room it needs.
    fn add(&mut self, resources: usize, per_resource: Vec<(Vec<Outcome>, Vec<Diagnostic>)>) {
        self.done += resources;
        let adding: usize = per_resource.iter().map(|(o, _)| o.len()).sum();
        let needed = self.outcomes.len() + adding;
        if needed > self.outcomes.capacity() {
            let expected = (needed as u128 * self.total as u128 * 105
                / (self.done.max(1) as u128 * 100)) as usize;
            self.outcomes
                .reserve_exact(expected.max(needed) - self.outcomes.len());
        }
        for (o, d) in per_resource {
            self.outcomes.extend(o);
            self.diags.extend(d);
        }
    }
}

/// A policy rule's definition in the engine and its assignment parameters:
/// the definition's defaults for this product, the rule's, then the
/// configuration's.
pub(crate) struct PolicyBinding {
    pub(crate) def_index: usize,
    pub(crate) params: serde_json::Map<String, serde_json::Value>,
    /// Where a missing parameter is set, for the diagnostic.
    pub(crate) set_parameters_in: String,
    /// The only types the definition can give a result on, when every
    /// other type gives none ([`PolicyEngine::types_evaluated`]).
    pub(crate) types: Option<Vec<String>>,
    /// [`PolicyEngine::field_paths`] by resource type and API version, kept
    /// (at most [`MAX_KEPT_FIELDS`] pairs): the same for every resource of
    /// a type and version, and looked up for every result.
    pub(crate) fields: RwLock<KeptFields>,
}

/// How many (type, API version) pairs a binding keeps the field paths of.
const MAX_KEPT_FIELDS: usize = 256;

/// Field paths by resource type, then API version.
pub(crate) type KeptFields = aml_model::FastMap<String, Vec<(Option<String>, Arc<[String]>)>>;

impl PolicyBinding {
    /// Whether evaluating the definition on a resource of `resource_type`
    /// can give a result (false: its type condition rules the type out).
    pub(crate) fn may_apply_to(&self, resource_type: &str) -> bool {
        self.types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t.eq_ignore_ascii_case(resource_type)))
    }

    /// The definition's field paths for a resource of `resource_type` at
    /// `api_version` ([`PolicyEngine::field_paths`]).
    pub(crate) fn field_paths(
        &self,
        engine: &PolicyEngine,
        resource_type: &str,
        api_version: Option<&str>,
    ) -> Arc<[String]> {
        let find = |fields: &KeptFields| {
            fields
                .get(resource_type)?
                .iter()
                .find(|(v, _)| v.as_deref() == api_version)
                .map(|(_, paths)| Arc::clone(paths))
        };
        if let Some(kept) = self.fields.read().ok().and_then(|f| find(&f)) {
            return kept;
        }
        let paths: Arc<[String]> = engine
            .field_paths(self.def_index, resource_type, api_version)
            .into();
        if let Ok(mut fields) = self.fields.write() {
            if fields.values().map(Vec::len).sum::<usize>() < MAX_KEPT_FIELDS {
                fields
                    .entry(resource_type.to_string())
                    .or_default()
                    .push((api_version.map(str::to_string), Arc::clone(&paths)));
            }
        }
        paths
    }

    pub(crate) fn new(
        engine: &PolicyEngine,
        rule: &Rule,
        definition: &str,
        overrides: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Option<PolicyBinding> {
        let (def_index, _) = engine.definition(definition)?;
        let mut params = aml_policy::default_assignment_parameters(definition);
        if let Some(text) = rule.parameters {
            if let Ok(serde_json::Value::Object(extra)) = serde_json::from_str(text) {
                params.extend(extra);
            }
        }
        if let Some(o) = overrides {
            params.extend(o.clone());
        }
        let types = engine.types_evaluated(def_index, &params);
        Some(PolicyBinding {
            def_index,
            types,
            fields: RwLock::default(),
            params,
            set_parameters_in: format!(
                "under [policy-parameters.\"{}\"] in aml-baseline.toml",
                rule.id
            ),
        })
    }
}

/// The resource as the policy engine reads it.
pub(crate) fn policy_resource(resource: &Resource) -> PolicyResource<'_> {
    PolicyResource {
        id: &resource.id,
        resource_type: &resource.resource_type,
        full_name: &resource.name,
        api_version: resource.api_version.as_deref(),
        location: resource.body.get("location").and_then(Value::as_str),
        body: &resource.body,
    }
}

/// The verdict [`run_policy_rule`] gives for an engine outcome: none when
/// the definition does not apply; an error is unknown.
fn verdict_of(outcome: &PolicyOutcome) -> Option<Verdict> {
    Some(match outcome {
        PolicyOutcome::NotApplicable => return None,
        PolicyOutcome::Compliant { .. } => Verdict::Pass,
        PolicyOutcome::NonCompliant { .. } => Verdict::Fail,
        PolicyOutcome::Unknown { .. } | PolicyOutcome::Error { .. } => Verdict::Unknown,
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn run_policy_rule(
    engine: &PolicyEngine,
    rule: &'static Rule,
    binding: &PolicyBinding,
    index: usize,
    resource: &Resource,
    cache: &ResourceCache,
    related: &ModelRelations,
    diags: &mut Vec<Diagnostic>,
) -> Option<Outcome> {
    let policy_resource = policy_resource(resource);
    let outcome = engine.evaluate_cached(
        binding.def_index,
        &policy_resource,
        cache,
        &binding.params,
        related,
    );
    if matches!(outcome, PolicyOutcome::NotApplicable) {
        return None;
    }
    #[cfg(debug_assertions)]
    let expected = verdict_of(&outcome);
    let fields = binding.field_paths(
        engine,
        &resource.resource_type,
        resource.api_version.as_deref(),
    );
    let (mut span, found) = locate(resource, &fields);
    let mut evidence = None;
    let (verdict, effect, deciding, message) = match outcome {
        PolicyOutcome::NotApplicable => return None,
        PolicyOutcome::Compliant {
            satisfied_by: Some(id),
        } if !id.eq_ignore_ascii_case(&resource.id) => {
            evidence = related
                .model
                .position_in_deployment(resource.deployment, &id);
            let message = match evidence.map(|i| &related.model.resources[i]) {
                Some(r) => evidence_message(&r.resource_type, &r.name, None),
                None => evidence_message("resource", &id, None),
            };
            (Verdict::Pass, None, vec![], message)
        }
        PolicyOutcome::Compliant { .. } => {
            match engine.selection_miss(binding.def_index, &policy_resource, &binding.params) {
                // Compliant because a condition of the definition is false:
                // say which, and what it looks for.
                Some(miss) => {
                    span = resource.span_of(&miss.path);
                    let leaf = miss.path.rsplit('.').next().unwrap_or(&miss.path);
                    let selects = matches!(
                        leaf.to_ascii_lowercase().as_str(),
                        "type" | "kind" | "name" | "computetype"
                    );
                    let value = match &miss.value {
                        Some(v) => format!("is {v}"),
                        None => "is not set".to_string(),
                    };
                    (
                        Verdict::Pass,
                        None,
                        vec![],
                        format!(
                            "`{}` {value}: this definition {} only resources whose `{leaf}` is {}: compliant",
                            miss.path,
                            if selects { "checks" } else { "flags" },
                            miss.expected.join(" or ")
                        ),
                    )
                }
                None => (Verdict::Pass, None, vec![], format!("{found}: compliant")),
            }
        }
        PolicyOutcome::NonCompliant { effect } => {
            let m = if effect.ends_with("IfNotExists") {
                format!(
                    "no related resource in the scanned files meets the definition's existence condition ({effect}); expected: {}",
                    rule.title
                )
            } else {
                format!("{found}; expected: {}", rule.title)
            };
            (Verdict::Fail, Some(effect), vec![], m)
        }
        PolicyOutcome::Unknown { deciding } => {
            let m = format!(
                "depends on {} which the files do not fix",
                deciding
                    .iter()
                    .map(|d| format!("`{d}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            (Verdict::Unknown, None, deciding, m)
        }
        PolicyOutcome::Error { message } => {
            // A missing assignment parameter is one problem of the rule, not
            // one per resource: say it once, without a position.
            let diagnostic = if message.contains("parameter '") {
                Diagnostic::warning(
                    "policy",
                    format!(
                        "{} cannot be evaluated: {message}; set it {}",
                        rule.id, binding.set_parameters_in
                    ),
                    Location::None,
                )
            } else {
                Diagnostic::warning(
                    "policy",
                    format!(
                        "{} could not be evaluated on {} '{}': {message}",
                        rule.id, resource.resource_type, resource.name
                    ),
                    Location::Span(resource.span),
                )
            };
            diags.push(diagnostic);
            (
                Verdict::Unknown,
                None,
                vec![],
                format!("the policy could not be evaluated: {message}"),
            )
        }
    };
    #[cfg(debug_assertions)]
    debug_assert_eq!(expected, Some(verdict));
    Some(Outcome {
        rule,
        resource: index,
        verdict,
        message: message.into(),
        span,
        effect,
        deciding,
        evidence,
        assignment: None,
        denied: false,
        may_deny: false,
        known_issue: None,
        rollup: None,
    })
}

/// Sets the known issue and the roll-up of an outcome on a workspace whose
/// kind some verdicts misjudge (see [`crate::kinds`]).
pub(crate) fn annotate(o: &mut Outcome, model: &Model) {
    if let Some(resource) = model.resources.get(o.resource) {
        let (issue, rollup) = crate::kinds::annotation(model, o.rule, resource, o.verdict);
        o.known_issue = issue;
        o.rollup = rollup.map(Box::new);
    }
}

/// Sets the roll-up of projects' results that count as their hub's result
/// of the same rule and assignment ([`crate::kinds::judged_as_hub_result`]).
fn by_hub_result(model: &Model, outcomes: &mut [Outcome]) {
    let wanted =
        |o: &Outcome| crate::kinds::judged_as_hub_result(o.rule, &model.resources[o.resource]);
    if !outcomes.iter().any(wanted) {
        return;
    }
    let verdicts: HashMap<(&'static str, Option<String>, String), Verdict> = outcomes
        .iter()
        .map(|o| {
            let id = model.resources[o.resource].id.to_ascii_lowercase();
            ((o.rule.id, o.assignment.clone(), id), o.verdict)
        })
        .collect();
    for o in outcomes.iter_mut().filter(|o| wanted(o)) {
        let project = &model.resources[o.resource];
        let key = |hub: &Resource| (o.rule.id, o.assignment.clone(), hub.id.to_ascii_lowercase());
        o.rollup = crate::kinds::hub_result_rollup(model, o.rule, project, |hub| {
            verdicts.get(&key(hub)).copied()
        })
        .map(Box::new);
    }
}

/// The message of a pass a related resource satisfied, with where it is
/// declared (`path:line`) when the caller knows.
pub fn evidence_message(resource_type: &str, name: &str, at: Option<&str>) -> String {
    let at = at.map(|a| format!(" ({a})")).unwrap_or_default();
    format!("{resource_type} '{name}'{at} meets the definition's existence condition: compliant")
}

/// Most combinations of allowed values a rule is run again on.
const MAX_ALLOWED_VARIANTS: usize = 16;

/// A resource's unknowns that have allowed values, and the resource with
/// each combination of them, made when a rule first needs them and shared
/// by the resource's other rules (with the policy engine's cache of each:
/// a variant is normalised once, not once per rule).
struct AllowedVariants<'r> {
    resource: &'r Resource,
    /// The engine and the resource's own cache, whose normalised
    /// alternatives a variant's cache may start with.
    base: Option<(&'r PolicyEngine, &'r ResourceCache)>,
    /// The unknowns with allowed values, once per expression (found on first use).
    sets: std::cell::OnceCell<Vec<(String, Vec<Value>)>>,
    /// Each combination's resource and engine cache, by combination index.
    variants: std::cell::RefCell<Vec<Option<std::rc::Rc<Variant>>>>,
}

/// A resource with one combination of allowed values, and its engine cache.
type Variant = (Resource, ResourceCache);

impl<'r> AllowedVariants<'r> {
    fn new(resource: &'r Resource, base: Option<(&'r PolicyEngine, &'r ResourceCache)>) -> Self {
        AllowedVariants {
            resource,
            base,
            sets: std::cell::OnceCell::new(),
            variants: std::cell::RefCell::new(Vec::new()),
        }
    }

    fn sets(&self) -> &[(String, Vec<Value>)] {
        self.sets.get_or_init(|| {
            let mut sets = Vec::new();
            collect_allowed(&self.resource.body, &mut sets, 0);
            sets
        })
    }

    /// The values chosen by combination `i` (one per set, in set order).
    fn chosen(&self, mut i: usize) -> Vec<&Value> {
        self.sets()
            .iter()
            .map(|(_, values)| {
                let v = &values[i % values.len()];
                i /= values.len();
                v
            })
            .collect()
    }

    /// The engine cache of `variant` (made with `chosen`): started with the
    /// resource's own normalised alternative for those values when the
    /// values are scalars and its cache holds it.
    fn variant_cache(&self, variant: &Resource, chosen: &[&Value]) -> ResourceCache {
        let Some((engine, base_cache)) = self.base else {
            return ResourceCache::default();
        };
        let scalar = |v: &Value| {
            matches!(
                v,
                Value::String(_) | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Null
            )
        };
        if !chosen.iter().all(|v| scalar(v)) {
            return ResourceCache::default();
        }
        // As the engine writes the allowed values it tries.
        let assignment: HashMap<String, Option<serde_json::Value>> = self
            .sets()
            .iter()
            .zip(chosen)
            .map(|((expr, _), v)| (expr.clone(), v.to_json_with(&|_| None)))
            .collect();
        engine.variant_cache(
            &policy_resource(self.resource),
            base_cache,
            &assignment,
            &policy_resource(variant),
        )
    }

    /// The resource with combination `i`'s values in place of its unknowns.
    fn variant(&self, i: usize) -> std::rc::Rc<Variant> {
        if let Some(Some(v)) = self.variants.borrow().get(i) {
            return v.clone();
        }
        let mut resource = self.resource.clone();
        let chosen = self.chosen(i);
        substitute(&mut resource.body, self.sets(), &chosen, 0);
        let cache = self.variant_cache(&resource, &chosen);
        let made = std::rc::Rc::new((resource, cache));
        let mut variants = self.variants.borrow_mut();
        if variants.len() <= i {
            variants.resize(i + 1, None);
        }
        variants[i] = Some(made.clone());
        made
    }
}

/// An unknown outcome whose unknowns in the resource all have allowed values
/// (parameters with `allowedValues`, Bicep `@allowed`, Terraform
/// `validation`): the rule is run on the resource with each combination of
/// them. One verdict for all is the verdict ("every allowed value ...");
/// otherwise the outcome stays unknown and names the values that fail.
fn over_allowed_values(
    mut o: Outcome,
    allowed: &AllowedVariants,
    rerun: impl Fn(&Resource, &ResourceCache) -> Option<Verdict>,
) -> Outcome {
    if o.verdict != Verdict::Unknown {
        return o;
    }
    let sets = allowed.sets();
    if sets.is_empty()
        || sets.iter().any(|(_, v)| v.is_empty())
        || !o.deciding.iter().all(|d| sets.iter().any(|(e, _)| e == d))
    {
        return o;
    }
    let total = sets
        .iter()
        .try_fold(1usize, |acc, (_, v)| acc.checked_mul(v.len()))
        .filter(|n| *n <= MAX_ALLOWED_VARIANTS);
    let Some(total) = total else {
        return o;
    };
    let mut results: Vec<(Vec<&Value>, Option<Verdict>)> = Vec::new();
    for i in 0..total {
        let variant = allowed.variant(i);
        results.push((allowed.chosen(i), rerun(&variant.0, &variant.1)));
    }
    let exprs: Vec<String> = sets.iter().map(|(e, _)| format!("`{e}`")).collect();
    let shown = |chosen: &[&Value]| -> String {
        chosen
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let first = results[0].1;
    if results.iter().all(|(_, v)| *v == first) {
        if let Some(verdict) = first.filter(|v| *v != Verdict::Unknown) {
            let all: Vec<String> = results.iter().map(|(c, _)| shown(c)).collect();
            o.verdict = verdict;
            o.deciding.clear();
            o.message = (match verdict {
                Verdict::Pass => format!(
                    "every allowed value of {} ({}) is compliant",
                    exprs.join(", "),
                    all.join("; ")
                ),
                _ => format!(
                    "every allowed value of {} ({}) fails; expected: {}",
                    exprs.join(", "),
                    all.join("; "),
                    o.rule.title
                ),
            })
            .into();
        }
        return o;
    }
    let failing: Vec<String> = results
        .iter()
        .filter(|(_, v)| *v == Some(Verdict::Fail))
        .map(|(c, _)| shown(c))
        .collect();
    if !failing.is_empty() {
        let passing: Vec<String> = results
            .iter()
            .filter(|(_, v)| *v == Some(Verdict::Pass))
            .map(|(c, _)| shown(c))
            .collect();
        o.message = format!(
            "depends on {}: fails for {}{}",
            exprs.join(", "),
            failing.join("; "),
            if passing.is_empty() {
                String::new()
            } else {
                format!(", compliant for {}", passing.join("; "))
            }
        )
        .into();
    }
    o
}

/// The unknowns in `v` that have allowed values, once per expression.
fn collect_allowed(v: &Value, out: &mut Vec<(String, Vec<Value>)>, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Unknown(u) => {
            if let Some(allowed) = &u.shape.allowed {
                if !out.iter().any(|(e, _)| *e == u.expr) {
                    out.push((u.expr.clone(), allowed.to_vec()));
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_allowed(x, out, depth + 1)),
        Value::Object(o) => o.values().for_each(|x| collect_allowed(x, out, depth + 1)),
        _ => {}
    }
}

/// Replaces each unknown of `sets` in `v` with its chosen value.
fn substitute(v: &mut Value, sets: &[(String, Vec<Value>)], chosen: &[&Value], depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Unknown(u) => {
            if let Some(k) = sets.iter().position(|(e, _)| *e == u.expr) {
                *v = chosen[k].clone();
            }
        }
        Value::Array(a) => a
            .iter_mut()
            .for_each(|x| substitute(x, sets, chosen, depth + 1)),
        Value::Object(o) => o
            .values_mut()
            .for_each(|x| substitute(x, sets, chosen, depth + 1)),
        _ => {}
    }
}

/// A failure on a resource whose deployment depends on an unknown condition
/// is unknown: it fails only if the resource is deployed.
///
/// On a stand-in for resources a partial live export could not read
/// ([`Resource::is_unread`]), every verdict is unknown: nothing was seen.
pub(crate) fn conditional(mut o: Outcome, resource: &Resource) -> Outcome {
    if resource.is_unread() {
        if let Deployed::Unknown { expr } = &resource.deployed {
            o.verdict = Verdict::Unknown;
            o.message = format!("{expr}; the rule is not judged on what was not read").into();
            o.deciding = vec![expr.clone()];
            o.evidence = None;
        }
        return o;
    }
    if let Deployed::Unknown { expr } = &resource.deployed {
        if o.verdict == Verdict::Fail {
            o.verdict = Verdict::Unknown;
            o.message = format!(
                "{} (the resource is deployed only if `{expr}` is true, which the files do not fix)",
                o.message
            ).into();
            o.deciding.push(expr.clone());
        }
    }
    o
}

/// A pass whose evidence is a stand-in for what a partial live export could
/// not read is unknown: the evidence was never seen.
pub(crate) fn unread_evidence(mut o: Outcome, model: &Model) -> Outcome {
    let unread = o
        .evidence
        .and_then(|j| model.resources.get(j))
        .filter(|r| r.is_unread());
    if let (Some(r), Verdict::Pass) = (unread, o.verdict) {
        if let Deployed::Unknown { expr } = &r.deployed {
            o.verdict = Verdict::Unknown;
            o.message =
                format!("{expr}; the related resource that would decide was not read").into();
            o.deciding.push(expr.clone());
            o.evidence = None;
        }
    }
    o
}

fn run_native_rule(
    model: &Model,
    rule: &'static Rule,
    check: crate::check::CheckFn,
    index: usize,
    resource: &Resource,
) -> Option<Outcome> {
    let cx = crate::check::CheckContext { model, resource };
    let finding = match check(&cx) {
        Some(finding) => finding,
        None => unknown_compute_type(rule, resource)?,
    };
    let span = finding.span.unwrap_or_else(|| {
        finding
            .path
            .as_deref()
            .map(|p| resource.span_of(p))
            .unwrap_or(resource.span)
    });
    Some(Outcome {
        rule,
        resource: index,
        verdict: finding.verdict,
        message: finding.message.into(),
        span,
        effect: None,
        deciding: finding.deciding,
        evidence: None,
        assignment: None,
        denied: false,
        may_deny: false,
        known_issue: None,
        rollup: None,
    })
}

/// A native rule that selects computes by `computeType`, on a compute whose
/// type the files do not fix: whether it applies is unknown, and that
/// value decides (never silently not applicable).
fn unknown_compute_type(rule: &'static Rule, resource: &Resource) -> Option<crate::Finding> {
    const PATH: &str = "properties.computeType";
    if !resource.is_type("Microsoft.MachineLearningServices/workspaces/computes") {
        return None;
    }
    let scope = crate::account::native_scope(rule.id)?;
    let value = resource.get(PATH).filter(|v| v.is_unknown())?;
    if scope.compute_types.is_empty() {
        return None;
    }
    let expr = value
        .first_unknown()
        .map(|u| u.expr.clone())
        .unwrap_or_else(|| PATH.to_string());
    Some(crate::Finding {
        verdict: Verdict::Unknown,
        message: format!(
            "whether the rule applies depends on `{PATH}` (`{expr}`), which the files do not fix: it judges only {}",
            scope.judges
        ),
        path: Some(PATH.to_string()),
        deciding: vec![expr],
        span: None,
    })
}

/// The span of the first field the policy reads that the source sets, and a
/// description of what was found there.
fn locate(resource: &Resource, fields: &[String]) -> (Span, String) {
    // Fields that only select what the rule applies to (a compute's type, a
    // workspace's kind) are not what to change.
    let selecting = |f: &String| {
        let leaf = f.rsplit('.').next().unwrap_or(f).to_ascii_lowercase();
        matches!(leaf.as_str(), "type" | "kind" | "name" | "computetype")
    };
    let fields: Vec<&String> = fields.iter().filter(|f| !selecting(f)).collect();
    for f in &fields {
        // `list[*].x` reads the list itself, for the message.
        let path = f.split("[*]").next().unwrap_or(f);
        let value = resource.get(path).filter(|v| !matches!(v, Value::Null));
        if let Some(value) = value {
            return (
                resource.span_of(path),
                format!("`{path}` is {}", describe(value)),
            );
        }
    }
    match fields.first() {
        Some(f) => {
            let path = f.split("[*]").next().unwrap_or(f);
            (
                resource.span_of(path),
                format!("`{path}` is not set (the service default applies)"),
            )
        }
        None => (resource.span, "the resource as declared".to_string()),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) if s.chars().count() > 80 => {
            format!("'{}...'", s.chars().take(77).collect::<String>())
        }
        Value::Object(_) => "an object".into(),
        Value::Array(a) => format!("an array of {}", a.len()),
        Value::Unknown(u) => describe_unknown(u),
        other => other.to_string(),
    }
}

/// An unknown value with what is known of it.
fn describe_unknown(u: &aml_model::value::Unknown) -> String {
    let shape = &u.shape;
    if let Some(allowed) = &shape.allowed {
        let values: Vec<String> = allowed.iter().map(Value::to_string).collect();
        return format!("`{}` (every allowed value: {})", u.expr, values.join(", "));
    }
    if let (Some(text), None) = (u.pattern_text(), &shape.resource_type) {
        return format!(
            "`{}`, a string of the form `{text}` (set at deployment)",
            u.expr
        );
    }
    match (&shape.resource_type, shape.present) {
        (Some(t), _) => format!("`{}`, the id of a {t} (set at deployment)", u.expr),
        (None, true) => format!("`{}` (present; its value is set at deployment)", u.expr),
        (None, false) => format!("`{}`, which the files do not fix", u.expr),
    }
}

/// Related-resource lookups for auditIfNotExists/deployIfNotExists over the model.
pub(crate) struct ModelRelations<'m> {
    pub(crate) model: &'m Model,
    /// Only resources of the same deployment are related.
    pub(crate) deployment: u32,
}

impl ModelRelations<'_> {
    /// Resources of `related_type` in the deployment named `name` (when
    /// given) whose link to `primary` (scope, else parent) may be it: the
    /// files leave the link or the primary id open. Only resources whose
    /// link holds a placeholder can match a primary id without one, so the
    /// index of open links is enough then; otherwise every resource of the
    /// type is compared.
    fn maybe_linked<'a>(
        &'a self,
        primary_id: &'a str,
        related_type: &'a str,
        name: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a Resource, Option<&'a str>)> + 'a {
        let model = self.model;
        let candidates = if has_placeholder(primary_id) {
            model.type_positions(self.deployment, related_type)
        } else {
            model.open_link_positions(self.deployment, related_type)
        };
        candidates
            .iter()
            .map(move |&i| &model.resources[i])
            .filter(move |r| !r.existing && r.is_type(related_type))
            .filter(move |r| named(r, name))
            .filter_map(move |r| {
                let link = r.scope_id.as_deref().or(r.parent_id.as_deref());
                let m = match link {
                    Some(l) => match_ids(l, primary_id),
                    None => IdMatch::Different,
                };
                (m == IdMatch::Maybe).then_some((r, link))
            })
    }
}

/// Whether `r`'s name (short or full) is `name`, when one is given.
fn named(r: &Resource, name: Option<&str>) -> bool {
    name.is_none_or(|n| {
        let short = r.name.rsplit('/').next().unwrap_or(&r.name);
        short.eq_ignore_ascii_case(n) || r.name.eq_ignore_ascii_case(n)
    })
}

/// A model resource as the policy engine takes it.
pub fn owned(r: &Resource) -> OwnedPolicyResource {
    OwnedPolicyResource {
        id: r.id.clone(),
        resource_type: r.resource_type.clone(),
        full_name: r.name.clone(),
        api_version: r.api_version.clone(),
        location: r
            .body
            .get("location")
            .and_then(Value::as_str)
            .map(str::to_string),
        body: r.body.clone(),
    }
}

impl RelatedResources for ModelRelations<'_> {
    fn maybe_related(
        &self,
        primary_id: &str,
        related_type: &str,
        name: Option<&str>,
    ) -> Vec<(OwnedPolicyResource, String)> {
        self.maybe_linked(primary_id, related_type, name)
            .map(|(r, link)| {
                let short = r.name.rsplit('/').next().unwrap_or(&r.name);
                (
                    owned(r),
                    format!(
                        "the scope of {} '{short}': {}",
                        r.resource_type,
                        link.unwrap_or("")
                    ),
                )
            })
            .collect()
    }

    /// The resources of `related_type` whose scope or parent is the primary
    /// resource, with its id, or, not an extension or child of anything,
    /// in its resource group: found through the deployment's indexes, in
    /// model order.
    fn related(
        &self,
        primary_id: &str,
        related_type: &str,
        name: Option<&str>,
    ) -> Vec<OwnedPolicyResource> {
        self.related_resources(primary_id, related_type, name)
            .into_iter()
            .map(owned)
            .collect()
    }

    /// Without copying or ordering any: whether [`ModelRelations::related`]
    /// or [`ModelRelations::maybe_related`] finds one, whatever its name.
    fn has_candidates(&self, primary_id: &str, related_type: &str) -> bool {
        let primary = primary_id.to_ascii_lowercase();
        self.candidate_positions(&primary, related_type)
            .any(|i| !self.model.resources[i].existing)
            || self
                .maybe_linked(primary_id, related_type, None)
                .next()
                .is_some()
    }
}

impl ModelRelations<'_> {
    /// The positions of the resources of `related_type` whose scope or
    /// parent is the primary resource (`primary`, its id in lower case),
    /// with its id, or, not an extension or child of anything, in its
    /// resource group: found through the deployment's indexes, unordered,
    /// some more than once.
    fn candidate_positions<'a>(
        &'a self,
        primary: &'a str,
        related_type: &'a str,
    ) -> impl Iterator<Item = usize> + 'a {
        let (model, d) = (self.model, self.deployment);
        model
            .linked_positions(d, primary)
            .iter()
            .chain(model.positions_with_id(d, primary))
            .chain(model.unlinked_positions(d, related_type, resource_group_of(primary)))
            .copied()
            .filter(move |&i| model.resources[i].is_type(related_type))
    }

    /// The resources [`RelatedResources::related`] returns, in model order.
    fn related_resources(
        &self,
        primary_id: &str,
        related_type: &str,
        name: Option<&str>,
    ) -> Vec<&Resource> {
        let primary = primary_id.to_ascii_lowercase();
        let mut candidates: Vec<usize> = self.candidate_positions(&primary, related_type).collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|i| &self.model.resources[i])
            .filter(|r| !r.existing && named(r, name))
            .collect()
    }
}

/// A worker's translations of messages into a resource's own words
/// ([`Resource::in_own_words`]): a message and a set of input names (one
/// per Terraform resource type, shared) always translate alike, and most
/// messages repeat for every resource of a type.
#[derive(Default)]
struct OwnWords {
    /// (the names' address, the message) -> the names (held, so that the
    /// address stays theirs) and the translation.
    done: aml_model::FastMap<(usize, Text), (SourceNames, Text)>,
}

impl OwnWords {
    /// `message` in `resource`'s own words, interned in `messages`.
    fn of(
        &mut self,
        resource: &Resource,
        message: &Text,
        messages: &aml_model::intern::Interner,
    ) -> Text {
        let Some(names) = resource.source_names.as_ref() else {
            return messages.get(message);
        };
        let key = (Arc::as_ptr(names) as usize, message.clone());
        if let Some((_, said)) = self.done.get(&key) {
            return said.clone();
        }
        let said = messages.get(&resource.in_own_words(message));
        self.done.insert(key, (names.clone(), said.clone()));
        said
    }
}
#[cfg(test)]
mod tests {

    /// A worker's remembered translations are the translations: resources
    /// sharing a set of input names, another set, none, and messages seen
    /// once and again.
    #[test]
    fn remembered_own_words_are_the_own_words() {
        use aml_model::intern::{Interner, Text};
        let names = |pairs: &[(&str, &str)]| {
            Some(Arc::new(
                pairs
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            ))
        };
        let resource = |names: Option<Arc<std::collections::BTreeMap<String, String>>>| Resource {
            id: "/subscriptions/s/resourceGroups/rg/providers/X/y/z".into(),
            resource_type: "X/y".into(),
            name: "z".into(),
            api_version: None,
            body: Value::Null,
            parent_id: None,
            scope_id: None,
            existing: false,
            deployed: aml_model::model::Deployed::Yes,
            span: Span::new(Default::default(), 0, 0),
            symbol: None,
            spans: Default::default(),
            format: "terraform",
            deployment: 0,
            source_names: names,
        };
        let shared = names(&[(
            "properties.publicnetworkaccess",
            "public_network_access_enabled",
        )]);
        let resources = [
            resource(shared.clone()),
            resource(shared),
            resource(names(&[(
                "properties.publicnetworkaccess",
                "!public_network_enabled",
            )])),
            resource(None),
        ];
        let messages = Interner::default();
        let said = [
            "`properties.publicNetworkAccess` is 'Enabled'",
            "`publicNetworkAccess` is not set",
            "nothing quoted",
        ];
        let mut own_words = OwnWords::default();
        for _ in 0..2 {
            for r in &resources {
                for m in said {
                    let message = Text::from(m);
                    let expected = r.in_own_words(m).into_owned();
                    assert_eq!(own_words.of(r, &message, &messages).as_str(), expected);
                }
            }
        }
        // One translation a (set of names, message): two sets of names.
        assert_eq!(own_words.done.len(), 2 * said.len());
    }
    use super::*;

    /// An outcome is made per (rule, resource): hundreds of thousands in a
    /// large scan. What most outcomes leave empty stays out of line.
    #[test]
    fn outcomes_stay_small() {
        let size = std::mem::size_of::<Outcome>();
        eprintln!("Outcome: {size} bytes");
        assert!(size <= 144, "Outcome grew to {size} bytes");
    }

    fn outcome(resource: usize) -> Outcome {
        Outcome {
            rule: crate::native::RULES[0],
            resource,
            verdict: Verdict::Pass,
            message: "".into(),
            span: Span::new(Default::default(), 0, 0),
            effect: None,
            deciding: Vec::new(),
            evidence: None,
            assignment: None,
            denied: false,
            may_deny: false,
            known_issue: None,
            rollup: None,
        }
    }

    /// Blocks of resources whose outcomes come at an even rate: room is
    /// made once, after the first block, for what all will give (and 5%
    /// more); the outcomes and diagnostics keep their order.
    #[test]
    fn gathered_blocks_make_room_once() {
        let mut gathered = Gathered::new(100);
        let mut buffers = Vec::new();
        for block in 0..10 {
            let per_resource = (0..10)
                .map(|k| {
                    let r = block * 10 + k;
                    let diags = if r % 7 == 0 {
                        vec![Diagnostic::warning("t", format!("{r}"), Location::None)]
                    } else {
                        Vec::new()
                    };
                    (vec![outcome(r), outcome(r), outcome(r)], diags)
                })
                .collect();
            gathered.add(10, per_resource);
            buffers.push(gathered.outcomes.as_ptr());
        }
        assert_eq!(gathered.outcomes.len(), 300);
        assert!((315..=320).contains(&gathered.outcomes.capacity()));
        assert!(buffers.windows(2).all(|w| w[0] == w[1]), "moved");
        assert!(gathered
            .outcomes
            .windows(2)
            .all(|w| w[0].resource <= w[1].resource));
        let said: Vec<String> = gathered.diags.iter().map(|d| d.message.clone()).collect();
        assert_eq!(
            said,
            [
                "0", "7", "14", "21", "28", "35", "42", "49", "56", "63", "70", "77", "84", "91",
                "98"
            ]
        );
    }

    /// Outcomes that come late (none in the first blocks) still all fit,
    /// in order.
    #[test]
    fn gathered_blocks_that_start_empty() {
        let mut gathered = Gathered::new(30);
        gathered.add(10, (0..10).map(|_| (Vec::new(), Vec::new())).collect());
        assert_eq!(gathered.outcomes.capacity(), 0);
        gathered.add(
            10,
            (10..20).map(|r| (vec![outcome(r)], Vec::new())).collect(),
        );
        gathered.add(
            10,
            (20..30)
                .map(|r| (vec![outcome(r); 4], Vec::new()))
                .collect(),
        );
        let resources: Vec<usize> = gathered.outcomes.iter().map(|o| o.resource).collect();
        assert_eq!(resources.len(), 50);
        assert!(resources.windows(2).all(|w| w[0] <= w[1]));
    }

    /// A small estate in `deployments` deployments: per deployment a
    /// workspace (open to the internet in every other one), its compute, a
    /// private endpoint to it, a storage account and a key vault; the first
    /// workspace is a private hub with a managed network, and the last
    /// deployment also holds a project of that hub (judged by its posture).
    fn estate(deployments: u32) -> Model {
        use aml_model::model::Deployed;
        let resource = |d: u32, k: usize, t: &str, name: String, body: serde_json::Value| {
            let rg = format!("/subscriptions/s/resourceGroups/rg-{d}");
            let id = format!("{rg}/providers/{t}/{name}");
            let parent = t
                .ends_with("/computes")
                .then(|| id.rsplit_once("/computes/").map(|(p, _)| p.to_string()))
                .flatten();
            // A span of its own for each property path, as a front end
            // records them.
            fn paths(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
                if let serde_json::Value::Object(o) = v {
                    for (key, v) in o {
                        let path = match at.as_str() {
                            "" => key.to_ascii_lowercase(),
                            _ => format!("{at}.{}", key.to_ascii_lowercase()),
                        };
                        out.push(path.clone());
                        paths(v, path, out);
                    }
                }
            }
            let mut all = Vec::new();
            paths(&body, String::new(), &mut all);
            let spans = all
                .into_iter()
                .enumerate()
                .map(|(n, p)| {
                    (
                        p,
                        Span::new(Default::default(), 1000 * k + n + 1, 1000 * k + n + 2),
                    )
                })
                .collect();
            Resource {
                id,
                resource_type: t.into(),
                name,
                api_version: None,
                body: Value::from_json(&body),
                parent_id: parent,
                scope_id: None,
                existing: false,
                deployed: Deployed::Yes,
                span: Span::new(Default::default(), 1000 * k, 1000 * k + 999),
                symbol: None,
                spans,
                format: "live",
                deployment: d,
                source_names: None,
            }
        };
        let mut model = Model::default();
        for d in 0..deployments {
            let rg = format!("/subscriptions/s/resourceGroups/rg-{d}");
            let ws = format!("{rg}/providers/Microsoft.MachineLearningServices/workspaces/mlw-{d}");
            let mut add = |t: &str, name: String, body: serde_json::Value| {
                let at = model.resources.len();
                model.resources.push(resource(d, at, t, name, body));
            };
            add(
                "Microsoft.MachineLearningServices/workspaces",
                format!("mlw-{d}"),
                serde_json::json!({"location": "westeurope", "identity": {"type": "SystemAssigned"},
                    "kind": if d == 0 { "Hub" } else { "Default" },
                    "properties": {"publicNetworkAccess": if d % 2 == 0 && d > 0 { "Enabled" } else { "Disabled" },
                    "managedNetwork": {"isolationMode": if d == 0 { "AllowOnlyApprovedOutbound" } else { "Disabled" }},
                    "storageAccount": format!("{rg}/providers/Microsoft.Storage/storageAccounts/st{d}")}}),
            );
            if d + 1 == deployments {
                let hub = "/subscriptions/s/resourceGroups/rg-0/providers/Microsoft.MachineLearningServices/workspaces/mlw-0";
                add(
                    "Microsoft.MachineLearningServices/workspaces",
                    "project".to_string(),
                    serde_json::json!({"location": "westeurope", "kind": "Project",
                        "properties": {"hubResourceId": hub}}),
                );
            }
            add(
                "Microsoft.MachineLearningServices/workspaces/computes",
                format!("mlw-{d}/ci"),
                serde_json::json!({"location": "westeurope", "properties": {"computeType": "ComputeInstance",
                    "disableLocalAuth": d % 3 == 0, "properties": {"enableNodePublicIp": d % 2 == 0}}}),
            );
            add(
                "Microsoft.Network/privateEndpoints",
                format!("pe-{d}"),
                serde_json::json!({"location": "westeurope", "properties": {"privateLinkServiceConnections": [
                    {"name": "pe", "properties": {"privateLinkServiceId": ws, "groupIds": ["amlworkspace"]}}]}}),
            );
            add(
                "Microsoft.Storage/storageAccounts",
                format!("st{d}"),
                serde_json::json!({"location": "westeurope", "kind": "StorageV2",
                    "properties": {"supportsHttpsTrafficOnly": d % 2 == 1, "minimumTlsVersion": "TLS1_2"}}),
            );
            add(
                "Microsoft.KeyVault/vaults",
                format!("kv-{d}"),
                serde_json::json!({"location": "westeurope", "properties": {"enablePurgeProtection": d % 2 == 1}}),
            );
        }
        model
    }

    /// The settings go as the evaluation goes (a deployment's once all its
    /// resources are judged, not at the end), but a workspace's and those
    /// the caller keeps; the outcomes, diagnostics and account are those of
    /// [`evaluate`] then [`crate::account::account`], in the same order.
    #[test]
    fn settings_are_freed_as_the_evaluation_goes() {
        let rules = crate::all();
        let parameters = RuleParameters::new();
        let whole = estate(12);
        let (outcomes, diagnostics) = evaluate(&whole, rules, &parameters);
        let account = crate::account::account(&whole, rules, &parameters, None, &outcomes);
        assert!(outcomes.iter().any(|o| o.verdict == Verdict::Fail));
        assert!(!account.not_applicable.is_empty());

        let same = |a: &[Outcome], b: &[Outcome]| {
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(b) {
                assert_eq!(format!("{x:?}"), format!("{y:?}"));
            }
        };
        let mut model = estate(12);
        let keep_none = |_: &Resource, _: &[Outcome]| false;
        let e = evaluate_releasing_in(&mut model, rules, &parameters, &keep_none, 4);
        same(&e.outcomes, &outcomes);
        assert_eq!(format!("{:?}", e.diagnostics), format!("{diagnostics:?}"));
        assert_eq!(e.account.not_applicable, account.not_applicable);
        assert_eq!(e.account.targets, account.targets);
        // 61 resources in blocks of 4: 16 blocks; all but the hub and the
        // project freed, most before the last block is judged.
        let read_later = |r: &Resource| r.name == "mlw-0" || r.name == "project";
        assert!(
            outcomes.iter().any(|o| o.rollup.is_some()),
            "a project's roll-up"
        );
        assert_eq!(e.freed, 59);
        assert!(
            e.freed_while_evaluating >= 50,
            "{} freed before the end",
            e.freed_while_evaluating
        );
        for (i, r) in model.resources.iter().enumerate() {
            assert_eq!(read_later(r), !matches!(r.body, Value::Null), "{}", r.id);
            // A freed resource keeps the spans its outcomes point at.
            let whole = &whole.resources[i].spans;
            let pointed = |s: &Span| outcomes.iter().any(|o| o.resource == i && o.span == *s);
            let kept: Vec<(&str, &Span)> = whole
                .iter()
                .filter(|(_, s)| read_later(r) || pointed(s))
                .collect();
            assert_eq!(r.spans.iter().collect::<Vec<_>>(), kept, "{}", r.id);
        }
        let spans = |m: &Model| m.resources.iter().map(|r| r.spans.len()).sum::<usize>();
        assert!(0 < spans(&model) && spans(&model) < spans(&whole) / 2);

        // Kept: the settings of resources the caller names by their outcomes.
        let mut model = estate(12);
        let failing =
            |_: &Resource, own: &[Outcome]| own.iter().any(|o| o.verdict == Verdict::Fail);
        let e = evaluate_releasing_in(&mut model, rules, &parameters, &failing, 4);
        same(&e.outcomes, &outcomes);
        for (i, r) in model.resources.iter().enumerate() {
            let fails = outcomes
                .iter()
                .any(|o| o.resource == i && o.verdict == Verdict::Fail);
            assert_eq!(
                read_later(r) || fails,
                !matches!(r.body, Value::Null),
                "{}",
                r.id
            );
        }
        assert!(e.freed > 0 && e.freed < 59);
    }
}
