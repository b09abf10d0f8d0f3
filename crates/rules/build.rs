//! Embeds every rule page in `docs/rules/` so that `aml-baseline explain`
//! prints the same text as the repository's documentation.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new("../../docs/rules");
    println!("cargo:rerun-if-changed=../../docs/rules");
    let mut pages: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("AMLB-") && n.ends_with(".md"))
                .collect()
        })
        .unwrap_or_default();
    pages.sort();
    let mut out = String::from("&[\n");
    for name in &pages {
        let id = name.trim_end_matches(".md");
        println!("cargo:rerun-if-changed=../../docs/rules/{name}");
        let _ = writeln!(
            out,
            "    ({id:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/../../docs/rules/{name}\"))),"
        );
    }
    out.push_str("]\n");
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("rule_pages.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
