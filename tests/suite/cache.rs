//! The layer cache (`Options::cache`): hits skip reading, and an entry that is corrupt,
//! of another version or for another key is ignored and rebuilt, never trusted.

use std::path::{Path, PathBuf};

use layerlens::{Analyzer, Error, Options, Report};
use layerlens_testtools::synth::{generate, SynthFormat, SynthOptions};

use crate::common::scratch;

fn run(input: &Path, cache: Option<&Path>) -> Result<String, Box<Error>> {
    let opts = {
        let mut o = Options::default();
        o.cache = cache.map(Path::to_path_buf);
        o
    };
    let set = Analyzer::new(opts)
        .analyze(&[input.to_string_lossy()])
        .map_err(Box::new)?;
    Ok(Report::new(&set).to_json())
}

/// A small fleet, and a copy whose largest layer has one byte changed (in the tar's
/// end-of-archive padding, so it still parses but no longer matches its diff_id).
fn fleet(dir: &Path) -> (PathBuf, PathBuf) {
    let good = dir.join("fleet.tar");
    generate(&good, &SynthOptions::new(2 << 20, SynthFormat::Docker)).unwrap();
    let mut bytes = std::fs::read(&good).unwrap();
    let mut archive = tar::Archive::new(std::fs::File::open(&good).unwrap());
    let (offset, len) = archive
        .entries_with_seek()
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path_bytes().ends_with(b"layer.tar"))
        .map(|e| (e.raw_file_position(), e.size()))
        .max_by_key(|&(_, len)| len)
        .unwrap();
    bytes[(offset + len - 1) as usize] ^= 1;
    let bad = dir.join("tampered.tar");
    std::fs::write(&bad, bytes).unwrap();
    (good, bad)
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cache.join("v4"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn hits_give_the_same_report_without_reading_layers() {
    let dir = scratch("cache-hits");
    let (good, bad) = fleet(&dir);
    let cache = dir.join("cache");
    let plain = run(&good, None).unwrap();
    assert_eq!(run(&good, Some(&cache)).unwrap(), plain, "miss");
    assert_eq!(entries(&cache).len(), 37, "one entry per distinct layer");
    assert_eq!(run(&good, Some(&cache)).unwrap(), plain, "hit");
    // Without the cache the changed byte is caught; with it the layer is not read at all:
    // a hit trusts content addressing (diff_id, stored digest and size).
    assert!(run(&bad, None).unwrap_err().is_integrity());
    assert!(run(&bad, Some(&cache)).is_ok());
}

#[test]
fn corrupt_old_and_misplaced_entries_are_ignored_and_rebuilt() {
    let dir = scratch("cache-corrupt");
    let (good, bad) = fleet(&dir);
    let plain = run(&good, None).unwrap();
    type Damage = fn(&mut Vec<u8>, &[u8]);
    let damages: [(&str, Damage); 4] = [
        ("flipped body byte", |b, _| {
            let i = b.len() / 2;
            b[i] ^= 0x20;
        }),
        ("truncated", |b, _| b.truncate(b.len() / 3)),
        ("older version", |b, _| {
            let text = String::from_utf8(b.clone()).unwrap();
            *b = text
                .replacen("layerlens-cache v4", "layerlens-cache v3", 1)
                .into_bytes();
        }),
        // A valid entry, but for another layer: its checksum holds, its key does not.
        ("another layer's entry", |b, other| *b = other.to_vec()),
    ];
    for (what, damage) in damages {
        let cache = dir.join(format!("cache-{}", what.replace(' ', "-")));
        run(&good, Some(&cache)).unwrap();
        let all = entries(&cache);
        let pristine: Vec<Vec<u8>> = all.iter().map(|p| std::fs::read(p).unwrap()).collect();
        for (i, p) in all.iter().enumerate() {
            let mut bytes = pristine[i].clone();
            damage(&mut bytes, &pristine[(i + 1) % pristine.len()]);
            std::fs::write(p, bytes).unwrap();
        }
        // Every entry is ignored: the tampered layer is read, and caught.
        assert!(
            run(&bad, Some(&cache)).unwrap_err().is_integrity(),
            "{what}"
        );
        // And rebuilt from the good archive, to the same bytes as before.
        assert_eq!(run(&good, Some(&cache)).unwrap(), plain, "{what}");
        for (i, p) in all.iter().enumerate() {
            assert!(
                std::fs::read(p).unwrap() == pristine[i],
                "{what}: {p:?} not rebuilt"
            );
        }
    }
}

fn run_report(input: &Path, cache: Option<&Path>, base: Option<&str>) -> String {
    let opts = {
        let mut o = Options::default();
        o.cache = cache.map(Path::to_path_buf);
        o
    };
    let mut ro = layerlens::ReportOptions::default();
    if let Some(b) = base {
        ro = ro.base(b);
    }
    Analyzer::new(opts)
        .analyze_report(&[input.to_string_lossy()], &ro)
        .unwrap()
        .to_json()
}

/// The whole report is kept too: the same set again comes back byte-identical (floats
/// included), and another set, other options or changed metadata under the same input
/// name miss.
#[test]
fn a_cached_report_is_the_same_report_and_changes_miss_it() {
    let dir = scratch("cache-reports");
    let (good, _) = fleet(&dir);
    let cache = dir.join("cache");
    let plain = run_report(&good, None, None);
    assert_eq!(run_report(&good, Some(&cache), None), plain, "first run");
    let reports = || std::fs::read_dir(cache.join("reports")).unwrap().count();
    assert_eq!(reports(), 1);
    assert_eq!(
        run_report(&good, Some(&cache), None),
        plain,
        "from the cache"
    );
    assert_eq!(reports(), 1, "a hit writes nothing");
    // Other report options: another entry.
    let base = "fleet/svc-00:1.0";
    let with_base = run_report(&good, Some(&cache), Some(base));
    assert_eq!(with_base, run_report(&good, None, Some(base)));
    assert_eq!(reports(), 2);
    // Another archive under the same name: its own report, not the cached one.
    let other = dir.join("other.tar");
    generate(
        &other,
        &SynthOptions {
            seed: 99,
            ..SynthOptions::new(2 << 20, SynthFormat::Docker)
        },
    )
    .unwrap();
    std::fs::copy(&other, &good).unwrap();
    let fresh = run_report(&good, None, None);
    assert_ne!(fresh, plain);
    assert_eq!(run_report(&good, Some(&cache), None), fresh);
    assert_eq!(reports(), 3);
}
