//! The egress NetworkPolicy of each host rule (semantics §3.4).

use indexmap::IndexMap;

use crate::generated_object::GeneratedObject;
use crate::model::{Allow, Package, Protocol};
use crate::names;
use crate::objects::generate;
use crate::objects::meta::Meta;
use crate::objects::network_policy::{HBONE_PORT, NetworkPolicySpec, PolicyPort, egress_peer};

/// One NetworkPolicy per host rule of the Package, towards its mode's gateway or waypoint.
pub fn network_policies(package: &Package) -> impl Iterator<Item = GeneratedObject> + '_ {
    package
        .host_rules()
        .map(move |(_, allow)| network_policy(package, allow))
}

fn network_policy(package: &Package, allow: &Allow) -> GeneratedObject {
    let mut meta = Meta::per_package(
        package,
        names::network_policy(package.name(), allow),
        allow.labels.as_ref(),
    );
    if let Some(description) = allow.description.as_deref().filter(|d| !d.is_empty()) {
        let mut annotations = IndexMap::new();
        annotations.insert("uds/description".to_string(), description.to_string());
        meta.annotations = annotations;
    }
    let spec = NetworkPolicySpec::egress_to(
        allow.selector.as_ref(),
        egress_peer(package.mode()),
        policy_ports(allow),
    );
    generate(meta, spec)
}

/// Ports from the raw fields: every `ports` entry, then `port`, not de-duplicated; HBONE's 15008
/// is added when any TCP port is listed. No ports at all means all ports (`ports: []`).
pub fn policy_ports(allow: &Allow) -> Vec<PolicyPort> {
    let protocol = if allow.remote_protocol == Some(Protocol::Udp) {
        "UDP"
    } else {
        "TCP"
    };
    let mut ports: Vec<PolicyPort> = allow
        .ports
        .iter()
        .flatten()
        .chain(allow.port.iter())
        .map(|port| PolicyPort {
            port: port.get(),
            protocol,
        })
        .collect();
    if ports.iter().any(|p| p.protocol == "TCP") {
        ports.push(PolicyPort {
            port: HBONE_PORT,
            protocol: "TCP",
        });
    }
    ports
}
