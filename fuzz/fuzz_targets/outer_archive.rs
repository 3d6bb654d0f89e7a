//! Bytes as a whole input archive (uncompressed, gzip or zstd), streamed.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let analyzer = layerlens::Analyzer::new(common::options());
    common::check("fuzz", analyzer.analyze_reader("fuzz", data));
});
