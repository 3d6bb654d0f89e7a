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

use crate::limits;

// The rules by what they read: `tokens` (every byte), `lines` (each line of the files
// that have line rules), `text` (one file, streaming), `config` (one config string).
mod config;
mod lines;
mod text;
mod tokens;

pub use config::{scan_config, ConfigField};
pub(crate) use text::TextSniff;

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
