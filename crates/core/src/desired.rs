//! Desired state: every object the whole set of Packages calls for, as a pure function of the set.
//!
//! Packages are admitted one by one in priority order (earlier `creationTimestamp`, else earlier
//! in the input), so when two conflict the earlier one wins and the later contributes nothing.
//! Admitted Packages are then translated in canonical order (namespace, name), and the objects are
//! sorted by namespace, kind, name: the output never depends on the input order otherwise.

use std::iter::Peekable;

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
    let admission = admission(packages, config);
    let objects = desired_objects(packages, &admission).collect();
    DesiredState {
        objects,
        refused: admission.refused,
    }
}

/// Which Packages contribute objects, and which do not and why: the first half of
/// [`desired_state`], for callers that print the objects as they are made
/// ([`desired_objects`]) instead of holding them all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Admission {
    /// Positions in the input of the admitted Packages, in canonical order (namespace, name).
    admitted: Vec<usize>,
    /// In input order.
    pub refused: Vec<Refusal>,
}

/// Admits `packages` (in input order) as [`desired_state`] does.
pub fn admission(packages: &[Package], config: &RuleConfig) -> Admission {
    let (mut admitted, mut refused) = admit(packages, config);
    refused.sort_by_key(|r| r.input_index);
    // Stable: Packages of one namespace and name stay in priority order.
    admitted.sort_by_key(|&position| packages.get(position).map(canonical_key));
    Admission { admitted, refused }
}

/// The objects of the admitted Packages, made one namespace at a time, in [`DesiredState`]'s
/// order. `admission` must come from [`admission`] on the same `packages`.
pub fn desired_objects<'a>(packages: &'a [Package], admission: &Admission) -> DesiredObjects<'a> {
    let admitted: Vec<&Package> = admission
        .admitted
        .iter()
        .filter_map(|&position| packages.get(position))
        .collect();
    let in_mode = |mode: Mode| -> Vec<&Package> {
        admitted
            .iter()
            .copied()
            .filter(|p| p.mode() == mode)
            .collect()
    };
    let mut shared = sidecar_shared::shared_objects(in_mode(Mode::Sidecar));
    shared.extend(ambient::shared_objects(&in_mode(Mode::Ambient)));
    shared.sort_by(|a, b| a.key.cmp(&b.key));
    DesiredObjects {
        admitted,
        next_package: 0,
        own: Vec::new().into_iter(),
        shared: shared.into_iter().peekable(),
    }
}

/// The iterator of [`desired_objects`]. A Package's own objects live in its namespace and the
/// Packages come in namespace order, so the own objects of one namespace at a time, sorted, form
/// one sorted run across all namespaces; it is merged with the shared objects (a few per host,
/// made and sorted up front). Only one namespace's own objects exist at a time: at 10,000
/// Packages they are six in seven of all objects, and holding them all was most of `render`'s
/// peak memory.
pub struct DesiredObjects<'a> {
    /// Admitted Packages in canonical order.
    admitted: Vec<&'a Package>,
    /// The first Package of `admitted` whose objects are not made yet.
    next_package: usize,
    /// The current namespace's own objects not yet returned, sorted.
    own: std::vec::IntoIter<GeneratedObject>,
    shared: Peekable<std::vec::IntoIter<GeneratedObject>>,
}

impl DesiredObjects<'_> {
    /// Makes the next namespace's own objects, until there are some or no Package is left.
    fn refill_own(&mut self) {
        while self.own.as_slice().is_empty() {
            let rest = self.admitted.get(self.next_package..).unwrap_or_default();
            let Some(first) = rest.first() else {
                return;
            };
            // One Package per namespace is a rule, but a group keeps the order right without it.
            let group = rest
                .iter()
                .take_while(|p| p.namespace() == first.namespace())
                .count();
            let mut own: Vec<GeneratedObject> = Vec::new();
            for package in rest.iter().take(group) {
                own.extend(network_policy::network_policies(package));
                if package.mode() == Mode::Sidecar {
                    own.extend(sidecar_local::local_objects(package));
                }
            }
            own.sort_by(|a, b| a.key.cmp(&b.key));
            self.next_package += group;
            self.own = own.into_iter();
        }
    }
}

impl Iterator for DesiredObjects<'_> {
    type Item = GeneratedObject;

    fn next(&mut self) -> Option<GeneratedObject> {
        self.refill_own();
        // On equal keys the own object comes first, as a stable sort of own-then-shared would.
        let shared_first = match (self.own.as_slice().first(), self.shared.peek()) {
            (Some(own), Some(shared)) => shared.key < own.key,
            (None, _) => true,
            (Some(_), None) => false,
        };
        if shared_first {
            self.shared.next()
        } else {
            self.own.next()
        }
    }
}

/// Validates each Package and checks it against those admitted before it, in priority order.
fn admit(packages: &[Package], config: &RuleConfig) -> (Vec<usize>, Vec<Refusal>) {
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
            admitted.push(position);
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

/// Canonical order: namespace, then name.
fn canonical_key(package: &Package) -> (&str, &str) {
    (package.namespace(), package.name())
}
