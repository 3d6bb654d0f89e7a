//! One large uncompressed layer is hashed and walked on two threads at once; the result
//! must be the same as one thread's, and a changed byte must still be caught.

use layerlens::{Analyzer, Options, Report};
use layerlens_testtools::archive::{diff_id, layer_tar, Blob, ImageArchive, Layout};

use crate::common::scratch;

/// A docker-archive with a single image of a single 20 MiB layer (above the split
/// threshold, and all of the bytes, so it is the critical path).
fn one_big_layer(corrupt: bool) -> String {
    let data: Vec<Vec<u8>> = [(0u32, 12 << 20), (1, 8 << 20), (2, 3000)]
        .iter()
        .map(|&(i, size)| {
            (0..size)
                .map(|j: usize| (j * 31 + i as usize) as u8)
                .collect()
        })
        .collect();
    let mut layer = layer_tar(&[
        ("data/file0.bin", &data[0]),
        ("data/file1.bin", &data[1]),
        ("data/file2.bin", &data[2]),
    ]);
    let diff_id = diff_id(&layer);
    if corrupt {
        let last = layer.len() - 1;
        layer[last] ^= 1;
    }
    let archive = ImageArchive::new(Layout::DockerMinimal)
        .image(&["big:1"], [Blob::raw(layer, diff_id)])
        .finish();
    let dir = scratch(if corrupt { "split-corrupt" } else { "split" });
    let path = dir.join("big.tar");
    std::fs::write(&path, archive).unwrap();
    path.to_string_lossy().into_owned()
}

fn analyse(input: &str, threads: usize) -> Result<String, Box<layerlens::Error>> {
    let opts = Options::default().threads(threads);
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
