//! A layer kept unpacked, streamed again as the exact tar it was unpacked from: its
//! `tar-split` file holds every byte of the tar but the contents of regular files
//! (headers, PAX and GNU records, padding, the end-of-archive blocks and whatever
//! follows them, verbatim), and the contents come from the layer's directory. The
//! sha256 of the stream is the layer's diff_id, so it is verified like any layer.
//!
//! The format (vbatts/tar-split `storage`): a gzip stream of JSON documents, one a line,
//! in stream order. `{"type":2,"payload":"<base64>"}` is a segment of raw tar bytes;
//! `{"type":1,"name":"<path>","name_raw":"<base64>","size":S,"payload":"<crc64>"}` says
//! that the next `S` bytes are the content of the layer's file `<path>` (`name_raw` when
//! the name is not UTF-8). Whiteouts, opaque directories, modes and owners are all in
//! the headers: overlay's character devices and xattrs are never looked at.
//!
//! A file whose size differs from `S`, that is missing, not a regular file, reached
//! through a symlink, or changes size while read is an error naming it: never a wrong
//! stream. The CRC-64 is not checked: the sha256 of the whole stream is.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;

use base64::Engine as _;
use flate2::bufread::MultiGzDecoder;
use serde::Deserialize;

use super::fs::{Dir, OpenError, Root};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Where a layer's tar-split and files are, relative to the store root.
#[derive(Debug, Clone)]
pub(crate) struct TarSplitLayer {
    /// The tar-split file (gzip).
    pub(crate) tar_split: String,
    /// The directory holding the layer's files (overlay `diff/`, vfs `dir/<id>`).
    pub(crate) dir: String,
    /// The length of the rebuilt stream, from the tar-split alone ([`stream_len`]).
    pub(crate) len: u64,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "type")]
    ty: u8,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    name_raw: Option<String>,
    #[serde(default)]
    size: i64,
    #[serde(default)]
    payload: Option<String>,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// The JSON lines of a tar-split file, each at most `max` bytes.
struct Lines {
    file: String,
    reader: BufReader<MultiGzDecoder<BufReader<File>>>,
    line: Vec<u8>,
    number: u64,
    max: usize,
}

impl Lines {
    fn open(root: &Root, file: &str, max: usize) -> io::Result<Lines> {
        let (f, _) = root
            .open(file)
            .map_err(|e| invalid(format!("{file}: {e}")))?;
        Ok(Lines {
            file: file.to_string(),
            reader: BufReader::with_capacity(64 << 10, MultiGzDecoder::new(BufReader::new(f))),
            line: Vec::new(),
            number: 0,
            max,
        })
    }

    fn bad(&self, reason: impl std::fmt::Display) -> io::Error {
        invalid(format!("{}: line {}: {reason}", self.file, self.number))
    }

    /// The next entry; `None` at the end.
    fn next(&mut self) -> io::Result<Option<Entry>> {
        loop {
            self.line.clear();
            let mut found_end = false;
            while !found_end {
                let buf = match self.reader.fill_buf() {
                    Ok(b) => b,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    // a damaged or truncated gzip stream: name the file
                    Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", self.file))),
                };
                if buf.is_empty() {
                    if self.line.is_empty() {
                        return Ok(None);
                    }
                    break;
                }
                let (take, content) = match buf.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        found_end = true;
                        (i + 1, i)
                    }
                    None => (buf.len(), buf.len()),
                };
                if self.line.len() + content > self.max {
                    self.number += 1;
                    return Err(self.bad(format!("longer than {} bytes", self.max)));
                }
                self.line.extend_from_slice(&buf[..content]);
                self.reader.consume(take);
            }
            self.number += 1;
            if self.line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return serde_json::from_slice(&self.line)
                .map(Some)
                .map_err(|e| self.bad(format!("not a tar-split entry: {e}")));
        }
    }
}

/// The content size and name bytes of a file entry (`None` for entries without content).
fn file_entry(lines: &Lines, e: &Entry) -> io::Result<Option<(u64, Vec<u8>)>> {
    let size = u64::try_from(e.size).map_err(|_| lines.bad(format!("size {}", e.size)))?;
    let name = match (&e.name_raw, &e.name) {
        (Some(raw), _) if !raw.is_empty() => B64
            .decode(raw)
            .map_err(|_| lines.bad("name_raw is not base64"))?,
        (_, Some(n)) => n.as_bytes().to_vec(),
        _ => return Err(lines.bad("file entry without a name")),
    };
    Ok((size > 0).then_some((size, name)))
}

/// The decoded length of a segment's base64 payload, without decoding it.
fn segment_len(lines: &Lines, payload: &str) -> io::Result<u64> {
    let b = payload.as_bytes();
    if b.len() % 4 != 0 {
        return Err(lines.bad("segment payload is not base64"));
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count().min(2);
    Ok((b.len() / 4 * 3 - pad) as u64)
}

/// The length of the stream a tar-split rebuilds, read from the tar-split alone (its
/// segments and file sizes; no layer file is opened).
pub(crate) fn stream_len(root: &Root, tar_split: &str, max_line: usize) -> io::Result<u64> {
    let mut lines = Lines::open(root, tar_split, max_line)?;
    let mut total: u64 = 0;
    while let Some(e) = lines.next()? {
        let n = match e.ty {
            2 => segment_len(&lines, e.payload.as_deref().unwrap_or(""))?,
            1 => file_entry(&lines, &e)?.map_or(0, |(size, _)| size),
            t => return Err(lines.bad(format!("unknown entry type {t}"))),
        };
        total = total
            .checked_add(n)
            .ok_or_else(|| lines.bad("stream longer than 2^64 bytes"))?;
    }
    Ok(total)
}

enum State {
    Idle,
    Segment(usize),
    File(Box<OpenFile>),
    Done,
}

struct OpenFile {
    file: File,
    path: String,
    size: u64,
    remaining: u64,
}

/// The rebuilt tar stream of one layer.
pub(crate) struct Rebuild {
    root: Arc<Root>,
    layer: TarSplitLayer,
    dir: Option<Dir>,
    lines: Lines,
    segment: Vec<u8>,
    state: State,
}

impl Rebuild {
    pub(crate) fn open(
        root: Arc<Root>,
        layer: &TarSplitLayer,
        max_line: usize,
    ) -> io::Result<Rebuild> {
        let lines = Lines::open(&root, &layer.tar_split, max_line)?;
        Ok(Rebuild {
            root,
            layer: layer.clone(),
            dir: None,
            lines,
            segment: Vec::new(),
            state: State::Idle,
        })
    }

    /// A file of the layer directory that is not as the tar-split says.
    fn file_error(&self, path: &str, what: impl std::fmt::Display) -> io::Error {
        invalid(format!("{}/{path}: {what}", self.layer.dir))
    }

    fn open_error(&self, path: &str, e: OpenError) -> io::Error {
        match e {
            OpenError::NotFound => self.file_error(
                path,
                "missing (was the layer changed or removed while it was read?)",
            ),
            OpenError::Io(e) => io::Error::new(e.kind(), format!("{}/{path}: {e}", self.layer.dir)),
            e => self.file_error(path, e),
        }
    }

    /// Move from `Idle` to the next state that has bytes, or to `Done`.
    fn advance(&mut self) -> io::Result<()> {
        loop {
            let Some(e) = self.lines.next()? else {
                self.state = State::Done;
                return Ok(());
            };
            match e.ty {
                2 => {
                    let payload = e.payload.as_deref().unwrap_or("");
                    self.segment.clear();
                    B64.decode_vec(payload, &mut self.segment)
                        .map_err(|_| self.lines.bad("segment payload is not base64"))?;
                    if !self.segment.is_empty() {
                        self.state = State::Segment(0);
                        return Ok(());
                    }
                }
                1 => {
                    let Some((size, name)) = file_entry(&self.lines, &e)? else {
                        continue;
                    };
                    let path = String::from_utf8_lossy(&name).into_owned();
                    if self.dir.is_none() {
                        let d = self.root.dir(&self.layer.dir).map_err(|e| {
                            invalid(format!("{}: layer directory: {e}", self.layer.dir))
                        })?;
                        self.dir = Some(d);
                    }
                    let opened = self.dir.as_mut().expect("opened above").open(&name);
                    let (file, actual) = opened.map_err(|e| self.open_error(&path, e))?;
                    if actual != size {
                        return Err(self.file_error(
                            &path,
                            format!("{actual} bytes on disk, the tar-split says {size}"),
                        ));
                    }
                    self.state = State::File(Box::new(OpenFile {
                        file,
                        path,
                        size,
                        remaining: size,
                    }));
                    return Ok(());
                }
                t => return Err(self.lines.bad(format!("unknown entry type {t}"))),
            }
        }
    }
}

impl Read for Rebuild {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match &mut self.state {
                State::Done => return Ok(0),
                State::Idle => self.advance()?,
                State::Segment(pos) => {
                    let n = (self.segment.len() - *pos).min(buf.len());
                    buf[..n].copy_from_slice(&self.segment[*pos..*pos + n]);
                    *pos += n;
                    if *pos == self.segment.len() {
                        self.state = State::Idle;
                    }
                    return Ok(n);
                }
                State::File(f) => {
                    let want = f.remaining.min(buf.len() as u64) as usize;
                    let n = match f.file.read(&mut buf[..want]) {
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => {
                            let msg = format!("{}/{}: {e}", self.layer.dir, f.path);
                            return Err(io::Error::new(e.kind(), msg));
                        }
                    };
                    f.remaining -= n as u64;
                    // A file that shrank (n == 0 early) or grew (bytes after its end)
                    // while it was read changed under us.
                    let grew = f.remaining == 0
                        && f.file.read(&mut [0u8; 1]).map_err(|e| {
                            let msg = format!("{}/{}: {e}", self.layer.dir, f.path);
                            io::Error::new(e.kind(), msg)
                        })? != 0;
                    if n == 0 || grew {
                        let (path, size) = (f.path.clone(), f.size);
                        return Err(self.file_error(
                            &path,
                            format!("changed while it was read (the tar-split says {size} bytes)"),
                        ));
                    }
                    if f.remaining == 0 {
                        self.state = State::Idle;
                    }
                    return Ok(n);
                }
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn seg(bytes: &[u8]) -> String {
        format!(
            r#"{{"type":2,"payload":"{}","position":0}}"#,
            B64.encode(bytes)
        )
    }

    fn file(name: &str, size: usize) -> String {
        let name = serde_json::to_string(name).unwrap();
        format!(r#"{{"type":1,"name":{name},"size":{size},"payload":"AAAAAAAAAAA=","position":1}}"#)
    }

    /// A store root with `ts.gz` (these lines) and the layer directory `diff/`.
    fn store(lines: &[String], files: &[(&str, &[u8])]) -> (tempfile::TempDir, Arc<Root>) {
        let t = tempfile::tempdir().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for l in lines {
            writeln!(gz, "{l}").unwrap();
        }
        std::fs::write(t.path().join("ts.gz"), gz.finish().unwrap()).unwrap();
        std::fs::create_dir_all(t.path().join("diff")).unwrap();
        for (name, bytes) in files {
            let p = t.path().join("diff").join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        let root = Arc::new(Root::new(t.path()).unwrap());
        (t, root)
    }

    fn rebuild(root: &Arc<Root>) -> io::Result<Vec<u8>> {
        let layer = TarSplitLayer {
            tar_split: "ts.gz".into(),
            dir: "diff".into(),
            len: 0,
        };
        let mut r = Rebuild::open(root.clone(), &layer, 1 << 20)?;
        let mut out = Vec::new();
        // odd-sized reads: every state boundary is crossed inside a read
        let mut buf = [0u8; 7];
        loop {
            let n = r.read(&mut buf)?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn segments_and_files_rebuild_the_stream() {
        let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + 3) as u8).collect();
        let lines = [
            seg(b"HDR1"),
            file("./a/big", big.len()),
            seg(b"PAD"),
            file("x", 3),
            r#"{"type":1,"name":"a/","payload":null,"position":3}"#.to_string(),
            file("empty-and-absent", 0),
            seg(&[0u8; 1024]),
            String::new(),
        ];
        let (_t, root) = store(&lines, &[("a/big", &big), ("x", b"xyz")]);
        let mut want = b"HDR1".to_vec();
        want.extend_from_slice(&big);
        want.extend_from_slice(b"PADxyz");
        want.extend_from_slice(&[0u8; 1024]);
        assert_eq!(rebuild(&root).unwrap(), want);
        assert_eq!(
            stream_len(&root, "ts.gz", 1 << 20).unwrap(),
            want.len() as u64
        );
    }

    #[test]
    fn names_that_are_not_utf8_come_from_name_raw() {
        use std::os::unix::ffi::OsStrExt;
        let line = format!(
            r#"{{"type":1,"name":"caf\ufffd","name_raw":"{}","size":2,"position":0}}"#,
            B64.encode(b"caf\xe9")
        );
        let (t, root) = store(&[line], &[]);
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9");
        std::fs::write(t.path().join("diff").join(name), b"hi").unwrap();
        assert_eq!(rebuild(&root).unwrap(), b"hi");
    }

    #[test]
    fn a_layer_unlike_its_tar_split_is_an_error_naming_the_file() {
        let err = |lines: &[String], files: &[(&str, &[u8])]| {
            let (_t, root) = store(lines, files);
            let e = rebuild(&root).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
            e.to_string()
        };
        let f: &[(&str, &[u8])] = &[("f", b"abc")];
        assert!(err(&[file("f", 4)], f).contains("diff/f: 3 bytes on disk, the tar-split says 4"));
        assert!(err(&[file("nope", 1)], f).contains("diff/nope: missing"));
        for bad in ["/etc/passwd", "../f", "a/../../f"] {
            assert!(err(&[file(bad, 3)], f).contains("unsafe name"), "{bad}");
        }
        for bad in [
            "{",
            r#"{"type":9}"#,
            r#"{"type":2,"payload":"@@@@"}"#,
            r#"{"type":1,"size":-1,"name":"f"}"#,
            r#"{"type":1,"size":3}"#,
        ] {
            assert!(
                err(&[bad.to_string()], f).contains("ts.gz: line 1"),
                "{bad}"
            );
        }
        // a symlink on the way, or as the file itself, is never followed
        let (t, root) = store(&[file("l/secret", 6), file("s", 6)], &[]);
        std::fs::write(t.path().join("secret"), b"secret").unwrap();
        std::os::unix::fs::symlink("..", t.path().join("diff/l")).unwrap();
        assert!(rebuild(&root).unwrap_err().to_string().contains("symlink"));
        let (t, root) = store(&[file("s", 6)], &[]);
        std::fs::write(t.path().join("secret"), b"secret").unwrap();
        std::os::unix::fs::symlink("../secret", t.path().join("diff/s")).unwrap();
        assert!(rebuild(&root).unwrap_err().to_string().contains("symlink"));
        // a line longer than the limit; a truncated gzip stream
        let (_t, root) = store(&[seg(&[1u8; 4000])], &[]);
        let layer = TarSplitLayer {
            tar_split: "ts.gz".into(),
            dir: "diff".into(),
            len: 0,
        };
        let mut r = Rebuild::open(root.clone(), &layer, 1000).unwrap();
        let e = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert!(e.to_string().contains("longer than 1000 bytes"), "{e}");
        let (t, root) = store(&[seg(&[7u8; 5000])], &[]);
        let gz = std::fs::read(t.path().join("ts.gz")).unwrap();
        std::fs::write(t.path().join("ts.gz"), &gz[..gz.len() - 6]).unwrap();
        assert!(stream_len(&root, "ts.gz", 1 << 20)
            .unwrap_err()
            .to_string()
            .contains("ts.gz"));
    }

    /// Rebuild throughput over every layer of a Docker data root (overlay2):
    /// `LAYERLENS_BENCH_STORE=DIR cargo test --release -p layerlens --lib -- --ignored --nocapture rebuild_throughput`
    #[test]
    #[ignore]
    fn rebuild_throughput() {
        use sha2::Digest as _;
        let dir = std::env::var("LAYERLENS_BENCH_STORE").expect("LAYERLENS_BENCH_STORE");
        let root = Arc::new(Root::new(std::path::Path::new(&dir)).unwrap());
        let db = "image/overlay2/layerdb/sha256";
        let layers: Vec<TarSplitLayer> = root
            .list(db)
            .unwrap()
            .into_iter()
            .map(|(chain, _)| {
                let cache =
                    std::fs::read_to_string(format!("{dir}/{db}/{chain}/cache-id")).unwrap();
                TarSplitLayer {
                    tar_split: format!("{db}/{chain}/tar-split.json.gz"),
                    dir: format!("overlay2/{}/diff", cache.trim()),
                    len: 0,
                }
            })
            .collect();
        let mut buf = vec![0u8; 256 << 10];
        for hash in [false, true] {
            let t0 = std::time::Instant::now();
            let mut total = 0u64;
            for l in &layers {
                let mut r = Rebuild::open(root.clone(), l, 64 << 20).unwrap();
                let mut h = sha2::Sha256::new();
                loop {
                    let n = r.read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    if hash {
                        h.update(&buf[..n]);
                    }
                    total += n as u64;
                }
            }
            let s = t0.elapsed().as_secs_f64();
            eprintln!(
                "rebuild{}: {} layers, {total} bytes in {s:.3} s = {:.2} GB/s",
                if hash { " + sha256" } else { "" },
                layers.len(),
                total as f64 / s / 1e9
            );
        }
        let t0 = std::time::Instant::now();
        let total: u64 = layers
            .iter()
            .map(|l| stream_len(&root, &l.tar_split, 64 << 20).unwrap())
            .sum();
        eprintln!(
            "stream_len of every tar-split: {total} bytes in {:.3} s",
            t0.elapsed().as_secs_f64()
        );
    }
}
