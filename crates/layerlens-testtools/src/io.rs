//! Readers that misbehave on purpose or count, and temporary files.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A seeded reader that returns 1..=max bytes per read (xorshift), like tar-rs's
/// `RandomReader`: no parser may assume `read` fills the buffer.
pub struct ShortReader<R> {
    inner: R,
    state: u64,
    max: usize,
}

impl<R: Read> ShortReader<R> {
    /// Reads from `inner`, at most `max` bytes a call, lengths drawn from `seed`.
    pub fn new(inner: R, seed: u64, max: usize) -> Self {
        ShortReader {
            inner,
            state: seed | 1,
            max,
        }
    }
}

impl<R: Read> Read for ShortReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let n = 1 + (self.state as usize) % self.max;
        let n = n.min(buf.len());
        self.inner.read(&mut buf[..n])
    }
}

/// Counts the bytes read through it.
pub struct Counting<'a, R> {
    /// The reader counted.
    pub inner: R,
    /// Bytes read so far.
    pub count: &'a AtomicUsize,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n, Ordering::Relaxed);
        Ok(n)
    }
}

/// A fresh temporary directory named after `tag`, removed when dropped.
pub fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("layerlens-{tag}-"))
        .tempdir()
        .expect("creating a temporary directory")
}

/// Write `data` to `dir/name` (creating parent directories); returns the path.
pub fn write_file(dir: &Path, name: &str, data: &[u8]) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("creating a directory");
    }
    std::fs::write(&p, data).unwrap_or_else(|e| panic!("writing {}: {e}", p.display()));
    p.to_string_lossy().into_owned()
}
