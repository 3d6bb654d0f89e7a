//! `analyze --base/--in-use/--in-use-file` and `explain --path` as a user runs them.

mod common;
use common::*;

#[test]
fn analyze_shows_attribution_sections_within_100_columns() {
    let f = fixture("attribution.tar");
    let o = run(&[
        "analyze",
        "--full",
        &f,
        "--base",
        "acme/debian:1",
        "--in-use",
        "acme/pyapp:1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
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
    let dir = temp_dir("in-use");
    let list = write_file(dir.path(), "in-use", b"# keep\nacme/pyapp:1\n\n");
    let o = run(&["analyze", &f, "--format", "json", "--in-use-file", &list]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["reclaimable"]["blob"].as_u64().unwrap() > 0);
    assert!(v["images"][0]["by_kind"]["os_packages"].is_u64());
}

#[test]
fn unknown_refs_are_usage_errors() {
    let f = fixture("attribution.tar");
    let o = run(&["analyze", &f, "--in-use", "nope:1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope:1"), "{}", stderr(&o));
}

#[test]
fn explain_a_path() {
    let f = fixture("attribution.tar");
    let o = run(&["explain", &f, "--path", "/bin/ls"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("/usr/bin/ls (visible)"), "{out}");
    assert!(out.contains("owner: dpkg coreutils 9.1-1"), "{out}");
    let o = run(&["explain", &f, "--path", "/no/such/file"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("in no image"));
}
