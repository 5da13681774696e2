//! Field-level comparison of a desired manifest with the live object, limited to what the
//! generator manages: labels, annotations and owner references it sets, and the spec. Fields the
//! server or other actors populate (status, uid, resourceVersion, managedFields, defaults,
//! foreign labels) never count as a difference.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::managed_fields::{child, owned_fields, owned_names, owned_owner_uids};

/// One field whose live value the apply would change. `None` means absent.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldChange {
    pub path: String,
    pub live: Option<Value>,
    pub desired: Option<Value>,
}

/// Top-level fields that identify the object or that the server owns.
const NOT_COMPARED: &[&str] = &["apiVersion", "kind", "metadata", "status"];

/// What applying `desired` would change in `live`; empty when the apply is not needed.
pub fn changes(desired: &Value, live: &Value) -> Vec<FieldChange> {
    let owned = owned_fields(live);
    let mut out = Vec::new();

    let owned_meta = child(Some(&owned), "metadata");
    for field in ["labels", "annotations"] {
        compare(
            &format!("metadata.{field}"),
            desired.pointer(&format!("/metadata/{field}")),
            live.pointer(&format!("/metadata/{field}")),
            child(owned_meta, field),
            &mut out,
        );
    }
    compare_owner_references(
        desired.pointer("/metadata/ownerReferences"),
        live.pointer("/metadata/ownerReferences"),
        child(owned_meta, "ownerReferences"),
        &mut out,
    );

    let empty = Map::new();
    let desired_top = desired.as_object().unwrap_or(&empty);
    for (key, value) in desired_top {
        if !NOT_COMPARED.contains(&key.as_str()) {
            compare(
                key,
                Some(value),
                live.get(key),
                child(Some(&owned), key),
                &mut out,
            );
        }
    }
    for key in owned_names(Some(&owned)) {
        if !NOT_COMPARED.contains(&key) && !desired_top.contains_key(key) {
            compare(key, None, live.get(key), child(Some(&owned), key), &mut out);
        }
    }
    out
}

/// Compares one field. `owned` is our field set at this path (`None`: we do not own it).
fn compare(
    path: &str,
    desired: Option<&Value>,
    live: Option<&Value>,
    owned: Option<&Value>,
    out: &mut Vec<FieldChange>,
) {
    // The API server drops empty lists and maps of built-in kinds (`ports: []`): absent, null
    // and empty are the same value.
    let desired = desired.filter(|v| !is_empty(v));
    let live = live.filter(|v| !is_empty(v));
    match (desired, live) {
        (None, None) => {}
        (Some(d), None) => out.push(change(path, None, Some(d))),
        (None, Some(l)) => {
            if owned.is_some() {
                out.push(change(path, Some(l), None));
            }
        }
        (Some(Value::Object(d)), Some(Value::Object(l))) => {
            for (key, value) in d {
                compare(
                    &join(path, key),
                    Some(value),
                    l.get(key),
                    child(owned, key),
                    out,
                );
            }
            for key in owned_names(owned) {
                if !d.contains_key(key) {
                    compare(&join(path, key), None, l.get(key), child(owned, key), out);
                }
            }
        }
        (Some(d), Some(l)) => {
            if !contains(d, l) {
                out.push(change(path, Some(l), Some(d)));
            }
        }
    }
}

/// Owner references are a list keyed by uid: others may add theirs, and ours are matched by uid.
fn compare_owner_references(
    desired: Option<&Value>,
    live: Option<&Value>,
    owned: Option<&Value>,
    out: &mut Vec<FieldChange>,
) {
    let as_list = |v: Option<&Value>| -> Vec<Value> {
        v.and_then(Value::as_array).cloned().unwrap_or_default()
    };
    let desired = as_list(desired);
    let live = as_list(live);
    let uid = |r: &Value| r.get("uid").and_then(Value::as_str).map(str::to_string);
    let live_with = |wanted: &str| live.iter().find(|r| uid(r).as_deref() == Some(wanted));
    let path = |u: &str| format!("metadata.ownerReferences[uid={u}]");

    for reference in &desired {
        let key = uid(reference).unwrap_or_default();
        match live_with(&key) {
            Some(existing) if contains(reference, existing) => {}
            existing => out.push(change(&path(&key), existing, Some(reference))),
        }
    }
    for key in owned_owner_uids(owned) {
        if desired.iter().all(|r| uid(r).as_deref() != Some(&key))
            && let Some(existing) = live_with(&key)
        {
            out.push(change(&path(&key), Some(existing), None));
        }
    }
}

/// `live` holds everything `desired` says: maps may have extra keys (server defaults), lists
/// must have the same length and hold the desired items in order, scalars must be equal.
pub fn contains(desired: &Value, live: &Value) -> bool {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => d.iter().all(|(key, value)| match l.get(key) {
            Some(existing) => contains(value, existing) || (is_empty(value) && is_empty(existing)),
            None => is_empty(value),
        }),
        (Value::Array(d), Value::Array(l)) => {
            d.len() == l.len() && d.iter().zip(l).all(|(a, b)| contains(a, b))
        }
        (Value::Number(a), Value::Number(b)) => same_number(a, b),
        (a, b) => a == b,
    }
}

fn same_number(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
        (Some(x), Some(y), _, _) => x == y,
        (_, _, Some(x), Some(y)) => x == y,
        _ => a.as_f64() == b.as_f64(),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

fn change(path: &str, live: Option<&Value>, desired: Option<&Value>) -> FieldChange {
    FieldChange {
        path: path.to_string(),
        live: live.cloned(),
        desired: desired.cloned(),
    }
}

/// `spec.hosts`, or `metadata.labels["uds/package"]` for keys that are not plain words.
fn join(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", Value::String(key.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn applied(fields: Value) -> Value {
        json!([{"manager": "uds-egress", "operation": "Apply", "fieldsV1": fields}])
    }

    #[test]
    fn server_populated_fields_are_ignored() {
        let desired = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "p", "namespace": "n", "labels": {"a": "1"}},
            "spec": {"podSelector": {}, "egress": [{"to": [{"podSelector": {}}], "ports": []}]}});
        let live = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "p", "namespace": "n", "labels": {"a": "1", "other": "x"},
                "uid": "u", "resourceVersion": "7", "generation": 3, "creationTimestamp": "t",
                "managedFields": applied(json!({"f:metadata": {"f:labels": {"f:a": {}}},
                    "f:spec": {"f:podSelector": {}, "f:egress": {}}}))},
            "spec": {"podSelector": {}, "egress": [{"to": [{"podSelector": {}}]}]},
            "status": {"conditions": []}});
        assert_eq!(changes(&desired, &live), vec![]);
    }

    #[test]
    fn defaults_inside_list_items_are_not_a_change() {
        let desired = json!({"spec": {"listeners": [{"name": "mesh", "port": 15008}]}});
        let live = json!({"metadata": {"managedFields": applied(json!({"f:spec": {"f:listeners": {}}}))},
            "spec": {"listeners": [{"name": "mesh", "port": 15008, "allowedRoutes": {"from": "Same"}}]}});
        assert!(changes(&desired, &live).is_empty());
    }

    #[test]
    fn changed_and_added_fields_are_reported_with_paths() {
        let desired = json!({"metadata": {"labels": {"uds/generation": "2", "new": "y"}},
            "spec": {"hosts": ["a.com"], "ports": [{"number": 443}, {"number": 8443}]}});
        let live = json!({"metadata": {"labels": {"uds/generation": "1"}},
            "spec": {"hosts": ["a.com"], "ports": [{"number": 443}]}});
        let found = changes(&desired, &live);
        let paths: Vec<&str> = found.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "metadata.labels[\"uds/generation\"]",
                "metadata.labels.new",
                "spec.ports"
            ]
        );
        assert_eq!(found[0].live, Some(json!("1")));
        assert_eq!(found[0].desired, Some(json!("2")));
        assert_eq!(found[1].live, None);
    }

    #[test]
    fn fields_we_applied_and_no_longer_want_are_removals() {
        let desired = json!({"metadata": {"annotations": {"uds.dev/user-a-ns": "user"}},
            "spec": {"hosts": ["a.com"]}});
        let live = json!({"metadata": {
                "annotations": {"uds.dev/user-a-ns": "user", "uds.dev/user-b-ns": "user", "foreign": "x"},
                "managedFields": applied(json!({"f:metadata": {"f:annotations": {
                    "f:uds.dev/user-a-ns": {}, "f:uds.dev/user-b-ns": {}}},
                    "f:spec": {"f:hosts": {}, "f:exportTo": {}}}))},
            "spec": {"hosts": ["a.com"], "exportTo": ["."]}});
        let found = changes(&desired, &live);
        let paths: Vec<&str> = found.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "metadata.annotations[\"uds.dev/user-b-ns\"]",
                "spec.exportTo"
            ]
        );
        assert!(found.iter().all(|c| c.desired.is_none()));
    }

    #[test]
    fn owner_references_are_matched_by_uid() {
        let ours =
            json!({"apiVersion": "uds.dev/v1alpha1", "kind": "Package", "uid": "u1", "name": "a"});
        let foreign = json!({"apiVersion": "v1", "kind": "ConfigMap", "uid": "u9", "name": "c"});
        let desired = json!({"metadata": {"ownerReferences": [ours.clone()]}});
        let live = json!({"metadata": {"ownerReferences": [foreign.clone(), ours.clone()],
            "managedFields": applied(json!({"f:metadata": {"f:ownerReferences": {"k:{\"uid\":\"u1\"}": {}}}}))}});
        assert!(changes(&desired, &live).is_empty());

        // A recreated Package has a new uid: ours is replaced, the foreign one stays untouched.
        let renewed =
            json!({"apiVersion": "uds.dev/v1alpha1", "kind": "Package", "uid": "u2", "name": "a"});
        let desired = json!({"metadata": {"ownerReferences": [renewed]}});
        let found = changes(&desired, &live);
        let paths: Vec<&str> = found.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "metadata.ownerReferences[uid=u2]",
                "metadata.ownerReferences[uid=u1]"
            ]
        );
    }

    #[test]
    fn numbers_compare_by_value_and_types_must_match() {
        assert!(contains(&json!({"n": 443}), &json!({"n": 443.0})));
        assert!(!contains(&json!({"n": 443}), &json!({"n": "443"})));
        assert!(!contains(&json!(["a", "b"]), &json!(["b", "a"])));
        assert!(!contains(&json!([{"a": 1}]), &json!([{"a": 1}, {"a": 2}])));
        assert!(contains(&json!({"m": {}}), &json!({})));
    }

    #[test]
    fn any_live_shape_is_handled() {
        let desired = json!({"metadata": {"labels": {"a": "1"}, "ownerReferences": [{"uid": "u"}]},
            "spec": {"hosts": ["x"]}});
        for live in [
            json!(null),
            json!("s"),
            json!([]),
            json!({"metadata": 5, "spec": [1]}),
            json!({"metadata": {"labels": ["a"], "ownerReferences": {"uid": "u"}}}),
        ] {
            assert!(!changes(&desired, &live).is_empty(), "{live}");
        }
    }
}
