//! Istio `VirtualService` (networking.istio.io/v1): mesh → egress gateway → external host.

use serde::Serialize;

use super::Kind;
use crate::model::Protocol;
use crate::names::EGRESS_GATEWAY_SERVICE_HOST;
use crate::resolve::Pair;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct VirtualServiceSpec {
    pub hosts: Vec<String>,
    pub gateways: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tls: Vec<Route>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<Route>,
}

/// A TLS or HTTP route: the two share one shape here (HTTP matches carry no `sniHosts`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Route {
    #[serde(rename = "match")]
    pub matches: Vec<Match>,
    pub route: Vec<RouteDestination>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Match {
    pub gateways: Vec<String>,
    pub port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sni_hosts: Option<Vec<String>>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RouteDestination {
    pub destination: Destination,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Destination {
    pub host: String,
    pub port: DestinationPort,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DestinationPort {
    pub number: u16,
}

impl VirtualServiceSpec {
    /// Per pair two routes, in pair order: from `mesh` to the egress gateway Service, then from the
    /// Gateway to the host itself.
    pub fn egress(host: &str, gateway_name: &str, pairs: &[Pair]) -> VirtualServiceSpec {
        let mut spec = VirtualServiceSpec {
            hosts: vec![host.to_string()],
            gateways: vec!["mesh".into(), gateway_name.to_string()],
            tls: Vec::new(),
            http: Vec::new(),
        };
        for pair in pairs {
            let sni = (pair.protocol == Protocol::Tls).then(|| vec![host.to_string()]);
            let hops = [("mesh", EGRESS_GATEWAY_SERVICE_HOST), (gateway_name, host)];
            let routes = hops.iter().map(|(from, to)| Route {
                matches: vec![Match {
                    gateways: vec![from.to_string()],
                    port: pair.port,
                    sni_hosts: sni.clone(),
                }],
                route: vec![RouteDestination {
                    destination: Destination {
                        host: to.to_string(),
                        port: DestinationPort { number: pair.port },
                    },
                }],
            });
            match pair.protocol {
                Protocol::Http => spec.http.extend(routes),
                _ => spec.tls.extend(routes),
            }
        }
        spec
    }
}

impl Kind for VirtualServiceSpec {
    const API_VERSION: &'static str = "networking.istio.io/v1";
    const KIND: &'static str = "VirtualService";
}
