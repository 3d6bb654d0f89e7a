//! Bytes as an rpm database of every backend (sqlite, with a `-wal` cut from the same
//! bytes; Berkeley DB; ndb) and as a header blob: `rpm::fuzz_all`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| layerlens::attribution::packages::rpm::fuzz_all(data));
