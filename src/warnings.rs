//! Warnings for risky-but-allowed choices, returned with accepted requests (kubectl shows them).
//!
//! Only admitted Packages get warnings, so every host shown is a valid DNS name: short and
//! printable.

use uds_egress_core::host_pattern::HostPattern;
use uds_egress_core::model::{Mode, Package, Protocol, is_set};
use uds_egress_core::resolve::host_protocol;
use uds_egress_core::violation::allow_path;

/// One warning per risky host rule and risk, in `allow[]` order.
pub fn warnings(package: &Package, fronting_hosts: &[HostPattern]) -> Vec<String> {
    let mode = package.mode();
    let namespace = package.namespace();
    let mut out = Vec::new();
    for (index, allow) in package.host_rules() {
        let Some(host) = allow.host() else { continue };
        let protocol = host_protocol(allow);
        if protocol == Protocol::Http {
            out.push(format!(
                "{}: HTTP egress to {host} leaves the mesh in plain text; prefer TLS",
                allow_path(index, Some("remoteProtocol"))
            ));
        }
        if mode == Mode::Ambient && !is_set(&allow.service_account) {
            out.push(format!(
                "{}: no serviceAccount, so every workload in namespace {namespace} may reach {host}",
                allow_path(index, None)
            ));
        }
        if mode == Mode::Sidecar && allow.selector.as_ref().is_none_or(|s| s.is_empty()) {
            out.push(format!(
                "{}: no selector, so every workload in namespace {namespace} shares access to {host}",
                allow_path(index, None)
            ));
        }
        if protocol == Protocol::Tls && fronting_hosts.iter().any(|p| p.matches(host)) {
            out.push(format!(
                "{}: {host} is a shared front end (frontingHosts); TLS passthrough to it lets \
                 workloads reach any site behind it by domain fronting",
                allow_path(index, Some("remoteHost"))
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uds_egress_core::parse::package_from_value;

    fn pkg(mode: &str, allow: serde_json::Value) -> Package {
        package_from_value(&json!({
            "metadata": {"name": "app", "namespace": "shop"},
            "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}}
        }))
        .unwrap()
    }

    #[test]
    fn http_egress() {
        let p = pkg(
            "ambient",
            json!([{"direction": "Egress", "remoteHost": "a.com",
            "remoteProtocol": "HTTP", "serviceAccount": "sa"}]),
        );
        assert_eq!(
            warnings(&p, &[]),
            vec![
                "spec.network.allow[0].remoteProtocol: HTTP egress to a.com leaves the mesh in plain text; prefer TLS"
            ]
        );
    }

    #[test]
    fn ambient_without_service_account() {
        let p = pkg("", json!([{"direction": "Egress", "remoteHost": "a.com"}]));
        assert_eq!(
            warnings(&p, &[]),
            vec![
                "spec.network.allow[0]: no serviceAccount, so every workload in namespace shop may reach a.com"
            ]
        );
    }

    #[test]
    fn sidecar_without_selector() {
        let p = pkg(
            "sidecar",
            json!([
                {"direction": "Egress", "remoteHost": "a.com"},
                {"direction": "Egress", "remoteHost": "b.com", "selector": {}, "description": "b"},
                {"direction": "Egress", "remoteHost": "c.com", "selector": {"app": "c"}}
            ]),
        );
        let got = warnings(&p, &[]);
        assert_eq!(got.len(), 2);
        assert!(got[0].starts_with("spec.network.allow[0]: no selector"));
        assert!(
            got[1].starts_with("spec.network.allow[1]: no selector") && got[1].ends_with("b.com")
        );
    }

    #[test]
    fn tls_passthrough_to_a_fronting_host() {
        let fronting = [HostPattern::parse("*.cloudfront.net").unwrap()];
        let p = pkg(
            "sidecar",
            json!([
                {"direction": "Egress", "selector": {"a": "1"}, "remoteHost": "d1.cloudfront.net"},
                {"direction": "Egress", "selector": {"a": "2"}, "remoteHost": "d2.cloudfront.net", "remoteProtocol": "HTTP"},
                {"direction": "Egress", "selector": {"a": "3"}, "remoteHost": "example.com"}
            ]),
        );
        let got = warnings(&p, &fronting);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with(
            "spec.network.allow[0].remoteHost: d1.cloudfront.net is a shared front end"
        ));
        assert!(got[1].contains("HTTP egress to d2.cloudfront.net"));
    }

    #[test]
    fn nothing_risky_nothing_said() {
        let p = pkg(
            "sidecar",
            json!([
                {"direction": "Egress", "selector": {"app": "x"}, "remoteHost": "a.com"},
                {"direction": "Egress", "remoteGenerated": "Anywhere"}
            ]),
        );
        assert!(warnings(&p, &[]).is_empty());
    }
}
