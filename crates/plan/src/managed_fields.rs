//! The fields of a live object that the generator's field manager owns.
//!
//! Server-side apply records, per field manager, the set of fields it applied (`managedFields`,
//! format `FieldsV1`: `{"f:spec": {"f:hosts": {}}}`, list items keyed `k:{"uid":"..."}`). A field
//! we own that the desired object no longer has is one the next apply removes, so it counts as a
//! change; a field someone else added is none of our business.

use serde_json::{Map, Value, json};

/// The generator's server-side apply field manager.
pub const FIELD_MANAGER: &str = "uds-egress";

/// Our owned field set of `live`. When the object carries no entry of ours (it was never applied
/// by us, or it was read with `kubectl get` without `--show-managed-fields`), we assume we own
/// every label, annotation, owner reference and top-level spec field it has: that can only make a
/// plan show a change that the apply then turns out not to need, never hide one.
pub fn owned_fields(live: &Value) -> Value {
    match applied_by_us(live) {
        Some(fields) => fields.clone(),
        None => assume_all(live),
    }
}

fn applied_by_us(live: &Value) -> Option<&Value> {
    let entries = live.pointer("/metadata/managedFields")?.as_array()?;
    entries
        .iter()
        .find(|entry| {
            let text = |key: &str| entry.get(key).and_then(Value::as_str);
            text("manager") == Some(FIELD_MANAGER)
                && text("operation") == Some("Apply")
                && text("subresource").is_none_or(str::is_empty)
        })
        .and_then(|entry| entry.get("fieldsV1"))
}

fn assume_all(live: &Value) -> Value {
    let keys_of = |value: Option<&Value>| -> Map<String, Value> {
        value
            .and_then(Value::as_object)
            .map(|map| map.keys().map(|k| (format!("f:{k}"), json!({}))).collect())
            .unwrap_or_default()
    };
    let owner_keys: Map<String, Value> = live
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r.get("uid").and_then(Value::as_str))
                .map(|uid| (owner_reference_key(uid), json!({})))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "f:metadata": {
            "f:labels": keys_of(live.pointer("/metadata/labels")),
            "f:annotations": keys_of(live.pointer("/metadata/annotations")),
            "f:ownerReferences": owner_keys,
        },
        "f:spec": keys_of(live.get("spec")),
    })
}

/// The `FieldsV1` key of the owner reference with `uid`.
pub fn owner_reference_key(uid: &str) -> String {
    format!("k:{}", json!({ "uid": uid }))
}

/// The owned subtree of `field` in `set`.
pub fn child<'a>(set: Option<&'a Value>, field: &str) -> Option<&'a Value> {
    set.and_then(|s| s.get(format!("f:{field}")))
}

/// The field names `set` owns directly (its `f:` keys).
pub fn owned_names(set: Option<&Value>) -> Vec<&str> {
    set.and_then(Value::as_object)
        .map(|map| map.keys().filter_map(|k| k.strip_prefix("f:")).collect())
        .unwrap_or_default()
}

/// Uids of the owner references `set` (the `f:ownerReferences` subtree) owns.
pub fn owned_owner_uids(set: Option<&Value>) -> Vec<String> {
    set.and_then(Value::as_object)
        .map(|map| {
            map.keys()
                .filter_map(|k| k.strip_prefix("k:"))
                .filter_map(|k| serde_json::from_str::<Value>(k).ok())
                .filter_map(|k| k.get("uid").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_our_apply_entry_only() {
        let live = json!({"metadata": {"managedFields": [
            {"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:spec": {}}},
            {"manager": "uds-egress", "operation": "Update", "fieldsV1": {"f:x": {}}},
            {"manager": "uds-egress", "operation": "Apply", "subresource": "status", "fieldsV1": {"f:status": {}}},
            {"manager": "uds-egress", "operation": "Apply", "fieldsV1": {"f:spec": {"f:hosts": {}}}},
        ]}});
        assert_eq!(owned_fields(&live), json!({"f:spec": {"f:hosts": {}}}));
    }

    #[test]
    fn without_an_entry_everything_is_assumed_ours() {
        let live = json!({"metadata": {"labels": {"a": "1"}, "ownerReferences": [{"uid": "u1"}]},
            "spec": {"hosts": ["x"]}, "status": {"y": 1}});
        let owned = owned_fields(&live);
        assert_eq!(owned_names(child(Some(&owned), "spec")), vec!["hosts"]);
        let meta = child(Some(&owned), "metadata");
        assert_eq!(owned_names(child(meta, "labels")), vec!["a"]);
        assert_eq!(
            owned_owner_uids(child(meta, "ownerReferences")),
            vec!["u1".to_string()]
        );
        assert!(child(Some(&owned), "status").is_none());
    }

    #[test]
    fn malformed_managed_fields_are_tolerated() {
        for managed in [json!("x"), json!([1, null]), json!([{"manager": 3}])] {
            let live = json!({"metadata": {"managedFields": managed}, "spec": {"a": 1}});
            assert_eq!(
                owned_names(child(Some(&owned_fields(&live)), "spec")),
                vec!["a"]
            );
        }
        assert!(owned_owner_uids(Some(&json!({"k:not json": {}, "k:{\"x\":1}": {}}))).is_empty());
    }
}
