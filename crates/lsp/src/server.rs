//! The server loop: documents, the index of references between workspace
//! files, the deployment units to evaluate again, debouncing, and the
//! requests.

use crate::{convert, uri, Analysis, Analyzer};
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::{
    notification, request::Request as _, CodeActionKind, CodeActionOptions,
    CodeActionProviderCapability, Diagnostic, DiagnosticSeverity, Hover, HoverContents,
    HoverProviderCapability, InitializeParams, MarkupContent, MarkupKind, Position,
    PublishDiagnosticsParams, Range, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions,
};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Settings a client may give in `initializationOptions`.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Base URL of aml-baseline's repository: diagnostics then link
    /// `URL/docs/rules/ID.md` (`codeDescription`).
    pub rule_docs_url: Option<String>,
    /// Milliseconds to wait after a change before evaluating (default 50).
    pub debounce_ms: Option<u64>,
}

/// Files indexed for references, at most (a huge folder opened by mistake).
const MAX_INDEXED: usize = 20_000;

/// Texts larger than this are not read for the index of references.
const MAX_INDEXED_BYTES: u64 = 4 * 1024 * 1024;

struct Document {
    text: String,
    version: i32,
}

struct State<'a> {
    analyzer: &'a dyn Analyzer,
    connection: &'a Connection,
    settings: Settings,
    root: PathBuf,
    documents: HashMap<PathBuf, Document>,
    /// Files and folders → the files that reference them (modules, imports,
    /// linked templates, `using`); built at the first evaluation.
    referrers: Option<HashMap<PathBuf, BTreeSet<PathBuf>>>,
    /// What each indexed file references, to update on change.
    references: HashMap<PathBuf, Vec<PathBuf>>,
    /// The last analysis of each unit (keyed by its entry files).
    units: HashMap<Vec<PathBuf>, Analysis>,
    /// The unit each file's diagnostics came from.
    unit_of: HashMap<PathBuf, Vec<PathBuf>>,
    /// Documents changed and waiting for the debounce.
    pending: HashMap<PathBuf, Instant>,
}

/// Runs the server on `connection` until `shutdown` and `exit` (`Ok`), or
/// `exit` without `shutdown` or a protocol error (`Err`).
pub fn serve(connection: &Connection, analyzer: &dyn Analyzer) -> Result<(), String> {
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..Default::default()
        })),
        ..Default::default()
    };
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let params: InitializeParams = serde_json::from_value(params).map_err(|e| e.to_string())?;
    let result = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": { "name": "aml-baseline", "version": env!("CARGO_PKG_VERSION") },
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let settings: Settings = params
        .initialization_options
        .clone()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    let root = analyzer.normalize(&root_of(&params));
    let mut state = State {
        analyzer,
        connection,
        settings,
        root,
        documents: HashMap::new(),
        referrers: None,
        references: HashMap::new(),
        units: HashMap::new(),
        unit_of: HashMap::new(),
        pending: HashMap::new(),
    };
    state.run()
}

/// The workspace folder: the first of `workspaceFolders`, else `rootUri`,
/// else the current directory.
#[allow(deprecated)]
fn root_of(params: &InitializeParams) -> PathBuf {
    params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .and_then(|f| uri::to_path(&f.uri))
        .or_else(|| params.root_uri.as_ref().and_then(uri::to_path))
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("/"))
}

impl State<'_> {
    fn run(&mut self) -> Result<(), String> {
        loop {
            let message = match self.pending.values().min().copied() {
                Some(deadline) => {
                    let wait = deadline.saturating_duration_since(Instant::now());
                    match self.connection.receiver.recv_timeout(wait) {
                        Ok(m) => m,
                        Err(e) if e.is_timeout() => {
                            self.flush();
                            continue;
                        }
                        Err(_) => return Ok(()),
                    }
                }
                None => match self.connection.receiver.recv() {
                    Ok(m) => m,
                    Err(_) => return Ok(()),
                },
            };
            match message {
                Message::Request(request) => {
                    if self
                        .connection
                        .handle_shutdown(&request)
                        .map_err(|e| e.to_string())?
                    {
                        return Ok(());
                    }
                    // Answer on the latest text.
                    self.flush();
                    let response = self.request(request);
                    self.send(response.into());
                }
                Message::Notification(n) if n.method == notification::Exit::METHOD => {
                    return Err("exit without shutdown".into());
                }
                Message::Notification(n) => self.notification(n),
                Message::Response(_) => {}
            }
        }
    }

    fn send(&self, message: Message) {
        let _ = self.connection.sender.send(message);
    }

    fn notify<N: notification::Notification>(&self, params: N::Params) {
        self.send(Notification::new(N::METHOD.to_string(), params).into());
    }

    fn log(&self, message: String) {
        self.notify::<notification::LogMessage>(lsp_types::LogMessageParams {
            typ: lsp_types::MessageType::LOG,
            message,
        });
    }

    fn path_of(&self, uri: &lsp_types::Uri) -> Option<PathBuf> {
        let path = uri::to_path(uri)?;
        self.analyzer
            .checks(&path)
            .then(|| self.analyzer.normalize(&path))
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            notification::DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                else {
                    return;
                };
                let Some(path) = self.path_of(&p.text_document.uri) else {
                    return;
                };
                self.documents.insert(
                    path.clone(),
                    Document {
                        text: p.text_document.text,
                        version: p.text_document.version,
                    },
                );
                self.evaluate(&path);
            }
            notification::DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                else {
                    return;
                };
                let Some(path) = self.path_of(&p.text_document.uri) else {
                    return;
                };
                let Some(doc) = self.documents.get_mut(&path) else {
                    return;
                };
                for change in p.content_changes {
                    match change.range {
                        None => doc.text = change.text,
                        Some(range) => {
                            let index = crate::text::LineIndex::new(&doc.text);
                            let (start, end) = (index.offset(range.start), index.offset(range.end));
                            if start <= end {
                                doc.text.replace_range(start..end, &change.text);
                            }
                        }
                    }
                }
                doc.version = p.text_document.version;
                let wait = Duration::from_millis(self.settings.debounce_ms.unwrap_or(50));
                self.pending.insert(path, Instant::now() + wait);
            }
            notification::DidSaveTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(n.params)
                else {
                    return;
                };
                if let Some(path) = self.path_of(&p.text_document.uri) {
                    self.pending.remove(&path);
                    if self.documents.contains_key(&path) {
                        self.evaluate(&path);
                    }
                }
            }
            notification::DidCloseTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                else {
                    return;
                };
                if let Some(path) = self.path_of(&p.text_document.uri) {
                    self.documents.remove(&path);
                    self.pending.remove(&path);
                    self.notify::<notification::PublishDiagnostics>(PublishDiagnosticsParams {
                        uri: p.text_document.uri,
                        diagnostics: Vec::new(),
                        version: None,
                    });
                }
            }
            _ => {}
        }
    }

    /// Evaluates the documents whose debounce is over (or all pending ones
    /// before a request).
    fn flush(&mut self) {
        let pending: Vec<PathBuf> = self.pending.drain().map(|(p, _)| p).collect();
        let mut done: BTreeSet<Vec<PathBuf>> = BTreeSet::new();
        for path in pending {
            if self.documents.contains_key(&path) {
                let entries = self.entries_of(&path);
                if done.insert(entries.clone()) {
                    self.evaluate_unit(entries);
                }
            }
        }
    }

    fn evaluate(&mut self, path: &Path) {
        let entries = self.entries_of(path);
        self.evaluate_unit(entries);
    }

    fn evaluate_unit(&mut self, entries: Vec<PathBuf>) {
        let overlay: HashMap<PathBuf, String> = self
            .documents
            .iter()
            .map(|(p, d)| (p.clone(), d.text.clone()))
            .collect();
        let started = Instant::now();
        let analysis = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.analyzer.analyze(&entries, &self.root, overlay)
        }));
        let elapsed = started.elapsed();
        let analysis = match analysis {
            Ok(a) => a,
            Err(_) => {
                for e in &entries {
                    self.publish_internal_error(e);
                }
                return;
            }
        };
        let files: Vec<PathBuf> = analysis
            .run
            .scan
            .sources
            .files()
            .map(|(_, f)| f.path.clone())
            .collect();
        for file in &files {
            self.unit_of.insert(file.clone(), entries.clone());
            if let Some(doc) = self.documents.get(file) {
                let diagnostics =
                    convert::diagnostics(&analysis, file, self.settings.rule_docs_url.as_deref());
                if let Some(uri) = uri::from_path(file) {
                    self.notify::<notification::PublishDiagnostics>(PublishDiagnosticsParams {
                        uri,
                        diagnostics,
                        version: Some(doc.version),
                    });
                }
                self.update_references(file);
            }
        }
        self.log(format!(
            "evaluated {} ({} files, {} results) in {} ms",
            entries
                .iter()
                .map(|e| e.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            files.len(),
            analysis.run.report.results.len(),
            elapsed.as_millis()
        ));
        self.units.insert(entries, analysis);
    }

    fn publish_internal_error(&self, path: &Path) {
        let (Some(uri), Some(doc)) = (uri::from_path(path), self.documents.get(path)) else {
            return;
        };
        self.notify::<notification::PublishDiagnostics>(PublishDiagnosticsParams {
            uri,
            diagnostics: vec![Diagnostic {
                range: Range::new(Position::new(0, 0), Position::new(0, 0)),
                severity: Some(DiagnosticSeverity::ERROR),
                source: Some("aml-baseline".into()),
                message: "aml-baseline could not evaluate this file (an internal error; please report it)"
                    .into(),
                ..Default::default()
            }],
            version: Some(doc.version),
        });
    }

    /// Builds the index of references from the workspace's files on disk.
    fn index(&mut self) {
        if self.referrers.is_none() {
            let mut referrers: HashMap<PathBuf, BTreeSet<PathBuf>> = HashMap::new();
            for file in self
                .analyzer
                .discover(&self.root)
                .into_iter()
                .take(MAX_INDEXED)
            {
                let small = std::fs::metadata(&file).is_ok_and(|m| m.len() <= MAX_INDEXED_BYTES);
                let Some(text) = small.then(|| std::fs::read_to_string(&file).ok()).flatten()
                else {
                    continue;
                };
                let refs: Vec<PathBuf> = self
                    .analyzer
                    .references(&file, &text)
                    .iter()
                    .map(|r| self.analyzer.normalize(r))
                    .collect();
                for r in &refs {
                    referrers.entry(r.clone()).or_default().insert(file.clone());
                }
                self.references.insert(file, refs);
            }
            self.referrers = Some(referrers);
        }
    }

    /// Re-reads what an open document references, from its current text.
    fn update_references(&mut self, file: &Path) {
        let Some(doc) = self.documents.get(file) else {
            return;
        };
        let refs: Vec<PathBuf> = self
            .analyzer
            .references(file, &doc.text)
            .iter()
            .map(|r| self.analyzer.normalize(r))
            .collect();
        let old = self
            .references
            .insert(file.to_path_buf(), refs.clone())
            .unwrap_or_default();
        let referrers = self.referrers.get_or_insert_with(HashMap::new);
        for r in old {
            if let Some(set) = referrers.get_mut(&r) {
                set.remove(file);
            }
        }
        for r in refs {
            referrers.entry(r).or_default().insert(file.to_path_buf());
        }
    }

    /// The entry files whose scan evaluates `path` in its context: the files
    /// that reference it (transitively up to those nothing references), the
    /// templates beside a parameter file, else the file itself.
    fn entries_of(&mut self, path: &Path) -> Vec<PathBuf> {
        self.index();
        let empty = HashMap::new();
        let index = self.referrers.as_ref().unwrap_or(&empty);
        let callers = |p: &Path| -> Vec<PathBuf> {
            let mut out: Vec<PathBuf> = index.get(p).into_iter().flatten().cloned().collect();
            if is_folder_module(p) {
                if let Some(dir) = p.parent() {
                    out.extend(index.get(dir).into_iter().flatten().cloned());
                }
            }
            out
        };
        let mut entries = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack = vec![path.to_path_buf()];
        while let Some(p) = stack.pop() {
            if !seen.insert(p.clone()) || seen.len() > 256 {
                continue;
            }
            let up = callers(&p);
            if up.is_empty() {
                entries.insert(p);
            } else {
                stack.extend(up);
            }
        }
        if entries.len() == 1 && entries.contains(path) {
            if let Some(templates) = templates_beside(path) {
                return templates;
            }
        }
        entries.into_iter().collect()
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        match request.method.as_str() {
            lsp_types::request::HoverRequest::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::HoverParams>(request.params) else {
                    return invalid(id);
                };
                let position = p.text_document_position_params.position;
                let hover = self
                    .analysis_of(&p.text_document_position_params.text_document.uri)
                    .and_then(|(a, path)| convert::hover(a, &path, position))
                    .map(|value| Hover {
                        contents: HoverContents::Markup(MarkupContent {
                            kind: MarkupKind::Markdown,
                            value,
                        }),
                        range: None,
                    });
                Response::new_ok(id, hover)
            }
            lsp_types::request::CodeActionRequest::METHOD => {
                // A client's context diagnostics are only matched against
                // ours: when they do not parse, answer without them.
                let parsed =
                    serde_json::from_value::<lsp_types::CodeActionParams>(request.params.clone());
                let (uri, range, context) = match parsed {
                    Ok(p) => (p.text_document.uri, p.range, p.context.diagnostics),
                    Err(e) => match serde_json::from_value::<Located>(request.params) {
                        Ok(p) => {
                            self.log(format!("codeAction: context ignored ({e})"));
                            (p.text_document.uri, p.range, Vec::new())
                        }
                        Err(_) => return invalid(id),
                    },
                };
                let actions = self
                    .analysis_of(&uri)
                    .map(|(a, path)| convert::code_actions(a, &path, range, &context))
                    .unwrap_or_default();
                Response::new_ok(id, actions)
            }
            _ => Response::new_err(
                id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("aml-baseline lsp does not answer {}", request.method),
            ),
        }
    }

    fn analysis_of(&self, uri: &lsp_types::Uri) -> Option<(&Analysis, PathBuf)> {
        let path = self.path_of(uri)?;
        let unit = self.unit_of.get(&path)?;
        Some((self.units.get(unit)?, path))
    }
}

/// The document and range of a request, whatever else it holds.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Located {
    text_document: lsp_types::TextDocumentIdentifier,
    range: Range,
}

fn invalid(id: lsp_server::RequestId) -> Response {
    Response::new_err(
        id,
        lsp_server::ErrorCode::InvalidParams as i32,
        "invalid parameters".into(),
    )
}

/// Terraform files belong to their folder: a module call names the folder.
fn is_folder_module(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("tf" | "tfvars")
    )
}

/// For a parameter file (`NAME.parameters.json`, `*.tfvars`), the files
/// whose scan reads it: the template `NAME.json` (else every other JSON
/// template beside it), or a `.tf` file of its folder.
fn templates_beside(path: &Path) -> Option<Vec<PathBuf>> {
    let name = path.file_name()?.to_str()?;
    let dir = path.parent()?;
    let siblings = || -> Vec<PathBuf> {
        let mut list: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        list.sort();
        list
    };
    if let Some(stem) = name.strip_suffix(".parameters.json") {
        let own = dir.join(format!("{stem}.json"));
        if own.is_file() {
            return Some(vec![own]);
        }
        let others: Vec<PathBuf> = siblings()
            .into_iter()
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    (n.ends_with(".json") || n.ends_with(".jsonc")) && !n.contains(".parameters.")
                })
            })
            .collect();
        return (!others.is_empty()).then_some(others);
    }
    if name.ends_with(".tfvars") {
        let tf = siblings()
            .into_iter()
            .find(|p| p.extension().is_some_and(|e| e == "tf"))?;
        return Some(vec![tf]);
    }
    None
}
