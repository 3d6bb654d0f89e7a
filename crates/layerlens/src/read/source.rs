//! Inputs as member stores: an outer tar indexed for positional reads, a directory, or a
//! single streaming pass over a compressed archive or standard input.
//!
//! Every archive shape only has to answer two questions: which members hold which
//! bytes, and which of them are the metadata. A [`Store`] answers both for any input,
//! so the metadata readers (`manifest.rs`) never care where the bytes live. An image
//! store on the host (`store/`) is a directory told apart by what it holds.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Location, Result};
use crate::options::Options;
use crate::read::layer::{self, Compression, LayerReport};
use crate::read::store::{self, tarsplit::TarSplitLayer, Host};
use crate::read::tarext::{check_pax, Watch, WatchState};

/// What one member of an input is.
#[derive(Debug, Clone)]
pub(crate) enum Member {
    /// Bytes at `offset..offset+len` of the outer tar file.
    Range { offset: u64, len: u64 },
    /// A file of an input directory.
    File { path: PathBuf, len: u64 },
    /// A symlink or hardlink to another member (already a normalised member path).
    Link(String),
    /// A small member kept in memory during a streaming pass (JSON and the like).
    Buffered(Arc<Vec<u8>>),
    /// A layer-like blob analysed as it streamed past.
    Analyzed(Arc<std::result::Result<LayerReport, Arc<Error>>>),
    /// A blob that streamed past and is neither JSON nor a layer; only its size and
    /// digest are known.
    Opaque { len: u64 },
    /// A file of an image store on the host, at its member path below the store root.
    StoreFile { len: u64 },
    /// A layer an image store keeps unpacked, rebuilt from its tar-split.
    TarSplit(Arc<TarSplitLayer>),
}

/// How an input is read.
#[derive(Debug)]
pub(crate) enum Backing {
    /// An uncompressed tar file: members are read with positional reads.
    TarFile(Arc<File>),
    /// A directory on disk.
    Dir,
    /// A single pass that has already happened (stdin, compressed archives).
    Streamed,
    /// An image store on the host (Docker, containerd, containers-storage), read in place.
    Host(Arc<Host>),
}

/// One input: its name, how it is read and its members.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) input: String,
    pub(crate) backing: Backing,
    pub(crate) members: BTreeMap<String, Member>,
}

const MAX_LINK_HOPS: usize = 16;

impl Store {
    pub(crate) fn at(&self, member: &str) -> Location {
        Location::new(&self.input).with_member(member)
    }

    pub(crate) fn contains(&self, path: &str) -> bool {
        self.resolve(path).is_ok()
    }

    /// Follow links to the member that holds the bytes.
    pub(crate) fn resolve<'a>(&'a self, path: &str) -> Result<(String, &'a Member)> {
        let mut current = layer::normalize_path(path.as_bytes());
        for _ in 0..MAX_LINK_HOPS {
            match self.members.get(&current) {
                Some(Member::Link(target)) => current = target.clone(),
                Some(m) => return Ok((current, m)),
                None => {
                    return Err(Error::MissingMember {
                        at: Location::new(&self.input),
                        missing: current,
                    })
                }
            }
        }
        Err(Error::Malformed {
            at: self.at(path),
            reason: format!("more than {MAX_LINK_HOPS} links to follow (a link loop?)"),
        })
    }

    /// Read a small member (JSON) into memory, at most `max` bytes.
    pub(crate) fn read_small(&self, path: &str, max: u64) -> Result<Vec<u8>> {
        let (resolved, member) = self.resolve(path)?;
        let at = self.at(&resolved);
        let too_big = |len: u64| -> Result<()> {
            if len > max {
                Err(Error::LimitExceeded {
                    at: at.clone(),
                    limit: "max_json_bytes",
                    max,
                })
            } else {
                Ok(())
            }
        };
        match member {
            Member::Buffered(bytes) => Ok(bytes.as_ref().clone()),
            Member::Range { len, .. } | Member::File { len, .. } | Member::StoreFile { len } => {
                too_big(*len)?;
                let mut out = Vec::with_capacity(*len as usize);
                self.open(&resolved)?
                    .read_to_end(&mut out)
                    .map_err(|e| Error::from_io(at.clone(), e))?;
                Ok(out)
            }
            Member::Analyzed(_) | Member::Opaque { .. } | Member::TarSplit(_) => {
                Err(Error::Malformed {
                    at,
                    reason: "expected a JSON document, found a binary blob".into(),
                })
            }
            Member::Link(_) => unreachable!("resolve follows links"),
        }
    }

    /// Open a member for reading (seekable inputs only).
    pub(crate) fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>> {
        let (resolved, member) = self.resolve(path)?;
        match (member, &self.backing) {
            (Member::Range { offset, len }, Backing::TarFile(file)) => Ok(Box::new(RangeReader {
                file: file.clone(),
                pos: *offset,
                end: offset + len,
            })),
            (Member::File { path, .. }, _) => {
                let f = File::open(path).map_err(|e| Error::io(self.at(&resolved), e))?;
                Ok(Box::new(f))
            }
            (Member::Buffered(bytes), _) => Ok(Box::new(io::Cursor::new(bytes.as_ref().clone()))),
            (Member::StoreFile { .. }, Backing::Host(host)) => {
                let (f, _) = host
                    .root
                    .open(&resolved)
                    .map_err(|e| Error::from_io(self.at(&resolved), e.into_io()))?;
                Ok(Box::new(f))
            }
            (Member::TarSplit(layer), Backing::Host(host)) => {
                let stream =
                    store::tarsplit::Rebuild::open(host.root.clone(), layer, host.max_line)
                        .map_err(|e| Error::from_io(self.at(&resolved), e))?;
                Ok(Box::new(stream))
            }
            _ => Err(Error::Malformed {
                at: self.at(&resolved),
                reason: "member cannot be re-read from a streamed input".into(),
            }),
        }
    }

    /// The stored size of a member.
    pub(crate) fn len(&self, path: &str) -> Result<u64> {
        let (_, member) = self.resolve(path)?;
        Ok(match member {
            Member::Range { len, .. }
            | Member::File { len, .. }
            | Member::Opaque { len, .. }
            | Member::StoreFile { len } => *len,
            Member::TarSplit(layer) => layer.len,
            Member::Buffered(b) => b.len() as u64,
            Member::Analyzed(r) => match r.as_ref() {
                Ok(rep) => rep.stored_size,
                Err(_) => 0,
            },
            Member::Link(_) => 0,
        })
    }
}

impl Store {
    /// The compression of a stored blob, from its first bytes.
    pub(crate) fn compression(&self, path: &str) -> Result<Compression> {
        let (resolved, member) = self.resolve(path)?;
        match member {
            Member::Analyzed(r) => Ok(r
                .as_ref()
                .as_ref()
                .map_or(Compression::None, |r| r.compression)),
            // a rebuilt layer is the uncompressed tar
            Member::Opaque { .. } | Member::TarSplit(_) => Ok(Compression::None),
            _ => {
                let mut head = [0u8; 4];
                let mut reader = self.open(&resolved)?;
                let n = layer::read_full(&mut reader, &mut head)
                    .map_err(|e| Error::from_io(self.at(&resolved), e))?;
                Ok(Compression::sniff(&head[..n]))
            }
        }
    }
}

/// Positional reads over a range of a shared file: many threads read different layers
/// of one archive without contending for a file cursor.
struct RangeReader {
    file: Arc<File>,
    pos: u64,
    end: u64,
}

impl Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (self.end - self.pos).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = read_at(&self.file, &mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive ends inside this member",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

/// Resolve a link target relative to the member that holds it.
fn link_target(member: &str, target: &[u8], symlink: bool) -> String {
    let target = String::from_utf8_lossy(target);
    if symlink && !target.starts_with('/') {
        let (dir, _) = layer::split_parent(member);
        layer::normalize_path(format!("{dir}/{target}").as_bytes())
    } else {
        // Hardlinks name a path from the archive root; absolute symlinks stay inside it.
        layer::normalize_path(target.as_bytes())
    }
}

/// Open an input by what its bytes are, never by its name: a directory, `-` for
/// standard input, an uncompressed tar (indexed), or a gzip/zstd-compressed tar
/// (streamed once).
pub(crate) fn open_input(input: &str, opts: &Options) -> Result<Store> {
    let at = Location::new(input);
    if input == "-" {
        let stdin = io::stdin().lock();
        return scan_stream(input, Box::new(stdin), opts);
    }
    let path = Path::new(input);
    let meta = std::fs::metadata(path).map_err(|e| Error::io(at.clone(), e))?;
    if meta.is_dir() {
        if let Some(kind) = store::detect(path) {
            return store::open(input, path, kind, opts);
        }
        return scan_dir(input, path, opts);
    }
    let mut file = File::open(path).map_err(|e| Error::io(at.clone(), e))?;
    let mut head = [0u8; layer::SNIFF_LEN];
    let n = layer::read_full(&mut file, &mut head).map_err(|e| Error::from_io(at.clone(), e))?;
    let head = &head[..n];
    match Compression::sniff(head) {
        Compression::Gzip | Compression::Zstd => {
            file.rewind().map_err(|e| Error::io(at, e))?;
            scan_stream(input, Box::new(file), opts)
        }
        Compression::None if n == 0 => Err(Error::UnknownFormat {
            at,
            reason: "the file is empty".into(),
        }),
        Compression::None if layer::looks_like_tar(head) => index_tar(input, file, opts),
        Compression::None => Err(Error::UnknownFormat {
            at,
            reason: "neither a tar archive, a gzip or zstd stream, nor a directory".into(),
        }),
    }
}

/// Index an uncompressed tar: headers only, seeking over data.
fn index_tar(input: &str, file: File, opts: &Options) -> Result<Store> {
    let at = Location::new(input);
    let shared = Arc::new(file.try_clone().map_err(|e| Error::io(at.clone(), e))?);
    let mut reader = BufReader::with_capacity(64 << 10, file);
    reader.rewind().map_err(|e| Error::io(at.clone(), e))?;
    let file_len = shared.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
    let watch = RefCell::new(WatchState::default());
    let mut archive = tar::Archive::new(Watch {
        inner: reader,
        state: &watch,
    });
    let mut members = BTreeMap::new();
    let mut entries = archive
        .entries_with_seek()
        .map_err(|e| Error::from_io(at.clone(), e))?;
    let mut previous: Option<String> = None;
    loop {
        watch.borrow_mut().in_headers = true;
        let next = entries.next();
        watch.borrow_mut().in_headers = false;
        let Some(entry) = next else { break };
        let entry = entry.map_err(|e| match &previous {
            Some(p) => outer_error(&at, e, Some(p)),
            None => extension_error(Error::from_io(at.clone(), e)),
        })?;
        if opts.interrupted() {
            return Err(Error::Interrupted);
        }
        let path = layer::normalize_path(&entry.path_bytes());
        let mat = at.clone().with_member(&path);
        check_records(&watch, &mat)?;
        add_member(&mut members, &path, opts, &mat)?;
        previous = Some(path.clone());
        let offset = entry.raw_file_position();
        let len = entry.size();
        if offset.checked_add(len).is_none_or(|end| end > file_len) {
            return Err(Error::Malformed {
                at: mat,
                reason: format!(
                    "member of {len} bytes at offset {offset} runs past the end of the archive ({file_len} bytes)"
                ),
            });
        }
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                members.insert(path, Member::Range { offset, len });
            }
            t @ (tar::EntryType::Symlink | tar::EntryType::Link) => {
                if let Some(target) = entry.link_name_bytes() {
                    let target = link_target(&path, &target, t == tar::EntryType::Symlink);
                    members.insert(path, Member::Link(target));
                }
            }
            _ => {}
        }
    }
    Ok(Store {
        input: input.to_string(),
        backing: Backing::TarFile(shared),
        members,
    })
}

fn add_member(
    members: &mut BTreeMap<String, Member>,
    path: &str,
    opts: &Options,
    at: &Location,
) -> Result<()> {
    if members.len() as u64 >= opts.limits.max_members {
        return Err(Error::LimitExceeded {
            at: at.clone(),
            limit: "max_members",
            max: opts.limits.max_members,
        });
    }
    if path.len() as u64 > opts.limits.max_path_bytes {
        return Err(Error::LimitExceeded {
            at: at.clone(),
            limit: "max_path_bytes",
            max: opts.limits.max_path_bytes,
        });
    }
    Ok(())
}

/// A directory: an OCI layout, or an extracted `docker save`.
fn scan_dir(input: &str, root: &Path, opts: &Options) -> Result<Store> {
    let mut members = BTreeMap::new();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0u32)];
    while let Some((dir, prefix, depth)) = stack.pop() {
        let at = Location::new(input).with_member(&prefix);
        if depth > 64 {
            return Err(Error::LimitExceeded {
                at,
                limit: "directory depth",
                max: 64,
            });
        }
        let rd = std::fs::read_dir(&dir).map_err(|e| Error::io(at.clone(), e))?;
        for ent in rd {
            let ent = ent.map_err(|e| Error::io(at.clone(), e))?;
            let name = ent.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let mat = Location::new(input).with_member(&rel);
            add_member(&mut members, &rel, opts, &mat)?;
            // Never follow links on the host: a link is a member pointing at another member.
            let ft = ent.file_type().map_err(|e| Error::io(mat.clone(), e))?;
            if ft.is_symlink() {
                let target =
                    std::fs::read_link(ent.path()).map_err(|e| Error::io(mat.clone(), e))?;
                let target = link_target(&rel, target.to_string_lossy().as_bytes(), true);
                members.insert(rel, Member::Link(target));
            } else if ft.is_dir() {
                stack.push((ent.path(), rel, depth + 1));
            } else if ft.is_file() {
                let len = ent.metadata().map(|m| m.len()).unwrap_or(0);
                members.insert(
                    rel,
                    Member::File {
                        path: ent.path(),
                        len,
                    },
                );
            }
        }
    }
    Ok(Store {
        input: input.to_string(),
        backing: Backing::Dir,
        members,
    })
}

/// One sequential pass over a (possibly compressed) archive: metadata comes last in
/// every writer's output, so each layer-like blob is analysed as it passes and joined
/// with the metadata afterwards.
pub(crate) fn scan_stream(input: &str, raw: Box<dyn Read + '_>, opts: &Options) -> Result<Store> {
    let at = Location::new(input);
    // Checks the interrupt flag on every read, even inside members nobody parses.
    let mut raw = layer::Tap::new(raw, false, u64::MAX, "max_layer_bytes", opts);
    let mut head = [0u8; 4];
    let n = layer::read_full(&mut raw, &mut head).map_err(|e| Error::from_io(at.clone(), e))?;
    let outer_compression = Compression::sniff(&head[..n]);
    let rejoined = io::Cursor::new(head[..n].to_vec()).chain(raw);
    let decoded: Box<dyn Read> = match outer_compression {
        Compression::None => Box::new(rejoined),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            128 << 10,
            rejoined,
        ))),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::new(rejoined)
                .map_err(|e| Error::from_io(at.clone(), e))?,
        ),
    };
    let watch = RefCell::new(WatchState::default());
    let mut archive = tar::Archive::new(Watch {
        inner: BufReader::with_capacity(256 << 10, decoded),
        state: &watch,
    });
    let mut members = BTreeMap::new();
    let mut entries = archive
        .entries()
        .map_err(|e| Error::from_io(at.clone(), e))?;
    let mut seen_any = false;
    let mut buffered_total: u64 = 0;
    let mut previous: Option<String> = None;
    loop {
        watch.borrow_mut().in_headers = true;
        let next = entries.next();
        watch.borrow_mut().in_headers = false;
        let Some(entry) = next else { break };
        let mut entry = entry.map_err(|e| outer_error(&at, e, previous.as_deref()))?;
        seen_any = true;
        if opts.interrupted() {
            return Err(Error::Interrupted);
        }
        let path = layer::normalize_path(&entry.path_bytes());
        let mat = at.clone().with_member(&path);
        check_records(&watch, &mat)?;
        add_member(&mut members, &path, opts, &mat)?;
        previous = Some(path.clone());
        let etype = entry.header().entry_type();
        match etype {
            tar::EntryType::Symlink | tar::EntryType::Link => {
                if let Some(target) = entry.link_name_bytes() {
                    let target = link_target(&path, &target, etype == tar::EntryType::Symlink);
                    members.insert(path, Member::Link(target));
                }
                continue;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            _ => continue,
        }
        let len = entry.size();
        let mut head = vec![0u8; layer::SNIFF_LEN];
        let got =
            layer::read_full(&mut entry, &mut head).map_err(|e| Error::from_io(mat.clone(), e))?;
        head.truncate(got);
        let first = head.iter().copied().find(|b| !b.is_ascii_whitespace());
        let is_json = matches!(first, Some(b'{') | Some(b'['));
        let compression = Compression::sniff(&head);
        let member = if (is_json || len <= 4096) && len <= opts.limits.max_json_bytes {
            let mut bytes = head;
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| Error::from_io(mat.clone(), e))?;
            buffered_total += bytes.len() as u64;
            if buffered_total > opts.limits.max_buffered_bytes {
                return Err(Error::LimitExceeded {
                    at: mat,
                    limit: "max_buffered_bytes",
                    max: opts.limits.max_buffered_bytes,
                });
            }
            Member::Buffered(Arc::new(bytes))
        } else if compression != Compression::None || layer::looks_like_tar(&head) {
            let chained = io::Cursor::new(head).chain(&mut entry);
            let mut visit = opts.visit_fn(input, &path);
            let result = layer::analyze_layer_inner(chained, opts, &mut visit, true)
                .map_err(|e| Arc::new(Error::from_io(mat.clone(), e)));
            if let Err(e) = &result {
                if matches!(e.as_ref(), Error::Interrupted | Error::LimitExceeded { .. }) {
                    return Err(Arc::try_unwrap(e.clone()).unwrap_or_else(|e| (*e).clone()));
                }
            }
            // Whatever the layer parser left unread still belongs to this member.
            io::copy(&mut entry, &mut io::sink()).map_err(|e| Error::from_io(mat.clone(), e))?;
            Member::Analyzed(Arc::new(result))
        } else {
            io::copy(&mut entry, &mut io::sink()).map_err(|e| Error::from_io(mat.clone(), e))?;
            Member::Opaque { len }
        };
        members.insert(path, member);
    }
    if !seen_any {
        return Err(Error::UnknownFormat {
            at,
            reason: "the stream holds no tar members".into(),
        });
    }
    Ok(Store {
        input: input.to_string(),
        backing: Backing::Streamed,
        members,
    })
}

/// The pax records read for the member at `at`, checked (see `tarext`).
fn check_records(watch: &RefCell<WatchState>, at: &Location) -> Result<()> {
    let records = watch.borrow_mut().take_pax();
    match records.map(|r| check_pax(&r)) {
        Some(Err(reason)) => Err(Error::ExtendedHeader {
            at: at.clone(),
            entry: None,
            reason,
        }),
        _ => Ok(()),
    }
}

/// In the outer archive, an extension member stopped before it was read is itself the
/// member to name.
fn extension_error(e: Error) -> Error {
    match e {
        Error::ExtendedHeader {
            at,
            entry: Some(entry),
            reason,
        } => Error::ExtendedHeader {
            at: at.with_member(entry),
            entry: None,
            reason,
        },
        other => other,
    }
}

/// An error of the outer tar itself: before any member it is not a tar at all; after
/// one, it names the member the reader was in or just past (a truncated member is only
/// noticed when the reader skips to the next header).
fn outer_error(at: &Location, e: io::Error, previous: Option<&str>) -> Error {
    let Some(previous) = previous else {
        if is_extension_abort(&e) {
            return extension_error(Error::from_io(at.clone(), e));
        }
        if e.kind() != io::ErrorKind::UnexpectedEof {
            return Error::UnknownFormat {
                at: at.clone(),
                reason: format!("not a tar stream: {e}"),
            };
        }
        return Error::from_io(at.clone(), e);
    };
    match extension_error(Error::from_io(at.clone().with_member(previous), e)) {
        Error::Malformed { at, reason } => Error::Malformed {
            at,
            reason: format!("{reason} (reading this member or the header after it)"),
        },
        other => other,
    }
}

/// Whether a reader error is an extension member stopped by `tarext`.
fn is_extension_abort(e: &io::Error) -> bool {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<crate::error::StreamAbort>())
        .is_some_and(|a| matches!(a, crate::error::StreamAbort::ExtendedHeader { .. }))
}
