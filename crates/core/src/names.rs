//! Names of generated objects (semantics §3.1, §3.4). Every name goes through [`sanitize`].

use crate::model::{Allow, LabelMap, Protocol};
use crate::resolve::Pair;
use crate::sanitize::sanitize;

pub const EGRESS_GATEWAY_NAMESPACE: &str = "istio-egress-gateway";
pub const EGRESS_AMBIENT_NAMESPACE: &str = "istio-egress-ambient";
pub const WAYPOINT_NAME: &str = "egress-waypoint";
pub const EGRESS_GATEWAY_SERVICE_HOST: &str =
    "egressgateway.istio-egress-gateway.svc.cluster.local";

/// Local (per-package) ServiceEntry: `<pkg>-egress-<host>-<port>-<protocol>...`.
pub fn local_service_entry(pkg: &str, host: &str, pairs: &[Pair]) -> String {
    let mut raw = format!("{pkg}-egress-{host}");
    for pair in pairs {
        raw.push('-');
        raw.push_str(&pair.port.to_string());
        raw.push('-');
        raw.push_str(pair.protocol.as_lower());
    }
    sanitize(&raw)
}

/// Sidecar: `<pkg>-egress-<key>-<value>...`, or `<pkg>-egress-default` without selector.
pub fn sidecar(pkg: &str, selector: Option<&LabelMap>) -> String {
    match selector {
        None => sanitize(&format!("{pkg}-egress-default")),
        Some(labels) => {
            let mut raw = format!("{pkg}-egress");
            for (key, value) in labels {
                raw.push('-');
                raw.push_str(key);
                raw.push('-');
                raw.push_str(value);
            }
            sanitize(&raw)
        }
    }
}

pub fn gateway(host: &str) -> String {
    sanitize(&format!("gateway-{host}"))
}

pub fn virtual_service(host: &str) -> String {
    sanitize(&format!("egress-vs-{host}"))
}

pub fn shared_service_entry(host: &str) -> String {
    sanitize(&format!("service-entry-{host}"))
}

pub fn ambient_service_entry(host: &str) -> String {
    sanitize(&format!("ambient-se-{host}"))
}

pub fn authorization_policy(host: &str) -> String {
    sanitize(&format!("ambient-ap-{host}"))
}

/// Port entry name: `<protocol lowercase>-<port>`, e.g. `tls-443`.
pub fn port_name(pair: Pair) -> String {
    format!("{}-{}", pair.protocol.as_lower(), pair.port)
}

/// NetworkPolicy of an `allow[]` entry: `allow-<pkg>-Egress-<description or derived>`.
/// The same formula names every entry kind; A11 compares these names.
pub fn network_policy(pkg: &str, allow: &Allow) -> String {
    let direction = match allow.direction {
        Some(crate::model::Direction::Ingress) => "Ingress",
        _ => "Egress",
    };
    let suffix = match allow.description.as_deref().filter(|d| !d.is_empty()) {
        Some(description) => description.to_string(),
        None => derived_policy_suffix(allow),
    };
    sanitize(&format!("allow-{pkg}-{direction}-{suffix}"))
}

/// `<selector values | all pods>-<remote part>-<TCP|UDP>`, empty parts dropped.
fn derived_policy_suffix(allow: &Allow) -> String {
    let mut parts: Vec<String> = Vec::new();
    match &allow.selector {
        Some(labels) => parts.extend(labels.values().cloned()),
        None => parts.push("all pods".into()),
    }
    if let Some(generated) = allow.remote_generated {
        parts.push(generated.as_str().into());
    } else {
        if let Some(ns) = allow.remote_namespace.as_deref().filter(|n| !n.is_empty()) {
            parts.push(ns.into());
        }
        match &allow.remote_selector {
            Some(labels) => parts.extend(labels.values().cloned()),
            None => parts.push("all pods".into()),
        }
    }
    let transport = if allow.remote_protocol == Some(Protocol::Udp) {
        "UDP"
    } else {
        "TCP"
    };
    parts.push(transport.into());
    parts.retain(|p| !p.is_empty());
    parts.join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Direction;

    fn labels(pairs: &[(&str, &str)]) -> LabelMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn host_rule(selector: Option<LabelMap>, description: Option<&str>) -> Allow {
        Allow {
            direction: Some(Direction::Egress),
            selector,
            description: description.map(String::from),
            remote_host: Some("example.com".into()),
            ..Allow::default()
        }
    }

    #[test]
    fn network_policy_names_of_the_semantics() {
        let curl = host_rule(Some(labels(&[("app", "curl")])), None);
        assert_eq!(
            network_policy("app", &curl),
            "allow-app-egress-curl-all-pods-tcp"
        );
        let none = host_rule(None, None);
        assert_eq!(
            network_policy("app", &none),
            "allow-app-egress-all-pods-all-pods-tcp"
        );
        let empty = host_rule(Some(LabelMap::new()), None);
        assert_eq!(
            network_policy("app", &empty),
            "allow-app-egress-all-pods-tcp"
        );
        let described = host_rule(None, Some("example tls"));
        assert_eq!(
            network_policy("pkg-a", &described),
            "allow-pkg-a-egress-example-tls"
        );
    }

    #[test]
    fn network_policy_name_of_other_entry_kinds() {
        let udp = Allow {
            direction: Some(Direction::Ingress),
            remote_namespace: Some("monitoring".into()),
            remote_selector: Some(labels(&[("app", "prometheus")])),
            remote_protocol: Some(Protocol::Udp),
            ..Allow::default()
        };
        assert_eq!(
            network_policy("app", &udp),
            "allow-app-ingress-all-pods-monitoring-prometheus-udp"
        );
        let generated = Allow {
            direction: Some(Direction::Egress),
            remote_generated: Some(crate::model::RemoteGenerated::KubeAPI),
            selector: Some(labels(&[("app", "x")])),
            ..Allow::default()
        };
        assert_eq!(
            network_policy("app", &generated),
            "allow-app-egress-x-kubeapi-tcp"
        );
    }

    #[test]
    fn sidecar_names() {
        assert_eq!(
            sidecar("app", Some(&labels(&[("app", "curl")]))),
            "app-egress-app-curl"
        );
        assert_eq!(sidecar("app", Some(&LabelMap::new())), "app-egress");
        assert_eq!(sidecar("app", None), "app-egress-default");
        let two = labels(&[("b", "2"), ("a", "1")]);
        assert_eq!(sidecar("app", Some(&two)), "app-egress-b-2-a");
    }

    #[test]
    fn shared_and_local_names() {
        let pairs = [
            Pair {
                port: 443,
                protocol: Protocol::Tls,
            },
            Pair {
                port: 8443,
                protocol: Protocol::Tls,
            },
        ];
        assert_eq!(
            local_service_entry("app", "example.com", &pairs),
            "app-egress-example-com-443-tls-8443-tls"
        );
        assert_eq!(
            local_service_entry("app", "10.1.2.3", &pairs[..1]),
            "app-egress-10-1-2-3-443-tls"
        );
        assert_eq!(gateway("example.com"), "gateway-example-com");
        assert_eq!(gateway("10.1.2.3"), "gateway");
        assert_eq!(virtual_service("example.com"), "egress-vs-example-com");
        assert_eq!(
            shared_service_entry("example.com"),
            "service-entry-example-com"
        );
        assert_eq!(
            ambient_service_entry("example.com"),
            "ambient-se-example-com"
        );
        assert_eq!(
            authorization_policy("example.com"),
            "ambient-ap-example-com"
        );
        assert_eq!(port_name(pairs[0]), "tls-443");
    }
}
