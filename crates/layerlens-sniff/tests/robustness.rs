//! Hostile bytes: every detector, fed random data and mutated valid inputs in random
//! chunkings, must neither panic nor hang, and must agree with itself across chunkings.

mod common;

use common::*;

fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

fn mutate(base: &[u8], seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut b = base.to_vec();
    let n = 1 + xorshift(&mut x) % 16;
    for _ in 0..n {
        if b.is_empty() {
            break;
        }
        let at = (xorshift(&mut x) % b.len() as u64) as usize;
        match xorshift(&mut x) % 4 {
            0 => b[at] ^= 1 << (xorshift(&mut x) % 8),
            1 => b[at] = xorshift(&mut x) as u8,
            2 => b.truncate(at),
            _ => {
                let v = [0u8, 0xff, 0x78, b'P', b'K', b'-'][(xorshift(&mut x) % 6) as usize];
                b[at] = v;
            }
        }
    }
    b
}

fn inputs() -> Vec<(&'static str, u32, Vec<u8>)> {
    let mut z = Zip::default();
    z.add(
        "META-INF/MANIFEST.MF",
        b"Manifest-Version: 1.0\r\n",
        Method::Deflated,
        Desc::WithSig,
    );
    z.add(
        "META-INF/maven/g/a/pom.properties",
        &pom_properties("g", "a", "1"),
        Method::Deflated,
        Desc::WithSig,
    );
    let mut inner = Zip::default();
    inner.add(
        "META-INF/maven/g/b/pom.properties",
        &pom_properties("g", "b", "2"),
        Method::Deflated,
        Desc::None,
    );
    z.add("lib/b-2.jar", &inner.finish(), Method::Stored, Desc::None);
    let jar = z.finish();
    let blob = go_blob("go1.22.3", "path\tx\nmod\tx\tv1\t\ndep\ty\tv2\t\n", false);
    let mut tail = b"rustc version 1.95.0\0".to_vec();
    tail.extend_from_slice(&zlib(
        br#"{"packages":[{"name":"a","version":"1","root":true}]}"#,
        7,
    ));
    let bin = elf(
        &[Seg {
            p_type: 1,
            flags: 6,
            vaddr: 0x800000,
            bytes: &blob,
        }],
        &tail,
        true,
        false,
    );
    let text = b"token: ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----\nDB_PASSWORD=hunter2-xyz\nURL=https://u:p4ss@h/x\n".to_vec();
    let gemspec = b"# stub: a 1.0 ruby lib\nGem::Specification.new do |s|\n  s.name = \"a\".freeze\n  s.version = \"1.0\"\nend\n".to_vec();
    vec![
        ("app/a-1.jar", 0o644, jar),
        ("usr/bin/x", 0o755, bin),
        ("app/.env", 0o644, text),
        (
            "usr/lib/ruby/gems/3.1.0/specifications/a-1.0.gemspec",
            0o644,
            gemspec,
        ),
    ]
}

#[test]
fn random_and_mutated_inputs() {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for (path, mode, base) in inputs() {
        for seed in 0..3000u64 {
            let data = mutate(&base, seed * 7919 + 1);
            let sizes = random_sizes(seed + 3, 97, 64);
            let a = feed_with(path, mode, &data, &[data.len().max(1)]);
            let b = feed_with(path, mode, &data, &sizes);
            assert_eq!(a, b, "{path} seed {seed}");
        }
        for seed in 0..300u64 {
            let n = (xorshift(&mut x) % 20_000) as usize;
            let mut data: Vec<u8> = (0..n).map(|_| xorshift(&mut x) as u8).collect();
            // Keep the magic numbers sometimes so the parsers get past their first check.
            if seed % 2 == 0 && data.len() > 64 {
                let m: &[u8] = if path.ends_with(".jar") {
                    b"PK\x03\x04"
                } else {
                    b"\x7fELF\x02\x01\x01"
                };
                data[..m.len()].copy_from_slice(m);
            }
            let a = feed_with(path, mode, &data, &[data.len().max(1)]);
            let b = feed_with(path, mode, &data, &random_sizes(seed, 5000, 64));
            assert_eq!(a, b, "{path} random seed {seed}");
        }
    }
}
