//! The deployment model: the ARM resources Azure would hold after the
//! deployment, whatever format they were written in.
//!
//! Every resource keeps where it came from and, for each property path, the
//! span of the text that set it, so that a finding can point at the line to
//! change (and, where a property is absent, at the resource itself).

use crate::source::Span;
use crate::value::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Everything one scan found: resources from every input, in a stable order.
#[derive(Debug, Default)]
pub struct Model {
    pub resources: Vec<Resource>,
    /// What Azure itself says about resources of live exports (Azure Policy
    /// compliance states, Defender for Cloud assessments), to set beside ours.
    pub azure_verdicts: Vec<AzureVerdict>,
    /// What Azure Policy's `checkPolicyRestrictions` answered on resources of
    /// the files (`scan --verify-online`), by lower-case resource id.
    pub restrictions: BTreeMap<String, crate::restrictions::Restrictions>,
    /// Every value to redact from every output: the values of secure
    /// parameters (see `protected_secrets`) and credential values written
    /// inline in the files (see [`Model::collect_inline_credentials`]).
    pub secrets: Vec<String>,
    /// Values that came from secure inputs (secure parameters, sensitive
    /// variables): a credential with one of these values is protected, not
    /// written in the files (the IM-8 rules tell them apart).
    pub protected_secrets: Vec<String>,
    /// Secure parameters whose default value is a literal secret, per
    /// deployment (read by rule AMLB-IM8-004; the value itself is not kept).
    pub secure_defaults: Vec<SecureDefault>,
    /// Where secrets are written in the files, whatever their spelling:
    /// masked in every source text shown (snippets, diffs).
    pub secret_spans: crate::redact::SecretSpans,
    /// Secret values whose written form has no recorded span (a value given
    /// on the command line, a credential set through a variable): also
    /// masked by value in source text, as a fallback.
    pub unlocated_secrets: Vec<String>,
    /// [`Model::secrets`] as a matcher, built on first use (see [`Model::redactor`]).
    pub(crate) redactor: std::sync::OnceLock<crate::redact::Redactor>,
    /// [`Model::unlocated_secrets`] as a matcher (see [`Model::source_redactor`]).
    pub(crate) source_redactor: std::sync::OnceLock<crate::redact::Redactor>,
    /// The secret values written in each file: a copy of one elsewhere in
    /// the same file is the secret too, and is masked by value there (and
    /// only there).
    pub file_secrets: std::collections::HashMap<crate::source::FileId, Vec<String>>,
    /// [`Model::file_secrets`] as matchers, built on first use per file.
    pub(crate) file_redactors: std::sync::Mutex<
        std::collections::HashMap<crate::source::FileId, std::sync::Arc<crate::redact::Redactor>>,
    >,
    /// Resources by deployment, built on first use (see [`Model::in_deployment`]).
    pub(crate) by_deployment: std::sync::OnceLock<DeploymentIndex>,
    /// Resources by the string value of one property, per (lower-case type,
    /// path), each built on first use (see [`Model::positions_with_property`]).
    pub(crate) by_property: std::sync::Mutex<
        std::collections::HashMap<(String, String), std::sync::Arc<PropertyIndex>>,
    >,
}

/// (deployment, string value) → indices into [`Model::resources`] of the
/// resources of one type whose property holds that value (case-insensitive),
/// in model order.
pub(crate) type PropertyIndex = Postings;

use crate::postings::{Key, Postings};

/// The resources of each deployment, by type, id and link, so that a lookup
/// inside a deployment never walks the whole deployment (issue 20: a live
/// export's deployments are whole resource groups). Every list holds indices
/// into [`Model::resources`] in model order.
#[derive(Debug, Default)]
pub(crate) struct DeploymentIndex {
    /// deployment → its resources.
    members: Postings,
    /// (deployment, id) → the resources with that id.
    ids: Postings,
    /// id → the resources with that id in every deployment.
    scan_ids: Postings,
    /// (deployment, type) → the resources of that type.
    types: Postings,
    /// (deployment, id) → the resources whose scope or parent is that id.
    links: Postings,
    /// (deployment, type, resource group id) → the resources of that type
    /// with neither scope nor parent, by the resource group their id names
    /// (`None`: no resource group).
    unlinked: Postings,
    /// (deployment, type) → the resources of that type whose link (scope,
    /// else parent) holds a placeholder.
    open_links: Postings,
    /// deployment → its secure parameters with a literal default (indices
    /// into [`Model::secure_defaults`]).
    secure_defaults: Postings,
}

/// `/subscriptions/s/resourcegroups/rg` of a lower-case id, when it names a
/// resource group before its first `/providers/`.
pub fn resource_group_of(id: &str) -> Option<&str> {
    let idx = id.find("/providers/")?;
    let head = &id[..idx];
    head.contains("/resourcegroups/").then_some(head)
}

/// A secure parameter (`securestring`, `secureObject`, Bicep `@secure()`)
/// whose default value is written in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecureDefault {
    /// The deployment (see [`Resource::deployment`]) the parameter belongs to.
    pub deployment: u32,
    /// The parameter's name.
    pub name: String,
    /// Where the default value is written.
    pub span: Span,
}

/// The source of Azure's answers to `checkPolicyRestrictions` on resources
/// of the files, before they exist (`scan --verify-online`).
pub const RESTRICTIONS: &str = "check-policy-restrictions";

/// Azure's verdict on one resource for one policy definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AzureVerdict {
    /// The resource id, lower case.
    pub resource_id: String,
    /// The policy definition's name (GUID), lower case.
    pub definition: String,
    /// `Compliant`, `NonCompliant`, `Exempt`, `Unknown` (policy),
    /// `Healthy`, `Unhealthy`, `NotApplicable` (Defender for Cloud), or
    /// `Denied`, `NotDenied` (`checkPolicyRestrictions`, [`RESTRICTIONS`]).
    pub state: String,
    /// `azure-policy`, `defender-for-cloud` or [`RESTRICTIONS`].
    pub source: &'static str,
}

impl AzureVerdict {
    /// Whether Azure says the resource complies (`Some(true)`), does not
    /// (`Some(false)`), or neither (exempt, not applicable, unknown).
    pub fn compliant(&self) -> Option<bool> {
        match self.state.to_ascii_lowercase().as_str() {
            "compliant" | "healthy" | "notdenied" => Some(true),
            "noncompliant" | "unhealthy" | "denied" => Some(false),
            _ => None,
        }
    }
}

/// Whether a resource is deployed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deployed {
    /// Always deployed.
    Yes,
    /// Its `condition` depends on a value the files do not fix.
    Unknown { expr: String },
}

/// How [`Deployed::Unknown`] starts for a resource that stands for what a
/// partial live export could not read (see [`Resource::is_unread`]).
pub const UNREAD: &str = "not read from Azure: ";

/// A resource's input names by lower-case ARM path (see
/// [`Resource::source_names`]): one set a Terraform resource type, shared.
pub type SourceNames = std::sync::Arc<BTreeMap<String, String>>;

/// One ARM resource as Azure would hold it.
#[derive(Clone, Debug)]
pub struct Resource {
    /// Canonical resource id (`/subscriptions/.../providers/Microsoft.X/a/n`).
    pub id: String,
    /// Full resource type (`Microsoft.MachineLearningServices/workspaces/computes`).
    pub resource_type: String,
    /// Full name (`ws/ci` for a child resource).
    pub name: String,
    pub api_version: Option<String>,
    /// The ARM resource object: `type`, `name`, `apiVersion`, `location`,
    /// `kind`, `sku`, `identity`, `tags`, `properties`, ... with the full type
    /// and name. May contain [`Value::Unknown`].
    pub body: Value,
    /// The id of the parent resource, for child resources.
    pub parent_id: Option<String>,
    /// The id of the resource an extension resource applies to (`scope`).
    pub scope_id: Option<String>,
    /// An `existing` reference: read for relations, not deployed, no rule applies.
    pub existing: bool,
    pub deployed: Deployed,
    /// Where the resource is declared (its object in the source).
    pub span: Span,
    /// Symbolic name, Bicep symbol or Terraform address, when there is one.
    pub symbol: Option<String>,
    /// Span of the text that set each property, keyed by lower-case path
    /// (`properties.publicnetworkaccess`, `properties.ipallowlist[0]`).
    pub spans: crate::span_map::SpanMap,
    /// The input format the resource came from (`arm`, `bicep`, `terraform`).
    pub format: &'static str,
    /// Which deployment (entry template, Bicep entry point, Terraform root
    /// module) the resource belongs to. Relations between resources (private
    /// endpoints, diagnostic settings) are only made within one deployment.
    pub deployment: u32,
    /// How the input names ARM property paths, for formats that do not
    /// write ARM (Terraform arguments and blocks, CLI YAML keys): lower-case
    /// ARM path → the path as written (`managed_network[0].isolation_mode`,
    /// `network_settings.subnet`). See [`Resource::in_own_words`].
    pub source_names: Option<SourceNames>,
}

/// The ARM type of Azure Machine Learning workspaces (and hubs, projects,
/// feature stores).
pub const WORKSPACE_TYPE: &str = "Microsoft.MachineLearningServices/workspaces";

/// The kind of an Azure Machine Learning workspace (its `kind`, compared
/// case-insensitively as Azure does; absent is `Default`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkspaceKind {
    /// A workspace of its own (`kind` absent or `Default`).
    Default,
    /// An AI Foundry hub: its storage, key vault, registry, network and
    /// encryption are shared by its projects.
    Hub,
    /// An AI Foundry project (`properties.hubResourceId` names its hub): it
    /// takes its network isolation, managed network, storage, key vault and
    /// encryption from the hub.
    Project,
    /// A feature store (with an offline store, and optionally an online one).
    FeatureStore,
}

impl WorkspaceKind {
    /// Reads a `kind` value (case-insensitive; `featurestore`, `feature_store`).
    pub fn parse(s: &str) -> Option<WorkspaceKind> {
        let k: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match k.as_str() {
            "" | "default" => WorkspaceKind::Default,
            "hub" => WorkspaceKind::Hub,
            "project" => WorkspaceKind::Project,
            "featurestore" => WorkspaceKind::FeatureStore,
            _ => return None,
        })
    }

    /// Azure's spelling (`Default`, `Hub`, `Project`, `FeatureStore`).
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceKind::Default => "Default",
            WorkspaceKind::Hub => "Hub",
            WorkspaceKind::Project => "Project",
            WorkspaceKind::FeatureStore => "FeatureStore",
        }
    }

    /// In words, for messages (`workspace`, `hub`, `project`, `feature store`).
    pub fn noun(self) -> &'static str {
        match self {
            WorkspaceKind::Default => "workspace",
            WorkspaceKind::Hub => "hub",
            WorkspaceKind::Project => "project",
            WorkspaceKind::FeatureStore => "feature store",
        }
    }
}

/// What a workspace's `kind` says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KindOf<'v> {
    /// One of the kinds Azure knows (absent is `Default`).
    Known(WorkspaceKind),
    /// A kind the files do not fix.
    Unknown(&'v Value),
    /// Some other text (a kind this tool does not know).
    Other(&'v str),
}

impl Resource {
    /// True for an Azure Machine Learning workspace of any kind.
    pub fn is_workspace(&self) -> bool {
        self.is_type(WORKSPACE_TYPE)
    }

    /// The kind of a workspace; `None` for other resource types.
    pub fn workspace_kind(&self) -> Option<KindOf<'_>> {
        if !self.is_workspace() {
            return None;
        }
        Some(match self.body.get("kind") {
            None | Some(Value::Null) => KindOf::Known(WorkspaceKind::Default),
            Some(Value::String(s)) => match WorkspaceKind::parse(s) {
                Some(k) => KindOf::Known(k),
                None => KindOf::Other(s),
            },
            Some(v @ Value::Unknown(_)) => KindOf::Unknown(v),
            Some(_) => KindOf::Known(WorkspaceKind::Default),
        })
    }

    /// True for a workspace whose kind is known to be `kind`.
    pub fn is_kind(&self, kind: WorkspaceKind) -> bool {
        self.workspace_kind() == Some(KindOf::Known(kind))
    }

    /// A project's hub: `properties.hubResourceId` (`None` when absent).
    pub fn hub_resource_id(&self) -> Option<&Value> {
        self.get("properties.hubResourceId")
            .filter(|v| !matches!(v, Value::Null))
    }
}

impl Resource {
    /// A stand-in for resources a partial live export could not read: every
    /// rule that judges its type gives `unknown` on it, never a verdict.
    pub fn is_unread(&self) -> bool {
        matches!(&self.deployed, Deployed::Unknown { expr } if expr.starts_with(UNREAD))
    }

    /// Span of the text that sets `path` (dotted, case-insensitive), or of the
    /// nearest enclosing value that is set, or of the resource itself.
    pub fn span_of(&self, path: &str) -> Span {
        let mut p = path.to_ascii_lowercase();
        loop {
            if let Some(s) = self.spans.get(&p) {
                return *s;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p.truncate(i),
                None => return self.span,
            }
        }
    }

    /// True when `path` is set in the source (not inherited from a default).
    pub fn is_set(&self, path: &str) -> bool {
        self.spans.contains_key(&path.to_ascii_lowercase())
    }

    /// Case-insensitive type comparison.
    pub fn is_type(&self, resource_type: &str) -> bool {
        self.resource_type.eq_ignore_ascii_case(resource_type)
    }

    /// The value at a dotted path in the body (`properties.publicNetworkAccess`).
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.body.get_path(path)
    }

    /// `message` in the input's own words: each ARM path written in
    /// backticks that the input names otherwise ([`Resource::source_names`])
    /// is said as the input says it, the ARM path second
    /// ("`isolation_mode` in the `managed_network` block
    /// (`properties.managedNetwork.isolationMode`)"). A bare property name
    /// (`publicNetworkAccess`) is translated when one ARM path of the
    /// resource ends with it. ARM, Bicep and live resources are unchanged.
    /// Unchanged (no copy) for a resource whose input writes ARM.
    pub fn in_own_words<'m>(&self, message: &'m str) -> std::borrow::Cow<'m, str> {
        let Some(names) = self.source_names.as_deref().filter(|n| !n.is_empty()) else {
            return std::borrow::Cow::Borrowed(message);
        };
        let mut out = String::with_capacity(message.len() + 32);
        let mut rest = message;
        while let Some(open) = rest.find('`') {
            let Some(len) = rest[open + 1..].find('`') else {
                break;
            };
            let quoted = &rest[open + 1..open + 1 + len];
            out.push_str(&rest[..open]);
            let after = &rest[open + len + 2..];
            match source_name(names, quoted) {
                Some(src) => {
                    out.push_str(&say(&src));
                    out.push_str(" (`");
                    out.push_str(quoted);
                    out.push_str("`)");
                }
                _ => {
                    out.push('`');
                    out.push_str(quoted);
                    out.push('`');
                }
            }
            rest = after;
        }
        out.push_str(rest);
        std::borrow::Cow::Owned(out)
    }
}

/// The input's name for an ARM path (or a bare property name that ends
/// exactly one of the recorded paths).
fn source_name(names: &BTreeMap<String, String>, quoted: &str) -> Option<String> {
    let lower = quoted.to_ascii_lowercase();
    if lower.is_empty() || lower.contains(' ') {
        return None;
    }
    if let Some(n) = names.get(&lower) {
        return Some(n.clone());
    }
    // A member of an object one argument sets (`subnet_resource_id` sets
    // `properties.properties.subnet`, so its `.id`).
    let mut parent = lower.as_str();
    while let Some((p, _)) = parent.rsplit_once('.') {
        parent = p;
        if let Some(n) = names.get(parent).filter(|n| !n.contains('[')) {
            return Some(n.clone());
        }
    }
    if lower.contains('.') {
        // A block: the ARM parent of a recorded path whose input path is in a block.
        return names.iter().find_map(|(arm, src)| {
            let rest = arm.strip_prefix(&lower)?.strip_prefix('.')?;
            let block = src.rsplit_once("].")?.0;
            (!rest.contains('.')).then(|| format!("{block}]"))
        });
    }
    // A bare name (no `.` in it): the paths whose last segment it is.
    let mut ends = names.iter().filter(|(arm, _)| {
        arm.strip_suffix(lower.as_str())
            .is_some_and(|head| head.is_empty() || head.ends_with('.'))
    });
    match (ends.next(), ends.next()) {
        (Some((_, src)), None) => Some(src.clone()),
        _ => None,
    }
}

/// An input path as words: `a[0].b` is "`b` in the `a` block", `a[0]` "the
/// `a` block", `!a` (an inverted boolean) "the opposite of `a`", anything
/// else itself in backticks.
fn say(src: &str) -> String {
    if let Some(inverted) = src.strip_prefix('!') {
        return format!("the opposite of {}", say(inverted));
    }
    let plain = |s: &str| {
        let mut out = String::new();
        let mut skip = false;
        for c in s.chars() {
            match c {
                '[' => skip = true,
                ']' => skip = false,
                c if !skip => out.push(c),
                _ => {}
            }
        }
        out
    };
    if let Some((block, leaf)) = src.rsplit_once("].") {
        return format!("`{}` in the `{}` block", leaf, plain(&format!("{block}]")));
    }
    if src.ends_with(']') {
        return format!("the `{}` block", plain(src));
    }
    format!("`{src}`")
}

/// How two resource ids compare when either may hold placeholders
/// (`[parameters('n')]`, see [`crate::value::Unknown::placeholder`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdMatch {
    /// The same resource: equal ids (case-insensitive), placeholders included.
    Same,
    /// Equal where both are known, with a placeholder where the other has
    /// something else: the files do not decide whether they are one resource.
    Maybe,
    /// Different resources.
    Different,
}

/// Compares two resource ids segment by segment; see [`IdMatch`]. A whole id
/// that is a placeholder (an id the files do not fix at all) may be anything.
pub fn match_ids(a: &str, b: &str) -> IdMatch {
    if a.eq_ignore_ascii_case(b) {
        return IdMatch::Same;
    }
    let (x, y) = (id_segments(a), id_segments(b));
    let whole = |s: &[&str]| s.len() == 1 && is_placeholder(s[0]);
    if whole(&x) || whole(&y) {
        return IdMatch::Maybe;
    }
    if x.len() != y.len() {
        return IdMatch::Different;
    }
    let mut maybe = false;
    for (p, q) in x.iter().zip(&y) {
        if p.eq_ignore_ascii_case(q) {
            continue;
        }
        if is_placeholder(p) || is_placeholder(q) {
            maybe = true;
        } else {
            return IdMatch::Different;
        }
    }
    if maybe {
        IdMatch::Maybe
    } else {
        IdMatch::Same
    }
}

/// The full resource type an id names (`Microsoft.Network/virtualNetworks/subnets`),
/// from its last `/providers/` part; `None` for scope ids.
pub fn resource_type_of(id: &str) -> Option<String> {
    let segs = id_segments(id);
    let at = segs
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))?;
    let rest = &segs[at + 1..];
    if rest.len() < 3 || rest.len() % 2 == 0 {
        return None;
    }
    let mut t = rest[0].to_string();
    for ty in rest[1..].iter().step_by(2) {
        t.push('/');
        t.push_str(ty);
    }
    Some(t)
}

/// True for a placeholder segment: `[expression]`.
pub fn is_placeholder(segment: &str) -> bool {
    segment.len() >= 2 && segment.starts_with('[') && segment.ends_with(']')
}

/// True when an id holds a placeholder anywhere.
pub fn has_placeholder(id: &str) -> bool {
    id_segments(id).iter().any(|s| is_placeholder(s))
}

/// The `/`-separated segments of an id, a placeholder kept whole even when
/// its expression holds `/` (`[resourceId('Microsoft.X/y', 'n')]`).
fn id_segments(id: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0usize);
    for (i, c) in id.char_indices() {
        match c {
            '\'' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            '/' if depth == 0 => {
                if i > start {
                    out.push(&id[start..i]);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < id.len() {
        out.push(&id[start..]);
    }
    out
}

/// Builds a canonical resource id from a scope id, a full type and a full name.
///
/// `scope` is the id of what the resource is deployed into: a resource group
/// (`/subscriptions/s/resourceGroups/rg`), a subscription, or, for an
/// extension resource, the resource it extends.
pub fn resource_id(scope: &str, full_type: &str, full_name: &str) -> String {
    let mut types = full_type.split('/');
    let namespace = types.next().unwrap_or_default();
    let scope = scope.trim_end_matches('/');
    // One allocation when the name has a segment for each type segment
    // after the namespace: the id is then at most the scope, `/providers/`,
    // the type, the name and one `/` (the type and the name hold all the
    // separators it adds but one).
    let mut id = String::with_capacity(
        scope.len() + "/providers/".len() + full_type.len() + full_name.len() + 1,
    );
    id.push_str(scope);
    id.push_str("/providers/");
    id.push_str(namespace);
    let mut names = full_name.split('/');
    for t in types {
        id.push('/');
        id.push_str(t);
        id.push('/');
        id.push_str(names.next().unwrap_or_default());
    }
    id
}

/// The first position of `needle` in `hay`, ASCII case ignored (as
/// `hay.to_ascii_lowercase().find(needle)` with a lower-case needle finds
/// it, without the copy): compared only where `memchr` finds its first
/// byte, in either case.
pub fn find_ignoring_ascii_case(hay: &str, needle: &str) -> Option<usize> {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = needle.first() else {
        return Some(0);
    };
    let (a, b) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut from = 0;
    while let Some(i) = memchr::memchr2(a, b, hay.get(from..)?) {
        let at = from + i;
        let candidate = hay.get(at..at + needle.len())?;
        if candidate.eq_ignore_ascii_case(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The last position of `needle` in `hay`, ASCII case ignored (as
/// `hay.to_ascii_lowercase().rfind(needle)` with a lower-case needle finds
/// it, without the copy): compared only where `memchr` finds its first
/// byte, in either case, from the end.
pub fn rfind_ignoring_ascii_case(hay: &str, needle: &str) -> Option<usize> {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = needle.first() else {
        return Some(hay.len());
    };
    let (a, b) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    // Only a start with the whole needle after it can match.
    let mut end = (hay.len() + 1).checked_sub(needle.len())?;
    while let Some(at) = memchr::memrchr2(a, b, &hay[..end]) {
        if hay[at..at + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(at);
        }
        end = at;
    }
    None
}

/// The parent id of a child resource id (drops the last `type/name` pair),
/// or `None` for a top-level resource.
pub fn parent_id(id: &str) -> Option<String> {
    let idx = rfind_ignoring_ascii_case(id, "/providers/")?;
    let tail = &id[idx + "/providers/".len()..];
    // namespace/type/name[/type/name]...
    let segs: Vec<&str> = tail.split('/').collect();
    if segs.len() <= 3 {
        return None;
    }
    let cut: usize = segs[segs.len() - 2..].iter().map(|s| s.len() + 1).sum();
    Some(id[..id.len() - cut].to_string())
}

/// A read-only property the service reports on a deployed resource, which
/// no template, Bicep file or Terraform configuration sets.
pub struct ServiceReported {
    pub resource_type: &'static str,
    /// Only resources with this value at this path (`properties.computeType`).
    pub when: Option<(&'static str, &'static str)>,
    /// The dotted path in the ARM body.
    pub path: &'static str,
    /// What the unknown names, and why it is unknown.
    pub expr: &'static str,
    pub reason: &'static str,
}

impl ServiceReported {
    fn applies(&self, r: &Resource) -> bool {
        self.when.is_none_or(|(path, value)| {
            r.get(path)
                .and_then(Value::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case(value))
        })
    }
}

/// Read-only properties rules read that only live state decides.
pub const SERVICE_REPORTED: &[ServiceReported] = &[ServiceReported {
    resource_type: "Microsoft.MachineLearningServices/workspaces/computes",
    when: Some(("properties.computeType", "ComputeInstance")),
    path: "properties.properties.osImageMetadata.isLatestOsImageVersion",
    expr: "osImageMetadata.isLatestOsImageVersion (reported by Azure on the deployed compute instance; scan a live export)",
    reason: "a read-only property the service reports after deployment; code does not decide it",
}];

/// Appends `key` with its ASCII letters in lower case (what mapping each
/// character through `to_ascii_lowercase` gives, one copy and one pass).
pub fn push_ascii_lowercase(out: &mut String, key: &str) {
    let start = out.len();
    out.push_str(key);
    out[start..].make_ascii_lowercase();
}

/// The lower-case path of `steps`: members joined by `.`, elements as
/// `[i]` (`a.b[0].c`), as resources' spans are keyed.
fn path_text(steps: &[Step]) -> String {
    let mut path = String::new();
    for step in steps {
        match step {
            Step::Key(key) => {
                if !path.is_empty() {
                    path.push('.');
                }
                push_ascii_lowercase(&mut path, key);
            }
            // Writing to a string cannot fail.
            Step::Index(i) => {
                let _ = write!(path, "[{i}]");
            }
        }
    }
    path
}

/// The credentials of one resource body, with the span that sets each.
struct CredentialWalk<'a> {
    resource: &'a Resource,
    /// Each value, with the span that sets it and whether it is YAML.
    found: &'a mut Vec<(String, Option<(Span, bool)>)>,
}

/// A step of the path [`CredentialWalk`] is at: a member or an element.
#[derive(Clone, Copy)]
enum Step<'v> {
    Key(&'v str),
    Index(usize),
}

impl CredentialWalk<'_> {
    /// Walks a body; `path` is the steps so far (pushed and popped: this
    /// runs over every property of every resource, and the path's text is
    /// made only where a secret is found).
    fn walk<'v>(
        &mut self,
        v: &'v Value,
        path: &mut Vec<Step<'v>>,
        scope: crate::secrets::Scope,
        depth: usize,
    ) {
        if depth > 64 {
            return;
        }
        match v {
            Value::String(s) if scope.is_secret() || looks_like_private_key(s) => {
                self.secret(v, &path_text(path))
            }
            Value::Object(o) => {
                for (key, value) in o {
                    let inner = match scope.member(key) {
                        crate::secrets::Kind::Secret => crate::secrets::Scope::secret(),
                        crate::secrets::Kind::Nested(inner) => inner,
                    };
                    path.push(Step::Key(key));
                    self.walk(value, path, inner, depth + 1);
                    path.pop();
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    path.push(Step::Index(i));
                    self.walk(x, path, scope, depth + 1);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// Records a secret string at `path` (and, for a multi-line key, each
    /// long line of it, as snippets show them line by line).
    fn secret(&mut self, v: &Value, path: &str) {
        let Value::String(s) = v else { return };
        if s.chars().count() < 4 {
            return;
        }
        let yaml = self.resource.format == "yaml";
        let span = self.span_of(path).map(|s| (s, yaml));
        self.found.push((s.clone(), span));
        if s.contains('\n') {
            self.found.extend(
                s.lines()
                    .map(str::trim)
                    .filter(|l| l.chars().count() >= 8)
                    .map(|l| (l.to_string(), span)),
            );
        }
    }

    /// The span that sets `path`, or the nearest enclosing value set by a
    /// span of its own (never the whole resource).
    fn span_of(&self, path: &str) -> Option<Span> {
        let mut p = path.to_string();
        loop {
            if let Some(s) = self.resource.spans.get(&p) {
                return (*s != self.resource.span).then_some(*s);
            }
            p.truncate(p.rfind(['.', '['])?);
        }
    }
}

/// True when the text at `span` is the literal value itself (a string,
/// heredoc or YAML scalar without expressions), so that masking the span
/// hides every written form of the value.
fn is_literal(text: &str, span: Span, yaml: bool) -> bool {
    let Some(t) = written_value(text, span) else {
        return false;
    };
    if t.contains("${") {
        return false;
    }
    // YAML has no variables: the span (key and value) holds the value.
    yaml || crate::secrets::is_literal_text(t)
}

/// True when the text at `span` only names where the value comes from (see
/// [`crate::secrets::is_reference`]): the span is not masked.
fn is_reference(text: &str, span: Span, yaml: bool) -> bool {
    !yaml && written_value(text, span).is_some_and(crate::secrets::is_reference)
}

/// The value written at `span`, after the key a Bicep (`adminPassword: x`)
/// or HCL (`admin_password = x`) property span starts with.
fn written_value(text: &str, span: Span) -> Option<&str> {
    let t = text.get(span.start as usize..span.end as usize)?;
    let split = t.find([':', '=']).filter(|&i| {
        let key = t[..i].trim();
        !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    });
    Some(match split {
        Some(i) => t[i + 1..].trim(),
        None => t.trim(),
    })
}

/// True for text holding a PEM or OpenSSH private key (`-----BEGIN ... PRIVATE KEY-----`),
/// whatever property it was written in (a private key pasted where a public key goes).
pub fn looks_like_private_key(s: &str) -> bool {
    // Every string of every file is asked: most are shorter than the marker.
    // The searcher is built once: building it for each string cost as much
    // as the search.
    const MARKER: &str = "PRIVATE KEY-----";
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(MARKER));
    s.len() >= MARKER.len() && FINDER.find(s.as_bytes()).is_some()
}

impl Model {
    fn deployment_index(&self) -> &DeploymentIndex {
        self.by_deployment.get_or_init(|| {
            use rayon::prelude::*;
            // One index at a time (each one's keys are dropped once it is
            // built), its keys made on every thread.
            // Each resource gives its keys to `add` (no vector a resource).
            type Keys<'k> = &'k (dyn Fn(&Resource, &mut dyn FnMut(Key)) + Sync);
            let each = |keys: Keys| {
                let entries = self
                    .resources
                    .par_iter()
                    .enumerate()
                    .fold(Vec::new, |mut entries, (i, r)| {
                        keys(r, &mut |k| entries.push((k, i)));
                        entries
                    })
                    .reduce(Vec::new, |mut a, b| {
                        a.extend(b);
                        a
                    });
                Postings::build(entries)
            };
            let in_deployment = |r: &Resource| Key::deployment(r.deployment);
            DeploymentIndex {
                members: each(&|r, add| add(in_deployment(r))),
                ids: each(&|r, add| add(in_deployment(r).lower(&r.id))),
                scan_ids: each(&|r, add| add(Key::default().lower(&r.id))),
                types: each(&|r, add| add(in_deployment(r).lower(&r.resource_type))),
                links: each(&|r, add| {
                    let (scope, parent) = (r.scope_id.as_deref(), r.parent_id.as_deref());
                    let parent =
                        parent.filter(|p| !scope.is_some_and(|s| s.eq_ignore_ascii_case(p)));
                    for link in [scope, parent].into_iter().flatten() {
                        add(in_deployment(r).lower(link));
                    }
                }),
                unlinked: each(&|r, add| {
                    if r.scope_id.is_some() || r.parent_id.is_some() {
                        return;
                    }
                    let id = r.id.to_ascii_lowercase();
                    let group = resource_group_of(&id);
                    add(in_deployment(r).lower(&r.resource_type).lower_opt(group));
                }),
                open_links: each(&|r, add| {
                    let link = r.scope_id.as_deref().or(r.parent_id.as_deref());
                    if link.is_some_and(has_placeholder) {
                        add(in_deployment(r).lower(&r.resource_type));
                    }
                }),
                secure_defaults: Postings::build(
                    self.secure_defaults
                        .iter()
                        .enumerate()
                        .map(|(k, s)| (Key::deployment(s.deployment), k))
                        .collect(),
                ),
            }
        })
    }

    /// One lookup in the deployment index: the list under `key`, counted.
    fn indexed<'a>(postings: &'a Postings, key: &Key) -> &'a [usize] {
        crate::work::add(crate::work::Work::Lookup, 1);
        let found = postings.get(key);
        crate::work::add(crate::work::Work::Scan, found.len());
        found
    }

    /// The resources of `deployment` of `resource_type` (case-insensitive),
    /// in model order.
    pub fn of_type_in_deployment<'a>(
        &'a self,
        deployment: u32,
        resource_type: &str,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        let key = Key::deployment(deployment).lower(resource_type);
        Self::indexed(&self.deployment_index().types, &key)
            .iter()
            .map(|&i| &self.resources[i])
    }

    /// The resources of `deployment` whose scope or parent is `id`
    /// (case-insensitive): its children and extension resources, in model
    /// order.
    pub fn linked_to_in_deployment<'a>(
        &'a self,
        deployment: u32,
        id: &str,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        self.linked_positions(deployment, id)
            .iter()
            .map(|&i| &self.resources[i])
    }

    /// The indices of [`Model::linked_to_in_deployment`].
    pub fn linked_positions(&self, deployment: u32, id: &str) -> &[usize] {
        let key = Key::deployment(deployment).lower(id);
        Self::indexed(&self.deployment_index().links, &key)
    }

    /// The indices of every resource of `deployment` with this id
    /// (case-insensitive), in model order.
    pub fn positions_with_id(&self, deployment: u32, id: &str) -> &[usize] {
        let key = Key::deployment(deployment).lower(id);
        Self::indexed(&self.deployment_index().ids, &key)
    }

    /// The indices of every resource of the scan, in any deployment, with
    /// this id (case-insensitive), in model order: for the few relations
    /// that cross deployments (a project's hub in another file).
    pub fn positions_with_id_in_scan(&self, id: &str) -> &[usize] {
        Self::indexed(&self.deployment_index().scan_ids, &Key::default().lower(id))
    }

    /// The indices of the resources of `deployment` of `resource_type` with
    /// neither scope nor parent whose id names the resource group `group`
    /// (lower case, as [`resource_group_of`] gives it; `None`: no resource
    /// group), in model order.
    pub fn unlinked_positions(
        &self,
        deployment: u32,
        resource_type: &str,
        group: Option<&str>,
    ) -> &[usize] {
        let key = Key::deployment(deployment)
            .lower(resource_type)
            .lower_opt(group);
        Self::indexed(&self.deployment_index().unlinked, &key)
    }

    /// The indices of the resources of `deployment` of `resource_type`
    /// whose link (scope, else parent) holds a placeholder, in model order.
    pub fn open_link_positions(&self, deployment: u32, resource_type: &str) -> &[usize] {
        let key = Key::deployment(deployment).lower(resource_type);
        Self::indexed(&self.deployment_index().open_links, &key)
    }

    /// The indices of the resources of `deployment` of `resource_type`, in
    /// model order.
    pub fn type_positions(&self, deployment: u32, resource_type: &str) -> &[usize] {
        let key = Key::deployment(deployment).lower(resource_type);
        Self::indexed(&self.deployment_index().types, &key)
    }

    /// The indices of the resources of `deployment` of `resource_type` whose
    /// property at `path` is the string `value` (case-insensitive), in model
    /// order. The index of each (type, path) is built on first use.
    pub fn positions_with_property(
        &self,
        deployment: u32,
        resource_type: &str,
        path: &str,
        value: &str,
    ) -> Vec<usize> {
        let key = (resource_type.to_ascii_lowercase(), path.to_string());
        let index = {
            let mut all = self.by_property.lock().unwrap_or_else(|e| e.into_inner());
            all.entry(key)
                .or_insert_with(|| {
                    let entries = self
                        .resources
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.is_type(resource_type))
                        .filter_map(|(i, r)| {
                            let v = r.get(path).and_then(Value::as_str)?;
                            Some((Key::deployment(r.deployment).lower(v), i))
                        })
                        .collect();
                    std::sync::Arc::new(PropertyIndex::build(entries))
                })
                .clone()
        };
        Self::indexed(&index, &Key::deployment(deployment).lower(value)).to_vec()
    }

    /// The secure parameters of `deployment` with a literal default, in
    /// model order.
    pub fn secure_defaults_of(&self, deployment: u32) -> impl Iterator<Item = &SecureDefault> + '_ {
        Self::indexed(
            &self.deployment_index().secure_defaults,
            &Key::deployment(deployment),
        )
        .iter()
        .map(|&k| &self.secure_defaults[k])
    }

    /// The resources of `deployment`, in model order. Indexed on first use:
    /// ask once the model is complete (rules and relations do).
    pub fn in_deployment(&self, deployment: u32) -> impl Iterator<Item = &Resource> + '_ {
        let members = self.deployment_members(deployment);
        crate::work::add(crate::work::Work::Scan, members.len());
        members.iter().map(|&i| &self.resources[i])
    }

    /// The first resource of `deployment` with this id (case-insensitive).
    pub fn find_in_deployment(&self, deployment: u32, id: &str) -> Option<&Resource> {
        self.position_in_deployment(deployment, id)
            .map(|i| &self.resources[i])
    }

    /// The index in [`Model::resources`] of the first resource of
    /// `deployment` with this id (case-insensitive).
    pub fn position_in_deployment(&self, deployment: u32, id: &str) -> Option<usize> {
        crate::work::add(crate::work::Work::Lookup, 1);
        let key = Key::deployment(deployment).lower(id);
        self.deployment_index().ids.get(&key).first().copied()
    }

    /// The indices in [`Model::resources`] of the resources of `deployment`,
    /// in model order.
    pub fn deployment_members(&self, deployment: u32) -> &[usize] {
        crate::work::add(crate::work::Work::Lookup, 1);
        self.deployment_index()
            .members
            .get(&Key::deployment(deployment))
    }

    /// The redactor of every value no output may show, built on first use:
    /// ask for it once the model is complete.
    pub fn redactor(&self) -> &crate::redact::Redactor {
        self.redactor
            .get_or_init(|| crate::redact::Redactor::new(&self.secrets))
    }

    /// Adds credential values written inline in the files (a datastore's
    /// account key, a compute's admin password, a connection's secret...) to
    /// [`Model::secrets`], so that no output shows them, and the spans that
    /// set them to [`Model::secret_spans`]. They stay out of
    /// `protected_secrets`: they are findings. A value whose span is not the
    /// literal itself (a variable, a reference) is also masked by value in
    /// source text. Non-secret settings of a credentials object (its type,
    /// a client id, a resource id) are not secrets.
    pub fn collect_inline_credentials(&mut self, sources: &crate::source::SourceMap) {
        use rayon::prelude::*;
        // Each resource walked in parallel; the values in model order.
        let found: Vec<(String, Option<(Span, bool)>)> = self
            .resources
            .par_iter()
            .flat_map_iter(|r| {
                let mut found = Vec::new();
                let mut cx = CredentialWalk {
                    resource: r,
                    found: &mut found,
                };
                cx.walk(&r.body, &mut Vec::new(), crate::secrets::Scope::root(), 0);
                // A Key Vault secret's `properties.value`.
                if r.resource_type
                    .eq_ignore_ascii_case("Microsoft.KeyVault/vaults/secrets")
                {
                    if let Some(v @ Value::String(_)) = r.get("properties.value") {
                        cx.secret(v, "properties.value");
                    }
                }
                found
            })
            .collect();
        // Each value once, in first-seen order.
        let mut known = std::collections::HashSet::new();
        self.secrets.retain(|s| known.insert(s.clone()));
        let mut seen = std::collections::HashSet::new();
        self.protected_secrets.retain(|s| seen.insert(s.clone()));
        let mut unlocated = std::collections::HashSet::new();
        self.unlocated_secrets
            .retain(|s| unlocated.insert(s.clone()));
        // Whether each is written as a literal, and where when it is no
        // reference: the texts read in parallel, the results in order.
        let judged: Vec<(String, bool, Option<Span>)> = found
            .into_par_iter()
            .map(|(s, span)| {
                let text = span.map(|(sp, _)| sources.get(sp.file).text());
                let text = text.as_deref().unwrap_or_default();
                let literal = span.is_some_and(|(sp, yaml)| is_literal(text, sp, yaml));
                // A reference (`[parameters('pw')]`, `var.pw`) holds no secret:
                // what it names is recorded by the front end.
                let span = span
                    .filter(|(sp, yaml)| !is_reference(text, *sp, *yaml))
                    .map(|(sp, _)| sp);
                (s, literal, span)
            })
            .collect();
        for (s, literal, span) in judged {
            if let Some(sp) = span {
                self.secret_spans.add(sp);
                self.file_secrets
                    .entry(sp.file)
                    .or_default()
                    .push(s.clone());
            }
            if !literal && unlocated.insert(s.clone()) {
                self.unlocated_secrets.push(s.clone());
            }
            if known.insert(s.clone()) {
                self.secrets.push(s);
            }
        }
        self.secret_spans.finish();
        // Text built from source (an unknown value's expression in a
        // message) may quote where a secret is written: its text is masked
        // in messages too.
        let written: Vec<Vec<String>> = self
            .secret_spans
            .files()
            .into_par_iter()
            .map(|(file, ranges)| {
                let text = &sources.get(file).text();
                ranges
                    .iter()
                    .filter_map(|&(start, end)| {
                        let written = text.get(start as usize..end as usize)?;
                        let written = written.trim().trim_matches(['"', '\'']);
                        // A bare reference (`var.pw`, `local.pw`, `pw`) names what
                        // decides a value, and its decoded value is a secret already.
                        let reference = written.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']')
                        });
                        (!reference && written.chars().count() >= 4).then(|| written.to_string())
                    })
                    .collect()
            })
            .collect();
        for written in written.into_iter().flatten() {
            if known.insert(written.clone()) {
                self.secrets.push(written);
            }
        }
        for list in self.file_secrets.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        self.redactor = Default::default();
        self.source_redactor = Default::default();
        self.file_redactors = Default::default();
    }

    /// Adds one deployment's secure values: `secrets` (every value), the
    /// `spans` where they are written, and the values of `located` whose
    /// every written form is one of those spans (the others are also masked
    /// by value in source text). [`Model::collect_inline_credentials`],
    /// called once every deployment is in, keeps each value once.
    pub fn add_secrets(&mut self, secrets: Vec<String>, spans: Vec<Span>, located: &[String]) {
        let mut files: Vec<crate::source::FileId> = spans.iter().map(|s| s.file).collect();
        files.sort();
        files.dedup();
        for sp in spans {
            self.secret_spans.add(sp);
        }
        for f in files {
            self.file_secrets
                .entry(f)
                .or_default()
                .extend(secrets.iter().cloned());
        }
        let located: std::collections::HashSet<&String> = located.iter().collect();
        self.unlocated_secrets
            .extend(secrets.iter().filter(|s| !located.contains(s)).cloned());
        self.protected_secrets.extend(secrets.iter().cloned());
        self.secrets.extend(secrets);
    }

    /// The matcher of [`Model::unlocated_secrets`], for source text.
    pub fn source_redactor(&self) -> &crate::redact::Redactor {
        self.source_redactor
            .get_or_init(|| crate::redact::Redactor::new(&self.unlocated_secrets))
    }

    /// The matcher of the secrets written in `file` (see [`Model::file_secrets`]).
    pub fn file_redactor(
        &self,
        file: crate::source::FileId,
    ) -> std::sync::Arc<crate::redact::Redactor> {
        let mut cache = self
            .file_redactors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(file)
            .or_insert_with(|| {
                std::sync::Arc::new(crate::redact::Redactor::new(
                    self.file_secrets
                        .get(&file)
                        .map(Vec::as_slice)
                        .unwrap_or(&[]),
                ))
            })
            .clone()
    }

    /// True when `text`, which starts at byte `base` of `file`, shows any
    /// part of a secret: where one is written, a copy of one written in the
    /// same file, or a secret whose written form is not known.
    pub fn hides_source(&self, file: crate::source::FileId, text: &str, base: usize) -> bool {
        self.secret_spans.overlaps(file, base, base + text.len())
            || self.source_redactor().finds_secret(text)
            || (self.file_secrets.contains_key(&file)
                && self.file_redactor(file).finds_secret(text))
    }

    /// `text`, which starts at byte `base` of `file`, with every secret
    /// masked: by span, then by value (see [`Model::hides_source`]).
    pub fn mask_source(&self, file: crate::source::FileId, text: &str, base: usize) -> String {
        let spans = self.secret_spans.mask(file, text, base);
        self.mask_values(file, &spans)
    }

    /// Source `text` of `file` whose spans are already masked, with the
    /// secrets masked by value (see [`Model::hides_source`]).
    pub fn mask_values(&self, file: crate::source::FileId, text: &str) -> String {
        let once = self.source_redactor().redact(text);
        if !self.file_secrets.contains_key(&file) {
            return once.into_owned();
        }
        self.file_redactor(file).redact(&once).into_owned()
    }

    /// Marks what only the service reports as unknown where the input does
    /// not hold it (see [`SERVICE_REPORTED`]): a template cannot say whether
    /// a compute instance will run an outdated image, so a rule on it is
    /// unknown for code and decided on live state; a live export without the
    /// value is incomplete. Values the input holds are kept.
    pub fn mark_service_reported(&mut self) {
        use rayon::prelude::*;
        // Each resource on its own, on every thread.
        self.resources.par_iter_mut().for_each(|r| {
            for reported in SERVICE_REPORTED {
                if !r.is_type(reported.resource_type)
                    || !reported.applies(r)
                    || r.is_set(reported.path)
                    || r.get(reported.path).is_some()
                {
                    continue;
                }
                // A live export without the value is incomplete, not compliant.
                let unknown = if r.format == "live" {
                    Value::unknown(
                        reported.path,
                        "the export does not hold this read-only property (collect the resource with an ARM GET, as `aml-baseline collect` does)",
                    )
                } else {
                    Value::unknown(reported.expr, reported.reason)
                };
                r.body.set_path(reported.path, unknown);
            }
        });
    }

    /// Adds what Azure derives from relations between resources of the same
    /// deployment: a private endpoint whose `privateLinkServiceId` targets a
    /// resource in the model makes a `privateEndpointConnections` entry
    /// appear on that resource, `Approved` for an automatic connection (the
    /// deployer owns both) and `Pending` for a manual one.
    pub fn link_private_endpoints(&mut self) {
        use rayon::prelude::*;
        // Each endpoint's connections found in parallel, kept in model order.
        self.deployment_index();
        let connections: Vec<(usize, Value)> = self
            .resources
            .par_iter()
            .filter(|r| r.is_type("Microsoft.Network/privateEndpoints") && !r.existing)
            .flat_map_iter(|pe| {
                let mut connections: Vec<(usize, Value)> = Vec::new();
                for (list, status) in [
                    ("properties.privateLinkServiceConnections", "Approved"),
                    ("properties.manualPrivateLinkServiceConnections", "Pending"),
                ] {
                    let Some(Value::Array(items)) = pe.get(list) else {
                        continue;
                    };
                    for item in items {
                        let Some(target_value) = item.get_path("properties.privateLinkServiceId")
                        else {
                            continue;
                        };
                        let group_ids = item
                            .get_path("properties.groupIds")
                            .cloned()
                            .unwrap_or(Value::Array(vec![]));
                        let name = pe.name.rsplit('/').next().unwrap_or(&pe.name).to_string();
                        // The resources the endpoint connects to: the one its
                        // target names, or, when the files leave the target
                        // open, each resource it may name (a maybe-connection,
                        // whose status is unknown).
                        let exact = target_value
                            .as_id()
                            .and_then(|t| self.position_in_deployment(pe.deployment, t));
                        let targets: Vec<(usize, Option<String>)> = match exact {
                            Some(index) => vec![(index, None)],
                            None => self
                                .maybe_targets(pe.deployment, target_value, &group_ids)
                                .into_iter()
                                .map(|i| {
                                    let shown = match target_value {
                                        Value::Unknown(u) => u.expr.clone(),
                                        other => other.to_string(),
                                    };
                                    (i, Some(format!("privateLinkServiceId of private endpoint '{name}': {shown}")))
                                })
                                .collect(),
                        };
                        for (index, maybe) in targets {
                            // A deployed resource reports its own connections, with their real state.
                            if self.resources[index].format == "live" {
                                continue;
                            }
                            let status_value = match &maybe {
                            None => Value::str(status),
                            Some(expr) => Value::unknown(
                                expr.clone(),
                                "the private endpoint's target is not fixed by the files; it may be this resource",
                            ),
                        };
                            let connection = Value::from_json(&serde_json::json!({
                                "id": format!("{}/privateEndpointConnections/{}", self.resources[index].id, name),
                                "name": name,
                                "properties": {
                                    "privateEndpoint": { "id": pe.id },
                                    "privateLinkServiceConnectionState": {
                                        "status": status,
                                        "description": "derived by aml-baseline from a private endpoint in the scanned files"
                                    }
                                }
                            }));
                            let mut connection = connection;
                            if let Some(props) = connection
                                .as_object_mut()
                                .and_then(|c| c.get_mut("properties"))
                                .and_then(Value::as_object_mut)
                            {
                                props.insert("groupIds".into(), group_ids.clone());
                                if let Some(Value::Object(state)) =
                                    props.get_mut("privateLinkServiceConnectionState")
                                {
                                    state.insert("status".into(), status_value);
                                }
                            }
                            connections.push((index, connection));
                        }
                    }
                }
                connections
            })
            .collect();
        for (index, connection) in connections {
            let resource = &mut self.resources[index];
            let Some(body) = resource.body.as_object_mut() else {
                continue;
            };
            let props = body
                .entry("properties".to_string())
                .or_insert_with(|| Value::Object(Default::default()));
            let Some(props) = props.as_object_mut() else {
                continue;
            };
            let key = props
                .keys()
                .find(|k| k.eq_ignore_ascii_case("privateEndpointConnections"))
                .cloned()
                .unwrap_or_else(|| "privateEndpointConnections".to_string());
            let list = props.entry(key).or_insert_with(|| Value::Array(vec![]));
            if let Value::Array(items) = list {
                items.push(connection);
            }
        }
    }
}

impl Model {
    /// The resources a private endpoint whose target the files leave open
    /// may connect to: of the target id's type (or, without one, of the type
    /// its `groupIds` imply), whose id the target may be.
    fn maybe_targets(&self, deployment: u32, target: &Value, group_ids: &Value) -> Vec<usize> {
        let identity = target.as_id();
        let wanted_type = identity
            .and_then(resource_type_of)
            .or_else(|| match target {
                Value::Unknown(u) => u.shape.resource_type.clone(),
                _ => None,
            })
            .or_else(|| {
                group_ids
                    .as_array()?
                    .iter()
                    .filter_map(Value::as_str)
                    .find_map(type_of_private_link_group)
                    .map(str::to_string)
            });
        let Some(wanted_type) = wanted_type else {
            return Vec::new();
        };
        self.type_positions(deployment, &wanted_type)
            .iter()
            .copied()
            .filter(|&i| match identity {
                Some(id) => match_ids(id, &self.resources[i].id) == IdMatch::Maybe,
                None => true,
            })
            .collect()
    }
}

/// The resource type a private link group id belongs to.
fn type_of_private_link_group(group: &str) -> Option<&'static str> {
    Some(match group.to_ascii_lowercase().as_str() {
        "amlworkspace" => "Microsoft.MachineLearningServices/workspaces",
        "amlregistry" => "Microsoft.MachineLearningServices/registries",
        "registry" => "Microsoft.ContainerRegistry/registries",
        "vault" => "Microsoft.KeyVault/vaults",
        "blob" | "blob_secondary" | "file" | "queue" | "table" | "dfs" | "web" => {
            "Microsoft.Storage/storageAccounts"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_appended_with_ascii_letters_lowered() {
        for key in [
            "",
            "Properties",
            "ÉTAT-Ünïcode_KEY",
            "aBc.D[0]",
            "ǅ straße İ",
        ] {
            let mut out = "prefix.".to_string();
            push_ascii_lowercase(&mut out, key);
            let expected: String = key.chars().map(|c| c.to_ascii_lowercase()).collect();
            assert_eq!(out, format!("prefix.{expected}"));
        }
    }

    /// A credential's span is found by the path the walk was at: members
    /// (any casing) joined by `.`, elements as `[i]`, the nearest enclosing
    /// span where the value has none of its own.
    #[test]
    fn credentials_are_found_at_the_path_of_their_span() {
        let body = Value::from_json(&serde_json::json!({
            "Properties": {"Credentials": [
                {"password": "first-secret"},
                {"Secrets": {"password": "second-secret"}}
            ]},
            "other": [["x"]]
        }));
        let at = |line| Span::new(crate::source::FileId(0), line, line + 1);
        let mut r = resource("/w", 0, false);
        r.body = body;
        r.spans = [
            ("properties.credentials[0].password".to_string(), at(3)),
            ("properties.credentials[1]".to_string(), at(5)),
        ]
        .into_iter()
        .collect();
        let mut found = Vec::new();
        CredentialWalk {
            resource: &r,
            found: &mut found,
        }
        .walk(&r.body, &mut Vec::new(), crate::secrets::Scope::root(), 0);
        let spans: Vec<(&str, Option<Span>)> = found
            .iter()
            .map(|(s, span)| (s.as_str(), span.map(|(sp, _)| sp)))
            .collect();
        assert_eq!(
            spans,
            [
                ("first-secret", Some(at(3))),
                ("second-secret", Some(at(5)))
            ]
        );
        assert_eq!(
            path_text(&[
                Step::Index(0),
                Step::Index(1),
                Step::Key("A"),
                Step::Index(2)
            ]),
            "[0][1].a[2]"
        );
    }

    /// The recorder keeps the first span recorded for each path, whatever
    /// the order paths are entered in: as a map filled only where empty.
    /// The case-blind search finds what searching a lower-cased copy finds,
    /// on every cut of ids that spell `/providers/` in several cases.
    #[test]
    fn the_case_blind_searches_are_those_on_a_lower_cased_copy() {
        let ids = [
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.X/a/n/PROVIDERS/y",
            "/Providers/Microsoft.X/a/n",
            "/providers/",
            "providers/",
            "",
            "/pRoViDeRs//providers",
            "/subscriptions/s/providers/Microsoft.X/a/n/child/m",
        ];
        for id in ids {
            for end in 0..=id.len() {
                let hay = &id[..end];
                assert_eq!(
                    rfind_ignoring_ascii_case(hay, "/providers/"),
                    hay.to_ascii_lowercase().rfind("/providers/"),
                    "{hay}"
                );
                for needle in ["/providers/", "/", "", "p", "rs/"] {
                    assert_eq!(
                        find_ignoring_ascii_case(hay, needle),
                        hay.to_ascii_lowercase().find(needle),
                        "{hay} {needle}"
                    );
                    assert_eq!(
                        rfind_ignoring_ascii_case(hay, needle),
                        hay.to_ascii_lowercase().rfind(needle),
                        "{hay} {needle}"
                    );
                }
            }
        }
        assert_eq!(
            parent_id("/subscriptions/s/providers/Microsoft.X/a/n/Child/m").as_deref(),
            Some("/subscriptions/s/providers/Microsoft.X/a/n")
        );
    }

    #[test]
    fn the_recorder_keeps_the_first_span_of_each_path() {
        let at = |line| Span::new(crate::source::FileId(0), line, line + 1);
        let mut sink = SpanRecorder::new();
        let mut expected = BTreeMap::new();
        let steps: [&[&str]; 7] = [
            &["Properties", "b"],
            &["properties", "a"],
            &["properties"],
            &["Properties", "B"],
            &["z"],
            &["properties", "a", "0"],
            &["properties"],
        ];
        for (line, steps) in steps.iter().enumerate() {
            for step in *steps {
                match step.parse::<usize>() {
                    Ok(i) => sink.push_index(i),
                    Err(_) => sink.push_key(step),
                }
            }
            sink.record(at(line));
            let mut path = String::new();
            for step in *steps {
                match step.parse::<usize>() {
                    Ok(i) => path.push_str(&format!("[{i}]")),
                    Err(_) => {
                        if !path.is_empty() {
                            path.push('.');
                        }
                        path.push_str(&step.to_ascii_lowercase());
                    }
                }
            }
            expected.entry(path).or_insert(at(line));
            steps.iter().for_each(|_| sink.pop());
        }
        let map = sink.into_span_map();
        let got: Vec<(String, Span)> = map.iter().map(|(p, s)| (p.to_string(), *s)).collect();
        let want: Vec<(String, Span)> = expected.into_iter().collect();
        assert_eq!(got, want);
        assert_eq!(map.get("properties.b"), Some(&at(0)));
    }

    fn resource(id: &str, line_offset: usize, existing: bool) -> Resource {
        Resource {
            id: id.to_string(),
            resource_type: "Microsoft.MachineLearningServices/workspaces/computes".into(),
            name: id
                .rsplit("workspaces/")
                .next()
                .unwrap_or(id)
                .replace("/computes", ""),
            api_version: None,
            body: Value::Null,
            parent_id: None,
            scope_id: None,
            existing,
            deployed: Deployed::Yes,
            span: Span::new(crate::source::FileId(0), line_offset, line_offset + 1),
            symbol: None,
            spans: Default::default(),
            format: "arm",
            deployment: 0,
            source_names: None,
        }
    }

    #[test]
    fn only_known_equal_ids_merge() {
        let mut sources = crate::source::SourceMap::default();
        sources.add(crate::source::SourceFile::new(
            "main.json".into(),
            "line one\nline two\nline three\n".into(),
        ));
        let ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces";
        let known = format!("{ws}/mlw/computes/cpu");
        let open = format!("{ws}/[parameters('ws')]/computes/cpu");
        let list = vec![
            resource(&known, 0, false),
            resource(&known, 9, false),
            resource(&open, 18, false),
            resource(&open, 19, false),
            resource(&known, 20, true),
        ];
        let (kept, diags) = merge_known_duplicates(list, &sources);
        assert_eq!(kept.len(), 4, "two known declarations, two open ones");
        assert_eq!(diags.len(), 1);
        assert!(
            diags[0].message.contains("declared again"),
            "{}",
            diags[0].message
        );
        assert!(
            diags[0].message.contains("main.json:1"),
            "{}",
            diags[0].message
        );
        assert!(diags[0].message.contains("both declarations are checked"));
        // One declaration deployed twice with the same settings: one resource.
        let (kept, diags) = merge_known_duplicates(
            vec![resource(&known, 0, false), resource(&known, 0, false)],
            &sources,
        );
        assert_eq!((kept.len(), diags.len()), (1, 1));
        assert!(
            diags[0].message.contains("same settings"),
            "{}",
            diags[0].message
        );
        // The same line with other settings (a loop whose body differs): both.
        let mut other = resource(&known, 0, false);
        other.body = Value::Bool(true);
        let (kept, _) = merge_known_duplicates(vec![resource(&known, 0, false), other], &sources);
        assert_eq!(kept.len(), 2);
        // An `existing` reference first gives way to the declaration.
        let (kept, diags) = merge_known_duplicates(
            vec![resource(&known, 20, true), resource(&known, 0, false)],
            &sources,
        );
        assert_eq!((kept.len(), kept[0].existing, diags.len()), (1, false, 0));
    }

    #[test]
    fn messages_in_the_input_words() {
        let mut r = resource("/x", 0, false);
        assert_eq!(
            r.in_own_words("`properties.a` is not set"),
            "`properties.a` is not set"
        );
        let names: BTreeMap<String, String> = [
            (
                "properties.managednetwork.isolationmode",
                "managed_network[0].isolation_mode",
            ),
            (
                "properties.publicnetworkaccess",
                "public_network_access_enabled",
            ),
            ("properties.properties.subnet.id", "network_settings.subnet"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        r.source_names = Some(std::sync::Arc::new(names));
        assert_eq!(
            r.in_own_words("`properties.managedNetwork.isolationMode` is not set"),
            "`isolation_mode` in the `managed_network` block (`properties.managedNetwork.isolationMode`) is not set"
        );
        assert_eq!(
            r.in_own_words("`properties.managedNetwork` is absent; `publicNetworkAccess` is 'Enabled'"),
            "the `managed_network` block (`properties.managedNetwork`) is absent; `public_network_access_enabled` (`publicNetworkAccess`) is 'Enabled'"
        );
        let mut names = (**r.source_names.as_ref().unwrap()).clone();
        names.insert(
            "properties.disablelocalauth".into(),
            "!local_auth_enabled".into(),
        );
        r.source_names = Some(std::sync::Arc::new(names));
        assert_eq!(
            r.in_own_words("`properties.disableLocalAuth` is false"),
            "the opposite of `local_auth_enabled` (`properties.disableLocalAuth`) is false"
        );
        assert_eq!(
            r.in_own_words("`properties.properties.subnet.id` is not set; `other` stays"),
            "`network_settings.subnet` (`properties.properties.subnet.id`) is not set; `other` stays"
        );
        // A bare name names a path's whole last segment, not the end of one.
        assert_eq!(
            r.in_own_words("`NetworkAccess` and `disableLocalAuth`"),
            "`NetworkAccess` and the opposite of `local_auth_enabled` (`disableLocalAuth`)"
        );
    }

    #[test]
    fn ids_with_placeholders_compare_by_identity() {
        let ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces";
        let p = format!("{ws}/[parameters('n')]");
        assert_eq!(match_ids(&p, &p.to_uppercase()), IdMatch::Same);
        assert_eq!(match_ids(&p, &format!("{ws}/mlw")), IdMatch::Maybe);
        assert_eq!(
            match_ids(&p, &format!("{ws}/[parameters('m')]")),
            IdMatch::Maybe
        );
        assert_eq!(
            match_ids(&p, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/[parameters('n')]"),
            IdMatch::Different
        );
        assert_eq!(
            match_ids(&format!("{ws}/a"), &format!("{ws}/b")),
            IdMatch::Different
        );
        assert_eq!(
            match_ids("[parameters('peTarget')]", &format!("{ws}/a")),
            IdMatch::Maybe
        );
        // A placeholder holding `/` is one segment.
        let scoped = format!("{ws}/[concat('a/', parameters('n'))]");
        assert_eq!(match_ids(&scoped, &format!("{ws}/x")), IdMatch::Maybe);
        assert!(has_placeholder(&scoped));
        assert!(!has_placeholder(&format!("{ws}/x")));
    }

    #[test]
    fn ids_compose_types_and_names() {
        let id = resource_id(
            "/subscriptions/s/resourceGroups/rg",
            "Microsoft.MachineLearningServices/workspaces/computes",
            "ws/ci",
        );
        assert_eq!(
            id,
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/ci"
        );
        assert_eq!(
            parent_id(&id).unwrap(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
        );
        assert_eq!(
            parent_id("/subscriptions/s/resourceGroups/rg/providers/Microsoft.X/a/n"),
            None
        );
    }
}

/// Records, while a front end evaluates a resource body, the span of the text
/// that sets each property path (`properties.publicnetworkaccess`,
/// `properties.ipallowlist[0]`), for [`Resource::spans`]. A disabled
/// recorder ignores everything (for values outside resource bodies).
#[derive(Debug, Default)]
pub struct SpanRecorder {
    disabled: bool,
    /// The current path, lower-case (`properties.ipallowlist[0]`): one
    /// string grown and cut back, not a string per step.
    path: String,
    /// Where each step entered starts in `path`, innermost last.
    starts: Vec<usize>,
    /// The paths recorded, end to end, in the order recorded.
    recorded: String,
    /// Each recording: where its path ends in `recorded`, and its span.
    spans: Vec<(usize, Span)>,
}

impl SpanRecorder {
    /// A recorder that records, with room for a resource's usual paths
    /// made at once (the recorder lives only while one resource is read; it
    /// grew a dozen times a resource).
    pub fn new() -> Self {
        SpanRecorder {
            disabled: false,
            path: String::with_capacity(64),
            starts: Vec::with_capacity(8),
            recorded: String::with_capacity(512),
            spans: Vec::with_capacity(32),
        }
    }

    /// A recorder that ignores everything.
    pub fn disabled() -> Self {
        SpanRecorder {
            disabled: true,
            ..Default::default()
        }
    }

    /// Enters an object property (case-insensitive: keys are lower-cased).
    pub fn push_key(&mut self, key: &str) {
        if !self.disabled {
            // A `.` before every step but the first (even after an empty key).
            let first = self.starts.is_empty();
            self.starts.push(self.path.len());
            if !first {
                self.path.push('.');
            }
            push_ascii_lowercase(&mut self.path, key);
        }
    }

    /// Enters an array element.
    pub fn push_index(&mut self, i: usize) {
        if !self.disabled {
            use std::fmt::Write as _;
            self.starts.push(self.path.len());
            let _ = write!(self.path, "[{i}]");
        }
    }

    /// Leaves the last property or element entered.
    pub fn pop(&mut self) {
        if !self.disabled {
            if let Some(start) = self.starts.pop() {
                self.path.truncate(start);
            }
        }
    }

    /// Records `span` for the current path, unless a span is already recorded
    /// (the first recorded for a path is kept, when the map is made).
    pub fn record(&mut self, span: Span) {
        if !self.disabled && !self.starts.is_empty() {
            self.recorded.push_str(&self.path);
            self.spans.push((self.recorded.len(), span));
        }
    }

    /// The recorded spans, the first recorded for each path: a
    /// [`crate::span_map::SpanMap`] made from the recordings sorted by path
    /// (stably: the first recorded of a path comes first, and is kept).
    pub fn into_span_map(self) -> crate::span_map::SpanMap {
        // Each recording's path cut from `recorded` once, not at every
        // comparison of the sort.
        let mut start = 0;
        let mut entries: Vec<(&str, Span)> = self
            .spans
            .iter()
            .map(|&(end, span)| {
                let path = self.recorded.get(start..end).unwrap_or_default();
                start = end;
                (path, span)
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries.dedup_by(|later, first| later.0 == first.0);
        crate::span_map::SpanMap::from_sorted(entries.iter().copied())
    }
}

/// Resources declared more than once with the same *known* id (issue 19).
/// Ids that hold a placeholder are never taken as equal: two declarations
/// whose names the files leave open stay two resources. Two deployed
/// resources with the same known id are one Azure resource, and a warning
/// says so. When they come from the same declaration (one line deployed
/// twice: a module called twice with the same values, a loop over a fixed
/// name) with the same settings, the model keeps one. Two declarations (other
/// lines or files) both stay and are checked, the warning at the second
/// naming the first (`file:line`), as ARM says "the same resource declared
/// twice": nothing either declares is lost. An `existing` reference to a
/// declared resource is not a second declaration: the declared one is kept,
/// silently.
pub fn merge_known_duplicates(
    resources: Vec<Resource>,
    sources: &crate::source::SourceMap,
) -> (Vec<Resource>, Vec<crate::diagnostics::Diagnostic>) {
    use crate::diagnostics::{Diagnostic, Location};
    let mut diags = Vec::new();
    let mut first: std::collections::HashMap<(u32, String), usize> = Default::default();
    let mut keep: Vec<Option<Resource>> = Vec::with_capacity(resources.len());
    for r in resources {
        // Any `[`: a placeholder, even one a name split cut short. Key
        // Vault `accessPolicies/add` is an operation each declaration
        // makes, not one resource.
        if r.id.contains('[') || r.is_type("Microsoft.KeyVault/vaults/accessPolicies") {
            keep.push(Some(r));
            continue;
        }
        let key = (r.deployment, r.id.to_ascii_lowercase());
        let Some(&at) = first.get(&key) else {
            first.insert(key, keep.len());
            keep.push(Some(r));
            continue;
        };
        let Some(kept) = keep[at].as_ref() else {
            continue;
        };
        match (kept.existing, r.existing) {
            (_, true) => {}
            (true, false) => keep[at] = Some(r),
            (false, false) => {
                let once =
                    kept.span == r.span && kept.body == r.body && kept.deployed == r.deployed;
                let message = if once {
                    format!(
                        "{} '{}' is deployed again, with the same settings, by another instance of this declaration (a module called twice, a loop): one resource is read",
                        r.resource_type, r.name
                    )
                } else {
                    let (path, line, _) = sources.position(kept.span);
                    format!(
                        "{} '{}' is declared again here (first at {path}:{line}): Azure holds one resource (ARM deploys the last, Terraform refuses the second); both declarations are checked",
                        r.resource_type, r.name
                    )
                };
                diags.push(Diagnostic::warning(
                    "duplicate-resource",
                    message,
                    Location::Span(r.span),
                ));
                if !once {
                    keep.push(Some(r));
                }
            }
        }
    }
    (keep.into_iter().flatten().collect(), diags)
}
