//! Shared parts of the fuzz targets (`fuzz_targets/`): the Package generator, the fuzzed
//! cluster, and the oracles the targets assert.

pub mod cluster;
pub mod examples;
pub mod generator;
pub mod json;
pub mod oracles;

/// The API server's naming rules, shared with the property tests.
#[path = "../../crates/egress/tests/support/k8s_names.rs"]
pub mod k8s_names;

/// The vocabulary of plausible-but-wrong values, shared with the property tests.
#[path = "../../crates/egress/tests/support/odd_inputs.rs"]
pub mod odd_inputs;
