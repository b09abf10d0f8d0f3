//! Writing a fixed file without ever leaving a half-written template: the new
//! text goes to a temporary file beside the original, is flushed and synced,
//! takes the original's permissions (and owner, where the process may set
//! it), and is renamed over the original, so a failure at any point (disk
//! full, quota, a file-size limit, a read-only file or folder) leaves the
//! original as it was. A symbolic link is written through only when its
//! target lies inside the scan's boundary; a file with other hard links is
//! written and the other names are said to keep the old text. See
//! `docs/decisions/0031-trust-under-failure.md`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What a successful write has to say besides "written".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Notes for the user (a symbolic link followed, hard links kept apart).
    pub notes: Vec<String>,
}

/// Writes `bytes` over `path` atomically, after checking that the file
/// still holds `expected` (the text the scan read, a byte order mark aside).
/// `boundary` is the folder a symbolic link's target must lie in.
pub fn replace_file(
    path: &Path,
    display: &str,
    expected: &[u8],
    bytes: impl FnOnce(bool) -> Vec<u8>,
    boundary: Option<&Path>,
) -> io::Result<Written> {
    let mut written = Written::default();
    let target = resolve_link(path, display, boundary, &mut written)?;
    let current = fs::read(&target)?;
    let (bom, rest) = match current.strip_prefix("\u{feff}".as_bytes()) {
        Some(rest) => (true, rest),
        None => (false, current.as_slice()),
    };
    if rest != expected {
        return Err(io::Error::other(format!(
            "{display} changed since it was read; nothing written to it"
        )));
    }
    let meta = fs::metadata(&target)?;
    // A read-only file stays read-only: renaming over it would succeed
    // where writing it would not, so ask for write access first.
    OpenOptions::new().write(true).open(&target)?;
    let links = hard_links(&meta);
    if links > 1 {
        written.notes.push(format!(
            "{display} has {} other hard link(s); they keep the previous text, since the fix replaces this name only",
            links - 1
        ));
    }
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(
        ".{name}.aml-baseline-fix.{}.tmp",
        std::process::id()
    ));
    let result = write_temp(&temp, &bytes(bom), &meta).and_then(|()| fs::rename(&temp, &target));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result?;
    // The rename is durable once the folder is synced (best effort: not
    // every file system lets a folder be opened for it).
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(written)
}

/// The file to write: `path`, or the target of the symbolic link `path`
/// when it lies inside `boundary`.
fn resolve_link(
    path: &Path,
    display: &str,
    boundary: Option<&Path>,
    written: &mut Written,
) -> io::Result<PathBuf> {
    let meta = fs::symlink_metadata(path)?;
    let resolved = fs::canonicalize(path)?;
    let through_link = meta.file_type().is_symlink()
        || path
            .parent()
            .and_then(|p| fs::canonicalize(p).ok())
            .is_some_and(|p| resolved.parent() != Some(p.as_path()));
    if !through_link {
        return Ok(path.to_path_buf());
    }
    if let Some(b) = boundary {
        let b = fs::canonicalize(b).unwrap_or_else(|_| b.to_path_buf());
        if !resolved.starts_with(&b) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{display} is a symbolic link (or lies below one) to {}, outside the scanned folder {}; `fix` does not write outside it, so nothing was written",
                    resolved.display(),
                    b.display()
                ),
            ));
        }
    }
    written.notes.push(format!(
        "{display} is a symbolic link: its target {} was written",
        resolved.display()
    ));
    Ok(resolved)
}

/// Creates `temp` (never over an existing file), writes, syncs and gives it
/// the original's permissions and, where allowed, its owner.
fn write_temp(temp: &Path, bytes: &[u8], original: &fs::Metadata) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(temp)?;
    f.write_all(bytes)?;
    f.flush()?;
    f.sync_all()?;
    fs::set_permissions(temp, original.permissions())?;
    keep_owner(temp, original);
    Ok(())
}

#[cfg(unix)]
fn keep_owner(temp: &Path, original: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    // Only root may give a file away; anyone may keep their own group.
    // Either failing leaves the file owned by whoever runs `fix`.
    let _ = std::os::unix::fs::chown(temp, Some(original.uid()), Some(original.gid()));
}

#[cfg(not(unix))]
fn keep_owner(_: &Path, _: &fs::Metadata) {}

#[cfg(unix)]
fn hard_links(meta: &fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::nlink(meta)
}

#[cfg(not(unix))]
fn hard_links(_: &fs::Metadata) -> u64 {
    1
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write(
        path: &Path,
        before: &str,
        after: &str,
        boundary: Option<&Path>,
    ) -> io::Result<Written> {
        let after = after.as_bytes().to_vec();
        replace_file(path, "t.json", before.as_bytes(), move |_| after, boundary)
    }

    #[test]
    fn keeps_mode_and_replaces_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.json");
        fs::write(&p, "{}").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        let w = write(&p, "{}", "{\"a\": 1}", None).unwrap();
        assert!(w.notes.is_empty());
        assert_eq!(fs::read_to_string(&p).unwrap(), "{\"a\": 1}");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn a_changed_file_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.json");
        fs::write(&p, "{\"b\": 2}").unwrap();
        let e = write(&p, "{}", "{\"a\": 1}", None).unwrap_err();
        assert!(e.to_string().contains("changed since it was read"), "{e}");
        assert_eq!(fs::read_to_string(&p).unwrap(), "{\"b\": 2}");
    }

    #[test]
    fn links_out_of_the_boundary_are_refused_and_hard_links_named() {
        let outside = tempfile::tempdir().unwrap();
        let inside = tempfile::tempdir().unwrap();
        let target = outside.path().join("real.json");
        fs::write(&target, "{}").unwrap();
        let link = inside.path().join("t.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = write(&link, "{}", "{\"a\": 1}", Some(inside.path())).unwrap_err();
        assert!(e.to_string().contains("outside the scanned folder"), "{e}");
        assert_eq!(fs::read_to_string(&target).unwrap(), "{}");
        // Inside the boundary, the target is written and the link kept.
        let w = write(
            &link,
            "{}",
            "{\"a\": 1}",
            Some(outside.path().parent().unwrap()),
        )
        .unwrap();
        assert!(w.notes[0].contains("symbolic link"), "{:?}", w.notes);
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&target).unwrap(), "{\"a\": 1}");
        // Hard links: written under this name, the other name is named.
        let hard = inside.path().join("h.json");
        let other = inside.path().join("other.json");
        fs::write(&hard, "{}").unwrap();
        fs::hard_link(&hard, &other).unwrap();
        let w = write(&hard, "{}", "{\"a\": 1}", None).unwrap();
        assert!(w.notes[0].contains("1 other hard link"), "{:?}", w.notes);
        assert_eq!(fs::read_to_string(&other).unwrap(), "{}");
    }
}
