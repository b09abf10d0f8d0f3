#![no_main]
//! Fuzz target: see `fuzz/src/lib.rs` (`yaml`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    aml_baseline_fuzz::yaml(data);
});
