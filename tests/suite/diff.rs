//! `diff` explains (issue 13): packages added, removed and changed with their bytes,
//! files grouped by directory, the text's `--top`; and a Python distribution that a
//! dpkg package installed is said to be provided by it. On the two services of
//! `layerlens_testtools::services`, every figure worked out by hand from its sizes
//! (a distribution's bytes: its files plus its `RECORD`, whose length is in brackets).

use layerlens::forensics::diff::{diff, diff_with, Change, DiffOptions, ImageDiff};
use layerlens::model::SetModel;
use layerlens::{Analyzer, ImageSet, Options, Report};
use pretty_assertions::assert_eq;

fn services() -> ImageSet {
    let dir = layerlens_testtools::io::temp_dir("services");
    let path = layerlens_testtools::io::write_file(
        dir.path(),
        "services.tar",
        &layerlens_testtools::services::archive(),
    );
    Analyzer::new(Options::default()).analyze(&[path]).unwrap()
}

fn orders_to_auth(opts: &DiffOptions) -> ImageDiff {
    let set = services();
    let m = SetModel::new(&set);
    let ix = |n: &str| m.image_index(set.find_image(n).unwrap()).unwrap();
    diff_with(&m, ix("svc/orders:1"), ix("svc/auth:1"), opts).unwrap()
}

type Row<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    u64,
    u64,
    i64,
);

fn rows(list: &[layerlens::forensics::diff::PackageChange]) -> Vec<Row<'_>> {
    list.iter()
        .map(|p| {
            (
                p.manager.as_str(),
                p.name.as_str(),
                p.old_version.as_deref(),
                p.new_version.as_deref(),
                p.old_size,
                p.new_size,
                p.delta,
            )
        })
        .collect()
}

#[test]
fn diff_lists_packages_added_removed_changed_with_bytes_largest_first() {
    let d = orders_to_auth(&DiffOptions::default());
    let p = &d.packages;
    assert_eq!(
        rows(&p.removed),
        [
            // sqlalchemy/__init__.py 5000 + orm.py 7000 + RECORD (82)
            (
                "python",
                "SQLAlchemy",
                Some("2.0.30"),
                None,
                12_082,
                0,
                -12_082
            ),
            (
                "python",
                "psycopg2_binary",
                Some("2.9.9"),
                None,
                6_064,
                0,
                -6_064
            ),
            ("python", "greenlet", Some("3.0.3"), None, 4_058, 0, -4_058),
            (
                "python",
                "typing_extensions",
                Some("4.12.2"),
                None,
                3_067,
                0,
                -3_067
            ),
        ]
    );
    assert_eq!(
        rows(&p.added),
        [
            (
                "python",
                "cryptography",
                None,
                Some("42.0.5"),
                0,
                12_064,
                12_064
            ),
            // cffi/api.py 2500 + _cffi_backend.so 9000 + RECORD (64)
            ("python", "cffi", None, Some("1.16.0"), 0, 11_564, 11_564),
            ("python", "pycparser", None, Some("2.22"), 0, 3_558, 3_558),
            ("python", "PyJWT", None, Some("2.8.0"), 0, 2_049, 2_049),
        ]
    );
    // requests/api.py 4000 -> 4200, RECORDs of one length (53).
    assert_eq!(
        rows(&p.changed),
        [(
            "python",
            "requests",
            Some("2.31.0"),
            Some("2.32.3"),
            4_053,
            4_253,
            200
        )]
    );
    assert!(p
        .added
        .iter()
        .all(|c| c.change == Change::Added && c.layer == Some(1)));
    // The base's packages are in both: pip is not a change.
    assert!(!p.removed.iter().chain(&p.added).any(|c| c.name == "pip"));
}

#[test]
fn diff_summary_and_files_grouped_by_directory_largest_change_first() {
    let d = orders_to_auth(&DiffOptions::default());
    // Base layer shared; each service layer is its image's own.
    assert_eq!(
        (d.a.shared_size, d.b.shared_size),
        (d.a.size - d.a.unique_size, d.b.size - d.b.unique_size)
    );
    assert_eq!(d.a.shared_size, d.b.shared_size);
    // Base: dpkg status, 2 lists, libssl, pip's 3 files + RECORD = 8 files; orders: 6
    // distribution files + 5 RECORDs + 3 app files; auth: 6 + 5 + 2.
    assert_eq!((d.a.files, d.b.files), (8 + 14, 8 + 13));
    let site = "usr/local/lib/python3.11/site-packages";
    let got: Vec<(String, u64, u64, u64, i64)> = d
        .directories
        .iter()
        .map(|g| {
            (
                g.path.replace(site, "SITE"),
                g.added,
                g.removed,
                g.changed,
                g.delta,
            )
        })
        .collect();
    let s = |p: &str| p.to_string();
    assert_eq!(
        got,
        [
            // |12000| twice: more files first.
            (s("SITE/sqlalchemy"), 0, 2, 0, -12_000),
            (s("SITE/cryptography"), 1, 0, 0, 12_000),
            (s("app/orders/static"), 0, 1, 0, -9_000),
            // _cffi_backend.so +9000, typing_extensions.py -3000
            (s("SITE"), 1, 1, 0, 6_000),
            (s("SITE/psycopg2"), 0, 1, 0, -6_000),
            (s("SITE/greenlet"), 0, 1, 0, -4_000),
            (s("SITE/pycparser"), 1, 0, 0, 3_500),
            (s("SITE/cffi"), 1, 0, 0, 2_500),
            (s("app/auth"), 2, 0, 0, 2_400),
            (s("app/orders"), 0, 2, 0, -2_000),
            (s("SITE/jwt"), 1, 0, 0, 2_000),
            (s("SITE/requests"), 0, 0, 1, 200),
            (s("SITE/SQLAlchemy-2.0.30.dist-info"), 0, 1, 0, -82),
            (s("SITE/typing_extensions-4.12.2.dist-info"), 0, 1, 0, -67),
            (s("SITE/cffi-1.16.0.dist-info"), 1, 0, 0, 64),
            (s("SITE/cryptography-42.0.5.dist-info"), 1, 0, 0, 64),
            (s("SITE/psycopg2_binary-2.9.9.dist-info"), 0, 1, 0, -64),
            (s("SITE/greenlet-3.0.3.dist-info"), 0, 1, 0, -58),
            (s("SITE/pycparser-2.22.dist-info"), 1, 0, 0, 58),
            (s("SITE/requests-2.31.0.dist-info"), 0, 1, 0, -53),
            (s("SITE/requests-2.32.3.dist-info"), 1, 0, 0, 53),
            (s("SITE/PyJWT-2.8.0.dist-info"), 1, 0, 0, 49),
        ]
    );
    let net: i64 = d.directories.iter().map(|g| g.delta).sum();
    assert_eq!(net, d.final_delta);
    // 13 removed, 12 added, requests/api.py changed.
    assert_eq!(d.files.len(), 26);
    assert!(d.filter.is_none());
}

#[test]
fn diff_filters_keep_the_files_under_a_prefix_or_glob_and_of_a_size() {
    let d = orders_to_auth(&DiffOptions::default().path("/app/"));
    let paths: Vec<&str> = d.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "app/auth/main.py",
            "app/auth/tokens.py",
            "app/orders/db.py",
            "app/orders/main.py",
            "app/orders/static/logo.png"
        ]
    );
    assert_eq!(d.directories.len(), 3);
    // Packages are not filtered.
    assert_eq!(d.packages.added.len(), 4);
    let d = orders_to_auth(&DiffOptions::default().path("**/*.so").min_size(6_000));
    let paths: Vec<&str> = d.files.iter().map(|f| f.path.as_str()).collect();
    let site = layerlens_testtools::services::SITE;
    assert_eq!(
        paths,
        [
            format!("{site}/_cffi_backend.so"),
            format!("{site}/cryptography/hazmat.so"),
            format!("{site}/psycopg2/_psycopg.so"),
        ]
    );
    let f = d.filter.unwrap();
    assert_eq!((f.path.as_deref(), f.min_size), (Some("**/*.so"), 6_000));
    // A prefix is a whole component: `app/auth` is not under `app/aut`.
    assert!(orders_to_auth(&DiffOptions::default().path("app/aut"))
        .files
        .is_empty());
    // Depth 1: everything under `usr` is one group, unless a package directory.
    let d = orders_to_auth(&DiffOptions::default().depth(1));
    assert_eq!(d.directories[2].path, "app");
    assert_eq!(d.directory_depth, 1);
}

#[test]
fn diff_text_shows_the_top_rows_and_how_many_more() {
    let d = orders_to_auth(&DiffOptions::default());
    let text = layerlens::present::forensics::diff_table(&d, 100, 2);
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line:?}");
    }
    let want = [
        "packages: 4 added, 4 removed, 1 changed",
        "added (python): cryptography, cffi, pycparser, PyJWT",
        "  + python #2      12.1 kB  cryptography 42.0.5",
        "  + python #2      11.6 kB  cffi 1.16.0",
        "  … and 2 more packages (--top)",
        "removed (python): SQLAlchemy, psycopg2_binary, greenlet, typing_extensions",
        "  - python         12.1 kB  SQLAlchemy 2.0.30",
        "  ~ python #2       +200 B  requests 2.31.0 -> 2.32.3  (4.1 kB -> 4.3 kB)",
        "    -12.0 kB      0      2      0  usr/local/lib/python3.11/site-packages/sqlalchemy/",
        "     -7.0 kB   - orm.py",
        "  … and 2 more packages (--top)",
        "changed (python): requests",
        "files: 12 added, 13 removed, 1 changed, -4.4 kB net",
        "  files                                22           21           -1",
        "  … and 20 more directories (--top)",
        "  = #1      25.0 kB  RUN apt-get install -y python3-pip",
    ];
    for w in want {
        assert!(text.lines().any(|l| l == w), "{w:?} missing:\n{text}");
    }
}

#[test]
fn a_python_distribution_a_dpkg_package_installed_is_provided_by_it() {
    let set = services();
    let r = Report::new(&set);
    let img = r
        .images
        .iter()
        .find(|i| i.refs[0] == "svc/orders:1")
        .unwrap();
    let pkg = |name: &str| img.packages.iter().find(|p| &*p.name == name).unwrap();
    // python3-pip: pip/__init__.py 1000 + _internal/cli.py 3000 + METADATA 500 +
    // RECORD (103); pip lists the same files, each counted once, to dpkg's.
    let pip3 = pkg("python3-pip");
    assert_eq!(
        (pip3.size, pip3.files, pip3.provided_by.is_none()),
        (4_603, 4, true)
    );
    let pip = pkg("pip");
    assert_eq!((pip.size, pip.files), (0, 0));
    let by = pip.provided_by.as_ref().expect("provided by dpkg");
    assert_eq!((by.manager.as_str(), &*by.name), ("dpkg", "python3-pip"));
    // A package with files of its own names no provider; JSON says it only where it is.
    assert!(pkg("SQLAlchemy").provided_by.is_none());
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    let providers: Vec<_> = json["images"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["packages"].as_array().unwrap())
        .filter_map(|p| p.get("provided_by").map(|b| (p["name"].clone(), b.clone())))
        .collect();
    let one = (
        serde_json::json!("pip"),
        serde_json::json!({"manager": "dpkg", "name": "python3-pip"}),
    );
    assert_eq!(providers, [one.clone(), one]);
    // The text table says so instead of 0 B.
    let text = layerlens::present::text::render_text(&r, 10, &Default::default());
    assert!(
        text.lines()
            .any(|l| l.contains("pip") && l.contains("provided by dpkg python3-pip")),
        "{text}"
    );
    // diff of A with itself: nothing; the base's pip stays provided.
    let m = SetModel::new(&set);
    let a = m
        .image_index(set.find_image("svc/orders:1").unwrap())
        .unwrap();
    assert!(diff(&m, a, a).packages.is_empty());
}

#[test]
fn diff_text_names_at_most_three_lines_of_packages_per_manager() {
    let set = services();
    let m = SetModel::new(&set);
    let ix = |n: &str| m.image_index(set.find_image(n).unwrap()).unwrap();
    let mut d = diff(&m, ix("svc/orders:1"), ix("svc/auth:1"));
    // 60 more removed packages with long names: the gist stops at 3 lines and counts.
    let one = d.packages.removed[0].clone();
    for i in 0..60 {
        let mut p = one.clone();
        p.name = format!("a-rather-long-distribution-name-{i:02}");
        d.packages.removed.push(p);
    }
    let text = layerlens::present::forensics::diff_table(&d, 100, 1);
    let start = text
        .lines()
        .position(|l| l.starts_with("removed (python): "))
        .unwrap();
    let gist: Vec<&str> = text.lines().skip(start).take(4).collect();
    assert!(
        gist[1].starts_with("    ") && gist[2].starts_with("    "),
        "{text}"
    );
    assert!(gist[2].ends_with(" … and 56 more"), "{text}");
    assert!(gist[3].starts_with("  - python"), "{text}");
    assert!(gist.iter().all(|l| l.chars().count() <= 100));
}
