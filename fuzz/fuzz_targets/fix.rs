#![no_main]
//! Fuzz target: see `fuzz/src/lib.rs` (`fix`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    aml_baseline_fuzz::fix(data);
});
