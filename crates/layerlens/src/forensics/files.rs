//! `files`: every entry of an image's final filesystem, or of one of its layers, with
//! what the rest of the analysis says about it: which layer and command added it, the
//! package that owns it, its attribution kind, whether a later layer hid it.
//!
//! Rows come out in path order, one at a time ([`files`] takes a callback), so that a
//! million-entry image streams without a list of rows in memory.

use globset::{Glob, GlobMatcher};
use serde::Serialize;

use crate::attribution::owners::{Context, Table};
use crate::attribution::packages::Manager;
use crate::attribution::rules::classify_class;
use crate::attribution::Kind;
use crate::error::{Error, Result};
use crate::model::overlay::At;
use crate::model::{FinalFs, SetModel};
use crate::read::layer::EntryKind;

/// What to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FilesOptions {
    /// Only this layer's entries (its position, 0 = lowest), whiteouts included;
    /// `None`: the final filesystem.
    pub layer: Option<usize>,
    /// Only paths matching this glob (`usr/lib/**/*.so`, `**/*.pyc`; matched against
    /// the path without a leading `/`).
    pub glob: Option<String>,
    /// Only entries of at least this many content bytes.
    pub min_size: u64,
}

impl FilesOptions {
    /// Only layer `n` (0 = lowest).
    pub fn layer(mut self, n: usize) -> Self {
        self.layer = Some(n);
        self
    }

    /// Only paths matching `glob`.
    pub fn glob(mut self, glob: impl Into<String>) -> Self {
        self.glob = Some(glob.into());
        self
    }

    /// Only entries of at least `bytes` bytes.
    pub fn min_size(mut self, bytes: u64) -> Self {
        self.min_size = bytes;
        self
    }
}

/// The package owning a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileOwner {
    /// Its manager.
    pub manager: Manager,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRow {
    /// Path, relative to the image root.
    pub path: String,
    /// `regular`, `directory`, `symlink`, `hardlink`, `whiteout`, `opaque_whiteout`,
    /// `other`.
    pub kind: EntryKind,
    /// Content bytes (0 for everything but regular files; a hardlink is 0 too).
    pub size: u64,
    /// Permission and type bits, as stored.
    pub mode: u32,
    /// Owner uid.
    pub uid: u64,
    /// Owner gid.
    pub gid: u64,
    /// Symlink or hardlink target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
    /// Position of the layer that added it (0 = lowest).
    pub layer: u64,
    /// That layer's history command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Whether it is the entry visible at its path in the final filesystem (false: a
    /// later layer overwrote or hid it, yet it is still shipped).
    pub visible: bool,
    /// Its attribution kind, for a visible regular file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Kind>,
    /// The package that owns it, for a visible regular file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<FileOwner>,
}

/// List the entries of image `image` (its index in the set's order), in path order,
/// each handed to `row`. `base_layers` is the image's number of base layers (see
/// [`crate::attribution::base_layers`]). Fails on a bad glob or a layer the image does
/// not have.
pub fn files(
    m: &SetModel<'_>,
    image: usize,
    base_layers: usize,
    opts: &FilesOptions,
    mut row: impl FnMut(FileRow) -> Result<()>,
) -> Result<()> {
    let img = &m.images()[image];
    let glob: Option<GlobMatcher> = opts
        .glob
        .as_deref()
        .map(|g| {
            Glob::new(g.trim_start_matches('/'))
                .map(|g| g.compile_matcher())
                .map_err(|e| Error::Options(format!("path pattern {g:?}: {e}")))
        })
        .transpose()?;
    if let Some(n) = opts.layer {
        if n >= img.layers.len() {
            return Err(Error::Options(format!(
                "{} has {} layers: there is no layer {n} (0 is the lowest)",
                img.name(),
                img.layers.len()
            )));
        }
    }
    let fs = FinalFs::new(m, image);
    let o = fs.overlay();
    let cx = Context::new(m);
    let table = Table::build(&cx, o);
    let paths = m.paths();
    let make = |pid: u32, at: At, visible: bool| -> FileRow {
        let rec = o.record(at);
        let regular = rec.kind == EntryKind::Regular;
        let (attribution, owner) = if visible && regular {
            let who = table.owner(&cx, pid);
            let kind = classify_class(
                cx.class[pid as usize],
                who.map(|w| table.found[w as usize].class),
                (at.depth as usize) < base_layers,
            );
            let owner = who.map(|w| {
                let f = &table.found[w as usize];
                FileOwner {
                    manager: f.manager,
                    name: f.name.to_string(),
                    version: f.version.to_string(),
                }
            });
            (Some(kind), owner)
        } else {
            (None, None)
        };
        FileRow {
            path: rec.path.clone(),
            kind: rec.kind,
            size: if regular { rec.size } else { 0 },
            mode: rec.mode,
            uid: rec.uid,
            gid: rec.gid,
            link_target: rec.link_target.clone(),
            layer: at.depth as u64,
            created_by: img.layers[at.depth as usize].created_by.clone(),
            visible,
            attribution,
            owner,
        }
    };
    let wanted = |path: &str, size: u64| {
        size >= opts.min_size && glob.as_ref().is_none_or(|g| g.is_match(path))
    };
    match opts.layer {
        None => {
            for (pid, at) in o.visible() {
                let rec = o.record(at);
                if !wanted(
                    &rec.path,
                    if rec.kind == EntryKind::Regular {
                        rec.size
                    } else {
                        0
                    },
                ) {
                    continue;
                }
                row(make(pid, at, true))?;
            }
        }
        Some(n) => {
            let layer = m.tree().node(m.tree().paths[image][n]).layer;
            let files = m.files(layer);
            let ids = paths.layer(layer as usize);
            let mut order: Vec<u32> = (0..files.len() as u32).collect();
            order.sort_by_key(|&e| (&files[e as usize].path, e));
            for e in order {
                let rec = &files[e as usize];
                let size = if rec.kind == EntryKind::Regular {
                    rec.size
                } else {
                    0
                };
                if !wanted(&rec.path, size) {
                    continue;
                }
                let at = At {
                    depth: n as u32,
                    entry: e,
                };
                let pid = ids[e as usize];
                let whiteout = matches!(rec.kind, EntryKind::Whiteout | EntryKind::OpaqueWhiteout);
                let visible = !whiteout && o.get(pid) == Some(at);
                row(make(pid, at, visible))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::set;

    fn rows(s: &crate::ImageSet, opts: &FilesOptions) -> Vec<(String, u64, bool, u64)> {
        let m = SetModel::new(s);
        let mut out = Vec::new();
        files(&m, 0, 0, opts, |r| {
            out.push((r.path, r.size, r.visible, r.layer));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn the_final_filesystem_and_one_layer_with_what_it_hid() {
        let s = set(&[(
            "a",
            vec![
                vec![
                    ("d", "etc", 0, 0),
                    ("f", "etc/conf", 100, 1),
                    ("f", "big", 5000, 2),
                ],
                vec![
                    ("f", "etc/conf", 30, 3),
                    ("w", ".wh.big", 0, 0),
                    ("h", "link", 0, 0),
                ],
            ],
        )]);
        let all = rows(&s, &FilesOptions::default());
        let want = |p: &str, size, layer| (p.to_string(), size, true, layer);
        assert_eq!(
            all,
            [
                want("etc", 0, 0),
                want("etc/conf", 30, 1),
                want("link", 0, 1)
            ]
        );
        let first = rows(&s, &FilesOptions::default().layer(0));
        assert_eq!(
            first,
            [
                ("big".into(), 5000, false, 0),
                ("etc".into(), 0, true, 0),
                ("etc/conf".into(), 100, false, 0)
            ]
        );
        let big = rows(&s, &FilesOptions::default().layer(0).min_size(1000));
        assert_eq!(big.len(), 1);
        let conf = rows(&s, &FilesOptions::default().glob("/etc/*"));
        assert_eq!(conf, [want("etc/conf", 30, 1)]);
        let m = SetModel::new(&s);
        assert!(files(&m, 0, 0, &FilesOptions::default().layer(2), |_| Ok(())).is_err());
        assert!(files(&m, 0, 0, &FilesOptions::default().glob("a[b"), |_| Ok(())).is_err());
    }
}
