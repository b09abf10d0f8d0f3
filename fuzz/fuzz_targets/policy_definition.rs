#![no_main]
//! Fuzz target: see `fuzz/src/lib.rs` (`policy_definition`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    aml_baseline_fuzz::policy_definition(data);
});
