//! Kubernetes `NetworkPolicy` (networking.k8s.io/v1) from a host rule to the gateway or waypoint.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::Kind;
use crate::model::{LabelMap, Mode};
use crate::names::{EGRESS_AMBIENT_NAMESPACE, EGRESS_GATEWAY_NAMESPACE, WAYPOINT_NAME};

/// HBONE: the mesh tunnel port, opened next to any TCP port.
pub const HBONE_PORT: u16 = 15008;

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    // Fixed-size where the shape never varies: a desired state holds one NetworkPolicy per host
    // rule (30,000 at 10,000 Packages), and each `Vec` would be one more allocation to keep.
    pub policy_types: [&'static str; 1],
    pub pod_selector: LabelSelector,
    pub egress: [EgressRule; 1],
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<LabelMap>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EgressRule {
    pub to: [Peer; 1],
    /// Always written, even empty: `ports: []` means all ports.
    pub ports: Vec<PolicyPort>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    pub namespace_selector: FixedSelector,
    pub pod_selector: FixedSelector,
}

/// A selector of one constant label (the gateway's and waypoint's), kept without a map of its own.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FixedSelector {
    pub match_labels: FixedLabel,
}

/// One `key: value` label, written as a one-entry map.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedLabel {
    pub key: &'static str,
    pub value: &'static str,
}

impl Serialize for FixedLabel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.key, self.value)?;
        map.end()
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PolicyPort {
    pub port: u16,
    pub protocol: &'static str,
}

fn labels(key: &'static str, value: &'static str) -> FixedSelector {
    FixedSelector {
        match_labels: FixedLabel { key, value },
    }
}

/// The pods a host rule's traffic must go to: the egress gateway (sidecar) or waypoint (ambient).
pub fn egress_peer(mode: Mode) -> Peer {
    let (namespace, key, value) = match mode {
        Mode::Sidecar => (EGRESS_GATEWAY_NAMESPACE, "app", "egressgateway"),
        Mode::Ambient => (
            EGRESS_AMBIENT_NAMESPACE,
            "gateway.networking.k8s.io/gateway-name",
            WAYPOINT_NAME,
        ),
    };
    Peer {
        namespace_selector: labels("kubernetes.io/metadata.name", namespace),
        pod_selector: labels(key, value),
    }
}

impl NetworkPolicySpec {
    pub fn egress_to(
        selector: Option<&LabelMap>,
        peer: Peer,
        ports: Vec<PolicyPort>,
    ) -> NetworkPolicySpec {
        NetworkPolicySpec {
            policy_types: ["Egress"],
            pod_selector: LabelSelector {
                match_labels: selector.cloned(),
            },
            egress: [EgressRule { to: [peer], ports }],
        }
    }
}

impl Kind for NetworkPolicySpec {
    const API_VERSION: &'static str = "networking.k8s.io/v1";
    const KIND: &'static str = "NetworkPolicy";
}
