//! A small read-only reader of bbolt database files (etcd-io/bbolt), enough for
//! containerd's `meta.db`.
//!
//! The file is opened read-only and **not locked** (bbolt's own read-only mode takes a
//! shared `flock`, which waits while containerd holds its exclusive one) and not
//! mapped: pages are read with positional reads as they are needed.
//!
//! Format (file version 2): an array of `page_size` pages, each with a 16-byte header
//! `id u64, flags u16, count u16, overflow u32` (little-endian; a page spans `overflow`
//! more pages). Pages 0 and 1 are meta pages: `magic 0xED0CDAED, version 2, page_size,
//! flags, root {pgid, sequence}, freelist, pgid (high-water mark), txid, checksum`
//! (FNV-1a 64 of the 56 bytes before it); the valid one with the higher txid is
//! current. Branch pages hold `count` elements `pos u32, ksize u32, pgid u64`; leaf
//! pages `flags u32, pos u32, ksize u32, vsize u32`, the key and value at `element
//! offset + pos`. A leaf value with flag 1 is a bucket `root u64, sequence u64`,
//! followed by an inline leaf page when `root == 0`.
//!
//! bbolt never overwrites the pages of the last committed transaction, but a commit
//! can reuse pages it freed: a read while containerd writes may meet a page of a newer
//! transaction. That shows as an error (page id, flags or positions out of place),
//! never as a panic or a silently wrong answer about structure.

use std::collections::HashSet;
use std::fs::File;
use std::sync::Arc;

use super::fs::Root;

const MAGIC: u32 = 0xED0C_DAED;
const HEADER: usize = 16;
const ELEMENT: usize = 16;
const BRANCH: u16 = 0x01;
const LEAF: u16 = 0x02;
const META: u16 = 0x04;
/// The largest page extent (with its overflow) read.
const MAX_PAGE_BYTES: u64 = 64 << 20;
/// The deepest tree followed.
const MAX_DEPTH: usize = 32;

/// What is wrong with a database file, in words (the caller names the file).
pub(crate) type BoltResult<T> = std::result::Result<T, String>;

/// A bucket handle.
#[derive(Debug, Clone)]
pub(crate) enum Bucket {
    Page(u64),
    /// An inline bucket's leaf page.
    Inline(Arc<[u8]>),
}

/// A value in a bucket.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Bytes(Vec<u8>),
    Bucket(Bucket),
}

/// A bbolt file, open read-only.
pub(crate) struct Db {
    file: File,
    len: u64,
    page_size: u64,
    root: u64,
    /// Pages at or above this id are not part of the database.
    high_water: u64,
}

fn fnv1a64(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn le<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}
fn u16_at(b: &[u8], at: usize) -> u16 {
    le(b, at).map_or(0, u16::from_le_bytes)
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    le(b, at).map(u32::from_le_bytes)
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    le(b, at).map(u64::from_le_bytes)
}

fn read_exact_at(f: &File, buf: &mut [u8], off: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    return std::os::unix::fs::FileExt::read_exact_at(f, buf, off);
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n =
                std::os::windows::fs::FileExt::seek_read(f, &mut buf[done..], off + done as u64)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

/// (page size, root page, high-water mark, txid) of a valid meta page.
fn parse_meta(page: &[u8]) -> BoltResult<(u64, u64, u64, u64)> {
    if u16_at(page, 8) & META == 0 {
        return Err("not a meta page".into());
    }
    let m = page.get(HEADER..HEADER + 64).ok_or("short meta page")?;
    let (magic, version) = (u32_at(m, 0), u32_at(m, 4));
    if magic != Some(MAGIC) || version != Some(2) {
        return Err(format!("magic {magic:x?}, version {version:?}"));
    }
    if u64_at(m, 56) != Some(fnv1a64(&m[..56])) {
        return Err("meta checksum mismatch".into());
    }
    let page_size = u64::from(u32_at(m, 8).unwrap_or(0));
    if !(512..=1 << 20).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("page size {page_size}"));
    }
    let get = |at| u64_at(m, at).unwrap_or(0);
    Ok((page_size, get(16), get(40), get(48)))
}

impl Db {
    /// Open `rel` below `root`, read-only, without locking it.
    pub(crate) fn open(root: &Root, rel: &str) -> BoltResult<Db> {
        let (file, len) = root.open(rel).map_err(|e| e.to_string())?;
        let mut head = [0u8; HEADER + 64];
        let mut meta_at = |off: u64| -> BoltResult<(u64, u64, u64, u64)> {
            if off + head.len() as u64 > len {
                return Err("file too short".into());
            }
            read_exact_at(&file, &mut head, off).map_err(|e| e.to_string())?;
            parse_meta(&head)
        };
        let m0 = meta_at(0);
        // meta 1 is one page further; when meta 0 is damaged, try the usual sizes
        let sizes: Vec<u64> = match &m0 {
            Ok(m) => vec![m.0],
            Err(_) => vec![4096, 8192, 16384, 32768, 65536, 1024, 2048, 512],
        };
        let m1 = sizes
            .iter()
            .find_map(|&ps| meta_at(ps).ok().filter(|m| m.0 == ps))
            .ok_or_else(|| "no valid meta page 1".to_string());
        let (page_size, root_page, high_water, _) = match (m0, m1) {
            (Ok(a), Ok(b)) => {
                if b.3 > a.3 {
                    b
                } else {
                    a
                }
            }
            (Ok(a), Err(_)) | (Err(_), Ok(a)) => a,
            (Err(a), Err(b)) => {
                return Err(format!("not a bbolt database ({a}; {b})"));
            }
        };
        if root_page < 2 || root_page >= high_water {
            return Err(format!("root page {root_page} out of range"));
        }
        Ok(Db {
            file,
            len,
            page_size,
            root: root_page,
            high_water,
        })
    }

    /// The root bucket.
    pub(crate) fn root(&self) -> Bucket {
        Bucket::Page(self.root)
    }

    fn corrupt(page: u64, reason: impl std::fmt::Display) -> String {
        format!("page {page}: {reason} (was the database written while it was read?)")
    }

    /// Page `id` with its overflow pages.
    fn page(&self, id: u64) -> BoltResult<Vec<u8>> {
        if id < 2 || id >= self.high_water {
            return Err(Self::corrupt(id, "page id out of range"));
        }
        let off = id.saturating_mul(self.page_size);
        let mut head = [0u8; HEADER];
        if off.saturating_add(self.page_size) > self.len {
            return Err(Self::corrupt(id, "beyond the end of the file"));
        }
        read_exact_at(&self.file, &mut head, off).map_err(|e| e.to_string())?;
        if u64_at(&head, 0) != Some(id) {
            return Err(Self::corrupt(id, "its header names another page"));
        }
        let overflow = u64::from(u32_at(&head, 12).unwrap_or(0));
        let span = (overflow + 1) * self.page_size;
        if span > MAX_PAGE_BYTES
            || id + overflow >= self.high_water
            || off.saturating_add(span) > self.len
        {
            return Err(Self::corrupt(id, format!("overflow of {overflow} pages")));
        }
        let mut page = vec![0u8; span as usize];
        read_exact_at(&self.file, &mut page, off).map_err(|e| e.to_string())?;
        Ok(page)
    }

    /// Every `(key, value)` of a bucket, in key order.
    pub(crate) fn entries(&self, bucket: &Bucket) -> BoltResult<Vec<(Vec<u8>, Value)>> {
        let mut out = Vec::new();
        match bucket {
            Bucket::Inline(page) => Self::leaf(0, page, &mut out)?,
            Bucket::Page(id) => self.walk(*id, 0, &mut HashSet::new(), &mut out)?,
        }
        Ok(out)
    }

    /// The sub-bucket `key` of `bucket`, if there is one.
    pub(crate) fn bucket(&self, bucket: &Bucket, key: &[u8]) -> BoltResult<Option<Bucket>> {
        match self.get(bucket, key)? {
            None => Ok(None),
            Some(Value::Bucket(b)) => Ok(Some(b)),
            Some(Value::Bytes(_)) => Err(format!(
                "key {:?}: a value where a bucket was expected",
                String::from_utf8_lossy(key)
            )),
        }
    }

    /// The plain value `key` of `bucket`, if there is one.
    pub(crate) fn bytes(&self, bucket: &Bucket, key: &[u8]) -> BoltResult<Option<Vec<u8>>> {
        match self.get(bucket, key)? {
            None => Ok(None),
            Some(Value::Bytes(b)) => Ok(Some(b)),
            Some(Value::Bucket(_)) => Err(format!(
                "key {:?}: a bucket where a value was expected",
                String::from_utf8_lossy(key)
            )),
        }
    }

    fn get(&self, bucket: &Bucket, key: &[u8]) -> BoltResult<Option<Value>> {
        Ok(self
            .entries(bucket)?
            .into_iter()
            .find_map(|(k, v)| (k == key).then_some(v)))
    }

    fn walk(
        &self,
        id: u64,
        depth: usize,
        seen: &mut HashSet<u64>,
        out: &mut Vec<(Vec<u8>, Value)>,
    ) -> BoltResult<()> {
        if depth > MAX_DEPTH {
            return Err(Self::corrupt(id, format!("tree deeper than {MAX_DEPTH}")));
        }
        if !seen.insert(id) {
            return Err(Self::corrupt(id, "reached twice (a cycle)"));
        }
        let page = self.page(id)?;
        let flags = u16_at(&page, 8);
        if flags & LEAF != 0 {
            return Self::leaf(id, &page, out);
        }
        if flags & BRANCH == 0 {
            return Err(Self::corrupt(id, format!("flags {flags:#x}")));
        }
        for i in 0..usize::from(u16_at(&page, 10)) {
            let at = HEADER + i * ELEMENT;
            let child = u64_at(&page, at + 8)
                .ok_or_else(|| Self::corrupt(id, format!("branch element {i} beyond the page")))?;
            self.walk(child, depth + 1, seen, out)?;
        }
        Ok(())
    }

    fn leaf(id: u64, page: &[u8], out: &mut Vec<(Vec<u8>, Value)>) -> BoltResult<()> {
        let flags = u16_at(page, 8);
        if flags & LEAF == 0 {
            return Err(Self::corrupt(id, format!("flags {flags:#x}, not a leaf")));
        }
        for i in 0..usize::from(u16_at(page, 10)) {
            let at = HEADER + i * ELEMENT;
            let bad = || Self::corrupt(id, format!("leaf element {i} beyond the page"));
            let (Some(eflags), Some(pos), Some(ksize), Some(vsize)) = (
                u32_at(page, at),
                u32_at(page, at + 4),
                u32_at(page, at + 8),
                u32_at(page, at + 12),
            ) else {
                return Err(bad());
            };
            let ks = at.checked_add(pos as usize).ok_or_else(bad)?;
            let ke = ks.checked_add(ksize as usize).ok_or_else(bad)?;
            let ve = ke.checked_add(vsize as usize).ok_or_else(bad)?;
            let (key, value) = match (page.get(ks..ke), page.get(ke..ve)) {
                (Some(k), Some(v)) => (k, v),
                _ => return Err(bad()),
            };
            let value = if eflags & 1 == 0 {
                Value::Bytes(value.to_vec())
            } else {
                match u64_at(value, 0) {
                    Some(0) => {
                        let inline = value.get(16..).unwrap_or_default();
                        if u16_at(inline, 8) & LEAF == 0 {
                            return Err(Self::corrupt(id, "inline bucket is not a leaf"));
                        }
                        Value::Bucket(Bucket::Inline(Arc::from(inline)))
                    }
                    Some(root) => Value::Bucket(Bucket::Page(root)),
                    None => return Err(Self::corrupt(id, "bucket value too short")),
                }
            };
            out.push((key.to_vec(), value));
        }
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    const PS: usize = 4096;

    fn header(id: u64, flags: u16, count: u16, overflow: u32) -> Vec<u8> {
        let mut h = id.to_le_bytes().to_vec();
        h.extend_from_slice(&flags.to_le_bytes());
        h.extend_from_slice(&count.to_le_bytes());
        h.extend_from_slice(&overflow.to_le_bytes());
        h
    }

    fn leaf(id: u64, overflow: u32, entries: &[(&[u8], Vec<u8>, u32)]) -> Vec<u8> {
        let mut p = header(id, LEAF, entries.len() as u16, overflow);
        let mut data = Vec::new();
        for (i, (k, v, flags)) in entries.iter().enumerate() {
            let pos = 16 * entries.len() + data.len() - 16 * i;
            for x in [*flags, pos as u32, k.len() as u32, v.len() as u32] {
                p.extend_from_slice(&x.to_le_bytes());
            }
            data.extend_from_slice(k);
            data.extend_from_slice(v);
        }
        p.extend_from_slice(&data);
        p
    }

    fn bucket_value(root: u64, inline: Option<Vec<u8>>) -> Vec<u8> {
        let mut v = root.to_le_bytes().to_vec();
        v.extend_from_slice(&[0u8; 8]);
        v.extend(inline.unwrap_or_default());
        v
    }

    fn meta(id: u64, root: u64, pgid: u64, txid: u64) -> Vec<u8> {
        let mut p = header(id, META, 0, 0);
        let mut m = Vec::new();
        for x in [MAGIC, 2, PS as u32, 0] {
            m.extend_from_slice(&x.to_le_bytes());
        }
        for x in [root, 0, 2, pgid, txid] {
            m.extend_from_slice(&x.to_le_bytes());
        }
        let sum = fnv1a64(&m);
        m.extend_from_slice(&sum.to_le_bytes());
        p.extend_from_slice(&m);
        p
    }

    /// Root (page 3, a branch) → leaves 4 and 5; "a" = inline bucket {x: 1}, "b" =
    /// "hello", "c" = bucket at page 7 {k: v}, "d" = 6000 bytes (5 overflows into 6).
    fn sample() -> Vec<u8> {
        let inline = leaf(0, 0, &[(b"x", b"1".to_vec(), 0)]);
        let p4 = leaf(
            4,
            0,
            &[
                (b"a", bucket_value(0, Some(inline)), 1),
                (b"b", b"hello".to_vec(), 0),
            ],
        );
        let p5 = leaf(
            5,
            1,
            &[
                (b"c", bucket_value(7, None), 1),
                (b"d", vec![0x5a; 6000], 0),
            ],
        );
        let p7 = leaf(7, 0, &[(b"k", b"v".to_vec(), 0)]);
        let mut p3 = header(3, BRANCH, 2, 0);
        for (i, (k, child)) in [(b"a", 4u64), (b"c", 5)].iter().enumerate() {
            p3.extend_from_slice(&((32 + i - 16 * i) as u32).to_le_bytes());
            p3.extend_from_slice(&1u32.to_le_bytes());
            p3.extend_from_slice(&child.to_le_bytes());
            let _ = k;
        }
        p3.extend_from_slice(b"ac");
        let mut f = vec![0u8; 8 * PS];
        for (id, p) in [
            (0, meta(0, 3, 8, 1)),
            (1, meta(1, 3, 8, 0)),
            (3, p3),
            (4, p4),
            (5, p5),
            (7, p7),
        ] {
            f[id * PS..id * PS + p.len()].copy_from_slice(&p);
        }
        f
    }

    fn open(bytes: &[u8]) -> (tempfile::TempDir, BoltResult<Db>) {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("meta.db"), bytes).unwrap();
        let root = Root::new(t.path()).unwrap();
        let db = Db::open(&root, "meta.db");
        (t, db)
    }

    fn read_all(db: &Db) -> BoltResult<usize> {
        let mut n = 0;
        for (_, v) in db.entries(&db.root())? {
            n += 1;
            if let Value::Bucket(b) = v {
                n += db.entries(&b)?.len();
            }
        }
        Ok(n)
    }

    #[test]
    fn reads_branches_inline_buckets_and_overflow() {
        let (_t, db) = open(&sample());
        let db = db.unwrap();
        let root = db.root();
        let keys: Vec<Vec<u8>> = db
            .entries(&root)
            .unwrap()
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(keys, [b"a", b"b", b"c", b"d"]);
        assert_eq!(db.bytes(&root, b"b").unwrap().unwrap(), b"hello");
        assert_eq!(db.bytes(&root, b"d").unwrap().unwrap(), vec![0x5a; 6000]);
        let a = db.bucket(&root, b"a").unwrap().unwrap();
        assert_eq!(db.bytes(&a, b"x").unwrap().unwrap(), b"1");
        let c = db.bucket(&root, b"c").unwrap().unwrap();
        assert_eq!(db.bytes(&c, b"k").unwrap().unwrap(), b"v");
        assert!(db.bucket(&root, b"b").is_err() && db.bytes(&root, b"a").is_err());
        assert!(db.bytes(&root, b"zz").unwrap().is_none());
    }

    #[test]
    fn damaged_files_are_errors_never_panics() {
        for bytes in [
            vec![],
            sample()[..100].to_vec(),
            sample()[..5 * PS].to_vec(),
            vec![0u8; 4 * PS],
        ] {
            let (_t, db) = open(&bytes);
            assert!(db.and_then(|db| read_all(&db)).is_err());
        }
        // meta 0 broken: meta 1 is found one page further
        let mut f = sample();
        f[16] ^= 0xff;
        assert_eq!(read_all(&open(&f).1.unwrap()).unwrap(), 6);
        // a branch pointing to itself, a page naming another id
        let mut f = sample();
        f[3 * PS + 16 + 8] = 3;
        assert!(read_all(&open(&f).1.unwrap()).is_err());
        let mut f = sample();
        f[4 * PS] = 9;
        assert!(read_all(&open(&f).1.unwrap()).is_err());
        // single-byte corruptions all over the file: never a panic
        let base = sample();
        let t = tempfile::tempdir().unwrap();
        let root = Root::new(t.path()).unwrap();
        for at in (0..base.len()).step_by(31) {
            let mut f = base.clone();
            f[at] ^= 0xa5;
            std::fs::write(t.path().join("meta.db"), &f).unwrap();
            let _ = Db::open(&root, "meta.db").and_then(|db| read_all(&db));
        }
    }
}
