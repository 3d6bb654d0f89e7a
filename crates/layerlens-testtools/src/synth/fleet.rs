//! The default shape, `fleet`: a dozen service images on a fat base (≈ 40 % of the
//! bytes, three layers), two shared dependency layers, a second family of four images
//! on a smaller base, and two orphan images. Files are generated from a seed per layer
//! under a prefix per layer; a few large "shared objects" appear with identical content
//! in several layers, and some app layers carry whiteouts.
//!
//! Its bytes are pinned: the same seed and scale give the same archive as every earlier
//! version of the generator.

use std::io::{self, Write};

use serde_json::json;

use super::content::{mix, Content, Rng};
use super::{ImagePlan, LayerCounts, LayerSpec, Plan};
use crate::archive::LayerWriter;

/// A file whose content is the same in every layer that holds it.
#[derive(Debug, Clone)]
struct SharedObject {
    path: String,
    seed: u64,
    size: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct LayerPlan {
    seed: u64,
    prefix: String,
    bytes: u64,
    /// Share of `bytes` in small files; the rest (after shared objects) in large ones.
    small_share: f64,
    shared: Vec<SharedObject>,
    whiteouts: Vec<String>,
    created_by: String,
}

/// An image of the fleet, before its config is written.
struct FleetImage {
    tags: Vec<String>,
    layers: Vec<usize>,
    created: String,
}

/// The plan of the default shape.
pub(crate) fn plan(scale: u64, seed: u64) -> Plan {
    let (layers, images) = fleet(scale, seed);
    let images = images
        .into_iter()
        .map(|img| {
            let history: Vec<serde_json::Value> = img
                .layers
                .iter()
                .map(|&l| json!({"created": img.created, "created_by": layers[l].created_by}))
                .collect();
            ImagePlan {
                tags: img.tags,
                config: json!({
                    "architecture": "amd64",
                    "os": "linux",
                    "created": img.created,
                    "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Cmd": ["/app/run"]},
                    "history": history,
                }),
                layers: img.layers,
            }
        })
        .collect();
    Plan {
        scaled_layers: layers.len(),
        layers: layers.into_iter().map(LayerSpec::Fleet).collect(),
        images,
    }
}

fn fleet(scale: u64, seed: u64) -> (Vec<LayerPlan>, Vec<FleetImage>) {
    let pct = |p: f64| (scale as f64 * p / 100.0) as u64;
    let big_size = (scale / 100).clamp(64 << 10, 64 << 20);
    let big: Vec<SharedObject> = (0..4)
        .map(|k| SharedObject {
            path: format!("opt/shared/libbig{k}.so"),
            seed: mix(seed, 1000 + k),
            size: big_size,
        })
        .collect();
    let mut layers = Vec::new();
    let mut add = |prefix: &str,
                   bytes: u64,
                   small_share: f64,
                   shared: Vec<SharedObject>,
                   whiteouts: Vec<String>,
                   created_by: &str| {
        layers.push(LayerPlan {
            seed: mix(seed, layers.len() as u64),
            prefix: prefix.to_string(),
            bytes,
            small_share,
            shared,
            whiteouts,
            created_by: created_by.to_string(),
        });
        layers.len() - 1
    };
    let a_os = add(
        "usr/share/base-a",
        pct(12.0),
        0.85,
        vec![],
        vec![],
        "ADD rootfs.tar.xz / # base-a",
    );
    let a_rt = add(
        "usr/lib/runtime-a",
        pct(18.0),
        0.35,
        vec![big[0].clone(), big[1].clone()],
        vec![],
        "RUN apt-get install -y runtime",
    );
    let a_libs = add(
        "usr/lib/libs-a",
        pct(10.0),
        0.55,
        vec![],
        vec![],
        "RUN apt-get install -y libs",
    );
    let deps = [
        add(
            "srv/deps-0",
            pct(6.0),
            0.6,
            vec![big[1].clone(), big[2].clone()],
            vec![],
            "COPY deps/ /srv/deps-0",
        ),
        add(
            "srv/deps-1",
            pct(6.0),
            0.6,
            vec![],
            vec![],
            "COPY deps/ /srv/deps-1",
        ),
    ];
    let mut images = Vec::new();
    for i in 0..12u64 {
        let shared = if i % 3 == 0 {
            vec![SharedObject {
                path: format!("app/svc-{i:02}/vendor/libbig2.so"),
                ..big[2].clone()
            }]
        } else {
            vec![]
        };
        let whiteouts = if i % 4 == 1 {
            vec![format!("{}/d0000/f000001.py", "usr/share/base-a")]
        } else {
            vec![]
        };
        let app = add(
            &format!("app/svc-{i:02}"),
            pct(1.5),
            0.7,
            shared,
            whiteouts,
            "COPY app/ /app",
        );
        let conf = add(
            &format!("etc/svc-{i:02}"),
            16 << 10,
            1.0,
            vec![],
            vec![],
            "COPY config/ /etc/svc",
        );
        let mut tags = vec![format!("fleet/svc-{i:02}:1.0")];
        if i == 0 {
            tags.push("fleet/svc-00:latest".into());
        }
        images.push(FleetImage {
            tags,
            layers: vec![a_os, a_rt, a_libs, deps[(i % 2) as usize], app, conf],
            created: format!("2024-01-{:02}T00:00:00Z", i + 1),
        });
    }
    let b_os = add(
        "usr/share/base-b",
        pct(6.0),
        0.8,
        vec![],
        vec![],
        "ADD alpine-minirootfs.tar.gz /",
    );
    let b_rt = add(
        "usr/lib/runtime-b",
        pct(4.0),
        0.5,
        vec![big[3].clone()],
        vec![],
        "RUN apk add runtime",
    );
    for j in 0..4u64 {
        let app = add(
            &format!("app/tool-{j}"),
            pct(2.0),
            0.6,
            vec![],
            vec![],
            "COPY tool/ /app",
        );
        images.push(FleetImage {
            tags: vec![format!("fleet/tool-{j}:2.1")],
            layers: vec![b_os, b_rt, app],
            created: format!("2024-02-{:02}T00:00:00Z", j + 1),
        });
    }
    for k in 0..2u64 {
        let shared = vec![SharedObject {
            path: format!("opt/orphan-{k}/libbig{}.so", k * 3),
            ..big[(k * 3) as usize].clone()
        }];
        let only = add(
            &format!("opt/orphan-{k}"),
            pct(5.0),
            0.5,
            shared,
            vec![],
            "ADD orphan.tar /",
        );
        images.push(FleetImage {
            tags: vec![format!("orphans/job-{k}:0.{k}")],
            layers: vec![only],
            created: format!("2023-06-{:02}T00:00:00Z", k + 1),
        });
    }
    (layers, images)
}

impl LayerPlan {
    /// Uncompressed bytes planned (for scheduling the largest first).
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Write this layer's tar stream into `w`.
    pub(crate) fn write<W: Write>(&self, w: W) -> io::Result<LayerCounts> {
        let mut b = LayerWriter::new(w);
        let mut rng = Rng::new(self.seed);
        let mut left = self.bytes;
        for obj in &self.shared {
            let (parent, _) = layerlens::internals::split_parent(&obj.path);
            b.dir_all(parent)?;
            b.file(&obj.path, obj.size, 0o755, Content::new(obj.seed, obj.size))?;
            left = left.saturating_sub(obj.size);
        }
        let mut small_left = (self.bytes as f64 * self.small_share) as u64;
        small_left = small_left.min(left);
        let mut large_left = left - small_left;
        let mut index = 0u64;
        let mut current_dir = String::new();
        const EXT: [&str; 6] = ["txt", "py", "so", "json", "h", "mo"];
        while small_left > 0 || large_left > 0 {
            if index % 40 == 0 {
                current_dir = format!("{}/d{:04}", self.prefix, index / 40);
                b.dir_all(&current_dir)?;
            }
            let (size, ext) = if small_left > 0 {
                let s = rng.log_uniform(256, 64 << 10).min(small_left);
                small_left -= s;
                (s, EXT[(index % EXT.len() as u64) as usize])
            } else {
                let s = rng.log_uniform(1 << 20, 32 << 20).min(large_left);
                large_left -= s;
                (s, "bin")
            };
            let path = format!("{current_dir}/f{index:06}.{ext}");
            let seed = mix(self.seed, index);
            b.file(&path, size, 0o644, Content::new(seed, size))?;
            index += 1;
        }
        for hidden in &self.whiteouts {
            let (parent, _) = layerlens::internals::split_parent(hidden);
            b.dir_all(parent)?;
            b.whiteout(hidden)?;
        }
        let counts = LayerCounts {
            entries: b.entries(),
            files: b.files(),
        };
        b.finish()?;
        Ok(counts)
    }
}
