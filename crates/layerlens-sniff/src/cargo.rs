//! cargo-auditable dependency data (`.dep-v0`: zlib-compressed JSON), found in one pass.
//!
//! Section names live in the section header table at the end of the file, after the
//! section's bytes have passed, so the section cannot be located by name in one pass.
//! Where its bytes are is known, though. cargo-auditable (0.7.7 checked) emits `.dep-v0`
//! without `SHF_ALLOC`, so every linker puts it among the non-loaded sections that follow
//! the last `PT_LOAD` segment: after `.comment` (and `.debug_*` when there is debug
//! info), before `.symtab`/`.strtab` (checked with lld and GNU ld, stripped or not).
//! That region, the **tail** (from the end of the last `PT_LOAD` to `e_shoff`), is read:
//!
//! 1. **gate**: its first 1 KiB must contain `rustc version` (the `.comment` entry rustc
//!    writes): other binaries stop here, having cost nothing;
//! 2. it is searched for a zlib header `78 5e`, `78 9c` or `78 da` (compression levels
//!    2–9; cargo-auditable uses 7: `78 9c`; `78 01`, levels 0–1, is left out: it is common
//!    in symbol tables and no cargo-auditable release build uses it) followed by a deflate
//!    block header of type fixed or dynamic (with valid HLIT/HDIST), and each candidate is
//!    trial-inflated: it is the audit data when its first inflated bytes are
//!    `{"packages":[`. Then the stream is inflated to its end (≤ [`limits::CARGO_JSON`])
//!    and parsed;
//! 3. the search stops at the start of the symbol table (24 zero bytes — its null entry —
//!    at an 8-aligned offset), so a Rust binary without audit data costs the few bytes of
//!    `.comment` (debug sections, when present, are searched up to their first such run).
//!
//! A trial reads at most 512 compressed bytes and at most 4 run at once: memory stays
//! bounded (one or two zlib states, the JSON), a false candidate costs a few hundred
//! nanoseconds.
//!
//! [`crate::Config::cargo_auditable_loaded`] also searches the read-only `PT_LOAD`
//! segments, where a `.dep-v0` emitted with `SHF_ALLOC` would be (no gate there: costly,
//! off by default).

use std::sync::OnceLock;

use flate2::{Decompress, FlushDecompress, Status};
use memchr::memmem::Finder;
use serde::Deserialize;

use crate::{limits, Component, Found, Manager, PackageFound, Relation};

const PREFIX: &[u8] = b"{\"packages\":[";
const TRIAL_INPUT: u64 = 512;
const MAX_TRIALS: usize = 4;
const GATE: usize = 1024;
const HEADERS: [&[u8; 2]; 3] = [b"\x78\x5e", b"\x78\x9c", b"\x78\xda"];

fn finders() -> &'static [Finder<'static>; 3] {
    static F: OnceLock<[Finder<'static>; 3]> = OnceLock::new();
    F.get_or_init(|| {
        [
            Finder::new(HEADERS[0]),
            Finder::new(HEADERS[1]),
            Finder::new(HEADERS[2]),
        ]
    })
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Region {
    pub(crate) off: u64,
    pub(crate) end: u64,
    /// The non-loaded tail: gated, and searched only up to the symbol table.
    pub(crate) tail: bool,
}

struct Trial {
    z: Box<Decompress>,
    /// Stream offset of the next byte this trial wants.
    next: u64,
    out: Vec<u8>,
    committed: bool,
}

enum Step {
    Continue,
    Reject,
    End,
}

impl Trial {
    /// Feed `data` (which starts at `next`).
    fn feed(&mut self, data: &[u8]) -> Step {
        let mut input = data;
        loop {
            if !self.committed && self.z.total_in() >= TRIAL_INPUT {
                return Step::Reject;
            }
            let limit = if self.committed {
                input.len()
            } else {
                input.len().min((TRIAL_INPUT - self.z.total_in()) as usize)
            };
            // Inflate into the vector's spare room (no zeroing): a little while on trial,
            // up to the JSON limit once committed.
            let room = if self.committed { 64 << 10 } else { 64 };
            if self.out.len() + room > limits::CARGO_JSON {
                return Step::Reject;
            }
            self.out.reserve(room);
            let before_in = self.z.total_in();
            let before_out = self.out.len();
            let status =
                self.z
                    .decompress_vec(&input[..limit], &mut self.out, FlushDecompress::None);
            let used = (self.z.total_in() - before_in) as usize;
            let made = self.out.len() - before_out;
            input = &input[used..];
            self.next += used as u64;
            if !self.committed {
                let n = self.out.len().min(PREFIX.len());
                if self.out[..n] != PREFIX[..n] {
                    return Step::Reject;
                }
                if n == PREFIX.len() {
                    self.committed = true;
                }
            }
            match status {
                Err(_) => return Step::Reject,
                Ok(Status::StreamEnd) => {
                    return if self.committed {
                        Step::End
                    } else {
                        Step::Reject
                    }
                }
                Ok(_) => {}
            }
            if used == 0 && made == 0 {
                return Step::Continue; // needs more input
            }
        }
    }
}

/// Could a zlib stream start at `b[0]` (`b` holds at least its first 4 bytes)? The
/// header was matched; this checks the first deflate block header.
fn plausible(b: &[u8]) -> bool {
    let Some(&b2) = b.get(2) else { return true };
    match (b2 >> 1) & 3 {
        1 => true, // fixed Huffman
        2 => {
            // dynamic: HLIT (5 bits) ≤ 29, HDIST (5 bits) ≤ 29
            let hlit = b2 >> 3;
            let hdist = b.get(3).map_or(0, |&b3| b3 & 0x1f);
            hlit <= 29 && hdist <= 29
        }
        _ => false, // stored (never for JSON of any size) or invalid
    }
}

pub(crate) struct CargoScan {
    regions: Vec<Region>,
    trials: Vec<Trial>,
    /// Bytes of the tail's start, before the gate is decided.
    gate: Option<Vec<u8>>,
    /// The symbol table started (or the gate failed): nothing more to search there.
    tail_over: bool,
    /// The last bytes of the previous searched data (a header split across chunks) and
    /// their offset.
    carry: Vec<u8>,
    carry_off: u64,
    /// Zero 8-byte words seen in a row, ending at stream offset `zero_end`.
    zero_words: u32,
    zero_end: u64,
    /// The bytes from the last 8-aligned offset to `zero_end` are all zero.
    partial_zero: bool,
    spare: Option<Box<Decompress>>,
    result: Option<Vec<Found>>,
}

impl CargoScan {
    pub(crate) fn new(regions: Vec<Region>) -> Option<CargoScan> {
        (!regions.is_empty()).then(|| CargoScan {
            regions,
            trials: Vec::new(),
            gate: Some(Vec::new()),
            tail_over: false,
            carry: Vec::new(),
            carry_off: 0,
            zero_words: 0,
            zero_end: u64::MAX,
            partial_zero: false,
            spare: None,
            result: None,
        })
    }

    pub(crate) fn done(&self, pos: u64) -> bool {
        self.result.is_some()
            || (self.trials.is_empty()
                && self
                    .regions
                    .iter()
                    .all(|r| pos >= r.end || (r.tail && self.tail_over)))
    }

    fn new_trial(&mut self, at: u64) -> Option<Trial> {
        if self.trials.len() >= MAX_TRIALS {
            return None;
        }
        let z = match self.spare.take() {
            Some(mut z) => {
                z.reset(true);
                z
            }
            None => Box::new(Decompress::new(true)),
        };
        Some(Trial {
            z,
            next: at,
            out: Vec::new(),
            committed: false,
        })
    }

    fn settle(&mut self, t: Trial, step: Step) -> bool {
        match step {
            Step::Continue => {
                self.trials.push(t);
                true
            }
            Step::Reject => {
                self.spare = Some(t.z);
                true
            }
            Step::End => {
                self.result = Some(parse(&t.out));
                self.trials.clear();
                false
            }
        }
    }

    /// Feed the live trials whose next byte is in `data` (at `off`); false once the
    /// result is in.
    fn run_trials(&mut self, data: &[u8], off: u64) -> bool {
        let end = off + data.len() as u64;
        let live = std::mem::take(&mut self.trials);
        for mut t in live {
            if t.next < off || t.next > end {
                self.spare = Some(t.z); // a gap: it cannot go on
                continue;
            }
            let step = t.feed(&data[(t.next - off) as usize..]);
            if !self.settle(t, step) {
                return false;
            }
        }
        true
    }

    pub(crate) fn feed(&mut self, data: &[u8], off: u64) {
        if self.result.is_some() {
            return;
        }
        if !self.trials.is_empty() && !self.run_trials(data, off) {
            return;
        }
        let end = off + data.len() as u64;
        for ri in 0..self.regions.len() {
            let r = self.regions[ri];
            let (lo, hi) = (r.off.max(off), r.end.min(end));
            if lo >= hi || (r.tail && self.tail_over) {
                continue;
            }
            let rest = &data[(lo - off) as usize..];
            let len = (hi - lo) as usize;
            if r.tail {
                if let Some(g) = &mut self.gate {
                    let take = (GATE - g.len()).min(len);
                    g.extend_from_slice(&rest[..take]);
                    if g.len() < GATE && hi < r.end {
                        continue; // wait for the rest of the gate
                    }
                    let g = self.gate.take().expect("gate");
                    if memchr::memmem::find(&g, b"rustc version").is_none() {
                        self.tail_over = true;
                        continue;
                    }
                    // Search the gate's bytes, then go on with the rest of this data.
                    let g_end = lo + take as u64;
                    if !self.search(&g, g_end - g.len() as u64, g.len(), true) {
                        return;
                    }
                    let after = &rest[take..];
                    if !self.trials.is_empty() && !self.run_trials(after, g_end) {
                        return;
                    }
                    if !self.tail_over && take < len && !self.search(after, g_end, len - take, true)
                    {
                        return;
                    }
                    continue;
                }
            }
            if !self.search(rest, lo, len, r.tail) {
                return;
            }
        }
    }

    /// Search the first `len` bytes of `rest` (at stream offset `at`; `rest` goes on to
    /// the end of the fed data) for candidates and try them; false once the result is in.
    fn search(&mut self, rest: &[u8], at: u64, len: usize, tail: bool) -> bool {
        let f = finders();
        let mut sub = &rest[..len];
        if tail {
            // Stop at the symbol table's null entry.
            if let Some(p) = self.symtab_start(sub, at) {
                sub = &sub[..p];
                self.tail_over = true;
            }
        }
        let mut starts: Vec<u64> = Vec::new();
        // A header split across the previous data and this.
        if !self.carry.is_empty()
            && self.carry_off + self.carry.len() as u64 == at
            && !sub.is_empty()
        {
            let mut seam = self.carry.clone();
            seam.extend_from_slice(&sub[..sub.len().min(3)]);
            if HEADERS.iter().any(|h| h[1] == seam[1]) && plausible(&seam) {
                starts.push(self.carry_off);
            }
        }
        for finder in f {
            for i in finder.find_iter(sub) {
                if plausible(&sub[i..]) {
                    starts.push(at + i as u64);
                }
            }
        }
        starts.sort_unstable();
        self.carry.clear();
        if sub.last() == Some(&0x78) && sub.len() == len {
            self.carry.push(0x78);
            self.carry_off = at + sub.len() as u64 - 1;
        }
        for s in starts {
            let Some(mut t) = self.new_trial(s) else {
                break;
            };
            let step = if s < at {
                match t.feed(&[0x78]) {
                    Step::Continue => t.feed(rest),
                    x => x,
                }
            } else {
                t.feed(&rest[(s - at) as usize..])
            };
            if !self.settle(t, step) {
                return false;
            }
        }
        true
    }

    /// Where 3 zero 8-byte words in a row (at 8-aligned file offsets) complete in `sub`
    /// (at stream offset `at`), counting a run begun in earlier data: the index where the
    /// run starts in `sub` (0 when it began before). The answer does not depend on how
    /// the data is cut into chunks.
    fn symtab_start(&mut self, sub: &[u8], at: u64) -> Option<usize> {
        if self.zero_end != at {
            // Not a continuation: an unaligned start is the middle of a word not seen whole.
            self.zero_words = 0;
            self.partial_zero = false;
        }
        let head = ((8 - at % 8) % 8) as usize;
        let mut i = 0;
        if head > 0 {
            let take = head.min(sub.len());
            let zero = self.partial_zero && sub[..take].iter().all(|&b| b == 0);
            if take < head {
                self.partial_zero = zero;
                self.zero_end = at + sub.len() as u64;
                return None;
            }
            if zero {
                self.zero_words += 1;
                if self.zero_words >= 3 {
                    return Some(0);
                }
            } else {
                self.zero_words = 0;
            }
            i = head;
        }
        while i + 8 <= sub.len() {
            if u64::from_ne_bytes(sub[i..i + 8].try_into().expect("8")) == 0 {
                self.zero_words += 1;
                if self.zero_words >= 3 {
                    return Some((i + 8).saturating_sub(24));
                }
            } else {
                self.zero_words = 0;
            }
            i += 8;
        }
        self.partial_zero = sub[i..].iter().all(|&b| b == 0);
        self.zero_end = at + sub.len() as u64;
        None
    }

    pub(crate) fn finish(self) -> Vec<Found> {
        self.result.unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct Audit {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    root: bool,
}

fn parse(json: &[u8]) -> Vec<Found> {
    let audit: Audit = match serde_json::from_slice(json) {
        Ok(a) => a,
        Err(e) => return vec![Found::Note(format!("cargo-auditable data malformed: {e}"))],
    };
    let root = audit.packages.iter().position(|p| p.root).unwrap_or(0);
    let Some(main) = audit.packages.get(root) else {
        return vec![Found::Note("cargo-auditable data lists no package".into())];
    };
    let components = audit
        .packages
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != root)
        .map(|(_, p)| Component {
            name: p.name.clone(),
            version: p.version.clone(),
            relation: if p.kind.as_deref() == Some("build") {
                Relation::BuildDependency
            } else {
                Relation::Dependency
            },
        })
        .collect();
    vec![Found::Package(PackageFound {
        manager: Manager::Cargo,
        name: main.name.clone(),
        version: main.version.clone(),
        root: None,
        toolchain: None,
        platform: None,
        source: "cargo-auditable",
        components,
    })]
}
