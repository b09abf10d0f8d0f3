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
