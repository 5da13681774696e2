//! The reach set: for every workload, each `host:port/protocol` it can reach through the egress
//! gateway or waypoint, the objects on the way, and why. Sorted throughout, so that any input
//! order gives the same set.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::generated_object::ObjectKey;
use crate::normal_host::same_host;
use crate::reach::network_policy::Grant;
use crate::reach::workload::{EntryRef, PackageRef, Workload};

/// The way out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// The sidecar-mode egress gateway.
    Gateway,
    /// The ambient egress waypoint.
    Waypoint,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Gateway => "gateway",
            Via::Waypoint => "waypoint",
        }
    }
}

/// Why a workload reaches a host and port (docs/reach.md, "Reasons").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonKind {
    /// An entry of the workload's own Package that selects it declared the host and port.
    OwnRule,
    /// Sidecar mode: an entry of its Package without `selector` declared it, for every pod.
    NoSelector,
    /// Ambient mode: an entry of its Package without `serviceAccount` declared it, so the
    /// AuthorizationPolicy names the whole namespace.
    NoServiceAccount,
    /// Sidecar mode: its Package declared it for other pods, and the ServiceEntry is visible to
    /// the whole namespace (`exportTo: ["."]`, no Sidecar egress hosts).
    NamespaceEntry,
    /// Ambient mode: its Package's `remoteGenerated: Anywhere` entry puts its identity on every
    /// host's AuthorizationPolicy, including hosts other Packages declared.
    Anywhere,
    /// Sidecar mode: its Package uses the host, and the shared Gateway, VirtualService and
    /// ServiceEntry carry this port because another Package declared it; the gateway forwards
    /// it to any client its NetworkPolicy lets connect on the port.
    SharedEntry,
    /// Sidecar mode: its Package does not use the host; the egress gateway forwards it to any
    /// client that connects on the port, because it routes by SNI name or `Host` alone.
    GatewayByHost,
    /// Ambient mode: no AuthorizationPolicy targets the ServiceEntry (or a rule names no
    /// source), so the waypoint lets every client through.
    OpenWaypoint,
    /// No entry of the given Packages explains it (live objects that no Package asks for).
    NoRule,
}

/// The three families of reasons of the issue, and the unexplained rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonClass {
    Own,
    NamespaceWide,
    CrossPackage,
    Unexplained,
}

impl ReasonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonKind::OwnRule => "own rule",
            ReasonKind::NoSelector => "namespace-wide (no selector)",
            ReasonKind::NoServiceAccount => "namespace-wide (no serviceAccount)",
            ReasonKind::NamespaceEntry => "namespace-wide ServiceEntry",
            ReasonKind::Anywhere => "Anywhere",
            ReasonKind::SharedEntry => "shared entry",
            ReasonKind::GatewayByHost => "gateway routes by host",
            ReasonKind::OpenWaypoint => "no AuthorizationPolicy",
            ReasonKind::NoRule => "no rule",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Reason {
    pub kind: ReasonKind,
    /// The entry of the workload's Package that grants it, if one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<EntryRef>,
    /// The other Packages whose shared objects carry the host and port.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<PackageRef>,
}

impl Reason {
    pub fn class(&self) -> ReasonClass {
        match self.kind {
            ReasonKind::OwnRule => ReasonClass::Own,
            ReasonKind::NoSelector | ReasonKind::NoServiceAccount | ReasonKind::NamespaceEntry => {
                ReasonClass::NamespaceWide
            }
            ReasonKind::Anywhere if self.packages.is_empty() => ReasonClass::Own,
            ReasonKind::Anywhere
            | ReasonKind::SharedEntry
            | ReasonKind::GatewayByHost
            | ReasonKind::OpenWaypoint
                if !self.packages.is_empty() =>
            {
                ReasonClass::CrossPackage
            }
            _ => ReasonClass::Unexplained,
        }
    }
}

/// One `host:port/protocol` a workload reaches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reach {
    pub host: String,
    pub port: u16,
    pub protocol: String,
    pub via: Via,
    /// Sorted; never empty.
    pub reasons: Vec<Reason>,
    /// The objects on the way (ServiceEntries, VirtualServices, Gateway or waypoint,
    /// AuthorizationPolicies), sorted.
    pub objects: Vec<ObjectKey>,
    /// What lets the workload's pods connect to the gateway or waypoint.
    pub connect: Vec<Grant>,
    /// Reached only because of other Packages' objects ([`only_through_others`]).
    pub cross_package: bool,
}

impl Reach {
    /// `host:port/protocol`.
    pub fn target(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.protocol)
    }

    pub fn is_cross_package(&self) -> bool {
        self.cross_package
    }
}

/// Whether `reasons` explain a reach only by other Packages' objects: some reason is of the
/// cross-Package class and none is the workload's own or its namespace's.
pub fn only_through_others(reasons: &[Reason]) -> bool {
    let classes: Vec<ReasonClass> = reasons.iter().map(Reason::class).collect();
    classes.contains(&ReasonClass::CrossPackage)
        && !classes
            .iter()
            .any(|c| matches!(c, ReasonClass::Own | ReasonClass::NamespaceWide))
}

/// The Sidecar that configures a sidecar-mode workload's proxy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SidecarUse {
    /// `None`: none applies, the mesh default.
    pub object: Option<ObjectKey>,
    /// `REGISTRY_ONLY` or `ALLOW_ANY`.
    pub mode: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkloadReach {
    pub workload: Workload,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sidecar: Option<SidecarUse>,
    /// Sorted by host, port, protocol, way.
    pub reaches: Vec<Reach>,
}

/// What a pair is keyed by, for `--diff`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PairKey {
    pub workload: Workload,
    pub host: String,
    pub port: u16,
    pub protocol: String,
    pub via: Via,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReachSet {
    /// Sorted by workload.
    pub workloads: Vec<WorkloadReach>,
    /// What the objects hold that the analysis does not model, sorted.
    pub notes: Vec<String>,
}

impl ReachSet {
    /// Every reached pair with its reach.
    pub fn pairs(&self) -> BTreeMap<PairKey, &Reach> {
        let mut out = BTreeMap::new();
        for w in &self.workloads {
            for reach in &w.reaches {
                out.insert(
                    PairKey {
                        workload: w.workload.clone(),
                        host: reach.host.clone(),
                        port: reach.port,
                        protocol: reach.protocol.clone(),
                        via: reach.via,
                    },
                    reach,
                );
            }
        }
        out
    }

    /// Only what reaches `host` (compared in the hosts' normal form).
    pub fn for_host(mut self, host: &str) -> ReachSet {
        for w in &mut self.workloads {
            w.reaches.retain(|r| same_host(&r.host, host));
        }
        self.workloads.retain(|w| !w.reaches.is_empty());
        self
    }
}
