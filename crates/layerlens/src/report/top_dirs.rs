//! The treemap's data: the bytes under each directory of an image's final filesystem,
//! at most [`TOP_DIRS_DEPTH`] levels deep, kept up to date along the walk.

use super::{DirSize, TOP_DIRS_DEPTH, TOP_DIRS_LIMIT};
use crate::model::overlay::{At, Overlay};
use crate::model::paths::NO_PATH;
use crate::model::SetModel;
use crate::read::layer::EntryKind;

/// Per path: its directories at depth 1 to [`TOP_DIRS_DEPTH`] (the first components).
pub(crate) struct Ancestors(Vec<[u32; TOP_DIRS_DEPTH]>);

impl Ancestors {
    pub fn new(m: &SetModel<'_>) -> Self {
        use rayon::prelude::*;
        let paths = m.paths();
        Ancestors(
            (0..paths.len() as u32)
                .into_par_iter()
                .map(|pid| {
                    let mut chain = Vec::new();
                    let mut p = paths.parent(pid);
                    while p != NO_PATH && !paths.path(p).is_empty() {
                        chain.push(p);
                        p = paths.parent(p);
                    }
                    let mut out = [NO_PATH; TOP_DIRS_DEPTH];
                    for (slot, &dir) in out.iter_mut().zip(chain.iter().rev()) {
                        *slot = dir;
                    }
                    out
                })
                .collect(),
        )
    }
}

/// The facet: bytes and regular files under each directory, now.
#[derive(Clone)]
pub(crate) struct TopDirs<'x> {
    ancestors: &'x Ancestors,
    sums: Vec<(u64, u64)>,
    /// The directories that ever had something under them.
    dirs: Vec<u32>,
}

impl<'x> TopDirs<'x> {
    pub fn new(m: &SetModel<'_>, ancestors: &'x Ancestors) -> Self {
        TopDirs {
            ancestors,
            sums: vec![(0, 0); m.paths().len()],
            dirs: Vec::new(),
        }
    }

    pub fn count(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At, add: bool) {
        let r = o.record(at);
        if r.kind != EntryKind::Regular {
            return;
        }
        for &d in &self.ancestors.0[pid as usize] {
            if d == NO_PATH {
                break;
            }
            let s = &mut self.sums[d as usize];
            if add {
                if *s == (0, 0) {
                    self.dirs.push(d);
                }
                s.0 += r.size;
                s.1 += 1;
            } else {
                s.0 -= r.size;
                s.1 -= 1;
            }
        }
    }

    /// The largest directories now, sorted by path. The largest are kept first and a
    /// directory is never larger than its parent, so every kept directory's parent is
    /// kept too.
    pub fn image(&mut self, m: &SetModel<'_>) -> Vec<DirSize> {
        let sums = &self.sums;
        self.dirs.sort_unstable();
        self.dirs.dedup();
        self.dirs.retain(|&d| sums[d as usize] != (0, 0));
        let paths = m.paths();
        let mut all: Vec<(&str, (u64, u64))> = self
            .dirs
            .iter()
            .map(|&d| (paths.path(d), sums[d as usize]))
            .collect();
        all.sort_by(|a, b| {
            b.1 .0
                .cmp(&a.1 .0)
                .then(a.0.len().cmp(&b.0.len()))
                .then(a.0.cmp(b.0))
        });
        all.truncate(TOP_DIRS_LIMIT);
        let mut out: Vec<DirSize> = all
            .into_iter()
            .map(|(p, (size, files))| DirSize {
                path: p.to_string(),
                size,
                files,
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }
}
