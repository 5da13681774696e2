//! The planner: what to create, update and delete so that the live objects the generator owns
//! match the desired state. A pure function, shared by `run` (live objects from watch caches) and
//! `plan` (live objects from files).
//!
//! - An object is written only when a field it manages differs (see [`compare`]).
//! - Only objects carrying the managed-by label are updated or deleted.
//! - A live object without the label but with the name of a desired object is a conflict: it is
//!   left alone and every desired object of the same host is skipped (see [`hosts`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;
use uds_egress_core::{GeneratedObject, Package};

use crate::compare::{FieldChange, changes};
use crate::hosts::{HostScope, hosts_of_objects};
use crate::identity::{ObjectId, is_owned, uid_and_version};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Update {
    pub object: GeneratedObject,
    pub changes: Vec<FieldChange>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Delete {
    pub id: ObjectId,
    /// The version to address the object at.
    pub api_version: String,
    /// Preconditions of the delete: the object we saw, not one recreated since.
    pub uid: Option<String>,
    pub resource_version: Option<String>,
}

/// A live object without our label that has the name of a desired object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conflict {
    pub id: ObjectId,
    /// The hosts it blocks (none for a Sidecar, NetworkPolicy or waypoint).
    pub hosts: Vec<HostScope>,
    /// The other desired objects skipped with it.
    pub skipped: Vec<ObjectId>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Plan {
    /// In desired-state order (namespace, kind, name).
    pub creates: Vec<GeneratedObject>,
    pub updates: Vec<Update>,
    /// Sorted by identity; run after creates and updates.
    pub deletes: Vec<Delete>,
    pub conflicts: Vec<Conflict>,
    /// Desired objects whose live copy already matches.
    pub unchanged: usize,
}

impl Plan {
    /// No write to do and nothing blocked.
    pub fn is_empty(&self) -> bool {
        self.writes() == 0 && self.conflicts.is_empty()
    }

    pub fn writes(&self) -> usize {
        self.creates.len() + self.updates.len() + self.deletes.len()
    }
}

/// Whether a Package takes part in the desired state: one being deleted no longer does (its own
/// objects go with it by owner reference; its share of shared objects is withdrawn now).
pub fn contributes(package: &Package) -> bool {
    package.metadata.deletion_timestamp.is_none()
}

/// Plans the writes that turn `live` into `desired`. `live` may hold any objects: those without
/// an identity are ignored, and of two with the same identity the first counts.
pub fn plan(desired: &[GeneratedObject], live: &[Value]) -> Plan {
    let mut live_by_id: BTreeMap<ObjectId, &Value> = BTreeMap::new();
    for object in live {
        if let Some(id) = ObjectId::of_manifest(object) {
            live_by_id.entry(id).or_insert(object);
        }
    }
    // (identity, hosts) of each desired object, index for index.
    let entries: Vec<(ObjectId, Vec<HostScope>)> = desired
        .iter()
        .map(|o| ObjectId::of_key(&o.key))
        .zip(hosts_of_objects(desired))
        .collect();

    let mut skipped: BTreeSet<usize> = BTreeSet::new();
    let mut conflicts = Vec::new();
    for (i, (id, blocked)) in entries.iter().enumerate() {
        let foreign = live_by_id.get(id).is_some_and(|l| !is_owned(l));
        if !foreign {
            continue;
        }
        skipped.insert(i);
        let mut others = Vec::new();
        for (j, (other, hosts)) in entries.iter().enumerate() {
            if j != i && hosts.iter().any(|h| blocked.contains(h)) {
                skipped.insert(j);
                others.push(other.clone());
            }
        }
        conflicts.push(Conflict {
            id: id.clone(),
            hosts: blocked.clone(),
            skipped: others,
        });
    }

    let mut result = Plan {
        conflicts,
        ..Plan::default()
    };
    for (i, (object, (id, _))) in desired.iter().zip(&entries).enumerate() {
        if skipped.contains(&i) {
            continue;
        }
        match live_by_id.get(id) {
            None => result.creates.push(object.clone()),
            Some(live) => {
                let found = changes(&object.manifest, live);
                if found.is_empty() {
                    result.unchanged += 1;
                } else {
                    result.updates.push(Update {
                        object: object.clone(),
                        changes: found,
                    });
                }
            }
        }
    }

    let wanted: BTreeSet<&ObjectId> = entries.iter().map(|(id, _)| id).collect();
    for (id, live) in &live_by_id {
        if is_owned(live) && !wanted.contains(id) {
            let (uid, resource_version) = uid_and_version(live);
            result.deletes.push(Delete {
                id: id.clone(),
                api_version: live
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                uid,
                resource_version,
            });
        }
    }
    result
}
