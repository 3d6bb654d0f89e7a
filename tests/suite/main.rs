//! The workspace integration suite: one test binary, one module per area.

mod common;
mod forensics;
mod malformed;
mod oracle;
mod schema;
mod short_reads;
