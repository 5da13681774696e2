//! Before creating: which of the names about to be created an object without our label already
//! holds. The stores hold only labelled objects, so this asks the API server.
//!
//! A few creates of a kind are looked up one GET each. Many (an initial sync writes thousands)
//! would cost a GET each as well: instead one metadata-only list per watched namespace scope of
//! that kind's objects *without* our label answers for all of them, and only the names it shows
//! are read in full. A failed list falls back to the GETs of its scope; a failed GET counts as
//! "none there", as the write that follows is an unforced apply that a foreign owner refuses.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, stream};
use serde_json::Value;
use tracing::warn;
use uds_egress_core::GeneratedObject;

use super::object_api::{CHECKS_IN_FLIGHT, ObjectApi};
use uds_egress_plan::identity::ObjectId;

/// More creates of one kind than this are checked through lists rather than one GET each.
const GETS_PER_KIND: usize = CHECKS_IN_FLIGHT;

/// The live objects, without our label, that hold names of `creates`. `scopes` are the
/// namespaces the owned-object watches cover (`None`: all), the scopes a list may use.
pub async fn foreign_objects(
    api: &ObjectApi,
    creates: &[GeneratedObject],
    scopes: &[Option<String>],
) -> Vec<Value> {
    let mut by_kind: BTreeMap<(String, String), Vec<ObjectId>> = BTreeMap::new();
    for object in creates {
        let id = ObjectId::of_key(&object.key);
        by_kind
            .entry((id.group.clone(), id.kind.clone()))
            .or_default()
            .push(id);
    }
    let mut candidates: Vec<ObjectId> = Vec::new();
    for ids in by_kind.into_values() {
        if ids.len() <= GETS_PER_KIND {
            candidates.extend(ids);
        } else {
            candidates.extend(listed_candidates(api, ids, scopes).await);
        }
    }
    // Futures collected first, from a named function: a closure returning an async block here
    // makes the pass future not provably `Send` (rust-lang/rust#102211).
    let reads: Vec<_> = candidates.iter().map(|id| existing(api, id)).collect();
    stream::iter(reads)
        .buffered(CHECKS_IN_FLIGHT)
        .filter_map(std::future::ready)
        .collect()
        .await
}

/// The ids of one kind that a list of unlabelled objects shows taken, plus every id no list
/// could answer for (outside the scopes, or its scope's list failed).
async fn listed_candidates(
    api: &ObjectApi,
    ids: Vec<ObjectId>,
    scopes: &[Option<String>],
) -> Vec<ObjectId> {
    let mut taken: BTreeSet<(String, String)> = BTreeSet::new();
    let mut unanswered: Vec<Option<String>> = Vec::new();
    let Some(first) = ids.first() else {
        return ids;
    };
    for scope in scopes {
        if !ids.iter().any(|id| covers(scope, &id.namespace)) {
            continue;
        }
        match api
            .unlabelled_names(&first.group, &first.kind, scope.as_deref())
            .await
        {
            Ok(names) => taken.extend(names),
            Err(error) => {
                warn!(kind = %first.kind, namespace = ?scope, %error,
                    "could not list unlabelled objects: checking each name instead");
                unanswered.push(scope.clone());
            }
        }
    }
    let listed = |ns: &str| scopes.iter().any(|s| covers(s, ns));
    let list_failed = |ns: &str| unanswered.iter().any(|s| covers(s, ns));
    ids.into_iter()
        .filter(|id| {
            !listed(&id.namespace)
                || list_failed(&id.namespace)
                || taken.contains(&(id.namespace.clone(), id.name.clone()))
        })
        .collect()
}

/// Whether a list in `scope` (`None`: all namespaces) sees objects of `namespace`.
fn covers(scope: &Option<String>, namespace: &str) -> bool {
    scope.as_deref().is_none_or(|s| s == namespace)
}

/// The live object of `id`, if any (a failed check is logged and counts as none).
async fn existing(api: &ObjectApi, id: &ObjectId) -> Option<Value> {
    match api.get(id).await {
        Ok(existing) => existing,
        Err(error) => {
            warn!(object = %id, %error, "could not check for an existing object");
            None
        }
    }
}
