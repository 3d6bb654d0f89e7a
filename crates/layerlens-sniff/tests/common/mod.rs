//! Test helpers: feed bytes as the walk would, in many chunkings; build zips and ELFs.
#![allow(dead_code)]

use std::io::Write;

use layerlens_sniff::{start, Flow, Found, PackageFound};

/// Feed `bytes` in chunks of the sizes `sizes` cycles through; `None` when not wanted.
pub fn feed_with(path: &str, mode: u32, bytes: &[u8], sizes: &[usize]) -> Option<Vec<Found>> {
    let mut s = start(path, bytes.len() as u64, mode)?;
    let mut at = 0;
    let mut i = 0;
    while at < bytes.len() {
        let n = sizes[i % sizes.len()].max(1).min(bytes.len() - at);
        i += 1;
        let flow = s.feed(&bytes[at..at + n]);
        at += n;
        if flow == Flow::Done {
            break;
        }
    }
    Some(s.finish())
}

/// A deterministic pseudo-random sequence of chunk sizes (1..=max).
pub fn random_sizes(seed: u64, max: usize, n: usize) -> Vec<usize> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1 + (x as usize % max)
        })
        .collect()
}

/// Feed `bytes` whole, byte by byte, and in many other chunkings; every chunking must give
/// the same result, which is returned.
pub fn feed_all_ways(path: &str, mode: u32, bytes: &[u8]) -> Vec<Found> {
    let whole = feed_with(path, mode, bytes, &[bytes.len().max(1)]).expect("wanted");
    let mut ways: Vec<Vec<usize>> = vec![
        vec![1],
        vec![2],
        vec![3],
        vec![7],
        vec![13],
        vec![64],
        vec![319],
        vec![320],
        vec![321],
        vec![4096],
        vec![65536],
        vec![1, 4095, 2, 65537],
    ];
    // Byte-by-byte is slow for large inputs: only for small ones.
    if bytes.len() > 4 << 20 {
        ways.retain(|w| w.iter().sum::<usize>() > 200);
    }
    for seed in 1..=6 {
        ways.push(random_sizes(
            seed,
            if seed % 2 == 0 { 700 } else { 70_000 },
            997,
        ));
    }
    for w in ways {
        let got = feed_with(path, mode, bytes, &w).expect("wanted");
        assert_eq!(
            got,
            whole,
            "chunking {:?} differs from whole",
            &w[..w.len().min(4)]
        );
    }
    whole
}

pub fn packages(found: &[Found]) -> Vec<&PackageFound> {
    found
        .iter()
        .filter_map(|f| match f {
            Found::Package(p) => Some(p),
            _ => None,
        })
        .collect()
}

pub fn notes(found: &[Found]) -> Vec<&str> {
    found
        .iter()
        .filter_map(|f| match f {
            Found::Note(n) => Some(n.as_str()),
            _ => None,
        })
        .collect()
}

pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zlib(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Method {
    Stored,
    Deflated,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Desc {
    /// Sizes in the local header.
    None,
    /// Bit 3, sizes zero in the local header, descriptor with its signature.
    WithSig,
    /// Bit 3, descriptor without signature.
    NoSig,
}

/// A minimal zip writer with control over what the walk's reader must cope with.
#[derive(Default)]
pub struct Zip {
    pub buf: Vec<u8>,
    central: Vec<u8>,
    count: u16,
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

impl Zip {
    pub fn add(&mut self, name: &str, data: &[u8], method: Method, desc: Desc) -> &mut Self {
        let comp = match method {
            Method::Stored => data.to_vec(),
            Method::Deflated => deflate(data),
        };
        self.add_raw(name, &comp, data, method, desc, None)
    }

    /// `lie`: the compressed size written in the local header instead of the real one.
    pub fn add_raw(
        &mut self,
        name: &str,
        comp: &[u8],
        data: &[u8],
        method: Method,
        desc: Desc,
        lie: Option<u32>,
    ) -> &mut Self {
        let off = self.buf.len() as u32;
        let crc = crc32(data);
        let flags: u16 = if desc == Desc::None { 0x800 } else { 0x808 };
        let m: u16 = if method == Method::Stored { 0 } else { 8 };
        let (hc, hu, hcrc) = if desc == Desc::None {
            (lie.unwrap_or(comp.len() as u32), data.len() as u32, crc)
        } else {
            (lie.unwrap_or(0), 0, 0)
        };
        let b = &mut self.buf;
        b.extend_from_slice(b"PK\x03\x04");
        b.extend_from_slice(&20u16.to_le_bytes());
        b.extend_from_slice(&flags.to_le_bytes());
        b.extend_from_slice(&m.to_le_bytes());
        b.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
        b.extend_from_slice(&hcrc.to_le_bytes());
        b.extend_from_slice(&hc.to_le_bytes());
        b.extend_from_slice(&hu.to_le_bytes());
        b.extend_from_slice(&(name.len() as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(comp);
        match desc {
            Desc::None => {}
            Desc::WithSig | Desc::NoSig => {
                if desc == Desc::WithSig {
                    b.extend_from_slice(b"PK\x07\x08");
                }
                b.extend_from_slice(&crc.to_le_bytes());
                b.extend_from_slice(&(comp.len() as u32).to_le_bytes());
                b.extend_from_slice(&(data.len() as u32).to_le_bytes());
            }
        }
        let c = &mut self.central;
        c.extend_from_slice(b"PK\x01\x02");
        c.extend_from_slice(&20u16.to_le_bytes());
        c.extend_from_slice(&20u16.to_le_bytes());
        c.extend_from_slice(&flags.to_le_bytes());
        c.extend_from_slice(&m.to_le_bytes());
        c.extend_from_slice(&[0, 0, 0x21, 0]);
        c.extend_from_slice(&crc.to_le_bytes());
        c.extend_from_slice(&(comp.len() as u32).to_le_bytes());
        c.extend_from_slice(&(data.len() as u32).to_le_bytes());
        c.extend_from_slice(&(name.len() as u16).to_le_bytes());
        c.extend_from_slice(&[0; 12]); // extra, comment, disk, int attr
        c.extend_from_slice(&0u32.to_le_bytes()); // ext attr
        c.extend_from_slice(&off.to_le_bytes());
        c.extend_from_slice(name.as_bytes());
        self.count += 1;
        self
    }

    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = self.buf.clone();
        let cd_off = out.len() as u32;
        out.extend_from_slice(&self.central);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&self.count.to_le_bytes());
        out.extend_from_slice(&self.count.to_le_bytes());
        out.extend_from_slice(&(self.central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_off.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }
}

pub fn pom_properties(g: &str, a: &str, v: &str) -> Vec<u8> {
    format!("#Generated by Maven\n#Tue Nov 26 10:00:00 UTC 2024\nartifactId={a}\ngroupId={g}\nversion={v}\n").into_bytes()
}

/// One ELF segment for [`elf`].
pub struct Seg<'a> {
    pub p_type: u32,
    pub flags: u32,
    pub vaddr: u64,
    pub bytes: &'a [u8],
}

/// A little ELF64 (or ELF32, `is64 = false`; big-endian with `be`) executable: header,
/// program headers, then each segment's bytes in order (each at a 16-aligned offset with
/// vaddr ≡ offset mod 4096), then `tail` (non-loaded bytes), then a fake section header
/// table (e_shoff points at it).
pub fn elf(segs: &[Seg], tail: &[u8], is64: bool, be: bool) -> Vec<u8> {
    let (ehsize, phentsize) = if is64 { (64usize, 56usize) } else { (52, 32) };
    let phoff = ehsize;
    let mut data_off = phoff + phentsize * segs.len();
    let mut layout = Vec::new();
    for s in segs {
        data_off = (data_off + 15) & !15;
        layout.push(data_off);
        data_off += s.bytes.len();
    }
    let shoff = data_off + tail.len();
    let mut out = vec![0u8; shoff + 64];
    let put = |out: &mut Vec<u8>, at: usize, v: u64, n: usize| {
        for i in 0..n {
            let byte = if be {
                (v >> (8 * (n - 1 - i))) as u8
            } else {
                (v >> (8 * i)) as u8
            };
            out[at + i] = byte;
        }
    };
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = if is64 { 2 } else { 1 };
    out[5] = if be { 2 } else { 1 };
    out[6] = 1;
    put(&mut out, 16, 2, 2); // ET_EXEC
    put(&mut out, 18, 62, 2);
    if is64 {
        put(&mut out, 32, phoff as u64, 8);
        put(&mut out, 40, shoff as u64, 8);
        put(&mut out, 54, phentsize as u64, 2);
        put(&mut out, 56, segs.len() as u64, 2);
    } else {
        put(&mut out, 28, phoff as u64, 4);
        put(&mut out, 32, shoff as u64, 4);
        put(&mut out, 42, phentsize as u64, 2);
        put(&mut out, 44, segs.len() as u64, 2);
    }
    for (i, s) in segs.iter().enumerate() {
        let p = phoff + i * phentsize;
        let off = layout[i] as u64;
        let vaddr = s.vaddr + (off & 0xfff);
        let len = s.bytes.len() as u64;
        if is64 {
            put(&mut out, p, u64::from(s.p_type), 4);
            put(&mut out, p + 4, u64::from(s.flags), 4);
            put(&mut out, p + 8, off, 8);
            put(&mut out, p + 16, vaddr, 8);
            put(&mut out, p + 24, vaddr, 8);
            put(&mut out, p + 32, len, 8);
            put(&mut out, p + 40, len, 8);
            put(&mut out, p + 48, 0x1000, 8);
        } else {
            put(&mut out, p, u64::from(s.p_type), 4);
            put(&mut out, p + 4, off, 4);
            put(&mut out, p + 8, vaddr, 4);
            put(&mut out, p + 12, vaddr, 4);
            put(&mut out, p + 16, len, 4);
            put(&mut out, p + 20, len, 4);
            put(&mut out, p + 24, u64::from(s.flags), 4);
            put(&mut out, p + 28, 0x1000, 4);
        }
        out[layout[i]..layout[i] + s.bytes.len()].copy_from_slice(s.bytes);
    }
    out[data_off..data_off + tail.len()].copy_from_slice(tail);
    out
}

/// A Go ≥ 1.18 build info blob (`ptr` pointer size, big-endian flag `be`).
pub fn go_blob(version: &str, modinfo: &str, be: bool) -> Vec<u8> {
    let mut b = b"\xff Go buildinf:".to_vec();
    b.push(8);
    b.push(2 | u8::from(be));
    b.resize(32, 0);
    let start = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
    let end = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";
    let mut mi = start.to_vec();
    mi.extend_from_slice(modinfo.as_bytes());
    mi.extend_from_slice(end);
    for s in [version.as_bytes(), &mi[..]] {
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
    while b.len() % 16 != 0 {
        b.push(0);
    }
    b
}

/// Build a small Go program with a vendored dependency (no network), if `go` is here.
/// Returns the binary and `go version`'s version (`go1.19.8`).
pub fn build_go_program(dir: &std::path::Path) -> Option<(Vec<u8>, String)> {
    let go = std::process::Command::new("go")
        .arg("env")
        .arg("GOVERSION")
        .output()
        .ok()?;
    if !go.status.success() {
        return None;
    }
    let version = String::from_utf8_lossy(&go.stdout).trim().to_string();
    let app = dir.join("app");
    std::fs::create_dir_all(app.join("vendor/example.com/greet")).ok()?;
    std::fs::write(
        app.join("go.mod"),
        "module example.com/hello\n\ngo 1.18\n\nrequire example.com/greet v1.2.3\n",
    )
    .ok()?;
    std::fs::write(
        app.join("main.go"),
        "package main\n\nimport \"example.com/greet\"\n\nfunc main() { println(greet.Hello()) }\n",
    )
    .ok()?;
    std::fs::write(
        app.join("vendor/example.com/greet/greet.go"),
        "package greet\n\nfunc Hello() string { return \"hi\" }\n",
    )
    .ok()?;
    std::fs::write(
        app.join("vendor/modules.txt"),
        "# example.com/greet v1.2.3\n## explicit\nexample.com/greet\n",
    )
    .ok()?;
    let out = dir.join("hello");
    let st = std::process::Command::new("go")
        .args(["build", "-trimpath", "-o"])
        .arg(&out)
        .arg(".")
        .current_dir(&app)
        .env("GOFLAGS", "-mod=vendor")
        .env("GOPROXY", "off")
        .env("GOCACHE", dir.join("cache"))
        .env("CGO_ENABLED", "0")
        .env("GOTOOLCHAIN", "local")
        .status()
        .ok()?;
    if !st.success() {
        return None;
    }
    Some((std::fs::read(out).ok()?, version))
}

pub fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("layerlens-sniff-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
