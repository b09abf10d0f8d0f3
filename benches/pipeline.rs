//! Benchmarks (divan): each front end on real-world files, policy and native
//! rule evaluation, and the whole pipeline on `examples/` and on a generated
//! corpus. `docs/performance.md` records the figures and how to reproduce.
//!
//! `cargo bench --bench pipeline` runs them all; the generated-corpus bench
//! reads `AML_BASELINE_BENCH_CORPUS` (a folder from `scripts/gen-corpus.py`)
//! or generates 100 units per format into `target/bench-corpus` when Python 3
//! is available.

use aml_baseline::evaluate;
use aml_baseline::frontend::{self, FrontendInput, InputFile};
use aml_baseline::pipeline::{self, Settings};
use aml_baseline::render;
use aml_baseline::rules::{self, RuleKind};
use aml_baseline::scan::{self, ScanOptions, ScanOutput};
use aml_baseline::source::{SourceFile, SourceMap};
use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn main() {
    divan::main();
}

fn project(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn realworld(rel: &str) -> PathBuf {
    project("../shared/corpus/realworld").join(rel)
}

/// Files read into a source map, as the scanner would hand them over.
struct Loaded {
    sources: SourceMap,
    files: Vec<InputFile>,
    root: PathBuf,
    options: ScanOptions,
}

fn load(paths: &[PathBuf]) -> Option<Loaded> {
    let mut sources = SourceMap::default();
    let mut files = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(p).ok()?;
        files.push(InputFile::named(
            sources.add(SourceFile::new(p.clone(), text)),
        ));
    }
    let root = paths.first()?.parent()?.to_path_buf();
    Some(Loaded {
        sources,
        files,
        root,
        options: ScanOptions::default(),
    })
}

fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn bench_frontend(bencher: Bencher, paths: &[PathBuf], frontend: &dyn frontend::Frontend) {
    let Some(l) = load(paths) else {
        eprintln!("skipped: {paths:?} not found");
        return;
    };
    let bytes: usize = l
        .files
        .iter()
        .map(|f| l.sources.get(f.id).text().len())
        .sum();
    bencher
        .counter(divan::counter::BytesCount::new(bytes))
        .bench(|| {
            let input = FrontendInput {
                sources: &l.sources,
                files: &l.files,
                limits: &l.options.limits,
                context: &l.options.context,
                root_dir: Some(&l.root),
                referenced: &Default::default(),
            };
            black_box(frontend.run_collected(&input))
        });
}

/// ARM: parse + evaluate one template with its parameter file.
#[divan::bench(args = ["examples", "advanced"])]
fn arm_template(bencher: Bencher, which: &str) {
    let paths = match which {
        "examples" => vec![
            project("examples/insecure-workspace/azuredeploy.json"),
            project("examples/insecure-workspace/azuredeploy.parameters.json"),
        ],
        _ => vec![
            realworld("anthony-c-martin__azure-quickstart-templates/201-machine-learning-advanced/azuredeploy.json"),
            realworld("anthony-c-martin__azure-quickstart-templates/201-machine-learning-advanced/azuredeploy.parameters.json"),
        ],
    };
    bench_frontend(bencher, &paths, &frontend::arm::Arm::default());
}

/// Bicep: parse + evaluate (the AVM workspace module, 28 KB, and the
/// azureml-examples workspace with its local modules).
#[divan::bench(args = ["avm-workspace", "setup-ws"])]
fn bicep_file(bencher: Bencher, which: &str) {
    let paths = match which {
        "avm-workspace" => vec![realworld(
            "Azure__bicep-registry-modules/avm/res/machine-learning-services/workspace/main.bicep",
        )],
        _ => {
            let dir =
                realworld("Azure__azureml-examples/cli/endpoints/online/managed/vnet/setup_ws");
            let mut v = vec![dir.join("main.bicep")];
            v.extend(files_in(&dir.join("modules"), "bicep"));
            v
        }
    };
    bench_frontend(bencher, &paths, &frontend::bicep::Bicep::default());
}

/// Terraform: HCL parse + module evaluation of a whole folder.
#[divan::bench(args = ["quickstart-201", "avm-module"])]
fn terraform_folder(bencher: Bencher, which: &str) {
    let dir = match which {
        "quickstart-201" => {
            realworld("Azure__terraform/quickstart/201-machine-learning-moderately-secure")
        }
        _ => realworld("Azure__terraform-azurerm-avm-res-machinelearningservices-workspace"),
    };
    bench_frontend(
        bencher,
        &files_in(&dir, "tf"),
        &frontend::terraform::Terraform::default(),
    );
}

/// The model of the examples and the real-world corpus, scanned once.
fn model() -> &'static ScanOutput {
    static MODEL: OnceLock<ScanOutput> = OnceLock::new();
    MODEL.get_or_init(|| {
        let mut paths = vec![project("examples")];
        let rw = project("../shared/corpus/realworld");
        if rw.is_dir() {
            paths.push(rw);
        }
        scan::scan(&ScanOptions {
            paths,
            ..Default::default()
        })
    })
}

fn bench_rules(bencher: Bencher, policy: bool) {
    let scan = model();
    let selected: Vec<_> = rules::all()
        .iter()
        .copied()
        .filter(|r| matches!(r.kind, RuleKind::Policy { .. }) == policy)
        .collect();
    let evaluated = scan
        .model
        .resources
        .iter()
        .filter(|r| !r.existing && !r.is_type("Microsoft.Resources/deployments"))
        .count();
    let parameters = Default::default();
    // Compile the policies before timing.
    black_box(evaluate::evaluate(&scan.model, &selected, &parameters));
    bencher
        .counter(ItemsCount::new(evaluated * selected.len()))
        .bench(|| black_box(evaluate::evaluate(&scan.model, &selected, &parameters)));
}

/// Every policy-backed rule on every resource of the corpus; the counter is
/// resource × definition pairs.
#[divan::bench(sample_count = 20)]
fn policy_evaluation(bencher: Bencher) {
    bench_rules(bencher, true);
}

/// Every native rule on every resource of the corpus (resource × rule pairs).
#[divan::bench(sample_count = 20)]
fn native_rules(bencher: Bencher) {
    bench_rules(bencher, false);
}

fn whole(paths: Vec<PathBuf>) -> pipeline::Run {
    let options = ScanOptions {
        paths,
        ..Default::default()
    };
    let settings = Settings {
        all_rules: true,
        no_config: true,
        ..Default::default()
    };
    pipeline::run(&options, &settings)
}

/// The whole pipeline (discovery, reading, front ends, rules, report) on
/// `examples/`.
#[divan::bench(sample_count = 20)]
fn pipeline_examples() -> pipeline::Run {
    whole(vec![project("examples")])
}

/// The folder of a generated corpus, or `None` when none can be made.
fn generated_corpus() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("AML_BASELINE_BENCH_CORPUS") {
        return Some(PathBuf::from(p));
    }
    let out = project("target/bench-corpus");
    if !out.join("terraform").is_dir() {
        let status = std::process::Command::new("python3")
            .arg(project("scripts/gen-corpus.py"))
            .arg(&out)
            .args(["--count", "100"])
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
    }
    Some(out)
}

/// The whole pipeline on a generated corpus (all formats).
#[divan::bench(sample_count = 5)]
fn pipeline_generated_corpus(bencher: Bencher) {
    let Some(dir) = generated_corpus() else {
        eprintln!("skipped: no generated corpus (python3 scripts/gen-corpus.py)");
        return;
    };
    bencher.bench(|| whole(vec![dir.clone()]));
}

/// A generated live export of 10,000 resources (`AML_BASELINE_BENCH_LIVE`,
/// or `scripts/gen-live-export.py` into `target/bench-live-10000.json`).
fn generated_export() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("AML_BASELINE_BENCH_LIVE") {
        return Some(PathBuf::from(p));
    }
    let out = project("target/bench-live-10000.json");
    if !out.is_file() {
        let status = std::process::Command::new("python3")
            .arg(project("scripts/gen-live-export.py"))
            .arg(&out)
            .args(["--count", "10000"])
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
    }
    Some(out)
}

/// The live front end on a generated export: parsing, reading every
/// resource, grouping (decision 0044).
#[divan::bench(sample_count = 10)]
fn live_export(bencher: Bencher) {
    let Some(path) = generated_export() else {
        eprintln!("skipped: no generated export (python3 scripts/gen-live-export.py)");
        return;
    };
    bench_frontend(bencher, &[path], &frontend::live::Live);
}

/// The pipeline's run on the generated export, made once for the report
/// benches.
fn live_run() -> Option<&'static pipeline::Run> {
    static RUN: OnceLock<Option<pipeline::Run>> = OnceLock::new();
    RUN.get_or_init(|| {
        let path = generated_export();
        if path.is_none() {
            eprintln!("skipped: no generated export (python3 scripts/gen-live-export.py)");
        }
        path.map(|p| whole(vec![p]))
    })
    .as_ref()
}

/// Writes `report` as `scan -o FILE` does, through a `BufWriter`, to a sink.
fn to_sink(write: impl Fn(&mut dyn std::io::Write) -> std::io::Result<()>) {
    let mut out = std::io::BufWriter::new(std::io::sink());
    write(&mut out).unwrap();
}

/// Writing the JSON report of the generated export (its results are mostly
/// of live resources): its entries serialised in parallel, a window at a
/// time, and written in order (decision 0049).
#[divan::bench(sample_count = 10)]
fn json_report_of_live_export(bencher: Bencher) {
    let Some(run) = live_run() else { return };
    bencher.bench(|| to_sink(|out| render::json::write(&run.report, out)));
}

/// The same bytes as `serde_json` writes the whole report, on one thread
/// (the writing before decision 0049), for comparison.
#[divan::bench(sample_count = 10)]
fn json_report_of_live_export_whole(bencher: Bencher) {
    let Some(run) = live_run() else { return };
    bencher.bench(|| {
        to_sink(|out| {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
            serde_json::to_writer_pretty(&mut out, &run.report)?;
            std::io::Write::write_all(&mut out, b"\n")
        })
    });
}

/// Writing the SARIF log of the generated export: each result made and
/// serialised in parallel, a window at a time (decision 0049).
#[divan::bench(sample_count = 10)]
fn sarif_report_of_live_export(bencher: Bencher) {
    let Some(run) = live_run() else { return };
    let options = render::RenderOptions::default();
    bencher.bench(|| to_sink(|out| render::sarif::write(&run.report, &options, out)));
}

/// The same bytes as before decision 0049: the whole log built as one JSON
/// value, then serialised into one string, then written.
#[divan::bench(sample_count = 10)]
fn sarif_report_of_live_export_whole(bencher: Bencher) {
    let Some(run) = live_run() else { return };
    let options = render::RenderOptions::default();
    bencher.bench(|| {
        to_sink(|out| {
            let log = render::sarif::log(&run.report, &options);
            let mut text = serde_json::to_string_pretty(&log)?;
            text.push('\n');
            out.write_all(text.as_bytes())
        })
    });
}
