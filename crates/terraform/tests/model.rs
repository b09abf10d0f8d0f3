//! Input → model: the Terraform front end on the bundled example, a root
//! module with the provider's defaults at work (insta snapshot, read by a person).

use aml_model::input::describe_run;
use aml_terraform::Terraform;
use std::path::Path;

/// The project's root, where the fixtures are.
fn run(paths: &[&str]) -> String {
    describe_run(&Terraform::default(), Path::new("../.."), paths)
}

#[test]
fn terraform_workspace() {
    insta::assert_snapshot!(run(&["examples/terraform-workspace/main.tf"]));
}
