//! `aml-baseline lsp` driven as a child process with real JSON-RPC over its
//! standard input and output: initialize → didOpen → publishDiagnostics →
//! codeAction → hover → didChange (malformed, then fixed) → shutdown → exit;
//! a module evaluated in its caller's context with the caller's unsaved
//! text; every supported language; exit without shutdown.

use crate::common::project;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications read while waiting for something else.
    seen: Vec<Value>,
}

fn uri(path: &Path) -> String {
    aml_lsp::uri::from_path(path).unwrap().as_str().to_string()
}

impl Server {
    fn start(root: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aml-baseline"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                reader.read_exact(&mut body).unwrap();
                let value: Value = serde_json::from_slice(&body).expect("the server writes JSON");
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            messages,
            next_id: 1,
            seen: Vec::new(),
        };
        let result = server.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "capabilities": {},
                "workspaceFolders": [{ "uri": uri(root), "name": "test" }],
            }),
        );
        assert_eq!(result["capabilities"]["hoverProvider"], true);
        assert_eq!(result["serverInfo"]["name"], "aml-baseline");
        server.notify("initialized", json!({}));
        server
    }

    fn write(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.write(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn next(&mut self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(60))
            .expect("the server answers within 60 s")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.write(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let m = self.next();
            if m["id"] == id {
                assert!(m.get("error").is_none(), "{method}: {m}");
                return m["result"].clone();
            }
            self.seen.push(m);
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        if let Some(i) = self.seen.iter().position(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        }) {
            let m = self.seen.remove(i);
            return m["params"]["diagnostics"].as_array().unwrap().clone();
        }
        loop {
            let m = self.next();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.seen.push(m);
        }
    }

    /// The milliseconds of the last evaluation the server logged.
    fn last_evaluation_ms(&mut self) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(i) = self.seen.iter().rposition(|m| {
                m["method"] == "window/logMessage"
                    && m["params"]["message"]
                        .as_str()
                        .unwrap()
                        .starts_with("evaluated ")
            }) {
                let m = self.seen.remove(i);
                let text = m["params"]["message"].as_str().unwrap().to_string();
                self.seen.retain(|m| m["method"] != "window/logMessage");
                let ms = text.rsplit(" in ").next().unwrap().trim_end_matches(" ms");
                return ms.parse().unwrap();
            }
            assert!(Instant::now() < deadline);
            let m = self.next();
            self.seen.push(m);
        }
    }

    fn open(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri(path), "languageId": "plaintext", "version": 1, "text": text } }),
        );
    }

    fn change(&mut self, path: &Path, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri(path), "version": version },
                "contentChanges": [{ "text": text }],
            }),
        );
    }

    /// `shutdown` then `exit`: the server exits with 0.
    fn stop(mut self) {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        assert_eq!(wait(&mut self.child), Some(0));
    }
}

fn wait(child: &mut Child) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    panic!("the server did not exit");
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn diagnostics_actions_hover_changes_and_shutdown() {
    let root = project("examples");
    let template = root.join("insecure-workspace/azuredeploy.json");
    let text = std::fs::read_to_string(&template).unwrap();
    let mut server = Server::start(&root);
    let u = uri(&template);
    server.open(&template, &text);
    let diagnostics = server.diagnostics(&u);
    let public = diagnostics
        .iter()
        .find(|d| d["code"] == "AMLB-POL-438c38d2")
        .unwrap_or_else(|| panic!("public network access is flagged: {diagnostics:?}"))
        .clone();
    assert_eq!(public["severity"], 1, "high severity is an error");
    assert_eq!(
        public["range"]["start"],
        json!({ "line": 79, "character": 31 })
    );
    assert_eq!(public["source"], "aml-baseline");
    assert!(
        public["message"].as_str().unwrap().contains("fix: "),
        "{public}"
    );
    let open_ms = server.last_evaluation_ms();

    // Code actions: the safe fix (a quickfix editing the parameter's
    // default) and the suppression with a reason to write.
    let actions = server.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": u },
            "range": public["range"],
            "context": { "diagnostics": [public] },
        }),
    );
    let actions = actions.as_array().unwrap();
    let fix = actions
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Fix AMLB-POL-438c38d2")
        })
        .unwrap_or_else(|| panic!("a safe fix: {actions:?}"));
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    let edits = fix["edit"]["changes"][&u].as_array().unwrap();
    assert!(
        edits
            .iter()
            .any(|e| e["newText"].as_str().unwrap().contains("Disabled")),
        "{edits:?}"
    );
    let suppress = actions
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Suppress AMLB-POL-438c38d2")
        })
        .unwrap();
    let insert = &suppress["edit"]["changes"][&u][0];
    assert_eq!(
        insert["range"]["start"],
        json!({ "line": 79, "character": 0 })
    );
    assert_eq!(
        insert["newText"],
        "        // aml-baseline-ignore AMLB-POL-438c38d2: \n"
    );

    // Hover: the rule's page.
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": u }, "position": { "line": 79, "character": 40 } }),
    );
    let page = hover["contents"]["value"].as_str().unwrap();
    assert!(
        page.contains("AMLB-POL-438c38d2") && page.contains("NS-2"),
        "{page}"
    );
    let nothing = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": u }, "position": { "line": 0, "character": 0 } }),
    );
    assert_eq!(nothing, Value::Null);

    // A malformed edit: diagnostics, no crash.
    server.change(&template, 2, "{ \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", \"resources\": [ ");
    let broken = server.diagnostics(&u);
    assert!(
        broken
            .iter()
            .any(|d| d["severity"] == 1 && d["code"] != "AMLB-POL-438c38d2"),
        "a syntax error: {broken:?}"
    );
    let broken_ms = server.last_evaluation_ms();
    // The fix, unsaved: the finding goes away.
    let fixed = text.replacen(
        "\"defaultValue\": \"Enabled\"",
        "\"defaultValue\": \"Disabled\"",
        1,
    );
    assert_ne!(fixed, text);
    server.change(&template, 3, &fixed);
    let after = server.diagnostics(&u);
    assert!(
        !codes(&after).contains(&"AMLB-POL-438c38d2".to_string()),
        "{after:?}"
    );
    assert!(!after.is_empty(), "other findings stay");
    let change_ms = server.last_evaluation_ms();
    eprintln!(
        "lsp: open evaluated in {open_ms} ms, a malformed change in {broken_ms} ms, the fix in {change_ms} ms"
    );
    server.stop();
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    aml_baseline::frontend::arm::template::normalize_path(&path)
}

#[test]
fn a_module_is_checked_with_its_callers_unsaved_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let module = write(
        &root,
        "modules/workspace.bicep",
        "param access string\n\nresource ws 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = {\n  name: 'mlw-mod'\n  location: 'westeurope'\n  identity: { type: 'SystemAssigned' }\n  properties: {\n    publicNetworkAccess: access\n  }\n}\n",
    );
    let main_text = "module ws './modules/workspace.bicep' = {\n  name: 'ws'\n  params: {\n    access: 'Enabled'\n  }\n}\n";
    let main = write(&root, "main.bicep", main_text);
    let mut server = Server::start(&root);
    server.open(&module, &std::fs::read_to_string(&module).unwrap());
    let m = uri(&module);
    let first = server.diagnostics(&m);
    let public = first
        .iter()
        .find(|d| d["code"] == "AMLB-POL-438c38d2")
        .unwrap_or_else(|| panic!("the caller's 'Enabled' fails in the module: {first:?}"));
    assert_eq!(public["range"]["start"]["line"], 7);
    assert_eq!(public["severity"], 1, "a failure, not an unknown");
    // The caller changes, unsaved: the module's diagnostics follow.
    server.open(&main, main_text);
    let _ = server.diagnostics(&uri(&main));
    let _ = server.diagnostics(&m);
    server.change(&main, 2, &main_text.replace("'Enabled'", "'Disabled'"));
    let main_after = server.diagnostics(&uri(&main));
    assert!(!codes(&main_after).contains(&"AMLB-POL-438c38d2".to_string()));
    let after = server.diagnostics(&m);
    assert!(
        !codes(&after).contains(&"AMLB-POL-438c38d2".to_string()),
        "{after:?}"
    );
    server.stop();
}

#[test]
fn every_language_gets_diagnostics() {
    let root = project("examples");
    let mut server = Server::start(&root);
    for (file, rule) in [
        ("bicep-workspace/main.bicep", None),
        ("terraform-workspace/main.tf", None),
        ("cli-yaml/cluster.yml", Some("AMLB-")),
        ("insecure-workspace/azuredeploy.parameters.json", None),
    ] {
        let path = root.join(file);
        server.open(&path, &std::fs::read_to_string(&path).unwrap());
        let diagnostics = server.diagnostics(&uri(&path));
        if let Some(prefix) = rule {
            assert!(
                codes(&diagnostics).iter().any(|c| c.starts_with(prefix)),
                "{file}: {diagnostics:?}"
            );
        }
        for d in &diagnostics {
            assert!(
                d["range"]["start"]["line"].as_u64().is_some(),
                "{file}: {d}"
            );
        }
    }
    // A file that is none of ours is left alone: no diagnostics at all.
    let readme = project("README.md");
    server.open(&readme, "# x\n");
    let _ = server.request("shutdown", Value::Null);
    assert!(!server
        .seen
        .iter()
        .any(|m| m["params"]["uri"] == uri(&readme)));
    server.notify("exit", Value::Null);
    assert_eq!(wait(&mut server.child), Some(0));
}

#[test]
fn exit_without_shutdown_is_an_error_exit() {
    let mut server = Server::start(&project("examples"));
    server.notify("exit", Value::Null);
    assert_eq!(wait(&mut server.child), Some(1));
}

/// CLI v2 YAML gets the same code actions as the other languages: the safe
/// fix as a preferred quickfix editing the key's value, the unsafe one
/// (idle shutdown) adding the key the CLI sends it from.
#[test]
fn cli_yaml_code_actions_edit_the_key() {
    let root = project("tests/fixtures/fix/yaml");
    let mut server = Server::start(&root);
    let path = root.join("instance.yml");
    server.open(&path, &std::fs::read_to_string(&path).unwrap());
    let u = uri(&path);
    let diagnostics = server.diagnostics(&u);
    let action = |server: &mut Server, rule: &str| -> Value {
        let d = diagnostics
            .iter()
            .find(|d| d["code"] == rule)
            .unwrap_or_else(|| panic!("{rule}: {diagnostics:?}"))
            .clone();
        let actions = server.request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": u },
                "range": d["range"],
                "context": { "diagnostics": [d] },
            }),
        );
        actions
            .as_array()
            .unwrap()
            .iter()
            .find(|a| {
                a["title"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("Fix {rule}"))
            })
            .unwrap_or_else(|| panic!("a fix of {rule}: {actions:?}"))
            .clone()
    };
    let safe = action(&mut server, "AMLB-NS1-003");
    assert_eq!(safe["isPreferred"], true, "{safe}");
    let edits = safe["edit"]["changes"][&u].as_array().unwrap();
    assert!(
        edits.iter().any(|e| e["newText"] == "false"
            && e["range"]["start"] == json!({ "line": 4, "character": 23 })),
        "{edits:?}"
    );
    let idle = action(&mut server, "AMLB-POL-679ddf89");
    let edits = idle["edit"]["changes"][&u].as_array().unwrap();
    assert!(
        edits
            .iter()
            .any(|e| e["newText"] == "\nidle_time_before_shutdown_minutes: 60"),
        "{edits:?}"
    );
    server.stop();
}

#[test]
fn a_projects_misjudged_result_carries_its_known_issue_in_the_editor() {
    let root = project("tests/fixtures/kinds/bicep");
    let mut server = Server::start(&root);
    let path = root.join("main.bicep");
    server.open(&path, &std::fs::read_to_string(&path).unwrap());
    let diagnostics = server.diagnostics(&uri(&path));
    let on_project: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "AMLB-POL-438c38d2")
        .collect();
    assert_eq!(on_project.len(), 1, "{diagnostics:?}");
    let message = on_project[0]["message"].as_str().unwrap();
    assert!(message.contains("'proj-kinds'"), "{message}");
    assert!(
        message.contains("\nknown issue (Azure/Azure-Landing-Zones#190): 438c38d2 does not exclude AI Foundry projects"),
        "{message}"
    );
    server.stop();
}
