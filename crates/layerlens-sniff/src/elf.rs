//! ELF executables, in one pass: Go build info and cargo-auditable dependency data.
//!
//! The ELF header and the program headers come first (they must lie in the first
//! [`limits::ELF_HEADERS`] bytes); they say where each loadable segment lies in the file.
//! The section header table, which names sections, is usually at the very end of the
//! file, after every byte of interest has passed: nothing here depends on it.
//!
//! * **Go**: the build info blob lies in a writable `PT_LOAD` segment (at its start with
//!   Go's internal linker; inside it, after `.data`, with an external linker, e.g.
//!   370 KiB in for Debian's cgo-built `hugo`). The writable segments (a few % of a Go
//!   binary) are searched for the 16-byte-aligned magic as they stream past; from there
//!   the blob (≤ [`limits::GO_BUILDINFO`]) is captured and parsed ([`crate::gobuild`]).
//! * **cargo-auditable**: see `cargo.rs` (the non-loaded tail after the last segment).
//!
//! A file that does not start with `\x7fELF` costs one look at its first 4 bytes.

use std::sync::OnceLock;

use memchr::memmem::Finder;

use crate::cargo::Region;
use crate::gobuild::{self, Parse};
use crate::{limits, Flow, Found};

const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const PF_X: u32 = 1;
const PF_W: u32 = 2;

#[derive(Clone, Copy, Debug)]
struct Seg {
    off: u64,
    end: u64,
    vaddr: u64,
}

fn go_finder() -> &'static Finder<'static> {
    static F: OnceLock<Finder<'static>> = OnceLock::new();
    F.get_or_init(|| Finder::new(gobuild::MAGIC))
}

enum Headers {
    NeedMore,
    NotElf,
    Plan(Plan),
}

struct Plan {
    rw: Vec<Seg>,
    /// Where cargo-auditable data may be: the non-loaded bytes after the last segment up
    /// to the section header table (and, when asked, the read-only segments).
    cargo: Vec<Region>,
    go_note: bool,
}

fn rd(b: &[u8], at: usize, n: usize, le: bool) -> u64 {
    let s = &b[at..at + n];
    let mut x = 0u64;
    if le {
        for &c in s.iter().rev() {
            x = x << 8 | u64::from(c);
        }
    } else {
        for &c in s {
            x = x << 8 | u64::from(c);
        }
    }
    x
}

fn parse_headers(b: &[u8], size: u64, loaded: bool) -> Headers {
    if b.len() < 4 {
        return Headers::NeedMore;
    }
    if &b[..4] != b"\x7fELF" {
        return Headers::NotElf;
    }
    if b.len() < 64 {
        return Headers::NeedMore;
    }
    let is64 = match b[4] {
        1 => false,
        2 => true,
        _ => return Headers::NotElf,
    };
    let le = match b[5] {
        1 => true,
        2 => false,
        _ => return Headers::NotElf,
    };
    let e_type = rd(b, 16, 2, le);
    if e_type != 2 && e_type != 3 {
        return Headers::NotElf; // relocatable objects, core files
    }
    let (phoff, shoff, phentsize, phnum) = if is64 {
        (
            rd(b, 32, 8, le),
            rd(b, 40, 8, le),
            rd(b, 54, 2, le),
            rd(b, 56, 2, le),
        )
    } else {
        (
            rd(b, 28, 4, le),
            rd(b, 32, 4, le),
            rd(b, 42, 2, le),
            rd(b, 44, 2, le),
        )
    };
    let min_ent = if is64 { 56 } else { 32 };
    if phnum == 0 || phnum == 0xffff || phentsize < min_ent {
        return Headers::NotElf;
    }
    let need = phoff.saturating_add(phnum * phentsize);
    if need > limits::ELF_HEADERS as u64 || need > size {
        return Headers::NotElf;
    }
    if (b.len() as u64) < need {
        return Headers::NeedMore;
    }
    let mut rw = Vec::new();
    let mut ro = Vec::new();
    let mut notes = Vec::new();
    let mut load_end = 0u64;
    for i in 0..phnum {
        let p = (phoff + i * phentsize) as usize;
        let (ptype, flags, off, vaddr, filesz) = if is64 {
            (
                rd(b, p, 4, le) as u32,
                rd(b, p + 4, 4, le) as u32,
                rd(b, p + 8, 8, le),
                rd(b, p + 16, 8, le),
                rd(b, p + 32, 8, le),
            )
        } else {
            (
                rd(b, p, 4, le) as u32,
                rd(b, p + 24, 4, le) as u32,
                rd(b, p + 4, 4, le),
                rd(b, p + 8, 4, le),
                rd(b, p + 16, 4, le),
            )
        };
        let end = off.saturating_add(filesz).min(size);
        if off >= end {
            continue;
        }
        let seg = Seg { off, end, vaddr };
        if ptype == PT_LOAD {
            load_end = load_end.max(end);
        }
        match ptype {
            PT_LOAD if flags & PF_W != 0 && flags & PF_X == 0 => rw.push(seg),
            PT_LOAD if flags & (PF_W | PF_X) == 0 => ro.push(Region {
                off,
                end,
                tail: false,
            }),
            PT_NOTE => notes.push(seg),
            _ => {}
        }
    }
    rw.sort_by_key(|s| s.off);
    ro.sort_by_key(|s| s.off);
    // The Go build ID note (name "Go", type 4) is in the first page: when its bytes are
    // at hand, it says "Go binary" before anything else.
    let mut go_note = false;
    let want = notes
        .iter()
        .map(|n| n.end)
        .filter(|&e| e <= limits::ELF_HEADERS as u64)
        .max()
        .unwrap_or(0);
    if want > b.len() as u64 {
        return Headers::NeedMore;
    }
    for n in notes {
        if n.end as usize <= b.len() {
            go_note |= has_go_note(&b[n.off as usize..n.end as usize], le);
        }
    }
    if !loaded {
        ro.clear();
    }
    let tail_end = if shoff > load_end {
        shoff.min(size)
    } else {
        size
    };
    if load_end > 0 && tail_end > load_end {
        ro.push(Region {
            off: load_end,
            end: tail_end,
            tail: true,
        });
    }
    Headers::Plan(Plan {
        rw,
        cargo: ro,
        go_note,
    })
}

fn has_go_note(mut b: &[u8], le: bool) -> bool {
    while b.len() >= 12 {
        let namesz = rd(b, 0, 4, le) as usize;
        let descsz = rd(b, 4, 4, le) as usize;
        let ntype = rd(b, 8, 4, le);
        let name_end = 12 + namesz;
        if name_end > b.len() {
            return false;
        }
        if ntype == 4 && &b[12..name_end] == b"Go\0\0" {
            return true;
        }
        let next = 12usize
            .saturating_add((namesz + 3) & !3)
            .saturating_add((descsz + 3) & !3);
        if next > b.len() {
            return false;
        }
        b = &b[next..];
    }
    false
}

/// Search for the Go build info magic in the writable segments, then capture the blob.
struct GoScan {
    segs: Vec<Seg>,
    /// The last bytes of the previous in-segment data (a magic split across chunks),
    /// starting at `carry_off`.
    carry: Vec<u8>,
    carry_off: u64,
    capture: Option<Vec<u8>>,
    need: usize,
    result: Option<Vec<Found>>,
}

impl GoScan {
    fn done(&self, pos: u64) -> bool {
        self.result.is_some()
            || (self.capture.is_none() && self.segs.last().is_none_or(|s| pos >= s.end))
    }

    fn capture_more(&mut self, data: &[u8]) {
        let Some(cap) = &mut self.capture else { return };
        let want = self.need.saturating_sub(cap.len());
        let take = want.min(data.len());
        cap.extend_from_slice(&data[..take]);
        if cap.len() < self.need {
            return;
        }
        match gobuild::parse(cap, limits::GO_BUILDINFO) {
            Parse::NeedMore(n) => {
                if n > limits::GO_BUILDINFO {
                    self.result = Some(vec![Found::Note(
                        "Go build info over the size limit; not read".into(),
                    )]);
                    self.capture = None;
                } else {
                    self.need = n;
                    let rest = &data[take..];
                    if !rest.is_empty() {
                        self.capture_more(rest);
                    }
                }
            }
            Parse::Done(f) => {
                self.result = Some(f);
                self.capture = None;
            }
        }
    }

    fn start_capture(&mut self, first: &[u8], data: &[u8]) {
        self.capture = Some(first.to_vec());
        self.need = gobuild::HEADER;
        let c = self.capture.as_mut().expect("set");
        if c.len() >= self.need {
            let v = std::mem::take(c);
            self.capture = Some(Vec::new());
            self.capture_more(&v);
        }
        if self.result.is_none() {
            self.capture_more(data);
        }
    }

    fn feed(&mut self, data: &[u8], off: u64) {
        if self.result.is_some() {
            return;
        }
        if self.capture.is_some() {
            self.capture_more(data);
            return;
        }
        let end = off + data.len() as u64;
        let m = gobuild::MAGIC.len();
        for si in 0..self.segs.len() {
            let seg = self.segs[si];
            let (lo, hi) = (seg.off.max(off), seg.end.min(end));
            if lo >= hi {
                continue;
            }
            let sub_at = (lo - off) as usize;
            let sub = &data[sub_at..(hi - off) as usize];
            let aligned = |abs: u64| (seg.vaddr.wrapping_add(abs - seg.off)) % 16 == 0;
            // A magic split across the previous chunk and this one.
            if !self.carry.is_empty()
                && self.carry_off + self.carry.len() as u64 == lo
                && self.carry_off >= seg.off
            {
                let mut seam = self.carry.clone();
                seam.extend_from_slice(&sub[..sub.len().min(m - 1)]);
                let clen = self.carry.len();
                if let Some(i) = go_finder()
                    .find_iter(&seam)
                    .take_while(|&i| i < clen)
                    .find(|&i| aligned(self.carry_off + i as u64))
                {
                    let first = self.carry[i..].to_vec();
                    self.carry.clear();
                    self.start_capture(&first, &data[sub_at..]);
                    return;
                }
            }
            if let Some(i) = go_finder().find_iter(sub).find(|&i| aligned(lo + i as u64)) {
                self.carry.clear();
                self.start_capture(&[], &data[sub_at + i..]);
                return;
            }
            // Keep the last m-1 bytes of this segment's data seen so far.
            let keep = m - 1;
            if sub.len() >= keep {
                self.carry.clear();
                self.carry.extend_from_slice(&sub[sub.len() - keep..]);
                self.carry_off = hi - keep as u64;
            } else {
                if self.carry_off + self.carry.len() as u64 != lo {
                    self.carry.clear();
                    self.carry_off = lo;
                }
                self.carry.extend_from_slice(sub);
                if self.carry.len() > keep {
                    let cut = self.carry.len() - keep;
                    self.carry.drain(..cut);
                    self.carry_off += cut as u64;
                }
            }
        }
    }
}

pub(crate) struct ElfSniff {
    size: u64,
    cargo_enabled: bool,
    cargo_loaded: bool,
    pos: u64,
    head: Option<Vec<u8>>,
    go: Option<GoScan>,
    cargo: Option<crate::cargo::CargoScan>,
    go_note: bool,
    not_elf: bool,
}

impl ElfSniff {
    pub(crate) fn new(size: u64, cargo: bool, cargo_loaded: bool) -> ElfSniff {
        ElfSniff {
            size,
            cargo_enabled: cargo,
            cargo_loaded,
            pos: 0,
            head: Some(Vec::new()),
            go: None,
            cargo: None,
            go_note: false,
            not_elf: false,
        }
    }

    fn all_done(&self) -> bool {
        let go_found = self.go.as_ref().is_some_and(|g| {
            g.result
                .as_ref()
                .is_some_and(|r| r.iter().any(|f| matches!(f, Found::Package(_))))
        });
        go_found
            || (self.go.as_ref().is_none_or(|g| g.done(self.pos))
                && self.cargo.as_ref().is_none_or(|c| c.done(self.pos)))
    }

    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Flow {
        if let Some(head) = &mut self.head {
            let room = limits::ELF_HEADERS.saturating_sub(head.len());
            head.extend_from_slice(&chunk[..chunk.len().min(room)]);
            match parse_headers(head, self.size, self.cargo_loaded) {
                Headers::NotElf => {
                    self.not_elf = true;
                    self.head = None;
                    return Flow::Done;
                }
                Headers::NeedMore if head.len() < limits::ELF_HEADERS && chunk.len() <= room => {
                    self.pos += chunk.len() as u64;
                    return Flow::Continue;
                }
                Headers::NeedMore => {
                    self.not_elf = true;
                    self.head = None;
                    return Flow::Done;
                }
                Headers::Plan(plan) => {
                    let head = self.head.take().expect("head");
                    self.go_note = plan.go_note;
                    self.go = Some(GoScan {
                        segs: plan.rw,
                        carry: Vec::new(),
                        carry_off: 0,
                        capture: None,
                        need: 0,
                        result: None,
                    });
                    if self.cargo_enabled && !plan.go_note {
                        self.cargo = crate::cargo::CargoScan::new(plan.cargo);
                    }
                    // Everything fed so far is in `head` (the chunk may go beyond it).
                    let fed_before = self.pos;
                    self.pos = 0;
                    let head_len = head.len() as u64;
                    self.process(&head);
                    let rest = &chunk[(head_len - fed_before) as usize..];
                    if !rest.is_empty() {
                        self.process(rest);
                    }
                    return if self.all_done() {
                        Flow::Done
                    } else {
                        Flow::Continue
                    };
                }
            }
        }
        self.process(chunk);
        if self.all_done() {
            Flow::Done
        } else {
            Flow::Continue
        }
    }

    fn process(&mut self, data: &[u8]) {
        let off = self.pos;
        if let Some(g) = &mut self.go {
            if !g.done(off) {
                g.feed(data, off);
            }
        }
        if let Some(c) = &mut self.cargo {
            if !c.done(off) {
                c.feed(data, off);
            }
        }
        self.pos += data.len() as u64;
    }

    pub(crate) fn finish(self, complete: bool) -> Vec<Found> {
        let mut out = Vec::new();
        let mut go_package = false;
        if let Some(g) = self.go {
            match g.result {
                Some(f) => {
                    go_package = f.iter().any(|x| matches!(x, Found::Package(_)));
                    out.extend(f);
                }
                None if g.capture.is_some() => out.push(Found::Note(if complete {
                    "Go build info malformed".into()
                } else {
                    "Go build info truncated (file ended early)".into()
                })),
                None => {}
            }
        }
        // A Go package ends the file's reading as soon as it is found: whatever the cargo
        // search saw by then depends on chunking, so it is not reported.
        if let Some(c) = self.cargo.filter(|_| !go_package) {
            out.extend(c.finish());
        }
        out
    }
}
