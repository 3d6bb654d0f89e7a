//! Per-file content digest candidates, one core: sha256 (sha2, SHA-NI), BLAKE3 and
//! XXH3-128, over file-sized buffers. `cargo bench --bench digests`.
//!
//! The layer stream is already sha256-hashed once for its diff_id; the per-file digest
//! runs over the same bytes again, so its cost adds straight to the per-byte budget.

use divan::counter::BytesCount;
use divan::Bencher;
use sha2::Digest as _;

fn main() {
    divan::main();
}

const SIZES: [usize; 4] = [1 << 10, 16 << 10, 256 << 10, 4 << 20];

fn data(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[divan::bench(args = SIZES)]
fn sha256(b: Bencher, len: usize) {
    let buf = data(len);
    b.counter(BytesCount::new(len))
        .bench(|| sha2::Sha256::digest(divan::black_box(&buf)));
}

#[divan::bench(args = SIZES)]
fn blake3(b: Bencher, len: usize) {
    let buf = data(len);
    b.counter(BytesCount::new(len))
        .bench(|| blake3::hash(divan::black_box(&buf)));
}

#[divan::bench(args = SIZES)]
fn xxh3_128(b: Bencher, len: usize) {
    let buf = data(len);
    b.counter(BytesCount::new(len))
        .bench(|| xxhash_rust::xxh3::xxh3_128(divan::black_box(&buf)));
}

/// The streaming form the layer walker uses (128 KiB updates).
#[divan::bench(args = SIZES)]
fn xxh3_128_streaming(b: Bencher, len: usize) {
    let buf = data(len);
    b.counter(BytesCount::new(len)).bench(|| {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for chunk in divan::black_box(&buf).chunks(128 << 10) {
            h.update(chunk);
        }
        h.digest128()
    });
}

/// twox-hash's XXH3-128: the same function, with AVX2 chosen at run time.
#[divan::bench(args = SIZES)]
fn xxh3_128_twox(b: Bencher, len: usize) {
    let buf = data(len);
    b.counter(BytesCount::new(len))
        .bench(|| twox_hash::XxHash3_128::oneshot(divan::black_box(&buf)));
}

/// twox-hash's streaming form (128 KiB updates).
#[divan::bench(args = SIZES)]
fn xxh3_128_twox_streaming(b: Bencher, len: usize) {
    let buf = data(len);
    b.counter(BytesCount::new(len)).bench(|| {
        let mut h = twox_hash::XxHash3_128::new();
        for chunk in divan::black_box(&buf).chunks(128 << 10) {
            h.write(chunk);
        }
        h.finish_128()
    });
}
