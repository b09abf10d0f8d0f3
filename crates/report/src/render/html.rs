//! HTML (`--format html`): one self-contained page an auditor can open
//! offline. Inline CSS and plain JavaScript only (no network, no external
//! asset, a Content-Security-Policy that forbids loading anything); every
//! value from the scan is escaped. The baseline is shown as controls →
//! features → results, with filters by status, control, format and file
//! (also read from the URL fragment, e.g. `#status=fail&control=NS-2`).

use crate::baseline::{Evidence, Status};
use crate::{Report, ResultEntry};
use aml_model::input::ScanOutput;
use aml_rules::evaluate::Verdict;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// Escapes text for element content and double- or single-quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\n' | '\t') => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::NotApplicable => "not applicable",
        other => other.as_str(),
    }
}

const STYLE: &str = r#"
:root { --fail:#b3261e; --unknown:#a15c00; --manual:#3557a8; --pass:#1e7b34; --platform:#0b7285; --na:#666;
  --bg:#fff; --fg:#1b1b1b; --muted:#555; --line:#ddd; --code:#f6f6f4; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; margin: .2rem 0; } h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; border-bottom: 1px solid var(--line); }
.meta { color: var(--muted); margin: 0 0 1rem; }
.counts { display: flex; flex-wrap: wrap; gap: .5rem; margin: 0; padding: 0; }
.counts div { border: 1px solid var(--line); border-radius: 6px; padding: .3rem .8rem; min-width: 6rem; }
.counts dt { font-size: .75rem; color: var(--muted); text-transform: uppercase; } .counts dd { margin: 0; font-size: 1.3rem; font-weight: 600; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.badge { display: inline-block; border-radius: 4px; padding: 0 .45rem; color: #fff; font-size: .8rem; font-weight: 600; white-space: nowrap; }
.s-fail { background: var(--fail); } .s-unknown { background: var(--unknown); } .s-manual { background: var(--manual); } .s-suppressed { background: #8a8f98; }
.s-pass { background: var(--pass); } .s-platform { background: var(--platform); } .s-not_applicable { background: var(--na); }
.control { border: 1px solid var(--line); border-left: 6px solid var(--na); border-radius: 6px; margin: .6rem 0; padding: .2rem .8rem; }
.control.st-fail { border-left-color: var(--fail); } .control.st-unknown { border-left-color: var(--unknown); } .control.st-manual { border-left-color: var(--manual); }
.control.st-pass { border-left-color: var(--pass); } .control.st-platform { border-left-color: var(--platform); }
.control > summary { cursor: pointer; padding: .3rem 0; font-weight: 600; }
.feature { margin: .4rem 0 .4rem 1rem; padding-left: .6rem; border-left: 2px solid var(--line); }
.feature h4 { margin: .3rem 0; font-size: 1rem; } .feature p { margin: .2rem 0; color: var(--muted); }
.result { margin: .3rem 0; padding: .3rem .5rem; border-radius: 4px; background: #fafafa; }
.result .where { color: var(--muted); }
pre.snippet { background: var(--code); padding: .4rem .6rem; overflow-x: auto; margin: .3rem 0; }
pre.snippet .hit { background: #ffe3e0; display: inline-block; min-width: 100%; }
pre.snippet .ln { color: #888; user-select: none; }
.fix { margin: .2rem 0; } .fix b { color: var(--pass); }
#filters { position: sticky; top: 0; background: var(--bg); padding: .5rem 0; border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: .8rem; align-items: center; z-index: 1; }
#filters label { font-size: .85rem; color: var(--muted); } #filters select { margin-left: .3rem; max-width: 22rem; }
#shown { font-size: .85rem; color: var(--muted); }
#js-errors { border: 2px solid var(--fail); padding: .5rem; color: var(--fail); }
.expired { color: var(--fail); font-weight: 600; }
[hidden] { display: none !important; }
"#;

const SCRIPT: &str = r#"
(function () {
  'use strict';
  var errors = document.getElementById('js-errors');
  function report(text) {
    var p = document.createElement('p');
    p.className = 'js-error';
    p.textContent = text;
    errors.appendChild(p);
    errors.hidden = false;
  }
  window.addEventListener('error', function (e) { report('error: ' + e.message); });
  var consoleError = console.error;
  console.error = function () {
    report('console.error: ' + Array.prototype.join.call(arguments, ' '));
    consoleError.apply(console, arguments);
  };
  var keys = ['status', 'control', 'format', 'file'];
  var selects = {};
  keys.forEach(function (k) { selects[k] = document.getElementById('filter-' + k); });
  var results = Array.prototype.slice.call(document.querySelectorAll('.result'));
  var features = Array.prototype.slice.call(document.querySelectorAll('.feature'));
  var controls = Array.prototype.slice.call(document.querySelectorAll('.control'));

  function readHash() {
    var hash = window.location.hash.replace(/^#/, '');
    keys.forEach(function (k) { selects[k].value = ''; });
    hash.split('&').forEach(function (pair) {
      var i = pair.indexOf('=');
      if (i < 0) { return; }
      var k = decodeURIComponent(pair.slice(0, i));
      var v = decodeURIComponent(pair.slice(i + 1));
      var s = selects[k];
      if (s && Array.prototype.some.call(s.options, function (o) { return o.value === v; })) { s.value = v; }
    });
  }

  function apply() {
    var f = {};
    keys.forEach(function (k) { f[k] = selects[k].value; });
    var narrowing = f.status !== '' || f.format !== '' || f.file !== '';
    var shown = { pass: 0, fail: 0, unknown: 0, suppressed: 0 };
    results.forEach(function (r) {
      var d = r.dataset;
      var show = (f.status === '' || d.status === f.status) && (f.control === '' || d.control === f.control) &&
        (f.format === '' || d.format === f.format) && (f.file === '' || d.file === f.file);
      r.hidden = !show;
      if (show) { shown[d.status] += 1; }
    });
    features.forEach(function (fe) {
      fe.hidden = narrowing && fe.querySelector('.result:not([hidden])') === null;
    });
    controls.forEach(function (c) {
      var hide = f.control !== '' && c.dataset.control !== f.control;
      if (!hide && narrowing) { hide = c.querySelector('.result:not([hidden])') === null; }
      c.hidden = hide;
      if (narrowing && !hide) { c.open = true; }
    });
    Object.keys(shown).forEach(function (k) { document.getElementById('shown-' + k).textContent = String(shown[k]); });
  }

  keys.forEach(function (k) {
    selects[k].addEventListener('change', function () {
      var parts = [];
      keys.forEach(function (key) {
        if (selects[key].value !== '') { parts.push(key + '=' + encodeURIComponent(selects[key].value)); }
      });
      window.location.hash = parts.join('&');
      apply();
    });
  });
  window.addEventListener('hashchange', function () { readHash(); apply(); });
  readHash();
  apply();
  document.body.setAttribute('data-ready', 'yes');
})();
"#;

/// The page, deterministic for the same inputs.
pub fn render(report: &Report, scan: &ScanOutput) -> String {
    super::written(|out| write(report, scan, out)).unwrap_or_default()
}

/// The page as it is written: what is built in `out` goes to the sink
/// before each list of results, which are made in parallel, a window at a
/// time, and written in order (decision 0049).
struct Page<'w> {
    out: String,
    sink: &'w mut dyn std::io::Write,
}

impl Page<'_> {
    /// Writes what is built, then `each` of `list`.
    fn results(
        &mut self,
        list: &[&ResultEntry],
        each: impl Fn(&ResultEntry, &mut String) + Sync,
    ) -> std::io::Result<()> {
        self.sink.write_all(self.out.as_bytes())?;
        self.out.clear();
        super::stream::texts_in_order(list, |r, s| each(r, s), &mut *self.sink)
    }
}

/// Writes the page: the bytes of [`render`], never held as one string.
pub fn write(
    report: &Report,
    scan: &ScanOutput,
    sink: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut buffered = std::io::BufWriter::with_capacity(super::stream::WRITE_BUFFER, sink);
    let mut page = Page {
        out: String::new(),
        sink: &mut buffered,
    };
    page_parts(report, scan, &mut page)?;
    let rest = std::mem::take(&mut page.out);
    std::io::Write::write_all(&mut buffered, rest.as_bytes())?;
    std::io::Write::flush(&mut buffered)
}

fn page_parts(report: &Report, scan: &ScanOutput, page: &mut Page<'_>) -> std::io::Result<()> {
    let s = &report.summary;
    let out = &mut page.out;
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<title>{} report: {}</title>",
        esc(report.tool.name),
        esc(report.baseline.baseline)
    );
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    out.push_str("<div id=\"js-errors\" hidden></div>\n<header>\n");
    let _ = writeln!(out, "<h1>{}</h1>", esc(report.baseline.baseline));
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} · <span id=\"tool\">{} {}</span> · {} rules ran</p>",
        esc(report.baseline.benchmark),
        esc(report.tool.name),
        esc(report.tool.version),
        report.tool.rules.len()
    );
    out.push_str("<dl class=\"counts\">\n");
    for (id, label, n) in [
        ("files", "files", s.files),
        ("resources", "resources", s.resources),
        ("results", "results", s.results),
        ("failed", "failed", s.failed),
        ("unknown", "unknown", s.unknown),
        ("passed", "passed", s.passed),
        ("errors", "input errors", s.errors),
        ("warnings", "warnings", s.warnings),
    ] {
        let _ = writeln!(
            out,
            "<div><dt>{label}</dt><dd id=\"count-{id}\">{n}</dd></div>"
        );
    }
    out.push_str("</dl>\n</header>\n");

    filters(report, out);
    if report.has_assignments() {
        denials(report, out);
    }
    controls(report, scan, page)?;
    if report.has_assignments() {
        assignments(report, scan, page)?;
    }
    let out = &mut page.out;
    attestations(report, out);
    suppressions(report, out);
    inputs(report, out);
    diagnostics(report, out);

    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>");
    Ok(())
}

fn resource_formats(report: &Report) -> BTreeMap<&str, &str> {
    report
        .resources
        .iter()
        .map(|r| (&*r.id, r.format))
        .collect()
}

fn filters(report: &Report, out: &mut String) {
    let option_list = |values: &mut dyn Iterator<Item = (String, String)>| -> String {
        let mut s = String::from("<option value=\"\">all</option>");
        for (v, label) in values {
            let _ = write!(s, "<option value=\"{}\">{}</option>", esc(&v), esc(&label));
        }
        s
    };
    let formats: BTreeSet<&str> = report.resources.iter().map(|r| r.format).collect();
    let files: BTreeSet<&str> = report.results.iter().map(|r| &*r.path).collect();
    out.push_str("<nav id=\"filters\">\n");
    let _ = writeln!(
        out,
        "<label>Status<select id=\"filter-status\">{}</select></label>",
        option_list(
            &mut ["fail", "unknown", "pass", "suppressed"]
                .iter()
                .map(|s| (s.to_string(), s.to_string()))
        )
    );
    let _ = writeln!(
        out,
        "<label>Control<select id=\"filter-control\">{}</select></label>",
        option_list(
            &mut report
                .baseline
                .controls
                .iter()
                .map(|c| (c.id.to_string(), format!("{} {}", c.id, c.title)))
        )
    );
    let _ = writeln!(
        out,
        "<label>Format<select id=\"filter-format\">{}</select></label>",
        option_list(&mut formats.iter().map(|f| (f.to_string(), f.to_string())))
    );
    let _ = writeln!(
        out,
        "<label>File<select id=\"filter-file\">{}</select></label>",
        option_list(&mut files.iter().map(|f| (f.to_string(), f.to_string())))
    );
    out.push_str("<span id=\"shown\">shown: <span id=\"shown-fail\">0</span> failed, <span id=\"shown-unknown\">0</span> unknown, <span id=\"shown-pass\">0</span> passed, <span id=\"shown-suppressed\">0</span> suppressed</span>\n");
    out.push_str("</nav>\n");
}

fn controls(report: &Report, scan: &ScanOutput, page: &mut Page<'_>) -> std::io::Result<()> {
    let formats = resource_formats(report);
    page.out
        .push_str("<main id=\"baseline\">\n<h2>Controls</h2>\n");
    for c in &report.baseline.controls {
        let open = if matches!(c.status, Status::Fail | Status::Unknown) {
            " open"
        } else {
            ""
        };
        let _ = writeln!(
            page.out,
            "<details class=\"control st-{}\" data-control=\"{}\"{open}>",
            c.status.as_str(),
            esc(c.id)
        );
        let _ = writeln!(
            page.out,
            "<summary><span class=\"badge s-{}\">{}</span> {} {} <small>({})</small></summary>",
            c.status.as_str(),
            status_label(c.status),
            esc(c.id),
            esc(c.title),
            esc(c.domain)
        );
        for f in &c.features {
            let _ = writeln!(
                page.out,
                "<section class=\"feature\" data-status=\"{}\">",
                f.status.as_str()
            );
            let _ = writeln!(
                page.out,
                "<h4><span class=\"badge s-{}\">{}</span> {}{}</h4>",
                f.status.as_str(),
                status_label(f.status),
                esc(&f.name),
                if f.in_baseline {
                    ""
                } else {
                    " <small>(a check this tool adds under the control)</small>"
                }
            );
            if !f.description.is_empty() {
                let _ = writeln!(
                    page.out,
                    "<p>{} <small>Responsibility: {}.</small></p>",
                    esc(&f.description),
                    esc(&f.responsibility)
                );
            }
            for e in &f.evidence {
                match e {
                    Evidence::Note { message } => {
                        let _ = writeln!(page.out, "<p class=\"note\">{}</p>", esc(message));
                    }
                    Evidence::Attestation {
                        by,
                        evidence,
                        expires,
                        expired,
                    } => {
                        let _ = writeln!(
                            page.out,
                            "<p class=\"attestation\">Attested by {}: {} (expires {}{})</p>",
                            esc(by),
                            esc(evidence),
                            esc(expires),
                            if *expired {
                                ", <span class=\"expired\">expired</span>"
                            } else {
                                ""
                            }
                        );
                    }
                    Evidence::Results { .. } => {}
                }
            }
            let mine = report
                .results
                .iter()
                .filter(|r| r.control == c.id && f.rules.contains(&r.rule));
            // Failures first, then unknowns, then passes; report order within.
            let mut mine: Vec<&ResultEntry> = mine.collect();
            mine.sort_by_key(|r| match r.result {
                Verdict::Fail => 0,
                Verdict::Unknown => 1,
                Verdict::Pass => 2,
            });
            page.results(&mine, |r, out| {
                result(r, formats.get(&*r.resource_id).copied(), scan, out)
            })?;
            page.out.push_str("</section>\n");
        }
        page.out.push_str("</details>\n");
    }
    page.out.push_str("</main>\n");
    Ok(())
}

/// The results of the user's policy assignments, failures first, by
/// assignment id (the baseline's controls list the product's rules only).
fn assignments(report: &Report, scan: &ScanOutput, page: &mut Page<'_>) -> std::io::Result<()> {
    let formats = resource_formats(report);
    page.out
        .push_str("<section id=\"assignments\">\n<h2>Policy assignments</h2>\n");
    let mut mine: Vec<&ResultEntry> = report
        .results
        .iter()
        .filter(|r| r.assignment.is_some())
        .collect();
    mine.sort_by_key(|r| {
        let rank = match r.result {
            Verdict::Fail => 0,
            Verdict::Unknown => 1,
            Verdict::Pass => 2,
        };
        (r.assignment.clone(), rank)
    });
    for group in mine.chunk_by(|a, b| a.assignment == b.assignment) {
        let a = group[0].assignment.as_deref().unwrap_or_default();
        let _ = writeln!(page.out, "<h3><code>{}</code></h3>", esc(a));
        page.results(group, |r, out| {
            result(r, formats.get(&*r.resource_id).copied(), scan, out)
        })?;
    }
    page.out.push_str("</section>\n");
    Ok(())
}

fn result(r: &ResultEntry, format: Option<&str>, scan: &ScanOutput, out: &mut String) {
    // A suppressed failure or unknown is shown apart: it does not count.
    let status = if r.suppressed.is_some() {
        "suppressed"
    } else {
        r.result.as_str()
    };
    let _ = writeln!(
        out,
        "<div class=\"result\" data-status=\"{status}\" data-control=\"{}\" data-format=\"{}\" data-file=\"{}\" data-rule=\"{}\">",
        esc(r.control),
        esc(format.unwrap_or("")),
        esc(&r.path),
        esc(r.rule)
    );
    let _ = writeln!(
        out,
        "<div><span class=\"badge s-{status}\">{status}</span> <code>{}</code> {} · <code>{}</code> <b>{}</b>{} <span class=\"where\">{}:{}:{}</span></div>",
        esc(r.rule),
        esc(r.severity),
        esc(&r.resource_type),
        esc(&r.resource_name),
        esc(&r.live_suffix()),
        esc(&r.path),
        r.line,
        r.column
    );
    let _ = writeln!(out, "<div class=\"message\">{}</div>", esc(&r.message));
    if r.result != Verdict::Pass {
        if !r.deciding.is_empty() {
            let _ = writeln!(
                out,
                "<div class=\"deciding\">Decided by: <code>{}</code></div>",
                esc(&r.deciding.join(", "))
            );
        }
        if let Some(snippet) = snippet(r, scan) {
            out.push_str(&snippet);
        }
        if let Some(fix) = r.fix {
            let _ = writeln!(out, "<div class=\"fix\"><b>Fix:</b> {}</div>", esc(fix));
        }
        for f in &r.field_restrictions {
            let _ = writeln!(
                out,
                "<div class=\"fix\">Azure Policy (checkPolicyRestrictions): <code>{}</code> {} <code>{}</code> ({} by assignment <code>{}</code>)</div>",
                esc(&f.field),
                esc(&f.result),
                esc(&f.values.join(", ")),
                esc(&f.effect),
                esc(f.assignment.rsplit('/').next().unwrap_or_default())
            );
        }
        if let Some(k) = &r.known_issue {
            let _ = writeln!(
                out,
                "<div class=\"known-issue\"><b>Known issue</b> (<a href=\"{}\">{}</a>): {}</div>",
                esc(k.url),
                esc(k.id),
                esc(k.summary)
            );
        }
    }
    if let Some(x) = &r.rollup {
        let _ = writeln!(
            out,
            "<div class=\"rollup\">Baseline counts it as {}: {}</div>",
            x.result.as_str(),
            esc(&x.message)
        );
    }
    out.push_str("</div>\n");
}

/// A few lines around the result, the lines it names marked; nothing when
/// the file is not in the scan or a line holds a secret.
fn snippet(r: &ResultEntry, scan: &ScanOutput) -> Option<String> {
    let hit_last = if r.end_line >= r.line && r.end_line - r.line <= 4 {
        r.end_line
    } else {
        r.line
    };
    let first = r.line.saturating_sub(2).max(1);
    let file = scan.sources.by_display(&r.path)?;
    let line_count = file.text().lines().count() as u32;
    let last = (hit_last + 2).min(line_count.max(r.line));
    let lines = super::source_lines(scan, &r.path, first, last, 12)?;
    let width = last.to_string().len();
    let mut s = String::from("<pre class=\"snippet\">");
    for (n, text) in lines {
        let hit = n >= r.line && n <= hit_last;
        let _ = writeln!(
            s,
            "{}<span class=\"ln\">{n:>width$} </span>{}{}",
            if hit { "<span class=\"hit\">" } else { "" },
            esc(&text),
            if hit { "</span>" } else { "" }
        );
    }
    s.push_str("</pre>\n");
    Some(s)
}

/// The "would be denied by" section.
fn denials(report: &Report, out: &mut String) {
    out.push_str("<section id=\"denials\">\n<h2>Would be denied by</h2>\n");
    let denials = report.denials();
    if denials.is_empty() {
        out.push_str("<p>No assignment: no enforced deny assignment's condition holds.</p>\n");
    }
    list_by_assignment(&denials, out);
    let possible = report.possible_denials();
    if !possible.is_empty() {
        out.push_str("<h3>May be denied by (the files do not decide)</h3>\n");
        list_by_assignment(&possible, out);
    }
    out.push_str("</section>\n");
}

/// Each assignment id and its results' rule, resource and position.
fn list_by_assignment(list: &[(&str, Vec<&ResultEntry>)], out: &mut String) {
    for (assignment, results) in list {
        let _ = writeln!(out, "<h3><code>{}</code></h3>\n<ul>", esc(assignment));
        for r in results {
            let _ = writeln!(
                out,
                "<li><code>{}</code> {} <code>{}</code> at <code>{}:{}:{}</code></li>",
                esc(r.rule),
                esc(&r.resource_type),
                esc(&r.resource_name),
                esc(&r.path),
                r.line,
                r.column
            );
        }
        out.push_str("</ul>\n");
    }
}

fn attestations(report: &Report, out: &mut String) {
    let mut rows = String::new();
    for c in &report.baseline.controls {
        for f in &c.features {
            for e in &f.evidence {
                if let Evidence::Attestation {
                    by,
                    evidence,
                    expires,
                    expired,
                } = e
                {
                    let _ = writeln!(
                        rows,
                        "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(c.id),
                        esc(&f.name),
                        esc(by),
                        esc(evidence),
                        esc(expires),
                        if *expired {
                            "<span class=\"expired\">expired</span>"
                        } else {
                            "valid"
                        }
                    );
                }
            }
        }
    }
    out.push_str("<section id=\"attestations\">\n<h2>Attestations</h2>\n");
    if rows.is_empty() {
        out.push_str("<p>No attestation in the configuration.</p>\n");
    } else {
        out.push_str("<table><thead><tr><th>Feature</th><th>By</th><th>Evidence</th><th>Expires</th><th></th></tr></thead><tbody>\n");
        out.push_str(&rows);
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");
}

/// Results accepted without a fix: waivers (with expiry and ticket), inline
/// comments and results already present in a baseline report.
fn suppressions(report: &Report, out: &mut String) {
    use crate::suppress::Suppression;
    out.push_str("<section id=\"waivers\">\n<h2>Waivers and suppressions</h2>\n");
    let suppressed: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.suppressed.is_some())
        .collect();
    if suppressed.is_empty() {
        out.push_str("<p>No result is waived or suppressed.</p>\n");
        out.push_str("</section>\n");
        return;
    }
    out.push_str("<table><thead><tr><th>Rule</th><th>Resource</th><th>Result</th><th>How</th><th>Why</th><th>Expires</th></tr></thead><tbody>\n");
    for r in suppressed {
        let (how, why, expires) = match r.suppressed.as_deref() {
            Some(Suppression::Waiver {
                justification,
                expires,
                ticket,
            }) => (
                "waiver".to_string(),
                match ticket {
                    Some(t) => format!("{justification} ({t})"),
                    None => justification.clone(),
                },
                expires.clone(),
            ),
            Some(Suppression::Inline { reason, path, line }) => (
                format!("inline comment at {path}:{line}"),
                reason.clone(),
                String::new(),
            ),
            Some(Suppression::Baseline { file }) => (
                "baseline report".to_string(),
                format!("already in {file}"),
                String::new(),
            ),
            None => continue,
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{} <code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(r.rule),
            esc(&r.resource_type),
            esc(&r.resource_name),
            esc(r.result.as_str()),
            esc(&how),
            esc(&why),
            esc(&expires)
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn inputs(report: &Report, out: &mut String) {
    out.push_str("<section id=\"inputs\">\n<h2>Inputs</h2>\n<table><thead><tr><th>File</th><th>Format</th><th>Resources</th><th>Parameters</th></tr></thead><tbody>\n");
    for f in &report.files {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.path),
            esc(f.format),
            f.resources,
            f.parameters
                .as_deref()
                .map(|p| format!("<code>{}</code>", esc(p)))
                .unwrap_or_default()
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn diagnostics(report: &Report, out: &mut String) {
    if report.diagnostics.is_empty() {
        return;
    }
    out.push_str("<section id=\"diagnostics\">\n<h2>Input problems</h2>\n<table><tbody>\n");
    for d in &report.diagnostics {
        let level = d.level.as_str();
        let _ = writeln!(
            out,
            "<tr class=\"diagnostic\" data-level=\"{level}\"><td>{level}</td><td><code>{}:{}:{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&d.path),
            d.line,
            d.column,
            esc(d.code),
            esc(&d.message)
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_markup_and_control_characters() {
        assert_eq!(
            esc("<script>alert('x')</script>&\"\u{1b}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\\u{1b}"
        );
    }
}
