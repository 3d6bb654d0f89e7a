//! Image config strings (`Env`, labels, history): the token rules and `KEY=VALUE`
//! assignments, on one string at a time.

use super::lines::{env_assignment, real_value, secretish_key, url_credentials, LineHit};
use super::tokens::{count_nl, run, Tokens};
use crate::redact::Redacted;
use crate::{Finding, FindingKind, Found};

/// Where an image-config string comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigField<'a> {
    /// One `config.Env` entry (`KEY=VALUE`).
    Env,
    /// One `history[].created_by` (build args `|N K=V … cmd`, `ENV`/`ARG` instructions,
    /// URLs with credentials in `RUN` lines).
    History,
    /// One label value, with its key.
    Label { key: &'a str },
    /// Anything else (`Cmd`, `Entrypoint` joined, …): token rules and URL credentials.
    Other,
}

/// `secret-in-config` findings in one image-config string: the token rules everywhere,
/// URL credentials everywhere, and `generic-secret` on `KEY=VALUE` entries of `Env`, on
/// build arguments and `ENV`/`ARG` instructions recorded in `created_by`, and on labels
/// whose key names a secret. Offsets are byte offsets into `text`.
pub fn scan_config(field: ConfigField<'_>, text: &str) -> Vec<Finding> {
    let b = text.as_bytes();
    let mut t = Tokens::new(Some(FindingKind::SecretInConfig));
    t.scan(b, 0, 0, b.len(), 0, None, true);
    let mut hits = Vec::new();
    url_credentials(b, &mut hits);
    match field {
        ConfigField::Env => env_assignment(b, &mut hits),
        ConfigField::History => history_assignments(b, &mut hits),
        ConfigField::Label { key } => {
            if secretish_key(key.as_bytes()) && real_value(b) {
                hits.push(LineHit {
                    rule: "generic-secret",
                    start: 0,
                    len: b.len(),
                    label: format!("{key}="),
                    show: 0,
                });
            }
        }
        ConfigField::Other => {}
    }
    for h in hits {
        let line = 1 + count_nl(&b[..h.start]) as u32;
        t.push(Finding {
            kind: FindingKind::SecretInConfig,
            rule: h.rule,
            offset: h.start as u64,
            line,
            excerpt: Redacted::new(&h.label, &b[h.start..h.start + h.len], h.show),
        });
    }
    t.finish()
        .into_iter()
        .filter_map(|f| match f {
            Found::Finding(f) => Some(f),
            _ => None,
        })
        .collect()
}

/// Whitespace-separated words of `s` with their offsets (no quoting rules).
fn words(s: &[u8]) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        i += run(&s[i..], |b| b.is_ascii_whitespace());
        let n = run(&s[i..], |b| !b.is_ascii_whitespace());
        if n > 0 {
            out.push((i, &s[i..i + n]));
        }
        i += n;
    }
    out
}

fn assignment_at(at: usize, word: &[u8], out: &mut Vec<LineHit>) {
    let mut tmp = Vec::new();
    env_assignment(word, &mut tmp);
    for mut h in tmp {
        h.start += at;
        out.push(h);
    }
}

/// Build args (`|2 A=1 B=2 /bin/sh -c …`, the classic builder's record of a `RUN` with
/// build arguments) and `ENV`/`ARG` instructions (`ENV K=V K2=V2`, `ENV K V`).
fn history_assignments(s: &[u8], out: &mut Vec<LineHit>) {
    let w = words(s);
    if let Some((_, first)) = w.first() {
        if first.len() > 1 && first[0] == b'|' && first[1..].iter().all(u8::is_ascii_digit) {
            let n: usize = std::str::from_utf8(&first[1..])
                .ok()
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            for (at, word) in w.iter().skip(1).take(n) {
                assignment_at(*at, word, out);
            }
        }
    }
    for (idx, (_, word)) in w.iter().enumerate() {
        if *word == b"ENV" || *word == b"ARG" {
            let rest = &w[idx + 1..];
            if rest.is_empty() {
                continue;
            }
            if *word == b"ENV" && !rest[0].1.contains(&b'=') && rest.len() >= 2 {
                // `ENV KEY value with spaces`
                let (_, key) = rest[0];
                let vstart = rest[1].0;
                let vend = rest[rest.len() - 1].0 + rest[rest.len() - 1].1.len();
                let mut line = key.to_vec();
                line.push(b'=');
                line.extend_from_slice(&s[vstart..vend]);
                let mut tmp = Vec::new();
                env_assignment(&line, &mut tmp);
                for mut h in tmp {
                    h.start = h.start - key.len() - 1 + vstart;
                    out.push(h);
                }
            } else {
                for (at, word) in rest.iter().take_while(|(_, x)| x.contains(&b'=')) {
                    assignment_at(*at, word, out);
                }
            }
        }
    }
}
