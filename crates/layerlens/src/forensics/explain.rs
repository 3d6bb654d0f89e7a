//! `explain --path P`: which layer and command added a path, whether a later layer
//! overwrote or hid it, and which package owns it — per image.

use serde::{Deserialize, Serialize};

use crate::attribution::owners::{Context, Table};
use crate::attribution::packages::Manager;
use crate::attribution::rules::classify_class;
use crate::attribution::Kind;
use crate::digest::Digest;
use crate::model::{FinalFs, SetModel};
use crate::read::layer::{normalize_path, EntryKind};

/// What a layer did to the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// An entry at the path, where nothing was visible.
    Added,
    /// An entry at the path, replacing the visible one.
    Overwritten,
    /// A whiteout of the path or of a directory above it.
    Deleted,
    /// An opaque marker in a directory above it.
    HiddenByOpaque,
    /// A non-directory replacing a directory above it.
    HiddenByParent,
}

/// One thing a layer did to the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathEvent {
    /// Layer index (0 = lowest).
    pub layer: u64,
    /// Its diff_id.
    pub diff_id: Digest,
    /// Its history command.
    pub created_by: Option<String>,
    /// What it did.
    pub action: Action,
    /// The entry's kind (for `added` and `overwritten`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<EntryKind>,
    /// The entry's content bytes.
    pub size: u64,
}

/// The owner of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// Manager.
    pub manager: Manager,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// The layer that added the package.
    pub layer: u64,
}

/// The story of a path in one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// The image id.
    pub image: Digest,
    /// Its name.
    pub name: String,
    /// The path, with symlinked directories resolved in the final filesystem.
    pub path: String,
    /// Every layer that touched it, lowest first.
    pub events: Vec<PathEvent>,
    /// Whether it is visible in the final filesystem.
    pub visible: bool,
    /// Its attribution kind, when it is a visible regular file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// The package that owns it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

/// What a record of a layer can do to one path.
#[derive(Debug, Clone, Copy)]
enum Hit {
    /// An entry at the path itself.
    Entry(usize),
    /// A whiteout of the path or a directory above it.
    Whiteout,
    /// An opaque marker in a directory above it.
    Opaque,
    /// A non-directory at a directory above it.
    Parent(usize),
}

/// The records of layer `layer` that touch path number `pid`, in record order:
/// whiteouts and opaque markers first (they apply before the layer's entries).
fn hits(m: &SetModel<'_>, layer: u32, pid: u32) -> (Vec<Hit>, Vec<Hit>) {
    let paths = m.paths();
    let (mut hiding, mut entries) = (Vec::new(), Vec::new());
    let under = |id: u32| paths.path(id).is_empty() || (id != pid && paths.is_within(pid, id));
    for (i, (rec, &id)) in m
        .files(layer)
        .iter()
        .zip(paths.layer(layer as usize))
        .enumerate()
    {
        match rec.kind {
            EntryKind::Whiteout if id == pid || under(id) => hiding.push(Hit::Whiteout),
            EntryKind::OpaqueWhiteout if under(id) => hiding.push(Hit::Opaque),
            EntryKind::Whiteout | EntryKind::OpaqueWhiteout => {}
            _ if id == pid => entries.push(Hit::Entry(i)),
            EntryKind::Directory => {}
            _ if id != pid && under(id) => entries.push(Hit::Parent(i)),
            _ => {}
        }
    }
    (hiding, entries)
}

/// Explain `path` in every image of the set that ever had it. `base_layers` as given
/// by [`crate::attribution::base_layers`], in the set's order.
pub fn explain(m: &SetModel<'_>, path: &str, base_layers: &[usize]) -> Vec<Explanation> {
    let wanted = normalize_path(path.as_bytes());
    let cx = Context::new(m);
    let mut out = Vec::new();
    for (i, img) in m.images().iter().enumerate() {
        let fs = FinalFs::new(m, i);
        let resolved = fs.resolve_dirs(&wanted).unwrap_or(wanted.clone());
        let Some(pid) = m.paths().find(&resolved) else {
            continue;
        };
        let events = events(m, i, pid);
        if events.is_empty() {
            continue;
        }
        let o = fs.overlay();
        let visible = o.get(pid);
        let (mut kind, mut owner) = (None, None);
        if let Some(at) = visible.filter(|&at| o.record(at).kind == EntryKind::Regular) {
            let table = Table::build(&cx, o);
            let who = table.owner(&cx, pid);
            let in_base = (at.depth as usize) < base_layers.get(i).copied().unwrap_or(0);
            kind = Some(classify_class(
                cx.class[pid as usize],
                who.map(|w| table.found[w as usize].class),
                in_base,
            ));
            owner = who.map(|w| {
                let f = &table.found[w as usize];
                Owner {
                    manager: f.manager,
                    name: f.name.to_string(),
                    version: f.version.to_string(),
                    layer: f.layer as u64,
                }
            });
        }
        out.push(Explanation {
            image: img.id.clone(),
            name: img.name(),
            path: resolved,
            events,
            visible: visible.is_some(),
            kind,
            owner,
        });
    }
    out
}

fn events(m: &SetModel<'_>, image: usize, pid: u32) -> Vec<PathEvent> {
    let img = &m.images()[image];
    let mut out = Vec::new();
    let mut present = false;
    for (k, (il, layer)) in img.layers.iter().zip(m.image_layers(image)).enumerate() {
        let files = m.files(layer);
        let push = |action, entry, size| PathEvent {
            layer: k as u64,
            diff_id: il.diff_id.clone(),
            created_by: il.created_by.clone(),
            action,
            entry,
            size,
        };
        let (hiding, entries) = hits(m, layer, pid);
        for h in hiding {
            if present {
                out.push(push(
                    match h {
                        Hit::Opaque => Action::HiddenByOpaque,
                        _ => Action::Deleted,
                    },
                    None,
                    0,
                ));
                present = false;
            }
        }
        for h in entries {
            match h {
                Hit::Entry(i) => {
                    let rec = &files[i];
                    let action = if present {
                        Action::Overwritten
                    } else {
                        Action::Added
                    };
                    out.push(push(action, Some(rec.kind), rec.size));
                    present = true;
                }
                Hit::Parent(i) if present => {
                    out.push(push(Action::HiddenByParent, Some(files[i].kind), 0));
                    present = false;
                }
                _ => {}
            }
        }
    }
    out
}
