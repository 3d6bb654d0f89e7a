//! The workspace integration suite: one test binary, one module per area.

mod cache;
mod common;
mod malformed;
mod oracle;
mod partial;
mod short_reads;
mod split;
mod synth;
