//! From a scan's report to LSP: diagnostics, hovers and code actions for one
//! document.

use crate::text::LineIndex;
use crate::{uri, Analysis};
use aml_model::diagnostics::Level;
use aml_report::entry::Suppression;
use aml_report::ResultEntry;
use aml_rules::evaluate::Verdict;
use lsp_types::{
    CodeAction, CodeActionKind, CodeDescription, Diagnostic, DiagnosticSeverity, NumberOrString,
    Position, Range, TextEdit, Uri, WorkspaceEdit,
};
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

/// The display path the scan gave `file` (a normalized absolute path), and its text.
pub fn display_of<'a>(
    analysis: &'a Analysis,
    file: &Path,
) -> Option<(&'a str, std::sync::Arc<str>)> {
    analysis
        .run
        .scan
        .sources
        .files()
        .find(|(_, f)| f.path == file)
        .map(|(_, f)| (f.display.as_str(), f.text()))
}

fn range_of(index: &LineIndex<'_>, r: &ResultEntry) -> Range {
    let start = index.from_report(r.line, r.column);
    let mut end = if r.end_line > 0 {
        index.from_report(r.end_line, r.end_column)
    } else {
        start
    };
    if end <= start {
        end = index.line_end(start.line as usize);
    }
    Range::new(start, end)
}

/// The failing and unknown results of `display` that count (not suppressed).
fn findings<'a>(analysis: &'a Analysis, display: &'a str) -> impl Iterator<Item = &'a ResultEntry> {
    analysis
        .run
        .report
        .results
        .iter()
        .filter(move |r| *r.path == *display && r.result != Verdict::Pass && r.suppressed.is_none())
}

/// The diagnostics of one document: its failing and unknown results, and
/// the problems with its text.
pub fn diagnostics(analysis: &Analysis, file: &Path, rule_docs: Option<&str>) -> Vec<Diagnostic> {
    let Some((display, text)) = display_of(analysis, file) else {
        return Vec::new();
    };
    let index = LineIndex::new(&text);
    let mut out: Vec<Diagnostic> = findings(analysis, display)
        .map(|r| result_diagnostic(&index, r, rule_docs))
        .collect();
    for d in analysis
        .run
        .report
        .diagnostics
        .iter()
        .filter(|d| d.path == display)
    {
        let start = index.from_report(d.line, d.column);
        out.push(Diagnostic {
            range: Range::new(start, index.line_end(start.line as usize)),
            severity: Some(match d.level {
                Level::Error => DiagnosticSeverity::ERROR,
                Level::Warning => DiagnosticSeverity::WARNING,
                Level::Info => DiagnosticSeverity::INFORMATION,
            }),
            code: Some(NumberOrString::String(d.code.to_string())),
            source: Some("aml-baseline".into()),
            message: d.message.to_string(),
            ..Default::default()
        });
    }
    out
}

fn result_diagnostic(
    index: &LineIndex<'_>,
    r: &ResultEntry,
    rule_docs: Option<&str>,
) -> Diagnostic {
    let what = r
        .feature
        .unwrap_or_else(|| aml_rules::find(r.rule).map_or("", |x| x.title));
    let mut message = format!(
        "{} {} [{}] {} '{}': {}",
        r.result.as_str(),
        r.control,
        what,
        r.resource_type,
        r.resource_name,
        r.message
    );
    if r.denied {
        if let Some(a) = &r.assignment {
            message.push_str(&format!("\nAzure would deny the deployment: {a}"));
        }
    }
    if !r.deciding.is_empty() {
        message.push_str(&format!("\ndecided by: {}", r.deciding.join(", ")));
    }
    if let Some(k) = &r.known_issue {
        message.push_str(&format!(
            "\nknown issue ({}): {} {}",
            k.id, k.summary, k.url
        ));
    }
    if let Some(fix) = r.fix {
        message.push_str(&format!("\nfix: {fix}"));
    }
    let severity = match (r.result, r.severity) {
        (Verdict::Unknown, _) => DiagnosticSeverity::INFORMATION,
        _ if r.denied => DiagnosticSeverity::ERROR,
        (_, "critical" | "high") => DiagnosticSeverity::ERROR,
        _ => DiagnosticSeverity::WARNING,
    };
    Diagnostic {
        range: range_of(index, r),
        severity: Some(severity),
        code: Some(NumberOrString::String(r.rule.to_string())),
        code_description: rule_docs.and_then(|base| {
            let href = format!("{}/docs/rules/{}.md", base.trim_end_matches('/'), r.rule);
            Uri::from_str(&href)
                .ok()
                .map(|href| CodeDescription { href })
        }),
        source: Some("aml-baseline".into()),
        message,
        data: Some(serde_json::json!({ "resource": r.resource_id })),
        ..Default::default()
    }
}

/// The property's findings before the resource's (stable otherwise).
fn narrowest_first(list: &mut [(Range, &ResultEntry)]) {
    list.sort_by_key(|(range, _)| (range.end.line - range.start.line, range.end.character));
}

fn contains(range: &Range, p: Position) -> bool {
    range.start <= p && p <= range.end
}

fn overlaps(a: &Range, b: &Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The hover at `position`: each finding there with its rule's page.
pub fn hover(analysis: &Analysis, file: &Path, position: Position) -> Option<String> {
    let (display, text) = display_of(analysis, file)?;
    let index = LineIndex::new(&text);
    let mut here: Vec<(Range, &ResultEntry)> = findings(analysis, display)
        .map(|r| (range_of(&index, r), r))
        .filter(|(range, _)| contains(range, position))
        .collect();
    narrowest_first(&mut here);
    let pages: Vec<String> = here
        .into_iter()
        .filter_map(|(_, r)| {
            let rule = aml_rules::find(r.rule)?;
            Some(format!(
                "**{}** {}: {} '{}'\n\n{}\n\n---\n\n{}",
                r.rule,
                r.result.as_str(),
                r.resource_type,
                r.resource_name,
                r.message,
                aml_rules::docs::page(rule)
            ))
        })
        .collect();
    (!pages.is_empty()).then(|| pages.join("\n\n---\n\n"))
}

/// The code actions for the findings in `range`: the safe fix, the unsafe
/// fix (marked), and an inline suppression with a reason to write.
pub fn code_actions(
    analysis: &Analysis,
    file: &Path,
    range: Range,
    context: &[Diagnostic],
) -> Vec<CodeAction> {
    let Some((display, text)) = display_of(analysis, file) else {
        return Vec::new();
    };
    let index = LineIndex::new(&text);
    let mut here: Vec<(Range, &ResultEntry)> = findings(analysis, display)
        .map(|r| (range_of(&index, r), r))
        .filter(|(at, _)| overlaps(at, &range))
        .collect();
    narrowest_first(&mut here);
    let mut actions = Vec::new();
    for (at, r) in here {
        let diagnostics: Vec<Diagnostic> = context
            .iter()
            .filter(|d| {
                d.code == Some(NumberOrString::String(r.rule.to_string()))
                    && overlaps(&d.range, &at)
            })
            .cloned()
            .collect();
        let diagnostics = (!diagnostics.is_empty()).then_some(diagnostics);
        if let Some(fix) = &r.autofix {
            let edits = fix.changes.iter().filter_map(|c| {
                let (path, text) = source_by_display(analysis, &c.path)?;
                let index = LineIndex::new(&text);
                let edits = c
                    .replacements
                    .iter()
                    .map(|x| TextEdit {
                        range: Range::new(
                            index.from_report(x.start_line, x.start_column),
                            index.from_report(x.end_line, x.end_column),
                        ),
                        new_text: x.text.clone(),
                    })
                    .collect();
                Some((path, edits))
            });
            if let Some(edit) = workspace_edit(edits) {
                actions.push(CodeAction {
                    title: format!("Fix {}: {}", r.rule, first_line(&fix.description)),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: diagnostics.clone(),
                    edit: Some(edit),
                    is_preferred: Some(true),
                    ..Default::default()
                });
            }
        }
        if let Some(action) = unsafe_fix(analysis, r) {
            actions.push(CodeAction {
                diagnostics: diagnostics.clone(),
                ..action
            });
        }
        if r.source == "code" {
            actions.push(CodeAction {
                title: format!(
                    "Suppress {} here (write the reason after the colon)",
                    r.rule
                ),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics,
                edit: workspace_edit(std::iter::once((
                    file.to_path_buf(),
                    vec![suppression(&index, file, r)],
                ))),
                ..Default::default()
            });
        }
    }
    actions
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn source_by_display(
    analysis: &Analysis,
    display: &str,
) -> Option<(std::path::PathBuf, std::sync::Arc<str>)> {
    let f = analysis.run.scan.sources.by_display(display)?;
    Some((f.path.clone(), f.text()))
}

// `WorkspaceEdit.changes` is keyed by `Uri` (lsp-types' choice); its hash
// and equality are those of the URI's text, which never changes once built.
#[allow(clippy::mutable_key_type)]
fn workspace_edit(
    edits: impl Iterator<Item = (std::path::PathBuf, Vec<TextEdit>)>,
) -> Option<WorkspaceEdit> {
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (path, list) in edits {
        changes
            .entry(uri::from_path(&path)?)
            .or_default()
            .extend(list);
    }
    (!changes.is_empty()).then(|| WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    })
}

/// `// aml-baseline-ignore RULE: ` (or `#` in HCL and YAML) on its own line
/// above the finding, indented as the finding's line; the reason is left
/// for the author to write (without one the scan warns and suppresses nothing).
fn suppression(index: &LineIndex<'_>, file: &Path, r: &ResultEntry) -> TextEdit {
    let line = r.line.max(1) - 1;
    let text = index.line(line as usize);
    let indent: String = text.chars().take_while(|c| c.is_whitespace()).collect();
    let hash = matches!(
        file.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("tf" | "tfvars" | "hcl" | "yml" | "yaml")
    );
    let marker = if hash { "#" } else { "//" };
    let at = Position::new(line, 0);
    TextEdit {
        range: Range::new(at, at),
        new_text: format!(
            "{indent}{marker} {} {}: \n",
            aml_report::suppress::INLINE_MARKER,
            r.rule
        ),
    }
}

/// The unsafe fix of a failing result, when its rule has one `fix --unsafe`
/// can write: marked in its title and kind.
fn unsafe_fix(analysis: &Analysis, r: &ResultEntry) -> Option<CodeAction> {
    if r.result != Verdict::Fail
        || matches!(r.suppressed.as_deref(), Some(Suppression::Baseline { .. }))
    {
        return None;
    }
    let scan = &analysis.run.scan;
    let outcome = analysis.outcomes.iter().find(|o| {
        o.rule.id == r.rule
            && o.verdict == Verdict::Fail
            && o.rule.autofix.as_str() == "unsafe"
            && scan.sources.position(o.span) == (r.path.to_string(), r.line, r.column)
    })?;
    let plan = aml_fix::plan(
        &scan.model,
        &scan.sources,
        &scan.files,
        &[aml_fix::Failure {
            rule: outcome.rule,
            resource: outcome.resource,
        }],
        &aml_fix::Options {
            rules: vec![outcome.rule.id],
            allow_unsafe: true,
            ..Default::default()
        },
    );
    let fixed = plan
        .results
        .iter()
        .find(|x| x.status == aml_fix::Status::Fixed && !x.edits.is_empty())?;
    let secrets = scan.model.redactor();
    let edits = fixed.edits.iter().map(|e| {
        let source = scan.sources.get(e.file);
        let text = source.text();
        let index = LineIndex::new(&text);
        (
            source.path.clone(),
            vec![TextEdit {
                range: Range::new(index.from_offset(e.start), index.from_offset(e.end)),
                new_text: e.text.clone(),
            }],
        )
    });
    let edit = workspace_edit(edits)?;
    Some(CodeAction {
        title: format!(
            "Fix {} (unsafe: can break a working deployment): {}",
            r.rule,
            secrets.redact(first_line(&fixed.messages.join("\n")))
        ),
        kind: Some(CodeActionKind::from("quickfix.unsafe".to_string())),
        edit: Some(edit),
        is_preferred: Some(false),
        ..Default::default()
    })
}
