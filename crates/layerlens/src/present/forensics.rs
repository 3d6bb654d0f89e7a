//! The `diff` and `check` tables, at most `width` columns. (The report's own sections
//! are drawn by [`super::text`], once for text and CSV.)

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use super::{fit, human_size, short_command};
use crate::forensics::diff::{dir_key, Change, FileChange, ImageDiff, PackageChange};
use crate::report::check::RuleResult;

fn signed(delta: i64) -> String {
    if delta < 0 {
        format!("-{}", human_size(delta.unsigned_abs()))
    } else {
        format!("+{}", human_size(delta as u64))
    }
}

fn signed_count(delta: i64) -> String {
    if delta < 0 {
        format!("{delta}")
    } else {
        format!("+{delta}")
    }
}

fn delta_of(a: u64, b: u64) -> i64 {
    b as i64 - a as i64
}

/// `A  B  delta` for one ledger level of the diff's summary.
fn level(out: &mut String, label: &str, a: u64, b: u64, bytes: bool) {
    let show = |n: u64| if bytes { human_size(n) } else { n.to_string() };
    let delta = if bytes {
        signed(delta_of(a, b))
    } else {
        signed_count(delta_of(a, b))
    };
    let _ = writeln!(
        out,
        "  {label:<26} {:>12} {:>12} {:>12}",
        show(a),
        show(b),
        delta
    );
}

/// "and N more …" when `shown` of `total` were shown.
fn more(out: &mut String, indent: &str, total: usize, shown: usize, what: &str) {
    if total > shown {
        let _ = writeln!(out, "{indent}… and {} more {what} (--top)", total - shown);
    }
}

fn package_line(p: &PackageChange, width: usize) -> String {
    let (mark, versions, bytes) = match p.change {
        Change::Added => (
            "+",
            p.new_version.clone().unwrap_or_default(),
            human_size(p.new_size),
        ),
        Change::Removed => (
            "-",
            p.old_version.clone().unwrap_or_default(),
            human_size(p.old_size),
        ),
        Change::Changed => (
            "~",
            format!(
                "{} -> {}",
                p.old_version.as_deref().unwrap_or(""),
                p.new_version.as_deref().unwrap_or("")
            ),
            signed(p.delta),
        ),
    };
    let layer = p.layer.map(|l| format!("#{}", l + 1)).unwrap_or_default();
    let at = p
        .path
        .as_deref()
        .map(|p| format!("  ({p})"))
        .unwrap_or_default();
    let tail = match (&p.provided_by, p.change) {
        (Some(by), _) => format!(" — provided by {} {}", by.manager.as_str(), by.name),
        (None, Change::Changed) => format!(
            "  ({} -> {})",
            human_size(p.old_size),
            human_size(p.new_size)
        ),
        (None, _) => String::new(),
    };
    let bytes = if p.provided_by.is_some() {
        String::new()
    } else {
        bytes
    };
    let line = format!(
        "  {mark} {:<6} {:<4} {bytes:>10}  {} {versions}{tail}{at}",
        p.manager.as_str(),
        layer,
        p.name
    );
    fit(&line, width)
}

/// The `diff` report: a summary at each ledger level and the layers, then the packages
/// added, removed and changed (largest first), then the changed files by directory
/// (largest net change first) with the largest files of each; at most `top` rows of a
/// list (the JSON has them all).
pub fn diff_table(d: &ImageDiff, width: usize, top: usize) -> String {
    let width = width.max(72);
    let top = top.max(1);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        fit(
            &format!(
                "{} ({}) -> {} ({})",
                d.a.name,
                d.a.id.short(),
                d.b.name,
                d.b.id.short(),
            ),
            width
        )
    );
    let _ = writeln!(out, "  {:<26} {:>12} {:>12} {:>12}", "", "A", "B", "delta");
    level(&mut out, "size (all layers)", d.a.size, d.b.size, true);
    level(
        &mut out,
        "shared (layers both have)",
        d.a.shared_size,
        d.b.shared_size,
        true,
    );
    level(
        &mut out,
        "unique (only its layers)",
        d.a.unique_size,
        d.b.unique_size,
        true,
    );
    level(
        &mut out,
        "visible (final files)",
        d.a.final_size,
        d.b.final_size,
        true,
    );
    level(&mut out, "files", d.a.files, d.b.files, false);
    let _ = writeln!(
        out,
        "layers: {} common base, {} shared, {} added, {} removed",
        d.common_base_layers,
        d.shared_layers.len(),
        d.added_layers.len(),
        d.removed_layers.len()
    );
    let cmd_w = width - 28;
    for (mark, layers) in [
        ("=", &d.shared_layers),
        ("+", &d.added_layers),
        ("-", &d.removed_layers),
    ] {
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
    let p = &d.packages;
    if !p.is_empty() {
        let _ = writeln!(
            out,
            "\npackages: {} added, {} removed, {} changed",
            p.added.len(),
            p.removed.len(),
            p.changed.len()
        );
        for (what, list) in [
            ("added", &p.added),
            ("removed", &p.removed),
            ("changed", &p.changed),
        ] {
            if list.is_empty() {
                continue;
            }
            // Names first, for the gist; then each with its bytes.
            let mut by_manager: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for c in list.iter() {
                by_manager
                    .entry(c.manager.as_str())
                    .or_default()
                    .push(&c.name);
            }
            for (manager, names) in by_manager {
                wrap(&mut out, &format!("{what} ({manager}): "), &names, width);
            }
            for c in list.iter().take(top) {
                let _ = writeln!(out, "{}", package_line(c, width));
            }
            more(&mut out, "  ", list.len(), top, "packages");
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
    let net: i64 = d.directories.iter().map(|g| g.delta).sum();
    let filtered = match &d.filter {
        Some(f) => {
            let mut s = String::from(" (filtered:");
            if let Some(p) = &f.path {
                s.push_str(&format!(" path {p}"));
            }
            if f.min_size > 0 {
                s.push_str(&format!(" min size {}", human_size(f.min_size)));
            }
            s.push(')');
            s
        }
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "\nfiles: {a} added, {r} removed, {c} changed, {} net{filtered}",
        signed(net)
    );
    if !d.directories.is_empty() {
        let _ = writeln!(
            out,
            "by directory ({} components), largest change first:",
            d.directory_depth
        );
        let _ = writeln!(
            out,
            "  {:>10} {:>6} {:>6} {:>6}  directory",
            "delta", "added", "remov", "chang"
        );
        // The largest file changes of each directory shown.
        let mut largest: HashMap<&str, Vec<&FileChange>> = HashMap::new();
        for f in &d.files {
            let key = dir_key(&f.path, d.directory_depth as usize);
            largest.entry(key).or_default().push(f);
        }
        for g in d.directories.iter().take(top) {
            let dir = if g.path.is_empty() { "/" } else { &g.path };
            let line = format!(
                "  {:>10} {:>6} {:>6} {:>6}  {dir}/",
                signed(g.delta),
                g.added,
                g.removed,
                g.changed
            );
            let _ = writeln!(out, "{}", fit(&line, width));
            let Some(files) = largest.get_mut(g.path.as_str()) else {
                continue;
            };
            files.sort_by(|x, y| {
                let dx = delta_of(x.old_size, x.new_size).unsigned_abs();
                let dy = delta_of(y.old_size, y.new_size).unsigned_abs();
                dy.cmp(&dx).then_with(|| x.path.cmp(&y.path))
            });
            for f in files.iter().take(FILES_PER_DIR) {
                let mark = match f.change {
                    Change::Added => "+",
                    Change::Removed => "-",
                    Change::Changed => "~",
                };
                let rel = f
                    .path
                    .strip_prefix(g.path.as_str())
                    .map(|r| r.trim_start_matches('/'))
                    .unwrap_or(&f.path);
                let line = format!(
                    "  {:>10}   {mark} {rel}",
                    signed(delta_of(f.old_size, f.new_size))
                );
                let _ = writeln!(out, "{}", fit(&line, width));
            }
            if files.len() > FILES_PER_DIR {
                let _ = writeln!(
                    out,
                    "  {:>10}   … {} more files",
                    "",
                    files.len() - FILES_PER_DIR
                );
            }
        }
        more(&mut out, "  ", d.directories.len(), top, "directories");
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

/// At most this many lines of names per manager in a `diff` package list's gist.
const NAME_LINES: usize = 3;

/// `head` then `items` joined by `, `, wrapped at `width` (continued lines indented),
/// in at most [`NAME_LINES`] lines: the rest counted ("… and N more").
fn wrap(out: &mut String, head: &str, items: &[&str], width: usize) {
    let mut lines: Vec<String> = Vec::new();
    let mut line = head.to_string();
    let mut empty = true;
    for (i, item) in items.iter().enumerate() {
        let left = items.len() - i;
        let piece = if left > 1 {
            format!("{item},")
        } else {
            item.to_string()
        };
        let last_line = lines.len() + 1 == NAME_LINES;
        // On the last line, room for the count of what does not fit.
        let room = if last_line && left > 1 { 18 } else { 0 };
        if !empty && line.chars().count() + 1 + piece.chars().count() + room > width {
            if last_line {
                line.push_str(&format!(" … and {left} more"));
                lines.push(line);
                line = String::new();
                break;
            }
            lines.push(std::mem::replace(&mut line, "    ".to_string()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(&piece);
        empty = false;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    for l in lines {
        let _ = writeln!(out, "{}", fit(&l, width));
    }
}

/// How many of a directory's file changes the `diff` table shows under it.
const FILES_PER_DIR: usize = 3;

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
