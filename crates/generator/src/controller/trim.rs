//! What the watch stores keep of an object: what a pass reads, not the rest. The stores hold
//! every Package and owned object for the life of the process, and `managedFields` (one entry
//! per writer, each a copy of the field tree) is often larger than the object itself.

use kube::api::DynamicObject;

use uds_egress_plan::managed_fields::FIELD_MANAGER;

/// How much of an object to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trim {
    /// A Package: the core reads its name, namespace, uid, resourceVersion, generation,
    /// timestamps and spec (`PackageMeta`, `PackageSpec`); never its labels, annotations (the
    /// largest is kubectl's last-applied copy of the whole object), managedFields or status.
    Package,
    /// An object we own: the planner compares labels, annotations, owner references and the
    /// top-level fields against the desired object, and reads our own managedFields entry to
    /// know which fields we set. Other managers' entries and the status it never reads.
    Owned,
}

impl Trim {
    pub fn apply(self, object: &mut DynamicObject) {
        let meta = &mut object.metadata;
        match self {
            Trim::Package => {
                meta.managed_fields = None;
                meta.annotations = None;
                meta.labels = None;
            }
            Trim::Owned => {
                if let Some(entries) = meta.managed_fields.as_mut() {
                    entries.retain(|entry| entry.manager.as_deref() == Some(FIELD_MANAGER));
                }
            }
        }
        if let Some(data) = object.data.as_object_mut() {
            data.remove("status");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn object(managers: &[&str]) -> DynamicObject {
        let managed: Vec<Value> = managers
            .iter()
            .map(|m| json!({"manager": m, "operation": "Apply", "fieldsV1": {"f:spec": {}}}))
            .collect();
        serde_json::from_value(json!({
            "metadata": {"name": "a", "namespace": "n", "uid": "u", "resourceVersion": "7",
                "generation": 2, "creationTimestamp": "2026-01-01T00:00:00Z",
                "labels": {"app": "x"},
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
                "ownerReferences": [{"apiVersion": "uds.dev/v1alpha1", "kind": "Package",
                    "name": "p", "uid": "pu"}],
                "managedFields": managed},
            "spec": {"hosts": ["x"]},
            "status": {"conditions": []}}))
        .unwrap()
    }

    fn trimmed(trim: Trim, managers: &[&str]) -> Value {
        let mut object = object(managers);
        trim.apply(&mut object);
        serde_json::to_value(&object).unwrap()
    }

    #[test]
    fn an_owned_object_keeps_only_our_managed_fields_entry() {
        let value = trimmed(Trim::Owned, &["kubectl", "uds-egress", "istiod"]);
        let kept = &value["metadata"]["managedFields"];
        assert_eq!(kept.as_array().map(Vec::len), Some(1), "{kept}");
        assert_eq!(kept[0]["manager"], "uds-egress");
        assert_eq!(kept[0]["fieldsV1"], json!({"f:spec": {}}));
        let none_of_ours = trimmed(Trim::Owned, &["kubectl"]);
        assert_eq!(none_of_ours["metadata"]["managedFields"], json!([]));
    }

    #[test]
    fn an_owned_object_keeps_what_the_planner_compares() {
        let value = trimmed(Trim::Owned, &["uds-egress"]);
        let meta = &value["metadata"];
        assert_eq!(meta["labels"], json!({"app": "x"}));
        assert!(meta["annotations"].is_object());
        assert_eq!(meta["ownerReferences"][0]["uid"], "pu");
        assert_eq!(meta["uid"], "u");
        assert_eq!(meta["resourceVersion"], "7");
        assert_eq!(value["spec"], json!({"hosts": ["x"]}));
        assert!(value.get("status").is_none());
    }

    #[test]
    fn a_package_keeps_what_the_core_reads() {
        let value = trimmed(Trim::Package, &["kubectl", "uds-egress"]);
        let meta = &value["metadata"];
        for gone in ["managedFields", "annotations", "labels"] {
            assert!(meta.get(gone).is_none(), "{gone} kept: {meta}");
        }
        assert!(value.get("status").is_none());
        for kept in [
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
        ] {
            assert!(meta.get(kept).is_some(), "{kept} dropped: {meta}");
        }
        assert_eq!(value["spec"], json!({"hosts": ["x"]}));
    }
}
