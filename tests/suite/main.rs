//! The workspace integration suite: one test binary, one module per area.

mod attribution;
mod common;
mod files;
mod forensics;
mod fuzzed;
mod hostile;
mod malformed;
mod oracle;
mod schema;
mod short_reads;
