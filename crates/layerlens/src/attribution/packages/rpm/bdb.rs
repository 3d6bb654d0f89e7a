//! Berkeley DB hash databases: rpm's `Packages` before rpm 4.16.
//!
//! Layout (libdb `dbinc/db_page.h`): fixed-size pages; page 0 is the hash metadata
//! page (magic `0x061561` at byte 12, in the byte order of the machine that created the
//! file; page size at 20; last page number at 32). Every other page starts with a
//! 26-byte header (`pgno` 8, `prev_pgno` 12, `next_pgno` 16, `entries` 20, `hf_offset`
//! 22, `type` 25). Hash pages (`P_HASH` 13, `P_HASH_UNSORTED` 2) hold `entries` 2-byte
//! item offsets from byte 26, alternating key and data; item *i* spans from its offset
//! to the offset of item *i − 1* (the page end for item 0), its first byte its type:
//! `H_KEYDATA` (1: the bytes follow) or `H_OFFPAGE` (3: a 12-byte reference — first
//! overflow page at 4, total length at 8). Overflow pages (`P_OVERFLOW` 7) carry
//! `hf_offset` bytes of the item from byte 26 and chain through `next_pgno`.
//!
//! rpm's keys are 4-byte header numbers; key 0 holds rpm's next-instance counter, not a
//! header, and is skipped. Pages are visited in file order, like rpm's `bdb_ro` backend
//! and go-rpmdb do. Every page number is range-checked, every overflow page may be
//! used once (which also ends cycles), and each chain's length must equal its
//! reference's total.

use super::{parse_header, record_err, Backend, RpmDbError, RpmPackage};

const BACKEND: Backend = Backend::BerkeleyDb;
const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;

const P_INVALID: u8 = 0;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;

const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;
const H_BLOB: u8 = 5;

const DBMETA_CHKSUM: u8 = 0x01;
const DB_HASH_SUBDB: u32 = 0x02;

struct Db<'a> {
    bytes: &'a [u8],
    big_endian: bool,
    page_size: usize,
    npages: usize,
    /// Overflow pages already consumed (each belongs to one item).
    used: Vec<bool>,
}

fn corrupt(offset: usize, page: Option<usize>, reason: impl Into<String>) -> RpmDbError {
    RpmDbError::Corrupt {
        backend: BACKEND,
        offset: offset as u64,
        page: page.map(|p| p as u64),
        reason: reason.into(),
    }
}

impl<'a> Db<'a> {
    fn u32_at(&self, at: usize) -> u32 {
        let b = [
            self.bytes[at],
            self.bytes[at + 1],
            self.bytes[at + 2],
            self.bytes[at + 3],
        ];
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    fn u16_at(&self, at: usize) -> u16 {
        let b = [self.bytes[at], self.bytes[at + 1]];
        if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    fn page_start(&self, p: usize) -> usize {
        p * self.page_size
    }

    /// Follow an overflow chain from `pgno`, expecting `total` bytes.
    fn overflow(
        &mut self,
        mut pgno: usize,
        total: usize,
        ref_at: usize,
    ) -> Result<Vec<u8>, RpmDbError> {
        if total > self.bytes.len() {
            return Err(corrupt(
                ref_at,
                None,
                format!("off-page item claims {total} bytes, more than the whole file"),
            ));
        }
        let mut out = Vec::with_capacity(total);
        let mut prev = 0usize;
        loop {
            if pgno == 0 || pgno >= self.npages {
                return Err(corrupt(
                    ref_at,
                    None,
                    format!("overflow page {pgno} is out of range (1..{})", self.npages),
                ));
            }
            let s = self.page_start(pgno);
            if self.used[pgno] {
                return Err(corrupt(
                    s,
                    Some(pgno),
                    "overflow page is reached twice (a cycle or a shared chain)",
                ));
            }
            self.used[pgno] = true;
            let ty = self.bytes[s + 25];
            if ty != P_OVERFLOW {
                return Err(corrupt(
                    s + 25,
                    Some(pgno),
                    format!("page of type {ty} in an overflow chain"),
                ));
            }
            let self_no = self.u32_at(s + 8) as usize;
            if self_no != pgno {
                return Err(corrupt(
                    s + 8,
                    Some(pgno),
                    format!("page says it is page {self_no}"),
                ));
            }
            let prev_no = self.u32_at(s + 12) as usize;
            if prev_no != prev {
                return Err(corrupt(
                    s + 12,
                    Some(pgno),
                    format!("previous page is {prev_no}, the chain came from {prev}"),
                ));
            }
            let len = self.u16_at(s + 22) as usize;
            if PAGE_HEADER + len > self.page_size {
                return Err(corrupt(
                    s + 22,
                    Some(pgno),
                    format!("overflow length {len} exceeds the page"),
                ));
            }
            if out.len() + len > total {
                return Err(corrupt(
                    s + 22,
                    Some(pgno),
                    format!("overflow chain is longer than its {total} bytes"),
                ));
            }
            out.extend_from_slice(&self.bytes[s + PAGE_HEADER..s + PAGE_HEADER + len]);
            let next = self.u32_at(s + 16) as usize;
            if next == 0 {
                break;
            }
            prev = pgno;
            pgno = next;
        }
        if out.len() != total {
            return Err(corrupt(
                ref_at,
                None,
                format!(
                    "overflow chain holds {} bytes, its reference says {total}",
                    out.len()
                ),
            ));
        }
        Ok(out)
    }

    /// The bytes of the item at `start..end` of the page (absolute offsets).
    fn item(&mut self, page: usize, start: usize, end: usize) -> Result<Vec<u8>, RpmDbError> {
        match self.bytes[start] {
            H_KEYDATA => Ok(self.bytes[start + 1..end].to_vec()),
            H_OFFPAGE => {
                if end - start < 12 {
                    return Err(corrupt(
                        start,
                        Some(page),
                        "off-page reference shorter than 12 bytes",
                    ));
                }
                let pgno = self.u32_at(start + 4) as usize;
                let total = self.u32_at(start + 8) as usize;
                self.overflow(pgno, total, start)
            }
            t @ (H_DUPLICATE | H_OFFDUP | H_BLOB) => Err(RpmDbError::Unsupported {
                backend: BACKEND,
                reason: format!(
                    "hash item type {t} (duplicates or external blobs) at byte {start}"
                ),
            }),
            t => Err(corrupt(
                start,
                Some(page),
                format!("unknown hash item type {t}"),
            )),
        }
    }
}

pub(crate) fn read(bytes: &[u8]) -> Result<Vec<RpmPackage>, RpmDbError> {
    if bytes.len() < 512 {
        return Err(RpmDbError::NotRecognized {
            backend: BACKEND,
            reason: format!("{} bytes is less than one page", bytes.len()),
        });
    }
    let magic = &bytes[12..16];
    let big_endian = if u32::from_le_bytes(magic.try_into().unwrap()) == HASH_MAGIC {
        false
    } else if u32::from_be_bytes(magic.try_into().unwrap()) == HASH_MAGIC {
        true
    } else {
        return Err(RpmDbError::NotRecognized {
            backend: BACKEND,
            reason: "no hash magic at byte 12".into(),
        });
    };
    let mut db = Db {
        bytes,
        big_endian,
        page_size: 0,
        npages: 0,
        used: Vec::new(),
    };
    let version = db.u32_at(16);
    if !(8..=10).contains(&version) {
        return Err(RpmDbError::Unsupported {
            backend: BACKEND,
            reason: format!("hash version {version}"),
        });
    }
    let page_size = db.u32_at(20) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(corrupt(20, Some(0), format!("page size {page_size}")));
    }
    if bytes[24] != 0 {
        return Err(RpmDbError::Unsupported {
            backend: BACKEND,
            reason: format!("encryption algorithm {}", bytes[24]),
        });
    }
    if bytes[25] != P_HASHMETA {
        return Err(corrupt(
            25,
            Some(0),
            format!("metadata page has type {}, want {P_HASHMETA}", bytes[25]),
        ));
    }
    if bytes[26] & DBMETA_CHKSUM != 0 {
        return Err(RpmDbError::Unsupported {
            backend: BACKEND,
            reason: "checksummed pages".into(),
        });
    }
    if db.u32_at(48) & DB_HASH_SUBDB != 0 {
        return Err(RpmDbError::Unsupported {
            backend: BACKEND,
            reason: "sub-databases".into(),
        });
    }
    let last = db.u32_at(32) as u64;
    let npages = last + 1;
    if npages * page_size as u64 > bytes.len() as u64 {
        return Err(corrupt(
            bytes.len(),
            None,
            format!(
                "file is truncated: {} bytes, metadata says {npages} pages of {page_size}",
                bytes.len()
            ),
        ));
    }
    let npages = npages as usize;
    db.page_size = page_size;
    db.npages = npages;
    db.used = vec![false; npages];

    let mut packages = Vec::new();
    for p in 1..npages {
        let s = db.page_start(p);
        let ty = bytes[s + 25];
        match ty {
            P_INVALID | P_OVERFLOW => continue,
            P_HASH | P_HASH_UNSORTED => {}
            P_HASHMETA => {
                return Err(RpmDbError::Unsupported {
                    backend: BACKEND,
                    reason: format!("second metadata page {p}"),
                })
            }
            _ => {
                return Err(corrupt(
                    s + 25,
                    Some(p),
                    format!("unexpected page type {ty} in a hash database"),
                ))
            }
        }
        let self_no = db.u32_at(s + 8) as usize;
        if self_no != p {
            return Err(corrupt(
                s + 8,
                Some(p),
                format!("page says it is page {self_no}"),
            ));
        }
        let entries = db.u16_at(s + 20) as usize;
        if entries % 2 != 0 {
            return Err(corrupt(
                s + 20,
                Some(p),
                format!("{entries} items: keys and data come in pairs"),
            ));
        }
        let index_end = PAGE_HEADER + 2 * entries;
        if index_end > page_size {
            return Err(corrupt(
                s + 20,
                Some(p),
                format!("{entries} item offsets overflow the page"),
            ));
        }
        // Items occupy decreasing offsets: item i ends where item i-1 starts.
        let mut bound = page_size;
        let mut i = 0;
        while i < entries {
            let mut span = [(0usize, 0usize); 2];
            for (k, slot) in span.iter_mut().enumerate() {
                let at = s + PAGE_HEADER + 2 * (i + k);
                let off = db.u16_at(at) as usize;
                if off < index_end || off >= bound {
                    return Err(corrupt(
                        at,
                        Some(p),
                        format!(
                            "item {} offset {off} is outside {index_end}..{bound}",
                            i + k
                        ),
                    ));
                }
                *slot = (s + off, s + bound);
                bound = off;
            }
            let key = db.item(p, span[0].0, span[0].1)?;
            let key_no = match <[u8; 4]>::try_from(key.as_slice()) {
                Ok(k) if db.big_endian => u32::from_be_bytes(k),
                Ok(k) => u32::from_le_bytes(k),
                Err(_) => {
                    return Err(corrupt(
                        span[0].0,
                        Some(p),
                        format!(
                            "key of {} bytes, rpm's are 4-byte header numbers",
                            key.len()
                        ),
                    ))
                }
            };
            let value = db.item(p, span[1].0, span[1].1)?;
            if key_no != 0 {
                let pkg = parse_header(&value).map_err(record_err(
                    BACKEND,
                    key_no as u64,
                    Some(span[1].0 as u64),
                ))?;
                packages.push(pkg);
            }
            i += 2;
        }
    }
    Ok(packages)
}
