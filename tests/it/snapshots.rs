//! Snapshots of every format on the bundled example project (`examples/`),
//! and on its Azure ML CLI v2 YAML example alone (`examples/cli-yaml`),
//! scanned with no configuration file and a fixed date. A person reads each
//! `.snap` under `tests/snapshots/` before accepting a change
//! (`cargo insta review`, or `INSTA_UPDATE=always` then `git diff`).

use aml_baseline::pipeline::{Run, Settings};
use aml_baseline::render::{self, OutputFormat, RenderOptions};
use aml_baseline::scan::ScanOptions;
use std::path::PathBuf;
use std::sync::OnceLock;

fn examples() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| run("examples"))
}

fn cli_yaml() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| run("examples/cli-yaml"))
}

fn run(path: &str) -> Run {
    {
        let options = ScanOptions {
            paths: vec![PathBuf::from(path)],
            ..Default::default()
        };
        let settings = Settings {
            no_config: true,
            today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
            ..Default::default()
        };
        aml_baseline::pipeline::run(&options, &settings)
    }
}

fn snapshot(format: OutputFormat) -> String {
    snapshot_of(examples(), format)
}

fn snapshot_of(run: &Run, format: OutputFormat) -> String {
    let text = render::render_run(format, run, &RenderOptions::default());
    assert!(
        !text.contains(env!("CARGO_MANIFEST_DIR")),
        "{format:?} holds an absolute path"
    );
    text
}

#[test]
fn text() {
    insta::assert_snapshot!("text", snapshot(OutputFormat::Text));
}

#[test]
fn json() {
    insta::assert_snapshot!("json", snapshot(OutputFormat::Json));
}

#[test]
fn sarif() {
    insta::assert_snapshot!("sarif", snapshot(OutputFormat::Sarif));
}

#[test]
fn junit() {
    insta::assert_snapshot!("junit", snapshot(OutputFormat::Junit));
}

#[test]
fn markdown() {
    insta::assert_snapshot!("markdown", snapshot(OutputFormat::Markdown));
}

#[test]
fn markdown_with_links() {
    let options = RenderOptions {
        link_base: Some("https://github.com/OWNER/REPO/blob/COMMIT".into()),
        ..Default::default()
    };
    let text = render::render_run(OutputFormat::Markdown, examples(), &options);
    let first_link = text
        .lines()
        .find(|l| l.contains("](https://"))
        .expect("file links");
    insta::assert_snapshot!("markdown_link", first_link);
}

#[test]
fn csv() {
    insta::assert_snapshot!("csv", snapshot(OutputFormat::Csv));
}

#[test]
fn html() {
    insta::assert_snapshot!("html", snapshot(OutputFormat::Html));
}

/// Every format on the CLI YAML example alone.
#[test]
fn cli_yaml_every_format() {
    for format in crate::common::ALL_FORMATS {
        insta::assert_snapshot!(
            format!("cli_yaml_{}", format.name()),
            snapshot_of(cli_yaml(), format)
        );
    }
}
