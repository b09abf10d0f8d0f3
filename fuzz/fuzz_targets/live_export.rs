#![no_main]
//! Fuzz target: see `fuzz/src/lib.rs` (`live_export`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    aml_baseline_fuzz::live_export(data);
});
