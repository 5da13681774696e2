//! The reach set of a set of Packages over the objects of a mesh: the rules of the other files
//! put together, and each reach explained by the Packages' entries.

use crate::model::{Mode, Package};
use crate::object::ObjectKey;
use crate::reach::authorization::{Admitted, admitted, waypoint_entries};
use crate::reach::declarations::{Declarations, DeclaredKind};
use crate::reach::fields::selects;
use crate::reach::mesh::Mesh;
use crate::reach::network_policy::{Egress, WAYPOINT_PORT, egress_gateway_pods, waypoint_pods};
use crate::reach::routing::{Served, mesh_route, served};
use crate::reach::service_entry::protocol_family;
use crate::reach::set::{Reach, ReachSet, Reason, ReasonKind, SidecarUse, Via, WorkloadReach};
use crate::reach::sidecar::{MESH_DEFAULT_MODE, Sidecar, applicable};
use crate::reach::workload::{Workload, workloads};

/// What `packages`' workloads can reach through `mesh`. Packages being deleted have no
/// workloads; the objects may come from `desired_state` or from a cluster.
pub fn reach(packages: &[Package], mesh: &Mesh) -> ReachSet {
    let packages: Vec<&Package> = packages
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect();
    let declarations = Declarations::of(&packages);
    let egress = Egress::new(&mesh.network_policies, &packages);
    let served = served(mesh);
    let entries = waypoint_entries(mesh);
    let mut notes = mesh.notes.clone();

    let mut out = Vec::new();
    for workload in workloads(&packages) {
        let sidecar = (workload.mode == Mode::Sidecar).then(|| {
            applicable(
                &mesh.sidecars,
                workload.namespace(),
                &workload.selector,
                &mut notes,
            )
        });
        let mut reaches = Vec::new();
        let gateway_pods = egress_gateway_pods();
        for way in &served {
            let connect = egress.grants(&workload, &gateway_pods, way.port);
            if connect.is_empty() {
                continue;
            }
            let (reasons, mut objects) =
                gateway_reasons(mesh, &declarations, &workload, sidecar.flatten(), way);
            objects.extend([
                way.gateway.meta.key.clone(),
                way.virtual_service.clone(),
                way.service_entry.clone(),
            ]);
            reaches.push(finish(
                way.host.clone(),
                way.port,
                way.protocol.clone(),
                Via::Gateway,
                reasons,
                objects,
                connect,
            ));
        }
        let connect = egress.grants(&workload, &waypoint_pods(), WAYPOINT_PORT);
        if !connect.is_empty() {
            for bound in &entries {
                for port in &bound.entry.ports {
                    let admissions = admitted(mesh, bound.entry, port.number, &workload);
                    if admissions.is_empty() {
                        continue;
                    }
                    let protocol = protocol_family(&port.protocol);
                    for host in &bound.entry.hosts {
                        let mut objects = vec![
                            bound.entry.meta.key.clone(),
                            bound.waypoint.meta.key.clone(),
                        ];
                        let mut reasons = Vec::new();
                        for admission in &admissions {
                            if let Some(key) = policy_of(admission) {
                                objects.push(key.clone());
                            }
                            reasons.extend(waypoint_reasons(
                                &declarations,
                                &workload,
                                admission,
                                &bound.entry.meta.annotations,
                                host,
                                port.number,
                                &protocol,
                            ));
                        }
                        reaches.push(finish(
                            host.clone(),
                            port.number,
                            protocol.clone(),
                            Via::Waypoint,
                            reasons,
                            objects,
                            connect.clone(),
                        ));
                    }
                }
            }
        }
        reaches.sort_by(|a, b| {
            (&a.host, a.port, &a.protocol, a.via).cmp(&(&b.host, b.port, &b.protocol, b.via))
        });
        reaches.dedup_by(|a, b| {
            (&a.host, a.port, &a.protocol, a.via) == (&b.host, b.port, &b.protocol, b.via)
        });
        out.push(WorkloadReach {
            sidecar: sidecar.map(|s| SidecarUse {
                object: s.map(|s| s.meta.key.clone()),
                mode: s.map_or(MESH_DEFAULT_MODE, Sidecar::mode).to_string(),
            }),
            workload,
            reaches,
        });
    }
    notes.sort();
    notes.dedup();
    ReachSet {
        workloads: out,
        notes,
    }
}

fn finish(
    host: String,
    port: u16,
    protocol: String,
    via: Via,
    mut reasons: Vec<Reason>,
    mut objects: Vec<ObjectKey>,
    mut connect: Vec<crate::reach::network_policy::Grant>,
) -> Reach {
    reasons.sort();
    reasons.dedup();
    objects.sort();
    objects.dedup();
    connect.sort();
    connect.dedup();
    Reach {
        host,
        port,
        protocol,
        via,
        reasons,
        objects,
        connect,
    }
}

/// Why a workload reaches what the gateway serves, and the objects of its sidecar's route.
///
/// Through its own sidecar (R1, R2, R3) when the host and port are in its registry and a
/// VirtualService sends them to the gateway: then its own Package's entries explain it. Else
/// only by addressing the gateway itself (R5): then other Packages' entries put it there.
fn gateway_reasons(
    mesh: &Mesh,
    declarations: &Declarations,
    workload: &Workload,
    sidecar: Option<&Sidecar>,
    way: &Served<'_>,
) -> (Vec<Reason>, Vec<ObjectKey>) {
    let namespace = workload.namespace();
    let tls = way.protocol == "TLS";
    let registry = (workload.mode == Mode::Sidecar)
        .then(|| {
            let entry = mesh.service_entries.iter().find(|se| {
                se.visible_in(namespace)
                    && se
                        .port_for(&way.host, way.port)
                        .is_some_and(|p| protocol_family(&p.protocol) == way.protocol)
                    && sidecar.is_none_or(|s| s.sees(namespace, &se.meta.key.namespace, &way.host))
            })?;
            let route = mesh_route(mesh, namespace, &way.host, way.port, tls)?;
            Some(vec![entry.meta.key.clone(), route.meta.key.clone()])
        })
        .flatten();
    let own: Vec<_> = declarations
        .of_package(&workload.package)
        .filter(|d| d.mode == Mode::Sidecar && d.asks_for(&way.host, way.port, &way.protocol))
        .collect();
    if let Some(objects) = registry {
        let selecting: Vec<Reason> = own
            .iter()
            .filter(|d| selects(&d.selector, &workload.selector))
            .map(|d| Reason {
                kind: if d.selector.is_empty() {
                    ReasonKind::NoSelector
                } else {
                    ReasonKind::OwnRule
                },
                entry: Some(d.entry.clone()),
                packages: Vec::new(),
            })
            .collect();
        let reasons = if !selecting.is_empty() {
            selecting
        } else if !own.is_empty() {
            own.iter()
                .map(|d| Reason {
                    kind: ReasonKind::NamespaceEntry,
                    entry: Some(d.entry.clone()),
                    packages: Vec::new(),
                })
                .collect()
        } else {
            vec![no_rule()]
        };
        return (reasons, objects);
    }
    let packages = declarations.declared_by(
        &way.gateway.meta.annotations,
        Mode::Sidecar,
        &way.host,
        way.port,
        &way.protocol,
        &workload.package,
    );
    let uses_host = declarations
        .of_package(&workload.package)
        .any(|d| d.mode == Mode::Sidecar && d.names_host(&way.host));
    let kind = if uses_host {
        ReasonKind::SharedEntry
    } else {
        ReasonKind::GatewayByHost
    };
    let reason = if packages.is_empty() && own.is_empty() {
        no_rule()
    } else {
        Reason {
            kind,
            entry: None,
            packages,
        }
    };
    (vec![reason], Vec::new())
}

fn no_rule() -> Reason {
    Reason {
        kind: ReasonKind::NoRule,
        entry: None,
        packages: Vec::new(),
    }
}

fn policy_of(admission: &Admitted) -> Option<&ObjectKey> {
    match admission {
        Admitted::NoPolicy => None,
        Admitted::AnyClient(key) | Admitted::Principal(key) | Admitted::Namespace(key) => Some(key),
    }
}

/// Why the waypoint lets a workload through (R6, R7), explained by its Package's entries.
fn waypoint_reasons(
    declarations: &Declarations,
    workload: &Workload,
    admission: &Admitted,
    annotations: &crate::reach::fields::Labels,
    host: &str,
    port: u16,
    protocol: &str,
) -> Vec<Reason> {
    let others = || {
        declarations.declared_by(
            annotations,
            Mode::Ambient,
            host,
            port,
            protocol,
            &workload.package,
        )
    };
    let by_principal = match admission {
        Admitted::NoPolicy | Admitted::AnyClient(_) => {
            return vec![Reason {
                kind: ReasonKind::OpenWaypoint,
                entry: None,
                packages: others(),
            }];
        }
        Admitted::Principal(_) => true,
        Admitted::Namespace(_) => false,
    };
    let mut reasons = Vec::new();
    for d in declarations.of_package(&workload.package) {
        if d.mode != Mode::Ambient {
            continue;
        }
        // The entry's identity is the one the policy matched.
        let same_identity = if by_principal {
            d.service_account.is_some() && d.service_account == workload.service_account
        } else {
            d.service_account.is_none()
        };
        if !same_identity {
            continue;
        }
        let own_workload =
            d.selector == workload.selector && d.service_account == workload.service_account;
        match &d.kind {
            DeclaredKind::Host { .. } if d.asks_for(host, port, protocol) => reasons.push(Reason {
                kind: if by_principal || own_workload {
                    ReasonKind::OwnRule
                } else {
                    ReasonKind::NoServiceAccount
                },
                entry: Some(d.entry.clone()),
                packages: Vec::new(),
            }),
            DeclaredKind::Anywhere { ports } if ports.is_empty() || ports.contains(&port) => {
                reasons.push(Reason {
                    kind: ReasonKind::Anywhere,
                    entry: Some(d.entry.clone()),
                    packages: others(),
                })
            }
            _ => {}
        }
    }
    if reasons.is_empty() {
        reasons.push(no_rule());
    }
    reasons
}
