//! Properties of `reach` over rendered Package sets:
//! - every reached pair is backed by generated objects: each object it names is generated, the
//!   Gateway or waypoint-bound ServiceEntry on its way carries its host and port, and some entry
//!   of the given Packages explains it;
//! - the set does not depend on the input order;
//! - without shared hosts, what is reached across Packages is exactly what the egress gateway
//!   forwards by host to any client its NetworkPolicy lets connect on the port (computed here from
//!   the Package rules alone), plus the hosts an `Anywhere` entry is granted in ambient mode.
//!   The issue expected no cross-Package reach at all here; the gateway's routing by host makes
//!   that untrue (docs/reach.md, "Findings").

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::{Value, json};
use uds_egress_core::model::Mode;
use uds_egress_core::parse::package_from_value;
use uds_egress_core::reach::workload::selector_of;
use uds_egress_core::reach::{ReasonKind, Via, reach_of_generated};
use uds_egress_core::resolve::host_ports;
use uds_egress_core::{Package, RuleConfig, desired_state};

/// Host `i` of a pool: protocol and default port fixed per host, so sets never conflict.
fn host(pool: usize, i: usize) -> (String, &'static str) {
    let protocol = if i.is_multiple_of(3) { "HTTP" } else { "TLS" };
    (format!("h{pool}x{i}.example.com"), protocol)
}

#[derive(Clone, Debug)]
struct RuleChoice {
    host: usize,
    explicit_port: bool,
    selector: Option<u8>,
    service_account: Option<u8>,
    anywhere: bool,
}

fn rule_choice() -> impl Strategy<Value = RuleChoice> {
    (
        0usize..6,
        any::<bool>(),
        prop::option::of(0u8..2),
        prop::option::of(0u8..2),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(host, explicit_port, selector, service_account, anywhere)| RuleChoice {
                host,
                explicit_port,
                selector,
                service_account,
                anywhere,
            },
        )
}

/// `(sidecar?, rules)` per Package.
fn set_choice() -> impl Strategy<Value = Vec<(bool, Vec<RuleChoice>)>> {
    prop::collection::vec(
        (any::<bool>(), prop::collection::vec(rule_choice(), 1..4)),
        1..5,
    )
}

/// The Packages, `ns<i>/p<i>`; with `shared`, all draw hosts from one pool, else each its own.
fn packages(choice: &[(bool, Vec<RuleChoice>)], shared: bool) -> Vec<Package> {
    choice
        .iter()
        .enumerate()
        .map(|(i, (sidecar, rules))| {
            let mode = if *sidecar { "sidecar" } else { "ambient" };
            let allow: Vec<Value> = rules
                .iter()
                .enumerate()
                .map(|(j, rule)| {
                    let mut entry = json!({"direction": "Egress", "description": format!("rule {}", char::from(b'a' + j as u8))});
                    if let Some(s) = rule.selector {
                        entry["selector"] = json!({"app": format!("app-{}", char::from(b'a' + s))});
                    }
                    if !sidecar && let Some(sa) = rule.service_account {
                        entry["serviceAccount"] = json!(format!("sa-{}", char::from(b'a' + sa)));
                    }
                    if rule.anywhere && !sidecar {
                        entry["remoteGenerated"] = json!("Anywhere");
                        if rule.explicit_port {
                            entry["port"] = json!(443);
                        }
                        return entry;
                    }
                    let (name, protocol) = host(if shared { 0 } else { i }, rule.host);
                    entry["remoteHost"] = json!(name);
                    entry["remoteProtocol"] = json!(protocol);
                    if rule.explicit_port {
                        entry["port"] = json!(if protocol == "HTTP" { 80 } else { 443 });
                    }
                    entry
                })
                .collect();
            package_from_value(&json!({
                "metadata": {"name": format!("p{i}"), "namespace": format!("ns{i}")},
                "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}}
            }))
            .unwrap()
        })
        .collect()
}

/// The ports a workload's pods may use to the egress gateway, from the Package rules alone
/// (semantics §3.4): `None` is every port.
fn gateway_ports(
    package: &Package,
    selector: &BTreeSet<(String, String)>,
) -> Option<BTreeSet<u16>> {
    let mut ports = BTreeSet::new();
    for allow in package.allow() {
        // The entry's labels as the core reads them (absent and `{}` both select every pod).
        let labels: BTreeSet<(String, String)> = selector_of(allow).into_iter().collect();
        let covers = labels.is_subset(selector);
        let anywhere = allow.remote_generated.is_some();
        let to_gateway = package.mode() == Mode::Sidecar && allow.is_host_rule();
        if !covers || !(anywhere || to_gateway) {
            continue;
        }
        match allow.port {
            Some(port) => ports.insert(port.get()),
            None => return None,
        };
    }
    Some(ports)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_reach_is_backed_by_generated_objects(choice in set_choice(), shared in any::<bool>()) {
        let packages = packages(&choice, shared);
        let state = desired_state(&packages, &RuleConfig::default());
        prop_assert!(state.refused.is_empty(), "{:?}", state.refused);
        let set = reach_of_generated(&packages, &state.objects).unwrap();
        let generated: BTreeSet<_> = state.objects.iter().map(|o| o.key.clone()).collect();
        let manifest = |key: &uds_egress_core::ObjectKey| {
            state.objects.iter().find(|o| &o.key == key).map(|o| o.manifest.with_value(Value::clone))
        };
        for w in &set.workloads {
            for reach in &w.reaches {
                prop_assert!(!reach.objects.is_empty());
                prop_assert!(!reach.connect.is_empty());
                for key in &reach.objects {
                    prop_assert!(generated.contains(key), "{key} is not generated");
                }
                for grant in &reach.connect {
                    if let uds_egress_core::reach::network_policy::Grant::NetworkPolicy { object } = grant {
                        prop_assert!(generated.contains(object), "{object} is not generated");
                    }
                }
                prop_assert!(reach.reasons.iter().all(|r| r.kind != ReasonKind::NoRule), "{reach:?}");
                let carrier = match reach.via {
                    Via::Gateway => "Gateway",
                    Via::Waypoint => "ServiceEntry",
                };
                let carried = reach.objects.iter().filter(|k| k.kind == carrier).any(|key| {
                    let m = manifest(key).unwrap();
                    match reach.via {
                        Via::Gateway => m["spec"]["servers"].as_array().unwrap().iter().any(|s| {
                            s["port"]["number"] == json!(reach.port)
                                && s["hosts"].as_array().unwrap().contains(&json!(reach.host))
                        }),
                        Via::Waypoint => m["metadata"]["labels"]["istio.io/use-waypoint"].is_string()
                            && m["spec"]["hosts"].as_array().unwrap().contains(&json!(reach.host))
                            && m["spec"]["ports"].as_array().unwrap().iter().any(|p| p["number"] == json!(reach.port)),
                    }
                });
                prop_assert!(carried, "{} {}: no {carrier} carries it", w.workload, reach.target());
            }
        }
    }

    #[test]
    fn input_order_does_not_matter(choice in set_choice(), shared in any::<bool>()) {
        let packages = packages(&choice, shared);
        let mut reversed = packages.clone();
        reversed.reverse();
        let json_of = |packages: &[Package]| {
            let state = desired_state(packages, &RuleConfig::default());
            serde_json::to_string(&reach_of_generated(packages, &state.objects).unwrap()).unwrap()
        };
        prop_assert_eq!(json_of(&packages), json_of(&reversed));
    }

    #[test]
    fn without_shared_hosts_only_the_gateway_and_anywhere_cross_packages(choice in set_choice()) {
        let packages = packages(&choice, false);
        let state = desired_state(&packages, &RuleConfig::default());
        prop_assert!(state.refused.is_empty(), "{:?}", state.refused);
        let set = reach_of_generated(&packages, &state.objects).unwrap();

        let mut found = BTreeSet::new();
        for w in &set.workloads {
            for reach in &w.reaches {
                if !reach.is_cross_package() {
                    continue;
                }
                let kinds: BTreeSet<ReasonKind> = reach.reasons.iter().map(|r| r.kind).collect();
                match reach.via {
                    Via::Gateway => {
                        prop_assert_eq!(&kinds, &BTreeSet::from([ReasonKind::GatewayByHost]));
                        found.insert((w.workload.package.namespace.clone(), w.workload.selector.clone(),
                            w.workload.service_account.clone(), reach.host.clone(), reach.port));
                    }
                    Via::Waypoint => prop_assert_eq!(&kinds, &BTreeSet::from([ReasonKind::Anywhere])),
                }
            }
        }

        // What the gateway forwards across Packages, from the rules: every other sidecar
        // Package's host and port, for each workload whose pods may connect on that port.
        let mut expected = BTreeSet::new();
        for w in &set.workloads {
            let Some(own) = packages.iter().find(|p| p.namespace() == w.workload.package.namespace) else { continue };
            let selector: BTreeSet<(String, String)> = w.workload.selector.clone().into_iter().collect();
            let open = gateway_ports(own, &selector);
            for other in packages.iter().filter(|p| p.namespace() != own.namespace() && p.mode() == Mode::Sidecar) {
                for (_, allow) in other.host_rules() {
                    for port in host_ports(allow) {
                        if open.as_ref().is_none_or(|ports| ports.contains(&port)) {
                            expected.insert((w.workload.package.namespace.clone(), w.workload.selector.clone(),
                                w.workload.service_account.clone(), allow.host().unwrap().to_string(), port));
                        }
                    }
                }
            }
        }
        prop_assert_eq!(found, expected);
    }
}
