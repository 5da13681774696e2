//! The generator's logic without I/O, shared by the `uds-egress` binary, the benchmarks, the fuzz
//! targets and the tests: objects parsed from a source's text ([`input`]), a Package set as one
//! ([`overlay`]), the plan that brings live objects to the desired state ([`plan`]: what to
//! create, update and delete, compared by [`compare`] on the fields [`managed_fields`] says we
//! own, conflicts grouped by [`hosts`]), and manifests written as YAML ([`output`]).

pub mod compare;
pub mod hosts;
pub mod identity;
pub mod input;
pub mod kinds;
pub mod managed_fields;
pub mod output;
pub mod overlay;
pub mod plan;
pub mod report;
pub mod timestamps;

pub use plan::{Conflict, Delete, Plan, Update, contributes, plan};
