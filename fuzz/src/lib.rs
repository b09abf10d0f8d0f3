//! The fuzz targets' bodies, one function per parser or evaluator. Each takes
//! arbitrary bytes and must return without panicking, overflowing the stack
//! or running away. `fuzz_targets/*.rs` hand them to libFuzzer (`cargo fuzz`,
//! `scripts/fuzz.sh`); `tests/it/fuzz_smoke.rs` in the main crate runs the same
//! functions over mutated seed inputs as plain tests, so CI covers them on
//! the stable toolchain.

use aml_baseline::expr::{self, DeploymentContext, ExprEnv};
use aml_baseline::frontend::{self, Frontend, FrontendInput, FrontendOutput, InputFile};
use aml_baseline::policy::{NoRelated, PolicyEngine, PolicyResource};
use aml_baseline::scan::ScanOptions;
use aml_baseline::source::{FileId, SourceFile, SourceMap};
use aml_baseline::value::Value;
use std::path::{Path, PathBuf};

/// A folder that does not exist: linked templates and local modules named
/// by fuzzed input resolve inside it and are never found.
const ROOT: &str = "/nonexistent-aml-baseline-fuzz";

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Runs one front end over `data` as the file `name` inside [`ROOT`].
fn frontend(data: &[u8], name: &str, frontend: &dyn Frontend) {
    let Some(text) = text(data) else { return };
    let mut sources = SourceMap::default();
    let id = sources.add(SourceFile::new(
        Path::new(ROOT).join(name),
        text.to_string(),
    ));
    let files = [InputFile::named(id)];
    let options = ScanOptions::default();
    let input = FrontendInput {
        sources: &sources,
        files: &files,
        limits: &options.limits,
        context: &options.context,
        root_dir: Some(Path::new(ROOT)),
        referenced: &Default::default(),
    };
    let out: FrontendOutput = frontend.run_collected(&input);
    // Every diagnostic has a position that can be shown.
    for d in out
        .diagnostics
        .iter()
        .chain(out.deployments.iter().flat_map(|d| d.diagnostics.iter()))
    {
        let _ = d.position(&sources);
    }
}

/// ARM: JSON with spans and template evaluation (parameters, variables,
/// copy loops, nested deployments).
pub fn arm_template(data: &[u8]) {
    frontend(data, "azuredeploy.json", &frontend::arm::Arm::default());
}

/// Bicep: lexer, parser and evaluator.
pub fn bicep(data: &[u8]) {
    frontend(data, "main.bicep", &frontend::bicep::Bicep::default());
}

/// Terraform: HCL parsing and module evaluation.
pub fn terraform(data: &[u8]) {
    frontend(data, "main.tf", &frontend::terraform::Terraform::default());
}

/// Azure ML CLI v2 YAML: parsing, recognition and the mapping.
pub fn yaml(data: &[u8]) {
    frontend(data, "entity.yml", &frontend::yaml::Yaml::default());
}

/// Live exports: shape recognition, resources, `incomplete` sections and
/// their stand-ins, duplicates, the `az ml` mapping.
pub fn live_export(data: &[u8]) {
    frontend(data, "export.json", &frontend::live::Live);
}

/// `fix`'s editors: the input (ARM, Bicep, Terraform or CLI YAML, chosen by its first
/// byte) is scanned with every rule, the fixes of its failures are planned
/// and written (through the atomic writer) into a folder of this process;
/// the diff must render, and a file that had no syntax error before the
/// fix has none after it.
pub fn fix(data: &[u8]) {
    use aml_baseline::fix::{plan, Options};
    use aml_baseline::pipeline::Settings;
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Some(text) = text(rest) else { return };
    let name = ["azuredeploy.json", "main.bicep", "main.tf", "entity.yml"][kind as usize % 4];
    thread_local! {
        static DIR: PathBuf = {
            let d = std::env::temp_dir().join(format!("aml-baseline-fuzz-fix-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&d);
            d
        };
    }
    let dir = DIR.with(|d| d.clone());
    let _ = std::fs::remove_dir_all(&dir);
    if std::fs::create_dir_all(&dir).is_err() || std::fs::write(dir.join(name), text).is_err() {
        return;
    }
    // The folder goes when the input is done, so that no run leaves one
    // behind in the temporary directory.
    struct Scratch(PathBuf);
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _scratch = Scratch(dir.clone());
    let options = ScanOptions {
        paths: vec![dir.clone()],
        root: Some(dir.clone()),
        ..Default::default()
    };
    let settings = Settings {
        all_rules: true,
        no_config: true,
        ..Default::default()
    };
    let fix_options = Options {
        rules: Vec::new(),
        allow_unsafe: true,
        ..Default::default()
    };
    let syntax_errors = |run: &aml_baseline::report::Run| {
        run.scan
            .diagnostics
            .iter()
            .filter(|d| d.code.ends_with("-syntax"))
            .count()
    };
    let (run, mut fixes) = plan(&options, &settings, &fix_options);
    let before = syntax_errors(&run);
    for f in &fixes.files {
        let _ = f.diff();
        assert_ne!(f.before, f.after, "a planned file changes");
    }
    let _ = aml_baseline::fix::render(&run, &fixes);
    if fixes.files.is_empty() {
        return;
    }
    let said = fixes.write_files(Some(&dir));
    assert!(said.iter().all(|(error, _)| !error), "{said:?}");
    let (again, _) = plan(&options, &settings, &fix_options);
    if before == 0 {
        assert_eq!(
            syntax_errors(&again),
            0,
            "the fix broke the syntax: {:?}",
            again.scan.diagnostics
        );
    }
}

/// Terraform plan JSON (`terraform show -json`).
pub fn plan(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = frontend::terraform::plan::read(FileId(0), text);
}

/// An expression environment that knows a few names and nothing else.
struct FuzzEnv {
    context: DeploymentContext,
}

impl ExprEnv for FuzzEnv {
    fn parameter(&self, name: &str) -> Result<Value, String> {
        match name {
            "s" => Ok(Value::str("text")),
            "n" => Ok(Value::Int(3)),
            "a" => Ok(Value::Array(vec![Value::Int(1), Value::str("x")])),
            "u" => Ok(Value::unknown("parameters('u')", "no value")),
            _ => Err(format!("parameter '{name}' is not defined")),
        }
    }
    fn variable(&self, name: &str) -> Result<Value, String> {
        self.parameter(name)
    }
    fn copy_index(&self, _: Option<&str>) -> Result<i64, String> {
        Ok(0)
    }
    fn context(&self) -> &DeploymentContext {
        &self.context
    }
    fn reference(&self, target: &Value, _: Option<&Value>, _: bool) -> Value {
        Value::unknown(format!("reference({target:?})"), "not in the deployment")
    }
    fn user_function(&self, _: &str, _: &str, _: Vec<Value>) -> Option<Result<Value, String>> {
        None
    }
}

/// ARM template expressions: parse, then evaluate in a small environment.
/// Parsing twice gives the same result (the parser is deterministic).
pub fn arm_expression(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let env = FuzzEnv {
        context: DeploymentContext::default(),
    };
    let first = expr::parse(text).map(|e| format!("{e:?}"));
    let second = expr::parse(text).map(|e| format!("{e:?}"));
    assert_eq!(first.is_ok(), second.is_ok());
    let _ = expr::eval_str(text, &env);
    // As a whole expression, too (the `[...]` form templates use).
    let bracketed = format!("[{text}]");
    let _ = expr::eval_str(&bracketed, &env);
}

/// Azure Policy definitions: loading and compiling one definition, then
/// evaluating it against a workspace.
pub fn policy_definition(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let (engine, _errors) =
        PolicyEngine::from_definitions(vec![("fuzz.json".to_string(), text.to_string())]);
    let body = Value::from_json(&serde_json::json!({
        "type": "Microsoft.MachineLearningServices/workspaces",
        "name": "ws",
        "apiVersion": "2024-04-01",
        "location": "westeurope",
        "properties": { "publicNetworkAccess": "Enabled", "hbiWorkspace": true }
    }));
    let resource = PolicyResource {
        id: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
        resource_type: "Microsoft.MachineLearningServices/workspaces",
        full_name: "ws",
        api_version: Some("2024-04-01"),
        location: Some("westeurope"),
        body: &body,
    };
    for i in 0..engine.definitions().len() {
        let _ = engine.evaluate(i, &resource, &Default::default(), &NoRelated);
    }
}

/// The configuration file (`aml-baseline.toml`).
pub fn config(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let loaded = aml_baseline::config::load_text(&PathBuf::from("aml-baseline.toml"), text);
    let _ = format!("{:?}", loaded.diagnostics);
}

/// A target's body.
pub type Target = fn(&[u8]);

/// Every target, by name (for `tests/it/fuzz_smoke.rs` and `scripts/fuzz.sh`).
pub const TARGETS: &[(&str, Target)] = &[
    ("arm_template", arm_template),
    ("arm_expression", arm_expression),
    ("bicep", bicep),
    ("terraform", terraform),
    ("plan", plan),
    ("yaml", yaml),
    ("live_export", live_export),
    ("fix", fix),
    ("policy_definition", policy_definition),
    ("config", config),
];
