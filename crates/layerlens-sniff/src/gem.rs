//! Ruby gems: `<base>/specifications/<name>-<version>[-<platform>].gemspec` names a gem
//! whose files are `<base>/gems/<same name>/` (RubyGems' `full_name`), plus
//! `<base>/extensions/<platform>/<abi>/<full name>/` and `<base>/cache/<full name>.gem`.
//! Default gems (`specifications/default/`) ship their files inside Ruby's own library
//! directory: they own no root.
//!
//! The gemspec is captured whole (≤ [`limits::GEMSPEC`]) and read for
//! `<var>.name = "…"`, `<var>.version = "…"`, `<var>.platform = "…"` (RubyGems writes
//! `s.name = "rbs".freeze`; older ones `%q{…}`, `Gem::Version.new("…")`); the `# stub:`
//! line RubyGems puts first is a second source. When neither gives name and version
//! (not Ruby, too large, truncated), they come from the file name: the name is everything
//! before the last `-` that is followed by a digit, the version the next `-`-separated
//! part, the platform the rest (`nokogiri-1.15.4-x86_64-linux`).

use crate::{limits, Flow, Found, Manager, PackageFound};

pub(crate) struct GemSniff {
    /// `<base>/`, with its trailing slash (empty when `specifications` is top-level).
    base: String,
    /// The file name without `.gemspec`.
    full_name: String,
    default_gem: bool,
    buf: Vec<u8>,
    too_big: bool,
}

impl GemSniff {
    pub(crate) fn new(path: &str, size: u64) -> Option<GemSniff> {
        let (dir, file) = path.rsplit_once('/')?;
        let full_name = file.strip_suffix(".gemspec")?;
        if full_name.is_empty() {
            return None;
        }
        let (spec_dir, default_gem) = match dir.strip_suffix("default") {
            Some(d) if d.is_empty() || d.ends_with('/') => (d.trim_end_matches('/'), true),
            _ => (dir, false),
        };
        let base = if spec_dir == "specifications" {
            ""
        } else {
            spec_dir.strip_suffix("/specifications")?
        };
        Some(GemSniff {
            base: if base.is_empty() {
                String::new()
            } else {
                format!("{base}/")
            },
            full_name: full_name.to_string(),
            default_gem,
            buf: Vec::with_capacity(size.min(limits::GEMSPEC as u64) as usize),
            too_big: size > limits::GEMSPEC as u64,
        })
    }

    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Flow {
        if self.too_big {
            return Flow::Done;
        }
        if self.buf.len() + chunk.len() > limits::GEMSPEC {
            self.too_big = true;
            self.buf = Vec::new();
            return Flow::Done;
        }
        self.buf.extend_from_slice(chunk);
        Flow::Continue
    }

    pub(crate) fn finish(self) -> Vec<Found> {
        let text = String::from_utf8_lossy(&self.buf);
        let from_content = parse_gemspec(&text);
        let (name, version, platform, source) = match from_content {
            Some((n, v, p)) => (n, v, p, "gemspec"),
            None => match split_full_name(&self.full_name) {
                Some((n, v, p)) => (
                    n.to_string(),
                    v.to_string(),
                    p.map(str::to_string),
                    "gemspec-filename",
                ),
                None => return Vec::new(),
            },
        };
        let platform = platform.filter(|p| p != "ruby");
        let root = (!self.default_gem).then(|| format!("{}gems/{}/", self.base, self.full_name));
        vec![Found::Package(PackageFound {
            manager: Manager::Gem,
            name,
            version,
            root,
            toolchain: None,
            platform,
            source,
            components: Vec::new(),
        })]
    }
}

/// `nokogiri-1.15.4-x86_64-linux` → ("nokogiri", "1.15.4", Some("x86_64-linux")).
pub(crate) fn split_full_name(s: &str) -> Option<(&str, &str, Option<&str>)> {
    let b = s.as_bytes();
    let cut = (1..b.len())
        .rev()
        .find(|&i| b[i - 1] == b'-' && b[i].is_ascii_digit())?;
    let name = &s[..cut - 1];
    let rest = &s[cut..];
    let (version, platform) = match rest.split_once('-') {
        Some((v, p)) => (v, Some(p)),
        None => (rest, None),
    };
    (!name.is_empty()).then_some((name, version, platform))
}

/// A Ruby string literal at the start of `s`: `"x"`, `'x'`, `%q{x}`, `%q(x)`, `%q[x]`,
/// optionally inside `Gem::Version.new(…)` / `Gem::Platform.new(…)`.
fn ruby_string(s: &str) -> Option<&str> {
    let s = s.trim_start();
    let s = s
        .strip_prefix("Gem::Version.new(")
        .or_else(|| s.strip_prefix("Gem::Platform.new("))
        .unwrap_or(s)
        .trim_start();
    if let Some(r) = s.strip_prefix('"') {
        return r.split_once('"').map(|x| x.0);
    }
    if let Some(r) = s.strip_prefix('\'') {
        return r.split_once('\'').map(|x| x.0);
    }
    for (open, close) in [("%q{", '}'), ("%q(", ')'), ("%q[", ']'), ("%Q{", '}')] {
        if let Some(r) = s.strip_prefix(open) {
            return r.split_once(close).map(|x| x.0);
        }
    }
    None
}

fn parse_gemspec(text: &str) -> Option<(String, String, Option<String>)> {
    let mut name = None;
    let mut version = None;
    let mut platform = None;
    let mut stub = None;
    for line in text.lines().take(2000) {
        let l = line.trim();
        if let Some(r) = l.strip_prefix("# stub: ") {
            if stub.is_none() {
                let w: Vec<&str> = r.split_whitespace().collect();
                if w.len() >= 2 {
                    stub = Some((
                        w[0].to_string(),
                        w[1].to_string(),
                        w.get(2).map(|p| p.to_string()),
                    ));
                }
            }
            continue;
        }
        let Some((lhs, rhs)) = l.split_once('=') else {
            continue;
        };
        let lhs = lhs.trim();
        let Some((var, attr)) = lhs.split_once('.') else {
            continue;
        };
        if var.is_empty() || !var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let slot = match attr {
            "name" => &mut name,
            "version" => &mut version,
            "platform" => &mut platform,
            _ => continue,
        };
        if slot.is_none() {
            if let Some(v) = ruby_string(rhs) {
                *slot = Some(v.to_string());
            }
        }
    }
    match (name, version) {
        (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() => {
            let p = platform.or_else(|| stub.and_then(|s| s.2));
            Some((n, v, p))
        }
        _ => stub,
    }
}

pub(crate) fn owns(pkg: &PackageFound, path: &str) -> bool {
    let Some(root) = &pkg.root else { return false };
    if path.starts_with(root.as_str()) {
        return true;
    }
    // root = <base>gems/<full>/
    let Some(base_full) = root.strip_suffix('/') else {
        return false;
    };
    let Some((base, full)) = base_full.rsplit_once("gems/") else {
        return false;
    };
    if path == format!("{base}cache/{full}.gem") {
        return true;
    }
    // <base>extensions/<platform>/<abi>/<full>/...
    if let Some(r) = path.strip_prefix(&format!("{base}extensions/")) {
        let mut parts = r.splitn(4, '/');
        let (_, _, f) = (parts.next(), parts.next(), parts.next());
        return f == Some(full) && parts.next().is_some();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(
            split_full_name("nokogiri-1.15.4-x86_64-linux"),
            Some(("nokogiri", "1.15.4", Some("x86_64-linux")))
        );
        assert_eq!(
            split_full_name("net-http-0.4.1"),
            Some(("net-http", "0.4.1", None))
        );
        assert_eq!(
            split_full_name("jruby-openssl-0.9.21-java"),
            Some(("jruby-openssl", "0.9.21", Some("java")))
        );
        assert_eq!(
            split_full_name("rails-7.1.0.rc1"),
            Some(("rails", "7.1.0.rc1", None))
        );
        assert_eq!(split_full_name("noversion"), None);
    }

    #[test]
    fn literals() {
        assert_eq!(ruby_string(" \"rbs\".freeze"), Some("rbs"));
        assert_eq!(ruby_string(" %q{foo}"), Some("foo"));
        assert_eq!(ruby_string(" Gem::Version.new(\"1.2\")"), Some("1.2"));
        assert_eq!(ruby_string(" 'x'"), Some("x"));
        assert_eq!(ruby_string(" nil"), None);
    }
}
