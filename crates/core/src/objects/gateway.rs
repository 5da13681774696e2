//! Istio `Gateway` (networking.istio.io/v1) on the sidecar-mode egress gateway.

use serde::Serialize;

use super::Kind;
use super::service_entry::PortEntry;
use crate::model::LabelMap;
use crate::resolve::Pair;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GatewaySpec {
    pub selector: LabelMap,
    pub servers: Vec<Server>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Server {
    pub hosts: Vec<String>,
    pub port: PortEntry,
    pub tls: ServerTls,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ServerTls {
    pub mode: &'static str,
}

impl GatewaySpec {
    /// One server per pair. `PASSTHROUGH` is written on HTTP servers too, as UDS Core does.
    pub fn egress(host: &str, pairs: &[Pair]) -> GatewaySpec {
        let mut selector = LabelMap::new();
        selector.insert("app".into(), "egressgateway".into());
        GatewaySpec {
            selector,
            servers: pairs
                .iter()
                .map(|pair| Server {
                    hosts: vec![host.to_string()],
                    port: PortEntry::of(*pair),
                    tls: ServerTls {
                        mode: "PASSTHROUGH",
                    },
                })
                .collect(),
        }
    }
}

impl Kind for GatewaySpec {
    const API_VERSION: &'static str = "networking.istio.io/v1";
    const KIND: &'static str = "Gateway";
}
