//! Source files, byte spans and `line:col` positions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }
}

/// One input file: its path as shown to the user and its text.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as given or found (relative to the working directory when possible).
    pub path: PathBuf,
    /// The path as displayed in reports: forward slashes, no leading `./`.
    pub display: String,
    pub text: String,
    line_starts: Vec<u32>,
    ascii: bool,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> SourceFile {
        let display = display_path(&path);
        let mut line_starts = vec![0u32];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        SourceFile {
            path,
            display,
            ascii: text.is_ascii(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let offset = offset.min(self.text.len() as u32);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        // Bytes are characters in ASCII text (most templates); counting the
        // characters of a long minified line for every position was quadratic.
        let col = if self.ascii {
            (end - start) as u32 + 1
        } else {
            self.text[start..end].chars().count() as u32 + 1
        };
        (line as u32 + 1, col)
    }

    /// The byte range of a 1-based line, without its line break.
    pub fn line_span(&self, line: u32) -> (usize, usize) {
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(i) else {
            return (self.text.len(), self.text.len());
        };
        (start as usize, start as usize + self.line_text(line).len())
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(i) else {
            return "";
        };
        let end = self
            .line_starts
            .get(i + 1)
            .map(|e| *e as usize)
            .unwrap_or(self.text.len());
        self.text[start as usize..end].trim_end_matches(['\n', '\r'])
    }
}

/// Turns a path into the form reports show: `/` separators, no leading `./`.
pub fn display_path(path: &std::path::Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let mut s = s.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.to_string()
}

/// Every file read during a scan. Ids are indices; the map only grows.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
    /// The first file of each path and displayed path, for lookups that
    /// must not cost a pass over every file (reports of 10,000 files).
    by_path: std::collections::HashMap<PathBuf, FileId>,
    by_display: std::collections::HashMap<String, FileId>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.by_path.entry(file.path.clone()).or_insert(id);
        // Also under its normalised path, so `find` works with either.
        let normal = normalize_path(&file.path);
        if normal != file.path {
            self.by_path.entry(normal).or_insert(id);
        }
        self.by_display.entry(file.display.clone()).or_insert(id);
        self.files.push(Arc::new(file));
        id
    }

    /// The first file shown as `display` (see [`SourceFile::display`]).
    pub fn by_display(&self, display: &str) -> Option<&Arc<SourceFile>> {
        self.by_display.get(display).map(|id| self.get(*id))
    }

    /// The id of the first file shown as `display`.
    pub fn find_display(&self, display: &str) -> Option<FileId> {
        self.by_display.get(display).copied()
    }

    pub fn get(&self, id: FileId) -> &Arc<SourceFile> {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &Arc<SourceFile>)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn find(&self, path: &std::path::Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    /// `(display path, line, column)` of a span's start.
    pub fn position(&self, span: Span) -> (String, u32, u32) {
        let f = self.get(span.file);
        let (l, c) = f.line_col(span.start);
        (f.display.clone(), l, c)
    }
}

/// Lexically normalises `a/./b/../c` without touching the file system.
pub fn normalize_path(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                // `..` above a leading `..` (or at the start) stays: `../../x`.
                let last_is_parent = matches!(
                    out.components().next_back(),
                    Some(std::path::Component::ParentDir)
                );
                if last_is_parent || !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `p` made absolute against the current directory (when relative) and
/// normalised, without touching the file system.
pub fn absolute_path(p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    normalize_path(&joined)
}

/// True when `path` lies inside the folder `root` (or is it), comparing
/// both made absolute: `../x` is inside `..`, and nothing escapes with `..`.
pub fn is_within(root: &Path, path: &Path) -> bool {
    absolute_path(path).starts_with(absolute_path(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_keeps_every_leading_parent() {
        assert_eq!(
            normalize_path(Path::new("../../x")),
            PathBuf::from("../../x")
        );
        assert_eq!(
            normalize_path(Path::new("a/../../b")),
            PathBuf::from("../b")
        );
        assert_eq!(
            normalize_path(Path::new("a/./b/../c")),
            PathBuf::from("a/c")
        );
    }

    #[test]
    fn within_compares_absolute_paths() {
        assert!(is_within(Path::new(".."), Path::new("../x")));
        assert!(is_within(Path::new("/r"), Path::new("/r/a/../b")));
        assert!(!is_within(Path::new("/r"), Path::new("/r/../etc/passwd")));
        assert!(!is_within(Path::new("/r"), Path::new("/rr/x")));
        assert!(is_within(Path::new(""), Path::new("a/b")));
        assert!(!is_within(Path::new(""), Path::new("../a")));
    }

    #[test]
    fn line_and_column_are_one_based_and_count_chars() {
        let f = SourceFile::new("a.json".into(), "{\n  \"é\": 1\n}".into());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(2), (2, 1));
        // the 1 after "é": (two spaces, quote, é, quote, colon, space) = col 8
        let one = f.text.find('1').unwrap() as u32;
        assert_eq!(f.line_col(one), (2, 8));
        assert_eq!(f.line_text(2), "  \"é\": 1");
    }

    #[test]
    fn display_path_strips_dot_slash() {
        assert_eq!(display_path(std::path::Path::new("./a/b.json")), "a/b.json");
    }
}
