//! The warning of issue 15, point 2: a new rule that makes a host and port reachable for the
//! workloads of other Packages through shared egress objects.
//!
//! Only the Package lookup the context checks already make is used, with its field masks: the
//! stored Packages that share a host with the reviewed one (in the same mode), as names, mode,
//! hosts, protocols and ports. What the masks leave out is filled in so that the core's reach
//! analysis can run over them: every entry with a `remoteHost` is an `Egress` host rule (stored
//! Packages were admitted, and A8 admits a host only on `Egress`), with no selector (its pods
//! stand for all of the Package's pods, whose NetworkPolicies together open the union of the
//! ports) and a description of its own (so that its NetworkPolicy name is unique). Selectors,
//! service accounts and `Anywhere` entries are not fetched, so ambient Packages (whose shared
//! AuthorizationPolicies grant per identity and port) get no warning; docs/reach.md has the full
//! analysis.

use uds_egress_core::model::{Direction, Mode, Package};
use uds_egress_core::reach::PackageRef;
use uds_egress_core::reach::openings::{Opening, opened_for_others};
use uds_egress_core::resolve::{host_ports, host_protocol};
use uds_egress_core::rules::config::RuleConfig;
use uds_egress_core::violation::allow_path;

/// A listed (masked) Package as a set of host rules the analysis can render.
fn as_host_rules(listed: &Package) -> Package {
    let mut package = listed.clone();
    let entries = package
        .spec
        .as_mut()
        .and_then(|s| s.network.as_mut())
        .and_then(|n| n.allow.as_mut());
    for (index, entry) in entries.into_iter().flatten().enumerate() {
        if entry.is_host_rule() {
            entry.direction = Some(Direction::Egress);
            entry.description = Some(format!("listed {}", letters(index)));
        }
    }
    package
}

/// `a`, `b`, ..., `z`, `ba`, ...: a unique word per index. Digits would not do: the sanitiser
/// drops them at the end of a NetworkPolicy name.
fn letters(mut index: usize) -> String {
    let mut word = Vec::new();
    loop {
        word.push(b'a' + (index % 26) as u8);
        index /= 26;
        if index == 0 {
            break;
        }
    }
    word.reverse();
    String::from_utf8_lossy(&word).into_owned()
}

/// One warning per target the reviewed Package opens for other Packages, at its first rule
/// that declares the target. `stored` is the reviewed Package's stored version, if listed.
pub fn shared_reach_warnings(
    package: &Package,
    others: &[Package],
    stored: Option<&Package>,
    rules: &RuleConfig,
) -> Vec<String> {
    if package.mode() != Mode::Sidecar || others.is_empty() {
        return Vec::new();
    }
    let others: Vec<Package> = others.iter().map(as_host_rules).collect();
    let mut before = others.clone();
    before.extend(stored.map(as_host_rules));
    let mut after = others;
    after.push(package.clone());
    let subject = PackageRef::of(package);
    opened_for_others(&before, &after, &subject, rules)
        .iter()
        .map(|opening| warning(package, opening))
        .collect()
}

fn warning(package: &Package, opening: &Opening) -> String {
    let index = package
        .host_rules()
        .find(|(_, allow)| {
            allow
                .host()
                .is_some_and(|h| h.eq_ignore_ascii_case(&opening.host))
                && host_ports(allow).contains(&opening.port)
                && host_protocol(allow).as_str() == opening.protocol
        })
        .map(|(index, _)| index);
    let names: Vec<String> = opening.packages.iter().map(ToString::to_string).collect();
    let at = match index {
        Some(index) => allow_path(index, None),
        None => "spec.network.allow".to_string(),
    };
    format!(
        "{at}: {host}:{port}/{protocol} becomes reachable for workloads of {names} through the \
         shared egress objects of {host}: the egress gateway forwards it to any of their pods \
         that may connect to it on port {port}",
        host = opening.host,
        port = opening.port,
        protocol = opening.protocol,
        names = names.join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uds_egress_core::parse::package_from_value;

    fn pkg(namespace: &str, allow: serde_json::Value) -> Package {
        package_from_value(&json!({
            "metadata": {"name": namespace, "namespace": namespace},
            "spec": {"network": {"serviceMesh": {"mode": "sidecar"}, "allow": allow}}
        }))
        .unwrap()
    }

    /// As the masked lookup returns a Package: no direction, selector or description.
    fn listed(namespace: &str, allow: serde_json::Value) -> Package {
        pkg(namespace, allow)
    }

    #[test]
    fn a_new_port_on_a_shared_host_is_named_for_the_packages_that_gain_it() {
        // docs uses fonts.gstatic.com on 80 and, for another host, 443: the new 443 on the
        // shared fonts.gstatic.com objects is open to its 443 pods.
        let docs = listed(
            "docs",
            json!([{"remoteHost": "fonts.gstatic.com", "remoteProtocol": "HTTP", "port": 80},
                   {"remoteHost": "api.github.com", "remoteProtocol": "TLS", "port": 443}]),
        );
        let web = pkg(
            "web",
            json!([{"direction": "Egress", "selector": {"app": "web"}, "remoteHost": "fonts.gstatic.com",
                    "remoteProtocol": "TLS", "port": 443}]),
        );
        let got = shared_reach_warnings(
            &web,
            std::slice::from_ref(&docs),
            None,
            &RuleConfig::default(),
        );
        assert_eq!(
            got,
            vec![
                "spec.network.allow[0]: fonts.gstatic.com:443/TLS becomes reachable for workloads of \
                 docs/docs through the shared egress objects of fonts.gstatic.com: the egress \
                 gateway forwards it to any of their pods that may connect to it on port 443"
            ]
        );
        // Already stored with that rule: nothing new is opened.
        let stored = listed(
            "web",
            json!([{"remoteHost": "fonts.gstatic.com", "remoteProtocol": "TLS", "port": 443}]),
        );
        assert!(
            shared_reach_warnings(&web, &[docs], Some(&stored), &RuleConfig::default()).is_empty()
        );
    }

    #[test]
    fn nothing_is_said_when_the_others_cannot_use_the_port() {
        let docs = listed(
            "docs",
            json!([{"remoteHost": "fonts.gstatic.com", "remoteProtocol": "HTTP", "port": 80}]),
        );
        let web = pkg(
            "web",
            json!([{"direction": "Egress", "selector": {"app": "web"}, "remoteHost": "fonts.gstatic.com",
                    "remoteProtocol": "TLS", "port": 443}]),
        );
        assert!(shared_reach_warnings(&web, &[docs], None, &RuleConfig::default()).is_empty());
    }
}
