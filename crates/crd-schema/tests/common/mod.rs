//! Shared by the integration tests: the real CRDs (the repository's, see
//! [`crd_schema::schemas_dirs`]), loaded once, and small object helpers.

#![allow(dead_code)]

use std::sync::OnceLock;

use crd_schema::{SchemaError, SchemaSet};
use serde_json::Value;

pub mod objects;

pub fn schemas() -> &'static SchemaSet {
    static SCHEMAS: OnceLock<SchemaSet> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let dirs = crd_schema::schemas_dirs();
        SchemaSet::load_dirs(&dirs).unwrap_or_else(|e| panic!("loading {dirs:?}: {e}"))
    })
}

pub fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("test YAML: {e}\n{text}"))
}

pub fn assert_valid(object: &Value) {
    let report = schemas().check(object);
    assert!(
        report.errors.is_empty(),
        "expected valid, got:\n{}",
        lines(&report.errors)
    );
}

/// Asserts that validating `object` yields an error at exactly `path` whose message contains
/// `fragment`, and returns all errors for further checks.
pub fn assert_error(object: &Value, path: &str, fragment: &str) -> Vec<SchemaError> {
    assert_error_in(schemas(), object, path, fragment)
}

/// [`assert_error`] against the given schema set instead of every CRD of the repository.
pub fn assert_error_in(
    set: &SchemaSet,
    object: &Value,
    path: &str,
    fragment: &str,
) -> Vec<SchemaError> {
    let errors = set
        .validate(object)
        .expect_err("expected the object to be rejected");
    assert!(
        errors
            .iter()
            .any(|e| e.path == path && e.message.contains(fragment)),
        "no error at `{path}` containing `{fragment}`; got:\n{}",
        lines(&errors)
    );
    errors
}

pub fn with(object: &Value, pointer: &str, value: Value) -> Value {
    let mut copy = object.clone();
    let (parent, key) = split(pointer);
    match copy.pointer_mut(parent).expect("parent exists") {
        Value::Object(map) => {
            map.insert(key, value);
        }
        Value::Array(items) => items[key.parse::<usize>().expect("index")] = value,
        other => panic!("cannot set {key} in {other}"),
    }
    copy
}

/// `object` without the field at JSON pointer `pointer`.
pub fn without(object: &Value, pointer: &str) -> Value {
    let mut copy = object.clone();
    let (parent, key) = split(pointer);
    let removed = copy
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .and_then(|map| map.shift_remove(&key));
    assert!(removed.is_some(), "{pointer} was not there");
    copy
}

/// Parent pointer and unescaped last key (`~1` is `/`, `~0` is `~`).
fn split(pointer: &str) -> (&str, String) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
    (parent, key.replace("~1", "/").replace("~0", "~"))
}

pub fn lines(errors: &[SchemaError]) -> String {
    errors
        .iter()
        .map(|e| format!("  {e}\n"))
        .collect::<String>()
}
