//! Registry modules: read from the local cache that `bicep restore` fills,
//! never fetched; without the cache, what depends on them is unknown. (Its
//! own test binary: it sets the cache location for the process.)

use crate::common;

use common::{project, report, verdict};

#[test]
fn registry_modules_come_from_the_local_cache_or_stay_unknown() {
    let main = project("tests/fixtures/bicep/registry/main.bicep");
    // No cache: one warning saying how to restore, and the private endpoint is unknown.
    std::env::set_var(
        "AML_BASELINE_BICEP_CACHE",
        project("tests/fixtures/bicep/no-such-cache"),
    );
    let r = report(std::slice::from_ref(&main), None);
    let warnings: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.code == "bicep-registry-module")
        .collect();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].message.contains("bicep restore"));
    assert_eq!((warnings[0].line, warnings[0].column), (9, 11));
    assert_eq!(verdict(&r, "45e05259", "ws-reg"), "unknown");

    // With the restored module (`~/.bicep/br/<registry>/<repo with $>/<tag>$/main.json`),
    // its private endpoint is in the model and links to the workspace.
    std::env::set_var(
        "AML_BASELINE_BICEP_CACHE",
        project("tests/fixtures/bicep/cache"),
    );
    let r = report(&[main], None);
    assert!(r
        .diagnostics
        .iter()
        .all(|d| d.code != "bicep-registry-module"));
    assert_eq!(verdict(&r, "45e05259", "ws-reg"), "pass");
    assert_eq!(r.summary.resources, 2);
}
