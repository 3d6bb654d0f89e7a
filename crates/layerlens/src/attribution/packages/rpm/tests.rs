//! Tests: every reader against rpm's own view (expected files made by
//! `testdata/scripts/*.py` with Debian's rpm 4.18), plus malformed-input tests.

use std::path::PathBuf;

use super::*;

// ---------------------------------------------------------------- helpers

fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/rpm")
        .join(rel)
}

fn read_testdata(rel: &str) -> Vec<u8> {
    std::fs::read(testdata(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
}

/// rpm's listing; the large ones are stored gzipped (`NAME.gz`).
fn expected(name: &str) -> String {
    let gz = testdata(&format!("expected/{name}.gz"));
    if gz.exists() {
        let mut s = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap()),
            &mut s,
        )
        .unwrap();
        return s;
    }
    String::from_utf8(read_testdata(&format!("expected/{name}"))).unwrap()
}

/// A public sample (`shared/testdata/public/go-rpmdb/...`), found beside the checkout.
/// Missing samples fail under CI and skip (loudly) elsewhere.
fn public(rel: &str) -> Option<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // Beside the checkout: crates/layerlens is two levels down.
    for dir in [root.join("../../../shared/testdata/public")] {
        if dir.join("SOURCES.md").exists() {
            let p = dir.join("go-rpmdb").join(rel);
            return Some(
                std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display())),
            );
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("CI is set but the public samples are missing");
    }
    eprintln!("skipping: public samples not found");
    None
}

/// The canonical text form (as `testdata/scripts/rpm_oracle.py` renders rpm's output).
fn render(pkgs: &[RpmPackage]) -> String {
    let mut blocks: Vec<String> = pkgs
        .iter()
        .map(|p| {
            let mut s = format!(
                "{}\t{}\t{}\t{}\t{}\t{}\n",
                p.name,
                p.epoch.map(|e| e.to_string()).unwrap_or_default(),
                p.version,
                p.release,
                p.arch,
                p.files.len()
            );
            for f in &p.files {
                s.push_str(&format!("  {}\t{:o}\t{}\n", f.size, f.mode, f.path));
            }
            s
        })
        .collect();
    blocks.sort();
    blocks.concat()
}

fn assert_same(what: &str, got: &str, want: &str) {
    if got == want {
        return;
    }
    let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    let i = g
        .iter()
        .zip(&w)
        .position(|(a, b)| a != b)
        .unwrap_or(g.len().min(w.len()));
    panic!(
        "{what}: differs from rpm at line {} ({} vs {} lines)\n  got:  {:?}\n  want: {:?}",
        i + 1,
        g.len(),
        w.len(),
        g.get(i),
        w.get(i)
    );
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Invariants of any successful read.
fn check_invariants(pkgs: &[RpmPackage]) {
    for p in pkgs {
        for f in &p.files {
            assert!(!f.path.starts_with('/'), "{:?}", f.path);
            assert!(
                f.path
                    .split('/')
                    .all(|c| c != "." && c != ".." && (f.path.is_empty() || !c.is_empty())),
                "{:?}",
                f.path
            );
        }
    }
}

// ---------------------------------------------------------------- real databases vs rpm

#[test]
fn mariner_sqlite_matches_rpm() {
    let Some(db) = public("cbl-mariner-2.0/rpmdb.sqlite") else {
        return;
    };
    let pkgs = read_sqlite(&db, None).unwrap();
    assert_eq!(pkgs.len(), 129);
    // rpm lists rows in hnum order; so do we.
    assert_eq!(
        pkgs.iter()
            .take(3)
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["mariner-release", "filesystem", "glibc"]
    );
    assert_same(
        "cbl-mariner-2.0",
        &render(&pkgs),
        &expected("cbl-mariner-2.0.txt"),
    );
    assert_eq!(read_any(&db, None).unwrap().0, Backend::Sqlite);
}

#[test]
fn libuuid_bdb_matches_rpm() {
    let Some(db) = public("libuuid/Packages") else {
        return;
    };
    let pkgs = read_bdb(&db).unwrap();
    assert_eq!(pkgs.len(), 1);
    assert_eq!(pkgs[0].nevra(), "libuuid-2.32.1-42.el8_8.x86_64");
    assert_same("libuuid", &render(&pkgs), &expected("libuuid.txt"));
    assert_eq!(Backend::detect(&db), Some(Backend::BerkeleyDb));
}

#[test]
fn sle15_ndb_matches_rpm_reading_the_same_blobs() {
    let Some(db) = public("sle15-bci/Packages.db") else {
        return;
    };
    let pkgs = read_ndb(&db).unwrap();
    assert_eq!(pkgs.len(), 35);
    assert_same("sle15-bci", &render(&pkgs), &expected("sle15-bci.txt"));
    assert_eq!(Backend::detect(&db), Some(Backend::Ndb));
}

// ---------------------------------------------------------------- fixtures made with rpm

/// The WAL fixture: rpm installed alpha (main file), then beta, gamma and erased alpha
/// while a reader pinned the WAL. Each variant's expected output is rpm's listing of
/// the same bytes.
#[test]
fn wal_variants_match_rpm() {
    let db = read_testdata("fixtures/wal/rpmdb.sqlite");
    let wal = read_testdata("fixtures/wal/rpmdb.sqlite-wal");
    let variants = String::from_utf8(read_testdata("fixtures/wal/variants.tsv")).unwrap();
    let mut n = 0;
    for line in variants.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        let (name, wal_len, flip, exp) = (f[0], f[1], f[2].parse::<i64>().unwrap(), f[3]);
        let w: Option<Vec<u8>> = (wal_len != "-").then(|| {
            let mut w = wal[..wal_len.parse::<usize>().unwrap()].to_vec();
            if flip >= 0 {
                w[flip as usize] ^= 0x40;
            }
            w
        });
        let pkgs = read_sqlite(&db, w.as_deref()).unwrap_or_else(|e| panic!("variant {name}: {e}"));
        assert_same(
            &format!("wal variant {name}"),
            &render(&pkgs),
            &expected(exp),
        );
        n += 1;
    }
    assert_eq!(n, 11);
    // Sanity: the variants differ, so the WAL really is applied.
    assert_ne!(expected("wal.none.txt"), expected("wal.full.txt"));
}

#[test]
fn wal_without_its_database_is_refused() {
    // An empty main file with the fixture's WAL: the pages the WAL does not hold read
    // as zeros, which SQLite refuses as corrupt; an error, never a panic.
    let wal = read_testdata("fixtures/wal/rpmdb.sqlite-wal");
    assert!(read_sqlite(&[], Some(&wal)).is_err());
}

#[test]
fn bdb_fixtures_in_both_byte_orders_match_rpm() {
    for name in ["Packages-le", "Packages-be"] {
        let db = read_testdata(&format!("fixtures/bdb/{name}"));
        let pkgs = read_bdb(&db).unwrap();
        assert_eq!(pkgs.len(), 3, "{name}");
        assert_same(name, &render(&pkgs), &expected(&format!("bdb.{name}.txt")));
    }
}

/// Two slot pages, free slots, blobs in another order than their slots; expected is
/// rpm listing the same header blobs (Debian's rpm has no ndb backend).
#[test]
fn ndb_fixture_matches_rpm_reading_the_same_blobs() {
    let db = read_testdata("fixtures/ndb/Packages.db");
    let pkgs = read_ndb(&db).unwrap();
    assert_eq!(pkgs.len(), 3);
    assert_same(
        "ndb fixture",
        &render(&pkgs),
        &expected("ndb.Packages.db.txt"),
    );
    truncations_fail("ndb fixture", &db, &read_ndb, 16);
}

// ---------------------------------------------------------------- API details

#[test]
fn evr_and_nevra() {
    let mut p = RpmPackage {
        name: "beta".into(),
        epoch: Some(2),
        version: "0.9.1".into(),
        release: "3.test".into(),
        arch: "noarch".into(),
        files: vec![],
    };
    assert_eq!(p.evr(), "2:0.9.1-3.test");
    assert_eq!(p.nevra(), "beta-2:0.9.1-3.test.noarch");
    p.epoch = None;
    p.arch.clear();
    assert_eq!(p.evr(), "0.9.1-3.test");
    assert_eq!(p.nevra(), "beta-0.9.1-3.test");
}

#[test]
fn normalizes_paths_like_layerlens() {
    assert_eq!(normalize_path(b"/usr//bin/"), "usr/bin");
    assert_eq!(normalize_path(b"/a/./b/../c"), "a/c");
    assert_eq!(normalize_path(b"/../../secret"), "secret");
    assert_eq!(normalize_path(b"/"), "");
    assert_eq!(normalize_path(b"/a/\xffb"), "a/\u{fffd}b");
}

#[test]
fn detect_and_read_any_refuse_unknown_bytes() {
    assert_eq!(Backend::detect(b"hello"), None);
    assert!(matches!(
        read_any(b"hello", None),
        Err(RpmDbError::NotRecognized { .. })
    ));
    assert!(matches!(
        read_bdb(&[0u8; 4096]),
        Err(RpmDbError::NotRecognized { .. })
    ));
    assert!(matches!(
        read_ndb(&[0u8; 64]),
        Err(RpmDbError::NotRecognized { .. })
    ));
    assert!(matches!(
        read_sqlite(&[0u8; 4096], None),
        Err(RpmDbError::NotRecognized { .. })
    ));
}

// ---------------------------------------------------------------- synthetic headers

const BIN: u32 = 7;
const I16: u32 = 3;
const I32: u32 = 4;
const I64: u32 = 5;
const STR: u32 = 6;
const ARR: u32 = 8;

/// One tag: (tag, type, count, data).
type E = (i32, u32, u32, Vec<u8>);

fn s(tag: i32, v: &str) -> E {
    (tag, STR, 1, [v.as_bytes(), b"\0"].concat())
}
fn arr(tag: i32, v: &[&str]) -> E {
    (
        tag,
        ARR,
        v.len() as u32,
        v.iter()
            .flat_map(|x| [x.as_bytes(), b"\0"].concat())
            .collect(),
    )
}
fn i32s(tag: i32, v: &[u32]) -> E {
    (
        tag,
        I32,
        v.len() as u32,
        v.iter().flat_map(|x| x.to_be_bytes()).collect(),
    )
}
fn i16s(tag: i32, v: &[u16]) -> E {
    (
        tag,
        I16,
        v.len() as u32,
        v.iter().flat_map(|x| x.to_be_bytes()).collect(),
    )
}
fn i64s(tag: i32, v: &[u64]) -> E {
    (
        tag,
        I64,
        v.len() as u32,
        v.iter().flat_map(|x| x.to_be_bytes()).collect(),
    )
}

fn align(t: u32) -> usize {
    match t {
        I16 => 2,
        I32 => 4,
        I64 => 8,
        _ => 1,
    }
}

/// Build a blob: `region` entries inside an immutable region (when `Some`), then
/// `dribbles`, data laid out as rpm lays it out.
fn build(region: Option<&[E]>, dribbles: &[E]) -> Vec<u8> {
    let mut store = Vec::new();
    let mut index: Vec<(i32, u32, i32, u32)> = Vec::new();
    let put = |e: &E, store: &mut Vec<u8>, index: &mut Vec<(i32, u32, i32, u32)>| {
        while store.len() % align(e.1) != 0 {
            store.push(0);
        }
        index.push((e.0, e.1, store.len() as i32, e.2));
        store.extend_from_slice(&e.3);
    };
    if let Some(r) = region {
        index.push((63, BIN, 0, 16)); // offset patched below
        for e in r {
            put(e, &mut store, &mut index);
        }
        let trailer_at = store.len();
        index[0].2 = trailer_at as i32;
        let ril = (r.len() + 1) as i32;
        for v in [63u32, BIN, (-(ril * 16)) as u32, 16] {
            store.extend_from_slice(&v.to_be_bytes());
        }
    }
    for e in dribbles {
        put(e, &mut store, &mut index);
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(&(index.len() as u32).to_be_bytes());
    blob.extend_from_slice(&(store.len() as u32).to_be_bytes());
    for (t, ty, off, c) in &index {
        for v in [*t as u32, *ty, *off as u32, *c] {
            blob.extend_from_slice(&v.to_be_bytes());
        }
    }
    blob.extend_from_slice(&store);
    blob
}

fn basic_tags() -> Vec<E> {
    vec![
        s(1000, "pkg"),
        s(1001, "1.2"),
        s(1002, "3.fc40"),
        i32s(1003, &[7]),
        s(1022, "x86_64"),
        i32s(1028, &[10, 0, 4]),
        i16s(1030, &[0o100644, 0o040755, 0o120777]),
        i32s(1116, &[0, 1, 2]),
        arr(1117, &["a.txt", "dir", "link"]),
        arr(1118, &["/usr/share/pkg/", "/var/./lib/", "/opt/x/../y"]),
    ]
}

#[test]
fn synthetic_header_with_region() {
    let blob = build(Some(&basic_tags()), &[]);
    let p = parse_header(&blob).unwrap();
    assert_eq!(
        (
            p.name.as_str(),
            p.epoch,
            p.version.as_str(),
            p.release.as_str(),
            p.arch.as_str()
        ),
        ("pkg", Some(7), "1.2", "3.fc40", "x86_64")
    );
    assert_eq!(p.evr(), "7:1.2-3.fc40");
    let files: Vec<(&str, u64, u16)> = p
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.size, f.mode))
        .collect();
    assert_eq!(
        files,
        [
            ("usr/share/pkg/a.txt", 10, 0o100644),
            ("var/lib/dir", 0, 0o040755),
            ("opt/y/link", 4, 0o120777)
        ]
    );
    assert!(p.files[0].is_regular() && !p.files[1].is_regular());
}

#[test]
fn synthetic_header_without_region_and_without_files() {
    let tags = vec![s(1000, "gpg-pubkey"), s(1001, "abcd"), s(1002, "1234")];
    let p = parse_header(&build(None, &tags)).unwrap();
    assert_eq!((p.arch.as_str(), p.epoch, p.files.len()), ("", None, 0));
    assert_eq!(p.nevra(), "gpg-pubkey-abcd-1234");
}

#[test]
fn dribbles_override_the_region() {
    // rpm appends install-time tags after the region; a dribble with a region tag's
    // number replaces it.
    let blob = build(Some(&basic_tags()), &[s(1001, "9.9")]);
    assert_eq!(parse_header(&blob).unwrap().version, "9.9");
}

#[test]
fn long_file_sizes_win_and_old_filenames_work() {
    let mut tags = basic_tags();
    tags.push(i64s(5008, &[1 << 33, 0, 4]));
    let p = parse_header(&build(Some(&tags), &[])).unwrap();
    assert_eq!(p.files[0].size, 1 << 33);

    let tags = vec![
        s(1000, "old"),
        s(1001, "1"),
        s(1002, "1"),
        arr(1027, &["/etc/old.conf", "/bin/old"]),
        i32s(1028, &[1, 2]),
        i16s(1030, &[0o100644, 0o100755]),
    ];
    let p = parse_header(&build(None, &tags)).unwrap();
    assert_eq!(
        p.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["etc/old.conf", "bin/old"]
    );
}

fn header_err(blob: &[u8]) -> RpmDbError {
    match parse_header(blob) {
        Err(e) => e,
        Ok(p) => panic!("accepted a malformed header: {p:?}"),
    }
}

#[test]
fn malformed_headers_are_errors() {
    let good = build(Some(&basic_tags()), &[]);
    parse_header(&good).unwrap();
    // Every truncation, and a trailing byte.
    for n in 0..good.len() {
        header_err(&good[..n]);
    }
    header_err(&[good.as_slice(), &[0]].concat());

    let with = |f: &dyn Fn(&mut Vec<E>)| {
        let mut t = basic_tags();
        f(&mut t);
        build(Some(&t), &[])
    };
    // Count mismatches between the file-list tags.
    header_err(&with(&|t| t[5] = i32s(1028, &[1, 2])));
    header_err(&with(&|t| t[6] = i16s(1030, &[1])));
    header_err(&with(&|t| t[7] = i32s(1116, &[0, 1])));
    // Dir index out of range.
    header_err(&with(&|t| t[7] = i32s(1116, &[0, 1, 3])));
    // Missing required tags, wrong types.
    header_err(&with(&|t| {
        t.remove(0);
    }));
    header_err(&with(&|t| t[0] = i32s(1000, &[1])));
    header_err(&with(&|t| t[5] = i16s(1028, &[1, 2, 3])));
    // Files without sizes or modes.
    header_err(&with(&|t| {
        t.remove(5);
    }));
    // STRING with count 2, a string without its NUL, a tag below 100, an unknown type.
    header_err(&with(&|t| t[1].2 = 2));
    header_err(&build(None, &[(1000, STR, 1, b"abc".to_vec())]));
    header_err(&build(None, &[s(99, "x"), s(1000, "a")]));
    header_err(&build(None, &[(1000, 10, 1, vec![0; 4])]));

    // Index-level damage on a valid blob.
    let patch = |at: usize, v: u32| {
        let mut b = good.clone();
        b[at..at + 4].copy_from_slice(&v.to_be_bytes());
        b
    };
    let entry = |i: usize, field: usize| 8 + 16 * i + 4 * field;
    header_err(&patch(0, 0)); // il = 0
    header_err(&patch(0, 0xffff)); // il far beyond the blob (no huge allocation)
    header_err(&patch(0, u32::MAX));
    header_err(&patch(4, u32::MAX)); // dl
    header_err(&patch(entry(4, 2), 1)); // EPOCH (int32) at a misaligned offset
    header_err(&patch(entry(2, 2), 0)); // VERSION overlaps NAME
    header_err(&patch(entry(2, 2), u32::MAX)); // negative offset
    header_err(&patch(entry(9, 3), 1 << 30)); // BASENAMES count far beyond the data
    header_err(&patch(entry(0, 2), 3)); // region trailer offset
    header_err(&patch(entry(0, 3), 17)); // region count
    let dl = u32::from_be_bytes(good[4..8].try_into().unwrap()) as usize;
    let trailer = 8 + 16 * 11 + dl - 16;
    let mut b = good.clone();
    b[trailer + 8..trailer + 12].copy_from_slice(&(-(16 * 40i32)).to_be_bytes());
    header_err(&b); // region covers more entries than exist
}

#[test]
fn path_amplification_is_bounded() {
    // 60 000 files all in one 2 KiB directory: 64 KiB of indexes would expand to
    // 120 MiB of paths. The budget stops it.
    let n = 60_000usize;
    let long = format!("/{}/", "d".repeat(2048));
    let names: Vec<String> = (0..n).map(|i| format!("{i:x}")).collect();
    let tags = vec![
        s(1000, "bomb"),
        s(1001, "1"),
        s(1002, "1"),
        i32s(1028, &vec![0; n]),
        i16s(1030, &vec![0o100644; n]),
        i32s(1116, &vec![0; n]),
        arr(1117, &names.iter().map(String::as_str).collect::<Vec<_>>()),
        arr(1118, &[long.as_str()]),
    ];
    let blob = build(Some(&tags), &[]);
    assert!(
        matches!(parse_header(&blob), Err(RpmDbError::LimitExceeded { .. })),
        "{:?}",
        parse_header(&blob).map(|p| p.files.len())
    );
}

// ---------------------------------------------------------------- malformed databases

/// A reader under test.
type Reader<'a> = dyn Fn(&[u8]) -> Result<Vec<RpmPackage>, RpmDbError> + 'a;

/// Truncations at many points must be errors; returns how many were tried.
fn truncations_fail(name: &str, db: &[u8], read: &Reader, step: usize) -> usize {
    let mut n = 0;
    let mut cut = 0;
    while cut < db.len() {
        if let Ok(p) = read(&db[..cut]) {
            panic!(
                "{name}: truncated to {cut} of {} bytes, read {} packages",
                db.len(),
                p.len()
            );
        }
        n += 1;
        cut += step;
    }
    // And the last few bytes one by one.
    for cut in db.len().saturating_sub(64)..db.len() {
        assert!(read(&db[..cut]).is_err(), "{name}: truncated to {cut}");
        n += 1;
    }
    n
}

/// Random single-bit flips: never a panic; returns (errors, oks).
fn bit_flips(db: &[u8], read: &Reader, count: usize, seed: u64) -> (usize, usize) {
    let mut rng = Rng(seed);
    let mut buf = db.to_vec();
    let (mut errs, mut oks) = (0, 0);
    for _ in 0..count {
        let at = rng.below(buf.len());
        let bit = 1u8 << rng.below(8);
        buf[at] ^= bit;
        match read(&buf) {
            Ok(p) => {
                check_invariants(&p);
                oks += 1
            }
            Err(_) => errs += 1,
        }
        buf[at] ^= bit;
    }
    (errs, oks)
}

#[test]
fn truncated_databases_are_errors() {
    let sqlite = |b: &[u8]| read_sqlite(b, None);
    let wal_db = read_testdata("fixtures/wal/rpmdb.sqlite");
    truncations_fail("wal fixture main", &wal_db, &sqlite, 97);
    for name in ["Packages-le", "Packages-be"] {
        truncations_fail(
            name,
            &read_testdata(&format!("fixtures/bdb/{name}")),
            &read_bdb,
            13,
        );
    }
    if let Some(db) = public("cbl-mariner-2.0/rpmdb.sqlite") {
        truncations_fail("mariner", &db, &sqlite, 65_537);
    }
    if let Some(db) = public("libuuid/Packages") {
        truncations_fail("libuuid", &db, &read_bdb, 1001);
    }
    if let Some(db) = public("sle15-bci/Packages.db") {
        truncations_fail("sle15", &db, &read_ndb, 7919);
    }
}

#[test]
fn bit_flipped_databases_never_panic() {
    let wal_db = read_testdata("fixtures/wal/rpmdb.sqlite");
    let wal = read_testdata("fixtures/wal/rpmdb.sqlite-wal");
    let r = bit_flips(&wal_db, &|b| read_sqlite(b, Some(&wal)), 300, 1);
    eprintln!("wal fixture db flips: {r:?} (errors, oks)");
    let r = bit_flips(&wal, &|b| read_sqlite(&wal_db, Some(b)), 300, 2);
    eprintln!("wal fixture -wal flips: {r:?}");
    for name in ["Packages-le", "Packages-be"] {
        let r = bit_flips(
            &read_testdata(&format!("fixtures/bdb/{name}")),
            &read_bdb,
            2000,
            3,
        );
        eprintln!("{name} flips: {r:?}");
    }
    if let Some(db) = public("libuuid/Packages") {
        let r = bit_flips(&db, &read_bdb, 2000, 4);
        eprintln!("libuuid flips: {r:?}");
    }
    if let Some(db) = public("sle15-bci/Packages.db") {
        // Every used byte of an ndb file is under a magic, a range check or the adler32.
        let r = bit_flips(&db, &read_ndb, 300, 5);
        eprintln!("sle15 flips: {r:?}");
    }
    if let Some(db) = public("cbl-mariner-2.0/rpmdb.sqlite") {
        let r = bit_flips(&db, &|b| read_sqlite(b, None), 40, 6);
        eprintln!("mariner flips: {r:?}");
    }
}

/// The first off-page item of a Berkeley DB fixture: (page size, chain page numbers).
fn first_overflow_chain(db: &[u8], big: bool) -> (usize, Vec<usize>) {
    let rd32 = |at: usize| {
        let b: [u8; 4] = db[at..at + 4].try_into().unwrap();
        (if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }) as usize
    };
    let rd16 = |at: usize| {
        let b: [u8; 2] = db[at..at + 2].try_into().unwrap();
        (if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }) as usize
    };
    let ps = rd32(20);
    for p in 1..db.len() / ps {
        let s = p * ps;
        if db[s + 25] != 13 && db[s + 25] != 2 {
            continue;
        }
        for i in 0..rd16(s + 20) {
            let off = s + rd16(s + 26 + 2 * i);
            if db[off] == 3 {
                let mut chain = vec![rd32(off + 4)];
                while rd32(chain.last().unwrap() * ps + 16) != 0 {
                    chain.push(rd32(chain.last().unwrap() * ps + 16));
                }
                return (ps, chain);
            }
        }
    }
    panic!("no off-page item");
}

#[test]
fn overflow_chain_loops_and_bad_links_terminate_with_errors() {
    for (name, big) in [("Packages-le", false), ("Packages-be", true)] {
        let db = read_testdata(&format!("fixtures/bdb/{name}"));
        let (ps, chain) = first_overflow_chain(&db, big);
        assert!(
            chain.len() >= 3,
            "the fixture's headers span several 512-byte pages"
        );
        let put = |b: &mut Vec<u8>, at: usize, v: u32| {
            b[at..at + 4].copy_from_slice(&if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            })
        };
        let last = *chain.last().unwrap();
        let cases: Vec<(&str, usize, u32)> = vec![
            (
                "loop back to the first page",
                last * ps + 16,
                chain[0] as u32,
            ),
            ("loop to itself", chain[1] * ps + 16, chain[1] as u32),
            ("next page out of range", chain[0] * ps + 16, 1_000_000),
            (
                "next page is the metadata page",
                chain[0] * ps + 16,
                0xffff_ffff,
            ),
            ("wrong prev link", chain[1] * ps + 12, 0),
            ("length overflows the page", chain[0] * ps + 22, 0xffff),
            ("page number mismatch", chain[0] * ps + 8, 1),
            ("last page in the metadata beyond the file", 32, 100_000),
        ];
        for (what, at, v) in cases {
            let mut b = db.clone();
            if what == "length overflows the page" {
                b[at..at + 2].copy_from_slice(&[0xff, 0xff]);
            } else {
                put(&mut b, at, v);
            }
            let t = std::time::Instant::now();
            let r = read_bdb(&b);
            assert!(r.is_err(), "{name}: {what}: read {:?}", r.map(|p| p.len()));
            assert!(
                t.elapsed().as_secs() < 2,
                "{name}: {what}: took {:?}",
                t.elapsed()
            );
        }
    }
}

#[test]
fn ndb_slot_damage_is_an_error() {
    let Some(db) = public("sle15-bci/Packages.db") else {
        return;
    };
    let le = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    // The first two used slots.
    let used: Vec<usize> = (32..4096)
        .step_by(16)
        .filter(|&at| le(&db, at + 8) != 0)
        .take(2)
        .collect();
    let (a, b) = (used[0], used[1]);
    let mut d = db.clone();
    d[b + 8..b + 12].copy_from_slice(&db[a + 8..a + 12]); // two slots, one blob: overlap
    assert!(read_ndb(&d).is_err());
    let mut d = db.clone();
    d[b + 4..b + 8].copy_from_slice(&db[a + 4..a + 8]); // duplicate package index
    assert!(read_ndb(&d).is_err());
    let mut d = db.clone();
    d[a..a + 4].copy_from_slice(b"Slop");
    assert!(read_ndb(&d).is_err());
    let mut d = db.clone();
    d[12..16].copy_from_slice(&u32::MAX.to_le_bytes()); // slot pages beyond the file
    assert!(read_ndb(&d).is_err());
    let mut d = db.clone();
    let blob = le(&db, a + 8) as usize * 16;
    d[blob + 100] ^= 1; // inside a blob: adler32
    assert!(matches!(read_ndb(&d), Err(RpmDbError::Corrupt { .. })));
}

#[test]
fn sqlite_refuses_what_is_not_an_rpmdb() {
    // A valid SQLite database without a Packages table, and one whose Packages is a
    // view: built in memory with rusqlite, serialized, read back.
    let make = |sql: &str| -> Vec<u8> {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch(sql).unwrap();
        c.serialize("main").unwrap().to_vec()
    };
    let no_table = make("CREATE TABLE t (x);");
    assert!(matches!(
        read_sqlite(&no_table, None),
        Err(RpmDbError::Corrupt { .. })
    ));
    let view = make("CREATE TABLE t (hnum INTEGER PRIMARY KEY, blob BLOB); CREATE VIEW Packages AS SELECT * FROM t;");
    assert!(read_sqlite(&view, None).is_err());
    let generated = make("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, x BLOB, blob BLOB AS (zeroblob(1000000000)));\
                          INSERT INTO Packages (hnum, x) VALUES (1, x'00');");
    assert!(read_sqlite(&generated, None).is_err());
    let text = make(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);\
                     INSERT INTO Packages (blob) VALUES ('not a blob');",
    );
    assert!(matches!(
        read_sqlite(&text, None),
        Err(RpmDbError::Corrupt { .. })
    ));
    let bad_header = make(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);\
                           INSERT INTO Packages (blob) VALUES (x'0000000100000000');",
    );
    assert!(matches!(
        read_sqlite(&bad_header, None),
        Err(RpmDbError::Record {
            backend: Backend::Sqlite,
            key: 1,
            ..
        })
    ));
    let empty =
        make("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);");
    assert_eq!(read_sqlite(&empty, None).unwrap(), vec![]);
}

// ---------------------------------------------------------------- fuzz-style loop

/// One mutation of `seed` (bit flips, interesting values, truncation, splices).
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        if b.is_empty() {
            b.push(rng.next() as u8);
            continue;
        }
        let at = rng.below(b.len());
        match rng.below(7) {
            0 => b[at] ^= 1 << rng.below(8),
            1 => b[at] = [0, 1, 0x7f, 0x80, 0xff][rng.below(5)],
            2 => {
                let v: [u8; 4] = [0u32, 1, 0xffff_ffff, 0x8000_0000, 16, 4096, 0x7fff_ffff]
                    [rng.below(7)]
                .to_le_bytes();
                let end = (at + 4).min(b.len());
                b[at..end].copy_from_slice(&v[..end - at]);
            }
            3 => b.truncate(at),
            4 => {
                let from = rng.below(b.len());
                let len = rng.below(64).min(b.len() - from);
                let chunk = b[from..from + len].to_vec();
                b.splice(at..at, chunk);
            }
            5 => {
                let end = (at + rng.below(64)).min(b.len());
                b.drain(at..end);
            }
            _ => {
                let v = (rng.next() as u32).to_be_bytes();
                let end = (at + 4).min(b.len());
                b[at..end].copy_from_slice(&v[..end - at]);
            }
        }
    }
    b
}

/// Header blobs to fuzz from: those of the fixtures.
fn header_seeds() -> Vec<Vec<u8>> {
    let mut db = read_testdata("fixtures/wal/rpmdb.sqlite");
    db[18] = 1; // WAL mode → rollback journal, or the in-memory VFS refuses it
    db[19] = 1;
    let mut c = rusqlite::Connection::open_in_memory().unwrap();
    c.deserialize_read_exact("main", &db[..], db.len(), true)
        .unwrap();
    let mut st = c.prepare("SELECT blob FROM Packages").unwrap();
    let v: Vec<Vec<u8>> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!v.is_empty());
    v
}

/// Runs `fuzz_all` on random and mutated inputs. Iterations: `RPMDB_FUZZ_ITERS`
/// (default 3000, a few seconds in debug builds); run it with a large count in
/// release mode for a real soak (see testdata/README.md).
#[test]
fn fuzz_all_never_panics() {
    let iters: usize = std::env::var("RPMDB_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let mut seeds: Vec<Vec<u8>> = header_seeds();
    seeds.push(read_testdata("fixtures/bdb/Packages-le"));
    seeds.push(read_testdata("fixtures/bdb/Packages-be"));
    seeds.push(read_testdata("fixtures/ndb/Packages.db"));
    let db = read_testdata("fixtures/wal/rpmdb.sqlite");
    let wal = read_testdata("fixtures/wal/rpmdb.sqlite-wal");
    // db + wal concatenated: fuzz_all splits at a point chosen by the first byte.
    seeds.push(db.clone());
    seeds.push([db.as_slice(), wal.as_slice()].concat());
    let mut rng = Rng(0x5eed);
    let mut slowest = std::time::Duration::ZERO;
    for i in 0..iters {
        let input = match i % 8 {
            0 => (0..rng.below(2048)).map(|_| rng.next() as u8).collect(),
            _ => {
                let s = &seeds[rng.below(seeds.len())];
                mutate(&mut rng, s)
            }
        };
        let t = std::time::Instant::now();
        fuzz_all(&input);
        if i % 8 == 7 {
            // A damaged -wal beside an intact database.
            let _ = read_sqlite(&db, Some(&mutate(&mut rng, &wal)));
        }
        slowest = slowest.max(t.elapsed());
    }
    eprintln!("fuzz_all: {iters} inputs, slowest {slowest:?}");
}
