//! uds-egress core: the UDS `Package` egress model, its admission rules, and its translation into
//! Istio egress objects. Pure: no I/O, no clock, no randomness; builds for wasm32 and native.
//!
//! The policy (admission) and the generator (render, controller) both use this crate, so that
//! admission and generation can never disagree about what a Package means.

pub mod host_pattern;
pub mod model;
pub mod names;
pub mod object;
pub mod parse;
pub mod port;
pub mod resolve;
pub mod rules;
pub mod sanitize;
pub mod violation;

pub use model::{Allow, Mode, Package, Protocol};
pub use object::{GeneratedObject, ObjectKey};
pub use rules::config::RuleConfig;
pub use violation::{Code, Violation};
