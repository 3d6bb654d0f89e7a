//! The `diff` and `check` tables, at most `width` columns. (The report's own sections
//! are drawn by [`super::text`], once for text and CSV.)

use std::fmt::Write as _;

use super::{fit, human_size, short_command};
use crate::forensics::diff::{Change, ImageDiff};
use crate::report::check::RuleResult;

fn signed(delta: i64) -> String {
    if delta < 0 {
        format!("-{}", human_size(delta.unsigned_abs()))
    } else {
        format!("+{}", human_size(delta as u64))
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
    if !d.packages.is_empty() {
        let _ = writeln!(out, "\npackages:");
        for p in &d.packages {
            let (mark, versions) = match p.change {
                Change::Added => ("+", p.new_version.clone().unwrap_or_default()),
                Change::Removed => ("-", p.old_version.clone().unwrap_or_default()),
                Change::Changed => (
                    "~",
                    format!(
                        "{} -> {}",
                        p.old_version.as_deref().unwrap_or(""),
                        p.new_version.as_deref().unwrap_or("")
                    ),
                ),
            };
            let layer = p.layer.map(|l| format!("#{}", l + 1)).unwrap_or_default();
            let at = p
                .path
                .as_deref()
                .map(|p| format!("  ({p})"))
                .unwrap_or_default();
            let line = format!(
                "  {mark} {:<6} {:<5} {} {versions}{at}",
                p.manager.as_str(),
                layer,
                p.name
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
