//! The stored blob of a layer as a stream: decompressed by magic bytes, hashed on the
//! way (stored blob and tar stream), held to the byte and expansion-ratio limits and
//! the interrupt flag, then handed to the tar walk ([`super::walk`]).

use std::cell::Cell;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

use sha2::{Digest as _, Sha256};

use super::walk::{walk_tar, WALK_BUFFER};
use super::{Compression, FileRecord, LayerReport};
use crate::digest::Digest;
use crate::error::StreamAbort;
use crate::options::{Limits, Options, ProgressEvent, Verify};

/// A reader that counts and (optionally) sha256-hashes everything read through it, and
/// enforces a byte limit and the interrupt flag.
pub(crate) struct Tap<'o, R> {
    inner: R,
    hasher: Option<Sha256>,
    pub(crate) count: u64,
    max: u64,
    limit_name: &'static str,
    opts: &'o Options,
    report_progress: bool,
    /// The stored-blob tap publishes its count here, so that the decompressed tap can
    /// check the expansion ratio while decompressing, not only at the end: a bomb stops
    /// within a buffer of crossing the limit instead of after expanding completely.
    published: Option<Rc<Cell<u64>>>,
    /// The decompressed tap: the stored count to check the ratio against.
    ratio_of: Option<Rc<Cell<u64>>>,
}

impl<'o, R: Read> Tap<'o, R> {
    pub(crate) fn new(
        inner: R,
        hash: bool,
        max: u64,
        limit_name: &'static str,
        opts: &'o Options,
    ) -> Self {
        Tap {
            inner,
            hasher: hash.then(Sha256::new),
            count: 0,
            max,
            limit_name,
            opts,
            report_progress: false,
            published: None,
            ratio_of: None,
        }
    }

    pub(crate) fn finish(self) -> (u64, Option<Digest>) {
        (
            self.count,
            self.hasher
                .map(|h| Digest::from_sha256(&h.finalize().into())),
        )
    }
}

impl<R: Read> Read for Tap<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.opts.interrupted() {
            return Err(StreamAbort::Interrupted.into_io());
        }
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.count += n as u64;
        if self.count > self.max {
            return Err(StreamAbort::Limit {
                limit: self.limit_name,
                max: self.max,
            }
            .into_io());
        }
        if let Some(p) = &self.published {
            p.set(self.count);
        }
        if let Some(stored) = &self.ratio_of {
            check_ratio(&self.opts.limits, stored.get(), self.count)?;
        }
        if self.report_progress && n > 0 {
            self.opts.report(ProgressEvent::Bytes(n as u64));
        }
        Ok(n)
    }
}

/// Read until `buf` is full or the stream ends; returns how many bytes were read.
pub(crate) fn read_full<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A stored blob's first bytes: enough to tell gzip, zstd and tar apart.
pub(crate) const SNIFF_LEN: usize = 512;

/// Whether a blob's first bytes look like a tar header (ustar magic, or a valid
/// old-style header checksum), or an empty/zero-filled tar.
pub(crate) fn looks_like_tar(head: &[u8]) -> bool {
    if head.is_empty() || head.iter().all(|&b| b == 0) {
        return true;
    }
    if head.len() < 512 {
        return false;
    }
    if &head[257..262] == b"ustar" {
        return true;
    }
    // Old v7 headers: check the checksum field.
    let stored = std::str::from_utf8(&head[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    stored == Some(crate::read::tarext::checksum(&head[..512]))
}

/// Analyse one stored layer blob read from `stored`.
///
/// Decompresses by magic bytes, sha256-hashes the stored and the uncompressed stream
/// (unless `opts.verify` is [`Verify::Trust`]), walks the tar entries and calls `visit`
/// for each [`FileRecord`] as it passes. Records are also kept in the report when
/// `opts.keep_files` says so. Errors carry no location; the caller adds it.
pub fn analyze_layer<R: Read>(
    stored: R,
    opts: &Options,
    visit: &mut dyn FnMut(&FileRecord),
) -> crate::Result<LayerReport> {
    analyze_layer_inner(stored, opts, visit, false)
        .map_err(|e| crate::Error::from_io(crate::Location::default(), e))
}

pub(crate) fn analyze_layer_inner<R: Read>(
    stored: R,
    opts: &Options,
    visit: &mut dyn FnMut(&FileRecord),
    report_progress: bool,
) -> io::Result<LayerReport> {
    let limits: &Limits = &opts.limits;
    let verify = opts.verify == Verify::Full;
    let mut stored = Tap::new(stored, false, u64::MAX, "max_layer_bytes", opts);
    stored.report_progress = report_progress;
    let stored_count = Rc::new(Cell::new(0));
    stored.published = Some(stored_count.clone());
    let mut head = [0u8; SNIFF_LEN];
    let head_len = read_full(&mut stored, &mut head)?;
    let compression = Compression::sniff(&head[..head_len]);
    // The stored stream is hashed separately only when it differs from the tar stream.
    let hash_stored = verify && compression != Compression::None;
    if hash_stored {
        let mut h = Sha256::new();
        h.update(&head[..head_len]);
        stored.hasher = Some(h);
    }
    let rest = io::Cursor::new(head[..head_len].to_vec()).chain(&mut stored);
    let decoded: Box<dyn Read + '_> = match compression {
        Compression::None => Box::new(rest),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            128 << 10,
            rest,
        ))),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(rest)?),
    };
    let mut tar_stream = Tap::new(
        decoded,
        verify,
        limits.max_layer_bytes,
        "max_layer_bytes",
        opts,
    );
    if compression != Compression::None {
        tar_stream.ratio_of = Some(stored_count);
    }

    // tar-rs reads each header as its own 512-byte read; a buffer in front of the
    // decoder, the hash and the positional reads keeps every one of them in big chunks.
    let mut buffered = BufReader::with_capacity(WALK_BUFFER, tar_stream);
    let mut report = walk_tar(&mut buffered, opts, visit)?;

    // The diff_id covers the whole stream: drain what follows the end-of-archive marker.
    let before = buffered.get_ref().count - buffered.buffer().len() as u64;
    drain(&mut buffered)?;
    let tar_stream = buffered.into_inner();
    report.trailing_size = tar_stream.count - before;
    let (tar_size, diff_id) = tar_stream.finish();
    let (stored_size, stored_digest) = stored.finish();
    report.tar_size = tar_size;
    report.stored_size = stored_size;
    report.compression = compression;
    if compression != Compression::None {
        check_ratio(limits, stored_size, tar_size)?;
    }
    match diff_id {
        Some(d) => {
            report.stored_digest = if compression == Compression::None {
                Some(d.clone())
            } else {
                stored_digest
            };
            report.diff_id = d;
            report.verified = true;
        }
        None => {
            report.verified = false;
        }
    }
    Ok(report)
}

/// Analyse an uncompressed layer read twice at once: `hash` is sha256-hashed on one
/// core while `walk` is parsed (per-file records and digests) on another, so one large
/// layer is not bound to one core by its sha256. Both readers must yield the same bytes
/// (two positional readers over the same range); the caller has checked that the blob
/// is not compressed.
pub(crate) fn analyze_uncompressed_split<W: Read + Send, H: Read + Send>(
    walk: W,
    hash: H,
    opts: &Options,
    report_progress: bool,
) -> io::Result<LayerReport> {
    let walk_opts = Options {
        verify: Verify::Trust,
        ..opts.clone()
    };
    let (hashed, walked) = rayon::join(
        || -> io::Result<(u64, Option<Digest>)> {
            let mut tap = Tap::new(
                hash,
                true,
                opts.limits.max_layer_bytes,
                "max_layer_bytes",
                opts,
            );
            drain(&mut tap)?;
            Ok(tap.finish())
        },
        || analyze_layer_inner(walk, &walk_opts, &mut |_| {}, report_progress),
    );
    let mut report = walked?;
    let (hashed_size, digest) = hashed?;
    if report.compression != Compression::None || hashed_size != report.stored_size {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the layer changed while it was read",
        ));
    }
    let digest = digest.expect("the hash side always hashes");
    report.stored_digest = Some(digest.clone());
    report.diff_id = digest;
    report.verified = true;
    Ok(report)
}

fn check_ratio(limits: &Limits, stored: u64, expanded: u64) -> io::Result<()> {
    if expanded > limits.ratio_floor_bytes
        && expanded / stored.max(1) > limits.max_compression_ratio
    {
        return Err(StreamAbort::Limit {
            limit: "max_compression_ratio",
            max: limits.max_compression_ratio,
        }
        .into_io());
    }
    Ok(())
}

fn drain<R: Read>(r: &mut R) -> io::Result<()> {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
