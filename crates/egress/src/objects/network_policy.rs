//! Kubernetes `NetworkPolicy` (networking.k8s.io/v1) from a host rule to the gateway or waypoint.

use serde::Serialize;

use super::Kind;
use crate::model::{LabelMap, Mode};
use crate::names::{EGRESS_AMBIENT_NAMESPACE, EGRESS_GATEWAY_NAMESPACE, WAYPOINT_NAME};

/// HBONE: the mesh tunnel port, opened next to any TCP port.
pub const HBONE_PORT: u16 = 15008;

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    pub policy_types: Vec<&'static str>,
    pub pod_selector: LabelSelector,
    pub egress: Vec<EgressRule>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<LabelMap>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EgressRule {
    pub to: Vec<Peer>,
    /// Always written, even empty: `ports: []` means all ports.
    pub ports: Vec<PolicyPort>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    pub namespace_selector: LabelSelector,
    pub pod_selector: LabelSelector,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PolicyPort {
    pub port: u16,
    pub protocol: &'static str,
}

fn labels(key: &str, value: &str) -> LabelSelector {
    let mut map = LabelMap::new();
    map.insert(key.into(), value.into());
    LabelSelector {
        match_labels: Some(map),
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
            policy_types: vec!["Egress"],
            pod_selector: LabelSelector {
                match_labels: selector.cloned(),
            },
            egress: vec![EgressRule {
                to: vec![peer],
                ports,
            }],
        }
    }
}

impl Kind for NetworkPolicySpec {
    const API_VERSION: &'static str = "networking.k8s.io/v1";
    const KIND: &'static str = "NetworkPolicy";
}
