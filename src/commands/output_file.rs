//! Opening the file a report is written to (`-o PATH`).
//!
//! Opening an existing file for writing truncates it, and the kernel frees
//! every page the old contents hold before the call returns: for a 633 MB
//! report of 100,000 live resources written again, 0.15 to 1.0 s on the
//! writing thread, before the first byte of the new one (decision 0060).
//! So a large old report whose file this process may replace as it is (a
//! regular file, one link, our owner and group) is renamed aside and
//! removed on a thread of its own while the new one is written; the new
//! file takes the old one's place and permissions first. Anything else,
//! or any step that fails, opens the path as before.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

/// Old files smaller than this are truncated in place (cheap).
const REPLACE_FROM_BYTES: u64 = 8 * 1024 * 1024;

/// The file to write, and the removal of the old contents under way.
pub struct OutputFile {
    pub file: File,
    removal: Option<(PathBuf, JoinHandle<std::io::Result<()>>)>,
}

impl OutputFile {
    /// Opens `path` for writing, as [`File::create`] does.
    pub fn create(path: &Path) -> std::io::Result<OutputFile> {
        if let Some(replaced) = replace(path) {
            return Ok(replaced);
        }
        Ok(OutputFile {
            file: File::create(path)?,
            removal: None,
        })
    }

    /// Waits for the old contents to be removed; says on standard error
    /// when they could not be (a hidden file is left beside the report).
    pub fn finish(self) {
        if let Some((aside, removal)) = self.removal {
            if !matches!(removal.join(), Ok(Ok(()))) {
                eprintln!(
                    "warning: the previous report, moved to {}, could not be removed",
                    aside.display()
                );
            }
        }
    }
}

#[cfg(unix)]
fn replace(path: &Path) -> Option<OutputFile> {
    use std::os::unix::fs::MetadataExt;
    let old = std::fs::symlink_metadata(path).ok()?;
    if !old.file_type().is_file() || old.nlink() != 1 || old.len() < REPLACE_FROM_BYTES {
        return None;
    }
    let name = path.file_name()?.to_string_lossy().into_owned();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let pid = std::process::id();
    let fresh = dir.join(format!(".{name}.{pid}.new"));
    let aside = dir.join(format!(".{name}.{pid}.old"));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&fresh)
        .ok()?;
    let abandon = |file: File| {
        drop(file);
        let _ = std::fs::remove_file(&fresh);
        None
    };
    // Made by us, so ours: the same owner and group as the old file, or
    // the old file stays and is truncated.
    let made = match file.metadata() {
        Ok(m) => m,
        Err(_) => return abandon(file),
    };
    if (made.uid(), made.gid()) != (old.uid(), old.gid())
        || file.set_permissions(old.permissions()).is_err()
    {
        return abandon(file);
    }
    if std::fs::rename(path, &aside).is_err() {
        return abandon(file);
    }
    if std::fs::rename(&fresh, path).is_err() {
        let _ = std::fs::rename(&aside, path);
        return abandon(file);
    }
    let removing = aside.clone();
    let removal = std::thread::Builder::new()
        .name("old-report".into())
        .spawn(move || std::fs::remove_file(removing));
    match removal {
        Ok(handle) => Some(OutputFile {
            file,
            removal: Some((aside, handle)),
        }),
        Err(_) => {
            // No thread: removed here, as truncating would have.
            let _ = std::fs::remove_file(&aside);
            Some(OutputFile {
                file,
                removal: None,
            })
        }
    }
}

#[cfg(not(unix))]
fn replace(_path: &Path) -> Option<OutputFile> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(path: &Path, text: &[u8]) {
        let mut out = OutputFile::create(path).unwrap();
        out.file.write_all(text).unwrap();
        out.finish();
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_large_old_report_is_replaced_and_nothing_is_left_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, vec![b'x'; REPLACE_FROM_BYTES as usize]).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        write(&path, b"{}\n");
        assert_eq!(std::fs::read(&path).unwrap(), b"{}\n");
        assert_eq!(listing(dir.path()), ["report.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640, "the old file's permissions");
        }
    }

    #[test]
    fn small_new_linked_and_symlinked_files_are_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        // New.
        let path = dir.path().join("new.json");
        write(&path, b"a");
        assert_eq!(std::fs::read(&path).unwrap(), b"a");
        // Small: truncated.
        write(&path, b"b");
        assert_eq!(std::fs::read(&path).unwrap(), b"b");
        #[cfg(unix)]
        {
            // Large with a second link: both names see the new contents.
            let big = dir.path().join("big.json");
            let link = dir.path().join("link.json");
            std::fs::write(&big, vec![b'x'; REPLACE_FROM_BYTES as usize]).unwrap();
            std::fs::hard_link(&big, &link).unwrap();
            write(&big, b"c");
            assert_eq!(std::fs::read(&link).unwrap(), b"c");
            // Large behind a symbolic link: the link stays, its target changes.
            let target = dir.path().join("target.json");
            let symlink = dir.path().join("symlink.json");
            std::fs::write(&target, vec![b'x'; REPLACE_FROM_BYTES as usize]).unwrap();
            std::os::unix::fs::symlink(&target, &symlink).unwrap();
            write(&symlink, b"d");
            assert!(std::fs::symlink_metadata(&symlink)
                .unwrap()
                .file_type()
                .is_symlink());
            assert_eq!(std::fs::read(&target).unwrap(), b"d");
        }
        assert_eq!(
            listing(dir.path()),
            [
                "big.json",
                "link.json",
                "new.json",
                "symlink.json",
                "target.json"
            ]
        );
    }
}
