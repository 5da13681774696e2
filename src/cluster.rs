//! What the policy reads from the cluster, behind a small trait: [`HostCluster`] asks Kubewarden's
//! host capabilities; unit tests pass a fake.
//!
//! Objects are read as lossy views (`metadata` typed, `spec` raw) with field masks, so the host
//! sends, and the guest deserialises, only the fields the checks use. A view is never returned as
//! a mutated object, so the loss is harmless.

use std::collections::BTreeSet;
use std::fmt;
use std::marker::PhantomData;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{ListableResource, NamespaceResourceScope, Resource};
use kubewarden_policy_sdk::host_capabilities::kubernetes::{
    ListAllResourcesRequest, list_all_resources,
};
use serde::Deserialize;
use serde_json::Value;

/// An object read from the cluster: its metadata and its raw, masked `spec`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterObject {
    pub metadata: ObjectMeta,
    pub spec: Value,
}

/// A cluster-wide list failed; the policy then fails closed.
#[derive(Clone, Debug, PartialEq)]
pub struct LookupError {
    /// What was listed, e.g. `Packages (uds.dev/v1alpha1)`.
    pub what: String,
    pub detail: String,
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "context-aware check failed: could not list {} through the Kubewarden host \
             capabilities: {}. The policy fails closed: retry, or check that the policy's \
             contextAwareResources and the PolicyServer's RBAC allow get/list/watch of this kind",
            self.what, self.detail
        )
    }
}

/// The three cluster-wide lists the context checks need.
pub trait Cluster {
    fn packages(&self) -> Result<Vec<ClusterObject>, LookupError>;
    fn gateways(&self) -> Result<Vec<ClusterObject>, LookupError>;
    fn virtual_services(&self) -> Result<Vec<ClusterObject>, LookupError>;
}

/// A kind the policy lists, with the field masks of what the checks read.
pub trait Kind {
    const GROUP: &'static str;
    const VERSION: &'static str;
    const API_VERSION: &'static str;
    const KIND: &'static str;
    const LIST_KIND: &'static str;
    const PLURAL: &'static str;
    const FIELD_MASKS: &'static [&'static str];
}

/// `uds.dev/v1alpha1` `Package`: identity, mode and the host-rule fields the core's
/// `ConflictIndex` reads (namespace, name, mode, remoteHost, remoteProtocol, port, ports).
#[derive(Clone, Debug)]
pub struct PackageKind;

impl Kind for PackageKind {
    const GROUP: &'static str = "uds.dev";
    const VERSION: &'static str = "v1alpha1";
    const API_VERSION: &'static str = "uds.dev/v1alpha1";
    const KIND: &'static str = "Package";
    const LIST_KIND: &'static str = "PackageList";
    const PLURAL: &'static str = "packages";
    const FIELD_MASKS: &'static [&'static str] = &[
        "metadata.name",
        "metadata.namespace",
        "spec.network.serviceMesh.mode",
        "spec.network.allow.remoteHost",
        "spec.network.allow.remoteProtocol",
        "spec.network.allow.port",
        "spec.network.allow.ports",
    ];
}

/// Istio `networking.istio.io/v1` `Gateway`: which hosts its servers claim.
#[derive(Clone, Debug)]
pub struct GatewayKind;

impl Kind for GatewayKind {
    const GROUP: &'static str = "networking.istio.io";
    const VERSION: &'static str = "v1";
    const API_VERSION: &'static str = "networking.istio.io/v1";
    const KIND: &'static str = "Gateway";
    const LIST_KIND: &'static str = "GatewayList";
    const PLURAL: &'static str = "gateways";
    const FIELD_MASKS: &'static [&'static str] = &[
        "metadata.name",
        "metadata.namespace",
        "metadata.labels",
        "spec.servers.hosts",
    ];
}

/// Istio `networking.istio.io/v1` `VirtualService`: which hosts it claims.
#[derive(Clone, Debug)]
pub struct VirtualServiceKind;

impl Kind for VirtualServiceKind {
    const GROUP: &'static str = "networking.istio.io";
    const VERSION: &'static str = "v1";
    const API_VERSION: &'static str = "networking.istio.io/v1";
    const KIND: &'static str = "VirtualService";
    const LIST_KIND: &'static str = "VirtualServiceList";
    const PLURAL: &'static str = "virtualservices";
    const FIELD_MASKS: &'static [&'static str] = &[
        "metadata.name",
        "metadata.namespace",
        "metadata.labels",
        "spec.hosts",
    ];
}

/// A read-only view of an object of kind `K`, typed enough for `k8s_openapi::List` to accept it.
#[derive(Clone, Debug, Deserialize)]
pub struct View<K> {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Value,
    #[serde(skip)]
    kind: PhantomData<K>,
}

impl<K: Kind> Resource for View<K> {
    const API_VERSION: &'static str = K::API_VERSION;
    const GROUP: &'static str = K::GROUP;
    const KIND: &'static str = K::KIND;
    const VERSION: &'static str = K::VERSION;
    const URL_PATH_SEGMENT: &'static str = K::PLURAL;
    type Scope = NamespaceResourceScope;
}

impl<K: Kind> ListableResource for View<K> {
    const LIST_KIND: &'static str = K::LIST_KIND;
}

impl<K> From<View<K>> for ClusterObject {
    fn from(view: View<K>) -> ClusterObject {
        ClusterObject {
            metadata: view.metadata,
            spec: view.spec,
        }
    }
}

/// The host request for a cluster-wide list of `K`, masked. Public so that tests and replay
/// recordings can be checked against exactly what the policy sends.
pub fn list_request<K: Kind>() -> ListAllResourcesRequest {
    ListAllResourcesRequest {
        api_version: K::API_VERSION.to_string(),
        kind: K::KIND.to_string(),
        label_selector: None,
        field_selector: None,
        field_masks: Some(
            K::FIELD_MASKS
                .iter()
                .map(|m| m.to_string())
                .collect::<BTreeSet<_>>(),
        ),
    }
}

/// Lists through `kubernetes/list_resources_all` of the Kubewarden host.
pub struct HostCluster;

impl HostCluster {
    fn list<K: Kind + Clone>() -> Result<Vec<ClusterObject>, LookupError> {
        list_all_resources::<View<K>>(&list_request::<K>())
            .map(|list| list.items.into_iter().map(ClusterObject::from).collect())
            .map_err(|err| LookupError {
                what: format!("{}s ({}) cluster-wide", K::KIND, K::API_VERSION),
                detail: err.to_string(),
            })
    }
}

impl Cluster for HostCluster {
    fn packages(&self) -> Result<Vec<ClusterObject>, LookupError> {
        HostCluster::list::<PackageKind>()
    }

    fn gateways(&self) -> Result<Vec<ClusterObject>, LookupError> {
        HostCluster::list::<GatewayKind>()
    }

    fn virtual_services(&self) -> Result<Vec<ClusterObject>, LookupError> {
        HostCluster::list::<VirtualServiceKind>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_host_list_reply_deserialises_into_views() {
        let reply = json!({
            "apiVersion": "networking.istio.io/v1", "kind": "GatewayList", "metadata": {},
            "items": [{"metadata": {"name": "gw", "namespace": "ns", "labels": {"a": "b"}},
                       "spec": {"servers": [{"hosts": ["x.com"]}]}}, {"metadata": {"name": "bare"}}]
        });
        let list: k8s_openapi::List<View<GatewayKind>> = serde_json::from_value(reply).unwrap();
        let objects: Vec<ClusterObject> = list.items.into_iter().map(ClusterObject::from).collect();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].metadata.name.as_deref(), Some("gw"));
        assert_eq!(objects[0].spec["servers"][0]["hosts"][0], "x.com");
        assert!(objects[1].spec.is_null());
    }

    #[test]
    fn a_list_of_another_kind_is_refused() {
        let reply = json!({"apiVersion": "uds.dev/v1alpha1", "kind": "GatewayList", "items": []});
        assert!(serde_json::from_value::<k8s_openapi::List<View<PackageKind>>>(reply).is_err());
    }

    #[test]
    fn requests_are_masked_and_cluster_wide() {
        let request = serde_json::to_value(list_request::<PackageKind>()).unwrap();
        assert_eq!(request["api_version"], "uds.dev/v1alpha1");
        assert_eq!(request["kind"], "Package");
        assert!(request["label_selector"].is_null());
        assert!(request.get("namespace").is_none());
        let masks = request["field_masks"].as_array().unwrap();
        assert!(masks.contains(&json!("spec.network.allow.remoteHost")));
        let lookup = LookupError {
            what: "Packages (uds.dev/v1alpha1) cluster-wide".into(),
            detail: "boom".into(),
        };
        let message = lookup.to_string();
        assert!(
            message.contains("could not list Packages (uds.dev/v1alpha1) cluster-wide")
                && message.contains("boom")
        );
    }
}
