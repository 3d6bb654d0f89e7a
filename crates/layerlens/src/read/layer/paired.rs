//! Two plain tar layers on one thread, their sha256 computed side by side.
//!
//! A single SHA-256 stream leaves the core's SHA unit idle half the time (each round waits
//! for the one before); hashing two unrelated streams interleaved fills the gaps
//! (`layerlens_sha256x2`, about 1.5× the bytes per second). So a worker of the layer pass
//! holds up to two uncompressed layers in [`Lanes`]: it reads the next chunk of each,
//! hashes both chunks together, and hands each chunk to its layer's tar walk while the
//! chunk is still in the core's cache.
//!
//! The tar walk ([`super::walk::walk_tar`]) pulls its bytes; here it runs as a stackful
//! coroutine (`corosensei`), so that it can stop when a chunk is used up and go on when
//! the worker brings the next one, and the walk's code stays the same for every input.
//! The bytes, the checks (byte limit, interrupt flag, progress) and the report are those
//! of [`super::stream::analyze_layer_inner`] for an uncompressed layer; the tests below
//! compare the two on every layer shape.

use std::io::{self, BufRead, Read};

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use layerlens_sha256x2::{update_pair, Sha256};

use super::walk::walk_tar;
use super::{Compression, FileRecord, LayerReport};
use crate::digest::Digest;
use crate::error::StreamAbort;
use crate::options::{Options, ProgressEvent};

/// Bytes read from each layer per turn: two of them stay in a core's L2 cache while they
/// are hashed and walked.
const CHUNK: usize = 128 << 10;

/// The walk's stack: what a rayon worker thread has (the walk runs there otherwise).
const WALK_STACK: usize = 2 << 20;

/// Whether pairing layers pays on this CPU (it has SHA-NI); elsewhere each layer is read
/// as before.
pub(crate) fn pairing_pays() -> bool {
    layerlens_sha256x2::pairs_in_parallel()
}

/// A chunk handed to the walk: the buffer and how much of it holds bytes. An empty chunk
/// is the end of the stream.
type Chunk = (Vec<u8>, usize);

/// What the walk gives back when it ends: its report (or error), how many bytes of the
/// stream it took, and the buffer it held.
type Walked = (io::Result<LayerReport>, u64, Vec<u8>);

/// The walk's side of the stream: a `BufRead` over the chunks the worker brings.
struct Feed<'y> {
    yielder: &'y Yielder<Chunk, Vec<u8>>,
    buf: Vec<u8>,
    len: usize,
    pos: usize,
    eof: bool,
    taken: u64,
}

impl Read for Feed<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Feed<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.len && !self.eof {
            // Used up: give the buffer back and wait for the next chunk.
            let spent = std::mem::take(&mut self.buf);
            let (buf, len) = self.yielder.suspend(spent);
            self.buf = buf;
            self.len = len;
            self.pos = 0;
            self.eof = len == 0;
        }
        Ok(&self.buf[self.pos..self.len])
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
        self.taken += n as u64;
    }
}

/// One layer in a lane: its reader, its hash, its byte count and its walk (until the
/// walk ends; then the rest of the stream is only hashed and counted).
struct Lane<'r, T> {
    tag: T,
    reader: Box<dyn Read + Send + 'r>,
    /// The bytes the layer is expected to have (its stored size), for [`Lanes::lone_left`].
    size: u64,
    hash: Sha256,
    count: u64,
    buf: Vec<u8>,
    len: usize,
    walk: Option<Coroutine<Chunk, Vec<u8>, Walked, DefaultStack>>,
    walked: Option<(LayerReport, u64)>,
}

/// Up to two uncompressed layers read, hashed and walked in turn on the calling thread.
///
/// [`Lanes::add`] starts a layer; [`Lanes::step`] moves every layer on by one chunk and
/// hands back the ones that ended, with their reports as
/// [`super::stream::analyze_layer_inner`] makes them.
pub(crate) struct Lanes<'r, 'o, T> {
    opts: &'o Options,
    lanes: Vec<Lane<'r, T>>,
}

impl<'r, 'o, T> Lanes<'r, 'o, T> {
    pub(crate) fn new(opts: &'o Options) -> Self {
        Lanes {
            opts,
            lanes: Vec::with_capacity(2),
        }
    }

    /// Whether another layer can start.
    pub(crate) fn has_room(&self) -> bool {
        self.lanes.len() < 2
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.lanes.is_empty()
    }

    /// With one layer in the lanes, how many of its bytes are still to come.
    pub(crate) fn lone_left(&self) -> Option<u64> {
        match &self.lanes[..] {
            [lane] => Some(lane.size.saturating_sub(lane.count)),
            _ => None,
        }
    }

    /// Start a layer: `reader` yields its uncompressed tar stream, `visit` sees every
    /// record as the walk passes it. `tag` comes back with the layer's result.
    pub(crate) fn add(
        &mut self,
        tag: T,
        reader: Box<dyn Read + Send + 'r>,
        size: u64,
        mut visit: Box<dyn FnMut(&FileRecord) + 'static>,
    ) -> io::Result<()> {
        let opts = self.opts.clone();
        let stack = DefaultStack::new(WALK_STACK)?;
        let walk = Coroutine::with_stack(
            stack,
            move |yielder: &Yielder<Chunk, Vec<u8>>, first: Chunk| {
                let (buf, len) = first;
                let mut feed = Feed {
                    yielder,
                    buf,
                    len,
                    pos: 0,
                    eof: len == 0,
                    taken: 0,
                };
                let walked = walk_tar(&mut feed, &opts, &mut *visit);
                (walked, feed.taken, std::mem::take(&mut feed.buf))
            },
        );
        self.lanes.push(Lane {
            tag,
            reader,
            size,
            hash: Sha256::new(),
            count: 0,
            buf: vec![0u8; CHUNK],
            len: 0,
            walk: Some(walk),
            walked: None,
        });
        Ok(())
    }

    /// Read the next chunk of every layer, hash them (side by side when there are two),
    /// and walk them. Returns the layers that ended, each with its tag and its report or
    /// error (the others stay), and how many bytes were read.
    pub(crate) fn step(&mut self) -> (Vec<(T, io::Result<LayerReport>)>, u64) {
        let mut ended = Vec::new();
        let mut read = 0;
        let opts = self.opts;
        // Read.
        let mut failed: Vec<Option<io::Error>> = Vec::with_capacity(self.lanes.len());
        for lane in &mut self.lanes {
            let got = if opts.interrupted() {
                Err(StreamAbort::Interrupted.into_io())
            } else {
                super::read_full(&mut lane.reader, &mut lane.buf).and_then(|n| {
                    lane.count += n as u64;
                    if lane.count > opts.limits.max_layer_bytes {
                        Err(StreamAbort::Limit {
                            limit: "max_layer_bytes",
                            max: opts.limits.max_layer_bytes,
                        }
                        .into_io())
                    } else {
                        Ok(n)
                    }
                })
            };
            match got {
                Ok(n) => {
                    lane.len = n;
                    read += n as u64;
                    failed.push(None);
                    if n > 0 {
                        opts.report(ProgressEvent::Bytes(n as u64));
                    }
                }
                Err(e) => {
                    lane.len = 0;
                    failed.push(Some(e));
                }
            }
        }
        // Hash.
        match &mut self.lanes[..] {
            [a, b] => {
                update_pair(&mut a.hash, &a.buf[..a.len], &mut b.hash, &b.buf[..b.len]);
            }
            lanes => {
                for lane in lanes {
                    lane.hash.update(&lane.buf[..lane.len]);
                }
            }
        }
        // Walk, and end the layers that are done.
        let mut keep = Vec::with_capacity(self.lanes.len());
        for (mut lane, error) in std::mem::take(&mut self.lanes).into_iter().zip(failed) {
            if let Some(e) = error {
                ended.push((lane.tag, Err(e)));
                continue;
            }
            if let Some(walk) = &mut lane.walk {
                let buf = std::mem::take(&mut lane.buf);
                match walk.resume((buf, lane.len)) {
                    CoroutineResult::Yield(buf) => lane.buf = buf,
                    CoroutineResult::Return((result, taken, buf)) => {
                        lane.walk = None;
                        lane.buf = if buf.len() == CHUNK {
                            buf
                        } else {
                            vec![0u8; CHUNK]
                        };
                        match result {
                            Ok(report) => lane.walked = Some((report, taken)),
                            Err(e) => {
                                ended.push((lane.tag, Err(e)));
                                continue;
                            }
                        }
                    }
                }
            }
            if lane.len == 0 {
                ended.push((lane.tag, Ok(finish(lane.walked, lane.hash, lane.count))));
            } else {
                keep.push(lane);
            }
        }
        self.lanes = keep;
        (ended, read)
    }
}

/// The layer's report once its stream has ended: what [`super::stream`] fills in after
/// the walk for an uncompressed layer.
fn finish(walked: Option<(LayerReport, u64)>, hash: Sha256, count: u64) -> LayerReport {
    let (mut report, taken) =
        walked.expect("the walk ends at the end of its stream, at the latest");
    let digest = Digest::from_sha256(&hash.finalize());
    report.trailing_size = count - taken;
    report.tar_size = count;
    report.stored_size = count;
    report.compression = Compression::None;
    report.stored_digest = Some(digest.clone());
    report.diff_id = digest;
    report.verified = true;
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Limits;

    /// A tar layer of regular files of the given sizes (distinct contents), a directory,
    /// a symlink and a whiteout, then `tail` zero bytes after the end-of-archive marker.
    fn layer(sizes: &[usize], tail: usize) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        b.append_data(&mut h, "usr/lib/", io::empty()).unwrap();
        for (i, &n) in sizes.iter().enumerate() {
            let data: Vec<u8> = (0..n).map(|j| (j * 31 + i * 7) as u8).collect();
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o644);
            h.set_size(n as u64);
            b.append_data(&mut h, format!("usr/lib/f{i}"), &data[..])
                .unwrap();
        }
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "usr/lib/link", "f0").unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        b.append_data(&mut h, "etc/.wh.gone", io::empty()).unwrap();
        let mut out = b.into_inner().unwrap();
        out.extend(std::iter::repeat_n(0u8, tail));
        out
    }

    /// What the one-layer stream path says of `bytes`.
    fn alone(bytes: &[u8], opts: &Options) -> Result<LayerReport, String> {
        super::super::analyze_layer_inner(bytes, opts, &mut |_| {}, false)
            .map_err(|e| e.to_string())
    }

    /// What the lanes say of each of `layers`, all added at once (at most two) or
    /// one after the other when a lane frees.
    fn lanes(layers: &[Vec<u8>], opts: &Options) -> Vec<Result<LayerReport, String>> {
        let mut out: Vec<Option<Result<LayerReport, String>>> = vec![None; layers.len()];
        let mut lanes: Lanes<'_, '_, usize> = Lanes::new(opts);
        let mut next = 0;
        loop {
            while lanes.has_room() && next < layers.len() {
                let size = layers[next].len() as u64;
                lanes
                    .add(next, Box::new(&layers[next][..]), size, Box::new(|_| {}))
                    .unwrap();
                next += 1;
            }
            if lanes.is_empty() {
                break;
            }
            for (i, r) in lanes.step().0 {
                out[i] = Some(r.map_err(|e| e.to_string()));
            }
        }
        out.into_iter()
            .map(|r| r.expect("every layer ends"))
            .collect()
    }

    fn check(layers: &[Vec<u8>], opts: &Options) {
        let want: Vec<_> = layers.iter().map(|l| alone(l, opts)).collect();
        assert_eq!(lanes(layers, opts), want);
        // Each layer alone in the lanes too (hashed as one stream).
        for (l, w) in layers.iter().zip(&want) {
            assert_eq!(&lanes(std::slice::from_ref(l), opts)[0], w);
        }
    }

    #[test]
    fn paired_layers_give_the_reports_of_the_stream_path() {
        let k = CHUNK;
        let layers = vec![
            layer(&[], 0),
            layer(&[0, 1, 511, 512, 513], 0),
            layer(&[k - 1024, k, k + 1, 3 * k + 100], 0),
            layer(&[10; 40], 5 * 512),
            layer(&[2 * k - 512, 17, k / 2], k + 3),
            Vec::new(),
        ];
        assert!(layers[4].len() > 3 * k, "a layer of several chunks");
        check(&layers, &Options::default());
    }

    #[test]
    fn paired_layers_fail_as_the_stream_path_fails() {
        let good = layer(&[CHUNK + 5, 9], 0);
        // Not a tar at all; a tar cut inside a file; a header whose checksum is wrong.
        let garbage: Vec<u8> = (0..3 * CHUNK).map(|i| (i * 7 + 1) as u8).collect();
        let cut = good[..CHUNK + 1000].to_vec();
        let mut bad_sum = layer(&[3], 0);
        bad_sum[600] ^= 0x55;
        check(&[good.clone(), garbage], &Options::default());
        check(&[cut, good.clone()], &Options::default());
        check(&[bad_sum, good.clone()], &Options::default());
        // A byte limit crossed by one layer of the pair.
        let big = layer(&[3 * CHUNK], 0);
        let opts = Options {
            limits: Limits {
                max_layer_bytes: 2 * CHUNK as u64,
                ..Limits::default()
            },
            ..Options::default()
        };
        let got = lanes(&[big.clone(), layer(&[100], 0)], &opts);
        assert!(
            got[0].as_ref().unwrap_err().contains("max_layer_bytes"),
            "{got:?}"
        );
        assert_eq!(got[1], alone(&layer(&[100], 0), &opts));
        assert_eq!(got[0], alone(&big, &opts));
    }

    /// A reader that hands out at most 7 bytes per call.
    struct Short<'a>(&'a [u8]);

    impl Read for Short<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(out.len()).min(7);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn short_reads_give_the_same_paired_reports() {
        let layers = [layer(&[CHUNK + 3, 700], 1024), layer(&[5, 2 * CHUNK], 0)];
        let opts = Options::default();
        let mut lanes: Lanes<'_, '_, usize> = Lanes::new(&opts);
        for (i, l) in layers.iter().enumerate() {
            lanes
                .add(i, Box::new(Short(l)), l.len() as u64, Box::new(|_| {}))
                .unwrap();
        }
        let mut got = Vec::new();
        while !lanes.is_empty() {
            got.extend(lanes.step().0);
        }
        got.sort_by_key(|(i, _)| *i);
        assert_eq!(got.len(), 2);
        for (i, r) in got {
            assert_eq!(r.map_err(|e| e.to_string()), alone(&layers[i], &opts));
        }
    }

    #[test]
    fn the_visitor_sees_every_record_of_a_paired_layer_in_order() {
        let layers = [layer(&[CHUNK * 2, 1, 2], 0), layer(&[3; 9], 0)];
        let opts = Options::default();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(vec![Vec::new(), Vec::new()]));
        let mut lanes: Lanes<'_, '_, usize> = Lanes::new(&opts);
        for (i, l) in layers.iter().enumerate() {
            let seen = seen.clone();
            let visit =
                Box::new(move |r: &FileRecord| seen.lock().unwrap()[i].push(r.path.clone()));
            lanes
                .add(i, Box::new(&l[..]), l.len() as u64, visit)
                .unwrap();
        }
        while !lanes.is_empty() {
            lanes.step();
        }
        for (i, l) in layers.iter().enumerate() {
            let mut want = Vec::new();
            super::super::analyze_layer_inner(
                &l[..],
                &opts,
                &mut |r| want.push(r.path.clone()),
                false,
            )
            .unwrap();
            assert_eq!(seen.lock().unwrap()[i], want);
            assert_eq!(want.len(), if i == 0 { 6 } else { 12 });
        }
    }

    #[test]
    fn an_interrupted_pair_stops_both_layers() {
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let opts = Options {
            interrupt: Some(flag),
            ..Options::default()
        };
        let got = lanes(&[layer(&[10], 0), layer(&[20], 0)], &opts);
        for r in got {
            assert!(r.unwrap_err().contains("interrupted"));
        }
    }
}
