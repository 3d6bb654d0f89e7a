//! Helpers of the suite itself: analysing fixtures, the projection of a report onto the
//! oracle's schema, scratch directories. Where the fixtures are, and every archive
//! builder, come from `layerlens-testtools`.

use std::path::PathBuf;

use layerlens::{Analyzer, Options, Report};
use serde_json::{json, Value};

pub use layerlens_testtools::{fixture, public_dir, repo_root};

pub fn analyze(inputs: &[String]) -> Report {
    analyze_with(inputs, Options::default())
}

pub fn analyze_with(inputs: &[String], opts: Options) -> Report {
    let set = Analyzer::new(opts)
        .analyze(inputs)
        .unwrap_or_else(|e| panic!("analysing {inputs:?}: {e}"));
    Report::new(&set)
}

/// Keep exactly the fields the oracle computes, in the oracle's shape.
pub fn project(report: &Report) -> Value {
    let images: Vec<Value> = report
        .images
        .iter()
        .filter(|i| i.format != layerlens::ArchiveFormat::DockerV1)
        .map(|i| {
            json!({
                "refs": i.refs,
                "id": i.id,
                "os": i.os,
                "architecture": i.architecture,
                "size": i.size,
                "shared_size": i.shared_size,
                "unique_size": i.unique_size,
                "docker_size": i.docker_size,
                "chain_shared_size": i.chain_shared_size,
                "chain_unique_size": i.chain_unique_size,
                "overwritten_size": i.overwritten_size,
                "deleted_size": i.deleted_size,
                "wasted_size": i.wasted_size,
                "final_size": i.final_size,
                "duplicate_size": i.duplicate_size,
                "base_layers": i.base_layers,
                "by_origin": i.by_origin,
                "by_kind": i.by_kind,
                "packages": i.packages.iter().map(|p| json!({
                    "manager": p.manager,
                    "name": p.name,
                    "version": p.version,
                    "size": p.size,
                    "files": p.files,
                    "layer": p.layer,
                })).collect::<Vec<_>>(),
                "layers": i.layers.iter().map(|l| json!({
                    "diff_id": l.diff_id,
                    "tar_size": l.tar_size,
                    "content_size": l.content_size,
                    "symlink_size": l.symlink_size,
                    "files": l.files,
                    "whiteouts": l.whiteouts,
                    "opaque_whiteouts": l.opaque_whiteouts,
                    "created_by": l.created_by,
                    "chain_id": l.chain_id,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let t = &report.totals;
    json!({
        "schema": report.schema,
        "images": images,
        "totals": {
            "images": t.images,
            "layers": t.layers,
            "unique_layers": t.unique_layers,
            "naive_size": t.naive_size,
            "dedup_size": t.dedup_size,
            "chain_dedup_size": t.chain_dedup_size,
            "content_dedup_size": t.content_dedup_size,
        },
        "squash_waste_savings": report
            .recommendations
            .iter()
            .find(|r| r.id == "squash-waste")
            .map_or(0, |r| r.savings),
    })
}

/// The oracle's figures, without its extra sections (notes, pre-1.10 layers).
pub fn expected(path: &str) -> Value {
    let full = repo_root().join("testdata/expected").join(path);
    let text = std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("reading {}: {e}", full.display()));
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let obj = v.as_object_mut().unwrap();
    obj.remove("notes");
    obj.remove("v1_layers");
    v
}

/// A fresh, empty scratch directory for one test, under cargo's target tmpdir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a scratch directory");
    dir
}
