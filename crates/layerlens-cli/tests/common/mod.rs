//! What every CLI test file uses: the binary, the fixtures, output as text, temporary
//! directories. Archive builders come from `layerlens-testtools`.
#![allow(dead_code, unused_imports)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use layerlens_testtools::io::{temp_dir, write_file};
pub use layerlens_testtools::{fixture, repo_root};

/// The `layerlens` binary built for these tests.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_layerlens"))
}

/// Run the binary with `args` and wait for it.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

/// Run the binary with `args` in the directory `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Run the binary with `args`, which must succeed.
pub fn run_ok(args: &[&str]) -> Output {
    let o = run(args);
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

/// Standard output, as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output then standard error, as text.
pub fn all_output(o: &Output) -> String {
    stdout(o) + &stderr(o)
}

/// Write the HTML report of `args` (`report --html DIR/report.html ARGS...`, which must
/// succeed) and return the page's path.
pub fn html_report(dir: &Path, args: &[&str]) -> PathBuf {
    let html = dir.join("report.html");
    let mut all = vec!["report", "--html", html.to_str().unwrap()];
    all.extend_from_slice(args);
    run_ok(&all);
    html
}
