//! Ecosystem detectors on real inputs (built or installed here when the tools are present)
//! and on generated and malformed ones. Every input goes through many chunkings
//! (`feed_all_ways`), which must agree.

mod common;

use common::*;
use layerlens_sniff::{gem_owns, start, Component, Flow, Found, Manager, PackageFound, Relation};

fn dep(name: &str, version: &str) -> Component {
    Component {
        name: name.into(),
        version: version.into(),
        relation: Relation::Dependency,
    }
}

fn only_package(found: &[Found]) -> &PackageFound {
    let p = packages(found);
    assert_eq!(p.len(), 1, "{found:#?}");
    p[0]
}

// ---------------------------------------------------------------------------------------
// Go

/// `go version -m FILE` as (path or mod path, mod version, deps) — the oracle.
type GoVersionM = (String, String, String, Vec<(String, String)>);

fn go_version_m(file: &str) -> Option<GoVersionM> {
    let out = std::process::Command::new("go")
        .args(["version", "-m", file])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let first = lines.next()?;
    let gov = first.rsplit(": ").next()?.to_string();
    let (mut path, mut name, mut version, mut deps) =
        (String::new(), None, String::new(), Vec::new());
    for l in lines {
        let f: Vec<&str> = l.trim_start_matches('\t').split('\t').collect();
        match f.as_slice() {
            ["path", p, ..] => path = p.to_string(),
            ["mod", p, v, ..] => {
                name = Some(p.to_string());
                version = v.to_string();
            }
            ["dep", p, v, ..] => deps.push((p.to_string(), v.to_string())),
            _ => {}
        }
    }
    Some((name.unwrap_or(path), version, gov, deps))
}

#[test]
fn go_program_built_here() {
    let dir = tempdir("go");
    let Some((bin, gov)) = build_go_program(&dir) else {
        eprintln!("SKIPPED: no go toolchain (apt-get install golang-go)");
        return;
    };
    let found = feed_all_ways("app/hello", 0o755, &bin);
    assert_eq!(
        found,
        vec![Found::Package(PackageFound {
            manager: Manager::Go,
            name: "example.com/hello".into(),
            version: "(devel)".into(),
            root: None,
            toolchain: Some(gov),
            platform: None,
            source: "go-buildinfo",
            components: vec![dep("example.com/greet", "v1.2.3")],
        })]
    );
    // Done as soon as the blob is read (the internal linker puts it at the start of the
    // data segment): the rest of the file is not fed.
    let mut s = start("app/hello", bin.len() as u64, 0o755).unwrap();
    let mut fed = 0;
    for c in bin.chunks(65536) {
        fed += c.len();
        if s.feed(c) == Flow::Done {
            break;
        }
    }
    assert!(fed < bin.len(), "fed {fed} of {}", bin.len());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn debian_go_binaries_match_go_version_m() {
    let mut checked = 0;
    for f in ["/usr/bin/fzf", "/usr/bin/age", "/usr/bin/hugo"] {
        let Ok(bin) = std::fs::read(f) else { continue };
        let Some((name, version, gov, deps)) = go_version_m(f) else {
            continue;
        };
        let found = if bin.len() > 8 << 20 {
            feed_with(&f[1..], 0o755, &bin, &[262144]).unwrap()
        } else {
            feed_all_ways(&f[1..], 0o755, &bin)
        };
        let p = only_package(&found);
        assert_eq!(
            (p.manager, p.name.as_str(), p.version.as_str()),
            (Manager::Go, name.as_str(), version.as_str()),
            "{f}"
        );
        assert_eq!(p.toolchain.as_deref(), Some(gov.as_str()), "{f}");
        let ours: Vec<(String, String)> = p
            .components
            .iter()
            .map(|c| (c.name.clone(), c.version.clone()))
            .collect();
        assert_eq!(ours, deps, "{f}");
        checked += 1;
    }
    if checked == 0 {
        eprintln!("SKIPPED: no Debian Go binary with a go toolchain (apt-get install golang-go fzf age hugo)");
    }
}

const MODINFO: &str = "path\texample.com/svc/cmd/svc\nmod\texample.com/svc\tv1.4.0\th1:aaaa=\ndep\tgithub.com/pkg/errors\tv0.9.1\th1:bbbb=\ndep\tgolang.org/x/sys\tv0.1.0\th1:cccc=\n=>\tgolang.org/x/sys\tv0.2.0\th1:dddd=\nbuild\t-compiler=gc\nbuild\tGOOS=linux\n";

fn expected_svc(gov: &str) -> Vec<Found> {
    vec![Found::Package(PackageFound {
        manager: Manager::Go,
        name: "example.com/svc".into(),
        version: "v1.4.0".into(),
        root: None,
        toolchain: Some(gov.into()),
        platform: None,
        source: "go-buildinfo",
        components: vec![
            dep("github.com/pkg/errors", "v0.9.1"),
            Component {
                name: "golang.org/x/sys".into(),
                version: "v0.1.0".into(),
                relation: Relation::Replaced {
                    by: "golang.org/x/sys".into(),
                    by_version: "v0.2.0".into(),
                },
            },
        ],
    })]
}

/// A writable segment: noise, an unaligned decoy magic, then the blob at a 16-aligned
/// address some way in (as an external linker places it).
fn data_segment(blob: &[u8]) -> Vec<u8> {
    let mut d: Vec<u8> = (0..5000u32).map(|i| (i * 7 + 3) as u8).collect();
    d.extend_from_slice(b"\xff Go buildinf:");
    d.extend_from_slice(&[0; 3]);
    while d.len() % 16 != 0 {
        d.push(0);
    }
    d.extend_from_slice(blob);
    d.extend((0..3000u32).map(|i| (i * 13) as u8));
    d
}

#[test]
fn go_buildinfo_in_synthetic_elfs() {
    let text = vec![0x90u8; 20000];
    let blob = go_blob("go1.22.3", MODINFO, false);
    let data = data_segment(&blob);
    for (is64, be) in [(true, false), (false, false), (false, true), (true, true)] {
        let blob = go_blob("go1.22.3", MODINFO, be);
        let data = data_segment(&blob);
        let bin = elf(
            &[
                Seg {
                    p_type: 1,
                    flags: 5,
                    vaddr: 0x400000,
                    bytes: &text,
                },
                Seg {
                    p_type: 1,
                    flags: 6,
                    vaddr: 0x800000,
                    bytes: &data,
                },
            ],
            b"",
            is64,
            be,
        );
        assert_eq!(
            feed_all_ways("usr/local/bin/svc", 0o755, &bin),
            expected_svc("go1.22.3"),
            "is64 {is64} be {be}"
        );
    }
    // The magic in a non-writable segment is not build info.
    let bin = elf(
        &[Seg {
            p_type: 1,
            flags: 4,
            vaddr: 0x400000,
            bytes: &data,
        }],
        b"",
        true,
        false,
    );
    assert_eq!(feed_all_ways("usr/local/bin/svc", 0o755, &bin), vec![]);
}

#[test]
fn go_old_format_is_recognised_not_read() {
    let mut blob = go_blob("go1.16.15", MODINFO, false);
    blob[15] = 0; // pointer format
    let data = data_segment(&blob);
    let bin = elf(
        &[Seg {
            p_type: 1,
            flags: 6,
            vaddr: 0x800000,
            bytes: &data,
        }],
        b"",
        true,
        false,
    );
    let found = feed_all_ways("bin/old", 0o755, &bin);
    assert_eq!(packages(&found).len(), 0);
    assert_eq!(notes(&found), vec!["Go binary with pre-1.18 build info (pointer format): module information not read in one pass"]);
}

#[test]
fn truncated_and_malformed_elfs() {
    let text = vec![0x90u8; 4000];
    let blob = go_blob("go1.22.3", MODINFO, false);
    let data = data_segment(&blob);
    let bin = elf(
        &[
            Seg {
                p_type: 1,
                flags: 5,
                vaddr: 0x400000,
                bytes: &text,
            },
            Seg {
                p_type: 1,
                flags: 6,
                vaddr: 0x800000,
                bytes: &data,
            },
        ],
        b"",
        true,
        false,
    );
    let blob_at = memchr::memmem::find_iter(&bin, b"\xff Go buildinf:")
        .last()
        .unwrap();
    let unpadded = blob.len() - blob.iter().rev().take_while(|&&b| b == 0).count();
    let blob_end = blob_at + unpadded;
    // Cut anywhere: never a panic; the package only once the whole blob is there.
    for cut in
        (0..bin.len())
            .step_by(97)
            .chain([blob_at + 31, blob_at + 32, blob_end - 1, blob_end + 16])
    {
        let part = &bin[..cut.min(bin.len())];
        let mut s = start("bin/svc", bin.len() as u64, 0o755).unwrap();
        for c in part.chunks(333) {
            if s.feed(c) == Flow::Done {
                break;
            }
        }
        let found = s.finish();
        let has = !packages(&found).is_empty();
        assert_eq!(
            has,
            cut >= blob_end,
            "cut {cut} (blob {blob_at}..{blob_end}): {found:?}"
        );
        if cut > blob_at + 16 && cut < blob_end {
            assert_eq!(
                notes(&found),
                vec!["Go build info truncated (file ended early)"],
                "cut {cut}"
            );
        }
    }
    // A varint length of 2^60: bounded, a note, no allocation of that size.
    let mut bad = go_blob("go1.22.3", "", false);
    bad.truncate(32);
    bad.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]);
    bad.resize(64, 0);
    let bin = elf(
        &[Seg {
            p_type: 1,
            flags: 6,
            vaddr: 0x800000,
            bytes: &bad,
        }],
        b"",
        true,
        false,
    );
    assert_eq!(
        notes(&feed_all_ways("bin/bad", 0o755, &bin)),
        vec!["Go build info malformed"]
    );
    // Program headers that point past the end, absurd counts, garbage: nothing, no panic.
    let mut junk = elf(
        &[Seg {
            p_type: 1,
            flags: 6,
            vaddr: 0x800000,
            bytes: &blob,
        }],
        b"",
        true,
        false,
    );
    junk[56] = 0xff; // e_phnum = 0x..ff
    junk[57] = 0x7f;
    assert_eq!(feed_all_ways("bin/junk", 0o755, &junk), vec![]);
    let mut past = elf(
        &[Seg {
            p_type: 1,
            flags: 6,
            vaddr: 0x800000,
            bytes: &blob,
        }],
        b"",
        true,
        false,
    );
    past[64 + 8..64 + 16].copy_from_slice(&u64::MAX.to_le_bytes()[..]); // p_offset
    assert_eq!(feed_all_ways("bin/past", 0o755, &past), vec![]);
}

#[test]
fn scripts_cost_one_look() {
    let script = b"#!/bin/sh\necho hello\n".repeat(1000);
    let mut s = start("usr/bin/hello", script.len() as u64, 0o755).unwrap();
    assert_eq!(s.feed(&script[..4]), Flow::Done);
    assert_eq!(s.finish(), vec![]);
    // Not executable, or tiny: not even started.
    assert!(start("usr/bin/hello", 100, 0o644).is_none());
    assert!(start("usr/bin/true", 10, 0o755).is_none());
}

// ---------------------------------------------------------------------------------------
// cargo-auditable

const AUDIT_JSON: &str = r#"{"packages":[{"name":"hello","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},{"name":"memchr","version":"2.8.3","source":"crates.io"},{"name":"cc","version":"1.2.0","source":"crates.io","kind":"build"}],"format":1}"#;

fn expected_hello() -> Vec<Found> {
    vec![Found::Package(PackageFound {
        manager: Manager::Cargo,
        name: "hello".into(),
        version: "0.1.0".into(),
        root: None,
        toolchain: None,
        platform: None,
        source: "cargo-auditable",
        components: vec![
            dep("memchr", "2.8.3"),
            Component {
                name: "cc".into(),
                version: "1.2.0".into(),
                relation: Relation::BuildDependency,
            },
        ],
    })]
}

fn feed_config(
    config: layerlens_sniff::Config,
    path: &str,
    bytes: &[u8],
    chunk: usize,
) -> Vec<Found> {
    let mut s = config.start(path, bytes.len() as u64, 0o755).unwrap();
    for c in bytes.chunks(chunk) {
        if s.feed(c) == Flow::Done {
            break;
        }
    }
    s.finish()
}

/// A tail like rustc + lld write it: `.comment`, then `.dep-v0`, then the symbol table
/// (its null entry: 24 zero bytes, 8-aligned).
fn rust_tail(dep: &[u8], comment: &[u8]) -> Vec<u8> {
    let mut tail = comment.to_vec();
    tail.extend_from_slice(dep);
    while tail.len() % 8 != 0 {
        tail.push(0);
    }
    tail.extend_from_slice(&[0; 24]);
    tail.extend((0..20000u32).map(|i| (i % 251) as u8)); // .symtab, .strtab…
    tail
}

const COMMENT: &[u8] = b"rustc version 1.95.0 (59807616e 2026-04-14)\0Linker: LLD 22.1.2\0GCC: (Debian 12.2.0-14) 12.2.0\0";

#[test]
fn cargo_auditable_in_the_non_loaded_tail() {
    let text = vec![0x90u8; 30000];
    // Read-only data with decoy zlib headers (78 9c + garbage, 78 da + a real stream of
    // other JSON).
    let mut ro: Vec<u8> = Vec::new();
    for i in 0..200u32 {
        ro.extend_from_slice(&[0x78, 0x9c, (i * 31) as u8, (i * 17) as u8, 0x55]);
        ro.extend((0..50u32).map(|j| (i * j) as u8 | 1));
    }
    ro.extend_from_slice(&zlib(br#"{"other":"json"}"#, 9));
    ro.extend_from_slice(&zlib(br#"{"packages":"not a list"}"#, 9));
    let bin = |tail: &[u8], ro: &[u8]| {
        elf(
            &[
                Seg {
                    p_type: 1,
                    flags: 4,
                    vaddr: 0x0,
                    bytes: ro,
                },
                Seg {
                    p_type: 1,
                    flags: 5,
                    vaddr: 0x10000,
                    bytes: &text,
                },
                Seg {
                    p_type: 1,
                    flags: 6,
                    vaddr: 0x30000,
                    bytes: &text[..500],
                },
            ],
            tail,
            true,
            false,
        )
    };
    // Levels 2–9 (headers 78 5e, 78 9c, 78 da; cargo-auditable uses 7), decoys before it.
    for level in [2, 6, 7, 9] {
        let mut dep = ro[..3000].to_vec(); // decoys in the tail too
        dep.extend_from_slice(&zlib(AUDIT_JSON.as_bytes(), level));
        let b = bin(&rust_tail(&dep, COMMENT), &ro);
        assert_eq!(
            feed_all_ways("usr/local/bin/hello", 0o755, &b),
            expected_hello(),
            "level {level}"
        );
    }
    // Level 0–1 (78 01): not searched for.
    let b = bin(&rust_tail(&zlib(AUDIT_JSON.as_bytes(), 1), COMMENT), &ro);
    assert_eq!(feed_all_ways("usr/local/bin/hello", 0o755, &b), vec![]);
    // Not a Rust binary (no `rustc version` in .comment): the tail is not searched.
    let b = bin(
        &rust_tail(
            &zlib(AUDIT_JSON.as_bytes(), 7),
            b"GCC: (Debian 12.2.0-14) 12.2.0\0",
        ),
        &ro,
    );
    assert_eq!(feed_all_ways("usr/local/bin/hello", 0o755, &b), vec![]);
    // After the symbol table started: not searched (linkers put .dep-v0 before it).
    let mut late = COMMENT.to_vec();
    late.extend_from_slice(&[0; 40]);
    late.extend_from_slice(&zlib(AUDIT_JSON.as_bytes(), 7));
    let b = bin(&late, &ro);
    assert_eq!(feed_all_ways("usr/local/bin/hello", 0o755, &b), vec![]);
    // A `.dep-v0` with SHF_ALLOC, inside a read-only segment: only with
    // `cargo_auditable_loaded`.
    let mut ro2 = ro.clone();
    ro2.extend_from_slice(&zlib(AUDIT_JSON.as_bytes(), 9));
    let b = bin(&rust_tail(b"", COMMENT), &ro2);
    assert_eq!(feed_all_ways("usr/local/bin/hello", 0o755, &b), vec![]);
    let loaded = layerlens_sniff::Config {
        cargo_auditable_loaded: true,
        ..layerlens_sniff::Config::ALL
    };
    for chunk in [1, 7, 4096, 1 << 20] {
        assert_eq!(
            feed_config(loaded, "usr/local/bin/hello", &b, chunk),
            expected_hello(),
            "chunk {chunk}"
        );
    }
}

#[test]
fn cargo_auditable_bomb_is_bounded() {
    // A stream that starts like audit data and inflates to 16 MiB: rejected at 1 MiB.
    let mut json = AUDIT_JSON.as_bytes()[..13].to_vec();
    json.resize(16 << 20, b' ');
    let tail = rust_tail(&zlib(&json, 9), COMMENT);
    let bin = elf(
        &[Seg {
            p_type: 1,
            flags: 5,
            vaddr: 0x10000,
            bytes: &[0x90; 100],
        }],
        &tail,
        true,
        false,
    );
    let t = std::time::Instant::now();
    assert_eq!(feed_with("bin/x", 0o755, &bin, &[65536]).unwrap(), vec![]);
    assert!(t.elapsed().as_secs() < 5);
}

/// A real cargo-auditable binary: `SNIFF_AUDITABLE_BIN=/path/to/binary` (built with
/// `cargo install cargo-auditable && cargo auditable build --release`), checked against
/// `objcopy --dump-section .dep-v0`.
#[test]
fn real_cargo_auditable_binary() {
    let Ok(path) = std::env::var("SNIFF_AUDITABLE_BIN") else {
        eprintln!("SKIPPED: set SNIFF_AUDITABLE_BIN to a cargo-auditable binary");
        return;
    };
    let bin = std::fs::read(&path).unwrap();
    let dump = std::process::Command::new("objcopy")
        .args(["--dump-section", &format!(".dep-v0={path}.dep")])
        .arg(&path)
        .arg(format!("{path}.copy"))
        .status()
        .unwrap();
    assert!(dump.success());
    let z = std::fs::read(format!("{path}.dep")).unwrap();
    let mut json = String::new();
    use std::io::Read;
    flate2::read::ZlibDecoder::new(&z[..])
        .read_to_string(&mut json)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let pk = v["packages"].as_array().unwrap();
    let root = pk.iter().find(|p| p["root"] == true).unwrap();
    let found = feed_all_ways("usr/local/bin/x", 0o755, &bin);
    let p = only_package(&found);
    assert_eq!(
        (p.name.as_str(), p.version.as_str()),
        (
            root["name"].as_str().unwrap(),
            root["version"].as_str().unwrap()
        )
    );
    assert_eq!(p.components.len(), pk.len() - 1);
}

// ---------------------------------------------------------------------------------------
// Java archives

fn maven(name: &str, version: &str, components: Vec<Component>) -> Vec<Found> {
    vec![Found::Package(PackageFound {
        manager: Manager::Maven,
        name: name.into(),
        version: version.into(),
        root: None,
        toolchain: None,
        platform: None,
        source: "pom.properties",
        components,
    })]
}

fn embedded(name: &str, version: &str, path: &str) -> Component {
    Component {
        name: name.into(),
        version: version.into(),
        relation: Relation::Embedded { path: path.into() },
    }
}

/// Pseudo-random, poorly compressible bytes (so deflated members are large).
fn noise(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn jar_built_by_the_jdk_jar_tool() {
    let dir = tempdir("jar");
    let d = dir.join("d");
    std::fs::create_dir_all(d.join("META-INF/maven/com.example/demo")).unwrap();
    std::fs::create_dir_all(d.join("com/example")).unwrap();
    std::fs::write(
        d.join("META-INF/maven/com.example/demo/pom.properties"),
        pom_properties("com.example", "demo", "1.0.0"),
    )
    .unwrap();
    std::fs::write(d.join("com/example/Blob.class"), noise(300_000, 7)).unwrap();
    std::fs::write(d.join("com/example/Text.txt"), "x".repeat(100_000)).unwrap();
    let jar = dir.join("demo-1.0.0.jar");
    let ok = std::process::Command::new("jar")
        .arg("cf")
        .arg(&jar)
        .arg("-C")
        .arg(&d)
        .arg(".")
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIPPED: no jar tool (apt-get install default-jdk-headless)");
        return;
    }
    let bytes = std::fs::read(&jar).unwrap();
    // The JDK writes deflated members with bit 3 (sizes in data descriptors).
    assert_eq!(bytes[6] & 8, 8);
    assert_eq!(
        feed_all_ways("app/demo-1.0.0.jar", 0o644, &bytes),
        maven("com.example:demo", "1.0.0", vec![])
    );
    // Renamed: still the only pom.properties.
    assert_eq!(
        feed_all_ways("app/app.jar", 0o644, &bytes),
        maven("com.example:demo", "1.0.0", vec![])
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn debian_jars() {
    let mut checked = 0;
    for (f, name, version) in [
        (
            "/usr/share/java/commons-lang3-3.12.0.jar",
            "org.apache.commons:commons-lang3",
            "3.12.0",
        ),
        (
            "/usr/share/java/commons-io-2.11.0.jar",
            "commons-io:commons-io",
            "2.11.0",
        ),
    ] {
        let Ok(bytes) = std::fs::read(f) else {
            continue;
        };
        assert_eq!(
            feed_all_ways(&f[1..], 0o644, &bytes),
            maven(name, version, vec![]),
            "{f}"
        );
        checked += 1;
    }
    if checked == 0 {
        eprintln!("SKIPPED: apt-get install libcommons-lang3-java libcommons-io-java");
    }
}

#[test]
fn every_member_layout() {
    let pom = pom_properties("org.acme", "widget", "2.3.4");
    for pm in [Method::Stored, Method::Deflated] {
        for pd in [Desc::None, Desc::WithSig, Desc::NoSig] {
            if pm == Method::Stored && pd != Desc::None {
                continue; // stored members need sizes up front (nothing else says where they end)
            }
            for od in [Desc::None, Desc::WithSig] {
                let mut z = Zip::default();
                z.add(
                    "META-INF/MANIFEST.MF",
                    b"Manifest-Version: 1.0\r\n\r\n",
                    Method::Deflated,
                    od,
                );
                z.add("META-INF/", b"", Method::Stored, Desc::None);
                // A big member whose bytes contain a descriptor signature with a wrong size.
                let mut big = noise(200_000, 3);
                big[1000..1004].copy_from_slice(b"PK\x07\x08");
                z.add("org/acme/Big.class", &big, Method::Stored, Desc::None);
                z.add(
                    "org/acme/Widget.class",
                    &noise(150_000, 5),
                    Method::Deflated,
                    od,
                );
                z.add(
                    "META-INF/maven/org.acme/widget/pom.properties",
                    &pom,
                    pm,
                    pd,
                );
                z.add(
                    "META-INF/maven/org.acme/widget/pom.xml",
                    b"<project/>",
                    Method::Deflated,
                    od,
                );
                z.add(
                    "org/acme/After.class",
                    &noise(10_000, 9),
                    Method::Deflated,
                    od,
                );
                let bytes = z.finish();
                assert_eq!(
                    feed_all_ways("opt/widget-2.3.4.jar", 0o644, &bytes),
                    maven("org.acme:widget", "2.3.4", vec![]),
                    "pom {pm:?} {pd:?}, others {od:?}"
                );
            }
        }
    }
}

fn nested_jar(g: &str, a: &str, v: &str) -> Vec<u8> {
    let mut z = Zip::default();
    z.add(
        "META-INF/MANIFEST.MF",
        b"Manifest-Version: 1.0\r\n",
        Method::Deflated,
        Desc::None,
    );
    z.add(
        &format!("META-INF/maven/{g}/{a}/pom.properties"),
        &pom_properties(g, a, v),
        Method::Deflated,
        Desc::None,
    );
    z.add("x/Y.class", &noise(5000, 11), Method::Deflated, Desc::None);
    z.finish()
}

#[test]
fn spring_boot_fat_jar() {
    let mut z = Zip::default();
    z.add(
        "META-INF/MANIFEST.MF",
        b"Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.JarLauncher\r\n",
        Method::Deflated,
        Desc::WithSig,
    );
    z.add(
        "BOOT-INF/classes/com/example/App.class",
        &noise(3000, 1),
        Method::Deflated,
        Desc::WithSig,
    );
    z.add(
        "META-INF/maven/com.example/app/pom.properties",
        &pom_properties("com.example", "app", "0.0.1-SNAPSHOT"),
        Method::Deflated,
        Desc::WithSig,
    );
    z.add(
        "BOOT-INF/lib/guava-32.1.2-jre.jar",
        &nested_jar("com.google.guava", "guava", "32.1.2-jre"),
        Method::Stored,
        Desc::None,
    );
    z.add(
        "BOOT-INF/lib/no-pom.jar",
        &{
            let mut n = Zip::default();
            n.add("a/B.class", b"cafebabe", Method::Stored, Desc::None);
            n.finish()
        },
        Method::Stored,
        Desc::None,
    );
    z.add(
        "BOOT-INF/lib/slf4j-api-2.0.9.jar",
        &nested_jar("org.slf4j", "slf4j-api", "2.0.9"),
        Method::Stored,
        Desc::None,
    );
    // A deflated nested jar is not read (that would mean inflating it).
    z.add(
        "BOOT-INF/lib/deflated-1.0.jar",
        &nested_jar("org.x", "deflated", "1.0"),
        Method::Deflated,
        Desc::None,
    );
    let bytes = z.finish();
    let expected = maven(
        "com.example:app",
        "0.0.1-SNAPSHOT",
        vec![
            embedded(
                "com.google.guava:guava",
                "32.1.2-jre",
                "BOOT-INF/lib/guava-32.1.2-jre.jar",
            ),
            embedded(
                "org.slf4j:slf4j-api",
                "2.0.9",
                "BOOT-INF/lib/slf4j-api-2.0.9.jar",
            ),
        ],
    );
    assert_eq!(feed_all_ways("app/app.jar", 0o644, &bytes), expected);
    // A launch script in front ("fully executable" jars).
    let mut exe = b"#!/bin/bash\n# launch script\nexec java -jar \"$0\" \"$@\"\n".repeat(50);
    exe.extend_from_slice(&bytes);
    assert_eq!(feed_all_ways("app/app.jar", 0o755, &exe), expected);
}

#[test]
fn shaded_jars() {
    let mut z = Zip::default();
    for (g, a, v) in [
        ("com.google.guava", "failureaccess", "1.0.1"),
        ("com.google.guava", "guava", "32.1.2-jre"),
        ("org.checkerframework", "checker-qual", "3.33.0"),
    ] {
        z.add(
            &format!("META-INF/maven/{g}/{a}/pom.properties"),
            &pom_properties(g, a, v),
            Method::Deflated,
            Desc::None,
        );
    }
    let bytes = z.finish();
    assert_eq!(
        feed_all_ways("libs/guava-32.1.2-jre.jar", 0o644, &bytes),
        maven(
            "com.google.guava:guava",
            "32.1.2-jre",
            vec![
                embedded(
                    "com.google.guava:failureaccess",
                    "1.0.1",
                    "META-INF/maven/com.google.guava/failureaccess/pom.properties"
                ),
                embedded(
                    "org.checkerframework:checker-qual",
                    "3.33.0",
                    "META-INF/maven/org.checkerframework/checker-qual/pom.properties"
                ),
            ]
        )
    );
    let found = feed_all_ways("libs/app.jar", 0o644, &bytes);
    assert_eq!(packages(&found).len(), 0);
    assert_eq!(
        notes(&found),
        vec!["3 pom.properties at the top level and none matches the file name: no package"]
    );
    // No pom.properties: no package, nothing guessed from the name.
    let mut z = Zip::default();
    z.add(
        "META-INF/MANIFEST.MF",
        b"Implementation-Title: x\r\nImplementation-Version: 1.0\r\n",
        Method::Deflated,
        Desc::None,
    );
    assert_eq!(
        feed_all_ways("libs/commons-foo-1.0.jar", 0o644, &z.finish()),
        vec![]
    );
}

#[test]
fn zip_bomb_member_is_bounded() {
    // pom.properties inflating to 32 MiB: inflation stops at the limit, the member is
    // skipped (bit 3: by its descriptor), and the archive's real pom is still read.
    let bomb = vec![b'#'; 32 << 20];
    let comp = deflate(&bomb);
    for desc in [Desc::None, Desc::WithSig] {
        let mut z = Zip::default();
        z.add_raw(
            "META-INF/maven/evil/bomb/pom.properties",
            &comp,
            &bomb[..1000],
            Method::Deflated,
            desc,
            None,
        );
        z.add(
            "META-INF/maven/org.acme/widget/pom.properties",
            &pom_properties("org.acme", "widget", "1"),
            Method::Deflated,
            desc,
        );
        let bytes = z.finish();
        let t = std::time::Instant::now();
        let found = feed_with("x/widget-1.jar", 0o644, &bytes, &[65536]).unwrap();
        assert!(t.elapsed().as_millis() < 2000, "{:?}", t.elapsed());
        assert_eq!(packages(&found)[0].name, "org.acme:widget", "{desc:?}");
        assert_eq!(
            notes(&found),
            vec!["META-INF/maven/evil/bomb/pom.properties: over the size limit; not read"]
        );
    }
}

#[test]
fn lying_and_truncated_zips() {
    let pom = pom_properties("org.acme", "widget", "2.3.4");
    // A size larger than the data: the reader skips past the next headers and stops at
    // garbage or the end; a size smaller: it lands inside the data and stops. No panic,
    // the same answer in every chunking.
    for lie in [0u32, 1, 100, 1_000, 150_000, 10_000_000, u32::MAX - 1] {
        let mut z = Zip::default();
        let data = noise(20_000, 2);
        z.add_raw(
            "a/B.class",
            &data,
            &data,
            Method::Stored,
            Desc::None,
            Some(lie),
        );
        z.add(
            "META-INF/maven/org.acme/widget/pom.properties",
            &pom,
            Method::Deflated,
            Desc::None,
        );
        let bytes = z.finish();
        let found = feed_all_ways("x/widget-2.3.4.jar", 0o644, &bytes);
        if lie == 20_000 {
            assert_eq!(found, maven("org.acme:widget", "2.3.4", vec![]));
        }
    }
    // A lying size on the pom itself (deflate data cut short / garbage after the stream).
    for lie in [1u32, 10, 40, 5000] {
        let mut z = Zip::default();
        z.add_raw(
            "META-INF/maven/org.acme/widget/pom.properties",
            &deflate(&pom),
            &pom,
            Method::Deflated,
            Desc::None,
            Some(lie),
        );
        z.add("z", b"zz", Method::Stored, Desc::None);
        feed_all_ways("x/widget-2.3.4.jar", 0o644, &z.finish());
    }
    // Truncated anywhere.
    let mut z = Zip::default();
    z.add(
        "a/B.class",
        &noise(5_000, 2),
        Method::Deflated,
        Desc::WithSig,
    );
    z.add(
        "META-INF/maven/org.acme/widget/pom.properties",
        &pom,
        Method::Deflated,
        Desc::WithSig,
    );
    z.add(
        "lib/inner.jar",
        &nested_jar("g", "inner", "1"),
        Method::Stored,
        Desc::None,
    );
    let bytes = z.finish();
    for cut in 0..bytes.len() {
        let mut s = start("x/widget-2.3.4.jar", bytes.len() as u64, 0o644).unwrap();
        for c in bytes[..cut].chunks(100) {
            if s.feed(c) == Flow::Done {
                break;
            }
        }
        let _ = s.finish();
    }
    // Not a zip at all.
    assert_eq!(
        feed_all_ways("x/a.jar", 0o644, &noise(3 << 20, 4)),
        vec![Found::Note("no zip local header in the first MiB".into())]
    );
}

// ---------------------------------------------------------------------------------------
// Ruby gems

fn gem(
    name: &str,
    version: &str,
    root: Option<&str>,
    platform: Option<&str>,
    source: &'static str,
) -> Vec<Found> {
    vec![Found::Package(PackageFound {
        manager: Manager::Gem,
        name: name.into(),
        version: version.into(),
        root: root.map(str::to_string),
        toolchain: None,
        platform: platform.map(str::to_string),
        source,
        components: vec![],
    })]
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn real_gemspecs() {
    // Written by RubyGems 3.3.15 (Debian bookworm's ruby 3.1).
    assert_eq!(
        feed_all_ways(
            "usr/local/bundle/specifications/fastthing-2.4.1-x86_64-linux.gemspec",
            0o644,
            &data("fastthing-2.4.1-x86_64-linux.gemspec")
        ),
        gem(
            "fastthing",
            "2.4.1",
            Some("usr/local/bundle/gems/fastthing-2.4.1-x86_64-linux/"),
            Some("x86_64-linux"),
            "gemspec"
        )
    );
    assert_eq!(
        feed_all_ways(
            "usr/lib/ruby/gems/3.1.0/specifications/rbs-2.1.0.gemspec",
            0o644,
            &data("rbs-2.1.0.gemspec")
        ),
        gem(
            "rbs",
            "2.1.0",
            Some("usr/lib/ruby/gems/3.1.0/gems/rbs-2.1.0/"),
            None,
            "gemspec"
        )
    );
    assert_eq!(
        feed_all_ways("usr/lib/x86_64-linux-gnu/rubygems-integration/3.1.0/specifications/nokogiri-1.13.10.gemspec", 0o644, &data("nokogiri-1.13.10.gemspec")),
        gem("nokogiri", "1.13.10", Some("usr/lib/x86_64-linux-gnu/rubygems-integration/3.1.0/gems/nokogiri-1.13.10/"), None, "gemspec")
    );
    // Default gems: files live in Ruby's own lib directory.
    assert_eq!(
        feed_all_ways(
            "usr/lib/ruby/gems/3.1.0/specifications/default/pathname-0.2.0.gemspec",
            0o644,
            &data("pathname-0.2.0.gemspec")
        ),
        gem("pathname", "0.2.0", None, None, "gemspec")
    );
    // Every gemspec of this machine's Ruby, against its file name.
    let mut n = 0;
    for dir in [
        "/usr/lib/ruby/gems/3.1.0/specifications",
        "/usr/share/rubygems-integration/all/specifications",
    ] {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_none_or(|x| x != "gemspec") {
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            let found = feed_all_ways(&p.to_string_lossy()[1..], 0o644, &bytes);
            let pk = only_package(&found);
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            assert_eq!(
                format!("{}-{}", pk.name, pk.version),
                stem,
                "{}",
                p.display()
            );
            assert_eq!(pk.source, "gemspec");
            n += 1;
        }
    }
    eprintln!("{n} installed gemspecs checked");
}

#[test]
fn gemspec_fallbacks_and_ownership() {
    // Unreadable content: the file name.
    assert_eq!(
        feed_all_ways(
            "app/vendor/bundle/ruby/3.2.0/specifications/nokogiri-1.15.4-x86_64-linux.gemspec",
            0o644,
            b"\x00\x01garbage"
        ),
        gem(
            "nokogiri",
            "1.15.4",
            Some("app/vendor/bundle/ruby/3.2.0/gems/nokogiri-1.15.4-x86_64-linux/"),
            Some("x86_64-linux"),
            "gemspec-filename"
        )
    );
    // Older RubyGems literals.
    let old = b"Gem::Specification.new do |s|\n  s.name = %q{rack}\n  s.version = Gem::Version.new(\"2.2.8\")\nend\n";
    assert_eq!(
        feed_all_ways(
            "var/lib/gems/2.7.0/specifications/rack-2.2.8.gemspec",
            0o644,
            old
        ),
        gem(
            "rack",
            "2.2.8",
            Some("var/lib/gems/2.7.0/gems/rack-2.2.8/"),
            None,
            "gemspec"
        )
    );
    // Over the capture limit: the file name.
    let mut big = data("rbs-2.1.0.gemspec");
    big.resize(300 << 10, b'#');
    assert_eq!(
        feed_all_ways(
            "usr/lib/ruby/gems/3.1.0/specifications/rbs-2.1.0.gemspec",
            0o644,
            &big
        ),
        gem(
            "rbs",
            "2.1.0",
            Some("usr/lib/ruby/gems/3.1.0/gems/rbs-2.1.0/"),
            None,
            "gemspec-filename"
        )
    );
    // Not under specifications/: not a gem (a gem's own source tree).
    assert!(start("app/mygem.gemspec", 100, 0o644).is_none());
    let found = feed_all_ways(
        "usr/local/bundle/specifications/fastthing-2.4.1-x86_64-linux.gemspec",
        0o644,
        &data("fastthing-2.4.1-x86_64-linux.gemspec"),
    );
    let p = only_package(&found);
    assert!(gem_owns(
        p,
        "usr/local/bundle/gems/fastthing-2.4.1-x86_64-linux/lib/fastthing.rb"
    ));
    assert!(gem_owns(
        p,
        "usr/local/bundle/cache/fastthing-2.4.1-x86_64-linux.gem"
    ));
    assert!(gem_owns(p, "usr/local/bundle/extensions/x86_64-linux/3.1.0/fastthing-2.4.1-x86_64-linux/gem.build_complete"));
    assert!(!gem_owns(
        p,
        "usr/local/bundle/gems/fastthing-2.4.10-x86_64-linux/lib/x.rb"
    ));
    assert!(!gem_owns(
        p,
        "usr/local/bundle/extensions/x86_64-linux/3.1.0/other-1.0/x.so"
    ));
}
