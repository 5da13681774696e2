//! The ambient egress waypoint: a Gateway API `Gateway` (gateway.networking.k8s.io/v1).

use serde::Serialize;

use super::Kind;

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WaypointSpec {
    pub gateway_class_name: &'static str,
    pub listeners: Vec<Listener>,
    pub infrastructure: Infrastructure,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Listener {
    pub name: &'static str,
    pub port: u16,
    pub protocol: &'static str,
    pub allowed_routes: AllowedRoutes,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AllowedRoutes {
    pub namespaces: RouteNamespaces,
    pub kinds: Vec<GroupKind>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RouteNamespaces {
    pub from: &'static str,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GroupKind {
    pub group: &'static str,
    pub kind: &'static str,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Infrastructure {
    pub parameters_ref: ParametersRef,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ParametersRef {
    pub group: &'static str,
    pub kind: &'static str,
    pub name: &'static str,
}

/// The ConfigMap of the `istio-egress-ambient` component that configures the waypoint deployment.
pub const WAYPOINT_CONFIG_MAP: &str = "egress-waypoint-config";

impl WaypointSpec {
    /// The one fixed waypoint spec: HBONE on 15008, ServiceEntry routes from every namespace.
    pub fn egress() -> WaypointSpec {
        WaypointSpec {
            gateway_class_name: "istio-waypoint",
            listeners: vec![Listener {
                name: "mesh",
                port: 15008,
                protocol: "HBONE",
                allowed_routes: AllowedRoutes {
                    namespaces: RouteNamespaces { from: "All" },
                    kinds: vec![GroupKind {
                        group: "networking.istio.io",
                        kind: "ServiceEntry",
                    }],
                },
            }],
            infrastructure: Infrastructure {
                parameters_ref: ParametersRef {
                    group: "",
                    kind: "ConfigMap",
                    name: WAYPOINT_CONFIG_MAP,
                },
            },
        }
    }
}

impl Kind for WaypointSpec {
    const API_VERSION: &'static str = "gateway.networking.k8s.io/v1";
    const KIND: &'static str = "Gateway";
}
