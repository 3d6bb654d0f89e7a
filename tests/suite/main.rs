//! The workspace integration suite: one test binary, one module per area.

mod common;
mod fuzzed;
mod hostile;
mod malformed;
mod oracle;
mod short_reads;
