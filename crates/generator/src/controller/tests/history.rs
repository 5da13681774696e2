//! A scripted history of 50 Package events: the writes of each pass are exactly the objects
//! whose desired content changed, and a restart on the converged cluster writes nothing.

use std::collections::BTreeMap;

use serde_json::Value;
use uds_egress_core::parse::package_from_value;
use uds_egress_core::{ObjectKey, desired_state};

use super::fake_api::FakeApi;
use super::pass;
use crate::controller::object_api::ObjectApi;
use uds_egress_testkit::fixtures::{config, package_manifest};

/// A small deterministic pseudo-random sequence (no dependency, same history every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

const HOSTS: &[&str] = &["a.com", "b.com", "shared.io", "api.example.com"];
const PORT_SETS: &[&[u16]] = &[&[443], &[443, 8443], &[8443], &[80]];

#[derive(Clone)]
struct PackageState {
    mode: &'static str,
    generation: i64,
    rules: Vec<(&'static str, &'static [u16], &'static str)>,
}

impl PackageState {
    fn manifest(&self, namespace: &str) -> Value {
        package_manifest(namespace, self.mode, self.generation, &self.rules)
    }
}

fn random_rules(rng: &mut Lcg) -> Vec<(&'static str, &'static [u16], &'static str)> {
    let count = 1 + rng.next(2) as usize;
    let mut rules = Vec::new();
    for _ in 0..count {
        let host = HOSTS[rng.next(HOSTS.len() as u64) as usize];
        if rules.iter().any(|(h, _, _)| *h == host) {
            continue;
        }
        let ports = PORT_SETS[rng.next(PORT_SETS.len() as u64) as usize];
        let protocol = if ports == [80] { "HTTP" } else { "TLS" };
        rules.push((host, ports, protocol));
    }
    rules
}

fn desired_map(manifests: &[Value]) -> BTreeMap<ObjectKey, Value> {
    let packages: Vec<_> = manifests
        .iter()
        .filter_map(|m| package_from_value(m).ok())
        .collect();
    let state = desired_state(&packages, &config());
    state
        .objects
        .into_iter()
        .map(|o| (o.key, o.manifest.into_value()))
        .collect()
}

/// Objects added, removed, or with another manifest.
fn changed(before: &BTreeMap<ObjectKey, Value>, after: &BTreeMap<ObjectKey, Value>) -> usize {
    let removed = before.keys().filter(|k| !after.contains_key(k)).count();
    let added_or_changed = after
        .iter()
        .filter(|(k, v)| before.get(k) != Some(v))
        .count();
    removed + added_or_changed
}

#[tokio::test]
async fn writes_equal_changed_objects_over_fifty_events() {
    let fake = FakeApi::new();
    let api = ObjectApi::new(fake.client());
    let namespaces = ["p1", "p2", "p3", "p4", "p5"];
    let mut cluster: BTreeMap<&str, PackageState> = BTreeMap::new();
    let mut rng = Lcg(7);
    let mut previous = BTreeMap::new();
    let (mut total_writes, mut total_changed, mut no_op_events) = (0, 0, 0);

    for event in 0..50 {
        let namespace = namespaces[rng.next(namespaces.len() as u64) as usize];
        match (cluster.get(namespace).cloned(), rng.next(6)) {
            (None, _) => {
                let mode = if rng.next(2) == 0 {
                    "sidecar"
                } else {
                    "ambient"
                };
                cluster.insert(
                    namespace,
                    PackageState {
                        mode,
                        generation: 1,
                        rules: random_rules(&mut rng),
                    },
                );
            }
            (Some(_), 0) => {
                cluster.remove(namespace);
            }
            (Some(mut state), 1) => {
                // Mode switch.
                state.mode = if state.mode == "sidecar" {
                    "ambient"
                } else {
                    "sidecar"
                };
                state.generation += 1;
                cluster.insert(namespace, state);
            }
            (Some(state), 2) => {
                // A status or label change: the watch fires, the spec and generation do not move.
                cluster.insert(namespace, state);
            }
            (Some(mut state), _) => {
                state.rules = random_rules(&mut rng);
                state.generation += 1;
                cluster.insert(namespace, state);
            }
        }
        let manifests: Vec<Value> = cluster.iter().map(|(ns, s)| s.manifest(ns)).collect();
        let desired = desired_map(&manifests);
        let expected = changed(&previous, &desired);

        fake.clear_requests();
        let outcome = pass(&fake, &api, &manifests).await;
        assert!(
            outcome.executed.failed.is_empty(),
            "event {event}: {:?}",
            outcome.executed.failed
        );
        assert!(
            outcome.conflicts.is_empty() && outcome.invalid.is_empty(),
            "event {event}"
        );
        let writes = fake.writes().len();
        assert_eq!(
            writes, expected,
            "event {event}: {} writes for {expected} changed objects",
            writes
        );
        total_writes += writes;
        total_changed += expected;
        no_op_events += usize::from(expected == 0);
        previous = desired;
    }
    assert_eq!(total_writes, total_changed);
    assert!(
        total_changed > 50,
        "the history changes things: {total_changed}"
    );
    assert!(
        no_op_events > 0,
        "the history has events that change nothing"
    );

    // A restart (new client, same cluster, same Packages) on the converged cluster writes nothing.
    let manifests: Vec<Value> = cluster.iter().map(|(ns, s)| s.manifest(ns)).collect();
    let restarted = ObjectApi::new(fake.client());
    fake.clear_requests();
    let outcome = pass(&fake, &restarted, &manifests).await;
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    assert_eq!(outcome.plan.unchanged, previous.len());
}
