//! Findings end to end (issue 14) on `testdata/ecosystems/findings.tar`, worked out
//! from `testdata/ecosystems/generate.py` (`findings`): every kind, a key added in one
//! layer and deleted in the next (hidden, still shipped), secrets never printed, and the
//! `no-findings` check rule.

use layerlens::report::check::{check, Thresholds};
use layerlens::report::FindingKind;
use layerlens::{Analyzer, Detect, Options, Report};
use pretty_assertions::assert_eq;

use crate::common::*;
use crate::ecosystems::ecosystem;

/// The secrets the fixture holds: none may appear in any output.
const SECRETS: [&str; 6] = [
    "FAKEfake0123456789FAKEfake0123456789",
    "0123456789abcdefFAKEFAKE0123456789ab",
    "s3cr3t-Pa55word",
    "hunter2-but-longer",
    "Tr0ub4dor-and-3",
    "b3BlbnNzaC1rZXktdjE", // base64 of the key body's first bytes
];

fn report() -> Report {
    analyze(&[ecosystem("findings.tar")])
}

type Row<'a> = (
    &'a str,
    &'a str,
    Option<u64>,
    bool,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

#[test]
fn every_kind_with_its_layer_and_whether_it_is_hidden() {
    let r = report();
    let img = &r.images[0];
    let got: Vec<Row> = img
        .findings
        .iter()
        .map(|f| {
            (
                f.kind.as_str(),
                f.path.as_deref().or(f.config.as_deref()).unwrap(),
                f.layer,
                f.hidden,
                f.rule.as_deref(),
                f.excerpt.as_deref(),
                f.mode.as_deref(),
            )
        })
        .collect();
    let pem = "-----BEGIN OPENSSH PRIVATE KEY----- …(495)";
    let expected: Vec<Row> = vec![
        // Added by layer 1, deleted by layer 2's whiteout: hidden, still shipped.
        (
            "private-key",
            "root/.ssh/id_ed25519",
            Some(1),
            true,
            Some("pem-private-key"),
            Some(pem),
            None,
        ),
        // app/.env rewritten by layer 2 without them: hidden too.
        (
            "secret",
            "app/.env",
            Some(1),
            true,
            Some("github-token"),
            Some("ghp_…(40)"),
            None,
        ),
        (
            "secret",
            "app/.env",
            Some(1),
            true,
            Some("generic-secret"),
            Some("DB_PASSWORD= …(15)"),
            None,
        ),
        // Env, labels, then history, in that order.
        (
            "secret-in-config",
            "Env[1]",
            None,
            false,
            Some("github-token"),
            Some("ghp_…(40)"),
            None,
        ),
        (
            "secret-in-config",
            "Labels[\"com.example.db-password\"]",
            None,
            false,
            Some("generic-secret"),
            Some("com.example.db-password= …(15)"),
            None,
        ),
        (
            "secret-in-config",
            "history[3].created_by",
            Some(2),
            false,
            Some("generic-secret"),
            Some("DEPLOY_PASSWORD= …(18)"),
            None,
        ),
        (
            "secret-in-config",
            "history[4].created_by",
            None,
            false,
            Some("github-token"),
            Some("ghp_…(40)"),
            None,
        ),
        ("setuid", "bin/su", Some(0), false, None, None, Some("4755")),
        (
            "setuid",
            "usr/bin/ping",
            Some(0),
            false,
            None,
            None,
            Some("6755"),
        ),
        (
            "setgid",
            "usr/bin/ping",
            Some(0),
            false,
            None,
            None,
            Some("6755"),
        ),
        (
            "setgid",
            "usr/bin/wall",
            Some(0),
            false,
            None,
            None,
            Some("2755"),
        ),
        // A world-writable file, and a directory without the sticky bit (tmp/ has it).
        (
            "world-writable",
            "etc/app.conf",
            Some(0),
            false,
            None,
            None,
            Some("666"),
        ),
        // Layer 1 repeats the directory entry (it writes into it): the visible one only.
        (
            "world-writable",
            "srv/drop",
            Some(1),
            false,
            None,
            None,
            Some("777"),
        ),
    ];
    assert_eq!(got, expected);
    let f = &img.findings[0];
    assert_eq!(f.created_by.as_deref(), Some("COPY keys / # buildkit"));
    assert_eq!(f.line, Some(1));
    // A finding in the history never repeats the command: it is where the secret is.
    assert!(img
        .findings
        .iter()
        .filter(|f| f.config.is_some())
        .all(|f| f.created_by.is_none()));
}

#[test]
fn no_secret_is_printed_anywhere() {
    let r = report();
    let outputs = [
        r.to_json(),
        layerlens::present::text::render_text(&r, 10, &Default::default()),
        layerlens::present::text::render_csv(&r, 10, None).unwrap(),
        layerlens::present::html::render(&r),
    ];
    for out in &outputs {
        for s in SECRETS {
            assert!(!out.contains(s), "{s} printed");
        }
    }
    // The history command is printed with its secret cut.
    assert_eq!(
        r.images[0].layers[2].created_by.as_deref(),
        Some(
            "|1 DEPLOY_PASSWORD=… /bin/sh -c rm /root/.ssh/id_ed25519 && sed -i /TOKEN/d /app/.env"
        )
    );
    let text = layerlens::present::text::render_text(&r, 10, &Default::default());
    assert!(text.contains("FINDINGS"), "{text}");
    assert!(r.to_json().contains("\"findings\""));
}

#[test]
fn the_check_rule_fails_on_the_kinds_it_names() {
    let r = report();
    let rule = |kinds: &str| {
        let mut t = Thresholds::default();
        t.set("no-findings", kinds).unwrap();
        check(&r, &t)
    };
    let res = rule("private-key");
    assert_eq!(res.len(), 1);
    assert!(!res[0].pass, "a hidden key still fails: it is shipped");
    assert_eq!(res[0].measured, "1 findings");
    let res = rule("all");
    assert_eq!(res[0].measured, "13 findings");
    // The polyglot images have none.
    let clean = analyze(&[ecosystem("ecosystems.tar")]);
    let mut t = Thresholds::default();
    t.set("no-findings", "all").unwrap();
    assert!(check(&clean, &t).iter().all(|r| r.pass));
}

#[test]
fn without_the_detectors_only_modes_and_config_are_found() {
    let set = Analyzer::new(Options::default().detect(Detect::No))
        .analyze(&[ecosystem("findings.tar")])
        .unwrap();
    let r = Report::new(&set);
    let kinds: Vec<FindingKind> = r.images[0].findings.iter().map(|f| f.kind).collect();
    assert!(!kinds.contains(&FindingKind::PrivateKey) && !kinds.contains(&FindingKind::Secret));
    assert!(kinds.contains(&FindingKind::SecretInConfig) && kinds.contains(&FindingKind::Setuid));
}
