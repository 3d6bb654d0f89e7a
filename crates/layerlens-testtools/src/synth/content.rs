//! Deterministic content: a seeded generator and file bodies that read the same bytes
//! however they are read.

use std::io::{self, Read};
use std::sync::OnceLock;

/// SplitMix64: tiny, fast, and the same everywhere.
#[derive(Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        let mut r = Rng(seed ^ 0x6a09_e667_f3bc_c908);
        r.next();
        r
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Log-uniform in `lo..hi`: many small values, a long tail.
    pub(crate) fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        let f = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let (lo, hi) = (lo.max(1) as f64, hi.max(lo + 1) as f64);
        (lo * (hi / lo).powf(f)) as u64
    }
}

pub(crate) fn mix(a: u64, b: u64) -> u64 {
    Rng::new(a ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15)).next()
}

const CORPUS_LEN: usize = 64 << 10;
const CHUNK_MAX: usize = 8 << 10;

/// 64 KiB of text-like bytes (words, spaces, newlines) that content chunks copy from.
fn corpus() -> &'static [u8] {
    static CORPUS: OnceLock<Vec<u8>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        const WORDS: &[&str] = &[
            "the",
            "layer",
            "image",
            "container",
            "static",
            "const",
            "return",
            "function",
            "import",
            "module",
            "value",
            "error",
            "config",
            "server",
            "client",
            "request",
            "buffer",
            "struct",
            "public",
            "private",
            "library",
            "version",
            "license",
            "path",
            "/usr/lib",
            "x86_64",
            "linux",
            "gnu",
            "0x7f",
            "{",
            "}",
            "(",
            ");",
            "=",
            "if",
            "else",
            "for",
            "while",
            "int",
            "char",
            "void",
            "self",
            "None",
            "true",
            "false",
        ];
        let mut rng = Rng::new(7);
        let mut out = Vec::with_capacity(CORPUS_LEN);
        while out.len() < CORPUS_LEN {
            out.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes());
            out.push(if rng.below(9) == 0 { b'\n' } else { b' ' });
        }
        out.truncate(CORPUS_LEN);
        out
    })
}

/// The content of one file: `len` bytes from `seed`, in chunks that are either
/// incompressible (about a third) or copied from the text corpus. The bytes do not
/// depend on how the reader is called.
pub(crate) struct Content {
    rng: Rng,
    left: u64,
    chunk: Vec<u8>,
    pos: usize,
}

impl Content {
    pub(crate) fn new(seed: u64, len: u64) -> Content {
        Content {
            rng: Rng::new(seed),
            left: len,
            chunk: Vec::with_capacity(CHUNK_MAX),
            pos: 0,
        }
    }

    fn refill(&mut self) {
        let len =
            (1024 + self.rng.below((CHUNK_MAX - 1024) as u64) as usize).min(self.left as usize);
        self.chunk.clear();
        if self.rng.below(100) < 35 {
            while self.chunk.len() < len {
                self.chunk.extend_from_slice(&self.rng.next().to_le_bytes());
            }
            self.chunk.truncate(len);
        } else {
            let start = self.rng.below((CORPUS_LEN - CHUNK_MAX) as u64) as usize;
            self.chunk.extend_from_slice(&corpus()[start..start + len]);
        }
        self.pos = 0;
    }
}

impl Read for Content {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() && self.left > 0 {
            if self.pos == self.chunk.len() {
                self.refill();
            }
            let n = (self.chunk.len() - self.pos).min(buf.len() - filled);
            buf[filled..filled + n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
            self.pos += n;
            filled += n;
            self.left -= n as u64;
        }
        Ok(filled)
    }
}
