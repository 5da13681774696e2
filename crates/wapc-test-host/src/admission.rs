//! Building an AdmissionRequest around a bare object, so example manifests can be evaluated
//! without hand-written request fixtures.

use serde_json::{Value, json};

/// The inner AdmissionRequest (camelCase) the API server would send for creating `object`.
///
/// The resource name is the lower-cased kind plus `s`, which is right for `Package` and most
/// kinds; requests that need an exact plural should be written as fixtures.
pub fn create_request(object: &Value) -> Value {
    let text = |field: &Value| field.as_str().unwrap_or_default().to_owned();
    let kind = text(&object["kind"]);
    let (group, version) = match text(&object["apiVersion"]).split_once('/') {
        Some((group, version)) => (group.to_owned(), version.to_owned()),
        // Core types have no group: `apiVersion: v1`.
        None => (String::new(), text(&object["apiVersion"])),
    };
    let name = text(&object["metadata"]["name"]);
    let namespace = text(&object["metadata"]["namespace"]);
    let gvk = json!({"group": group, "version": version, "kind": kind});
    let gvr = json!({"group": group, "version": version,
                     "resource": format!("{}s", kind.to_lowercase())});
    json!({
        // Deterministic, so repeated runs print the same thing.
        "uid": format!("create-{namespace}-{name}"),
        "kind": gvk,
        "resource": gvr,
        "requestKind": gvk,
        "requestResource": gvr,
        "name": name,
        "namespace": namespace,
        "operation": "CREATE",
        "userInfo": {"username": "policy-run", "groups": ["system:authenticated"]},
        "object": object,
        "oldObject": null,
        "dryRun": false,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_becomes_a_create_request() {
        let package = json!({"apiVersion": "uds.dev/v1alpha1", "kind": "Package",
                             "metadata": {"name": "app", "namespace": "app-ns"}, "spec": {}});
        let request = create_request(&package);
        assert_eq!(
            request["kind"],
            json!({"group": "uds.dev", "version": "v1alpha1", "kind": "Package"})
        );
        assert_eq!(request["resource"]["resource"], "packages");
        assert_eq!(request["operation"], "CREATE");
        assert_eq!(request["namespace"], "app-ns");
        assert_eq!(request["name"], "app");
        assert_eq!(request["object"], package);
        assert_eq!(request["oldObject"], Value::Null);
    }

    #[test]
    fn core_types_have_an_empty_group() {
        let request = create_request(&json!({"apiVersion": "v1", "kind": "ConfigMap",
                                              "metadata": {"name": "c"}}));
        assert_eq!(request["kind"]["group"], "");
        assert_eq!(request["kind"]["version"], "v1");
        assert_eq!(request["namespace"], "");
    }
}
