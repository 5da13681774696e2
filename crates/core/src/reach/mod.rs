//! Reach: which Package workload can leave the mesh to which `host:port/protocol`, and why.
//!
//! Derived from the objects (generated, or read from a cluster) with Istio's and Kubernetes'
//! rules, one file per kind, so that what it reports is what the mesh enforces; the Packages only
//! supply the workloads and explain each reach. The rules, reasons and limits are written down
//! in docs/reach.md (R1 to R7 are cited in the files).
//!
//! - [`workload`]: the workloads of Packages;
//! - [`fields`]: reading objects' JSON with field paths;
//! - [`mesh`]: the objects by kind;
//! - [`sidecar`] (R1), [`service_entry`] (R2), [`routing`] (R3, R5), [`network_policy`] (R4),
//!   [`authorization`] (R6, R7): the rules of each kind;
//! - [`declarations`]: what the Packages asked for, to explain a reach;
//! - [`derive`]: the reach set; [`set`]: its shape; [`diff`]: what a change opens or closes;
//!   [`openings`]: what a change opens for other Packages; [`shared_entry_openings`]: the same for
//!   shared entries, from the Packages alone (the policy's warning).

pub mod authorization;
pub mod declarations;
pub mod derive;
pub mod diff;
pub mod fields;
pub mod mesh;
pub mod network_policy;
pub mod openings;
pub mod routing;
pub mod service_entry;
pub mod set;
pub mod shared_entry_openings;
pub mod sidecar;
pub mod workload;

pub use derive::reach;
pub use diff::{ReachDiff, diff};
pub use mesh::{Mesh, ObjectError};
pub use set::{Reach, ReachSet, Reason, ReasonClass, ReasonKind, Via};
pub use workload::{PackageRef, Workload};

use crate::generated_object::GeneratedObject;
use crate::model::Package;

/// The reach set of generated objects (`desired_state`'s).
pub fn reach_of_generated(
    packages: &[Package],
    objects: &[GeneratedObject],
) -> Result<ReachSet, ObjectError> {
    let values: Vec<&serde_json::Value> = objects.iter().map(|o| &*o.manifest).collect();
    Ok(reach(packages, &Mesh::read(values)?))
}
