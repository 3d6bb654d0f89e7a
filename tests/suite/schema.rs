//! Real output validates against `docs/schema-v1.json`, through a small validator for
//! the subset of JSON Schema (2020-12) the file uses: `$ref` to `#/$defs/…`, `type`,
//! `const`, `enum`, `properties`, `required`, `additionalProperties: false`, `items`,
//! `minimum`, `maximum` (`pattern` is not checked).

use serde_json::Value;

use crate::common::*;

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("schema uses unsupported type {other}"),
    }
}

fn validate(root: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/$defs/").expect("local $ref");
        return validate(root, &root["$defs"][name], v, at, errors);
    }
    if let Some(t) = schema.get("type") {
        let ok = match t {
            Value::String(t) => type_ok(t, v),
            Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)),
            _ => panic!("bad type"),
        };
        if !ok {
            errors.push(format!("{at}: expected {t}, found {v}"));
            return;
        }
    }
    if let Some(c) = schema.get("const") {
        if c != v {
            errors.push(format!("{at}: expected {c}, found {v}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errors.push(format!("{at}: {v} not in {e:?}"));
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), v.as_f64()) {
        if n < min {
            errors.push(format!("{at}: {n} < {min}"));
        }
    }
    if let (Some(max), Some(n)) = (schema.get("maximum").and_then(Value::as_f64), v.as_f64()) {
        if n > max {
            errors.push(format!("{at}: {n} > {max}"));
        }
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for req in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !obj.contains_key(req.as_str().unwrap()) {
                errors.push(format!("{at}: missing {req}"));
            }
        }
        for (k, child) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(root, s, child, &format!("{at}.{k}"), errors),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{at}: unexpected property {k}"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, child) in arr.iter().enumerate() {
            validate(root, items, child, &format!("{at}[{i}]"), errors);
        }
    }
}

fn assert_valid(inputs: &[String]) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("docs/schema-v1.json")).unwrap(),
    )
    .unwrap();
    let report = analyze(inputs);
    let doc: Value = serde_json::from_str(&report.to_json()).unwrap();
    let mut errors = Vec::new();
    validate(&schema, &schema, &doc, "$", &mut errors);
    assert!(errors.is_empty(), "{inputs:?}:\n{}", errors.join("\n"));
}

#[test]
fn output_validates_against_the_schema() {
    assert_valid(&[fixture("forensics.tar"), fixture("oci-multiplatform")]);
    assert_valid(&[fixture("pre110.tar")]);
    assert_valid(&[fixture("attribution.tar")]);
    assert_valid(&[fixture("legacy-two-images.tar"), fixture("docker25.tar")]);
    if let Some(dir) = public_dir() {
        assert_valid(&[dir
            .join("dive/.data/test-docker-image.tar")
            .to_string_lossy()
            .into_owned()]);
    }
}

#[test]
fn the_validator_rejects_what_it_should() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("docs/schema-v1.json")).unwrap(),
    )
    .unwrap();
    let mut doc: Value =
        serde_json::from_str(&analyze(&[fixture("forensics.tar")]).to_json()).unwrap();
    doc["images"][0]["efficiency"] = 1.5.into();
    doc["totals"]["bogus"] = 1.into();
    doc["images"][1]
        .as_object_mut()
        .unwrap()
        .remove("wasted_size");
    let mut errors = Vec::new();
    validate(&schema, &schema, &doc, "$", &mut errors);
    assert_eq!(errors.len(), 3, "{errors:?}");
}
