//! Istio Gateway and VirtualService: which hosts the sidecar egress gateway forwards, and which
//! hosts a sidecar sends to it.
//!
//! Rules (docs/reach.md, R3 and R5):
//! - a Gateway applies to the egress gateway's pods when its `selector` selects them
//!   (`app: egressgateway`); each server accepts its `hosts` on its port. With TLS passthrough
//!   and plain HTTP it routes by the SNI name or `Host` header alone: it does not check who the
//!   client is;
//! - a VirtualService bound to that Gateway (`gateways: [<name>]`, `<namespace>/<name>`) and
//!   exported to its namespace forwards a host on a port when a route (`tls` for TLS servers,
//!   `http` for HTTP ones) matches the Gateway, the port (or no port) and, for TLS, the SNI name,
//!   and sends it to that host (on that port, or no port);
//! - the gateway reaches the host only when a ServiceEntry visible in its namespace lists it on
//!   that port (R2);
//! - a sidecar sends a host to the gateway when a VirtualService bound to `mesh` (or to no
//!   gateway) and exported to the sidecar's namespace has a route that matches `mesh`, the port
//!   and the SNI name and goes to the gateway's Service.

use crate::generated_object::ObjectKey;
use crate::names::{EGRESS_GATEWAY_NAMESPACE, EGRESS_GATEWAY_SERVICE_HOST};
use crate::reach::fields::{Field, FieldError, Labels, exported_to, host_matches, selects};
use crate::reach::mesh::{Mesh, Meta};
use crate::reach::network_policy::egress_gateway_pods;
use crate::reach::service_entry::protocol_family;

#[derive(Clone, Debug, PartialEq)]
pub struct IstioGateway {
    pub meta: Meta,
    pub selector: Labels,
    pub servers: Vec<Server>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Server {
    pub hosts: Vec<String>,
    pub port: u16,
    /// `TLS` or `HTTP` ([`protocol_family`]).
    pub protocol: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VirtualService {
    pub meta: Meta,
    pub hosts: Vec<String>,
    pub gateways: Vec<String>,
    pub export_to: Vec<String>,
    pub routes: Vec<Route>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// From the `tls` list (else `http`).
    pub tls: bool,
    /// Empty: matches everything the VirtualService is bound to.
    pub matches: Vec<RouteMatch>,
    pub destinations: Vec<(String, Option<u16>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RouteMatch {
    /// Empty: the VirtualService's gateways.
    pub gateways: Vec<String>,
    pub port: Option<u16>,
    pub sni_hosts: Vec<String>,
}

impl IstioGateway {
    pub fn read(meta: Meta, spec: &Field<'_>) -> Result<IstioGateway, FieldError> {
        let mut servers = Vec::new();
        for server in spec.get("servers")?.items()? {
            let port = server.get("port")?;
            let Some(number) = port.get("number")?.port()? else {
                continue;
            };
            servers.push(Server {
                hosts: server.get("hosts")?.strings()?,
                port: number,
                protocol: protocol_family(port.get("protocol")?.str()?.unwrap_or("TCP")),
            });
        }
        Ok(IstioGateway {
            selector: spec.get("selector")?.labels()?.unwrap_or_default(),
            servers,
            meta,
        })
    }
}

impl VirtualService {
    pub fn read(meta: Meta, spec: &Field<'_>) -> Result<VirtualService, FieldError> {
        let mut routes = Vec::new();
        for (list, tls) in [("tls", true), ("http", false)] {
            for route in spec.get(list)?.items()? {
                let mut matches = Vec::new();
                for m in route.get("match")?.items()? {
                    matches.push(RouteMatch {
                        gateways: m.get("gateways")?.strings()?,
                        port: m.get("port")?.port()?,
                        sni_hosts: m.get("sniHosts")?.strings()?,
                    });
                }
                let mut destinations = Vec::new();
                for target in route.get("route")?.items()? {
                    let destination = target.get("destination")?;
                    destinations.push((
                        destination.get("host")?.required_str()?.to_string(),
                        destination.get("port")?.get("number")?.port()?,
                    ));
                }
                routes.push(Route {
                    tls,
                    matches,
                    destinations,
                });
            }
        }
        Ok(VirtualService {
            hosts: spec.get("hosts")?.strings()?,
            gateways: spec.get("gateways")?.strings()?,
            export_to: spec.get("exportTo")?.strings()?,
            routes,
            meta,
        })
    }

    fn bound_to(&self, gateway: &str) -> bool {
        self.names(gateway, &self.gateways)
    }

    /// Whether `refs` (gateway references of this VirtualService) name `gateway` (`mesh` or
    /// `<namespace>/<name>`). A VirtualService without gateways is bound to `mesh`.
    fn names(&self, gateway: &str, refs: &[String]) -> bool {
        if refs.is_empty() {
            return gateway == "mesh";
        }
        refs.iter().any(|r| {
            r == gateway
                || (!r.contains('/')
                    && r != "mesh"
                    && format!("{}/{r}", self.meta.key.namespace) == gateway)
        })
    }

    /// The destinations of routes that match `gateway`, `port` and (TLS) `host` as SNI name.
    fn routed(&self, gateway: &str, tls: bool, port: u16, host: &str) -> Vec<(&str, Option<u16>)> {
        if !self.bound_to(gateway) || !self.hosts.iter().any(|h| host_matches(h, host)) {
            return Vec::new();
        }
        self.routes
            .iter()
            .filter(|route| route.tls == tls)
            .filter(|route| {
                let matching = |m: &RouteMatch| {
                    let gateways = if m.gateways.is_empty() {
                        &self.gateways
                    } else {
                        &m.gateways
                    };
                    self.names(gateway, gateways)
                        && m.port.is_none_or(|p| p == port)
                        && (!tls || m.sni_hosts.iter().any(|s| host_matches(s, host)))
                };
                // A TLS route needs an SNI match (Istio requires `sniHosts`).
                if route.matches.is_empty() {
                    !tls
                } else {
                    route.matches.iter().any(matching)
                }
            })
            .flat_map(|route| route.destinations.iter().map(|(h, p)| (h.as_str(), *p)))
            .collect()
    }
}

/// One host the egress gateway forwards on one port, and the objects that make it so.
#[derive(Clone, Debug, PartialEq)]
pub struct Served<'a> {
    pub host: String,
    pub port: u16,
    pub protocol: String,
    pub gateway: &'a IstioGateway,
    pub virtual_service: ObjectKey,
    pub service_entry: ObjectKey,
}

/// Every (host, port) the egress gateway forwards, in object order.
pub fn served(mesh: &Mesh) -> Vec<Served<'_>> {
    let pods = egress_gateway_pods();
    let mut out = Vec::new();
    for gateway in &mesh.gateways {
        if !selects(&gateway.selector, &pods.labels) {
            continue;
        }
        let reference = format!("{}/{}", gateway.meta.key.namespace, gateway.meta.key.name);
        for server in &gateway.servers {
            let tls = server.protocol == "TLS";
            if !tls && server.protocol != "HTTP" {
                continue;
            }
            for vs in &mesh.virtual_services {
                if !exported_to(
                    &vs.export_to,
                    &vs.meta.key.namespace,
                    &gateway.meta.key.namespace,
                ) {
                    continue;
                }
                for host in &vs.hosts {
                    // Wildcard VirtualService hosts forward whatever their destinations name.
                    let accepted = |h: &str| {
                        server.hosts.iter().any(|s| {
                            let s = s.split_once('/').map_or(s.as_str(), |(_, h)| h);
                            host_matches(s, h)
                        })
                    };
                    for (destination, port) in vs.routed(&reference, tls, server.port, host) {
                        if destination != host || !accepted(destination) {
                            continue;
                        }
                        let port = port.unwrap_or(server.port);
                        let entry = mesh.service_entries.iter().find(|se| {
                            se.visible_in(EGRESS_GATEWAY_NAMESPACE)
                                && se.port_for(destination, port).is_some()
                        });
                        if let Some(entry) = entry {
                            out.push(Served {
                                host: destination.to_string(),
                                port: server.port,
                                protocol: server.protocol.clone(),
                                gateway,
                                virtual_service: vs.meta.key.clone(),
                                service_entry: entry.meta.key.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.host, a.port, &a.protocol, &a.gateway.meta.key).cmp(&(
            &b.host,
            b.port,
            &b.protocol,
            &b.gateway.meta.key,
        ))
    });
    out.dedup_by(|a, b| a.host == b.host && a.port == b.port && a.protocol == b.protocol);
    out
}

/// The VirtualService that sends `host` on `port` from a sidecar in `namespace` to the egress
/// gateway's Service, if any.
pub fn mesh_route<'a>(
    mesh: &'a Mesh,
    namespace: &str,
    host: &str,
    port: u16,
    tls: bool,
) -> Option<&'a VirtualService> {
    mesh.virtual_services.iter().find(|vs| {
        exported_to(&vs.export_to, &vs.meta.key.namespace, namespace)
            && vs
                .routed("mesh", tls, port, host)
                .iter()
                .any(|(destination, p)| {
                    is_gateway_service(destination) && p.is_none_or(|p| p == port)
                })
    })
}

fn is_gateway_service(host: &str) -> bool {
    host == EGRESS_GATEWAY_SERVICE_HOST
        || host == "egressgateway.istio-egress-gateway"
        || host == "egressgateway.istio-egress-gateway.svc"
}
