//! Malformed tar extension members (pax records, GNU long names) are rejected where
//! Go's `archive/tar` rejects them, in the outer archive and inside a layer, with an
//! error that names the input, the member, the layer and the entry; and an archive
//! whose metadata lists no image is an error, not an empty report.

use layerlens::{analyze_layer, Error, ImageSet, Options};

use layerlens_testtools::archive::*;
use layerlens_testtools::raw::*;
use layerlens_testtools::run::both_ways;

fn one_thread() -> Options {
    Options::default().threads(1)
}

fn err(r: Result<ImageSet, Error>) -> Error {
    match r {
        Ok(_) => panic!("expected an error, got a result"),
        Err(e) => e,
    }
}

/// The hostile records, and what the error says about each.
const BAD_RECORDS: [(&[u8], &str); 5] = [
    (
        b"0 size=3\n",
        "pax record at byte 0 has length 0, too short for a record",
    ),
    (
        b"99 path=x\n",
        "pax record at byte 0 has length 99, beyond the 10 bytes left in the header",
    ),
    (
        b"11 size=-1\n",
        "pax record size=\"-1\" is not a number from 0 to 9223372036854775807",
    ),
    (
        b"29 size=18446744073709551616\n",
        "pax record size=\"18446744073709551616\" is not a number from 0 to 9223372036854775807",
    ),
    (
        b"12 size=ten\n",
        "pax record size=\"ten\" is not a number from 0 to 9223372036854775807",
    ),
];

/// A layer whose one file `f` (3 bytes) is described by `records`.
fn layer_with_pax(records: &[u8]) -> Vec<u8> {
    let mut layer = Vec::new();
    pax_entry(&mut layer, records);
    let mut h = header_named(b"f", tar::EntryType::Regular, 3);
    raw_entry(&mut layer, &mut h, b"abc");
    end_blocks(&mut layer);
    layer
}

fn assert_layer_error(e: &Error, path: &str, name: &str, layer: &[u8], reason: &str) {
    let Error::ExtendedHeader {
        at,
        entry,
        reason: got,
    } = e
    else {
        panic!("{name}: expected an extended-header error, got {e}");
    };
    assert_eq!(at.input(), path, "{e}");
    assert_eq!(at.member(), Some("l0/layer.tar"), "{e}");
    assert_eq!(at.layer(), Some(diff_id(layer).as_str()), "{e}");
    assert_eq!(entry.as_deref(), Some("f"), "{e}");
    assert_eq!(got, reason, "{e}");
}

#[test]
fn malformed_pax_records_in_a_layer_are_rejected_naming_member_layer_and_entry() {
    for (records, reason) in BAD_RECORDS {
        let layer = layer_with_pax(records);
        let (indexed, streamed, path) =
            both_ways("paxlayer", &docker_archive_of(&layer), &one_thread());
        let e = err(indexed);
        assert_layer_error(&e, &path, "indexed", &layer, reason);
        assert_eq!(
            e.to_string(),
            format!(
                "{path}, member \"l0/layer.tar\", layer {}: malformed extended header of \
                 entry \"f\": {reason}",
                diff_id(&layer)
            )
        );
        assert!(!e.is_integrity());
        assert_layer_error(&err(streamed), "paxlayer", "streamed", &layer, reason);
        // The library entry point says the same, without a location.
        let e = analyze_layer(&layer[..], &one_thread(), &mut |_| {}).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("<input>: malformed extended header of entry \"f\": {reason}")
        );
    }
}

#[test]
fn malformed_pax_records_in_the_outer_archive_are_rejected_naming_the_member() {
    let layer = layer_tar(&[("etc/motd", b"hi")]);
    for (records, reason) in BAD_RECORDS {
        let mut bytes = Vec::new();
        pax_entry(&mut bytes, records);
        bytes.extend(docker_archive_of(&layer));
        let (indexed, streamed, path) = both_ways("paxouter", &bytes, &one_thread());
        for (input, e) in [(path.as_str(), err(indexed)), ("paxouter", err(streamed))] {
            assert_eq!(
                e.to_string(),
                format!("{input}, member \"l0/layer.tar\": malformed extended header: {reason}")
            );
            assert!(
                matches!(e, Error::ExtendedHeader { entry: None, .. }),
                "{e}"
            );
        }
    }
}

/// A valid pax `size` larger than what follows: the entry runs past the end of the
/// layer, or of the archive.
#[test]
fn a_pax_size_beyond_the_archive_is_malformed_naming_the_member() {
    let layer = layer_with_pax(b"19 size=1000000000\n");
    let (indexed, streamed, path) = both_ways("paxbig", &docker_archive_of(&layer), &one_thread());
    for (input, e) in [(path.as_str(), err(indexed)), ("paxbig", err(streamed))] {
        assert_eq!(
            e.to_string(),
            format!(
                "{input}, member \"l0/layer.tar\", layer {}: malformed: truncated: entry \"f\" \
                 declares 1000000000 bytes but has 1536",
                diff_id(&layer)
            )
        );
    }

    let mut bytes = Vec::new();
    pax_entry(&mut bytes, b"19 size=1000000000\n");
    bytes.extend(docker_archive_of(&layer_tar(&[("a", b"a")])));
    let (indexed, streamed, path) = both_ways("paxbigouter", &bytes, &one_thread());
    let e = err(indexed);
    assert_eq!(
        e.to_string(),
        format!(
            "{path}, member \"l0/layer.tar\": malformed: member of 1000000000 bytes at offset \
             1536 runs past the end of the archive ({} bytes)",
            bytes.len()
        )
    );
    let e = err(streamed);
    assert!(matches!(e, Error::Malformed { .. }), "{e}");
    assert_eq!(e.location().and_then(|l| l.member()), Some("l0/layer.tar"));
}

/// A GNU long name or a pax header declaring more than 1 MiB is refused at its header:
/// nothing of it is read or allocated.
#[test]
fn an_absurd_long_name_or_pax_header_is_refused_before_it_is_read() {
    for (what, declared) in [
        ("GNU long name", 1u64 << 40),
        ("pax extended header", 2 << 20),
    ] {
        let mut layer = Vec::new();
        let entry = if what.starts_with("GNU") {
            long_name_header(&mut layer, declared);
            "././@LongLink"
        } else {
            let mut h = header_named(b"PaxHeaders/x", tar::EntryType::XHeader, declared);
            h.set_cksum();
            layer.extend_from_slice(h.as_bytes());
            "PaxHeaders/x"
        };
        layer.extend(vec![b'a'; 4096]);
        end_blocks(&mut layer);
        let reason = format!("{what} of {declared} bytes (at most 1048576)");
        let e = analyze_layer(&layer[..], &one_thread(), &mut |_| {}).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("<input>: malformed extended header of entry {entry:?}: {reason}")
        );
        let (indexed, streamed, path) =
            both_ways("longlayer", &docker_archive_of(&layer), &one_thread());
        for (input, e) in [(path.as_str(), err(indexed)), ("longlayer", err(streamed))] {
            assert_eq!(
                e.to_string(),
                format!(
                    "{input}, member \"l0/layer.tar\", layer {}: malformed extended header of \
                     entry {entry:?}: {reason}",
                    diff_id(&layer)
                )
            );
        }

        // In the outer archive, the extension member is the member named.
        let mut bytes = layer[..512].to_vec();
        bytes.extend(docker_archive_of(&layer_tar(&[("a", b"a")])));
        let (indexed, streamed, path) = both_ways("longouter", &bytes, &one_thread());
        for (input, e) in [(path.as_str(), err(indexed)), ("longouter", err(streamed))] {
            assert_eq!(
                e.to_string(),
                format!("{input}, member {entry:?}: malformed extended header: {reason}")
            );
        }
    }
}

/// Records Go accepts stay accepted: several records, a pax size that overrides the
/// header's, an xattr value holding a newline after them.
#[test]
fn well_formed_pax_records_are_read() {
    let mut layer = Vec::new();
    pax_entry(
        &mut layer,
        b"14 path=a b=c\n10 size=3\n12 uid=1000\n27 SCHILY.xattr.user.a=x\ny\n",
    );
    let mut h = header_named(b"f", tar::EntryType::Regular, 0);
    raw_entry(&mut layer, &mut h, b"abc");
    end_blocks(&mut layer);
    let rep = analyze_layer(&layer[..], &one_thread(), &mut |_| {}).unwrap();
    let got: Vec<(&str, u64, u64)> = rep
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.size, f.uid))
        .collect();
    assert_eq!(got, [("a b=c", 3, 1000)]);
}

// ---------------------------------------------------------------- no image

#[test]
fn an_archive_listing_no_image_is_an_error_not_an_empty_report() {
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "emptymanifest",
            docker_archive_with_manifest(b"[]"),
            "manifest.json lists none",
        ),
        (
            "nullmanifests",
            oci_archive(br#"{"schemaVersion":2,"manifests":null}"#, &[]),
            "index.json lists no manifests",
        ),
        (
            "nomanifests",
            oci_archive(br#"{"schemaVersion":2,"manifests":[]}"#, &[]),
            "index.json lists no manifests",
        ),
        (
            "bothempty",
            Outer::new()
                .file("manifest.json", b"[]")
                .file("index.json", br#"{"schemaVersion":2}"#)
                .finish(),
            "manifest.json and index.json list none",
        ),
    ];
    for (tag, bytes, reason) in cases {
        let (indexed, streamed, path) = both_ways(tag, &bytes, &one_thread());
        for (input, e) in [(path.as_str(), err(indexed)), (tag, err(streamed))] {
            assert!(matches!(e, Error::NoImage { .. }), "{e}");
            assert_eq!(
                e.to_string(),
                format!("{input}: no image in the input: {reason}")
            );
            assert!(!e.is_integrity());
        }
    }
}

#[test]
fn an_empty_oci_layout_directory_is_an_error() {
    let dir = layerlens_testtools::io::temp_dir("emptylayout");
    let root = dir.path().join("layout");
    std::fs::create_dir_all(root.join("blobs/sha256")).unwrap();
    std::fs::write(
        root.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("index.json"),
        br#"{"schemaVersion":2,"manifests":[]}"#,
    )
    .unwrap();
    let input = root.to_str().unwrap();
    let e = err(layerlens::Analyzer::new(one_thread()).analyze(&[input]));
    assert_eq!(
        e.to_string(),
        format!("{input}: no image in the input: index.json lists no manifests")
    );
}
