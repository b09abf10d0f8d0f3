//! What the Terraform test binaries share.

use std::path::Path;

/// Writes each (path relative to `dir`, text) file, making its folders;
/// returns the paths, sorted.
pub fn write_files(dir: &Path, files: Vec<(String, String)>) -> Vec<String> {
    for (path, text) in &files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let mut paths: Vec<String> = files.into_iter().map(|(p, _)| p).collect();
    paths.sort();
    paths
}
