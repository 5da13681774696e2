//! The synthetic cluster every figure runs on: seeded, conflict-free Packages in both modes.
//!
//! - Host `i` is `api<i>.vendor<i % 37>.example.com`; no two hosts share an object name.
//! - Each host has one protocol and port (every fifth is HTTP on 80, the others TLS on 443), so
//!   no two Packages conflict, and sidecar-mode rules only use ports the default gateway exposes.
//! - The first rules cover every host once; after that hosts are drawn with a skew (the density
//!   of host `x` falls as `1/sqrt(x)`), so a few hosts are shared by hundreds of Packages, as
//!   `api.github.com` would be, and most by a handful.
//! - Package `i` is `app-<i>` in namespace `team-<i>`, half of them in sidecar mode, with a uid,
//!   generation 1 and a creationTimestamp, as read back from a cluster. Rules are written as the
//!   policy's mutation leaves them (protocol and port explicit), each with a description so that
//!   the NetworkPolicy names differ.

use serde_json::{Value, json};
use uds_egress_core::Package;
use uds_egress_core::parse::package_from_value;
use uds_egress_plan::output::write_values;

use crate::rng::Rng;

/// Rules per Package in every workload.
pub const RULES_PER_PACKAGE: usize = 3;
/// The seed of every workload, so each run measures the same Packages.
pub const SEED: u64 = 0x5eed_0e9e_55b3_0001;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload {
    pub packages: usize,
    /// Distinct hosts; at least [`RULES_PER_PACKAGE`].
    pub hosts: usize,
    pub seed: u64,
}

impl Workload {
    pub fn new(packages: usize, hosts: usize) -> Workload {
        Workload {
            packages,
            hosts: hosts.max(RULES_PER_PACKAGE),
            seed: SEED,
        }
    }

    /// The Packages as JSON objects, in creation order.
    pub fn generate(&self) -> Vec<Value> {
        let mut rng = Rng::new(self.seed);
        let mut drawn = 0usize;
        (0..self.packages)
            .map(|index| {
                let mode = if rng.chance(0.5) {
                    "sidecar"
                } else {
                    "ambient"
                };
                let mut hosts: Vec<usize> = Vec::with_capacity(RULES_PER_PACKAGE);
                while hosts.len() < RULES_PER_PACKAGE {
                    let host = self.draw_host(&mut rng, drawn);
                    drawn += 1;
                    if !hosts.contains(&host) {
                        hosts.push(host);
                    }
                }
                let rules = hosts
                    .into_iter()
                    .map(|host| {
                        let app = WORKLOADS[rng.below(WORKLOADS.len())];
                        // Ambient rules may narrow the identity to a service account.
                        let account = (mode == "ambient" && rng.chance(0.25)).then_some(app);
                        host_rule(host, app, account)
                    })
                    .collect();
                package(index, mode, rules)
            })
            .collect()
    }

    fn draw_host(&self, rng: &mut Rng, drawn: usize) -> usize {
        if drawn < self.hosts {
            return drawn;
        }
        let skewed = (self.hosts as f64 * rng.unit().powi(2)) as usize;
        skewed.min(self.hosts - 1)
    }
}

const WORKLOADS: &[&str] = &["web", "worker", "api", "batch"];

/// The name of host `index`.
pub fn host(index: usize) -> String {
    format!("api{index}.vendor{}.example.com", index % 37)
}

/// The one protocol and port of host `index`.
pub fn host_service(index: usize) -> (&'static str, u16) {
    if index % 5 == 4 {
        ("HTTP", 80)
    } else {
        ("TLS", 443)
    }
}

/// A host rule for pods `app: <app>`, protocol and port explicit.
pub fn host_rule(host_index: usize, app: &str, service_account: Option<&str>) -> Value {
    let name = host(host_index);
    let (protocol, port) = host_service(host_index);
    let mut rule = json!({
        "direction": "Egress",
        "description": format!("{app} to {name}"),
        "selector": {"app": app},
        "remoteHost": name,
        "remoteProtocol": protocol,
        "port": port,
    });
    if let (Some(account), Some(fields)) = (service_account, rule.as_object_mut()) {
        fields.insert("serviceAccount".into(), json!(account));
    }
    rule
}

/// Package `app-<index>` in `team-<index>`, as stored in a cluster.
pub fn package(index: usize, mode: &str, allow: Vec<Value>) -> Value {
    json!({
        "apiVersion": "uds.dev/v1alpha1",
        "kind": "Package",
        "metadata": {
            "name": format!("app-{index}"),
            "namespace": format!("team-{index}"),
            "uid": format!("00000000-0000-4000-8000-{index:012x}"),
            "generation": 1,
            "creationTimestamp": timestamp(index),
        },
        "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}},
    })
}

/// One second apart from 2025-01-01 (28-day months: valid for 29 million Packages).
fn timestamp(seconds: usize) -> String {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    format!(
        "2025-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        1 + days / 28,
        1 + days % 28,
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The core's view of the Packages.
pub fn parse(objects: &[Value]) -> Result<Vec<Package>, String> {
    objects
        .iter()
        .map(|object| {
            package_from_value(object).map_err(|v| format!("synthetic Package unreadable: {v}"))
        })
        .collect()
}

/// Multi-document YAML, as `kubectl get -o yaml` splits would give `render`: written by the plan
/// library's emitter, the one `render` prints with.
pub fn to_yaml(objects: &[Value]) -> Result<String, String> {
    let mut out = Vec::new();
    write_values(&mut out, objects).map_err(|e| e.to_string())?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};
    use uds_egress_core::{RuleConfig, desired_state};

    #[test]
    fn deterministic_covers_every_host_and_is_conflict_free() {
        let workload = Workload::new(300, 60);
        let objects = workload.generate();
        assert_eq!(objects, workload.generate());
        assert_eq!(objects.len(), 300);
        let hosts: BTreeSet<&str> = objects
            .iter()
            .flat_map(|p| p["spec"]["network"]["allow"].as_array().unwrap())
            .map(|rule| rule["remoteHost"].as_str().unwrap())
            .collect();
        assert_eq!(hosts.len(), 60);

        let packages = parse(&objects).unwrap();
        let state = desired_state(&packages, &RuleConfig::default());
        assert!(state.refused.is_empty(), "{:?}", state.refused);
        let modes: BTreeMap<&str, usize> = objects.iter().fold(BTreeMap::new(), |mut m, p| {
            *m.entry(
                p["spec"]["network"]["serviceMesh"]["mode"]
                    .as_str()
                    .unwrap(),
            )
            .or_default() += 1;
            m
        });
        assert!(
            modes["sidecar"] > 100 && modes["ambient"] > 100,
            "{modes:?}"
        );
    }

    #[test]
    fn timestamps_are_valid_and_increasing() {
        assert_eq!(timestamp(0), "2025-01-01T00:00:00Z");
        assert_eq!(timestamp(86_400 + 3_661), "2025-01-02T01:01:01Z");
        assert!(timestamp(99_999) < timestamp(100_000));
    }

    #[test]
    fn yaml_has_one_document_per_object() {
        let yaml = to_yaml(&Workload::new(3, 3).generate()).unwrap();
        assert_eq!(yaml.matches("---\n").count(), 3);
        assert_eq!(yaml.matches("kind: Package").count(), 3);
    }
}
