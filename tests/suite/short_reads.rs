//! Readers that return fewer bytes than asked (pipes, sockets, slow disks) must give
//! exactly the same result as the normal path: no parser may assume `read` fills the
//! buffer. A seeded reader returns 1..=n bytes per call, like tar-rs's `RandomReader`.

use std::fs::File;

use layerlens::{analyze_layer, Analyzer, Options, Report};

use crate::common::{fixture, repo_root};
use layerlens_testtools::archive::{gzip, layer_tar, zstd};
use layerlens_testtools::io::ShortReader;

fn fixture_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("testdata/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tar") || n.ends_with(".tar.gz") || n.ends_with(".tar.zst"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    names
}

/// Both paths, as JSON reports (or error messages, for the corrupt fixture).
fn normal_and_short(path: &str, seed: u64, max: usize) -> (String, String) {
    let analyzer = Analyzer::new(Options::default().threads(2));
    let show = |r: layerlens::Result<layerlens::ImageSet>| match r {
        Ok(set) => Report::new(&set).to_json(),
        Err(e) => format!("error: {e}"),
    };
    let normal = show(analyzer.analyze(&[path]));
    let reader = ShortReader::new(File::open(path).unwrap(), seed, max);
    let short = show(analyzer.analyze_reader(path, reader));
    (normal, short)
}

#[test]
fn short_reads_give_the_same_report_for_every_fixture_archive() {
    for (i, name) in fixture_files().iter().enumerate() {
        let path = fixture(name);
        for (seed, max) in [(1 + i as u64, 7), (99 + i as u64, 4099)] {
            let (normal, short) = normal_and_short(&path, seed, max);
            if name == "corrupt-diffid.tar" {
                assert!(normal.starts_with("error: ") && short.starts_with("error: "));
                assert!(normal.contains("diff_id mismatch"), "{normal}");
                assert!(short.contains("diff_id mismatch"), "{short}");
            } else {
                assert!(!normal.starts_with("error: "), "{name}: {normal}");
                pretty_assertions::assert_eq!(normal, short, "{name}, seed {seed}, max {max}");
            }
        }
    }
}

#[test]
fn short_reads_give_the_same_layer_report_for_tar_gzip_and_zstd() {
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let layer = layer_tar(&[
        ("etc/motd", b"hello"),
        ("usr/lib/big.bin", &big),
        ("a/.wh.b", b""),
        ("empty", b""),
    ]);
    let opts = Options::default();
    for stored in [layer.clone(), gzip(&layer), zstd(&layer)] {
        let normal = analyze_layer(&stored[..], &opts, &mut |_| {}).unwrap();
        for (seed, max) in [(3, 1), (5, 13), (8, 777)] {
            let mut seen = Vec::new();
            let short = analyze_layer(ShortReader::new(&stored[..], seed, max), &opts, &mut |r| {
                seen.push(r.path.clone())
            })
            .unwrap();
            assert_eq!(normal, short, "seed {seed}, max {max}");
            assert_eq!(seen.len(), 4);
        }
    }
}
