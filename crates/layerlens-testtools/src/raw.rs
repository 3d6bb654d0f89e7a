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

/// Append a pax extended header (`x`) member holding `records` as they are (lengths
/// are not fixed up: hostile records stay hostile).
pub fn pax_entry(out: &mut Vec<u8>, records: &[u8]) {
    let mut h = header_named(
        b"PaxHeaders/x",
        tar::EntryType::XHeader,
        records.len() as u64,
    );
    raw_entry(out, &mut h, records);
}

/// Append the header of a GNU long name (`L`) member that declares `size` bytes of
/// name, without any of them: a reader that believes the header reads on into what
/// follows.
pub fn long_name_header(out: &mut Vec<u8>, size: u64) {
    let mut h = tar::Header::new_gnu();
    h.as_gnu_mut().expect("a GNU header").name[..13].copy_from_slice(b"././@LongLink");
    h.set_entry_type(tar::EntryType::GNULongName);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
}
