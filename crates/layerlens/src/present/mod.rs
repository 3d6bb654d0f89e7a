//! Human-readable presentation of a typed [`crate::Report`]: sizes in human units, the
//! report's tables ([`text`]: aligned text that fits 100 columns, or CSV, both over the
//! [`table`] model), the HTML report ([`html`]), and the tables of `explain`
//! ([`attribution`]), `diff` and `check` ([`forensics`]). Presenters read typed data
//! and format it; they compute nothing.

pub mod attribution;
pub mod forensics;
pub mod html;
#[cfg(test)]
mod sample;
pub mod table;
pub mod text;

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
