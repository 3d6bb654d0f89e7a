//! Bytes as one stored layer blob (tar, gzip or zstd).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let opts = common::options();
    let _ = layerlens::analyze_layer(data, &opts, &mut |_| {});
});
