//! Input → model: the Bicep front end on the bundled example and on a
//! deployment that calls local modules (insta snapshots, read by a person).

use aml_bicep::Bicep;
use aml_model::input::describe_run;
use std::path::Path;

/// The project's root, where the fixtures are.
fn run(paths: &[&str]) -> String {
    describe_run(&Bicep::default(), Path::new("../.."), paths)
}

#[test]
fn bicep_workspace() {
    insta::assert_snapshot!(run(&["examples/bicep-workspace/main.bicep"]));
}
