//! The RPM header blob, as each database backend stores it.
//!
//! Layout (all big-endian): `il` (u32, number of index entries), `dl` (u32, bytes of
//! data), `il` × 16-byte index entries `{tag: i32, type: u32, offset: i32, count: u32}`,
//! then the `dl`-byte data store. The first entry may be a *region* tag
//! (`HEADERIMMUTABLE` 63, `HEADERSIGNATURES` 62 or `HEADERIMAGE` 61) whose 16-byte
//! trailer in the data store says how many entries the region covers; entries after the
//! region ("dribbles", added at install time) replace region entries with the same tag.
//!
//! The checks follow rpm 4.18's `hdrblobInit` (`hdrblobVerifyRegion`,
//! `hdrblobVerifyInfo`): every entry's tag, type, alignment, offset and data length are
//! verified against `dl` before anything is read, so a malformed blob is an error and
//! nothing is allocated beyond what the blob itself can justify.

use super::{normalize_path, RpmDbError, RpmFile, RpmPackage};

/// Tag numbers used here.
pub(crate) mod tag {
    pub const HEADERIMAGE: i32 = 61;
    pub const HEADERSIGNATURES: i32 = 62;
    pub const HEADERIMMUTABLE: i32 = 63;
    pub const HEADERI18NTABLE: i32 = 100;
    pub const NAME: i32 = 1000;
    pub const VERSION: i32 = 1001;
    pub const RELEASE: i32 = 1002;
    pub const EPOCH: i32 = 1003;
    pub const ARCH: i32 = 1022;
    pub const OLDFILENAMES: i32 = 1027;
    pub const FILESIZES: i32 = 1028;
    pub const FILEMODES: i32 = 1030;
    pub const DIRINDEXES: i32 = 1116;
    pub const BASENAMES: i32 = 1117;
    pub const DIRNAMES: i32 = 1118;
    pub const LONGFILESIZES: i32 = 5008;
}

/// Tag data types (`rpmTagType`).
mod ty {
    pub const NULL: u32 = 0;
    pub const CHAR: u32 = 1;
    pub const INT8: u32 = 2;
    pub const INT16: u32 = 3;
    pub const INT32: u32 = 4;
    pub const INT64: u32 = 5;
    pub const STRING: u32 = 6;
    pub const BIN: u32 = 7;
    pub const STRING_ARRAY: u32 = 8;
    pub const I18NSTRING: u32 = 9;
}

/// Size of one index entry, and of a region trailer.
const ENTRY_SIZE: usize = 16;
/// rpm's `HEADER_TAGS_MAX`: at most this many index entries.
const MAX_TAGS: u32 = 0xffff;
/// rpm's `HEADER_DATA_MAX`: at most this many data bytes (256 MiB).
const MAX_DATA: u32 = 0x0fff_ffff;
/// Output budget: the joined paths of one header may total at most
/// `PATH_BUDGET_FACTOR` × the blob's size plus `PATH_BUDGET_BASE` bytes. A directory
/// name is stored once and shared by many files, but each file also carries its own
/// digest, sizes, owners and flags, so real headers hold more bytes than their joined
/// paths (the largest ratio among CBL-Mariner 2.0's 129 headers is 0.31, `tar`); a
/// crafted header that points thousands of indexes at one long directory name would
/// otherwise turn kilobytes into gigabytes.
const PATH_BUDGET_FACTOR: usize = 4;
const PATH_BUDGET_BASE: usize = 1 << 20;

/// One verified index entry: where its data lies in the data store.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: i32,
    ty: u32,
    count: u32,
    /// Start of the data, relative to the data store.
    start: usize,
    /// Length of the data in bytes.
    len: usize,
}

/// A header blob whose index has been verified; the data of every entry is in bounds.
pub(crate) struct Header<'a> {
    /// The data store (`dl` bytes).
    store: &'a [u8],
    /// Byte offset of the data store within the blob (for error offsets).
    store_at: usize,
    /// Non-region entries, in index order (dribbles after region entries).
    entries: Vec<Entry>,
}

fn err(offset: usize, reason: impl Into<String>) -> RpmDbError {
    RpmDbError::Header {
        offset: offset as u64,
        reason: reason.into(),
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Size in bytes of one element of a fixed-size type (`None` for the string types).
fn type_size(t: u32) -> Option<usize> {
    match t {
        ty::NULL => Some(0),
        ty::CHAR | ty::INT8 | ty::BIN => Some(1),
        ty::INT16 => Some(2),
        ty::INT32 => Some(4),
        ty::INT64 => Some(8),
        _ => None,
    }
}

fn type_align(t: u32) -> usize {
    match t {
        ty::INT16 => 2,
        ty::INT32 => 4,
        ty::INT64 => 8,
        _ => 1,
    }
}

/// rpm's `dataLength`: the bytes an entry of type `t` with `count` elements occupies at
/// `start` within `store`, or `None` when it does not fit (or is a NULL/empty entry).
fn data_length(store: &[u8], t: u32, count: u32, start: usize) -> Option<usize> {
    if start > store.len() {
        return None;
    }
    let len = match t {
        ty::STRING | ty::STRING_ARRAY | ty::I18NSTRING => {
            if t == ty::STRING && count != 1 {
                return None;
            }
            // `count` NUL-terminated strings; each needs at least one byte, so a
            // count larger than the remaining bytes cannot fit.
            let rest = &store[start..];
            if count as usize > rest.len() {
                return None;
            }
            let mut pos = 0usize;
            for _ in 0..count {
                let nul = rest[pos..].iter().position(|&b| b == 0)?;
                pos += nul + 1;
            }
            pos
        }
        _ => {
            let size = type_size(t)?;
            let len = size.checked_mul(count as usize)?;
            if start.checked_add(len)? > store.len() {
                return None;
            }
            len
        }
    };
    if len == 0 {
        None
    } else {
        Some(len)
    }
}

impl<'a> Header<'a> {
    /// Verify a blob's index and region. The blob must be exactly
    /// `8 + 16 × il + dl` bytes long.
    pub(crate) fn parse(blob: &'a [u8]) -> Result<Header<'a>, RpmDbError> {
        if blob.len() < 8 {
            return Err(err(
                0,
                format!(
                    "blob of {} bytes is shorter than its 8-byte preamble",
                    blob.len()
                ),
            ));
        }
        let il = be32(blob, 0);
        let dl = be32(blob, 4);
        if il == 0 {
            return Err(err(0, "header has no tags"));
        }
        if il > MAX_TAGS {
            return Err(err(
                0,
                format!("{il} index entries exceed rpm's limit of {MAX_TAGS}"),
            ));
        }
        if dl > MAX_DATA {
            return Err(err(
                4,
                format!("{dl} data bytes exceed rpm's limit of {MAX_DATA}"),
            ));
        }
        let index_len = il as usize * ENTRY_SIZE;
        let store_at = 8 + index_len;
        let want = store_at + dl as usize;
        if blob.len() < want {
            return Err(err(
                blob.len(),
                format!(
                    "blob is truncated: {} bytes, il={il} dl={dl} need {want}",
                    blob.len()
                ),
            ));
        }
        if blob.len() > want {
            return Err(err(
                want,
                format!("{} trailing bytes after the header", blob.len() - want),
            ));
        }
        let index = &blob[8..store_at];
        let store = &blob[store_at..];
        let dl = dl as usize;

        let raw = |i: usize| -> (i32, u32, i32, u32) {
            let at = i * ENTRY_SIZE;
            (
                be32(index, at) as i32,
                be32(index, at + 4),
                be32(index, at + 8) as i32,
                be32(index, at + 12),
            )
        };
        let entry_at = |i: usize| 8 + i * ENTRY_SIZE;

        // Region (hdrblobVerifyRegion).
        let (first_tag, first_ty, first_off, first_count) = raw(0);
        let mut region: Option<(i32, usize)> = None; // (tag, rdl)
        if matches!(
            first_tag,
            tag::HEADERIMAGE | tag::HEADERSIGNATURES | tag::HEADERIMMUTABLE
        ) {
            if first_ty != ty::BIN || first_count as usize != ENTRY_SIZE {
                return Err(err(entry_at(0), format!(
                    "region tag {first_tag} has type {first_ty} count {first_count}, want type 7 count 16"
                )));
            }
            if first_off < 0 || first_off as usize + ENTRY_SIZE > dl {
                return Err(err(
                    entry_at(0),
                    format!("region trailer offset {first_off} is outside the {dl}-byte data"),
                ));
            }
            let t = first_off as usize;
            let mut ttag = be32(store, t) as i32;
            let tty = be32(store, t + 4);
            let toff = be32(store, t + 8) as i32;
            let tcount = be32(store, t + 12);
            if first_tag == tag::HEADERSIGNATURES && ttag == tag::HEADERIMAGE {
                ttag = tag::HEADERSIGNATURES;
            }
            if ttag != first_tag || tty != ty::BIN || tcount as usize != ENTRY_SIZE {
                return Err(err(store_at + t, format!(
                    "region trailer tag {ttag} type {tty} count {tcount} does not match region tag {first_tag}"
                )));
            }
            let neg = (toff as i64).checked_neg().unwrap_or(-1);
            if neg < 0 || neg % ENTRY_SIZE as i64 != 0 {
                return Err(err(
                    store_at + t + 8,
                    format!("region trailer offset {toff} is not -16 × entries"),
                ));
            }
            let ril = (neg / ENTRY_SIZE as i64) as u64;
            if ril < 1 || ril > il as u64 {
                return Err(err(
                    store_at + t + 8,
                    format!("region covers {ril} entries of {il}"),
                ));
            }
            let rdl = t + ENTRY_SIZE;
            region = Some((first_tag, rdl));
        }

        // Index entries (hdrblobVerifyInfo).
        let skip = usize::from(region.is_some());
        let mut entries = Vec::with_capacity(il as usize - skip);
        let mut end = 0usize;
        for i in skip..il as usize {
            let (t, typ, off, count) = raw(i);
            let at = entry_at(i);
            if off < 0 || off as usize > dl {
                return Err(err(
                    at + 8,
                    format!("tag {t}: data offset {off} is outside the {dl}-byte data"),
                ));
            }
            let off = off as usize;
            if end > off {
                return Err(err(
                    at + 8,
                    format!("tag {t}: data at {off} overlaps the previous entry's (ends at {end})"),
                ));
            }
            if t < tag::HEADERI18NTABLE {
                return Err(err(
                    at,
                    format!("tag {t} is below {}", tag::HEADERI18NTABLE),
                ));
            }
            if typ > ty::I18NSTRING {
                return Err(err(at + 4, format!("tag {t}: unknown type {typ}")));
            }
            if off % type_align(typ) != 0 {
                return Err(err(
                    at + 8,
                    format!("tag {t}: offset {off} is misaligned for type {typ}"),
                ));
            }
            let len = data_length(store, typ, count, off).ok_or_else(|| {
                err(at + 12, format!("tag {t}: {count} elements of type {typ} at {off} do not fit in the {dl}-byte data"))
            })?;
            end = off + len;
            if let Some((_, rdl)) = region {
                if end > rdl - ENTRY_SIZE && off < rdl {
                    return Err(err(
                        at + 8,
                        format!("tag {t}: data overlaps the region trailer"),
                    ));
                }
            }
            entries.push(Entry {
                tag: t,
                ty: typ,
                count,
                start: off,
                len,
            });
        }
        Ok(Header {
            store,
            store_at,
            entries,
        })
    }

    /// The last entry with this tag (dribbles override the region).
    fn find(&self, t: i32) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.tag == t)
    }

    fn data(&self, e: &Entry) -> &'a [u8] {
        &self.store[e.start..e.start + e.len]
    }

    fn type_err(&self, e: &Entry, want: &str) -> RpmDbError {
        err(
            self.store_at + e.start,
            format!("tag {} has type {}, want {want}", e.tag, e.ty),
        )
    }

    /// A single string (STRING; I18NSTRING and STRING_ARRAY give their first element).
    pub(crate) fn string(&self, t: i32) -> Result<Option<String>, RpmDbError> {
        let Some(e) = self.find(t) else {
            return Ok(None);
        };
        match e.ty {
            ty::STRING | ty::I18NSTRING | ty::STRING_ARRAY => {
                let d = self.data(e);
                let nul = d.iter().position(|&b| b == 0).unwrap_or(d.len());
                Ok(Some(String::from_utf8_lossy(&d[..nul]).into_owned()))
            }
            _ => Err(self.type_err(e, "a string")),
        }
    }

    /// A string array, as byte slices (without their NULs).
    pub(crate) fn string_array(&self, t: i32) -> Result<Option<Vec<&'a [u8]>>, RpmDbError> {
        let Some(e) = self.find(t) else {
            return Ok(None);
        };
        if e.ty != ty::STRING_ARRAY {
            return Err(self.type_err(e, "a string array"));
        }
        // Verified: exactly `count` NUL-terminated strings.
        let d = self.data(e);
        let out: Vec<&[u8]> = d[..d.len() - 1].split(|&b| b == 0).collect();
        debug_assert_eq!(out.len(), e.count as usize);
        Ok(Some(out))
    }

    /// An integer array of the given type, widened to u64 (unsigned, as rpm prints
    /// sizes and modes).
    fn ints(&self, t: i32, want: u32) -> Result<Option<Vec<u64>>, RpmDbError> {
        let Some(e) = self.find(t) else {
            return Ok(None);
        };
        if e.ty != want {
            return Err(self.type_err(e, &format!("type {want}")));
        }
        let d = self.data(e);
        let v = match want {
            ty::INT16 => d
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]) as u64)
                .collect(),
            ty::INT32 => d
                .chunks_exact(4)
                .map(|c| u32::from_be_bytes(c.try_into().unwrap()) as u64)
                .collect(),
            ty::INT64 => d
                .chunks_exact(8)
                .map(|c| u64::from_be_bytes(c.try_into().unwrap()))
                .collect(),
            _ => unreachable!("ints() is called with integer types only"),
        };
        Ok(Some(v))
    }

    fn int32_first(&self, t: i32) -> Result<Option<u32>, RpmDbError> {
        Ok(self
            .ints(t, ty::INT32)?
            .and_then(|v| v.first().map(|&x| x as u32)))
    }

    fn required(&self, t: i32, what: &str) -> Result<String, RpmDbError> {
        self.string(t)?
            .ok_or_else(|| err(0, format!("header has no {what} tag ({t})")))
    }

    /// Count mismatch error for a file-list tag.
    fn count_err(&self, t: i32, got: usize, want: usize) -> RpmDbError {
        let at = self.find(t).map_or(0, |e| self.store_at + e.start);
        err(
            at,
            format!("tag {t} has {got} elements, the file list has {want}"),
        )
    }

    /// Build the package.
    pub(crate) fn package(&self) -> Result<RpmPackage, RpmDbError> {
        let name = self.required(tag::NAME, "NAME")?;
        let version = self.required(tag::VERSION, "VERSION")?;
        let release = self.required(tag::RELEASE, "RELEASE")?;
        let epoch = self.int32_first(tag::EPOCH)?;
        let arch = self.string(tag::ARCH)?.unwrap_or_default();
        let files = self.files()?;
        Ok(RpmPackage {
            name,
            epoch,
            version,
            release,
            arch,
            files,
        })
    }

    fn files(&self) -> Result<Vec<RpmFile>, RpmDbError> {
        // Full paths: BASENAMES + DIRNAMES + DIRINDEXES, or legacy OLDFILENAMES.
        let budget = PATH_BUDGET_FACTOR * (self.store.len() + self.store_at) + PATH_BUDGET_BASE;
        let mut spent = 0usize;
        let mut spend = |n: usize| -> Result<(), RpmDbError> {
            spent += n;
            if spent > budget {
                Err(RpmDbError::LimitExceeded {
                    what: "total length of the file paths of one header",
                    limit: budget as u64,
                })
            } else {
                Ok(())
            }
        };
        let mut paths: Vec<String> = match self.string_array(tag::BASENAMES)? {
            Some(base) => {
                let dirs = self
                    .string_array(tag::DIRNAMES)?
                    .ok_or_else(|| err(0, "header has BASENAMES but no DIRNAMES"))?;
                let idx = self
                    .ints(tag::DIRINDEXES, ty::INT32)?
                    .ok_or_else(|| err(0, "header has BASENAMES but no DIRINDEXES"))?;
                if idx.len() != base.len() {
                    return Err(self.count_err(tag::DIRINDEXES, idx.len(), base.len()));
                }
                let mut out = Vec::with_capacity(base.len());
                let mut joined = Vec::new();
                for (b, &d) in base.iter().zip(&idx) {
                    let dir = dirs.get(d as usize).ok_or_else(|| {
                        err(
                            0,
                            format!("dir index {d} is out of range ({} dirnames)", dirs.len()),
                        )
                    })?;
                    spend(dir.len() + b.len())?;
                    joined.clear();
                    joined.extend_from_slice(dir);
                    if !dir.ends_with(b"/") {
                        joined.push(b'/');
                    }
                    joined.extend_from_slice(b);
                    out.push(normalize_path(&joined));
                }
                out
            }
            None => match self.string_array(tag::OLDFILENAMES)? {
                Some(old) => old.iter().map(|p| normalize_path(p)).collect(),
                None => Vec::new(),
            },
        };
        let n = paths.len();
        if n == 0 {
            return Ok(Vec::new());
        }
        let sizes = match self.ints(tag::LONGFILESIZES, ty::INT64)? {
            Some(v) => (tag::LONGFILESIZES, v),
            None => (
                tag::FILESIZES,
                self.ints(tag::FILESIZES, ty::INT32)?
                    .ok_or_else(|| err(0, "header lists files but has no FILESIZES"))?,
            ),
        };
        if sizes.1.len() != n {
            return Err(self.count_err(sizes.0, sizes.1.len(), n));
        }
        let modes = self
            .ints(tag::FILEMODES, ty::INT16)?
            .ok_or_else(|| err(0, "header lists files but has no FILEMODES"))?;
        if modes.len() != n {
            return Err(self.count_err(tag::FILEMODES, modes.len(), n));
        }
        Ok(paths
            .drain(..)
            .zip(sizes.1)
            .zip(modes)
            .map(|((path, size), mode)| RpmFile {
                path,
                size,
                mode: mode as u16,
            })
            .collect())
    }
}
