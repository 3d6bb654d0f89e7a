//! Per-file records: what each entry of a layer becomes, and the streaming visitor.

use std::sync::{Arc, Mutex};

use layerlens::{Analyzer, EntryKind, FileRecord, KeepFiles, Options};

use crate::common::fixture;

fn base_layer_files() -> Vec<FileRecord> {
    let set = Analyzer::new(Options::default())
        .analyze(&[fixture("legacy-two-images.tar")])
        .unwrap();
    let base = set
        .find_image("acme/base:1")
        .expect("acme/base:1 is in the fixture");
    set.layer(&base.layers[0].diff_id).unwrap().files.clone()
}

fn find<'a>(files: &'a [FileRecord], path: &str) -> &'a FileRecord {
    files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} not recorded"))
}

#[test]
fn records_keep_kind_size_mode_and_link_targets() {
    let files = base_layer_files();
    let busybox = find(&files, "usr/bin/busybox");
    assert_eq!(busybox.kind, EntryKind::Regular);
    assert_eq!(busybox.size, 16384);
    assert_eq!(busybox.mode & 0o7777, 0o755);
    assert_eq!(busybox.mtime, 1_700_000_000);
    assert!(busybox.digest.is_some());
    let ls = find(&files, "usr/bin/ls");
    assert_eq!(ls.kind, EntryKind::Hardlink);
    assert_eq!(ls.size, 0);
    assert_eq!(ls.link_target.as_deref(), Some("usr/bin/busybox"));
    let sh = find(&files, "usr/bin/sh");
    assert_eq!(sh.kind, EntryKind::Symlink);
    assert_eq!(sh.link_target.as_deref(), Some("busybox"));
    assert_eq!(find(&files, "usr/bin").kind, EntryKind::Directory);
    // Empty files have a digest too, and equal contents have equal digests.
    assert_eq!(
        find(&files, "etc/empty.conf").digest,
        find(&files, "usr/lib/libempty.so").digest
    );
    assert_ne!(busybox.digest, find(&files, "usr/lib/libc.so.6").digest);
}

#[test]
fn gnu_and_pax_long_names_are_recorded_whole() {
    let files = base_layer_files();
    let gnu = "usr/lib/python3/site-packages/layerlens_fixture_package_with_a_rather_long_name/generated_submodule_directory/module_file.py";
    assert_eq!(find(&files, gnu).size, 900);
    let set = Analyzer::new(Options::default())
        .analyze(&[fixture("legacy-two-images.tar")])
        .unwrap();
    let pax = "usr/share/doc/layerlens-fixture-documentation-directory/examples/nested/deeper/still-deeper/an-example-file-with-a-long-name.txt";
    let hit = set
        .layers
        .values()
        .flat_map(|l| l.files.iter())
        .find(|f| f.path == pax)
        .expect("the pax long name is recorded");
    assert_eq!(hit.size, 700);
}

#[test]
fn whiteouts_and_opaque_markers_name_what_they_hide() {
    let set = Analyzer::new(Options::default())
        .analyze(&[fixture("legacy-two-images.tar")])
        .unwrap();
    let all: Vec<&FileRecord> = set.layers.values().flat_map(|l| l.files.iter()).collect();
    let wh = all.iter().find(|f| f.path == "etc/.wh.empty.conf").unwrap();
    assert_eq!(wh.kind, EntryKind::Whiteout);
    assert_eq!(wh.whiteout_target().as_deref(), Some("etc/empty.conf"));
    let opq = all
        .iter()
        .find(|f| f.path == "var/lib/data/.wh..wh..opq")
        .unwrap();
    assert_eq!(opq.kind, EntryKind::OpaqueWhiteout);
    assert_eq!(opq.whiteout_target().as_deref(), Some("var/lib/data"));
    // "./.wh.foo" is normalised: a whiteout of "foo" at the root.
    let dot = all.iter().find(|f| f.path == ".wh.foo").unwrap();
    assert_eq!(dot.whiteout_target().as_deref(), Some("foo"));
}

#[test]
fn a_visitor_sees_every_record_of_each_unique_layer_once_without_keeping_them() {
    type Seen = (String, String, u64, EntryKind);
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let sink = seen.clone();
    let opts = Options::default()
        .keep_files(KeepFiles::No)
        .file_visitor(Arc::new(
            move |_input: &str, member: &str, rec: &FileRecord| {
                sink.lock().unwrap().push((
                    member.to_string(),
                    rec.path.clone(),
                    rec.size,
                    rec.kind,
                ));
            },
        ));
    let set = Analyzer::new(opts)
        .analyze(&[fixture("legacy-two-images.tar")])
        .unwrap();
    assert!(set.layers.values().all(|l| l.files.is_empty()));
    let seen = seen.lock().unwrap();
    let entries: u64 = set.layers.values().map(|l| l.counts.total()).sum();
    assert_eq!(seen.len() as u64, entries);
    let regular: u64 = seen
        .iter()
        .filter(|s| s.3 == EntryKind::Regular)
        .map(|s| s.2)
        .sum();
    // Each unique layer once: the regular bytes seen are the deduplicated content size.
    assert_eq!(regular, 77_496);
}
