//! What the policy is timed on: three admission requests, and the cluster its context-aware
//! lookups see.
//!
//! The cluster is a synthetic one of [`Scale::policy_cluster_packages`] Packages, the Istio
//! Gateways and VirtualServices uds-egress generates for them (labelled as ours), and foreign
//! ones: ingress Gateways in `istio-system` and application VirtualServices on other hosts, as a
//! UDS cluster has.

use serde_json::{Value, json};
use uds_egress_core::{RuleConfig, desired_state};
use uds_egress_wapc_test_host::create_request;

use crate::scale::Scale;
use crate::synth::{self, Workload};

/// One request to time.
#[derive(Clone, Debug)]
pub struct Request {
    pub label: &'static str,
    pub request: Value,
    /// Whether the policy must accept it (a rejection would time an early exit).
    pub must_accept: bool,
    /// The budget: at most this many times the no-op policy's median.
    pub factor: f64,
}

/// The typical Package (3 rules), the large one (64 rules) and a request that is not a Package.
pub fn requests() -> Vec<Request> {
    vec![
        Request {
            label: "typical Package (3 rules)",
            request: create_request(&user_package(&[0, 1, 2])),
            must_accept: true,
            factor: 1.5,
        },
        Request {
            label: "64-rule Package",
            request: create_request(&user_package(&(0..64).collect::<Vec<_>>())),
            must_accept: true,
            factor: 5.0,
        },
        Request {
            label: "non-Package request",
            request: create_request(&config_map()),
            must_accept: true,
            factor: 1.5,
        },
    ]
}

/// A sidecar-mode Package as a user writes it: the default protocol (TLS) left out, so the
/// mutation has something to fill in. Its hosts are shared with the cluster's Packages.
fn user_package(hosts: &[usize]) -> Value {
    let rules: Vec<Value> = hosts
        .iter()
        .map(|&host| {
            let mut rule = synth::host_rule(host, "web", None);
            if let Some(fields) = rule.as_object_mut()
                && fields.get("remoteProtocol") == Some(&json!("TLS"))
            {
                fields.remove("remoteProtocol");
            }
            rule
        })
        .collect();
    let mut package = synth::package(0, "sidecar", rules);
    package["metadata"] = json!({"name": "checkout", "namespace": "shop"});
    package
}

fn config_map() -> Value {
    let data: serde_json::Map<String, Value> = (0..8)
        .map(|i| {
            (
                format!("key-{i}"),
                json!(format!("value {i} of the config map")),
            )
        })
        .collect();
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "settings", "namespace": "shop", "labels": {"app": "shop"}},
           "data": data})
}

/// Every object of the cluster, whole (the host masks them).
pub fn cluster(scale: &Scale) -> Result<Vec<Value>, String> {
    cluster_of(scale.policy_cluster_packages, scale.policy_cluster_hosts)
}

/// The hosts of a cluster of `packages` Packages: in the proportion of figure 1's cluster, so
/// that a larger cluster has more unrelated Packages, not only more Packages on the same hosts.
pub fn hosts_for(packages: usize) -> usize {
    packages * Scale::FULL.policy_cluster_hosts / Scale::FULL.policy_cluster_packages
}

/// The cluster of `packages` Packages over `hosts` hosts, whole.
pub fn cluster_of(packages: usize, hosts: usize) -> Result<Vec<Value>, String> {
    let packages = Workload::new(packages, hosts).generate();
    let state = desired_state(&synth::parse(&packages)?, &RuleConfig::default());
    if !state.refused.is_empty() {
        return Err(format!(
            "the policy's cluster refuses Packages: {:?}",
            state.refused
        ));
    }
    let istio = state
        .objects
        .into_iter()
        .map(|object| object.manifest.into_value())
        .filter(|manifest| {
            manifest["apiVersion"] == "networking.istio.io/v1"
                && matches!(
                    manifest["kind"].as_str(),
                    Some("Gateway" | "VirtualService")
                )
        });
    let mut objects = packages;
    objects.extend(istio);
    objects.extend(foreign_istio_objects());
    Ok(objects)
}

/// Ingress Gateways and application VirtualServices that uds-egress does not own.
fn foreign_istio_objects() -> Vec<Value> {
    let gateways = [("tenant", "*.uds.dev"), ("admin", "*.admin.uds.dev"), ("passthrough", "*.uds.dev")]
        .map(|(name, host)| {
            json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
                   "metadata": {"name": format!("{name}-gateway"), "namespace": "istio-system"},
                   "spec": {"selector": {"app": format!("{name}-ingressgateway")},
                            "servers": [{"hosts": [host], "port": {"name": "https", "number": 443, "protocol": "HTTPS"},
                                         "tls": {"mode": "SIMPLE", "credentialName": format!("{name}-cert")}}]}})
        });
    let services = (0..30).map(|i| {
        json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
               "metadata": {"name": format!("portal-{i}"), "namespace": format!("team-{i}"),
                            "labels": {"uds/package": format!("app-{i}")}},
               "spec": {"hosts": [format!("portal-{i}.uds.dev")], "gateways": ["istio-system/tenant-gateway"],
                        "http": [{"route": [{"destination": {"host": format!("portal.team-{i}.svc.cluster.local"),
                                                             "port": {"number": 8080}}}]}]}})
    });
    gateways.into_iter().chain(services).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_packages_of_the_right_size_and_one_config_map() {
        let requests = requests();
        let rules = |r: &Request| {
            r.request["object"]["spec"]["network"]["allow"]
                .as_array()
                .map_or(0, Vec::len)
        };
        assert_eq!(rules(&requests[0]), 3);
        assert_eq!(rules(&requests[1]), 64);
        assert_eq!(requests[2].request["kind"]["kind"], "ConfigMap");
        assert!(
            requests[0].request["object"]["spec"]["network"]["allow"][0]
                .get("remoteProtocol")
                .is_none()
        );
    }

    #[test]
    fn the_cluster_has_packages_and_both_owners_of_istio_objects() {
        let objects = cluster(&Scale::QUICK).unwrap();
        let count = |kind: &str| objects.iter().filter(|o| o["kind"] == kind).count();
        assert_eq!(count("Package"), Scale::QUICK.policy_cluster_packages);
        let ours = objects
            .iter()
            .filter(|o| o["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "uds-egress")
            .count();
        assert!(ours > 0 && count("Gateway") > ours / 2 && count("VirtualService") > 30);
    }
}
