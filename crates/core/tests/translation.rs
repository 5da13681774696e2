//! Translation of Package sets: aggregation, deletion, mode switches, ambient identities, and
//! which of two conflicting Packages wins.

use serde_json::{Value, json};
use uds_egress_core::parse::package_from_value;
use uds_egress_core::{DesiredState, GeneratedObject, Package, RuleConfig, desired_state};

fn package(name: &str, ns: &str, mode: &str, allow: Value) -> Package {
    package_from_value(&json!({
        "apiVersion": "uds.dev/v1alpha1", "kind": "Package",
        "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{name}"), "generation": 3},
        "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}}
    }))
    .expect("test Package parses")
}

fn host(host: &str, extra: Value) -> Value {
    let mut entry =
        json!({"direction": "Egress", "remoteHost": host, "description": format!("to {host}")});
    if let (Some(entry), Some(extra)) = (entry.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            entry.insert(k.clone(), v.clone());
        }
    }
    entry
}

fn render(packages: &[Package]) -> DesiredState {
    desired_state(packages, &RuleConfig::default())
}

fn find<'a>(
    state: &'a DesiredState,
    ns: &str,
    kind: &str,
    name: &str,
) -> Option<&'a GeneratedObject> {
    state
        .objects
        .iter()
        .find(|o| o.key.namespace == ns && o.key.kind == kind && o.key.name == name)
}

fn get<'a>(state: &'a DesiredState, ns: &str, kind: &str, name: &str) -> &'a Value {
    &find(state, ns, kind, name)
        .unwrap_or_else(|| panic!("{ns}/{kind}/{name} missing from {:#?}", keys(state)))
        .manifest
}

fn keys(state: &DesiredState) -> Vec<String> {
    state
        .objects
        .iter()
        .map(|o| format!("{}/{}/{}", o.key.namespace, o.key.kind, o.key.name))
        .collect()
}

fn annotation_keys(object: &Value) -> Vec<String> {
    object["metadata"]["annotations"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// A sidecar-mode Package with one HTTP rule to example.com on `port`.
fn http_on_example_com(name: &str, ns: &str, port: u16) -> Package {
    package(
        name,
        ns,
        "sidecar",
        json!([host(
            "example.com",
            json!({"remoteProtocol": "HTTP", "port": port})
        )]),
    )
}

const GW: &str = "istio-egress-gateway";
const AMB: &str = "istio-egress-ambient";

#[test]
fn shared_sidecar_objects_aggregate_pairs_and_owners_in_canonical_order() {
    let b = http_on_example_com("b", "ns-b", 80);
    let a = package(
        "a",
        "ns-a",
        "sidecar",
        json!([host("example.com", json!({"ports": [443]}))]),
    );
    let state = render(&[b, a]);
    assert!(state.refused.is_empty(), "{:?}", state.refused);
    let gateway = get(&state, GW, "Gateway", "gateway-example-com");
    assert_eq!(
        annotation_keys(gateway),
        vec!["uds.dev/user-a-ns-a", "uds.dev/user-b-ns-b"],
        "contributors sorted by namespace, then name"
    );
    let ports: Vec<&Value> = gateway["spec"]["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["port"]["name"])
        .collect();
    assert_eq!(ports, vec!["tls-443", "http-80"], "a's pairs first");
    let vs = get(&state, GW, "VirtualService", "egress-vs-example-com");
    assert_eq!(vs["spec"]["tls"].as_array().map(Vec::len), Some(2));
    assert_eq!(vs["spec"]["http"].as_array().map(Vec::len), Some(2));
    assert!(vs["spec"]["http"][0]["match"][0].get("sniHosts").is_none());
    let se = get(&state, GW, "ServiceEntry", "service-entry-example-com");
    assert_eq!(se["spec"]["ports"].as_array().map(Vec::len), Some(2));
    // Each Package keeps its own local objects.
    get(
        &state,
        "ns-a",
        "ServiceEntry",
        "a-egress-example-com-443-tls",
    );
    get(
        &state,
        "ns-b",
        "ServiceEntry",
        "b-egress-example-com-80-http",
    );
    get(&state, "ns-a", "Sidecar", "a-egress-default");
}

#[test]
fn deleting_a_package_removes_its_contribution_only() {
    let a = package(
        "a",
        "ns-a",
        "sidecar",
        json!([
            host("example.com", json!({"port": 443})),
            host("only-a.com", json!({}))
        ]),
    );
    let b = http_on_example_com("b", "ns-b", 80);
    let both = render(&[a, b.clone()]);
    let only_b = render(&[b]);
    assert!(find(&both, GW, "Gateway", "gateway-only-a-com").is_some());
    assert!(find(&only_b, GW, "Gateway", "gateway-only-a-com").is_none());
    assert!(only_b.objects.iter().all(|o| o.key.namespace != "ns-a"));
    let gateway = get(&only_b, GW, "Gateway", "gateway-example-com");
    assert_eq!(annotation_keys(gateway), vec!["uds.dev/user-b-ns-b"]);
    assert_eq!(gateway["spec"]["servers"].as_array().map(Vec::len), Some(1));
    assert!(render(&[]).objects.is_empty());
}

#[test]
fn a_mode_switch_moves_every_object() {
    let rules = json!([host("example.com", json!({"selector": {"app": "curl"}}))]);
    let sidecar = render(&[package("a", "ns-a", "sidecar", rules.clone())]);
    let ambient = render(&[package("a", "ns-a", "ambient", rules)]);
    assert!(find(&sidecar, "ns-a", "Sidecar", "a-egress-app-curl").is_some());
    assert!(find(&ambient, "ns-a", "Sidecar", "a-egress-app-curl").is_none());
    assert!(ambient.objects.iter().all(|o| o.key.namespace != GW));
    assert!(sidecar.objects.iter().all(|o| o.key.namespace != AMB));
    get(&ambient, AMB, "ServiceEntry", "ambient-se-example-com");
    get(&ambient, AMB, "Gateway", "egress-waypoint");
    let peer = |state: &DesiredState| {
        get(state, "ns-a", "NetworkPolicy", "allow-a-egress-to-example-com")["spec"]["egress"][0]["to"][0]
            ["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            .clone()
    };
    assert_eq!(peer(&sidecar), GW);
    assert_eq!(peer(&ambient), AMB);
}

#[test]
fn ambient_identities_merge_sorted_per_port() {
    let a = package(
        "a",
        "ns-a",
        "ambient",
        json!([
            host(
                "example.com",
                json!({"ports": [443, 8443], "serviceAccount": "zeta"})
            ),
            host(
                "example.com",
                json!({"port": 443, "serviceAccount": "alpha", "description": "second"})
            ),
        ]),
    );
    let b = package(
        "b",
        "ns-b",
        "ambient",
        json!([host("example.com", json!({"port": 443}))]),
    );
    let probe = package(
        "probe",
        "ns-p",
        "ambient",
        json!([
            {"direction": "Egress", "remoteGenerated": "Anywhere", "port": 8443, "serviceAccount": "probe", "description": "probe"},
            {"direction": "Egress", "remoteGenerated": "Anywhere", "description": "all ports"},
            {"direction": "Egress", "remoteGenerated": "Anywhere", "remoteProtocol": "UDP", "description": "udp ignored", "port": 53},
        ]),
    );
    let state = render(&[probe, b, a]);
    assert!(state.refused.is_empty(), "{:?}", state.refused);
    let ap = get(&state, AMB, "AuthorizationPolicy", "ambient-ap-example-com");
    assert_eq!(
        ap["spec"]["rules"],
        json!([
            {"from": [
                {"source": {"principals": ["cluster.local/ns/ns-a/sa/alpha", "cluster.local/ns/ns-a/sa/zeta"]}},
                {"source": {"namespaces": ["ns-b", "ns-p"]}}],
             "to": [{"operation": {"ports": ["443"]}}]},
            {"from": [
                {"source": {"principals": ["cluster.local/ns/ns-a/sa/zeta", "cluster.local/ns/ns-p/sa/probe"]}},
                {"source": {"namespaces": ["ns-p"]}}],
             "to": [{"operation": {"ports": ["8443"]}}]}
        ])
    );
    // Only the Packages that declared the host annotate it, and only those with a host rule
    // annotate the waypoint: the probe takes part in the rules but is listed nowhere.
    assert_eq!(
        annotation_keys(ap),
        vec!["uds.dev/user-a-ns-a", "uds.dev/user-b-ns-b"]
    );
    let waypoint = get(&state, AMB, "Gateway", "egress-waypoint");
    assert_eq!(
        annotation_keys(waypoint),
        vec!["uds.dev/user-a-ns-a", "uds.dev/user-b-ns-b"]
    );
    let se = get(&state, AMB, "ServiceEntry", "ambient-se-example-com");
    let ports: Vec<u64> = se["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["number"].as_u64())
        .collect();
    assert_eq!(ports, vec![443, 8443]);
}

/// An ambient Package whose only egress is `remoteGenerated: Anywhere` (on 443).
fn anywhere_only(name: &str, ns: &str) -> Package {
    package(
        name,
        ns,
        "ambient",
        json!([{"direction": "Egress", "remoteGenerated": "Anywhere", "port": 443, "description": "probe"}]),
    )
}

/// An ambient Package with no egress to anything remote: one Ingress rule from a namespace.
fn no_egress(name: &str, ns: &str) -> Package {
    package(
        name,
        ns,
        "ambient",
        json!([{"direction": "Ingress", "remoteNamespace": "ingress", "port": 8080}]),
    )
}

#[test]
fn the_waypoint_lists_exactly_the_ambient_packages_with_host_rules() {
    let with_host = |name: &str, ns: &str| {
        package(name, ns, "ambient", json!([host("example.com", json!({}))]))
    };
    let sidecar = package(
        "s",
        "ns-s",
        "sidecar",
        json!([host("example.com", json!({}))]),
    );
    // Input order is not canonical order: the annotations follow namespace, then name.
    let state = render(&[
        with_host("z", "ns-z"),
        anywhere_only("any", "ns-any"),
        no_egress("quiet", "ns-quiet"),
        sidecar,
        with_host("h", "ns-h"),
    ]);
    assert!(state.refused.is_empty(), "{:?}", state.refused);
    let waypoint = get(&state, AMB, "Gateway", "egress-waypoint");
    assert_eq!(
        annotation_keys(waypoint),
        vec!["uds.dev/user-h-ns-h", "uds.dev/user-z-ns-z"]
    );
    // The Anywhere Package is a participant all the same: it may use the host on 443.
    let ap = get(&state, AMB, "AuthorizationPolicy", "ambient-ap-example-com");
    assert_eq!(
        ap["spec"]["rules"][0]["from"],
        json!([{"source": {"namespaces": ["ns-any", "ns-h", "ns-z"]}}])
    );
}

#[test]
fn no_host_rule_means_no_ambient_object() {
    // Not even the waypoint, however many ambient Packages exist (semantics §3.3).
    let state = render(&[
        anywhere_only("any", "ns-any"),
        no_egress("quiet", "ns-quiet"),
    ]);
    assert!(state.refused.is_empty(), "{:?}", state.refused);
    assert!(state.objects.is_empty(), "{:#?}", keys(&state));
}

#[test]
fn the_earlier_of_two_conflicting_packages_wins() {
    let tls = |name: &str, ns: &str| {
        package(
            name,
            ns,
            "sidecar",
            json!([host("example.com", json!({"port": 443}))]),
        )
    };
    let http = |name: &str, ns: &str| http_on_example_com(name, ns, 443);
    // No timestamps: input order decides.
    let state = render(&[http("z", "ns-z"), tls("a", "ns-a")]);
    assert_eq!(state.refused.len(), 1);
    assert_eq!(state.refused[0].name, "a");
    assert_eq!(
        state.refused[0].violations[0].message,
        "Protocol conflict detected for example.com:443. Package \"a-ns-a\" wants to use TLS but package \"z-ns-z\" is already using HTTP for the same host and port combination."
    );
    assert!(
        state.objects.iter().all(|o| o.key.namespace != "ns-a"),
        "all or nothing"
    );
    // Timestamps win over input order.
    let mut old = tls("a", "ns-a");
    old.metadata.creation_timestamp =
        serde_json::from_value(json!("2024-01-01T00:00:00Z")).unwrap();
    let mut new = http("z", "ns-z");
    new.metadata.creation_timestamp =
        serde_json::from_value(json!("2025-01-01T00:00:00Z")).unwrap();
    let state = render(&[new, old]);
    assert_eq!(state.refused.len(), 1);
    assert_eq!(state.refused[0].name, "z");
    // Different modes never conflict.
    let ambient_http = package(
        "m",
        "ns-m",
        "ambient",
        json!([host(
            "example.com",
            json!({"port": 443, "remoteProtocol": "HTTP"})
        )]),
    );
    assert!(render(&[tls("a", "ns-a"), ambient_http]).refused.is_empty());
}

#[test]
fn hosts_whose_names_collide_are_refused_later() {
    let a = package("a", "ns-a", "sidecar", json!([host("a-b.com", json!({}))]));
    let b = package("b", "ns-b", "sidecar", json!([host("a.b.com", json!({}))]));
    let state = render(&[a, b]);
    assert_eq!(state.refused.len(), 1);
    assert_eq!(state.refused[0].name, "b");
    assert!(state.refused[0].violations[0].message.contains("a-b.com"));
}

#[test]
fn long_package_names_get_valid_owner_annotations() {
    // The longest name a label value (`uds/package`) allows; with the namespace the owner key's
    // name part `user-<name>-<namespace>` is over 63 characters.
    let long = "p".repeat(63);
    let pkg = package(
        &long,
        "ns",
        "sidecar",
        json!([host("example.com", json!({}))]),
    );
    let state = render(&[pkg]);
    let gateway = get(&state, GW, "Gateway", "gateway-example-com");
    let keys = annotation_keys(gateway);
    let name = keys[0].strip_prefix("uds.dev/").unwrap();
    assert!(name.len() <= 63 && name.starts_with("user-ppp"), "{name}");
}

#[test]
fn network_policy_ports_and_hbone() {
    let pkg = package(
        "a",
        "ns-a",
        "sidecar",
        json!([
            host(
                "one.com",
                json!({"ports": [443, 443], "port": 8443, "description": "both fields"})
            ),
            host("two.com", json!({"description": "no ports"})),
        ]),
    );
    let state = desired_state(
        &[pkg],
        &RuleConfig {
            gateway_ports: vec![80, 443, 8443],
            ..RuleConfig::default()
        },
    );
    assert!(state.refused.is_empty(), "{:?}", state.refused);
    let both = get(
        &state,
        "ns-a",
        "NetworkPolicy",
        "allow-a-egress-both-fields",
    );
    assert_eq!(
        both["spec"]["egress"][0]["ports"],
        json!([{"port": 443, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"},
               {"port": 8443, "protocol": "TCP"}, {"port": 15008, "protocol": "TCP"}])
    );
    assert_eq!(
        both["metadata"]["annotations"]["uds/description"],
        "both fields"
    );
    // Istio objects use `ports` only when both are given.
    get(&state, "ns-a", "ServiceEntry", "a-egress-one-com-443-tls");
    let none = get(&state, "ns-a", "NetworkPolicy", "allow-a-egress-no-ports");
    assert_eq!(none["spec"]["egress"][0]["ports"], json!([]));
}

#[test]
fn a_package_being_deleted_contributes_nothing() {
    let mut leaving = package(
        "a",
        "ns-a",
        "sidecar",
        json!([host("example.com", json!({}))]),
    );
    leaving.metadata.deletion_timestamp =
        serde_json::from_value(json!("2025-01-01T00:00:00Z")).unwrap();
    let state = render(&[leaving]);
    assert!(state.objects.is_empty());
    assert!(state.refused.is_empty());
}
