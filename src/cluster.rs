//! What the policy reads from the cluster, behind a small trait: [`HostCluster`] asks Kubewarden's
//! host capabilities; unit tests, the fuzz targets and the benchmark answer from memory.
//!
//! A [`Cluster`] returns each list reply as the host sends it, JSON bytes; [`crate::listed`]
//! reads them into borrowed views. The lists are masked, so the host sends only the fields the
//! checks use, and the Istio lists leave out uds-egress's own objects by label selector, so the
//! host does not send, nor the guest parse, the objects the checks would skip anyway.

use std::collections::BTreeSet;
use std::fmt;

use kubewarden_policy_sdk::host_capabilities::kubernetes::ListAllResourcesRequest;
use kubewarden_policy_sdk::wapc_guest::host_call;
use serde_json::{Value, json};
use uds_egress_core::objects::meta::{MANAGED_BY_LABEL, MANAGED_BY_VALUE, NOT_MANAGED_BY_US};

/// A cluster-wide list failed, or its reply could not be read; the policy then fails closed.
#[derive(Clone, Debug, PartialEq)]
pub struct LookupError {
    /// What was listed, e.g. `Packages (uds.dev/v1alpha1) cluster-wide`.
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
            self.what,
            // The host's text often ends a sentence already; one full stop is enough.
            self.detail.trim_end_matches('.')
        )
    }
}

/// The three cluster-wide lists the context checks read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// `uds.dev/v1alpha1` `Package`: identity, mode and the host-rule fields the core's
    /// `ConflictIndex` reads; with direction, `remoteGenerated` and the deletion mark, what the
    /// shared-reach warning reads (which entries open ports towards the egress gateway).
    Packages,
    /// Istio `networking.istio.io/v1` `Gateway`: which hosts its servers claim.
    Gateways,
    /// Istio `networking.istio.io/v1` `VirtualService`: which hosts it claims.
    VirtualServices,
}

impl Listing {
    /// Every list the context checks make, in the order they make them.
    pub const ALL: [Listing; 3] = [
        Listing::Packages,
        Listing::Gateways,
        Listing::VirtualServices,
    ];

    pub fn api_version(self) -> &'static str {
        match self {
            Listing::Packages => "uds.dev/v1alpha1",
            Listing::Gateways | Listing::VirtualServices => "networking.istio.io/v1",
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Listing::Packages => "Package",
            Listing::Gateways => "Gateway",
            Listing::VirtualServices => "VirtualService",
        }
    }

    /// The paths the checks read; the host sends nothing else.
    pub fn field_masks(self) -> &'static [&'static str] {
        match self {
            Listing::Packages => &[
                "metadata.name",
                "metadata.namespace",
                "metadata.deletionTimestamp",
                "spec.network.serviceMesh.mode",
                "spec.network.allow.direction",
                "spec.network.allow.remoteGenerated",
                "spec.network.allow.remoteHost",
                "spec.network.allow.remoteProtocol",
                "spec.network.allow.port",
                "spec.network.allow.ports",
            ],
            // The labels stay masked in: the guest checks ownership again, in case a host
            // ignores the selector.
            Listing::Gateways => &[
                "metadata.name",
                "metadata.namespace",
                "metadata.labels",
                "spec.servers.hosts",
            ],
            Listing::VirtualServices => &[
                "metadata.name",
                "metadata.namespace",
                "metadata.labels",
                "spec.hosts",
            ],
        }
    }

    /// Every Package counts; of the Istio objects only those uds-egress does not own: the ones it
    /// generated carry its managed-by label and never count as foreign claims, so the Istio lists
    /// ask the host to leave them out.
    pub fn label_selector(self) -> Option<&'static str> {
        match self {
            Listing::Packages => None,
            Listing::Gateways | Listing::VirtualServices => Some(NOT_MANAGED_BY_US),
        }
    }

    /// How a failed lookup names the list.
    pub fn describe(self) -> String {
        format!("{}s ({}) cluster-wide", self.kind(), self.api_version())
    }

    /// The host request for this list. Public so that the test hosts can be checked
    /// against exactly what the policy sends.
    pub fn request(self) -> ListAllResourcesRequest {
        ListAllResourcesRequest {
            api_version: self.api_version().to_string(),
            kind: self.kind().to_string(),
            label_selector: self.label_selector().map(str::to_string),
            field_selector: None,
            field_masks: Some(
                self.field_masks()
                    .iter()
                    .map(|m| m.to_string())
                    .collect::<BTreeSet<_>>(),
            ),
        }
    }

    /// The reply a host sends for `items`: `{"apiVersion", "kind": "<Kind>List", "metadata",
    /// "items"}`. What in-memory clusters (tests, fuzz targets) answer with.
    pub fn reply(self, items: &[Value]) -> Vec<u8> {
        json!({
            "apiVersion": self.api_version(),
            "kind": format!("{}List", self.kind()),
            "metadata": {},
            "items": items,
        })
        .to_string()
        .into_bytes()
    }
}

/// Whether labels (a listed object's `metadata.labels`) mark the object as uds-egress's own.
pub fn is_ours<'a>(mut labels: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
    labels.any(|(key, value)| key == MANAGED_BY_LABEL && value == MANAGED_BY_VALUE)
}

/// Where the context checks read the cluster from.
pub trait Cluster {
    /// The host's reply to the cluster-wide list, as JSON bytes.
    fn list(&self, listing: Listing) -> Result<Vec<u8>, LookupError>;
}

/// Lists through `kubernetes/list_resources_all` of the Kubewarden host. The SDK's typed
/// `list_all_resources` is not used because it parses into owned `k8s_openapi` lists; the
/// policy reads the reply into borrowed views instead ([`crate::listed`]), which costs a
/// fraction of the time on large lists.
pub struct HostCluster;

impl Cluster for HostCluster {
    fn list(&self, listing: Listing) -> Result<Vec<u8>, LookupError> {
        let failed = |detail: String| LookupError {
            what: listing.describe(),
            detail,
        };
        let request = serde_json::to_vec(&listing.request()).map_err(|e| failed(e.to_string()))?;
        host_call("kubewarden", "kubernetes", "list_resources_all", &request)
            .map_err(|e| failed(format!("kubernetes.list_resources_all: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_masked_and_cluster_wide() {
        let request = serde_json::to_value(Listing::Packages.request()).unwrap();
        assert_eq!(request["api_version"], "uds.dev/v1alpha1");
        assert_eq!(request["kind"], "Package");
        assert!(request["label_selector"].is_null());
        assert!(request.get("namespace").is_none());
        let masks = request["field_masks"].as_array().unwrap();
        assert!(masks.contains(&json!("spec.network.allow.remoteHost")));
        // What the shared-reach warning reads: crates/core/tests/shared_entry_openings.rs masks
        // the Packages to these fields and holds the warning's rule unchanged by it.
        for field in [
            "metadata.deletionTimestamp",
            "spec.network.allow.direction",
            "spec.network.allow.remoteGenerated",
            "spec.network.allow.port",
            "spec.network.allow.ports",
            "spec.network.allow.remoteProtocol",
        ] {
            assert!(masks.contains(&json!(field)), "{field} is masked out");
        }
        let lookup = LookupError {
            what: Listing::Packages.describe(),
            detail: "boom".into(),
        };
        let message = lookup.to_string();
        assert!(
            message.contains("could not list Packages (uds.dev/v1alpha1) cluster-wide")
                && message.contains("boom"),
            "{message}"
        );
    }

    #[test]
    fn a_host_message_that_ends_a_sentence_gets_one_full_stop() {
        // policy-server's error texts end with "."; the message must not read "reported.. The".
        let lookup = LookupError {
            what: Listing::Packages.describe(),
            detail: "The violation has been reported.".into(),
        };
        let message = lookup.to_string();
        assert!(
            message.contains("The violation has been reported. The policy fails closed"),
            "{message}"
        );
    }

    #[test]
    fn istio_lists_leave_out_our_own_objects() {
        for listing in [Listing::Gateways, Listing::VirtualServices] {
            let request = serde_json::to_value(listing.request()).unwrap();
            assert_eq!(
                request["label_selector"],
                format!("{MANAGED_BY_LABEL}!={MANAGED_BY_VALUE}")
            );
            assert_eq!(request["api_version"], "networking.istio.io/v1");
        }
    }

    #[test]
    fn ownership_is_the_managed_by_label() {
        assert!(is_ours(
            [("a", "b"), (MANAGED_BY_LABEL, MANAGED_BY_VALUE)].into_iter()
        ));
        assert!(!is_ours([(MANAGED_BY_LABEL, "helm")].into_iter()));
        assert!(!is_ours(std::iter::empty()));
    }

    #[test]
    fn replies_name_the_list_after_the_kind() {
        let reply: Value =
            serde_json::from_slice(&Listing::VirtualServices.reply(&[json!({"a": 1})])).unwrap();
        assert_eq!(reply["kind"], "VirtualServiceList");
        assert_eq!(reply["apiVersion"], "networking.istio.io/v1");
        assert_eq!(reply["items"][0]["a"], 1);
    }
}
