//! NetworkPolicy: whether a workload's pods may open a connection to the gateway or waypoint.
//!
//! Rules (docs/reach.md, R4): the namespaces of Packages are taken to deny egress by default
//! (as the README requires), so a workload may connect only where an Egress policy that selects
//! it allows: `podSelector` selects its pods, and one egress rule has a `to` peer that matches the
//! destination pods (or no `to`) and a port that matches (or no `ports`). A peer's
//! `namespaceSelector` is matched against `kubernetes.io/metadata.name`; without one the peer is in
//! the policy's own namespace. `ipBlock` peers and named ports are not modelled (noted).
//!
//! `remoteGenerated: Anywhere` entries get their NetworkPolicy (every address, on the entry's
//! ports and HBONE) from UDS Core's operator, not from uds-egress; the analysis takes it as
//! declared, since the Package asks for it (a [`Grant::Declared`]).

use serde::Serialize;

use crate::generated_object::ObjectKey;
use crate::model::{Package, Protocol};
use crate::names::{EGRESS_AMBIENT_NAMESPACE, EGRESS_GATEWAY_NAMESPACE, WAYPOINT_NAME};
use crate::objects::network_policy::HBONE_PORT;
use crate::reach::fields::{Field, FieldError, Labels, selects};
use crate::reach::mesh::{Meta, Notes};
use crate::reach::workload::{EntryRef, Workload, is_anywhere, selector_of};
use crate::translate::network_policy::policy_ports;

#[derive(Clone, Debug, PartialEq)]
pub struct NetworkPolicy {
    pub meta: Meta,
    /// `None`: a selector the analysis cannot evaluate (`matchExpressions`); it selects nothing.
    pub pod_selector: Option<Labels>,
    pub restricts_egress: bool,
    pub egress: Vec<EgressRule>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EgressRule {
    /// `None`: to every destination.
    pub to: Option<Vec<Peer>>,
    /// `None`: every port.
    pub ports: Option<Vec<PortRange>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Peer {
    /// `None`: the policy's own namespace.
    pub namespaces: Option<Labels>,
    /// `None`: every pod of those namespaces.
    pub pods: Option<Labels>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PortRange {
    pub protocol: String,
    /// `None`: every port of the protocol.
    pub first: Option<u16>,
    pub last: Option<u16>,
}

impl PortRange {
    fn allows_tcp(&self, port: u16) -> bool {
        self.protocol == "TCP"
            && match self.first {
                None => true,
                Some(first) => (first..=self.last.unwrap_or(first)).contains(&port),
            }
    }
}

/// The pods a connection goes to.
pub struct Destination {
    pub namespace: &'static str,
    pub labels: Labels,
}

/// The sidecar egress gateway's pods (semantics §5: `app: egressgateway`).
pub fn egress_gateway_pods() -> Destination {
    Destination {
        namespace: EGRESS_GATEWAY_NAMESPACE,
        labels: [("app".to_string(), "egressgateway".to_string())].into(),
    }
}

/// The ambient waypoint's pods, as Istio labels them.
pub fn waypoint_pods() -> Destination {
    Destination {
        namespace: EGRESS_AMBIENT_NAMESPACE,
        labels: [(
            "gateway.networking.k8s.io/gateway-name".to_string(),
            WAYPOINT_NAME.to_string(),
        )]
        .into(),
    }
}

fn selector(
    field: &Field<'_>,
    key: &ObjectKey,
    notes: &mut Notes,
) -> Result<Option<Labels>, FieldError> {
    if field.get("matchExpressions")?.items()?.is_empty() {
        Ok(Some(
            field.get("matchLabels")?.labels()?.unwrap_or_default(),
        ))
    } else {
        notes.add(
            key,
            "matchExpressions not modelled (taken as selecting nothing)",
        );
        Ok(None)
    }
}

impl NetworkPolicy {
    pub fn read(
        meta: Meta,
        spec: &Field<'_>,
        notes: &mut Notes,
    ) -> Result<NetworkPolicy, FieldError> {
        let pod_selector = selector(&spec.get("podSelector")?, &meta.key, notes)?;
        let egress_field = spec.get("egress")?;
        let restricts_egress = match spec.get("policyTypes")?.optional_strings()? {
            Some(types) => types.iter().any(|t| t == "Egress"),
            None => egress_field.is_present(),
        };
        let mut egress = Vec::new();
        for rule in egress_field.items()? {
            let to = match rule.get("to")?.optional_items()? {
                None => None,
                Some(peers) if peers.is_empty() => None,
                Some(peers) => {
                    let mut out = Vec::new();
                    for peer in peers {
                        if peer.get("ipBlock")?.is_present() {
                            notes.add(&meta.key, "ipBlock peers not modelled (taken as no pod)");
                            continue;
                        }
                        let namespaces = peer.get("namespaceSelector")?;
                        let pods = peer.get("podSelector")?;
                        out.push(Peer {
                            namespaces: if namespaces.is_present() {
                                match selector(&namespaces, &meta.key, notes)? {
                                    Some(labels) => Some(labels),
                                    None => continue,
                                }
                            } else {
                                None
                            },
                            pods: if pods.is_present() {
                                match selector(&pods, &meta.key, notes)? {
                                    Some(labels) => Some(labels),
                                    None => continue,
                                }
                            } else {
                                None
                            },
                        });
                    }
                    Some(out)
                }
            };
            let ports = match rule.get("ports")?.optional_items()? {
                None => None,
                Some(ports) if ports.is_empty() => None,
                Some(ports) => {
                    let mut out = Vec::new();
                    for port in ports {
                        let number = port.get("port")?;
                        if number.is_string() {
                            notes.add(&meta.key, "named ports not modelled (taken as no port)");
                            continue;
                        }
                        let first = number.port()?;
                        out.push(PortRange {
                            protocol: port.get("protocol")?.str()?.unwrap_or("TCP").to_string(),
                            first,
                            last: port.get("endPort")?.port()?.or(first),
                        });
                    }
                    Some(out)
                }
            };
            egress.push(EgressRule { to, ports });
        }
        Ok(NetworkPolicy {
            meta,
            pod_selector,
            restricts_egress,
            egress,
        })
    }

    fn selects(&self, workload: &Workload) -> bool {
        self.restricts_egress
            && self.meta.key.namespace == workload.namespace()
            && self
                .pod_selector
                .as_ref()
                .is_some_and(|s| selects(s, &workload.selector))
    }

    fn allows(&self, destination: &Destination, port: u16) -> bool {
        let own = self.meta.key.namespace.as_str();
        self.egress.iter().any(|rule| {
            let to = rule.to.as_ref().is_none_or(|peers| {
                peers.iter().any(|peer| {
                    let namespace = match &peer.namespaces {
                        None => own == destination.namespace,
                        Some(selector) => selects(
                            selector,
                            &[(
                                "kubernetes.io/metadata.name".to_string(),
                                destination.namespace.to_string(),
                            )]
                            .into(),
                        ),
                    };
                    namespace
                        && peer
                            .pods
                            .as_ref()
                            .is_none_or(|pods| selects(pods, &destination.labels))
                })
            });
            let ports = rule
                .ports
                .as_ref()
                .is_none_or(|ports| ports.iter().any(|p| p.allows_tcp(port)));
            to && ports
        })
    }
}

/// What lets a workload's pods open a connection.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Grant {
    /// A NetworkPolicy among the objects.
    NetworkPolicy { object: ObjectKey },
    /// The NetworkPolicy of a `remoteGenerated: Anywhere` entry, which UDS Core writes.
    Declared { entry: EntryRef },
}

/// The NetworkPolicy an `Anywhere` entry asks for: every address, on the entry's ports (HBONE
/// added, semantics §3.4), for the entry's pods.
struct DeclaredPolicy {
    entry: EntryRef,
    namespace: String,
    selector: Labels,
    /// Empty: every port.
    tcp_ports: Vec<u16>,
    udp_only: bool,
}

/// Every workload's possible connections.
pub struct Egress<'a> {
    policies: &'a [NetworkPolicy],
    declared: Vec<DeclaredPolicy>,
}

impl<'a> Egress<'a> {
    pub fn new(policies: &'a [NetworkPolicy], packages: &[&Package]) -> Egress<'a> {
        let mut declared = Vec::new();
        for package in packages {
            for (index, allow) in package.allow().iter().enumerate() {
                if !is_anywhere(allow) {
                    continue;
                }
                let ports = policy_ports(allow);
                declared.push(DeclaredPolicy {
                    entry: EntryRef::of(package, index, allow),
                    namespace: package.namespace().to_string(),
                    selector: selector_of(allow),
                    tcp_ports: ports
                        .iter()
                        .filter(|p| p.protocol == "TCP")
                        .map(|p| p.port)
                        .collect(),
                    udp_only: allow.remote_protocol == Some(Protocol::Udp) && !ports.is_empty(),
                });
            }
        }
        Egress { policies, declared }
    }

    /// What lets `workload` connect to `destination` on TCP `port`; empty: nothing does.
    pub fn grants(&self, workload: &Workload, destination: &Destination, port: u16) -> Vec<Grant> {
        let mut grants: Vec<Grant> = self
            .policies
            .iter()
            .filter(|p| p.selects(workload) && p.allows(destination, port))
            .map(|p| Grant::NetworkPolicy {
                object: p.meta.key.clone(),
            })
            .collect();
        grants.extend(
            self.declared
                .iter()
                .filter(|d| {
                    d.namespace == workload.namespace()
                        && selects(&d.selector, &workload.selector)
                        && !d.udp_only
                        && (d.tcp_ports.is_empty() || d.tcp_ports.contains(&port))
                })
                .map(|d| Grant::Declared {
                    entry: d.entry.clone(),
                }),
        );
        grants
    }
}

/// The port a workload's ztunnel uses to reach the waypoint: every ambient connection travels
/// in HBONE, so the NetworkPolicy sees 15008, not the port asked for (R4).
pub const WAYPOINT_PORT: u16 = HBONE_PORT;
