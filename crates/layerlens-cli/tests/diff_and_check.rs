//! The `diff` and `check` subcommands through the binary: output and exit codes.

mod common;
use common::*;

#[test]
fn diff_between_refs_of_one_input() {
    let tmp = temp_dir("diff");
    let dir = tmp.path();
    let f = fixture("forensics.tar");
    let o = run_in(dir, &["diff", "acme/svc-a:1", "acme/waste:1", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", all_output(&o));
    let out = all_output(&o);
    assert!(out.contains("4 added, 1 removed"), "{out}");
    assert!(out.contains("RUN rm -rf /srv /lib/libz.copy"), "{out}");
    let o = run_in(
        dir,
        &[
            "diff",
            "--format",
            "json",
            "acme/svc-a:1",
            "acme/waste:1",
            &f,
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["size_delta"], 17_750 - 18_300);
    assert_eq!(v["common_base_layers"], 1);
    // Unknown ref, and an archive of several images given as A: bad input.
    assert_eq!(
        run_in(dir, &["diff", "nope:1", "acme/waste:1", &f])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run_in(dir, &["diff", &f, &fixture("docker25.tar")])
            .status
            .code(),
        Some(2)
    );
    // Two archives of one image each.
    let o = run_in(
        dir,
        &[
            "diff",
            &fixture("docker25-untagged.tar"),
            &fixture("docker25.tar"),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", all_output(&o));
}

#[test]
fn check_exit_codes() {
    let tmp = temp_dir("check");
    let dir = tmp.path();
    let f = fixture("forensics.tar");
    let o = run_in(
        dir,
        &[
            "check",
            "--max-image-size",
            "20kB",
            "--max-set-size",
            "chain:25350",
            &f,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", all_output(&o));
    assert!(all_output(&o).contains("PASS  max-set-chain-size"));
    let o = run_in(dir, &["check", "--max-wasted-size", "10kB", &f]);
    assert_eq!(o.status.code(), Some(1), "{}", all_output(&o));
    assert!(
        all_output(&o).contains("FAIL  max-wasted-size"),
        "{}",
        all_output(&o)
    );
    // No rules, a bad value, a bad file: bad input.
    assert_eq!(run_in(dir, &["check", &f]).status.code(), Some(2));
    assert_eq!(
        run_in(dir, &["check", "--lowest-efficiency", "2", &f])
            .status
            .code(),
        Some(2)
    );
    std::fs::write(dir.join("bad.toml"), "max-image-size = lots\n").unwrap();
    assert_eq!(
        run_in(dir, &["check", "--config", "bad.toml", &f])
            .status
            .code(),
        Some(2)
    );
    // .layerlens.toml and .dive-ci are read from the current directory.
    std::fs::write(
        dir.join(".layerlens.toml"),
        "[check]\nmax-set-content-size = \"18950\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join(".dive-ci"),
        "rules:\n  lowest-efficiency: 0.6\n  highest-wasted-bytes: 20MB\n  highest-user-wasted-percent: disabled\n",
    )
    .unwrap();
    let o = run_in(dir, &["check", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", all_output(&o));
    assert!(all_output(&o).contains("max-set-content-size"));
    std::fs::write(dir.join(".dive-ci"), "rules:\n  lowest-efficiency: 0.9\n").unwrap();
    let o = run_in(dir, &["check", &f]);
    assert_eq!(o.status.code(), Some(1), "{}", all_output(&o));
}

/// `diff` as a user runs it on two pip services: `--top`, `--path`, `--min-size`,
/// `--depth`, and a JSON with every file unless filtered.
#[test]
fn diff_top_path_and_min_size() {
    let tmp = temp_dir("diff-services");
    let dir = tmp.path();
    let f = dir.join("services.tar");
    std::fs::write(&f, layerlens_testtools::services::archive()).unwrap();
    let f = f.to_string_lossy().into_owned();
    let o = run_in(
        dir,
        &["diff", "svc/orders:1", "svc/auth:1", &f, "--top", "1"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", all_output(&o));
    let out = stdout(&o);
    for line in out.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line:?}");
    }
    for want in [
        "removed (python): SQLAlchemy, psycopg2_binary, greenlet, typing_extensions",
        "  - python         12.1 kB  SQLAlchemy 2.0.30",
        "  … and 3 more packages (--top)",
        "  … and 21 more directories (--top)",
    ] {
        assert!(out.lines().any(|l| l == want), "{want:?} missing:\n{out}");
    }
    let json = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["diff", "svc/orders:1", "svc/auth:1", &f, "--format", "json"];
        args.extend_from_slice(extra);
        let o = run_in(dir, &args);
        assert_eq!(o.status.code(), Some(0), "{}", all_output(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let v = json(&["--top", "1"]);
    assert_eq!(
        v["files"].as_array().unwrap().len(),
        26,
        "--top is for text"
    );
    assert_eq!(v["directories"].as_array().unwrap().len(), 22);
    assert_eq!(v["packages"]["removed"][0]["name"], "SQLAlchemy");
    assert_eq!(v["packages"]["removed"][0]["old_size"], 12_082);
    assert!(v.get("filter").is_none());
    let v = json(&["--path", "app", "--min-size", "1KB", "--depth", "1"]);
    let paths: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "app/auth/tokens.py",
            "app/orders/db.py",
            "app/orders/static/logo.png"
        ]
    );
    assert_eq!(v["directories"][0]["path"], "app");
    assert_eq!(v["directories"][0]["delta"], 1_500 - 1_200 - 9_000);
    assert_eq!(v["filter"]["min_size"], 1_000);
    // A bad size or glob is bad input.
    let o = run_in(
        dir,
        &["diff", "svc/orders:1", "svc/auth:1", &f, "--min-size", "x"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", all_output(&o));
    let o = run_in(
        dir,
        &["diff", "svc/orders:1", "svc/auth:1", &f, "--path", "a[b"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", all_output(&o));
}
