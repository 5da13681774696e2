//! The policy's shared-reach warning, computed from the Packages alone: which targets a
//! sidecar-mode Package's host rules open, through the egress gateway's shared objects, for the
//! workloads of other Packages.
//!
//! The full analysis ([`opened_for_others`]) renders the Packages twice and derives the reach of
//! every workload; that doubled the module and ran past the admission deadline on large clusters
//! (docs/reach.md). This is the same answer for the `shared-entry` reason, from rules R4 and R5:
//!
//! - the gateway forwards `host:port/protocol` when some sidecar-mode Package declares it (its
//!   Gateway, VirtualService and ServiceEntry for a host carry every port declared for it);
//! - a workload of another sidecar-mode Package reaches such a target through a shared entry when
//!   its Package names the host in a host rule, and the NetworkPolicy of one of its entries (a
//!   host rule's, or an `Anywhere` entry's, semantics §3.4) opens the port towards the gateway;
//! - the Package under review opens the target when no Package declared it before: neither the
//!   others nor its own stored version.
//!
//! Packages are judged at Package level (some workload of the Package gains the target), so the
//! entries' selectors and service accounts are not needed: the policy's masked list does not
//! carry them. `tests/shared_entry_openings.rs` holds this equal to the full analysis on random
//! clusters. Ambient Packages get no warning: across Packages, the waypoint widens reach only for
//! `Anywhere` entries, which reach every address on their ports directly anyway.
//!
//! [`opened_for_others`]: crate::reach::openings::opened_for_others

use serde::Serialize;

use crate::model::{Allow, Mode, Package};
use crate::normal_host::{normal_form, same_host};
use crate::reach::workload::{PackageRef, leads_out};
use crate::resolve::{host_ports, host_protocol};
use crate::translate::network_policy::policy_ports;

/// A target that other Packages' workloads reach after a change and did not before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Opening {
    /// In the core's normal form.
    pub host: String,
    pub port: u16,
    /// `TLS` or `HTTP`.
    pub protocol: String,
    /// The Packages whose workloads gain it, sorted.
    pub packages: Vec<PackageRef>,
}

/// What `package` opens for the Packages in `others` through the gateway's shared objects,
/// compared with its `stored` version (none: it is being created). `others` holds at least every
/// sidecar-mode Package that names one of `package`'s hosts; more are ignored. In the order the
/// targets are first declared in `package`'s `allow[]`.
///
/// Plain scans instead of maps and sets: the Packages given are those sharing a host, and the
/// policy's module stays small (each collection type would add its own code).
pub fn shared_entry_openings(
    package: &Package,
    stored: Option<&Package>,
    others: &[Package],
) -> Vec<Opening> {
    if !is_live_sidecar(package) {
        return Vec::new();
    }
    let is_subject = |other: &Package| {
        other.namespace() == package.namespace() && other.name() == package.name()
    };
    let others: Vec<&Package> = others
        .iter()
        .filter(|other| is_live_sidecar(other) && !is_subject(other))
        .collect();
    let stored = stored.filter(|s| is_live_sidecar(s));
    let declared_before = |host: &str, port: u16, protocol: &str| {
        others
            .iter()
            .copied()
            .chain(stored)
            .any(|p| declares(p, host, port, protocol))
    };

    let mut opened: Vec<Opening> = Vec::new();
    for allow in package.allow().iter().filter(|a| is_egress_host_rule(a)) {
        let host = normal_form(allow.host().unwrap_or_default());
        let protocol = host_protocol(allow).as_str();
        for port in host_ports(allow) {
            let seen = opened
                .iter()
                .any(|o| o.host == host && o.port == port && o.protocol == protocol);
            if seen || declared_before(&host, port, protocol) {
                continue;
            }
            let mut packages: Vec<PackageRef> = others
                .iter()
                .filter(|other| names_host(other, &host) && opens_to_gateway(other, port))
                .map(|other| PackageRef::of(other))
                .collect();
            if packages.is_empty() {
                continue;
            }
            packages.sort_unstable();
            packages.dedup();
            opened.push(Opening {
                host: host.clone(),
                port,
                protocol: protocol.to_string(),
                packages,
            });
        }
    }
    opened
}

/// A sidecar-mode Package not being deleted (a deleted one's objects are gone or going).
fn is_live_sidecar(package: &Package) -> bool {
    package.mode() == Mode::Sidecar && package.metadata.deletion_timestamp.is_none()
}

/// An `Egress` host rule: what puts a host on the gateway and names it for its Package.
fn is_egress_host_rule(allow: &Allow) -> bool {
    allow.is_egress() && allow.is_host_rule()
}

/// The index in `allow[]` of the Package's first host rule that puts `host:port/protocol` on the
/// gateway (where the policy's warning points).
pub fn first_declaring_rule(
    package: &Package,
    host: &str,
    port: u16,
    protocol: &str,
) -> Option<usize> {
    package.allow().iter().position(|allow| {
        is_egress_host_rule(allow)
            && allow.host().is_some_and(|h| same_host(h, host))
            && host_protocol(allow).as_str() == protocol
            && host_ports(allow).contains(&port)
    })
}

fn declares(package: &Package, host: &str, port: u16, protocol: &str) -> bool {
    first_declaring_rule(package, host, port, protocol).is_some()
}

fn names_host(package: &Package, host: &str) -> bool {
    package
        .allow()
        .iter()
        .filter(|allow| is_egress_host_rule(allow))
        .filter_map(|allow| allow.host())
        .any(|h| same_host(h, host))
}

/// Whether the NetworkPolicy of one of the Package's entries lets its pods open TCP `port` to
/// the gateway: a host rule's goes to the gateway, an `Anywhere` entry's to every address; both
/// on the entry's ports (HBONE's added), or on every port when it lists none.
fn opens_to_gateway(package: &Package, port: u16) -> bool {
    package
        .allow()
        .iter()
        .filter(|allow| leads_out(allow))
        .any(|allow| {
            let ports = policy_ports(allow);
            ports.is_empty() || ports.iter().any(|p| p.protocol == "TCP" && p.port == port)
        })
}
