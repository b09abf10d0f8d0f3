//! Work counters: how many lookups and scan steps a run made, so that a test
//! can assert that the work grows linearly with the input where wall time is
//! too noisy to tell (issue 20). Each count is one relaxed atomic addition,
//! made once per lookup or once per scan (with the number of items visited),
//! never per item; the counters never change what a run outputs.

use std::sync::atomic::{AtomicU64, Ordering};

/// What is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// A lookup in an index (a deployment's members, an id, a file by path).
    Lookup,
    /// Items visited by a scan over a list (a deployment's resources, the
    /// candidates of an identity comparison).
    Scan,
    /// A file's text read again from disk (the scan keeps no texts, see
    /// [`crate::source::SourceFile::text`]).
    TextRead,
}

static LOOKUPS: AtomicU64 = AtomicU64::new(0);
static SCANNED: AtomicU64 = AtomicU64::new(0);
static TEXT_READS: AtomicU64 = AtomicU64::new(0);

fn counter(kind: Work) -> &'static AtomicU64 {
    match kind {
        Work::Lookup => &LOOKUPS,
        Work::Scan => &SCANNED,
        Work::TextRead => &TEXT_READS,
    }
}

/// Adds `n` to the counter of `kind`.
#[inline]
pub fn add(kind: Work, n: usize) {
    counter(kind).fetch_add(n as u64, Ordering::Relaxed);
}

/// The current value of the counter of `kind` (process-wide, since the start
/// or the last [`reset`]).
pub fn get(kind: Work) -> u64 {
    counter(kind).load(Ordering::Relaxed)
}

/// Sets every counter back to zero.
pub fn reset() {
    LOOKUPS.store(0, Ordering::Relaxed);
    SCANNED.store(0, Ordering::Relaxed);
    TEXT_READS.store(0, Ordering::Relaxed);
}
