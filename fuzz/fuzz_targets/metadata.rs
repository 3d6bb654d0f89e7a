//! Bytes as the metadata of a small valid archive: the first byte picks which member
//! (manifest.json, index.json, the config, an OCI manifest), the rest is its content.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use layerlens_testtools::archive::{layer_tar, Outer};

const LAYER_DIFF_ID: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

fuzz_target!(|data: &[u8]| {
    let Some((&which, doc)) = data.split_first() else {
        return;
    };
    let layer = layer_tar(&[("f", b"hi")]);
    let config = format!(r#"{{"os":"linux","rootfs":{{"type":"layers","diff_ids":["{LAYER_DIFF_ID}"]}}}}"#);
    let manifest = br#"[{"Config":"c.json","RepoTags":["a:1"],"Layers":["l/layer.tar"]}]"#;
    let digest = layerlens::Digest::sha256_of(doc);
    let blob = format!("blobs/sha256/{}", digest.encoded());
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{digest}","size":{}}}]}}"#,
        doc.len()
    );
    let members: Vec<(&str, &[u8])> = match which % 4 {
        0 => vec![("l/layer.tar", &layer), ("c.json", config.as_bytes()), ("manifest.json", doc)],
        1 => vec![("l/layer.tar", &layer), ("c.json", doc), ("manifest.json", manifest)],
        2 => vec![("oci-layout", b"{}"), (blob.as_str(), doc), ("index.json", index.as_bytes())],
        _ => vec![("oci-layout", b"{}"), ("index.json", doc)],
    };
    let bytes = members
        .iter()
        .fold(Outer::new(), |outer, (name, data)| outer.file(name, data))
        .finish();
    let analyzer = layerlens::Analyzer::new(common::options());
    common::check("fuzz", analyzer.analyze_reader("fuzz", &bytes[..]));
});
