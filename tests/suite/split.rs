//! One large uncompressed layer is hashed and walked on two threads at once; the result
//! must be the same as one thread's, and a changed byte must still be caught.

use std::io::Write;

use layerlens::{Analyzer, Options, Report};
use sha2::Digest as _;

use crate::common::scratch;

/// A docker-archive with a single image of a single 20 MiB layer (above the split
/// threshold, and all of the bytes, so it is the critical path).
fn one_big_layer(corrupt: bool) -> String {
    let mut layer = tar::Builder::new(Vec::new());
    for (i, size) in [(0u32, 12 << 20), (1, 8 << 20), (2, 3000)] {
        let data: Vec<u8> = (0..size)
            .map(|j: usize| (j * 31 + i as usize) as u8)
            .collect();
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        layer
            .append_data(&mut h, format!("data/file{i}.bin"), &data[..])
            .unwrap();
    }
    let mut layer = layer.into_inner().unwrap();
    let diff_id = hex::encode(sha2::Sha256::digest(&layer));
    if corrupt {
        let last = layer.len() - 1;
        layer[last] ^= 1;
    }
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["sha256:{diff_id}"]}}}}"#
    );
    let config_hex = hex::encode(sha2::Sha256::digest(config.as_bytes()));
    let manifest = format!(
        r#"[{{"Config":"{config_hex}.json","RepoTags":["big:1"],"Layers":["big/layer.tar"]}}]"#
    );
    let mut outer = tar::Builder::new(Vec::new());
    for (name, bytes) in [
        ("big/layer.tar", layer),
        (&*format!("{config_hex}.json"), config.into_bytes()),
        ("manifest.json", manifest.into_bytes()),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        outer.append_data(&mut h, name, &bytes[..]).unwrap();
    }
    let dir = scratch(if corrupt { "split-corrupt" } else { "split" });
    let path = dir.join("big.tar");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&outer.into_inner().unwrap())
        .unwrap();
    path.to_string_lossy().into_owned()
}

fn analyse(input: &str, threads: usize) -> Result<String, Box<layerlens::Error>> {
    let opts = Options {
        threads,
        ..Options::default()
    };
    let set = Analyzer::new(opts).analyze(&[input]).map_err(Box::new)?;
    let files: Vec<_> = set.layers.values().flat_map(|l| l.files.clone()).collect();
    Ok(format!("{}{files:?}", Report::new(&set).to_json()))
}

#[test]
fn a_split_layer_matches_one_thread_and_still_catches_a_changed_byte() {
    let good = one_big_layer(false);
    let one = analyse(&good, 1).unwrap();
    assert!(one.contains("\"verified\": true"));
    assert_eq!(analyse(&good, 2).unwrap(), one);
    assert_eq!(analyse(&good, 4).unwrap(), one);
    let bad = one_big_layer(true);
    for threads in [1, 2] {
        let err = analyse(&bad, threads).unwrap_err();
        assert!(err.is_integrity(), "{threads} threads: {err}");
    }
}
