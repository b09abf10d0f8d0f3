//! Input → model: the CLI v2 YAML front end on the bundled folder (a
//! workspace, a cluster, an online endpoint and deployment, a datastore: one
//! deployment, the workspace shared), as an insta snapshot read by a person.

use aml_model::input::describe_run;
use aml_yaml::Yaml;
use std::path::Path;

/// The project's root, where the fixtures are.
fn run(paths: &[&str]) -> String {
    describe_run(&Yaml::default(), Path::new("../.."), paths)
}

#[test]
fn cli_yaml_folder() {
    insta::assert_snapshot!(run(&[
        "examples/cli-yaml/workspace.yml",
        "examples/cli-yaml/cluster.yml",
        "examples/cli-yaml/endpoint.yml",
        "examples/cli-yaml/deployment.yml",
        "examples/cli-yaml/datastore.yml",
    ]));
}
