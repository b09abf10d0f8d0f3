//! Secrets by data flow (issue 24, points 1 and 6): secrets spelled
//! differently from their value (escapes, blocks, concatenations, duplicated
//! keys, several documents, variables) never reach any output, while the
//! non-secret settings of a credentials object and values that merely equal
//! a secret's text still print; a key written twice in JSON is diagnosed
//! with both positions, judged and fixed on the copy Azure reads.

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
}

/// The hostile fixtures, copied into a temporary folder (so `fix` may write).
fn fixtures() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("secrets");
    copy_dir(&crate::common::project("tests/fixtures/secrets"), &root);
    (dir, root)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Every run of five or more of these letters in an output is a piece of a
/// fixture secret: no other text the tool prints (ids, hashes, words) has one.
const SECRET_ALPHABET: &[u8] = b"QXZJKV";

/// The start of every secret of the fixtures.
const PREFIXES: &[&str] = &[
    "ArmObj",
    "ArmVarPiece",
    "ArmVarConcat",
    "ArmEsc",
    "ArmDupFirst",
    "ArmConcat",
    "ArmKey",
    "ArmParam",
    "BicepMultiLine",
    "BicepEsc",
    "BicepUni",
    "BicepInline",
    "BicepParam",
    "TfDefault",
    "TfLocal",
    "TfHeredoc",
    "TfEsc",
    "TfVars",
    "YamlQuote",
    "YamlFolded",
    "YamlDouble",
    "YamlLiteral",
    "YamlPlainClient",
    "LiveEsc",
    "LiveLast",
];

/// The pieces of secrets `text` shows: runs of five or more letters of
/// [`SECRET_ALPHABET`], and the distinctive prefixes of the fixtures' secrets.
fn leaks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && SECRET_ALPHABET.contains(&bytes[i]) {
            i += 1;
        }
        if i - start >= 5 {
            out.push(text[start..i].to_string());
        }
        i = i.max(start + 1);
    }
    for prefix in PREFIXES {
        if text.contains(prefix) {
            out.push(prefix.to_string());
        }
    }
    out
}

fn output(args: &[&str], at: &Path) -> String {
    let out = bin().args(args).current_dir(at).output().unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

#[test]
fn no_spelling_of_a_secret_reaches_any_output() {
    let (_dir, root) = fixtures();
    // The fixtures hold every secret (the test is not vacuous).
    let mut written = String::new();
    for sub in ["arm", "bicep", "terraform", "yaml", "live"] {
        for e in std::fs::read_dir(root.join(sub)).unwrap() {
            written.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
        }
    }
    for prefix in PREFIXES {
        assert!(written.contains(prefix), "{prefix}");
    }

    let mut outputs: Vec<(String, String)> = Vec::new();
    for format in ["text", "json", "sarif", "html", "markdown", "csv", "junit"] {
        let text = output(&["scan", ".", "--format", format], &root);
        outputs.push((format.to_string(), text));
    }
    outputs.push((
        "fix --dry-run".into(),
        output(&["fix", ".", "--dry-run"], &root),
    ));
    outputs.push(("model".into(), output(&["model", "."], &root)));
    for (what, text) in &outputs {
        assert!(leaks(text).is_empty(), "{what} shows {:?}", leaks(text));
    }
    let find = |what: &str| &outputs.iter().find(|(w, _)| w == what).unwrap().1;

    // Findings, snippets and diffs were produced next to the secrets.
    let text = find("text");
    assert!(text.contains("adminUserPassword"), "{text}");
    let fix = find("fix --dry-run");
    assert!(fix.contains("+        \"disableLocalAuth\": true"), "{fix}");
    assert!(fix.contains("***"), "the diffs show masked secrets: {fix}");
    // A reference to a parameter holds no secret, and says where it comes from.
    assert!(
        fix.contains("\"adminUserPassword\": \"[parameters('clusterCredential')]\""),
        "{fix}"
    );
    let json = find("json");
    assert!(
        json.contains("\"diff\""),
        "the JSON report carries fix diffs"
    );

    // Another file's diff shows its text, though it repeats credential
    // settings (a client id, a user name) of the other files.
    assert!(
        fix.contains("66666666-7777-8888-9999-000000000000 azureuser stsecrets AccountKey"),
        "{fix}"
    );
    // Non-secret settings of credentials, and values that equal another
    // file's credential settings, still print.
    let model = find("model");
    for shown in [
        "\"credentialsType\": \"AccountKey\"",
        "\"secretsType\": \"AccountKey\"",
        "\"serviceDataAccessAuthIdentity\": \"None\"",
        "\"adminUserName\": \"azureuser\"",
        "66666666-7777-8888-9999-000000000000 azureuser stsecrets AccountKey",
    ] {
        assert!(model.contains(shown), "model hides {shown}: {model}");
    }
}

#[test]
fn a_duplicated_json_key_is_diagnosed_judged_and_fixed_on_the_last_copy() {
    let (_dir, root) = fixtures();
    let arm = root.join("arm");
    let out = bin()
        .args(["scan", ".", "--format", "json"])
        .current_dir(&arm)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dups: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "json-duplicate-key")
        .collect();
    let messages: Vec<&str> = dups
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    // publicNetworkAccess, adminUserPassword, and the parameter file's clusterCredential.
    assert_eq!(dups.len(), 3, "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`publicNetworkAccess`")
                && m.contains("first at 20:9, last at 21:9")),
        "{messages:?}"
    );
    // Azure reads the last copy: `Enabled`, which fails the rule.
    let results = report["results"].as_array().unwrap();
    let pna = results
        .iter()
        .find(|r| r["resource_name"] == "ws-secrets" && r["rule"] == "AMLB-POL-438c38d2")
        .expect("the public network access result");
    assert_eq!(pna["result"], "fail", "{pna}");
    assert_eq!(
        pna["line"], 21,
        "the finding points at the copy Azure reads"
    );

    // `fix` edits that copy, and the rescan passes.
    let status = bin().args(["fix", "."]).current_dir(&arm).status().unwrap();
    assert!(status.code().is_some());
    let fixed = std::fs::read_to_string(arm.join("main.json")).unwrap();
    assert!(
        fixed.contains(
            "\"publicNetworkAccess\": \"Disabled\",\n        \"publicNetworkAccess\": \"Disabled\""
        ),
        "{fixed}"
    );
    let out = bin()
        .args(["scan", ".", "--format", "json"])
        .current_dir(&arm)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pna = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource_name"] == "ws-secrets" && r["rule"] == "AMLB-POL-438c38d2")
        .unwrap();
    assert_eq!(pna["result"], "pass", "{pna}");
}

#[test]
fn a_duplicated_key_in_a_live_export_is_diagnosed_and_the_last_copy_read() {
    let (_dir, root) = fixtures();
    let out = bin()
        .args(["scan", "export.json", "--format", "json"])
        .current_dir(root.join("live"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dups: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "json-duplicate-key")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(dups.len(), 2, "{dups:?}");
    assert!(dups.iter().any(|m| m.contains("`key`")), "{dups:?}");
    let pna = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource_name"] == "ws-live" && r["rule"] == "AMLB-POL-438c38d2")
        .unwrap();
    assert_eq!(pna["result"], "fail", "{pna}");
}

// ------------------------------------------------------------ property test

/// A word of a generated secret: twelve letters of [`SECRET_ALPHABET`], so
/// that any piece of five or more that reaches an output is seen.
fn word() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(SECRET_ALPHABET.to_vec()), 12)
        .prop_map(|b| String::from_utf8(b).unwrap())
}

/// How a secret is spelled in its file.
#[derive(Clone, Copy, Debug)]
enum Spelling {
    /// As is.
    Plain,
    /// With an escape in the middle of each word (`\u0051`, `\'`, `\"`, `''`, `\x51`).
    Escaped,
    /// A multi-line block (`'''`, heredoc, `|`, `>-`; `\n` in JSON).
    Block,
    /// Built from pieces (`concat`, `join`, interpolation; a plain multi-line YAML scalar).
    Concat,
    /// The key written twice, each copy a secret (JSON and YAML).
    Duplicate,
    /// Through a variable, local or parameter.
    Variable,
    /// In a later document of the file (YAML), or a parameter file (ARM).
    Elsewhere,
}

const SPELLINGS: &[Spelling] = &[
    Spelling::Plain,
    Spelling::Escaped,
    Spelling::Block,
    Spelling::Concat,
    Spelling::Duplicate,
    Spelling::Variable,
    Spelling::Elsewhere,
];

/// `w` with the character at index 6 replaced by `escape(c)`.
fn escape_mid(w: &str, escape: impl Fn(char) -> String) -> String {
    let c = w.as_bytes()[6] as char;
    format!("{}{}{}", &w[..6], escape(c), &w[7..])
}

/// ARM: a template (and maybe its parameter file) with a compute whose
/// admin password is `a` and `b`, spelled `how`.
fn arm(dir: &Path, how: Spelling, a: &str, b: &str) {
    let esc = |w: &str| escape_mid(w, |c| format!("\\u{:04X}", c as u32));
    let (mut params, mut vars, mut file) = (String::new(), String::new(), None);
    let pw: String;
    match how {
        Spelling::Plain => pw = format!(r#""adminUserPassword": "{a}{b}""#),
        Spelling::Escaped => pw = format!(r#""adminUserPassword": "{}-{}""#, esc(a), esc(b)),
        Spelling::Block => pw = format!(r#""adminUserPassword": "{a}\n{b}""#),
        Spelling::Concat => pw = format!(r#""adminUserPassword": "[concat('{a}', '{}')]""#, esc(b)),
        Spelling::Duplicate => {
            pw = format!(
                r#""adminUserPassword": "{}", "adminUserPassword": "{b}""#,
                esc(a)
            )
        }
        Spelling::Variable => {
            vars = format!(
                r#""p1": "{}", "p2": "[concat(variables('p1'), '{b}')]""#,
                esc(a)
            );
            pw = r#""adminUserPassword": "[variables('p2')]""#.into();
        }
        Spelling::Elsewhere => {
            params = r#""pw": { "type": "string" }"#.into();
            pw = r#""adminUserPassword": "[parameters('pw')]""#.into();
            file = Some(format!(
                r#"{{ "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0", "parameters": {{ "pw": {{ "value": "{}" }}, "pw": {{ "value": "{b}" }} }} }}"#,
                esc(a)
            ));
        }
    }
    let template = format!(
        r#"{{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {{ {params} }},
  "variables": {{ {vars} }},
  "resources": [
    {{
      "type": "Microsoft.MachineLearningServices/workspaces/computes",
      "apiVersion": "2024-04-01",
      "name": "ws/cpu",
      "location": "westeurope",
      "properties": {{
        "computeType": "AmlCompute",
        "disableLocalAuth": false,
        "properties": {{ "userAccountCredentials": {{ "adminUserName": "azureuser",
          {pw},
          "remoteLoginPortPublicAccess": "Enabled" }} }}
      }}
    }}
  ]
}}
"#
    );
    std::fs::write(dir.join("main.json"), template).unwrap();
    if let Some(p) = file {
        std::fs::write(dir.join("main.parameters.json"), p).unwrap();
    }
}

/// Bicep: a compute whose admin password is `a` and `b`, spelled `how`.
fn bicep(dir: &Path, how: Spelling, a: &str, b: &str) {
    let esc = |w: &str| escape_mid(w, |c| format!("\\u{{{:x}}}", c as u32));
    let quote = |w: &str| escape_mid(w, |c| format!("\\'{c}"));
    let (mut top, mut param_file) = (String::new(), None);
    let pw = match how {
        Spelling::Plain => format!("'{a}{b}'"),
        Spelling::Escaped => format!("'{}{}'", esc(a), quote(b)),
        Spelling::Block => format!("'''\n{a}\n{b}'''"),
        Spelling::Concat => format!("concat('{}', '${{'{b}'}}')", quote(a)),
        Spelling::Duplicate | Spelling::Variable => {
            top = format!("var p1 = '{}'\nvar p2 = '${{p1}}-{b}'\n", esc(a));
            "p2".into()
        }
        Spelling::Elsewhere => {
            top = "@secure()\nparam pw string\n".into();
            param_file = Some(format!(
                "using './main.bicep'\nparam pw = '''\n{a}\n{b}'''\n"
            ));
            "pw".into()
        }
    };
    let text = format!(
        "{top}
resource ws 'Microsoft.MachineLearningServices/workspaces@2024-04-01' existing = {{
  name: 'ws'
}}

resource cpu 'Microsoft.MachineLearningServices/workspaces/computes@2024-04-01' = {{
  parent: ws
  name: 'cpu'
  location: 'westeurope'
  properties: {{
    computeType: 'AmlCompute'
    disableLocalAuth: false
    properties: {{
      userAccountCredentials: {{
        adminUserName: 'azureuser'
        adminUserPassword: {pw}
      }}
      remoteLoginPortPublicAccess: 'Enabled'
    }}
  }}
}}
"
    );
    std::fs::write(dir.join("main.bicep"), text).unwrap();
    if let Some(p) = param_file {
        std::fs::write(dir.join("main.bicepparam"), p).unwrap();
    }
}

/// Terraform: a compute cluster whose admin password is `a` and `b`, spelled `how`.
fn terraform(dir: &Path, how: Spelling, a: &str, b: &str) {
    let esc = |w: &str| escape_mid(w, |c| format!("\\u{:04X}", c as u32));
    let quote = |w: &str| escape_mid(w, |c| format!("\\\"{c}"));
    let (mut top, mut tfvars) = (String::new(), None);
    let pw = match how {
        Spelling::Plain => format!("\"{a}{b}\""),
        Spelling::Escaped => format!("\"{}{}\"", esc(a), quote(b)),
        Spelling::Block => format!("<<-EOT\n      {a}\n      {b}\n    EOT"),
        Spelling::Concat => format!("join(\"-\", [\"{}\", \"{b}\"])", quote(a)),
        Spelling::Duplicate | Spelling::Variable => {
            top = format!(
                "variable \"p1\" {{\n  default = \"{}\"\n}}\nlocals {{\n  p2 = \"${{var.p1}}-{b}\"\n}}\n",
                esc(a)
            );
            "local.p2".into()
        }
        Spelling::Elsewhere => {
            top = "variable \"pw\" {\n  type      = string\n  sensitive = true\n}\n".into();
            tfvars = Some(format!("pw = <<EOT\n{a}\n{}\nEOT\n", quote(b)));
            "var.pw".into()
        }
    };
    let text = format!(
        r#"{top}
resource "azurerm_machine_learning_compute_cluster" "cpu" {{
  name                          = "cpu"
  location                      = "westeurope"
  machine_learning_workspace_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
  vm_size                       = "STANDARD_DS3_V2"
  vm_priority                   = "Dedicated"
  local_auth_enabled            = true
  ssh_public_access_enabled     = true
  scale_settings {{
    min_node_count                       = 0
    max_node_count                       = 2
    scale_down_nodes_after_idle_duration = "PT30S"
  }}
  ssh {{
    admin_username = "azureuser"
    admin_password = {pw}
  }}
}}
"#
    );
    std::fs::write(dir.join("main.tf"), text).unwrap();
    if let Some(v) = tfvars {
        std::fs::write(dir.join("terraform.tfvars"), v).unwrap();
    }
}

/// CLI YAML: a cluster whose admin password is `a` and `b`, spelled `how`.
fn yaml(dir: &Path, how: Spelling, a: &str, b: &str) {
    let quote = |w: &str| escape_mid(w, |c| format!("''{c}"));
    let hex = |w: &str| escape_mid(w, |c| format!("\\x{:02x}", c as u32));
    let head = "$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json\nname: cpu\ntype: amlcompute\nssh_public_access_enabled: true\nssh_settings:\n  admin_username: azureuser\n";
    let text = match how {
        Spelling::Plain => format!("{head}  admin_password: {a}{b}\n"),
        Spelling::Escaped => format!("{head}  admin_password: '{}{}'\n", quote(a), quote(b)),
        Spelling::Block => format!("{head}  admin_password: |\n    {a}\n    {b}\n"),
        Spelling::Concat => format!("{head}  admin_password: {a}\n    {b}\n"),
        Spelling::Duplicate => {
            format!("{head}  admin_password: \"{}\"\n  admin_password: {b}\n", hex(a))
        }
        Spelling::Variable => format!("{head}  admin_password: >-\n    \"{}\n    {b}\"\n", hex(a)),
        Spelling::Elsewhere => format!(
            "{head}  admin_password: x\n---\n$schema: https://azuremlschemas.azureedge.net/latest/azureBlob.schema.json\nname: blob\ntype: azure_blob\ncredentials:\n  account_key: >-\n    {a}\n    {}\n",
            quote(b)
        ),
    };
    std::fs::write(dir.join("cluster.yml"), text).unwrap();
}

/// A live export: a datastore whose key is `a` and `b`, spelled `how`.
fn live(dir: &Path, how: Spelling, a: &str, b: &str) {
    let esc = |w: &str| escape_mid(w, |c| format!("\\u{:04x}", c as u32));
    let key = match how {
        Spelling::Duplicate | Spelling::Elsewhere => {
            format!(r#""key": "{}", "key": "{b}""#, esc(a))
        }
        Spelling::Block => format!(r#""key": "{a}\n{b}""#),
        _ => format!(r#""key": "{}{}""#, esc(a), esc(b)),
    };
    let text = format!(
        r#"{{ "data": [
  {{ "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
    "type": "microsoft.machinelearningservices/workspaces", "name": "ws", "location": "westeurope",
    "properties": {{ "publicNetworkAccess": "Enabled" }} }},
  {{ "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/datastores/blob",
    "type": "microsoft.machinelearningservices/workspaces/datastores", "name": "ws/blob",
    "properties": {{ "datastoreType": "AzureBlob", "credentials": {{ "credentialsType": "AccountKey",
      "secrets": {{ "secretsType": "AccountKey", {key} }} }} }} }}
] }}
"#
    );
    std::fs::write(dir.join("export.json"), text).unwrap();
}

type Writer = fn(&Path, Spelling, &str, &str);

const FORMATS: &[(&str, Writer)] = &[
    ("arm", arm),
    ("bicep", bicep),
    ("terraform", terraform),
    ("yaml", yaml),
    ("live", live),
];

/// Every output of a scan of `dir`: the seven report formats, with the fix
/// diffs the reports carry, and `fix --dry-run`'s text.
fn every_output(dir: &Path) -> Vec<(String, String)> {
    use aml_baseline::render::{self, OutputFormat, RenderOptions};
    let options = aml_baseline::scan::ScanOptions {
        paths: vec![dir.to_path_buf()],
        ..Default::default()
    };
    let settings = aml_baseline::pipeline::Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        ..Default::default()
    };
    let run = aml_baseline::pipeline::run(&options, &settings);
    let mut out: Vec<(String, String)> = [
        OutputFormat::Text,
        OutputFormat::Json,
        OutputFormat::Sarif,
        OutputFormat::Html,
        OutputFormat::Markdown,
        OutputFormat::Csv,
        OutputFormat::Junit,
    ]
    .into_iter()
    .map(|f| {
        (
            format!("{f:?}"),
            render::render_run(f, &run, &RenderOptions::default()),
        )
    })
    .collect();
    let (run, plan) = aml_baseline::fix::plan(&options, &settings, &Default::default());
    out.push(("fix".into(), aml_baseline::fix::render(&run, &plan)));
    let diags: Vec<String> = run
        .scan
        .diagnostics
        .iter()
        .map(|d| aml_baseline::report::redact(&d.message, run.scan.model.redactor()))
        .collect();
    out.push(("diagnostics".into(), diags.join("\n")));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// However a secret is spelled, in whatever format, no piece of it
    /// reaches any output.
    #[test]
    fn generated_secret_spellings_never_reach_an_output(
        format in 0..FORMATS.len(),
        spelling in 0..SPELLINGS.len(),
        a in word(),
        b in word(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (name, write) = FORMATS[format];
        let how = SPELLINGS[spelling];
        write(dir.path(), how, &a, &b);
        for (what, text) in every_output(dir.path()) {
            let found = leaks(&text);
            prop_assert!(
                found.is_empty(),
                "{name} {how:?}: {what} shows {found:?}\n{text}"
            );
        }
    }
}
