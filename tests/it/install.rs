//! scripts/install.sh (the GitHub Action's and the pre-commit hook's
//! installer) against a release served from 127.0.0.1: the right checksum
//! installs, a wrong one refuses and installs nothing, a release without a
//! binary for this machine falls back to cargo.

use crate::common::project;
use sha2::Digest;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VERSION: &str = "9.9.9";

/// Serves the files under `dir` over HTTP/1.1 on 127.0.0.1 (404 for the rest)
/// until the test ends; returns the base URL.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                    break;
                }
            }
            let path = request
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let file = dir.join(path);
            let mut stream = stream;
            let body = (!path.contains(".."))
                .then(|| std::fs::read(&file).ok())
                .flatten();
            let _ = match body {
                Some(body) => {
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    stream.write_all(&body)
                }
                None => write!(
                    stream,
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                ),
            };
        }
    });
    base
}

/// The target scripts/install.sh picks on this machine.
fn target() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x86_64",
        "aarch64" => "aarch64",
        other => panic!("untested architecture {other}"),
    };
    format!("{arch}-unknown-linux-musl")
}

/// A release v9.9.9 whose archive holds a stand-in binary; SHA256SUMS gets
/// `sums(real digest)`.
fn release(root: &Path, sums: impl Fn(&str, &str) -> String) {
    let name = format!("aml-baseline-{VERSION}-{}", target());
    let staging = root.join("staging").join(&name);
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(
        staging.join("aml-baseline"),
        "#!/bin/sh\necho \"aml-baseline 9.9.9 (stand-in)\"\n",
    )
    .unwrap();
    Command::new("chmod")
        .arg("755")
        .arg(staging.join("aml-baseline"))
        .status()
        .unwrap();
    let dir = root.join(format!("v{VERSION}"));
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join(format!("{name}.tar.gz"));
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(root.join("staging"))
        .arg(&name)
        .status()
        .unwrap();
    assert!(status.success());
    let digest = format!(
        "{:x}",
        sha2::Sha256::digest(std::fs::read(&archive).unwrap())
    );
    std::fs::write(
        dir.join("SHA256SUMS"),
        sums(&digest, &format!("{name}.tar.gz")),
    )
    .unwrap();
}

/// A folder holding a `cargo` that runs `body` (a shell line) instead.
fn fake_cargo(dir: &Path, body: &str) -> PathBuf {
    let bin = dir.join("fake-cargo");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("cargo"), format!("#!/bin/sh\n{body}\n")).unwrap();
    Command::new("chmod")
        .arg("755")
        .arg(bin.join("cargo"))
        .status()
        .unwrap();
    bin
}

fn install(base: &str, dest: &Path, cargo_dir: Option<&Path>) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(project("scripts/install.sh"))
        .arg(VERSION)
        .arg(dest)
        .env("AML_BASELINE_DOWNLOAD_BASE", base);
    if let Some(bin) = cargo_dir {
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{}:{path}", bin.display()));
    }
    cmd.output().unwrap()
}

fn linux() -> bool {
    if cfg!(target_os = "linux") {
        return true;
    }
    eprintln!("skipped: the installer test stands in a Linux release");
    false
}

#[test]
fn the_right_checksum_installs() {
    if !linux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    release(dir.path(), |digest, file| {
        format!("0000000000000000000000000000000000000000000000000000000000000000  other.tar.gz\n{digest}  {file}\n")
    });
    let base = serve(dir.path().to_path_buf());
    let dest = dir.path().join("bin");
    let out = install(&base, &dest, None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("verified"), "{stdout}");
    let run = Command::new(dest.join("aml-baseline")).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        "aml-baseline 9.9.9 (stand-in)"
    );
}

#[test]
fn a_wrong_checksum_refuses() {
    if !linux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    release(dir.path(), |digest, file| {
        let wrong: String = digest.chars().rev().collect();
        format!("{wrong}  {file}\n")
    });
    let base = serve(dir.path().to_path_buf());
    let dest = dir.path().join("bin");
    let cargo = fake_cargo(
        dir.path(),
        &format!("touch {}", dir.path().join("cargo-ran").display()),
    );
    let out = install(&base, &dest, Some(&cargo));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    assert!(!dest.join("aml-baseline").exists(), "nothing is installed");
    assert!(
        !dir.path().join("cargo-ran").exists(),
        "a bad download never falls back"
    );
}

#[test]
fn no_binary_for_this_machine_falls_back_to_cargo() {
    if !linux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    release(dir.path(), |digest, _| {
        format!("{digest}  aml-baseline-{VERSION}-riscv64gc-unknown-linux-gnu.tar.gz\n")
    });
    let base = serve(dir.path().to_path_buf());
    let log = dir.path().join("cargo-args");
    let cargo = fake_cargo(dir.path(), &format!("echo \"$@\" > {}", log.display()));
    let out = install(&base, &dir.path().join("bin"), Some(&cargo));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = std::fs::read_to_string(&log).expect("cargo ran");
    assert!(
        args.contains("install --locked")
            && args.contains(&format!("aml-baseline --version {VERSION}")),
        "{args}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no aml-baseline-9.9.9-"));
}
