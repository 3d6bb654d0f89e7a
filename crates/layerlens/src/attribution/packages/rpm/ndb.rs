//! SUSE's ndb `Packages.db` (rpm `lib/backend/ndb/rpmpkg.c`).
//!
//! Layout (all little-endian, 16-byte blocks): a 32-byte header (`RpmP`, version 0,
//! generation, number of 4 KiB slot pages, next package index) that shares the first
//! slot page with the slots; then 16-byte slots (`Slot`, package index, block offset,
//! block count; block offset 0 = free) filling `slotnpages` pages; then the blobs, each
//! at `blkoff × 16`: a 16-byte head (`BlbS`, package index, timestamp, length), the
//! header blob, zero padding, and a 12-byte tail (adler32 of head + blob + padding,
//! length, `BlbE`), `blkcnt` blocks in all.
//!
//! Checked as rpm checks them when it reads slots and verifies blobs, plus: blobs must
//! not overlap and a package index may appear once. Packages are returned in block
//! order, as rpm lists them.

use super::{parse_header, record_err, Backend, RpmDbError, RpmPackage};

const BACKEND: Backend = Backend::Ndb;
const HEADER_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOBHEAD_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const BLOBTAIL_MAGIC: u32 = u32::from_le_bytes(*b"BlbE");
const PAGE_SIZE: usize = 4096;
const SLOT_SIZE: usize = 16;
const BLK_SIZE: u64 = 16;
const HEADER_SIZE: usize = 32;
const BLOBHEAD_SIZE: u64 = 16;
const BLOBTAIL_SIZE: u64 = 12;

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn corrupt(offset: u64, reason: impl Into<String>) -> RpmDbError {
    RpmDbError::Corrupt {
        backend: BACKEND,
        offset,
        page: None,
        reason: reason.into(),
    }
}

/// Adler-32 (RFC 1950).
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += x as u32;
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

#[derive(Clone, Copy)]
struct Slot {
    pkgidx: u32,
    blkoff: u64,
    blkcnt: u64,
    at: usize,
}

pub(crate) fn read(bytes: &[u8]) -> Result<Vec<RpmPackage>, RpmDbError> {
    if bytes.len() < HEADER_SIZE {
        return Err(RpmDbError::NotRecognized {
            backend: BACKEND,
            reason: format!("{} bytes is shorter than the header", bytes.len()),
        });
    }
    if le32(bytes, 0) != HEADER_MAGIC {
        return Err(RpmDbError::NotRecognized {
            backend: BACKEND,
            reason: "no RpmP magic".into(),
        });
    }
    let version = le32(bytes, 4);
    if version != 0 {
        return Err(RpmDbError::Unsupported {
            backend: BACKEND,
            reason: format!("version {version}"),
        });
    }
    if bytes.len() as u64 % BLK_SIZE != 0 {
        return Err(corrupt(
            bytes.len() as u64,
            format!(
                "file size {} is not a multiple of 16 (truncated?)",
                bytes.len()
            ),
        ));
    }
    let slotnpages = le32(bytes, 12) as u64;
    if slotnpages == 0 {
        return Err(corrupt(12, "no slot pages"));
    }
    if slotnpages * PAGE_SIZE as u64 > bytes.len() as u64 {
        return Err(corrupt(
            12,
            format!(
                "{slotnpages} slot pages do not fit in {} bytes (truncated?)",
                bytes.len()
            ),
        ));
    }
    let fileblks = bytes.len() as u64 / BLK_SIZE;
    let minblkoff = slotnpages * (PAGE_SIZE as u64 / BLK_SIZE);

    let mut slots = Vec::new();
    for at in (HEADER_SIZE..slotnpages as usize * PAGE_SIZE).step_by(SLOT_SIZE) {
        if le32(bytes, at) != SLOT_MAGIC {
            return Err(corrupt(at as u64, "bad slot magic"));
        }
        let blkoff = le32(bytes, at + 8) as u64;
        if blkoff == 0 {
            continue; // free slot
        }
        let pkgidx = le32(bytes, at + 4);
        let blkcnt = le32(bytes, at + 12) as u64;
        if blkoff + blkcnt > fileblks {
            return Err(corrupt(at as u64, format!("slot's blob (blocks {blkoff}+{blkcnt}) ends past the file's {fileblks} blocks (truncated?)")));
        }
        if pkgidx == 0 || blkcnt == 0 || blkoff < minblkoff {
            return Err(corrupt(
                at as u64,
                format!("bad slot: package {pkgidx}, blocks {blkoff}+{blkcnt}"),
            ));
        }
        slots.push(Slot {
            pkgidx,
            blkoff,
            blkcnt,
            at,
        });
    }
    slots.sort_unstable_by_key(|s| s.blkoff);
    for w in slots.windows(2) {
        if w[0].blkoff + w[0].blkcnt > w[1].blkoff {
            return Err(corrupt(
                w[1].at as u64,
                format!(
                    "blob of package {} overlaps that of package {}",
                    w[1].pkgidx, w[0].pkgidx
                ),
            ));
        }
    }
    let mut seen: Vec<u32> = slots.iter().map(|s| s.pkgidx).collect();
    seen.sort_unstable();
    if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(corrupt(0, format!("package index {} has two slots", w[0])));
    }

    let mut packages = Vec::with_capacity(slots.len());
    for slot in &slots {
        let start = (slot.blkoff * BLK_SIZE) as usize;
        let end = ((slot.blkoff + slot.blkcnt) * BLK_SIZE) as usize;
        if (slot.blkcnt * BLK_SIZE) < BLOBHEAD_SIZE + BLOBTAIL_SIZE {
            return Err(corrupt(
                start as u64,
                format!("blob of {} blocks is too small", slot.blkcnt),
            ));
        }
        if le32(bytes, start) != BLOBHEAD_MAGIC {
            return Err(corrupt(start as u64, "bad blob head magic"));
        }
        let pkgidx = le32(bytes, start + 4);
        if pkgidx != slot.pkgidx {
            return Err(corrupt(
                start as u64 + 4,
                format!(
                    "blob is for package {pkgidx}, its slot says {}",
                    slot.pkgidx
                ),
            ));
        }
        let bloblen = le32(bytes, start + 12) as u64;
        let want = (BLOBHEAD_SIZE + bloblen + BLOBTAIL_SIZE).div_ceil(BLK_SIZE);
        if want != slot.blkcnt {
            return Err(corrupt(
                start as u64 + 12,
                format!(
                    "blob length {bloblen} needs {want} blocks, its slot has {}",
                    slot.blkcnt
                ),
            ));
        }
        let tail = end - BLOBTAIL_SIZE as usize;
        if le32(bytes, tail + 8) != BLOBTAIL_MAGIC {
            return Err(corrupt(tail as u64 + 8, "bad blob tail magic"));
        }
        if le32(bytes, tail + 4) as u64 != bloblen {
            return Err(corrupt(
                tail as u64 + 4,
                "blob tail length differs from its head",
            ));
        }
        let sum = adler32(&bytes[start..tail]);
        let stored = le32(bytes, tail);
        if sum != stored {
            return Err(corrupt(
                tail as u64,
                format!("blob checksum {sum:#010x} differs from the stored {stored:#010x}"),
            ));
        }
        let blob =
            &bytes[start + BLOBHEAD_SIZE as usize..start + (BLOBHEAD_SIZE + bloblen) as usize];
        let pkg = parse_header(blob).map_err(record_err(
            BACKEND,
            slot.pkgidx as u64,
            Some(start as u64),
        ))?;
        packages.push(pkg);
    }
    Ok(packages)
}
