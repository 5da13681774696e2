//! Context-aware checks: what can only be judged against other objects in the cluster.
//!
//! - through the core's `ConflictIndex`, fed with every other Package: UDS Core's
//!   one-Package-per-namespace rule (semantics §2, rule 2), cross-package protocol conflicts
//!   (§8.2.4) and shared-object name collisions between different hosts. The Package under review
//!   (same namespace and name) is left out, so an UPDATE never conflicts with its own stored
//!   version;
//! - hosts of sidecar-mode host rules already claimed by a Gateway or VirtualService that uds-egress
//!   does not own (§8.2.5), with UDS Core's reconcile-time messages;
//! - for an admitted Package, the targets its rules open for other Packages' workloads through
//!   shared objects (`shared_reach`): warnings, not violations.

use std::collections::HashSet;

use uds_egress_core::model::{Mode, Package};
use uds_egress_core::names::{EGRESS_GATEWAY_NAMESPACE, gateway, virtual_service};
use uds_egress_core::normal_host::{normal_form, same_host};
use uds_egress_core::rules::conflict_scope::ConflictScope;
use uds_egress_core::rules::conflicts::ConflictIndex;
use uds_egress_core::violation::{Code, Violation, allow_path};

use crate::cluster::{Cluster, Listing, LookupError};
use crate::listed::{self, HostClaim};
use crate::shared_reach::shared_reach_warnings;
use crate::sieve::Sieve;

/// What the cluster says about a Package: its violations and, when it has none, the warnings
/// that need other Packages (issue 15: reach opened for them through shared objects).
#[derive(Debug, Default, PartialEq)]
pub struct ContextReview {
    pub violations: Vec<Violation>,
    pub warnings: Vec<String>,
}

impl ContextReview {
    fn refused(violations: Vec<Violation>) -> ContextReview {
        ContextReview {
            violations,
            warnings: Vec::new(),
        }
    }
}

/// The context review of `package`, or the first lookup that failed.
pub fn context_review(
    package: &Package,
    cluster: &dyn Cluster,
) -> Result<ContextReview, LookupError> {
    review_of(package, cluster, Listed::Sieved)
}

/// Which listed Packages are parsed: those the [`Sieve`] keeps, or (to test that the sieve
/// changes no answer) all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Listed {
    Sieved,
    #[cfg(test)]
    All,
}

fn review_of(
    package: &Package,
    cluster: &dyn Cluster,
    listed: Listed,
) -> Result<ContextReview, LookupError> {
    // Only the Packages that can take part in a conflict are indexed: the answer is the same
    // (see `ConflictScope`), and the cost no longer grows with every Package in the cluster.
    // The sieve finds them in the reply's bytes, so the others are not even parsed. The same
    // Packages are all the shared-reach warning needs: those naming one of the reviewed hosts.
    let scope = ConflictScope::of(package);
    let sieve = Sieve::of(package);
    let reply = cluster.list(Listing::Packages)?;
    let parsed = match listed {
        Listed::Sieved => listed::packages_where(&reply, |item| sieve.keeps(item))?,
        #[cfg(test)]
        Listed::All => listed::packages(&reply)?,
    };
    let is_reviewed = |other: &Package| {
        other.namespace() == package.namespace() && other.name() == package.name()
    };
    let mut stored = None;
    let mut others: Vec<Package> = Vec::new();
    for other in parsed {
        if is_reviewed(&other) {
            stored = Some(other);
        } else if scope.touches(&other) {
            others.push(other);
        }
    }
    // The host returns objects in no stable order; sorting keeps messages deterministic.
    others.sort_by(|a, b| (a.namespace(), a.name()).cmp(&(b.namespace(), b.name())));

    let mut index = ConflictIndex::new();
    for other in &others {
        index.admit(other);
    }
    let violations = index.check(package);
    // Already refused: the Istio lookups would only cost time.
    if !violations.is_empty() {
        return Ok(ContextReview::refused(violations));
    }
    if package.mode() == Mode::Sidecar && package.has_host_rules() {
        let mut violations = Vec::new();
        for claimant in [&Claimant::GATEWAY, &Claimant::VIRTUAL_SERVICE] {
            let reply = cluster.list(claimant.listing)?;
            let claims = listed::foreign_claims(claimant.listing, &reply)?;
            violations.extend(foreign_claims(package, claimant, &claims));
        }
        if !violations.is_empty() {
            return Ok(ContextReview::refused(violations));
        }
    }
    Ok(ContextReview {
        violations: Vec::new(),
        warnings: shared_reach_warnings(package, stored.as_ref(), &others),
    })
}

/// How one kind of Istio object claims hosts, and how UDS Core words a clash with it.
struct Claimant {
    listing: Listing,
    code: Code,
    /// `Gateway`, `Virtual Service`: as in UDS Core's messages.
    label: &'static str,
    plural: &'static str,
    /// The name uds-egress gives its own object for a host, in `istio-egress-gateway`.
    own_name: fn(&str) -> String,
}

impl Claimant {
    const GATEWAY: Claimant = Claimant {
        listing: Listing::Gateways,
        code: Code::ForeignGatewayHost,
        label: "Gateway",
        plural: "Gateways",
        own_name: gateway,
    };
    const VIRTUAL_SERVICE: Claimant = Claimant {
        listing: Listing::VirtualServices,
        code: Code::ForeignVirtualServiceHost,
        label: "Virtual Service",
        plural: "Virtual Services",
        own_name: virtual_service,
    };
}

/// One violation per (host, foreign object claiming it), at the host's first rule. Hosts compare
/// in the core's normal form, as DNS names do (the Package's host is already in it, written by
/// the mutation; a foreign object's is as its owner wrote it).
fn foreign_claims(
    package: &Package,
    claimant: &Claimant,
    objects: &[HostClaim<'_>],
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (index, allow) in package.host_rules() {
        let Some(host) = allow.host() else { continue };
        if !seen.insert(normal_form(host)) {
            continue;
        }
        let own = (claimant.own_name)(host);
        // A linear scan: the lists hold only foreign objects, and a Package has few hosts.
        let mut foreign: Vec<(&str, &str)> = objects
            .iter()
            .filter(|object| object.hosts.iter().any(|h| same_host(h, host)))
            .map(|object| (object.namespace.as_ref(), object.name.as_ref()))
            .filter(|(namespace, name)| !(*namespace == EGRESS_GATEWAY_NAMESPACE && *name == own))
            .collect();
        foreign.sort_unstable();
        foreign.dedup();
        for (namespace, name) in foreign {
            violations.push(Violation::new(
                allow_path(index, Some("remoteHost")),
                claimant.code,
                format!(
                    "Found existing {label} {name}/{namespace} with matching host. Istio will not behave properly with multiple {plural} using the same hosts.",
                    label = claimant.label,
                    plural = claimant.plural,
                ),
            ));
        }
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Listing as List;
    use crate::fake_cluster::{FakeCluster as Fake, object};
    use serde_json::{Value, json};
    use uds_egress_core::parse::package_from_value;

    fn stored(namespace: &str, name: &str, mode: &str, allow: Value) -> Value {
        object(
            namespace,
            name,
            None,
            json!({"network": {"serviceMesh": {"mode": mode}, "allow": allow}}),
        )
    }

    fn pkg(namespace: &str, name: &str, mode: &str, allow: Value) -> Package {
        package_from_value(&json!({
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}}
        }))
        .unwrap()
    }

    fn context_violations(
        package: &Package,
        cluster: &dyn Cluster,
    ) -> Result<Vec<Violation>, LookupError> {
        context_review(package, cluster).map(|review| review.violations)
    }

    fn github(protocol: &str, port: u16) -> Value {
        json!([{"direction": "Egress", "selector": {"app": "x"}, "remoteHost": "api.github.com",
                "remoteProtocol": protocol, "port": port}])
    }

    #[test]
    fn another_package_in_the_namespace_is_refused() {
        let cluster = Fake {
            packages: vec![stored("shop", "first", "ambient", json!([]))],
            ..Fake::default()
        };
        let violations =
            context_violations(&pkg("shop", "second", "ambient", json!([])), &cluster).unwrap();
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].code, Code::PackageExistsInNamespace);
        assert_eq!(
            violations[0].message,
            "A package with the name \"first\" already exists in the namespace \"shop\". Only one package can exist in a namespace."
        );
        let mut deleting = pkg("shop", "second", "ambient", json!([]));
        deleting.metadata.deletion_timestamp = Some("2026-01-01T00:00:00Z".into());
        assert!(context_violations(&deleting, &cluster).unwrap().is_empty());
    }

    #[test]
    fn the_package_under_review_is_excluded() {
        let cluster = Fake {
            packages: vec![stored("shop", "app", "sidecar", github("HTTP", 443))],
            ..Fake::default()
        };
        let update = pkg("shop", "app", "sidecar", github("TLS", 443));
        assert!(context_violations(&update, &cluster).unwrap().is_empty());
    }

    #[test]
    fn a_protocol_conflict_with_another_package_is_refused() {
        let cluster = Fake {
            packages: vec![stored("other", "web", "sidecar", github("HTTP", 443))],
            ..Fake::default()
        };
        let violations =
            context_violations(&pkg("shop", "app", "sidecar", github("TLS", 443)), &cluster)
                .unwrap();
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].code, Code::ProtocolConflict);
        // Same host in the other mode: no conflict (the modes' maps are independent).
        let ambient =
            context_violations(&pkg("shop", "app", "ambient", github("TLS", 443)), &cluster)
                .unwrap();
        assert!(ambient.is_empty(), "{ambient:?}");
    }

    #[test]
    fn unparseable_stored_packages_are_ignored() {
        let broken = object(
            "other",
            "web",
            None,
            json!({"network": {"allow": "nonsense"}}),
        );
        let cluster = Fake {
            packages: vec![broken],
            ..Fake::default()
        };
        assert!(
            context_violations(&pkg("shop", "app", "sidecar", github("TLS", 443)), &cluster)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn foreign_gateways_and_virtual_services_claiming_the_host() {
        let cluster = Fake {
            gateways: vec![
                object(
                    "istio-egress-gateway",
                    "gateway-api-github-com",
                    None,
                    json!({"servers": [{"hosts": ["api.github.com"]}]}),
                ),
                object(
                    "istio-egress-gateway",
                    "renamed",
                    Some(json!({"app.kubernetes.io/managed-by": "uds-egress"})),
                    json!({"servers": [{"hosts": ["api.github.com"]}]}),
                ),
                object(
                    "istio-system",
                    "public",
                    None,
                    json!({"servers": [{"hosts": ["other.com"]}, {"hosts": ["API.github.com"]}]}),
                ),
            ],
            virtual_services: vec![
                object(
                    "istio-egress-gateway",
                    "egress-vs-api-github-com",
                    None,
                    json!({"hosts": ["api.github.com"]}),
                ),
                object("team", "vs", None, json!({"hosts": ["api.github.com"]})),
            ],
            ..Fake::default()
        };
        let violations =
            context_violations(&pkg("shop", "app", "sidecar", github("TLS", 443)), &cluster)
                .unwrap();
        let got: Vec<(&str, Code, &str)> = violations
            .iter()
            .map(|v| (v.path.as_str(), v.code, v.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "spec.network.allow[0].remoteHost",
                    Code::ForeignGatewayHost,
                    "Found existing Gateway public/istio-system with matching host. Istio will not behave properly with multiple Gateways using the same hosts."
                ),
                (
                    "spec.network.allow[0].remoteHost",
                    Code::ForeignVirtualServiceHost,
                    "Found existing Virtual Service vs/team with matching host. Istio will not behave properly with multiple Virtual Services using the same hosts."
                ),
            ]
        );
    }

    #[test]
    fn istio_objects_are_only_read_for_sidecar_host_rules() {
        let cluster = Fake {
            fail: Some(List::Gateways),
            ..Fake::default()
        };
        assert!(
            context_violations(&pkg("shop", "app", "ambient", github("TLS", 443)), &cluster)
                .is_ok()
        );
        assert!(context_violations(&pkg("shop", "app", "sidecar", json!([])), &cluster).is_ok());
        assert_eq!(cluster.calls.get(), 2);
    }

    #[test]
    fn a_package_refused_by_the_index_costs_no_istio_lookups() {
        let cluster = Fake {
            packages: vec![stored("web", "web", "sidecar", github("HTTP", 443))],
            fail: Some(List::Gateways),
            ..Fake::default()
        };
        let violations =
            context_violations(&pkg("shop", "app", "sidecar", github("TLS", 443)), &cluster)
                .unwrap();
        assert_eq!(violations.len(), 1);
        assert_eq!(cluster.calls.get(), 1);
    }

    #[test]
    fn a_failed_lookup_is_returned() {
        for which in [List::Packages, List::Gateways, List::VirtualServices] {
            let cluster = Fake {
                fail: Some(which),
                ..Fake::default()
            };
            let err =
                context_violations(&pkg("shop", "app", "sidecar", github("TLS", 443)), &cluster)
                    .unwrap_err();
            assert_eq!(err.what, format!("{which:?}"));
        }
    }

    /// The sieve changes no answer: on random clusters (shared and colliding hosts, shared
    /// namespaces, both modes, items written with JSON escapes), the violations and warnings with
    /// and without it are equal, messages and order included.
    mod sieved_equals_all {
        use super::*;
        use proptest::prelude::*;

        /// A reply of Packages written as given: some items carry escapes a host might send.
        struct Written(Vec<u8>);

        impl Cluster for Written {
            fn list(&self, listing: Listing) -> Result<Vec<u8>, LookupError> {
                Ok(match listing {
                    Listing::Packages => self.0.clone(),
                    _ => listing.reply(&[]),
                })
            }
        }

        const HOSTS: [&str; 9] = [
            "api.github.com",
            "API.GitHub.com",
            "api-github.com",
            "api.github.com1",
            "github.com",
            "other.io",
            "1.2.3",
            "\u{212a}.io",
            "k.io",
        ];

        fn rule() -> impl Strategy<Value = Value> {
            (0..HOSTS.len(), prop::sample::select(vec!["HTTP", "TLS"]), prop::bool::ANY).prop_map(
                |(host, protocol, http_port)| {
                    json!({"direction": "Egress", "selector": {"app": "x"}, "remoteHost": HOSTS[host],
                           "remoteProtocol": protocol, "port": if http_port { 80 } else { 443 }})
                },
            )
        }

        /// Namespace, name, mode and `allow[]`.
        type Stored = (String, String, String, Vec<Value>);

        fn package() -> impl Strategy<Value = Stored> {
            (
                prop::sample::select(vec!["shop", "web", "team", "api"]),
                prop::sample::select(vec!["app", "web", "other"]),
                prop::sample::select(vec!["sidecar", "ambient"]),
                prop::collection::vec(rule(), 0..4),
            )
                .prop_map(|(namespace, name, mode, allow)| {
                    (namespace.into(), name.into(), mode.into(), allow)
                })
        }

        /// The reply, each item escaped (`api` written `\u0061pi`) when its flag says so.
        fn reply(items: &[(Stored, bool)]) -> Vec<u8> {
            let written: Vec<String> = items
                .iter()
                .map(|((namespace, name, mode, allow), escaped)| {
                    let text =
                        stored(namespace, name, mode, Value::Array(allow.clone())).to_string();
                    if *escaped {
                        text.replace("api", "\\u0061pi")
                    } else {
                        text
                    }
                })
                .collect();
            format!(
                r#"{{"apiVersion":"uds.dev/v1alpha1","kind":"PackageList","metadata":{{}},"items":[{}]}}"#,
                written.join(",")
            )
            .into_bytes()
        }

        proptest! {
            #[test]
            fn reviews_are_equal(
                review in package(),
                items in prop::collection::vec((package(), prop::bool::ANY), 0..24),
            ) {
                let (namespace, name, mode, allow) = review;
                let review = pkg(&namespace, &name, &mode, Value::Array(allow));
                let cluster = Written(reply(&items));
                let all = review_of(&review, &cluster, Listed::All).unwrap();
                let sieved = review_of(&review, &cluster, Listed::Sieved).unwrap();
                prop_assert_eq!(sieved, all);
            }
        }
    }
}
