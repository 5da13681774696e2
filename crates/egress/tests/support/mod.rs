//! Helpers of the property tests; see each module.

pub mod k8s_names;
pub mod odd_inputs;
pub mod strategies;
