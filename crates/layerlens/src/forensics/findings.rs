//! Findings: what is risky in an image's bytes and config.
//!
//! * in files: `private-key` (PEM and OpenSSH private key blocks) and `secret`
//!   (well-known credential patterns in small text files, `.env` and credential files),
//!   found by the layer walk's detectors ([`crate::read::detect`]);
//! * in the config: `secret-in-config` (tokens in `Env`, history `created_by`, labels);
//! * in the records' mode bits: `setuid`, `setgid`, and `world-writable` (regular
//!   files, and directories without the sticky bit).
//!
//! A finding in a file carries the layer that added it and whether a later layer hid
//! it (`hidden`: not in the final filesystem, still shipped and extractable).

use serde::{Deserialize, Serialize};

use crate::model::overlay::{At, Overlay};
use crate::model::SetModel;
use crate::read::layer::{EntryKind, FileRecord};

/// The kind of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FindingKind {
    /// A PEM or OpenSSH private key block in a file.
    #[serde(rename = "private-key")]
    PrivateKey,
    /// A credential in a file.
    #[serde(rename = "secret")]
    Secret,
    /// A credential in the image config (`Env`, history, labels).
    #[serde(rename = "secret-in-config")]
    SecretInConfig,
    /// A file with the set-user-ID bit.
    #[serde(rename = "setuid")]
    Setuid,
    /// A file with the set-group-ID bit.
    #[serde(rename = "setgid")]
    Setgid,
    /// A regular file writable by everyone, or a directory writable by everyone
    /// without the sticky bit.
    #[serde(rename = "world-writable")]
    WorldWritable,
}

impl FindingKind {
    /// Every kind.
    pub const ALL: [FindingKind; 6] = [
        FindingKind::PrivateKey,
        FindingKind::Secret,
        FindingKind::SecretInConfig,
        FindingKind::Setuid,
        FindingKind::Setgid,
        FindingKind::WorldWritable,
    ];

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::PrivateKey => "private-key",
            FindingKind::Secret => "secret",
            FindingKind::SecretInConfig => "secret-in-config",
            FindingKind::Setuid => "setuid",
            FindingKind::Setgid => "setgid",
            FindingKind::WorldWritable => "world-writable",
        }
    }

    /// The kind named `s` (its JSON name).
    pub fn parse(s: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One finding of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What it is.
    pub kind: FindingKind,
    /// The file, for findings in files and mode bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Where in the image config, for `secret-in-config`: `Env[2]`,
    /// `history[4].created_by`, `Labels["key"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// Index (0 = lowest) of the layer that added the file, or that the history entry
    /// made; `null` for `Env` and labels.
    pub layer: Option<u64>,
    /// That layer's history command (never given for a finding in the history itself:
    /// it is where the secret is).
    pub created_by: Option<String>,
    /// Whether a later layer hid the file: not in the final filesystem, but still
    /// shipped in the image's layers, and extractable.
    pub hidden: bool,
    /// For keys and secrets: the rule that matched (`pem-private-key`,
    /// `github-token`, `generic-secret`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// For keys and secrets in files: the 1-based line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// For keys and secrets: what may be shown, never the secret (a label, at most 4
    /// public leading characters and the length: `GITHUB_TOKEN= ghp_…(40)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// For mode findings: the permission bits, in octal (`4755`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// A `secret-in-config` finding of an image's config, found when the config is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigFinding {
    /// Where: `Env[2]`, `history[4].created_by`, `Labels["key"]`.
    pub config: String,
    /// For a history entry that made a layer: that layer's index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<u64>,
    /// The rule that matched.
    pub rule: String,
    /// What may be shown, never the secret.
    pub excerpt: String,
}

/// Most findings of one kind listed per image (the rest are counted in a note).
pub const MAX_FINDINGS_PER_KIND: usize = 100;

/// The `secret-in-config` findings of a config: its `Env` entries, labels and history
/// `created_by` strings, each scanned by `layerlens_sniff::scan_config`. `layers` is
/// the image's layer count: a history entry's layer is known only when the non-empty
/// entries match the layers one to one.
pub(crate) fn scan_config(
    cfg: &crate::read::manifest::ImageConfig,
    layers: usize,
) -> Vec<ConfigFinding> {
    use layerlens_sniff::ConfigField;
    let mut out = Vec::new();
    let mut push = |config: String, layer: Option<u64>, found: Vec<layerlens_sniff::Finding>| {
        for f in found {
            out.push(ConfigFinding {
                config: config.clone(),
                layer,
                rule: f.rule.to_string(),
                excerpt: f.excerpt.to_string(),
            });
        }
    };
    if let Some(c) = &cfg.config {
        for (i, e) in c.env.iter().enumerate() {
            push(
                format!("Env[{i}]"),
                None,
                layerlens_sniff::scan_config(ConfigField::Env, e),
            );
        }
        for (k, v) in &c.labels {
            push(
                format!("Labels[{k:?}]"),
                None,
                layerlens_sniff::scan_config(ConfigField::Label { key: k }, v),
            );
        }
    }
    let history = cfg.history.as_deref().unwrap_or_default();
    let non_empty = history
        .iter()
        .filter(|h| !h.empty_layer.unwrap_or(false))
        .count();
    let mut layer = 0u64;
    for (i, h) in history.iter().enumerate() {
        let makes_layer = !h.empty_layer.unwrap_or(false);
        if let Some(cmd) = &h.created_by {
            let at = (makes_layer && non_empty == layers).then_some(layer);
            push(
                format!("history[{i}].created_by"),
                at,
                layerlens_sniff::scan_config(ConfigField::History, cmd),
            );
        }
        if makes_layer {
            layer += 1;
        }
    }
    out
}

/// A history command with every credential `scan_config` finds in it cut down to its
/// public prefix (`curl -H 'token ghp_…' …`): what the report prints as the layer's
/// `created_by`, everywhere. Unchanged when nothing is found.
pub(crate) fn redact_command(cmd: &str) -> String {
    let mut found = layerlens_sniff::scan_config(layerlens_sniff::ConfigField::History, cmd);
    if found.is_empty() {
        return cmd.to_string();
    }
    found.sort_by_key(|f| f.offset);
    let b = cmd.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut at = 0usize;
    for f in found {
        let start = (f.offset as usize).min(b.len());
        let end = f
            .excerpt
            .len
            .map_or(b.len(), |n| start.saturating_add(n as usize).min(b.len()));
        if start < at {
            continue;
        }
        out.extend_from_slice(&b[at..start]);
        out.extend_from_slice(f.excerpt.shown.as_bytes());
        out.extend_from_slice("…".as_bytes());
        at = end;
    }
    out.extend_from_slice(&b[at..]);
    String::from_utf8_lossy(&out).into_owned()
}

/// The mode findings of a record, if any.
fn mode_kinds(r: &FileRecord) -> impl Iterator<Item = FindingKind> {
    let m = r.mode;
    let regular = r.kind == EntryKind::Regular;
    let dir = r.kind == EntryKind::Directory;
    [
        (regular && m & 0o4000 != 0, FindingKind::Setuid),
        (regular && m & 0o2000 != 0, FindingKind::Setgid),
        (
            (regular || (dir && m & 0o1000 == 0)) && m & 0o002 != 0,
            FindingKind::WorldWritable,
        ),
    ]
    .into_iter()
    .filter_map(|(yes, k)| yes.then_some(k))
}

/// A record of a layer some finding is about.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    entry: u32,
    pid: u32,
    kind: FindingKind,
    /// For keys and secrets: the index in the layer's `detected.findings`.
    detected: Option<u32>,
}

/// Every record of every layer a finding is about, worked out once per set.
pub(crate) struct Candidates {
    per_layer: Vec<Vec<Candidate>>,
}

impl Candidates {
    pub fn new(m: &SetModel<'_>) -> Candidates {
        use rayon::prelude::*;
        let per_layer = (0..m.layers().len())
            .into_par_iter()
            .map(|l| {
                let files = m.files(l as u32);
                let ids = m.paths().layer(l);
                let mut out = Vec::new();
                for (e, (r, &pid)) in files.iter().zip(ids).enumerate() {
                    for kind in mode_kinds(r) {
                        out.push(Candidate {
                            entry: e as u32,
                            pid,
                            kind,
                            detected: None,
                        });
                    }
                }
                if let Some(r) = m.layers()[l].1 {
                    for (i, f) in r.detected.findings.iter().enumerate() {
                        let Some(&pid) = ids.get(f.entry as usize) else {
                            continue;
                        };
                        out.push(Candidate {
                            entry: f.entry,
                            pid,
                            kind: f.kind,
                            detected: Some(i as u32),
                        });
                    }
                }
                out
            })
            .collect();
        Candidates { per_layer }
    }
}

/// The findings facet of the walk: at each image's top node, every candidate record of
/// its layers, hidden or not.
#[derive(Clone)]
pub(crate) struct Findings<'c, 'm, 'a> {
    m: &'m SetModel<'a>,
    candidates: &'c Candidates,
    /// Per image reached: its findings in files, unsorted.
    pub images: Vec<(u32, Vec<Finding>)>,
}

impl<'c, 'm, 'a> Findings<'c, 'm, 'a> {
    pub fn new(m: &'m SetModel<'a>, candidates: &'c Candidates) -> Self {
        Findings {
            m,
            candidates,
            images: Vec::new(),
        }
    }

    pub fn image(&mut self, o: &Overlay<'_, '_>, image: u32) {
        let img = &self.m.images()[image as usize];
        let mut out = Vec::new();
        for depth in 0..o.stack().len() as u32 {
            let layer = o.layer_at(depth);
            for c in &self.candidates.per_layer[layer as usize] {
                let at = At {
                    depth,
                    entry: c.entry,
                };
                let r = o.record(at);
                let hidden = o.get(c.pid) != Some(at);
                // A directory entry a later layer repeats (every layer writing into it
                // does) holds no bytes: only the visible one says what the mode is.
                if hidden && r.kind == EntryKind::Directory {
                    continue;
                }
                let detected = c.detected.and_then(|i| {
                    self.m.layers()[layer as usize]
                        .1
                        .map(|r| &r.detected.findings[i as usize])
                });
                out.push(Finding {
                    kind: c.kind,
                    path: Some(r.path.clone()),
                    config: None,
                    layer: Some(depth as u64),
                    created_by: img
                        .layers
                        .get(depth as usize)
                        .and_then(|l| l.created_by.clone()),
                    hidden,
                    rule: detected.map(|d| d.rule.clone()),
                    line: detected.map(|d| d.line),
                    excerpt: detected.map(|d| d.excerpt.clone()),
                    mode: detected.is_none().then(|| format!("{:o}", r.mode & 0o7777)),
                });
            }
        }
        self.images.push((image, out));
    }
}

/// An image's findings by kind; in files by (layer, path, line), in the config in the
/// order scanned (`Env`, labels, history); at most [`MAX_FINDINGS_PER_KIND`] of each
/// kind (a note counts the rest).
pub(crate) fn image_findings(
    img: &crate::Image,
    mut files: Vec<Finding>,
) -> (Vec<Finding>, Option<String>) {
    files.extend(img.config_findings.iter().map(|c| Finding {
        kind: FindingKind::SecretInConfig,
        path: None,
        config: Some(c.config.clone()),
        layer: c.layer,
        created_by: None,
        hidden: false,
        rule: Some(c.rule.clone()),
        line: None,
        excerpt: Some(c.excerpt.clone()),
        mode: None,
    }));
    // Stable: config findings (one kind of their own) keep the order scanned.
    files.sort_by(|a, b| {
        a.kind.cmp(&b.kind).then_with(|| {
            if a.kind == FindingKind::SecretInConfig {
                std::cmp::Ordering::Equal
            } else {
                (a.layer, &a.path, a.line).cmp(&(b.layer, &b.path, b.line))
            }
        })
    });
    let mut out = Vec::with_capacity(files.len());
    let mut left_out: Vec<(FindingKind, usize)> = Vec::new();
    let mut run = (None, 0);
    for f in files {
        if run.0 != Some(f.kind) {
            run = (Some(f.kind), 0);
        }
        run.1 += 1;
        if run.1 <= MAX_FINDINGS_PER_KIND {
            out.push(f);
        } else {
            match left_out.last_mut() {
                Some((k, n)) if *k == f.kind => *n += 1,
                _ => left_out.push((f.kind, 1)),
            }
        }
    }
    let note = (!left_out.is_empty()).then(|| {
        let parts: Vec<String> = left_out
            .iter()
            .map(|(k, n)| format!("{n} more {} findings", k.as_str()))
            .collect();
        format!(
            "{}: {} not listed (at most {MAX_FINDINGS_PER_KIND} of each kind)",
            img.name(),
            parts.join(", ")
        )
    });
    (out, note)
}
