//! Input → model: the ARM front end on the bundled examples, each template
//! with its parameter file (insta snapshots, read by a person).

use aml_arm::Arm;
use aml_model::input::describe_run;
use std::path::Path;

/// The project's root, where the fixtures are.
fn run(paths: &[&str]) -> String {
    describe_run(&Arm::default(), Path::new("../.."), paths)
}

#[test]
fn insecure_workspace() {
    insta::assert_snapshot!(run(&[
        "examples/insecure-workspace/azuredeploy.json",
        "examples/insecure-workspace/azuredeploy.parameters.json",
    ]));
}

#[test]
fn hardened_workspace() {
    insta::assert_snapshot!(run(&[
        "examples/hardened-workspace/azuredeploy.json",
        "examples/hardened-workspace/azuredeploy.parameters.json",
    ]));
}
