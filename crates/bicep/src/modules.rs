//! Module references: local files (relative to the referencing file, inside
//! the scanned folder), and registry (`br:`, `br/public:`) or template spec
//! (`ts:`) references, which are never fetched: a registry module is read
//! from the local cache that `bicep restore` fills
//! (`~/.bicep/br/<registry>/<repository with '/' as '$'>/<tag>$/main.json`)
//! when it is there (`AML_BASELINE_BICEP_CACHE` replaces `~/.bicep` for
//! tests and unusual set-ups), and is otherwise reported once and left unknown.

use super::ast::File;
use aml_arm::template;
use aml_model::context::Limits;
use aml_model::json;
use aml_model::model::{Deployed, Resource};
use aml_model::source::{FileId, SourceFile, SourceMap, Span};
use aml_model::value::Value;
use aml_model::FastMap as HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a module's template comes from.
pub enum ModuleSource {
    /// A Bicep file among the scanned files.
    Local(PathBuf, FileId, Arc<File>),
    /// A restored registry module: its compiled ARM template.
    Compiled(Arc<(PathBuf, String)>),
    /// A registry module or template spec that is not in the local cache.
    Registry(String),
    /// A local file that could not be used (message says why).
    Missing(String),
}

/// True for a registry or template spec reference.
pub fn is_registry(path: &str) -> bool {
    path.starts_with("br:")
        || path.starts_with("br/")
        || path.starts_with("ts:")
        || path.starts_with("ts/")
}

/// Parsed Bicep files by normalised path.
pub type Parsed = HashMap<PathBuf, (FileId, Arc<File>)>;

/// True when `path` is inside the scanned folder (always true without one).
pub fn inside_root(root_dir: Option<&Path>, path: &Path) -> bool {
    let Some(root) = root_dir else { return true };
    within(root, path)
}

fn within(root: &Path, path: &Path) -> bool {
    aml_model::source::is_within(root, path)
}

/// The normalised path of a local module referenced from `from`.
pub fn local_path(from: &Path, rel: &str) -> PathBuf {
    let dir = from.parent().map(Path::to_path_buf).unwrap_or_default();
    template::normalize_path(&dir.join(rel))
}

/// Resolves a module reference made in `file`, among the files parsed and
/// inside `root_dir`.
pub fn resolve(
    sources: &SourceMap,
    parsed: &Parsed,
    root_dir: Option<&Path>,
    file: FileId,
    path: &str,
) -> ModuleSource {
    if is_registry(path) {
        return match cache_path(path) {
            Some(p) if p.is_file() => match std::fs::read_to_string(&p) {
                Ok(text) => ModuleSource::Compiled(Arc::new((p, text))),
                Err(_) => ModuleSource::Registry(not_restored(path)),
            },
            _ => ModuleSource::Registry(not_restored(path)),
        };
    }
    let from = &sources.get(file).path;
    let target = local_path(from, path);
    if !inside_root(root_dir, &target) {
        return ModuleSource::Missing(format!(
            "the module '{path}' is outside the scan's boundary (the repository, or `--root`) and was not read; what it deploys is not checked"
        ));
    }
    match parsed.get(&target) {
        Some((id, ast)) => ModuleSource::Local(target, *id, ast.clone()),
        None => ModuleSource::Missing(format!(
            "the module '{path}' was not found among the scanned files; what it deploys is not checked"
        )),
    }
}

fn not_restored(path: &str) -> String {
    format!(
        "the registry module '{path}' is not in the local Bicep cache and is never downloaded; run `bicep restore` on this file to check what it deploys (until then its resources are not in the model and its outputs are unknown)"
    )
}

/// The local cache file of a registry module (`main.json` of the restored
/// artifact), or `None` when the reference cannot be mapped (an alias other
/// than `br/public`, a digest, a template spec).
pub fn cache_path(reference: &str) -> Option<PathBuf> {
    let home = std::env::var_os("AML_BASELINE_BICEP_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".bicep")))?;
    let (registry, repo, tag) = split_reference(reference)?;
    Some(
        home.join("br")
            .join(registry)
            .join(repo.replace('/', "$"))
            .join(format!("{tag}$"))
            .join("main.json"),
    )
}

/// `br/public:avm/x:1.0` → (`mcr.microsoft.com`, `bicep/avm/x`, `1.0`);
/// `br:host/repo/path:tag` → (`host`, `repo/path`, `tag`).
pub fn split_reference(reference: &str) -> Option<(String, String, String)> {
    if let Some(rest) = reference.strip_prefix("br/public:") {
        let (repo, tag) = rest.rsplit_once(':')?;
        return Some((
            "mcr.microsoft.com".into(),
            format!("bicep/{repo}"),
            tag.to_string(),
        ));
    }
    let rest = reference.strip_prefix("br:")?;
    let (host, path) = rest.split_once('/')?;
    let (repo, tag) = path.rsplit_once(':')?;
    if repo.contains('@') || host.is_empty() {
        return None;
    }
    Some((host.to_string(), repo.to_string(), tag.to_string()))
}

/// Evaluates a restored registry module's compiled template with the
/// caller's parameter values. Its resources point at the module declaration.
pub fn evaluate_compiled(
    limits: &Limits,
    template_file: &Arc<(PathBuf, String)>,
    supplied: &HashMap<String, (Value, Option<Span>)>,
    context: aml_arm::expr::DeploymentContext,
    decl_span: Span,
    deployed: &Deployed,
) -> Vec<Resource> {
    let (path, text) = template_file.as_ref();
    let Ok(node) = json::parse(text) else {
        return Vec::new();
    };
    let mut map = SourceMap::default();
    let id = map.add(SourceFile::new(path.clone(), text.clone()));
    let params = template::ParameterValues {
        values: supplied
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone(), None))
            .collect(),
    };
    let mut limits = limits.clone();
    limits.max_depth = limits.max_depth.saturating_sub(1).max(1);
    let result = template::evaluate(&map, id, &node, &params, context, None, limits);
    result
        .resources
        .into_iter()
        .map(|mut r| {
            r.span = decl_span;
            r.spans.clear();
            r.format = "bicep";
            if let Deployed::Unknown { expr } = deployed {
                if r.deployed == Deployed::Yes {
                    r.deployed = Deployed::Unknown { expr: expr.clone() };
                }
            }
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_registry_references_map_to_the_cache_layout() {
        assert_eq!(
            split_reference("br/public:avm/res/network/private-endpoint:0.10.1"),
            Some((
                "mcr.microsoft.com".into(),
                "bicep/avm/res/network/private-endpoint".into(),
                "0.10.1".into()
            ))
        );
        assert_eq!(
            split_reference("br:myreg.azurecr.io/bicep/modules/storage:v1"),
            Some((
                "myreg.azurecr.io".into(),
                "bicep/modules/storage".into(),
                "v1".into()
            ))
        );
        assert_eq!(split_reference("ts:sub/rg/spec:1"), None);
    }

    #[test]
    fn module_paths_stay_inside_the_root() {
        assert!(within(Path::new("a"), Path::new("a/b/c.bicep")));
        assert!(!within(Path::new("a"), Path::new("b/c.bicep")));
        assert!(!within(Path::new("a"), Path::new("../c.bicep")));
    }
}
