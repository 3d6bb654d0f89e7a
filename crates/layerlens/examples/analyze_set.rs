//! Analyse a set of image archives and print, per image, its size and the bytes it
//! shares with the other images.
//!
//! ```text
//! cargo run -p layerlens --example analyze_set -- testdata/fixtures/legacy-two-images.tar
//! ```

use layerlens::present::human_size;
use layerlens::{Analyzer, Options, Report};

fn main() -> Result<(), layerlens::Error> {
    let inputs: Vec<String> = std::env::args().skip(1).collect();
    let set = Analyzer::new(Options::default()).analyze(&inputs)?;
    let report = Report::new(&set);
    for image in &report.images {
        println!(
            "{:<40} {:>10} total, {:>10} shared, {:>10} unique",
            image
                .refs
                .first()
                .map(String::as_str)
                .unwrap_or("<untagged>"),
            human_size(image.size),
            human_size(image.shared_size),
            human_size(image.unique_size)
        );
    }
    let t = report.totals;
    println!(
        "{} images: {} if summed, {} stored once",
        t.images,
        human_size(t.naive_size),
        human_size(t.dedup_size)
    );
    Ok(())
}
