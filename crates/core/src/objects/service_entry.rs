//! Istio `ServiceEntry` (networking.istio.io/v1).

use serde::Serialize;

use super::Kind;
use crate::names::port_name;
use crate::resolve::Pair;

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEntrySpec {
    pub hosts: Vec<String>,
    pub location: &'static str,
    pub resolution: &'static str,
    pub ports: Vec<PortEntry>,
    pub export_to: Vec<&'static str>,
}

/// Port entry of ServiceEntries and Gateway servers: `{name: tls-443, number: 443, protocol: TLS}`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PortEntry {
    pub name: String,
    pub number: u16,
    pub protocol: &'static str,
}

impl PortEntry {
    pub fn of(pair: Pair) -> PortEntry {
        PortEntry {
            name: port_name(pair),
            number: pair.port,
            protocol: pair.protocol.as_str(),
        }
    }
}

impl ServiceEntrySpec {
    /// Every ServiceEntry of uds-egress: external, DNS-resolved (IP hosts too), exported to its
    /// own namespace only.
    pub fn external(host: &str, pairs: &[Pair]) -> ServiceEntrySpec {
        ServiceEntrySpec {
            hosts: vec![host.to_string()],
            location: "MESH_EXTERNAL",
            resolution: "DNS",
            ports: pairs.iter().copied().map(PortEntry::of).collect(),
            export_to: vec!["."],
        }
    }
}

impl Kind for ServiceEntrySpec {
    const API_VERSION: &'static str = "networking.istio.io/v1";
    const KIND: &'static str = "ServiceEntry";
}
