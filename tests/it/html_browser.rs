//! The HTML report in a real browser: headless Chromium opens the page for
//! `examples/`, runs its script, and the test reads the DOM it dumps. It
//! checks the counts the script computes, a filter read from the URL
//! fragment, and that no script error or `console.error` happened (the page
//! writes those into `#js-errors`).
//!
//! `.ci/run` installs Debian's `chromium` and sets
//! `AML_BASELINE_REQUIRE_BROWSER=1`, so on CI a missing browser fails the
//! test; elsewhere it is skipped with a message.

use aml_baseline::pipeline::{Run, Settings};
use aml_baseline::render::{self, OutputFormat, RenderOptions};
use aml_baseline::scan::ScanOptions;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(candidate).exists() {
            return Some(PathBuf::from(candidate));
        }
    }
    if std::env::var_os("AML_BASELINE_REQUIRE_BROWSER").is_some_and(|v| v == "1") {
        panic!("Chromium is required (AML_BASELINE_REQUIRE_BROWSER=1) but /usr/bin/chromium is missing");
    }
    eprintln!("SKIPPED: no Chromium at /usr/bin/chromium (install Debian's `chromium` to run the browser test)");
    None
}

fn examples() -> Run {
    let options = ScanOptions {
        paths: vec![PathBuf::from("examples")],
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        ..Default::default()
    };
    aml_baseline::pipeline::run(&options, &settings)
}

/// Opens `html` (written to a temporary file) at `fragment` and returns the
/// DOM after the page's script ran.
fn dump_dom(browser: &Path, html: &str, fragment: &str) -> String {
    // A loaded machine can make a Chromium start stall; try up to three times,
    // each bounded, so that the suite never hangs.
    let mut last_error = String::new();
    for _ in 0..3 {
        match dump_dom_once(browser, html, fragment, std::time::Duration::from_secs(60)) {
            Ok(dom) => return dom,
            Err(e) => last_error = e,
        }
    }
    panic!("Chromium did not render the page: {last_error}");
}

fn dump_dom_once(
    browser: &Path,
    html: &str,
    fragment: &str,
    limit: std::time::Duration,
) -> Result<String, String> {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, html).unwrap();
    let profile = dir.path().join("profile");
    let url = format!("file://{}{fragment}", page.display());
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--virtual-time-budget=2000", "--dump-dom"])
        .arg(&url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("Chromium runs");
    // Read the pipes on threads so that a full pipe cannot block Chromium.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (out_tx, out_rx) = std::sync::mpsc::channel();
    let (err_tx, err_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        let _ = out_tx.send(s);
    });
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        let _ = err_tx.send(s);
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no answer within {} s", limit.as_secs()));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    // Chromium's helper processes may keep the pipes open a little longer.
    let wait = std::time::Duration::from_secs(20);
    let dom = out_rx.recv_timeout(wait).unwrap_or_default();
    let err = err_rx.recv_timeout(wait).unwrap_or_default();
    if status.success() && dom.contains("</html>") {
        Ok(dom)
    } else {
        Err(format!("{status:?}: {err}"))
    }
}

/// The text of the element with `id` (a flat element: no child elements).
fn text_of(dom: &str, id: &str) -> String {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let open_end = start + dom[start..].find('>').unwrap() + 1;
    let close = open_end + dom[open_end..].find('<').unwrap();
    dom[open_end..close].to_string()
}

/// Every `.result` element's opening tag: (status, hidden).
fn result_tags(dom: &str) -> Vec<(String, bool)> {
    let mut tags = Vec::new();
    let mut rest = dom;
    while let Some(i) = rest.find("<div class=\"result\"") {
        let tag_end = i + rest[i..].find('>').unwrap();
        let tag = &rest[i..tag_end];
        let status = tag
            .split("data-status=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_string();
        tags.push((status, tag.contains(" hidden")));
        rest = &rest[tag_end..];
    }
    tags
}

fn assert_no_script_errors(dom: &str) {
    assert!(
        dom.contains("data-ready=\"yes\""),
        "the script ran to its end"
    );
    assert!(
        !dom.contains("class=\"js-error\""),
        "script errors: {}",
        dom.split("class=\"js-error\"").nth(1).unwrap_or("")
    );
}

#[test]
fn the_page_renders_the_reports_counts_and_filters_by_status() {
    let Some(browser) = chromium() else { return };
    let run = examples();
    let html = render::render_run(OutputFormat::Html, &run, &RenderOptions::default());
    let s = &run.report.summary;
    assert!(s.failed > 0 && s.passed > 0, "the examples fail and pass");

    // No filter: the script's counts of visible results are the summary's.
    let dom = dump_dom(&browser, &html, "");
    assert_no_script_errors(&dom);
    assert_eq!(text_of(&dom, "count-failed"), s.failed.to_string());
    assert_eq!(text_of(&dom, "count-passed"), s.passed.to_string());
    assert_eq!(text_of(&dom, "count-files"), s.files.to_string());
    assert_eq!(text_of(&dom, "shown-fail"), s.failed.to_string());
    assert_eq!(text_of(&dom, "shown-pass"), s.passed.to_string());
    assert_eq!(text_of(&dom, "shown-unknown"), s.unknown.to_string());
    let tags = result_tags(&dom);
    assert_eq!(tags.len(), s.results, "every result is on the page once");
    assert!(tags.iter().all(|(_, hidden)| !hidden));

    // `#status=fail`: only failing results stay visible.
    let dom = dump_dom(&browser, &html, "#status=fail");
    assert_no_script_errors(&dom);
    assert_eq!(text_of(&dom, "shown-fail"), s.failed.to_string());
    assert_eq!(text_of(&dom, "shown-pass"), "0");
    let tags = result_tags(&dom);
    assert_eq!(tags.len(), s.results);
    for (status, hidden) in &tags {
        assert_eq!(
            *hidden,
            status != "fail",
            "a {status} result is hidden={hidden}"
        );
    }

    // `#control=NS-2&status=pass`: filters combine.
    let dom = dump_dom(&browser, &html, "#control=NS-2&status=pass");
    assert_no_script_errors(&dom);
    let ns2_passes = run
        .report
        .results
        .iter()
        .filter(|r| r.control == "NS-2" && r.result.as_str() == "pass")
        .count();
    assert_eq!(text_of(&dom, "shown-pass"), ns2_passes.to_string());
    assert_eq!(text_of(&dom, "shown-fail"), "0");
}

#[test]
fn the_error_check_catches_script_errors() {
    let Some(browser) = chromium() else { return };
    let run = examples();
    let html = render::render_run(OutputFormat::Html, &run, &RenderOptions::default());
    // A broken script after the page's own: the page must show it.
    let broken = html.replace(
        "</body>",
        "<script>console.error('boom'); null.property;</script></body>",
    );
    let dom = dump_dom(&browser, &broken, "");
    assert!(
        dom.contains("console.error: boom"),
        "console.error is caught"
    );
    assert!(
        dom.contains("class=\"js-error\">error: "),
        "uncaught errors are caught"
    );
}

#[test]
fn a_hostile_resource_name_stays_text_in_the_browser() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("hostile.json");
    std::fs::write(
        &template,
        r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    { "type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01",
      "name": "ws<script>document.body.setAttribute('data-owned','1')</script><img src=x onerror=alert(1)>",
      "location": "westeurope", "properties": { "publicNetworkAccess": "Enabled" } }
  ]
}
"#,
    )
    .unwrap();
    let options = ScanOptions {
        paths: vec![template],
        ..Default::default()
    };
    let settings = Settings {
        no_config: true,
        today: Some(aml_baseline::config::Date::parse("2026-11-28").unwrap()),
        ..Default::default()
    };
    let run = aml_baseline::pipeline::run(&options, &settings);
    let html = render::render_run(OutputFormat::Html, &run, &RenderOptions::default());
    let dom = dump_dom(&browser, &html, "");
    assert_no_script_errors(&dom);
    assert!(
        !dom.contains("data-owned=\"1\""),
        "the name's script did not run"
    );
    assert_eq!(
        dom.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(!dom.contains("<img"), "the name made no element");
    assert!(dom.contains("ws&lt;script&gt;document.body.setAttribute"));
}
