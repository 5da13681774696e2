//! Translation of admitted Packages into generated objects (semantics §3).

pub mod ambient;
pub mod host_aggregate;
pub mod network_policy;
pub mod sidecar_local;
pub mod sidecar_shared;
