//! Every API call the controller makes, as RBAC sees it. `deploy/generator/` must grant all of
//! these (a test reads the manifests and checks), and the mocked-API tests check that every
//! request the controller sends is one of these.

use uds_egress_plan::kinds::{MANAGED_KINDS, PACKAGE_KIND};

/// Where a permission is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// In every namespace the controller watches or writes (a ClusterRole).
    Cluster,
    /// Only in the Lease's namespace (a Role there).
    LeaseNamespace,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiUsage {
    pub group: &'static str,
    pub resource: &'static str,
    pub verbs: &'static [&'static str],
    pub scope: Scope,
}

/// Owned kinds: watched (list, watch), probed before a create (get), applied (patch; an apply
/// that creates also needs create) and deleted.
pub const OWNED_VERBS: &[&str] = &["get", "list", "watch", "create", "patch", "delete"];

const PACKAGES: ApiUsage = ApiUsage {
    group: PACKAGE_KIND.group,
    resource: PACKAGE_KIND.plural,
    verbs: &["list", "watch"],
    scope: Scope::Cluster,
};

/// events.k8s.io Events: created, and patched when the same event repeats.
const EVENTS: ApiUsage = ApiUsage {
    group: "events.k8s.io",
    resource: "events",
    verbs: &["create", "patch"],
    scope: Scope::Cluster,
};

/// The leader-election Lease: read, created once, then replaced with resourceVersion checks.
const LEASES: ApiUsage = ApiUsage {
    group: "coordination.k8s.io",
    resource: "leases",
    verbs: &["get", "create", "update"],
    scope: Scope::LeaseNamespace,
};

const USAGE_COUNT: usize = MANAGED_KINDS.len() + 3;

/// The complete list.
pub const API_USAGE: [ApiUsage; USAGE_COUNT] = build();

const fn build() -> [ApiUsage; USAGE_COUNT] {
    let mut usage = [PACKAGES; USAGE_COUNT];
    let mut i = 0;
    while i < MANAGED_KINDS.len() {
        usage[i + 1] = ApiUsage {
            group: MANAGED_KINDS[i].group,
            resource: MANAGED_KINDS[i].plural,
            verbs: OWNED_VERBS,
            scope: Scope::Cluster,
        };
        i += 1;
    }
    usage[USAGE_COUNT - 2] = EVENTS;
    usage[USAGE_COUNT - 1] = LEASES;
    usage
}

/// Whether `(group, resource, verb)` is in [`API_USAGE`].
pub fn is_declared(group: &str, resource: &str, verb: &str) -> bool {
    API_USAGE
        .iter()
        .any(|u| u.group == group && u.resource == resource && u.verbs.contains(&verb))
}
