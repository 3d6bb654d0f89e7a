//! Print a database's packages in the canonical text form the tests compare:
//! `rpmdump FILE [WAL]` (backend chosen by magic bytes).
use layerlens::attribution::packages::rpm::{read_any, RpmPackage};

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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let db = std::fs::read(&args[1]).expect("read db");
    let wal = args.get(2).map(|p| std::fs::read(p).expect("read wal"));
    let t = std::time::Instant::now();
    match read_any(&db, wal.as_deref()) {
        Ok((b, pkgs)) => {
            eprintln!("{b}: {} packages in {:?}", pkgs.len(), t.elapsed());
            print!("{}", render(&pkgs));
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
