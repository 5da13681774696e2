//! Shared ambient-mode objects in `istio-egress-ambient`: the waypoint, and per host a
//! ServiceEntry bound to it plus an AuthorizationPolicy naming who may use it (semantics §3.3).

use std::collections::{BTreeMap, BTreeSet};

use crate::generated_object::GeneratedObject;
use crate::model::{Allow, Package, Protocol, RemoteGenerated};
use crate::names::{self, EGRESS_AMBIENT_NAMESPACE, WAYPOINT_NAME};
use crate::objects::authorization_policy::{AuthorizationPolicySpec, Rule};
use crate::objects::generate;
use crate::objects::meta::Meta;
use crate::objects::service_entry::ServiceEntrySpec;
use crate::objects::waypoint::WaypointSpec;
use crate::resolve::host_ports;
use crate::translate::host_aggregate::aggregate_hosts;
use crate::translate::sidecar_shared::owner_annotations;

pub const SHARED_AMBIENT_LABEL: &str = "shared-ambient-egress-resource";
/// The mesh's trust domain: UDS Core writes principals under `cluster.local` (semantics §3.3).
pub const TRUST_DOMAIN: &str = "cluster.local";

/// The principal of a service account: `cluster.local/ns/<ns>/sa/<sa>`.
pub fn principal(namespace: &str, service_account: &str) -> String {
    format!("{TRUST_DOMAIN}/ns/{namespace}/sa/{service_account}")
}

/// Who may reach a host: a service account (principal) or a whole namespace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Identity {
    Principal(String),
    Namespace(String),
}

fn identity(package: &Package, allow: &Allow) -> Identity {
    match allow.service_account.as_deref().filter(|s| !s.is_empty()) {
        Some(sa) => Identity::Principal(principal(package.namespace(), sa)),
        None => Identity::Namespace(package.namespace().to_string()),
    }
}

/// An `Anywhere` entry: its identity may use every declared host, on its ports or on any port.
struct Participant {
    identity: Identity,
    ports: Option<Vec<u16>>,
}

fn participants(packages: &[&Package]) -> Vec<Participant> {
    let mut out = Vec::new();
    for package in packages {
        for allow in package.allow() {
            let anywhere = allow.is_egress()
                && allow.remote_generated == Some(RemoteGenerated::Anywhere)
                && allow.remote_protocol != Some(Protocol::Udp);
            if !anywhere {
                continue;
            }
            let ports = match (allow.non_empty_ports(), allow.port) {
                (Some(ports), _) => Some(ports.iter().map(|p| p.get()).collect()),
                (None, Some(port)) => Some(vec![port.get()]),
                (None, None) => None,
            };
            out.push(Participant {
                identity: identity(package, allow),
                ports,
            });
        }
    }
    out
}

/// Owners per host and port: the identities of the host rules that declared them.
fn owners<'a>(packages: &[&'a Package]) -> BTreeMap<(&'a str, u16), BTreeSet<Identity>> {
    let mut out: BTreeMap<(&str, u16), BTreeSet<Identity>> = BTreeMap::new();
    for package in packages {
        for (_, allow) in package.host_rules() {
            let Some(host) = allow.host() else { continue };
            for port in host_ports(allow) {
                out.entry((host, port))
                    .or_default()
                    .insert(identity(package, allow));
            }
        }
    }
    out
}

/// The ambient-mode Packages with at least one host rule, in the given (canonical) order: they
/// annotate the waypoint, and without any of them no ambient object exists (semantics §3.3).
/// `Anywhere`-only Packages and those with no remote host still take part in the
/// AuthorizationPolicies, but the waypoint does not list them.
fn host_rule_packages<'a>(packages: &[&'a Package]) -> Vec<&'a Package> {
    packages
        .iter()
        .copied()
        .filter(|p| p.has_host_rules())
        .collect()
}

/// `packages`: admitted ambient-mode Packages in canonical order.
pub fn shared_objects(packages: &[&Package]) -> Vec<GeneratedObject> {
    let with_hosts = host_rule_packages(packages);
    if with_hosts.is_empty() {
        return Vec::new();
    }
    let participants = participants(packages);
    let owners = owners(packages);
    let mut objects = vec![waypoint(&with_hosts)];
    for (host, aggregate) in aggregate_hosts(packages.iter().copied()) {
        let annotations = owner_annotations(&aggregate.packages);
        let se_name = names::ambient_service_entry(host);
        let se_meta = Meta::shared(
            EGRESS_AMBIENT_NAMESPACE,
            se_name.clone(),
            SHARED_AMBIENT_LABEL,
            &[
                ("istio.io/use-waypoint", WAYPOINT_NAME),
                ("istio.io/use-waypoint-namespace", EGRESS_AMBIENT_NAMESPACE),
            ],
            &[],
            annotations.clone(),
        );
        objects.push(generate(
            se_meta,
            ServiceEntrySpec::external(host, &aggregate.pairs),
        ));

        let ports: BTreeSet<u16> = aggregate.pairs.iter().map(|p| p.port).collect();
        let rules: Vec<Rule> = ports
            .into_iter()
            .filter_map(|port| {
                let mut allowed: BTreeSet<&Identity> = participants
                    .iter()
                    .filter(|p| p.ports.as_ref().is_none_or(|ports| ports.contains(&port)))
                    .map(|p| &p.identity)
                    .collect();
                allowed.extend(owners.get(&(host, port)).into_iter().flatten());
                let (principals, namespaces) = split(allowed);
                Rule::for_port(port, principals, namespaces)
            })
            .collect();
        if rules.is_empty() {
            continue;
        }
        let ap_meta = Meta::shared(
            EGRESS_AMBIENT_NAMESPACE,
            names::authorization_policy(host),
            SHARED_AMBIENT_LABEL,
            &[],
            &[("uds/for", "egress")],
            annotations,
        );
        objects.push(generate(
            ap_meta,
            AuthorizationPolicySpec::allow_to_service_entry(se_name, rules),
        ));
    }
    objects
}

/// Sorted, de-duplicated principals and namespaces (the set is ordered already).
fn split(identities: BTreeSet<&Identity>) -> (Vec<String>, Vec<String>) {
    let mut principals = Vec::new();
    let mut namespaces = Vec::new();
    for identity in identities {
        match identity {
            Identity::Principal(p) => principals.push(p.clone()),
            Identity::Namespace(n) => namespaces.push(n.clone()),
        }
    }
    (principals, namespaces)
}

/// The one waypoint, annotated with `annotated`: the Packages of `host_rule_packages`.
fn waypoint(annotated: &[&Package]) -> GeneratedObject {
    let meta = Meta::shared(
        EGRESS_AMBIENT_NAMESPACE,
        WAYPOINT_NAME.to_string(),
        SHARED_AMBIENT_LABEL,
        &[],
        &[("istio.io/gateway-name", WAYPOINT_NAME)],
        owner_annotations(annotated),
    );
    generate(meta, WaypointSpec::egress())
}
