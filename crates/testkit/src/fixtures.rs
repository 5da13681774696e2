//! Packages for tests, written as a cluster returns them.

use serde_json::{Value, json};
use uds_egress_core::parse::package_from_value;
use uds_egress_core::{DesiredState, Package, RuleConfig, desired_state};

/// One host rule: `(host, ports, protocol)`.
pub type Rule<'a> = (&'a str, &'a [u16], &'a str);

/// A Package manifest in `namespace` (named like it) with `rules` under selector `app: curl`.
pub fn package_manifest(namespace: &str, mode: &str, generation: i64, rules: &[Rule]) -> Value {
    let allow: Vec<Value> = rules
        .iter()
        .map(|(host, ports, protocol)| {
            json!({"direction": "Egress", "selector": {"app": "curl"}, "remoteHost": host,
                "remoteProtocol": protocol, "ports": ports,
                "description": format!("{host} egress")})
        })
        .collect();
    json!({
        "apiVersion": "uds.dev/v1alpha1",
        "kind": "Package",
        "metadata": {"name": namespace, "namespace": namespace, "uid": format!("uid-{namespace}"),
            "generation": generation, "resourceVersion": "1",
            "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}},
    })
}

pub fn package(namespace: &str, mode: &str, generation: i64, rules: &[Rule]) -> Package {
    match package_from_value(&package_manifest(namespace, mode, generation, rules)) {
        Ok(package) => package,
        Err(violation) => panic!("fixture does not parse: {violation}"),
    }
}

/// The gateway exposes 80, 443 and 8443 in these tests.
pub fn config() -> RuleConfig {
    RuleConfig {
        gateway_ports: vec![80, 443, 8443],
        ..RuleConfig::default()
    }
}

pub fn desired(packages: &[Package]) -> DesiredState {
    let state = desired_state(packages, &config());
    assert!(
        state.refused.is_empty(),
        "fixtures are valid: {:?}",
        state.refused
    );
    state
}
