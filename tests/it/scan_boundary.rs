//! The boundary of a scan is the repository, not the scanned folder: an
//! example or a test scanned alone reads the module it calls with `../../`
//! (Terraform) or `../../../main.bicep` (Bicep) when that module is inside the
//! enclosing git work tree, the current directory, or `--root`; outside it
//! nothing is read, with the warning.

use crate::common;

use aml_baseline::report::Report;
use aml_baseline::scan::ScanOptions;
use common::{errors, project, realworld, verdict};
use std::path::{Path, PathBuf};

const AVM_TF: &str = "Azure__terraform-azurerm-avm-res-machinelearningservices-workspace";
const AVM_BICEP: &str = "Azure__bicep-registry-modules/avm/res/machine-learning-services/workspace";

fn scan(path: &Path, root: Option<&Path>) -> Report {
    let options = ScanOptions {
        paths: vec![path.to_path_buf()],
        root: root.map(Path::to_path_buf),
        ..Default::default()
    };
    let settings = aml_baseline::pipeline::Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        ..Default::default()
    };
    aml_baseline::pipeline::run(&options, &settings).report
}

/// Copies a folder (files and subfolders; nothing else) into `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of `rel` from the real-world corpus in a temporary folder (outside
/// this project's work tree and the current directory), optionally made a
/// git work tree with an empty `.git` folder.
fn copy_of(rel: &str, git: bool) -> Option<(tempfile::TempDir, PathBuf)> {
    let src = realworld()?.join(rel);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    copy_tree(&src, &repo);
    if git {
        std::fs::create_dir(repo.join(".git")).unwrap();
    }
    Some((dir, repo))
}

fn diags(r: &Report, code: &str) -> Vec<String> {
    r.diagnostics
        .iter()
        .filter(|d| d.code == code)
        .map(|d| d.message.to_string())
        .collect()
}

/// The name of the resource at a Terraform address.
fn name_at(r: &Report, address: &str) -> Option<String> {
    r.resources
        .iter()
        .find(|x| x.address.as_deref() == Some(address))
        .map(|x| x.name.to_string())
}

#[test]
fn fixtures_module_calls_leave_the_scanned_folder_inside_the_work_tree() {
    // This project's checkout is a git work tree, so its fixtures are inside one.
    for (kind, expected) in [("pass", "pass"), ("fail", "fail"), ("unknown", "unknown")] {
        let tf = project(&format!(
            "tests/fixtures/boundary/terraform/examples/{kind}"
        ));
        let r = scan(&tf, None);
        assert_eq!(errors(&r), Vec::<String>::new());
        assert!(
            diags(&r, "terraform-module-not-fetched").is_empty(),
            "{kind}"
        );
        assert_eq!(
            verdict(&r, "438c38d2", &format!("mlw-tf-{kind}")),
            expected,
            "terraform {kind}"
        );
        let bicep = project(&format!(
            "tests/fixtures/boundary/bicep/tests/e2e/{kind}/main.test.bicep"
        ));
        let r = scan(&bicep, None);
        assert_eq!(errors(&r), Vec::<String>::new());
        assert!(diags(&r, "bicep-module").is_empty(), "{kind}");
        assert_eq!(
            verdict(&r, "438c38d2", &format!("mlw-bicep-{kind}")),
            expected,
            "bicep {kind}"
        );
    }
    // `--root` narrower than the work tree: the module is outside, not read.
    let example = project("tests/fixtures/boundary/terraform/examples/pass");
    let r = scan(&example, Some(&example));
    assert_eq!(verdict(&r, "438c38d2", "mlw-tf-pass"), "n/a");
    assert_eq!(diags(&r, "terraform-module-not-fetched").len(), 1);
}

#[test]
fn avm_terraform_examples_scanned_alone_read_their_module() {
    let Some((_dir, repo)) = copy_of(AVM_TF, true) else {
        eprintln!("../shared/corpus/realworld is not here; skipping");
        return;
    };
    let ws = "module.azureml.azapi_resource.this[0]";
    let example = |name: &str| {
        let r = scan(&repo.join("examples").join(name), None);
        assert_eq!(errors(&r), Vec::<String>::new());
        assert!(
            diags(&r, "terraform-module-not-fetched")
                .iter()
                .all(|m| !m.contains("../../")),
            "{name}: {:?}",
            diags(&r, "terraform-module-not-fetched")
        );
        let name = name_at(&r, ws).expect("the module's workspace");
        (r, name)
    };
    // The verdicts read in the examples: default is public with neither a
    // private endpoint, a key of its own, nor a diagnostic setting.
    let (r, ws_name) = example("default");
    assert_eq!(verdict(&r, "438c38d2", &ws_name), "fail");
    assert_eq!(verdict(&r, "45e05259", &ws_name), "fail");
    assert_eq!(verdict(&r, "afe0c3be", &ws_name), "fail");
    let (r, ws_name) = example("diagnostic_settings");
    assert_eq!(verdict(&r, "afe0c3be", &ws_name), "pass");
    let (r, ws_name) = example("customer_managed_key");
    assert_eq!(verdict(&r, "ba769a63", &ws_name), "pass");
    let (r, ws_name) = example("private_managed_vnet");
    assert_eq!(verdict(&r, "438c38d2", &ws_name), "pass");
    assert_eq!(verdict(&r, "45e05259", &ws_name), "pass");
}

#[test]
fn without_a_work_tree_the_scanned_folder_is_the_boundary_unless_root_widens_it() {
    let Some((_dir, repo)) = copy_of(AVM_TF, false) else {
        eprintln!("../shared/corpus/realworld is not here; skipping");
        return;
    };
    let example = repo.join("examples/default");
    // The temporary folder is neither in a work tree nor below the current
    // directory: the module stays unread, with the warning.
    let r = scan(&example, None);
    assert!(name_at(&r, "module.azureml.azapi_resource.this[0]").is_none());
    assert!(
        diags(&r, "terraform-module-not-fetched")
            .iter()
            .any(|m| m.contains("../../")),
        "{:?}",
        diags(&r, "terraform-module-not-fetched")
    );
    // `--root` makes the repository the boundary.
    let r = scan(&example, Some(&repo));
    assert!(name_at(&r, "module.azureml.azapi_resource.this[0]").is_some());
}

#[test]
fn avm_bicep_e2e_tests_scanned_alone_read_the_module() {
    let Some((_dir, repo)) = copy_of(AVM_BICEP, true) else {
        eprintln!("../shared/corpus/realworld is not here; skipping");
        return;
    };
    let test = |name: &str| {
        let r = scan(
            &repo.join("tests/e2e").join(name).join("main.test.bicep"),
            None,
        );
        assert_eq!(errors(&r), Vec::<String>::new());
        let modules = diags(&r, "bicep-module");
        assert!(
            modules
                .iter()
                .all(|m| !m.contains("main.bicep' is outside")),
            "{name}: {modules:?}"
        );
        r
    };
    // The workspace names the tests give (namePrefix is the `#_namePrefix_#` token).
    let r = test("defaults");
    assert_eq!(verdict(&r, "438c38d2", "#_namePrefix_#mlswmin001"), "pass");
    assert_eq!(verdict(&r, "afe0c3be", "#_namePrefix_#mlswmin001"), "fail");
    let r = test("encr");
    assert_eq!(verdict(&r, "ba769a63", "#_namePrefix_#mlswecr001"), "pass");
    let r = test("waf-aligned");
    assert_eq!(verdict(&r, "6ddb1705", "#_namePrefix_#mlswwaf001"), "pass");
    assert_eq!(verdict(&r, "afe0c3be", "#_namePrefix_#mlswwaf001"), "pass");
    // `max` calls a template of the registry's `utilities` folder, outside
    // this module's repository copy: warned about, not read.
    let r = test("max");
    assert!(diags(&r, "bicep-module")
        .iter()
        .any(|m| m.contains("diagnostic.dependencies.bicep' is outside")));
}
