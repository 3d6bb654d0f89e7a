//! Line rules: lines assembled across chunks, and the assignment, URL, `.netrc`
//! and Docker-auth rules applied to each line of the files that have them.

use super::tokens::{contains, distinct, is_alnum, is_word, run};
use super::Scope;
use crate::limits;

/// Assembles lines across chunks (each at most `limits::LINE` bytes; longer ones are skipped).
pub(super) struct Lines {
    buf: Vec<u8>,
    /// Offset of the line being assembled, and its number.
    off: u64,
    no: u32,
    overlong: bool,
}

impl Lines {
    pub(super) fn new() -> Lines {
        Lines {
            buf: Vec::new(),
            off: 0,
            no: 1,
            overlong: false,
        }
    }

    pub(super) fn push(&mut self, chunk: &[u8], pos: u64, f: &mut dyn FnMut(&[u8], u64, u32)) {
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

    pub(super) fn end(&mut self, f: &mut dyn FnMut(&[u8], u64, u32)) {
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
pub(super) fn secretish_key(key: &[u8]) -> bool {
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
pub(super) fn real_value(v: &[u8]) -> bool {
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
pub(super) struct LineHit {
    pub(super) rule: &'static str,
    pub(super) start: usize,
    pub(super) len: usize,
    pub(super) label: String,
    pub(super) show: usize,
}

/// `KEY=VALUE` (optionally `export `, quoted values, ` #` comments after unquoted values).
pub(super) fn env_assignment(line: &[u8], out: &mut Vec<LineHit>) {
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
pub(super) fn url_credentials(line: &[u8], out: &mut Vec<LineHit>) {
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

pub(super) fn line_rules(scope: Scope, line: &[u8], out: &mut Vec<LineHit>) {
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

pub(super) fn has_line_rules(scope: Scope) -> bool {
    !matches!(scope, Scope::Text | Scope::AwsCredentials | Scope::Key)
}
