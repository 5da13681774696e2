//! Admission rules: UDS Core's (semantics §2) and our stricter ones (§8.2).
//!
//! [`validate_package`] covers one Package on its own; [`conflicts::ConflictIndex`] covers what a
//! Package means next to others. Both the policy and the generator run both.

pub mod config;
pub mod conflict_scope;
pub mod conflicts;
pub mod host_policy;
pub mod hostname;
pub mod labels;
pub mod local_names;
pub mod namespace_name;
pub mod package;
pub mod shared_name_probe;
pub mod uds_core;

use crate::model::Package;
use crate::violation::Violation;
use config::RuleConfig;

/// Every violation of one Package on its own, in this order: UDS Core's namespace rule (or, when it
/// passes, the namespace's syntax: [`namespace_name::namespace_name_violation`]), UDS Core's
/// `allow[]` rules (per entry), label keys and values ([`labels::label_violations`]), then our
/// per-package rules (see [`package::package_violations`]).
///
/// The first violation is the rejection message, so UDS Core's message leads whenever one applies.
pub fn validate_package(pkg: &Package, config: &RuleConfig) -> Vec<Violation> {
    let mut violations = Vec::new();
    violations.extend(
        uds_core::namespace_violation(pkg)
            .or_else(|| namespace_name::namespace_name_violation(pkg)),
    );
    violations.extend(uds_core::allow_violations(pkg));
    violations.extend(labels::label_violations(pkg));
    violations.extend(package::package_violations(pkg, config));
    violations
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::parse::package_from_value;
    use crate::violation::Code;

    fn codes(value: serde_json::Value, config: &RuleConfig) -> Vec<(String, Code)> {
        let pkg = package_from_value(&value).expect("test package parses");
        validate_package(&pkg, config)
            .into_iter()
            .map(|v| (v.path, v.code))
            .collect()
    }

    #[test]
    fn uds_core_messages_come_first() {
        let pkg = json!({"metadata": {"name": "app", "namespace": "kube-system"},
        "spec": {"network": {"serviceMesh": {"mode": "sidecar"}, "allow": [
            {"direction": "Egress", "remoteHost": "10.0.0.1", "port": 9999},
            {"direction": "Egress", "remoteHost": "a.com", "remoteProtocol": "TCP"},
        ]}}});
        let path = |i: usize, field: &str| format!("spec.network.allow[{i}].{field}");
        assert_eq!(
            codes(pkg, &RuleConfig::default()),
            vec![
                ("metadata.namespace".into(), Code::InvalidNamespace),
                (path(1, "remoteProtocol"), Code::TcpRemoteHost),
                (path(1, "description"), Code::DuplicateNetworkPolicy),
                (path(0, "remoteHost"), Code::IpLiteralHost),
                (path(0, "port"), Code::GatewayPortNotExposed),
            ]
        );
    }

    #[test]
    fn a_valid_package_has_no_violations() {
        let pkg = json!({"metadata": {"name": "app", "namespace": "app"},
        "spec": {"network": {"serviceMesh": {"mode": "sidecar"}, "allow": [
            {"direction": "Egress", "remoteHost": "api.example.com", "selector": {"app": "a"}},
            {"direction": "Egress", "remoteHost": "web.example.com", "remoteProtocol": "HTTP",
             "selector": {"app": "b"}},
            {"direction": "Egress", "remoteGenerated": "KubeAPI"},
        ]}}});
        assert_eq!(codes(pkg, &RuleConfig::default()), vec![]);
    }

    #[test]
    fn ten_thousand_host_rules_give_one_violation() {
        let allow: Vec<serde_json::Value> = (0..10_000)
            .map(|i| {
                json!({"direction": "Egress", "remoteHost": format!("h{i}.example.com:{i}"),
                    "description": format!("rule {i} egress")})
            })
            .collect();
        let pkg = json!({"metadata": {"name": "app", "namespace": "app"},
            "spec": {"network": {"serviceMesh": {"mode": "sidecar"}, "allow": allow}}});
        // The hosts are invalid and the ports unexposed, but the cap skips those checks.
        assert_eq!(
            codes(pkg, &RuleConfig::default()),
            vec![("spec.network.allow".into(), Code::TooManyHostRules)]
        );
    }
}
