//! uds-egress core: the UDS `Package` egress model, its admission rules, and its translation into
//! Istio egress objects. Pure: no I/O, no clock, no randomness; builds for wasm32 and native.
//!
//! The policy (admission) and the generator (render, controller) both use this crate, so that
//! admission and generation can never disagree about what a Package means.

// The policy runs this code on every admission: a panic would trap the wasm module, an outage of
// the cluster's admission path. The workspace lints deny unwrap, expect, panic and indexing
// (`make lint` allows them in tests).

pub mod deprecated_fields;
pub mod desired;
pub mod field_error;
mod fnv;
pub mod generated_object;
pub mod host_pattern;
pub mod json_type;
pub mod manifest;
pub mod model;
pub mod names;
pub mod normal_host;
pub mod objects;
pub mod owner_annotation;
pub mod parse;
pub mod port;
pub mod quoting;
pub mod reach;
pub mod resolve;
pub mod rules;
pub mod sanitize;
pub mod translate;
pub mod violation;

pub use desired::{
    Admission, DesiredObjects, DesiredState, Refusal, admission, desired_objects, desired_state,
};
pub use generated_object::{GeneratedObject, ObjectKey};
pub use manifest::Manifest;
pub use model::{Allow, Mode, Package, Protocol};
pub use rules::config::RuleConfig;
pub use violation::{Code, Violation};
