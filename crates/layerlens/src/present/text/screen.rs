//! The first screen of `analyze`: what the set costs at each ledger level, its largest
//! images, where the bytes go now and after the recommendations (stored and naive), the
//! top recommendations, and where the full tables are. At most [`SCREEN_LINES`] lines
//! whatever the size of the set; every figure is read off the typed [`Report`].

use super::{image_name, ratio, table_text, Cell, Table, TextOptions, TABLE_NAMES};
use crate::report::recommend::SummaryRow;
use crate::report::Report;

/// The most lines the first screen takes, for any set.
pub const SCREEN_LINES: usize = 60;
/// How many images the first screen lists.
pub const SCREEN_IMAGES: usize = 8;
/// How many recommendations the first screen lists.
pub const SCREEN_RECOMMENDATIONS: usize = 5;
/// How many of the report's notes the first screen shows.
const SCREEN_NOTES: usize = 3;

/// The recommendations whose savings the summaries' "after" columns apply.
const AFTER: &str = "remove-caches, remove-docs, multi-stage, slim-base, squash-waste";

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `3 more images`.
fn more(n: u64, one: &str, many: &str) -> String {
    format!("{n} more {}", if n == 1 { one } else { many })
}

/// The set at each ledger level, with its image and layer counts.
fn levels(report: &Report) -> Table {
    let t = &report.totals;
    let rows = [
        (
            "naive",
            t.naive_size,
            format!(
                "Σ of the {} sizes ({})",
                plural(t.images, "image's", "images'"),
                plural(t.layers, "layer", "layers")
            ),
        ),
        (
            "stored",
            t.dedup_size,
            format!(
                "each of the {} once: what the disk holds",
                plural(t.unique_layers, "distinct layer", "distinct layers")
            ),
        ),
        (
            "content",
            t.content_dedup_size,
            "each distinct file content once: the floor".to_string(),
        ),
    ]
    .into_iter()
    .map(|(level, size, what)| {
        vec![
            Cell::Text(level.into()),
            Cell::Bytes(size),
            Cell::Ratio(ratio(size, t.naive_size)),
            Cell::Text(what),
        ]
    })
    .collect();
    let mut footer = Vec::new();
    if let Some(r) = &report.reclaimable {
        footer.push(format!(
            "deleting the images not in use frees {} stored, {} naive",
            super::super::human_size(r.blob),
            super::super::human_size(r.naive)
        ));
    }
    let shown = report.notes.len().min(SCREEN_NOTES);
    footer.extend(report.notes[..shown].iter().map(|n| format!("note: {n}")));
    if report.notes.len() > shown {
        footer.push(format!(
            "{}: --section images",
            more((report.notes.len() - shown) as u64, "note", "notes")
        ));
    }
    Table::new(
        "levels",
        "THE SET AT EACH LEVEL",
        vec!["level", "size", "of_naive", "counts"],
        rows,
    )
    .footer(footer)
}

/// The largest images, with what they share and hold alone.
fn largest_images(report: &Report) -> Table {
    let mut images: Vec<_> = report.images.iter().collect();
    images.sort_by(|a, b| {
        b.size
            .cmp(&a.size)
            .then_with(|| image_name(a).cmp(&image_name(b)))
    });
    let rows = images
        .iter()
        .take(SCREEN_IMAGES)
        .map(|i| {
            vec![
                Cell::Text(image_name(i)),
                Cell::Bytes(i.size),
                Cell::Bytes(i.shared_size),
                Cell::Bytes(i.unique_size),
                Cell::Count(i.layers.len() as u64),
            ]
        })
        .collect();
    let shown = images.len().min(SCREEN_IMAGES);
    let title = if shown < images.len() {
        format!("LARGEST IMAGES: {shown} of {}", images.len())
    } else {
        "IMAGES".to_string()
    };
    let mut footer = Vec::new();
    if shown < images.len() {
        footer.push(format!(
            "{}: --section images",
            more((images.len() - shown) as u64, "image", "images")
        ));
    }
    Table::new(
        "largest_images",
        title,
        vec!["image", "size", "shared", "unique", "layers"],
        rows,
    )
    .footer(footer)
}

/// Where the bytes go by kind, stored and naive, now and after the recommendations.
fn kinds(report: &Report) -> Option<Table> {
    let find = |rows: &[SummaryRow], c: &str| rows.iter().find(|r| r.component == c).cloned();
    let stored = !report.stored_summary.is_empty();
    let mut rows = Vec::new();
    for naive in &report.summary {
        let s = find(&report.stored_summary, &naive.component);
        let (sc, st) = s.map_or((0, 0), |s| (s.current, s.target));
        if naive.current == 0 && sc == 0 && naive.component != "total" {
            continue;
        }
        let mut row = vec![Cell::Text(naive.component.clone())];
        if stored {
            row.extend([Cell::Bytes(sc), Cell::Bytes(st)]);
        }
        row.extend([Cell::Bytes(naive.current), Cell::Bytes(naive.target)]);
        rows.push(row);
    }
    if rows.len() <= 1 {
        return None;
    }
    let columns = if stored {
        vec![
            "kind",
            "stored_now",
            "stored_after",
            "naive_now",
            "naive_after",
        ]
    } else {
        vec!["kind", "naive_now", "naive_after"]
    };
    Some(
        Table::new(
            "kinds",
            "WHERE THE BYTES GO: now, and after the recommendations",
            columns,
            rows,
        )
        .footer(vec![
            "stored: each distinct layer once; naive: summed over the images".into(),
            format!("after: {AFTER} applied"),
        ]),
    )
}

/// The recommendations with the largest stored savings.
fn recommendations(report: &Report) -> Table {
    let recs = &report.recommendations;
    let rows = recs
        .iter()
        .take(SCREEN_RECOMMENDATIONS)
        .map(|r| {
            vec![
                Cell::Text(r.id.clone()),
                Cell::Bytes(r.savings),
                Cell::Bytes(r.naive_savings),
                Cell::Count(r.images.len() as u64),
                Cell::Text(r.title.clone()),
            ]
        })
        .collect();
    let shown = recs.len().min(SCREEN_RECOMMENDATIONS);
    let title = if shown < recs.len() {
        format!(
            "TOP RECOMMENDATIONS: {shown} of {}, by stored saving",
            recs.len()
        )
    } else {
        "RECOMMENDATIONS: by stored saving".to_string()
    };
    let mut footer = Vec::new();
    if shown < recs.len() {
        footer.push(format!(
            "{}: --section recommendations",
            more(
                (recs.len() - shown) as u64,
                "recommendation",
                "recommendations"
            )
        ));
    }
    Table::new(
        "top_recommendations",
        title,
        vec!["id", "saves", "naive_saves", "images", "title"],
        rows,
    )
    .footer(footer)
}

/// `pieces` separated by spaces, in lines of at most `width` columns.
fn wrapped(pieces: &[String], width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for p in pieces {
        if !line.is_empty() && line.chars().count() + 1 + p.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(p);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// The first screen: at most [`SCREEN_LINES`] lines of at most `o.width` columns.
pub fn render_screen(report: &Report, o: &TextOptions) -> String {
    let width = o.width.max(72);
    let mut parts = vec![table_text(&levels(report), o)];
    if !report.images.is_empty() {
        parts.push(table_text(&largest_images(report), o));
    }
    if let Some(t) = kinds(report) {
        parts.push(table_text(&t, o));
    }
    if report.recommendations.is_empty() {
        parts.push("RECOMMENDATIONS: none measured\n".into());
    } else {
        parts.push(table_text(&recommendations(report), o));
    }
    let mut pieces: Vec<String> = "Full tables: --full, or --section NAME (repeatable); sections:"
        .split(' ')
        .map(str::to_string)
        .collect();
    for (i, n) in TABLE_NAMES.iter().enumerate() {
        let sep = if i + 1 < TABLE_NAMES.len() { "," } else { "" };
        pieces.push(format!("{n}{sep}"));
    }
    let tail = wrapped(&pieces, width);
    parts.push(tail);
    parts.join("\n")
}

/// The named full tables, in the order given (a name given twice printed once),
/// separated by blank lines; an error names the sections when one is unknown. A known
/// table the report has no data for says so.
pub fn render_sections(
    report: &Report,
    top: usize,
    names: &[String],
    o: &TextOptions,
) -> Result<String, String> {
    let mut out = Vec::new();
    let mut done: Vec<&str> = Vec::new();
    for name in names {
        let Some((n, build)) = super::TABLES.iter().find(|(n, _)| n == name) else {
            return Err(format!(
                "no section {name:?}; sections: {}",
                TABLE_NAMES.join(", ")
            ));
        };
        if done.contains(n) {
            continue;
        }
        done.push(n);
        out.push(match super::text_build(n, *build)(report, top) {
            Some(t) => table_text(&t, o),
            None => format!("{}: nothing to show for this set\n", n.to_uppercase()),
        });
    }
    Ok(out.join("\n"))
}
