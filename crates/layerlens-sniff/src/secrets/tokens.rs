//! Token rules: the patterns, where a token may start and end, and the findings they make.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, Input, MatchKind};

use crate::limits;
use crate::redact::Redacted;
use crate::{Finding, FindingKind, Found};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    AwsKeyId,
    AwsSecretName,
    Google,
    GitHub,
    GitHubPat,
    GitLab,
    Slack,
    Stripe,
    PyPi,
    PemBegin,
    PemEnd,
}

const PATTERNS: &[(&str, Tok)] = &[
    ("AKIA", Tok::AwsKeyId),
    ("ASIA", Tok::AwsKeyId),
    ("secret_access_key", Tok::AwsSecretName),
    ("SECRET_ACCESS_KEY", Tok::AwsSecretName),
    ("SecretAccessKey", Tok::AwsSecretName),
    ("secretAccessKey", Tok::AwsSecretName),
    ("secret-access-key", Tok::AwsSecretName),
    ("AIza", Tok::Google),
    ("ghp_", Tok::GitHub),
    ("gho_", Tok::GitHub),
    ("ghu_", Tok::GitHub),
    ("ghs_", Tok::GitHub),
    ("ghr_", Tok::GitHub),
    ("github_pat_", Tok::GitHubPat),
    ("glpat-", Tok::GitLab),
    ("xoxa-", Tok::Slack),
    ("xoxb-", Tok::Slack),
    ("xoxp-", Tok::Slack),
    ("xoxr-", Tok::Slack),
    ("xoxs-", Tok::Slack),
    ("sk_live_", Tok::Stripe),
    ("rk_live_", Tok::Stripe),
    ("pypi-AgEIcHlwaS5vcmc", Tok::PyPi),
    ("-----BEGIN ", Tok::PemBegin),
    ("-----END ", Tok::PemEnd),
];

fn automaton() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(PATTERNS.iter().map(|p| p.0))
            .expect("token patterns build")
    })
}

/// Bytes after a token's start that its evaluation may look at. Matches closer than this
/// to the end of what has been fed wait for the next chunk.
pub(super) const LOOKAHEAD: usize = 320;
/// An `aws-access-key-id` needs a secret access key within this many bytes.
const AWS_NEARBY: u64 = 4096;

pub(super) fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}
pub(super) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}
fn is_urlsafe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}
fn is_b32_upper(b: u8) -> bool {
    b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)
}
fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// Length of the run of `class` bytes at the start of `s`.
pub(super) fn run(s: &[u8], class: fn(u8) -> bool) -> usize {
    s.iter().position(|&b| !class(b)).unwrap_or(s.len())
}

pub(super) fn distinct(s: &[u8]) -> usize {
    let mut seen = [false; 256];
    let mut n = 0;
    for &b in s {
        if !seen[b as usize] {
            seen[b as usize] = true;
            n += 1;
        }
    }
    n
}

pub(super) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// A token rule's verdict on a pattern match.
enum Hit {
    /// A finding: the secret is `buf[start..start + len]`.
    Secret {
        kind: FindingKind,
        rule: &'static str,
        start: usize,
        len: usize,
        label: String,
        show: usize,
    },
    AwsKeyId {
        start: usize,
    },
    /// A PEM block starts at `start` (with this label, and whether JSON-escaped).
    PemBegin {
        start: usize,
        label: String,
        json: bool,
    },
    /// A PEM END line with this label, ending at `end`.
    PemEnd {
        label: String,
        end: usize,
    },
}

/// The value after a run of `class` bytes of `min..=max` length right after the pattern,
/// which must not be followed by another `class` byte (a complete token within `buf`;
/// `eof`: the buffer is the end of the data).
fn tail_run(
    rest: &[u8],
    class: fn(u8) -> bool,
    min: usize,
    max: usize,
    eof: bool,
) -> Option<usize> {
    let n = run(rest, class);
    if n == rest.len() && !eof {
        return None; // runs to the end of what we can see: too long for the lookahead
    }
    (min..=max).contains(&n).then_some(n)
}

fn evaluate(
    tok: Tok,
    buf: &[u8],
    s: usize,
    e: usize,
    before: Option<u8>,
    eof: bool,
) -> Option<Hit> {
    let rest = &buf[e..];
    let secret = |rule, n: usize, show| Hit::Secret {
        kind: FindingKind::Secret,
        rule,
        start: s,
        len: e - s + n,
        label: String::new(),
        show,
    };
    match tok {
        Tok::AwsKeyId => {
            if before.is_some_and(is_alnum) {
                return None;
            }
            let n = tail_run(rest, is_alnum, 16, 16, eof)?;
            let body = &rest[..n];
            if !body.iter().all(|&b| is_b32_upper(b))
                || contains(body, b"EXAMPLE")
                || distinct(body) < 6
            {
                return None;
            }
            Some(Hit::AwsKeyId { start: s })
        }
        Tok::AwsSecretName => {
            // `name` [quote] blanks (= | :) blanks [quote] VALUE
            let mut i = 0;
            let mut sep = false;
            while i < rest.len() && i < 12 {
                match rest[i] {
                    b'=' | b':' => sep = true,
                    b' ' | b'\t' | b'"' | b'\'' => {}
                    _ => break,
                }
                i += 1;
            }
            if !sep {
                return None;
            }
            let v = &rest[i..];
            let n = run(v, is_b64);
            if n != 40 || (n == v.len() && !eof) || v.get(40) == Some(&b'=') {
                return None;
            }
            let val = &v[..40];
            if contains(val, b"EXAMPLE") || distinct(val) < 12 {
                return None;
            }
            let name = String::from_utf8_lossy(&buf[s..e]).into_owned();
            Some(Hit::Secret {
                kind: FindingKind::Secret,
                rule: "aws-secret-access-key",
                start: e + i,
                len: 40,
                label: name,
                show: 0,
            })
        }
        Tok::Google => {
            if before.is_some_and(is_urlsafe) {
                return None;
            }
            let n = tail_run(rest, is_urlsafe, 35, 35, eof)?;
            (distinct(&rest[..n]) >= 10).then(|| secret("google-api-key", n, 4))
        }
        Tok::GitHub => {
            if before.is_some_and(is_word) {
                return None;
            }
            let n = tail_run(rest, is_alnum, 36, 251, eof)?;
            if rest.get(n) == Some(&b'_') {
                return None;
            }
            (distinct(&rest[..n]) >= 12).then(|| secret("github-token", n, 4))
        }
        Tok::GitHubPat => {
            if before.is_some_and(is_word) {
                return None;
            }
            let n = tail_run(rest, is_word, 70, 251, eof)?;
            (distinct(&rest[..n]) >= 12).then(|| secret("github-pat", n, 4))
        }
        Tok::GitLab => {
            if before.is_some_and(is_urlsafe) {
                return None;
            }
            let n = tail_run(rest, is_urlsafe, 20, 250, eof)?;
            (distinct(&rest[..n]) >= 10).then(|| secret("gitlab-pat", n, 4))
        }
        Tok::Slack => {
            if before.is_some_and(is_word) {
                return None;
            }
            let n = tail_run(rest, |b| is_alnum(b) || b == b'-', 20, 250, eof)?;
            let body = &rest[..n];
            (body[0].is_ascii_digit() && body.contains(&b'-') && distinct(body) >= 8)
                .then(|| secret("slack-token", n, 4))
        }
        Tok::Stripe => {
            if before.is_some_and(is_alnum) {
                return None;
            }
            let n = tail_run(rest, is_alnum, 24, 250, eof)?;
            (distinct(&rest[..n]) >= 10).then(|| secret("stripe-live-key", n, 4))
        }
        Tok::PyPi => {
            let n = tail_run(rest, is_urlsafe, 50, 250, eof)?;
            Some(secret("pypi-token", n, 4))
        }
        Tok::PemBegin => {
            let n = run(rest, |b| {
                b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' '
            });
            if n > 40 || !rest[n..].starts_with(b"-----") {
                return None;
            }
            let label = &rest[..n];
            if !(label.ends_with(b"PRIVATE KEY") || label == b"PGP PRIVATE KEY BLOCK") {
                return None;
            }
            let after = &rest[n + 5..];
            let (json, nl) = if after.starts_with(b"\r\n") {
                (false, 2)
            } else if after.starts_with(b"\n") {
                (false, 1)
            } else if after.starts_with(b"\\r\\n") {
                (true, 4)
            } else if after.starts_with(b"\\n") {
                (true, 2)
            } else {
                return None;
            };
            if !pem_body(&after[nl..after.len().min(nl + 240)], json) {
                return None;
            }
            Some(Hit::PemBegin {
                start: s,
                label: format!("-----BEGIN {}-----", String::from_utf8_lossy(label)),
                json,
            })
        }
        Tok::PemEnd => {
            let n = run(rest, |b| {
                b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' '
            });
            if n > 40 || !rest[n..].starts_with(b"-----") {
                return None;
            }
            Some(Hit::PemEnd {
                label: format!("-----BEGIN {}-----", String::from_utf8_lossy(&rest[..n])),
                end: e + n + 5,
            })
        }
    }
}

/// The lines after a PEM BEGIN line: optional RFC 1421 / OpenPGP armor headers
/// (`Proc-Type: …`, `Version: …`) and blank lines, then a line of at least 32 base64
/// characters and nothing else. (A header quoted in code or docs followed by `...` is not
/// a key.) `json`: lines end with the two characters `\n`.
fn pem_body(w: &[u8], json: bool) -> bool {
    let mut rest = w;
    for _ in 0..8 {
        let (line, next, complete) = if json {
            match memchr::memmem::find(rest, b"\\n") {
                Some(i) => (&rest[..i], &rest[i + 2..], true),
                None => (rest, &rest[rest.len()..], false),
            }
        } else {
            match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], &rest[i + 1..], true),
                None => (rest, &rest[rest.len()..], false),
            }
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = if json {
            line.strip_suffix(b"\\r").unwrap_or(line)
        } else {
            line
        };
        if line.is_empty() {
            if !complete {
                return false;
            }
            rest = next;
            continue;
        }
        if memchr::memmem::find(line, b": ").is_some() || line.ends_with(b":") {
            if !complete {
                return false;
            }
            rest = next;
            continue;
        }
        let b64 = line.iter().all(|&b| is_b64(b) || b == b'=');
        // (The first body line may run past the window: 32 characters are enough.)
        return b64 && line.len() >= 32;
    }
    false
}

pub(super) fn count_nl(b: &[u8]) -> u64 {
    // memchr counts with SIMD (≈ 30 GB/s on hot data; a plain filter-count loop is ≈ 2).
    memchr::memchr_iter(b'\n', b).count() as u64
}

/// Token-rule state shared by the file scanner and the config scanner.
pub(super) struct Tokens {
    kind_override: Option<FindingKind>,
    findings: Vec<Finding>,
    dropped: usize,
    aws_ids: Vec<(u64, u32, Redacted)>,
    aws_secrets: Vec<u64>,
    /// The PEM block begun and not yet ended: (finding index, header, offset).
    pem_open: Option<(usize, String, u64)>,
}

impl Tokens {
    pub(super) fn new(kind_override: Option<FindingKind>) -> Tokens {
        Tokens {
            kind_override,
            findings: Vec::new(),
            dropped: 0,
            aws_ids: Vec::new(),
            aws_secrets: Vec::new(),
            pem_open: None,
        }
    }

    pub(super) fn push(&mut self, mut f: Finding) {
        if let Some(k) = self.kind_override {
            f.kind = k;
        }
        if self.findings.len() < limits::FINDINGS_PER_FILE {
            self.findings.push(f);
        } else {
            self.dropped += 1;
        }
    }

    /// Evaluate the pattern matches of `buf` that start in `lo..hi`. `buf` starts at
    /// stream offset `base`, after `nl_before` newlines; `before` is the byte before it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn scan(
        &mut self,
        buf: &[u8],
        base: u64,
        lo: usize,
        hi: usize,
        nl_before: u64,
        before: Option<u8>,
        eof: bool,
    ) {
        if lo >= hi {
            return;
        }
        let ac = automaton();
        let mut nl_at = 0usize;
        let mut nl = nl_before;
        for m in ac.find_iter(Input::new(buf).range(lo..)) {
            if m.start() >= hi {
                break;
            }
            let b = if m.start() > 0 {
                Some(buf[m.start() - 1])
            } else {
                before
            };
            let Some(hit) = evaluate(
                PATTERNS[m.pattern().as_usize()].1,
                buf,
                m.start(),
                m.end(),
                b,
                eof,
            ) else {
                continue;
            };
            let mut line_of = |i: usize| -> u32 {
                nl += count_nl(&buf[nl_at..i]);
                nl_at = i;
                (nl + 1).min(u32::MAX as u64) as u32
            };
            match hit {
                Hit::Secret {
                    kind,
                    rule,
                    start,
                    len,
                    label,
                    show,
                } => {
                    let line = line_of(start);
                    let value = &buf[start..start + len];
                    if rule == "aws-secret-access-key" && self.aws_secrets.len() < 64 {
                        self.aws_secrets.push(base + start as u64);
                    }
                    self.push(Finding {
                        kind,
                        rule,
                        offset: base + start as u64,
                        line,
                        excerpt: Redacted::new(&label, value, show),
                    });
                }
                Hit::AwsKeyId { start } => {
                    let line = line_of(start);
                    if self.aws_ids.len() < 64 {
                        let r = Redacted::new("", &buf[start..start + 20], 4);
                        self.aws_ids.push((base + start as u64, line, r));
                    }
                }
                Hit::PemBegin { start, label, json } => {
                    let line = line_of(start);
                    let (kind, rule) = if json {
                        (FindingKind::Secret, "private-key-in-json")
                    } else {
                        (FindingKind::PrivateKey, "pem-private-key")
                    };
                    let offset = base + start as u64;
                    self.push(Finding {
                        kind,
                        rule,
                        offset,
                        line,
                        excerpt: Redacted::label_only(&label, None),
                    });
                    if self.findings.len() <= limits::FINDINGS_PER_FILE && self.dropped == 0 {
                        self.pem_open = Some((self.findings.len() - 1, label, offset));
                    }
                }
                Hit::PemEnd { label, end } => {
                    if let Some((i, open, offset)) = self.pem_open.take() {
                        if open == label {
                            self.findings[i].excerpt.len = Some(base + end as u64 - offset);
                        } else {
                            self.pem_open = Some((i, open, offset));
                        }
                    }
                }
            }
        }
    }

    pub(super) fn finish(mut self) -> Vec<Found> {
        // AWS key ids count only with a secret access key nearby.
        let ids = std::mem::take(&mut self.aws_ids);
        for (off, line, r) in ids {
            if self
                .aws_secrets
                .iter()
                .any(|&s| s.abs_diff(off) <= AWS_NEARBY)
            {
                self.push(Finding {
                    kind: FindingKind::Secret,
                    rule: "aws-access-key-id",
                    offset: off,
                    line,
                    excerpt: r,
                });
            }
        }
        // A generic rule's finding that covers a specific token's is the same secret once.
        let specific: Vec<(u64, &'static str)> = self
            .findings
            .iter()
            .filter(|f| !matches!(f.rule, "generic-secret" | "url-credentials"))
            .map(|f| (f.offset, f.rule))
            .collect();
        self.findings.retain(|f| {
            !matches!(f.rule, "generic-secret" | "url-credentials")
                || !specific.iter().any(|&(o, _)| {
                    o >= f.offset && o < f.offset + f.excerpt.len.unwrap_or(0).max(1)
                })
        });
        self.findings.sort_by_key(|f| (f.offset, f.rule));
        let dropped = self.dropped;
        let mut out: Vec<Found> = self.findings.into_iter().map(Found::Finding).collect();
        if dropped > 0 {
            out.push(Found::Note(format!(
                "{dropped} more secret findings not listed (limit {} per file)",
                limits::FINDINGS_PER_FILE
            )));
        }
        out
    }
}
