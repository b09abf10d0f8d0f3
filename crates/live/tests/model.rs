//! Input → model: the live front end on exports that relate by id (a
//! Resource Graph result, an ARM list of computes, diagnostic settings), as
//! an insta snapshot read by a person.

use aml_live::Live;
use aml_model::input::describe_run;
use std::path::Path;

/// The project's root, where the fixtures are.
fn run(paths: &[&str]) -> String {
    describe_run(&Live, Path::new("../.."), paths)
}

#[test]
fn exports_that_relate() {
    insta::assert_snapshot!(run(&[
        "tests/fixtures/live/resource-graph.json",
        "tests/fixtures/live/computes.json",
        "tests/fixtures/live/diagnostic-settings.json",
    ]));
}

/// A resource listed by two exports counts once, from the first, and is
/// named in a diagnostic; the first export's resources keep their order
/// ahead of the second's new ones.
#[test]
fn a_resource_in_two_exports_counts_once() {
    let dir = std::env::temp_dir().join(format!("aml-live-two-exports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ws = |name: &str| {
        format!(
            r#"{{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/{name}", "type": "Microsoft.MachineLearningServices/workspaces", "name": "{name}", "properties": {{}}}}"#
        )
    };
    let first = dir.join("first.json");
    let second = dir.join("second.json");
    std::fs::write(
        &first,
        format!(r#"{{"value": [{}, {}]}}"#, ws("a"), ws("b")),
    )
    .unwrap();
    std::fs::write(
        &second,
        format!(r#"{{"value": [{}, {}]}}"#, ws("B"), ws("c")),
    )
    .unwrap();
    let out = describe_run(
        &Live,
        Path::new("../.."),
        &[first.to_str().unwrap(), second.to_str().unwrap()],
    );
    std::fs::remove_dir_all(&dir).unwrap();
    let at = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {out}"))
    };
    assert!(
        at("workspaces/a\"") < at("workspaces/b\"") && at("workspaces/b\"") < at("workspaces/c\"")
    );
    assert!(!out.contains("workspaces/B\""), "{out}");
    assert_eq!(
        out.matches("is listed in an earlier export too").count(),
        1,
        "{out}"
    );
}
