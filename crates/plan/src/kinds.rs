//! The kinds of object the generator writes, and where they are served; and Package, the one it
//! reads.

use serde_json::Value;

use crate::identity::{ObjectId, group_of};
use crate::input::{Document, describe};

/// One kind the generator owns objects of (or, for [`PACKAGE_KIND`], reads).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManagedKind {
    /// API group; `""` would be the core group (none of ours is).
    pub group: &'static str,
    /// The version the generator reads and writes.
    pub version: &'static str,
    pub kind: &'static str,
    /// Resource name in URLs and RBAC rules.
    pub plural: &'static str,
}

impl ManagedKind {
    pub fn api_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }
}

/// Every kind `desired_state` generates. The Istio and the Gateway API `Gateway` differ by group.
pub const MANAGED_KINDS: &[ManagedKind] = &[
    ManagedKind {
        group: "networking.istio.io",
        version: "v1",
        kind: "ServiceEntry",
        plural: "serviceentries",
    },
    ManagedKind {
        group: "networking.istio.io",
        version: "v1",
        kind: "Sidecar",
        plural: "sidecars",
    },
    ManagedKind {
        group: "networking.istio.io",
        version: "v1",
        kind: "VirtualService",
        plural: "virtualservices",
    },
    ManagedKind {
        group: "networking.istio.io",
        version: "v1",
        kind: "Gateway",
        plural: "gateways",
    },
    ManagedKind {
        group: "security.istio.io",
        version: "v1",
        kind: "AuthorizationPolicy",
        plural: "authorizationpolicies",
    },
    ManagedKind {
        group: "gateway.networking.k8s.io",
        version: "v1",
        kind: "Gateway",
        plural: "gateways",
    },
    ManagedKind {
        group: "networking.k8s.io",
        version: "v1",
        kind: "NetworkPolicy",
        plural: "networkpolicies",
    },
];

/// The UDS Package, watched but never written. Described like the managed kinds so that every
/// kind the controller calls the API for is one table row away from its `ApiResource`.
pub const PACKAGE_KIND: ManagedKind = ManagedKind {
    group: "uds.dev",
    version: "v1alpha1",
    kind: uds_egress_core::model::KIND,
    plural: "packages",
};

/// The managed kind of `(group, kind)`, if it is one.
pub fn managed_kind(group: &str, kind: &str) -> Option<&'static ManagedKind> {
    MANAGED_KINDS
        .iter()
        .find(|k| k.group == group && k.kind == kind)
}

/// Live objects of the kinds uds-egress manages, with where each was read; others are noted and
/// left out.
pub fn managed_documents(documents: Vec<Document>, notes: &mut Vec<String>) -> Vec<Document> {
    let mut objects = Vec::new();
    for document in documents {
        let managed = ObjectId::of_manifest(&document.value)
            .is_some_and(|id| managed_kind(&id.group, &id.kind).is_some());
        if managed {
            objects.push(document);
        } else {
            let group = document
                .value
                .get("apiVersion")
                .and_then(Value::as_str)
                .map(group_of)
                .unwrap_or("?");
            notes.push(format!(
                "note: {}: ignoring {} (group {group}): not a kind uds-egress manages",
                document.origin,
                describe(&document.value)
            ));
        }
    }
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_kind_is_the_cores() {
        assert_eq!(
            PACKAGE_KIND.api_version(),
            uds_egress_core::model::API_VERSION
        );
        assert!(managed_kind(PACKAGE_KIND.group, PACKAGE_KIND.kind).is_none());
    }
}
