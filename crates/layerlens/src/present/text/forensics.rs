//! The tables of the set and its forensics: images, layers, ledger, families,
//! near-shared layers, waste, wasted paths, duplicates, findings.

use super::{cmd, image_name, joined, ratio, unless_empty, Cell, Table};
use crate::forensics::families::{FamilyNode, NearSharedKind};
use crate::forensics::waste::WasteCause;
use crate::present::{human_size, short_command};
use crate::report::{ImageReport, Report};
use crate::Digest;
use foldhash::{HashMap, HashSet};

pub(super) fn images(report: &Report, _top: usize) -> Option<Table> {
    let t = &report.totals;
    let mut footer = vec![format!(
        "{} images, {} layers ({} unique): {} summed, {} stored once ({} saved by sharing)",
        t.images,
        t.layers,
        t.unique_layers,
        human_size(t.naive_size),
        human_size(t.dedup_size),
        human_size(t.naive_size.saturating_sub(t.dedup_size))
    )];
    footer.extend(report.notes.iter().map(|n| format!("note: {n}")));
    let rows = report
        .images
        .iter()
        .map(|i| {
            let name = match i.refs.as_slice() {
                [] => "<untagged>".to_string(),
                [one] => one.clone(),
                [first, rest @ ..] => format!("{first} (+{} more)", rest.len()),
            };
            vec![
                Cell::Text(name),
                Cell::Text(i.id.short().into()),
                Cell::Bytes(i.size),
                Cell::Bytes(i.shared_size),
                Cell::Bytes(i.unique_size),
                Cell::Bytes(i.chain_shared_size),
                Cell::Count(i.layers.len() as u64),
                Cell::Text(i.refs.join(" ")),
            ]
        })
        .collect();
    let columns = vec![
        "image",
        "id",
        "size",
        "shared",
        "unique",
        "chain_shared",
        "layers",
        "refs",
    ];
    Some(
        Table::new("images", "IMAGES", columns, rows)
            .csv_only(vec!["chain_shared", "refs"])
            .footer(footer),
    )
}

pub(super) fn layers(report: &Report, _top: usize) -> Option<Table> {
    let mut rows = Vec::new();
    for i in &report.images {
        for (k, l) in i.layers.iter().enumerate() {
            let mut c = l
                .created_by
                .as_deref()
                .map(short_command)
                .unwrap_or_else(|| "-".into());
            let wh = l.whiteouts + l.opaque_whiteouts;
            if wh > 0 {
                c.push_str(&format!(" [{wh} whiteouts]"));
            }
            rows.push(vec![
                Cell::Text(image_name(i)),
                Cell::Count(k as u64 + 1),
                Cell::Text(l.diff_id.short().into()),
                Cell::Bytes(l.content_size),
                Cell::Count(l.files),
                Cell::Text(c),
                Cell::Text(l.diff_id.to_string()),
                Cell::Text(
                    l.chain_id
                        .as_ref()
                        .map(Digest::to_string)
                        .unwrap_or_default(),
                ),
            ]);
        }
    }
    let columns = vec![
        "image",
        "#",
        "layer",
        "size",
        "files",
        "created_by",
        "diff_id",
        "chain_id",
    ];
    Some(
        Table::new("layers", "LAYERS", columns, rows)
            .csv_only(vec!["diff_id", "chain_id"])
            .grouped(),
    )
}

pub(super) fn ledger(report: &Report, _top: usize) -> Option<Table> {
    let t = &report.totals;
    let rows = [
        ("naive (sum of image sizes)", t.naive_size),
        ("blob dedup (each diff_id once)", t.dedup_size),
        ("chain dedup (each ChainID once)", t.chain_dedup_size),
        ("content dedup (each file once)", t.content_dedup_size),
    ]
    .into_iter()
    .map(|(label, v)| {
        vec![
            Cell::Text(label.into()),
            Cell::Bytes(v),
            Cell::Ratio(ratio(v, t.naive_size)),
            Cell::Bar(ratio(v, t.naive_size)),
        ]
    })
    .collect();
    Some(Table::new(
        "ledger",
        "LEDGER: what the set costs, four ways",
        vec!["level", "size", "of_naive", "bar"],
        rows,
    ))
}

pub(super) fn families(report: &Report, _top: usize) -> Option<Table> {
    fn walk(node: &FamilyNode, level: usize, rows: &mut Vec<Vec<Cell>>) {
        rows.push(vec![
            Cell::Text(format!("{}{}", "  ".repeat(level), node.name)),
            Cell::Count(node.images.len() as u64),
            Cell::Count(node.depth),
            Cell::Bytes(node.size),
            Cell::Bytes(node.naive_size),
            Cell::Bytes(node.stored_size),
            Cell::Text(node.chain_id.to_string()),
        ]);
        for c in &node.children {
            walk(c, level + 1, rows);
        }
    }
    let mut rows = Vec::new();
    for f in &report.families {
        walk(f, 0, &mut rows);
    }
    let columns = vec![
        "family",
        "images",
        "base_layers",
        "base_size",
        "naive",
        "stored",
        "chain_id",
    ];
    let title = "FAMILIES: images grouped by common base layers";
    unless_empty(Table::new("families", title, columns, rows).csv_only(vec!["chain_id"]))
}

pub(super) fn near_shared(report: &Report, top: usize) -> Option<Table> {
    let rows = report
        .near_shared
        .iter()
        .take(top)
        .map(|n| {
            let kind = match n.kind {
                NearSharedKind::Rebased => "rebased",
                NearSharedKind::SameContent => "same_content",
            };
            vec![
                Cell::Text(kind.into()),
                Cell::Count(n.chain_ids.len().max(n.diff_ids.len()) as u64),
                Cell::Count(n.images.len() as u64),
                Cell::Bytes(n.size),
                Cell::Bytes(n.savable_size),
                Cell::Text(
                    n.diff_ids
                        .iter()
                        .map(Digest::as_str)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            ]
        })
        .collect();
    let title = "NEAR-SHARED LAYERS: stored more than once, could be shared";
    let columns = vec!["kind", "layers", "images", "size", "savable", "diff_ids"];
    unless_empty(Table::new("near_shared", title, columns, rows).csv_only(vec!["diff_ids"]))
}

pub(super) fn waste(report: &Report, _top: usize) -> Option<Table> {
    let rows = report
        .images
        .iter()
        .map(|i| {
            vec![
                Cell::Text(image_name(i)),
                Cell::Bytes(i.size),
                Cell::Bytes(i.final_size),
                Cell::Bytes(i.overwritten_size),
                Cell::Bytes(i.deleted_size),
                Cell::Bytes(i.wasted_size),
                Cell::Bytes(i.duplicate_size),
                Cell::Ratio(i.efficiency),
            ]
        })
        .collect();
    let columns = vec![
        "image",
        "size",
        "final",
        "overwritten",
        "deleted",
        "wasted",
        "duplicate",
        "efficiency",
    ];
    let title = "WASTE: bytes shipped but hidden by later layers";
    Some(Table::new("waste", title, columns, rows))
}

pub(super) fn top_waste(report: &Report, top: usize) -> Option<Table> {
    top_waste_table(report, top, false)
}

/// [`top_waste`] as text shows it: what a layer shared by several images hid, once.
pub(super) fn top_waste_once(report: &Report, top: usize) -> Option<Table> {
    top_waste_table(report, top, true)
}

/// Per-image rows, each with the key of what it shows, as one list. With `once`, when
/// some key is in several images, a row whose key an earlier image showed is left out,
/// and a column inserted at `at` says in how many images it is (blank for one); the
/// `bool` says whether that column was inserted.
fn rows_once(
    per_image: Vec<Vec<(String, Vec<Cell>)>>,
    once: bool,
    at: usize,
) -> (Vec<Vec<Cell>>, bool) {
    let all = |per_image: Vec<Vec<(String, Vec<Cell>)>>| {
        per_image
            .into_iter()
            .flatten()
            .map(|(_, row)| row)
            .collect()
    };
    if !once {
        return (all(per_image), false);
    }
    let mut images: HashMap<String, u64> = HashMap::default();
    for rows in &per_image {
        let mut keys: Vec<&String> = rows.iter().map(|(k, _)| k).collect();
        keys.sort_unstable();
        keys.dedup();
        for k in keys {
            *images.entry(k.clone()).or_default() += 1;
        }
    }
    if images.values().all(|&n| n < 2) {
        return (all(per_image), false);
    }
    let mut shown: HashSet<String> = HashSet::default();
    let mut out = Vec::new();
    for (key, mut row) in per_image.into_iter().flatten() {
        let n = images.get(&key).copied().unwrap_or(1);
        if !shown.insert(key) {
            continue;
        }
        let cell = if n > 1 {
            format!("{n} images")
        } else {
            String::new()
        };
        row.insert(at, Cell::Text(cell));
        out.push(row);
    }
    (out, true)
}

/// The key of what an image's layer `layer` holds at `what`: the layer's ChainID (the
/// same in every image that shares the layer and those below it), else the image's id.
fn layer_key(i: &ImageReport, layer: Option<u64>, what: std::fmt::Arguments<'_>) -> String {
    let at = layer
        .and_then(|l| i.layers.get(l as usize))
        .and_then(|l| l.chain_id.as_ref());
    match at {
        Some(chain) => format!("{chain}\0{what}"),
        None => format!("{}\0{what}", i.id),
    }
}

fn top_waste_table(report: &Report, top: usize, once: bool) -> Option<Table> {
    let mut per_image = Vec::new();
    for i in &report.images {
        let mut rows = Vec::new();
        for w in i.top_waste.iter().take(top) {
            let cause = match w.cause {
                WasteCause::Overwritten => "overwritten",
                WasteCause::Deleted => "deleted",
            };
            let key = layer_key(
                i,
                Some(w.hidden_by),
                format_args!("{}\0{}\0{cause}\0{}", w.path, w.size, w.added_by),
            );
            let row = vec![
                Cell::Text(image_name(i)),
                Cell::Bytes(w.size),
                Cell::Text(cause.into()),
                Cell::Text(format!("#{} → #{}", w.added_by + 1, w.hidden_by + 1)),
                Cell::Text(w.path.clone()),
                Cell::Count(w.added_by + 1),
                Cell::Text(cmd(w.added_by_command.as_deref())),
                Cell::Count(w.hidden_by + 1),
                Cell::Text(cmd(w.hidden_by_command.as_deref())),
            ];
            rows.push((key, row));
        }
        per_image.push(rows);
    }
    let (rows, shared) = rows_once(per_image, once, 4);
    let mut columns = vec![
        "image",
        "size",
        "cause",
        "layers",
        "path",
        "added_by",
        "added_by_command",
        "hidden_by",
        "hidden_by_command",
    ];
    let csv_only = vec![
        "added_by",
        "added_by_command",
        "hidden_by",
        "hidden_by_command",
    ];
    if shared {
        columns.insert(4, "in");
    }
    let title = "TOP WASTED PATHS: added by one layer, hidden by a later one";
    unless_empty(
        Table::new("top_waste", title, columns, rows)
            .csv_only(csv_only)
            .grouped(),
    )
}

pub(super) fn duplicates(report: &Report, top: usize) -> Option<Table> {
    duplicates_table(report, top, false)
}

/// [`duplicates`] as text shows it: a group several images hold, once.
pub(super) fn duplicates_once(report: &Report, top: usize) -> Option<Table> {
    duplicates_table(report, top, true)
}

fn duplicates_table(report: &Report, top: usize, once: bool) -> Option<Table> {
    let mut per_image = Vec::new();
    for i in &report.images {
        let mut rows = Vec::new();
        for g in i.duplicates.iter().take(top) {
            let key = format!("{}\0{}\0{}", g.size, g.saved_size, joined(&g.paths, "\0"));
            let row = vec![
                Cell::Text(image_name(i)),
                Cell::Bytes(g.size),
                Cell::Count(g.paths.len() as u64),
                Cell::Bytes(g.saved_size),
                Cell::Text(joined(&g.paths, ", ")),
            ];
            rows.push((key, row));
        }
        per_image.push(rows);
    }
    let (mut rows, shared) = rows_once(per_image, once, 4);
    for g in report.duplicates.groups.iter().take(top) {
        let mut row = vec![
            Cell::Text("(across layers)".into()),
            Cell::Bytes(g.size),
            Cell::Count(g.layers.len() as u64),
            Cell::Bytes(g.saved_size),
            Cell::Text(joined(&g.paths, ", ")),
        ];
        if shared {
            row.insert(4, Cell::Text(String::new()));
        }
        rows.push(row);
    }
    let d = &report.duplicates;
    let footer = if d.count > 0 {
        vec![format!(
            "across the set: {} contents shipped by several layers, {} could be saved",
            d.count,
            human_size(d.saved_size)
        )]
    } else {
        vec![]
    };
    let title = "DUPLICATES: identical files stored more than once";
    let mut columns = vec!["scope", "size", "copies", "saved", "paths"];
    if shared {
        columns.insert(4, "in");
    }
    unless_empty(
        Table::new("duplicates", title, columns, rows)
            .footer(footer)
            .grouped(),
    )
}

pub(super) fn findings(report: &Report, top: usize) -> Option<Table> {
    findings_table(report, top, false)
}

/// [`findings`] as text shows it: a finding in a layer several images share, once.
pub(super) fn findings_once(report: &Report, top: usize) -> Option<Table> {
    findings_table(report, top, true)
}

fn findings_table(report: &Report, _top: usize, once: bool) -> Option<Table> {
    let mut per_image = Vec::new();
    for i in &report.images {
        let mut rows = Vec::new();
        for f in &i.findings {
            let place = f
                .path
                .clone()
                .or_else(|| f.config.as_ref().map(|c| format!("config {c}")))
                .unwrap_or_default();
            let detail = match (&f.rule, &f.excerpt, &f.mode) {
                (Some(rule), Some(excerpt), _) => format!("{rule}: {excerpt}"),
                (_, _, Some(mode)) => format!("mode {mode}"),
                _ => String::new(),
            };
            let key = layer_key(
                i,
                f.layer.filter(|_| f.path.is_some()),
                format_args!("{}\0{place}\0{detail}\0{}", f.kind.as_str(), f.hidden),
            );
            let row = vec![
                Cell::Text(image_name(i)),
                Cell::Text(f.kind.as_str().into()),
                Cell::Text(place),
                Cell::Text(f.layer.map(|l| format!("#{}", l + 1)).unwrap_or_default()),
                Cell::Text(if f.hidden { "hidden" } else { "" }.into()),
                Cell::Text(detail),
                Cell::Text(cmd(f.created_by.as_deref())),
            ];
            rows.push((key, row));
        }
        per_image.push(rows);
    }
    let (rows, shared) = rows_once(per_image, once, 5);
    let mut columns = vec![
        "image",
        "kind",
        "where",
        "layer",
        "hidden",
        "detail",
        "added_by_command",
    ];
    if shared {
        columns.insert(5, "in");
    }
    let title = "FINDINGS: keys, secrets, setuid/setgid and world-writable files (hidden: \
                 deleted by a later layer, still shipped)";
    unless_empty(
        Table::new("findings", title, columns, rows)
            .csv_only(vec!["added_by_command"])
            .grouped(),
    )
}
