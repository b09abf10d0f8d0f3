//! The `aml-baseline` command line.

use aml_baseline::commands;
use std::process::ExitCode;

/// mimalloc instead of the system allocator: scans allocate millions of small
/// values from two threads (decision 0042).
#[global_allocator]
static GLOBAL: aml_baseline::allocator::Allocator = aml_baseline::allocator::Allocator;

/// mimalloc's `mi_option_purge_delay`: its place in `mi_option_e` of the
/// mimalloc v3 that libmimalloc-sys builds (a test checks it is that option).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

extern "C" {
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    fn mi_collect(force: bool);
}

/// Gives the memory mimalloc holds freed back to the system now
/// ([`aml_model::memory`]).
fn release_freed_memory() {
    // SAFETY: mimalloc's collection, callable from any thread at any time.
    unsafe { mi_collect(true) }
}

/// How long mimalloc keeps freed memory before giving it back to the system,
/// in milliseconds: 1,000 by default in mimalloc v3, so that what a stage
/// frees stays resident through the next; 100 ms gives back 15% of the peak
/// of a 10,000-unit scan for no measurable time (decision 0050).
/// `MIMALLOC_PURGE_DELAY` still wins.
const PURGE_DELAY_MS: std::ffi::c_long = 100;

fn main() -> ExitCode {
    // Libraries underneath (the policy engine's alias normaliser) build
    // `anyhow` errors on ordinary paths; with RUST_BACKTRACE=1 each one would
    // capture a backtrace, which made scans 3-6x slower
    // (docs/performance.md). Panics still honour RUST_BACKTRACE.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // Set before any other thread starts.
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    aml_model::memory::on_release(release_freed_memory);
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's options, which it reads atomically.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
    match commands::run() {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option set at start-up is mimalloc's purge delay: v3's default
    /// (1,000 ms) is what reads there (a libmimalloc-sys update that moves
    /// the option makes this fail).
    #[test]
    fn the_purge_delay_option_is_where_it_is_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads one of mimalloc's options.
        assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, 1000);
    }
}
