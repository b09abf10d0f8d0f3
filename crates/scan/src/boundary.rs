//! The boundary of a scan: the folder outside which nothing is read. Module
//! repositories keep their examples and tests beside the module they call
//! (`examples/default/main.tf` with `source = "../../"`,
//! `tests/e2e/defaults/main.test.bicep` with `module '../../../main.bicep'`),
//! so the boundary of a scanned path is its repository: the enclosing git
//! work tree (a folder with `.git`, a folder or, in a worktree, a file), else
//! the current directory when it contains the path, else the path itself;
//! `--root DIR` sets it for every path. See
//! `docs/decisions/0023-scan-boundary.md`.
//!
//! Discovery walks the scanned paths only; [`pull_in`] then reads the local
//! modules, linked templates and imports those files reference that lie
//! inside the boundary of the path they came from, transitively, with a bound.

use aml_model::diagnostics::{Diagnostic, Location};
use aml_model::source::{absolute_path, is_within, normalize_path, FileId, SourceFile, SourceMap};
use aml_model::{FastMap as HashMap, FastSet as HashSet};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// At most this many files are read because scanned files reference them.
pub const MAX_PULLED_FILES: usize = 2_000;

/// The boundary of one scanned path (absolute, normalised).
pub fn of(path: &Path, root: Option<&Path>) -> PathBuf {
    if let Some(root) = root {
        return absolute_path(root);
    }
    let abs = absolute_path(path);
    let dir = if abs.is_file() {
        abs.parent().map(Path::to_path_buf).unwrap_or(abs)
    } else {
        abs
    };
    if let Some(work_tree) = dir
        .ancestors()
        .take(256)
        .find(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
    {
        return work_tree.to_path_buf();
    }
    match std::env::current_dir().map(|c| normalize_path(&c)) {
        Ok(cwd) if dir.starts_with(&cwd) => cwd,
        _ => dir,
    }
}

/// The boundary of a whole scan of `paths` (`.` when none): [`common`] of
/// each path's [`of`]. `fix` writes nothing through links out of it.
pub fn of_paths(paths: &[PathBuf], root: Option<&Path>) -> Option<PathBuf> {
    let dot = [PathBuf::from(".")];
    let paths = if paths.is_empty() { &dot[..] } else { paths };
    let each: Vec<PathBuf> = paths.iter().map(|p| of(p, root)).collect();
    common(&each)
}

/// The folder front ends bound their own reads with (linked templates,
/// `loadTextContent`, modules): the one boundary of every scanned path, or
/// the deepest folder holding all of them when they differ.
pub fn common(boundaries: &[PathBuf]) -> Option<PathBuf> {
    let first = boundaries.first()?.clone();
    Some(boundaries.iter().skip(1).fold(first, |acc, b| {
        let mut common = PathBuf::new();
        for (x, y) in acc.components().zip(b.components()) {
            if x != y {
                break;
            }
            common.push(x.as_os_str());
        }
        common
    }))
}

/// Reads what the files read so far reference locally (`start`: each file
/// with the files of Terraform module folders, Bicep modules, `using` and
/// `import` files, ARM linked templates it references) and is inside the
/// boundary of the file that references it, then what those reference, until
/// nothing new is found or [`MAX_PULLED_FILES`] files were added. `read`
/// reads one file (`None` when it is not one to keep), with the front ends
/// that own it and what it references; the owners of each file added go to
/// `owners`. `known` holds every path already read or queued. Returns the ids
/// of the files added, in the order read, each with the file that referenced
/// it. Symbolic links that lead out of the boundary are not followed. What
/// stays outside is left to the front ends, which warn about it where it is
/// referenced.
pub fn pull_in(
    sources: &mut SourceMap,
    start: Vec<(FileId, Vec<PathBuf>)>,
    boundaries: &[PathBuf],
    known: &mut HashSet<PathBuf>,
    mut read: impl FnMut(&Path) -> Option<(SourceFile, Vec<usize>, Vec<PathBuf>)>,
    owners: &mut HashMap<FileId, Vec<usize>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(FileId, FileId)> {
    let mut queue: VecDeque<(FileId, Vec<PathBuf>)> = start
        .into_iter()
        .filter(|(_, references)| !references.is_empty())
        .collect();
    let mut added = Vec::new();
    while let Some((id, references)) = queue.pop_front() {
        let file = sources.get(id);
        let Some(boundary) = boundaries.iter().find(|b| is_within(b, &file.path)) else {
            continue;
        };
        let from = file.path.clone();
        for target in references {
            if !is_within(boundary, &target) || !really_within(boundary, &target) {
                continue;
            }
            if !std::fs::symlink_metadata(&target).is_ok_and(|m| m.is_file()) {
                continue;
            }
            let path = normalize_path(&target);
            if !known.insert(path.clone()) {
                continue;
            }
            if added.len() >= MAX_PULLED_FILES {
                diagnostics.push(Diagnostic::warning(
                    "referenced-files-limit",
                    format!(
                        "more than {MAX_PULLED_FILES} files outside the scanned paths are referenced; the rest (from '{}') are not read",
                        target.display()
                    ),
                    Location::Path(aml_model::source::display_path(&from)),
                ));
                return added;
            }
            if let Some((text, file_owners, file_references)) = read(&path) {
                let new = sources.add(text);
                added.push((new, id));
                owners.insert(new, file_owners);
                queue.push_back((new, file_references));
            }
        }
    }
    added
}

/// Whether `target`, with symbolic links resolved, is still inside the
/// boundary (a link inside the repository may point anywhere).
fn really_within(boundary: &Path, target: &Path) -> bool {
    match (
        std::fs::canonicalize(boundary),
        std::fs::canonicalize(target),
    ) {
        (Ok(b), Ok(t)) => t.starts_with(b),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_git_work_tree_bounds_its_paths() {
        let repo = tempfile::tempdir().unwrap();
        let examples = repo.path().join("examples/default");
        std::fs::create_dir_all(&examples).unwrap();
        // A worktree has a `.git` file; a clone a `.git` folder.
        std::fs::write(repo.path().join(".git"), "gitdir: elsewhere\n").unwrap();
        assert_eq!(of(&examples, None), absolute_path(repo.path()));
        std::fs::remove_file(repo.path().join(".git")).unwrap();
        std::fs::create_dir(repo.path().join(".git")).unwrap();
        assert_eq!(of(&examples, None), absolute_path(repo.path()));
        // `--root` wins.
        assert_eq!(of(&examples, Some(&examples)), absolute_path(&examples));
    }

    #[test]
    fn without_a_work_tree_the_path_bounds_itself() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a");
        std::fs::create_dir_all(&sub).unwrap();
        // The temporary folder is in no work tree and not below the current
        // directory (the crate's folder).
        assert_eq!(of(&sub, None), absolute_path(&sub));
        let file = sub.join("main.bicep");
        std::fs::write(&file, "").unwrap();
        assert_eq!(of(&file, None), absolute_path(&sub));
    }

    #[test]
    fn common_boundary_of_several() {
        let b = [PathBuf::from("/r/a"), PathBuf::from("/r/b/c")];
        assert_eq!(common(&b), Some(PathBuf::from("/r")));
        assert_eq!(common(&b[..1]), Some(PathBuf::from("/r/a")));
        assert_eq!(common(&[]), None);
    }
}
