//! Source files, byte spans and `line:col` positions.

use std::io::Read;
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
///
/// A file read from disk by the scan does not keep its text in memory
/// ([`SourceFile::from_disk`]): [`SourceFile::text`] reads it again when a
/// stage needs it (the front end that parses it, a fix, a snippet), through a
/// small per-thread cache, and checks that it has not changed since the scan
/// read it (size and modification time). Only the line index stays, so
/// positions cost no text. At 10,000 templates the texts were a third of the
/// scan's memory (decision 0042). Files with non-ASCII text, and files that
/// are not on disk (an editor's unsaved text, tests), keep their text.
///
/// The text read by the scan is handed to the first reader (the front end
/// that parses the file) rather than read again, within a budget for the
/// whole process ([`FIRST_READ_BUDGET`]): between reading and the front ends
/// the texts are held once, then each goes when its front end is done with
/// it ([`SourceMap::drop_first_reads`] drops what no one took).
#[derive(Debug)]
pub struct SourceFile {
    /// The path as given or found (relative to the working directory when possible).
    pub path: PathBuf,
    /// The path as displayed in reports: forward slashes, no leading `./`.
    pub display: String,
    /// The text, when it is kept in memory.
    resident: Option<Arc<str>>,
    /// What the file on disk was when it was read, to read it again.
    stamp: Option<DiskStamp>,
    /// The text as the scan read it, until its first reader takes it.
    first_read: std::sync::Mutex<Option<Arc<str>>>,
    /// A number no other `SourceFile` of the process has (the cache's key).
    uid: u64,
    /// Set when the file read again was not the file the scan read.
    changed: std::sync::atomic::AtomicBool,
    len: u32,
    line_starts: Vec<u32>,
    ascii: bool,
    /// Whether the text holds [`INLINE_MARKER`] (the report looks for
    /// inline suppressions only in files that do, without reading every
    /// file again).
    inline_marker: bool,
    /// Whether the text holds `module` (every Bicep module declaration and
    /// Terraform module block does: the fix plan's index of module callers
    /// reads again only the files that do).
    mentions_module: bool,
    /// The local module files this file's module declarations name, as the
    /// front end that parsed it recorded them (Bicep): the fix plan's index
    /// of module callers takes them instead of parsing the file again.
    module_targets: std::sync::OnceLock<Box<[PathBuf]>>,
}

/// The marker of an inline suppression comment (`aml_report::suppress`).
pub const INLINE_MARKER: &str = "aml-baseline-ignore";

/// The size and modification time of a file when it was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskStamp {
    /// Bytes on disk (with a byte-order mark, if it had one).
    pub bytes: u64,
    pub modified: Option<std::time::SystemTime>,
    /// Whether a UTF-8 byte-order mark was stripped.
    pub bom: bool,
}

impl DiskStamp {
    /// The stamp of a file's metadata.
    pub fn of(meta: &std::fs::Metadata, bom: bool) -> DiskStamp {
        DiskStamp {
            bytes: meta.len(),
            modified: meta.modified().ok(),
            bom,
        }
    }
}

/// Files read again recently, per thread (a front end evaluating a unit, a
/// renderer showing snippets), so that a loop over one file's spans reads it once.
const CACHED_TEXTS: usize = 8;

thread_local! {
    static TEXT_CACHE: std::cell::RefCell<std::collections::VecDeque<(u64, Arc<str>)>> =
        const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
}

static NEXT_UID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Bytes of text the scan may hold for first readers at once (see
/// [`SourceFile`]): all of 10,000 ARM units (171 MB) fit, and a repository
/// larger than that has its other files read again as before.
pub const FIRST_READ_BUDGET: usize = 256 << 20;

/// Bytes of text held for first readers now.
static FIRST_READ_HELD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Reserves `bytes` of [`FIRST_READ_BUDGET`]; false when they do not fit.
fn reserve_first_read(bytes: usize) -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    FIRST_READ_HELD
        .fetch_update(Relaxed, Relaxed, |held| {
            (held + bytes <= FIRST_READ_BUDGET).then_some(held + bytes)
        })
        .is_ok()
}

/// Gives back what [`reserve_first_read`] reserved for `text`.
fn release_first_read(text: &str) {
    FIRST_READ_HELD.fetch_sub(text.len(), std::sync::atomic::Ordering::Relaxed);
}

/// Where each line of `text` starts; a large text's in pieces, on every
/// thread.
fn line_starts(text: &str) -> Vec<u32> {
    use rayon::prelude::*;
    const PIECE: usize = 1 << 20;
    fn newlines(bytes: &[u8], offset: usize) -> impl Iterator<Item = u32> + '_ {
        memchr::memchr_iter(b'\n', bytes).map(move |i| (offset + i) as u32 + 1)
    }
    let mut starts = vec![0u32];
    if text.len() < crate::json::PARALLEL_FROM {
        starts.extend(newlines(text.as_bytes(), 0));
        starts.shrink_to_fit();
    } else {
        let pieces: Vec<Vec<u32>> = text
            .as_bytes()
            .par_chunks(PIECE)
            .enumerate()
            .map(|(i, bytes)| newlines(bytes, i * PIECE).collect())
            .collect();
        starts.reserve_exact(pieces.iter().map(Vec::len).sum());
        for piece in pieces {
            starts.extend(piece);
        }
    }
    starts
}

impl SourceFile {
    /// A file whose text stays in memory.
    pub fn new(path: PathBuf, text: String) -> SourceFile {
        Self::build(path, text, None)
    }

    /// A file the scan read from disk: its text is dropped once the line
    /// index is built (unless it is not ASCII) and read again on demand.
    pub fn from_disk(path: PathBuf, text: String, stamp: DiskStamp) -> SourceFile {
        Self::build(path, text, Some(stamp))
    }

    fn build(path: PathBuf, text: String, stamp: Option<DiskStamp>) -> SourceFile {
        let display = display_path(&path);
        let looks = || {
            let ascii = text.is_ascii();
            let inline_marker =
                memchr::memmem::find(text.as_bytes(), INLINE_MARKER.as_bytes()).is_some();
            let mentions_module = memchr::memmem::find(text.as_bytes(), b"module").is_some();
            let evict = stamp.is_some() && ascii && !text.is_empty();
            let first_read =
                (evict && reserve_first_read(text.len())).then(|| Arc::from(text.as_str()));
            (ascii, inline_marker, mentions_module, evict, first_read)
        };
        // A large text (a tenant's live export) is indexed on one thread
        // while it is looked at and copied on another.
        let (line_starts, (ascii, inline_marker, mentions_module, evict, first_read)) =
            if text.len() >= crate::json::PARALLEL_FROM {
                rayon::join(|| line_starts(&text), looks)
            } else {
                (line_starts(&text), looks())
            };
        SourceFile {
            path,
            display,
            len: text.len() as u32,
            resident: (!evict).then(|| Arc::from(text)),
            stamp: stamp.filter(|_| evict),
            first_read: std::sync::Mutex::new(first_read),
            uid: NEXT_UID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            changed: Default::default(),
            ascii,
            inline_marker,
            mentions_module,
            module_targets: std::sync::OnceLock::new(),
            line_starts,
        }
    }

    /// Whether the text holds [`INLINE_MARKER`], as the scan read it.
    pub fn holds_inline_marker(&self) -> bool {
        self.inline_marker
    }

    /// Whether the text holds `module`, as the scan read it.
    pub fn mentions_module(&self) -> bool {
        self.mentions_module
    }

    /// Records the local module files the file's module declarations name
    /// (normalised paths, in declaration order), as parsed from the text
    /// the scan read. The first record stays.
    pub fn record_module_targets(&self, targets: Vec<PathBuf>) {
        let _ = self.module_targets.set(targets.into_boxed_slice());
    }

    /// The local module files recorded by [`SourceFile::record_module_targets`],
    /// if a front end recorded them.
    pub fn module_targets(&self) -> Option<&[PathBuf]> {
        self.module_targets.get().map(|t| &t[..])
    }

    /// The file's text as the scan read it. Read again from disk when it is
    /// not kept; a file that changed since reads as blanks of the same shape
    /// (see [`SourceFile::changed`]), never as other text.
    pub fn text(&self) -> Arc<str> {
        let (text, read) = self.text_and_whether_read();
        if read {
            TEXT_CACHE.with(|c| {
                let mut c = c.borrow_mut();
                if c.len() == CACHED_TEXTS {
                    c.pop_back();
                }
                c.push_front((self.uid, text.clone()));
            });
        }
        text
    }

    /// [`SourceFile::text`], without keeping the text in the thread's
    /// cache: for a reader that reads the whole text once (a live export's
    /// front end), so that a large text is freed as soon as the reader is
    /// done with it.
    pub fn text_once(&self) -> Arc<str> {
        self.text_and_whether_read().0
    }

    /// The text, and whether it was read (taken from the scan's first read
    /// or read again from disk) rather than kept or cached.
    fn text_and_whether_read(&self) -> (Arc<str>, bool) {
        if let Some(t) = &self.resident {
            return (t.clone(), false);
        }
        let cached = TEXT_CACHE.with(|c| {
            c.borrow()
                .iter()
                .find(|(uid, _)| *uid == self.uid)
                .map(|(_, t)| t.clone())
        });
        if let Some(t) = cached {
            return (t, false);
        }
        let first = self.take_first_read();
        let text: Arc<str> = match first.or_else(|| self.read_again().map(Arc::from)) {
            Some(t) => t,
            None => {
                self.changed
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                Arc::from(self.blank())
            }
        };
        (text, true)
    }

    /// The text, leaving the scan's read of it to the reader that parses the
    /// file later (a quick look before that reader runs; [`SourceFile::text`]
    /// otherwise).
    pub fn peek_text(&self) -> Arc<str> {
        let first = self.first_read.lock().unwrap_or_else(|e| e.into_inner());
        match first.as_ref() {
            Some(text) => text.clone(),
            None => {
                drop(first);
                self.text()
            }
        }
    }

    /// The text the scan read, if no one took it yet (see [`SourceFile`]).
    fn take_first_read(&self) -> Option<Arc<str>> {
        let taken = self
            .first_read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(text) = &taken {
            release_first_read(text);
        }
        taken
    }

    /// The text on disk, if the file is still the one the scan read.
    fn read_again(&self) -> Option<String> {
        let stamp = self.stamp?;
        crate::work::add(crate::work::Work::TextRead, 1);
        let file = std::fs::File::open(&self.path).ok()?;
        let meta = file.metadata().ok()?;
        if DiskStamp::of(&meta, stamp.bom) != stamp {
            return None;
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        (&file).take(stamp.bytes + 1).read_to_end(&mut bytes).ok()?;
        let mut text = String::from_utf8(bytes).ok()?;
        if stamp.bom {
            text.drain(..'\u{feff}'.len_utf8());
        }
        (text.len() == self.len as usize).then_some(text)
    }

    /// Spaces with the file's line breaks: what a changed file reads as, so
    /// that every position stays valid and no other text is shown or edited.
    fn blank(&self) -> String {
        let mut out = vec![b' '; self.len as usize];
        for &start in &self.line_starts[1..] {
            if let Some(b) = out.get_mut(start as usize - 1) {
                *b = b'\n';
            }
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// Whether the file on disk changed after the scan read it (then its
    /// snippets and fixes are withheld; the scan reports it).
    pub fn changed(&self) -> bool {
        self.changed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the text is read again from disk when needed.
    pub fn is_kept_on_disk(&self) -> bool {
        self.resident.is_none()
    }

    /// The length of the text in bytes.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let offset = offset.min(self.len);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        self.column_on(line, offset)
    }

    /// [`SourceFile::line_col`], searched from the 0-based line `near`
    /// (forward by doubling steps, else by halving below it), which is set
    /// to the offset's line: a run of offsets in ascending order finds each
    /// line in a few steps, not by a search over every line start (2.5
    /// million at 100,000 live resources).
    pub fn line_col_near(&self, offset: u32, near: &mut usize) -> (u32, u32) {
        let offset = offset.min(self.len);
        let starts = &self.line_starts;
        let from = (*near).min(starts.len() - 1);
        // The last line starting at or before `offset` (line 0 starts at 0).
        let line = if starts[from] <= offset {
            let (mut low, mut step) = (from, 1);
            while low + step < starts.len() && starts[low + step] <= offset {
                low += step;
                step *= 2;
            }
            let high = (low + step).min(starts.len());
            low + starts[low..high].partition_point(|&s| s <= offset) - 1
        } else {
            starts[..from].partition_point(|&s| s <= offset) - 1
        };
        *near = line;
        self.column_on(line, offset)
    }

    /// 1-based line and column of `offset` (at most the length) on the
    /// 0-based `line`.
    fn column_on(&self, line: usize, offset: u32) -> (u32, u32) {
        let start = self.line_starts[line] as usize;
        // Bytes are characters in ASCII text (most templates, and every file
        // whose text is not kept); counting the characters of a long
        // minified line for every position was quadratic.
        let Some(text) = self.resident.as_ref().filter(|_| !self.ascii) else {
            return (line as u32 + 1, (offset as usize - start) as u32 + 1);
        };
        let mut end = offset as usize;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let col = text[start..end].chars().count() as u32 + 1;
        (line as u32 + 1, col)
    }

    /// The byte range of a 1-based line, without its line break.
    pub fn line_span(&self, line: u32) -> (usize, usize) {
        self.line_bounds(&self.text(), line)
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: u32) -> String {
        let text = self.text();
        let (start, end) = self.line_bounds(&text, line);
        text.get(start..end).unwrap_or("").to_string()
    }

    /// [`SourceFile::line_span`] in `text` (this file's text).
    fn line_bounds(&self, text: &str, line: u32) -> (usize, usize) {
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(i) else {
            return (self.len(), self.len());
        };
        let end = self
            .line_starts
            .get(i + 1)
            .map(|e| *e as usize)
            .unwrap_or(self.len());
        let start = start as usize;
        let kept = text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
            .len();
        (start, start + kept)
    }
}

impl Drop for SourceFile {
    /// A text no reader took gives its share of the budget back.
    fn drop(&mut self) {
        let slot = self.first_read.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(text) = slot.take() {
            release_first_read(&text);
        }
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
    by_path: crate::FastMap<PathBuf, FileId>,
    by_display: crate::FastMap<String, FileId>,
}

impl SourceMap {
    /// Room for `additional` more files (the path look-ups grown once, not
    /// rehashed key by key as files are added).
    pub fn reserve(&mut self, additional: usize) {
        self.files.reserve(additional);
        self.by_path.reserve(additional);
        self.by_display.reserve(additional);
    }

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

    /// Drops the texts no reader took (see [`SourceFile`]): after the front
    /// ends, a text is read again when needed, as before.
    pub fn drop_first_reads(&self) {
        for f in &self.files {
            drop(f.take_first_read());
        }
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

/// Sorts `items` by their paths in [`Path`]'s order (component by
/// component), as `sort_by(|a, b| path(a).cmp(path(b)))` does (stable).
///
/// `Path`'s comparison splits both paths into components at every step,
/// which made sorting a few thousand paths cost as much as parsing a file.
/// When every path is plain (no `.`, `..` or empty component, no trailing
/// separator), component order is the order of the bytes with the separator
/// below every other byte: each path's bytes are mapped so once and compared
/// as bytes. Any other path, or another platform, sorts with `Path`'s order.
pub fn sort_paths<T>(items: &mut [T], path: impl Fn(&T) -> &Path) {
    #[cfg(unix)]
    if items.iter().all(|t| is_plain(path(t))) {
        // Each key made once; equal keys keep their order.
        items.sort_by_cached_key(|t| plain_path_key(path(t)));
        return;
    }
    items.sort_by(|a, b| path(a).cmp(path(b)));
}

/// Whether a path is plain (see [`sort_paths`]): not empty, no trailing
/// separator, no `.`, `..` or empty component but an absolute path's root.
#[cfg(unix)]
fn is_plain(p: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let bytes = p.as_os_str().as_bytes();
    let trailing_separator = bytes.len() > 1 && bytes.ends_with(b"/");
    !bytes.is_empty()
        && !trailing_separator
        && bytes
            .split(|b| *b == b'/')
            .enumerate()
            .all(|(i, part)| match part {
                // Only an absolute path's root comes before its first separator.
                b"" => i == 0,
                b"." | b".." => false,
                _ => true,
            })
}

/// The bytes of a plain path with the separator mapped to 0 (no Unix path
/// holds a 0 byte): compared as bytes, they sort as the paths do.
#[cfg(unix)]
fn plain_path_key(p: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str()
        .as_bytes()
        .iter()
        .map(|&b| if b == b'/' { 0 } else { b })
        .collect()
}

/// Lexically normalises `a/./b/../c` without touching the file system.
pub fn normalize_path(p: &Path) -> PathBuf {
    if is_already_normal(p) {
        return p.to_path_buf();
    }
    normalize_components(p)
}

/// Whether `p` is what [`normalize_components`] makes of it: on Unix, a
/// path with no `.` or `..` segment, no empty segment but a leading one
/// (the root) and no trailing `/` (elsewhere, never said).
fn is_already_normal(p: &Path) -> bool {
    if !cfg!(unix) {
        return false;
    }
    let b = p.as_os_str().as_encoded_bytes();
    if b == b"/" {
        return true;
    }
    !b.is_empty()
        && !b.ends_with(b"/")
        && b.split(|&c| c == b'/')
            .enumerate()
            .all(|(i, segment)| match segment {
                b"" => i == 0,
                b"." | b".." => false,
                _ => true,
            })
}

/// [`normalize_path`], component by component.
fn normalize_components(p: &Path) -> PathBuf {
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
    /// A large text's line starts, found in pieces on every thread, are
    /// those of one pass: newlines at the pieces' edges, at the start and at
    /// the end included; and `line_col` reads them the same.
    #[test]
    fn a_large_text_is_indexed_in_pieces_as_in_one_pass() {
        let piece = 1 << 20;
        let mut text = String::from("\n");
        let mut seed = 11u64;
        while text.len() < crate::json::PARALLEL_FROM + 3 * piece {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let line = (seed >> 40) as usize % 300;
            text.push_str(&"x".repeat(line));
            text.push('\n');
        }
        // Newlines just before, at and after piece edges.
        for edge in [piece - 1, piece, 2 * piece + 1, 3 * piece] {
            text.replace_range(edge..edge + 1, "\n");
        }
        text.push('\n');
        let one_pass: Vec<u32> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i as u32 + 1))
            .collect();
        assert_eq!(super::line_starts(&text), one_pass);
        let file = super::SourceFile::new("large.json".into(), text.clone());
        let at = 3 * piece + 5;
        let line = one_pass.partition_point(|&s| s as usize <= at) as u32;
        assert_eq!(file.line_col(at as u32).0, line);
    }

    #[test]
    fn paths_sort_as_path_orders_them() {
        use std::path::PathBuf;
        // Every path of up to four parts from a few names (with `.`, `..`,
        // empty parts and characters below and above the separator), in a
        // shuffled order: `sort_paths` gives `Path`'s order, plain or not.
        let names = ["a", "a-b", "a.b", "ab", "b", "-", ".", "..", "", "a b", "é"];
        let mut all: Vec<PathBuf> = Vec::new();
        let mut seed = 7u64;
        for _ in 0..4000 {
            let mut s = String::new();
            let parts = 1 + (seed % 4) as usize;
            for k in 0..parts {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if k > 0 || seed % 5 == 0 {
                    s.push('/');
                }
                s.push_str(names[(seed >> 33) as usize % names.len()]);
            }
            all.push(PathBuf::from(s));
        }
        let plain: Vec<PathBuf> = all.iter().filter(|p| super::is_plain(p)).cloned().collect();
        assert!(plain.len() > 500 && plain.len() < all.len());
        for set in [all, plain] {
            let mut want = set.clone();
            want.sort();
            let mut got: Vec<(PathBuf, usize)> = set.into_iter().zip(0..).collect();
            super::sort_paths(&mut got, |(p, _)| p.as_path());
            let got_paths: Vec<PathBuf> = got.iter().map(|(p, _)| p.clone()).collect();
            assert_eq!(got_paths, want);
            // Stable: equal paths keep their first order.
            assert!(got.windows(2).all(|w| w[0].0 != w[1].0 || w[0].1 < w[1].1));
        }
    }

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

    /// The shortcut for a path already normal gives what the components
    /// give, on every path of up to four segments from a set with the
    /// cases that matter (root, empty, `.`, `..`, trailing `/`).
    #[test]
    fn normal_paths_are_kept_as_the_components_would_make_them() {
        let parts = ["", "a", "b.c", ".", "..", "...", ".x", "x."];
        let mut paths = vec![String::new(), "/".to_string()];
        for n in 1..=4u32 {
            for k in 0..parts.len().pow(n) {
                let mut i = k;
                let mut segments = Vec::new();
                for _ in 0..n {
                    segments.push(parts[i % parts.len()]);
                    i /= parts.len();
                }
                paths.push(segments.join("/"));
            }
        }
        let mut kept = 0;
        for p in &paths {
            let p = Path::new(p);
            assert_eq!(normalize_path(p), normalize_components(p), "{p:?}");
            kept += usize::from(is_already_normal(p));
        }
        assert!(kept > 500, "{kept} of {} kept as they are", paths.len());
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
        let one = f.text().find('1').unwrap() as u32;
        assert_eq!(f.line_col(one), (2, 8));
        assert_eq!(f.line_text(2), "  \"é\": 1");
    }

    /// From any line it starts at, the search from a hint finds what the
    /// search over every line start finds, for every offset (inside a
    /// multi-byte character, at the end, past it) and in any order.
    #[test]
    fn the_search_from_a_hint_agrees_with_the_whole_search() {
        let texts = [
            "{\n  \"é\": 1\n}".to_string(),
            "\n\n\nx\n".to_string(),
            "one line, no break".to_string(),
            String::new(),
            (0..300)
                .map(|i| format!("{}{}\n", "ü".repeat(i % 5), "a".repeat(i % 7)))
                .collect(),
        ];
        for text in texts {
            let f = SourceFile::new("a.json".into(), text.clone());
            let lines = text.matches('\n').count() + 1;
            let offsets: Vec<u32> = (0..=text.len() as u32 + 2).collect();
            for start in [0, 1, lines / 2, lines - 1, lines + 5] {
                let mut near = start;
                for &o in offsets.iter().chain(offsets.iter().rev()).step_by(3) {
                    assert_eq!(
                        f.line_col_near(o, &mut near),
                        f.line_col(o),
                        "{o} from {start}"
                    );
                    assert_eq!(near as u32 + 1, f.line_col(o).0);
                }
            }
        }
    }

    #[test]
    fn display_path_strips_dot_slash() {
        assert_eq!(display_path(std::path::Path::new("./a/b.json")), "a/b.json");
    }

    /// A file the scan read, as it is once the front ends ran: its text
    /// read again when needed.
    fn on_disk(dir: &Path, name: &str, text: &str) -> SourceFile {
        let f = first_read_on_disk(dir, name, text);
        drop(f.take_first_read());
        f
    }

    /// A file the scan read, before its first reader took the text.
    fn first_read_on_disk(dir: &Path, name: &str, text: &str) -> SourceFile {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        let stored = text.strip_prefix('\u{feff}').unwrap_or(text);
        let bom = stored.len() != text.len();
        SourceFile::from_disk(path, stored.to_string(), DiskStamp::of(&meta, bom))
    }

    #[test]
    fn the_first_reader_gets_the_text_read_and_later_readers_read_it_again() {
        let dir = scratch("first");
        let text = "{\n  \"a\": 1\n}\n";
        let f = first_read_on_disk(&dir, "f.json", text);
        // A look leaves the text to the reader that parses the file.
        assert_eq!(&*f.peek_text(), text);
        assert!(f.first_read.lock().unwrap().is_some());
        // The first reader takes it, even if the file changed meanwhile: it
        // is the text the scan read.
        std::fs::write(dir.join("f.json"), "{}\n").unwrap();
        assert_eq!(&*f.text(), text);
        assert!(f.first_read.lock().unwrap().is_none());
        assert!(!f.changed());
        // Once it is gone from this thread's cache, the file is read again,
        // and the change is seen.
        TEXT_CACHE.with(|c| c.borrow_mut().clear());
        assert_eq!(f.text().len(), text.len());
        assert!(f.changed());
        // A text no one took is dropped with the map's first reads.
        let mut map = SourceMap::default();
        map.add(first_read_on_disk(&dir, "g.json", text));
        map.drop_first_reads();
        assert!(map.get(FileId(0)).first_read.lock().unwrap().is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("aml-source-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_file_on_disk_is_read_again_with_the_same_text_and_positions() {
        let dir = scratch("again");
        let text = "{\n  \"a\": 1,\n  \"b\": [2, 3]\n}\n";
        let f = on_disk(&dir, "t.json", text);
        assert!(f.is_kept_on_disk());
        assert_eq!(&*f.text(), text);
        assert_eq!(f.len(), text.len());
        assert_eq!(f.line_text(3), "  \"b\": [2, 3]");
        assert_eq!(f.line_col(text.find('2').unwrap() as u32), (3, 9));
        assert!(!f.changed());
        // A byte order mark is stripped again.
        let g = on_disk(&dir, "bom.json", "\u{feff}{\"x\": 1}");
        assert_eq!(&*g.text(), "{\"x\": 1}");
        assert!(!g.changed());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_that_changed_reads_as_blanks_of_the_same_shape() {
        let dir = scratch("changed");
        let text = "line one\nline two\n";
        let f = on_disk(&dir, "c.tf", text);
        std::fs::write(dir.join("c.tf"), "resource \"x\" \"y\" {}\n# longer now\n").unwrap();
        let seen = f.text();
        assert_eq!(seen.len(), text.len());
        assert_eq!(&*seen, "        \n        \n");
        assert!(f.changed());
        assert_eq!(f.line_text(2), "        ");
        // Gone altogether: the same.
        let g = on_disk(&dir, "gone.tf", "abc\n");
        std::fs::remove_file(dir.join("gone.tf")).unwrap();
        assert_eq!(&*g.text(), "   \n");
        assert!(g.changed());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn text_that_is_not_ascii_or_not_on_disk_stays_in_memory() {
        let dir = scratch("resident");
        let f = on_disk(&dir, "u.bicep", "param x string = 'é'\n");
        assert!(!f.is_kept_on_disk());
        std::fs::remove_file(dir.join("u.bicep")).unwrap();
        assert_eq!(&*f.text(), "param x string = 'é'\n");
        assert!(!f.changed());
        let g = SourceFile::new("mem.json".into(), "{}".into());
        assert!(!g.is_kept_on_disk());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
