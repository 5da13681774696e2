//! Objects where the CRD has objects.
//!
//! serde's derived structs also accept a JSON list, reading fields by position, so `spec: []` or
//! `serviceMesh: ["sidecar"]` would parse silently. A cluster's CRD schema refuses those before any
//! webhook runs; the policy refuses them too, so that it never judges a misread Package (kwctl,
//! background audit, a cluster without the CRD's schema).

use crate::value_at::value_at;
use serde_json::Value;
use uds_egress_core::violation::{Code, Violation, allow_path};

/// The first object-typed field of the Package's egress spine that holds something else.
pub fn shape_violation(object: &Value) -> Option<Violation> {
    let spine = [
        ("metadata", object.get("metadata")),
        ("spec", object.get("spec")),
        ("spec.network", value_at(object, &["spec", "network"])),
        (
            "spec.network.serviceMesh",
            value_at(object, &["spec", "network", "serviceMesh"]),
        ),
    ];
    let entries = value_at(object, &["spec", "network", "allow"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(index, entry)| (allow_path(index, None), Some(entry)));
    spine
        .into_iter()
        .map(|(path, value)| (path.to_string(), value))
        .chain(entries)
        .find_map(|(path, value)| match value {
            Some(v) if !v.is_object() && !v.is_null() => Some(Violation::new(
                path,
                Code::Malformed,
                format!("expected an object, got {}", json_type(v)),
            )),
            _ => None,
        })
}

/// How a JSON value is named in messages (the core's wording, shared with `uds-egress reach`).
pub use uds_egress_core::json_type::json_type;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_where_objects_belong_are_named() {
        let cases = [
            (json!({"spec": []}), "spec", "a list"),
            (json!({"metadata": "x"}), "metadata", "a string"),
            (json!({"spec": {"network": [1]}}), "spec.network", "a list"),
            (
                json!({"spec": {"network": {"serviceMesh": ["sidecar"]}}}),
                "spec.network.serviceMesh",
                "a list",
            ),
            (
                json!({"spec": {"network": {"allow": [{}, []]}}}),
                "spec.network.allow[1]",
                "a list",
            ),
            (
                json!({"spec": {"network": {"allow": [5]}}}),
                "spec.network.allow[0]",
                "a number",
            ),
        ];
        for (object, path, got) in cases {
            let violation = shape_violation(&object).expect("a violation");
            assert_eq!(violation.path, path);
            assert_eq!(violation.message, format!("expected an object, got {got}"));
        }
    }

    #[test]
    fn objects_and_absent_or_null_fields_pass() {
        for ok in [
            json!({}),
            json!({"spec": null}),
            json!({"spec": {"network": {"allow": [{}], "serviceMesh": {"mode": "sidecar"}}}}),
            json!({"spec": {"network": {"allow": "not a list: the parser names it"}}}),
        ] {
            assert_eq!(shape_violation(&ok), None);
        }
    }
}
