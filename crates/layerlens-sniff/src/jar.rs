//! Java archives (`*.jar`, `*.war`, `*.ear`) in one streaming pass over the zip.
//!
//! Local file headers are parsed as they pass. Only `META-INF/maven/<g>/<a>/pom.properties`
//! members are inflated (into at most [`limits::POM_PROPERTIES`] bytes: a zip-bomb member
//! stops there). Other members are skipped without inflating: by their compressed size
//! when the local header has it; when general-purpose bit 3 is set (sizes in a data
//! descriptor after the data, as the JDK's `jar` tool writes deflated members), by finding
//! the descriptor: the signature `PK\x07\x08` followed by a CRC and a compressed size
//! equal to the distance from the data start (a random match would also need 32 bits of
//! size to agree). A pom.properties with bit 3 is inflated, and the deflate stream's own
//! end says where its data ends. Archives stored (uncompressed, sizes known) inside the
//! archive (`BOOT-INF/lib/*.jar`, `WEB-INF/lib/*.jar`, `lib/*.jar`) are read the same way,
//! nested up to [`limits::ZIP_NESTING`] levels. The central directory (at the end) is
//! never needed; reading stops when it starts.
//!
//! # Which pom.properties is the archive's own
//!
//! Among the pom.properties at the archive's top level (not in nested archives), scored
//! against the file name without extension (`stem`):
//! `stem == artifactId-version` (3) > `stem` starts with `artifactId-version` (a
//! classifier: `-jar-with-dependencies`) or `stem == artifactId` (2) > `stem` starts with
//! `artifactId-<digit>` (1). The best-scoring one wins (the first in archive order on a
//! tie). With no match, the only top-level pom.properties wins (a Spring Boot jar renamed
//! `app.jar` has exactly one: its dependencies' are in nested jars). Otherwise (a shaded
//! jar renamed `app.jar` carries its dependencies' pom.properties at top level too, and
//! nothing says which is its own) there is no package, and a note says why. Maven's
//! naming (`<artifactId>-<version>.jar`) and Debian's (`/usr/share/java/<a>-<v>.jar`)
//! make the name match the common case. The other pom.properties, and the own ones of
//! nested archives, are listed as `components` (relation `embedded`).
//!
//! Without any pom.properties there is no package: the file name is not evidence
//! (`app.jar`, `lib.jar`), and `MANIFEST.MF`'s `Implementation-*`/`Bundle-*` headers do
//! not give Maven coordinates.
//!
//! Over 600 lines on purpose: the zip reader is one state machine ([`ZipStream`]) whose
//! states share its buffer, its position and the stack of nested archives; split, each
//! part would need all three.

use flate2::{Decompress, FlushDecompress, Status};

use crate::{limits, Component, Flow, Found, Manager, PackageFound, Relation};

const LOCAL: &[u8; 4] = b"PK\x03\x04";
const CENTRAL: &[u8; 4] = b"PK\x01\x02";
const END: &[u8; 4] = b"PK\x05\x06";
const END64: &[u8; 4] = b"PK\x06\x06";
const END64_LOC: &[u8; 4] = b"PK\x06\x07";
const DESCRIPTOR: &[u8; 4] = b"PK\x07\x08";
const SPANNED: &[u8; 4] = b"PK\x30\x30";

#[derive(Clone, Debug)]
struct Pom {
    /// Path of the member (inside nested archives: `outer.jar!META-INF/…`).
    path: String,
    group: String,
    artifact: String,
    version: String,
}

enum St {
    /// Looking for the first local header (a launch script may come first).
    Preamble,
    /// Collecting 4 bytes of signature (in `hdr`). `after_desc`: a bit-3 member's data
    /// just ended: the descriptor comes first (signature optional).
    Sig { after_desc: bool },
    /// Collecting a local header of `need` bytes in `hdr`.
    Header { need: usize },
    /// Skipping `left` bytes, then `next`.
    Skip { left: u64, then_desc: bool },
    /// Scanning for the data descriptor of a bit-3 member whose data began at `start`;
    /// `carry[..n]`: the last bytes seen (a signature whose size is not visible yet).
    FindDesc { start: u64, carry: [u8; 11], n: u8 },
    /// Inflating (or copying, `z == None`) a pom.properties member.
    Pom {
        z: Option<Box<Decompress>>,
        left: Option<u64>,
        start: u64,
        out: Vec<u8>,
        path: String,
    },
    /// A stored archive inside this one: `left` bytes go to `child`.
    Nested { left: u64, child: Box<ZipStream> },
    /// The central directory began, or the bytes make no sense: nothing more to read.
    End,
}

struct ZipStream {
    depth: u32,
    /// This archive's path inside the outermost one (`""` at the top).
    path: String,
    stem: String,
    pos: u64,
    st: St,
    hdr: Vec<u8>,
    poms: Vec<Pom>,
    nested: Vec<Component>,
    notes: Vec<String>,
    spare: Option<Box<Decompress>>,
}

fn desc_finder() -> &'static memchr::memmem::Finder<'static> {
    static F: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    F.get_or_init(|| memchr::memmem::Finder::new(DESCRIPTOR))
}

fn u16le(b: &[u8], at: usize) -> u64 {
    u64::from(u16::from_le_bytes([b[at], b[at + 1]]))
}
fn u32le(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]))
}
fn u64le(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn pom_path(name: &str) -> Option<(&str, &str)> {
    let rest = name
        .strip_prefix("META-INF/maven/")?
        .strip_suffix("/pom.properties")?;
    let (g, a) = rest.split_once('/')?;
    (!g.is_empty() && !a.is_empty() && !a.contains('/')).then_some((g, a))
}

fn stem_of(file: &str) -> String {
    let f = file.rsplit('/').next().unwrap_or(file);
    match f.rfind('.') {
        Some(i) => f[..i].to_string(),
        None => f.to_string(),
    }
}

fn parse_properties(text: &str) -> (Option<String>, Option<String>, Option<String>) {
    let (mut g, mut a, mut v) = (None, None, None);
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with('!') {
            continue;
        }
        let Some(i) = l.find(['=', ':']) else {
            continue;
        };
        let (key, val) = (l[..i].trim(), l[i + 1..].trim());
        let slot = match key {
            "groupId" => &mut g,
            "artifactId" => &mut a,
            "version" => &mut v,
            _ => continue,
        };
        if slot.is_none() && !val.is_empty() {
            *slot = Some(val.to_string());
        }
    }
    (g, a, v)
}

impl ZipStream {
    fn new(depth: u32, path: String, file_name: &str) -> ZipStream {
        ZipStream {
            depth,
            stem: stem_of(file_name),
            path,
            pos: 0,
            st: St::Preamble,
            hdr: Vec::new(),
            poms: Vec::new(),
            nested: Vec::new(),
            notes: Vec::new(),
            spare: None,
        }
    }

    fn ended(&self) -> bool {
        matches!(self.st, St::End)
    }

    fn inner_path(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}!{}", self.path, name)
        }
    }

    fn note(&mut self, n: String) {
        if self.notes.len() < 8 {
            self.notes.push(n);
        }
    }

    fn feed(&mut self, mut data: &[u8]) {
        let mut stalls = 0;
        while !data.is_empty() {
            let n = self.step(data);
            self.pos += n as u64;
            data = &data[n..];
            if self.ended() {
                return;
            }
            // Every step consumes bytes or changes state; two empty steps in a row would
            // be a bug: stop rather than spin.
            stalls = if n == 0 { stalls + 1 } else { 0 };
            if stalls > 2 {
                self.note("zip reader stalled; stopped reading".into());
                self.st = St::End;
                return;
            }
        }
    }

    /// Consume some of `data` (at least one byte unless ended); returns how many.
    fn step(&mut self, data: &[u8]) -> usize {
        match &mut self.st {
            St::End => data.len(),
            St::Preamble => {
                // Collect the first 4 bytes, then search for a local header.
                if self.pos < 4 {
                    let take = (4 - self.hdr.len()).min(data.len());
                    self.hdr.extend_from_slice(&data[..take]);
                    if self.hdr.len() < 4 {
                        return take;
                    }
                    if self.hdr == LOCAL || self.hdr == SPANNED {
                        let is_local = self.hdr == LOCAL;
                        self.hdr.clear();
                        if is_local {
                            self.hdr.extend_from_slice(LOCAL);
                            self.st = St::Header { need: 30 };
                        } else {
                            self.st = St::Sig { after_desc: false };
                        }
                        return take;
                    }
                    if self.hdr == END {
                        self.st = St::End; // an empty archive
                        return take;
                    }
                    // Keep the last 3 bytes for a header split across chunks.
                    self.hdr.drain(..1);
                    return take;
                }
                if self.pos >= limits::ZIP_PREAMBLE {
                    self.note("no zip local header in the first MiB".into());
                    self.st = St::End;
                    return data.len();
                }
                let data = &data[..data.len().min((limits::ZIP_PREAMBLE - self.pos) as usize)];
                let mut seam = std::mem::take(&mut self.hdr);
                let k = seam.len();
                seam.extend_from_slice(&data[..data.len().min(3)]);
                if let Some(i) = memchr::memmem::find(&seam, LOCAL) {
                    // Starts in the carried bytes: the rest of the signature is in `data`.
                    self.hdr.extend_from_slice(LOCAL);
                    self.st = St::Header { need: 30 };
                    return 4 - (k - i);
                }
                if let Some(i) = memchr::memmem::find(data, LOCAL) {
                    self.hdr.extend_from_slice(LOCAL);
                    self.st = St::Header { need: 30 };
                    return i + 4;
                }
                let keep = data.len().min(3);
                let mut carry = seam[..k].to_vec();
                carry.extend_from_slice(&data[data.len() - keep..]);
                let cut = carry.len().saturating_sub(3);
                self.hdr = carry[cut..].to_vec();
                data.len()
            }
            St::Sig { after_desc } => {
                let after_desc = *after_desc;
                let take = (4 - self.hdr.len()).min(data.len());
                self.hdr.extend_from_slice(&data[..take]);
                if self.hdr.len() < 4 {
                    return take;
                }
                let sig: [u8; 4] = self.hdr[..4].try_into().expect("4");
                self.hdr.clear();
                if after_desc {
                    // Descriptor: [sig] crc csize usize (32-bit sizes; zip64 ones are
                    // only written for members over 4 GiB).
                    let rest = if &sig == DESCRIPTOR { 12 } else { 8 };
                    self.st = St::Skip {
                        left: rest,
                        then_desc: false,
                    };
                    return take;
                }
                match &sig {
                    LOCAL => {
                        self.hdr.extend_from_slice(LOCAL);
                        self.st = St::Header { need: 30 };
                    }
                    CENTRAL | END | END64 | END64_LOC => self.st = St::End,
                    _ => {
                        let at = self.pos + take as u64 - 4;
                        self.note(format!("unexpected bytes at offset {at}; stopped reading"));
                        self.st = St::End;
                    }
                }
                take
            }
            St::Header { need } => {
                let need = *need;
                let take = (need - self.hdr.len()).min(data.len());
                self.hdr.extend_from_slice(&data[..take]);
                if self.hdr.len() < need {
                    return take;
                }
                if need == 30 {
                    let full = 30 + u16le(&self.hdr, 26) as usize + u16le(&self.hdr, 28) as usize;
                    if full > 30 {
                        self.st = St::Header { need: full };
                        return take;
                    }
                }
                let data_start = self.pos + take as u64;
                self.begin_member(data_start);
                take
            }
            St::Skip { left, then_desc } => {
                let n = (*left).min(data.len() as u64) as usize;
                *left -= n as u64;
                if *left == 0 {
                    let d = *then_desc;
                    self.st = St::Sig { after_desc: d };
                }
                n
            }
            St::FindDesc { start, carry, n } => {
                let start = *start;
                // The descriptor signature + crc + csize (12 bytes) must be visible to
                // check it: signatures near the end wait in `carry`.
                let k = *n as usize;
                let valid = |buf: &[u8], i: usize, abs: u64| -> bool {
                    i + 12 <= buf.len()
                        && u32le(buf, i + 8) == (abs.wrapping_sub(start)) & 0xffff_ffff
                };
                if k > 0 {
                    let mut seam = [0u8; 23];
                    seam[..k].copy_from_slice(&carry[..k]);
                    let m = data.len().min(12);
                    seam[k..k + m].copy_from_slice(&data[..m]);
                    let seam = &seam[..k + m];
                    let base = self.pos - k as u64;
                    for i in desc_finder().find_iter(seam) {
                        if i >= k {
                            break;
                        }
                        if valid(seam, i, base + i as u64) {
                            // Skip the rest of the descriptor (16 bytes from its start).
                            return self.after_found_desc(data, (i + 16).saturating_sub(k));
                        }
                    }
                }
                for i in desc_finder().find_iter(data) {
                    if i + 12 > data.len() {
                        break;
                    }
                    if valid(data, i, self.pos + i as u64) {
                        return self.after_found_desc(data, i + 16);
                    }
                }
                // Carry the last 11 bytes of (carry + data).
                let mut all = [0u8; 22];
                all[..k].copy_from_slice(&carry[..k]);
                let m = data.len().min(11);
                all[k..k + m].copy_from_slice(&data[data.len() - m..]);
                let t = k + m;
                let keep = t.min(11);
                carry[..keep].copy_from_slice(&all[t - keep..t]);
                *n = keep as u8;
                data.len()
            }
            St::Pom { .. } => self.step_pom(data),
            St::Nested { left, child } => {
                let n = (*left).min(data.len() as u64) as usize;
                if !child.ended() {
                    child.feed(&data[..n]);
                }
                *left -= n as u64;
                if *left == 0 {
                    let St::Nested { child, .. } =
                        std::mem::replace(&mut self.st, St::Sig { after_desc: false })
                    else {
                        unreachable!()
                    };
                    self.absorb(*child);
                }
                n
            }
        }
    }

    fn after_found_desc(&mut self, data: &[u8], consumed: usize) -> usize {
        if consumed <= data.len() {
            self.st = St::Sig { after_desc: false };
            consumed
        } else {
            self.st = St::Skip {
                left: (consumed - data.len()) as u64,
                then_desc: false,
            };
            data.len()
        }
    }

    /// The local header in `hdr` is complete: decide what to do with the member's data.
    fn begin_member(&mut self, data_start: u64) {
        let h = &self.hdr;
        let flags = u16le(h, 6);
        let method = u16le(h, 8);
        let mut csize = u32le(h, 18);
        let usize_ = u32le(h, 22);
        let nlen = u16le(h, 26) as usize;
        let name = &h[30..30 + nlen];
        if csize == 0xffff_ffff || usize_ == 0xffff_ffff {
            // zip64 extra field: usize then csize (each present when its field is ~0).
            let mut e = &h[30 + nlen..];
            while e.len() >= 4 {
                let (id, len) = (u16le(e, 0), u16le(e, 2) as usize);
                let body = &e[4..(4 + len).min(e.len())];
                if id == 1 {
                    let at = if usize_ == 0xffff_ffff { 8 } else { 0 };
                    if csize == 0xffff_ffff && body.len() >= at + 8 {
                        csize = u64le(body, at);
                    }
                }
                e = &e[(4 + len).min(e.len())..];
            }
        }
        let bit3 = flags & 8 != 0;
        let encrypted = flags & 1 != 0;
        let sizes_known = !bit3 || csize != 0;
        let is_pom = name.starts_with(b"META-INF/maven/") && name.ends_with(b"/pom.properties");
        let is_archive = name.len() > 4 && {
            let ext = &name[name.len() - 4..];
            ext.eq_ignore_ascii_case(b".jar")
                || ext.eq_ignore_ascii_case(b".war")
                || ext.eq_ignore_ascii_case(b".ear")
        };
        let name = (is_pom || is_archive).then(|| String::from_utf8_lossy(name).into_owned());
        self.hdr.clear();
        if let Some(name) = name {
            if !encrypted
                && is_pom
                && pom_path(&name).is_some()
                && (method == 8 || (method == 0 && sizes_known))
            {
                let z = (method == 8).then(|| match self.spare.take() {
                    Some(mut z) => {
                        z.reset(false);
                        z
                    }
                    None => Box::new(Decompress::new(false)),
                });
                self.st = St::Pom {
                    z,
                    left: sizes_known.then_some(csize),
                    start: data_start,
                    out: Vec::new(),
                    path: name,
                };
                return;
            }
            if !encrypted
                && is_archive
                && method == 0
                && sizes_known
                && csize > 0
                && self.depth < limits::ZIP_NESTING
            {
                let path = self.inner_path(&name);
                self.st = St::Nested {
                    left: csize,
                    child: Box::new(ZipStream::new(self.depth + 1, path, &name)),
                };
                return;
            }
        }
        self.st = if !sizes_known {
            St::FindDesc {
                start: data_start,
                carry: [0; 11],
                n: 0,
            }
        } else if csize == 0 {
            St::Sig { after_desc: bit3 }
        } else {
            St::Skip {
                left: csize,
                then_desc: bit3,
            }
        };
    }

    fn step_pom(&mut self, data: &[u8]) -> usize {
        let St::Pom {
            z,
            left,
            start,
            out,
            path,
        } = &mut self.st
        else {
            unreachable!()
        };
        let avail = match left {
            Some(l) => (*l).min(data.len() as u64) as usize,
            None => data.len(),
        };
        let input = &data[..avail];
        let (used, ended, bomb, broken) = match z {
            None => {
                let room = limits::POM_PROPERTIES.saturating_sub(out.len());
                out.extend_from_slice(&input[..input.len().min(room)]);
                (avail, false, input.len() > room, false)
            }
            Some(z) => {
                let mut buf = [0u8; 4096];
                let mut used = 0usize;
                let mut ended = false;
                let mut bomb = false;
                let mut broken = false;
                loop {
                    let (bi, bo) = (z.total_in(), z.total_out());
                    let st = z.decompress(&input[used..], &mut buf, FlushDecompress::None);
                    let u = (z.total_in() - bi) as usize;
                    let m = (z.total_out() - bo) as usize;
                    used += u;
                    if out.len() + m > limits::POM_PROPERTIES {
                        bomb = true;
                        break;
                    }
                    out.extend_from_slice(&buf[..m]);
                    match st {
                        Ok(Status::StreamEnd) => {
                            ended = true;
                            break;
                        }
                        Err(_) => {
                            broken = true;
                            break;
                        }
                        Ok(_) => {}
                    }
                    if u == 0 && m == 0 {
                        break;
                    }
                }
                (used, ended, bomb, broken)
            }
        };
        if let Some(l) = left {
            *l -= used as u64;
        }
        let sized_done = left.is_some_and(|l| l == 0);
        let path = path.clone();
        let start = *start;
        let known = *left;
        if bomb || broken {
            let what = if bomb {
                "over the size limit"
            } else {
                "not valid deflate data"
            };
            let p = self.inner_path(&path);
            self.note(format!("{p}: {what}; not read"));
            self.recycle();
            self.st = match known {
                Some(0) => St::Sig { after_desc: false },
                Some(l) => St::Skip {
                    left: l,
                    then_desc: false,
                },
                None => St::FindDesc {
                    start,
                    carry: [0; 11],
                    n: 0,
                },
            };
            return used;
        }
        if ended || sized_done {
            let St::Pom {
                out, path, left, z, ..
            } = std::mem::replace(&mut self.st, St::End)
            else {
                unreachable!()
            };
            if let Some(z) = z {
                self.spare = Some(z);
            }
            self.record_pom(&path, &out);
            self.st = match left {
                // Known size: skip whatever the deflate stream did not use.
                Some(0) => St::Sig { after_desc: false },
                Some(l) => St::Skip {
                    left: l,
                    then_desc: false,
                },
                // Bit 3: the descriptor follows the deflate stream.
                None => St::Sig { after_desc: true },
            };
            return used;
        }
        used
    }

    fn recycle(&mut self) {
        if let St::Pom { z: Some(_), .. } = &self.st {
            if let St::Pom { z: Some(z), .. } = std::mem::replace(&mut self.st, St::End) {
                self.spare = Some(z);
            }
        }
    }

    fn record_pom(&mut self, member: &str, bytes: &[u8]) {
        let Some((pg, pa)) = pom_path(member) else {
            return;
        };
        let (g, a, v) = parse_properties(&String::from_utf8_lossy(bytes));
        self.poms.push(Pom {
            path: self.inner_path(member),
            group: g.unwrap_or_else(|| pg.to_string()),
            artifact: a.unwrap_or_else(|| pa.to_string()),
            version: v.unwrap_or_default(),
        });
    }

    /// A nested archive ended: its own artifact (or all its poms) become components.
    fn absorb(&mut self, child: ZipStream) {
        let (own, others, notes) = child.result();
        for n in notes {
            self.note(n);
        }
        let path = |p: &Pom| {
            p.path
                .split_once("!META-INF/")
                .map_or(p.path.clone(), |x| x.0.to_string())
        };
        if let Some(o) = own {
            self.nested.push(Component {
                name: format!("{}:{}", o.group, o.artifact),
                version: o.version.clone(),
                relation: Relation::Embedded { path: path(&o) },
            });
            for c in others {
                self.nested.push(c);
            }
        } else {
            for c in others {
                self.nested.push(c);
            }
        }
    }

    /// (own pom, components: other poms + nested archives' own, notes).
    fn result(mut self) -> (Option<Pom>, Vec<Component>, Vec<String>) {
        if let St::Nested { child, .. } = std::mem::replace(&mut self.st, St::End) {
            self.absorb(*child);
        }
        let own = choose(&self.stem, &self.poms);
        let mut comps = Vec::new();
        for (i, p) in self.poms.iter().enumerate() {
            if Some(i) != own {
                comps.push(Component {
                    name: format!("{}:{}", p.group, p.artifact),
                    version: p.version.clone(),
                    relation: Relation::Embedded {
                        path: p.path.clone(),
                    },
                });
            }
        }
        comps.extend(self.nested);
        let mut notes = self.notes;
        if own.is_none() && self.poms.len() > 1 && self.depth == 0 {
            notes.push(format!(
                "{} pom.properties at the top level and none matches the file name: no package",
                self.poms.len()
            ));
        }
        (own.map(|i| self.poms[i].clone()), comps, notes)
    }
}

/// The archive's own pom.properties (see the module documentation).
fn choose(stem: &str, poms: &[Pom]) -> Option<usize> {
    let top: Vec<usize> = (0..poms.len()).collect();
    let score = |p: &Pom| -> u8 {
        let av = format!("{}-{}", p.artifact, p.version);
        if !p.version.is_empty() && stem == av {
            3
        } else if (!p.version.is_empty() && stem.starts_with(&av)) || stem == p.artifact {
            2
        } else if stem
            .strip_prefix(p.artifact.as_str())
            .and_then(|r| r.strip_prefix('-'))
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        {
            1
        } else {
            0
        }
    };
    let mut best: Option<(u8, usize)> = None;
    for &i in &top {
        let s = score(&poms[i]);
        if s > 0 && best.is_none_or(|(b, _)| s > b) {
            best = Some((s, i));
        }
    }
    match best {
        Some((_, i)) => Some(i),
        None if top.len() == 1 => Some(top[0]),
        None => None,
    }
}

pub(crate) struct JarSniff {
    z: ZipStream,
}

impl JarSniff {
    pub(crate) fn new(file_name: &str) -> JarSniff {
        JarSniff {
            z: ZipStream::new(0, String::new(), file_name),
        }
    }

    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Flow {
        self.z.feed(chunk);
        if self.z.ended() {
            Flow::Done
        } else {
            Flow::Continue
        }
    }

    pub(crate) fn finish(self) -> Vec<Found> {
        let (own, comps, notes) = self.z.result();
        let mut out = Vec::new();
        if let Some(p) = own {
            out.push(Found::Package(PackageFound {
                manager: Manager::Maven,
                name: format!("{}:{}", p.group, p.artifact),
                version: p.version,
                root: None,
                toolchain: None,
                platform: None,
                source: "pom.properties",
                components: comps,
            }));
        }
        out.extend(notes.into_iter().map(Found::Note));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pom(a: &str, v: &str) -> Pom {
        Pom {
            path: String::new(),
            group: "g".into(),
            artifact: a.into(),
            version: v.into(),
        }
    }

    #[test]
    fn choosing_the_own_pom() {
        let poms = [
            pom("guava", "32.1"),
            pom("commons-lang3", "3.12.0"),
            pom("app", "1.0"),
        ];
        assert_eq!(choose("commons-lang3-3.12.0", &poms), Some(1));
        assert_eq!(choose("app", &poms), Some(2));
        assert_eq!(choose("app-1.0-jar-with-dependencies", &poms), Some(2));
        assert_eq!(choose("guava-33.0", &poms), Some(0));
        assert_eq!(choose("service", &poms), None);
        assert_eq!(choose("service", &poms[..1]), Some(0));
        assert_eq!(choose("x", &[]), None);
    }
}
