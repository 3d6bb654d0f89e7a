//! The tables of attribution: by origin, by kind, packages (per image and across the
//! set), recommendations, the what-if, the summary.

use super::{image_name, name_of, ratio, unless_empty, Cell, Table, KINDS};
use crate::report::Report;

pub(super) fn by_origin(report: &Report, _top: usize) -> Option<Table> {
    let rows = report
        .images
        .iter()
        .map(|i| {
            let (base, own) = (i.by_origin.base, i.by_origin.own);
            vec![
                Cell::Text(image_name(i)),
                Cell::Bytes(base),
                Cell::Bytes(own),
                Cell::Ratio(ratio(own, base + own)),
                Cell::Bar(ratio(own, base + own)),
            ]
        })
        .collect();
    let title = "BY ORIGIN: base image vs. the image's own layers";
    let columns = vec!["image", "base", "own", "own_share", "bar"];
    unless_empty(Table::new("by_origin", title, columns, rows))
}

pub(super) fn by_kind(report: &Report, _top: usize) -> Option<Table> {
    let mut rows = Vec::new();
    for i in &report.images {
        let total: u64 = KINDS.iter().map(|k| i.by_kind.get(*k)).sum();
        for k in KINDS {
            let v = i.by_kind.get(k);
            if v > 0 {
                rows.push(vec![
                    Cell::Text(image_name(i)),
                    Cell::Text(k.as_str().into()),
                    Cell::Bytes(v),
                    Cell::Ratio(ratio(v, total)),
                    Cell::Bar(ratio(v, total)),
                ]);
            }
        }
    }
    let columns = vec!["image", "kind", "size", "share", "bar"];
    let title = "BY KIND: what the bytes are";
    unless_empty(Table::new("by_kind", title, columns, rows).grouped())
}

pub(super) fn packages(report: &Report, top: usize) -> Option<Table> {
    let mut rows = Vec::new();
    // Packages shown whose files are another's: said once each under the table.
    let mut provided: Vec<String> = Vec::new();
    for i in &report.images {
        let mut pkgs: Vec<_> = i.packages.iter().collect();
        pkgs.sort_by_key(|p| std::cmp::Reverse(p.size));
        for p in pkgs.into_iter().take(top) {
            if let Some(by) = &p.provided_by {
                let note = format!(
                    "{} {} {} — provided by {} {} (its files counted there)",
                    p.manager.as_str(),
                    p.name,
                    p.version,
                    by.manager.as_str(),
                    by.name
                );
                if !provided.contains(&note) {
                    provided.push(note);
                }
            }
            rows.push(vec![
                Cell::Text(image_name(i)),
                Cell::Text(p.manager.as_str().into()),
                Cell::Text(p.name.to_string()),
                Cell::Text(p.version.to_string()),
                Cell::Bytes(p.size),
                Cell::Count(p.files),
                Cell::Text(format!("#{}", p.layer + 1)),
            ]);
        }
    }
    let columns = vec![
        "image", "manager", "name", "version", "size", "files", "layer",
    ];
    let mut t = Table::new("packages", "LARGEST PACKAGES", columns, rows).grouped();
    t.footer = provided;
    unless_empty(t)
}

pub(super) fn set_packages(report: &Report, top: usize) -> Option<Table> {
    let rows = report
        .packages
        .iter()
        .take(top)
        .map(|p| {
            vec![
                Cell::Text(p.manager.as_str().into()),
                Cell::Text(p.name.to_string()),
                Cell::Text(p.version.to_string()),
                Cell::Bytes(p.size),
                Cell::Bytes(p.stored_size),
                Cell::Count(p.layers),
                Cell::Count(p.images),
            ]
        })
        .collect();
    let columns = vec![
        "manager",
        "name",
        "version",
        "size",
        "stored_size",
        "layers",
        "images",
    ];
    let title = "TOP PACKAGES ACROSS THE SET: stored once, or shipped by several layers";
    unless_empty(Table::new("set_packages", title, columns, rows))
}

pub(super) fn recommendations(report: &Report, top: usize) -> Option<Table> {
    let rows = report
        .recommendations
        .iter()
        .take(top)
        .map(|r| {
            let images: Vec<String> = r.images.iter().map(|i| name_of(report, i)).collect();
            vec![
                Cell::Text(r.id.clone()),
                Cell::Bytes(r.savings),
                Cell::Text(images.join(", ")),
                Cell::Text(r.title.clone()),
            ]
        })
        .collect();
    let columns = vec!["id", "savings", "images", "title"];
    unless_empty(Table::new(
        "recommendations",
        "RECOMMENDATIONS",
        columns,
        rows,
    ))
}

pub(super) fn reclaimable(report: &Report, _top: usize) -> Option<Table> {
    let r = report.reclaimable.as_ref()?;
    let rows = [
        ("naive", r.naive),
        ("blob", r.blob),
        ("chain", r.chain),
        ("content", r.content),
    ]
    .into_iter()
    .map(|(level, v)| vec![Cell::Text(level.into()), Cell::Bytes(v)])
    .collect();
    let title = "WHAT IF only the images in use were kept: bytes reclaimed";
    Some(Table::new(
        "reclaimable",
        title,
        vec!["level", "reclaimable"],
        rows,
    ))
}

pub(super) fn summary(report: &Report, _top: usize) -> Option<Table> {
    let rows = report
        .summary
        .iter()
        .map(|c| {
            vec![
                Cell::Text(c.component.clone()),
                Cell::Bytes(c.current),
                Cell::Bytes(c.target),
                Cell::Bytes(c.reduction),
                Cell::Ratio(ratio(c.reduction, c.current)),
            ]
        })
        .collect();
    let title = "SUMMARY: each component now, and after the measured recommendations";
    let columns = vec!["component", "current", "target", "reduction", "share"];
    unless_empty(Table::new("summary", title, columns, rows))
}
