//! The workspace integration suite: one test binary, one module per area.

mod attribution;
mod cache;
mod common;
mod diff;
mod ecosystems;
mod extended_headers;
mod files;
mod findings;
mod forensics;
mod fuzzed;
mod malformed;
mod oracle;
mod partial;
mod schema;
mod screen;
mod short_reads;
mod split;
#[cfg(unix)]
mod stores;
mod synth;
