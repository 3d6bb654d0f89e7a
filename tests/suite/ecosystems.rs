//! The ecosystem readers end to end (issue 14): rpm databases of every backend read in
//! the layer pass and measured on the files present, against Debian's `rpm`; Go,
//! cargo-auditable, Maven and gem packages found in the files themselves, in kinds,
//! package tables, top packages and `diff`, with the layer that added each.

use layerlens::attribution::packages::Manager;
use layerlens::forensics::diff::{diff, Change};
use layerlens::model::SetModel;
use layerlens::{Analyzer, Detect, ImageReport, Options, Report};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use crate::common::*;

pub fn ecosystem(name: &str) -> String {
    repo_root()
        .join("testdata/ecosystems")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn image<'a>(r: &'a Report, name: &str) -> &'a ImageReport {
    r.images.iter().find(|i| i.refs[0] == name).unwrap()
}

/// What `rpm -qa` lists for each image of `rpm-image.tar.gz` (its file lists), with
/// the regular files present in the image's final filesystem (their sizes on disk):
/// `make_rpm_image.py` wrote it from rpm's own output and the final root.
#[test]
fn rpm_packages_of_every_backend_equal_rpm_on_the_files_present() {
    let report = analyze(&[ecosystem("rpm-image.tar.gz")]);
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(ecosystem("rpm-image.expected.json")).unwrap(),
    )
    .unwrap();
    for (name, want) in expected.as_object().unwrap() {
        let img = image(&report, name);
        let mut got: Vec<Value> = img
            .packages
            .iter()
            .map(|p| {
                assert_eq!(p.manager, Manager::Rpm, "{name}");
                json!({"name": p.name, "version": p.version, "size": p.size,
                       "files": p.files, "layer": p.layer})
            })
            .collect();
        got.sort_by_key(|p| p["name"].as_str().unwrap().to_string());
        assert_eq!(&Value::Array(got), want, "{name}");
    }
    assert!(report.notes.is_empty(), "{:?}", report.notes);
}

#[test]
fn rpm_files_are_os_packages_and_devel_packages_toolchains() {
    let report = analyze(&[ecosystem("rpm-image.tar.gz")]);
    let img = image(&report, "acme/rpm:1");
    let k = img.by_kind;
    // alpha-devel: its pkg-config file by the -devel rule, its README as docs.
    assert_eq!(k.toolchains, 25);
    assert_eq!(k.docs, 1200);
    assert_eq!(k.app + k.unowned + k.language_deps + k.caches, 0);
    assert_eq!(k.total(), img.size);
    // The top packages of the second layer are the two it installed.
    let top: Vec<&str> = img.layers[1]
        .top_packages
        .iter()
        .map(|p| &*p.name)
        .collect();
    assert_eq!(top, ["gamma", "alpha-devel"]);
}

fn polyglot() -> Report {
    analyze(&[ecosystem("ecosystems.tar")])
}

fn packages(img: &ImageReport) -> Vec<(&str, &str, &str, u64, u64, u64)> {
    img.packages
        .iter()
        .map(|p| {
            (
                p.manager.as_str(),
                &*p.name,
                &*p.version,
                p.size,
                p.files,
                p.layer,
            )
        })
        .collect()
}

/// Sizes from `testdata/ecosystems/generate.py`: the Go binary (9,464 bytes) and the
/// cargo-auditable one own themselves, the jar with a pom.properties owns itself (the
/// other is a language dependency by path, with no package), each gem its gemspec
/// (232 bytes), its directory, its cached .gem and its compiled extensions.
#[test]
fn go_cargo_maven_and_gem_packages_own_their_files() {
    let r = polyglot();
    let one = image(&r, "acme/polyglot:1");
    assert_eq!(
        packages(one),
        [
            ("go", "example.com/svc", "v1.4.0", 9464, 1, 1),
            ("cargo", "hello-rs", "0.3.1", 7956, 1, 1),
            ("gem", "json", "2.7.1", 232 + 1800 + 2200, 4, 2),
            ("gem", "rack", "3.0.8", 232 + 2500 + 300 + 1100, 4, 2),
            ("maven", "com.example:demo", "1.2.3", 2226, 1, 1),
        ]
    );
    let two = image(&r, "acme/polyglot:2");
    assert_eq!(
        packages(two)[0],
        ("go", "example.com/svc", "v1.5.0", 9464, 1, 3),
        "the later binary, from the layer that wrote it"
    );
    assert_eq!(
        two.layers[1]
            .top_packages
            .iter()
            .map(|p| &*p.name)
            .collect::<Vec<_>>(),
        ["hello-rs", "com.example:demo"],
        "layer 1's Go binary is hidden in :2"
    );
    // language_deps: every package file, and plain.jar by path; the rest is the base's.
    for img in [one, two] {
        let k = img.by_kind;
        assert_eq!(k.os_packages + k.toolchains + k.docs + k.caches, 0);
        assert_eq!(k.total(), img.size);
        let owned: u64 = img.packages.iter().map(|p| p.size).sum();
        assert!(k.language_deps > owned, "plain.jar counts too");
    }
    assert_eq!(two.by_kind.wasted, 9464, "v1.4.0, overwritten");
}

#[test]
fn diff_names_the_package_that_changed_and_the_layer() {
    let set = Analyzer::new(Options::default())
        .analyze(&[ecosystem("ecosystems.tar")])
        .unwrap();
    let m = SetModel::new(&set);
    let ix = |n: &str| m.image_index(set.find_image(n).unwrap()).unwrap();
    let d = diff(&m, ix("acme/polyglot:1"), ix("acme/polyglot:2"));
    assert!(d.packages.added.is_empty() && d.packages.removed.is_empty());
    let got: Vec<_> = d
        .packages
        .changed
        .iter()
        .map(|p| {
            (
                p.change,
                p.manager.as_str(),
                &*p.name,
                p.path.as_deref(),
                p.old_version.as_deref(),
                p.new_version.as_deref(),
                p.layer,
            )
        })
        .collect();
    assert_eq!(
        got,
        [(
            Change::Changed,
            "go",
            "example.com/svc",
            Some("app/server"),
            Some("v1.4.0"),
            Some("v1.5.0"),
            Some(3)
        )]
    );
}

#[test]
fn without_the_detectors_files_are_no_packages() {
    let set = Analyzer::new(Options::default().detect(Detect::No))
        .analyze(&[ecosystem("ecosystems.tar")])
        .unwrap();
    let r = Report::new(&set);
    assert!(r.images.iter().all(|i| i.packages.is_empty()));
}
