//! Analyse a set and write the reports a team would read: the self-contained HTML
//! report and one CSV table, both from the typed report.
//!
//! ```text
//! cargo run -p layerlens --example html_report -- out.html testdata/fixtures/forensics.tar
//! ```

use layerlens::present::{html, text};
use layerlens::{Analyzer, Options, Report, ReportOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().ok_or("usage: html_report OUT.html INPUT...")?;
    let inputs: Vec<String> = args.collect();
    let set = Analyzer::new(Options::default()).analyze(&inputs)?;
    // Each image's largest directories too: the treemap's data, only the HTML draws it.
    let report = Report::build(&set, &ReportOptions::default().top_dirs(true))?;
    std::fs::write(&out, html::render(&report))?;
    // Any table as CSV, or every table as aligned text.
    print!("{}", text::render_csv(&report, 10, Some("waste"))?);
    Ok(())
}
