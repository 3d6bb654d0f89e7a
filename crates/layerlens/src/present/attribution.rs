//! The `explain` table (text and CSV), at most `width` columns. (The report's
//! attribution sections are drawn by [`super::text`].)

use std::fmt::Write as _;

use super::{fit, human_size, short_command};
use crate::forensics::explain::Explanation;

/// The `explain` table.
pub fn explain_table(path: &str, found: &[Explanation], width: usize) -> String {
    let width = width.max(72);
    let mut out = String::new();
    if found.is_empty() {
        let _ = writeln!(out, "{path}: in no image of the inputs");
        return out;
    }
    for e in found {
        let state = if e.visible { "visible" } else { "not visible" };
        let _ = writeln!(
            out,
            "{}",
            fit(&format!("{}: /{} ({state})", e.name, e.path), width)
        );
        for ev in &e.events {
            let line = format!(
                "  layer {:>2}  {:<16} {:>10}  {}",
                ev.layer,
                format!("{:?}", ev.action).to_lowercase(),
                if ev.size > 0 {
                    human_size(ev.size)
                } else {
                    String::new()
                },
                ev.created_by
                    .as_deref()
                    .map(short_command)
                    .unwrap_or_default()
            );
            let _ = writeln!(out, "{}", fit(&line, width));
        }
        if let Some(k) = e.kind {
            let _ = writeln!(out, "  kind: {}", k.as_str());
        }
        match &e.owner {
            Some(o) => {
                let _ = writeln!(
                    out,
                    "  owner: {} {} {} (added by layer {})",
                    o.manager.as_str(),
                    o.name,
                    o.version,
                    o.layer
                );
            }
            None if e.visible => {
                let _ = writeln!(out, "  owner: no package");
            }
            None => {}
        }
    }
    out
}

/// The `explain` result as one CSV table: a row per event of each image.
pub fn explain_csv(found: &[Explanation]) -> String {
    use super::table::{table_csv, Cell, Table};
    let mut rows = Vec::new();
    for e in found {
        let owner = e
            .owner
            .as_ref()
            .map(|o| format!("{:?} {} {}", o.manager, o.name, o.version))
            .unwrap_or_default();
        for ev in &e.events {
            rows.push(vec![
                Cell::Text(e.name.clone()),
                Cell::Text(e.image.to_string()),
                Cell::Text(e.path.clone()),
                Cell::Count(ev.layer),
                Cell::Text(format!("{:?}", ev.action)),
                Cell::Bytes(ev.size),
                Cell::Text(ev.created_by.clone().unwrap_or_default()),
                Cell::Text(e.visible.to_string()),
                Cell::Text(e.kind.map(|k| format!("{k:?}")).unwrap_or_default()),
                Cell::Text(owner.clone()),
            ]);
        }
    }
    let table = Table {
        name: "explain",
        title: "explain".into(),
        columns: vec![
            "image",
            "id",
            "path",
            "layer",
            "action",
            "size",
            "created_by",
            "visible",
            "kind",
            "owner",
        ],
        csv_only: Vec::new(),
        rows,
        footer: Vec::new(),
        group_first: false,
    };
    table_csv(&table, false)
}
