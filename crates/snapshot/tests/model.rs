//! Input → model: the `bicep snapshot` front end on a workspace's snapshot
//! (tests/fixtures/bicep-snapshot), as an insta snapshot read by a person:
//! ids, full names, positions in the snapshot, and the expressions Bicep
//! left unresolved as unknowns.

use aml_model::input::describe_run;
use aml_snapshot::Snapshot;
use std::path::Path;

#[test]
fn a_workspace_snapshot() {
    insta::assert_snapshot!(describe_run(
        &Snapshot,
        Path::new("../.."),
        &["tests/fixtures/bicep-snapshot/workspace/main.snapshot.json"]
    ));
}
