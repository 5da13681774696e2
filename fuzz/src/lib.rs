//! Shared parts of the fuzz targets (`fuzz_targets/`): the Package generator, the fuzzed
//! cluster, and the oracles the targets assert.

pub mod cluster;
pub mod examples;
pub mod generator;
pub mod json;
pub mod oracles;

// The API server's naming rules and the vocabulary of plausible-but-wrong values, shared with the
// property tests through the test kit.
pub use uds_egress_testkit::{k8s_names, odd_inputs};
