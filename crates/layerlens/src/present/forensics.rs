//! Table sections for the forensics: ledger, families, near-shared layers, waste and
//! duplicates; and the `diff` and `check` tables. At most `width` columns.

use std::fmt::Write as _;

use super::{fit, human_size, short_command};
use crate::check::RuleResult;
use crate::diff::{Change, ImageDiff};
use crate::families::{FamilyNode, NearSharedKind};
use crate::report::Report;

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

fn signed(delta: i64) -> String {
    if delta < 0 {
        format!("-{}", human_size(delta.unsigned_abs()))
    } else {
        format!("+{}", human_size(delta as u64))
    }
}

/// The sections `analyze` prints after its image and layer tables.
pub fn sections(report: &Report, width: usize) -> String {
    let width = width.max(72);
    let mut out = String::new();
    let t = &report.totals;
    let _ = writeln!(out, "\nLEDGER");
    for (label, v) in [
        ("naive (sum of image sizes)", t.naive_size),
        ("blob dedup (each diff_id once)", t.dedup_size),
        (
            "chain dedup (each ChainID once, overlay2)",
            t.chain_dedup_size,
        ),
        (
            "content dedup (each visible file content once)",
            t.content_dedup_size,
        ),
    ] {
        let _ = writeln!(
            out,
            "  {:<48} {:>10} {:>7}",
            label,
            human_size(v),
            pct(v, t.naive_size)
        );
    }

    if !report.families.is_empty() {
        let _ = writeln!(out, "\nFAMILIES");
        for node in &report.families {
            family(&mut out, node, 1, width);
        }
    }
    if !report.near_shared.is_empty() {
        let _ = writeln!(out, "\nNEAR-SHARED LAYERS");
        for n in report.near_shared.iter().take(crate::report::TOP_N) {
            let what = match n.kind {
                NearSharedKind::Rebased => format!(
                    "{} on {} parents: rebasing would save",
                    n.diff_ids[0].short(),
                    n.chain_ids.len()
                ),
                NearSharedKind::SameContent => format!(
                    "{} layers with the same files: a reproducible build would save",
                    n.diff_ids.len()
                ),
            };
            let line = format!(
                "  {what} {} ({} images)",
                human_size(n.savable_size),
                n.images.len()
            );
            let _ = writeln!(out, "{}", fit(&line, width));
        }
    }

    let _ = writeln!(out, "\nWASTE");
    let _ = writeln!(
        out,
        "  {:<34} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "IMAGE", "SIZE", "FINAL", "WASTED", "DUPLICATE", "EFFICIENCY"
    );
    for img in &report.images {
        let name = img
            .refs
            .first()
            .map(String::as_str)
            .unwrap_or(img.id.short());
        let _ = writeln!(
            out,
            "  {:<34} {:>10} {:>10} {:>10} {:>10} {:>10}",
            fit(name, 34),
            human_size(img.size),
            human_size(img.final_size),
            human_size(img.wasted_size),
            human_size(img.duplicate_size),
            format!("{:.1}%", img.efficiency * 100.0)
        );
    }
    for img in report.images.iter().filter(|i| !i.top_waste.is_empty()) {
        let name = img
            .refs
            .first()
            .map(String::as_str)
            .unwrap_or(img.id.short());
        let _ = writeln!(out, "\n  top wasted paths of {}", fit(name, width - 22));
        for w in &img.top_waste {
            let cmd = |c: &Option<String>| c.as_deref().map(short_command).unwrap_or_default();
            let line = format!(
                "  {:>10}  {:<11} {}  (added #{} {}; hidden #{} {})",
                human_size(w.size),
                format!("{:?}", w.cause).to_lowercase(),
                w.path,
                w.added_by + 1,
                cmd(&w.added_by_command),
                w.hidden_by + 1,
                cmd(&w.hidden_by_command)
            );
            let _ = writeln!(out, "{}", fit(&line, width));
        }
    }

    let dups: Vec<_> = report
        .images
        .iter()
        .filter(|i| !i.duplicates.is_empty())
        .collect();
    if !dups.is_empty() || report.duplicates.count > 0 {
        let _ = writeln!(out, "\nDUPLICATES");
        for img in dups {
            let name = img
                .refs
                .first()
                .map(String::as_str)
                .unwrap_or(img.id.short());
            let _ = writeln!(
                out,
                "  {}: {} could be saved",
                fit(name, width - 30),
                human_size(img.duplicate_size)
            );
            for g in img.duplicates.iter().take(5) {
                let line = format!(
                    "  {:>10} × {}  {}",
                    human_size(g.size),
                    g.paths.len(),
                    g.paths.join(", ")
                );
                let _ = writeln!(out, "{}", fit(&line, width));
            }
        }
        if report.duplicates.count > 0 {
            let _ = writeln!(
                out,
                "  across the set: {} contents shipped by several layers, {} could be saved",
                report.duplicates.count,
                human_size(report.duplicates.saved_size)
            );
            for g in report.duplicates.groups.iter().take(5) {
                let line = format!(
                    "  {:>10} × {} layers  {}",
                    human_size(g.size),
                    g.layers.len(),
                    g.paths.join(", ")
                );
                let _ = writeln!(out, "{}", fit(&line, width));
            }
        }
    }
    out
}

fn family(out: &mut String, node: &FamilyNode, level: usize, width: usize) {
    let indent = "  ".repeat(level);
    let line = format!(
        "{indent}{} — {} image{}, {} naive, {} stored; shared base {} ({} layer{})",
        node.name,
        node.images.len(),
        if node.images.len() == 1 { "" } else { "s" },
        human_size(node.naive_size),
        human_size(node.stored_size),
        human_size(node.size),
        node.depth,
        if node.depth == 1 { "" } else { "s" },
    );
    let _ = writeln!(out, "{}", fit(&line, width));
    for child in &node.children {
        family(out, child, level + 1, width);
    }
}

/// The `diff` table.
pub fn diff_table(d: &ImageDiff, width: usize) -> String {
    let width = width.max(72);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        fit(
            &format!(
                "{} ({}) -> {} ({}): size {} -> {} ({}), visible {} ({})",
                d.a.name,
                d.a.id.short(),
                d.b.name,
                d.b.id.short(),
                human_size(d.a.size),
                human_size(d.b.size),
                signed(d.size_delta),
                human_size(d.b.final_size),
                signed(d.final_delta)
            ),
            width
        )
    );
    let _ = writeln!(
        out,
        "layers: {} common base, {} shared, {} added, {} removed",
        d.common_base_layers,
        d.shared_layers.len(),
        d.added_layers.len(),
        d.removed_layers.len()
    );
    let cmd_w = width - 28;
    for (mark, layers) in [("+", &d.added_layers), ("-", &d.removed_layers)] {
        for l in layers.iter() {
            let cmd = l
                .created_by
                .as_deref()
                .map(short_command)
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {mark} #{:<3} {:>10}  {}",
                l.index + 1,
                human_size(l.content_size),
                fit(&cmd, cmd_w)
            );
        }
    }
    let (mut a, mut r, mut c) = (0, 0, 0);
    for f in &d.files {
        match f.change {
            Change::Added => a += 1,
            Change::Removed => r += 1,
            Change::Changed => c += 1,
        }
    }
    let _ = writeln!(out, "\nfiles: {a} added, {r} removed, {c} changed");
    for f in &d.files {
        let (mark, delta) = match f.change {
            Change::Added => ("+", f.new_size as i64),
            Change::Removed => ("-", -(f.old_size as i64)),
            Change::Changed => ("~", f.new_size as i64 - f.old_size as i64),
        };
        let line = format!("  {mark} {:>10}  {}", signed(delta), f.path);
        let _ = writeln!(out, "{}", fit(&line, width));
    }
    if !d.commands.is_empty() {
        let _ = writeln!(out, "\ncommands responsible (layers of {}):", d.b.name);
        for e in &d.commands {
            let cmd = e
                .created_by
                .as_deref()
                .map(short_command)
                .unwrap_or_default();
            let line = format!(
                "  #{:<3} {:>10}  +{} -{} ~{}  {}",
                e.index + 1,
                signed(e.delta),
                e.added,
                e.removed,
                e.changed,
                cmd
            );
            let _ = writeln!(out, "{}", fit(&line, width));
        }
    }
    out
}

/// The `check` table: one line per rule and subject.
pub fn check_table(results: &[RuleResult], width: usize) -> String {
    let width = width.max(72);
    let mut out = String::new();
    for r in results {
        let line = format!(
            "{}  {:<28} {:<30} {:>12} {}",
            if r.pass { "PASS" } else { "FAIL" },
            r.rule,
            fit(&r.subject, 30),
            r.measured,
            r.limit
        );
        let _ = writeln!(out, "{}", fit(&line, width));
    }
    let failed = results.iter().filter(|r| !r.pass).count();
    let _ = writeln!(out, "{} rules, {} failed", results.len(), failed);
    out
}
