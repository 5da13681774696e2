//! UDS Core's admission rules for one Package (semantics §2), with its exact messages, plus the
//! `direction` the CRD requires (our [`Code::MissingDirection`]).
//!
//! UDS Core stops at the first failing check; we report every entry, but per entry only the first
//! failing check of A1–A10 (as UDS Core would), and A11 independently of it.

use std::collections::HashSet;

use crate::model::{Allow, Direction, Mode, Package, Protocol, RemoteGenerated, is_set};
use crate::names;
use crate::violation::{Code, Violation, allow_path};

pub const INVALID_NAMESPACE: &str = "invalid namespace";
pub const A1_REMOTE_REQUIRED: &str = "network allow rules must specify a remote: remoteGenerated, remoteNamespace, remoteSelector, remoteCidr, or remoteHost";
pub const A2_REMOTE_GENERATED: &str = "remoteGenerated cannot be combined with remoteNamespace, remoteSelector, remoteCidr, remoteHost, or TLS/HTTP remoteProtocol";
pub const A3_REMOTE_NAMESPACE: &str = "remoteNamespace and remoteSelector cannot be combined with remoteGenerated, remoteCidr, remoteHost, or TLS/HTTP remoteProtocol";
pub const A4_REMOTE_CIDR: &str = "remoteCidr cannot be combined with remoteGenerated, remoteNamespace, remoteSelector, remoteHost, or TLS/HTTP remoteProtocol";
pub const A6_TCP_HOST: &str =
    "TCP remoteProtocol cannot be combined with remoteHost; use TLS or HTTP for external egress";
pub const A7_UDP_HOST: &str = "UDP remoteProtocol cannot be combined with remoteHost";
pub const A8_INGRESS: &str =
    "remoteHost and TLS/HTTP remoteProtocol cannot be combined with Ingress direction";
pub const A9_WILDCARD: &str = "remoteHost does not support wildcard domains";
pub const A10_SERVICE_ACCOUNT: &str = "serviceAccount is only valid for Ambient mode when using remoteHost or remoteGenerated: Anywhere on Egress rules";
pub const MISSING_DIRECTION: &str = "direction is required: Ingress or Egress";

/// Namespaces UDS Core refuses Packages in; `""` is its `_unknown_` (no namespace).
const INVALID_NAMESPACES: &[&str] = &["kube-system", "kube-public", "pepr-system", ""];

/// UDS Core's namespace rule.
pub fn namespace_violation(pkg: &Package) -> Option<Violation> {
    INVALID_NAMESPACES.contains(&pkg.namespace()).then(|| {
        Violation::new(
            "metadata.namespace",
            Code::InvalidNamespace,
            INVALID_NAMESPACE,
        )
    })
}

/// A1–A11 and the missing `direction` for every `allow[]` entry, in array order; per entry: the
/// first failing check of A1–A10, then A11, then [`Code::MissingDirection`].
///
/// A missing `direction` comes after UDS Core's checks so that UDS Core's message leads whenever one
/// applies (in a cluster the CRD refuses such an entry before any webhook sees it).
pub fn allow_violations(pkg: &Package) -> Vec<Violation> {
    let mode = pkg.mode();
    let mut violations = Vec::new();
    // NetworkPolicy names of the entries so far.
    let mut policy_names: HashSet<String> = HashSet::new();
    for (index, allow) in pkg.allow().iter().enumerate() {
        violations.extend(entry_violation(index, allow, mode));
        let name = names::network_policy(pkg.name(), allow);
        if policy_names.contains(&name) {
            violations.push(Violation::new(
                allow_path(index, Some("description")),
                Code::DuplicateNetworkPolicy,
                duplicate_policy_message(&name),
            ));
        } else {
            policy_names.insert(name);
        }
        if allow.direction.is_none() {
            violations.push(Violation::new(
                allow_path(index, Some("direction")),
                Code::MissingDirection,
                MISSING_DIRECTION,
            ));
        }
    }
    violations
}

/// A11's message for the duplicated NetworkPolicy `name`.
pub fn duplicate_policy_message(name: &str) -> String {
    format!(
        "The combination of characteristics of this network allow rule would create a duplicate NetworkPolicy. Verify you do not have duplicate allow rules, or add a unique \"description\" field for this rule. The duplicate rule would be named \"{name}\"."
    )
}

/// Which remote fields of an entry are set, and whether its protocol is L7 (§2).
struct Remotes {
    generated: Option<RemoteGenerated>,
    namespace: bool,
    selector: bool,
    cidr: bool,
    host: bool,
    l7: bool,
}

impl Remotes {
    fn of(allow: &Allow) -> Remotes {
        Remotes {
            generated: allow.remote_generated,
            // Set whenever present, even as "" (§ terms).
            namespace: allow.remote_namespace.is_some(),
            selector: allow.remote_selector.is_some(),
            cidr: is_set(&allow.remote_cidr),
            host: allow.is_host_rule(),
            l7: allow.remote_protocol.is_some_and(Protocol::is_l7),
        }
    }
}

/// The first failing check of A1–A10 for one entry.
pub fn entry_violation(index: usize, allow: &Allow, mode: Mode) -> Option<Violation> {
    let r = Remotes::of(allow);
    let generated = r.generated.is_some();
    let at = |field: &str| allow_path(index, Some(field));
    let fail = |path: String, code: Code, message: &str| Some(Violation::new(path, code, message));

    if !(generated || r.namespace || r.selector || r.cidr || r.host) {
        return fail(
            allow_path(index, None),
            Code::RemoteRequired,
            A1_REMOTE_REQUIRED,
        );
    }
    if generated && (r.namespace || r.selector || r.cidr || r.host || r.l7) {
        return fail(
            at("remoteGenerated"),
            Code::RemoteGeneratedCombined,
            A2_REMOTE_GENERATED,
        );
    }
    if (r.namespace || r.selector) && (generated || r.cidr || r.host || r.l7) {
        let field = if r.namespace {
            "remoteNamespace"
        } else {
            "remoteSelector"
        };
        return fail(
            at(field),
            Code::RemoteNamespaceCombined,
            A3_REMOTE_NAMESPACE,
        );
    }
    if r.cidr && (generated || r.namespace || r.selector || r.host || r.l7) {
        return fail(at("remoteCidr"), Code::RemoteCidrCombined, A4_REMOTE_CIDR);
    }
    let protocol = allow.remote_protocol;
    if protocol == Some(Protocol::Udp)
        && let Some(
            tcp_only @ (RemoteGenerated::KubeAPI
            | RemoteGenerated::KubeNodes
            | RemoteGenerated::CloudMetadata),
        ) = r.generated
    {
        let message = format!(
            "UDP remoteProtocol cannot be combined with remoteGenerated KubeAPI, KubeNodes, or CloudMetadata (these endpoints are TCP-only); got: {}",
            tcp_only.as_str()
        );
        return fail(at("remoteProtocol"), Code::UdpRemoteGenerated, &message);
    }
    if protocol == Some(Protocol::Tcp) && r.host {
        return fail(at("remoteProtocol"), Code::TcpRemoteHost, A6_TCP_HOST);
    }
    if protocol == Some(Protocol::Udp) && r.host {
        return fail(at("remoteProtocol"), Code::UdpRemoteHost, A7_UDP_HOST);
    }
    if (r.host || r.l7) && allow.direction == Some(Direction::Ingress) {
        return fail(at("direction"), Code::IngressRemoteHost, A8_INGRESS);
    }
    if has_wildcard(allow) {
        return fail(at("remoteHost"), Code::WildcardHost, A9_WILDCARD);
    }
    if is_set(&allow.service_account) {
        let anywhere_egress = r.generated == Some(RemoteGenerated::Anywhere) && allow.is_egress();
        if !(mode == Mode::Ambient && (r.host || anywhere_egress)) {
            return fail(
                at("serviceAccount"),
                Code::ServiceAccountScope,
                A10_SERVICE_ACCOUNT,
            );
        }
    }
    None
}

/// A9's condition: the entry's `remoteHost` contains `*`. The hostname rules skip such entries.
pub fn has_wildcard(allow: &Allow) -> bool {
    allow.host().is_some_and(|host| host.contains('*'))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::parse::package_from_value;

    fn package(namespace: Option<&str>, mode: Option<&str>, allow: Value) -> Package {
        let mut metadata = json!({"name": "app"});
        if let Some(ns) = namespace {
            metadata["namespace"] = json!(ns);
        }
        let mut network = json!({"allow": allow});
        if let Some(mode) = mode {
            network["serviceMesh"] = json!({"mode": mode});
        }
        package_from_value(&json!({"metadata": metadata, "spec": {"network": network}}))
            .expect("test package parses")
    }

    /// Violations of a one-entry ambient Package in namespace `app`.
    fn one(entry: Value) -> Vec<(String, Code, String)> {
        entries(Some("ambient"), json!([entry]))
    }

    fn entries(mode: Option<&str>, allow: Value) -> Vec<(String, Code, String)> {
        allow_violations(&package(Some("app"), mode, allow))
            .into_iter()
            .map(|v| (v.path, v.code, v.message))
            .collect()
    }

    fn expect(path: &str, code: Code, message: &str) -> Vec<(String, Code, String)> {
        vec![(path.to_string(), code, message.to_string())]
    }

    #[test]
    fn namespace_rule() {
        for bad in [
            Some("kube-system"),
            Some("kube-public"),
            Some("pepr-system"),
            Some(""),
            None,
        ] {
            let violation = namespace_violation(&package(bad, None, json!([])));
            assert_eq!(
                violation,
                Some(Violation::new(
                    "metadata.namespace",
                    Code::InvalidNamespace,
                    "invalid namespace"
                )),
                "{bad:?}"
            );
        }
        for good in ["app", "default", "kube-system-2"] {
            assert_eq!(
                namespace_violation(&package(Some(good), None, json!([]))),
                None,
                "{good}"
            );
        }
    }

    #[test]
    fn valid_entries_pass() {
        let allow = json!([
            {"direction": "Egress", "remoteHost": "example.com", "port": 443, "description": "a"},
            {"direction": "Egress", "remoteGenerated": "Anywhere", "serviceAccount": "sa"},
            {"direction": "Ingress", "remoteNamespace": "", "remoteProtocol": "TCP"},
            {"direction": "Egress", "remoteCidr": "10.0.0.0/8", "remoteProtocol": "UDP"},
            {"direction": "Egress", "remoteGenerated": "IntraNamespace", "remoteProtocol": "UDP"},
        ]);
        assert_eq!(entries(None, allow), vec![]);
    }

    #[test]
    fn a1_requires_a_remote() {
        assert_eq!(
            one(json!({"direction": "Egress", "remoteHost": "", "remoteCidr": ""})),
            expect(
                "spec.network.allow[0]",
                Code::RemoteRequired,
                A1_REMOTE_REQUIRED
            )
        );
        assert_eq!(
            A1_REMOTE_REQUIRED,
            "network allow rules must specify a remote: remoteGenerated, remoteNamespace, remoteSelector, remoteCidr, or remoteHost"
        );
        // An empty remoteNamespace or remoteSelector counts as set.
        assert_eq!(
            one(json!({"direction": "Egress", "remoteNamespace": ""})),
            vec![]
        );
        assert_eq!(
            one(json!({"direction": "Egress", "remoteSelector": {}})),
            vec![]
        );
    }

    #[test]
    fn a2_remote_generated_alone() {
        let a2 = expect(
            "spec.network.allow[0].remoteGenerated",
            Code::RemoteGeneratedCombined,
            "remoteGenerated cannot be combined with remoteNamespace, remoteSelector, remoteCidr, remoteHost, or TLS/HTTP remoteProtocol",
        );
        for other in [
            json!({"remoteHost": "example.com"}),
            json!({"remoteNamespace": ""}),
            json!({"remoteSelector": {}}),
            json!({"remoteCidr": "10.0.0.0/8"}),
            json!({"remoteProtocol": "TLS"}),
            json!({"remoteProtocol": "HTTP"}),
        ] {
            let mut entry = json!({"direction": "Egress", "remoteGenerated": "KubeAPI"});
            entry
                .as_object_mut()
                .expect("object")
                .extend(other.as_object().cloned().expect("object"));
            assert_eq!(one(entry), a2, "{other}");
        }
        assert_eq!(
            one(
                json!({"direction": "Egress", "remoteGenerated": "KubeAPI", "remoteProtocol": "TCP"})
            ),
            vec![]
        );
    }

    #[test]
    fn a3_remote_namespace_or_selector_alone() {
        let message = "remoteNamespace and remoteSelector cannot be combined with remoteGenerated, remoteCidr, remoteHost, or TLS/HTTP remoteProtocol";
        assert_eq!(
            one(json!({"direction": "Egress", "remoteNamespace": "", "remoteHost": "example.com"})),
            expect(
                "spec.network.allow[0].remoteNamespace",
                Code::RemoteNamespaceCombined,
                message
            )
        );
        assert_eq!(
            one(
                json!({"direction": "Egress", "remoteSelector": {"app": "x"}, "remoteProtocol": "TLS"})
            ),
            expect(
                "spec.network.allow[0].remoteSelector",
                Code::RemoteNamespaceCombined,
                message
            )
        );
        assert_eq!(
            one(json!({"direction": "Egress", "remoteNamespace": "a", "remoteCidr": "10.0.0.0/8"})),
            expect(
                "spec.network.allow[0].remoteNamespace",
                Code::RemoteNamespaceCombined,
                message
            )
        );
        // A deprecated remotePodLabels becomes remoteSelector before the rules run.
        assert_eq!(
            one(json!({"direction": "Egress", "remotePodLabels": {}, "remoteHost": "example.com"})),
            expect(
                "spec.network.allow[0].remoteSelector",
                Code::RemoteNamespaceCombined,
                message
            )
        );
    }

    #[test]
    fn a4_remote_cidr_alone() {
        let a4 = expect(
            "spec.network.allow[0].remoteCidr",
            Code::RemoteCidrCombined,
            "remoteCidr cannot be combined with remoteGenerated, remoteNamespace, remoteSelector, remoteHost, or TLS/HTTP remoteProtocol",
        );
        assert_eq!(
            one(
                json!({"direction": "Egress", "remoteCidr": "10.0.0.0/8", "remoteHost": "example.com"})
            ),
            a4
        );
        assert_eq!(
            one(
                json!({"direction": "Egress", "remoteCidr": "10.0.0.0/8", "remoteProtocol": "HTTP"})
            ),
            a4
        );
    }

    #[test]
    fn a5_udp_with_tcp_only_generated_remotes() {
        for generated in ["KubeAPI", "KubeNodes", "CloudMetadata"] {
            assert_eq!(
                one(
                    json!({"direction": "Egress", "remoteGenerated": generated, "remoteProtocol": "UDP"})
                ),
                expect(
                    "spec.network.allow[0].remoteProtocol",
                    Code::UdpRemoteGenerated,
                    &format!(
                        "UDP remoteProtocol cannot be combined with remoteGenerated KubeAPI, KubeNodes, or CloudMetadata (these endpoints are TCP-only); got: {generated}"
                    )
                )
            );
        }
        assert_eq!(
            one(
                json!({"direction": "Egress", "remoteGenerated": "Anywhere", "remoteProtocol": "UDP"})
            ),
            vec![]
        );
    }

    #[test]
    fn a6_a7_tcp_and_udp_hosts() {
        assert_eq!(
            one(
                json!({"direction": "Egress", "remoteHost": "example.com", "remoteProtocol": "TCP"})
            ),
            expect(
                "spec.network.allow[0].remoteProtocol",
                Code::TcpRemoteHost,
                "TCP remoteProtocol cannot be combined with remoteHost; use TLS or HTTP for external egress"
            )
        );
        assert_eq!(
            one(
                json!({"direction": "Egress", "remoteHost": "example.com", "remoteProtocol": "UDP"})
            ),
            expect(
                "spec.network.allow[0].remoteProtocol",
                Code::UdpRemoteHost,
                "UDP remoteProtocol cannot be combined with remoteHost"
            )
        );
    }

    #[test]
    fn a8_host_or_l7_on_ingress() {
        let a8 = expect(
            "spec.network.allow[0].direction",
            Code::IngressRemoteHost,
            "remoteHost and TLS/HTTP remoteProtocol cannot be combined with Ingress direction",
        );
        assert_eq!(
            one(json!({"direction": "Ingress", "remoteHost": "example.com"})),
            a8
        );
        assert_eq!(
            one(
                json!({"direction": "Ingress", "remoteGenerated": "Anywhere", "remoteProtocol": "TLS"})
            ),
            expect(
                "spec.network.allow[0].remoteGenerated",
                Code::RemoteGeneratedCombined,
                A2_REMOTE_GENERATED
            ),
            "A2 comes first"
        );
        assert_eq!(
            one(json!({"direction": "Ingress", "remoteNamespace": "x"})),
            vec![]
        );
    }

    #[test]
    fn a9_wildcards() {
        let a9 = expect(
            "spec.network.allow[0].remoteHost",
            Code::WildcardHost,
            "remoteHost does not support wildcard domains",
        );
        assert_eq!(
            one(json!({"direction": "Egress", "remoteHost": "*.example.com"})),
            a9
        );
        assert_eq!(one(json!({"direction": "Egress", "remoteHost": "a.*"})), a9);
        // Multi-byte characters around the star: no slicing, no panic.
        assert_eq!(one(json!({"direction": "Egress", "remoteHost": "é*ü"})), a9);
    }

    #[test]
    fn a10_service_account_scope() {
        let a10 = expect(
            "spec.network.allow[0].serviceAccount",
            Code::ServiceAccountScope,
            "serviceAccount is only valid for Ambient mode when using remoteHost or remoteGenerated: Anywhere on Egress rules",
        );
        let host =
            json!([{"direction": "Egress", "remoteHost": "example.com", "serviceAccount": "sa"}]);
        assert_eq!(entries(Some("sidecar"), host.clone()), a10);
        assert_eq!(entries(Some("ambient"), host.clone()), vec![]);
        // Absent and empty mode mean ambient.
        assert_eq!(entries(None, host.clone()), vec![]);
        assert_eq!(entries(Some(""), host), vec![]);

        let anywhere_in =
            json!({"direction": "Ingress", "remoteGenerated": "Anywhere", "serviceAccount": "sa"});
        assert_eq!(one(anywhere_in), a10);
        let namespace =
            json!({"direction": "Egress", "remoteNamespace": "x", "serviceAccount": "sa"});
        assert_eq!(one(namespace), a10);
        // An empty serviceAccount is not set.
        let empty = json!([{"direction": "Egress", "remoteNamespace": "x", "serviceAccount": ""}]);
        assert_eq!(entries(Some("sidecar"), empty), vec![]);
    }

    #[test]
    fn only_the_first_of_a1_to_a10_per_entry() {
        // A6 (TCP host), A8 (Ingress) and A9 (wildcard) all apply: A6 is reported.
        let entry = json!({"direction": "Ingress", "remoteHost": "*.x.com", "remoteProtocol": "TCP",
            "serviceAccount": "sa"});
        assert_eq!(
            one(entry),
            expect(
                "spec.network.allow[0].remoteProtocol",
                Code::TcpRemoteHost,
                A6_TCP_HOST
            )
        );
    }

    #[test]
    fn a11_duplicate_network_policy() {
        let allow = json!([
            {"direction": "Egress", "remoteHost": "a.com", "selector": {"app": "curl"}},
            {"direction": "Egress", "remoteHost": "b.com", "selector": {"app": "curl"}},
            {"direction": "Egress", "remoteHost": "c.com", "selector": {"app": "curl"}, "description": "c"},
        ]);
        assert_eq!(
            entries(None, allow),
            expect(
                "spec.network.allow[1].description",
                Code::DuplicateNetworkPolicy,
                "The combination of characteristics of this network allow rule would create a duplicate NetworkPolicy. Verify you do not have duplicate allow rules, or add a unique \"description\" field for this rule. The duplicate rule would be named \"allow-app-egress-curl-all-pods-tcp\"."
            )
        );
    }

    #[test]
    fn a11_tells_absent_selector_from_empty_selector() {
        let distinct = json!([
            {"direction": "Egress", "remoteHost": "a.com"},
            {"direction": "Egress", "remoteHost": "b.com", "selector": {}},
        ]);
        assert_eq!(entries(None, distinct), vec![]);
        let same = json!([
            {"direction": "Egress", "remoteHost": "a.com", "selector": {}},
            {"direction": "Egress", "remoteHost": "b.com", "selector": {}},
        ]);
        let found = entries(None, same);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, Code::DuplicateNetworkPolicy);
        assert!(
            found[0].2.ends_with("\"allow-app-egress-all-pods-tcp\"."),
            "{}",
            found[0].2
        );
    }

    #[test]
    fn a11_is_reported_besides_an_earlier_check() {
        let allow = json!([
            {"direction": "Egress", "remoteHost": "a.com"},
            {"direction": "Egress", "remoteHost": "*.b.com"},
        ]);
        let codes: Vec<Code> = entries(None, allow).into_iter().map(|v| v.1).collect();
        assert_eq!(
            codes,
            vec![Code::WildcardHost, Code::DuplicateNetworkPolicy]
        );
    }

    #[test]
    fn missing_direction_follows_uds_core_checks() {
        assert_eq!(
            one(json!({"remoteHost": "example.com"})),
            expect(
                "spec.network.allow[0].direction",
                Code::MissingDirection,
                "direction is required: Ingress or Egress"
            )
        );
        let codes: Vec<Code> = one(json!({})).into_iter().map(|v| v.1).collect();
        assert_eq!(codes, vec![Code::RemoteRequired, Code::MissingDirection]);
    }
}
