//! Attribution on `attribution.tar`, worked out by hand from `testdata/generate.py`
//! (`attribution_images`): kinds by the documented precedence, package sizes from the
//! files present, the layer that added each package, recommendations and the what-if.

use layerlens::{Analyzer, AttributionOptions, ImageReport, Options, Report};
use pretty_assertions::assert_eq;

use crate::common::*;

fn report(opts: &AttributionOptions) -> Report {
    let set = Analyzer::new(Options::default())
        .analyze(&[fixture("attribution.tar")])
        .unwrap();
    Report::with_attribution(&set, opts).unwrap()
}

fn image<'a>(r: &'a Report, name: &str) -> &'a ImageReport {
    r.images.iter().find(|i| i.refs[0] == name).unwrap()
}

fn packages(img: &ImageReport) -> Vec<(&str, &str, u64, u64, u64)> {
    img.packages
        .iter()
        .map(|p| (p.manager.as_str(), &*p.name, p.size, p.files, p.layer))
        .collect()
}

#[test]
fn debian_base_kinds_and_packages() {
    let r = report(&AttributionOptions::default());
    let d = image(&r, "acme/debian:1");
    let k = d.by_kind;
    assert_eq!(
        k.caches,
        4100 + 180 + 250,
        "apt lists v2, dpkg.log v2, a .pyc"
    );
    assert_eq!(
        k.docs,
        300 + 200 + 350,
        "libc6-dev copyright, ls.1.gz, a .mo"
    );
    assert_eq!(
        k.toolchains,
        700 + 3000 + 400 + 2500 + 6000,
        "headers, .a, -dev, gcc"
    );
    assert_eq!(k.unowned, 10, "etc/hostname");
    assert_eq!((k.app, k.language_deps), (0, 0));
    assert_eq!(k.total(), d.size);
    assert_eq!(d.by_origin.base, d.size);
    assert_eq!(d.base_layers, 2);
    assert_eq!(
        packages(d),
        [
            ("dpkg", "gcc-12", 8500, 2, 0),
            ("dpkg", "libc6", 5000, 1, 0), // listed as /lib/..., stored under usr/lib
            ("dpkg", "libc6-dev", 4400, 4, 0),
            ("dpkg", "coreutils", 2050, 3, 0),
            ("dpkg", "python3-apt", 1050, 2, 0),
            ("dpkg", "tzdata", 120, 1, 1),
        ]
    );
}

#[test]
fn app_on_the_base_splits_base_and_own() {
    let r = report(&AttributionOptions::default());
    let a = image(&r, "acme/pyapp:1");
    let d = image(&r, "acme/debian:1");
    assert_eq!(a.base_layers, 2);
    assert_eq!(a.by_origin.base, d.size);
    assert_eq!(a.by_origin.base + a.by_origin.own, a.size);
    let k = a.by_kind;
    assert_eq!(k.wasted, d.by_kind.wasted + 4100, "the apt lists whiteout");
    assert_eq!(k.caches, 180 + 250 + 2000 + 600);
    assert_eq!(k.docs, 850 + 250);
    assert_eq!(k.toolchains, 12600 + 800, "app/build/libfoo.a");
    // requests (minus its .pyc, a cache) + orphan.py + two npm packages + the lock file
    assert_eq!(
        k.language_deps,
        900 + 1100 + 300 + 236 + 90 + 70 + 455 + 540 + 100
    );
    assert_eq!(k.app, 1200);
    assert_eq!(k.total(), a.size);
    let p = packages(a);
    assert!(p.contains(&("python", "requests", 3226, 6, 2)), "{p:?}");
    assert!(p.contains(&("npm", "@scope/util", 540, 2, 2)), "{p:?}");
    assert!(p.contains(&("npm", "left-pad", 455, 2, 2)), "{p:?}");
}

#[test]
fn apk_packages_and_the_layer_that_added_them() {
    let r = report(&AttributionOptions::default());
    let a = image(&r, "acme/alpine-app:1");
    assert_eq!(a.base_layers, 0, "alone in its family");
    assert_eq!(a.by_kind.toolchains, 650 + 1700, "musl-dev");
    assert_eq!(a.by_kind.docs, 90);
    assert_eq!(a.by_kind.app, 7 + 450);
    assert_eq!(
        packages(a),
        [
            ("apk", "musl", 3300, 1, 0),
            ("apk", "busybox", 2860, 2, 0),
            ("apk", "musl-dev", 2350, 2, 0),
            ("apk", "zlib", 1000, 1, 1),
        ]
    );
}

#[test]
fn recommendations_with_measured_savings() {
    let r = report(&AttributionOptions::default());
    let savings = |id: &str| {
        r.recommendations
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.savings)
    };
    // base layers, each (layer, path) once although two images show them
    assert_eq!(savings("slim-base"), Some(250 + 850 + 12600 + 4100 + 180));
    assert_eq!(savings("multi-stage"), Some(800 + 2350));
    assert_eq!(savings("remove-caches"), Some(2000 + 600));
    assert_eq!(savings("remove-docs"), Some(250 + 90));
    let d = image(&r, "acme/debian:1");
    // The apt lists pyapp's whiteout hides (4100) stay stored: acme/debian:1 still shows
    // them from the shared base layer, so deleting them earlier saves nothing.
    assert_eq!(savings("squash-waste"), Some(d.by_kind.wasted + 457));
    assert!(r.reclaimable.is_none());
    let total = r.summary.last().unwrap();
    assert_eq!(total.component, "total");
    assert_eq!(total.current, r.totals.naive_size);
}

#[test]
fn base_flag_and_in_use_what_if() {
    let r = report(&AttributionOptions {
        base: Some("acme/debian:1".into()),
        in_use: vec!["acme/pyapp:1".into()],
    });
    let a = image(&r, "acme/pyapp:1");
    let al = image(&r, "acme/alpine-app:1");
    assert_eq!(a.base_layers, 2);
    assert_eq!(al.base_layers, 0);
    let rc = r.reclaimable.unwrap();
    let d = image(&r, "acme/debian:1");
    assert_eq!(rc.naive, d.size + al.size);
    assert_eq!(rc.blob, al.size, "debian's layers stay: pyapp uses them");
    assert_eq!(rc.chain, al.size);
    let unused = r
        .recommendations
        .iter()
        .find(|x| x.id == "remove-unused")
        .unwrap();
    assert_eq!(unused.savings, al.size);
    assert_eq!(unused.images.len(), 2);
    let set = Analyzer::new(Options::default())
        .analyze(&[fixture("attribution.tar")])
        .unwrap();
    let bad = AttributionOptions {
        base: Some("nope:1".into()),
        in_use: vec![],
    };
    assert!(Report::with_attribution(&set, &bad).is_err());
}

#[test]
fn explain_a_path_through_a_symlinked_directory() {
    let set = Analyzer::new(Options::default())
        .analyze(&[fixture("attribution.tar")])
        .unwrap();
    let model = layerlens::model::SetModel::new(&set);
    let bases = layerlens::attribution::base_layers(&model, None);
    let found =
        layerlens::forensics::explain::explain(&model, "/lib/x86_64-linux-gnu/libc.so.6", &bases);
    assert_eq!(found.len(), 2, "debian and pyapp");
    let e = &found[0];
    assert_eq!(e.path, "usr/lib/x86_64-linux-gnu/libc.so.6");
    assert!(e.visible);
    assert_eq!(e.owner.as_ref().unwrap().name, "libc6");
    assert_eq!(e.kind, Some(layerlens::attribution::Kind::OsPackages));
    let lists = layerlens::forensics::explain::explain(
        &model,
        "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
        &bases,
    );
    let py = lists.iter().find(|e| e.name == "acme/pyapp:1").unwrap();
    let actions: Vec<_> = py.events.iter().map(|e| (e.layer, e.action)).collect();
    use layerlens::forensics::explain::Action::*;
    assert_eq!(actions, [(0, Added), (1, Overwritten), (3, Deleted)]);
    assert!(!py.visible);
}

#[test]
fn each_layer_lists_the_largest_packages_it_added() {
    let r = report(&AttributionOptions::default());
    let app = image(&r, "acme/pyapp:1");
    let by_layer: Vec<Vec<(&str, u64)>> = app
        .layers
        .iter()
        .map(|l| l.top_packages.iter().map(|p| (&*p.name, p.size)).collect())
        .collect();
    assert_eq!(
        by_layer[2],
        [("requests", 3226), ("@scope/util", 540), ("left-pad", 455)]
    );
    assert_eq!(by_layer[1], [("tzdata", 120)]);
    assert!(by_layer[3].is_empty());
    assert_eq!(&by_layer[0][..2], [("gcc-12", 8500), ("libc6", 5000)]);
}

/// A docker archive of several tagged images built from shared layers (each image's
/// config labelled with its tag, so images of the same layers stay distinct).
fn multi_image_archive(images: &[(&str, Vec<&[u8]>)]) -> Vec<u8> {
    use layerlens_testtools::archive::{default_config, Blob, ImageArchive, Layout};
    let mut archive = ImageArchive::new(Layout::DockerMinimal);
    for (tag, layers) in images {
        let mut config = default_config();
        config["config"] = serde_json::json!({"Labels": {"tag": tag}});
        let blobs = layers.iter().map(|l| Blob::tar(l.to_vec()));
        archive = archive.image_with_config(&[tag], blobs, config);
    }
    archive.finish()
}

#[test]
fn a_slim_variant_among_the_inputs_is_measured() {
    use layerlens_testtools::archive::layer_tar;
    let fat = layer_tar(&[
        ("usr/lib/big.so", &[1u8; 10_000]),
        ("usr/bin/py", &[2u8; 2_000]),
    ]);
    let slim = layer_tar(&[("usr/bin/py", &[3u8; 2_500])]);
    let app = layer_tar(&[("app/main.py", &[4u8; 300])]);
    let archive = multi_image_archive(&[
        ("py:3.11", vec![&fat]),
        ("py:3.11-slim", vec![&slim]),
        ("acme/app:1", vec![&fat, &app]),
        ("acme/api:1", vec![&fat, &app[..]]),
    ]);
    let dir = layerlens_testtools::io::temp_dir("slim");
    let path = layerlens_testtools::io::write_file(dir.path(), "set.tar", &archive);
    let set = Analyzer::new(Options::default()).analyze(&[path]).unwrap();
    let r = Report::new(&set);
    let rec = r
        .recommendations
        .iter()
        .find(|x| x.id == "slim-variant")
        .expect("a slim-variant recommendation");
    assert_eq!(
        rec.title,
        "Switch py:3.11 to py:3.11-slim: both are among the inputs, measured"
    );
    assert_eq!(rec.savings, 12_000 - 2_500);
    // The fat base itself plus the two images built on it.
    assert_eq!(rec.images.len(), 3);
    assert_eq!(rec.naive_savings, 9_500 * 3);
}
