//! [`PolicyEngine`]: compiled definitions and their evaluation.

use super::builtin::BUILTIN;
use super::catalogue::{path_segments, Catalogue};
use super::memo::{Answer, OutcomeMemo};
use super::resource::{prepare, scope_of, short_name, unknown_leaves};
use super::rewrite::{
    applicability_condition, builtin_path, collect_fields, is_builtin_field, is_cross_resource,
    param_ref, referenced_params, required_types, rewrite_legacy_aliases, type_conditions,
    ReadField, Rhs,
};
use super::unknowns::{add_unknowns, decide, lower, ReadPath};
use super::{
    matches_name, Evaluability, OwnedPolicyResource, PolicyDefinition, PolicyLoadError,
    PolicyOutcome, PolicyResource, RelatedResources, SelectionMiss,
};
use regorus::languages::azure_policy::{compiler, parser};
use regorus::rvm::{Program, RegoVM};
use regorus::{Source, Value as RValue};
use serde_json::{json, Map, Value as J};
use std::borrow::Cow;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

/// Instructions one VM run may execute (regorus' default of 25,000 fails on
/// arrays of a few thousand members; ~5 instructions per member).
const MAX_INSTRUCTIONS: usize = 2_000_000;
/// Most combinations of unknown alternatives evaluated for one resource.
const MAX_ALTERNATIVES: usize = 64;
/// `requestContext().apiVersion` when the resource has no API version.
const DEFAULT_API_VERSION: &str = "2024-04-01";
/// The host-await identifier of regorus' related-resource lookups.
const EXISTENCE_CHECK: &str = "azure.policy.existence_check";

/// A declared parameter.
struct Param {
    name: String,
    default: Option<J>,
    allowed: Option<Vec<J>>,
}

/// The related-resource lookup of an auditIfNotExists / deployIfNotExists.
struct Lookup {
    resource_type: String,
    /// `details.name` as written (a literal or a template expression).
    name: Option<String>,
}

/// What evaluation needs of a definition: what its JSON says, read when it
/// is loaded, and its programs, compiled the first time a resource of a
/// type it can apply to meets it.
struct Compiled {
    programs: OnceLock<Result<Programs, CompileFailure>>,
    /// What compiling needs: the definition's path, text and JSON.
    path: String,
    /// Borrowed for a shipped definition (embedded in the binary).
    text: Cow<'static, str>,
    root: J,
    params: Vec<Param>,
    /// `then.effect` as written.
    effect: String,
    read: Vec<ReadField>,
    /// Types the `if` requires (a quick test before preparing the resource).
    required_types: Option<Vec<Rhs>>,
    /// Whether the definition looks up related resources
    /// (auditIfNotExists / deployIfNotExists details): its outcome depends
    /// on more than the resource ([`crate::rewrite::is_cross_resource`]).
    looks_up: bool,
    /// The effective parameters of the first assignment values evaluated
    /// with (the values, then what they give), kept: a rule evaluates every
    /// resource with the same values, and building them per evaluation was
    /// a copy of every parameter and a conversion to regorus' values.
    effective: OnceLock<(Map<String, J>, Effective)>,
    /// The `field` and the `equals` (or `in`) of each condition of the
    /// `if`'s `allOf` that has both, read from `root` once
    /// ([`PolicyEngine::selection_miss`] asks for every compliant resource).
    selection: OnceLock<Vec<(String, J)>>,
    /// Whether keying this definition's outcomes by what it reads pays.
    projection_trial: super::memo::Trial,
}

/// A definition's effective parameters for one set of assignment values.
#[derive(Clone)]
struct Effective {
    params: Map<String, J>,
    /// Required parameters given no value and without a default.
    missing: Vec<String>,
    /// `params` as regorus reads them (`input.parameters`).
    value: RValue,
}

/// A definition's compiled programs.
struct Programs {
    main: Arc<Program>,
    applicability: Arc<Program>,
    /// Lower-case parameter names the applicability condition reads.
    applicability_params: Vec<String>,
    /// Whether the applicability condition reads only `type` and `kind`
    /// ([`crate::rewrite::reads_only_type_and_kind`]): its outcome is kept
    /// per type, kind and parameters ([`applicable_by_type_and_kind`]).
    applicability_by_type_and_kind: bool,
    lookup: Option<Lookup>,
    /// The top-level members of the normalised resource the programs can
    /// read ([`crate::projection`]), as regorus keys (made once: the memo
    /// looks them up for every evaluation); `None` when they may read more
    /// (or look up related resources).
    reads: Option<Vec<RValue>>,
    /// For a definition that looks up related resources, the members its
    /// `if` can read: what decides its outcome on a resource with no
    /// candidate (its details find and judge candidates only).
    reads_without_candidates: Option<Vec<RValue>>,
}

/// The Azure Policy definitions an evaluation can use, compiled once.
///
/// `PolicyEngine` is `Send + Sync`: evaluate from as many threads as you like.
pub struct PolicyEngine {
    catalogue: Arc<Catalogue>,
    definitions: Vec<PolicyDefinition>,
    compiled: Vec<Option<Compiled>>,
    /// Outcomes of resources evaluated before, by their content.
    memo: OutcomeMemo,
}

/// Definitions read but not compiled, with the index each had in the input.
struct Loaded {
    catalogue: Arc<Catalogue>,
    definitions: Vec<PolicyDefinition>,
    compiled: Vec<Option<Compiled>>,
    origins: Vec<usize>,
}

/// A resource prepared for one evaluation: its candidates for a lookup.
struct Subject<'a> {
    resource: &'a PolicyResource<'a>,
    context: RValue,
    params: RValue,
    candidates: Vec<OwnedPolicyResource>,
    cache: &'a ResourceCache,
}

/// What evaluating one resource against several definitions can share: its
/// normalised `input.resource` with unknown values left out, and its request
/// context. Build one per resource with `ResourceCache::default()` and pass
/// it to [`PolicyEngine::evaluate_cached`] for every definition; it must not
/// be reused for another resource.
#[derive(Default)]
pub struct ResourceCache {
    resource: std::cell::OnceCell<RValue>,
    context: std::cell::OnceCell<RValue>,
    /// The resource's unknown values and where they are (every definition
    /// that reads one asks).
    leaves: std::cell::OnceCell<Vec<super::resource::UnknownLeaf>>,
    /// The expressions of the resource's unknown values, sorted, once each.
    exprs: std::cell::OnceCell<Vec<String>>,
    /// The resource normalised with its unknowns replaced, keyed by what
    /// replaces them ([`ResourceCache::variant_key`]): definitions that read
    /// the same unknowns share each alternative.
    variants: std::cell::RefCell<HashMap<String, RValue>>,
    /// The resource's key in the engine's memo of outcomes.
    memo_key: std::cell::OnceCell<super::memo::Key>,
    /// The key of its unknown values, where they are, and its API version
    /// ([`super::memo::OutcomeMemo::unknowns_key`]).
    unknowns_key: std::cell::OnceCell<super::memo::Key>,
}

/// Most normalised alternatives one [`ResourceCache`] keeps (64 per
/// definition at most; past this, new ones are made and not kept).
const MAX_CACHED_VARIANTS: usize = 256;

impl ResourceCache {
    /// The resource's unknown values ([`unknown_leaves`]), found once.
    fn leaves(&self, resource: &PolicyResource) -> &[super::resource::UnknownLeaf] {
        self.leaves.get_or_init(|| unknown_leaves(resource.body))
    }

    /// What decides the resource's normalised value under `assignment`:
    /// the value each of its own unknowns takes (absent when the assignment
    /// leaves it out or drops it), in expression order. Empty when every
    /// unknown is dropped, as in the first pass.
    fn variant_key(
        &self,
        resource: &PolicyResource,
        assignment: &HashMap<String, Option<J>>,
    ) -> String {
        let exprs = self.exprs.get_or_init(|| {
            let mut all: Vec<String> = self
                .leaves(resource)
                .iter()
                .map(|leaf| leaf.unknown.expr.clone())
                .collect();
            all.sort_unstable();
            all.dedup();
            all
        });
        let mut key = String::new();
        for (i, expr) in exprs.iter().enumerate() {
            if let Some(Some(v)) = assignment.get(expr) {
                use std::fmt::Write;
                // The index names the expression; JSON text names the value.
                let _ = write!(key, "{i}={v}\u{0}");
            }
        }
        key
    }

    /// The alternative kept under `key`, if any.
    fn variant(&self, key: &str) -> Option<RValue> {
        self.variants.borrow().get(key).cloned()
    }
}

impl PolicyEngine {
    /// A cache for `variant`: the resource `base` with the unknowns that
    /// `assignment` names written as its values (scalars). When `base_cache`
    /// holds `base` normalised under that assignment (an alternative a
    /// definition's evaluation made), it is `variant` normalised, and the
    /// new cache starts with it: rules run again on each allowed value of a
    /// parameter reuse what the first run normalised.
    pub fn variant_cache(
        &self,
        base: &PolicyResource,
        base_cache: &ResourceCache,
        assignment: &HashMap<String, Option<J>>,
        variant: &PolicyResource,
    ) -> ResourceCache {
        let cache = ResourceCache::default();
        let key = base_cache.variant_key(base, assignment);
        if key.is_empty() {
            return cache;
        }
        if let Some(normalised) = base_cache.variant(&key) {
            // Checked where the tests run: the reuse must change nothing.
            debug_assert_eq!(
                normalised,
                prepare(&self.catalogue, variant, &|_| None),
                "a variant's normalised value differs from the alternative's"
            );
            let _ = cache.resource.set(normalised);
        }
        cache
    }
}

impl PolicyEngine {
    /// The built-in Azure ML definitions shipped in the binary, compiled once
    /// (on first use).
    pub fn builtin() -> &'static PolicyEngine {
        static ENGINE: OnceLock<PolicyEngine> = OnceLock::new();
        ENGINE.get_or_init(|| {
            let defs = builtin_texts().collect();
            // Each definition compiles when first used (tests check that
            // every shipped one compiles).
            let loaded = PolicyEngine::load_definitions(defs, Catalogue::shipped_arc()).0;
            PolicyEngine {
                catalogue: loaded.catalogue,
                definitions: loaded.definitions,
                compiled: loaded.compiled,
                memo: OutcomeMemo::default(),
            }
        })
    }

    /// Builds an engine from definition JSON texts (`(path, json)`), e.g. a
    /// user's folder. A file that does not parse is left out and reported; a
    /// definition that parses but does not compile is listed with
    /// [`Evaluability::CompileError`] and reported too.
    pub fn from_definitions(defs: Vec<(String, String)>) -> (PolicyEngine, Vec<PolicyLoadError>) {
        let count = defs.len();
        PolicyEngine::build(owned_texts(defs).collect(), Catalogue::shipped_arc(), count)
    }

    /// An engine of a user's definitions followed by the shipped built-in
    /// ones (so that an assignment of a built-in resolves), over `catalogue`
    /// (the shipped one, or it extended by `--aliases`). The user's
    /// definitions are compiled now and their problems reported; the
    /// built-ins compile when first used.
    pub(crate) fn with_builtins(
        defs: Vec<(String, String)>,
        catalogue: Arc<Catalogue>,
    ) -> (PolicyEngine, Vec<PolicyLoadError>) {
        let count = defs.len();
        let all = owned_texts(defs).chain(builtin_texts()).collect();
        PolicyEngine::build(all, catalogue, count)
    }

    /// Loads `defs` and compiles the first `check` of them now.
    fn build(
        defs: Vec<(String, Cow<'static, str>)>,
        catalogue: Arc<Catalogue>,
        check: usize,
    ) -> (PolicyEngine, Vec<PolicyLoadError>) {
        let (loaded, mut errors) = PolicyEngine::load_definitions(defs, catalogue);
        // Compile those definitions now, in parallel, to report what fails.
        use rayon::prelude::*;
        let failures: Vec<Option<CompileFailure>> = loaded
            .compiled
            .par_iter()
            .zip(&loaded.origins)
            .map(|(c, origin)| {
                if *origin >= check {
                    return None;
                }
                c.as_ref()?.programs(&loaded.catalogue).err().cloned()
            })
            .collect();
        let mut engine = PolicyEngine {
            catalogue: loaded.catalogue,
            definitions: Vec::new(),
            compiled: Vec::new(),
            memo: OutcomeMemo::default(),
        };
        let origins = loaded.origins;
        for (((mut def, compiled), failure), origin) in loaded
            .definitions
            .into_iter()
            .zip(loaded.compiled)
            .zip(failures)
            .zip(origins)
        {
            let Some(failure) = failure else {
                engine.definitions.push(def);
                engine.compiled.push(compiled);
                continue;
            };
            let (line, col, message) = failure.parts();
            errors.push((
                origin,
                PolicyLoadError {
                    path: def.source_path.clone(),
                    line,
                    col,
                    message: message.to_string(),
                },
            ));
            if let CompileFailure::Compile(..) = failure {
                def.evaluable = Evaluability::CompileError {
                    message: message.to_string(),
                };
                engine.definitions.push(def);
                engine.compiled.push(None);
            }
        }
        // Reported in the order the definitions were given.
        errors.sort_by_key(|(origin, _)| *origin);
        (engine, errors.into_iter().map(|(_, e)| e).collect())
    }

    /// Reads the definitions without compiling them; the errors carry the
    /// index of the definition they are about.
    fn load_definitions(
        defs: Vec<(String, Cow<'static, str>)>,
        catalogue: Arc<Catalogue>,
    ) -> (Loaded, Vec<(usize, PolicyLoadError)>) {
        let mut loaded = Loaded {
            catalogue,
            definitions: Vec::new(),
            compiled: Vec::new(),
            origins: Vec::new(),
        };
        let mut errors = Vec::new();
        for (i, (path, text)) in defs.into_iter().enumerate() {
            match load(&path, text) {
                Ok((def, compiled)) => {
                    loaded.definitions.push(def);
                    loaded.compiled.push(compiled);
                    loaded.origins.push(i);
                }
                Err(e) => errors.push((i, e)),
            }
        }
        (loaded, errors)
    }

    /// The definitions, in load order.
    pub fn definitions(&self) -> &[PolicyDefinition] {
        &self.definitions
    }

    /// The effect definition `def` has with assignment parameters `params`
    /// (on top of its defaults), in Azure's casing (`Deny`, `Audit`, ...);
    /// `None` when it is an expression other than `[parameters('x')]` or
    /// names a parameter without a value.
    pub fn effect(&self, def: usize, params: &Map<String, J>) -> Option<String> {
        let c = self.compiled.get(def)?.as_ref()?;
        let (effective, _) = c.effective_params(params).ok()?;
        c.effect_value(&effective)
            .map(|e| canonical_effect(&e).to_string())
    }

    /// The value parameter `name` of definition `def` takes with assignment
    /// parameters `params`: the given value (names case-insensitive), else
    /// the definition's default; `None` when it has neither (or is not
    /// compiled, as the resource-provider modes that are never evaluated).
    pub fn parameter_value(&self, def: usize, params: &Map<String, J>, name: &str) -> Option<J> {
        let c = self.compiled.get(def)?.as_ref()?;
        let p = c
            .params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))?;
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&p.name))
            .map(|(_, v)| v.clone())
            .or_else(|| p.default.clone())
    }

    /// The declared parameter names of definition `def`.
    pub fn parameter_names(&self, def: usize) -> Vec<String> {
        self.compiled
            .get(def)
            .and_then(Option::as_ref)
            .map(|c| c.params.iter().map(|p| p.name.clone()).collect())
            .unwrap_or_default()
    }

    /// A definition by its name (GUID, any case) or the GUID's first 8 hex
    /// digits; the first one in load order when several share it (the
    /// Azure Government copy of a built-in comes after the public one).
    pub fn definition(&self, name_or_prefix: &str) -> Option<(usize, &PolicyDefinition)> {
        self.definitions
            .iter()
            .enumerate()
            .find(|(_, d)| matches_name(&d.name, name_or_prefix))
    }

    /// The ARM path (`properties.publicNetworkAccess`) alias `name` maps to
    /// at `api_version`, when the engine's catalogue knows it.
    pub fn alias_path(&self, name: &str, api_version: Option<&str>) -> Option<String> {
        self.catalogue
            .alias(name)
            .map(|info| info.path(api_version).to_string())
    }

    /// The ARM property paths (e.g. `properties.publicNetworkAccess`) that a
    /// definition's aliases map to for this resource type and API version,
    /// followed by the built-in fields it reads other than `type` (`kind`,
    /// `name`, `location`, `tags.x`, ...). For explanations.
    pub fn field_paths(
        &self,
        def: usize,
        resource_type: &str,
        api_version: Option<&str>,
    ) -> Vec<String> {
        let Some(Some(c)) = self.compiled.get(def) else {
            return Vec::new();
        };
        if crate::dataplane::is_deployment(resource_type)
            && self
                .definitions
                .get(def)
                .is_some_and(|d| crate::dataplane::is_registry_model_mode(&d.mode))
        {
            // The data-plane fields all come from the deployment's model: a
            // batch deployment's asset reference, or an online one's URI.
            return vec![
                format!("{}.assetId", crate::dataplane::MODEL_PATH),
                crate::dataplane::MODEL_PATH.to_string(),
            ];
        }
        let mut out: Vec<String> = Vec::new();
        let mut builtins = Vec::new();
        for r in &c.read {
            let path = if is_builtin_field(&r.field) {
                match builtin_path(&r.field) {
                    Some(p) => {
                        builtins.push(p);
                        continue;
                    }
                    None => continue,
                }
            } else {
                match self.catalogue.alias(&r.field) {
                    Some(info) if info.type_lc.eq_ignore_ascii_case(resource_type) => {
                        info.path(api_version).to_string()
                    }
                    _ => continue,
                }
            };
            out.push(path);
        }
        out.extend(builtins);
        let mut seen = Vec::<String>::new();
        out.retain(|p| {
            let lc = p.to_ascii_lowercase();
            let new = !seen.contains(&lc);
            seen.push(lc);
            new
        });
        out
    }

    /// The values definition `def`'s conditions compare each of its alias
    /// fields with, for a resource of `resource_type` at `api_version`: per
    /// ARM path, the literals and the values of the parameters it names
    /// (from `params`, else their defaults), lists flattened, in the order
    /// written, each once. Candidates for a value the definition allows
    /// (`fix` under `--assignments`); the definition's verdict decides which
    /// ones it does allow. Built-in fields (`type`, `kind`, `location`...)
    /// are left out.
    pub fn compared_values(
        &self,
        def: usize,
        resource_type: &str,
        api_version: Option<&str>,
        params: &Map<String, J>,
    ) -> Vec<(String, Vec<J>)> {
        let Some(Some(c)) = self.compiled.get(def) else {
            return Vec::new();
        };
        let param = |name: &str| c.param_or_default(params, name);
        let mut out: Vec<(String, Vec<J>)> = Vec::new();
        for r in &c.read {
            if is_builtin_field(&r.field) {
                continue;
            }
            let Some(info) = self
                .catalogue
                .alias(&r.field)
                .filter(|i| i.type_lc.eq_ignore_ascii_case(resource_type))
            else {
                continue;
            };
            let path = info.path(api_version).to_string();
            if path.contains('[') {
                continue;
            }
            let mut values: Vec<J> = Vec::new();
            for rhs in &r.compared_to {
                let v = match rhs {
                    Rhs::Literal(v) => Some(v.clone()),
                    Rhs::Param(name) => param(name),
                };
                let flat = match v {
                    Some(J::Array(items)) => items,
                    Some(v) => vec![v],
                    None => Vec::new(),
                };
                for v in flat {
                    let scalar = matches!(v, J::String(_) | J::Bool(_) | J::Number(_));
                    let expression = v.as_str().is_some_and(|s| s.starts_with('['));
                    if scalar && !expression && !values.contains(&v) {
                        values.push(v);
                    }
                }
            }
            merge_compared_values(&mut out, path, values);
        }
        out
    }

    /// Why a resource the definition finds compliant does not match its
    /// `if`: the first condition of the `if`'s top-level `allOf` that
    /// compares a field with `equals` or `in` (a literal or a parameter; not
    /// `type`, which decides applicability) and is false for this resource:
    /// its value is known and none of those, or it is not set. `None` when
    /// no such condition is false (another kind of condition decided).
    pub fn selection_miss(
        &self,
        def: usize,
        resource: &PolicyResource,
        params: &Map<String, J>,
    ) -> Option<SelectionMiss> {
        let c = self.compiled.get(def)?.as_ref()?;
        for (field, rhs) in c.selection() {
            let field = field.as_str();
            let rhs = match rhs.as_str().and_then(param_ref) {
                Some(name) => c.param_or_default(params, name),
                None => Some(rhs.clone()),
            };
            let expected: Vec<J> = match rhs {
                Some(J::String(s)) if s.starts_with('[') => continue,
                Some(J::Array(a)) => a
                    .into_iter()
                    .filter(|x| !x.is_array() && !x.is_object())
                    .collect(),
                Some(v) if !v.is_object() && !v.is_null() => vec![v],
                _ => continue,
            };
            let path = if is_builtin_field(field) {
                builtin_path(field)
            } else {
                self.catalogue
                    .alias(field)
                    .filter(|i| i.type_lc.eq_ignore_ascii_case(resource.resource_type))
                    .map(|i| i.path(resource.api_version).to_string())
            };
            let Some(path) = path.filter(|p| !p.contains('[')) else {
                continue;
            };
            use aml_model::value::Value as V;
            let actual = value_at(resource.body, &path).filter(|v| !matches!(v, V::Null));
            let value = match actual {
                None => None,
                Some(V::Unknown(_) | V::Object(_) | V::Array(_)) => continue,
                Some(v) => {
                    let matched = expected.iter().any(|e| match (v, e) {
                        (V::String(a), J::String(b)) => a.eq_ignore_ascii_case(b),
                        (V::Bool(a), J::Bool(b)) => a == b,
                        (V::Int(a), J::Number(b)) => b.as_i64() == Some(*a),
                        // Azure Policy compares `"true"` and `true` alike.
                        (V::Bool(a), J::String(b)) | (V::String(b), J::Bool(a)) => {
                            b.eq_ignore_ascii_case(&a.to_string())
                        }
                        _ => false,
                    });
                    if matched {
                        continue;
                    }
                    Some(v.to_string())
                }
            };
            if expected.is_empty() {
                continue;
            }
            return Some(SelectionMiss {
                path,
                value,
                expected: expected
                    .iter()
                    .map(|e| match e {
                        J::String(s) => format!("'{s}'"),
                        other => other.to_string(),
                    })
                    .collect(),
            });
        }
        None
    }

    /// The resource types definition `def` can apply to with assignment
    /// parameters `params` (its `type` condition, parameters resolved);
    /// `None` when its `if` names no type it requires (any type).
    pub fn target_types(&self, def: usize, params: &Map<String, J>) -> Option<Vec<String>> {
        let c = self.compiled.get(def)?.as_ref()?;
        if self
            .definitions
            .get(def)
            .is_some_and(|d| crate::dataplane::is_registry_model_mode(&d.mode))
        {
            // Evaluated on the online and batch deployments' models.
            let types = crate::dataplane::DEPLOYMENT_TYPES.iter();
            return Some(types.map(|t| t.to_string()).collect());
        }
        let params = c
            .effective_params(params)
            .map(|(p, _)| p)
            .unwrap_or_else(|_| params.clone());
        let types = c.allowed_types(&params)?;
        Some(
            types
                .iter()
                .filter_map(J::as_str)
                .map(str::to_string)
                .collect(),
        )
    }

    /// The resource types definition `def` may give a result on with
    /// assignment parameters `params`, when every other type gives none
    /// without anything being run or reported (the `if`'s `type` condition
    /// excludes it, and the definition and its parameters hold no error):
    /// a caller may skip other types before evaluating. `None`: no such
    /// list; evaluate every resource.
    pub fn types_evaluated(&self, def: usize, params: &Map<String, J>) -> Option<Vec<String>> {
        let d = self.definitions.get(def)?;
        if !matches!(d.evaluable, Evaluability::Evaluable)
            || crate::dataplane::is_registry_model_mode(&d.mode)
        {
            return None;
        }
        let c = self.compiled.get(def)?.as_ref()?;
        let (params, _) = c.effective_params(params).ok()?;
        // As `excludes_type`: a value that is not a string excludes nothing.
        c.allowed_types(&params)?
            .iter()
            .map(|t| t.as_str().map(str::to_string))
            .collect()
    }

    /// Why definition `def` gives no result on `resource` with assignment
    /// parameters `params`, in one phrase (for a report's account of the
    /// rules that did not apply): a data-plane mode, a `Disabled` effect, an
    /// `Indexed` mode that skips the type, a type it does not target, or its
    /// applicability condition, rendered with the parameters' values.
    pub fn not_applicable_reason(
        &self,
        def: usize,
        resource: &PolicyResource,
        params: &Map<String, J>,
    ) -> String {
        let Some(d) = self.definitions.get(def) else {
            return format!("no policy definition #{def}");
        };
        if let Evaluability::DataPlane { reason } = &d.evaluable {
            return format!("it is not evaluated on deployment files: {reason}");
        }
        let view;
        let resource = if crate::dataplane::is_registry_model_mode(&d.mode) {
            match crate::dataplane::deployment_view(resource) {
                Some(v) => {
                    view = v;
                    &view.as_resource()
                }
                None => {
                    return format!(
                        "it reads the model of online and batch deployments (mode {}), not {}",
                        d.mode, resource.resource_type
                    )
                }
            }
        } else {
            resource
        };
        let Some(c) = self.compiled.get(def).and_then(Option::as_ref) else {
            return "it could not be compiled".to_string();
        };
        let params = c
            .effective_params(params)
            .map(|(p, _)| p)
            .unwrap_or_else(|_| params.clone());
        if c.effect_value(&params)
            .is_some_and(|e| e.eq_ignore_ascii_case("disabled"))
        {
            return "its effect is `Disabled`".to_string();
        }
        if d.mode.eq_ignore_ascii_case("indexed") && !self.indexed_covers(resource) {
            return "its mode is `Indexed`, which evaluates only resource types that take tags and a location".to_string();
        }
        if c.excludes_type(resource.resource_type, &params) {
            let types = self.target_types(def, &params).unwrap_or_default();
            return match types.len() {
                0 => "its `type` condition, with these parameters, admits no type".to_string(),
                1..=4 => format!(
                    "it targets {}, not {}",
                    types.join(", "),
                    resource.resource_type
                ),
                n => format!("it targets {n} other types, not {}", resource.resource_type),
            };
        }
        let wrapped = c.root.get("properties").is_some_and(J::is_object);
        let props = if wrapped {
            &c.root["properties"]
        } else {
            &c.root
        };
        let rule = props.get("policyRule").unwrap_or(&J::Null);
        let lookup = c.looks_up;
        let condition = applicability_condition(rule.get("if").unwrap_or(&J::Null), lookup);
        let text = crate::explain::render_condition(&condition, &params)
            .unwrap_or_else(|| "(no condition)".to_string());
        let mut facts = Vec::new();
        for key in ["kind", "name"] {
            if !text.contains(&format!("`{key}`")) {
                continue;
            }
            let value = if key == "name" {
                Some(resource.full_name.to_string())
            } else {
                resource.body.get(key).map(|v| match v.as_str() {
                    Some(s) => s.to_string(),
                    None => v.to_string(),
                })
            };
            facts.push(match value {
                Some(v) => format!("its `{key}` is '{v}'"),
                None => format!("it has no `{key}`"),
            });
        }
        let what = if lookup {
            "its `if` condition does not hold"
        } else {
            "its applicability condition (type, name, kind) does not hold"
        };
        if facts.is_empty() {
            format!("{what}: {text}")
        } else {
            format!("{what}: {text}; {}", facts.join(", "))
        }
    }

    /// Evaluates definition `def` against `resource`, with assignment
    /// parameters `params` (on top of the definition's defaults; names are
    /// case-insensitive, undeclared ones are ignored) and `related` for the
    /// lookups of auditIfNotExists / deployIfNotExists definitions.
    pub fn evaluate(
        &self,
        def: usize,
        resource: &PolicyResource,
        params: &Map<String, J>,
        related: &dyn RelatedResources,
    ) -> PolicyOutcome {
        self.evaluate_cached(def, resource, &ResourceCache::default(), params, related)
    }

    /// [`PolicyEngine::evaluate`], sharing the normalised resource across
    /// definitions through `cache` (which belongs to `resource`).
    pub fn evaluate_cached(
        &self,
        def: usize,
        resource: &PolicyResource,
        cache: &ResourceCache,
        params: &Map<String, J>,
        related: &dyn RelatedResources,
    ) -> PolicyOutcome {
        let Some(d) = self.definitions.get(def) else {
            return PolicyOutcome::Error {
                message: format!("no policy definition #{def}"),
            };
        };
        let compiled = match (
            &d.evaluable,
            self.compiled.get(def).and_then(Option::as_ref),
        ) {
            (Evaluability::DataPlane { .. }, _) => return PolicyOutcome::NotApplicable,
            (Evaluability::CompileError { message }, _) => {
                return PolicyOutcome::Error {
                    message: format!("policy definition {} did not compile: {message}", d.name),
                }
            }
            (Evaluability::Evaluable, Some(c)) => c,
            (Evaluability::Evaluable, None) => {
                return PolicyOutcome::Error {
                    message: format!("policy definition {} is not compiled", d.name),
                }
            }
        };
        // A definition that looks up no related resource gives the same
        // outcome for the same resource: kept, and found again, by the
        // whole resource, and (once compiled) by what it can read of it.
        // (Known from the definition's text: nothing compiled for it.) So
        // does one that looks them up, for a resource that has none, not
        // even one it may have (decision 0076).
        let usable = self.memo.in_use()
            && (!compiled.looks_up || self.finds_no_candidate(compiled, resource, related));
        let memo_key = (usable && self.memo.exact_in_use()).then(|| {
            let resource_key = *cache
                .memo_key
                .get_or_init(|| self.memo.resource_key(resource));
            self.memo.evaluation_key(resource_key, def, params)
        });
        if let Some(outcome) = memo_key.and_then(|k| self.memo.find(k)) {
            self.memo.count_lookup(Some(Answer::Exact));
            return outcome;
        }
        let projected = (usable && compiled.projection_trial.pays())
            .then(|| self.projected_key(d, compiled, def, resource, cache, params))
            .flatten();
        let found = projected.and_then(|k| self.memo.find(k));
        if projected.is_some() {
            compiled.projection_trial.count(found.is_some());
        }
        if let Some(outcome) = found {
            self.memo.count_lookup(Some(Answer::Projected));
            if let Some(key) = memo_key {
                self.memo.keep(key, &outcome);
            }
            return outcome;
        }
        if usable {
            self.memo.count_lookup(None);
        }
        let outcome = self.evaluate_uncached(d, compiled, resource, cache, params, related);
        if let Some(key) = memo_key {
            self.memo.keep(key, &outcome);
        }
        // An error's message is not kept for other resources.
        if let (Some(key), false) = (projected, matches!(outcome, PolicyOutcome::Error { .. })) {
            self.memo.keep(key, &outcome);
        }
        outcome
    }

    /// Whether `compiled` (a definition that looks up related resources,
    /// once compiled) finds no candidate for `resource`: none related of the
    /// type it looks up, whatever their name, none that may be, and the
    /// resource is not of that type itself (it may be its own candidate).
    /// Its outcome is then a function of the resource alone, as with
    /// [`crate::NoRelated`].
    fn finds_no_candidate(
        &self,
        compiled: &Compiled,
        resource: &PolicyResource,
        related: &dyn RelatedResources,
    ) -> bool {
        let Some(Ok(programs)) = compiled.programs.get() else {
            return false;
        };
        let Some(lookup) = &programs.lookup else {
            return false;
        };
        !lookup
            .resource_type
            .eq_ignore_ascii_case(resource.resource_type)
            && !related.has_candidates(resource.id, &lookup.resource_type)
    }

    /// The memo's key of evaluating `d` on `resource` by the members of its
    /// normalised form that `d`'s programs can read
    /// ([`OutcomeMemo::projected_key`]): only once the programs are
    /// compiled (this never compiles), for a definition that reads no
    /// data-plane view; on a resource with unknown values that the
    /// definition reads, with the key of its unknown values too (the
    /// alternatives evaluated are made from them; decision 0076).
    fn projected_key(
        &self,
        d: &PolicyDefinition,
        compiled: &Compiled,
        def: usize,
        resource: &PolicyResource,
        cache: &ResourceCache,
        params: &Map<String, J>,
    ) -> Option<super::memo::Key> {
        let Some(Ok(programs)) = compiled.programs.get() else {
            return None;
        };
        let reads = match &programs.lookup {
            None => programs.reads.as_deref()?,
            Some(_) => programs.reads_without_candidates.as_deref()?,
        };
        if crate::dataplane::is_registry_model_mode(&d.mode) {
            return None;
        }
        let leaves = cache.leaves(resource);
        let mut unknowns = None;
        if leaves.is_empty() {
            // (Once the resource is normalised, the checks before are moot.)
            if cache.resource.get().is_none()
                && self
                    .before_normalising(d, compiled, resource, params)
                    .is_err()
            {
                return None;
            }
        } else {
            // Unknown values the definition does not read are left out of
            // the form it evaluates (`evaluate_compiled`'s first pass
            // stands), as if the resource had none: keyed alike. A resource
            // with an unknown value it reads is evaluated.
            let effective = self
                .before_normalising(d, compiled, resource, params)
                .ok()?;
            let read = self.read_paths(
                compiled,
                resource.resource_type,
                resource.api_version,
                &effective.params,
            );
            let mut vars = Vec::new();
            add_unknowns(&mut vars, leaves, &read);
            // A resource with an unknown value the definition reads is
            // evaluated once per value the unknown may take: the form with
            // each, made from the form without (keyed below) and every
            // unknown value where it is (each takes its expression's value).
            // Which unknowns are read depends on the API version too.
            if !vars.is_empty() {
                unknowns =
                    Some(*cache.unknowns_key.get_or_init(|| {
                        self.memo.unknowns_key(resource.body, resource.api_version)
                    }));
            }
        }
        // The form the first pass reads (`input_of`, every unknown left out).
        let normalised = cache
            .resource
            .get_or_init(|| prepare(&self.catalogue, resource, &|_| None));
        let subject = super::memo::Projected {
            resource_type: resource.resource_type,
            indexed_covers: self.indexed_covers(resource),
            unknowns,
        };
        self.memo
            .projected_key(def, params, subject, normalised, reads)
    }

    /// The effective parameters of evaluating `c` on `resource`, or the
    /// outcome that ends the evaluation before the resource is normalised:
    /// the parameters do not resolve, the effect is `Disabled`, an
    /// `Indexed` definition does not cover the resource, or the `if`
    /// excludes its type. ([`PolicyEngine::evaluate_compiled`] begins with
    /// it; the key by what a definition reads, which normalises, is not
    /// made when it ends: a scan of many other types would normalise them
    /// all.)
    fn before_normalising<'c>(
        &self,
        d: &PolicyDefinition,
        c: &'c Compiled,
        resource: &PolicyResource,
        given: &Map<String, J>,
    ) -> Result<Cow<'c, Effective>, PolicyOutcome> {
        let effective = c
            .effective(given)
            .map_err(|message| PolicyOutcome::Error { message })?;
        let params = &effective.params;
        if c.effect_value(params)
            .is_some_and(|e| e.eq_ignore_ascii_case("disabled"))
            || (d.mode.eq_ignore_ascii_case("indexed") && !self.indexed_covers(resource))
            || c.excludes_type(resource.resource_type, params)
        {
            return Err(PolicyOutcome::NotApplicable);
        }
        Ok(effective)
    }

    /// [`PolicyEngine::evaluate_cached`] without the memo of outcomes.
    fn evaluate_uncached(
        &self,
        d: &PolicyDefinition,
        compiled: &Compiled,
        resource: &PolicyResource,
        cache: &ResourceCache,
        params: &Map<String, J>,
        related: &dyn RelatedResources,
    ) -> PolicyOutcome {
        // A registry-model definition reads the data-plane view of a deployment.
        let view;
        let (resource, cache) = if crate::dataplane::is_registry_model_mode(&d.mode) {
            match crate::dataplane::deployment_view(resource) {
                Some(v) => {
                    view = (v, ResourceCache::default());
                    (&view.0.as_resource(), &view.1)
                }
                None => return PolicyOutcome::NotApplicable,
            }
        } else {
            (resource, cache)
        };
        let run = || {
            // Candidates whose link is open count both ways: the outcome
            // with them and without them, unknown when the two differ.
            let with_maybes = crate::WithMaybes {
                inner: related,
                deciding: Default::default(),
            };
            let outcome =
                self.evaluate_compiled(d, compiled, resource, cache, params, &with_maybes);
            let deciding = with_maybes.deciding.into_inner();
            if deciding.is_empty() {
                return outcome;
            }
            let without = self.evaluate_compiled(d, compiled, resource, cache, params, related);
            if without == outcome {
                return outcome;
            }
            let mut all = deciding;
            for o in [&outcome, &without] {
                if let PolicyOutcome::Unknown { deciding } = o {
                    all.extend(
                        deciding
                            .iter()
                            .filter(|e| !all.contains(e))
                            .cloned()
                            .collect::<Vec<_>>(),
                    );
                }
            }
            PolicyOutcome::Unknown { deciding: all }
        };
        catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            PolicyOutcome::Error {
                message: format!("policy evaluation failed unexpectedly: {what}"),
            }
        })
    }

    fn evaluate_compiled(
        &self,
        d: &PolicyDefinition,
        c: &Compiled,
        resource: &PolicyResource,
        cache: &ResourceCache,
        given: &Map<String, J>,
        related: &dyn RelatedResources,
    ) -> PolicyOutcome {
        let effective = match self.before_normalising(d, c, resource, given) {
            Ok(x) => x,
            Err(outcome) => return outcome,
        };
        let (params, missing) = (&effective.params, &effective.missing);
        let p = match c.programs(&self.catalogue) {
            Ok(p) => p,
            Err(failure) => {
                return PolicyOutcome::Error {
                    message: format!(
                        "policy definition {} did not compile: {}",
                        d.name,
                        failure.parts().2
                    ),
                }
            }
        };
        let mut subject = Subject {
            resource,
            context: cache.context.get_or_init(|| context(resource)).clone(),
            params: effective.value.clone(),
            candidates: Vec::new(),
            cache,
        };

        // First pass with unknowns absent: decides most resources, and spares
        // the lookup when the resource is not applicable. The input is made
        // when a program runs (an applicability kept per type and kind needs
        // none).
        let drop_all = HashMap::new();
        // (The closures borrow the subject's parameters and context alone:
        // its candidates are set below.)
        let first_input = std::cell::OnceCell::new();
        let input = || {
            first_input
                .get_or_init(|| self.input_of(resource, cache, &subject.params, &drop_all))
                .clone()
        };
        let run_applicability = || {
            run(&p.applicability, input(), &subject.context, None).map(|v| v != RValue::Undefined)
        };
        let applicable = match (&effective, p.applicability_by_type_and_kind) {
            // The definition's own parameters (kept in it: their address
            // names them while the program lives).
            (std::borrow::Cow::Borrowed(kept), true) => applicable_by_type_and_kind(
                &p.applicability,
                *kept as *const Effective as usize,
                resource,
                run_applicability,
            ),
            _ => run_applicability(),
        };
        if !missing.is_empty() {
            return missing_parameters(d, p, missing, &applicable);
        }
        let decided = |applicable: &Result<bool, String>| match applicable {
            Ok(false) => Some(PolicyOutcome::NotApplicable),
            Err(message) => Some(PolicyOutcome::Error {
                message: message.clone(),
            }),
            Ok(true) => None,
        };

        // Unknown values that the definition reads, grouped by expression.
        let mut vars: Vec<(String, Vec<Option<J>>)> = Vec::new();
        // What the definition reads matters only where a value is unknown.
        let leaves = cache.leaves(resource);
        if !leaves.is_empty() {
            let reads = self.read_paths(c, resource.resource_type, resource.api_version, params);
            add_unknowns(&mut vars, leaves, &reads);
        }
        if vars.is_empty() {
            if let Some(o) = decided(&applicable) {
                return o;
            }
        }
        if let Some(lookup) = &p.lookup {
            subject.candidates = candidates(lookup, resource, params, related);
        }
        for cand in &subject.candidates {
            let leaves = unknown_leaves(&cand.body);
            if leaves.is_empty() {
                continue;
            }
            let reads =
                self.read_paths(c, &cand.resource_type, cand.api_version.as_deref(), params);
            add_unknowns(&mut vars, &leaves, &reads);
        }
        if vars.is_empty() {
            // No unknown is read: the first pass stands.
            return decided(&applicable)
                .unwrap_or_else(|| self.main_outcome(p, &subject, input(), &drop_all));
        }
        let total = vars
            .iter()
            .try_fold(1usize, |acc, (_, alts)| acc.checked_mul(alts.len()))
            .filter(|n| *n <= MAX_ALTERNATIVES);
        let Some(total) = total else {
            return PolicyOutcome::Unknown {
                deciding: vars.into_iter().map(|(e, _)| e).collect(),
            };
        };
        let digits = |mut i: usize| -> Vec<usize> {
            vars.iter()
                .map(|(_, alts)| {
                    let d = i % alts.len();
                    i /= alts.len();
                    d
                })
                .collect()
        };
        let outcomes: Vec<PolicyOutcome> = (0..total)
            .map(|i| {
                let assignment: HashMap<String, Option<J>> = vars
                    .iter()
                    .zip(digits(i))
                    .map(|((expr, alts), d)| (expr.clone(), alts[d].clone()))
                    .collect();
                self.evaluate_once(p, &subject, &assignment)
            })
            .collect();
        decide(&vars, &outcomes, digits)
    }

    /// Whether `Indexed` mode covers the resource's type: types that support
    /// tags and location, per the catalogue; for a type the catalogue does not
    /// know, whether the resource carries a location or tags.
    fn indexed_covers(&self, r: &PolicyResource) -> bool {
        self.catalogue
            .supports_tags_and_location(r.resource_type)
            .unwrap_or_else(|| {
                r.location.is_some()
                    || ["location", "tags"].iter().any(|k| {
                        r.body
                            .get(k)
                            .is_some_and(|v| !matches!(v, aml_model::value::Value::Null))
                    })
            })
    }

    fn input(&self, s: &Subject, assignment: &HashMap<String, Option<J>>) -> RValue {
        self.input_of(s.resource, s.cache, &s.params, assignment)
    }

    /// [`PolicyEngine::input`] from the parts of a [`Subject`] it reads.
    fn input_of(
        &self,
        resource: &PolicyResource,
        cache: &ResourceCache,
        params: &RValue,
        assignment: &HashMap<String, Option<J>>,
    ) -> RValue {
        let key = if assignment.is_empty() {
            String::new()
        } else {
            cache.variant_key(resource, assignment)
        };
        let normalised = if key.is_empty() {
            // Every unknown left out: the same for every definition.
            cache
                .resource
                .get_or_init(|| prepare(&self.catalogue, resource, &|_| None))
                .clone()
        } else if let Some(v) = cache.variant(&key) {
            v
        } else {
            let subst = |u: &aml_model::value::Unknown| assignment.get(&u.expr).cloned().flatten();
            let v = prepare(&self.catalogue, resource, &subst);
            let mut variants = cache.variants.borrow_mut();
            if variants.len() < MAX_CACHED_VARIANTS {
                variants.insert(key, v.clone());
            }
            v
        };
        let mut input = regorus::value::Object::default();
        input.insert(RValue::from("resource"), normalised);
        input.insert(RValue::from("parameters"), params.clone());
        RValue::from(input)
    }

    /// One evaluation, with each unknown replaced as `assignment` says.
    fn evaluate_once(
        &self,
        c: &Programs,
        s: &Subject,
        assignment: &HashMap<String, Option<J>>,
    ) -> PolicyOutcome {
        let input = self.input(s, assignment);
        match run(&c.applicability, input.clone(), &s.context, None) {
            Ok(RValue::Undefined) => PolicyOutcome::NotApplicable,
            Ok(_) => self.main_outcome(c, s, input, assignment),
            Err(message) => PolicyOutcome::Error { message },
        }
    }

    /// The outcome of an applicable resource: the main program, once per
    /// lookup candidate.
    fn main_outcome(
        &self,
        c: &Programs,
        s: &Subject,
        input: RValue,
        assignment: &HashMap<String, Option<J>>,
    ) -> PolicyOutcome {
        if c.lookup.is_none() {
            return outcome(run(&c.main, input, &s.context, None));
        }
        if s.candidates.is_empty() {
            return outcome(run(&c.main, input, &s.context, Some(RValue::Null)));
        }
        // Compliant when any candidate satisfies the existence condition.
        let subst = |u: &aml_model::value::Unknown| assignment.get(&u.expr).cloned().flatten();
        let mut result = None;
        for cand in &s.candidates {
            let response = prepare(&self.catalogue, &cand.as_resource(), &subst);
            let o = outcome(run(&c.main, input.clone(), &s.context, Some(response)));
            match o {
                PolicyOutcome::Compliant { .. } => {
                    return PolicyOutcome::Compliant {
                        satisfied_by: Some(cand.id.clone()),
                    }
                }
                PolicyOutcome::Error { .. } if result.is_some() => {}
                _ => result = Some(o),
            }
        }
        result.unwrap_or(PolicyOutcome::COMPLIANT)
    }

    /// The paths the definition reads on a resource of `resource_type`, with
    /// the values it compares them against (parameters resolved).
    fn read_paths(
        &self,
        c: &Compiled,
        resource_type: &str,
        api_version: Option<&str>,
        params: &Map<String, J>,
    ) -> Vec<ReadPath> {
        let mut out: Vec<ReadPath> = Vec::new();
        for r in &c.read {
            let path = if is_builtin_field(&r.field) {
                builtin_path(&r.field)
            } else {
                self.catalogue
                    .alias(&r.field)
                    .filter(|i| i.type_lc.eq_ignore_ascii_case(resource_type))
                    .map(|i| i.path(api_version).to_string())
            };
            let Some(path) = path else { continue };
            let mut literals = Vec::new();
            for rhs in &r.compared_to {
                let v = match rhs {
                    Rhs::Literal(v) => Some(v.clone()),
                    Rhs::Param(p) => params
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(p))
                        .map(|(_, v)| v.clone()),
                };
                match v {
                    Some(J::Array(items)) => literals.extend(items),
                    Some(v) => literals.push(v),
                    None => {}
                }
            }
            let segs = path_segments(&path);
            let lc = segs.iter().map(lower).collect();
            match out.iter_mut().find(|p| p.lc == lc) {
                Some(existing) => existing.literals.extend(literals),
                None => out.push(ReadPath { segs, lc, literals }),
            }
        }
        out
    }
}

/// The candidates of a lookup. A lookup of the resource's own type by its
/// own name (`Workspace_CMKEnabled_Audit_V2`: `"type": workspaces, "name":
/// "[field('name')]"`) finds the resource itself; other lookups ask `related`,
/// and keep the candidates whose name matches `details.name` when it is known.
fn candidates(
    lookup: &Lookup,
    r: &PolicyResource,
    params: &Map<String, J>,
    related: &dyn RelatedResources,
) -> Vec<OwnedPolicyResource> {
    let full = if r.full_name.is_empty() {
        r.body
            .get("name")
            .and_then(aml_model::value::Value::as_str)
            .unwrap_or("")
    } else {
        r.full_name
    };
    let name = lookup.name.as_deref().and_then(|raw| {
        let lower = raw.replace(' ', "").to_ascii_lowercase();
        if let Some(escaped) = raw.strip_prefix("[[") {
            Some(format!("[{escaped}"))
        } else if !raw.starts_with('[') {
            Some(raw.to_string())
        } else if let Some(p) = param_ref(raw) {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(p))
                .and_then(|(_, v)| v.as_str())
                .map(str::to_string)
        } else if lower == "[field('name')]" {
            Some(short_name(full).to_string())
        } else if lower == "[field('fullname')]" {
            Some(full.to_string())
        } else {
            None
        }
    });
    if lookup.resource_type.eq_ignore_ascii_case(r.resource_type)
        && name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(short_name(full)))
    {
        return vec![OwnedPolicyResource::from(*r)];
    }
    let mut found = related.related(r.id, &lookup.resource_type, name.as_deref());
    if let Some(n) = &name {
        let wanted = short_name(n);
        found.retain(|c| {
            let full = if c.full_name.is_empty() {
                c.body
                    .get("name")
                    .and_then(aml_model::value::Value::as_str)
                    .unwrap_or("")
            } else {
                &c.full_name
            };
            short_name(full).eq_ignore_ascii_case(wanted)
        });
    }
    found
}

/// The evaluation context: resource group, subscription and request context.
fn context(r: &PolicyResource) -> RValue {
    let (rg, sub) = scope_of(r.id);
    // Built as regorus values directly (once per resource): the same value
    // as converting the JSON, without making the JSON first.
    let object = |key: &str, value: &str| {
        let mut o = regorus::value::Object::default();
        o.insert(RValue::from(key), RValue::from(value));
        o
    };
    let mut o = regorus::value::Object::default();
    o.insert(
        RValue::from("resourceGroup"),
        RValue::from(object("name", rg.unwrap_or("resourceGroup"))),
    );
    o.insert(
        RValue::from("subscription"),
        RValue::from(object(
            "subscriptionId",
            sub.unwrap_or("00000000-0000-0000-0000-000000000000"),
        )),
    );
    o.insert(
        RValue::from("requestContext"),
        RValue::from(object(
            "apiVersion",
            r.api_version.unwrap_or(DEFAULT_API_VERSION),
        )),
    );
    RValue::from(o)
}

/// Most (type, kind) outcomes kept per applicability program and thread.
const MAX_APPLICABILITY_KEPT: usize = 64;

/// One applicability outcome kept: the type, the `kind` member (its key as
/// spelt, and its text) and the outcome.
type KeptApplicability = (Box<str>, Option<(Box<str>, Box<str>)>, Result<bool, String>);

thread_local! {
    /// Applicability outcomes of programs that read only `type` and
    /// `kind`, per program (by address; the entry holds the `Arc`, so the
    /// address is not reused while it exists) and parameters.
    #[allow(clippy::type_complexity)]
    static APPLICABLE: std::cell::RefCell<aml_model::FastMap<(usize, usize), (Arc<Program>, Vec<KeptApplicability>)>> =
        std::cell::RefCell::new(HashMap::default());
}

/// The applicability of `resource` by a program that reads only its type
/// and kind ([`Programs::applicability_by_type_and_kind`]), with the
/// parameters at `params`: kept per type and kind, run when not kept (or
/// when the kind is not one plain string).
fn applicable_by_type_and_kind(
    program: &Arc<Program>,
    params: usize,
    resource: &PolicyResource,
    run: impl FnOnce() -> Result<bool, String>,
) -> Result<bool, String> {
    use aml_model::value::Value;
    // Every top-level member the program could read as `kind`.
    let Value::Object(body) = resource.body else {
        return run();
    };
    let mut kinds = body.iter().filter(|(k, _)| k.eq_ignore_ascii_case("kind"));
    let kind = match (kinds.next(), kinds.next()) {
        (None, _) => None,
        (Some((k, Value::String(v))), None) => Some((k.as_str(), v.as_str())),
        _ => return run(),
    };
    let key = (Arc::as_ptr(program) as usize, params);
    let same = |(t, k, _): &&KeptApplicability| {
        **t == *resource.resource_type && k.as_ref().map(|(a, b)| (&**a, &**b)) == kind
    };
    let kept = APPLICABLE.with(|cell| {
        cell.borrow()
            .get(&key)
            .and_then(|(_, outcomes)| outcomes.iter().find(same).map(|(_, _, o)| o.clone()))
    });
    if let Some(outcome) = kept {
        return outcome;
    }
    let outcome = run();
    APPLICABLE.with(|cell| {
        let mut map = cell.borrow_mut();
        if map.len() >= MAX_LOADED_PROGRAMS && !map.contains_key(&key) {
            map.clear();
        }
        let (_, outcomes) = map
            .entry(key)
            .or_insert_with(|| (Arc::clone(program), Vec::new()));
        if outcomes.len() < MAX_APPLICABILITY_KEPT {
            outcomes.push((
                resource.resource_type.into(),
                kind.map(|(k, v)| (k.into(), v.into())),
                outcome.clone(),
            ));
        }
    });
    outcome
}

/// Most programs with a VM of their own on one thread; past this the
/// thread's VMs are dropped and made again (only tests build that many).
const MAX_LOADED_PROGRAMS: usize = 512;

thread_local! {
    /// One VM per program per thread, so a program is loaded once per thread
    /// rather than once per run (regorus resets its run state on every
    /// execution). Keyed by the program's address; the map holds the `Arc`,
    /// so the address cannot be reused while the entry exists.
    static VMS: std::cell::RefCell<aml_model::FastMap<usize, (Arc<Program>, RegoVM)>> =
        std::cell::RefCell::new(HashMap::default());
}

/// Runs a compiled program once, on this thread's VM for it.
fn run(
    program: &Arc<Program>,
    input: RValue,
    context: &RValue,
    response: Option<RValue>,
) -> Result<RValue, String> {
    let execute = |vm: &mut RegoVM| {
        vm.set_input(input);
        vm.set_context(context.clone());
        let responses = response.map(|r| (RValue::from(EXISTENCE_CHECK), vec![r]));
        vm.set_host_await_responses(responses);
        vm.execute_entry_point_by_name("main")
            .map_err(|e| format!("policy evaluation error: {e}"))
    };
    let fresh = || {
        let mut vm = RegoVM::new();
        vm.set_max_instructions(MAX_INSTRUCTIONS);
        vm.load_program(Arc::clone(program));
        vm
    };
    VMS.with(|cell| {
        let Ok(mut vms) = cell.try_borrow_mut() else {
            // Re-entered (cannot happen today): a VM of its own.
            return execute(&mut fresh());
        };
        let key = Arc::as_ptr(program) as usize;
        if vms.len() >= MAX_LOADED_PROGRAMS && !vms.contains_key(&key) {
            vms.clear();
        }
        // Taken out while it runs: a run cut short by a panic leaves no
        // half-used VM behind.
        let (held, mut vm) = vms
            .remove(&key)
            .unwrap_or_else(|| (Arc::clone(program), fresh()));
        let result = execute(&mut vm);
        vms.insert(key, (held, vm));
        result
    })
}

/// The outcome of a main-program run: `Undefined` is compliant.
fn outcome(result: Result<RValue, String>) -> PolicyOutcome {
    match result {
        Ok(RValue::Undefined) => PolicyOutcome::COMPLIANT,
        Ok(v) => match &v["effect"] {
            RValue::String(e) => PolicyOutcome::NonCompliant {
                effect: canonical_effect(e).to_string(),
            },
            _ => PolicyOutcome::Error {
                message: format!("unexpected policy result {v}"),
            },
        },
        Err(message) => PolicyOutcome::Error { message },
    }
}

/// Effect names in Azure's casing (`auditifnotexists` → `AuditIfNotExists`).
fn canonical_effect(e: &str) -> &str {
    const EFFECTS: &[&str] = &[
        "Audit",
        "Deny",
        "Modify",
        "Append",
        "AuditIfNotExists",
        "DeployIfNotExists",
        "Disabled",
        "DenyAction",
        "Manual",
    ];
    EFFECTS
        .iter()
        .find(|k| k.eq_ignore_ascii_case(e))
        .copied()
        .unwrap_or(e)
}

impl Compiled {
    /// [`Compiled::effective_params`] for `given`, with their regorus value:
    /// the kept ones when `given` are the values first evaluated with.
    fn effective(&self, given: &Map<String, J>) -> Result<std::borrow::Cow<'_, Effective>, String> {
        if let Some((first, kept)) = self.effective.get() {
            if first == given {
                return Ok(std::borrow::Cow::Borrowed(kept));
            }
        }
        let (params, missing) = self.effective_params(given)?;
        let effective = Effective {
            value: RValue::from(J::Object(params.clone())),
            params,
            missing,
        };
        if self.effective.get().is_none() {
            let _ = self.effective.set((given.clone(), effective.clone()));
        }
        Ok(std::borrow::Cow::Owned(effective))
    }

    /// Defaults overridden by the given values (matched case-insensitively,
    /// checked against `allowedValues`), and the names of required
    /// parameters that have neither.
    fn effective_params(
        &self,
        given: &Map<String, J>,
    ) -> Result<(Map<String, J>, Vec<String>), String> {
        let mut out = Map::new();
        let mut missing = Vec::new();
        for p in &self.params {
            let value = given
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&p.name))
                .map(|(_, v)| v);
            if let (Some(v), Some(allowed)) = (value, &p.allowed) {
                if !is_allowed(v, allowed) {
                    return Err(format!(
                        "parameter '{}' is {v}, which is not one of its allowed values {}",
                        p.name,
                        J::Array(allowed.clone())
                    ));
                }
            }
            match value.or(p.default.as_ref()) {
                Some(v) => {
                    out.insert(p.name.clone(), v.clone());
                }
                None => missing.push(p.name.clone()),
            }
        }
        Ok((out, missing))
    }

    /// True when the `if` cannot hold for this resource type (`type` must
    /// equal, or be in, values that do not include it).
    fn excludes_type(&self, resource_type: &str, params: &Map<String, J>) -> bool {
        let Some(allowed) = self.allowed_types(params) else {
            return false;
        };
        allowed.iter().all(|t| match t.as_str() {
            Some(t) => !t.eq_ignore_ascii_case(resource_type),
            None => false,
        })
    }

    /// The values the `if`'s `type` condition admits with these parameters;
    /// `None` when it has no such condition or names a parameter `params`
    /// does not hold.
    fn allowed_types(&self, params: &Map<String, J>) -> Option<Vec<J>> {
        let mut allowed = Vec::new();
        for r in self.required_types.as_ref()? {
            match r {
                Rhs::Literal(v) => allowed.push(v.clone()),
                Rhs::Param(p) => match params.iter().find(|(k, _)| k.eq_ignore_ascii_case(p))? {
                    (_, J::Array(items)) => allowed.extend(items.iter().cloned()),
                    (_, v) => allowed.push(v.clone()),
                },
            }
        }
        Some(allowed)
    }

    /// Parameter `name`'s value in `params`, else the definition's default.
    fn param_or_default(&self, params: &Map<String, J>, name: &str) -> Option<J> {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .or_else(|| {
                self.params
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(name))
                    .and_then(|p| p.default.clone())
            })
    }

    /// The effect with these parameters (`None` for an expression other than
    /// `[parameters('x')]`).
    fn effect_value(&self, params: &Map<String, J>) -> Option<String> {
        match param_ref(&self.effect) {
            Some(p) => params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(p))
                .and_then(|(_, v)| v.as_str())
                .map(str::to_string),
            None if self.effect.starts_with('[') => None,
            None => Some(self.effect.clone()),
        }
    }
}

fn same_value(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::String(x), J::String(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

fn is_allowed(v: &J, allowed: &[J]) -> bool {
    allowed.iter().any(|a| same_value(a, v))
        || matches!(v, J::Array(items) if items.iter().all(|x| allowed.iter().any(|a| same_value(a, x))))
        || matches!(v, J::Object(_))
}

/// `(line, col, message)` of a rendered regorus diagnostic
/// (`\n--> file:line:col\n...\nerror: message`); 1:1 when it points
/// elsewhere than `path` (e.g. into a template expression).
fn locate(rendered: &str, path: &str) -> (u32, u32, String) {
    let mut pos = (1, 1);
    if let Some(i) = rendered.find("--> ") {
        let loc = rendered[i + 4..].lines().next().unwrap_or("");
        let mut parts = loc.rsplitn(3, ':');
        if let (Some(c), Some(l), Some(file)) = (parts.next(), parts.next(), parts.next()) {
            if let (Ok(l), Ok(c), true) = (l.trim().parse(), c.trim().parse(), file == path) {
                pos = (l, c);
            }
        }
    }
    let message = match rendered.rfind("\nerror: ") {
        Some(i) => &rendered[i + "\nerror: ".len()..],
        None => rendered,
    };
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    (pos.0, pos.1, message)
}

/// Why a definition has no programs.
#[derive(Clone, Debug)]
enum CompileFailure {
    /// Valid JSON but not a policy definition: the definition is left out.
    Parse(u32, u32, String),
    /// A definition regorus cannot compile: listed as a compile error.
    Compile(u32, u32, String),
}

impl CompileFailure {
    fn parts(&self) -> (u32, u32, &str) {
        match self {
            CompileFailure::Parse(l, c, m) | CompileFailure::Compile(l, c, m) => (*l, *c, m),
        }
    }
}

/// A user's definition texts, as the loader takes them.
fn owned_texts(defs: Vec<(String, String)>) -> impl Iterator<Item = (String, Cow<'static, str>)> {
    defs.into_iter()
        .map(|(path, text)| (path, Cow::Owned(text)))
}

/// The shipped definitions' texts, borrowed from the binary.
fn builtin_texts() -> impl Iterator<Item = (String, Cow<'static, str>)> {
    BUILTIN
        .iter()
        .map(|(path, text)| (format!("builtin/{path}"), Cow::Borrowed(*text)))
}

/// Reads a definition: what it says, without compiling it.
fn load(
    path: &str,
    text: Cow<'static, str>,
) -> Result<(PolicyDefinition, Option<Compiled>), PolicyLoadError> {
    let text = crate::arm_resource::unescape(&text).map_or(text, Cow::Owned);
    let error = |line: u32, col: u32, message: String| PolicyLoadError {
        path: path.to_string(),
        line,
        col,
        message,
    };
    let root: J = serde_json::from_str(&text).map_err(|e| {
        let msg = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let msg = msg.strip_suffix(&suffix).unwrap_or(&msg).to_string();
        error(e.line() as u32, e.column() as u32, msg)
    })?;
    let wrapped = root.get("properties").is_some_and(J::is_object);
    let props = if wrapped { &root["properties"] } else { &root };
    let text_of = |v: &J, k: &str| v.get(k).and_then(J::as_str).map(str::to_string);
    let stem = path
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .trim_end_matches(".json")
        .to_string();
    let mode = text_of(props, "mode").unwrap_or_else(|| "All".to_string());
    let rule = props.get("policyRule").cloned().unwrap_or(J::Null);
    let params: Vec<Param> = props
        .get("parameters")
        .and_then(J::as_object)
        .into_iter()
        .flatten()
        .map(|(name, spec)| Param {
            name: name.clone(),
            default: spec.get("defaultValue").cloned(),
            allowed: spec.get("allowedValues").and_then(J::as_array).cloned(),
        })
        .collect();
    let defaults: Map<String, J> = params
        .iter()
        .filter_map(|p| Some((p.name.clone(), p.default.clone()?)))
        .collect();
    let effect = rule
        .get("then")
        .and_then(|t| t.get("effect"))
        .and_then(J::as_str)
        .unwrap_or("")
        .to_string();
    let read = collect_fields(&rule);
    let mut resource_types: Vec<String> = Vec::new();
    for rhs in type_conditions(&rule) {
        let v = match rhs {
            Rhs::Literal(v) => Some(v),
            Rhs::Param(p) => defaults.get(&p).cloned(),
        };
        let items = match v {
            Some(J::Array(items)) => items,
            Some(v) => vec![v],
            None => Vec::new(),
        };
        for t in items.iter().filter_map(J::as_str) {
            if !resource_types.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                resource_types.push(t.to_string());
            }
        }
    }
    let mut def = PolicyDefinition {
        name: text_of(&root, "name").unwrap_or(stem),
        display_name: text_of(props, "displayName").unwrap_or_default(),
        description: text_of(props, "description").unwrap_or_default(),
        version: text_of(props, "version")
            .or_else(|| props.get("metadata").and_then(|m| text_of(m, "version"))),
        default_effect: String::new(),
        evaluable: Evaluability::Evaluable,
        resource_types,
        fields: read
            .iter()
            .filter(|r| !is_builtin_field(&r.field))
            .map(|r| r.field.clone())
            .collect(),
        source_path: path.to_string(),
        mode,
    };
    let required = required_types(&rule);
    let compiled = Compiled {
        programs: OnceLock::new(),
        path: path.to_string(),
        text: Cow::Borrowed(""),
        root: J::Null,
        params,
        effect,
        required_types: required,
        looks_up: is_cross_resource(&rule),
        read,
        effective: OnceLock::new(),
        selection: OnceLock::new(),
        projection_trial: Default::default(),
    };
    def.default_effect = compiled
        .effect_value(&defaults)
        .map(|e| canonical_effect(&e).to_string())
        .unwrap_or_else(|| compiled.effect.clone());

    if crate::dataplane::is_registry_model_mode(&def.mode) {
        // Evaluated on a view of each online and batch deployment.
        for t in crate::dataplane::DEPLOYMENT_TYPES {
            def.resource_types.push(t.to_string());
        }
    } else if !["all", "indexed"].contains(&def.mode.to_ascii_lowercase().as_str()) {
        def.evaluable = Evaluability::DataPlane {
            reason: format!(
                "mode '{}' governs resource-provider (data-plane) operations, which deployment files do not contain",
                def.mode
            ),
        };
        return Ok((def, None));
    }
    Ok((
        def,
        Some(Compiled {
            text,
            root,
            ..compiled
        }),
    ))
}

impl Compiled {
    /// The conditions [`PolicyEngine::selection_miss`] reads: the first 64
    /// of the `if`'s `allOf`, those with a `field` other than `type` and an
    /// `equals` (else an `in`), in order.
    fn selection(&self) -> &[(String, J)] {
        self.selection.get_or_init(|| {
            let Some(leaves) = self
                .root
                .get("properties")
                .and_then(|p| p.get("policyRule"))
                .and_then(|r| r.get("if"))
                .and_then(|i| i.get("allOf"))
                .and_then(J::as_array)
            else {
                return Vec::new();
            };
            leaves
                .iter()
                .take(64)
                .filter_map(|leaf| {
                    let field = leaf.get("field").and_then(J::as_str)?;
                    if field.eq_ignore_ascii_case("type") {
                        return None;
                    }
                    let rhs = leaf.get("equals").or_else(|| leaf.get("in"))?;
                    Some((field.to_string(), rhs.clone()))
                })
                .collect()
        })
    }

    /// The programs, compiled on first use.
    fn programs(&self, cat: &Catalogue) -> Result<&Programs, &CompileFailure> {
        self.programs
            .get_or_init(|| compile(cat, &self.path, &self.text, &self.root))
            .as_ref()
    }
}

/// The outcome of a definition whose required parameters `missing` have no
/// value: not applicable when its applicability says so without reading
/// them, else an error naming them.
fn missing_parameters(
    d: &PolicyDefinition,
    p: &Programs,
    missing: &[String],
    applicable: &Result<bool, String>,
) -> PolicyOutcome {
    let reads_missing = missing
        .iter()
        .any(|m| p.applicability_params.contains(&m.to_ascii_lowercase()));
    if matches!(applicable, Ok(false)) && !reads_missing {
        return PolicyOutcome::NotApplicable;
    }
    let names: Vec<String> = missing.iter().map(|m| format!("'{m}'")).collect();
    PolicyOutcome::Error {
        message: format!(
            "policy definition {} needs a value for parameter {} (it has no default)",
            d.name,
            names.join(", ")
        ),
    }
}

/// Compiles a definition's main and applicability programs.
fn compile(cat: &Catalogue, path: &str, text: &str, root: &J) -> Result<Programs, CompileFailure> {
    let source = Source::from_contents(path.to_string(), text.to_string())
        .map_err(|e| CompileFailure::Parse(1, 1, e.to_string()))?;
    let ast = parser::parse_policy_definition(&source).map_err(|e| {
        let (l, c, m) = locate(&e.to_string(), path);
        CompileFailure::Parse(l, c, m)
    })?;
    let wrapped = root.get("properties").is_some_and(J::is_object);
    let props = if wrapped { &root["properties"] } else { root };
    let text_of = |v: &J, k: &str| v.get(k).and_then(J::as_str).map(str::to_string);
    let mode = text_of(props, "mode").unwrap_or_else(|| "All".to_string());
    let rule = props.get("policyRule").cloned().unwrap_or(J::Null);
    let compile_error = |(l, c, m): (u32, u32, String)| CompileFailure::Compile(l, c, m);
    let registry = cat.compile_registry(root);

    // The main program, with legacy array aliases rewritten.
    let mut rewritten = rule.clone();
    let main = if rewrite_legacy_aliases(&mut rewritten, cat) {
        let mut root2 = root.clone();
        let target = if wrapped {
            &mut root2["properties"]
        } else {
            &mut root2
        };
        target["policyRule"] = rewritten.clone();
        compile_text(path, &root2.to_string(), &registry).map_err(|e| {
            // Point at the original text when it has the same problem.
            match compiler::compile_policy_definition_with_aliases(
                &ast,
                regorus::Rc::clone(&registry),
            ) {
                Err(orig) => locate(&orig.to_string(), path),
                Ok(_) => e,
            }
        })
    } else {
        compiler::compile_policy_definition_with_aliases(&ast, regorus::Rc::clone(&registry))
            .map_err(|e| locate(&e.to_string(), path))
    };
    let main = main.map_err(compile_error)?;

    // The applicability program.
    let lookup = is_cross_resource(&rule);
    let condition = applicability_condition(rewritten.get("if").unwrap_or(&J::Null), lookup);
    let applicability_params = referenced_params(&condition);
    let applicability_by_type_and_kind =
        !lookup && crate::rewrite::reads_only_type_and_kind(&condition);
    let app_def = json!({"properties": {
        "mode": mode,
        "parameters": props.get("parameters").cloned().unwrap_or_else(|| json!({})),
        "policyRule": {"if": condition, "then": {"effect": "audit"}},
    }});
    let applicability = compile_text(path, &app_def.to_string(), &registry)
        .map_err(|(_, _, m)| compile_error((1, 1, format!("applicability condition: {m}"))))?;
    let details = rule.get("then").and_then(|t| t.get("details"));
    let reads = |rule: &J| {
        crate::projection::top_level_reads(rule, registry.alias_map())
            .map(|reads| reads.into_iter().map(RValue::from).collect())
    };
    Ok(Programs {
        main,
        applicability,
        applicability_params,
        applicability_by_type_and_kind,
        lookup: lookup.then(|| Lookup {
            resource_type: details.and_then(|d| text_of(d, "type")).unwrap_or_default(),
            name: details.and_then(|d| text_of(d, "name")),
        }),
        reads: if lookup { None } else { reads(&rewritten) },
        // With no candidate the main program reads the resource through
        // its `if` alone: the details find and judge candidates.
        reads_without_candidates: if lookup {
            reads(&json!({"if": rewritten.get("if").unwrap_or(&J::Null)}))
        } else {
            None
        },
    })
}

/// Parses and compiles a definition text (positions relative to that text).
fn compile_text(
    path: &str,
    text: &str,
    registry: &regorus::Rc<regorus::languages::azure_policy::aliases::AliasRegistry>,
) -> Result<Arc<Program>, (u32, u32, String)> {
    let source = Source::from_contents(path.to_string(), text.to_string())
        .map_err(|e| (1, 1, e.to_string()))?;
    let ast = parser::parse_policy_definition(&source).map_err(|e| locate(&e.to_string(), path))?;
    compiler::compile_policy_definition_with_aliases(&ast, regorus::Rc::clone(registry))
        .map_err(|e| locate(&e.to_string(), path))
}

/// The value at a dotted ARM path (keys compared without case).
fn value_at<'v>(
    body: &'v aml_model::value::Value,
    path: &str,
) -> Option<&'v aml_model::value::Value> {
    let mut cur = body;
    for seg in path.split('.') {
        let aml_model::value::Value::Object(o) = cur else {
            return None;
        };
        cur = o
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(seg))
            .map(|(_, v)| v)?;
    }
    Some(cur)
}

/// Adds `values` compared with `path` to `out` ([`PolicyEngine::compared_values`]'s
/// shape), once each, paths matched case-insensitively.
pub fn merge_compared_values(out: &mut Vec<(String, Vec<J>)>, path: String, values: Vec<J>) {
    match out.iter_mut().find(|(p, _)| p.eq_ignore_ascii_case(&path)) {
        Some((_, vs)) => {
            for v in values {
                if !vs.contains(&v) {
                    vs.push(v);
                }
            }
        }
        None => out.push((path, values)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_definitions_keep_their_text_borrowed_from_the_binary() {
        let engine = PolicyEngine::builtin();
        assert_eq!(engine.compiled.len(), BUILTIN.len());
        let borrowed = engine
            .compiled
            .iter()
            .flatten()
            .filter(|c| matches!(c.text, Cow::Borrowed(_)))
            .count();
        assert_eq!(borrowed, engine.compiled.iter().flatten().count());
        let (user, errors) =
            PolicyEngine::from_definitions(vec![("mine.json".into(), BUILTIN[0].1.to_string())]);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(matches!(
            user.compiled[0].as_ref().map(|c| &c.text),
            Some(Cow::Owned(_))
        ));
    }

    /// What a definition's text says of its lookup is what compiling it
    /// finds, for every shipped definition.
    #[test]
    fn a_definition_looks_up_related_resources_as_its_programs_do() {
        let engine = PolicyEngine::builtin();
        let mut lookups = 0;
        for c in engine.compiled.iter().flatten() {
            let programs = c.programs(&engine.catalogue).expect("compiles");
            assert_eq!(c.looks_up, programs.lookup.is_some(), "{}", c.path);
            lookups += usize::from(c.looks_up);
        }
        assert!(lookups > 0);
    }

    /// An engine of the shipped definitions of its own (with an empty memo
    /// of outcomes).
    fn fresh_builtin_engine() -> PolicyEngine {
        let texts = BUILTIN
            .iter()
            .map(|(path, text)| (format!("builtin/{path}"), text.to_string()))
            .collect();
        let (engine, errors) = PolicyEngine::from_definitions(texts);
        assert!(errors.is_empty(), "{errors:?}");
        engine
    }

    /// A resource evaluated again is answered from the memo (kept once),
    /// with the outcome evaluating gives; a changed setting is evaluated,
    /// not answered; a definition that looks up related resources is never
    /// kept (its outcome depends on them).
    #[test]
    fn repeated_resources_are_answered_from_the_memo_with_the_same_outcome() {
        use crate::{OwnedPolicyResource, RelatedResources};
        let engine = fresh_builtin_engine();
        let (public, _) = engine.definition("438c38d2").unwrap();
        let logs = engine
            .definitions()
            .iter()
            .position(|d| d.source_path.ends_with("AuditDiagnosticLog_Audit.json"))
            .unwrap();
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
        let workspace = |access: &str| {
            aml_model::value::Value::from_json(&json!({
                "type": "Microsoft.MachineLearningServices/workspaces", "name": "ws",
                "location": "eastus", "properties": {"publicNetworkAccess": access}
            }))
        };
        let resource = |body| PolicyResource {
            id,
            resource_type: "Microsoft.MachineLearningServices/workspaces",
            full_name: "ws",
            api_version: Some("2024-04-01"),
            location: Some("eastus"),
            body,
        };
        let (enabled, disabled) = (workspace("Enabled"), workspace("Disabled"));
        let params = Map::new();
        let first = engine.evaluate(public, &resource(&enabled), &params, &crate::NoRelated);
        assert!(
            matches!(first, PolicyOutcome::NonCompliant { .. }),
            "{first:?}"
        );
        // Kept by the whole resource and by what the definition reads.
        assert_eq!(engine.memo.len(), 2);
        let copy = enabled.clone();
        let again = engine.evaluate(public, &resource(&copy), &params, &crate::NoRelated);
        assert_eq!(again, first);
        assert_eq!(engine.memo.len(), 2, "answered, not kept again");
        let other = engine.evaluate(public, &resource(&disabled), &params, &crate::NoRelated);
        assert_eq!(other, PolicyOutcome::COMPLIANT);
        assert_eq!(engine.memo.len(), 4);

        /// A diagnostic setting sending the workspace's logs, or none.
        struct Settings(bool);
        impl RelatedResources for Settings {
            fn related(
                &self,
                primary: &str,
                rtype: &str,
                _: Option<&str>,
            ) -> Vec<OwnedPolicyResource> {
                let body = json!({"type": rtype, "name": "d", "properties": {
                    "logs": [{"category": "AmlComputeClusterEvent", "enabled": true}]}});
                (self.0 && rtype.eq_ignore_ascii_case("Microsoft.Insights/diagnosticSettings"))
                    .then(|| OwnedPolicyResource {
                        id: format!("{primary}/providers/{rtype}/d"),
                        resource_type: rtype.to_string(),
                        full_name: "d".into(),
                        api_version: None,
                        location: None,
                        body: aml_model::value::Value::from_json(&body),
                    })
                    .into_iter()
                    .collect()
            }
        }
        let with = engine.evaluate(logs, &resource(&enabled), &params, &Settings(true));
        let without = engine.evaluate(logs, &resource(&enabled), &params, &Settings(false));
        assert!(
            matches!(
                with,
                PolicyOutcome::Compliant {
                    satisfied_by: Some(_)
                }
            ),
            "{with:?}"
        );
        assert!(
            matches!(without, PolicyOutcome::NonCompliant { .. }),
            "{without:?}"
        );
        // A lookup's outcome is kept only for a resource with no candidate
        // (decision 0076): by the whole resource and by what it reads.
        assert_eq!(engine.memo.len(), 6, "kept without candidates only");
        let answered = engine.memo.answered();
        assert_eq!(
            engine.evaluate(logs, &resource(&copy), &params, &Settings(false)),
            without
        );
        assert_eq!(engine.memo.answered(), answered + 1);
        // With a candidate the same resource is evaluated again.
        assert_eq!(
            engine.evaluate(logs, &resource(&copy), &params, &Settings(true)),
            with
        );
        assert_eq!(engine.memo.answered(), answered + 1);
        assert_eq!(engine.memo.len(), 6);
    }

    /// Resources that differ only where a definition cannot look (name, id,
    /// location, settings it does not read) are answered by what it reads,
    /// with the outcome evaluating gives, also when a value it does not read
    /// is unknown, and when one it reads is the same unknown value; a
    /// definition whose expressions may read more (here the resource group)
    /// is keyed by the whole resource alone.
    #[test]
    fn resources_alike_in_what_a_definition_reads_share_its_outcome() {
        let engine = fresh_builtin_engine();
        let (public, _) = engine.definition("438c38d2").unwrap();
        let workspace = |name: &str, access: &str, hbi: bool| {
            aml_model::value::Value::from_json(&json!({
                "type": "Microsoft.MachineLearningServices/workspaces", "name": name,
                "location": "eastus", "properties": {"publicNetworkAccess": access, "hbiWorkspace": hbi,
                    "friendlyName": name}
            }))
        };
        let id = |name: &str| {
            format!("/subscriptions/s/resourceGroups/rg-{name}/providers/Microsoft.MachineLearningServices/workspaces/{name}")
        };
        let evaluate =
            |engine: &PolicyEngine, def: usize, name: &str, body: &aml_model::value::Value| {
                let id = id(name);
                let r = PolicyResource {
                    id: &id,
                    resource_type: "Microsoft.MachineLearningServices/workspaces",
                    full_name: name,
                    api_version: Some("2024-04-01"),
                    location: Some(if name.len() % 2 == 0 {
                        "eastus"
                    } else {
                        "westeurope"
                    }),
                    body,
                };
                engine.evaluate(def, &r, &Map::new(), &crate::NoRelated)
            };
        let first = evaluate(&engine, public, "a", &workspace("a", "Enabled", true));
        assert!(
            matches!(first, PolicyOutcome::NonCompliant { .. }),
            "{first:?}"
        );
        let (kept, answered) = (engine.memo.len(), engine.memo.answered());
        let alike = evaluate(&engine, public, "bb", &workspace("bb", "Enabled", false));
        assert_eq!(alike, first);
        assert_eq!(
            engine.memo.answered(),
            answered + 1,
            "answered by what it reads"
        );
        assert_eq!(
            engine.memo.len(),
            kept + 1,
            "kept by the whole resource too"
        );
        let disabled = evaluate(&engine, public, "c", &workspace("c", "Disabled", true));
        assert_eq!(disabled, PolicyOutcome::COMPLIANT);
        assert_eq!(engine.memo.answered(), answered + 1);

        // An unknown value the definition does not read: answered by what
        // it reads. One it reads: evaluated the first time, then answered
        // for a resource alike in what it reads with the same unknown value
        // in the same place (decision 0076), and evaluated again for
        // another unknown value there.
        let with_unknown = |name: &str, setting: &str, expr: &str| {
            let mut body = workspace(name, "Enabled", true);
            body.set_path(
                &format!("properties.{setting}"),
                aml_model::value::Value::unknown(expr, "no value"),
            );
            body
        };
        let d = "[parameters('d')]";
        let answered = engine.memo.answered();
        assert_eq!(
            evaluate(&engine, public, "d", &with_unknown("d", "description", d)),
            first
        );
        assert_eq!(engine.memo.answered(), answered + 1);
        let read = evaluate(
            &engine,
            public,
            "d",
            &with_unknown("d", "publicNetworkAccess", d),
        );
        assert!(matches!(read, PolicyOutcome::Unknown { .. }), "{read:?}");
        assert_eq!(engine.memo.answered(), answered + 1);
        let alike = with_unknown("eee", "publicNetworkAccess", d);
        assert_eq!(evaluate(&engine, public, "eee", &alike), read);
        assert_eq!(engine.memo.answered(), answered + 2);
        let other = with_unknown("eee", "publicNetworkAccess", "[parameters('e')]");
        let other = evaluate(&engine, public, "eee", &other);
        assert!(
            matches!(&other, PolicyOutcome::Unknown { deciding } if deciding == &["[parameters('e')]"]),
            "{other:?}"
        );
        assert_eq!(engine.memo.answered(), answered + 2);

        // A definition that reads the resource group: never by projection.
        let reads_group = json!({"properties": {
            "mode": "All",
            "policyRule": {"if": {"allOf": [
                {"field": "type", "equals": "Microsoft.MachineLearningServices/workspaces"},
                {"value": "[resourceGroup().name]", "equals": "rg-a"}
            ]}, "then": {"effect": "audit"}}
        }});
        let (user, errors) =
            PolicyEngine::from_definitions(vec![("group.json".into(), reads_group.to_string())]);
        assert!(errors.is_empty(), "{errors:?}");
        let body = workspace("a", "Enabled", true);
        let in_a = evaluate(&user, 0, "a", &body);
        assert!(
            matches!(in_a, PolicyOutcome::NonCompliant { .. }),
            "{in_a:?}"
        );
        let other_group = evaluate(&user, 0, "bb", &workspace("bb", "Enabled", true));
        assert_eq!(other_group, PolicyOutcome::COMPLIANT);
        assert_eq!(user.memo.answered(), 0);
    }

    /// The key by what a definition reads normalises the resource: it is
    /// not made when the evaluation ends before normalising (here, a
    /// workspace definition on other types), so no resource is normalised
    /// that was not before.
    #[test]
    fn a_definition_that_excludes_a_type_normalises_none_of_it() {
        use crate::resource::PREPARED;
        let engine = fresh_builtin_engine();
        let (public, _) = engine.definition("438c38d2").unwrap();
        let workspace = aml_model::value::Value::from_json(&json!({
            "type": "Microsoft.MachineLearningServices/workspaces", "name": "ws",
            "properties": {"publicNetworkAccess": "Enabled"}
        }));
        let ws = PolicyResource {
            id: "/s/ws",
            resource_type: "Microsoft.MachineLearningServices/workspaces",
            full_name: "ws",
            api_version: None,
            location: None,
            body: &workspace,
        };
        // Compiled by a first evaluation.
        engine.evaluate(public, &ws, &Map::new(), &crate::NoRelated);
        let before = PREPARED.with(|n| n.get());
        for i in 0..5 {
            let name = format!("st{i}");
            let body = aml_model::value::Value::from_json(&json!({
                "type": "Microsoft.Storage/storageAccounts", "name": name,
                "properties": {"publicNetworkAccess": "Enabled"}
            }));
            let id = format!("/s/{name}");
            let storage = PolicyResource {
                id: &id,
                resource_type: "Microsoft.Storage/storageAccounts",
                full_name: &name,
                api_version: None,
                location: None,
                body: &body,
            };
            let outcome = engine.evaluate(public, &storage, &Map::new(), &crate::NoRelated);
            assert_eq!(outcome, PolicyOutcome::NotApplicable);
        }
        assert_eq!(PREPARED.with(|n| n.get()), before);
    }

    /// The live fixtures' resources and variants of them (renamed, each
    /// setting changed, each setting unknown in four forms), as JSON and as
    /// bodies; and how many come first with no unknown value.
    fn live_fixture_cases() -> (Vec<(J, aml_model::value::Value)>, usize) {
        let mut bodies: Vec<J> = Vec::new();
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
        for file in [
            "live/resource-graph.json",
            "live/computes.json",
            "kinds/live/graph.json",
        ] {
            let text = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
            let mut stack = vec![serde_json::from_str::<J>(&text).unwrap()];
            while let Some(v) = stack.pop() {
                match v {
                    J::Array(items) => stack.extend(items),
                    J::Object(o) => {
                        let is_resource = o
                            .get("type")
                            .and_then(J::as_str)
                            .is_some_and(|t| t.contains('/'))
                            && o.get("properties").is_some_and(J::is_object);
                        if is_resource {
                            bodies.push(J::Object(o));
                        } else {
                            stack.extend(o.into_iter().map(|(_, v)| v));
                        }
                    }
                    _ => {}
                }
            }
        }
        assert!(bodies.len() >= 5, "{}", bodies.len());
        // Variants: renamed, and each setting under `properties` (and a
        // compute's own `properties`) changed.
        let mut variants = Vec::new();
        for body in &bodies {
            variants.push(body.clone());
            let mut renamed = body.clone();
            renamed["name"] = json!("renamed");
            renamed["id"] = json!(format!("{}-renamed", body["id"].as_str().unwrap_or("")));
            variants.push(renamed);
            for level in [&["properties"][..], &["properties", "properties"][..]] {
                let mut at = body;
                for k in level {
                    at = &at[k];
                }
                let Some(settings) = at.as_object() else {
                    continue;
                };
                for (k, v) in settings {
                    let changed = match v {
                        J::Bool(b) => json!(!b),
                        J::String(s) if s == "Enabled" => json!("Disabled"),
                        J::String(_) => json!("Enabled"),
                        J::Null => json!(true),
                        _ => J::Null,
                    };
                    let mut variant = body.clone();
                    let mut target = &mut variant;
                    for l in level {
                        target = &mut target[l];
                    }
                    target[k] = changed;
                    variants.push(variant);
                }
            }
        }
        let mut cases: Vec<(J, aml_model::value::Value)> = variants
            .into_iter()
            .map(|v| {
                let value = aml_model::value::Value::from_json(&v);
                (v, value)
            })
            .collect();
        let known = cases.len();
        // And with unknown values: the location, the tags, and each
        // setting of both levels in turn (read by some definitions, not by
        // others).
        for body in &bodies {
            let mut paths = vec!["location".to_string(), "tags".to_string()];
            for level in ["properties", "properties.properties"] {
                let settings = level.split('.').try_fold(body, |at, k| at.get(k));
                if let Some(settings) = settings.and_then(J::as_object) {
                    paths.extend(settings.keys().map(|k| format!("{level}.{k}")));
                }
            }
            // Each unknown in four forms: two expressions, and one of them
            // allowed only the value it has or its opposite (resources
            // alike but for their unknowns must not share an outcome).
            let allowed = |values: &[J]| aml_model::value::Shape {
                allowed: Some(
                    values
                        .iter()
                        .map(aml_model::value::Value::from_json)
                        .collect(),
                ),
                ..Default::default()
            };
            for path in paths {
                let at = path.split('.').try_fold(body, |at, k| at.get(k));
                let known = at.cloned().unwrap_or(J::Null);
                let opposite = match &known {
                    J::Bool(b) => json!(!b),
                    J::String(s) if s == "Enabled" => json!("Disabled"),
                    _ => json!("Enabled"),
                };
                for unknown in [
                    aml_model::value::Value::unknown("[parameters('p')]", "no value"),
                    aml_model::value::Value::unknown("[parameters('q')]", "no value"),
                    aml_model::value::Value::unknown_shaped(
                        "[parameters('p')]",
                        "no value",
                        allowed(std::slice::from_ref(&known)),
                    ),
                    aml_model::value::Value::unknown_shaped(
                        "[parameters('p')]",
                        "no value",
                        allowed(std::slice::from_ref(&opposite)),
                    ),
                ] {
                    let mut value = aml_model::value::Value::from_json(body);
                    value.set_path(&path, unknown);
                    cases.push((body.clone(), value));
                }
            }
        }
        (cases, known)
    }

    /// The memo changes no outcome: every shipped definition on the live
    /// fixtures' resources and variants of them (renamed, each setting
    /// changed, each setting unknown), twice over in one engine with the
    /// memo, against one without it (with no related resources: those that
    /// look them up are kept too).
    #[test]
    fn the_memo_changes_no_outcome_on_the_live_fixtures() {
        let (cases, known) = live_fixture_cases();
        let with = fresh_builtin_engine();
        let without = fresh_builtin_engine();
        without.memo.stop();
        let mut pairs = 0;
        let mut answered_first = 0;
        let mut answered_unknown = 0;
        for pass in 0..2 {
            if pass == 1 {
                answered_first = with.memo.answered();
            }
            for (n, (json, body)) in cases.iter().enumerate() {
                if pass == 0 && n == known {
                    answered_unknown = with.memo.answered();
                }
                let text = |k: &str| json[k].as_str().unwrap_or("").to_string();
                let (id, rtype, name) = (text("id"), text("type"), text("name"));
                let location = json["location"].as_str();
                let r = PolicyResource {
                    id: &id,
                    resource_type: &rtype,
                    full_name: &name,
                    api_version: None,
                    location,
                    body,
                };
                let cache = ResourceCache::default();
                for def in 0..with.definitions().len() {
                    let params = Map::new();
                    let a = with.evaluate_cached(def, &r, &cache, &params, &crate::NoRelated);
                    let b = without.evaluate(def, &r, &params, &crate::NoRelated);
                    assert_eq!(a, b, "{} on {id} ({rtype})", with.definitions()[def].name);
                    pairs += 1;
                }
            }
        }
        // The first pass meets each variant once: what it answers, it
        // answers by what the definitions read (evaluations that end
        // before normalising, most of them, are not looked up that way).
        assert!(pairs > 1000, "{pairs}");
        assert!(
            answered_first > pairs / 16,
            "{answered_first} of {}",
            pairs / 2
        );
        // Resources with an unknown value no definition reads there are
        // answered by what the definitions read.
        assert!(
            answered_first - answered_unknown > (cases.len() - known) * 2,
            "{} answered of {} resources with unknowns",
            answered_first - answered_unknown,
            cases.len() - known
        );
        assert_eq!(without.memo.answered(), 0);
    }

    #[test]
    fn context_is_the_json_context() {
        let body = aml_model::value::Value::from_json(&json!({}));
        for (id, api) in [
            (
                "/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.Storage/storageAccounts/st",
                Some("2023-01-01"),
            ),
            ("/providers/Microsoft.Management/managementGroups/m", None),
            ("", None),
        ] {
            let r = PolicyResource {
                id,
                resource_type: "Microsoft.Storage/storageAccounts",
                full_name: "st",
                api_version: api,
                location: None,
                body: &body,
            };
            let (rg, sub) = scope_of(id);
            let want = RValue::from(json!({
                "resourceGroup": {"name": rg.unwrap_or("resourceGroup")},
                "subscription": {"subscriptionId": sub.unwrap_or("00000000-0000-0000-0000-000000000000")},
                "requestContext": {"apiVersion": api.unwrap_or(DEFAULT_API_VERSION)},
            }));
            assert_eq!(context(&r), want, "{id}");
        }
    }

    #[test]
    fn compared_values_resolve_aliases_and_parameters() {
        let engine = PolicyEngine::builtin();
        let (def, _) = engine.definition("6ddb1705").unwrap();
        let mut params = Map::new();
        params.insert("isolationMode".into(), json!("AllowInternetOutbound"));
        let got = engine.compared_values(
            def,
            "Microsoft.MachineLearningServices/workspaces",
            Some("2024-10-01"),
            &params,
        );
        assert_eq!(
            got,
            vec![(
                "properties.managedNetwork.isolationMode".to_string(),
                vec![json!("AllowInternetOutbound")]
            )]
        );
        // The default when the assignment does not set it; other types: nothing.
        let got = engine.compared_values(
            def,
            "Microsoft.MachineLearningServices/workspaces",
            None,
            &Map::new(),
        );
        assert_eq!(got[0].1, vec![json!("Disabled")]);
        assert!(engine
            .compared_values(def, "Microsoft.Storage/storageAccounts", None, &Map::new())
            .is_empty());
    }

    /// Definitions that read the same unknown value of a resource share
    /// each normalised alternative through the resource's cache: the same
    /// outcomes as with a cache per definition, fewer normalisations.
    #[test]
    fn alternatives_are_normalised_once_per_resource() {
        use crate::resource::PREPARED;
        use aml_model::value::{Object, Value};
        // An engine for each way (the memo of outcomes would answer the
        // second from the first).
        let (engine, other) = (fresh_builtin_engine(), fresh_builtin_engine());
        let mut props = Object::default();
        props.insert(
            "publicNetworkAccess".into(),
            Value::unknown("[parameters('pna')]", "no value"),
        );
        props.insert(
            "hbiWorkspace".into(),
            Value::unknown("[parameters('hbi')]", "no value"),
        );
        let mut body = Object::default();
        body.insert("properties".into(), Value::Object(props));
        let body = Value::Object(body);
        let resource = PolicyResource {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
            resource_type: "Microsoft.MachineLearningServices/workspaces",
            full_name: "ws",
            api_version: Some("2024-04-01"),
            location: Some("westeurope"),
            body: &body,
        };
        let params = Map::new();
        let count = |f: &dyn Fn() -> Vec<PolicyOutcome>| {
            let before = PREPARED.with(|n| n.get());
            let outcomes = f();
            (outcomes, PREPARED.with(|n| n.get()) - before)
        };
        let defs = 0..engine.definitions().len();
        let (shared, shared_count) = count(&|| {
            let cache = ResourceCache::default();
            defs.clone()
                .map(|d| engine.evaluate_cached(d, &resource, &cache, &params, &crate::NoRelated))
                .collect()
        });
        let (apart, apart_count) = count(&|| {
            defs.clone()
                .map(|d| other.evaluate(d, &resource, &params, &crate::NoRelated))
                .collect()
        });
        assert_eq!(shared, apart);
        let unknowns = shared
            .iter()
            .filter(|o| matches!(o, PolicyOutcome::Unknown { .. }))
            .count();
        assert!(unknowns >= 2, "{shared:?}");
        // Without the cache: the first pass and every alternative again for
        // each definition; with it: the first pass once and each distinct
        // alternative (absent, or one of the few values compared) once.
        assert!(
            shared_count * 2 <= apart_count,
            "{shared_count} normalisations shared, {apart_count} apart"
        );
        assert!(shared_count <= 1 + 3 * 3, "{shared_count}");
    }

    /// A variant of a resource (an unknown with allowed values written as
    /// one of them) starts with the resource's own normalised alternative
    /// for that value: its evaluation normalises nothing, and gives what a
    /// fresh cache gives, on every definition.
    #[test]
    fn a_variant_starts_with_the_alternative_its_resource_normalised() {
        use crate::resource::PREPARED;
        use aml_model::value::{Object, Shape, Value};
        let engine = PolicyEngine::builtin();
        let allowed = vec![Value::from("Enabled"), Value::from("Disabled")];
        let unknown = Value::unknown_shaped(
            "pna",
            "parameter 'pna' has no default and no value",
            Shape {
                present: true,
                allowed: Some(allowed.clone().into()),
                ..Default::default()
            },
        );
        let with = |v: Value| {
            let mut props = Object::default();
            props.insert("publicNetworkAccess".into(), v);
            let mut body = Object::default();
            body.insert("properties".into(), Value::Object(props));
            Value::Object(body)
        };
        fn resource(body: &Value) -> PolicyResource<'_> {
            PolicyResource {
                id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
                resource_type: "Microsoft.MachineLearningServices/workspaces",
                full_name: "ws",
                api_version: Some("2024-04-01"),
                location: Some("westeurope"),
                body,
            }
        }
        let base_body = with(unknown);
        let base = resource(&base_body);
        let params = Map::new();
        let base_cache = ResourceCache::default();
        let defs = 0..engine.definitions().len();
        for d in defs.clone() {
            engine.evaluate_cached(d, &base, &base_cache, &params, &crate::NoRelated);
        }
        let mut seeded = 0;
        for value in &allowed {
            let variant_body = with(value.clone());
            let variant = resource(&variant_body);
            let assignment: HashMap<String, Option<J>> =
                [("pna".to_string(), value.to_json_with(&|_| None))].into();
            let cache = engine.variant_cache(&base, &base_cache, &assignment, &variant);
            seeded += usize::from(cache.resource.get().is_some());
            let count = |cache: &ResourceCache| {
                let before = PREPARED.with(|n| n.get());
                let outcomes: Vec<PolicyOutcome> = defs
                    .clone()
                    .map(|d| engine.evaluate_cached(d, &variant, cache, &params, &crate::NoRelated))
                    .collect();
                (outcomes, PREPARED.with(|n| n.get()) - before)
            };
            let (reused, reused_count) = count(&cache);
            let (fresh, fresh_count) = count(&ResourceCache::default());
            // The variant itself is normalised once with a fresh cache, not
            // at all with the seeded one (a lookup of the resource's own
            // type normalises it as a candidate in both).
            assert_eq!(reused_count + 1, fresh_count);
            assert_eq!(reused, fresh);
        }
        assert_eq!(seeded, allowed.len());
    }

    /// A type outside a definition's `types_evaluated` gives no result: a
    /// caller may skip it. Every built-in definition, with its defaults, on
    /// a resource of every type any of them targets.
    #[test]
    fn types_evaluated_leave_out_only_what_gives_no_result() {
        use aml_model::value::{Object, Value};
        let engine = PolicyEngine::builtin();
        let params = Map::new();
        let lists: Vec<Option<Vec<String>>> = (0..engine.definitions().len())
            .map(|d| engine.types_evaluated(d, &params))
            .collect();
        let mut types: Vec<&String> = lists.iter().flatten().flatten().collect();
        types.sort();
        types.dedup();
        assert!(types.len() > 5, "{types:?}");
        let mut body = Object::default();
        body.insert("properties".into(), Value::Object(Object::default()));
        let body = Value::Object(body);
        let mut skipped = 0;
        for (d, list) in lists.iter().enumerate() {
            let Some(list) = list else { continue };
            let listed = |t: &str| list.iter().any(|l| l.eq_ignore_ascii_case(t));
            for t in types.iter().filter(|t| !listed(t)) {
                let resource = PolicyResource {
                    id: "/subscriptions/s/resourceGroups/rg/providers/x/y/r",
                    resource_type: t,
                    full_name: "r",
                    api_version: None,
                    location: Some("westeurope"),
                    body: &body,
                };
                let got = engine.evaluate(d, &resource, &params, &crate::NoRelated);
                assert_eq!(got, PolicyOutcome::NotApplicable, "#{d} on {t}");
                skipped += 1;
            }
        }
        assert!(skipped > 100, "{skipped}");
    }

    /// An applicability kept per type and kind is what running the program
    /// gives on each resource: resources of one type and kind that differ
    /// in everything else (name, id, location, tags, properties), judged
    /// one after the other on one thread (the later ones from what the
    /// first left) and each on a fresh thread (nothing kept).
    #[test]
    fn applicability_kept_per_type_and_kind_is_what_a_run_gives() {
        use aml_model::value::{Object, Value};
        let engine = PolicyEngine::builtin();
        let params = Map::new();
        let kept_kind = (0..engine.definitions().len())
            .filter(|&d| {
                engine.compiled[d]
                    .as_ref()
                    .and_then(|c| c.programs(&engine.catalogue).ok())
                    .is_some_and(|p| p.applicability_by_type_and_kind)
            })
            .count();
        assert!(kept_kind >= 15, "{kept_kind} definitions");
        let body = |kind: Option<(&str, Value)>, n: usize| {
            let mut props = Object::default();
            props.insert(
                "publicNetworkAccess".into(),
                Value::String(if n % 2 == 0 { "Enabled" } else { "Disabled" }.into()),
            );
            props.insert(
                "computeType".into(),
                Value::String(["ComputeInstance", "AmlCompute", "Kubernetes"][n % 3].into()),
            );
            let mut tags = Object::default();
            tags.insert(format!("t{n}"), Value::String("v".into()));
            let mut o = Object::default();
            o.insert("name".into(), Value::String(format!("r{n}")));
            o.insert(
                "location".into(),
                Value::String(["westeurope", "eastus"][n % 2].into()),
            );
            o.insert("tags".into(), Value::Object(tags));
            o.insert("properties".into(), Value::Object(props));
            if let Some((k, v)) = kind {
                o.insert(k.into(), v);
            }
            Value::Object(o)
        };
        let types = [
            "Microsoft.MachineLearningServices/workspaces",
            "Microsoft.MachineLearningServices/workspaces/computes",
            "microsoft.machinelearningservices/WORKSPACES",
            "Microsoft.MachineLearningServices/registries",
            "Microsoft.Storage/storageAccounts",
        ];
        let kinds: Vec<Option<(&str, Value)>> = vec![
            None,
            Some(("kind", Value::String("Default".into()))),
            Some(("kind", Value::String("Hub".into()))),
            Some(("kind", Value::String("project".into()))),
            Some(("Kind", Value::String("Hub".into()))),
            Some(("kind", Value::Int(3))),
        ];
        let mut judged = 0;
        for t in types {
            for (k, kind) in kinds.iter().enumerate() {
                let bodies: Vec<Value> = (0..4).map(|n| body(kind.clone(), n + k)).collect();
                let ids: Vec<String> = (0..4)
                    .map(|n| format!("/subscriptions/s{n}/resourceGroups/rg{n}/providers/{t}/r{n}"))
                    .collect();
                let resource = |n: usize| PolicyResource {
                    id: &ids[n],
                    resource_type: t,
                    full_name: if t.ends_with("computes") { "ws/r" } else { "r" },
                    api_version: None,
                    location: None,
                    body: &bodies[n],
                };
                for d in 0..engine.definitions().len() {
                    let here: Vec<PolicyOutcome> = (0..4)
                        .map(|n| engine.evaluate(d, &resource(n), &params, &crate::NoRelated))
                        .collect();
                    let fresh: Vec<PolicyOutcome> = std::thread::scope(|scope| {
                        (0..4)
                            .map(|n| {
                                let (engine, params, r) = (&engine, &params, resource(n));
                                scope
                                    .spawn(move || {
                                        engine.evaluate(d, &r, params, &crate::NoRelated)
                                    })
                                    .join()
                                    .unwrap()
                            })
                            .collect()
                    });
                    assert_eq!(here, fresh, "#{d} on {t} with {kind:?}");
                    judged += 4;
                }
            }
        }
        assert!(judged > 1000, "{judged}");
    }

    #[test]
    fn engine_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<PolicyEngine>();
    }

    #[test]
    fn every_shipped_arm_definition_compiles() {
        let engine = PolicyEngine::builtin();
        let mut arm = 0;
        for d in engine.definitions() {
            match &d.evaluable {
                Evaluability::Evaluable => arm += 1,
                Evaluability::DataPlane { .. } => {
                    assert!(
                        d.source_path.starts_with("builtin/data-plane/"),
                        "{}",
                        d.source_path
                    )
                }
                Evaluability::CompileError { message } => {
                    panic!("{} does not compile: {message}", d.source_path)
                }
            }
        }
        // 30 Azure built-ins, 8 Azure Landing Zones definitions, 3 of the
        // registry-model mode (evaluated on deployments).
        assert_eq!(arm, 41);
        assert_eq!(engine.definitions().len(), 47);
    }

    #[test]
    fn locate_reads_rendered_positions() {
        let r = "\n--> p.json:3:7\n  |\n3 | x\n  |   ^\nerror: unknown alias 'a'";
        assert_eq!(locate(r, "p.json"), (3, 7, "unknown alias 'a'".to_string()));
        assert_eq!(locate(r, "other.json").0, 1);
    }

    #[test]
    fn effects_are_canonical() {
        assert_eq!(canonical_effect("auditifnotexists"), "AuditIfNotExists");
        assert_eq!(canonical_effect("Bogus"), "Bogus");
    }
}
