//! Human-readable presentation of a [`Report`]: sizes in human units, tables that fit
//! 100 columns. Presenters format; they compute nothing.

use std::fmt::Write as _;

pub mod attribution;
pub mod forensics;
pub mod html;
pub mod text;

use crate::report::Report;

/// Bytes in SI units as `docker images` shows them: `0 B`, `999 B`, `1.2 kB`, `707.3 MB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 999.95 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Parse a byte size: `1234`, `100MB`, `1.5GB`, `20 MiB`, `16GiB` (k/M/G/T are powers
/// of 1000, Ki/Mi/Gi/Ti powers of 1024; the `B` is optional). `None` when it is not one.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "ki" | "kib" => 1024.0,
        "mi" | "mib" => 1024.0 * 1024.0,
        "gi" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "ti" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let v = (num * mult).round();
    (v.is_finite() && v >= 0.0).then_some(v as u64)
}

/// An integer with thousands separators: `1,234,567`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Cut `s` to at most `width` characters, marking the cut with `…`.
pub fn fit(s: &str, width: usize) -> String {
    let s = s.replace(['\n', '\t'], " ");
    if s.chars().count() <= width {
        return s;
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Docker's history strings start with `/bin/sh -c #(nop) ` for metadata steps and
/// `/bin/sh -c ` for RUN: drop the noise so the command itself fits.
pub fn short_command(created_by: &str) -> String {
    let s = created_by.trim();
    let s = s.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(s);
    let s = match s.strip_prefix("/bin/sh -c ") {
        Some(rest) => format!("RUN {rest}"),
        None => s.to_string(),
    };
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `analyze` table: images with size, shared and unique bytes, then each image's
/// layers with size, file count and the command that made them. At most `width`
/// columns (100 is the documented target).
pub fn analyze_table(report: &Report, width: usize) -> String {
    let width = width.max(72);
    let mut out = String::new();
    let name_w = width - (14 + 11 * 3 + 7);
    let _ = writeln!(
        out,
        "{:<name_w$} {:<13} {:>10} {:>10} {:>10} {:>6}",
        "IMAGE", "ID", "SIZE", "SHARED", "UNIQUE", "LAYERS"
    );
    for img in &report.images {
        let name = match img.refs.len() {
            0 => "<untagged>".to_string(),
            1 => img.refs[0].clone(),
            n => format!("{} (+{} more)", img.refs[0], n - 1),
        };
        let _ = writeln!(
            out,
            "{:<name_w$} {:<13} {:>10} {:>10} {:>10} {:>6}",
            fit(&name, name_w),
            img.id.short(),
            human_size(img.size),
            human_size(img.shared_size),
            human_size(img.unique_size),
            img.layers.len()
        );
    }
    for img in &report.images {
        out.push('\n');
        let platform = match (&img.os, &img.architecture) {
            (Some(os), Some(arch)) => match &img.variant {
                Some(v) => format!("{os}/{arch}/{v}"),
                None => format!("{os}/{arch}"),
            },
            _ => "unknown platform".to_string(),
        };
        let title = format!(
            "{} ({}, {}) — {} in {} layers",
            img.refs.first().map(String::as_str).unwrap_or("<untagged>"),
            img.id.short(),
            platform,
            human_size(img.size),
            img.layers.len()
        );
        let _ = writeln!(out, "{}", fit(&title, width));
        let _ = writeln!(
            out,
            "  {:>3}  {:<12}  {:>10}  {:>9}  CREATED BY",
            "#", "DIFF_ID", "SIZE", "FILES"
        );
        let cmd_w = width - (2 + 3 + 2 + 12 + 2 + 10 + 2 + 9 + 2);
        for (i, l) in img.layers.iter().enumerate() {
            let cmd = l
                .created_by
                .as_deref()
                .map(short_command)
                .unwrap_or_else(|| "-".to_string());
            let mut marks = String::new();
            if l.whiteouts + l.opaque_whiteouts > 0 {
                marks = format!(" [{} whiteouts]", l.whiteouts + l.opaque_whiteouts);
            }
            let _ = writeln!(
                out,
                "  {:>3}  {:<12}  {:>10}  {:>9}  {}",
                i + 1,
                l.diff_id.short(),
                human_size(l.content_size),
                grouped(l.files),
                fit(&format!("{cmd}{marks}"), cmd_w)
            );
        }
    }
    let t = &report.totals;
    out.push('\n');
    let _ = writeln!(
        out,
        "{} images, {} layers ({} unique): {} if summed, {} stored once ({} saved by sharing)",
        t.images,
        t.layers,
        t.unique_layers,
        human_size(t.naive_size),
        human_size(t.dedup_size),
        human_size(t.naive_size - t.dedup_size)
    );
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1000), "1.0 kB");
        assert_eq!(human_size(1234), "1.2 kB");
        assert_eq!(human_size(707_300_000), "707.3 MB");
        assert_eq!(human_size(999_960), "1.0 MB");
        assert_eq!(human_size(15_600_000_000), "15.6 GB");
    }

    #[test]
    fn groups_and_fits() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(1234567), "1,234,567");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(
            short_command("/bin/sh -c #(nop)  CMD [\"sh\"]"),
            "CMD [\"sh\"]"
        );
        assert_eq!(
            short_command("/bin/sh -c apt-get  update"),
            "RUN apt-get update"
        );
    }
}
