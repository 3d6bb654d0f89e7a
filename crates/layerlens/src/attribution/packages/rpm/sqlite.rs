//! `rpmdb.sqlite`: table `Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB
//! NOT NULL)`, one header blob per row.
//!
//! rpm keeps the database in WAL mode, so a layer may carry committed transactions in
//! `rpmdb.sqlite-wal` that were never checkpointed into the main file. SQLite's in-memory
//! VFS cannot open a WAL-mode image, so the WAL is applied here, as SQLite's own
//! recovery (`walIndexRecover`) reads it: a 32-byte header (magic `0x377f0682`/`…83`
//! choosing the checksum byte order, version 3007000, page size, checkpoint sequence,
//! two salts, a checksum of the first 24 bytes), then frames of a 24-byte header (page
//! number, database size in pages for a commit frame else 0, the two salts, a
//! cumulative checksum over the frame header's first 8 bytes and the page) and one page.
//! Frames are valid while their salts match and the running checksum holds; the frames
//! up to the last valid commit frame are applied, the last frame of each page winning,
//! and the database takes that commit's size. A WAL with an invalid header is ignored,
//! as SQLite ignores it. The image's header is then switched to rollback-journal mode
//! (bytes 18–19 = 1) and handed to `sqlite3_deserialize`, read-only.

use rusqlite::{config::DbConfig, limits::Limit, types::ValueRef, Connection, OpenFlags};

use super::{parse_header, record_err, Backend, RpmDbError, RpmPackage};

const BACKEND: Backend = Backend::Sqlite;
const MAGIC: &[u8; 16] = b"SQLite format 3\0";
const WAL_HEADER: usize = 32;
const FRAME_HEADER: usize = 24;

fn corrupt(offset: usize, page: Option<u64>, reason: impl Into<String>) -> RpmDbError {
    RpmDbError::Corrupt {
        backend: BACKEND,
        offset: offset as u64,
        page,
        reason: reason.into(),
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn sqlite_err(e: rusqlite::Error) -> RpmDbError {
    let code = match &e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.extended_code),
        _ => None,
    };
    RpmDbError::Sqlite {
        code,
        message: e.to_string(),
    }
}

/// The database page size from a file header (`1` means 65536).
fn page_size_of(db: &[u8]) -> Option<usize> {
    if db.len() < 100 || &db[..16] != MAGIC {
        return None;
    }
    let raw = u16::from_be_bytes([db[16], db[17]]) as usize;
    let ps = if raw == 1 { 65536 } else { raw };
    (ps >= 512 && ps.is_power_of_two()).then_some(ps)
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `s`.
fn wal_checksum(big_endian: bool, data: &[u8], mut s: (u32, u32)) -> (u32, u32) {
    for w in data.chunks_exact(8) {
        let (x0, x1) = if big_endian {
            (
                u32::from_be_bytes(w[..4].try_into().unwrap()),
                u32::from_be_bytes(w[4..].try_into().unwrap()),
            )
        } else {
            (
                u32::from_le_bytes(w[..4].try_into().unwrap()),
                u32::from_le_bytes(w[4..].try_into().unwrap()),
            )
        };
        s.0 = s.0.wrapping_add(x0).wrapping_add(s.1);
        s.1 = s.1.wrapping_add(x1).wrapping_add(s.0);
    }
    s
}

/// The committed content of a WAL: page size, final database size in pages, and the
/// byte offset of the page data of the winning frame for each page.
struct WalCommit {
    page_size: usize,
    db_pages: u32,
    frames: Vec<(u32, usize)>,
}

/// Read a WAL as SQLite's recovery does; `None` when it holds no valid commit.
fn wal_commit(wal: &[u8]) -> Option<WalCommit> {
    if wal.len() < WAL_HEADER {
        return None;
    }
    let magic = be32(wal, 0);
    if magic & !1 != 0x377f_0682 {
        return None;
    }
    let big_endian = magic & 1 == 1;
    if be32(wal, 4) != 3_007_000 {
        return None;
    }
    let page_size = be32(wal, 8) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return None;
    }
    let mut sum = wal_checksum(big_endian, &wal[..24], (0, 0));
    if sum != (be32(wal, 24), be32(wal, 28)) {
        return None;
    }
    let salts = &wal[16..24];
    let frame_len = FRAME_HEADER + page_size;
    // Latest frame of each page: pending (current transaction) and committed.
    let mut pending: Vec<(u32, usize)> = Vec::new();
    let mut committed: Option<(u32, Vec<(u32, usize)>)> = None;
    let mut at = WAL_HEADER;
    while at + frame_len <= wal.len() {
        let fh = &wal[at..at + FRAME_HEADER];
        let pgno = be32(fh, 0);
        let commit = be32(fh, 4);
        if pgno == 0 || &fh[8..16] != salts {
            break;
        }
        sum = wal_checksum(big_endian, &fh[..8], sum);
        sum = wal_checksum(big_endian, &wal[at + FRAME_HEADER..at + frame_len], sum);
        if sum != (be32(fh, 16), be32(fh, 20)) {
            break;
        }
        pending.push((pgno, at + FRAME_HEADER));
        if commit != 0 {
            let (_, mut all) = committed.take().unwrap_or_default();
            all.append(&mut pending);
            committed = Some((commit, all));
        }
        at += frame_len;
    }
    let (db_pages, mut frames) = committed?;
    // Keep the last frame of each page: stable sort by page, then take the last of
    // each run.
    frames.sort_by_key(|&(p, _)| p);
    let mut last: Vec<(u32, usize)> = Vec::with_capacity(frames.len());
    for f in frames {
        match last.last_mut() {
            Some(l) if l.0 == f.0 => *l = f,
            _ => last.push(f),
        }
    }
    Some(WalCommit {
        page_size,
        db_pages,
        frames: last,
    })
}

/// The page image SQLite would see: `db` with the WAL's committed frames applied.
fn page_image(db: &[u8], wal: Option<&[u8]>) -> Result<Vec<u8>, RpmDbError> {
    let Some(commit) = wal.and_then(wal_commit) else {
        return Ok(db.to_vec());
    };
    let wal = wal.unwrap_or_default();
    let ps = commit.page_size;
    if !db.is_empty() {
        match page_size_of(db) {
            Some(dps) if dps == ps => {}
            Some(dps) => {
                return Err(corrupt(
                    16,
                    None,
                    format!("the -wal's page size {ps} differs from the database's {dps}"),
                ))
            }
            None => {
                return Err(RpmDbError::NotRecognized {
                    backend: BACKEND,
                    reason: "no SQLite header".into(),
                })
            }
        }
    }
    let size = commit.db_pages as u64 * ps as u64;
    let max_page = commit.frames.iter().map(|f| f.0).max().unwrap_or(0) as u64;
    let bound = (db.len() as u64).max(max_page * ps as u64);
    if size > bound {
        return Err(corrupt(
            0,
            None,
            format!("the -wal's last commit makes the database {} pages, more than the file and the -wal hold", commit.db_pages),
        ));
    }
    let size = size as usize;
    let mut image = vec![0u8; size];
    let keep = db.len().min(size);
    image[..keep].copy_from_slice(&db[..keep]);
    for (pgno, at) in commit.frames {
        let p = pgno as usize - 1;
        if (p + 1) * ps <= size {
            image[p * ps..(p + 1) * ps].copy_from_slice(&wal[at..at + ps]);
        }
    }
    if image.len() >= 100 {
        // The database size is now the commit's: make the in-header size say so.
        image[28..32].copy_from_slice(&commit.db_pages.to_be_bytes());
        let counter: [u8; 4] = image[24..28].try_into().unwrap();
        image[92..96].copy_from_slice(&counter);
    }
    Ok(image)
}

pub(crate) fn read(db: &[u8], wal: Option<&[u8]>) -> Result<Vec<RpmPackage>, RpmDbError> {
    let mut image = page_image(db, wal)?;
    if image.len() < 100 || &image[..16] != MAGIC {
        return Err(RpmDbError::NotRecognized {
            backend: BACKEND,
            reason: "no SQLite header".into(),
        });
    }
    let ps = page_size_of(&image).ok_or_else(|| corrupt(16, None, "invalid page size"))?;
    if image.len() % ps != 0 {
        return Err(corrupt(
            image.len(),
            None,
            format!(
                "{} bytes is not a whole number of {ps}-byte pages (truncated?)",
                image.len()
            ),
        ));
    }
    let pages = be32(&image, 28) as u64;
    if pages != 0 && image[24..28] == image[92..96] && pages * ps as u64 > image.len() as u64 {
        return Err(corrupt(
            image.len(),
            None,
            format!(
                "the header says {pages} pages, the file holds {} (truncated?)",
                image.len() / ps
            ),
        ));
    }
    // WAL mode (2) → legacy rollback journal (1): the WAL, if any, is applied above.
    for b in &mut image[18..20] {
        if *b == 2 {
            *b = 1;
        }
    }

    let mut conn = Connection::open_in_memory_with_flags(
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_EXRESCODE,
    )
    .map_err(sqlite_err)?;
    let len = image.len();
    conn.deserialize_read_exact("main", &image[..], len, true)
        .map_err(sqlite_err)?;
    drop(image);
    harden(&conn, len)?;
    check_schema(&conn)?;

    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM main.Packages")
        .map_err(sqlite_err)?;
    let mut rows = stmt.query([]).map_err(sqlite_err)?;
    let mut packages = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite_err)? {
        let hnum = row.get_ref(0).map_err(sqlite_err)?;
        let key = match hnum {
            ValueRef::Integer(i) => i as u64,
            _ => return Err(corrupt(0, None, "Packages.hnum is not an integer")),
        };
        let blob = match row.get_ref(1).map_err(sqlite_err)? {
            ValueRef::Blob(b) => b,
            other => {
                return Err(corrupt(
                    0,
                    None,
                    format!(
                        "Packages row {key}: blob is {:?}, not a BLOB",
                        other.data_type()
                    ),
                ))
            }
        };
        packages.push(parse_header(blob).map_err(record_err(BACKEND, key, None))?);
    }
    Ok(packages)
}

/// Bound what a hostile database can make SQLite do.
fn harden(conn: &Connection, len: usize) -> Result<(), RpmDbError> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)
        .map_err(sqlite_err)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)
        .map_err(sqlite_err)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)
        .map_err(sqlite_err)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false)
        .map_err(sqlite_err)?;
    // No value can be longer than the database that holds it.
    let max_len = i32::try_from(len).unwrap_or(i32::MAX).max(1);
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, max_len)
        .map_err(sqlite_err)?;
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)
        .map_err(sqlite_err)?;
    // Nothing may spill to a temporary file.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(sqlite_err)?;
    // Work budget: reading a row costs a handful of VM instructions, and there are
    // fewer rows than bytes; allow ~8 instructions per byte plus a fixed allowance.
    const OPS_PER_CALL: i32 = 1000;
    let budget = 10_000u64 + (len as u64) / 128;
    let mut calls = 0u64;
    conn.progress_handler(
        OPS_PER_CALL,
        Some(move || {
            calls += 1;
            calls > budget
        }),
    )
    .map_err(sqlite_err)?;
    Ok(())
}

/// `Packages` must be an ordinary table whose `hnum` and `blob` are stored columns.
fn check_schema(conn: &Connection) -> Result<(), RpmDbError> {
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM main.sqlite_schema WHERE name = 'Packages'",
            [],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(sqlite_err)?;
    match kind.as_deref() {
        Some("table") => {}
        Some(k) => return Err(corrupt(0, None, format!("Packages is a {k}, not a table"))),
        None => return Err(corrupt(0, None, "no Packages table")),
    }
    let mut stmt = conn
        .prepare("SELECT name, hidden FROM pragma_table_xinfo('Packages', 'main')")
        .map_err(sqlite_err)?;
    let cols: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(sqlite_err)?
        .collect::<Result<_, _>>()
        .map_err(sqlite_err)?;
    for want in ["hnum", "blob"] {
        match cols.iter().find(|(n, _)| n == want) {
            Some((_, 0)) => {}
            Some(_) => {
                return Err(corrupt(
                    0,
                    None,
                    format!("Packages.{want} is a generated or hidden column"),
                ))
            }
            None => return Err(corrupt(0, None, format!("Packages has no {want} column"))),
        }
    }
    Ok(())
}
