//! Hand-checked reach scenarios, one per reason: each set of Packages is rendered by
//! `desired_state` and analysed by `reach`, and the expected lines were worked out by hand from
//! docs/reach.md's rules.

use serde_json::{Value, json};
use uds_egress_core::parse::package_from_value;
use uds_egress_core::reach::{Reach, Workload, reach_of_generated};
use uds_egress_core::{Package, RuleConfig, desired_state};

fn package(namespace: &str, mode: &str, allow: Value) -> Package {
    package_from_value(&json!({
        "metadata": {"name": namespace, "namespace": namespace},
        "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}}
    }))
    .unwrap()
}

/// Every reach as `workload target via reason[; reason]`, sorted.
fn lines(packages: &[Package]) -> Vec<String> {
    let state = desired_state(packages, &RuleConfig::default());
    assert!(state.refused.is_empty(), "{:?}", state.refused);
    let set = reach_of_generated(packages, &state.objects).unwrap();
    set.workloads
        .iter()
        .flat_map(|w| w.reaches.iter().map(move |r| line(&w.workload, r)))
        .collect()
}

/// `workload target via kind(entry; packages)...`, then `!` when only other Packages explain it.
fn line(workload: &Workload, reach: &Reach) -> String {
    let reasons: Vec<String> = reach
        .reasons
        .iter()
        .map(|r| {
            let kind = serde_json::to_value(r.kind).unwrap();
            let mut parts: Vec<String> = r
                .entry
                .iter()
                .map(|e| format!("allow[{}]", e.index))
                .collect();
            parts.extend(r.packages.iter().map(ToString::to_string));
            format!("{}({})", kind.as_str().unwrap(), parts.join("; "))
        })
        .collect();
    let mut text = format!(
        "{workload} {} {} {}",
        reach.target(),
        reach.via.as_str(),
        reasons.join(" ")
    );
    if reach.is_cross_package() {
        text.push_str(" !");
    }
    text
}

#[test]
fn own_rule_reaches_exactly_the_declared_host_and_port() {
    let app = package(
        "app",
        "sidecar",
        json!([{"direction": "Egress", "selector": {"app": "curl"}, "remoteHost": "example.com", "port": 443}]),
    );
    assert_eq!(
        lines(&[app]),
        vec!["app/app app=curl example.com:443/TLS gateway own-rule(allow[0])"]
    );
}

#[test]
fn shared_entry_carries_another_packages_port_to_a_rule_without_ports() {
    // a's rule has no port: its NetworkPolicy opens every port to the gateway (semantics §3.4),
    // and the shared objects of example.com carry b's 80/HTTP. b's policy opens 80 only.
    let a = package(
        "a",
        "sidecar",
        json!([{"direction": "Egress", "selector": {"app": "curl"}, "remoteHost": "example.com"}]),
    );
    let b = package(
        "b",
        "sidecar",
        json!([{"direction": "Egress", "selector": {"app": "curl"}, "remoteHost": "example.com",
                "remoteProtocol": "HTTP", "port": 80}]),
    );
    assert_eq!(
        lines(&[a, b]),
        vec![
            "a/a app=curl example.com:80/HTTP gateway shared-entry(b/b) !",
            "a/a app=curl example.com:443/TLS gateway own-rule(allow[0])",
            "b/b app=curl example.com:80/HTTP gateway own-rule(allow[0])",
        ]
    );
}

#[test]
fn namespace_wide_grants() {
    // allow[1] has no selector: every pod gets its NetworkPolicy (443) and sees its ServiceEntry.
    // allow[0]'s ServiceEntry is namespace-wide too, so the pods of allow[1] reach a.com.
    let shop = package(
        "shop",
        "sidecar",
        json!([
            {"direction": "Egress", "description": "a", "selector": {"app": "web"}, "remoteHost": "a.com", "port": 443},
            {"direction": "Egress", "description": "b", "remoteHost": "b.com", "port": 443}
        ]),
    );
    assert_eq!(
        lines(&[shop]),
        vec![
            "shop/shop * a.com:443/TLS gateway namespace-entry(allow[0])",
            "shop/shop * b.com:443/TLS gateway no-selector(allow[1])",
            "shop/shop app=web a.com:443/TLS gateway own-rule(allow[0])",
            "shop/shop app=web b.com:443/TLS gateway no-selector(allow[1])",
        ]
    );
}

#[test]
fn a_service_entry_is_seen_by_the_whole_namespace() {
    let shop = package(
        "shop",
        "sidecar",
        json!([
            {"direction": "Egress", "description": "a", "selector": {"app": "a"}, "remoteHost": "a.com", "port": 443},
            {"direction": "Egress", "description": "b", "selector": {"app": "b"}, "remoteHost": "b.com", "port": 443}
        ]),
    );
    assert_eq!(
        lines(&[shop]),
        vec![
            "shop/shop app=a a.com:443/TLS gateway own-rule(allow[0])",
            "shop/shop app=a b.com:443/TLS gateway namespace-entry(allow[1])",
            "shop/shop app=b a.com:443/TLS gateway namespace-entry(allow[0])",
            "shop/shop app=b b.com:443/TLS gateway own-rule(allow[1])",
        ]
    );
}

#[test]
fn ambient_principals_are_per_service_account_and_port() {
    // checkout's principal is on api.stripe.com:443 only; web has no serviceAccount, so its rule
    // names the namespace, which checkout is in as well.
    let pay = package(
        "pay",
        "ambient",
        json!([
            {"direction": "Egress", "description": "stripe", "selector": {"app": "checkout"},
             "serviceAccount": "checkout", "remoteHost": "api.stripe.com", "port": 443},
            {"direction": "Egress", "description": "x", "selector": {"app": "web"},
             "remoteHost": "x.com", "port": 443}
        ]),
    );
    let other = package(
        "other",
        "ambient",
        json!([{"direction": "Egress", "selector": {"app": "o"}, "serviceAccount": "o",
                "remoteHost": "api.stripe.com", "ports": [443, 8443]}]),
    );
    assert_eq!(
        lines(&[pay, other]),
        vec![
            "other/other app=o sa=o api.stripe.com:443/TLS waypoint own-rule(allow[0])",
            "other/other app=o sa=o api.stripe.com:8443/TLS waypoint own-rule(allow[0])",
            "pay/pay app=checkout sa=checkout api.stripe.com:443/TLS waypoint own-rule(allow[0])",
            "pay/pay app=checkout sa=checkout x.com:443/TLS waypoint no-service-account(allow[1])",
            "pay/pay app=web x.com:443/TLS waypoint own-rule(allow[1])",
        ]
    );
}

#[test]
fn anywhere_reaches_other_packages_hosts_on_its_ports() {
    let monitoring = package(
        "monitoring",
        "ambient",
        json!([
            {"direction": "Egress", "selector": {"app": "probe"}, "serviceAccount": "probe",
             "remoteGenerated": "Anywhere", "port": 443}
        ]),
    );
    let search = package(
        "search",
        "ambient",
        json!([{"direction": "Egress", "selector": {"app": "i"}, "serviceAccount": "i",
                "remoteHost": "es.example.com", "ports": [443, 9243]}]),
    );
    assert_eq!(
        lines(&[monitoring, search]),
        vec![
            "monitoring/monitoring app=probe sa=probe es.example.com:443/TLS waypoint anywhere(allow[0]; search/search) !",
            "search/search app=i sa=i es.example.com:443/TLS waypoint own-rule(allow[0])",
            "search/search app=i sa=i es.example.com:9243/TLS waypoint own-rule(allow[0])",
        ]
    );
}

#[test]
fn the_gateway_forwards_any_host_on_a_port_the_client_may_use() {
    // No host is shared, yet each workload reaches the other's host: both may connect to the
    // gateway on 443, and the gateway routes by SNI name without checking the client.
    let ci = package(
        "ci",
        "sidecar",
        json!([{"direction": "Egress", "selector": {"app": "runner"}, "remoteHost": "github.com", "port": 443}]),
    );
    let web = package(
        "web",
        "sidecar",
        json!([{"direction": "Egress", "selector": {"app": "web"}, "remoteHost": "fonts.gstatic.com", "port": 443},
               {"direction": "Egress", "description": "p", "selector": {"app": "web"}, "remoteHost": "deb.debian.org",
                "remoteProtocol": "HTTP", "port": 80}]),
    );
    assert_eq!(
        lines(&[ci, web]),
        vec![
            "ci/ci app=runner fonts.gstatic.com:443/TLS gateway gateway-by-host(web/web) !",
            "ci/ci app=runner github.com:443/TLS gateway own-rule(allow[0])",
            "web/web app=web deb.debian.org:80/HTTP gateway own-rule(allow[1])",
            "web/web app=web fonts.gstatic.com:443/TLS gateway own-rule(allow[0])",
            "web/web app=web github.com:443/TLS gateway gateway-by-host(ci/ci) !",
        ]
    );
}

#[test]
fn modes_do_not_cross() {
    // A sidecar workload's NetworkPolicy opens the gateway only, an ambient one's the waypoint.
    let side = package(
        "side",
        "sidecar",
        json!([{"direction": "Egress", "selector": {"app": "s"}, "remoteHost": "a.com", "port": 443}]),
    );
    let amb = package(
        "amb",
        "ambient",
        json!([{"direction": "Egress", "selector": {"app": "m"}, "remoteHost": "b.com", "port": 443}]),
    );
    assert_eq!(
        lines(&[side, amb]),
        vec![
            "amb/amb app=m b.com:443/TLS waypoint own-rule(allow[0])",
            "side/side app=s a.com:443/TLS gateway own-rule(allow[0])",
        ]
    );
}
