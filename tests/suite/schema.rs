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
    // A package provided by another (provided_by).
    let dir = layerlens_testtools::io::temp_dir("schema-services");
    assert_valid(&[layerlens_testtools::io::write_file(
        dir.path(),
        "services.tar",
        &layerlens_testtools::services::archive(),
    )]);
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

/// `diff --format json` validates against the schema's `image_diff` definition: the
/// services (packages added, removed, changed; filters) and the ecosystems' Go change.
#[test]
fn diff_output_validates_against_the_image_diff_definition() {
    use layerlens::forensics::diff::{diff_with, DiffOptions};
    let mut schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("docs/schema-v1.json")).unwrap(),
    )
    .unwrap();
    schema["$ref"] = "#/$defs/image_diff".into();
    for k in ["properties", "required", "additionalProperties", "type"] {
        schema.as_object_mut().unwrap().remove(k);
    }
    let v = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let dir = layerlens_testtools::io::temp_dir("diff-schema");
    let services = layerlens_testtools::io::write_file(
        dir.path(),
        "services.tar",
        &layerlens_testtools::services::archive(),
    );
    let cases = [
        (services.clone(), "svc/orders:1", "svc/auth:1"),
        (
            crate::ecosystems::ecosystem("ecosystems.tar"),
            "acme/polyglot:1",
            "acme/polyglot:2",
        ),
    ];
    for (input, a, b) in cases {
        let set = layerlens::Analyzer::new(layerlens::Options::default())
            .analyze(&[input])
            .unwrap();
        let m = layerlens::model::SetModel::new(&set);
        let ix = |n: &str| m.image_index(set.find_image(n).unwrap()).unwrap();
        for opts in [
            DiffOptions::default(),
            DiffOptions::default().path("usr").min_size(10),
        ] {
            let d = diff_with(&m, ix(a), ix(b), &opts).unwrap();
            let doc = serde_json::to_value(&d).unwrap();
            let errors: Vec<String> = v
                .iter_errors(&doc)
                .map(|e| format!("{}: {e}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{a} -> {b}:\n{}", errors.join("\n"));
        }
    }
    // And it checks: a package change without its bytes is not one.
    let set = layerlens::Analyzer::new(layerlens::Options::default())
        .analyze(&[services])
        .unwrap();
    let m = layerlens::model::SetModel::new(&set);
    let ix = |n: &str| m.image_index(set.find_image(n).unwrap()).unwrap();
    let d = diff_with(
        &m,
        ix("svc/orders:1"),
        ix("svc/auth:1"),
        &DiffOptions::default(),
    );
    let mut doc = serde_json::to_value(d.unwrap()).unwrap();
    doc["packages"]["added"][0]
        .as_object_mut()
        .unwrap()
        .remove("new_size");
    assert!(!v.is_valid(&doc));
}
