//! What UDS Core (v1.11) writes for a history of Package reconciles, counted from the same
//! Packages and the same objects as ours (semantics §4.3, §4.4):
//!
//! - per reconcile, the Package's NetworkPolicies are applied, then those it no longer has are
//!   purged; its local ServiceEntries and Sidecars are applied, and when its generation changed
//!   the old ones are deleted first (delete, then re-create);
//! - the Package enters its mode's map (and leaves the other's);
//! - then the shared pass applies every shared object of every host in both maps (plus the
//!   waypoint when an ambient Package has host rules), whether it changed or not (its
//!   `uds/generation` label is a pass counter, so it always does), and purges the shared objects
//!   the maps no longer call for. After a restart the maps start empty, so the first passes purge
//!   the shared objects of Packages not reconciled yet, and later ones re-create them.
//!
//! Every apply and every delete is one API write. Deletes of legacy objects that do not exist,
//! and the extra pass a request during a pass causes, are not counted: the figure is a floor.

use std::collections::{BTreeMap, BTreeSet};

use uds_egress_core::names::{
    self, EGRESS_AMBIENT_NAMESPACE, EGRESS_GATEWAY_NAMESPACE, WAYPOINT_NAME,
};
use uds_egress_core::{GeneratedObject, Mode, ObjectKey, Package};

/// API writes: server-side applies and deletes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Writes {
    pub applies: usize,
    pub deletes: usize,
}

impl Writes {
    pub fn total(&self) -> usize {
        self.applies + self.deletes
    }
}

/// One Package's own objects and what it contributes to the shared ones.
#[derive(Clone, Debug, Default, PartialEq)]
struct PackageObjects {
    mode: Option<Mode>,
    generation: String,
    hosts: BTreeSet<String>,
    network_policies: BTreeSet<ObjectKey>,
    /// Local ServiceEntries and Sidecars.
    local: BTreeSet<ObjectKey>,
}

/// A set of Packages and its objects, grouped the way UDS Core handles them.
#[derive(Clone, Debug, Default)]
pub struct World {
    /// By namespace (one Package per namespace).
    packages: BTreeMap<String, PackageObjects>,
    /// (mode, host) -> its shared objects.
    shared: BTreeMap<(Mode, String), Vec<ObjectKey>>,
    waypoint: Option<ObjectKey>,
}

impl World {
    /// `objects`: the desired state of `packages` (ours; UDS Core's objects are the same ones).
    pub fn new(packages: &[Package], objects: &[GeneratedObject]) -> World {
        let by_name: BTreeMap<(&str, &str), &ObjectKey> = objects
            .iter()
            .map(|o| ((o.key.namespace.as_str(), o.key.name.as_str()), &o.key))
            .collect();
        let mut world = World {
            waypoint: by_name
                .get(&(EGRESS_AMBIENT_NAMESPACE, WAYPOINT_NAME))
                .map(|key| (*key).clone()),
            ..World::default()
        };
        for package in packages {
            let mut own = PackageObjects {
                mode: Some(package.mode()),
                generation: package.generation(),
                ..PackageObjects::default()
            };
            for (_, allow) in package.host_rules() {
                if let Some(host) = allow.host() {
                    own.hosts.insert(host.to_string());
                }
            }
            world.packages.insert(package.namespace().to_string(), own);
        }
        for object in objects {
            if let Some(own) = world.packages.get_mut(&object.key.namespace) {
                match object.key.kind.as_str() {
                    "NetworkPolicy" => own.network_policies.insert(object.key.clone()),
                    _ => own.local.insert(object.key.clone()),
                };
            }
        }
        for own in world.packages.values() {
            let Some(mode) = own.mode else { continue };
            for host in &own.hosts {
                let (namespace, names) = shared_names(mode, host);
                let keys = names
                    .iter()
                    .filter_map(|name| by_name.get(&(namespace, name.as_str())))
                    .map(|key| (*key).clone())
                    .collect();
                world.shared.insert((mode, host.clone()), keys);
            }
        }
        world
    }

    /// Every object UDS Core keeps for this world.
    fn shared_objects(&self) -> BTreeSet<ObjectKey> {
        self.shared
            .values()
            .flatten()
            .cloned()
            .chain(self.waypoint.clone())
            .collect()
    }
}

fn shared_names(mode: Mode, host: &str) -> (&'static str, Vec<String>) {
    match mode {
        Mode::Sidecar => (
            EGRESS_GATEWAY_NAMESPACE,
            vec![
                names::gateway(host),
                names::virtual_service(host),
                names::shared_service_entry(host),
            ],
        ),
        Mode::Ambient => (
            EGRESS_AMBIENT_NAMESPACE,
            vec![
                names::ambient_service_entry(host),
                names::authorization_policy(host),
            ],
        ),
    }
}

/// UDS Core's operator: its in-memory maps and what it has written to the cluster.
#[derive(Clone, Debug, Default)]
pub struct UdsCore {
    /// Mode -> namespaces of the Packages in that mode's map.
    maps: BTreeMap<Mode, BTreeSet<String>>,
    live_shared: BTreeSet<ObjectKey>,
    live_own: BTreeMap<String, PackageObjects>,
    pub writes: Writes,
}

impl UdsCore {
    /// An empty cluster (initial sync).
    pub fn empty() -> UdsCore {
        UdsCore::default()
    }

    /// The operator just restarted on a cluster converged on `world`: objects there, maps empty.
    pub fn restarted(world: &World) -> UdsCore {
        UdsCore {
            live_shared: world.shared_objects(),
            live_own: world.packages.clone(),
            ..UdsCore::default()
        }
    }

    /// The operator has been running on a cluster converged on `world`.
    pub fn converged(world: &World) -> UdsCore {
        let mut core = UdsCore::restarted(world);
        for (namespace, own) in &world.packages {
            if let Some(mode) = own.mode {
                core.maps.entry(mode).or_default().insert(namespace.clone());
            }
        }
        core
    }

    /// One reconcile of the Package in `namespace`, whose spec is the one in `world`.
    pub fn reconcile(&mut self, world: &World, namespace: &str) {
        let Some(own) = world.packages.get(namespace) else {
            return;
        };
        let live = self.live_own.entry(namespace.to_string()).or_default();
        self.writes.applies += own.network_policies.len();
        self.writes.deletes += live
            .network_policies
            .difference(&own.network_policies)
            .count();
        let regenerated = !live.local.is_empty() && live.generation != own.generation;
        self.writes.deletes += if regenerated {
            live.local.len()
        } else {
            live.local.difference(&own.local).count()
        };
        self.writes.applies += own.local.len();
        *live = own.clone();

        for members in self.maps.values_mut() {
            members.remove(namespace);
        }
        // A sidecar-mode Package without host rules leaves the map (semantics §4.3, step 2).
        if let Some(mode) = own.mode
            && !(mode == Mode::Sidecar && own.hosts.is_empty())
        {
            self.maps
                .entry(mode)
                .or_default()
                .insert(namespace.to_string());
        }
        self.shared_pass(world);
    }

    fn shared_pass(&mut self, world: &World) {
        let mut wanted: BTreeSet<ObjectKey> = BTreeSet::new();
        for (mode, members) in &self.maps {
            for member in members {
                let Some(own) = world.packages.get(member) else {
                    continue;
                };
                for host in &own.hosts {
                    wanted.extend(
                        world
                            .shared
                            .get(&(*mode, host.clone()))
                            .into_iter()
                            .flatten()
                            .cloned(),
                    );
                }
                if *mode == Mode::Ambient && !own.hosts.is_empty() {
                    wanted.extend(world.waypoint.clone());
                }
            }
        }
        self.writes.applies += wanted.len();
        self.writes.deletes += self.live_shared.difference(&wanted).count();
        self.live_shared = wanted;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uds_egress_core::parse::package_from_value;
    use uds_egress_core::{RuleConfig, desired_state};

    fn package(i: u32, mode: &str, hosts: &[&str], generation: i64) -> Package {
        let allow: Vec<_> = hosts
            .iter()
            .map(|h| {
                json!({"direction": "Egress", "description": format!("to {h}"),
                            "selector": {"app": "x"}, "remoteHost": h, "port": 443})
            })
            .collect();
        package_from_value(&json!({
            "metadata": {"name": format!("p{i}"), "namespace": format!("ns{i}"),
                         "uid": format!("u{i}"), "generation": generation},
            "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}}
        }))
        .unwrap()
    }

    fn world(packages: &[Package]) -> World {
        let state = desired_state(packages, &RuleConfig::default());
        assert!(state.refused.is_empty());
        World::new(packages, &state.objects)
    }

    #[test]
    fn every_reconcile_reapplies_every_shared_object() {
        // Sidecar: per Package 1 NetworkPolicy + 1 local ServiceEntry + 1 Sidecar; the shared
        // host has a Gateway, a VirtualService and a ServiceEntry.
        let packages = [
            package(1, "sidecar", &["a.com"], 1),
            package(2, "sidecar", &["a.com"], 1),
        ];
        let world = world(&packages);
        let mut core = UdsCore::empty();
        core.reconcile(&world, "ns1");
        assert_eq!(
            core.writes,
            Writes {
                applies: 3 + 3,
                deletes: 0
            }
        );
        core.reconcile(&world, "ns2");
        assert_eq!(
            core.writes,
            Writes {
                applies: 12,
                deletes: 0
            }
        );
    }

    #[test]
    fn a_restart_purges_what_is_not_in_the_maps_yet_and_recreates_it() {
        let packages = [
            package(1, "ambient", &["a.com"], 1),
            package(2, "ambient", &["b.com"], 1),
        ];
        let world = world(&packages);
        let mut core = UdsCore::restarted(&world);
        core.reconcile(&world, "ns1");
        // NetworkPolicy; waypoint + a.com's ServiceEntry and AuthorizationPolicy; b.com's purged.
        assert_eq!(
            core.writes,
            Writes {
                applies: 1 + 3,
                deletes: 2
            }
        );
        core.reconcile(&world, "ns2");
        assert_eq!(
            core.writes,
            Writes {
                applies: 4 + 1 + 5,
                deletes: 2
            }
        );
    }

    #[test]
    fn an_update_recreates_local_objects_of_a_new_generation() {
        let before = world(&[package(1, "sidecar", &["a.com"], 1)]);
        let after = world(&[package(1, "sidecar", &["a.com"], 2)]);
        let mut core = UdsCore::converged(&before);
        core.reconcile(&after, "ns1");
        assert_eq!(
            core.writes,
            Writes {
                applies: 1 + 2 + 3,
                deletes: 2
            }
        );
    }
}
