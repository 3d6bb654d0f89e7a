//! The `layerlens` binary as a user runs it: output formats, exit codes, messages.

use std::process::{Command, Stdio};

mod common;
use common::*;

#[test]
fn analyze_prints_the_first_screen_and_with_full_every_table_within_100_columns() {
    let o = run(&["analyze", &fixture("legacy-two-images.tar")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let screen = stdout(&o);
    assert!(screen.starts_with("THE SET AT EACH LEVEL"), "{screen}");
    assert!(screen.contains("Full tables: --full"), "{screen}");
    assert!(!screen.contains("\nLAYERS\n"), "{screen}");
    for line in screen.lines() {
        assert!(line.chars().count() <= 100, "line too wide: {line:?}");
    }
    let o = run(&["analyze", "--full", &fixture("legacy-two-images.tar")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("IMAGE"), "{out}");
    assert!(out.contains("acme/app:1 (+1 more)"), "{out}");
    assert!(out.contains("3 images, 8 layers (5 unique)"), "{out}");
    for line in out.lines() {
        assert!(line.chars().count() <= 100, "line too wide: {line:?}");
    }
}

#[test]
fn analyze_json_is_the_v1_document() {
    let o = run(&["analyze", "--format", "json", &fixture("docker25.tar")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "layerlens/v1");
    assert_eq!(v["images"][0]["refs"], serde_json::json!(["acme/web:2"]));
    assert_eq!(v["totals"]["images"], 1);
    let layers = v["images"][0]["layers"].as_array().unwrap();
    assert!(layers.iter().all(|l| l["verified"] == true));
}

#[test]
fn standard_input_is_one_streaming_pass() {
    let file = std::fs::File::open(fixture("legacy-two-images.tar.gz")).unwrap();
    let o = bin()
        .args(["analyze", "--format", "json", "-"])
        .stdin(Stdio::from(file))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut piped: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let o = run(&[
        "analyze",
        "--format",
        "json",
        &fixture("legacy-two-images.tar"),
    ]);
    let mut direct: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for v in [&mut piped, &mut direct] {
        for img in v["images"].as_array_mut().unwrap() {
            img.as_object_mut().unwrap().remove("sources");
        }
    }
    assert_eq!(piped["images"][0]["layers"].as_array().unwrap().len(), 1);
    assert_eq!(piped["images"], direct["images"]);
    assert_eq!(piped["totals"], direct["totals"]);
}

#[test]
fn a_diff_id_mismatch_exits_1_and_names_input_member_and_layer() {
    let input = fixture("corrupt-diffid.tar");
    let o = run(&["analyze", &input]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("layer diff_id mismatch"), "{err}");
    assert!(err.contains(&input), "{err}");
    assert!(err.contains("member \""), "{err}");
    assert!(
        err.contains("expected sha256:") && err.contains("found sha256:"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn trust_mode_skips_the_diff_id_check() {
    let o = run(&["analyze", "--no-verify", &fixture("corrupt-diffid.tar")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_file_that_is_not_an_archive_exits_2() {
    let tmp = temp_dir("not-an-archive");
    let dir = tmp.path();
    let path = write_file(
        dir,
        "notes.txt",
        "just some text, not a tar archive\n".repeat(40).as_bytes(),
    );
    let o = run(&["analyze", &path]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not an image archive"),
        "{}",
        stderr(&o)
    );
    let o = run(&["analyze", dir.join("missing.tar").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.tar"), "{}", stderr(&o));
}

#[test]
fn platform_filter_picks_one_image_of_a_multi_platform_index() {
    let o = run(&[
        "analyze",
        "--format",
        "json",
        "--platform",
        "linux/arm64",
        &fixture("oci-multiplatform"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let images = v["images"].as_array().unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0]["architecture"], "arm64");
    let o = run(&[
        "analyze",
        "--platform",
        "linux",
        &fixture("oci-multiplatform"),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&["analyze"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn analyze_csv_tables_output_file_and_exact_bytes() {
    let o = run(&[
        "analyze",
        "--format",
        "csv",
        "--table",
        "top_waste",
        &fixture("forensics.tar"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("image,size,cause,layers,path,"), "{out}");
    assert!(out.contains("acme/waste:1,4000,deleted,"), "{out}");

    let all = stdout(&run(&[
        "analyze",
        "--format",
        "csv",
        &fixture("forensics.tar"),
    ]));
    for t in [
        "images",
        "layers",
        "ledger",
        "families",
        "waste",
        "duplicates",
    ] {
        assert!(all.contains(&format!("\r\n{t},")), "no {t} table: {all}");
    }
    let bad = run(&[
        "analyze",
        "--format",
        "csv",
        "--table",
        "nope",
        &fixture("forensics.tar"),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("tables: images"), "{}", stderr(&bad));

    let dir = temp_dir("out");
    let file = dir.path().join("out.txt");
    let o = run(&[
        "analyze",
        "--full",
        "--bytes",
        "--top",
        "1",
        "--color",
        "never",
        "--output",
        file.to_str().unwrap(),
        &fixture("forensics.tar"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("18,300"), "{text}");
    assert!(
        text.contains("lib/libz.copy") && !text.contains("opt/data/a"),
        "{text}"
    );
    assert!(!text.contains('\x1b'));
}

/// The `--table` help lists exactly the tables the library builds, and each is
/// accepted (the list in the help once drifted from the tables that exist).
#[test]
fn every_table_in_the_help_exists() {
    let help = stdout(&run(&["analyze", "--help"]));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let after = help
        .split("--table <NAME>")
        .nth(1)
        .expect("--table in the help");
    let listed = after
        .split("[possible values: ")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .expect("the help lists the tables");
    let listed: Vec<&str> = listed.split(", ").collect();
    assert_eq!(listed, layerlens::present::text::TABLE_NAMES);
    for name in listed {
        let o = run(&[
            "analyze",
            "--format",
            "csv",
            "--table",
            name,
            &fixture("forensics.tar"),
        ]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
    }
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = stdout(&run(&["analyze", &fixture("forensics.tar")]));
    assert!(!plain.contains('\x1b'), "piped output is never coloured");
    let o = bin()
        .args(["analyze", "--color", "always", &fixture("forensics.tar")])
        .output()
        .unwrap();
    assert!(stdout(&o).contains("\x1b[1;36mIMAGES"));
}

#[test]
fn completions_and_man_page() {
    let o = run(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("_layerlens()"), "{}", stdout(&o));
    let o = run(&["completions", "zsh"]);
    assert!(stdout(&o).contains("#compdef layerlens"));
    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let man = stdout(&o);
    assert!(
        man.starts_with(".ie") || man.contains(".TH layerlens"),
        "{man}"
    );
    assert!(man.contains("report"));
}

#[test]
fn report_writes_a_self_contained_html_file() {
    let tmp = temp_dir("html");
    let dir = tmp.path();
    let html = dir.join("r.html");
    let o = run(&[
        "report",
        "--html",
        html.to_str().unwrap(),
        &fixture("forensics.tar"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(
        page.contains("\"top_dirs\":[{\"files\":2,\"path\":\"app\",\"size\":1800}"),
        "top_dirs missing"
    );
    for s in ["id=\"ledger\"", "id=\"treemap\"", "id=\"recommendations\""] {
        assert!(page.contains(s), "{s}");
    }
    // A saved JSON report draws too; anything else is refused.
    let json = dir.join("r.json");
    std::fs::write(
        &json,
        stdout(&run(&[
            "analyze",
            "--format",
            "json",
            &fixture("forensics.tar"),
        ])),
    )
    .unwrap();
    let o = run(&[
        "report",
        "--html",
        html.to_str().unwrap(),
        "--from-json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A saved report that carries `top_dirs` draws them.
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(
        v["images"][0].get("top_dirs").is_none(),
        "analyze writes no top_dirs"
    );
    v["images"][0]["top_dirs"] = serde_json::json!([{"path": "saved", "size": 7, "files": 1}]);
    std::fs::write(&json, v.to_string()).unwrap();
    let o = run(&[
        "report",
        "--html",
        html.to_str().unwrap(),
        "--from-json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("\"top_dirs\":[{\"files\":1,\"path\":\"saved\",\"size\":7}]"));
    for bad in ["{}", r#"{"schema": "layerlens/v1", "images": 5}"#] {
        std::fs::write(&json, bad).unwrap();
        let o = run(&[
            "report",
            "--html",
            html.to_str().unwrap(),
            "--from-json",
            json.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(stderr(&o).contains("not a layerlens"), "{}", stderr(&o));
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_long_run_with_exit_130() {
    use std::io::Write;
    use std::time::{Duration, Instant};
    let mut child = bin()
        .args(["analyze", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // One tar member that claims 8 GiB: the reader keeps reading until interrupted.
    let mut header = layerlens_testtools::raw::header_named(
        b"blobs/sha256/big",
        tar::EntryType::Regular,
        8 << 30,
    );
    header.set_cksum();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(header.as_bytes());
        let chunk = vec![7u8; 1 << 16];
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "not stopped by SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("interrupted"), "{err}");
    feeder.join().unwrap();
}

#[test]
fn every_analysing_command_takes_the_same_input_flags() {
    // Limits reach `report`, not only `analyze`.
    let dir = temp_dir("flags");
    let html = dir.path().join("r.html");
    let o = run(&[
        "report",
        "--html",
        html.to_str().unwrap(),
        "--limit",
        "max_entries_per_layer=10",
        &fixture("legacy-two-images.tar"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("max_entries_per_layer (at most 10)"),
        "{}",
        stderr(&o)
    );
    assert!(!html.exists(), "nothing is written when the analysis fails");
    // Trust mode reaches `explain`: the corrupt layer is not re-hashed.
    let corrupt = fixture("corrupt-diffid.tar");
    let o = run(&["explain", "--path", "etc/passwd", &corrupt]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("diff_id mismatch"), "{}", stderr(&o));
    let o = run(&["explain", "--no-verify", "--path", "etc/passwd", &corrupt]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn generate_takes_a_shape_and_an_image_count() {
    let dir = temp_dir("generate");
    let out = dir.path().join("many.tar");
    let out = out.to_str().unwrap();
    let o = run(&[
        "generate", "--shape", "many", "--images", "3", "--scale", "1MiB", "--format", "oci-zstd",
        out,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains(": 3 images, "), "{}", stderr(&o));
    let o = run(&["analyze", "--format", "json", out]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["totals"]["images"], 3);
    let o = run(&["generate", "--shape", "nope", out]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("fleet, python-fleet, many"),
        "{}",
        stderr(&o)
    );
    let o = run(&["generate", "--images", "3", out]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--shape many"), "{}", stderr(&o));
    let o = run(&["generate", "--help"]);
    assert!(stdout(&o).contains("python-fleet"), "{}", stdout(&o));
}

#[test]
fn an_image_store_is_an_input_and_all_adds_its_intermediate_images() {
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/stores/docker20"
    );
    let json = |args: &[&str]| -> serde_json::Value {
        let o = run(args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let default = json(&["analyze", "--format", "json", root]);
    let all = json(&["analyze", "--format", "json", "--all", root]);
    let states = |v: &serde_json::Value| -> Vec<String> {
        v["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["store"]["state"].as_str().unwrap().to_string())
            .collect()
    };
    let count = |v: &serde_json::Value, s: &str| states(v).iter().filter(|x| *x == s).count();
    assert_eq!(
        (count(&default, "tagged"), count(&default, "dangling")),
        (9, 1)
    );
    assert_eq!(count(&default, "intermediate"), 0);
    assert_eq!(count(&all, "intermediate"), 7);
    assert_eq!(default["images"][0]["format"], "docker-store");
    let notes = default["notes"].to_string();
    assert!(
        notes.contains("7 intermediate") && notes.contains("--all"),
        "{notes}"
    );
    // the table names the store's images too
    let o = run(&["analyze", root]);
    assert!(o.status.success() && stdout(&o).contains("ll/app:1"));
}

#[test]
fn analyze_sections_print_the_named_full_tables_and_reject_unknown_names() {
    let f = fixture("forensics.tar");
    let full = stdout(&run(&["analyze", "--full", &f]));
    let one = run(&["analyze", "--section", "ledger", "--section", "waste", &f]);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    let one = stdout(&one);
    assert!(one.starts_with("LEDGER: what the set costs"), "{one}");
    let ledger = full
        .split("\n\n")
        .find(|t| t.starts_with("LEDGER"))
        .unwrap();
    let waste = full.split("\n\n").find(|t| t.starts_with("WASTE")).unwrap();
    assert_eq!(one, format!("{ledger}\n\n{waste}\n"));
    let bad = run(&["analyze", "--section", "nope", &f]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("tables: images"), "{}", stderr(&bad));
    let both = run(&["analyze", "--full", "--section", "waste", &f]);
    assert_eq!(both.status.code(), Some(2));
    let json = run(&["analyze", "--format", "json", "--full", &f]);
    assert_eq!(json.status.code(), Some(2));
    assert!(stderr(&json).contains("--full and --section go with --format table"));
}
