//! Image stores read in place (`testdata/stores`, real stores written by dockerd 20.10,
//! dockerd 26 + containerd, podman/buildah overlay and vfs; see its README): each store
//! gives the figures its own `docker save` / `podman save` archives give, its states
//! and sizes are the daemons', damage is a clear error, and nothing is ever written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use layerlens::{Analyzer, ArchiveFormat, Error, ImageSet, ImageState, Options, Report};
use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::common::*;

fn stores() -> PathBuf {
    repo_root().join("testdata/stores")
}

/// (store directory, its saves directory, the format it reads as)
const STORES: [(&str, &str, ArchiveFormat); 4] = [
    ("docker20", "docker20", ArchiveFormat::DockerStore),
    (
        "docker26/containerd-root",
        "docker26",
        ArchiveFormat::ContainerdStore,
    ),
    (
        "cs-overlay/root",
        "cs-overlay",
        ArchiveFormat::ContainersStorage,
    ),
    ("cs-vfs/root", "cs-vfs", ArchiveFormat::ContainersStorage),
];

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn saves(dir: &str, prefixes: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(stores().join("saves").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            prefixes.iter().any(|pre| name.starts_with(pre))
        })
        .map(|p| path(&p))
        .collect();
    out.sort();
    out
}

fn set(inputs: &[String], opts: Options) -> ImageSet {
    Analyzer::new(opts)
        .analyze(inputs)
        .unwrap_or_else(|e| panic!("analysing {inputs:?}: {e:#}"))
}

fn report(inputs: &[String], opts: Options) -> Report {
    Report::new(&set(inputs, opts))
}

/// Every figure of a report: the whole JSON but what names where the images were read
/// (inputs, notes, sources, format), what only a store knows (`store`, `store_size`),
/// and the descriptors' media types (Docker 26's save lists layers in `manifest.json`,
/// which has none).
fn figures(r: &Report) -> Value {
    let mut v: Value = serde_json::from_str(&r.to_json()).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("inputs");
    o.remove("notes");
    for image in o["images"].as_array_mut().unwrap() {
        let i = image.as_object_mut().unwrap();
        for k in ["sources", "format", "store"] {
            i.remove(k);
        }
        for layer in i["layers"].as_array_mut().unwrap() {
            let l = layer.as_object_mut().unwrap();
            l.remove("store_size");
            l.remove("media_type");
        }
    }
    v
}

#[test]
fn each_store_gives_the_figures_of_its_saves() {
    for (dir, save_dir, format) in STORES {
        let store = report(&[path(&stores().join(dir))], Options::default());
        assert!(
            store.images.len() >= 8,
            "{dir}: {} images",
            store.images.len()
        );
        for image in &store.images {
            assert_eq!(image.format, format, "{dir}");
            let s = image.store.as_ref().expect("store facts");
            assert_ne!(s.state, ImageState::Intermediate, "{dir}: not by default");
            assert!(image
                .layers
                .iter()
                .all(|l| l.verified && l.store_size.is_some()));
        }
        // `docker save` of every tagged image and of the dangling one
        let archives = report(&saves(save_dir, &["all", "dangling-"]), Options::default());
        assert_eq!(figures(&store), figures(&archives), "{dir}");
    }
}

#[test]
fn intermediate_images_come_with_all_and_match_their_save() {
    let input = path(&stores().join("docker20"));
    let opts = Options::default().include_intermediate(true);
    let all = set(std::slice::from_ref(&input), opts.clone());
    let default = set(std::slice::from_ref(&input), Options::default());
    let inter: Vec<_> = all
        .images
        .iter()
        .filter(|i| i.store.as_ref().unwrap().state == ImageState::Intermediate)
        .collect();
    assert_eq!(inter.len(), 7);
    assert_eq!(all.images.len(), default.images.len() + 7);
    assert!(default.notes.iter().any(|n| n.contains("7 intermediate")));
    // The saved intermediate image, analysed alone and from the store alone.
    let save = saves("docker20", &["intermediate-"]);
    let saved = report(&save, Options::default());
    let id = saved.images[0].id.clone();
    let alone = Report::new(&ImageSet {
        images: all.images.iter().filter(|i| i.id == id).cloned().collect(),
        ..all.clone()
    });
    assert_eq!(alone.images.len(), 1);
    let keep = |r: &Report| {
        let mut v = figures(r);
        v["images"][0]
            .as_object_mut()
            .unwrap()
            .remove("base_layers");
        v["images"][0]["layers"].clone()
    };
    assert_eq!(keep(&alone), keep(&saved));
    assert_eq!(alone.images[0].size, saved.images[0].size);
}

/// What `docker image inspect` / `podman image inspect` said when the stores were made.
fn summary(dir: &str) -> Vec<Value> {
    let p = stores().join("records").join(dir).join("summary.json");
    let v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    v["images"].as_array().unwrap().clone()
}

#[test]
fn states_parents_and_sizes_are_the_daemons() {
    let opts = Options::default().include_intermediate(true);
    for (dir, save_dir, _) in STORES {
        let r = report(&[path(&stores().join(dir))], opts.clone());
        let daemon = summary(save_dir);
        let count = |f: &dyn Fn(&Value) -> bool| daemon.iter().filter(|i| f(i)).count();
        let ours = |s: ImageState| {
            r.images
                .iter()
                .filter(|i| i.store.as_ref().unwrap().state == s)
                .count()
        };
        assert_eq!(
            ours(ImageState::Dangling),
            count(&|i| i["dangling"] == true),
            "{dir}"
        );
        assert_eq!(
            ours(ImageState::Intermediate),
            count(&|i| i["intermediate"] == true),
            "{dir}"
        );
        assert_eq!(r.images.len(), daemon.len(), "{dir}");
        if save_dir == "docker26" {
            continue; // Docker's ids there are manifest digests, layerlens's configs'
        }
        let by_id: BTreeMap<&str, &Value> = daemon
            .iter()
            .map(|i| (i["id"].as_str().unwrap(), i))
            .collect();
        for image in &r.images {
            let d = by_id[image.id.as_str()];
            let parent = image.store.as_ref().unwrap().parent.as_ref();
            assert_eq!(parent.map(|p| p.as_str()), d["parent"].as_str(), "{dir}");
            let store_size: u64 = image.layers.iter().map(|l| l.store_size.unwrap()).sum();
            if save_dir == "docker20" {
                // docker image inspect's Size = Σ layerdb `size` = files + symlink targets
                assert_eq!(store_size, d["size"].as_u64().unwrap(), "{dir}");
                assert_eq!(image.docker_size, store_size, "{dir}");
            } else {
                // podman's Size adds the big-data items to Σ diff-size (the tars)
                let tars: u64 = image.layers.iter().map(|l| l.tar_size).sum();
                assert_eq!(store_size, tars, "{dir}");
                assert!(d["size"].as_u64().unwrap() > tars, "{dir}");
            }
        }
    }
}

#[test]
fn stores_mix_with_archives_cache_and_partials() {
    let store = path(&stores().join("docker20"));
    let archive = saves("docker20", &["all"]).remove(0);
    // one run over both: each image once, from both inputs, still a store image
    let both = set(&[store.clone(), archive.clone()], Options::default());
    assert!(both
        .images
        .iter()
        .all(|i| i.sources.len() == 2 && i.store.is_some()));
    // partial results merge to the same report
    let a = set(std::slice::from_ref(&store), Options::default());
    let b = set(std::slice::from_ref(&archive), Options::default());
    let a = ImageSet::from_partial_json(a.to_partial_json().as_bytes()).unwrap();
    let merged = ImageSet::merge([a, b]);
    assert_eq!(Report::new(&merged).to_json(), Report::new(&both).to_json());
    // the cache: a second run reads no layer and gives the same report
    let dir = scratch("store-cache");
    let cached = Options::default().cache(dir.clone());
    let first = report(std::slice::from_ref(&store), cached.clone());
    assert!(std::fs::read_dir(&dir).unwrap().count() > 0);
    let second = report(std::slice::from_ref(&store), cached);
    assert_eq!(first.to_json(), second.to_json());
}

/// Every file below `dir`: size, mtime and content.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            if m.is_dir() {
                stack.push(e.path());
                out.insert(e.path(), (0, m.modified().unwrap(), Vec::new()));
            } else {
                let bytes = std::fs::read(e.path()).unwrap_or_default();
                out.insert(e.path(), (m.len(), m.modified().unwrap(), bytes));
            }
        }
    }
    out
}

#[test]
fn analysis_writes_nothing_under_a_store() {
    let before = snapshot(&stores());
    for (dir, _, _) in STORES {
        let opts = Options::default().include_intermediate(true);
        set(&[path(&stores().join(dir))], opts);
    }
    let after = snapshot(&stores());
    assert_eq!(before.len(), after.len(), "files appeared or vanished");
    for (p, b) in &before {
        assert!(after.get(p) == Some(b), "{} changed", p.display());
    }
}

/// A writable copy of a committed store.
fn copy(dir: &str, name: &str) -> PathBuf {
    let to = scratch(name);
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(stores().join(dir))
        .arg(to.join("s"))
        .status()
        .unwrap();
    assert!(status.success());
    to.join("s")
}

fn error(input: &Path) -> Error {
    Analyzer::new(Options::default())
        .analyze(&[path(input)])
        .expect_err("a damaged store")
}

/// The file of a layer's directory that a tar-split reads, and that layer's diff_id.
fn a_layer_file(store: &Path) -> (PathBuf, String) {
    let l = store.join("image/overlay2/layerdb/sha256");
    for e in std::fs::read_dir(&l).unwrap() {
        let e = e.unwrap().path();
        let cache = std::fs::read_to_string(e.join("cache-id")).unwrap();
        let diff = store.join("overlay2").join(cache.trim()).join("diff");
        if let Some(f) = first_file(&diff) {
            return (f, std::fs::read_to_string(e.join("diff")).unwrap());
        }
    }
    panic!("no layer file")
}

fn first_file(dir: &Path) -> Option<PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_file() {
            return Some(p);
        }
        if let Some(f) = first_file(&p) {
            return Some(f);
        }
    }
    None
}

#[test]
fn damaged_stores_give_clear_errors() {
    // a missing file, a file of another size, a symlink out of the store
    for (case, damage) in [
        ("missing", 0),
        ("resized", 1),
        ("symlink", 2),
        ("symlinked-dir", 3),
    ] {
        let store = copy("docker20", &format!("store-{case}"));
        let (file, diff_id) = a_layer_file(&store);
        match damage {
            0 => std::fs::remove_file(&file).unwrap(),
            1 => std::fs::write(&file, b"changed").unwrap(),
            2 => {
                std::fs::remove_file(&file).unwrap();
                std::os::unix::fs::symlink("/etc/passwd", &file).unwrap();
            }
            _ => {
                let parent = file.parent().unwrap();
                let moved = store.parent().unwrap().join("outside");
                std::fs::rename(parent, &moved).unwrap();
                std::os::unix::fs::symlink(&moved, parent).unwrap();
            }
        }
        let e = error(&store);
        let msg = format!("{e}");
        let at = e.location().expect("a location");
        assert!(matches!(e, Error::Malformed { .. }), "{case}: {msg}");
        assert_eq!(at.input(), path(&store), "{case}");
        assert!(
            at.member().unwrap().ends_with("tar-split.json.gz"),
            "{case}: {msg}"
        );
        assert_eq!(at.layer(), Some(diff_id.trim()), "{case}: {msg}");
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let want = ["missing", "bytes on disk", "symlink", "symlink"][damage];
        assert!(msg.contains(want), "{case}: {msg}");
        assert!(damage == 3 || msg.contains(&name), "{case}: {msg}");
    }
}

#[test]
fn damaged_metadata_gives_clear_errors() {
    // a truncated tar-split: the error names it, before any layer is read
    let store = copy("cs-overlay/root", "store-tarsplit");
    let layers = store.join("overlay-layers");
    let ts = std::fs::read_dir(&layers)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.to_string_lossy().ends_with(".tar-split.gz") && p.metadata().unwrap().len() > 200
        })
        .unwrap();
    let bytes = std::fs::read(&ts).unwrap();
    std::fs::write(&ts, &bytes[..bytes.len() / 2]).unwrap();
    let e = error(&store);
    let name = ts.file_name().unwrap().to_string_lossy().into_owned();
    let at = e.location().unwrap();
    assert!(at.member().unwrap().ends_with(&name), "{e}");
    assert!(at.layer().is_some_and(|l| l.starts_with("sha256:")), "{e}");

    // a damaged meta.db
    let store = copy("docker26/containerd-root", "store-metadb");
    let db = store.join("io.containerd.metadata.v1.bolt/meta.db");
    let mut bytes = std::fs::read(&db).unwrap();
    for b in &mut bytes[..8192] {
        *b ^= 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    let e = error(&store);
    assert!(matches!(e, Error::Malformed { .. }), "{e}");
    assert!(format!("{e}").contains("meta.db"), "{e}");

    // every byte of meta.db damaged in turn: an error or a result, never a panic
    let good = std::fs::read(
        stores().join("docker26/containerd-root/io.containerd.metadata.v1.bolt/meta.db"),
    )
    .unwrap();
    for at in (0..good.len()).step_by(good.len() / 16) {
        let mut b = good.clone();
        b[at] ^= 0xa5;
        std::fs::write(&db, &b).unwrap();
        let _ = Analyzer::new(Options::default()).analyze(&[path(&store)]);
    }
}

#[test]
fn stores_of_other_drivers_or_layouts_are_refused_clearly() {
    let t = scratch("store-drivers");
    // a Docker data root on btrfs
    std::fs::create_dir_all(t.join("docker/image/btrfs/imagedb")).unwrap();
    let e = error(&t.join("docker"));
    assert!(
        matches!(e, Error::UnknownFormat { .. }) && format!("{e}").contains("btrfs"),
        "{e}"
    );
    // a data root whose images are in an outside containerd (Docker 26 with containerd)
    std::fs::create_dir_all(t.join("d26")).unwrap();
    std::fs::write(t.join("d26/engine-id"), b"x").unwrap();
    let e = error(&t.join("d26"));
    assert!(format!("{e}").contains("containerd root"), "{e}");
    // containers-storage on zfs
    std::fs::create_dir_all(t.join("cs/zfs-images")).unwrap();
    std::fs::create_dir_all(t.join("cs/zfs-layers")).unwrap();
    let e = error(&t.join("cs"));
    assert!(format!("{e}").contains("zfs"), "{e}");
    // Docker 29 keeps containerd's root below its data root: found from the data root
    let d29 = copy("docker26/containerd-root", "store-docker29");
    let root = d29.parent().unwrap().join("docker");
    std::fs::create_dir_all(root.join("containerd")).unwrap();
    std::fs::rename(&d29, root.join("containerd/daemon")).unwrap();
    std::fs::write(root.join("engine-id"), b"x").unwrap();
    let inside = report(&[path(&root)], Options::default());
    let alone = report(
        &[path(&stores().join("docker26/containerd-root"))],
        Options::default(),
    );
    assert_eq!(figures(&inside), figures(&alone));
    assert!(inside
        .images
        .iter()
        .all(|i| i.format == ArchiveFormat::ContainerdStore));
    // an OCI layout is still an OCI layout
    let oci = report(&[fixture("oci-dir")], Options::default());
    assert!(oci.images.iter().all(|i| i.format == ArchiveFormat::Oci));
}

#[test]
fn a_docker_vfs_data_root_reads_layers_from_vfs_dir() {
    // docker20 moved to the vfs driver's layout: image/vfs, vfs/dir/<cache-id>/
    let root = copy("docker20", "store-docker-vfs");
    std::fs::rename(root.join("image/overlay2"), root.join("image/vfs")).unwrap();
    std::fs::create_dir_all(root.join("vfs/dir")).unwrap();
    for e in std::fs::read_dir(root.join("overlay2")).unwrap() {
        let e = e.unwrap();
        std::fs::rename(
            e.path().join("diff"),
            root.join("vfs/dir").join(e.file_name()),
        )
        .unwrap();
    }
    std::fs::remove_dir_all(root.join("overlay2")).unwrap();
    let vfs = report(&[path(&root)], Options::default());
    let overlay2 = report(&[path(&stores().join("docker20"))], Options::default());
    assert_eq!(figures(&vfs), figures(&overlay2));
}
