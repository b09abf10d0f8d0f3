//! How large a live export may be: reading one holds the whole file, the
//! span of every value, the model and the report's results in memory, about
//! [`BYTES_PER_EXPORT_BYTE`] times the file's size (measured, see
//! `docs/reliability.md`). An export is read only when that fits both the
//! fixed limit [`MAX_EXPORT_BYTES`] and the memory the system has
//! available, so that a scan fails with a diagnostic before reading instead
//! of aborting on an allocation halfway through.

/// Peak memory per byte of export: peak RSS over file size, measured on
/// synthetic exports (issue 20, fourth round): 23 at 6.5 MB (the fixed part
/// of a scan weighs more on small exports), 15 at 65.6 MB, 14.1 (JSON
/// report) and 16.6 (text report) at 200 MB. About twice the ratio of large
/// exports, so that an export of another shape (more values per byte) is
/// refused rather than aborted on an allocation.
pub const BYTES_PER_EXPORT_BYTE: u64 = 32;

/// The largest export read whatever the memory: 256 MiB (about 8 GiB to scan).
pub const MAX_EXPORT_BYTES: u64 = 256 * 1024 * 1024;

/// Overrides the available memory, in MiB (tests; machines whose
/// `/proc/meminfo` says more than a container may use).
pub const MEMORY_ENV: &str = "AML_BASELINE_MEMORY_MB";

/// Memory the system can give without swapping: `MemAvailable` of
/// `/proc/meminfo`, or [`MEMORY_ENV`]; `None` when unknown.
pub fn available_memory() -> Option<u64> {
    if let Some(mb) = std::env::var(MEMORY_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(mb.saturating_mul(1024 * 1024));
    }
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

/// `Ok` when an export of `size` bytes may be read with `available` bytes
/// of memory (unknown: the fixed limit only); else why not, for a diagnostic.
pub fn check(size: u64, available: Option<u64>) -> Result<(), String> {
    let needed = size.saturating_mul(BYTES_PER_EXPORT_BYTE);
    let mib = |b: u64| b / (1024 * 1024);
    if size > MAX_EXPORT_BYTES {
        return Err(format!(
            "the live export is {} MiB; exports over {} MiB are not read (scanning one needs about {BYTES_PER_EXPORT_BYTE} times its size in memory, {} MiB here): split it, e.g. one `aml-baseline collect` per subscription",
            mib(size),
            mib(MAX_EXPORT_BYTES),
            mib(needed)
        ));
    }
    match available {
        Some(free) if needed > free => Err(format!(
            "the live export is {} MiB and scanning it needs about {} MiB of memory ({BYTES_PER_EXPORT_BYTE} times its size), but {} MiB are available: it was not read; split it (one `aml-baseline collect` per subscription) or free memory",
            mib(size),
            mib(needed),
            mib(free)
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_and_the_memory_agree() {
        let mb = 1024 * 1024;
        assert!(check(40 * mb, None).is_ok());
        assert!(check(40 * mb, Some(4096 * mb)).is_ok());
        let e = check(200 * mb, Some(4096 * mb)).unwrap_err();
        assert!(
            e.contains("needs about 6400 MiB") && e.contains("4096 MiB are available"),
            "{e}"
        );
        let e = check(480 * mb, None).unwrap_err();
        assert!(e.contains("exports over 256 MiB are not read"), "{e}");
    }
}
