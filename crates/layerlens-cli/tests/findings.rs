//! `check --no-findings` and the findings table through the binary (issue 14).

use std::path::PathBuf;
use std::process::{Command, Output};

fn ecosystem(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/ecosystems")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .current_dir(std::env::temp_dir())
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn check_fails_on_the_findings_it_is_told_to() {
    let f = ecosystem("findings.tar");
    let o = run(&["check", "--no-findings", "private-key,secret", &f]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("FAIL  no-findings"), "{}", text(&o));
    assert!(text(&o).contains("3 findings"), "{}", text(&o));
    let clean = ecosystem("ecosystems.tar");
    let o = run(&["check", "--rule", "no-findings=all", &clean]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = run(&["check", "--no-findings", "passwords", &f]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn analyze_prints_the_findings_table_and_no_secret() {
    let f = ecosystem("findings.tar");
    let o = run(&[
        "analyze",
        "--section",
        "findings",
        "--color",
        "never",
        "--width",
        "160",
        &f,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("FINDINGS"), "{out}");
    assert!(out.contains("root/.ssh/id_ed25519"), "{out}");
    assert!(!out.contains("FAKEfake0123456789"), "{out}");
    let o = run(&["analyze", "--format", "csv", "--table", "findings", &f]);
    let csv = text(&o);
    assert_eq!(csv.lines().count(), 1 + 13, "{csv}");
    assert!(
        csv.starts_with("image,kind,where,layer,hidden,detail,added_by_command"),
        "{csv}"
    );
}
