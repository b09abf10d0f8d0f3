//! Helpers of this crate's unit tests.

/// Asserts that `scripts/<script> --check <flag> <corpus>` succeeds: the
/// committed data is what the generator makes of the corpus. Skipped, with a
/// note, where the corpus or python3 is not available.
pub fn generated_data_is_up_to_date(script: &str, flag: &str, corpus: &str) {
    if !std::path::Path::new(corpus).is_dir() {
        eprintln!("skipped: corpus not found at {corpus}");
        return;
    }
    let script = format!("{}/scripts/{script}", repository_root());
    let out = std::process::Command::new("python3")
        .args([script.as_str(), "--check", flag, corpus])
        .output();
    match out {
        Ok(o) => assert!(
            o.status.success(),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => eprintln!("skipped: cannot run python3: {e}"),
    }
}

/// The project's root, from this crate's folder.
pub fn repository_root() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
}
