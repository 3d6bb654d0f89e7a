//! `explain --path P`: which layer and command added a path, whether a later layer
//! overwrote or hid it, and which package owns it — per image.

use serde::{Deserialize, Serialize};

use crate::attribution::packages::Manager;
use crate::attribution::{self, Kind};
use crate::digest::Digest;
use crate::forensics::waste;
use crate::read::analyzer::{Image, ImageSet};
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

fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// Explain `path` in every image of the set that ever had it. `base_layers` as given
/// by [`attribution::base_layers`], in the set's order.
pub fn explain(set: &ImageSet, path: &str, base_layers: &[usize]) -> Vec<Explanation> {
    let wanted = normalize_path(path.as_bytes());
    let mut out = Vec::new();
    for (i, img) in set.images.iter().enumerate() {
        let r = waste::replay(set, img);
        let resolved = attribution::resolve_dirs(&r.files, &wanted).unwrap_or(wanted.clone());
        let events = events(set, img, &resolved);
        if events.is_empty() {
            continue;
        }
        let visible = r.files.contains_key(resolved.as_str());
        let (mut kind, mut owner) = (None, None);
        if r.files
            .get(resolved.as_str())
            .is_some_and(|v| v.record.kind == EntryKind::Regular)
        {
            let a = attribution::attribute(set, img, &r, base_layers.get(i).copied().unwrap_or(0));
            if let Some(fa) = a.file(&r, resolved.as_str()) {
                kind = Some(fa.kind);
                owner = fa.owner.map(|k| {
                    let p = &a.packages[k];
                    Owner {
                        manager: p.manager,
                        name: p.name.clone(),
                        version: p.version.clone(),
                        layer: p.layer,
                    }
                });
            }
        }
        out.push(Explanation {
            image: img.id.clone(),
            name: img.name(),
            path: resolved,
            events,
            visible,
            kind,
            owner,
        });
    }
    out
}

fn events(set: &ImageSet, img: &Image, path: &str) -> Vec<PathEvent> {
    let mut out = Vec::new();
    let mut present = false;
    for (k, il) in img.layers.iter().enumerate() {
        let Some(layer) = set.layers.get(&il.diff_id) else {
            continue;
        };
        let push = |action, entry, size| PathEvent {
            layer: k as u64,
            diff_id: il.diff_id.clone(),
            created_by: il.created_by.clone(),
            action,
            entry,
            size,
        };
        for rec in &layer.files {
            let hit = match rec.kind {
                EntryKind::Whiteout => rec
                    .whiteout_target()
                    .filter(|t| t == path || is_under(path, t))
                    .map(|_| Action::Deleted),
                EntryKind::OpaqueWhiteout => rec
                    .whiteout_target()
                    .filter(|d| is_under(path, d))
                    .map(|_| Action::HiddenByOpaque),
                _ => None,
            };
            if let (Some(action), true) = (hit, present) {
                out.push(push(action, None, 0));
                present = false;
            }
        }
        for rec in &layer.files {
            if matches!(rec.kind, EntryKind::Whiteout | EntryKind::OpaqueWhiteout) {
                continue;
            }
            if rec.path == path {
                let action = if present {
                    Action::Overwritten
                } else {
                    Action::Added
                };
                out.push(push(action, Some(rec.kind), rec.size));
                present = true;
            } else if present && rec.kind != EntryKind::Directory && is_under(path, &rec.path) {
                out.push(push(Action::HiddenByParent, Some(rec.kind), 0));
                present = false;
            }
        }
    }
    out
}
