//! Figures must equal the independent python oracle (`testdata/oracle.py`, tarfile +
//! hashlib) on every generated fixture and every public sample.

use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::common::*;

fn check(inputs: &[String], expected_file: &str) {
    let report = analyze(inputs);
    let got = project(&report);
    let want = expected(expected_file);
    assert_eq!(want, got, "layerlens vs oracle for {inputs:?}");
}

const FIXTURES: &[&str] = &[
    "legacy-two-images.tar",
    "legacy-two-images.tar.gz",
    "legacy-two-images.tar.zst",
    "legacy-gzip-layers.tar",
    "docker25.tar",
    "docker25-untagged.tar",
    "oci-gzip.tar",
    "oci-dir",
    "oci-zstd.tar",
    "oci-multiplatform",
    "estargz-like.tar",
    "cimage.tar",
    "forensics.tar",
    "attribution.tar",
];

#[test]
fn generated_fixtures_match_the_oracle() {
    for name in FIXTURES {
        check(&[fixture(name)], &format!("{name}.json"));
    }
}

#[test]
fn images_merge_across_inputs_like_the_oracle() {
    let combos: &[&[&str]] = &[
        &["oci-gzip.tar", "oci-dir"],
        &["legacy-two-images.tar", "docker25.tar", "oci-multiplatform"],
    ];
    for combo in combos {
        let inputs: Vec<String> = combo.iter().map(|n| fixture(n)).collect();
        check(&inputs, &format!("combo__{}.json", combo.join("+")));
    }
}

const PUBLIC: &[&str] = &[
    "dive/.data/test-docker-image.tar",
    "dive/.data/test-kaniko-image.tar",
    "dive/.data/test-oci-estargz-image.tar",
    "dive/.data/test-oci-gzip-image.tar",
    "dive/.data/test-oci-uncompressed-image.tar",
    "dive/.data/test-oci-zstd-image.tar",
    "go-containerregistry/pkg/v1/mutate/testdata/whiteout_image.tar",
    "go-containerregistry/pkg/v1/tarball/testdata/hello-world-v25.tar",
    "go-containerregistry/pkg/v1/tarball/testdata/test_bundle.tar",
    "go-containerregistry/pkg/v1/tarball/testdata/test_link.tar",
    "osv-scalibr/artifact/image/layerscanning/image/testdata/symlink-attack.tar",
    "regclient/testdata/testrepo",
    "stereoscope/pkg/image/oci/testdata/multiplatform_oci_dir",
    "trivy/pkg/fanal/test/testdata/alpine-311.tar.gz",
];

#[test]
fn public_samples_match_the_oracle() {
    let Some(dir) = public_dir() else { return };
    for rel in PUBLIC {
        let input = dir.join(rel).to_string_lossy().into_owned();
        check(&[input], &format!("public/{}.json", rel.replace('/', "__")));
    }
}

#[test]
fn one_config_with_plain_gzip_and_zstd_layers_is_one_image() {
    let Some(dir) = public_dir() else { return };
    let names = [
        "test-oci-uncompressed-image.tar",
        "test-oci-gzip-image.tar",
        "test-oci-zstd-image.tar",
    ];
    let inputs: Vec<String> = names
        .iter()
        .map(|n| {
            dir.join("dive/.data")
                .join(n)
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    check(&inputs, &format!("public/combo__{}.json", names.join("+")));
    let report = analyze(&inputs);
    assert_eq!(report.images.len(), 1);
    assert_eq!(report.images[0].sources.len(), 3);
}

/// Pre-1.10 archives have no configs: layerlens still hashes and counts each layer.
fn check_v1(input: String, expected_file: &str) {
    let report = analyze(&[input]);
    let want = crate::common::repo_root()
        .join("testdata/expected")
        .join(expected_file);
    let want: Value = serde_json::from_str(&std::fs::read_to_string(want).unwrap()).unwrap();
    let mut want_layers: Vec<(String, u64, u64, u64)> = want["v1_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["sha256"].as_str().unwrap().to_string(),
                l["tar_size"].as_u64().unwrap(),
                l["content_size"].as_u64().unwrap(),
                l["files"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut got: Vec<(String, u64, u64, u64)> = report
        .images
        .iter()
        .flat_map(|i| i.layers.iter())
        .map(|l| (l.diff_id.to_string(), l.tar_size, l.content_size, l.files))
        .collect();
    got.sort();
    got.dedup();
    want_layers.sort();
    assert_eq!(want_layers, got);
    assert!(report
        .images
        .iter()
        .all(|i| i.format == layerlens::ArchiveFormat::DockerV1));
    assert!(
        report.notes.iter().any(|n| n.contains("no diff_ids")),
        "{:?}",
        report.notes
    );
}

#[test]
fn pre_1_10_archives_are_hashed_and_say_no_diff_ids_exist() {
    check_v1(fixture("pre110.tar"), "pre110.tar.json");
    if let Some(dir) = public_dir() {
        check_v1(
            dir.join("moby/integration-cli/testdata/emptyLayer.tar")
                .to_string_lossy()
                .into_owned(),
            "public/moby__integration-cli__testdata__emptyLayer.tar.json",
        );
    }
}
