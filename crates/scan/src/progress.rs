//! A progress line on standard error, for long scans on a terminal only.
//!
//! Nothing is printed when standard error is not a terminal (CI logs, pipes),
//! when `AML_BASELINE_PROGRESS=0`, or when the scan finishes within
//! [`DELAY`]: short scans stay silent. The line is cleared when the scan ends,
//! so it never mixes with the report on standard output.
//!
//! With `AML_BASELINE_TIMINGS=1`, each stage's wall time is printed on
//! standard error when the next one starts, with the steps of the scan
//! ([`Laps`]), each followed by the resident memory, its peak so far, the
//! process's CPU time so far and how many texts were read again from disk
//! (for profiling; docs/performance.md).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a scan runs before the progress line appears.
pub const DELAY: Duration = Duration::from_millis(400);

/// A handle on the progress line; dropping it clears the line.
pub struct Progress {
    stage: Arc<Mutex<String>>,
    /// When the current stage started, if `AML_BASELINE_TIMINGS` is set.
    timing: Option<Mutex<Instant>>,
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Starts the progress line if standard error is a terminal and
    /// `AML_BASELINE_PROGRESS` is not `0`.
    pub fn start(first_stage: &'static str) -> Progress {
        let stage = Arc::new(Mutex::new(first_stage.to_string()));
        let done = Arc::new(AtomicBool::new(false));
        let enabled = std::io::stderr().is_terminal()
            && std::env::var("AML_BASELINE_PROGRESS").map_or(true, |v| v != "0");
        let thread = enabled.then(|| {
            let (stage, done) = (stage.clone(), done.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut shown = false;
                let spinner = ['|', '/', '-', '\\'];
                let mut tick = 0usize;
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    if started.elapsed() < DELAY || done.load(Ordering::Relaxed) {
                        continue;
                    }
                    let current = stage.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    let mut err = std::io::stderr().lock();
                    let _ = write!(
                        err,
                        "\r\x1b[2K{} aml-baseline: {current} ({:.1} s)",
                        spinner[tick % spinner.len()],
                        started.elapsed().as_secs_f32()
                    );
                    let _ = err.flush();
                    shown = true;
                    tick += 1;
                }
                if shown {
                    let _ = write!(std::io::stderr(), "\r\x1b[2K");
                }
            })
        });
        let timing = std::env::var_os("AML_BASELINE_TIMINGS")
            .is_some_and(|v| v != "0")
            .then(|| Mutex::new(Instant::now()));
        Progress {
            stage,
            timing,
            done,
            thread,
        }
    }

    /// Names the current stage (`reading files`, `evaluating rules`...).
    pub fn stage(&self, name: &str) {
        let previous = std::mem::replace(
            &mut *self.stage.lock().unwrap_or_else(|e| e.into_inner()),
            name.to_string(),
        );
        self.report_timing(&previous);
    }

    /// Prints how long `stage` took (with `AML_BASELINE_TIMINGS`) and restarts the clock.
    fn report_timing(&self, stage: &str) {
        if let Some(timing) = &self.timing {
            let mut started = timing.lock().unwrap_or_else(|e| e.into_inner());
            eprintln!(
                "timing: {stage}: {:.3} s{}",
                started.elapsed().as_secs_f64(),
                memory()
            );
            *started = Instant::now();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        let last = self.stage.lock().unwrap_or_else(|e| e.into_inner()).clone();
        self.report_timing(&last);
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sub-stage wall times (with `AML_BASELINE_TIMINGS`), printed as
/// `timing:   NAME: S s` when each lap ends.
pub struct Laps(Option<std::cell::Cell<Instant>>);

impl Laps {
    /// Starts the clock if `AML_BASELINE_TIMINGS` is set.
    pub fn start() -> Laps {
        Laps(
            std::env::var_os("AML_BASELINE_TIMINGS")
                .is_some_and(|v| v != "0")
                .then(|| std::cell::Cell::new(Instant::now())),
        )
    }

    /// Ends the lap `name` and starts the next.
    pub fn lap(&self, name: &str) {
        if let Some(started) = &self.0 {
            eprintln!(
                "timing:   {name}: {:.3} s{}",
                started.get().elapsed().as_secs_f64(),
                memory()
            );
            started.set(Instant::now());
        }
    }

    /// Prints `timing:   NOTE` when timings are on (`note` is only made then).
    pub fn note(&self, note: impl FnOnce() -> String) {
        if self.0.is_some() {
            eprintln!("timing:   {}", note());
        }
    }
}

/// The process's resident memory now and at its peak, from
/// `/proc/self/status` (Linux; empty elsewhere).
fn memory() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    format!(
        " (resident {} MiB: {} anonymous, {} mapped from files; peak {} MiB; CPU so far {}; texts read again so far: {})",
        field("VmRSS:"),
        field("RssAnon:"),
        field("RssFile:"),
        field("VmHWM:"),
        cpu_so_far(),
        aml_model::work::get(aml_model::work::Work::TextRead)
    )
}

/// The process's CPU time so far (user + system, every thread, those ended
/// included), to the millisecond: a stage whose CPU grows twice its wall time
/// ran on both cores. Linux only, as the memory figures.
#[cfg(target_os = "linux")]
fn cpu_so_far() -> String {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the process's CPU clock into `now`, which
    // lives through the call.
    match unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) } {
        0 => format!("{:.3} s", now.tv_sec as f64 + now.tv_nsec as f64 / 1e9),
        _ => "?".to_string(),
    }
}

#[cfg(not(target_os = "linux"))]
fn cpu_so_far() -> String {
    "?".to_string()
}
