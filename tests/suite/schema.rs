//! Real output validates against `docs/schema-v1.json` (JSON Schema 2020-12), checked
//! with the `jsonschema` crate: every keyword the file uses, `pattern` included.

use serde_json::Value;

use crate::common::*;

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("docs/schema-v1.json")).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn errors(doc: &Value) -> Vec<String> {
    validator()
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn assert_valid(inputs: &[String]) {
    let report = analyze(inputs);
    let doc: Value = serde_json::from_str(&report.to_json()).unwrap();
    let errors = errors(&doc);
    assert!(errors.is_empty(), "{inputs:?}:\n{}", errors.join("\n"));
}

#[test]
fn output_validates_against_the_schema() {
    assert_valid(&[fixture("forensics.tar"), fixture("oci-multiplatform")]);
    assert_valid(&[fixture("pre110.tar")]);
    assert_valid(&[fixture("attribution.tar")]);
    assert_valid(&[fixture("legacy-two-images.tar"), fixture("docker25.tar")]);
    // image stores: store facts per image, store_size per layer
    let store = |dir: &str| {
        repo_root()
            .join("testdata/stores")
            .join(dir)
            .to_string_lossy()
            .into_owned()
    };
    assert_valid(&[store("docker20"), store("docker26/containerd-root")]);
    assert_valid(&[store("cs-overlay/root")]);
    for name in ["findings.tar", "ecosystems.tar", "rpm-image.tar.gz"] {
        assert_valid(&[crate::ecosystems::ecosystem(name)]);
    }
    if let Some(dir) = public_dir() {
        assert_valid(&[dir
            .join("dive/.data/test-docker-image.tar")
            .to_string_lossy()
            .into_owned()]);
    }
}

#[test]
fn the_validator_rejects_what_it_should() {
    let mut doc: Value =
        serde_json::from_str(&analyze(&[fixture("forensics.tar")]).to_json()).unwrap();
    doc["images"][0]["efficiency"] = 1.5.into();
    doc["totals"]["bogus"] = 1.into();
    doc["images"][1]
        .as_object_mut()
        .unwrap()
        .remove("wasted_size");
    doc["images"][0]["id"] = "not a digest".into();
    let errors = errors(&doc);
    assert_eq!(errors.len(), 4, "{errors:?}");
}
