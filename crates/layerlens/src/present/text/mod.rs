//! Every table of a report, once, as data ([`tables`]); rendered as aligned, optionally
//! coloured terminal text with proportion bars ([`render_text`]) or as CSV
//! ([`render_csv`]).
//!
//! Each table has one function that reads the typed [`Report`] and returns the table,
//! or `None` when the report has no data for it (no families, no attribution, ...);
//! [`TABLES`] lists them in order, and [`TABLE_NAMES`] (the CLI's `--table` values) is
//! derived from that list. The cell and table machinery is [`super::table`].
//!
//! `analyze` prints the first screen ([`render_screen`]) by default; every table
//! ([`render_text`], `--full`) or the named ones ([`render_sections`], `--section`) on
//! request.

mod attribution;
mod forensics;
mod screen;

pub use screen::{
    render_screen, render_sections, SCREEN_IMAGES, SCREEN_LINES, SCREEN_RECOMMENDATIONS,
};

use crate::attribution::Kind;
use crate::report::{ImageReport, Report};
use crate::Digest;

use super::short_command;
pub use super::table::{bar, table_csv, table_text, Cell, Table, TextOptions};

/// Builds one table of a report, `top` rows per ranked list; `None` when the report
/// has no data for it.
pub type TableFn = fn(&Report, usize) -> Option<Table>;

/// Every table of a report, in display order: its name and the function that builds
/// it (a table's `name` is the name it is listed under).
pub const TABLES: [(&str, TableFn); 16] = [
    ("images", forensics::images),
    ("layers", forensics::layers),
    ("ledger", forensics::ledger),
    ("families", forensics::families),
    ("near_shared", forensics::near_shared),
    ("waste", forensics::waste),
    ("top_waste", forensics::top_waste),
    ("duplicates", forensics::duplicates),
    ("findings", forensics::findings),
    ("by_origin", attribution::by_origin),
    ("by_kind", attribution::by_kind),
    ("packages", attribution::packages),
    ("set_packages", attribution::set_packages),
    ("recommendations", attribution::recommendations),
    ("reclaimable", attribution::reclaimable),
    ("summary", attribution::summary),
];

/// The names of every table [`tables`] can produce, in order.
pub const TABLE_NAMES: [&str; TABLES.len()] = {
    let mut names = [""; TABLES.len()];
    let mut i = 0;
    while i < TABLES.len() {
        names[i] = TABLES[i].0;
        i += 1;
    }
    names
};

/// The kinds of `by_kind`, in display order.
pub const KINDS: [Kind; 8] = [
    Kind::App,
    Kind::LanguageDeps,
    Kind::OsPackages,
    Kind::Toolchains,
    Kind::Docs,
    Kind::Caches,
    Kind::Wasted,
    Kind::Unowned,
];

/// An image's display name: its first ref, or its short id.
pub fn image_name(img: &ImageReport) -> String {
    match img.refs.first() {
        Some(r) => r.clone(),
        None => img.id.short().to_string(),
    }
}

/// The display name of the image of the report with this id.
fn name_of(report: &Report, id: &Digest) -> String {
    report
        .images
        .iter()
        .find(|i| &i.id == id)
        .map(image_name)
        .unwrap_or_else(|| id.short().to_string())
}

/// A history command, shortened; empty when there is none.
fn cmd(created_by: Option<&str>) -> String {
    created_by.map(short_command).unwrap_or_default()
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn joined<T: AsRef<str>>(items: &[T], sep: &str) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(sep)
}

/// `Some(table)` when it has rows.
fn unless_empty(t: Table) -> Option<Table> {
    (!t.rows.is_empty()).then_some(t)
}

/// Every table of the report, lists cut to `top` entries (per image where per image).
/// Tables whose data the report lacks are left out.
pub fn tables(report: &Report, top: usize) -> Vec<Table> {
    TABLES
        .iter()
        .filter_map(|(name, build)| {
            let t = build(report, top)?;
            debug_assert_eq!(t.name, *name);
            Some(t)
        })
        .collect()
}

/// How text builds the table `name`: as [`TABLES`] does, but the wasted paths,
/// duplicates and findings that several images share are listed once, with in how many
/// images they are.
fn text_build(name: &str, build: TableFn) -> TableFn {
    match name {
        "top_waste" => forensics::top_waste_once,
        "duplicates" => forensics::duplicates_once,
        "findings" => forensics::findings_once,
        _ => build,
    }
}

/// Every table of the report as text, separated by blank lines.
pub fn render_text(report: &Report, top: usize, o: &TextOptions) -> String {
    TABLES
        .iter()
        .filter_map(|(name, build)| text_build(name, *build)(report, top))
        .map(|t| table_text(&t, o))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The report as CSV. With `table`, that table alone (an error names the tables when
/// it is unknown; a known table the report lacks gives nothing). Without, every table,
/// each with its own header row and a leading `table` column, separated by a blank
/// line.
pub fn render_csv(report: &Report, top: usize, table: Option<&str>) -> Result<String, String> {
    match table {
        Some(name) => {
            let Some((_, build)) = TABLES.iter().find(|(n, _)| *n == name) else {
                return Err(format!(
                    "no table {name:?}; tables: {}",
                    TABLE_NAMES.join(", ")
                ));
            };
            Ok(build(report, top)
                .map(|t| table_csv(&t, false))
                .unwrap_or_default())
        }
        None => Ok(tables(report, top)
            .iter()
            .map(|t| table_csv(t, true))
            .collect::<Vec<_>>()
            .join("\r\n")),
    }
}

#[cfg(test)]
mod tests;
