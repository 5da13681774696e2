//! The reach set of a set of Packages over the objects of a mesh: the rules of the other files
//! put together, and each reach explained by the Packages' entries.

use crate::generated_object::ObjectKey;
use crate::model::{Mode, Package};
use crate::reach::authorization::{Admitted, admitted, waypoint_entries};
use crate::reach::declarations::{Declarations, DeclaredKind};
use crate::reach::fields::selects;
use crate::reach::mesh::Mesh;
use crate::reach::network_policy::{Egress, WAYPOINT_PORT, egress_gateway_pods, waypoint_pods};
use crate::reach::routing::{Served, mesh_route, served};
use crate::reach::service_entry::protocol_family;
use crate::reach::set::{
    Reach, ReachSet, Reason, ReasonKind, SidecarUse, Via, WorkloadReach, only_through_others,
};
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
        let reaches = merged(reaches);
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

/// Sorted by target and way; two reaches of one target and way (several objects carry it) are
/// one, with the reasons and objects of both.
fn merged(mut reaches: Vec<Reach>) -> Vec<Reach> {
    reaches.sort_by(|a, b| {
        (&a.host, a.port, &a.protocol, a.via).cmp(&(&b.host, b.port, &b.protocol, b.via))
    });
    let mut out: Vec<Reach> = Vec::with_capacity(reaches.len());
    for reach in reaches {
        match out.last_mut() {
            Some(last)
                if (&last.host, last.port, &last.protocol, last.via)
                    == (&reach.host, reach.port, &reach.protocol, reach.via) =>
            {
                let mut reasons = std::mem::take(&mut last.reasons);
                reasons.extend(reach.reasons);
                let mut objects = std::mem::take(&mut last.objects);
                objects.extend(reach.objects);
                let mut connect = std::mem::take(&mut last.connect);
                connect.extend(reach.connect);
                *last = finish(
                    reach.host,
                    reach.port,
                    reach.protocol,
                    reach.via,
                    reasons,
                    objects,
                    connect,
                );
            }
            _ => out.push(reach),
        }
    }
    out
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
        cross_package: only_through_others(&reasons),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::package_from_value;
    use serde_json::{Value, json};

    fn meta(kind: &str, api: &str, ns: &str, name: &str, labels: Value) -> Value {
        json!({"apiVersion": api, "kind": kind, "metadata": {"namespace": ns, "name": name, "labels": labels}})
    }

    fn entry(name: &str, host: &str) -> Value {
        let mut se = meta(
            "ServiceEntry",
            "networking.istio.io/v1",
            "istio-egress-ambient",
            name,
            json!({"istio.io/use-waypoint": "egress-waypoint"}),
        );
        se["spec"] = json!({"hosts": [host], "ports": [{"name": "tls-443", "number": 443, "protocol": "TLS"}]});
        se
    }

    /// Live objects beyond what the generator writes: a second entry for the same host, and an
    /// entry without AuthorizationPolicy, which the waypoint opens to every client.
    #[test]
    fn live_objects_are_judged_by_the_rules_not_by_the_packages() {
        let package = package_from_value(&json!({
            "metadata": {"name": "p", "namespace": "n"},
            "spec": {"network": {"allow": [{"direction": "Egress", "selector": {"app": "x"},
                "serviceAccount": "x", "remoteHost": "a.com", "port": 443}]}}
        }))
        .unwrap();
        let mut policy = meta(
            "NetworkPolicy",
            "networking.k8s.io/v1",
            "n",
            "np",
            json!({}),
        );
        policy["spec"] = json!({"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-egress-ambient"}}}],
                        "ports": [{"port": 15000, "endPort": 15010}]}]});
        let mut waypoint = meta(
            "Gateway",
            "gateway.networking.k8s.io/v1",
            "istio-egress-ambient",
            "egress-waypoint",
            json!({}),
        );
        waypoint["spec"] = json!({"gatewayClassName": "istio-waypoint", "listeners": [{"name": "mesh", "port": 15008,
            "protocol": "HBONE", "allowedRoutes": {"namespaces": {"from": "All"}}}]});
        let mut ap = meta(
            "AuthorizationPolicy",
            "security.istio.io/v1",
            "istio-egress-ambient",
            "ap",
            json!({}),
        );
        ap["spec"] = json!({"action": "ALLOW", "targetRef": {"group": "networking.istio.io", "kind": "ServiceEntry", "name": "se-2"},
            "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/n/sa/x"]}}], "to": [{"operation": {"ports": ["443"]}}]}]});
        let objects = [
            policy,
            waypoint,
            ap,
            entry("se-1", "a.com"),
            entry("se-2", "a.com"),
            entry("se-3", "b.com"),
        ];
        let mesh = Mesh::read(objects.iter()).unwrap();
        let set = reach(&[package], &mesh);
        let reaches = &set.workloads[0].reaches;
        let summary: Vec<(String, Vec<ReasonKind>, usize)> = reaches
            .iter()
            .map(|r| {
                (
                    r.target(),
                    r.reasons.iter().map(|x| x.kind).collect(),
                    r.objects.len(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                // se-1 (no policy: open) and se-2 (principal) merged: two entries, the waypoint, the policy.
                (
                    "a.com:443/TLS".to_string(),
                    vec![ReasonKind::OwnRule, ReasonKind::OpenWaypoint],
                    4
                ),
                (
                    "b.com:443/TLS".to_string(),
                    vec![ReasonKind::OpenWaypoint],
                    2
                ),
            ]
        );
        // b.com is declared by no Package: not cross-Package, but unexplained.
        assert!(!reaches[1].is_cross_package());
        assert_eq!(
            reaches[1].reasons[0].class(),
            crate::reach::ReasonClass::Unexplained
        );
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named() {
        let mut se = entry("se", "a.com");
        se["spec"]["exportTo"] = json!(".");
        let err = Mesh::read([&se]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ServiceEntry istio-egress-ambient/se: spec.exportTo: expected a list, found a string"
        );
    }
}
