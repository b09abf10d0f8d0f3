//! Issue 19, point 3: a scan reports what was asked. Files read as context
//! (the workspace YAML beside a YAML named alone, parameter files, modules)
//! are never entry points of their own; every file under the scanned paths
//! is accounted for in `files[]`.

use crate::common::report;
use std::path::Path;

const WS: &str = "$schema: https://azuremlschemas.azureedge.net/latest/workspace.schema.json\n";
const CLUSTER: &str = "$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json\nname: cpu\ntype: amlcompute\nsize: Standard_DS3_v2\nmin_instances: 0\nmax_instances: 2\n";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn a_workspace_yaml_named_alone_is_the_only_workspace_reported() {
    let dir = tempfile::tempdir().unwrap();
    for (file, name) in [("basic.yml", "a"), ("cmk.yml", "b"), ("hbi.yml", "c")] {
        write(
            dir.path(),
            file,
            &format!("{WS}name: {name}\nlocation: westeurope\n"),
        );
    }
    let r = report(&[dir.path().join("basic.yml")], None);
    let workspaces: Vec<_> = r.resources.iter().filter(|x| !x.existing).collect();
    assert_eq!(workspaces.len(), 1, "{workspaces:?}");
    assert_eq!(workspaces[0].name, "a");
    assert!(r.results.iter().all(|x| x.resource_name == "a"));
    let role = |f: &str| {
        r.files
            .iter()
            .find(|e| e.path.ends_with(f))
            .map(|e| e.role)
            .unwrap_or("absent")
    };
    assert_eq!(role("basic.yml"), "entry");
    assert_eq!(role("cmk.yml"), "context");
    assert_eq!(role("hbi.yml"), "context");
    assert_eq!(r.summary.resources, 1);
}

#[test]
fn a_cluster_named_alone_uses_the_workspace_beside_it_without_judging_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "workspace.yml",
        &format!("{WS}name: mlw\nlocation: westeurope\npublic_network_access: Enabled\n"),
    );
    write(dir.path(), "cluster.yml", CLUSTER);
    let r = report(&[dir.path().join("cluster.yml")], None);
    // The workspace is what the cluster uses: in the model, judged by no rule.
    let ws = r
        .resources
        .iter()
        .find(|x| x.resource_type == "Microsoft.MachineLearningServices/workspaces")
        .expect("the workspace beside is read");
    assert!(ws.existing, "{ws:?}");
    assert!(
        r.results.iter().all(|x| x.resource_name == "mlw/cpu"),
        "{:?}",
        r.results
            .iter()
            .map(|x| (&x.rule, &x.resource_name))
            .collect::<Vec<_>>()
    );
    assert!(!r.results.is_empty());
    let ws_file = r
        .files
        .iter()
        .find(|f| f.path.ends_with("workspace.yml"))
        .unwrap();
    assert_eq!(ws_file.role, "context");
    assert!(ws_file
        .context_of
        .as_deref()
        .unwrap()
        .ends_with("cluster.yml"));
}

#[test]
fn every_file_under_a_folder_is_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", "# infra\n");
    write(dir.path(), "package.json", "{\"name\": \"x\"}\n");
    write(
        dir.path(),
        "conda.yml",
        "name: env\ndependencies:\n  - python=3.10\n",
    );
    write(dir.path(), "cluster.yml", CLUSTER);
    write(
        dir.path(),
        "data.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/data.schema.json\nname: d\ntype: uri_folder\npath: ./data\n",
    );
    let r = report(&[dir.path().to_path_buf()], None);
    let reason = |f: &str| {
        let e = r
            .files
            .iter()
            .find(|e| e.path.ends_with(f))
            .unwrap_or_else(|| panic!("{f} is not accounted for"));
        assert_eq!(e.role, "skipped", "{e:?}");
        e.reason.clone().unwrap()
    };
    assert!(reason("README.md").contains("`.md`"));
    assert!(reason("package.json").starts_with("not an Azure input"));
    assert!(reason("conda.yml").starts_with("not an Azure input"));
    // An Azure ML file of a kind no baseline setting applies to: said so.
    assert!(reason("data.yml").contains("Azure ML data file"));
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.code == "yaml-not-evaluated" && d.path.ends_with("data.yml")));
    assert_eq!(r.summary.skipped_files, 4);
    assert!(r
        .files
        .iter()
        .any(|f| f.path.ends_with("cluster.yml") && f.role == "entry"));
}
