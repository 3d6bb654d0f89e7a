//! Table sections for attribution: bytes by origin and kind per image, top packages,
//! recommendations, the what-if and the summary; and the `explain` table. At most
//! `width` columns.

use std::fmt::Write as _;

use super::{fit, human_size, short_command};
use crate::attribution::Kind;
use crate::explain::Explanation;
use crate::report::Report;

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.0}%", part as f64 * 100.0 / whole as f64)
    }
}

/// How many packages each image lists in the table.
const PACKAGES_PER_IMAGE: usize = 5;

/// The sections `analyze` prints after the forensics.
pub fn sections(report: &Report, width: usize) -> String {
    let width = width.max(72);
    let mut out = String::new();
    if report.images.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\nWHERE THE BYTES COME FROM");
    for img in &report.images {
        let name = img
            .refs
            .first()
            .cloned()
            .unwrap_or_else(|| img.id.short().to_string());
        let o = &img.by_origin;
        let line = format!(
            "  {name}  {}  base {} ({}, {} layers)  own {} ({})",
            human_size(img.size),
            human_size(o.base),
            pct(o.base, img.size),
            img.base_layers,
            human_size(o.own),
            pct(o.own, img.size)
        );
        let _ = writeln!(out, "{}", fit(&line, width));
        let mut kinds = String::from("   ");
        for k in Kind::ALL {
            let v = img.by_kind.get(k);
            if v == 0 {
                continue;
            }
            let item = format!(" {} {} {}", k.as_str(), human_size(v), pct(v, img.size));
            if kinds.len() + item.len() > width {
                let _ = writeln!(out, "{kinds}");
                kinds = String::from("   ");
            }
            kinds.push_str(&item);
        }
        if !kinds.trim().is_empty() {
            let _ = writeln!(out, "{kinds}");
        }
        for p in img.packages.iter().take(PACKAGES_PER_IMAGE) {
            let line = format!(
                "      {:>10}  {:<6} {} {}  ({} files, layer {}: {})",
                human_size(p.size),
                p.manager.as_str(),
                p.name,
                p.version,
                p.files,
                p.layer,
                p.created_by
                    .as_deref()
                    .map(short_command)
                    .unwrap_or_default()
            );
            let _ = writeln!(out, "{}", fit(&line, width));
        }
        if img.packages.len() > PACKAGES_PER_IMAGE {
            let _ = writeln!(
                out,
                "      … {} more packages",
                img.packages.len() - PACKAGES_PER_IMAGE
            );
        }
    }

    if !report.packages.is_empty() {
        let _ = writeln!(out, "\nTOP PACKAGES ACROSS THE SET");
        let _ = writeln!(
            out,
            "  {:>10} {:>10} {:>6} {:>6}  PACKAGE",
            "STORED", "ONE COPY", "LAYERS", "IMAGES"
        );
        for p in report.packages.iter().take(crate::report::TOP_N) {
            let line = format!(
                "  {:>10} {:>10} {:>6} {:>6}  {} {} {}",
                human_size(p.stored_size),
                human_size(p.size),
                p.layers,
                p.images,
                p.manager.as_str(),
                p.name,
                p.version
            );
            let _ = writeln!(out, "{}", fit(&line, width));
        }
    }

    if !report.recommendations.is_empty() {
        let _ = writeln!(out, "\nRECOMMENDATIONS (measured savings, each layer once)");
        for r in &report.recommendations {
            let line = format!(
                "  {:>10}  {}  [{} images]",
                human_size(r.savings),
                r.title,
                r.images.len()
            );
            let _ = writeln!(out, "{}", fit(&line, width));
            for d in r.details.iter().take(3) {
                let what = match &d.created_by {
                    Some(c) => short_command(c),
                    None => d.what.clone(),
                };
                let line = format!("  {:>10}    {}", human_size(d.size), what);
                let _ = writeln!(out, "{}", fit(&line, width));
            }
        }
    }

    if let Some(rc) = &report.reclaimable {
        let _ = writeln!(out, "\nWHAT IF ONLY THE IMAGES IN USE WERE KEPT");
        for (label, v) in [
            ("naive (sum of the other images' sizes)", rc.naive),
            ("blob dedup (diff_ids only they use)", rc.blob),
            ("chain dedup (ChainIDs only they use)", rc.chain),
            ("content dedup (file contents only they hold)", rc.content),
        ] {
            let _ = writeln!(out, "  {label:<48} {:>10}", human_size(v));
        }
    }

    if !report.summary.is_empty() {
        let _ = writeln!(out, "\nSUMMARY (Σ over images)");
        let _ = writeln!(
            out,
            "  {:<16} {:>10} {:>10} {:>10} {:>6}",
            "COMPONENT", "CURRENT", "TARGET", "REDUCTION", "%"
        );
        for row in &report.summary {
            if row.current == 0 && row.component != "total" {
                continue;
            }
            let _ = writeln!(
                out,
                "  {:<16} {:>10} {:>10} {:>10} {:>6}",
                row.component,
                human_size(row.current),
                human_size(row.target),
                human_size(row.reduction),
                pct(row.reduction, row.current)
            );
        }
    }
    out
}

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
    use super::text::{table_csv, Cell, Table};
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
