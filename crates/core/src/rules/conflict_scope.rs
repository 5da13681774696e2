//! Which other Packages can take part in a [`ConflictIndex`] violation of one Package.
//!
//! `ConflictIndex::check` reads only three things of what was admitted: the Packages in the
//! reviewed Package's namespace, and, in its mode, the users of its verbatim hosts and the hosts
//! whose shared object names equal its hosts' ([`shared_name_key`]). A Package that touches none
//! of them changes no answer, so the policy admits only the Packages in scope: an admission then
//! costs time in what the reviewed Package shares with others, not in the size of the cluster.
//! Every Package contributing to an entry the check reads is in scope, and admission order is
//! kept, so the check names the same Package either way.
//!
//! [`ConflictIndex`]: crate::rules::conflicts::ConflictIndex

use std::collections::HashSet;

use crate::model::{Mode, Package};
use crate::rules::conflicts::shared_name_key;

/// The namespace, mode, hosts and shared-name keys of the Package under review.
#[derive(Clone, Debug)]
pub struct ConflictScope<'a> {
    namespace: &'a str,
    mode: Mode,
    hosts: HashSet<&'a str>,
    name_keys: HashSet<String>,
}

impl<'a> ConflictScope<'a> {
    pub fn of(pkg: &'a Package) -> Self {
        let mode = pkg.mode();
        let hosts: HashSet<&str> = pkg
            .host_rules()
            .filter_map(|(_, allow)| allow.host())
            .collect();
        let name_keys = hosts
            .iter()
            .map(|host| shared_name_key(mode, host))
            .collect();
        ConflictScope {
            namespace: pkg.namespace(),
            mode,
            hosts,
            name_keys,
        }
    }

    /// Whether `other` shares the namespace, or in the same mode a host or a host's shared name.
    pub fn touches(&self, other: &Package) -> bool {
        if other.namespace() == self.namespace {
            return true;
        }
        if other.mode() != self.mode || self.hosts.is_empty() {
            return false;
        }
        other
            .host_rules()
            .filter_map(|(_, allow)| allow.host())
            .any(|host| {
                self.hosts.contains(host)
                    || self.name_keys.contains(&shared_name_key(self.mode, host))
            })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::parse::package_from_value;
    use crate::rules::conflicts::ConflictIndex;
    use crate::violation::Code;

    fn pkg(namespace: &str, name: &str, mode: &str, rules: &[(&str, &str, u16)]) -> Package {
        let allow: Vec<Value> = rules
            .iter()
            .map(|(host, protocol, port)| {
                json!({"direction": "Egress", "selector": {"app": "x"}, "remoteHost": host,
                       "remoteProtocol": protocol, "port": port})
            })
            .collect();
        package_from_value(&json!({
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}}
        }))
        .unwrap()
    }

    fn stored() -> Vec<Package> {
        vec![
            pkg("a", "a", "sidecar", &[("api.github.com", "HTTP", 443)]),
            pkg("b", "b", "sidecar", &[("api.github.com", "TLS", 443)]),
            pkg("c", "c", "ambient", &[("api.github.com", "HTTP", 443)]),
            pkg("d", "d", "sidecar", &[("API.github.com", "TLS", 443)]),
            pkg("e", "e", "sidecar", &[("api-github.com", "TLS", 443)]),
            pkg("shop", "old", "ambient", &[]),
            pkg("f", "f", "sidecar", &[("other.com", "HTTP", 80)]),
            pkg("g", "g", "sidecar", &[("api.github.com", "HTTP", 443)]),
        ]
    }

    #[test]
    fn in_scope_are_the_namespace_the_hosts_and_the_colliding_names() {
        let review = pkg("shop", "app", "sidecar", &[("api.github.com", "TLS", 443)]);
        let scope = ConflictScope::of(&review);
        let stored = stored();
        let touching: Vec<&str> = stored
            .iter()
            .filter(|p| scope.touches(p))
            .map(|p| p.namespace())
            .collect();
        // c: other mode; f: unrelated host. d and e collide by shared name.
        assert_eq!(touching, vec!["a", "b", "d", "e", "shop", "g"]);
    }

    #[test]
    fn the_scoped_index_gives_the_same_violations_as_the_whole_one() {
        let reviews = [
            pkg("shop", "app", "sidecar", &[("api.github.com", "TLS", 443)]),
            pkg("shop", "app", "ambient", &[("api.github.com", "TLS", 443)]),
            pkg(
                "x",
                "y",
                "sidecar",
                &[("other.com", "TLS", 80), ("api.github.com", "TLS", 443)],
            ),
            pkg("a", "a", "sidecar", &[("api.github.com", "TLS", 443)]),
            pkg("z", "z", "sidecar", &[]),
        ];
        for review in &reviews {
            let mut whole = ConflictIndex::new();
            let mut scoped = ConflictIndex::new();
            let scope = ConflictScope::of(review);
            for other in &stored() {
                whole.admit(other);
                if scope.touches(other) {
                    scoped.admit(other);
                }
            }
            let expected = whole.check(review);
            assert_eq!(scoped.check(review), expected, "{}", review.pkg_id());
        }
        // The cases above do find violations of every kind.
        let mut whole = ConflictIndex::new();
        stored().iter().for_each(|p| whole.admit(p));
        let codes: Vec<Code> = reviews
            .iter()
            .flat_map(|r| whole.check(r))
            .map(|v| v.code)
            .collect();
        for code in [
            Code::PackageExistsInNamespace,
            Code::ProtocolConflict,
            Code::HostNameCollision,
        ] {
            assert!(codes.contains(&code), "{code:?} not in {codes:?}");
        }
    }
}
