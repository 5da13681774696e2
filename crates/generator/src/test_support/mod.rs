//! Test helpers shared by the planner and controller tests.

pub mod fake_api;
pub mod fixtures;
pub mod server_side;
