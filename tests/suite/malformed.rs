//! The hostile corpus: broken, truncated and crafted archives, generated here. Each case
//! pins the exact error (variant, limit, member) or the documented way analysis goes on.

use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use layerlens::{analyze_layer, Analyzer, EntryKind, Error, ImageSet, Limits, Options};
use serde_json::json;

use layerlens_testtools::archive::*;
use layerlens_testtools::io::{temp_dir, write_file, Counting};
use layerlens_testtools::raw::*;
use layerlens_testtools::run::{both_ways, streamed};

use crate::common::fixture;

fn err(r: Result<ImageSet, Error>) -> Error {
    match r {
        Ok(_) => panic!("expected an error, got a result"),
        Err(e) => e,
    }
}

fn member_of(e: &Error) -> Option<&str> {
    e.location().and_then(|l| l.member())
}

fn opts_with(f: impl FnOnce(&mut Limits)) -> Options {
    let mut o = Options::default().threads(1);
    f(&mut o.limits);
    o
}

fn one_thread() -> Options {
    opts_with(|_| {})
}

// ---------------------------------------------------------------- not an archive

#[test]
fn text_file_is_unknown_format_both_ways() {
    let bytes = b"this is a README, not an image archive\n".repeat(40);
    let (indexed, streamed, path) = both_ways("text", &bytes, &one_thread());
    let e = err(indexed);
    assert!(matches!(e, Error::UnknownFormat { .. }), "{e}");
    assert!(e.to_string().starts_with(&path), "{e}");
    let e = err(streamed);
    assert!(matches!(e, Error::UnknownFormat { .. }), "{e}");
    assert!(e.to_string().starts_with("text"), "{e}");
}

#[test]
fn empty_input_is_unknown_format() {
    let (indexed, streamed, _) = both_ways("empty", b"", &one_thread());
    assert!(matches!(err(indexed), Error::UnknownFormat { .. }));
    assert!(matches!(err(streamed), Error::UnknownFormat { .. }));
}

#[test]
fn tar_without_image_metadata_is_unknown_format() {
    let bytes = Outer::new().file("hello.txt", b"hi").finish();
    let (indexed, streamed, _) = both_ways("plain", &bytes, &one_thread());
    assert!(matches!(err(indexed), Error::UnknownFormat { .. }));
    assert!(matches!(err(streamed), Error::UnknownFormat { .. }));
}

// ---------------------------------------------------------------- truncation

/// Cut a valid archive at many offsets: every cut is an error that names the input,
/// never a panic, and a cut inside a member names that member.
#[test]
fn truncated_outer_archive_fails_cleanly_at_every_offset() {
    let layer = layer_tar(&[("etc/motd", &[7u8; 3000]), ("bin/sh", &[1u8; 700])]);
    let full = docker_archive_of(&layer);
    assert!(streamed("full", &full, &one_thread()).is_ok());
    // The end-of-archive blocks are optional for readers: cut before them.
    let last_member_end = full.len() - 1024 - 512 * 6;
    let mut offsets: Vec<usize> = (1..last_member_end).step_by(257).collect();
    offsets.extend([511, 512, 513, 1023, 1024, 1025]);
    for cut in offsets {
        let bytes = &full[..cut];
        let (indexed, streamed, path) = both_ways("cut", bytes, &one_thread());
        for (name, r) in [(path.as_str(), indexed), ("cut", streamed)] {
            let e = match r {
                Ok(_) => panic!("cut at {cut} of {} was accepted ({name})", full.len()),
                Err(e) => e,
            };
            assert!(
                matches!(
                    e,
                    Error::Malformed { .. }
                        | Error::UnknownFormat { .. }
                        | Error::MissingMember { .. }
                ),
                "cut at {cut}: {e}"
            );
            assert!(e.to_string().starts_with(name), "cut at {cut}: {e}");
        }
    }
}

#[test]
fn outer_archive_cut_inside_a_layer_names_that_member() {
    let layer = layer_tar(&[("etc/motd", &[7u8; 3000])]);
    let full = docker_archive_of(&layer);
    // The layer's data starts after its 512-byte header.
    let bytes = &full[..512 + 1500];
    let (indexed, streamed, _) = both_ways("cutlayer", bytes, &one_thread());
    for e in [err(indexed), err(streamed)] {
        assert!(matches!(e, Error::Malformed { .. }), "{e}");
        assert_eq!(member_of(&e), Some("l0/layer.tar"), "{e}");
    }
}

#[test]
fn truncated_layer_is_malformed_at_every_offset_for_tar_gzip_and_zstd() {
    let layer = layer_tar(&[("a", &[3u8; 5000]), ("b/c", b"hello")]);
    for (kind, stored) in [
        ("tar", layer.clone()),
        ("gzip", gzip(&layer)),
        ("zstd", zstd(&layer)),
    ] {
        let cuts: Vec<usize> = (1..stored.len()).step_by(97).collect();
        for cut in cuts {
            let r = analyze_layer(&stored[..cut], &one_thread(), &mut |_| {});
            match r {
                // A raw tar cut exactly between entries is a shorter valid tar only if
                // the cut is on an entry boundary: the size check catches the rest.
                // A raw tar cut inside its end-of-archive blocks is complete.
                Ok(rep) => assert!(
                    kind == "tar" && cut >= stored.len() - 1024 && rep.counts.total() == 2,
                    "{kind} cut at {cut} accepted"
                ),
                Err(e) => assert!(matches!(e, Error::Malformed { .. }), "{kind} {cut}: {e}"),
            }
        }
    }
}

#[test]
fn truncated_gzip_layer_in_an_archive_is_malformed_and_names_the_layer() {
    let layer = layer_tar(&[("a", &[3u8; 5000])]);
    let stored = gzip(&layer);
    let cut = stored[..stored.len() / 2].to_vec();
    let bytes = docker_archive([Blob::raw(cut, diff_id(&layer))]);
    let (indexed, streamed, _) = both_ways("gzcut", &bytes, &one_thread());
    for e in [err(indexed), err(streamed)] {
        assert!(matches!(e, Error::Malformed { .. }), "{e}");
        assert_eq!(member_of(&e), Some("l0/layer.tar"), "{e}");
        let layer_at = e.location().and_then(|l| l.layer().map(str::to_string));
        assert_eq!(layer_at, Some(diff_id(&layer)), "{e}");
    }
}

// ---------------------------------------------------------------- flipped bytes

#[test]
fn bad_tar_header_checksum_in_a_layer_is_malformed_naming_the_layer() {
    let mut layer = layer_tar(&[("a", b"one"), ("b", b"two")]);
    layer[512 + 512 + 10] ^= 0x55; // second header's name
    let bytes = docker_archive([Blob::tar(layer.clone())]);
    let (indexed, streamed, _) = both_ways("cksum", &bytes, &one_thread());
    for e in [err(indexed), err(streamed)] {
        assert!(matches!(e, Error::Malformed { .. }), "{e}");
        assert!(e.to_string().contains("checksum"), "{e}");
        assert_eq!(member_of(&e), Some("l0/layer.tar"), "{e}");
    }
}

#[test]
fn bad_tar_header_checksum_in_the_outer_archive_is_malformed() {
    let layer = layer_tar(&[("a", b"one")]);
    let mut bytes = docker_archive_of(&layer);
    // Corrupt the header after the layer (the config's).
    let second = 512 + layer.len();
    bytes[second + 3] ^= 0x20;
    let (indexed, streamed, _) = both_ways("outercksum", &bytes, &one_thread());
    for e in [err(indexed), err(streamed)] {
        assert!(matches!(e, Error::Malformed { .. }), "{e}");
        assert!(e.to_string().contains("checksum"), "{e}");
    }
}

#[test]
fn flipped_byte_in_a_gzip_layer_is_malformed_or_a_diff_id_mismatch() {
    let layer = layer_tar(&[("a", &[9u8; 4000]), ("b", b"xyz")]);
    let good = gzip(&layer);
    let mut hits = 0;
    for pos in (10..good.len() - 8).step_by(7) {
        let mut bad = good.clone();
        bad[pos] ^= 0x01;
        let bytes = docker_archive([Blob::raw(bad, diff_id(&layer))]);
        let e = err(streamed("gzflip", &bytes, &one_thread()));
        match &e {
            Error::Malformed { .. } => hits += 1,
            Error::DigestMismatch { .. } => assert!(e.is_integrity()),
            other => panic!("flip at {pos}: {other}"),
        }
        assert_eq!(member_of(&e), Some("l0/layer.tar"), "{e}");
    }
    assert!(hits > 0);
}

#[test]
fn flipped_byte_in_a_zstd_layer_is_malformed_or_decodes() {
    let layer = layer_tar(&[("a", &[9u8; 4000]), ("b", b"xyz")]);
    let good = zstd(&layer);
    for pos in 4..good.len() {
        let mut bad = good.clone();
        bad[pos] ^= 0x10;
        let r = analyze_layer(&bad[..], &one_thread(), &mut |_| {});
        // zstd without a checksum may decode to other bytes (the diff_id check of an
        // archive catches that), and some header bits do not change the content.
        if let Err(e) = r {
            assert!(
                matches!(e, Error::Malformed { .. } | Error::LimitExceeded { .. }),
                "{pos}: {e}"
            );
        }
    }
}

#[test]
fn flipped_byte_in_manifest_json_is_a_json_error_naming_it() {
    let layer = layer_tar(&[("a", b"one")]);
    let bytes = docker_archive_of(&layer);
    let at = bytes
        .windows(8)
        .rposition(|w| w == b"\"Config\"")
        .expect("manifest in archive");
    let mut bad = bytes.clone();
    bad[at] = b'{';
    let (indexed, streamed, _) = both_ways("jsonflip", &bad, &one_thread());
    for e in [err(indexed), err(streamed)] {
        assert!(matches!(e, Error::Json { .. }), "{e}");
        assert_eq!(member_of(&e), Some("manifest.json"), "{e}");
    }
}

// ---------------------------------------------------------------- sizes

fn set_octal_size(h: &mut tar::Header, digits: &[u8; 11]) {
    h.as_old_mut().size[..11].copy_from_slice(digits);
    h.as_old_mut().size[11] = 0;
}

#[test]
fn huge_declared_size_in_a_layer_header_is_malformed_not_an_allocation() {
    let mut layer = Vec::new();
    let mut h = header_named(b"big", tar::EntryType::Regular, 0);
    set_octal_size(&mut h, b"77777777777"); // 8 GiB declared, 10 bytes present
    raw_entry(&mut layer, &mut h, b"0123456789");
    end_blocks(&mut layer);
    let e = analyze_layer(&layer[..], &one_thread(), &mut |_| {}).unwrap_err();
    assert!(matches!(e, Error::Malformed { .. }), "{e}");
}

#[test]
fn overflowing_base256_size_in_the_outer_header_is_malformed() {
    let mut bytes = Vec::new();
    let mut h = header_named(b"manifest.json", tar::EntryType::Regular, 0);
    // GNU base-256: 0x80 marker then all ones: u64::MAX bytes.
    let size = &mut h.as_old_mut().size;
    size[0] = 0x80;
    for b in size[1..].iter_mut() {
        *b = 0xff;
    }
    raw_entry(&mut bytes, &mut h, b"[]");
    end_blocks(&mut bytes);
    let (indexed, streamed, _) = both_ways("b256", &bytes, &one_thread());
    let e = err(indexed);
    assert!(matches!(e, Error::Malformed { .. }), "{e}");
    assert!(e.to_string().contains("size overflow"), "{e}");
    // Streaming: the very first header is unreadable, so this is not a tar at all.
    let e = err(streamed);
    assert!(matches!(e, Error::UnknownFormat { .. }), "{e}");
    assert!(e.to_string().contains("size overflow"), "{e}");
}

// ---------------------------------------------------------------- bombs

/// `n` concatenated gzip members, each 1 MiB of zeros: tiny stored, huge expanded.
fn zero_bomb(compress: fn(&[u8]) -> Vec<u8>, mib: usize) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_path("zeros").unwrap();
    h.set_size((mib as u64) << 20);
    h.set_mode(0o644);
    h.set_cksum();
    let mut out = compress(h.as_bytes());
    let chunk = compress(&vec![0u8; 1 << 20]);
    for _ in 0..mib {
        out.extend_from_slice(&chunk);
    }
    out.extend(compress(&[0u8; 1024]));
    out
}

fn assert_bomb_stops_early(kind: &str, stored: &[u8]) {
    let opts = opts_with(|l| {
        l.ratio_floor_bytes = 4 << 20;
        l.max_compression_ratio = 50;
    });
    let read = AtomicUsize::new(0);
    let reader = Counting {
        inner: stored,
        count: &read,
    };
    let started = Instant::now();
    let e = analyze_layer(reader, &opts, &mut |_| {}).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                limit: "max_compression_ratio",
                max: 50,
                ..
            }
        ),
        "{kind}: {e}"
    );
    // Stopped while decompressing, long before the end of the stored blob.
    let consumed = read.load(Ordering::Relaxed);
    assert!(
        consumed < stored.len() / 4,
        "{kind}: read {consumed} of {}",
        stored.len()
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn gzip_bomb_stops_at_the_ratio_limit_while_decompressing() {
    let bomb = zero_bomb(gzip, 512); // 512 MiB from ~0.5 MiB
    assert!(bomb.len() < 1 << 20);
    assert_bomb_stops_early("gzip", &bomb);
}

#[test]
fn zstd_bomb_stops_at_the_ratio_limit_while_decompressing() {
    let bomb = zero_bomb(zstd, 512);
    assert_bomb_stops_early("zstd", &bomb);
}

#[test]
fn gzip_bomb_inside_an_archive_names_the_layer_both_ways() {
    let bomb = zero_bomb(gzip, 128);
    let bytes = docker_archive([Blob::raw(bomb, format!("sha256:{}", "0".repeat(64)))]);
    let opts = opts_with(|l| {
        l.ratio_floor_bytes = 1 << 20;
        l.max_compression_ratio = 20;
    });
    let (indexed, streamed, _) = both_ways("bomb", &bytes, &opts);
    for e in [err(indexed), err(streamed)] {
        assert!(
            matches!(
                e,
                Error::LimitExceeded {
                    limit: "max_compression_ratio",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(member_of(&e), Some("l0/layer.tar"), "{e}");
    }
}

#[test]
fn layer_larger_than_max_layer_bytes_is_a_limit_error() {
    let layer = layer_tar(&[("a", &[1u8; 100_000])]);
    let opts = opts_with(|l| l.max_layer_bytes = 50_000);
    let e = analyze_layer(&layer[..], &opts, &mut |_| {}).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                limit: "max_layer_bytes",
                max: 50_000,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn many_small_members_in_a_stream_hit_max_buffered_bytes() {
    let mut outer = Outer::new();
    for i in 0..64 {
        outer = outer.file(&format!("junk/{i}"), &[b'x'; 4000]);
    }
    let bytes = gzip(&outer.finish());
    let opts = opts_with(|l| l.max_buffered_bytes = 100_000);
    let e = err(streamed("buffered", &bytes, &opts));
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                limit: "max_buffered_bytes",
                ..
            }
        ),
        "{e}"
    );
}

// ---------------------------------------------------------------- JSON

/// serde_json stops at 128 levels when it builds values; the typed metadata never
/// nests that deep, so a deep document fails on its first wrong type.
#[test]
fn deeply_nested_manifest_json_is_a_json_error_not_a_stack_overflow() {
    let deep = format!(
        r#"[{{"Config":"c.json","Layers":{}{}}}]"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let bytes = docker_archive_with_manifest(deep.as_bytes());
    let (indexed, streamed, _) = both_ways("deep", &bytes, &one_thread());
    for e in [err(indexed), err(streamed)] {
        assert!(matches!(e, Error::Json { .. }), "{e}");
        assert_eq!(member_of(&e), Some("manifest.json"));
    }
    let value: Result<serde_json::Value, _> = serde_json::from_str(&"[".repeat(10_000));
    assert!(value.unwrap_err().to_string().contains("recursion limit"));
}

/// Unknown fields are skipped by serde_json without recursion: 10k levels there cost
/// nothing and the analysis goes on to the next problem (here, a missing config).
#[test]
fn deeply_nested_unknown_field_in_manifest_json_is_skipped() {
    let deep = format!(
        r#"[{{"Config":"c.json","x":{}{}}}]"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let bytes = docker_archive_with_manifest(deep.as_bytes());
    let e = err(streamed("deepx", &bytes, &one_thread()));
    match &e {
        Error::MissingMember { missing, .. } => assert_eq!(missing, "c.json"),
        other => panic!("{other}"),
    }
}

#[test]
fn deeply_nested_field_in_a_config_is_a_json_error_naming_the_config() {
    let layer = layer_tar(&[("a", b"1")]);
    let deep = format!(
        r#"{{"os":"linux","rootfs":{{"diff_ids":["{}"]}},"x":{}{}}}"#,
        diff_id(&layer),
        "{\"a\":".repeat(10_000),
        "}".repeat(10_000)
    );
    let manifest = json!([{"Config": "c.json", "Layers": ["l0/layer.tar"]}]).to_string();
    let bytes = Outer::new()
        .file("l0/layer.tar", &layer)
        .file("c.json", deep.as_bytes())
        .file("manifest.json", manifest.as_bytes())
        .finish();
    let e = err(streamed("deepcfg", &bytes, &one_thread()));
    assert!(matches!(e, Error::Json { .. }), "{e}");
    assert_eq!(member_of(&e), Some("c.json"));
}

#[test]
fn megabyte_json_string_is_fine_under_the_limit_and_a_limit_error_over_it() {
    let layer = layer_tar(&[("a", b"1")]);
    let archive = |tag: String| {
        let manifest = json!([{
            "Config": "c.json",
            "RepoTags": [tag],
            "Layers": ["l0/layer.tar"],
        }])
        .to_string();
        let config = json!({"os": "linux", "rootfs": {"diff_ids": [diff_id(&layer)]}});
        Outer::new()
            .file("l0/layer.tar", &layer)
            .file("c.json", config.to_string().as_bytes())
            .file("manifest.json", manifest.as_bytes())
            .finish()
    };
    let big = archive(format!("big:{}", "x".repeat(2 << 20)));
    let set = streamed("bigstr", &big, &one_thread()).unwrap();
    assert_eq!(set.images.len(), 1);
    let opts = opts_with(|l| l.max_json_bytes = 1 << 20);
    let (indexed, _, _) = both_ways("bigstr", &big, &opts);
    let e = err(indexed);
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                limit: "max_json_bytes",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(member_of(&e), Some("manifest.json"));
    // Streaming never buffers an oversized member as JSON: it is not found as JSON.
    let e = err(streamed("bigstr", &big, &opts));
    assert_eq!(member_of(&e), Some("manifest.json"), "{e}");
}

#[test]
fn manifest_json_of_the_wrong_type_is_a_json_error() {
    for doc in [
        r#"{"Config":"c.json"}"#,
        r#"[{"Config":5}]"#,
        "null",
        r#""x""#,
    ] {
        let bytes = docker_archive_with_manifest(doc.as_bytes());
        let e = err(streamed("wrongtype", &bytes, &one_thread()));
        assert!(matches!(e, Error::Json { .. }), "{doc}: {e}");
        assert_eq!(member_of(&e), Some("manifest.json"));
    }
}

#[test]
fn manifest_entry_without_config_is_malformed_naming_manifest_json() {
    let bytes = docker_archive_with_manifest(br#"[{"Layers":["l0/layer.tar"]}]"#);
    let e = err(streamed("noconfig", &bytes, &one_thread()));
    assert!(matches!(e, Error::Malformed { .. }), "{e}");
    assert_eq!(member_of(&e), Some("manifest.json"));
}

#[test]
fn manifest_naming_a_missing_config_is_missing_member() {
    let bytes = docker_archive_with_manifest(br#"[{"Config":"nope.json","Layers":[]}]"#);
    let (indexed, streamed, _) = both_ways("nocfg", &bytes, &one_thread());
    for e in [err(indexed), err(streamed)] {
        match &e {
            Error::MissingMember { missing, .. } => assert_eq!(missing, "nope.json"),
            other => panic!("{other}"),
        }
    }
}

#[test]
fn manifest_naming_a_missing_layer_is_missing_member() {
    let layer = layer_tar(&[("a", b"1")]);
    let mut bytes = docker_archive_of(&layer);
    // Rename the layer member so the manifest's reference dangles.
    let pos = bytes
        .windows(12)
        .position(|w| w == b"l0/layer.tar")
        .unwrap();
    bytes[pos] = b'x';
    let h = tar::Header::from_byte_slice(&bytes[..512]).clone();
    let mut h = h;
    h.set_cksum();
    bytes[..512].copy_from_slice(h.as_bytes());
    let e = err(streamed("nolayer", &bytes, &one_thread()));
    match &e {
        Error::MissingMember { missing, .. } => assert_eq!(missing, "l0/layer.tar"),
        other => panic!("{other}"),
    }
}

#[test]
fn config_without_diff_ids_is_malformed_naming_the_config() {
    let manifest = json!([{"Config": "c.json", "Layers": ["l0/layer.tar"]}]).to_string();
    let bytes = Outer::new()
        .file("l0/layer.tar", &layer_tar(&[("a", b"1")]))
        .file("c.json", br#"{"os":"linux","rootfs":{"type":"layers"}}"#)
        .file("manifest.json", manifest.as_bytes())
        .finish();
    let e = err(streamed("nodiff", &bytes, &one_thread()));
    assert!(matches!(e, Error::Malformed { .. }), "{e}");
    assert_eq!(member_of(&e), Some("c.json"));
}

#[test]
fn duplicate_manifest_entries_give_one_image() {
    let layer = layer_tar(&[("a", b"1")]);
    let base = docker_archive_of(&layer);
    let set = streamed("base", &base, &one_thread()).unwrap();
    let config_name = format!("{}.json", set.images[0].id.encoded());
    let entry = json!({"Config": config_name, "RepoTags": ["x:1"], "Layers": ["l0/layer.tar"]});
    let manifest = json!([entry, entry]).to_string();
    // A later member with the same name replaces the earlier one.
    let mut bytes = base[..base.len() - 1024].to_vec();
    bytes.extend(
        Outer::new()
            .file("manifest.json", manifest.as_bytes())
            .finish(),
    );
    let (indexed, streamed, _) = both_ways("dup", &bytes, &one_thread());
    for set in [indexed.unwrap(), streamed.unwrap()] {
        assert_eq!(set.images.len(), 1);
        assert_eq!(set.images[0].refs, vec!["x:1".to_string()]);
    }
}

#[test]
fn oci_index_naming_a_missing_blob_is_missing_member() {
    let ghost = b"{}".to_vec();
    let index = json!({
        "schemaVersion": 2,
        "manifests": [descriptor("application/vnd.oci.image.manifest.v1+json", &ghost)],
    })
    .to_string();
    let bytes = oci_archive(index.as_bytes(), &[]);
    let e = err(streamed("ghost", &bytes, &one_thread()));
    match &e {
        Error::MissingMember { missing, .. } => assert!(missing.starts_with("blobs/sha256/")),
        other => panic!("{other}"),
    }
}

#[test]
fn oci_index_that_contains_itself_stops_at_the_depth_or_cycle_guard() {
    // An index cannot hold its own digest, but two indexes can hold each other's
    // descriptors only by digest; a chain as deep as the limit allows is the attack.
    let mut child = json!({"schemaVersion": 2, "manifests": []}).to_string();
    let mut blobs = vec![child.clone().into_bytes()];
    for _ in 0..40 {
        let parent = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [descriptor("application/vnd.oci.image.index.v1+json", child.as_bytes())],
        })
        .to_string();
        blobs.push(parent.clone().into_bytes());
        child = parent;
    }
    let bytes = oci_archive(child.as_bytes(), &blobs);
    let e = err(streamed("deepindex", &bytes, &one_thread()));
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                limit: "max_index_depth",
                max: 16,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn regclient_loop_index_terminates() {
    let Some(dir) = crate::common::public_dir() else {
        return;
    };
    let input = dir.join("regclient/testdata/testrepo");
    let set = Analyzer::new(one_thread())
        .analyze(&[input.to_string_lossy().as_ref()])
        .unwrap();
    assert!(!set.images.is_empty());
}

#[test]
fn unknown_layer_media_type_is_skipped_with_a_note_or_analysed() {
    let layer = layer_tar(&[("a", b"1")]);
    let config = json!({"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":[diff_id(&layer)]}}).to_string();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", config.as_bytes()),
        "layers": [descriptor("application/x-made-up", &layer)],
    })
    .to_string();
    let index = json!({
        "schemaVersion": 2,
        "manifests": [descriptor("application/vnd.oci.image.manifest.v1+json", manifest.as_bytes())],
    })
    .to_string();
    let bytes = oci_archive(
        index.as_bytes(),
        &[layer.clone(), config.into_bytes(), manifest.into_bytes()],
    );
    match streamed("mt", &bytes, &one_thread()) {
        Ok(set) => assert!(
            !set.notes.is_empty() || set.images.len() == 1,
            "{:?}",
            set.notes
        ),
        Err(e) => assert!(e.to_string().contains("application/x-made-up"), "{e}"),
    }
}

// ---------------------------------------------------------------- links

#[test]
fn outer_symlink_loop_is_malformed_not_a_hang() {
    let bytes = Outer::new()
        .symlink("manifest.json", "a")
        .symlink("a", "b")
        .symlink("b", "a")
        .finish();
    let (indexed, streamed, _) = both_ways("loop", &bytes, &one_thread());
    for e in [err(indexed), err(streamed)] {
        assert!(matches!(e, Error::Malformed { .. }), "{e}");
        assert!(e.to_string().contains("link loop"), "{e}");
    }
}

#[test]
fn outer_symlink_escaping_the_root_stays_inside_the_archive() {
    let bytes = Outer::new()
        .symlink("manifest.json", "../../../etc/passwd")
        .finish();
    let (indexed, streamed, _) = both_ways("escape", &bytes, &one_thread());
    for e in [err(indexed), err(streamed)] {
        match &e {
            Error::MissingMember { missing, .. } => assert_eq!(missing, "etc/passwd"),
            other => panic!("{other}"),
        }
    }
}

#[test]
fn oci_directory_symlinks_are_never_followed_on_the_host() {
    let tmp = temp_dir("ocidir-escape");
    let dir = tmp.path();
    write_file(dir, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    std::os::unix::fs::symlink("/etc/hostname", dir.join("index.json")).unwrap();
    let outside = temp_dir("ocidir-outside");
    let secret = write_file(
        outside.path(),
        "secret.json",
        br#"{"schemaVersion":2,"manifests":[]}"#,
    );
    std::os::unix::fs::symlink(&secret, dir.join("blobs")).unwrap();
    let before = listing(dir);
    let e = Analyzer::new(one_thread())
        .analyze(&[dir.to_string_lossy().as_ref()])
        .unwrap_err();
    match &e {
        Error::MissingMember { missing, .. } => assert_eq!(missing, "etc/hostname"),
        other => panic!("{other}"),
    }
    assert_eq!(before, listing(dir), "the library wrote into the input");
}

fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn scalibr_symlink_attack_sample_is_recorded_not_followed() {
    let Some(dir) = crate::common::public_dir() else {
        return;
    };
    let input =
        dir.join("osv-scalibr/artifact/image/layerscanning/image/testdata/symlink-attack.tar");
    let set = Analyzer::new(one_thread())
        .analyze(&[input.to_string_lossy().as_ref()])
        .unwrap();
    let links: Vec<(String, String)> = set
        .layers
        .values()
        .flat_map(|l| &l.files)
        .filter(|f| f.kind == EntryKind::Symlink)
        .map(|f| (f.path.clone(), f.link_target.clone().unwrap()))
        .collect();
    assert!(
        links.contains(&("dir1/attack-symlink.txt".into(), "../../secret.txt".into())),
        "{links:?}"
    );
}

#[test]
fn hostile_layer_paths_are_normalised_inside_the_root() {
    let mut layer = Vec::new();
    for (name, kind) in [
        (&b"../../etc/passwd"[..], tar::EntryType::Regular),
        (b"/abs/file", tar::EntryType::Regular),
        (b"./dot/file", tar::EntryType::Regular),
        (b"nul\0hidden", tar::EntryType::Regular),
        (b"bad\xff\xfeutf8", tar::EntryType::Regular),
        (b"dup", tar::EntryType::Regular),
        (b"dup", tar::EntryType::Regular),
        (b"hard", tar::EntryType::Link),
        (b"loop1", tar::EntryType::Symlink),
        (b"loop2", tar::EntryType::Symlink),
    ] {
        let mut h = header_named(name, kind, 0);
        match name {
            b"hard" => h.set_link_name("missing/target").unwrap(),
            b"loop1" => h.set_link_name("loop2").unwrap(),
            b"loop2" => h.set_link_name("loop1").unwrap(),
            _ => {}
        }
        raw_entry(&mut layer, &mut h, b"");
    }
    end_blocks(&mut layer);
    let rep = analyze_layer(&layer[..], &one_thread(), &mut |_| {}).unwrap();
    let paths: Vec<&str> = rep.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "etc/passwd",
            "abs/file",
            "dot/file",
            "nul",
            "bad\u{fffd}\u{fffd}utf8",
            "dup",
            "dup",
            "hard",
            "loop1",
            "loop2"
        ]
    );
    assert_eq!(rep.files[7].link_target.as_deref(), Some("missing/target"));
    assert_eq!(rep.counts.symlinks, 2);
    assert_eq!(rep.counts.hardlinks, 1);
    // Analysis goes on, and says what was odd.
    assert_eq!(
        rep.notes,
        [
            "1 entries repeat a path already in this layer (first: \"dup\"); the last entry of a path wins",
            "1 hardlinks point to a path not earlier in this layer (first: \"hard\"); they count 0 bytes",
        ]
    );
}

// ---------------------------------------------------------------- size of the walk

/// A layer of `n` empty files in 100 directories (no directory entries).
fn many_entries(n: usize) -> Vec<u8> {
    let mut w = LayerWriter::new(Vec::with_capacity(n * 1024));
    for i in 0..n {
        w.file(&format!("d{}/f{i}", i % 100), 0, 0o644, &[][..])
            .unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn layer_with_100k_entries_is_analysed_and_a_lower_entry_limit_stops_it() {
    let layer = many_entries(100_000);
    let opts = one_thread().keep_files(layerlens::KeepFiles::No);
    let rep = analyze_layer(&layer[..], &opts, &mut |_| {}).unwrap();
    assert_eq!(rep.counts.regular, 100_000);
    let opts = opts_with(|l| l.max_entries_per_layer = 1000);
    let e = analyze_layer(&layer[..], &opts, &mut |_| {}).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                limit: "max_entries_per_layer",
                max: 1000,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn directories_4096_deep_work_and_max_path_bytes_stops_longer_paths() {
    // Each of the 4096 ancestors of d/d/…/d is one directory entry.
    let mut w = LayerWriter::new(Vec::new());
    w.dir_all(&["d"; 4096].join("/")).unwrap();
    let layer = w.finish().unwrap();
    let rep = analyze_layer(&layer[..], &one_thread(), &mut |_| {}).unwrap();
    assert_eq!(rep.counts.directories, 4096);
    assert_eq!(rep.files.last().unwrap().path.len(), 4096 * 2 - 1);
    let opts = opts_with(|l| l.max_path_bytes = 1000);
    let e = analyze_layer(&layer[..], &opts, &mut |_| {}).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                limit: "max_path_bytes",
                max: 1000,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn too_many_outer_members_is_a_limit_error() {
    let mut outer = Outer::new();
    for i in 0..50 {
        outer = outer.file(&format!("m{i}"), b"x");
    }
    let bytes = outer.finish();
    let opts = opts_with(|l| l.max_members = 10);
    let (indexed, streamed, _) = both_ways("members", &bytes, &opts);
    for e in [err(indexed), err(streamed)] {
        assert!(
            matches!(
                e,
                Error::LimitExceeded {
                    limit: "max_members",
                    max: 10,
                    ..
                }
            ),
            "{e}"
        );
    }
}

// ---------------------------------------------------------------- interrupt

/// An endless tar stream of 1 MiB files: without the interrupt it would never end.
struct Endless {
    block: Vec<u8>,
    pos: usize,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.block.len() - self.pos);
        buf[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
        self.pos = (self.pos + n) % self.block.len();
        Ok(n)
    }
}

fn endless_layer_stream() -> Endless {
    let mut h = tar::Header::new_gnu();
    h.set_path("l/layer.tar").unwrap();
    h.set_size(1 << 40);
    h.set_mode(0o644);
    h.set_cksum();
    let mut block = h.as_bytes().to_vec(); // outer member: a 1 TiB "layer"
    let inner = many_entries(1);
    block.extend_from_slice(&inner[..512]);
    block.extend(std::iter::repeat_n(0u8, 1 << 20)); // never ends: content forever
    Endless { block, pos: 0 }
}

#[test]
fn interrupt_flag_stops_an_endless_stream_promptly() {
    let flag = Arc::new(AtomicBool::new(false));
    let opts = one_thread().interrupt(flag.clone());
    let raiser = {
        let flag = flag.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            flag.store(true, Ordering::Relaxed);
            Instant::now()
        })
    };
    let e = Analyzer::new(opts)
        .analyze_reader("endless", endless_layer_stream())
        .unwrap_err();
    let raised_at = raiser.join().unwrap();
    assert!(matches!(e, Error::Interrupted), "{e}");
    assert!(raised_at.elapsed() < Duration::from_secs(2));
}

#[test]
fn raised_interrupt_flag_stops_file_and_directory_inputs() {
    let flag = Arc::new(AtomicBool::new(true));
    let opts = one_thread().interrupt(flag);
    for input in [
        fixture("docker25.tar"),
        fixture("oci-dir"),
        fixture("legacy-two-images.tar.gz"),
    ] {
        let e = Analyzer::new(opts.clone()).analyze(&[&input]).unwrap_err();
        assert!(matches!(e, Error::Interrupted), "{input}: {e}");
    }
}
