//! Risky content: private keys and credentials in text files, and in image-config strings.
//!
//! # Which files ([`text_candidate`])
//!
//! Regular files of 1 byte to 1 MiB ([`limits::TEXT_FILE`]) that are, in this order:
//!
//! 1. **credential files**, wherever they are: `.npmrc`, `.pypirc`, `.git-credentials`,
//!    `.netrc`/`_netrc`, `.aws/credentials`, `.aws/config`, `.git/config`,
//!    `.docker/config.json`, `id_rsa`/`id_dsa`/`id_ecdsa`/`id_ed25519`(`_sk`), and any
//!    file directly in a `.ssh/` directory except `*.pub`, `known_hosts*`,
//!    `authorized_keys*`, `config`, `environment`;
//! 2. outside the **excluded trees** below: `.env`, `.env.*`, `*.env` (`.env.example`,
//!    `.sample`, `.template`, `.dist`, `.defaults` get token rules only); key files
//!    `*.pem`, `*.key`, `*.p8`, `etc/ssh/ssh_host_*_key`; text by extension (`TEXT_EXTS`:
//!    configs, scripts and source code); any file under `etc/`.
//!
//! Excluded trees (third-party code, docs, test fixtures, caches): a path component
//! `node_modules`, `site-packages`, `dist-packages`, `gems`, `vendor`, `testdata`, `test`,
//! `tests`, `__tests__`, `fixtures`, `examples`, `__pycache__`, `.git`, `.cache`, `.npm`,
//! `.cargo`, `.rustup`, `.m2`, `.gradle`, `.pnpm-store`, `pkg/mod`; or a path under
//! `usr/share/`, `usr/include/`, `usr/lib/`, `usr/lib64/`, `usr/libexec/`, `lib/`,
//! `lib64/`, `usr/local/lib/`, `usr/local/include/`, `usr/local/share/`, `usr/local/go/`,
//! `usr/src/linux`, `opt/conda/`, `usr/lib/jvm/`, `etc/ssl/certs/`, `etc/ca-certificates/`,
//! `var/lib/dpkg/`, `var/lib/apt/`, `var/cache/`, `proc/`, `sys/`.
//!
//! A file with a NUL byte in its first 512 bytes is binary: the scan stops there.
//!
//! # Rules
//!
//! Token rules, in every candidate file and in config strings (streaming: a token split
//! across chunks is found; boundaries: the character before a token must not continue it):
//!
//! | rule | kind | matches |
//! |---|---|---|
//! | `pem-private-key` | private-key | `-----BEGIN <…>PRIVATE KEY-----` (RSA, EC, DSA, ENCRYPTED, OPENSSH, PKCS#8, `PGP PRIVATE KEY BLOCK`) followed by a newline and a base64 body (≥ 32 base64 characters within 200 bytes): a header quoted in code is not a key |
//! | `private-key-in-json` | secret | the same with `\n` escapes (service-account JSON `"private_key"`) |
//! | `aws-access-key-id` | secret | `AKIA`/`ASIA` + 16 of `[A-Z2-7]`, only with an `aws-secret-access-key` within 4 KiB before or after it in the same file |
//! | `aws-secret-access-key` | secret | `secret_access_key`, `SECRET_ACCESS_KEY`, `SecretAccessKey`, `secretAccessKey`, `secret-access-key`, then `=`/`:`, quotes, blanks, then exactly 40 of `[A-Za-z0-9/+]` |
//! | `github-token` | secret | `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36–251 alphanumerics |
//! | `github-pat` | secret | `github_pat_` + 70–251 of `[A-Za-z0-9_]` |
//! | `gitlab-pat` | secret | `glpat-` + 20–250 of `[A-Za-z0-9_-]` |
//! | `slack-token` | secret | `xox[abprs]-` + 20–250 of `[A-Za-z0-9-]` starting with a digit and containing `-` |
//! | `stripe-live-key` | secret | `sk_live_`/`rk_live_` + 24–250 alphanumerics |
//! | `google-api-key` | secret | `AIza` + exactly 35 of `[A-Za-z0-9_-]` |
//! | `pypi-token` | secret | `pypi-AgEIcHlwaS5vcmc` + ≥ 50 of `[A-Za-z0-9_-]` |
//!
//! Values containing `EXAMPLE` (AWS documentation keys) or with too few distinct
//! characters (`ghp_XXXX…`) are placeholders, not findings.
//!
//! Line rules, by file (lines up to 4 KiB):
//!
//! | rule | files | matches |
//! |---|---|---|
//! | `generic-secret` | `.env` files | `[export] KEY=VALUE` where KEY contains PASSWORD, PASSWD, PASSPHRASE, SECRET, TOKEN, API_KEY, APIKEY, ACCESS_KEY, PRIVATE_KEY, AUTH_KEY, CREDENTIAL (not ending in `_URL`, `_FILE`, `_ID`, …) and VALUE is not a placeholder (`${X}`, `<…>`, `changeme`, `xxxx`, …) |
//! | `url-credentials` | `.env`, `.git-credentials`, `.git/config` | `scheme://user:password@` |
//! | `npm-auth-token` | `.npmrc` | `…_authToken=`, `_auth=`, `_password=` |
//! | `pypirc-password` | `.pypirc` | `password = …` |
//! | `netrc-password` | `.netrc` | `password <value>` |
//! | `docker-config-auth` | `.docker/config.json` | `"auth"`, `"identitytoken"`, `"registrytoken"` string values |

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, Input, MatchKind};

use crate::limits;
use crate::redact::Redacted;
use crate::{Finding, FindingKind, Flow, Found};

/// What a candidate text file is, which decides the line rules applied to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Configs, scripts, source: token rules only.
    Text,
    /// `.env` files: + `generic-secret`, `url-credentials`.
    Env,
    /// `.aws/credentials`, `.aws/config`.
    AwsCredentials,
    /// `.npmrc`: + `npm-auth-token`.
    Npmrc,
    /// `.pypirc`: + `pypirc-password`.
    Pypirc,
    /// `.git-credentials`, `.git/config`: + `url-credentials`.
    GitCredentials,
    /// `.docker/config.json`: + `docker-config-auth`.
    DockerConfig,
    /// `.netrc`: + `netrc-password`.
    Netrc,
    /// Key files (`*.pem`, `id_rsa`, …): token rules (the PEM rule is the point).
    Key,
}

/// Is this file scanned for secrets, and how? (See the module documentation.)
pub fn text_candidate(path: &str, size: u64) -> Option<Scope> {
    let base = path.rsplit('/').next().unwrap_or(path);
    let ext = base.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    candidate(path, base, ext, size)
}

fn parent_is(path: &str, base: &str, dir: &str) -> bool {
    // `path` is `<parent>/<base>`: is the parent's last component `dir`?
    let p = path.as_bytes();
    let Some(plen) = p.len().checked_sub(base.len() + 1) else {
        return false;
    };
    let parent = &p[..plen];
    parent.ends_with(dir.as_bytes())
        && (parent.len() == dir.len() || parent[plen - dir.len() - 1] == b'/')
}

/// An extension of up to 8 bytes as an integer (0 for longer ones): matching on integer
/// constants compiles to a few comparisons, matching on strings to a `memcmp` per
/// same-length candidate.
pub(crate) const fn code(ext: &str) -> u64 {
    let b = ext.as_bytes();
    if b.len() > 8 {
        return 0;
    }
    let mut x = 0u64;
    let mut i = 0;
    while i < b.len() {
        x = x << 8 | b[i] as u64;
        i += 1;
    }
    x
}

macro_rules! codes {
    ($($e:literal),* $(,)?) => { [$(code($e)),*] };
}

const fn sorted<const N: usize>(mut a: [u64; N]) -> [u64; N] {
    let mut i = 1;
    while i < N {
        let mut j = i;
        while j > 0 && a[j - 1] > a[j] {
            let t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
            j -= 1;
        }
        i += 1;
    }
    a
}

/// Text by extension (`properties`, over 8 bytes, is checked apart), sorted.
const TEXT_EXTS: [u64; 51] = sorted(codes![
    "json", "yaml", "yml", "toml", "ini", "cfg", "conf", "config", "cnf", "xml", "tf", "tfvars",
    "hcl", "sql", "txt", "sh", "bash", "zsh", "ksh", "ps1", "bat", "cmd", "py", "js", "mjs", "cjs",
    "ts", "jsx", "tsx", "rb", "php", "go", "java", "kt", "kts", "scala", "groovy", "gradle", "cs",
    "rs", "pl", "lua", "r", "ex", "exs", "erl", "swift", "dart", "vue", "svelte", "env",
]);

fn is_text_ext(ext: &str) -> bool {
    if ext.len() > 8 {
        return ext == "properties";
    }
    let c = code(ext);
    c != 0 && TEXT_EXTS.binary_search(&c).is_ok()
}

const EXCLUDED_PREFIXES: &[&str] = &[
    "usr/share/",
    "usr/include/",
    "usr/lib/",
    "usr/lib64/",
    "usr/libexec/",
    "lib/",
    "lib64/",
    "usr/local/lib/",
    "usr/local/include/",
    "usr/local/share/",
    "usr/local/go/",
    "usr/src/linux",
    "opt/conda/",
    "etc/ssl/certs/",
    "etc/ca-certificates/",
    "var/lib/dpkg/",
    "var/lib/apt/",
    "var/cache/",
    "proc/",
    "sys/",
];

fn excluded_component(c: &str) -> bool {
    matches!(
        c,
        "node_modules"
            | "site-packages"
            | "dist-packages"
            | "gems"
            | "vendor"
            | "testdata"
            | "test"
            | "tests"
            | "__tests__"
            | "fixtures"
            | "examples"
            | "__pycache__"
            | ".git"
            | ".cache"
            | ".npm"
            | ".cargo"
            | ".rustup"
            | ".m2"
            | ".gradle"
            | ".pnpm-store"
    )
}

fn excluded(path: &str) -> bool {
    // Only paths starting with u, l, o, e, v, p, s can have an excluded prefix.
    if matches!(
        path.as_bytes().first(),
        Some(b'u' | b'l' | b'o' | b'e' | b'v' | b'p' | b's')
    ) && EXCLUDED_PREFIXES.iter().any(|p| path.starts_with(p))
    {
        return true;
    }
    let dir = match path.as_bytes().iter().rposition(|&c| c == b'/') {
        Some(i) => &path[..i],
        None => return false,
    };
    let b = dir.as_bytes();
    let (mut start, mut prev) = (0, "");
    for i in 0..=b.len() {
        if i == b.len() || b[i] == b'/' {
            let c = &dir[start..i];
            if excluded_component(c) || (c == "mod" && prev == "pkg") {
                return true;
            }
            prev = c;
            start = i + 1;
        }
    }
    false
}

pub(crate) fn candidate(path: &str, base: &str, ext: &str, size: u64) -> Option<Scope> {
    if size == 0 || size > limits::TEXT_FILE {
        return None;
    }
    // 1. Credential files, wherever they are (names start with '.', '_', 'c' or 'i').
    if matches!(base.as_bytes().first(), Some(b'.' | b'_' | b'c' | b'i')) {
        let named = match base {
            ".npmrc" => Some(Scope::Npmrc),
            ".pypirc" => Some(Scope::Pypirc),
            ".git-credentials" => Some(Scope::GitCredentials),
            ".netrc" | "_netrc" => Some(Scope::Netrc),
            "credentials" | "config" if parent_is(path, base, ".aws") => {
                Some(Scope::AwsCredentials)
            }
            "config" if parent_is(path, base, ".git") => Some(Scope::GitCredentials),
            "config.json" if parent_is(path, base, ".docker") => Some(Scope::DockerConfig),
            "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" | "id_ecdsa_sk" | "id_ed25519_sk" => {
                Some(Scope::Key)
            }
            _ => None,
        };
        if named.is_some() {
            return named;
        }
    }
    let ec = code(ext);
    if ec == code("pub") {
        return None; // public keys
    }
    let env = ec == code("env")
        || (base.starts_with(".env") && (base.len() == 4 || base.as_bytes()[4] == b'.'));
    let key = ec == code("pem") || ec == code("key") || ec == code("p8");
    let ssh_host_key =
        base.starts_with("ssh_host_") && base.ends_with("_key") && path.starts_with("etc/ssh/");
    let in_ssh = parent_is(path, base, ".ssh");
    if !(env || key || ssh_host_key || in_ssh || is_text_ext(ext) || path.starts_with("etc/")) {
        return None;
    }
    if in_ssh {
        let public = base.starts_with("known_hosts")
            || base.starts_with("authorized_keys")
            || base == "config"
            || base == "environment";
        return (!public).then_some(Scope::Key);
    }
    if excluded(path) {
        return None;
    }
    if env {
        let template = [
            ".example",
            ".sample",
            ".template",
            ".dist",
            ".defaults",
            ".tmpl",
        ]
        .iter()
        .any(|s| base.ends_with(s));
        return Some(if template { Scope::Text } else { Scope::Env });
    }
    if key || ssh_host_key {
        return Some(Scope::Key);
    }
    Some(Scope::Text)
}

// ---------------------------------------------------------------------------------------
// Token rules

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
const LOOKAHEAD: usize = 320;
/// An `aws-access-key-id` needs a secret access key within this many bytes.
const AWS_NEARBY: u64 = 4096;

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}
fn is_word(b: u8) -> bool {
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
fn run(s: &[u8], class: fn(u8) -> bool) -> usize {
    s.iter().position(|&b| !class(b)).unwrap_or(s.len())
}

fn distinct(s: &[u8]) -> usize {
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

fn contains(hay: &[u8], needle: &[u8]) -> bool {
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

fn count_nl(b: &[u8]) -> u64 {
    // memchr counts with SIMD (≈ 30 GB/s on hot data; a plain filter-count loop is ≈ 2).
    memchr::memchr_iter(b'\n', b).count() as u64
}

/// Token-rule state shared by the file scanner and the config scanner.
struct Tokens {
    kind_override: Option<FindingKind>,
    findings: Vec<Finding>,
    dropped: usize,
    aws_ids: Vec<(u64, u32, Redacted)>,
    aws_secrets: Vec<u64>,
    /// The PEM block begun and not yet ended: (finding index, header, offset).
    pem_open: Option<(usize, String, u64)>,
}

impl Tokens {
    fn new(kind_override: Option<FindingKind>) -> Tokens {
        Tokens {
            kind_override,
            findings: Vec::new(),
            dropped: 0,
            aws_ids: Vec::new(),
            aws_secrets: Vec::new(),
            pem_open: None,
        }
    }

    fn push(&mut self, mut f: Finding) {
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
    fn scan(
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

    fn finish(mut self) -> Vec<Found> {
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

// ---------------------------------------------------------------------------------------
// Line rules

/// Assembles lines across chunks (each at most `limits::LINE` bytes; longer ones are skipped).
struct Lines {
    buf: Vec<u8>,
    /// Offset of the line being assembled, and its number.
    off: u64,
    no: u32,
    overlong: bool,
}

impl Lines {
    fn new() -> Lines {
        Lines {
            buf: Vec::new(),
            off: 0,
            no: 1,
            overlong: false,
        }
    }

    fn push(&mut self, chunk: &[u8], pos: u64, f: &mut dyn FnMut(&[u8], u64, u32)) {
        let mut start = 0;
        for i in memchr::memchr_iter(b'\n', chunk) {
            let part = &chunk[start..i];
            if !self.overlong {
                if self.buf.is_empty() {
                    if part.len() <= limits::LINE {
                        f(part, self.off, self.no);
                    }
                } else if self.buf.len() + part.len() <= limits::LINE {
                    self.buf.extend_from_slice(part);
                    f(&self.buf, self.off, self.no);
                }
            }
            self.buf.clear();
            self.overlong = false;
            self.no = self.no.saturating_add(1);
            self.off = pos + i as u64 + 1;
            start = i + 1;
        }
        let part = &chunk[start..];
        if !self.overlong {
            if self.buf.len() + part.len() > limits::LINE {
                self.overlong = true;
                self.buf.clear();
            } else {
                self.buf.extend_from_slice(part);
            }
        }
    }

    fn end(&mut self, f: &mut dyn FnMut(&[u8], u64, u32)) {
        if !self.overlong && !self.buf.is_empty() {
            f(&self.buf, self.off, self.no);
        }
        self.buf.clear();
    }
}

fn trim(s: &[u8]) -> (&[u8], usize) {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    (&s[start..end], start)
}

/// Is this (KEY of a KEY=VALUE) the name of a secret?
fn secretish_key(key: &[u8]) -> bool {
    let k = key.to_ascii_uppercase();
    const WORDS: &[&[u8]] = &[
        b"PASSWORD",
        b"PASSWD",
        b"PASSPHRASE",
        b"SECRET",
        b"TOKEN",
        b"API_KEY",
        b"APIKEY",
        b"ACCESS_KEY",
        b"PRIVATE_KEY",
        b"AUTH_KEY",
        b"CREDENTIAL",
    ];
    const NOT: &[&[u8]] = &[
        b"_URL",
        b"_URI",
        b"_PATH",
        b"_FILE",
        b"_DIR",
        b"_NAME",
        b"_ID",
        b"_LENGTH",
        b"_EXPIRY",
        b"_EXPIRES",
        b"_TTL",
        b"_TIMEOUT",
        b"_ENDPOINT",
        b"_HOST",
        b"_PORT",
        b"_ENABLED",
        b"_TYPE",
        b"_HEADER",
        b"_FORMAT",
        b"_ALGORITHM",
        b"_REGION",
        b"_VERSION",
        b"_MIN",
        b"_MAX",
        b"_SIZE",
        b"_COUNT",
        b"_PREFIX",
        b"_FIELD",
        b"_LIFETIME",
        b"_AGE",
    ];
    WORDS.iter().any(|w| contains(&k, w)) && !NOT.iter().any(|n| k.ends_with(n))
}

/// Is this value a real secret rather than a placeholder or a reference?
fn real_value(v: &[u8]) -> bool {
    if v.len() < 4 || v.len() > 1024 {
        return false;
    }
    if v[0] == b'$' || v[0] == b'<' || v[0] == b'%' || v.starts_with(b"{{") {
        return false;
    }
    if distinct(v) < 3 {
        return false;
    }
    let l = v.to_ascii_lowercase();
    const WHOLE: &[&[u8]] = &[
        b"changeme",
        b"change_me",
        b"change-me",
        b"changeit",
        b"password",
        b"passw0rd",
        b"secret",
        b"token",
        b"none",
        b"null",
        b"nil",
        b"true",
        b"false",
        b"example",
        b"placeholder",
        b"redacted",
        b"dummy",
        b"todo",
        b"fixme",
        b"replace_me",
        b"replaceme",
        b"default",
    ];
    const PART: &[&[u8]] = &[
        b"example",
        b"your_",
        b"your-",
        b"xxxx",
        b"****",
        b"<",
        b"changeme",
        b"replace_me",
    ];
    !WHOLE.iter().any(|w| l == *w) && !PART.iter().any(|p| contains(&l, p))
}

fn unquote(v: &[u8]) -> (&[u8], usize) {
    if v.len() >= 2 && (v[0] == b'"' || v[0] == b'\'') && v[v.len() - 1] == v[0] {
        (&v[1..v.len() - 1], 1)
    } else {
        (v, 0)
    }
}

/// A line rule's finding: value at `start` (in the line), `len` bytes.
struct LineHit {
    rule: &'static str,
    start: usize,
    len: usize,
    label: String,
    show: usize,
}

/// `KEY=VALUE` (optionally `export `, quoted values, ` #` comments after unquoted values).
fn env_assignment(line: &[u8], out: &mut Vec<LineHit>) {
    let (l, off) = trim(line);
    if l.first() == Some(&b'#') {
        return;
    }
    let (l, off) = match l.strip_prefix(b"export ") {
        Some(r) => {
            let (r2, o2) = trim(r);
            (r2, off + 7 + o2)
        }
        None => (l, off),
    };
    let Some(eq) = memchr::memchr(b'=', l) else {
        return;
    };
    let (key, _) = trim(&l[..eq]);
    if key.is_empty()
        || !key.iter().all(|&b| is_word(b) || b == b'.' || b == b'-')
        || !secretish_key(key)
    {
        return;
    }
    let (v, voff) = trim(&l[eq + 1..]);
    let (v, qoff) = unquote(v);
    let v = if qoff == 0 {
        match memchr::memmem::find(v, b" #") {
            Some(i) => trim(&v[..i]).0,
            None => v,
        }
    } else {
        v
    };
    if real_value(v) {
        out.push(LineHit {
            rule: "generic-secret",
            start: off + eq + 1 + voff + qoff,
            len: v.len(),
            label: format!("{}=", String::from_utf8_lossy(key)),
            show: 0,
        });
    }
}

/// `scheme://user:password@host`.
fn url_credentials(line: &[u8], out: &mut Vec<LineHit>) {
    for i in memchr::memmem::find_iter(line, b"://") {
        let scheme_start = line[..i]
            .iter()
            .rposition(|&b| !(is_alnum(b) || b == b'+' || b == b'.' || b == b'-'))
            .map_or(0, |p| p + 1);
        let scheme = &line[scheme_start..i];
        if scheme.is_empty() {
            continue;
        }
        let auth_start = i + 3;
        let auth_len = run(&line[auth_start..], |b| {
            !matches!(
                b,
                b'/' | b' ' | b'\t' | b'"' | b'\'' | b'?' | b'#' | b'\\' | b'\r'
            )
        });
        let auth = &line[auth_start..auth_start + auth_len];
        let Some(at) = memchr::memrchr(b'@', auth) else {
            continue;
        };
        let userinfo = &auth[..at];
        let Some(colon) = memchr::memchr(b':', userinfo) else {
            continue;
        };
        let (user, pass) = (&userinfo[..colon], &userinfo[colon + 1..]);
        if pass.is_empty()
            || pass[0] == b'$'
            || pass[0] == b'<'
            || pass.starts_with(b"{{")
            || distinct(pass) < 2
            || pass == b"****"
        {
            continue;
        }
        out.push(LineHit {
            rule: "url-credentials",
            start: auth_start + colon + 1,
            len: pass.len(),
            label: format!(
                "{}://{}:",
                String::from_utf8_lossy(scheme),
                String::from_utf8_lossy(user)
            ),
            show: 0,
        });
    }
}

/// `key = value` / `key: value` where key (case-insensitive) is in `keys` (or ends with
/// one, with `suffix`).
fn keyed_value(
    line: &[u8],
    keys: &[&[u8]],
    suffix: bool,
    colon: bool,
    rule: &'static str,
    out: &mut Vec<LineHit>,
) {
    let (l, off) = trim(line);
    if matches!(l.first(), Some(b'#' | b';')) {
        return;
    }
    let Some(sep) = l.iter().position(|&b| b == b'=' || (colon && b == b':')) else {
        return;
    };
    let (key, _) = trim(&l[..sep]);
    let kl = key.to_ascii_lowercase();
    let hit = keys
        .iter()
        .any(|k| if suffix { kl.ends_with(k) } else { kl == *k });
    if !hit {
        return;
    }
    let (v, voff) = trim(&l[sep + 1..]);
    let (v, q) = unquote(v);
    if !real_value(v) {
        return;
    }
    let show = if v.starts_with(b"npm_") && v.len() >= 12 {
        4
    } else {
        0
    };
    out.push(LineHit {
        rule,
        start: off + sep + 1 + voff + q,
        len: v.len(),
        label: format!("{}=", String::from_utf8_lossy(key)),
        show,
    });
}

/// `.netrc`: `password <value>` (anywhere on the line).
fn netrc(line: &[u8], out: &mut Vec<LineHit>) {
    let mut words = Vec::new();
    let mut i = 0;
    while i < line.len() {
        let ws = run(&line[i..], |b| b.is_ascii_whitespace());
        i += ws;
        let n = run(&line[i..], |b| !b.is_ascii_whitespace());
        if n > 0 {
            words.push((i, n));
        }
        i += n;
    }
    for w in words.windows(2) {
        if &line[w[0].0..w[0].0 + w[0].1] == b"password" {
            out.push(LineHit {
                rule: "netrc-password",
                start: w[1].0,
                len: w[1].1,
                label: "password".into(),
                show: 0,
            });
        }
    }
}

/// `.docker/config.json`: `"auth": "…"`, `"identitytoken": "…"`, `"registrytoken": "…"`.
fn docker_auth(line: &[u8], out: &mut Vec<LineHit>) {
    for key in [&b"\"auth\""[..], b"\"identitytoken\"", b"\"registrytoken\""] {
        for i in memchr::memmem::find_iter(line, key) {
            let mut j = i + key.len();
            j += run(&line[j..], |b| b == b' ' || b == b'\t');
            if line.get(j) != Some(&b':') {
                continue;
            }
            j += 1;
            j += run(&line[j..], |b| b == b' ' || b == b'\t');
            if line.get(j) != Some(&b'"') {
                continue;
            }
            j += 1;
            let n = run(&line[j..], |b| b != b'"');
            if n == 0 || j + n == line.len() {
                continue;
            }
            out.push(LineHit {
                rule: "docker-config-auth",
                start: j,
                len: n,
                label: String::from_utf8_lossy(key).into_owned(),
                show: 0,
            });
        }
    }
}

fn line_rules(scope: Scope, line: &[u8], out: &mut Vec<LineHit>) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match scope {
        Scope::Env => {
            env_assignment(line, out);
            url_credentials(line, out);
        }
        Scope::GitCredentials => url_credentials(line, out),
        Scope::Npmrc => keyed_value(
            line,
            &[b"_authtoken", b"_auth", b"_password"],
            true,
            false,
            "npm-auth-token",
            out,
        ),
        Scope::Pypirc => keyed_value(line, &[b"password"], false, true, "pypirc-password", out),
        Scope::Netrc => netrc(line, out),
        Scope::DockerConfig => docker_auth(line, out),
        Scope::Text | Scope::AwsCredentials | Scope::Key => {}
    }
}

fn has_line_rules(scope: Scope) -> bool {
    !matches!(scope, Scope::Text | Scope::AwsCredentials | Scope::Key)
}

// ---------------------------------------------------------------------------------------
// The streaming file scanner

pub(crate) struct TextSniff {
    scope: Scope,
    tokens: Tokens,
    lines: Option<Lines>,
    /// Bytes fed so far, and newlines among them.
    pos: u64,
    nl: u64,
    /// Bytes whose token starts have not been evaluated yet (< 2 × LOOKAHEAD): they start
    /// at stream offset `carry_off`, after `carry_nl` newlines; `carry_before` is the byte
    /// before them.
    carry: Vec<u8>,
    carry_off: u64,
    carry_nl: u64,
    carry_before: Option<u8>,
    binary: bool,
}

impl TextSniff {
    pub(crate) fn new(scope: Scope) -> TextSniff {
        TextSniff {
            scope,
            tokens: Tokens::new(None),
            lines: has_line_rules(scope).then(Lines::new),
            pos: 0,
            nl: 0,
            carry: Vec::new(),
            carry_off: 0,
            carry_nl: 0,
            carry_before: None,
            binary: false,
        }
    }

    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Flow {
        if chunk.is_empty() {
            return Flow::Continue;
        }
        if self.pos < 512 {
            let n = chunk.len().min((512 - self.pos) as usize);
            if memchr::memchr(0, &chunk[..n]).is_some() {
                self.binary = true;
                return Flow::Done;
            }
        }
        if let Some(lines) = &mut self.lines {
            let scope = self.scope;
            let tokens = &mut self.tokens;
            let mut hits = Vec::new();
            lines.push(chunk, self.pos, &mut |line, off, no| {
                line_rules(scope, line, &mut hits);
                push_line_hits(tokens, &mut hits, line, off, no);
            });
        }
        let nl_chunk = count_nl(chunk);
        let k = LOOKAHEAD;
        if !self.carry.is_empty() {
            let old = self.carry.len();
            let take = chunk.len().min(k);
            self.carry.extend_from_slice(&chunk[..take]);
            if take < k {
                // A small chunk: keep collecting, evaluating once there is lookahead.
                if self.carry.len() >= 2 * k {
                    let hi = self.carry.len() - k;
                    let (off, nlb, before) = (self.carry_off, self.carry_nl, self.carry_before);
                    self.tokens
                        .scan(&self.carry, off, 0, hi, nlb, before, false);
                    self.carry_nl += count_nl(&self.carry[..hi]);
                    self.carry_before = Some(self.carry[hi - 1]);
                    self.carry_off += hi as u64;
                    self.carry.drain(..hi);
                }
                self.pos += chunk.len() as u64;
                self.nl += nl_chunk;
                return Flow::Continue;
            }
            let (off, nlb, before) = (self.carry_off, self.carry_nl, self.carry_before);
            self.tokens
                .scan(&self.carry, off, 0, old, nlb, before, false);
        }
        // The chunk itself, in place: starts with a full lookahead inside it.
        let before = if self.pos == 0 {
            None
        } else if !self.carry.is_empty() {
            // The byte before the chunk is the last carried byte before the extension.
            let old_len = self.carry.len() - chunk.len().min(k);
            if old_len > 0 {
                Some(self.carry[old_len - 1])
            } else {
                self.carry_before
            }
        } else {
            self.carry_before
        };
        let hi = chunk.len().saturating_sub(k);
        self.tokens
            .scan(chunk, self.pos, 0, hi, self.nl, before, false);
        // Carry the tail.
        self.carry.clear();
        self.carry.extend_from_slice(&chunk[hi..]);
        self.carry_off = self.pos + hi as u64;
        self.carry_nl = self.nl + nl_chunk - count_nl(&chunk[hi..]);
        self.carry_before = if hi > 0 { Some(chunk[hi - 1]) } else { before };
        self.pos += chunk.len() as u64;
        self.nl += nl_chunk;
        Flow::Continue
    }

    pub(crate) fn finish(mut self) -> Vec<Found> {
        if self.binary {
            return Vec::new();
        }
        if !self.carry.is_empty() {
            let (off, nlb, before) = (self.carry_off, self.carry_nl, self.carry_before);
            let n = self.carry.len();
            self.tokens.scan(&self.carry, off, 0, n, nlb, before, true);
        }
        if let Some(mut lines) = self.lines.take() {
            let scope = self.scope;
            let tokens = &mut self.tokens;
            let mut hits = Vec::new();
            lines.end(&mut |line, off, no| {
                line_rules(scope, line, &mut hits);
                push_line_hits(tokens, &mut hits, line, off, no);
            });
        }
        self.tokens.finish()
    }
}

fn push_line_hits(tokens: &mut Tokens, hits: &mut Vec<LineHit>, line: &[u8], off: u64, no: u32) {
    for h in hits.drain(..) {
        tokens.push(Finding {
            kind: FindingKind::Secret,
            rule: h.rule,
            offset: off + h.start as u64,
            line: no,
            excerpt: Redacted::new(&h.label, &line[h.start..h.start + h.len], h.show),
        });
    }
}

// ---------------------------------------------------------------------------------------
// Image config strings

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
