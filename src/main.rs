//! The `aml-baseline` command line.

use aml_baseline::{allocator, commands};
use std::process::ExitCode;

/// mimalloc instead of the system allocator: scans allocate millions of small
/// values from two threads (decision 0042).
#[global_allocator]
static GLOBAL: allocator::Allocator = allocator::Allocator;

fn main() -> ExitCode {
    // Libraries underneath (the policy engine's alias normaliser) build
    // `anyhow` errors on ordinary paths; with RUST_BACKTRACE=1 each one would
    // capture a backtrace, which made scans 3-6x slower
    // (docs/performance.md). Panics still honour RUST_BACKTRACE.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // Set before any other thread starts.
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    aml_model::memory::on_release(allocator::release_freed_memory);
    allocator::set_purge_delay();
    match commands::run() {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
