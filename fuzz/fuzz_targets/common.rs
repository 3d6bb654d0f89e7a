// Shared by the targets: small limits, so a fuzz input cannot make one run slow.
use layerlens::{Limits, Options};

pub fn options() -> Options {
    Options {
        threads: 1,
        limits: Limits {
            max_entries_per_layer: 10_000,
            max_layer_bytes: 64 << 20,
            max_compression_ratio: 100,
            ratio_floor_bytes: 1 << 20,
            max_json_bytes: 1 << 20,
            max_buffered_bytes: 8 << 20,
            max_path_bytes: 4096,
            max_members: 10_000,
            max_index_depth: 16,
        },
        ..Options::default()
    }
}

/// Every error must name the input it happened in (or be a non-located variant).
pub fn check(name: &str, r: layerlens::Result<layerlens::ImageSet>) {
    if let Err(e) = r {
        if e.location().is_some() {
            assert!(e.to_string().starts_with(name), "{e}");
        }
    }
}
