//! `analyze --base/--in-use/--in-use-file` and `explain --path` as a user runs them.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn analyze_shows_attribution_sections_within_100_columns() {
    let f = fixture("attribution.tar");
    let o = run(&[
        "analyze",
        &f,
        "--base",
        "acme/debian:1",
        "--in-use",
        "acme/pyapp:1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for section in [
        "BY ORIGIN",
        "BY KIND",
        "LARGEST PACKAGES",
        "TOP PACKAGES ACROSS THE SET",
        "RECOMMENDATIONS",
        "WHAT IF only the images in use were kept",
        "SUMMARY",
    ] {
        assert!(out.contains(section), "{section} missing:\n{out}");
    }
    for line in out.lines() {
        assert!(line.chars().count() <= 100, "line too wide: {line:?}");
    }
}

#[test]
fn in_use_file_and_json() {
    let f = fixture("attribution.tar");
    let list = std::env::temp_dir().join(format!("layerlens-in-use-{}", std::process::id()));
    std::fs::write(&list, "# keep\nacme/pyapp:1\n\n").unwrap();
    let o = run(&[
        "analyze",
        &f,
        "--format",
        "json",
        "--in-use-file",
        list.to_str().unwrap(),
    ]);
    std::fs::remove_file(&list).ok();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["reclaimable"]["blob"].as_u64().unwrap() > 0);
    assert!(v["images"][0]["by_kind"]["os_packages"].is_u64());
}

#[test]
fn unknown_refs_are_usage_errors() {
    let f = fixture("attribution.tar");
    let o = run(&["analyze", &f, "--in-use", "nope:1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("nope:1"), "{}", text(&o.stderr));
}

#[test]
fn explain_a_path() {
    let f = fixture("attribution.tar");
    let o = run(&["explain", &f, "--path", "/bin/ls"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("/usr/bin/ls (visible)"), "{out}");
    assert!(out.contains("owner: dpkg coreutils 9.1-1"), "{out}");
    let o = run(&["explain", &f, "--path", "/no/such/file"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("in no image"));
}
