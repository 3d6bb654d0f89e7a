//! SHA-256 of two independent streams at once, on one core.
//!
//! The x86 SHA extensions (SHA-NI) compute two SHA-256 rounds per `sha256rnds2`, but each
//! one waits for the one before: a single stream leaves the unit idle half the time.
//! Interleaving the rounds of two unrelated streams fills those gaps, so two layers hash
//! in about two thirds of the time they take one after the other. layerlens's layer pass
//! uses [`update_pair`] when it reads two plain tar layers on one thread; everything else
//! goes through [`Sha256::update`].
//!
//! Without SHA-NI (other CPUs, other architectures) both calls fall back to `sha2`'s
//! block function one stream after the other, with the same results. The digests are
//! checked against `sha2` in this crate's tests, on every length up to a few blocks and
//! on uneven splits of both streams.
//!
//! This crate holds layerlens's only `unsafe` code: the SIMD intrinsics, behind a run-time
//! check of the CPU's features.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

/// The initial hash value (FIPS 180-4, 5.3.3).
const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// An incremental SHA-256: feed it with [`Sha256::update`] (or two of them at once with
/// [`update_pair`]), then take the digest with [`Sha256::finalize`].
#[derive(Clone)]
pub struct Sha256 {
    state: [u32; 8],
    block: [u8; 64],
    filled: usize,
    len: u64,
}

impl Default for Sha256 {
    fn default() -> Self {
        Sha256::new()
    }
}

impl std::fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sha256").field("len", &self.len).finish()
    }
}

impl Sha256 {
    /// A hasher that has seen nothing.
    pub fn new() -> Self {
        Sha256 {
            state: H0,
            block: [0; 64],
            filled: 0,
            len: 0,
        }
    }

    /// How many bytes this hasher has been fed.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it has been fed nothing yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Feed `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.len += data.len() as u64;
        let rest = self.top_up(data);
        let full = rest.len() / 64 * 64;
        compress(&mut self.state, &rest[..full]);
        self.keep(&rest[full..]);
    }

    /// The digest of everything fed.
    pub fn finalize(mut self) -> [u8; 32] {
        let bits = self.len.wrapping_mul(8);
        let mut tail = [0u8; 128];
        tail[..self.filled].copy_from_slice(&self.block[..self.filled]);
        tail[self.filled] = 0x80;
        let end = if self.filled < 56 { 64 } else { 128 };
        tail[end - 8..end].copy_from_slice(&bits.to_be_bytes());
        compress(&mut self.state, &tail[..end]);
        let mut out = [0u8; 32];
        for (o, w) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        out
    }

    /// Complete a partly filled block from the front of `data`; returns what is left of
    /// `data` (empty while the block is still not full).
    fn top_up<'d>(&mut self, data: &'d [u8]) -> &'d [u8] {
        if self.filled == 0 {
            return data;
        }
        let n = (64 - self.filled).min(data.len());
        self.block[self.filled..self.filled + n].copy_from_slice(&data[..n]);
        self.filled += n;
        if self.filled == 64 {
            let block = self.block;
            compress(&mut self.state, &block);
            self.filled = 0;
        }
        &data[n..]
    }

    /// Keep the last partial block (`rest` is shorter than a block, and the block is empty).
    fn keep(&mut self, rest: &[u8]) {
        debug_assert!(rest.len() < 64);
        if !rest.is_empty() {
            self.block[..rest.len()].copy_from_slice(rest);
            self.filled = rest.len();
        }
    }
}

/// Feed `da` to `a` and `db` to `b`, hashing the two streams' blocks side by side where
/// the CPU can: the same digests as `a.update(da); b.update(db)`, in about two thirds of
/// the time when both are long.
pub fn update_pair(a: &mut Sha256, da: &[u8], b: &mut Sha256, db: &[u8]) {
    a.len += da.len() as u64;
    b.len += db.len() as u64;
    let ra = a.top_up(da);
    let rb = b.top_up(db);
    let (na, nb) = (ra.len() / 64 * 64, rb.len() / 64 * 64);
    let both = na.min(nb);
    compress_pair(&mut a.state, &ra[..both], &mut b.state, &rb[..both]);
    compress(&mut a.state, &ra[both..na]);
    compress(&mut b.state, &rb[both..nb]);
    a.keep(&ra[na..]);
    b.keep(&rb[nb..]);
}

/// Whether the CPU has the SHA extensions and the SSE levels the kernels use.
#[cfg(target_arch = "x86_64")]
fn has_sha_ni() -> bool {
    std::is_x86_feature_detected!("sha")
        && std::is_x86_feature_detected!("sse4.1")
        && std::is_x86_feature_detected!("ssse3")
}

/// Whether [`update_pair`] really interleaves two streams on this CPU (SHA-NI), rather than
/// hashing one after the other.
pub fn pairs_in_parallel() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        has_sha_ni()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Run the block function over `blocks` (a whole number of 64-byte blocks).
fn compress(state: &mut [u32; 8], blocks: &[u8]) {
    debug_assert_eq!(blocks.len() % 64, 0);
    if blocks.is_empty() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if has_sha_ni() {
        // SAFETY: the CPU has the features the kernel is compiled for (checked above), and
        // `blocks` is a whole number of blocks.
        unsafe { shani::compress_x1(state, blocks) };
        return;
    }
    portable(state, blocks);
}

/// Two streams of the same number of blocks.
fn compress_pair(a: &mut [u32; 8], da: &[u8], b: &mut [u32; 8], db: &[u8]) {
    debug_assert_eq!(da.len(), db.len());
    debug_assert_eq!(da.len() % 64, 0);
    if da.is_empty() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if has_sha_ni() {
        // SAFETY: as in `compress`; both slices hold the same whole number of blocks.
        unsafe { shani::compress_x2(a, da, b, db) };
        return;
    }
    portable(a, da);
    portable(b, db);
}

/// `sha2`'s block function (its own assembly or software rounds), one block at a time.
fn portable(state: &mut [u32; 8], blocks: &[u8]) {
    use sha2::digest::generic_array::GenericArray;
    for block in blocks.chunks_exact(64) {
        sha2::compress256(state, std::slice::from_ref(GenericArray::from_slice(block)));
    }
}

#[cfg(target_arch = "x86_64")]
mod shani {
    //! The SHA-NI kernels: Intel's published instruction sequence for one block (message
    //! schedule with `sha256msg1`/`sha256msg2`, two rounds per `sha256rnds2`), written once
    //! as macros and expanded for one stream or for two streams interleaved group by group.

    use core::arch::x86_64::*;

    /// The round constants (FIPS 180-4, 4.2.2).
    static K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    /// The state as the rounds want it: (ABEF, CDGH).
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    unsafe fn load(s: &[u32; 8]) -> (__m128i, __m128i) {
        // SAFETY: `s` is 32 readable bytes; unaligned loads.
        let (lo, hi) = unsafe {
            (
                _mm_loadu_si128(s.as_ptr().cast()),
                _mm_loadu_si128(s.as_ptr().add(4).cast()),
            )
        };
        let dcba = _mm_shuffle_epi32(lo, 0xB1);
        let hgfe = _mm_shuffle_epi32(hi, 0x1B);
        (
            _mm_alignr_epi8(dcba, hgfe, 8),
            _mm_blend_epi16(hgfe, dcba, 0xF0),
        )
    }

    /// Back from (ABEF, CDGH) to A..H.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    unsafe fn store(s: &mut [u32; 8], abef: __m128i, cdgh: __m128i) {
        let feba = _mm_shuffle_epi32(abef, 0x1B);
        let dchg = _mm_shuffle_epi32(cdgh, 0xB1);
        let dcba = _mm_blend_epi16(feba, dchg, 0xF0);
        let hgef = _mm_alignr_epi8(dchg, feba, 8);
        // SAFETY: `s` is 32 writable bytes; unaligned stores.
        unsafe {
            _mm_storeu_si128(s.as_mut_ptr().cast(), dcba);
            _mm_storeu_si128(s.as_mut_ptr().add(4).cast(), hgef);
        }
    }

    /// The 16 message bytes at `p`, as four big-endian words.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    unsafe fn message(p: *const u8) -> __m128i {
        let swap = _mm_set_epi64x(0x0c0d0e0f08090a0b, 0x0405060700010203);
        // SAFETY: the caller passes a pointer to 16 readable bytes.
        _mm_shuffle_epi8(unsafe { _mm_loadu_si128(p.cast()) }, swap)
    }

    /// Four rounds with message words `w` (rounds 4g..4g+4).
    macro_rules! quad {
        ($abef:ident, $cdgh:ident, $w:expr, $g:expr) => {{
            // SAFETY: K has 64 words; g < 16.
            let k = unsafe { _mm_loadu_si128(K.as_ptr().add(4 * $g).cast()) };
            let msg = _mm_add_epi32($w, k);
            $cdgh = _mm_sha256rnds2_epu32($cdgh, $abef, msg);
            $abef = _mm_sha256rnds2_epu32($abef, $cdgh, _mm_shuffle_epi32(msg, 0x0E));
        }};
    }

    /// The next four message words from the last sixteen (w[t-16..t]).
    macro_rules! schedule {
        ($m:ident, $g:expr) => {{
            let t = _mm_add_epi32(
                _mm_sha256msg1_epu32($m[$g % 4], $m[($g + 1) % 4]),
                _mm_alignr_epi8($m[($g + 3) % 4], $m[($g + 2) % 4], 4),
            );
            $m[$g % 4] = _mm_sha256msg2_epu32(t, $m[($g + 3) % 4]);
        }};
    }

    /// One group of four rounds for each of the listed streams, in turn.
    macro_rules! group {
        ($g:expr; $( ($abef:ident, $cdgh:ident, $m:ident) ),+) => {
            $(
                if $g >= 4 {
                    schedule!($m, $g);
                }
                quad!($abef, $cdgh, $m[$g % 4], $g);
            )+
        };
    }

    /// All 64 rounds of one block for each of the listed streams, interleaved.
    macro_rules! rounds {
        ($( $s:tt ),+) => {
            group!(0; $($s),+); group!(1; $($s),+); group!(2; $($s),+); group!(3; $($s),+);
            group!(4; $($s),+); group!(5; $($s),+); group!(6; $($s),+); group!(7; $($s),+);
            group!(8; $($s),+); group!(9; $($s),+); group!(10; $($s),+); group!(11; $($s),+);
            group!(12; $($s),+); group!(13; $($s),+); group!(14; $($s),+); group!(15; $($s),+);
        };
    }

    /// One stream.
    ///
    /// # Safety
    /// The CPU must have SHA, SSSE3 and SSE4.1; `blocks.len()` must be a multiple of 64.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub(super) unsafe fn compress_x1(state: &mut [u32; 8], blocks: &[u8]) {
        // SAFETY: 32 bytes of state.
        let (mut abef, mut cdgh) = unsafe { load(state) };
        for block in blocks.chunks_exact(64) {
            let p = block.as_ptr();
            // SAFETY: `block` is 64 readable bytes.
            let mut m = unsafe {
                [
                    message(p),
                    message(p.add(16)),
                    message(p.add(32)),
                    message(p.add(48)),
                ]
            };
            let (abef0, cdgh0) = (abef, cdgh);
            rounds!((abef, cdgh, m));
            abef = _mm_add_epi32(abef, abef0);
            cdgh = _mm_add_epi32(cdgh, cdgh0);
        }
        // SAFETY: 32 bytes of state.
        unsafe { store(state, abef, cdgh) };
    }

    /// Two streams of the same length, their rounds interleaved.
    ///
    /// # Safety
    /// As [`compress_x1`]; `da` and `db` must have the same length.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub(super) unsafe fn compress_x2(a: &mut [u32; 8], da: &[u8], b: &mut [u32; 8], db: &[u8]) {
        debug_assert_eq!(da.len(), db.len());
        // SAFETY: 32 bytes of state each.
        let (mut a_abef, mut a_cdgh) = unsafe { load(a) };
        let (mut b_abef, mut b_cdgh) = unsafe { load(b) };
        for (ba, bb) in da.chunks_exact(64).zip(db.chunks_exact(64)) {
            let (pa, pb) = (ba.as_ptr(), bb.as_ptr());
            // SAFETY: both blocks are 64 readable bytes.
            let (mut ma, mut mb) = unsafe {
                (
                    [
                        message(pa),
                        message(pa.add(16)),
                        message(pa.add(32)),
                        message(pa.add(48)),
                    ],
                    [
                        message(pb),
                        message(pb.add(16)),
                        message(pb.add(32)),
                        message(pb.add(48)),
                    ],
                )
            };
            let (a0, a1, b0, b1) = (a_abef, a_cdgh, b_abef, b_cdgh);
            rounds!((a_abef, a_cdgh, ma), (b_abef, b_cdgh, mb));
            a_abef = _mm_add_epi32(a_abef, a0);
            a_cdgh = _mm_add_epi32(a_cdgh, a1);
            b_abef = _mm_add_epi32(b_abef, b0);
            b_cdgh = _mm_add_epi32(b_cdgh, b1);
        }
        // SAFETY: 32 bytes of state each.
        unsafe {
            store(a, a_abef, a_cdgh);
            store(b, b_abef, b_cdgh);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest as _;

    fn reference(data: &[u8]) -> [u8; 32] {
        sha2::Sha256::digest(data).into()
    }

    /// Deterministic bytes (xorshift), so that no two blocks are alike.
    fn bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn known_answers_of_fips_180_examples() {
        let hex = |d: [u8; 32]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let one = |data: &[u8]| {
            let mut h = Sha256::new();
            h.update(data);
            hex(h.finalize())
        };
        assert_eq!(
            one(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            one(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            one(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn every_length_up_to_five_blocks_equals_sha2() {
        let data = bytes(320, 7);
        for n in 0..=data.len() {
            let mut h = Sha256::new();
            h.update(&data[..n]);
            assert_eq!(h.finalize(), reference(&data[..n]), "length {n}");
        }
    }

    #[test]
    fn pairs_of_every_length_up_to_five_blocks_equal_sha2() {
        let da = bytes(320, 11);
        let db = bytes(320, 13);
        for na in 0..=da.len() {
            // Every length for one side, a spread of lengths for the other.
            for nb in [0, 1, 55, 56, 63, 64, 65, 128, 191, 300, 320] {
                let (mut a, mut b) = (Sha256::new(), Sha256::new());
                update_pair(&mut a, &da[..na], &mut b, &db[..nb]);
                assert_eq!(a.finalize(), reference(&da[..na]), "a {na} (b {nb})");
                assert_eq!(b.finalize(), reference(&db[..nb]), "b {nb} (a {na})");
            }
        }
    }

    #[test]
    fn uneven_splits_of_both_streams_equal_sha2() {
        let da = bytes(70_000, 3);
        let db = bytes(65_537, 5);
        // Cut both streams at unrelated points, mixing paired and single updates.
        let cuts_a = [0usize, 1, 63, 64, 65, 4096, 4097, 30_000, 65_536, 70_000];
        let cuts_b = [0usize, 7, 64, 128, 129, 8191, 8192, 40_000, 65_536, 65_537];
        let (mut a, mut b) = (Sha256::new(), Sha256::new());
        for (i, (wa, wb)) in cuts_a.windows(2).zip(cuts_b.windows(2)).enumerate() {
            let (pa, pb) = (&da[wa[0]..wa[1]], &db[wb[0]..wb[1]]);
            if i % 3 == 2 {
                a.update(pa);
                b.update(pb);
            } else {
                update_pair(&mut a, pa, &mut b, pb);
            }
        }
        assert_eq!(a.len(), 70_000);
        assert_eq!(b.len(), 65_537);
        assert_eq!(a.finalize(), reference(&da));
        assert_eq!(b.finalize(), reference(&db));
    }

    #[test]
    fn the_portable_path_gives_the_same_digests() {
        let data = bytes(64 * 9, 17);
        let mut fast = H0;
        let mut slow = H0;
        compress(&mut fast, &data);
        portable(&mut slow, &data);
        assert_eq!(fast, slow);
        let (mut a, mut b) = (H0, H0);
        compress_pair(&mut a, &data[..64 * 4], &mut b, &data[64 * 5..]);
        let (mut a2, mut b2) = (H0, H0);
        portable(&mut a2, &data[..64 * 4]);
        portable(&mut b2, &data[64 * 5..]);
        assert_eq!((a, b), (a2, b2));
    }
}
