//! Test fixtures and builders shared by more than one crate's tests (never shipped):
//! - [`k8s_names`]: the API server's naming rules, to check our output against;
//! - [`odd_inputs`] and [`strategies`]: plausible-but-wrong Packages for property tests and fuzzing;
//! - [`fixtures`]: small valid Packages and the rule configuration the generator's tests share;
//! - [`server_side`]: what the API server stores after the generator's server-side apply.

pub mod fixtures;
pub mod k8s_names;
pub mod odd_inputs;
pub mod server_side;
pub mod strategies;
