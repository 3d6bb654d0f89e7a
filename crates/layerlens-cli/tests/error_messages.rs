//! What the binary says when an input is bad: each message names the input, the member
//! and the layer once, never repeats its cause, and the exit code is 2 for bad input and
//! 1 for an integrity failure. Inputs are named relative to the working directory, so
//! every line is pinned exactly.

mod common;
use common::*;

use layerlens_testtools::archive::{diff_id, docker_archive_of, gzip, layer_tar, oci_archive};
use layerlens_testtools::raw::{end_blocks, header_named, pax_entry, raw_entry};

/// Run `layerlens analyze INPUT` in `dir`: (exit code, stderr), and nothing on stdout.
fn analyze_in(dir: &std::path::Path, input: &str) -> (Option<i32>, String) {
    let o = run_in(dir, &["analyze", input]);
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
    (o.status.code(), stderr(&o))
}

#[cfg(unix)]
#[test]
fn a_missing_file_says_so_once_and_exits_2() {
    let tmp = temp_dir("msg-missing");
    assert_eq!(
        analyze_in(tmp.path(), "missing.tar"),
        (
            Some(2),
            "layerlens: error: missing.tar: read error: No such file or directory (os error 2)\n"
                .into()
        )
    );
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_says_permission_denied_once_and_exits_2() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = temp_dir("msg-perm");
    let path = write_file(tmp.path(), "locked.tar", b"x");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&path).is_ok() {
        // root reads anything: nothing to test
        return;
    }
    assert_eq!(
        analyze_in(tmp.path(), "locked.tar"),
        (
            Some(2),
            "layerlens: error: locked.tar: read error: Permission denied (os error 13)\n".into()
        )
    );
}

#[test]
fn a_directory_that_is_not_a_layout_exits_2() {
    let tmp = temp_dir("msg-dir");
    std::fs::create_dir(tmp.path().join("photos")).unwrap();
    assert_eq!(
        analyze_in(tmp.path(), "photos"),
        (
            Some(2),
            "layerlens: error: photos: not an image archive: no manifest.json, index.json or \
             repositories member\n"
                .into()
        )
    );
}

#[test]
fn a_truncated_archive_names_the_member_it_ends_in() {
    let tmp = temp_dir("msg-cut");
    let full = docker_archive_of(&layer_tar(&[("etc/motd", &[7u8; 3000])]));
    write_file(tmp.path(), "cut.tar", &full[..512 + 1500]);
    assert_eq!(
        analyze_in(tmp.path(), "cut.tar"),
        (
            Some(2),
            "layerlens: error: cut.tar, member \"l0/layer.tar\": malformed: member of 4608 \
             bytes at offset 512 runs past the end of the archive (2012 bytes)\n"
                .into()
        )
    );
}

#[test]
fn a_broken_gzip_stream_exits_2() {
    let tmp = temp_dir("msg-gzip");
    let mut bytes = gzip(&docker_archive_of(&layer_tar(&[("a", b"a")])));
    bytes.truncate(40);
    write_file(tmp.path(), "short.tar.gz", &bytes);
    assert_eq!(
        analyze_in(tmp.path(), "short.tar.gz"),
        (
            Some(2),
            "layerlens: error: short.tar.gz: malformed: truncated: incomplete deflate stream\n"
                .into()
        )
    );
}

#[test]
fn a_diff_id_mismatch_exits_1_naming_input_member_layer_and_image_once() {
    let dir = std::path::Path::new(&fixture("corrupt-diffid.tar"))
        .parent()
        .unwrap()
        .to_path_buf();
    assert_eq!(
        analyze_in(&dir, "corrupt-diffid.tar"),
        (
            Some(1),
            "layerlens: error: corrupt-diffid.tar, member \
             \"2311b2d22a6b0ca830de5a6b1e5858a1def83cbb809bf0d88524fe6a3ffa6869/layer.tar\", \
             layer sha256:ae5cad553f1378dfe53b2ab25fdc0238daea838caa6195ef6225159923d7fcec, \
             image acme/corrupt:1: layer diff_id mismatch: expected \
             sha256:ae5cad553f1378dfe53b2ab25fdc0238daea838caa6195ef6225159923d7fcec, found \
             sha256:06bc6019d2481c163d6d84daf4d25a1ae44a914c7b2cb260abb8c8407e87a39e\n"
                .into()
        )
    );
}

#[test]
fn bad_json_names_the_member_and_the_parser_error_once() {
    let tmp = temp_dir("msg-json");
    write_file(tmp.path(), "index.tar", &oci_archive(b"{bad", &[]));
    assert_eq!(
        analyze_in(tmp.path(), "index.tar"),
        (
            Some(2),
            "layerlens: error: index.tar, member \"index.json\": invalid JSON: key must be a \
             string at line 1 column 2\n"
                .into()
        )
    );
    let layout = tmp.path().join("layout");
    std::fs::create_dir(&layout).unwrap();
    write_file(
        &layout,
        "manifest.json",
        br#"[{"Config":"c.json","Layers":[]}]"#,
    );
    write_file(&layout, "c.json", b"{\"rootfs\": 7}");
    assert_eq!(
        analyze_in(tmp.path(), "layout"),
        (
            Some(2),
            "layerlens: error: layout, member \"c.json\": invalid JSON: invalid type: integer \
             `7`, expected struct RootFs at line 1 column 12\n"
                .into()
        )
    );
}

#[test]
fn a_malformed_pax_record_in_a_layer_exits_2_naming_member_layer_and_entry() {
    let tmp = temp_dir("msg-pax");
    let mut layer = Vec::new();
    pax_entry(&mut layer, b"11 size=-1\n");
    let mut h = header_named(b"etc/passwd", tar::EntryType::Regular, 3);
    raw_entry(&mut layer, &mut h, b"abc");
    end_blocks(&mut layer);
    write_file(tmp.path(), "pax.tar", &docker_archive_of(&layer));
    assert_eq!(
        analyze_in(tmp.path(), "pax.tar"),
        (
            Some(2),
            format!(
                "layerlens: error: pax.tar, member \"l0/layer.tar\", layer {}: malformed \
                 extended header of entry \"etc/passwd\": pax record size=\"-1\" is not a \
                 number from 0 to 9223372036854775807\n",
                diff_id(&layer)
            )
        )
    );
}

#[test]
fn an_archive_with_no_image_exits_2() {
    let tmp = temp_dir("msg-noimage");
    write_file(
        tmp.path(),
        "empty-index.tar",
        &oci_archive(br#"{"schemaVersion":2,"manifests":[]}"#, &[]),
    );
    assert_eq!(
        analyze_in(tmp.path(), "empty-index.tar"),
        (
            Some(2),
            "layerlens: error: empty-index.tar: no image in the input: index.json lists no \
             manifests\n"
                .into()
        )
    );
}
