//! The benchmark suite behind `make bench`: every figure of the performance budget, measured
//! side by side with its baseline and printed as one table (see `docs/performance.md`).
//!
//! - figure 1, [`policy_eval`]: `validate` time of `policy.wasm` against the no-op policy;
//! - figure 2, [`module_size`]: the size of both modules; [`image_size`]: the generator's image;
//! - figure 3, [`render_figures`]: the in-process translation (criterion, `benches/`), the
//!   `render` process and its memory, and scaling to ten times the Packages;
//! - figure 4, [`writes`]: API writes of the controller's planner, next to UDS Core's
//!   ([`uds_core_cost`]);
//! - figure 5, [`api_server`]: the controller on the real kube-apiserver (sync, restart,
//!   reaction), measured by `bench/api-server/controller-figures`;
//! - figure 6, [`policy_engines`]: the policy on kwctl and policy-server with its lookups
//!   answered by the real kube-apiserver, measured by `bench/api-server/policy-figures`.
//!
//! Everything runs on the seeded workload of [`synth`], at the sizes of [`scale`].

pub mod api_server;
pub mod child;
pub mod criterion_estimate;
pub mod engine_figures;
pub mod image_size;
pub mod mask;
pub mod module_size;
pub mod policy_engines;
pub mod policy_eval;
pub mod policy_workload;
pub mod render_figures;
pub mod rng;
pub mod scale;
pub mod stats;
pub mod synth;
pub mod table;
pub mod uds_core_cost;
pub mod writes;
