//! Module calls: local sources (`./modules/x`, `../../`) are followed when the
//! folder was scanned and stays inside the scanned root. Registry and git
//! sources are never fetched: they are read from `.terraform/modules` when
//! `terraform init` left a `modules.json` beside the root module (its keys
//! are call paths, `ml` and `ml.network`, its `Dir`s folders relative to the
//! root module), else one warning each and what depends on them is unknown.

use super::eval::CallTarget;
use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::source::{normalize_path, FileId, Span};
use hcl_edit::structure::Body;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static LOOKUPS: AtomicU64 = AtomicU64::new(0);

/// How many entries this process has examined to find module call targets
/// and variable files (work counter: one lookup per call and per variable
/// file of a root module's folder, whatever the number of folders; see
/// `tests/lookups.rs`).
pub fn lookups() -> u64 {
    LOOKUPS.load(Ordering::Relaxed)
}

/// Counts `n` entries examined (see [`lookups`]).
pub(crate) fn count_lookups(n: usize) {
    LOOKUPS.fetch_add(n as u64, Ordering::Relaxed);
}

/// A `module` block, as resolving calls needs it.
#[derive(Clone, Debug)]
pub struct CallSite {
    pub name: String,
    /// The block's span.
    pub span: Span,
    /// The literal `source`, if it is one.
    pub source: Option<String>,
    pub target: CallTarget,
}

/// What one `.tf` file declares that is needed before any root module is
/// evaluated: its module calls.
#[derive(Clone, Debug, Default)]
pub struct FileOutline {
    pub calls: Vec<CallSite>,
}

impl FileOutline {
    /// The module calls of one parsed file, in block order
    /// (the order [`super::eval::Module::new`] lists them in).
    pub fn of(file: FileId, body: &Body) -> FileOutline {
        let mut out = FileOutline::default();
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
            if let ("module", [name]) = (block.ident.as_str(), labels.as_slice()) {
                out.calls.push(CallSite {
                    name: name.to_string(),
                    span: super::hcl::span_of(file, block),
                    source: block
                        .body
                        .get_attribute("source")
                        .and_then(|a| a.value.as_str().map(str::to_string)),
                    target: CallTarget::NotFollowed(String::new()),
                });
            }
        }
        out
    }
}

/// A folder of `.tf` files (one module) without its parse trees: its files
/// and its calls (resolved by [`resolve_calls`]). Each root
/// module's job parses the files of the modules it reaches (again, for the
/// files read for their outline).
#[derive(Clone, Debug)]
pub struct Layout {
    pub dir: PathBuf,
    pub files: Vec<FileId>,
    /// For each file, whether it was parsed for its outline; the others (no
    /// module call in them, and no call can lead to their folder) are parsed
    /// first by the root module's job, which reports those that do not parse.
    pub outlined: Vec<bool>,
    pub calls: Vec<CallSite>,
}

impl Layout {
    /// A folder's layout from its files' outlines (`None`: not parsed yet),
    /// in file order.
    pub fn new(dir: PathBuf, files: Vec<(FileId, Option<FileOutline>)>) -> Layout {
        let mut layout = Layout {
            dir,
            files: Vec::with_capacity(files.len()),
            outlined: Vec::with_capacity(files.len()),
            calls: Vec::new(),
        };
        for (id, outline) in files {
            layout.files.push(id);
            layout.outlined.push(outline.is_some());
            if let Some(outline) = outline {
                layout.calls.extend(outline.calls);
            }
        }
        layout
    }
}

/// The folders a module call among `outlines` (files of the folder `dir` of
/// each) may lead to: local literal sources, and the folders of manifests'
/// entries. A folder outside this set can only be a root module.
pub fn possible_targets<'o>(
    outlines: impl Iterator<Item = (&'o Path, &'o FileOutline)>,
    manifests: &[Manifest],
) -> HashSet<PathBuf> {
    let mut targets: HashSet<PathBuf> = manifests
        .iter()
        .flat_map(|m| m.entries.iter().map(|e| e.dir.clone()))
        .collect();
    for (dir, outline) in outlines {
        for call in &outline.calls {
            if let Some(source) = call.source.as_deref().filter(|s| is_local_source(s)) {
                targets.insert(normalize_path(&dir.join(source)));
            }
        }
    }
    targets
}

/// The modules a root module reaches through followed calls, itself
/// included, in module order.
pub fn reached_from(layouts: &[Layout], root: usize) -> Vec<usize> {
    let mut seen = BTreeSet::from([root]);
    let mut stack = vec![root];
    while let Some(mi) = stack.pop() {
        for call in &layouts[mi].calls {
            if let CallTarget::Local(ti) = call.target {
                if seen.insert(ti) {
                    stack.push(ti);
                }
            }
        }
    }
    seen.into_iter().collect()
}

/// The `.tf` files of a folder (regular files, not links), normalised and
/// sorted; none when it cannot be read.
pub fn tf_files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("tf"))
                && std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file())
        })
        .map(|p| normalize_path(&p))
        .collect();
    files.sort();
    files
}

/// Whether a file's text may hold a top-level `module` block; false only when
/// no parse of it can find one, so the caller may skip parsing it for its
/// outline. Every occurrence of the word `module` where `hcl-edit` could read
/// a block's identifier counts: at the start of the text or after white space
/// or a comment's end (`/`), not followed by an identifier character, then
/// (after spaces and tabs) a label (`"`, an identifier), a comment (`/`) or
/// `{`. `path.module`, `module_source` and "... this module." in a
/// description do not count; a word in a comment or a string may (the file is
/// then parsed, as before).
pub fn may_call_modules(text: &str) -> bool {
    let bytes = text.as_bytes();
    for start in memchr::memmem::find_iter(bytes, b"module") {
        let end = start + "module".len();
        let after_space =
            start == 0 || matches!(bytes[start - 1], b' ' | b'\t' | b'\r' | b'\n' | b'/');
        if !after_space {
            continue;
        }
        if bytes
            .get(end)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        {
            continue;
        }
        let next = bytes[end..].iter().find(|b| !matches!(b, b' ' | b'\t'));
        match next {
            None => return true,
            Some(b)
                if matches!(b, b'"' | b'{' | b'/' | b'_')
                    || b.is_ascii_alphabetic()
                    || !b.is_ascii() =>
            {
                return true
            }
            Some(_) => {}
        }
    }
    false
}

/// True for a local module source (`./x`, `../../`, `.`, `..`).
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// The folders the `module` blocks of one `.tf` file name with a literal
/// local source, relative to the file's folder (normalised); nothing for a
/// file that does not parse (its own scan reports it).
pub fn local_module_dirs(path: &Path, text: &str) -> Vec<PathBuf> {
    // Most files call no module: skip parsing them twice.
    if !may_call_modules(text) {
        return Vec::new();
    }
    let Ok(body) = super::hcl::parse_body(text) else {
        return Vec::new();
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    body.blocks()
        .filter(|b| b.ident.as_str() == "module")
        .filter_map(|b| b.body.get_attribute("source"))
        .filter_map(|a| a.value.as_str().map(str::to_string))
        .filter(|s| is_local_source(s))
        .map(|s| normalize_path(&dir.join(s)))
        .collect()
}

/// Resolves every module call's target; returns the modules called by another.
/// Folders named by a manifest are modules, never roots, even when no call
/// reaches them.
pub fn resolve_calls(
    modules: &mut [Layout],
    dirs: &[PathBuf],
    root: Option<&Path>,
    manifests: &[Manifest],
    diags: &mut Vec<Diagnostic>,
) -> HashSet<usize> {
    let mut called = HashSet::new();
    let root = root.map(normalize_path);
    // Folders and manifest places by path, built once: one lookup per call.
    let mut module_at: HashMap<&Path, usize> = HashMap::with_capacity(dirs.len());
    for (i, d) in dirs.iter().enumerate() {
        module_at.entry(d.as_path()).or_insert(i);
    }
    // The first manifest (in order) whose root module, or one of whose
    // entries (the first), is the folder; with the entry's key. And each
    // manifest's entries by key (the first of a key).
    let mut places: HashMap<&Path, (usize, &str)> = HashMap::new();
    let mut entry_of: HashMap<(usize, &str), &ManifestEntry> = HashMap::new();
    for (i, m) in manifests.iter().enumerate() {
        places.entry(m.root.as_path()).or_insert((i, ""));
        for e in &m.entries {
            places.entry(e.dir.as_path()).or_insert((i, e.key.as_str()));
            entry_of.entry((i, e.key.as_str())).or_insert(e);
        }
    }
    for m in manifests {
        for e in &m.entries {
            if let Some(&i) = module_at.get(e.dir.as_path()) {
                called.insert(i);
            }
        }
    }
    for (mi, module) in modules.iter_mut().enumerate() {
        let dir = module.dir.clone();
        // The manifest this folder belongs to, and its call path there.
        let place = places
            .get(dir.as_path())
            .map(|&(m, key)| (m, key.to_string()));
        for call in module.calls.iter_mut() {
            count_lookups(1);
            let span = call.span;
            let Some(source) = call.source.clone() else {
                call.target = CallTarget::NotFollowed("<not a literal>".into());
                continue;
            };
            if !is_local_source(&source) {
                let cached = place.as_ref().and_then(|(m, key)| {
                    let full = if key.is_empty() {
                        call.name.clone()
                    } else {
                        format!("{key}.{}", call.name)
                    };
                    let e = entry_of.get(&(*m, full.as_str()))?;
                    let inside = root
                        .as_ref()
                        .is_none_or(|r| aml_model::source::is_within(r, &e.dir));
                    module_at
                        .get(e.dir.as_path())
                        .copied()
                        .filter(|ti| inside && *ti != mi)
                });
                if let Some(ti) = cached {
                    call.target = CallTarget::Local(ti);
                    continue;
                }
                diags.push(Diagnostic::warning(
                    "terraform-module-not-fetched",
                    format!("module `{}` has source `{source}`, which is not fetched (and not found in `.terraform/modules`: run `terraform init` to read it from there); what depends on its outputs is unknown", call.name),
                    Location::Span(span),
                ));
                call.target = CallTarget::NotFollowed(source);
                continue;
            }
            let target = normalize_path(&dir.join(&source));
            let inside = root
                .as_ref()
                .is_none_or(|r| aml_model::source::is_within(r, &target));
            match module_at.get(target.as_path()).copied() {
                Some(ti) if inside && ti == mi => {
                    diags.push(Diagnostic::warning(
                        "terraform-module-cycle",
                        format!("module `{}`: the source `{source}` is the calling module's own folder (a module cycle); it is not followed", call.name),
                        Location::Span(span),
                    ));
                    call.target = CallTarget::NotFollowed(source);
                }
                Some(ti) if inside => {
                    call.target = CallTarget::Local(ti);
                }
                _ => {
                    diags.push(Diagnostic::warning(
                        "terraform-module-not-fetched",
                        format!("module `{}`: the folder `{source}` is not among the scanned files (or lies outside the scan's boundary: the repository, or `--root`); what depends on it is unknown", call.name),
                        Location::Span(span),
                    ));
                    call.target = CallTarget::NotFollowed(source);
                }
            }
        }
    }
    break_cycles(modules, diags);
    for module in modules.iter() {
        for call in &module.calls {
            if let CallTarget::Local(ti) = call.target {
                called.insert(ti);
            }
        }
    }
    called
}

/// Finds module calls that close a cycle (`a` calls `b`, which calls `a`)
/// and stops following them, with a warning: the first module of a cycle
/// (in folder order) stays a root module and the call back to it is cut.
fn break_cycles(modules: &mut [Layout], diags: &mut Vec<Diagnostic>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut mark = vec![Mark::New; modules.len()];
    for start in 0..modules.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // Iterative depth-first search: (module, next call to look at).
        let mut stack = vec![(start, 0usize)];
        mark[start] = Mark::OnPath;
        while let Some(&mut (mi, ref mut next)) = stack.last_mut() {
            let Some(call) = modules[mi].calls.get(*next) else {
                mark[mi] = Mark::Done;
                stack.pop();
                continue;
            };
            *next += 1;
            let CallTarget::Local(ti) = call.target else {
                continue;
            };
            match mark[ti] {
                Mark::New => {
                    mark[ti] = Mark::OnPath;
                    stack.push((ti, 0));
                }
                Mark::OnPath => {
                    let call = &mut modules[mi].calls[*next - 1];
                    let source = call.source.clone().unwrap_or_default();
                    diags.push(Diagnostic::warning(
                        "terraform-module-cycle",
                        format!("module `{}`: the source `{source}` calls back into a module that calls this one (a module cycle); it is not followed", call.name),
                        Location::Span(call.span),
                    ));
                    call.target = CallTarget::NotFollowed(source);
                }
                Mark::Done => {}
            }
        }
    }
}

/// The manifest `terraform init` writes beside a root module.
pub const MANIFEST: &str = ".terraform/modules/modules.json";

/// Largest manifest read, and most entries and files per cached module taken.
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
const MAX_ENTRIES: usize = 1000;
const MAX_FILES_PER_MODULE: usize = 1000;

/// Whether `path` is a `.terraform/modules/modules.json` manifest.
pub fn is_manifest(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()) == Some("modules.json")
        && path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            == Some("modules")
        && path
            .parent()
            .and_then(Path::parent)
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            == Some(".terraform")
}

/// One module of a manifest: its key (`ml`, `ml.network`) and folder.
#[derive(Clone, Debug)]
pub struct ManifestEntry {
    pub key: String,
    pub dir: PathBuf,
}

/// A `.terraform/modules/modules.json`: the root module's folder and the
/// folders `terraform init` put each module call's source in.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub root: PathBuf,
    pub entries: Vec<ManifestEntry>,
}

/// Parses a manifest's text (keys `Modules[].Key` and `.Dir`, the folder
/// relative to the root module). Entries whose folder would leave the root
/// module's folder are dropped.
pub fn parse_manifest(manifest_path: &Path, text: &str) -> Result<Manifest, (usize, String)> {
    let root = manifest_path
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let node = aml_model::json::parse(text).map_err(|e| (e.offset, e.message))?;
    let Some(list) = node
        .get("Modules")
        .and_then(aml_model::json::Node::as_array)
    else {
        return Err((node.start as usize, "no `Modules` array".to_string()));
    };
    let mut entries = Vec::new();
    for m in list.iter().take(MAX_ENTRIES) {
        let (Some(key), Some(dir)) = (
            m.get("Key").and_then(|k| k.as_str()),
            m.get("Dir").and_then(|d| d.as_str()),
        ) else {
            continue;
        };
        if key.is_empty() || Path::new(dir).is_absolute() {
            continue;
        }
        let dir = normalize_path(&root.join(dir));
        if dir == root || !dir.starts_with(&root) {
            continue;
        }
        entries.push(ManifestEntry {
            key: key.to_string(),
            dir,
        });
    }
    Ok(Manifest { root, entries })
}

/// The files `terraform init` left for the root modules among `tf_files`:
/// each `.terraform/modules/modules.json` and the `.tf` files of the folders
/// it names. Discovery skips hidden folders, so the scan adds these. A folder
/// that resolves (through links) outside its root module's folder is skipped.
pub fn cached_module_files(tf_files: &[PathBuf]) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = tf_files
        .iter()
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("tf"))
        })
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .filter(|d| !d.components().any(|c| c.as_os_str() == ".terraform"))
        .collect();
    roots.sort();
    roots.dedup();
    let mut out = Vec::new();
    for root in roots.iter().take(10_000) {
        let manifest = root.join(MANIFEST);
        let Ok(meta) = std::fs::metadata(&manifest) else {
            continue;
        };
        if !meta.is_file() || meta.len() > MAX_MANIFEST_BYTES {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        out.push(normalize_path(&manifest));
        let Ok(parsed) = parse_manifest(&manifest, &text) else {
            continue;
        };
        let Ok(real_root) = std::fs::canonicalize(root) else {
            continue;
        };
        for entry in &parsed.entries {
            let inside = std::fs::canonicalize(&entry.dir).is_ok_and(|d| d.starts_with(&real_root));
            if !inside {
                continue;
            }
            out.extend(
                tf_files_in(&entry.dir)
                    .into_iter()
                    .take(MAX_FILES_PER_MODULE),
            );
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_text_that_may_declare_a_module_block_is_parsed_for_its_outline() {
        for text in [
            "module \"a\" {\n  source = \"./a\"\n}\n",
            "  module a {}\n",
            "module{\n}\n",
            "/* x */module /* y */ \"a\" {}\n",
            "# c\nmodule\t\"a\" {}",
            "description = \"this module will\"",
        ] {
            assert!(may_call_modules(text), "{text}");
        }
        for text in [
            "",
            "x = path.module\n",
            "y = data.m.module_source\n",
            "description = \"managed outside this module.\"",
            "# for most resource modules\n",
            "module_path = 1\nmodule-x \"a\" {}\n",
            "z = [module, 1]",
            "module = 1\n",
        ] {
            assert!(!may_call_modules(text), "{text}");
        }
    }

    #[test]
    fn manifest_entries_stay_inside_the_root_module() {
        let path = Path::new("/r/infra/.terraform/modules/modules.json");
        let text = r#"{"Modules":[{"Key":"","Source":"","Dir":"."},
            {"Key":"ml","Source":"registry.terraform.io/a/b/azurerm","Dir":".terraform/modules/ml"},
            {"Key":"ml.sub","Source":"./modules/sub","Dir":".terraform/modules/ml/modules/sub"},
            {"Key":"up","Source":"x","Dir":"../elsewhere"},
            {"Key":"abs","Source":"x","Dir":"/etc"},
            {"Key":"self","Source":"x","Dir":"./"}]}"#;
        let m = parse_manifest(path, text).unwrap();
        assert_eq!(m.root, Path::new("/r/infra"));
        let keys: Vec<(&str, &Path)> = m
            .entries
            .iter()
            .map(|e| (e.key.as_str(), e.dir.as_path()))
            .collect();
        assert_eq!(
            keys,
            [
                ("ml", Path::new("/r/infra/.terraform/modules/ml")),
                (
                    "ml.sub",
                    Path::new("/r/infra/.terraform/modules/ml/modules/sub")
                ),
            ]
        );
        assert!(parse_manifest(path, "{").is_err());
        assert!(parse_manifest(path, "[]").is_err());
        assert!(is_manifest(path));
        assert!(!is_manifest(Path::new("/r/modules.json")));
    }
}
