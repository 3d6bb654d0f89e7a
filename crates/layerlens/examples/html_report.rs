//! Analyse a set and write the reports a team would read: the self-contained HTML
//! report and one CSV table. The HTML renderer takes the report as JSON, so fields a
//! newer library adds appear without changing this code.
//!
//! ```text
//! cargo run -p layerlens --example html_report -- out.html testdata/fixtures/forensics.tar
//! ```

use layerlens::present::{html, text};
use layerlens::{Analyzer, Options, Report};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().ok_or("usage: html_report OUT.html INPUT...")?;
    let inputs: Vec<String> = args.collect();
    let set = Analyzer::new(Options::default()).analyze(&inputs)?;
    let report = Report::new(&set);
    // The report as JSON plus each image's largest directories (the treemap's data).
    let value = html::report_value(&report, &set);
    std::fs::write(&out, html::render(&value))?;
    // Any table as CSV, or every table as aligned text.
    print!("{}", text::render_csv(&value, 10, Some("waste"))?);
    Ok(())
}
