//! Cross-package checks, as an index that grows one admitted Package at a time, so that the policy
//! (index of the stored Packages, then `check` of the one under review) and the generator (Packages
//! checked and admitted one by one in priority order) share one implementation.
//!
//! Checks: one Package per namespace (UDS Core's rule, §2.2), one protocol per verbatim host and
//! port (UDS Core's reconcile-time rule, §4.2, moved to admission by §8.2.4), and no two hosts whose
//! shared object names sanitise to the same string (§8.2.14). The modes keep separate maps, as
//! their shared objects live in different namespaces.
//!
//! `check` costs time in the size of the Package under review, not of the index: every lookup is
//! a hash map probe by namespace, host or object name.

use std::collections::{HashMap, HashSet};

use crate::model::{Mode, Package, Protocol};
use crate::names;
use crate::quoting::{quoted, verbatim};
use crate::resolve::{host_ports, host_protocol};
use crate::violation::{Code, Violation, allow_path};

/// The shared object name by which two hosts of one mode collide.
///
/// All shared names are `sanitize(<prefix><host>)`, and the sanitiser keeps 250 characters, so the
/// longest prefix keeps the fewest characters of the host: any two hosts whose shorter-prefixed
/// names are equal also have equal longest-prefixed names. Comparing the longest-prefixed name
/// (`service-entry-` in sidecar mode, `ambient-se-`/`ambient-ap-` in ambient mode) therefore finds
/// every collision of every shared object of that mode.
pub fn shared_name_key(mode: Mode, host: &str) -> String {
    match mode {
        Mode::Sidecar => names::shared_service_entry(host),
        Mode::Ambient => names::ambient_service_entry(host),
    }
}

/// Cross-package state: what admitted Packages claim.
#[derive(Clone, Debug, Default)]
pub struct ConflictIndex {
    /// Admitted Packages, in admission order; the maps below refer to them by position.
    packages: Vec<Admitted>,
    /// Namespace -> admitted Packages in it.
    by_namespace: HashMap<String, Vec<usize>>,
    sidecar: ModeIndex,
    ambient: ModeIndex,
}

#[derive(Clone, Debug)]
struct Admitted {
    namespace: String,
    name: String,
    pkg_id: String,
}

#[derive(Clone, Debug, Default)]
struct ModeIndex {
    /// Verbatim host -> port -> per protocol, the last admitted Package using it.
    ports: HashMap<String, HashMap<u16, Vec<(Protocol, usize)>>>,
    /// [`shared_name_key`] -> each verbatim host with that key, with its last admitted Package.
    names: HashMap<String, Vec<(String, usize)>>,
}

impl ConflictIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Violations the Package would cause against everything admitted so far.
    ///
    /// A Package being deleted (`deletionTimestamp` set) is never refused: UDS Core skips its
    /// namespace rule for it, and refusing its updates could block the removal of its finalizers.
    pub fn check(&self, pkg: &Package) -> Vec<Violation> {
        let mut violations = Vec::new();
        if pkg.metadata.deletion_timestamp.is_some() {
            return violations;
        }
        violations.extend(self.namespace_violation(pkg));
        let index = self.mode(pkg.mode());
        self.protocol_conflicts(pkg, index, &mut violations);
        self.name_collisions(pkg, index, &mut violations);
        violations
    }

    /// Records an admitted Package (call only after check returned no violations, or for
    /// already-stored Packages in the policy).
    pub fn admit(&mut self, pkg: &Package) {
        let position = self.packages.len();
        self.packages.push(Admitted {
            namespace: pkg.namespace().to_string(),
            name: pkg.name().to_string(),
            pkg_id: pkg.pkg_id(),
        });
        self.by_namespace
            .entry(pkg.namespace().to_string())
            .or_default()
            .push(position);
        let mode = pkg.mode();
        let index = match mode {
            Mode::Sidecar => &mut self.sidecar,
            Mode::Ambient => &mut self.ambient,
        };
        let mut seen_hosts: HashSet<&str> = HashSet::new();
        for (_, allow) in pkg.host_rules() {
            let Some(host) = allow.host() else { continue };
            let protocol = host_protocol(allow);
            let ports = index.ports.entry(host.to_string()).or_default();
            for port in host_ports(allow) {
                let users = ports.entry(port).or_default();
                match users.iter_mut().find(|(p, _)| *p == protocol) {
                    Some(user) => user.1 = position,
                    None => users.push((protocol, position)),
                }
            }
            if seen_hosts.insert(host) {
                let hosts = index.names.entry(shared_name_key(mode, host)).or_default();
                match hosts.iter_mut().find(|(h, _)| h == host) {
                    Some(user) => user.1 = position,
                    None => hosts.push((host.to_string(), position)),
                }
            }
        }
    }

    fn mode(&self, mode: Mode) -> &ModeIndex {
        match mode {
            Mode::Sidecar => &self.sidecar,
            Mode::Ambient => &self.ambient,
        }
    }

    /// The admitted Package at `position`, unless it is `pkg` itself (same namespace and name).
    fn other(&self, position: usize, pkg: &Package) -> Option<&Admitted> {
        self.packages
            .get(position)
            .filter(|a| !(a.namespace == pkg.namespace() && a.name == pkg.name()))
    }

    fn namespace_violation(&self, pkg: &Package) -> Option<Violation> {
        let admitted = self.by_namespace.get(pkg.namespace())?;
        let path = "metadata.name";
        if admitted.iter().any(|&p| self.other(p, pkg).is_none()) {
            let message = format!(
                "Package {} in namespace {} is given more than once",
                quoted(pkg.name()),
                quoted(pkg.namespace())
            );
            return Some(Violation::new(path, Code::DuplicatePackage, message));
        }
        let existing = admitted.iter().find_map(|&p| self.packages.get(p))?;
        let message = format!(
            "A package with the name \"{}\" already exists in the namespace \"{}\". Only one package can exist in a namespace.",
            existing.name,
            pkg.namespace()
        );
        Some(Violation::new(
            path,
            Code::PackageExistsInNamespace,
            message,
        ))
    }

    fn protocol_conflicts(&self, pkg: &Package, index: &ModeIndex, out: &mut Vec<Violation>) {
        let mut reported: HashSet<(&str, u16, Protocol)> = HashSet::new();
        for (position, allow) in pkg.host_rules() {
            let Some(host) = allow.host() else { continue };
            let Some(ports) = index.ports.get(host) else {
                continue;
            };
            let protocol = host_protocol(allow);
            for port in host_ports(allow) {
                let Some(users) = ports.get(&port) else {
                    continue;
                };
                // UDS Core names the last Package in its map; ours is the last admitted.
                let existing = users
                    .iter()
                    .filter(|(p, _)| *p != protocol)
                    .filter_map(|&(p, user)| Some((user, p, self.other(user, pkg)?)))
                    .max_by_key(|(user, _, _)| *user);
                let Some((_, theirs, other)) = existing else {
                    continue;
                };
                if !reported.insert((host, port, protocol)) {
                    continue;
                }
                let message = format!(
                    "Protocol conflict detected for {}:{port}. Package \"{}\" wants to use {} but package \"{}\" is already using {} for the same host and port combination.",
                    verbatim(host),
                    pkg.pkg_id(),
                    protocol.as_str(),
                    other.pkg_id,
                    theirs.as_str()
                );
                out.push(Violation::new(
                    allow_path(position, None),
                    Code::ProtocolConflict,
                    message,
                ));
            }
        }
    }

    fn name_collisions(&self, pkg: &Package, index: &ModeIndex, out: &mut Vec<Violation>) {
        let mode = pkg.mode();
        let mut seen_hosts: HashSet<&str> = HashSet::new();
        for (position, allow) in pkg.host_rules() {
            let Some(host) = allow.host() else { continue };
            if !seen_hosts.insert(host) {
                continue;
            }
            let key = shared_name_key(mode, host);
            let Some(hosts) = index.names.get(&key) else {
                continue;
            };
            let existing = hosts
                .iter()
                .filter(|(h, _)| h != host)
                .filter_map(|(h, user)| Some((*user, h, self.other(*user, pkg)?)))
                .max_by_key(|(user, _, _)| *user);
            let Some((_, theirs, other)) = existing else {
                continue;
            };
            let message = format!(
                "remoteHost {} would share the Istio object name \"{key}\" with remoteHost {} of package \"{}\" ({} mode); one would overwrite the other's shared objects",
                quoted(host),
                quoted(theirs),
                other.pkg_id,
                mode_name(mode)
            );
            out.push(Violation::new(
                allow_path(position, Some("remoteHost")),
                Code::HostNameCollision,
                message,
            ));
        }
    }
}

/// The spelling of a mode in the CRD.
pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Sidecar => "sidecar",
        Mode::Ambient => "ambient",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::parse::package_from_value;

    fn package(name: &str, namespace: &str, mode: &str, allow: Value) -> Package {
        package_from_value(&json!({
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}}
        }))
        .expect("test package parses")
    }

    fn host(host: &str, protocol: &str, ports: &[u16]) -> Value {
        json!({"direction": "Egress", "remoteHost": host, "remoteProtocol": protocol, "ports": ports})
    }

    fn index_of(packages: &[Package]) -> ConflictIndex {
        let mut index = ConflictIndex::new();
        for pkg in packages {
            index.admit(pkg);
        }
        index
    }

    fn found(index: &ConflictIndex, pkg: &Package) -> Vec<(String, Code, String)> {
        index
            .check(pkg)
            .into_iter()
            .map(|v| (v.path, v.code, v.message))
            .collect()
    }

    #[test]
    fn an_empty_index_refuses_nothing() {
        let pkg = package("a", "ns", "sidecar", json!([host("x.com", "TLS", &[443])]));
        assert_eq!(found(&ConflictIndex::new(), &pkg), vec![]);
    }

    #[test]
    fn one_package_per_namespace() {
        let index = index_of(&[package("first", "ns", "ambient", json!([]))]);
        assert_eq!(
            found(&index, &package("second", "ns", "ambient", json!([]))),
            vec![(
                "metadata.name".into(),
                Code::PackageExistsInNamespace,
                "A package with the name \"first\" already exists in the namespace \"ns\". Only one package can exist in a namespace.".into()
            )]
        );
        assert_eq!(
            found(&index, &package("second", "other", "ambient", json!([]))),
            vec![]
        );
        assert_eq!(
            found(&index, &package("first", "ns", "sidecar", json!([]))),
            vec![(
                "metadata.name".into(),
                Code::DuplicatePackage,
                "Package \"first\" in namespace \"ns\" is given more than once".into()
            )]
        );
    }

    #[test]
    fn a_package_being_deleted_is_not_refused() {
        let index = index_of(&[package("first", "ns", "ambient", json!([]))]);
        let mut leaving = package("second", "ns", "ambient", json!([]));
        leaving.metadata.deletion_timestamp =
            serde_json::from_value(json!("2024-01-01T00:00:00Z")).ok();
        assert!(leaving.metadata.deletion_timestamp.is_some());
        assert_eq!(found(&index, &leaving), vec![]);
    }

    #[test]
    fn protocol_conflicts_use_uds_core_text() {
        let index = index_of(&[
            package(
                "a",
                "ns-a",
                "sidecar",
                json!([host("api.example.com", "TLS", &[443, 8443])]),
            ),
            package(
                "b",
                "ns-b",
                "sidecar",
                json!([host("api.example.com", "TLS", &[443])]),
            ),
        ]);
        let new = package(
            "c",
            "ns-c",
            "sidecar",
            json!([
                host("api.example.com", "TLS", &[8443]),
                host("api.example.com", "HTTP", &[443, 80])
            ]),
        );
        assert_eq!(
            found(&index, &new),
            vec![(
                "spec.network.allow[1]".into(),
                Code::ProtocolConflict,
                "Protocol conflict detected for api.example.com:443. Package \"c-ns-c\" wants to use HTTP but package \"b-ns-b\" is already using TLS for the same host and port combination.".into()
            )]
        );
    }

    #[test]
    fn protocols_are_compared_by_verbatim_host_and_per_mode() {
        let index = index_of(&[package(
            "a",
            "ns-a",
            "sidecar",
            json!([host("api.example.com", "TLS", &[443])]),
        )]);
        let ambient = package(
            "b",
            "ns-b",
            "ambient",
            json!([host("api.example.com", "HTTP", &[443])]),
        );
        assert_eq!(found(&index, &ambient), vec![]);
        // Default protocol TLS and default port 443 are the same pair as explicit ones.
        let defaults = package(
            "c",
            "ns-c",
            "sidecar",
            json!([{"direction": "Egress", "remoteHost": "api.example.com"}]),
        );
        assert_eq!(found(&index, &defaults), vec![]);
        let http_default = package(
            "d",
            "ns-d",
            "sidecar",
            json!([{"direction": "Egress", "remoteHost": "api.example.com", "remoteProtocol": "HTTP", "port": 443}]),
        );
        assert_eq!(found(&index, &http_default).len(), 1);
        // Another spelling is another verbatim host: no protocol conflict, but a name collision.
        let upper = package(
            "e",
            "ns-e",
            "sidecar",
            json!([host("API.example.com", "HTTP", &[443])]),
        );
        let codes: Vec<Code> = index.check(&upper).into_iter().map(|v| v.code).collect();
        assert_eq!(codes, vec![Code::HostNameCollision]);
    }

    #[test]
    fn the_last_admitted_user_of_the_other_protocol_is_named() {
        let index = index_of(&[
            package(
                "a",
                "ns-a",
                "ambient",
                json!([host("x.com", "TLS", &[443])]),
            ),
            package(
                "b",
                "ns-b",
                "ambient",
                json!([host("x.com", "HTTP", &[443])]),
            ),
            package(
                "c",
                "ns-c",
                "ambient",
                json!([host("x.com", "TLS", &[443])]),
            ),
        ]);
        let tls = package(
            "d",
            "ns-d",
            "ambient",
            json!([host("x.com", "TLS", &[443])]),
        );
        let message = &index.check(&tls)[0].message;
        assert!(
            message.contains("package \"b-ns-b\" is already using HTTP"),
            "{message}"
        );
        let http = package(
            "e",
            "ns-e",
            "ambient",
            json!([host("x.com", "HTTP", &[443])]),
        );
        let message = &index.check(&http)[0].message;
        assert!(
            message.contains("package \"c-ns-c\" is already using TLS"),
            "{message}"
        );
    }

    #[test]
    fn name_collisions_name_the_other_host_and_package() {
        let index = index_of(&[package(
            "a",
            "ns-a",
            "sidecar",
            json!([host("a-b.com", "TLS", &[443])]),
        )]);
        let new = package(
            "b",
            "ns-b",
            "sidecar",
            json!([host("x.com", "TLS", &[443]), host("a.b.com", "TLS", &[443])]),
        );
        assert_eq!(
            found(&index, &new),
            vec![(
                "spec.network.allow[1].remoteHost".into(),
                Code::HostNameCollision,
                "remoteHost \"a.b.com\" would share the Istio object name \"service-entry-a-b-com\" with remoteHost \"a-b.com\" of package \"a-ns-a\" (sidecar mode); one would overwrite the other's shared objects".into()
            )]
        );
        // The same verbatim host is shared, not a collision; another mode is another namespace.
        let same = package(
            "c",
            "ns-c",
            "sidecar",
            json!([host("a-b.com", "TLS", &[443])]),
        );
        assert_eq!(found(&index, &same), vec![]);
        let ambient = package(
            "d",
            "ns-d",
            "ambient",
            json!([host("a.b.com", "TLS", &[443])]),
        );
        assert_eq!(found(&index, &ambient), vec![]);
    }

    #[test]
    fn ip_hosts_collide_on_the_bare_prefix() {
        let index = index_of(&[package(
            "a",
            "ns-a",
            "ambient",
            json!([host("10.0.0.1", "TLS", &[443])]),
        )]);
        let new = package(
            "b",
            "ns-b",
            "ambient",
            json!([host("10.0.0.2", "TLS", &[443])]),
        );
        let violations = index.check(&new);
        assert_eq!(violations.len(), 1);
        assert!(
            violations[0].message.contains("\"ambient-se\""),
            "{}",
            violations[0].message
        );
    }

    #[test]
    fn the_longest_prefix_catches_collisions_past_the_gateway_name() {
        // Equal in the first 236 host characters, different after: the Gateways differ, but the
        // shared ServiceEntries (prefix `service-entry-`, 14 characters) would be one object.
        let stem = "a".repeat(236);
        let (one, two) = (format!("{stem}b"), format!("{stem}c"));
        assert_ne!(names::gateway(&one), names::gateway(&two));
        assert_eq!(
            names::shared_service_entry(&one),
            names::shared_service_entry(&two)
        );
        let index = index_of(&[package(
            "a",
            "ns-a",
            "sidecar",
            json!([host(&one, "TLS", &[443])]),
        )]);
        let new = package("b", "ns-b", "sidecar", json!([host(&two, "TLS", &[443])]));
        let codes: Vec<Code> = index.check(&new).into_iter().map(|v| v.code).collect();
        assert_eq!(codes, vec![Code::HostNameCollision]);
    }

    #[test]
    fn indexes_ten_thousand_packages() {
        let mut index = ConflictIndex::new();
        for i in 0..10_000 {
            let pkg = package(
                &format!("p{i}"),
                &format!("ns{i}"),
                if i % 2 == 0 { "sidecar" } else { "ambient" },
                json!([
                    host(&format!("api{i}.example.com"), "TLS", &[443]),
                    host("shared.example.com", "TLS", &[443]),
                    host(&format!("web{i}.example.com"), "HTTP", &[80, 8080]),
                ]),
            );
            assert_eq!(index.check(&pkg), vec![], "{i}");
            index.admit(&pkg);
        }
        let late = package(
            "late",
            "late",
            "sidecar",
            json!([host("shared.example.com", "HTTP", &[443])]),
        );
        let violations = index.check(&late);
        assert_eq!(violations.len(), 1);
        assert!(
            violations[0].message.contains("package \"p9998-ns9998\""),
            "{}",
            violations[0].message
        );
    }
}
