//! The synthetic generator: deterministic, every format analyses to the same layer
//! contents, and the realistic shapes hold what their databases say.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use layerlens_testtools::synth::{generate, SynthFormat, SynthOptions, SynthShape};
use sha2::Digest as _;

use crate::common::{analyze, scratch};

#[test]
fn every_format_is_deterministic_and_analyses_alike() {
    let dir = scratch("synth-formats");
    let mut totals = Vec::new();
    for format in SynthFormat::ALL {
        let a = dir.join(format!("{}-a.tar", format.name()));
        let b = dir.join(format!("{}-b.tar", format.name()));
        let opts = SynthOptions::new(3 << 20, format);
        let sa = generate(&a, &opts).unwrap();
        let sb = generate(&b, &opts).unwrap();
        assert_eq!(sa, sb);
        assert_eq!(
            std::fs::read(&a).unwrap(),
            std::fs::read(&b).unwrap(),
            "{format:?} is not deterministic"
        );
        assert!(sa.files > 100, "{sa:?}");
        let report = analyze(&[a.to_string_lossy().into_owned()]);
        assert_eq!(report.images.len(), sa.images);
        assert_eq!(report.totals.unique_layers as usize, sa.layers);
        assert_eq!(report.totals.dedup_tar_size, sa.tar_bytes);
        assert!(report
            .images
            .iter()
            .all(|i| i.layers.iter().all(|l| l.verified)));
        totals.push((report.totals.dedup_size, report.totals.naive_size));
    }
    assert!(totals.windows(2).all(|w| w[0] == w[1]), "{totals:?}");
    // A different seed gives different bytes.
    let mut other = SynthOptions::new(3 << 20, SynthFormat::Docker25);
    other.seed = 99;
    let c = dir.join("other.tar");
    generate(&c, &other).unwrap();
    assert_ne!(
        std::fs::read(&c).unwrap(),
        std::fs::read(dir.join("docker25-a.tar")).unwrap()
    );
}

fn shape_opts(shape: SynthShape, format: SynthFormat, scale: u64) -> SynthOptions {
    let mut opts = SynthOptions::new(scale, format);
    opts.shape = shape;
    opts
}

/// Generate twice; the bytes (and summaries) must be the same. Returns the first.
fn generate_twice(dir: &Path, name: &str, opts: &SynthOptions) -> std::path::PathBuf {
    let a = dir.join(format!("{name}-a.tar"));
    let b = dir.join(format!("{name}-b.tar"));
    let sa = generate(&a, opts).unwrap();
    let sb = generate(&b, opts).unwrap();
    assert_eq!(sa, sb, "{name}");
    assert!(
        std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
        "{name} is not deterministic"
    );
    a
}

#[test]
fn python_fleet_is_deterministic_and_has_the_databases_of_a_real_fleet() {
    let dir = scratch("synth-python-fleet");
    let opts = shape_opts(SynthShape::PythonFleet, SynthFormat::Docker25, 2 << 20);
    let path = generate_twice(&dir, "python-fleet", &opts);
    let mut seeded = opts.clone();
    seeded.seed = 7;
    let other = dir.join("other.tar");
    generate(&other, &seeded).unwrap();
    assert!(std::fs::read(&other).unwrap() != std::fs::read(&path).unwrap());

    let report = analyze(&[path.to_string_lossy().into_owned()]);
    assert_eq!(report.images.len(), 18);
    assert!(report
        .images
        .iter()
        .all(|i| i.layers.iter().all(|l| l.verified)));
    let services: Vec<_> = report
        .images
        .iter()
        .filter(|i| i.refs[0].starts_with("fleet/"))
        .collect();
    assert_eq!(services.len(), 16);
    // One base (Debian, build dependencies, Python, its links, WORKDIR) under all.
    assert!(services.iter().all(|i| i.base_layers == 5), "base layers");
    let managers = |i: &layerlens::ImageReport| -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for p in i.packages.iter() {
            *m.entry(p.manager.as_str().to_string()).or_default() += 1;
        }
        m
    };
    for s in &services {
        let m = managers(s);
        assert!(m["dpkg"] >= 300, "{:?}: {m:?}", s.refs);
        assert!(m["python"] >= 15, "{:?}: {m:?}", s.refs);
        assert!(s.by_kind.toolchains > 0 && s.by_kind.docs > 0 && s.by_kind.caches > 0);
    }
    assert_eq!(
        services
            .iter()
            .filter(|s| managers(s).contains_key("npm"))
            .count(),
        4
    );
    let orphan = |name: &str| {
        report
            .images
            .iter()
            .find(|i| i.refs[0].starts_with(name))
            .unwrap()
    };
    assert!(managers(orphan("orphans/cron-runner"))["apk"] >= 20);
    assert_eq!(managers(orphan("orphans/metrics-exporter"))["dpkg"], 4);
    // Half the services delete pip's cache in a later layer (a whiteout), two replace
    // the base's setuptools (an opaque directory): the bytes hidden are deleted.
    let deleted = services.iter().filter(|s| s.deleted_size > 0).count();
    assert_eq!(
        deleted,
        8 + 2,
        "services that delete what a lower layer added"
    );
    assert!(
        report
            .recommendations
            .iter()
            .any(|r| r.id == "remove-caches"),
        "pip's cache left in the other half"
    );
    check_databases_against_files(&path);
}

/// Every wheel RECORD line names a file of its layer with that sha256 and size; every
/// path of a dpkg `.list` exists in its layer (through the merged-`/usr` links).
fn check_databases_against_files(archive: &Path) {
    let mut outer = tar::Archive::new(std::fs::File::open(archive).unwrap());
    let (mut records, mut lists) = (0, 0);
    for member in outer.entries().unwrap() {
        let mut member = member.unwrap();
        let mut blob = Vec::new();
        member.read_to_end(&mut blob).unwrap();
        if !member.path().unwrap().starts_with("blobs/sha256") || blob.first() == Some(&b'{') {
            continue;
        }
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut present: BTreeSet<String> = BTreeSet::new();
        for e in tar::Archive::new(&blob[..]).entries().unwrap() {
            let mut e = e.unwrap();
            let p = e
                .path()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches('/')
                .to_string();
            present.insert(p.clone());
            if e.header().entry_type() == tar::EntryType::Regular {
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                files.insert(p, data);
            }
        }
        for (path, data) in &files {
            let text = String::from_utf8_lossy(data);
            if path.ends_with(".dist-info/RECORD") {
                records += 1;
                let site = Path::new(path).parent().unwrap().parent().unwrap();
                for line in text.lines() {
                    let mut cols = line.split(',');
                    let (rel, hash, size) = (cols.next().unwrap(), cols.next(), cols.next());
                    let full = normalize(&site.join(rel));
                    assert!(
                        present.contains(&full),
                        "{path}: {full} is not in the layer"
                    );
                    if let (Some(hash), Some(size)) = (hash.filter(|h| !h.is_empty()), size) {
                        let body = &files[&full];
                        assert_eq!(size, body.len().to_string(), "{full}");
                        let digest = sha2::Sha256::digest(body);
                        assert_eq!(hash, format!("sha256={}", b64(&digest)), "{full}");
                    }
                }
            }
            if path.starts_with("var/lib/dpkg/info/") && path.ends_with(".list") {
                lists += 1;
                for line in text.lines().skip(1) {
                    let p = line.trim_start_matches('/');
                    let merged = ["bin/", "sbin/", "lib/", "lib64/"]
                        .iter()
                        .find(|d| p.starts_with(*d))
                        .map(|_| format!("usr/{p}"));
                    let found = present.contains(p) || merged.is_some_and(|m| present.contains(&m));
                    assert!(found, "{path}: {line} is not in the layer");
                }
            }
        }
    }
    assert!(records > 50, "{records} RECORDs");
    assert!(lists > 300, "{lists} dpkg lists");
}

fn normalize(p: &Path) -> String {
    let mut out: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::Normal(s) => out.push(s.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    out.join("/")
}

/// URL-safe base64 without padding, as RECORDs write digests.
fn b64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
        for k in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn many_is_deterministic_and_puts_every_image_on_one_of_three_bases() {
    let dir = scratch("synth-many");
    let opts = shape_opts(
        SynthShape::Many { images: 40 },
        SynthFormat::Docker,
        2 << 20,
    );
    let path = generate_twice(&dir, "many", &opts);
    let report = analyze(&[path.to_string_lossy().into_owned()]);
    assert_eq!(report.images.len(), 40);
    assert_eq!(report.totals.unique_layers, 40 + 4);
    let bases: BTreeSet<Vec<String>> = report
        .images
        .iter()
        .map(|i| {
            let n = i.layers.len() - 1;
            i.layers[..n]
                .iter()
                .map(|l| l.diff_id.to_string())
                .collect()
        })
        .collect();
    assert_eq!(bases.len(), 3, "{bases:?}");
    // The Python layer sits on two parents: same diff_id, another ChainID.
    assert!(report.totals.chain_dedup_size > report.totals.dedup_size);
    assert!(report.images.iter().all(|i| {
        let own = &i.layers[i.layers.len() - 1];
        own.content_size > 0 && own.content_size <= 1 << 20
    }));
    // Other shapes and formats of it are deterministic too.
    let zstd = shape_opts(
        SynthShape::Many { images: 5 },
        SynthFormat::OciZstd,
        2 << 20,
    );
    generate_twice(&dir, "many-zstd", &zstd);
}
