//! Every table of a report, once, as data ([`tables`]); rendered as aligned, optionally
//! coloured terminal text with proportion bars ([`render_text`]) or as CSV
//! ([`render_csv`]).
//!
//! The tables are built from the report's JSON (`serde_json::to_value(&report)`), not
//! from the [`Report`](crate::Report) struct, so fields that a newer report carries
//! (attribution: `by_origin`, `by_kind`, `packages`, `recommendations`, `reclaimable`)
//! are shown when present and their tables are simply absent otherwise.

use std::fmt::Write as _;

use serde_json::Value;

use super::{fit, grouped, human_size, short_command};

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

/// The names of every table [`tables`] can produce, in order.
pub const TABLE_NAMES: &[&str] = &[
    "images",
    "layers",
    "ledger",
    "families",
    "near_shared",
    "waste",
    "top_waste",
    "duplicates",
    "by_origin",
    "by_kind",
    "packages",
    "set_packages",
    "recommendations",
    "reclaimable",
    "summary",
];

/// How [`render_text`] draws.
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

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

fn short_id(id: &str) -> &str {
    let enc = id.split_once(':').map(|(_, e)| e).unwrap_or(id);
    &enc[..enc.len().min(12)]
}

/// An image's display name: its first ref, or its short id.
pub fn image_name(img: &Value) -> String {
    match img["refs"].as_array().and_then(|r| r.first()) {
        Some(r) => s(r),
        None => short_id(img["id"].as_str().unwrap_or("")).to_string(),
    }
}

fn name_of(report: &Value, id: &str) -> String {
    report["images"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["id"] == id)
        .map(image_name)
        .unwrap_or_else(|| short_id(id).to_string())
}

fn cmd(v: &Value) -> String {
    v.as_str().map(short_command).unwrap_or_default()
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// The kinds of `by_kind`, in display order.
pub const KINDS: &[&str] = &[
    "app",
    "language_deps",
    "os_packages",
    "toolchains",
    "docs",
    "caches",
    "wasted",
    "unowned",
];

/// Every table of the report, lists cut to `top` entries (per image where per image).
/// Tables whose data the report lacks are left out.
pub fn tables(report: &Value, top: usize) -> Vec<Table> {
    let images = arr(&report["images"]);
    let mut out = Vec::new();
    let t = &report["totals"];

    // Images.
    let mut footer = vec![format!(
        "{} images, {} layers ({} unique): {} summed, {} stored once ({} saved by sharing)",
        u(&t["images"]),
        u(&t["layers"]),
        u(&t["unique_layers"]),
        human_size(u(&t["naive_size"])),
        human_size(u(&t["dedup_size"])),
        human_size(u(&t["naive_size"]).saturating_sub(u(&t["dedup_size"])))
    )];
    footer.extend(
        arr(&report["notes"])
            .iter()
            .map(|n| format!("note: {}", s(n))),
    );
    out.push(Table {
        name: "images",
        title: "IMAGES".into(),
        columns: vec![
            "image",
            "id",
            "size",
            "shared",
            "unique",
            "chain_shared",
            "layers",
            "refs",
        ],
        csv_only: vec!["chain_shared", "refs"],
        rows: images
            .iter()
            .map(|i| {
                let refs = arr(&i["refs"]);
                let name = match refs.len() {
                    0 => "<untagged>".to_string(),
                    1 => s(&refs[0]),
                    n => format!("{} (+{} more)", s(&refs[0]), n - 1),
                };
                vec![
                    Cell::Text(name),
                    Cell::Text(short_id(&s(&i["id"])).into()),
                    Cell::Bytes(u(&i["size"])),
                    Cell::Bytes(u(&i["shared_size"])),
                    Cell::Bytes(u(&i["unique_size"])),
                    Cell::Bytes(u(&i["chain_shared_size"])),
                    Cell::Count(arr(&i["layers"]).len() as u64),
                    Cell::Text(refs.iter().map(s).collect::<Vec<_>>().join(" ")),
                ]
            })
            .collect(),
        footer,
        group_first: false,
    });

    // Layers.
    let mut rows = Vec::new();
    for i in images {
        for (k, l) in arr(&i["layers"]).iter().enumerate() {
            let wh = u(&l["whiteouts"]) + u(&l["opaque_whiteouts"]);
            let mut c = l["created_by"]
                .as_str()
                .map(short_command)
                .unwrap_or_else(|| "-".into());
            if wh > 0 {
                let _ = write!(c, " [{wh} whiteouts]");
            }
            rows.push(vec![
                Cell::Text(image_name(i)),
                Cell::Count(k as u64 + 1),
                Cell::Text(short_id(&s(&l["diff_id"])).into()),
                Cell::Bytes(u(&l["content_size"])),
                Cell::Count(u(&l["files"])),
                Cell::Text(c),
                Cell::Text(s(&l["diff_id"])),
                Cell::Text(s(&l["chain_id"])),
            ]);
        }
    }
    out.push(Table {
        name: "layers",
        title: "LAYERS".into(),
        columns: vec![
            "image",
            "#",
            "layer",
            "size",
            "files",
            "created_by",
            "diff_id",
            "chain_id",
        ],
        csv_only: vec!["diff_id", "chain_id"],
        rows,
        footer: vec![],
        group_first: true,
    });

    // Ledger.
    let naive = u(&t["naive_size"]);
    out.push(Table {
        name: "ledger",
        title: "LEDGER: what the set costs, four ways".into(),
        columns: vec!["level", "size", "of_naive", "bar"],
        csv_only: vec![],
        rows: [
            ("naive (sum of image sizes)", "naive_size"),
            ("blob dedup (each diff_id once)", "dedup_size"),
            ("chain dedup (each ChainID once)", "chain_dedup_size"),
            ("content dedup (each file once)", "content_dedup_size"),
        ]
        .iter()
        .map(|(label, key)| {
            let v = u(&t[*key]);
            vec![
                Cell::Text((*label).into()),
                Cell::Bytes(v),
                Cell::Ratio(ratio(v, naive)),
                Cell::Bar(ratio(v, naive)),
            ]
        })
        .collect(),
        footer: vec![],
        group_first: false,
    });

    // Families.
    fn walk(node: &Value, level: usize, rows: &mut Vec<Vec<Cell>>) {
        rows.push(vec![
            Cell::Text(format!("{}{}", "  ".repeat(level), s(&node["name"]))),
            Cell::Count(arr(&node["images"]).len() as u64),
            Cell::Count(u(&node["depth"])),
            Cell::Bytes(u(&node["size"])),
            Cell::Bytes(u(&node["naive_size"])),
            Cell::Bytes(u(&node["stored_size"])),
            Cell::Text(s(&node["chain_id"])),
        ]);
        for c in arr(&node["children"]) {
            walk(c, level + 1, rows);
        }
    }
    let mut rows = Vec::new();
    for f in arr(&report["families"]) {
        walk(f, 0, &mut rows);
    }
    if !rows.is_empty() {
        out.push(Table {
            name: "families",
            title: "FAMILIES: images grouped by common base layers".into(),
            columns: vec![
                "family",
                "images",
                "base_layers",
                "base_size",
                "naive",
                "stored",
                "chain_id",
            ],
            csv_only: vec!["chain_id"],
            rows,
            footer: vec![],
            group_first: false,
        });
    }

    // Near-shared layers.
    let near = arr(&report["near_shared"]);
    if !near.is_empty() {
        out.push(Table {
            name: "near_shared",
            title: "NEAR-SHARED LAYERS: stored more than once, could be shared".into(),
            columns: vec!["kind", "layers", "images", "size", "savable", "diff_ids"],
            csv_only: vec!["diff_ids"],
            rows: near
                .iter()
                .take(top)
                .map(|n| {
                    vec![
                        Cell::Text(s(&n["kind"])),
                        Cell::Count(
                            arr(&n["chain_ids"]).len().max(arr(&n["diff_ids"]).len()) as u64
                        ),
                        Cell::Count(arr(&n["images"]).len() as u64),
                        Cell::Bytes(u(&n["size"])),
                        Cell::Bytes(u(&n["savable_size"])),
                        Cell::Text(
                            arr(&n["diff_ids"])
                                .iter()
                                .map(s)
                                .collect::<Vec<_>>()
                                .join(" "),
                        ),
                    ]
                })
                .collect(),
            footer: vec![],
            group_first: false,
        });
    }

    // Waste per image.
    out.push(Table {
        name: "waste",
        title: "WASTE: bytes shipped but hidden by later layers".into(),
        columns: vec![
            "image",
            "size",
            "final",
            "overwritten",
            "deleted",
            "wasted",
            "duplicate",
            "efficiency",
        ],
        csv_only: vec![],
        rows: images
            .iter()
            .map(|i| {
                vec![
                    Cell::Text(image_name(i)),
                    Cell::Bytes(u(&i["size"])),
                    Cell::Bytes(u(&i["final_size"])),
                    Cell::Bytes(u(&i["overwritten_size"])),
                    Cell::Bytes(u(&i["deleted_size"])),
                    Cell::Bytes(u(&i["wasted_size"])),
                    Cell::Bytes(u(&i["duplicate_size"])),
                    Cell::Ratio(i["efficiency"].as_f64().unwrap_or(1.0)),
                ]
            })
            .collect(),
        footer: vec![],
        group_first: false,
    });

    let mut rows = Vec::new();
    for i in images {
        for w in arr(&i["top_waste"]).iter().take(top) {
            rows.push(vec![
                Cell::Text(image_name(i)),
                Cell::Bytes(u(&w["size"])),
                Cell::Text(s(&w["cause"])),
                Cell::Text(format!(
                    "#{} → #{}",
                    u(&w["added_by"]) + 1,
                    u(&w["hidden_by"]) + 1
                )),
                Cell::Text(s(&w["path"])),
                Cell::Count(u(&w["added_by"]) + 1),
                Cell::Text(cmd(&w["added_by_command"])),
                Cell::Count(u(&w["hidden_by"]) + 1),
                Cell::Text(cmd(&w["hidden_by_command"])),
            ]);
        }
    }
    if !rows.is_empty() {
        out.push(Table {
            name: "top_waste",
            title: "TOP WASTED PATHS: added by one layer, hidden by a later one".into(),
            columns: vec![
                "image",
                "size",
                "cause",
                "layers",
                "path",
                "added_by",
                "added_by_command",
                "hidden_by",
                "hidden_by_command",
            ],
            csv_only: vec![
                "added_by",
                "added_by_command",
                "hidden_by",
                "hidden_by_command",
            ],
            rows,
            footer: vec![],
            group_first: true,
        });
    }

    // Duplicates.
    let mut rows = Vec::new();
    for i in images {
        for g in arr(&i["duplicates"]).iter().take(top) {
            let paths = arr(&g["paths"]);
            rows.push(vec![
                Cell::Text(image_name(i)),
                Cell::Bytes(u(&g["size"])),
                Cell::Count(paths.len() as u64),
                Cell::Bytes(u(&g["saved_size"])),
                Cell::Text(paths.iter().map(s).collect::<Vec<_>>().join(", ")),
            ]);
        }
    }
    for g in arr(&report["duplicates"]["groups"]).iter().take(top) {
        rows.push(vec![
            Cell::Text("(across layers)".into()),
            Cell::Bytes(u(&g["size"])),
            Cell::Count(arr(&g["layers"]).len() as u64),
            Cell::Bytes(u(&g["saved_size"])),
            Cell::Text(
                arr(&g["paths"])
                    .iter()
                    .map(s)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ]);
    }
    if !rows.is_empty() {
        let d = &report["duplicates"];
        out.push(Table {
            name: "duplicates",
            title: "DUPLICATES: identical files stored more than once".into(),
            columns: vec!["scope", "size", "copies", "saved", "paths"],
            csv_only: vec![],
            rows,
            footer: if u(&d["count"]) > 0 {
                vec![format!(
                    "across the set: {} contents shipped by several layers, {} could be saved",
                    u(&d["count"]),
                    human_size(u(&d["saved_size"]))
                )]
            } else {
                vec![]
            },
            group_first: true,
        });
    }

    // Attribution (present only in reports that carry it).
    let rows: Vec<_> = images
        .iter()
        .filter(|i| i["by_origin"].is_object())
        .map(|i| {
            let o = &i["by_origin"];
            let (base, own) = (u(&o["base"]), u(&o["own"]));
            vec![
                Cell::Text(image_name(i)),
                Cell::Bytes(base),
                Cell::Bytes(own),
                Cell::Ratio(ratio(own, base + own)),
                Cell::Bar(ratio(own, base + own)),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push(Table {
            name: "by_origin",
            title: "BY ORIGIN: base image vs. the image's own layers".into(),
            columns: vec!["image", "base", "own", "own_share", "bar"],
            csv_only: vec![],
            rows,
            footer: vec![],
            group_first: false,
        });
    }
    let mut rows = Vec::new();
    for i in images.iter().filter(|i| i["by_kind"].is_object()) {
        let k = &i["by_kind"];
        let total: u64 = KINDS.iter().map(|n| u(&k[*n])).sum();
        for n in KINDS {
            let v = u(&k[*n]);
            if v > 0 {
                rows.push(vec![
                    Cell::Text(image_name(i)),
                    Cell::Text((*n).into()),
                    Cell::Bytes(v),
                    Cell::Ratio(ratio(v, total)),
                    Cell::Bar(ratio(v, total)),
                ]);
            }
        }
    }
    if !rows.is_empty() {
        out.push(Table {
            name: "by_kind",
            title: "BY KIND: what the bytes are".into(),
            columns: vec!["image", "kind", "size", "share", "bar"],
            csv_only: vec![],
            rows,
            footer: vec![],
            group_first: true,
        });
    }
    let mut rows = Vec::new();
    for i in images {
        let mut pkgs: Vec<&Value> = arr(&i["packages"]).iter().collect();
        pkgs.sort_by_key(|p| std::cmp::Reverse(u(&p["size"])));
        for p in pkgs.into_iter().take(top) {
            rows.push(vec![
                Cell::Text(image_name(i)),
                Cell::Text(s(&p["manager"])),
                Cell::Text(s(&p["name"])),
                Cell::Text(s(&p["version"])),
                Cell::Bytes(u(&p["size"])),
                Cell::Count(u(&p["files"])),
                Cell::Text(match p["layer"].as_u64() {
                    Some(l) => format!("#{}", l + 1),
                    None => "-".into(),
                }),
            ]);
        }
    }
    if !rows.is_empty() {
        out.push(Table {
            name: "packages",
            title: "LARGEST PACKAGES".into(),
            columns: vec![
                "image", "manager", "name", "version", "size", "files", "layer",
            ],
            csv_only: vec![],
            rows,
            footer: vec![],
            group_first: true,
        });
    }
    let set_packages = arr(&report["packages"]);
    if !set_packages.is_empty() {
        out.push(Table {
            name: "set_packages",
            title: "TOP PACKAGES ACROSS THE SET: stored once, or shipped by several layers".into(),
            columns: vec![
                "manager",
                "name",
                "version",
                "size",
                "stored_size",
                "layers",
                "images",
            ],
            csv_only: vec![],
            rows: set_packages
                .iter()
                .take(top)
                .map(|p| {
                    vec![
                        Cell::Text(s(&p["manager"])),
                        Cell::Text(s(&p["name"])),
                        Cell::Text(s(&p["version"])),
                        Cell::Bytes(u(&p["size"])),
                        Cell::Bytes(u(&p["stored_size"])),
                        Cell::Count(u(&p["layers"])),
                        Cell::Count(u(&p["images"])),
                    ]
                })
                .collect(),
            footer: vec![],
            group_first: false,
        });
    }
    let recs = arr(&report["recommendations"]);
    if !recs.is_empty() {
        out.push(Table {
            name: "recommendations",
            title: "RECOMMENDATIONS".into(),
            columns: vec!["id", "savings", "images", "title"],
            csv_only: vec![],
            rows: recs
                .iter()
                .take(top)
                .map(|r| {
                    vec![
                        Cell::Text(s(&r["id"])),
                        Cell::Bytes(u(&r["savings"])),
                        Cell::Text(
                            arr(&r["images"])
                                .iter()
                                .map(|i| name_of(report, i.as_str().unwrap_or("")))
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                        Cell::Text(s(&r["title"])),
                    ]
                })
                .collect(),
            footer: vec![],
            group_first: false,
        });
    }
    if let Some(r) = report["reclaimable"].as_object() {
        out.push(Table {
            name: "reclaimable",
            title: "WHAT IF only the images in use were kept: bytes reclaimed".into(),
            columns: vec!["level", "reclaimable"],
            csv_only: vec![],
            rows: ["naive", "blob", "chain", "content"]
                .iter()
                .filter(|k| r.contains_key(**k))
                .map(|k| vec![Cell::Text((*k).into()), Cell::Bytes(u(&r[*k]))])
                .collect(),
            footer: vec![],
            group_first: false,
        });
    }
    let summary = arr(&report["summary"]);
    if !summary.is_empty() {
        out.push(Table {
            name: "summary",
            title: "SUMMARY: each component now, and after the measured recommendations".into(),
            columns: vec!["component", "current", "target", "reduction", "share"],
            csv_only: vec![],
            rows: summary
                .iter()
                .map(|c| {
                    let current = u(&c["current"]);
                    let reduction = u(&c["reduction"]);
                    vec![
                        Cell::Text(s(&c["component"])),
                        Cell::Bytes(current),
                        Cell::Bytes(u(&c["target"])),
                        Cell::Bytes(reduction),
                        Cell::Ratio(if current == 0 {
                            0.0
                        } else {
                            reduction as f64 / current as f64
                        }),
                    ]
                })
                .collect(),
            footer: vec![],
            group_first: false,
        });
    }
    out
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const TITLE: &str = "\x1b[1;36m";
const DIM: &str = "\x1b[2m";
const BAR: &str = "\x1b[32m";

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

fn text_cell(c: &Cell, o: &TextOptions, bar_w: usize) -> String {
    match c {
        Cell::Text(t) => t.replace(['\n', '\t'], " "),
        Cell::Bytes(b) if o.exact_bytes => grouped(*b),
        Cell::Bytes(b) => human_size(*b),
        Cell::Count(n) => n.to_string(),
        Cell::Ratio(r) => format!("{:.1}%", r * 100.0),
        Cell::Bar(f) => bar(*f, bar_w),
    }
}

/// One table as aligned text: title, header, rows, footer.
pub fn table_text(t: &Table, o: &TextOptions) -> String {
    let width = o.width.max(72);
    let shown: Vec<usize> = (0..t.columns.len())
        .filter(|k| !t.csv_only.contains(&t.columns[*k]))
        .collect();
    let bar_w = 20;
    let mut cells: Vec<Vec<String>> = t
        .rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            shown
                .iter()
                .map(|&k| {
                    if k == 0 && t.group_first && r > 0 && t.rows[r - 1][0] == row[0] {
                        String::new()
                    } else {
                        text_cell(&row[k], o, bar_w)
                    }
                })
                .collect()
        })
        .collect();
    let right: Vec<bool> = shown
        .iter()
        .map(|&k| {
            t.rows
                .first()
                .is_some_and(|r| matches!(r[k], Cell::Bytes(_) | Cell::Count(_) | Cell::Ratio(_)))
        })
        .collect();
    let header: Vec<String> = shown
        .iter()
        .map(|&k| {
            if t.columns[k] == "bar" {
                String::new()
            } else {
                t.columns[k].replace('_', " ").to_uppercase()
            }
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    // Text columns other than the last are capped; the last text column takes what
    // is left of the width.
    let text_cols: Vec<usize> = (0..shown.len())
        .filter(|&j| {
            t.rows
                .first()
                .is_some_and(|r| matches!(r[shown[j]], Cell::Text(_)))
        })
        .collect();
    let flex = text_cols.last().copied();
    for &j in &text_cols {
        if Some(j) != flex {
            widths[j] = widths[j].min(32);
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
    for row in &mut cells {
        for (j, c) in row.iter_mut().enumerate() {
            *c = fit(c, widths[j]);
        }
    }
    let line = |row: &[String], style: Option<&str>| -> String {
        let mut l = String::from(" ");
        for (j, c) in row.iter().enumerate() {
            let pad = widths[j].saturating_sub(c.chars().count());
            let last = j + 1 == row.len();
            l.push(' ');
            let is_bar = t.columns[shown[j]] == "bar";
            let (pre, post) = match (o.color, style) {
                (true, Some(s)) => (s, RESET),
                (true, None) if is_bar => (BAR, RESET),
                _ => ("", ""),
            };
            if right[j] {
                l.push_str(&" ".repeat(pad));
                l.push_str(pre);
                l.push_str(c);
                l.push_str(post);
            } else {
                l.push_str(pre);
                l.push_str(c);
                l.push_str(post);
                if !last {
                    l.push_str(&" ".repeat(pad));
                }
            }
            if !last {
                l.push(' ');
            }
        }
        l.trim_end().to_string()
    };
    let mut out = String::new();
    if o.color {
        let _ = writeln!(out, "{TITLE}{}{RESET}", fit(&t.title, width));
    } else {
        let _ = writeln!(out, "{}", fit(&t.title, width));
    }
    let _ = writeln!(out, "{}", line(&header, Some(BOLD)));
    for row in &cells {
        let _ = writeln!(out, "{}", line(row, None));
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

/// Every table of the report as text, separated by blank lines.
pub fn render_text(report: &Value, top: usize, o: &TextOptions) -> String {
    tables(report, top)
        .iter()
        .map(|t| table_text(t, o))
        .collect::<Vec<_>>()
        .join("\n")
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_cell(c: &Cell) -> String {
    match c {
        Cell::Text(t) => csv_field(t),
        Cell::Bytes(n) | Cell::Count(n) => n.to_string(),
        Cell::Ratio(r) | Cell::Bar(r) => format!("{r:.4}"),
    }
}

/// One table as CSV (RFC 4180: header row, comma-separated, quoted where needed, exact
/// bytes). With `with_table_column`, every row starts with the table's name.
pub fn table_csv(t: &Table, with_table_column: bool) -> String {
    let mut out = String::new();
    let mut header: Vec<String> = t.columns.iter().map(|c| csv_field(c)).collect();
    if with_table_column {
        header.insert(0, "table".into());
    }
    let _ = write!(out, "{}\r\n", header.join(","));
    for row in &t.rows {
        let mut fields: Vec<String> = row.iter().map(csv_cell).collect();
        if with_table_column {
            fields.insert(0, t.name.into());
        }
        let _ = write!(out, "{}\r\n", fields.join(","));
    }
    out
}

/// The report as CSV. With `table`, that table alone (an error names the tables when
/// it is unknown; a known table the report lacks gives just its header). Without,
/// every table, each with its own header row and a leading `table` column, separated
/// by a blank line.
pub fn render_csv(report: &Value, top: usize, table: Option<&str>) -> Result<String, String> {
    let all = tables(report, top);
    match table {
        Some(name) => {
            if !TABLE_NAMES.contains(&name) {
                return Err(format!(
                    "no table {name:?}; tables: {}",
                    TABLE_NAMES.join(", ")
                ));
            }
            match all.iter().find(|t| t.name == name) {
                Some(t) => Ok(table_csv(t, false)),
                None => Ok(String::new()),
            }
        }
        None => Ok(all
            .iter()
            .map(|t| table_csv(t, true))
            .collect::<Vec<_>>()
            .join("\r\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "schema": "layerlens/v1",
            "images": [{
                "refs": ["acme/app:1"], "id": "sha256:0123456789abcdef",
                "size": 3000, "shared_size": 1000, "unique_size": 2000,
                "layers": [{"diff_id": "sha256:aaaaaaaaaaaaaaaa", "content_size": 3000,
                            "files": 3, "created_by": "/bin/sh -c echo \"a,b\""}],
                "efficiency": 0.5,
                "top_waste": [{"path": "x,y", "size": 10, "cause": "deleted",
                               "added_by": 0, "hidden_by": 0}],
                "by_origin": {"base": 1000, "own": 2000},
                "by_kind": {"app": 1500, "caches": 500, "wasted": 1000, "docs": 0,
                            "toolchains": 0, "os_packages": 0, "language_deps": 0,
                            "unowned": 0},
                "packages": [
                    {"manager": "apt", "name": "libc6", "version": "2.36", "size": 900,
                     "files": 10, "layer": 0},
                    {"manager": "pip", "name": "numpy", "version": "1.0", "size": 1900,
                     "files": 10, "layer": 0}]
            }],
            "totals": {"images": 1, "layers": 1, "unique_layers": 1, "naive_size": 3000,
                       "dedup_size": 3000, "chain_dedup_size": 3000,
                       "content_dedup_size": 2000},
            "recommendations": [{"id": "clean-apt-cache", "title": "Remove apt lists",
                                 "savings": 500, "images": ["sha256:0123456789abcdef"]}],
            "reclaimable": {"naive": 1500, "blob": 1500, "chain": 1400}
        })
    }

    #[test]
    fn attribution_tables_appear_when_present() {
        let names: Vec<_> = tables(&sample(), 10).iter().map(|t| t.name).collect();
        for n in [
            "images",
            "by_origin",
            "by_kind",
            "packages",
            "recommendations",
            "reclaimable",
            "top_waste",
        ] {
            assert!(names.contains(&n), "{n} missing from {names:?}");
        }
        let text = render_text(&sample(), 1, &TextOptions::default());
        assert!(text.contains("numpy") && !text.contains("libc6"), "{text}");
        assert!(text.contains("clean-apt-cache"), "{text}");
        assert!(!text.contains('\x1b'));
        for l in text.lines() {
            assert!(l.chars().count() <= 100, "{l}");
        }
    }

    #[test]
    fn absent_fields_leave_tables_out() {
        let mut v = sample();
        for k in ["by_origin", "by_kind", "packages"] {
            v["images"][0].as_object_mut().unwrap().remove(k);
        }
        v.as_object_mut().unwrap().remove("recommendations");
        v.as_object_mut().unwrap().remove("reclaimable");
        let names: Vec<_> = tables(&v, 10).iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            ["images", "layers", "ledger", "waste", "top_waste"],
            "{names:?}"
        );
    }

    #[test]
    fn csv_quotes_and_keeps_exact_bytes() {
        let csv = render_csv(&sample(), 10, Some("top_waste")).unwrap();
        let mut lines = csv.split("\r\n");
        assert_eq!(
            lines.next().unwrap(),
            "image,size,cause,layers,path,added_by,added_by_command,hidden_by,hidden_by_command"
        );
        assert_eq!(
            lines.next().unwrap(),
            "acme/app:1,10,deleted,#1 → #1,\"x,y\",1,,1,"
        );
        let all = render_csv(&sample(), 10, None).unwrap();
        assert!(all.starts_with("table,image,id,size"), "{all}");
        assert!(all.contains("\r\n\r\ntable,image,#,layer"), "{all}");
        assert!(all.contains("layers,acme/app:1,1,aaaaaaaaaaaa,3000,3,\"RUN echo \"\"a,b\"\"\""));
        assert!(render_csv(&sample(), 10, Some("nope")).is_err());
        assert_eq!(render_csv(&json!({}), 10, Some("packages")).unwrap(), "");
    }

    #[test]
    fn colours_and_exact_bytes() {
        let o = TextOptions {
            color: true,
            exact_bytes: true,
            ..TextOptions::default()
        };
        let text = render_text(&sample(), 10, &o);
        assert!(text.contains("\x1b[1;36mIMAGES"), "{text}");
        assert!(text.contains("3,000"), "{text}");
        assert_eq!(bar(0.5, 4), "██");
        assert_eq!(bar(1.0 / 16.0, 2), "▏");
        assert_eq!(bar(2.0, 1), "█");
    }
}
