//! Go build info (`runtime/debug.BuildInfo`), as `debug/buildinfo` reads it from a binary.
//!
//! The linker writes a 32-byte header at a 16-byte-aligned address in the data segment
//! (its own `.go.buildinfo` section): `\xff Go buildinf:` (14 bytes), the pointer size,
//! a flags byte (bit 0: big-endian, bit 1: the Go ≥ 1.18 "inline strings" format). In the
//! 1.18 format two varint-length-prefixed strings follow at offset 32: the Go version and
//! the module info (`path`, `mod`, `dep`, `=>`, `build` lines between two 16-byte
//! sentinels). Before 1.18 the header holds two pointers to Go string headers elsewhere
//! in the binary (the bytes are in `.rodata`, which precedes the data segment in the
//! file): a one-pass reader has already passed them, so that format is only recognised.

use crate::{Component, Found, Manager, PackageFound, Relation};

pub(crate) const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
pub(crate) const HEADER: usize = 32;

/// What a captured blob (starting at the magic) says, or that more bytes are needed.
pub(crate) enum Parse {
    NeedMore(usize),
    Done(Vec<Found>),
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x: u64 = 0;
    let mut s = 0u32;
    for (i, &c) in b.iter().enumerate().take(10) {
        if c < 0x80 {
            if i == 9 && c > 1 {
                return None; // overflow
            }
            return Some((x | (u64::from(c) << s), i + 1));
        }
        x |= u64::from(c & 0x7f) << s;
        s += 7;
    }
    None
}

/// Read one varint-prefixed string at `at`: Ok(Some((s, next))), Ok(None) = need more
/// bytes (how many in total), Err = malformed.
fn string_at(b: &[u8], at: usize, max: usize) -> Result<Result<(&[u8], usize), usize>, ()> {
    if at >= b.len() {
        return Ok(Err(at + 10));
    }
    let Some((n, w)) = uvarint(&b[at..]) else {
        return if b.len() - at < 10 {
            Ok(Err(at + 10))
        } else {
            Err(())
        };
    };
    if n > max as u64 {
        return Err(());
    }
    let end = at + w + n as usize;
    if end > b.len() {
        return Ok(Err(end));
    }
    Ok(Ok((&b[at + w..end], end)))
}

/// Parse a blob that starts with [`MAGIC`]; `max` bounds the whole blob.
pub(crate) fn parse(b: &[u8], max: usize) -> Parse {
    if b.len() < HEADER {
        return Parse::NeedMore(HEADER);
    }
    let flags = b[15];
    if flags & 2 == 0 {
        return Parse::Done(vec![Found::Note(
            "Go binary with pre-1.18 build info (pointer format): module information not read in one pass"
                .into(),
        )]);
    }
    let bad = || Parse::Done(vec![Found::Note("Go build info malformed".into())]);
    let (version, next) = match string_at(b, HEADER, max) {
        Err(()) => return bad(),
        Ok(Err(need)) => {
            return if need > max {
                bad()
            } else {
                Parse::NeedMore(need)
            }
        }
        Ok(Ok(x)) => x,
    };
    let (modinfo, _) = match string_at(b, next, max) {
        Err(()) => return bad(),
        Ok(Err(need)) => {
            return if need > max {
                bad()
            } else {
                Parse::NeedMore(need)
            }
        }
        Ok(Ok(x)) => x,
    };
    let version = String::from_utf8_lossy(version).into_owned();
    // Strip the sentinels, as debug/buildinfo does.
    let mut m = modinfo;
    if m.len() >= 33 && m[m.len() - 17] == b'\n' {
        m = &m[16..m.len() - 16];
    }
    Parse::Done(package(&version, &String::from_utf8_lossy(m)))
}

/// The package a module-info text describes.
pub(crate) fn package(go_version: &str, modinfo: &str) -> Vec<Found> {
    let mut path = None;
    let mut main: Option<(String, String)> = None;
    let mut components: Vec<Component> = Vec::new();
    // `=>` applies to the line before it: the main module or the last dep.
    let mut last_is_main = false;
    for line in modinfo.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["path", p, ..] => path = Some(p.to_string()),
            ["mod", p, v, ..] => {
                main = Some((p.to_string(), v.to_string()));
                last_is_main = true;
            }
            ["mod", p] => {
                main = Some((p.to_string(), String::new()));
                last_is_main = true;
            }
            ["dep", p, v, ..] => {
                components.push(Component {
                    name: p.to_string(),
                    version: v.to_string(),
                    relation: Relation::Dependency,
                });
                last_is_main = false;
            }
            ["=>", p, rest @ ..] => {
                let v = rest.first().map(|s| s.to_string()).unwrap_or_default();
                if !last_is_main {
                    if let Some(c) = components.last_mut() {
                        c.relation = Relation::Replaced {
                            by: p.to_string(),
                            by_version: v,
                        };
                    }
                }
            }
            _ => {}
        }
    }
    let (name, version) = match (main, path) {
        (Some((p, v)), _) => (p, v),
        (None, Some(p)) => (p, String::new()),
        (None, None) => {
            return vec![Found::Note(format!(
                "Go binary ({go_version}) without module information"
            ))]
        }
    };
    vec![Found::Package(PackageFound {
        manager: Manager::Go,
        name,
        version,
        root: None,
        toolchain: (!go_version.is_empty()).then(|| go_version.to_string()),
        platform: None,
        source: "go-buildinfo",
        components,
    })]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(version: &str, modinfo: &[u8]) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.push(8);
        b.push(2);
        b.resize(32, 0);
        for s in [version.as_bytes(), modinfo] {
            let mut n = s.len() as u64;
            loop {
                let c = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    b.push(c);
                    break;
                }
                b.push(c | 0x80);
            }
            b.extend_from_slice(s);
        }
        b
    }

    const START: &[u8] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";

    #[test]
    fn parses_new_format_with_replacements() {
        let mi = "path\texample.com/app\nmod\texample.com/app\tv1.2.3\th1:abc=\ndep\tgolang.org/x/text\tv0.3.7\th1:x=\n=>\t../text\t(devel)\t\ndep\tgithub.com/a/b\tv1.0.0\th1:y=\nbuild\tGOOS=linux\n";
        let mut wrapped = START.to_vec();
        wrapped.extend_from_slice(mi.as_bytes());
        wrapped.extend_from_slice(&[1u8; 16]);
        let b = blob("go1.21.5", &wrapped);
        let Parse::Done(f) = parse(&b, 1 << 20) else {
            panic!()
        };
        let Found::Package(p) = &f[0] else {
            panic!("{f:?}")
        };
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("example.com/app", "v1.2.3")
        );
        assert_eq!(p.toolchain.as_deref(), Some("go1.21.5"));
        assert_eq!(p.components.len(), 2);
        assert_eq!(
            p.components[0].relation,
            Relation::Replaced {
                by: "../text".into(),
                by_version: "(devel)".into()
            }
        );
        assert_eq!(p.components[1].relation, Relation::Dependency);
        // Every prefix of the blob asks for more, never panics.
        for n in 0..b.len() {
            assert!(matches!(parse(&b[..n], 1 << 20), Parse::NeedMore(_)), "{n}");
        }
    }

    #[test]
    fn malformed_lengths_are_bounded() {
        let mut b = blob("go1.21.5", b"");
        b.truncate(32);
        b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x7f]); // 34 GB string
        assert!(matches!(parse(&b, 1 << 20), Parse::Done(ref f) if matches!(f[0], Found::Note(_))));
        let mut old = blob("x", b"y");
        old[15] = 0;
        assert!(
            matches!(parse(&old, 1 << 20), Parse::Done(ref f) if matches!(&f[0], Found::Note(n) if n.contains("pre-1.18")))
        );
    }
}
