//! A user's own policy: definitions and initiatives (policy set
//! definitions) from a folder, assignments and exemptions as `az policy
//! assignment list` / `az policy exemption list` print them, resolved into
//! [`Binding`]s (one per assigned definition, parameters resolved), and the
//! scope logic that decides which bindings apply to a resource
//! (docs/decisions/0021-policy-as-code.md).

use super::catalogue::Catalogue;
use super::{PolicyEngine, PolicyLoadError};
use aml_model::json::{Node, NodeKind};
use serde_json::{Map, Value as J};
use std::sync::Arc;

/// Most members of one initiative, and most assignments or exemptions in
/// one file (bounds the work on a hostile input).
const MAX_ITEMS: usize = 10_000;

/// An initiative (policy set definition).
#[derive(Clone, Debug)]
pub struct Initiative {
    /// Its `name` (the file stem when absent).
    pub name: String,
    pub display_name: String,
    /// Declared parameters and their defaults.
    pub parameters: Vec<(String, Option<J>)>,
    pub members: Vec<Member>,
    /// Where it came from.
    pub source_path: String,
}

impl Initiative {
    /// Whether it is one of the initiatives shipped with aml-baseline.
    pub fn is_shipped(&self) -> bool {
        self.source_path.starts_with("builtin/")
    }

    /// `'display name' (name)`, the name shortened to 8 characters when it
    /// is a GUID; `'name'` when it has no display name.
    pub fn label(&self) -> String {
        let short = if self.name.len() == 36 && self.name.as_bytes()[8] == b'-' {
            &self.name[..8]
        } else {
            self.name.as_str()
        };
        if self.display_name.is_empty() || self.display_name == self.name {
            format!("'{}'", self.name)
        } else {
            format!("'{}' ({short})", self.display_name)
        }
    }
}

/// The initiatives shipped in the binary, read once.
pub fn shipped_initiatives() -> &'static [Initiative] {
    static SHIPPED: std::sync::OnceLock<Vec<Initiative>> = std::sync::OnceLock::new();
    SHIPPED.get_or_init(|| {
        crate::builtin::BUILTIN_INITIATIVES
            .iter()
            .filter_map(|(path, text)| {
                let path = format!("builtin/{path}");
                let root: J = serde_json::from_str(text).ok()?;
                initiative(&path, text, &root).ok()
            })
            .collect()
    })
}

/// One definition of an initiative.
#[derive(Clone, Debug)]
pub struct Member {
    /// `policyDefinitionReferenceId` (the definition name when absent).
    pub reference_id: String,
    /// The definition's name: the last segment of `policyDefinitionId`.
    pub definition: String,
    /// The member's parameter values as written (`[parameters('x')]` or literals).
    pub parameters: Map<String, J>,
    /// `groupNames`.
    pub groups: Vec<String>,
}

/// A user's definitions and initiatives, with the shipped built-ins behind
/// them, compiled over a catalogue (the shipped one, or it extended).
pub struct PolicyLibrary {
    pub engine: PolicyEngine,
    pub initiatives: Vec<Initiative>,
    /// How many of `engine`'s definitions are the user's (the first ones).
    pub user_definitions: usize,
}

impl PolicyLibrary {
    /// Loads definition and initiative files (`(path, JSON text)`), over the
    /// shipped catalogue extended by `aliases` (an alias export's text) when
    /// given. Files that cannot be read are reported and left out.
    pub fn load(
        files: Vec<(String, String)>,
        aliases: Option<(&str, &str)>,
    ) -> (PolicyLibrary, Vec<PolicyLoadError>) {
        let mut errors = Vec::new();
        let catalogue = match aliases {
            None => Catalogue::shipped_arc(),
            Some((path, text)) => match Catalogue::extended(text) {
                Ok(c) => Arc::new(c),
                Err(message) => {
                    errors.push(PolicyLoadError {
                        path: path.to_string(),
                        line: 1,
                        col: 1,
                        message: format!("cannot read the alias export: {message}"),
                    });
                    Catalogue::shipped_arc()
                }
            },
        };
        let mut definitions = Vec::new();
        let mut initiatives = Vec::new();
        for (path, text) in files {
            let text = crate::arm_resource::unescape(&text).unwrap_or(text);
            // An initiative has `policyDefinitions`; anything else is taken
            // as a definition (whose loader reports what is wrong with it).
            match serde_json::from_str::<J>(&text) {
                Ok(root) if is_initiative(&root) => match initiative(&path, &text, &root) {
                    Ok(i) => initiatives.push(i),
                    Err(e) => errors.push(e),
                },
                _ => definitions.push((path, text)),
            }
        }
        let user_definitions = definitions.len();
        let (engine, def_errors) = PolicyEngine::with_builtins(definitions, catalogue);
        errors.extend(def_errors);
        let user_definitions = engine
            .definitions()
            .iter()
            .take(user_definitions)
            .filter(|d| !d.source_path.starts_with("builtin/"))
            .count();
        (
            PolicyLibrary {
                engine,
                initiatives,
                user_definitions,
            },
            errors,
        )
    }

    /// A definition by name: the user's first, then the built-ins.
    pub fn definition(&self, name: &str) -> Option<usize> {
        self.engine
            .definitions()
            .iter()
            .position(|d| d.name.eq_ignore_ascii_case(name))
            .or_else(|| self.engine.definition(name).map(|(i, _)| i))
    }

    /// An initiative by name: the user's first, then the shipped ones
    /// ([`shipped_initiatives`]).
    pub fn initiative(&self, name: &str) -> Option<&Initiative> {
        self.initiatives
            .iter()
            .chain(shipped_initiatives())
            .find(|i| i.name.eq_ignore_ascii_case(name))
    }
}

fn props(root: &J) -> &J {
    match root.get("properties") {
        Some(p) if p.is_object() => p,
        _ => root,
    }
}

fn is_initiative(root: &J) -> bool {
    props(root)
        .get("policyDefinitions")
        .is_some_and(J::is_array)
}

fn stem(path: &str) -> String {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    file.strip_suffix(".json").unwrap_or(file).to_string()
}

/// The last segment of a definition id (`/providers/.../policyDefinitions/NAME`).
pub(crate) fn last_segment(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

/// The 1-based line and column of `needle`'s first occurrence in `text`
/// (1:1 when absent), for errors about a value serde has already parsed.
fn position_of(text: &str, needle: &str) -> (u32, u32) {
    match text.find(needle) {
        Some(at) => line_col(text, at),
        None => (1, 1),
    }
}

fn line_col(text: &str, at: usize) -> (u32, u32) {
    let at = at.min(text.len());
    let before = &text.as_bytes()[..at];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line as u32, col as u32)
}

fn initiative(path: &str, text: &str, root: &J) -> Result<Initiative, PolicyLoadError> {
    let p = props(root);
    let error = |needle: &str, message: String| {
        let (line, col) = position_of(text, needle);
        PolicyLoadError {
            path: path.to_string(),
            line,
            col,
            message,
        }
    };
    let parameters = p
        .get("parameters")
        .and_then(J::as_object)
        .into_iter()
        .flatten()
        .map(|(k, spec)| (k.clone(), spec.get("defaultValue").cloned()))
        .collect();
    let list = p
        .get("policyDefinitions")
        .and_then(J::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if list.len() > MAX_ITEMS {
        return Err(error(
            "\"policyDefinitions\"",
            format!("more than {MAX_ITEMS} policy definitions in one initiative"),
        ));
    }
    let mut members = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let Some(id) = m.get("policyDefinitionId").and_then(J::as_str) else {
            return Err(error(
                "\"policyDefinitions\"",
                format!("policyDefinitions[{i}] has no `policyDefinitionId` (expected the member definition's id)"),
            ));
        };
        let definition = last_segment(id).to_string();
        let parameters = parameter_values(m.get("parameters"));
        members.push(Member {
            reference_id: m
                .get("policyDefinitionReferenceId")
                .and_then(J::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| definition.clone()),
            definition,
            parameters,
            groups: strings(m.get("groupNames")),
        });
    }
    let text_of = |v: &J, k: &str| v.get(k).and_then(J::as_str).map(str::to_string);
    Ok(Initiative {
        name: text_of(root, "name").unwrap_or_else(|| stem(path)),
        display_name: text_of(p, "displayName").unwrap_or_default(),
        parameters,
        members,
        source_path: path.to_string(),
    })
}

/// A policy assignment.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// `id` (`<scope>/providers/Microsoft.Authorization/policyAssignments/<name>`).
    pub id: String,
    pub name: String,
    pub display_name: String,
    /// `policyDefinitionId`: a definition or an initiative.
    pub definition_id: String,
    /// Parameter values (`{"effect": {"value": "Deny"}}` unwrapped).
    pub parameters: Map<String, J>,
    pub scope: String,
    pub not_scopes: Vec<String>,
    /// `enforcementMode` is not `DoNotEnforce`.
    pub enforced: bool,
}

/// A policy exemption.
#[derive(Clone, Debug, PartialEq)]
pub struct Exemption {
    pub id: String,
    pub name: String,
    /// Where it applies: `scope`, or the part of `id` before `/providers/Microsoft.Authorization/policyExemptions/`.
    pub scope: String,
    pub assignment_id: String,
    /// Empty: every definition of the assignment.
    pub reference_ids: Vec<String>,
    /// `Waiver` or `Mitigated`.
    pub category: String,
    /// `expiresOn`, when set (ISO 8601).
    pub expires_on: Option<String>,
}

/// Assignments and exemptions read from one file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AssignmentFile {
    pub assignments: Vec<Assignment>,
    pub exemptions: Vec<Exemption>,
}

/// The assignments and exemptions of an export: an array, an object with
/// `assignments` and `exemptions` arrays, or one assignment.
fn assignment_items<'n>(
    root: &'n Node,
    error: &dyn Fn(u32, String) -> PolicyLoadError,
) -> Result<Vec<&'n Node>, PolicyLoadError> {
    let mut items: Vec<&Node> = Vec::new();
    match &root.kind {
        NodeKind::Array(list) => items.extend(list),
        NodeKind::Object(_)
            if root.get("assignments").is_some() || root.get("exemptions").is_some() =>
        {
            for key in ["assignments", "exemptions"] {
                match root.get(key) {
                    None => {}
                    Some(Node {
                        kind: NodeKind::Array(list),
                        ..
                    }) => items.extend(list),
                    Some(n) => {
                        return Err(error(
                            n.start,
                            format!("`{key}` is {}, expected an array", n.kind_name()),
                        ))
                    }
                }
            }
        }
        NodeKind::Object(_) => items.push(root),
        _ => {
            return Err(error(
                root.start,
                format!(
                "expected an array of policy assignments (`az policy assignment list`), found {}",
                root.kind_name()
            ),
            ))
        }
    }
    Ok(items)
}

/// Reads an assignments file: a JSON array of assignments and exemptions
/// (`az policy assignment list`, `az policy exemption list`, or both
/// concatenated), a single one, or an object with `assignments` and
/// `exemptions` arrays. Errors are positioned.
pub fn parse_assignments(path: &str, text: &str) -> Result<AssignmentFile, PolicyLoadError> {
    let error = |at: u32, message: String| {
        let (line, col) = line_col(text, at as usize);
        PolicyLoadError {
            path: path.to_string(),
            line,
            col,
            message,
        }
    };
    let root = aml_model::json::parse(text).map_err(|e| {
        let (line, col) = line_col(text, e.offset);
        PolicyLoadError {
            path: path.to_string(),
            line,
            col,
            message: e.message,
        }
    })?;
    let items = assignment_items(&root, &error)?;
    if items.len() > MAX_ITEMS {
        return Err(error(
            root.start,
            format!("more than {MAX_ITEMS} assignments and exemptions"),
        ));
    }
    let mut out = AssignmentFile::default();
    for item in items {
        let value = to_json(item);
        let p = props(&value);
        let text_of = |k: &str| {
            p.get(k)
                .or_else(|| value.get(k))
                .and_then(J::as_str)
                .map(str::to_string)
        };
        let id = text_of("id").unwrap_or_default();
        let kind = text_of("type").unwrap_or_default().to_ascii_lowercase();
        let exemption = kind.ends_with("policyexemptions")
            || p.get("policyAssignmentId").is_some()
            || id.to_ascii_lowercase().contains("/policyexemptions/");
        if !item.is_object() {
            return Err(error(
                item.start,
                format!(
                    "expected a policy assignment object, found {}",
                    item.kind_name()
                ),
            ));
        }
        if exemption {
            let Some(assignment_id) = text_of("policyAssignmentId") else {
                return Err(error(
                    item.start,
                    "the exemption has no `policyAssignmentId`".into(),
                ));
            };
            let scope = text_of("scope").or_else(|| {
                scope_before(&id, "/providers/microsoft.authorization/policyexemptions/")
            });
            let Some(scope) = scope else {
                return Err(error(
                    item.start,
                    "the exemption has neither `scope` nor an `id` that names its scope".into(),
                ));
            };
            out.exemptions.push(Exemption {
                name: text_of("name").unwrap_or_else(|| last_segment(&id).to_string()),
                id,
                scope,
                assignment_id,
                reference_ids: strings(p.get("policyDefinitionReferenceIds")),
                category: text_of("exemptionCategory").unwrap_or_else(|| "Waiver".into()),
                expires_on: text_of("expiresOn"),
            });
            continue;
        }
        let Some(definition_id) = text_of("policyDefinitionId") else {
            return Err(error(
                item.start,
                "the assignment has no `policyDefinitionId` (expected the id of the definition or initiative it assigns)".into(),
            ));
        };
        let scope = text_of("scope")
            .or_else(|| scope_before(&id, "/providers/microsoft.authorization/policyassignments/"));
        let Some(scope) = scope else {
            return Err(error(
                item.start,
                "the assignment has neither `scope` nor an `id` that names its scope".into(),
            ));
        };
        let enforcement = text_of("enforcementMode").unwrap_or_else(|| "Default".into());
        if !["default", "donotenforce", "enforced"]
            .contains(&enforcement.to_ascii_lowercase().as_str())
        {
            return Err(error(
                item.start,
                format!("enforcementMode '{enforcement}' is not one of Default, DoNotEnforce"),
            ));
        }
        let parameters = parameter_values(p.get("parameters"));
        let name = text_of("name").unwrap_or_else(|| last_segment(&id).to_string());
        let id = if id.is_empty() {
            format!(
                "{}/providers/Microsoft.Authorization/policyAssignments/{name}",
                scope.trim_end_matches('/')
            )
        } else {
            id
        };
        out.assignments.push(Assignment {
            display_name: text_of("displayName").unwrap_or_else(|| name.clone()),
            id,
            name,
            definition_id,
            parameters,
            scope,
            not_scopes: strings(p.get("notScopes")),
            enforced: !enforcement.eq_ignore_ascii_case("DoNotEnforce"),
        });
    }
    Ok(out)
}

/// `id` with the placeholder subscription (a front end that cannot know the
/// subscription, such as Terraform's provider default) replaced by the
/// deployment scope's.
fn in_subscription(id: &str, deployment: Option<&DeploymentScope>) -> String {
    let subscription = match deployment {
        Some(DeploymentScope::Subscription(s)) => s,
        Some(DeploymentScope::ResourceGroup { subscription, .. }) => subscription,
        _ => return id.to_string(),
    };
    let placeholder = format!(
        "/subscriptions/{}",
        aml_model::context::DeploymentContext::PLACEHOLDER_ID
    );
    match id.get(..placeholder.len()) {
        Some(head) if head.eq_ignore_ascii_case(&placeholder) => {
            format!("/subscriptions/{subscription}{}", &id[placeholder.len()..])
        }
        _ => id.to_string(),
    }
}

/// The strings of a JSON array (`groupNames`, `notScopes`, ...); others are skipped.
fn strings(v: Option<&J>) -> Vec<String> {
    v.and_then(J::as_array)
        .into_iter()
        .flatten()
        .filter_map(J::as_str)
        .map(str::to_string)
        .collect()
}

/// Parameter values as assignments and initiative members write them
/// (`{"effect": {"value": "Deny"}}`), unwrapped; a bare value is kept.
fn parameter_values(parameters: Option<&J>) -> Map<String, J> {
    parameters
        .and_then(J::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.get("value").cloned().unwrap_or(v.clone())))
                .collect()
        })
        .unwrap_or_default()
}

/// The part of `id` before `marker` (matched case-insensitively).
fn scope_before(id: &str, marker: &str) -> Option<String> {
    let at = id.to_ascii_lowercase().find(marker)?;
    let scope = &id[..at];
    Some(if scope.is_empty() {
        "/".into()
    } else {
        scope.to_string()
    })
}

fn to_json(n: &Node) -> J {
    match &n.kind {
        NodeKind::Null => J::Null,
        NodeKind::Bool(b) => J::Bool(*b),
        NodeKind::Int(i) => J::from(*i),
        NodeKind::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        NodeKind::String(s) => J::String(s.clone()),
        NodeKind::Array(a) => J::Array(a.iter().map(to_json).collect()),
        NodeKind::Object(m) => J::Object(
            m.iter()
                .map(|m| (m.key.clone(), to_json(&m.value)))
                .collect(),
        ),
    }
}

/// Where the scanned files would be deployed (`--deployment-scope`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeploymentScope {
    ManagementGroup(String),
    Subscription(String),
    ResourceGroup { subscription: String, name: String },
}

impl DeploymentScope {
    /// Parses `/subscriptions/ID/resourceGroups/RG`, `/subscriptions/ID` or
    /// `/providers/Microsoft.Management/managementGroups/MG`.
    pub fn parse(s: &str) -> Result<DeploymentScope, String> {
        let parts: Vec<&str> = s.split('/').filter(|p| !p.is_empty()).collect();
        let is = |i: usize, k: &str| parts.get(i).is_some_and(|p| p.eq_ignore_ascii_case(k));
        match parts.len() {
            2 if is(0, "subscriptions") => Ok(DeploymentScope::Subscription(parts[1].into())),
            4 if is(0, "subscriptions") && is(2, "resourceGroups") => Ok(DeploymentScope::ResourceGroup {
                subscription: parts[1].into(),
                name: parts[3].into(),
            }),
            4 if is(0, "providers") && is(1, "Microsoft.Management") && is(2, "managementGroups") => {
                Ok(DeploymentScope::ManagementGroup(parts[3].into()))
            }
            _ => Err(format!(
                "'{s}' is not a deployment scope (expected /subscriptions/ID/resourceGroups/RG, /subscriptions/ID or /providers/Microsoft.Management/managementGroups/MG)"
            )),
        }
    }

    /// The scope's id.
    pub fn id(&self) -> String {
        match self {
            DeploymentScope::ManagementGroup(m) => {
                format!("/providers/Microsoft.Management/managementGroups/{m}")
            }
            DeploymentScope::Subscription(s) => format!("/subscriptions/{s}"),
            DeploymentScope::ResourceGroup { subscription, name } => {
                format!("/subscriptions/{subscription}/resourceGroups/{name}")
            }
        }
    }
}

/// Whether a scope holds a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Containment {
    Yes,
    No,
    /// The files and the options do not say (the reason, for messages).
    Unknown(String),
}

fn segments(id: &str) -> Vec<String> {
    id.split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

fn is_management_group(segs: &[String]) -> bool {
    segs.len() >= 4
        && segs[0] == "providers"
        && segs[1] == "microsoft.management"
        && segs[2] == "managementgroups"
}

/// Whether `scope` contains the resource `resource_id`. With no deployment
/// scope the resource ids hold placeholders, so a subscription, resource
/// group or resource scope is unknown; a management group's hierarchy is not
/// known offline, so one contains a resource of a subscription only
/// `assumed` (assignments: the list is the scope's own, inherited ones
/// included) and is otherwise unknown (notScopes, exemptions).
pub fn contains(
    scope: &str,
    resource_id: &str,
    deployment: Option<&DeploymentScope>,
    assumed: bool,
) -> Containment {
    let outer = segments(scope);
    let inner = segments(resource_id);
    if outer.is_empty() {
        // The tenant root.
        return Containment::Yes;
    }
    if inner.len() >= outer.len() && inner[..outer.len()] == outer[..] {
        return Containment::Yes;
    }
    if is_management_group(&outer) {
        let own_group = matches!(deployment, Some(DeploymentScope::ManagementGroup(_)));
        if own_group || is_management_group(&inner) {
            // A resource at another management group: siblings, or a
            // hierarchy not known offline.
            return if assumed {
                Containment::Yes
            } else {
                Containment::No
            };
        }
        return if assumed {
            Containment::Yes
        } else {
            Containment::Unknown(format!(
                "whether management group '{}' holds the deployment's subscription (the hierarchy is not known offline)",
                outer.get(3).map(String::as_str).unwrap_or_default()
            ))
        };
    }
    match deployment {
        Some(_) => Containment::No,
        None => Containment::Unknown(
            "the deployment scope, which decides whether the scope applies (give --deployment-scope)".into(),
        ),
    }
}

/// One definition as an assignment gives it: directly, or as a member of
/// the initiative it assigns, with its parameters resolved.
#[derive(Clone, Debug)]
pub struct Binding {
    /// Index into [`AssignmentSet::assignments`].
    pub assignment: usize,
    /// The member's `policyDefinitionReferenceId`, for an initiative.
    pub reference_id: Option<String>,
    /// The definition's index in the library's engine.
    pub definition: usize,
    /// The definition's parameter values (its defaults apply under them).
    pub params: Map<String, J>,
    /// The effect these parameters give, in Azure's casing.
    pub effect: Option<String>,
    /// The initiative's `groupNames` for the member.
    pub groups: Vec<String>,
}

/// Assignments resolved against a library.
pub struct AssignmentSet {
    pub library: PolicyLibrary,
    pub assignments: Vec<Assignment>,
    pub exemptions: Vec<Exemption>,
    pub bindings: Vec<Binding>,
}

/// Whether a binding applies to a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applicability {
    Applies,
    /// The resource is outside the assignment's scope.
    OutOfScope,
    /// Under one of the assignment's `notScopes`.
    NotScoped(String),
    /// Exempted (the exemption's name and category).
    Exempted {
        name: String,
        category: String,
    },
    /// The options do not decide it: why.
    Unknown(String),
}

impl AssignmentSet {
    /// Resolves every assignment's definition or initiative. Returns the
    /// set and, per assignment that cannot be resolved fully, its index and
    /// what is wrong (that assignment, or member, is left out).
    pub fn resolve(
        library: PolicyLibrary,
        file: AssignmentFile,
    ) -> (AssignmentSet, Vec<(usize, String)>) {
        let (bindings, problems) = bindings_of(&library, &file.assignments);
        (
            AssignmentSet {
                library,
                assignments: file.assignments,
                exemptions: file.exemptions,
                bindings,
            },
            problems,
        )
    }

    /// The bindings of other assignments against the same library (their
    /// `assignment` indices are into `file.assignments`), and the problems.
    pub fn resolve_more(&self, file: AssignmentFile) -> (Vec<Binding>, Vec<(usize, String)>) {
        bindings_of(&self.library, &file.assignments)
    }

    /// Whether `binding` applies to the resource `resource_id`: inside the
    /// assignment's scope, under none of its `notScopes`, and not exempted
    /// by an exemption that has not expired by `today` (`YYYY-MM-DD`).
    pub fn applies(
        &self,
        binding: &Binding,
        resource_id: &str,
        deployment: Option<&DeploymentScope>,
        today: &str,
    ) -> Applicability {
        let a = &self.assignments[binding.assignment];
        let resource_id = &in_subscription(resource_id, deployment);
        let mut unknown = None;
        match contains(&a.scope, resource_id, deployment, true) {
            Containment::Yes => {}
            Containment::No => return Applicability::OutOfScope,
            Containment::Unknown(why) => unknown = Some(why),
        }
        for ns in &a.not_scopes {
            match contains(ns, resource_id, deployment, false) {
                Containment::Yes => return Applicability::NotScoped(ns.clone()),
                Containment::No => {}
                Containment::Unknown(why) => {
                    unknown.get_or_insert(format!(
                        "whether notScope '{ns}' holds the resource: {why}"
                    ));
                }
            }
        }
        for e in &self.exemptions {
            if !e.assignment_id.eq_ignore_ascii_case(&a.id) {
                continue;
            }
            if let Some(reference) = &binding.reference_id {
                if !e.reference_ids.is_empty()
                    && !e
                        .reference_ids
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(reference))
                {
                    continue;
                }
            }
            if e.expires_on
                .as_deref()
                .is_some_and(|x| x.get(..10).is_some_and(|d| d < today))
            {
                continue;
            }
            match contains(&e.scope, resource_id, deployment, false) {
                Containment::Yes => {
                    return Applicability::Exempted {
                        name: e.name.clone(),
                        category: e.category.clone(),
                    }
                }
                Containment::No => {}
                Containment::Unknown(why) => {
                    unknown.get_or_insert(format!(
                        "whether exemption '{}' covers the resource: {why}",
                        e.name
                    ));
                }
            }
        }
        match unknown {
            Some(why) => Applicability::Unknown(why),
            None => Applicability::Applies,
        }
    }
}

/// Resolves assignments into bindings; the problems by assignment index.
fn bindings_of(
    library: &PolicyLibrary,
    assignments: &[Assignment],
) -> (Vec<Binding>, Vec<(usize, String)>) {
    let mut bindings = Vec::new();
    let mut problems = Vec::new();
    for (ai, a) in assignments.iter().enumerate() {
        let target = last_segment(&a.definition_id);
        let is_set = a
            .definition_id
            .to_ascii_lowercase()
            .contains("/policysetdefinitions/");
        let initiative = library.initiative(target);
        if is_set || (initiative.is_some() && library.definition(target).is_none()) {
            let Some(init) = initiative else {
                problems.push((
                        ai,
                        format!(
                            "assignment '{}' assigns initiative '{target}', which is neither in the --policies folder nor shipped",
                            a.name
                        ),
                    ));
                continue;
            };
            initiative_bindings(library, ai, a, init, &mut bindings, &mut problems);
            continue;
        }
        let Some(def) = library.definition(target) else {
            problems.push((
                    ai,
                    format!(
                        "assignment '{}' assigns definition '{target}', which is neither in the --policies folder nor shipped",
                        a.name
                    ),
                ));
            continue;
        };
        bindings.push(Binding {
            assignment: ai,
            reference_id: None,
            definition: def,
            effect: library.engine.effect(def, &a.parameters),
            params: a.parameters.clone(),
            groups: Vec::new(),
        });
    }
    (bindings, problems)
}

/// The initiative's parameter values for an assignment: its defaults, under
/// the assignment's values (names matched case-insensitively).
fn initiative_values(init: &Initiative, a: &Assignment) -> Map<String, J> {
    let mut values: Map<String, J> = init
        .parameters
        .iter()
        .filter_map(|(k, d)| Some((k.clone(), d.clone()?)))
        .collect();
    for (k, v) in &a.parameters {
        let key = init
            .parameters
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map_or_else(|| k.clone(), |(n, _)| n.clone());
        values.insert(key, v.clone());
    }
    values
}

/// The bindings of assignment `ai` of initiative `init`: one per member
/// whose definition is known, with its parameters resolved as Azure does
/// (`[parameters('x')]` from the assignment over the initiative's defaults;
/// a parameter the member does not set takes the definition's default).
/// Members that cannot be resolved are problems; none is dropped silently.
fn initiative_bindings(
    library: &PolicyLibrary,
    ai: usize,
    a: &Assignment,
    init: &Initiative,
    bindings: &mut Vec<Binding>,
    problems: &mut Vec<(usize, String)>,
) {
    let values = initiative_values(init, a);
    let mut unresolved = Vec::new();
    for m in &init.members {
        let Some(def) = library.definition(&m.definition) else {
            unresolved.push(m.definition.as_str());
            continue;
        };
        let mut params = Map::new();
        let mut ok = true;
        for (k, v) in &m.parameters {
            match member_value(v, &values) {
                Ok(v) => {
                    params.insert(k.clone(), v);
                }
                Err(why) => {
                    problems.push((
                        ai,
                        format!(
                            "initiative '{}' member '{}' parameter '{k}': {why}; the member is not evaluated",
                            init.name, m.reference_id
                        ),
                    ));
                    ok = false;
                }
            }
        }
        if ok {
            bindings.push(Binding {
                assignment: ai,
                reference_id: Some(m.reference_id.clone()),
                definition: def,
                effect: library.engine.effect(def, &params),
                params,
                groups: m.groups.clone(),
            });
        }
    }
    if !unresolved.is_empty() {
        problems.push((ai, unresolved_members(a, init, &unresolved)));
    }
}

/// The problem of an initiative's members whose definitions are unknown:
/// how many, the first few, and that they are not evaluated. For a shipped
/// initiative, they are the members aml-baseline does not ship (definitions
/// for other services).
fn unresolved_members(a: &Assignment, init: &Initiative, unresolved: &[&str]) -> String {
    let shown: Vec<&str> = unresolved.iter().take(5).copied().collect();
    let more = if unresolved.len() > shown.len() {
        ", ..."
    } else {
        ""
    };
    let all = unresolved.len() == init.members.len();
    let how_many = if all {
        format!("all {} members", init.members.len())
    } else {
        format!("{} of the {} members", unresolved.len(), init.members.len())
    };
    let outcome = if all {
        "nothing of the initiative is evaluated"
    } else {
        "they are not evaluated"
    };
    if init.is_shipped() {
        return format!(
            "assignment '{}': {how_many} of initiative {} (shipped with aml-baseline) name definitions for other services, which aml-baseline does not ship ({}{more}); {outcome} (docs/policies.md lists the members that are)",
            a.name,
            init.label(),
            shown.join(", ")
        );
    }
    format!(
        "assignment '{}': {how_many} of initiative '{}' name definitions that are neither in the --policies folder nor shipped ({}{more}); {outcome}",
        a.name,
        init.name,
        shown.join(", ")
    )
}

/// A member's parameter value: a literal, `[[...` (an escaped literal), or
/// `[parameters('x')]` read from the initiative's values.
fn member_value(v: &J, values: &Map<String, J>) -> Result<J, String> {
    let Some(s) = v.as_str() else {
        return Ok(v.clone());
    };
    if let Some(rest) = s.strip_prefix("[[") {
        return Ok(J::String(format!("[{rest}")));
    }
    if !s.starts_with('[') {
        return Ok(v.clone());
    }
    match super::rewrite::param_ref(s) {
        Some(p) => values
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(p))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| {
                format!("the initiative's parameter '{p}' has no value (no default, not assigned)")
            }),
        None => Err(format!(
            "the expression {s} is not supported (only [parameters('name')] and literals)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_contain() {
        let rg = DeploymentScope::parse("/subscriptions/s1/resourceGroups/rg1").unwrap();
        assert_eq!(rg.id(), "/subscriptions/s1/resourceGroups/rg1");
        assert_eq!(
            in_subscription("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/tf/providers/X/y/z", Some(&rg)),
            "/subscriptions/s1/resourceGroups/tf/providers/X/y/z"
        );
        assert!(DeploymentScope::parse("/subscriptions").is_err());
        let id = "/subscriptions/S1/resourceGroups/RG1/providers/Microsoft.MachineLearningServices/workspaces/w";
        assert_eq!(
            contains("/subscriptions/s1", id, Some(&rg), true),
            Containment::Yes
        );
        assert_eq!(
            contains("/subscriptions/s2", id, Some(&rg), true),
            Containment::No
        );
        assert_eq!(
            contains("/subscriptions/s1/resourceGroups/rg1x", id, Some(&rg), true),
            Containment::No
        );
        let mg = "/providers/Microsoft.Management/managementGroups/corp";
        assert_eq!(contains(mg, id, Some(&rg), true), Containment::Yes);
        assert!(matches!(
            contains(mg, id, Some(&rg), false),
            Containment::Unknown(_)
        ));
        let placeholder =
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/X/y/z";
        assert!(matches!(
            contains("/subscriptions/s1", placeholder, None, true),
            Containment::Unknown(_)
        ));
    }

    #[test]
    fn assignments_and_exemptions_are_read_with_positions() {
        let text = r#"[
          {"id": "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/a1",
           "name": "a1", "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/x",
           "parameters": {"effect": {"value": "Deny"}}, "notScopes": ["/subscriptions/s1/resourceGroups/sandbox"],
           "enforcementMode": "DoNotEnforce"},
          {"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Authorization/policyExemptions/e1",
           "policyAssignmentId": "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/a1",
           "exemptionCategory": "Mitigated"}
        ]"#;
        let f = parse_assignments("a.json", text).unwrap();
        let a = &f.assignments[0];
        assert_eq!(a.scope, "/subscriptions/s1");
        assert_eq!(a.parameters["effect"], J::from("Deny"));
        assert!(!a.enforced);
        assert_eq!(f.exemptions[0].scope, "/subscriptions/s1/resourceGroups/rg");
        let e =
            parse_assignments("a.json", "[\n  {\"name\": \"x\", \"scope\": \"/\"}\n]").unwrap_err();
        assert_eq!((e.line, e.col), (2, 3));
        assert!(e.message.contains("policyDefinitionId"), "{}", e.message);
        let e = parse_assignments("a.json", "[\n  {,}\n]").unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn member_values_resolve_parameters() {
        let mut values = Map::new();
        values.insert("Effect".into(), J::from("Deny"));
        assert_eq!(
            member_value(&J::from("[parameters('effect')]"), &values).unwrap(),
            J::from("Deny")
        );
        assert_eq!(
            member_value(&J::from("[[x]"), &values).unwrap(),
            J::from("[x]")
        );
        assert!(member_value(&J::from("[parameters('other')]"), &values).is_err());
        assert!(member_value(&J::from("[concat('a')]"), &values).is_err());
    }
}
