//! Kubewarden field masks (`metadata.name`, `spec.network.allow.remoteHost`): the host sends only
//! the masked fields of listed objects, so the benchmark's in-memory cluster answers the same way.

use serde_json::{Map, Value};

/// `object` reduced to the masked paths (lists are traversed element by element), keeping
/// `apiVersion` and `kind`, which say what the object is.
pub fn apply(object: &Value, masks: &[String]) -> Value {
    let paths: Vec<Vec<&str>> = masks.iter().map(|m| m.split('.').collect()).collect();
    let mut paths: Vec<&[&str]> = paths.iter().map(Vec::as_slice).collect();
    paths.push(&["apiVersion"]);
    paths.push(&["kind"]);
    prune(object, &paths)
}

fn prune(value: &Value, paths: &[&[&str]]) -> Value {
    if paths.iter().any(|path| path.is_empty()) {
        return value.clone();
    }
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|item| prune(item, paths)).collect()),
        Value::Object(fields) => {
            let mut kept = Map::new();
            for (key, child) in fields {
                let rest: Vec<&[&str]> = paths
                    .iter()
                    .filter_map(|path| match path.split_first() {
                        Some((first, rest)) if first == key => Some(rest),
                        _ => None,
                    })
                    .collect();
                if !rest.is_empty() {
                    kept.insert(key.clone(), prune(child, &rest));
                }
            }
            Value::Object(kept)
        }
        // A path deeper than the data selects nothing below a scalar.
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_masked_paths_through_lists() {
        let object = json!({
            "apiVersion": "uds.dev/v1alpha1", "kind": "Package",
            "metadata": {"name": "a", "namespace": "b", "uid": "u", "labels": {"x": "y"}},
            "spec": {"network": {"allow": [
                {"remoteHost": "h.com", "selector": {"app": "x"}, "port": 443},
                {"remoteGenerated": "Anywhere"}
            ]}, "sso": []}
        });
        let masks = [
            "metadata.name",
            "metadata.labels",
            "spec.network.allow.remoteHost",
        ]
        .map(String::from);
        assert_eq!(
            apply(&object, &masks),
            json!({
                "apiVersion": "uds.dev/v1alpha1", "kind": "Package",
                "metadata": {"name": "a", "labels": {"x": "y"}},
                "spec": {"network": {"allow": [{"remoteHost": "h.com"}, {}]}}
            })
        );
    }
}
