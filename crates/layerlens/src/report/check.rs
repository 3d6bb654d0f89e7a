//! `check`: a CI gate over a [`Report`]. Thresholds come from flags, a `.layerlens.toml`
//! or dive's `.dive-ci`; every rule is evaluated per image (or once for the set) and
//! reported with its measured value.
//!
//! Keys (in `.layerlens.toml`, `-` and `_` alike; sizes take `B`, `kB`, `MB`, `GB`,
//! `KiB`, `MiB`, `GiB` suffixes):
//!
//! | key | applies to | measured |
//! |---|---|---|
//! | `max-image-size` | each image | `size` |
//! | `max-set-naive-size`, `max-set-dedup-size`, `max-set-chain-size`, `max-set-content-size` | the set | the ledger level |
//! | `lowest-efficiency` | each image | `efficiency` (dive's score, 0..1) |
//! | `max-wasted-size` (`max-wasted-bytes`) | each image | `wasted_size` |
//! | `max-wasted-percent` | each image | `wasted_size / user_size × 100` (user = non-base bytes) |
//! | `highest-wasted-bytes` (dive) | each image | `dive_wasted_size` |
//! | `highest-user-wasted-percent` (dive, a ratio) | each image | `dive_wasted_size / user_size` |
//! | `no-findings` (`all`, or kinds: `private-key,secret,secret-in-config,setuid,setgid,world-writable`) | each image | its findings of those kinds, hidden ones included (still shipped) |
//!
//! `.layerlens.toml` is TOML (read with the `toml` crate): the keys at the top level or
//! under a `[check]` table; other tables are ignored; values are strings or numbers. A
//! `.dive-ci` file is YAML (read with `yaml_serde`): its `rules:` map; `disabled` turns
//! a rule off.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::forensics::findings::FindingKind;
use crate::present::human_size;
use crate::report::Report;

/// The thresholds of a check. `None` means the rule is off.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Largest allowed image size (content bytes).
    pub max_image_size: Option<u64>,
    /// Largest allowed naive set size.
    pub max_set_naive_size: Option<u64>,
    /// Largest allowed blob-dedup set size.
    pub max_set_dedup_size: Option<u64>,
    /// Largest allowed chain-dedup set size.
    pub max_set_chain_size: Option<u64>,
    /// Largest allowed content-dedup set size.
    pub max_set_content_size: Option<u64>,
    /// Lowest allowed efficiency (0..1).
    pub lowest_efficiency: Option<f64>,
    /// Largest allowed `wasted_size`.
    pub max_wasted_size: Option<u64>,
    /// Largest allowed wasted percent of the non-base bytes (0..100).
    pub max_wasted_percent: Option<f64>,
    /// dive's `highest-wasted-bytes`.
    pub highest_wasted_bytes: Option<u64>,
    /// dive's `highest-user-wasted-percent` (a ratio, 0..1).
    pub highest_user_wasted_percent: Option<f64>,
    /// Fail an image with any finding of these kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_findings: Option<Vec<FindingKind>>,
}

pub use crate::present::parse_size;

fn parse_ratio(s: &str, max: f64) -> Option<f64> {
    let s = s.trim();
    let v: f64 = s.strip_suffix('%').unwrap_or(s).trim().parse().ok()?;
    (v.is_finite() && (0.0..=max).contains(&v)).then_some(v)
}

impl Thresholds {
    /// Set one rule by key (see the module docs). `disabled` or an empty value turns it
    /// off.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let key = key.trim().replace('_', "-");
        let value = value.trim().trim_matches('"').trim_matches('\'');
        let off = value.is_empty() || value.eq_ignore_ascii_case("disabled");
        let bad = || Error::Options(format!("{key}: invalid value {value:?}"));
        let size = || -> Result<Option<u64>> {
            if off {
                Ok(None)
            } else {
                parse_size(value).map(Some).ok_or_else(bad)
            }
        };
        let ratio = |max: f64| -> Result<Option<f64>> {
            if off {
                Ok(None)
            } else {
                parse_ratio(value, max).map(Some).ok_or_else(bad)
            }
        };
        match key.as_str() {
            "max-image-size" => self.max_image_size = size()?,
            "max-set-naive-size" => self.max_set_naive_size = size()?,
            "max-set-dedup-size" | "max-set-blob-size" => self.max_set_dedup_size = size()?,
            "max-set-chain-size" => self.max_set_chain_size = size()?,
            "max-set-content-size" => self.max_set_content_size = size()?,
            "lowest-efficiency" => self.lowest_efficiency = ratio(1.0)?,
            "max-wasted-size" | "max-wasted-bytes" => self.max_wasted_size = size()?,
            "max-wasted-percent" => self.max_wasted_percent = ratio(100.0)?,
            "highest-wasted-bytes" => self.highest_wasted_bytes = size()?,
            "highest-user-wasted-percent" => self.highest_user_wasted_percent = ratio(1.0)?,
            "no-findings" => {
                self.no_findings = if off {
                    None
                } else if value.eq_ignore_ascii_case("all") {
                    Some(FindingKind::ALL.to_vec())
                } else {
                    let mut kinds = value
                        .split(',')
                        .map(|k| FindingKind::parse(k.trim()))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(bad)?;
                    kinds.sort();
                    kinds.dedup();
                    Some(kinds)
                }
            }
            _ => return Err(Error::Options(format!("unknown check rule {key:?}"))),
        }
        Ok(())
    }

    /// Read `.layerlens.toml` (see the module docs) into these thresholds.
    pub fn merge_toml(&mut self, text: &str) -> Result<()> {
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| Error::Options(format!("not TOML: {}", e.message())))?;
        let mut rules: Vec<(&String, &toml::Value)> =
            doc.iter().filter(|(_, v)| !v.is_table()).collect();
        if let Some(check) = doc.get("check").and_then(toml::Value::as_table) {
            rules.extend(check.iter());
        }
        for (k, v) in rules {
            let value = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                other => {
                    return Err(Error::Options(format!(
                        "{k}: expected a string or a number, found {other}"
                    )))
                }
            };
            self.set(k, &value)?;
        }
        Ok(())
    }

    /// Read dive's `.dive-ci` (YAML; its `rules:` map).
    pub fn merge_dive_ci(&mut self, text: &str) -> Result<()> {
        let doc: yaml_serde::Value =
            yaml_serde::from_str(text).map_err(|e| Error::Options(format!("not YAML: {e}")))?;
        let Some(rules) = doc.get("rules") else {
            return Ok(());
        };
        let rules = rules
            .as_mapping()
            .ok_or_else(|| Error::Options("rules: expected a map of rule: value".into()))?;
        for (k, v) in rules {
            let k = k
                .as_str()
                .ok_or_else(|| Error::Options(format!("rules: a rule name is not text: {k:?}")))?;
            if !matches!(
                k,
                "lowest-efficiency" | "highest-wasted-bytes" | "highest-user-wasted-percent"
            ) {
                return Err(Error::Options(format!("unknown dive rule {k:?}")));
            }
            let value = match v {
                yaml_serde::Value::String(s) => s.clone(),
                yaml_serde::Value::Number(n) => n.to_string(),
                yaml_serde::Value::Null => String::new(),
                other => {
                    return Err(Error::Options(format!(
                        "{k}: expected a string or a number, found {other:?}"
                    )))
                }
            };
            self.set(k, &value)?;
        }
        Ok(())
    }

    /// Whether no rule is on.
    pub fn is_empty(&self) -> bool {
        *self == Thresholds::default()
    }
}

/// One rule applied to one subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    /// The rule's key.
    pub rule: String,
    /// The image's name, or `set`.
    pub subject: String,
    /// The measured value, in words (`12.3 MB`, `0.9844`).
    pub measured: String,
    /// The limit, in words.
    pub limit: String,
    /// Whether it passed.
    pub pass: bool,
}

/// Evaluate every rule that is on.
pub fn check(report: &Report, t: &Thresholds) -> Vec<RuleResult> {
    let mut out = Vec::new();
    let size_rule =
        |out: &mut Vec<RuleResult>, rule: &str, subject: &str, measured: u64, max: Option<u64>| {
            if let Some(max) = max {
                out.push(RuleResult {
                    rule: rule.into(),
                    subject: subject.into(),
                    measured: human_size(measured),
                    limit: format!("<= {}", human_size(max)),
                    pass: measured <= max,
                });
            }
        };
    let tt = &report.totals;
    size_rule(
        &mut out,
        "max-set-naive-size",
        "set",
        tt.naive_size,
        t.max_set_naive_size,
    );
    size_rule(
        &mut out,
        "max-set-dedup-size",
        "set",
        tt.dedup_size,
        t.max_set_dedup_size,
    );
    size_rule(
        &mut out,
        "max-set-chain-size",
        "set",
        tt.chain_dedup_size,
        t.max_set_chain_size,
    );
    size_rule(
        &mut out,
        "max-set-content-size",
        "set",
        tt.content_dedup_size,
        t.max_set_content_size,
    );
    for img in &report.images {
        let name = img
            .refs
            .first()
            .cloned()
            .unwrap_or_else(|| img.id.short().to_string());
        size_rule(
            &mut out,
            "max-image-size",
            &name,
            img.size,
            t.max_image_size,
        );
        size_rule(
            &mut out,
            "max-wasted-size",
            &name,
            img.wasted_size,
            t.max_wasted_size,
        );
        size_rule(
            &mut out,
            "highest-wasted-bytes",
            &name,
            img.dive_wasted_size,
            t.highest_wasted_bytes,
        );
        let ratio = |n: u64| {
            if img.user_size == 0 {
                0.0
            } else {
                n as f64 / img.user_size as f64
            }
        };
        if let Some(min) = t.lowest_efficiency {
            out.push(RuleResult {
                rule: "lowest-efficiency".into(),
                subject: name.clone(),
                measured: format!("{:.4}", img.efficiency),
                limit: format!(">= {min}"),
                pass: img.efficiency >= min,
            });
        }
        if let Some(max) = t.max_wasted_percent {
            let pct = ratio(img.wasted_size) * 100.0;
            out.push(RuleResult {
                rule: "max-wasted-percent".into(),
                subject: name.clone(),
                measured: format!("{pct:.2}%"),
                limit: format!("<= {max}%"),
                pass: pct <= max,
            });
        }
        if let Some(max) = t.highest_user_wasted_percent {
            let r = ratio(img.dive_wasted_size);
            out.push(RuleResult {
                rule: "highest-user-wasted-percent".into(),
                subject: name.clone(),
                measured: format!("{r:.4}"),
                limit: format!("<= {max}"),
                pass: r <= max,
            });
        }
        if let Some(kinds) = &t.no_findings {
            let n = img
                .findings
                .iter()
                .filter(|f| kinds.contains(&f.kind))
                .count();
            let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            out.push(RuleResult {
                rule: "no-findings".into(),
                subject: name.clone(),
                measured: format!("{n} findings"),
                limit: format!("none of {}", names.join(", ")),
                pass: n == 0,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_files() {
        assert_eq!(parse_size("1234"), Some(1234));
        assert_eq!(parse_size("1.5GB"), Some(1_500_000_000));
        assert_eq!(parse_size("20 MiB"), Some(20 * 1024 * 1024));
        assert_eq!(parse_size("big"), None);
        let mut t = Thresholds::default();
        t.merge_toml("# gate\n[check]\nmax_image_size = \"500MB\"\nlowest-efficiency = 0.9\n[other]\nx = 1\n")
            .unwrap();
        assert_eq!(t.max_image_size, Some(500_000_000));
        assert_eq!(t.lowest_efficiency, Some(0.9));
        t.merge_dive_ci("rules:\n  lowest-efficiency: 0.95\n  highest-wasted-bytes: 20MB\n  highest-user-wasted-percent: disabled\n")
            .unwrap();
        assert_eq!(t.lowest_efficiency, Some(0.95));
        assert_eq!(t.highest_wasted_bytes, Some(20_000_000));
        assert_eq!(t.highest_user_wasted_percent, None);
        assert!(t.merge_toml("nonsense").is_err());
        // `#` inside a quoted value is part of the value, not a comment.
        let mut q = Thresholds::default();
        assert!(q.merge_toml("max-image-size = \"5MB # five\"").is_err());
        q.merge_toml("max-image-size = \"5MB\" # five\nmax-wasted-bytes = 1000\n")
            .unwrap();
        assert_eq!(q.max_image_size, Some(5_000_000));
        assert_eq!(q.max_wasted_size, Some(1000));
        assert!(q.merge_dive_ci("rules:\n  no-such: 1\n").is_err());
        assert!(q.merge_dive_ci("rules: [1, 2]\n").is_err());
        q.merge_dive_ci("# comment\nrules:\n  lowest-efficiency: \"0.5\"  # inline\n")
            .unwrap();
        assert_eq!(q.lowest_efficiency, Some(0.5));
        assert!(t.set("lowest-efficiency", "2").is_err());
        t.set("no-findings", "secret, private-key,secret").unwrap();
        assert_eq!(
            t.no_findings,
            Some(vec![FindingKind::PrivateKey, FindingKind::Secret])
        );
        t.set("no_findings", "all").unwrap();
        assert_eq!(t.no_findings.as_deref(), Some(&FindingKind::ALL[..]));
        assert!(t.set("no-findings", "keys").is_err());
        t.set("no-findings", "disabled").unwrap();
        assert_eq!(t.no_findings, None);
        assert!(t.set("no-such-rule", "1").is_err());
    }
}
