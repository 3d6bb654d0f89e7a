//! Tar bytes written by hand, for headers no tar writer would produce (names with NUL
//! or invalid UTF-8, lying sizes, pax records).

/// Append a raw 512-byte header (checksum fixed up) and `data` padded to 512.
pub fn raw_entry(out: &mut Vec<u8>, header: &mut tar::Header, data: &[u8]) {
    header.set_cksum();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    let pad = (512 - data.len() % 512) % 512;
    out.extend(std::iter::repeat_n(0u8, pad));
}

/// A ustar header whose name is written byte for byte (no validation by tar-rs).
pub fn header_named(name: &[u8], kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(crate::archive::MTIME);
    h
}

/// Append the two zero blocks that end a tar.
pub fn end_blocks(out: &mut Vec<u8>) {
    out.extend(std::iter::repeat_n(0u8, 1024));
}
