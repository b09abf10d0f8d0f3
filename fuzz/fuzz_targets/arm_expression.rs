#![no_main]
//! Fuzz target: see `fuzz/src/lib.rs` (`arm_expression`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    aml_baseline_fuzz::arm_expression(data);
});
