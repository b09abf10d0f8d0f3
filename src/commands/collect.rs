//! `aml-baseline collect` and `scan --live`: the live estate read from Azure
//! (crate `aml-collect`) into an export file the live front end scans.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where and how to collect (shared by `collect` and `scan --live`).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct LiveArgs {
    /// A subscription id to collect (repeatable). Without it and without
    /// `--management-group`, every subscription the identity can read.
    #[arg(long = "subscription", value_name = "ID")]
    pub subscriptions: Vec<String>,
    /// A management group to collect, every subscription below it (repeatable).
    #[arg(long = "management-group", value_name = "ID")]
    pub management_groups: Vec<String>,
    /// Also read Azure Policy's compliance states and Defender for Cloud's
    /// assessments of the collected resources, to show beside our verdicts.
    #[arg(long)]
    pub policy_states: bool,
    /// ARM requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub concurrency: usize,
    /// Seconds to wait for one answer before retrying it.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub timeout: u64,
    /// Seconds the whole collection may take: no request starts and no
    /// retry waits (a `Retry-After` included) past it; what is left unread
    /// is recorded in the export as incomplete.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    pub deadline: u64,
    /// Retries of a request answered 429 or 5xx, or not answered in time.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub retries: u32,
    /// The first backoff step in milliseconds (doubled per retry); a
    /// `Retry-After` or Resource Graph quota header takes precedence.
    #[arg(long, value_name = "MS", default_value_t = 1000, hide = true)]
    pub backoff_ms: u64,
}

/// `scan --verify-online` with `collect`'s credential, retries, timeout,
/// concurrency and deadline.
pub fn online_verifier(args: &LiveArgs) -> aml_collect::restrictions::OnlineVerifier {
    aml_collect::restrictions::OnlineVerifier {
        options: aml_collect::restrictions::Options {
            concurrency: args.concurrency.clamp(1, 64),
            retry: retry_policy(args),
            arm_endpoint: aml_collect::arm_endpoint(),
        },
    }
}

/// The retries, timeout and deadline `--retries`, `--backoff-ms`,
/// `--timeout` and `--deadline` give.
fn retry_policy(args: &LiveArgs) -> aml_collect::client::RetryPolicy {
    aml_collect::client::RetryPolicy {
        max_retries: args.retries.min(20),
        backoff: Duration::from_millis(args.backoff_ms),
        timeout: Duration::from_secs(args.timeout.max(1)),
        deadline: Duration::from_secs(args.deadline.max(1)),
        ..Default::default()
    }
}

/// Collects into `output` (standard output when `None`); returns the exit
/// code: 0 collected, 2 the collection failed or is partial (said on
/// standard error; the partial export is written all the same), unless
/// `allow_partial`.
pub fn run_collect(args: &LiveArgs, output: Option<&Path>, allow_partial: bool) -> i32 {
    match collect_to(args, output) {
        Ok(0) => 0,
        Ok(gaps) if allow_partial => {
            eprintln!(
                "the export is partial ({gaps} part(s) not read), accepted by --allow-partial"
            );
            0
        }
        Ok(gaps) => {
            eprintln!("error: the export is partial: {gaps} part(s) could not be read (listed above and in its `incomplete` section); scans of it report the resources they would hold as unknown. Pass --allow-partial to accept a partial export");
            2
        }
        Err(message) => {
            eprintln!("error: {message}");
            2
        }
    }
}

/// Collects, then writes the export; returns how many parts could not be read.
pub fn collect_to(args: &LiveArgs, output: Option<&Path>) -> Result<usize, String> {
    let (credential, kind) = aml_collect::credential()?;
    let options = aml_collect::Options {
        subscriptions: args.subscriptions.clone(),
        management_groups: args.management_groups.clone(),
        policy_states: args.policy_states,
        concurrency: args.concurrency.clamp(1, 64),
        retry: retry_policy(args),
        arm_endpoint: aml_collect::arm_endpoint(),
    };
    let progress = aml_scan::progress::Progress::start("authenticating");
    let report = |s: &str| progress.stage(s);
    let collected = aml_collect::collect_blocking(&options, credential, &report)
        .map_err(|e| format!("{e} (signed in with: {kind})"))?;
    drop(progress);
    let text = serde_json::to_string_pretty(&collected.export)
        .map_err(|e| format!("could not write the export: {e}"))?;
    match output {
        Some(p) => std::fs::write(p, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", p.display()))?,
        None => println!("{text}"),
    }
    for w in &collected.warnings {
        eprintln!("warning: not read: {w}");
    }
    eprintln!(
        "collected {} resources, {} policy states, {} assessments in {} request(s){}{}",
        collected.resources,
        collected.policy_states,
        collected.assessments,
        collected.requests,
        if collected.requests_retried > 0 {
            format!("; {} request(s) retried", collected.requests_retried)
        } else {
            String::new()
        },
        output
            .map(|p| format!(" into {}", p.display()))
            .unwrap_or_default()
    );
    Ok(collected.warnings.len())
}

/// `scan --live`: collects into `live-export.json` in a fresh temporary
/// folder (or `--live-output`) and returns the file to scan, with the
/// temporary folder, which is removed when the returned guard is dropped
/// (after the scan's reports are written: an export of the estate is not
/// left behind in the temporary directory).
pub fn collect_for_scan(
    args: &LiveArgs,
    keep: Option<&Path>,
) -> Result<(PathBuf, TemporaryExport), String> {
    let (path, temporary) = match keep {
        Some(p) => (p.to_path_buf(), TemporaryExport(None)),
        None => {
            let base = std::env::temp_dir();
            let dir = private_folder(&base, &format!("aml-baseline-live-{}", std::process::id()))
                .map_err(|e| format!("cannot create a folder in {}: {e}", base.display()))?;
            (dir.join("live-export.json"), TemporaryExport(Some(dir)))
        }
    };
    // A partial export is scanned: the scan reports what it lacks.
    collect_to(args, Some(&path))?;
    Ok((path, temporary))
}

/// The temporary folder of `scan --live`'s export, removed on drop.
pub struct TemporaryExport(Option<PathBuf>);

impl Drop for TemporaryExport {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A new folder `NAME-N` in `base` only its owner can read (the export
/// describes the estate). Never one that exists already: in a shared
/// temporary directory another user could have made it first.
fn private_folder(base: &Path, name: &str) -> std::io::Result<PathBuf> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    let mut last = None;
    for n in 0..64 {
        let dir = base.join(format!("{name}-{n}"));
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free folder name")))
}
