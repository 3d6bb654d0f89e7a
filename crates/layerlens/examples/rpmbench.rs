//! Time each reader on the public samples and fixtures (median of 31 runs), and report
//! the largest path-bytes / header-bytes ratio of the Mariner headers.
//! `cargo run --release -p layerlens --example rpmbench [PUBLIC_DIR]`
use std::time::{Duration, Instant};

use layerlens::attribution::packages::rpm::{
    parse_header, read_bdb, read_ndb, read_sqlite, RpmPackage,
};

fn median(mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut v = Vec::new();
    let mut n = 0;
    for _ in 0..31 {
        let t = Instant::now();
        n = f();
        v.push(t.elapsed());
    }
    v.sort();
    (v[15], n)
}

/// (name, bytes, read).
type Case<'a> = (&'a str, usize, Box<dyn Fn() -> Vec<RpmPackage> + 'a>);

fn files(p: &[RpmPackage]) -> usize {
    p.iter().map(|p| p.files.len()).sum()
}

fn main() {
    let public = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/work/shared/testdata/public/go-rpmdb".into());
    let td = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/rpm/fixtures");
    let rd = |p: String| std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    let mariner = rd(format!("{public}/cbl-mariner-2.0/rpmdb.sqlite"));
    let uuid = rd(format!("{public}/libuuid/Packages"));
    let sle = rd(format!("{public}/sle15-bci/Packages.db"));
    let wdb = rd(format!("{td}/wal/rpmdb.sqlite"));
    let wal = rd(format!("{td}/wal/rpmdb.sqlite-wal"));
    let bdb = rd(format!("{td}/bdb/Packages-le"));
    let cases: Vec<Case> = vec![
        (
            "cbl-mariner-2.0/rpmdb.sqlite",
            mariner.len(),
            Box::new(|| read_sqlite(&mariner, None).unwrap()),
        ),
        (
            "libuuid/Packages (bdb)",
            uuid.len(),
            Box::new(|| read_bdb(&uuid).unwrap()),
        ),
        (
            "sle15-bci/Packages.db (ndb)",
            sle.len(),
            Box::new(|| read_ndb(&sle).unwrap()),
        ),
        (
            "fixtures/wal (sqlite + 80-frame -wal)",
            wdb.len() + wal.len(),
            Box::new(|| read_sqlite(&wdb, Some(&wal)).unwrap()),
        ),
        (
            "fixtures/bdb/Packages-le",
            bdb.len(),
            Box::new(|| read_bdb(&bdb).unwrap()),
        ),
    ];
    println!("| database | bytes | packages | files | median read |");
    println!("|---|---:|---:|---:|---:|");
    for (name, len, f) in &cases {
        let (d, _) = median(|| f().len());
        let p = f();
        println!(
            "| {name} | {len} | {} | {} | {:.2} ms |",
            p.len(),
            files(&p),
            d.as_secs_f64() * 1e3
        );
    }

    // Path expansion of real headers (for the output budget in header.rs).
    let mut img = mariner.clone();
    img[18] = 1;
    img[19] = 1;
    let mut c = rusqlite::Connection::open_in_memory().unwrap();
    c.deserialize_read_exact("main", &img[..], img.len(), true)
        .unwrap();
    let mut st = c.prepare("SELECT blob FROM Packages").unwrap();
    let blobs: Vec<Vec<u8>> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut worst = (0.0f64, String::new());
    let t = Instant::now();
    for b in &blobs {
        let p = parse_header(b).unwrap();
        let bytes: usize = p.files.iter().map(|f| f.path.len() + 1).sum();
        let r = bytes as f64 / b.len() as f64;
        if r > worst.0 {
            worst = (r, p.name.clone());
        }
    }
    println!(
        "\nparse_header over the {} Mariner blobs: {:?}",
        blobs.len(),
        t.elapsed()
    );
    println!(
        "largest path bytes / blob bytes: {:.2} ({})",
        worst.0, worst.1
    );
}
