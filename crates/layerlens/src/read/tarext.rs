//! Tar extension members (pax `x` records, GNU `L`/`K` long names), checked as strictly
//! as Go's `archive/tar`, which Docker loads images with.
//!
//! tar-rs reads these members itself, inside its entry iterator, and forgives what it
//! cannot parse: a malformed pax record is skipped, an unparsable `size` falls back to
//! the header's, and a GNU long name is read whole whatever its length. Readers that
//! disagree on where an entry ends see different files in the same bytes, so layerlens
//! rejects what Go rejects. [`Watch`] sits under tar-rs: while the walker is inside the
//! iterator it recognises the extension headers tar-rs reads, stops one whose data is
//! over [`MAX_EXTENSION_BYTES`] before it is read, and keeps the bytes of a pax member;
//! [`check_pax`] then validates those records once the entry they describe is known.

use std::cell::RefCell;
use std::io::{self, Read, Seek};

use crate::error::StreamAbort;

/// Largest extension member (pax records, GNU long name or link) read: Go's
/// `archive/tar` rejects bigger ones too (`maxSpecialFileSize`).
pub(crate) const MAX_EXTENSION_BYTES: u64 = 1 << 20;

/// What [`Watch`] has seen of the extension members of the entry being read.
#[derive(Debug, Default)]
pub(crate) struct WatchState {
    /// Set by the walker while tar-rs is inside its iterator (reading headers and
    /// extension members); outside it, reads are entry data and are not looked at.
    pub(crate) in_headers: bool,
    /// Data bytes of the current extension member still to come.
    ext_left: u64,
    /// Whether those bytes are pax records (kept), not a GNU long name (counted only).
    ext_is_pax: bool,
    /// The records of the pax member being read, or read for the next entry.
    pax: Option<Vec<u8>>,
}

impl WatchState {
    /// Take the pax records read for the entry tar-rs just returned (none when it had
    /// no pax member).
    pub(crate) fn take_pax(&mut self) -> Option<Vec<u8>> {
        self.ext_left = 0;
        self.pax.take()
    }

    fn saw(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.ext_left > 0 {
            let n = (bytes.len() as u64).min(self.ext_left);
            if let (true, Some(pax)) = (self.ext_is_pax, &mut self.pax) {
                pax.extend_from_slice(&bytes[..n as usize]);
            }
            self.ext_left -= n;
            return Ok(());
        }
        if bytes.len() != 512 {
            return Ok(());
        }
        let header = tar::Header::from_byte_slice(bytes);
        let etype = header.entry_type();
        let pax = etype.is_pax_local_extensions();
        if !(pax || etype.is_gnu_longname() || etype.is_gnu_longlink()) {
            return Ok(());
        }
        if header.cksum().ok() != Some(checksum(bytes)) {
            return Ok(());
        }
        // tar-rs will refuse a size it cannot read itself.
        let Ok(size) = header.entry_size() else {
            return Ok(());
        };
        if size > MAX_EXTENSION_BYTES {
            let what = if pax {
                "pax extended header"
            } else {
                "GNU long name"
            };
            return Err(StreamAbort::ExtendedHeader {
                entry: String::from_utf8_lossy(&header.path_bytes()).into_owned(),
                reason: format!("{what} of {size} bytes (at most {MAX_EXTENSION_BYTES})"),
            }
            .into_io());
        }
        self.ext_left = size;
        self.ext_is_pax = pax;
        if pax {
            self.pax = Some(Vec::with_capacity(size as usize));
        }
        Ok(())
    }
}

/// A header's checksum as tar computes it (the checksum field counted as spaces).
pub(crate) fn checksum(block: &[u8]) -> u32 {
    block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u32
            }
        })
        .sum()
}

/// The reader under tar-rs that looks at the extension members it reads.
pub(crate) struct Watch<'w, R> {
    pub(crate) inner: R,
    pub(crate) state: &'w RefCell<WatchState>,
}

impl<R: Read> Read for Watch<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.state.borrow().in_headers {
            return self.inner.read(buf);
        }
        // Inside the iterator, one read is one header or one piece of extension data:
        // fill it, so that a header is never seen in two halves.
        let n = crate::read::layer::read_full(&mut self.inner, buf)?;
        self.state.borrow_mut().saw(&buf[..n])?;
        Ok(n)
    }
}

impl<R: Seek> Seek for Watch<'_, R> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(to)
    }
}

/// Check pax records the way Go's `archive/tar` does: each is `LEN KEY=VALUE\n` with a
/// decimal length of at least 5 that covers the record exactly and stays inside the
/// member; the key is not empty; `size`, `uid` and `gid` are decimal numbers (`size`
/// not negative and below 2^63); `path` and `linkpath` hold no NUL. Stricter than Go in
/// one way: tar-rs splits records at newlines, so a newline in `path` or `linkpath`, or
/// in any value before `size`, `uid` or `gid`, would be read differently, and is refused.
pub(crate) fn check_pax(records: &[u8]) -> Result<(), String> {
    let mut rest = records;
    let mut offset = 0usize;
    let mut newline_in: Option<String> = None;
    while !rest.is_empty() {
        let space = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| format!("pax record at byte {offset} has no length"))?;
        let len_text = String::from_utf8_lossy(&rest[..space]);
        let len: usize = if !len_text.is_empty() && len_text.bytes().all(|b| b.is_ascii_digit()) {
            len_text.parse().unwrap_or(usize::MAX)
        } else {
            return Err(format!(
                "pax record at byte {offset} has length {len_text:?}, not a number"
            ));
        };
        if len < 5 || len <= space {
            return Err(format!(
                "pax record at byte {offset} has length {len}, too short for a record"
            ));
        }
        if len > rest.len() {
            return Err(format!(
                "pax record at byte {offset} has length {len}, beyond the {} bytes left \
                 in the header",
                rest.len()
            ));
        }
        let record = &rest[space + 1..len];
        let Some(record) = record.strip_suffix(b"\n") else {
            return Err(format!(
                "pax record at byte {offset} does not end with a newline at its length {len}"
            ));
        };
        let Some(eq) = record.iter().position(|&b| b == b'=') else {
            return Err(format!("pax record at byte {offset} has no '='"));
        };
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        if key.is_empty() {
            return Err(format!("pax record at byte {offset} has an empty key"));
        }
        let number = |max: u64| -> Result<(), String> {
            let text = String::from_utf8_lossy(value);
            let ok = !value.is_empty()
                && value.iter().all(u8::is_ascii_digit)
                && text.parse::<u64>().is_ok_and(|v| v <= max);
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "pax record {}={text:?} is not a number from 0 to {max}",
                    String::from_utf8_lossy(key)
                ))
            }
        };
        let name = String::from_utf8_lossy(key);
        match key {
            b"size" | b"uid" | b"gid" => {
                // tar-rs splits records at newlines: after a value holding one it no
                // longer finds these, and would read the entry with other numbers.
                if let Some(earlier) = &newline_in {
                    return Err(format!(
                        "pax record {name} follows {earlier}, whose value holds a newline \
                         (tar readers split such records differently)"
                    ));
                }
                number(i64::MAX as u64)?
            }
            b"path" | b"linkpath" if value.contains(&0) => {
                return Err(format!("pax record {name} holds a NUL byte"))
            }
            b"path" | b"linkpath" if value.contains(&b'\n') => {
                return Err(format!(
                    "pax record {name} holds a newline (tar readers split such records \
                     differently)"
                ))
            }
            _ => {}
        }
        if newline_in.is_none() && value.contains(&b'\n') {
            newline_in = Some(name.into_owned());
        }
        offset += len;
        rest = &rest[len..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_records_are_checked_like_go() {
        assert_eq!(check_pax(b"11 size=12\n14 path=a/b=c\n"), Ok(()));
        // A value may hold newlines: only the length says where a record ends.
        assert_eq!(
            check_pax(b"10 size=1\n27 SCHILY.xattr.user.a=x\ny\n"),
            Ok(())
        );
        for (records, reason) in [
            (
                &b"0 path=x\n"[..],
                "pax record at byte 0 has length 0, too short for a record",
            ),
            (
                b"99 path=x\n",
                "pax record at byte 0 has length 99, beyond the 10 bytes left in the header",
            ),
            (
                b"11 size=-1\n",
                "pax record size=\"-1\" is not a number from 0 to 9223372036854775807",
            ),
            (
                b"29 size=18446744073709551616\n",
                "pax record size=\"18446744073709551616\" is not a number from 0 to \
                 9223372036854775807",
            ),
            (
                b"12 size=ten\n",
                "pax record size=\"ten\" is not a number from 0 to 9223372036854775807",
            ),
            (
                b"x path=y\n",
                "pax record at byte 0 has length \"x\", not a number",
            ),
            (
                b"8 path=xy\n",
                "pax record at byte 0 does not end with a newline at its length 8",
            ),
            (b"8 pathx\n", "pax record at byte 0 has no '='"),
            (
                b"12 path=a\nb\n",
                "pax record path holds a newline (tar readers split such records differently)",
            ),
            (
                b"27 SCHILY.xattr.user.a=x\ny\n10 size=1\n",
                "pax record size follows SCHILY.xattr.user.a, whose value holds a newline \
                 (tar readers split such records differently)",
            ),
            (b"10 size=1\nnothing", "pax record at byte 10 has no length"),
        ] {
            assert_eq!(check_pax(records), Err(reason.to_string()));
        }
    }
}
