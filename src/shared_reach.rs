//! The warning of issue 15, point 2: a new rule that makes a host and port reachable for the
//! workloads of other Packages through the egress gateway's shared objects.
//!
//! The core's direct rule ([`shared_entry_openings`]) decides it from the Packages the context
//! checks already list (those naming one of the reviewed hosts) and the reviewed Package's
//! stored version; this file only words it. docs/reach.md explains the reach it reports.

use uds_egress_core::model::Package;
use uds_egress_core::reach::shared_entry_openings::{
    Opening, first_declaring_rule, shared_entry_openings,
};
use uds_egress_core::violation::allow_path;

/// At most this many Packages are named in one warning; the API server caps a warning's length.
const NAMED_PACKAGES: usize = 5;

/// One warning per target the reviewed Package opens for other Packages, at its first rule that
/// declares the target, in target order.
pub fn shared_reach_warnings(
    package: &Package,
    stored: Option<&Package>,
    others: &[Package],
) -> Vec<String> {
    shared_entry_openings(package, stored, others)
        .iter()
        .map(|opening| warning(package, opening))
        .collect()
}

fn warning(package: &Package, opening: &Opening) -> String {
    let declaring = first_declaring_rule(package, &opening.host, opening.port, &opening.protocol);
    let at = match declaring {
        Some(index) => allow_path(index, None),
        None => "spec.network.allow".to_string(),
    };
    let mut names: Vec<String> = opening
        .packages
        .iter()
        .take(NAMED_PACKAGES)
        .map(ToString::to_string)
        .collect();
    let more = opening.packages.len().saturating_sub(NAMED_PACKAGES);
    if more > 0 {
        names.push(format!("{more} more"));
    }
    format!(
        "{at}: {host}:{port}/{protocol} becomes reachable for workloads of {names}, which use \
         {host} on other ports: the egress gateway's objects for {host} are shared, and it \
         forwards {host}:{port} to any of their pods that may connect to it on port {port}",
        host = opening.host,
        port = opening.port,
        protocol = opening.protocol,
        names = names.join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use uds_egress_core::parse::package_from_value;

    fn pkg(namespace: &str, allow: Value) -> Package {
        package_from_value(&json!({
            "metadata": {"name": namespace, "namespace": namespace},
            "spec": {"network": {"serviceMesh": {"mode": "sidecar"}, "allow": allow}}
        }))
        .unwrap()
    }

    fn rule(host: &str, port: u16) -> Value {
        json!({"direction": "Egress", "selector": {"app": "x"}, "remoteHost": host,
               "remoteProtocol": "TLS", "port": port})
    }

    #[test]
    fn the_warning_names_the_rule_and_the_packages_that_gain_the_target() {
        let docs = pkg("docs", json!([rule("fonts.gstatic.com", 443)]));
        let web = pkg(
            "web",
            json!([rule("api.github.com", 443), rule("fonts.gstatic.com", 8443)]),
        );
        // docs has no rule that opens 8443 towards the gateway: it gains nothing.
        assert!(shared_reach_warnings(&web, None, std::slice::from_ref(&docs)).is_empty());
        let ci = pkg(
            "ci",
            json!([rule("api.github.com", 443), rule("fonts.gstatic.com", 443)]),
        );
        // web opens 8443 on the shared fonts.gstatic.com objects; ci has no 8443 rule, docs none.
        assert!(shared_reach_warnings(&web, None, &[docs.clone(), ci]).is_empty());
        let builds = pkg(
            "builds",
            json!([rule("fonts.gstatic.com", 443), rule("maven.org", 8443)]),
        );
        assert_eq!(
            shared_reach_warnings(&web, None, &[docs, builds]),
            vec![
                "spec.network.allow[1]: fonts.gstatic.com:8443/TLS becomes reachable for \
                 workloads of builds/builds, which use fonts.gstatic.com on other ports: the \
                 egress gateway's objects for fonts.gstatic.com are shared, and it forwards \
                 fonts.gstatic.com:8443 to any of their pods that may connect to it on port 8443"
            ]
        );
    }

    #[test]
    fn long_lists_of_packages_are_cut() {
        let web = pkg("web", json!([rule("fonts.gstatic.com", 8443)]));
        let others: Vec<Package> = (0..8)
            .map(|i| {
                pkg(
                    &format!("team{i}"),
                    json!([rule("fonts.gstatic.com", 443), rule("maven.org", 8443)]),
                )
            })
            .collect();
        let warnings = shared_reach_warnings(&web, None, &others);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains(
                "team0/team0, team1/team1, team2/team2, team3/team3, team4/team4, 3 more,"
            ),
            "{}",
            warnings[0]
        );
    }
}
