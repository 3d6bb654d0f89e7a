//! Bytes as the metadata of a small valid archive: the first byte picks which member
//! (manifest.json, index.json, the config, an OCI manifest), the rest is its content.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const LAYER_DIFF_ID: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

fn archive(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, doc)) = data.split_first() else {
        return;
    };
    let mut layer = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(2);
    h.set_mode(0o644);
    h.set_cksum();
    layer.append_data(&mut h, "f", &b"hi"[..]).unwrap();
    let layer = layer.into_inner().unwrap();
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
    let bytes = archive(&members);
    let analyzer = layerlens::Analyzer::new(common::options());
    common::check("fuzz", analyzer.analyze_reader("fuzz", &bytes[..]));
});
