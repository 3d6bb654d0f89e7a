//! The workspace integration suite: one test binary, one module per area.

mod common;
mod malformed;
mod oracle;
mod short_reads;
mod synth;
