//! Our stricter rules for one Package (semantics §8.2), driven by [`RuleConfig`].
//!
//! The cap on host rules is checked first, by counting only; when it fires it is the only violation
//! of this module, so that a Package with 10,000 host rules costs one pass and one message. The
//! other checks run per host rule in array order (hostname, host lists, HTTP, service account,
//! gateway ports), then across the Package (protocol conflicts, object-name collisions).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use crate::model::{Allow, Mode, Package, Protocol, RemoteGenerated, is_set};
use crate::quoting::{quoted, verbatim};
use crate::resolve::{host_ports, host_protocol};
use crate::rules::config::{AnywhereRefusal, RuleConfig};
use crate::rules::conflicts::shared_name_key;
use crate::rules::host_policy::HostPolicy;
use crate::rules::hostname::hostname_violation;
use crate::rules::labels::is_dns_subdomain;
use crate::rules::local_names::local_name_collisions;
use crate::rules::uds_core::has_wildcard;
use crate::violation::{Code, Violation, allow_path};

/// Every violation of our per-package rules, in the order described in the module docs.
pub fn package_violations(pkg: &Package, config: &RuleConfig) -> Vec<Violation> {
    if let Some(violation) = too_many_host_rules(pkg.host_rules().count(), config) {
        return vec![violation];
    }
    let policy = HostPolicy::new(config, pkg.namespace());
    let mode = pkg.mode();
    let mut violations = Vec::new();
    for (index, allow) in pkg.host_rules() {
        let Some(host) = allow.host() else { continue };
        host_rule_violations(index, allow, host, mode, config, &policy, &mut violations);
    }
    violations.extend(anywhere_violations(pkg, config));
    violations.extend(protocol_conflicts(pkg));
    violations.extend(name_collisions(pkg));
    violations.extend(local_name_collisions(pkg));
    violations
}

/// The cap on host rules, given their count: shared with the policy, which counts them in the raw
/// object and refuses a Package over the cap before parsing its entries.
pub fn too_many_host_rules(host_rules: usize, config: &RuleConfig) -> Option<Violation> {
    (host_rules > config.max_remote_host_rules).then(|| {
        Violation::new(
            "spec.network.allow",
            Code::TooManyHostRules,
            format!(
                "spec.network.allow has {host_rules} remoteHost rules; this cluster's settings allow at most {} per Package",
                config.max_remote_host_rules
            ),
        )
    })
}

fn host_rule_violations(
    index: usize,
    allow: &Allow,
    host: &str,
    mode: Mode,
    config: &RuleConfig,
    policy: &HostPolicy,
    out: &mut Vec<Violation>,
) {
    // A wildcard is A9's violation; a host that is no DNS name cannot match the host lists.
    if !has_wildcard(allow) {
        match hostname_violation(index, host) {
            Some(violation) => out.push(violation),
            None => out.extend(policy.check(index, host)),
        }
    }
    let protocol = host_protocol(allow);
    if config.deny_http && protocol == Protocol::Http {
        out.push(Violation::new(
            allow_path(index, Some("remoteProtocol")),
            Code::HttpDenied,
            format!(
                "remoteProtocol HTTP is denied by this cluster's settings (remoteHost {}); use TLS",
                quoted(host)
            ),
        ));
    }
    if config.require_service_account && mode == Mode::Ambient && !is_set(&allow.service_account) {
        out.push(Violation::new(
            allow_path(index, Some("serviceAccount")),
            Code::ServiceAccountRequired,
            format!(
                "serviceAccount is required on remoteHost rules in ambient mode by this cluster's settings (remoteHost {})",
                quoted(host)
            ),
        ));
    }
    if mode == Mode::Ambient
        && let Some(account) = allow.service_account.as_deref().filter(|a| !a.is_empty())
        && !is_dns_subdomain(account)
    {
        // It becomes the principal `cluster.local/ns/<namespace>/sa/<name>` of an
        // AuthorizationPolicy, which no real ServiceAccount could then match.
        out.push(Violation::new(
            allow_path(index, Some("serviceAccount")),
            Code::InvalidServiceAccount,
            format!(
                "serviceAccount {} is not a ServiceAccount name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters (remoteHost {})",
                quoted(account),
                quoted(host)
            ),
        ));
    }
    if mode == Mode::Sidecar {
        gateway_port_violations(index, allow, host, config, out);
    }
}

/// The `Anywhere` cap: every `Egress` entry with `remoteGenerated: Anywhere` of a namespace the
/// settings do not let use it, naming the setting that refuses it.
fn anywhere_violations(pkg: &Package, config: &RuleConfig) -> Vec<Violation> {
    let namespace = pkg.namespace();
    let Some(refusal) = config.anywhere_refusal(namespace) else {
        return Vec::new();
    };
    let setting = match refusal {
        AnywhereRefusal::NamespaceOverride => {
            format!("namespaces.{namespace}.allowAnywhere is false")
        }
        AnywhereRefusal::NotListed => {
            format!("anywhereNamespaces does not list {}", quoted(namespace))
        }
    };
    pkg.allow()
        .iter()
        .enumerate()
        .filter(|(_, a)| a.is_egress() && a.remote_generated == Some(RemoteGenerated::Anywhere))
        .map(|(index, _)| {
            Violation::new(
                allow_path(index, Some("remoteGenerated")),
                Code::AnywhereDenied,
                format!(
                    "remoteGenerated Anywhere egress is not allowed in namespace {} by this cluster's settings ({setting})",
                    quoted(namespace)
                ),
            )
        })
        .collect()
}

/// Sidecar mode: every resolved port must be one the egress gateway Service exposes.
fn gateway_port_violations(
    index: usize,
    allow: &Allow,
    host: &str,
    config: &RuleConfig,
    out: &mut Vec<Violation>,
) {
    let field = if allow.non_empty_ports().is_some() {
        "ports"
    } else if allow.port.is_some() {
        "port"
    } else {
        "remoteHost"
    };
    let mut reported = HashSet::new();
    for port in host_ports(allow) {
        if config.gateway_ports.contains(&port) || !reported.insert(port) {
            continue;
        }
        out.push(Violation::new(
            allow_path(index, Some(field)),
            Code::GatewayPortNotExposed,
            format!(
                "Egress gateway does not expose port {port} for host {}. Please update the egress gateway service to expose this port.",
                verbatim(host)
            ),
        ));
    }
}

/// One verbatim host and port with two protocols in this Package (§8.2.15), reported at the later
/// rule, naming the first rule that used another protocol.
fn protocol_conflicts(pkg: &Package) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut first: HashMap<(&str, u16), (Protocol, usize)> = HashMap::new();
    let mut reported: HashSet<(usize, u16)> = HashSet::new();
    for (index, allow) in pkg.host_rules() {
        let Some(host) = allow.host() else { continue };
        let protocol = host_protocol(allow);
        for port in host_ports(allow) {
            let (theirs, earlier) = match first.entry((host, port)) {
                Entry::Vacant(slot) => {
                    slot.insert((protocol, index));
                    continue;
                }
                Entry::Occupied(slot) => *slot.get(),
            };
            if theirs == protocol || !reported.insert((index, port)) {
                continue;
            }
            violations.push(Violation::new(
                allow_path(index, Some("remoteProtocol")),
                Code::ProtocolConflict,
                format!(
                    "remoteHost {} port {port} is {} in allow[{earlier}] and {} in allow[{index}]; one host and port can carry one protocol",
                    verbatim(host),
                    theirs.as_str(),
                    protocol.as_str()
                ),
            ));
        }
    }
    violations
}

/// Two different verbatim hosts of this Package whose shared object names are equal (§8.2.14),
/// reported once per later host.
fn name_collisions(pkg: &Package) -> Vec<Violation> {
    let mode = pkg.mode();
    let mut violations = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut by_name: HashMap<String, (&str, usize)> = HashMap::new();
    for (index, allow) in pkg.host_rules() {
        let Some(host) = allow.host() else { continue };
        if !seen.insert(host) {
            continue;
        }
        match by_name.entry(shared_name_key(mode, host)) {
            Entry::Vacant(slot) => {
                slot.insert((host, index));
            }
            Entry::Occupied(slot) => {
                let (theirs, earlier) = *slot.get();
                violations.push(Violation::new(
                    allow_path(index, Some("remoteHost")),
                    Code::HostNameCollision,
                    format!(
                        "remoteHost {} in allow[{index}] and remoteHost {} in allow[{earlier}] share the Istio object name \"{}\"; one would overwrite the other's shared objects",
                        quoted(host),
                        quoted(theirs),
                        slot.key()
                    ),
                ));
            }
        }
    }
    violations
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::host_pattern::HostPattern;
    use crate::parse::package_from_value;
    use crate::rules::config::NamespaceHosts;

    fn package(mode: &str, allow: Value) -> Package {
        package_from_value(&json!({
            "metadata": {"name": "app", "namespace": "app"},
            "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}}
        }))
        .expect("test package parses")
    }

    fn found(mode: &str, allow: Value, config: &RuleConfig) -> Vec<(String, Code, String)> {
        package_violations(&package(mode, allow), config)
            .into_iter()
            .map(|v| (v.path, v.code, v.message))
            .collect()
    }

    fn one(path: &str, code: Code, message: &str) -> Vec<(String, Code, String)> {
        vec![(path.into(), code, message.into())]
    }

    #[test]
    fn a_plain_host_rule_passes_in_both_modes() {
        let allow = json!([{"direction": "Egress", "remoteHost": "api.example.com"}]);
        assert_eq!(
            found("sidecar", allow.clone(), &RuleConfig::default()),
            vec![]
        );
        assert_eq!(found("ambient", allow, &RuleConfig::default()), vec![]);
    }

    #[test]
    fn sidecar_ports_must_be_exposed_by_the_gateway() {
        let config = RuleConfig::default();
        let message = |port: u16, host: &str| {
            format!(
                "Egress gateway does not expose port {port} for host {host}. Please update the egress gateway service to expose this port."
            )
        };
        assert_eq!(
            found(
                "sidecar",
                json!([{"direction": "Egress", "remoteHost": "a.com", "port": 8443}]),
                &config
            ),
            one(
                "spec.network.allow[0].port",
                Code::GatewayPortNotExposed,
                &message(8443, "a.com")
            )
        );
        assert_eq!(
            found(
                "sidecar",
                json!([{"direction": "Egress", "remoteHost": "a.com", "port": 443, "ports": [443, 9200, 9200, 9300]}]),
                &config
            ),
            vec![
                (
                    "spec.network.allow[0].ports".into(),
                    Code::GatewayPortNotExposed,
                    message(9200, "a.com")
                ),
                (
                    "spec.network.allow[0].ports".into(),
                    Code::GatewayPortNotExposed,
                    message(9300, "a.com")
                ),
            ]
        );
        let only_https = RuleConfig {
            gateway_ports: vec![443],
            ..RuleConfig::default()
        };
        assert_eq!(
            found(
                "sidecar",
                json!([{"direction": "Egress", "remoteHost": "a.com", "remoteProtocol": "HTTP"}]),
                &only_https
            ),
            one(
                "spec.network.allow[0].remoteHost",
                Code::GatewayPortNotExposed,
                &message(80, "a.com")
            )
        );
        // Ambient mode has no port gate.
        assert_eq!(
            found(
                "ambient",
                json!([{"direction": "Egress", "remoteHost": "a.com", "port": 8443}]),
                &config
            ),
            vec![]
        );
    }

    #[test]
    fn host_lists_apply_to_valid_names_only() {
        let config = RuleConfig {
            allowed_hosts: vec![HostPattern::parse("*.example.com").expect("pattern")],
            ..RuleConfig::default()
        };
        assert_eq!(
            found(
                "ambient",
                json!([{"direction": "Egress", "remoteHost": "github.com"}]),
                &config
            ),
            one(
                "spec.network.allow[0].remoteHost",
                Code::HostNotAllowed,
                "remoteHost \"github.com\" is not in the allowed hosts for namespace \"app\": *.example.com"
            )
        );
        assert_eq!(
            found(
                "ambient",
                json!([{"direction": "Egress", "remoteHost": "x.svc"}]),
                &config
            ),
            one(
                "spec.network.allow[0].remoteHost",
                Code::HostDenied,
                "remoteHost \"x.svc\" is denied: it matches \"*.svc\" of the built-in deny list"
            )
        );
        // An invalid name gets the hostname violation alone; a wildcard is left to A9.
        let codes: Vec<Code> = found(
            "ambient",
            json!([{"direction": "Egress", "remoteHost": "github.com:443"}]),
            &config,
        )
        .into_iter()
        .map(|v| v.1)
        .collect();
        assert_eq!(codes, vec![Code::InvalidHostname]);
        assert_eq!(
            found(
                "ambient",
                json!([{"direction": "Egress", "remoteHost": "*.example.com"}]),
                &config
            ),
            vec![]
        );
    }

    #[test]
    fn hostname_rules_run_on_host_rules() {
        assert_eq!(
            found(
                "ambient",
                json!([{"direction": "Egress", "remoteHost": "10.1.2.3"}]),
                &RuleConfig::default()
            ),
            one(
                "spec.network.allow[0].remoteHost",
                Code::IpLiteralHost,
                "remoteHost \"10.1.2.3\" is an IP address; remoteHost takes DNS names only, use remoteCidr (for example 10.1.2.3/32) for IP destinations"
            )
        );
        let nul = found(
            "ambient",
            json!([{"direction": "Egress", "remoteHost": "a\u{0}.com"}]),
            &RuleConfig::default(),
        );
        assert_eq!(
            nul,
            one(
                "spec.network.allow[0].remoteHost",
                Code::InvalidHostname,
                "remoteHost \"a\\0.com\" contains whitespace or control characters"
            )
        );
    }

    #[test]
    fn http_can_be_denied() {
        let config = RuleConfig {
            deny_http: true,
            ..RuleConfig::default()
        };
        assert_eq!(
            found(
                "ambient",
                json!([{"direction": "Egress", "remoteHost": "a.com", "remoteProtocol": "HTTP"}]),
                &config
            ),
            one(
                "spec.network.allow[0].remoteProtocol",
                Code::HttpDenied,
                "remoteProtocol HTTP is denied by this cluster's settings (remoteHost \"a.com\"); use TLS"
            )
        );
        assert_eq!(
            found(
                "ambient",
                json!([{"direction": "Egress", "remoteHost": "a.com"}]),
                &config
            ),
            vec![]
        );
    }

    #[test]
    fn service_accounts_must_be_service_account_names() {
        let rule = |account: &str| json!([{"direction": "Egress", "remoteHost": "a.com", "serviceAccount": account}]);
        let config = RuleConfig::default();
        for good in ["curl", "build-bot", "a.b-c", "x1"] {
            assert_eq!(found("ambient", rule(good), &config), vec![], "{good}");
        }
        let long = "a".repeat(254);
        for bad in ["Curl", "build_bot", "-x", "x-", "a b", "a/b", long.as_str()] {
            let got = found("ambient", rule(bad), &config);
            assert_eq!(got.len(), 1, "{bad}: {got:?}");
            assert_eq!(got[0].0, "spec.network.allow[0].serviceAccount");
            assert_eq!(got[0].1, Code::InvalidServiceAccount);
        }
        assert_eq!(
            found("ambient", rule("Curl"), &config),
            one(
                "spec.network.allow[0].serviceAccount",
                Code::InvalidServiceAccount,
                "serviceAccount \"Curl\" is not a ServiceAccount name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters (remoteHost \"a.com\")"
            )
        );
    }

    #[test]
    fn service_account_can_be_required_in_ambient_mode() {
        let config = RuleConfig {
            require_service_account: true,
            ..RuleConfig::default()
        };
        let bare = json!([{"direction": "Egress", "remoteHost": "a.com", "serviceAccount": ""}]);
        assert_eq!(
            found("ambient", bare.clone(), &config),
            one(
                "spec.network.allow[0].serviceAccount",
                Code::ServiceAccountRequired,
                "serviceAccount is required on remoteHost rules in ambient mode by this cluster's settings (remoteHost \"a.com\")"
            )
        );
        assert_eq!(found("sidecar", bare, &config), vec![]);
        let with_sa =
            json!([{"direction": "Egress", "remoteHost": "a.com", "serviceAccount": "curl"}]);
        assert_eq!(found("ambient", with_sa, &config), vec![]);
    }

    #[test]
    fn anywhere_egress_can_be_capped_per_namespace() {
        let anywhere = json!([
            {"direction": "Ingress", "remoteGenerated": "Anywhere"},
            {"direction": "Egress", "remoteGenerated": "Anywhere"},
            {"direction": "Egress", "remoteGenerated": "KubeAPI"}
        ]);
        let listed = |namespaces: &[&str]| RuleConfig {
            anywhere_namespaces: Some(namespaces.iter().map(|n| n.to_string()).collect()),
            ..RuleConfig::default()
        };
        for mode in ["sidecar", "ambient"] {
            assert_eq!(
                found(mode, anywhere.clone(), &RuleConfig::default()),
                vec![]
            );
            assert_eq!(found(mode, anywhere.clone(), &listed(&["app"])), vec![]);
            assert_eq!(
                found(mode, anywhere.clone(), &listed(&["monitoring"])),
                one(
                    "spec.network.allow[1].remoteGenerated",
                    Code::AnywhereDenied,
                    "remoteGenerated Anywhere egress is not allowed in namespace \"app\" by this cluster's settings (anywhereNamespaces does not list \"app\")"
                )
            );
            assert_eq!(found(mode, anywhere.clone(), &listed(&[])).len(), 1);
        }
        let with_override = |allow: bool, namespaces: &[&str]| {
            let mut config = listed(namespaces);
            config.namespaces.insert(
                "app".into(),
                NamespaceHosts {
                    allow_anywhere: Some(allow),
                    ..NamespaceHosts::default()
                },
            );
            config
        };
        assert_eq!(
            found("ambient", anywhere.clone(), &with_override(true, &[])),
            vec![]
        );
        assert_eq!(
            found("ambient", anywhere.clone(), &with_override(false, &["app"])),
            one(
                "spec.network.allow[1].remoteGenerated",
                Code::AnywhereDenied,
                "remoteGenerated Anywhere egress is not allowed in namespace \"app\" by this cluster's settings (namespaces.app.allowAnywhere is false)"
            )
        );
        let mut no_list = with_override(false, &[]);
        no_list.anywhere_namespaces = None;
        assert_eq!(found("ambient", anywhere, &no_list).len(), 1);
    }

    #[test]
    fn too_many_host_rules_is_the_only_violation() {
        let config = RuleConfig {
            max_remote_host_rules: 2,
            ..RuleConfig::default()
        };
        let allow = json!([
            json!({"direction": "Egress", "remoteHost": "10.0.0.1"}),
            json!({"direction": "Egress", "remoteHost": "a.com", "port": 9999}),
            json!({"direction": "Egress", "remoteHost": "a.com", "remoteProtocol": "HTTP", "port": 9999}),
            json!({"direction": "Egress", "remoteCidr": "10.0.0.0/8"}),
        ]);
        assert_eq!(
            found("sidecar", allow, &config),
            one(
                "spec.network.allow",
                Code::TooManyHostRules,
                "spec.network.allow has 3 remoteHost rules; this cluster's settings allow at most 2 per Package"
            )
        );
        let two = json!([
            json!({"direction": "Egress", "remoteHost": "a.com"}),
            json!({"direction": "Egress", "remoteCidr": "10.0.0.0/8"}),
            json!({"direction": "Egress", "remoteHost": "b.com"}),
        ]);
        assert_eq!(found("sidecar", two, &config), vec![]);
    }

    #[test]
    fn protocol_conflicts_inside_one_package_name_both_rules() {
        let allow = json!([
            json!({"direction": "Egress", "remoteHost": "api.example.com", "description": "a"}),
            json!({"direction": "Egress", "remoteHost": "other.com", "description": "b"}),
            json!({"direction": "Egress", "remoteHost": "api.example.com", "ports": [443, 443], "remoteProtocol": "TLS", "description": "c"}),
            json!({"direction": "Egress", "remoteHost": "api.example.com", "ports": [80, 443, 443], "remoteProtocol": "HTTP", "description": "d"}),
            json!({"direction": "Egress", "remoteHost": "API.example.com", "ports": [443], "remoteProtocol": "HTTP", "description": "e"}),
        ]);
        let found = found("ambient", allow, &RuleConfig::default());
        assert_eq!(
            found.first(),
            Some(&(
                "spec.network.allow[3].remoteProtocol".to_string(),
                Code::ProtocolConflict,
                "remoteHost api.example.com port 443 is TLS in allow[0] and HTTP in allow[3]; one host and port can carry one protocol".to_string()
            ))
        );
        // The differently spelt host is no protocol conflict but a name collision.
        let codes: Vec<Code> = found.iter().map(|v| v.1).collect();
        assert_eq!(codes, vec![Code::ProtocolConflict, Code::HostNameCollision]);
    }

    #[test]
    fn name_collisions_inside_one_package_name_both_hosts() {
        let allow = json!([
            json!({"direction": "Egress", "remoteHost": "a-b.com", "description": "a"}),
            json!({"direction": "Egress", "remoteHost": "a-b.com", "description": "b"}),
            json!({"direction": "Egress", "remoteHost": "a.b.com", "description": "c"}),
            json!({"direction": "Egress", "remoteHost": "a.b.com", "description": "d"}),
        ]);
        assert_eq!(
            found("sidecar", allow, &RuleConfig::default()),
            one(
                "spec.network.allow[2].remoteHost",
                Code::HostNameCollision,
                "remoteHost \"a.b.com\" in allow[2] and remoteHost \"a-b.com\" in allow[0] share the Istio object name \"service-entry-a-b-com\"; one would overwrite the other's shared objects"
            )
        );
    }

    #[test]
    fn a_ten_megabyte_host_is_refused_briefly() {
        let host = format!("{}.com", "a".repeat(10 * 1024 * 1024));
        let found = found(
            "sidecar",
            json!([{"direction": "Egress", "remoteHost": host}]),
            &RuleConfig::default(),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, Code::InvalidHostname);
        assert!(found[0].2.len() < 400, "{} bytes", found[0].2.len());
    }
}
