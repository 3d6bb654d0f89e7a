//! The table model every tabular view shares: a [`Table`] of typed [`Cell`]s, drawn as
//! aligned, optionally coloured terminal text ([`table_text`]) or written as CSV
//! ([`table_csv`]). What goes into the tables of a report is [`super::text`]'s business.

use std::fmt::Write as _;

use super::{fit, grouped, human_size};

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Free text.
    Text(String),
    /// A byte count: human units in text (exact with `exact_bytes`), exact in CSV.
    Bytes(u64),
    /// A plain count.
    Count(u64),
    /// A ratio, 0..1: a percentage in text, a decimal in CSV.
    Ratio(f64),
    /// A proportion bar, 0..1: drawn with block characters in text, a decimal in CSV.
    Bar(f64),
}

/// One table: a stable `name` (the CSV `--table` key), a title, column names and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Stable key, e.g. `images`, `top_waste`.
    pub name: &'static str,
    /// Section title shown above the table in text.
    pub title: String,
    /// Column names (lower_snake_case; upper-cased in text).
    pub columns: Vec<&'static str>,
    /// Columns left out of the text table (long commands, full digests); CSV has all.
    pub csv_only: Vec<&'static str>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
    /// Lines printed under the table in text (totals, notes, legends); not in CSV.
    pub footer: Vec<String>,
    /// In text, show the first column only when it changes (grouped rows).
    pub group_first: bool,
}

impl Table {
    /// A table with no `csv_only` columns, no footer and no grouping.
    pub fn new(
        name: &'static str,
        title: impl Into<String>,
        columns: Vec<&'static str>,
        rows: Vec<Vec<Cell>>,
    ) -> Table {
        Table {
            name,
            title: title.into(),
            columns,
            csv_only: Vec::new(),
            rows,
            footer: Vec::new(),
            group_first: false,
        }
    }

    /// These columns in CSV only.
    pub fn csv_only(mut self, columns: Vec<&'static str>) -> Table {
        self.csv_only = columns;
        self
    }

    /// These lines under the table in text.
    pub fn footer(mut self, lines: Vec<String>) -> Table {
        self.footer = lines;
        self
    }

    /// The first column shown only when it changes.
    pub fn grouped(mut self) -> Table {
        self.group_first = true;
        self
    }
}

/// How [`table_text`] draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// Columns available (72 at least).
    pub width: usize,
    /// Exact byte counts (`1,234,567`) instead of human units (`1.2 MB`).
    pub exact_bytes: bool,
    /// ANSI colours.
    pub color: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            width: 100,
            exact_bytes: false,
            color: false,
        }
    }
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const TITLE: &str = "\x1b[1;36m";
const DIM: &str = "\x1b[2m";
const BAR: &str = "\x1b[32m";

/// Width of a proportion bar, in cells.
const BAR_WIDTH: usize = 20;
/// Text columns other than the last are cut to this many characters.
const TEXT_COLUMN_CAP: usize = 32;

/// A proportion bar `width` cells wide, in eighths of a block.
pub fn bar(fraction: f64, width: usize) -> String {
    const PARTS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    let f = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let eighths = (f * (width * 8) as f64).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if eighths % 8 > 0 {
        s.push(PARTS[eighths % 8 - 1]);
    }
    s
}

fn text_cell(c: &Cell, o: &TextOptions) -> String {
    match c {
        Cell::Text(t) => t.replace(['\n', '\t'], " "),
        Cell::Bytes(b) if o.exact_bytes => grouped(*b),
        Cell::Bytes(b) => human_size(*b),
        Cell::Count(n) => n.to_string(),
        Cell::Ratio(r) => format!("{:.1}%", r * 100.0),
        Cell::Bar(f) => bar(*f, BAR_WIDTH),
    }
}

/// The cells of the shown columns as text; a grouped first column blank where it
/// repeats the row above.
fn text_cells(t: &Table, shown: &[usize], o: &TextOptions) -> Vec<Vec<String>> {
    t.rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            shown
                .iter()
                .map(|&k| {
                    if k == 0 && t.group_first && r > 0 && t.rows[r - 1][0] == row[0] {
                        String::new()
                    } else {
                        text_cell(&row[k], o)
                    }
                })
                .collect()
        })
        .collect()
}

/// Whether shown column `k` holds cells of this kind (judged by the first row).
fn column_is(t: &Table, k: usize, kind: fn(&Cell) -> bool) -> bool {
    t.rows.first().is_some_and(|r| kind(&r[k]))
}

/// Column widths: each column's widest cell, text columns other than the last capped,
/// the last text column given what is left of `width`.
fn column_widths(
    t: &Table,
    shown: &[usize],
    header: &[String],
    cells: &[Vec<String>],
    width: usize,
) -> Vec<usize> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let text_cols: Vec<usize> = (0..shown.len())
        .filter(|&j| column_is(t, shown[j], |c| matches!(c, Cell::Text(_))))
        .collect();
    let flex = text_cols.last().copied();
    for &j in &text_cols {
        if Some(j) != flex {
            widths[j] = widths[j].min(TEXT_COLUMN_CAP);
        }
    }
    if let Some(f) = flex {
        let others: usize = widths
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != f)
            .map(|(_, w)| w + 2)
            .sum();
        let room = width.saturating_sub(2 + others).max(10);
        widths[f] = widths[f].min(room);
    }
    widths
}

/// How one table's lines are laid out.
struct Layout<'a> {
    table: &'a Table,
    shown: Vec<usize>,
    widths: Vec<usize>,
    right: Vec<bool>,
    color: bool,
}

impl Layout<'_> {
    /// One line: cells padded to their column (numbers right-aligned), trailing blanks
    /// trimmed; `style` colours every cell (the header), else only bars are coloured.
    fn line(&self, row: &[String], style: Option<&str>) -> String {
        let mut l = String::from(" ");
        for (j, c) in row.iter().enumerate() {
            let pad = self.widths[j].saturating_sub(c.chars().count());
            let last = j + 1 == row.len();
            l.push(' ');
            let is_bar = self.table.columns[self.shown[j]] == "bar";
            let (pre, post) = match (self.color, style) {
                (true, Some(s)) => (s, RESET),
                (true, None) if is_bar => (BAR, RESET),
                _ => ("", ""),
            };
            if self.right[j] {
                l.push_str(&" ".repeat(pad));
            }
            l.push_str(pre);
            l.push_str(c);
            l.push_str(post);
            if !self.right[j] && !last {
                l.push_str(&" ".repeat(pad));
            }
            if !last {
                l.push(' ');
            }
        }
        l.trim_end().to_string()
    }
}

/// One table as aligned text: title, header, rows, footer.
pub fn table_text(t: &Table, o: &TextOptions) -> String {
    let width = o.width.max(72);
    let shown: Vec<usize> = (0..t.columns.len())
        .filter(|k| !t.csv_only.contains(&t.columns[*k]))
        .collect();
    let mut cells = text_cells(t, &shown, o);
    let header: Vec<String> = shown
        .iter()
        .map(|&k| match t.columns[k] {
            "bar" => String::new(),
            name => name.replace('_', " ").to_uppercase(),
        })
        .collect();
    let widths = column_widths(t, &shown, &header, &cells, width);
    for row in &mut cells {
        for (j, c) in row.iter_mut().enumerate() {
            *c = fit(c, widths[j]);
        }
    }
    let right = shown
        .iter()
        .map(|&k| {
            column_is(t, k, |c| {
                matches!(c, Cell::Bytes(_) | Cell::Count(_) | Cell::Ratio(_))
            })
        })
        .collect();
    let layout = Layout {
        table: t,
        shown,
        widths,
        right,
        color: o.color,
    };
    let mut out = String::new();
    if o.color {
        let _ = writeln!(out, "{TITLE}{}{RESET}", fit(&t.title, width));
    } else {
        let _ = writeln!(out, "{}", fit(&t.title, width));
    }
    let _ = writeln!(out, "{}", layout.line(&header, Some(BOLD)));
    for row in &cells {
        let _ = writeln!(out, "{}", layout.line(row, None));
    }
    for f in &t.footer {
        if o.color {
            let _ = writeln!(out, "  {DIM}{}{RESET}", fit(f, width - 2));
        } else {
            let _ = writeln!(out, "  {}", fit(f, width - 2));
        }
    }
    out
}

fn csv_cell(c: &Cell) -> String {
    match c {
        Cell::Text(t) => t.clone(),
        Cell::Bytes(n) | Cell::Count(n) => n.to_string(),
        Cell::Ratio(r) | Cell::Bar(r) => format!("{r:.4}"),
    }
}

/// One table as CSV (RFC 4180 through the `csv` crate: header row, comma-separated,
/// CRLF line ends, fields quoted when they hold a comma, quote or line break; exact
/// bytes). With `with_table_column`, every row starts with the table's name.
pub fn table_csv(t: &Table, with_table_column: bool) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    let lead: &[&str] = if with_table_column { &["table"] } else { &[] };
    w.write_record(lead.iter().chain(&t.columns))
        .expect("writing to memory");
    let lead: &[&str] = if with_table_column { &[t.name] } else { &[] };
    for row in &t.rows {
        let fields = lead
            .iter()
            .map(|s| s.to_string())
            .chain(row.iter().map(csv_cell));
        w.write_record(fields).expect("writing to memory");
    }
    let bytes = w.into_inner().expect("writing to memory");
    String::from_utf8(bytes).expect("UTF-8 fields make UTF-8 CSV")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars() {
        assert_eq!(bar(0.5, 4), "██");
        assert_eq!(bar(1.0 / 16.0, 2), "▏");
        assert_eq!(bar(2.0, 1), "█");
    }

    #[test]
    fn csv_is_rfc_4180_with_crlf() {
        let t = Table::new(
            "t",
            "T",
            vec!["a", "b"],
            vec![
                vec![Cell::Text("x,y".into()), Cell::Bytes(3)],
                vec![Cell::Text("say \"hi\"\nbye".into()), Cell::Ratio(0.5)],
                vec![Cell::Text(String::new()), Cell::Bar(1.0)],
            ],
        );
        assert_eq!(
            table_csv(&t, true),
            "table,a,b\r\nt,\"x,y\",3\r\nt,\"say \"\"hi\"\"\nbye\",0.5000\r\nt,,1.0000\r\n"
        );
        assert_eq!(table_csv(&t, false).lines().next(), Some("a,b"));
    }

    /// Spaces are part of a field (RFC 4180 2.4): an indented family name or a
    /// command ending in a space is written as it is, unquoted.
    #[test]
    fn csv_keeps_edge_spaces_unquoted() {
        let t = Table::new(
            "t",
            "T",
            vec!["a", "b"],
            vec![vec![
                Cell::Text("  child".into()),
                Cell::Text("ADD / ".into()),
            ]],
        );
        assert_eq!(table_csv(&t, false), "a,b\r\n  child,ADD / \r\n");
    }
}
