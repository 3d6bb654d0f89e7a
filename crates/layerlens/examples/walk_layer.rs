//! Stream the entries of one layer blob (plain tar, gzip or zstd) without keeping them,
//! and print the ten largest files.
//!
//! ```text
//! cargo run -p layerlens --example walk_layer -- path/to/layer.tar.gz
//! ```

use std::fs::File;
use std::io::BufReader;

use layerlens::present::human_size;
use layerlens::{analyze_layer, EntryKind, KeepFiles, Options};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: walk_layer LAYER")?;
    let opts = Options::default().keep_files(KeepFiles::No);
    let mut largest: Vec<(u64, String)> = Vec::new();
    let reader = BufReader::new(File::open(&path)?);
    let report = analyze_layer(reader, &opts, &mut |record| {
        if record.kind == EntryKind::Regular {
            largest.push((record.size, record.path.clone()));
            largest.sort_unstable_by(|a, b| b.cmp(a));
            largest.truncate(10);
        }
    })?;
    println!(
        "{path}: diff_id {}, {:?}, {} entries, {} of file content",
        report.diff_id,
        report.compression,
        report.counts.total(),
        human_size(report.content_size)
    );
    for (size, path) in largest {
        println!("{:>10}  {path}", human_size(size));
    }
    Ok(())
}
