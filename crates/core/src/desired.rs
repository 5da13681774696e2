//! Desired state: every object the whole set of Packages calls for, as a pure function of the set.
//!
//! Packages are admitted one by one in priority order (earlier `creationTimestamp`, else earlier
//! in the input), so when two conflict the earlier one wins and the later contributes nothing.
//! Admitted Packages are then translated in canonical order (namespace, name), and the objects are
//! sorted by namespace, kind, name: the output never depends on the input order otherwise.

use std::cmp::Ordering;

use jiff::Timestamp;
use serde::Serialize;

use crate::generated_object::GeneratedObject;
use crate::model::{Mode, Package};
use crate::rules::config::RuleConfig;
use crate::rules::conflicts::ConflictIndex;
use crate::rules::validate_package;
use crate::translate::{ambient, network_policy, sidecar_local, sidecar_shared};
use crate::violation::Violation;

/// A Package that contributes nothing, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Refusal {
    pub namespace: String,
    pub name: String,
    /// Position of the Package in the input.
    pub input_index: usize,
    pub violations: Vec<Violation>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DesiredState {
    /// Sorted by namespace, kind, name.
    pub objects: Vec<GeneratedObject>,
    /// In input order.
    pub refused: Vec<Refusal>,
}

/// Computes the desired state of `packages` (in input order).
pub fn desired_state(packages: &[Package], config: &RuleConfig) -> DesiredState {
    let (admitted, mut refused) = admit(packages, config);
    refused.sort_by_key(|r| r.input_index);

    let mut admitted: Vec<&Package> = admitted.into_iter().collect();
    admitted.sort_by(|a, b| canonical_order(a, b));

    // Each Package's own objects live in its namespace (one Package per namespace), and the
    // Packages are in namespace order: sorting each Package's few objects makes all of them one
    // sorted run, which the final (run-adaptive, stable) sort only has to merge with the shared
    // objects. Sorting every object from scratch was the step of the translation that grew
    // fastest with the number of Packages.
    let mut objects: Vec<GeneratedObject> = Vec::new();
    for package in &admitted {
        let mut own: Vec<GeneratedObject> = network_policy::network_policies(package).collect();
        if package.mode() == Mode::Sidecar {
            own.extend(sidecar_local::local_objects(package));
        }
        own.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        objects.extend(own);
    }
    let in_mode = |mode: Mode| -> Vec<&Package> {
        admitted
            .iter()
            .copied()
            .filter(|p| p.mode() == mode)
            .collect()
    };
    objects.extend(sidecar_shared::shared_objects(in_mode(Mode::Sidecar)));
    objects.extend(ambient::shared_objects(&in_mode(Mode::Ambient)));
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    DesiredState { objects, refused }
}

/// Validates each Package and checks it against those admitted before it, in priority order.
fn admit<'a>(packages: &'a [Package], config: &RuleConfig) -> (Vec<&'a Package>, Vec<Refusal>) {
    let order = priority_order(packages);

    let mut index = ConflictIndex::new();
    let mut admitted = Vec::new();
    let mut refused = Vec::new();
    for position in order {
        let Some(package) = packages.get(position) else {
            continue;
        };
        // A Package being deleted contributes nothing: its shared parts go at once, and its own
        // objects follow through their owner references.
        if package.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let mut violations = validate_package(package, config);
        if violations.is_empty() {
            violations = index.check(package);
        }
        if violations.is_empty() {
            index.admit(package);
            admitted.push(package);
        } else {
            refused.push(Refusal {
                namespace: package.namespace().to_string(),
                name: package.name().to_string(),
                input_index: position,
                violations,
            });
        }
    }
    (admitted, refused)
}

/// Positions of `packages` by priority: earlier `creationTimestamp` first; Packages without one
/// after all that have one; then input order. (In a cluster every Package has a timestamp; in
/// files usually none has.) A timestamp that does not read as RFC 3339 counts as absent: `render`
/// refuses such files before they get here, and the API server never writes one.
fn priority_order(packages: &[Package]) -> Vec<usize> {
    let created: Vec<Option<Timestamp>> = packages
        .iter()
        .map(|p| {
            p.metadata
                .creation_timestamp
                .as_deref()
                .and_then(|t| t.parse().ok())
        })
        .collect();
    let mut order: Vec<usize> = (0..packages.len()).collect();
    // `None` sorts first as an `Option`; `(is_none, timestamp)` puts it last. A stable sort
    // keeps input order among equals.
    order.sort_by_key(|&i| {
        let at = created.get(i).copied().flatten();
        (at.is_none(), at)
    });
    order
}

fn canonical_order(a: &Package, b: &Package) -> Ordering {
    (a.namespace(), a.name()).cmp(&(b.namespace(), b.name()))
}
