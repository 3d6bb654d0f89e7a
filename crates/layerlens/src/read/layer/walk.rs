//! The tar walk of one layer stream: every entry classified (whiteouts told apart),
//! regular files digested where they lie in the read-ahead buffer, package metadata
//! captured and detectors fed in the same pass, oddities noted.

use std::io::{self, Read};

use foldhash::HashSet;
use twox_hash::{XxHash3_128, XxHash3_64};

use super::{
    is_package_metadata, normalize_path, split_parent, CapturedFile, Compression, EntryCounts,
    EntryKind, FileRecord, LayerReport, MAX_CAPTURED_FILE, MAX_CAPTURED_PER_LAYER, OPAQUE_MARKER,
    WHITEOUT_PREFIX,
};
use crate::digest::{ContentDigest, Digest};
use crate::error::StreamAbort;
use crate::options::Options;
use crate::read::detect::{is_rpm_database, Detected, LayerDetect};
use crate::read::tarext::{check_pax, Watch, WatchState};

/// XXH3-128 of `bytes` (twox-hash picks AVX2 or SSE2 at run time).
fn xxh3_128(bytes: &[u8]) -> u128 {
    XxHash3_128::oneshot(bytes)
}

/// XXH3-64 of `bytes`.
fn xxh3_64(bytes: &[u8]) -> u64 {
    XxHash3_64::oneshot(bytes)
}

/// Read-ahead between the layer stream and the tar walker.
pub(super) const WALK_BUFFER: usize = 256 << 10;

pub(super) fn walk_tar<R: io::BufRead>(
    stream: &mut R,
    opts: &Options,
    visit: &mut dyn FnMut(&FileRecord),
) -> io::Result<LayerReport> {
    let keep = opts.keep_files == crate::options::KeepFiles::Yes;
    let limits = &opts.limits;
    let mut report = LayerReport {
        diff_id: Digest::sha256_of(b""),
        verified: false,
        stored_digest: None,
        compression: Compression::None,
        stored_size: 0,
        tar_size: 0,
        content_size: 0,
        symlink_size: 0,
        trailing_size: 0,
        counts: EntryCounts::default(),
        files: Vec::new(),
        notes: Vec::new(),
        captured: Vec::new(),
        detected: Detected::default(),
    };
    let capture = opts.capture_metadata == crate::options::CaptureMetadata::Yes;
    let mut detect = LayerDetect::new(opts.detect == crate::options::Detect::Yes);
    let mut captured_bytes: u64 = 0;
    let shared = std::cell::RefCell::new(Shared {
        inner: stream,
        pos: 0,
        taken: 0,
    });
    let watch = std::cell::RefCell::new(WatchState::default());
    let mut archive = tar::Archive::new(Watch {
        inner: ForwardSeek(&shared),
        state: &watch,
    });
    // For the data of the entries tar-rs must decode itself (GNU sparse files).
    let mut buf: Vec<u8> = Vec::new();
    let mut entries_seen: u64 = 0;
    // 64-bit hashes of the paths seen so far (16 bytes an entry): enough to notice a
    // path repeated in the layer and a hardlink whose target is not in it.
    let mut seen_paths: HashSet<u64> = HashSet::default();
    let mut oddities = Oddities::default();
    let mut entries = archive.entries_with_seek()?;
    loop {
        watch.borrow_mut().in_headers = true;
        let next = entries.next();
        watch.borrow_mut().in_headers = false;
        let Some(entry) = next else { break };
        let mut entry = entry?;
        entries_seen += 1;
        // Entries are numbered with 32 bits in the report phase: the limit never
        // exceeds that, whatever it is set to.
        let max_entries = limits.max_entries_per_layer.min(u64::from(u32::MAX));
        if entries_seen > max_entries {
            return Err(StreamAbort::Limit {
                limit: "max_entries_per_layer",
                max: max_entries,
            }
            .into_io());
        }
        let raw_path = entry.path_bytes();
        if raw_path.len() as u64 > limits.max_path_bytes {
            return Err(StreamAbort::Limit {
                limit: "max_path_bytes",
                max: limits.max_path_bytes,
            }
            .into_io());
        }
        let path = normalize_path(&raw_path);
        let pax = watch.borrow_mut().take_pax();
        if let Some(records) = pax {
            check_pax(&records).map_err(|reason| {
                StreamAbort::ExtendedHeader {
                    entry: path.clone(),
                    reason,
                }
                .into_io()
            })?;
        }
        let header = entry.header();
        let etype = header.entry_type();
        let (_, base) = split_parent(&path);
        let mut kind = match etype {
            tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::Regular,
            tar::EntryType::GNUSparse => EntryKind::Regular,
            tar::EntryType::Directory => EntryKind::Directory,
            tar::EntryType::Symlink => EntryKind::Symlink,
            tar::EntryType::Link => EntryKind::Hardlink,
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => EntryKind::Other,
            _ => EntryKind::Other,
        };
        // Extended headers are consumed by tar-rs itself; anything left here is a member.
        if base == OPAQUE_MARKER {
            kind = EntryKind::OpaqueWhiteout;
        } else if base.starts_with(WHITEOUT_PREFIX) {
            kind = EntryKind::Whiteout;
        }
        let link_target = match kind {
            EntryKind::Symlink => entry
                .link_name_bytes()
                .map(|l| String::from_utf8_lossy(&l).into_owned()),
            EntryKind::Hardlink => entry.link_name_bytes().map(|l| normalize_path(&l)),
            _ => None,
        };
        let mode = header.mode().unwrap_or(0);
        let uid = header.uid().unwrap_or(0);
        let gid = header.gid().unwrap_or(0);
        let mtime = header.mtime().unwrap_or(0);
        let declared = entry.size();
        let mut size = 0;
        let mut digest = None;
        if kind == EntryKind::Regular {
            let entry_index = (entries_seen - 1) as u32;
            let mut grab = None;
            let mut rpm_db = false;
            let mut sniff = detect.start(&path, declared, mode);
            if capture && is_rpm_database(&path) {
                rpm_db = detect.want_rpm(&path, declared, &mut report.notes);
                if rpm_db {
                    grab = Some(Vec::with_capacity(declared as usize));
                }
            } else if capture && is_package_metadata(&path) {
                if declared > MAX_CAPTURED_FILE {
                    report.notes.push(format!(
                        "{path}: {declared} bytes, over the {MAX_CAPTURED_FILE}-byte metadata \
                         capture limit; not read"
                    ));
                } else if captured_bytes + declared > MAX_CAPTURED_PER_LAYER {
                    report.notes.push(format!(
                        "{path}: over the {MAX_CAPTURED_PER_LAYER}-byte per-layer metadata \
                         capture limit; not read"
                    ));
                } else {
                    captured_bytes += declared;
                    grab = Some(Vec::with_capacity(declared as usize));
                }
            }
            // Plain files are digested where they lie in the read-ahead buffer: one shot
            // when the whole file is there (most are), else through an XXH3 state. Both
            // give the same XXH3-128. tar-rs only decodes GNU sparse data itself.
            let in_place = matches!(etype, tar::EntryType::Regular | tar::EntryType::Continuous);
            let mut h: Option<Box<XxHash3_128>> = None;
            let mut one_shot = None;
            if in_place {
                let mut s = shared.borrow_mut();
                while size < declared {
                    let avail = match s.inner.fill_buf() {
                        Ok(b) => b,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    };
                    if avail.is_empty() {
                        break;
                    }
                    let n = (declared - size).min(avail.len() as u64) as usize;
                    let chunk = &avail[..n];
                    if size == 0 && n as u64 == declared {
                        one_shot = Some(xxh3_128(chunk));
                    } else {
                        h.get_or_insert_with(|| Box::new(XxHash3_128::new()))
                            .write(chunk);
                    }
                    if let Some(g) = &mut grab {
                        g.extend_from_slice(chunk);
                    }
                    if let Some(d) = &mut sniff {
                        if d.feed(chunk) == layerlens_sniff::Flow::Done {
                            let d = sniff.take().expect("a detector");
                            detect.finished(entry_index, &path, d, &mut report.notes);
                        }
                    }
                    s.inner.consume(n);
                    s.pos += n as u64;
                    s.taken += n as u64;
                    size += n as u64;
                }
            } else {
                if buf.is_empty() {
                    buf = vec![0u8; WALK_BUFFER];
                }
                loop {
                    let n = match entry.read(&mut buf) {
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    };
                    if n == 0 {
                        break;
                    }
                    h.get_or_insert_with(|| Box::new(XxHash3_128::new()))
                        .write(&buf[..n]);
                    if let Some(g) = &mut grab {
                        g.extend_from_slice(&buf[..n]);
                    }
                    if let Some(d) = &mut sniff {
                        if d.feed(&buf[..n]) == layerlens_sniff::Flow::Done {
                            let d = sniff.take().expect("a detector");
                            detect.finished(entry_index, &path, d, &mut report.notes);
                        }
                    }
                    size += n as u64;
                }
            }
            if size != declared {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("entry {path:?} declares {declared} bytes but has {size}"),
                ));
            }
            digest = Some(ContentDigest(match (one_shot, h) {
                (Some(d), _) => d,
                (None, Some(state)) => state.finish_128(),
                (None, None) => xxh3_128(&[]),
            }));
            report.content_size += size;
            if let Some(d) = sniff {
                detect.finished(entry_index, &path, d, &mut report.notes);
            }
            if let Some(bytes) = grab {
                let file = CapturedFile {
                    path: path.clone(),
                    bytes,
                };
                if rpm_db {
                    detect.rpm_captured(file);
                } else {
                    report.captured.push(file);
                }
            }
        }
        if kind == EntryKind::Symlink {
            report.symlink_size += entry.link_name_bytes().map_or(0, |l| l.len() as u64);
        }
        if kind == EntryKind::Hardlink {
            let target = link_target.as_deref().unwrap_or("");
            if !seen_paths.contains(&xxh3_64(target.as_bytes())) {
                Oddities::note(&mut oddities.dangling_hardlinks, &path);
            }
        }
        if !seen_paths.insert(xxh3_64(path.as_bytes())) && kind != EntryKind::Directory {
            Oddities::note(&mut oddities.repeated_paths, &path);
        }
        report.counts.add(kind);
        let record = FileRecord {
            path,
            kind,
            size,
            mode,
            uid,
            gid,
            mtime,
            link_target,
            digest,
        };
        visit(&record);
        if keep {
            report.files.push(record);
        }
    }
    report.notes.extend(oddities.into_notes());
    report.detected = detect.finish(&mut report.notes);
    // The records stay for the whole run: give back what the doubling growth of the
    // vector left unused (up to half of it).
    report.files.shrink_to_fit();
    Ok(report)
}

/// The buffered layer stream under tar-rs, shared with the walker.
///
/// tar-rs reads headers (and extension members) through [`ForwardSeek`]; the walker
/// reads a regular file's data straight out of the read-ahead buffer (`fill_buf`) and
/// digests it in place, without copying it into a buffer of its own, and records how
/// many bytes it took behind tar-rs's back. tar-rs then "seeks" to the next header:
/// the seek skips what is left (the padding) and reports the true position, which
/// tar-rs adopts. Every byte still passes the hashing taps below the buffer.
struct Shared<'s, R> {
    inner: &'s mut R,
    /// Position in the stream: every byte read, skipped or taken by the walker.
    pos: u64,
    /// Bytes taken by the walker since tar-rs last moved.
    taken: u64,
}

impl<R: io::BufRead> Shared<'_, R> {
    fn skip(&mut self, mut amt: u64) -> io::Result<u64> {
        while amt > 0 {
            let avail = match self.inner.fill_buf() {
                Ok(b) => b.len(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "unexpected EOF during skip",
                ));
            }
            let n = amt.min(avail as u64) as usize;
            self.inner.consume(n);
            self.pos += n as u64;
            amt -= n as u64;
        }
        Ok(self.pos)
    }
}

/// What tar-rs reads through: forward-only, a "seek" reads over the skipped bytes.
struct ForwardSeek<'c, 's, R>(&'c std::cell::RefCell<Shared<'s, R>>);

impl<R: io::BufRead> Read for ForwardSeek<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut s = self.0.borrow_mut();
        let n = s.inner.read(buf)?;
        s.pos += n as u64;
        Ok(n)
    }
}

impl<R: io::BufRead> io::Seek for ForwardSeek<'_, '_, R> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let mut s = self.0.borrow_mut();
        // tar-rs counts from where it last was: the walker's bytes are already past.
        let taken = std::mem::take(&mut s.taken);
        let unsupported = || {
            io::Error::new(
                io::ErrorKind::Unsupported,
                "a layer stream only moves forward",
            )
        };
        match to {
            io::SeekFrom::Current(d) if d >= 0 => {
                let d = (d as u64).checked_sub(taken).ok_or_else(unsupported)?;
                s.skip(d)
            }
            io::SeekFrom::Start(p) if p >= s.pos => {
                let pos = s.pos;
                s.skip(p - pos)
            }
            _ => Err(unsupported()),
        }
    }
}

/// Entries that are legal in a tar but odd in a layer; the analysis continues (the
/// last entry of a path wins, a dangling hardlink counts 0 bytes) and says so.
#[derive(Default)]
struct Oddities {
    repeated_paths: (u64, Option<String>),
    dangling_hardlinks: (u64, Option<String>),
}

impl Oddities {
    fn note(slot: &mut (u64, Option<String>), path: &str) {
        slot.0 += 1;
        if slot.1.is_none() {
            slot.1 = Some(path.to_string());
        }
    }

    fn into_notes(self) -> Vec<String> {
        let mut out = Vec::new();
        if let (n, Some(first)) = self.repeated_paths {
            out.push(format!(
                "{n} entries repeat a path already in this layer (first: {first:?}); the last entry of a path wins"
            ));
        }
        if let (n, Some(first)) = self.dangling_hardlinks {
            out.push(format!(
                "{n} hardlinks point to a path not earlier in this layer (first: {first:?}); they count 0 bytes"
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::layer::analyze_layer;

    fn octal(field: &mut [u8], v: u64) {
        let text = format!("{v:0w$o}\0", w = field.len() - 1);
        field.copy_from_slice(text.as_bytes());
    }

    /// A GNU sparse member is decoded by tar-rs (its data is not read in place), and
    /// the walk stays in step with the entries after it.
    #[test]
    fn gnu_sparse_members_are_expanded_and_the_walk_stays_in_step() {
        let a = [b'a'; 512];
        let b = [b'b'; 512];
        let mut out = Vec::new();
        let mut h = tar::Header::new_gnu();
        h.set_path("sparse.bin").unwrap();
        h.set_entry_type(tar::EntryType::GNUSparse);
        h.set_mode(0o644);
        h.set_size(1024);
        let g = h.as_gnu_mut().unwrap();
        octal(&mut g.realsize, 4096);
        octal(&mut g.sparse[0].offset, 0);
        octal(&mut g.sparse[0].numbytes, 512);
        octal(&mut g.sparse[1].offset, 2048);
        octal(&mut g.sparse[1].numbytes, 512);
        // GNU tar ends the map with an empty chunk at the real size.
        octal(&mut g.sparse[2].offset, 4096);
        octal(&mut g.sparse[2].numbytes, 0);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(&a);
        out.extend_from_slice(&b);
        let mut builder = tar::Builder::new(out);
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o644);
        h.set_cksum();
        builder
            .append_data(&mut h, "after.txt", &b"after"[..])
            .unwrap();
        let bytes = builder.into_inner().unwrap();

        let report = analyze_layer(&bytes[..], &Options::default(), &mut |_| {}).unwrap();
        let mut expanded = vec![0u8; 4096];
        expanded[..512].copy_from_slice(&a);
        expanded[2048..2560].copy_from_slice(&b);
        let got: Vec<(&str, u64, Option<ContentDigest>)> = report
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.size, f.digest))
            .collect();
        assert_eq!(
            got,
            [
                ("sparse.bin", 4096, Some(ContentDigest(xxh3_128(&expanded)))),
                ("after.txt", 5, Some(ContentDigest(xxh3_128(b"after")))),
            ]
        );
        assert_eq!(report.diff_id, Digest::sha256_of(&bytes));
    }
}
