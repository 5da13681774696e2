//! Which object a manifest is, independent of the API version it was read at, and whether the
//! generator owns it.

use std::fmt;

use serde::Serialize;
use serde_json::Value;
use uds_egress_core::ObjectKey;
use uds_egress_core::objects::meta::{MANAGED_BY_LABEL, MANAGED_BY_VALUE};

/// An object's identity: group, kind, namespace, name. The version is left out on purpose: the
/// API server stores one object whatever version it is read at, so `kubectl get` output at
/// another version still names the same object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectId {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectId {
    pub fn of_key(key: &ObjectKey) -> ObjectId {
        ObjectId {
            group: group_of(&key.api_version).to_string(),
            kind: key.kind.clone(),
            namespace: key.namespace.clone(),
            name: key.name.clone(),
        }
    }

    /// `None` when the manifest lacks `apiVersion`, `kind` or `metadata.name`.
    pub fn of_manifest(manifest: &Value) -> Option<ObjectId> {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let metadata = manifest.get("metadata");
        let api_version = text(manifest.get("apiVersion"))?;
        Some(ObjectId {
            group: group_of(&api_version).to_string(),
            kind: text(manifest.get("kind"))?,
            namespace: text(metadata.and_then(|m| m.get("namespace"))).unwrap_or_default(),
            name: text(metadata.and_then(|m| m.get("name")))?,
        })
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{} ({})",
            self.kind, self.namespace, self.name, self.group
        )
    }
}

/// `networking.istio.io/v1` → `networking.istio.io`; a core `v1` → `""`.
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

/// The generator owns exactly the objects that carry its managed-by label.
pub fn is_owned(manifest: &Value) -> bool {
    manifest
        .pointer("/metadata/labels")
        .and_then(|labels| labels.get(MANAGED_BY_LABEL))
        .and_then(Value::as_str)
        == Some(MANAGED_BY_VALUE)
}

/// `metadata.uid` and `metadata.resourceVersion` of a live object, when present.
pub fn uid_and_version(manifest: &Value) -> (Option<String>, Option<String>) {
    let text = |pointer: &str| {
        manifest
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    (text("/metadata/uid"), text("/metadata/resourceVersion"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identity_ignores_the_version() {
        let v1 = json!({"apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
            "metadata": {"name": "s", "namespace": "n"}});
        let beta = json!({"apiVersion": "networking.istio.io/v1beta1", "kind": "Sidecar",
            "metadata": {"name": "s", "namespace": "n"}});
        assert_eq!(ObjectId::of_manifest(&v1), ObjectId::of_manifest(&beta));
        let api = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "s", "namespace": "n"}});
        let istio = json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
            "metadata": {"name": "s", "namespace": "n"}});
        assert_ne!(ObjectId::of_manifest(&api), ObjectId::of_manifest(&istio));
        assert_eq!(group_of("v1"), "");
    }

    #[test]
    fn malformed_manifests_have_no_identity() {
        assert_eq!(ObjectId::of_manifest(&json!({"kind": "Sidecar"})), None);
        assert_eq!(ObjectId::of_manifest(&json!([1, 2])), None);
        assert_eq!(
            ObjectId::of_manifest(
                &json!({"apiVersion": 3, "kind": "A", "metadata": {"name": "x"}})
            ),
            None
        );
    }

    #[test]
    fn ownership_is_the_label_value() {
        let labelled = |v: Value| json!({"metadata": {"labels": {MANAGED_BY_LABEL: v}}});
        assert!(is_owned(&labelled(json!("uds-egress"))));
        assert!(!is_owned(&labelled(json!("helm"))));
        assert!(!is_owned(&labelled(json!(true))));
        assert!(!is_owned(&json!({"metadata": {"labels": null}})));
        assert!(!is_owned(&json!("text")));
    }
}
