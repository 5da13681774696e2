//! What the API server stores after a server-side apply by the generator: the applied manifest
//! plus the fields the server populates, so that tests see live objects as a cluster shows them.

use serde_json::{Map, Value, json};
use uds_egress_core::GeneratedObject;

use uds_egress_plan::managed_fields::{FIELD_MANAGER, owner_reference_key};

/// The stored object after applying `manifest`; `previous` keeps the uid.
pub fn stored_after_apply(
    manifest: &Value,
    previous: Option<&Value>,
    resource_version: u64,
) -> Value {
    let mut stored = manifest.clone();
    let uid = previous
        .and_then(|p| p.pointer("/metadata/uid"))
        .cloned()
        .unwrap_or_else(|| json!(format!("uid-{resource_version}")));
    let fields = fields_of(manifest);
    if let Some(metadata) = stored.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.insert("uid".into(), uid);
        metadata.insert(
            "resourceVersion".into(),
            json!(resource_version.to_string()),
        );
        metadata.insert("generation".into(), json!(1));
        metadata.insert("creationTimestamp".into(), json!("2026-01-01T00:00:00Z"));
        metadata.insert(
            "managedFields".into(),
            json!([{"manager": FIELD_MANAGER, "operation": "Apply", "apiVersion": manifest["apiVersion"],
                "fieldsType": "FieldsV1", "fieldsV1": fields}]),
        );
    }
    if let Some(object) = stored.as_object_mut() {
        object.insert("status".into(), json!({}));
    }
    // Built-in kinds go through Go structs with `omitempty`: empty lists come back absent.
    if manifest["apiVersion"] == "networking.k8s.io/v1" {
        drop_empty_lists(&mut stored);
    }
    stored
}

/// Every desired object as the server would store it.
pub fn stored_objects(objects: &[GeneratedObject]) -> Vec<Value> {
    objects
        .iter()
        .enumerate()
        .map(|(i, o)| stored_after_apply(&o.manifest, None, i as u64 + 1))
        .collect()
}

/// A FieldsV1 set of every field of `manifest` (lists are atomic, owner references keyed by uid).
fn fields_of(manifest: &Value) -> Value {
    fn walk(value: &Value, parent: &str) -> Value {
        match value {
            Value::Object(map) => {
                let mut set = Map::new();
                for (key, child) in map {
                    set.insert(format!("f:{key}"), walk(child, key));
                }
                Value::Object(set)
            }
            Value::Array(items) if parent == "ownerReferences" => {
                let mut set = Map::new();
                for item in items {
                    let uid = item.get("uid").and_then(Value::as_str).unwrap_or_default();
                    set.insert(owner_reference_key(uid), json!({}));
                }
                Value::Object(set)
            }
            _ => json!({}),
        }
    }
    let mut fields = walk(manifest, "");
    if let Some(map) = fields.as_object_mut() {
        map.remove("f:apiVersion");
        map.remove("f:kind");
    }
    fields
}

fn drop_empty_lists(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !matches!(v, Value::Array(items) if items.is_empty()));
            map.values_mut().for_each(drop_empty_lists);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_empty_lists),
        _ => {}
    }
}
