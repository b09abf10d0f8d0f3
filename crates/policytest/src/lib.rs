//! `aml-baseline policy test DIR`: unit tests of Azure Policy definitions
//! and initiatives, run offline. Beside each definition `NAME.json`, a file
//! `NAME.tests.yaml` holds cases: resources (ARM objects, or an input file
//! the caller reads into resources), optional parameters, and the expected
//! result per resource. YAML is read with `marked-yaml`, so every problem
//! in a test file is reported with its line and column
//! (docs/decisions/0022-policy-test.md).

use aml_model::value::Value;
use aml_model::xml::{attr as xml, text as xml_text};
use aml_policy::{
    Assignment, AssignmentFile, AssignmentSet, OwnedPolicyResource, PolicyLibrary, PolicyLoadError,
    PolicyOutcome, RelatedResources,
};
use marked_yaml::{Node, Span};
use serde_json::{Map, Value as J};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Most cases in one test file, resources in one case, and YAML nesting.
const MAX_CASES: usize = 1_000;
const MAX_RESOURCES: usize = 1_000;
const MAX_DEPTH: usize = 64;

/// The placeholder scope of test resources.
const TEST_SCOPE: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg";

/// A resource of a case, as the definitions see it.
#[derive(Clone, Debug)]
pub struct CaseResource {
    pub resource: OwnedPolicyResource,
    /// The id of the resource this one extends (`scope`), if any.
    pub scope: Option<String>,
}

/// Reads an `input:` file (a template, a Bicep file, a Terraform folder, a
/// CLI YAML file) into resources; the caller provides it (the front ends
/// live above this crate).
pub type InputLoader<'a> = &'a dyn Fn(&Path) -> Result<Vec<CaseResource>, String>;

/// The expected or actual result of a definition on a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    NonCompliant,
    Compliant,
    NotApplicable,
    Unknown,
}

impl Expected {
    fn parse(s: &str) -> Option<Expected> {
        Some(match s {
            "non-compliant" => Expected::NonCompliant,
            "compliant" => Expected::Compliant,
            "not-applicable" => Expected::NotApplicable,
            "unknown" => Expected::Unknown,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Expected::NonCompliant => "non-compliant",
            Expected::Compliant => "compliant",
            Expected::NotApplicable => "not-applicable",
            Expected::Unknown => "unknown",
        }
    }
}

/// One expectation of a case.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// The resource's name (short or full).
    pub resource: String,
    /// For an initiative: the member's reference id (else every member).
    pub policy: Option<String>,
    pub result: Expected,
    pub line: u32,
}

/// One case.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub line: u32,
    pub resources: Vec<CaseResource>,
    pub parameters: Map<String, J>,
    pub expect: Vec<Expectation>,
}

/// What came out for one expectation.
#[derive(Clone, Debug)]
pub struct Check {
    pub expectation: Expectation,
    /// What the definition gave (`None`: an evaluation error, in `why`).
    pub actual: Option<Expected>,
    /// Why: the effect, the values the definition reads, or the error.
    pub why: String,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.actual == Some(self.expectation.result)
    }
}

/// The outcome of one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    pub name: String,
    pub line: u32,
    pub checks: Vec<Check>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(Check::passed)
    }
}

/// The outcome of one test file.
#[derive(Clone, Debug)]
pub struct FileResult {
    /// The test file.
    pub path: String,
    /// The definition or initiative it tests.
    pub policy: String,
    pub cases: Vec<CaseResult>,
}

/// Everything `policy test` found.
#[derive(Clone, Debug, Default)]
pub struct TestRun {
    pub files: Vec<FileResult>,
    /// Definitions and test files that could not be read (positioned).
    pub errors: Vec<PolicyLoadError>,
    /// Definitions and initiatives without a test file (for information).
    pub untested: Vec<String>,
}

impl TestRun {
    pub fn cases(&self) -> usize {
        self.files.iter().map(|f| f.cases.len()).sum()
    }

    pub fn failed(&self) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.cases)
            .filter(|c| !c.passed())
            .count()
    }

    /// 2 when a definition or test file could not be read, else 1 when a
    /// case failed, else 0.
    pub fn exit_code(&self) -> i32 {
        if !self.errors.is_empty() {
            2
        } else if self.failed() > 0 {
            1
        } else {
            0
        }
    }
}

/// The files under `dir` whose names end with `suffix`, sorted, walked to a
/// bounded depth (hidden folders skipped, at most 10,000 files), and the
/// folders that could not be read with why.
pub fn files_under(dir: &Path, suffix: &str) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                problems.push((d, e.to_string()));
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && !name.starts_with('.') && depth < 16 {
                stack.push((path, depth + 1));
            } else if kind.is_file() && name.ends_with(suffix) && out.len() < 10_000 {
                out.push(path);
            }
        }
    }
    out.sort();
    (out, problems)
}

fn error(path: &str, line: u32, col: u32, message: impl Into<String>) -> PolicyLoadError {
    PolicyLoadError {
        path: path.to_string(),
        line,
        col,
        message: message.into(),
    }
}

/// Runs every case of every definition and initiative under `dir`, with
/// the alias export `aliases` (`(path, text)`) extending the catalogue.
///
/// `input:` files must lie inside `boundary`: the scan boundary of `dir`
/// (its repository; see `docs/decisions/0023-scan-boundary.md`).
pub fn run(
    dir: &Path,
    boundary: &Path,
    aliases: Option<(&str, &str)>,
    input: InputLoader,
) -> TestRun {
    let mut run = TestRun::default();
    if !dir.is_dir() {
        run.errors.push(error(
            &dir.display().to_string(),
            1,
            1,
            "not a folder (expected a folder of NAME.json definitions and NAME.tests.yaml files)",
        ));
        return run;
    }
    let (files, problems) = files_under(dir, ".json");
    for (d, why) in problems {
        run.errors.push(error(
            &d.display().to_string(),
            1,
            1,
            format!("cannot read the folder: {why}"),
        ));
    }
    let defs: Vec<(String, String)> = files
        .into_iter()
        .filter_map(|p| {
            let shown = p.display().to_string();
            match std::fs::read_to_string(&p) {
                Ok(t) => Some((shown, t)),
                Err(e) => {
                    run.errors
                        .push(error(&shown, 1, 1, format!("cannot read: {e}")));
                    None
                }
            }
        })
        .collect();
    let def_paths: Vec<String> = defs.iter().map(|(p, _)| p.clone()).collect();
    // A test file needs its definition beside it (a misnamed one would
    // otherwise never run).
    for t in files_under(dir, ".tests.yaml").0 {
        let shown = t.display().to_string();
        let def = format!(
            "{}.json",
            shown.strip_suffix(".tests.yaml").unwrap_or(&shown)
        );
        if !def_paths.contains(&def) {
            run.errors.push(error(
                &shown,
                1,
                1,
                format!("no definition beside it (expected {def})"),
            ));
        }
    }
    let (library, errors) = PolicyLibrary::load(defs, aliases);
    run.errors.extend(errors);
    let set = AssignmentSet::resolve(library, AssignmentFile::default()).0;
    let library = &set.library;
    for def_path in def_paths {
        let test_path = format!(
            "{}.tests.yaml",
            def_path.strip_suffix(".json").unwrap_or(&def_path)
        );
        let def = library
            .engine
            .definitions()
            .iter()
            .position(|d| d.source_path == def_path);
        let init = library
            .initiatives
            .iter()
            .find(|i| i.source_path == def_path);
        let policy = match (def, init) {
            (Some(i), _) => library.engine.definitions()[i].name.clone(),
            (None, Some(i)) => i.name.clone(),
            // Not loaded: its error is already reported.
            (None, None) => continue,
        };
        if !Path::new(&test_path).is_file() {
            run.untested.push(def_path);
            continue;
        }
        let text = match std::fs::read_to_string(&test_path) {
            Ok(t) => t,
            Err(e) => {
                run.errors
                    .push(error(&test_path, 1, 1, format!("cannot read: {e}")));
                continue;
            }
        };
        let base = Path::new(&test_path).parent().unwrap_or(Path::new("."));
        let cases = match parse_tests(&test_path, &text, base, boundary, input) {
            Ok(c) => c,
            Err(e) => {
                run.errors.push(e);
                continue;
            }
        };
        let kind = if def.is_some() {
            "policyDefinitions"
        } else {
            "policySetDefinitions"
        };
        let mut results = Vec::new();
        for case in cases {
            results.push(run_case(&set, kind, &policy, case));
        }
        run.files.push(FileResult {
            path: test_path,
            policy,
            cases: results,
        });
    }
    run
}

/// Runs one case: the definition (or every member of the initiative) over
/// every resource of the case, compared with what the case expects.
fn run_case(set: &AssignmentSet, kind: &str, policy: &str, case: Case) -> CaseResult {
    // The case's parameters as an assignment's, so an initiative's members
    // get them exactly as a real assignment would give them.
    let file = AssignmentFile {
        assignments: vec![Assignment {
            id: format!("/providers/Microsoft.Authorization/policyAssignments/{policy}"),
            name: policy.to_string(),
            display_name: policy.to_string(),
            definition_id: format!("/providers/Microsoft.Authorization/{kind}/{policy}"),
            parameters: case.parameters.clone(),
            scope: "/".into(),
            not_scopes: Vec::new(),
            enforced: true,
        }],
        exemptions: Vec::new(),
    };
    let engine = &set.library.engine;
    let bindings_all = resolve_bindings(set, file);
    let related = CaseRelations {
        resources: &case.resources,
    };
    let mut checks = Vec::new();
    for e in &case.expect {
        let found = case
            .resources
            .iter()
            .find(|r| names_match(&r.resource, &e.resource));
        let Some(r) = found else {
            checks.push(Check {
                expectation: e.clone(),
                actual: None,
                why: format!("the case has no resource named '{}'", e.resource),
            });
            continue;
        };
        let bindings: Vec<&aml_policy::Binding> = match &bindings_all {
            // An expectation about the whole initiative needs every member;
            // one about a named member needs that member only.
            Err((why, _)) if e.policy.is_none() => {
                checks.push(Check {
                    expectation: e.clone(),
                    actual: None,
                    why: why.clone(),
                });
                continue;
            }
            Ok(b) | Err((_, b)) => b
                .iter()
                .filter(|b| {
                    e.policy.as_deref().is_none_or(|p| {
                        b.reference_id
                            .as_deref()
                            .is_some_and(|r| r.eq_ignore_ascii_case(p))
                            || engine.definitions()[b.definition]
                                .name
                                .eq_ignore_ascii_case(p)
                    })
                })
                .collect(),
        };
        if bindings.is_empty() {
            checks.push(Check {
                expectation: e.clone(),
                actual: None,
                why: match &bindings_all {
                    Err((why, _)) => format!(
                        "no member of '{policy}' named '{}' was resolved: {why}",
                        e.policy.as_deref().unwrap_or("")
                    ),
                    Ok(_) => format!(
                        "no member of '{policy}' is named '{}'",
                        e.policy.as_deref().unwrap_or("")
                    ),
                },
            });
            continue;
        }
        // An initiative's result: non-compliant when a member is, else
        // unknown when a member is, else compliant when a member is, else
        // not applicable (Azure's roll-up).
        let mut actual = Some(Expected::NotApplicable);
        let mut reasons = Vec::new();
        let rank = |x: Option<Expected>| match x {
            None => 4,
            Some(Expected::NonCompliant) => 3,
            Some(Expected::Unknown) => 2,
            Some(Expected::Compliant) => 1,
            Some(Expected::NotApplicable) => 0,
        };
        for b in bindings {
            let outcome =
                engine.evaluate(b.definition, &r.resource.as_resource(), &b.params, &related);
            let fields = engine.field_paths(
                b.definition,
                &r.resource.resource_type,
                r.resource.api_version.as_deref(),
            );
            let (this, why) = describe(&outcome, &r.resource, &fields);
            let who = b
                .reference_id
                .as_deref()
                .map(|m| format!("{m}: "))
                .unwrap_or_default();
            reasons.push(format!("{who}{why}"));
            if rank(this) > rank(actual) {
                actual = this;
            }
        }
        checks.push(Check {
            expectation: e.clone(),
            actual,
            why: reasons.join("; "),
        });
    }
    CaseResult {
        name: case.name,
        line: case.line,
        checks,
    }
}

/// The case's bindings; with the first problem (a member left out) and the
/// bindings that did resolve when there is one.
fn resolve_bindings(
    set: &AssignmentSet,
    file: AssignmentFile,
) -> Result<Vec<aml_policy::Binding>, (String, Vec<aml_policy::Binding>)> {
    // Resolution needs the library by value: resolve against a view that
    // shares it (the bindings only hold indices into its engine).
    let (bindings, problems) = set.resolve_more(file);
    if let Some((_, why)) = problems.into_iter().next() {
        return Err((why, bindings));
    }
    Ok(bindings)
}

/// The result of an outcome and why: the effect, the values read, or the error.
fn describe(
    o: &PolicyOutcome,
    r: &OwnedPolicyResource,
    fields: &[String],
) -> (Option<Expected>, String) {
    let values = || {
        let read: Vec<String> = fields
            .iter()
            .take(4)
            .map(|f| {
                let path = f.split("[*]").next().unwrap_or(f);
                match get_path(&r.body, path) {
                    Some(v) => format!("`{path}` is {}", short(&v.to_json_display().to_string())),
                    None => format!("`{path}` is not set"),
                }
            })
            .collect();
        if read.is_empty() {
            String::new()
        } else {
            format!(" ({})", read.join(", "))
        }
    };
    match o {
        PolicyOutcome::NotApplicable => (
            Some(Expected::NotApplicable),
            "the definition does not apply (its type, kind or name conditions, its mode, or a Disabled effect)".into(),
        ),
        PolicyOutcome::Compliant { .. } => (Some(Expected::Compliant), format!("the condition does not hold{}", values())),
        PolicyOutcome::NonCompliant { effect } => (
            Some(Expected::NonCompliant),
            format!("the condition holds: effect {effect}{}", values()),
        ),
        PolicyOutcome::Unknown { deciding } => (
            Some(Expected::Unknown),
            format!("depends on {}", deciding.join(", ")),
        ),
        PolicyOutcome::Error { message } => (None, format!("error: {message}")),
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s.to_string()
    }
}

/// A dotted path in a resource body (keys case-insensitive).
fn get_path(v: &Value, path: &str) -> Option<Value> {
    let mut cur = v.clone();
    for key in path.split('.').filter(|k| !k.is_empty()) {
        cur = match &cur {
            Value::Object(m) => m
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.clone())?,
            _ => return None,
        };
    }
    (!matches!(cur, Value::Null)).then_some(cur)
}

fn names_match(r: &OwnedPolicyResource, name: &str) -> bool {
    let short = r.full_name.rsplit('/').next().unwrap_or(&r.full_name);
    r.full_name.eq_ignore_ascii_case(name) || short.eq_ignore_ascii_case(name)
}

/// Related resources of a case: children and extension resources of the
/// primary, or, for other resources, any of the case.
struct CaseRelations<'a> {
    resources: &'a [CaseResource],
}

impl RelatedResources for CaseRelations<'_> {
    fn related(
        &self,
        primary_id: &str,
        related_type: &str,
        name: Option<&str>,
    ) -> Vec<OwnedPolicyResource> {
        let primary = primary_id.to_ascii_lowercase();
        self.resources
            .iter()
            .filter(|c| c.resource.resource_type.eq_ignore_ascii_case(related_type))
            .filter(|c| {
                let id = c.resource.id.to_ascii_lowercase();
                let scope = c.scope.as_deref().map(str::to_ascii_lowercase);
                match scope {
                    Some(s) => s == primary,
                    None => {
                        id.starts_with(&format!("{primary}/"))
                            || id == primary
                            || !is_extension_type(related_type)
                    }
                }
            })
            .filter(|c| name.is_none_or(|n| names_match(&c.resource, n)))
            .map(|c| c.resource.clone())
            .collect()
    }
}

fn is_extension_type(t: &str) -> bool {
    let lc = t.to_ascii_lowercase();
    lc.starts_with("microsoft.insights/") || lc.starts_with("microsoft.authorization/")
}

/// The id of an ARM resource object at the test scope: `type` `A/B/C` and
/// `name` `x/y` give `.../providers/A/B/x/C/y`.
pub fn resource_id(resource_type: &str, name: &str, scope: Option<&str>) -> String {
    let mut parts = resource_type.split('/');
    let namespace = parts.next().unwrap_or_default();
    let types: Vec<&str> = parts.collect();
    let names: Vec<&str> = name.split('/').collect();
    let mut id = format!("{}/providers/{namespace}", scope.unwrap_or(TEST_SCOPE));
    for (i, t) in types.iter().enumerate() {
        let n = names.get(i).copied().unwrap_or("default");
        let _ = write!(id, "/{t}/{n}");
    }
    id
}

/// A case resource from an ARM resource object (JSON).
pub fn case_resource(obj: &J, scopes: &[CaseResource]) -> Result<CaseResource, String> {
    let text = |k: &str| obj.get(k).and_then(J::as_str).map(str::to_string);
    let t = text("type").ok_or("the resource has no `type`")?;
    let name = text("name").ok_or("the resource has no `name`")?;
    let scope = text("scope").map(|s| {
        if s.starts_with('/') {
            s
        } else {
            scopes
                .iter()
                .find(|c| names_match(&c.resource, &s))
                .map(|c| c.resource.id.clone())
                .unwrap_or(s)
        }
    });
    let id = match &scope {
        Some(s) => {
            let short = name.rsplit('/').next().unwrap_or(&name);
            format!("{s}/providers/{t}/{short}")
        }
        None => resource_id(&t, &name, None),
    };
    Ok(CaseResource {
        resource: OwnedPolicyResource {
            id,
            resource_type: t,
            full_name: name,
            api_version: text("apiVersion"),
            location: text("location"),
            body: Value::from_json(obj),
        },
        scope,
    })
}

// ---------------------------------------------------------------- YAML

fn pos(span: &Span) -> (u32, u32) {
    span.start()
        .map_or((1, 1), |m| (m.line() as u32, m.column() as u32))
}

/// A YAML node as JSON: unquoted scalars are coerced (null, booleans,
/// numbers), quoted ones stay strings.
fn to_json(n: &Node, depth: usize) -> Result<J, (Span, String)> {
    if depth > MAX_DEPTH {
        return Err((*n.span(), format!("nested deeper than {MAX_DEPTH} levels")));
    }
    Ok(match n {
        Node::Scalar(s) => {
            let v = s.as_str();
            if !s.may_coerce() {
                J::String(v.to_string())
            } else if matches!(v, "" | "~" | "null" | "Null" | "NULL") {
                J::Null
            } else if let Some(b) = s.as_bool() {
                J::Bool(b)
            } else if let Ok(i) = v.parse::<i64>() {
                J::from(i)
            } else if let Some(f) = v.parse::<f64>().ok().filter(|f| f.is_finite()) {
                serde_json::Number::from_f64(f).map_or(J::String(v.to_string()), J::Number)
            } else {
                J::String(v.to_string())
            }
        }
        Node::Sequence(items) => J::Array(
            items
                .iter()
                .map(|i| to_json(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Node::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m.iter() {
                out.insert(k.as_str().to_string(), to_json(v, depth + 1)?);
            }
            J::Object(out)
        }
    })
}

/// Whether `file` lies inside `boundary`, by its path and, when both exist,
/// by where symbolic links lead.
fn inside(boundary: &Path, file: &Path) -> bool {
    if !aml_model::source::is_within(boundary, file) {
        return false;
    }
    match (std::fs::canonicalize(boundary), std::fs::canonicalize(file)) {
        (Ok(b), Ok(f)) => f.starts_with(b),
        _ => true,
    }
}

/// A case's `parameters:` mapping: name to value, or to `{value: X}` as in
/// an assignment.
fn parse_parameters(
    m: &marked_yaml::types::MarkedMappingNode,
    at: &dyn Fn(&Span, String) -> PolicyLoadError,
) -> Result<Map<String, J>, PolicyLoadError> {
    let parameters = match m.get_node("parameters") {
        None => Map::new(),
        Some(p) => match to_json(p, 0).map_err(|(s, m)| at(&s, m))? {
            J::Object(o) => o
                .into_iter()
                .map(|(k, v)| {
                    // `{value: X}` as in an assignment, or X.
                    let v = match v {
                        J::Object(mut o) if o.len() == 1 && o.contains_key("value") => {
                            o.remove("value").unwrap_or(J::Null)
                        }
                        v => v,
                    };
                    (k, v)
                })
                .collect(),
            _ => {
                return Err(at(
                    p.span(),
                    "`parameters` must be a mapping of parameter names to values".into(),
                ))
            }
        },
    };
    Ok(parameters)
}

/// The `expect:` list of a case: `{ resource, result, policy? }` mappings.
fn parse_expectations(
    m: &marked_yaml::types::MarkedMappingNode,
    case_span: &Span,
    name: &str,
    at: &dyn Fn(&Span, String) -> PolicyLoadError,
) -> Result<Vec<Expectation>, PolicyLoadError> {
    let expect_node = m
        .get_node("expect")
        .ok_or_else(|| at(case_span, format!("case '{name}' has no `expect` list")))?;
    let expect_list = expect_node.as_sequence().ok_or_else(|| {
        at(
            expect_node.span(),
            "`expect` must be a list of { resource, result }".into(),
        )
    })?;
    let mut expect = Vec::new();
    for e in expect_list.iter() {
        let em = e.as_mapping().ok_or_else(|| {
            at(
                e.span(),
                "an expectation must be a mapping { resource, result }".into(),
            )
        })?;
        for (k, _) in em.iter() {
            if !["resource", "result", "policy"].contains(&k.as_str()) {
                return Err(at(
                    k.span(),
                    format!(
                        "unknown key `{}` (expected resource, result, policy)",
                        k.as_str()
                    ),
                ));
            }
        }
        let resource = em
            .get_scalar("resource")
            .ok_or_else(|| at(e.span(), "the expectation has no `resource`".into()))?;
        let result = em
            .get_scalar("result")
            .ok_or_else(|| at(e.span(), "the expectation has no `result`".into()))?;
        let parsed = Expected::parse(result.as_str()).ok_or_else(|| {
            at(
                result.span(),
                format!(
                    "result '{}' is not one of non-compliant, compliant, not-applicable, unknown",
                    result.as_str()
                ),
            )
        })?;
        let (eline, _) = pos(e.span());
        expect.push(Expectation {
            resource: resource.as_str().to_string(),
            policy: em.get_scalar("policy").map(|s| s.as_str().to_string()),
            result: parsed,
            line: eline,
        });
    }
    if expect.is_empty() {
        return Err(at(
            expect_node.span(),
            format!("case '{name}' expects nothing"),
        ));
    }
    Ok(expect)
}

/// Parses a test file into cases; `input:` files are read with `input`,
/// relative to `base`, and must lie inside `boundary` (the scan boundary
/// of the folder being tested). A key given twice (`cases:`, a case's `expect:`) is an error
/// naming both positions.
pub fn parse_tests(
    path: &str,
    text: &str,
    base: &Path,
    boundary: &Path,
    input: InputLoader,
) -> Result<Vec<Case>, PolicyLoadError> {
    let at = |span: &Span, message: String| {
        let (line, col) = pos(span);
        error(path, line, col, message)
    };
    let options = marked_yaml::LoaderOptions::default().error_on_duplicate_keys(true);
    let root = marked_yaml::parse_yaml_with_options(0, text, options).map_err(|e| {
        let marker = match &e {
            marked_yaml::LoadError::TopLevelMustBeMapping(m)
            | marked_yaml::LoadError::TopLevelMustBeSequence(m)
            | marked_yaml::LoadError::UnexpectedAnchor(m)
            | marked_yaml::LoadError::MappingKeyMustBeScalar(m)
            | marked_yaml::LoadError::UnexpectedTag(m)
            | marked_yaml::LoadError::ScanError(m, _) => Some(*m),
            marked_yaml::LoadError::DuplicateKey(inner) => inner.key.span().start().copied(),
        };
        let (line, col) = marker.map_or((1, 1), |m| (m.line() as u32, m.column() as u32));
        let message = e.to_string();
        // The message starts with the position already given.
        let message = message
            .split_once(": ")
            .filter(|(head, _)| head.contains(':') || head.chars().all(|c| c.is_ascii_digit()))
            .map_or(message.clone(), |(_, rest)| rest.to_string());
        error(path, line, col, format!("YAML: {message}"))
    })?;
    let map = root
        .as_mapping()
        .ok_or_else(|| at(root.span(), "expected a mapping with `cases:`".into()))?;
    for (k, _) in map.iter() {
        if k.as_str() != "cases" {
            return Err(at(
                k.span(),
                format!("unknown key `{}` (expected `cases`)", k.as_str()),
            ));
        }
    }
    let cases = map
        .get_node("cases")
        .ok_or_else(|| at(root.span(), "no `cases:` list".into()))?;
    let list = cases
        .as_sequence()
        .ok_or_else(|| at(cases.span(), "`cases` must be a list of cases".into()))?;
    if list.len() > MAX_CASES {
        return Err(at(cases.span(), format!("more than {MAX_CASES} cases")));
    }
    let mut out = Vec::new();
    for c in list.iter() {
        let m = c.as_mapping().ok_or_else(|| {
            at(
                c.span(),
                "a case must be a mapping with `name`, `resources` or `input`, and `expect`".into(),
            )
        })?;
        for (k, _) in m.iter() {
            if !["name", "resources", "input", "parameters", "expect"].contains(&k.as_str()) {
                return Err(at(
                    k.span(),
                    format!(
                        "unknown key `{}` (expected name, resources, input, parameters, expect)",
                        k.as_str()
                    ),
                ));
            }
        }
        let (line, _) = pos(c.span());
        let name = m
            .get_scalar("name")
            .map(|s| s.as_str().to_string())
            .ok_or_else(|| at(c.span(), "the case has no `name`".into()))?;
        let mut resources: Vec<CaseResource> = Vec::new();
        match (m.get_node("resources"), m.get_scalar("input")) {
            (Some(_), Some(i)) => {
                return Err(at(i.span(), "give `resources` or `input`, not both".into()));
            }
            (Some(r), None) => {
                let items = r.as_sequence().ok_or_else(|| {
                    at(
                        r.span(),
                        "`resources` must be a list of ARM resource objects".into(),
                    )
                })?;
                if items.len() > MAX_RESOURCES {
                    return Err(at(r.span(), format!("more than {MAX_RESOURCES} resources")));
                }
                for item in items.iter() {
                    let j = to_json(item, 0).map_err(|(s, m)| at(&s, m))?;
                    if !j.is_object() {
                        return Err(at(
                            item.span(),
                            "a resource must be a mapping (an ARM resource object)".into(),
                        ));
                    }
                    let r = case_resource(&j, &resources).map_err(|m| at(item.span(), m))?;
                    resources.push(r);
                }
            }
            (None, Some(i)) => {
                let file = base.join(i.as_str());
                if !inside(boundary, &file) {
                    return Err(at(
                        i.span(),
                        format!(
                            "input {} lies outside {}, the boundary of the folder being tested (its repository); inputs must be inside it",
                            i.as_str(),
                            boundary.display()
                        ),
                    ));
                }
                resources =
                    input(&file).map_err(|m| at(i.span(), format!("input {}: {m}", i.as_str())))?;
            }
            (None, None) => {
                return Err(at(
                    c.span(),
                    format!("case '{name}' has neither `resources` nor `input`"),
                ))
            }
        }
        let parameters = parse_parameters(m, &at)?;
        let expect = parse_expectations(m, c.span(), &name, &at)?;
        out.push(Case {
            name,
            line,
            resources,
            parameters,
            expect,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- output

/// The text report: one line per case, with each failing expectation's
/// expected and actual result and why.
pub fn render_text(run: &TestRun) -> String {
    let mut out = String::new();
    for e in &run.errors {
        let _ = writeln!(out, "error: {e}");
    }
    for f in &run.files {
        let _ = writeln!(out, "{} ({})", f.path, f.policy);
        for c in &f.cases {
            let status = if c.passed() { "pass" } else { "FAIL" };
            let _ = writeln!(out, "  {status}  {} (line {})", c.name, c.line);
            for k in &c.checks {
                let actual = k.actual.map_or("error", Expected::as_str);
                let member = k
                    .expectation
                    .policy
                    .as_deref()
                    .map(|p| format!(" [{p}]"))
                    .unwrap_or_default();
                let mark = if k.passed() { "ok" } else { "MISMATCH" };
                let _ = writeln!(
                    out,
                    "        {mark} {}{member}: expected {}, got {actual} (line {})\n            why: {}",
                    k.expectation.resource,
                    k.expectation.result.as_str(),
                    k.expectation.line,
                    k.why
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "{} test files, {} cases: {} passed, {} failed; {} errors; {} definitions without tests",
        run.files.len(),
        run.cases(),
        run.cases() - run.failed(),
        run.failed(),
        run.errors.len(),
        run.untested.len()
    );
    out
}

/// JUnit XML: a suite per test file, a test case per case; a definition or
/// test file that cannot be read is an `<error>` in a last suite.
pub fn render_junit(run: &TestRun) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"aml-baseline policy test\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
        run.cases() + run.errors.len(),
        run.failed(),
        run.errors.len()
    );
    for f in &run.files {
        let failures = f.cases.iter().filter(|c| !c.passed()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
            xml(&f.policy),
            f.cases.len()
        );
        for c in &f.cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
                xml(&f.policy),
                xml(&c.name),
                xml(&f.path),
                c.line
            );
            if c.passed() {
                out.push_str("/>\n");
                continue;
            }
            let mut body = String::new();
            for k in c.checks.iter().filter(|k| !k.passed()) {
                let _ = writeln!(
                    body,
                    "{}:{}: {}: expected {}, got {}\nwhy: {}",
                    f.path,
                    k.expectation.line,
                    k.expectation.resource,
                    k.expectation.result.as_str(),
                    k.actual.map_or("error", Expected::as_str),
                    k.why
                );
            }
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                xml(body.lines().next().unwrap_or("")),
                xml_text(&body)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    if !run.errors.is_empty() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"inputs\" tests=\"{n}\" failures=\"0\" errors=\"{n}\" skipped=\"0\">",
            n = run.errors.len()
        );
        for e in &run.errors {
            let _ = writeln!(
                out,
                "    <testcase classname=\"inputs\" name=\"{}\" file=\"{}\" line=\"{}\">\n      <error message=\"{}\"/>\n    </testcase>",
                xml(&e.path),
                xml(&e.path),
                e.line,
                xml(&e.to_string())
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
