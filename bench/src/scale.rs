//! How big and how long: the full run of `make bench`, or the quick run (`BENCH_QUICK=1`) that
//! `make test` does so the suite cannot rot.

use std::env;

/// The environment variable that selects the quick run.
pub const QUICK_ENV: &str = "BENCH_QUICK";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// Few iterations, small sizes, budgets reported but not enforced.
    pub quick: bool,
    /// Timed `validate` calls per request and module, after the warm-up.
    pub policy_samples: usize,
    pub policy_warmup: usize,
    /// Packages in the cluster the policy's context-aware lookups see.
    pub policy_cluster_packages: usize,
    pub policy_cluster_hosts: usize,
    /// The render workload and its distinct hosts.
    pub render_packages: usize,
    pub render_hosts: usize,
    /// The scaling workload (same hosts): ten times the render workload.
    pub scaling_packages: usize,
    /// Runs of the `render` process.
    pub render_runs: usize,
    /// The cluster of the controller-writes figures, and how many Packages share the changed host.
    pub writes_packages: usize,
    pub writes_hosts: usize,
    pub shared_by: usize,
}

impl Scale {
    pub const FULL: Scale = Scale {
        quick: false,
        policy_samples: 3000,
        policy_warmup: 200,
        policy_cluster_packages: 200,
        policy_cluster_hosts: 120,
        render_packages: 10_000,
        render_hosts: 2_000,
        scaling_packages: 100_000,
        render_runs: 5,
        writes_packages: 1_000,
        writes_hosts: 200,
        shared_by: 50,
    };

    pub const QUICK: Scale = Scale {
        quick: true,
        policy_samples: 40,
        policy_warmup: 5,
        render_packages: 200,
        render_hosts: 40,
        scaling_packages: 2_000,
        render_runs: 1,
        writes_packages: 100,
        writes_hosts: 40,
        shared_by: 10,
        ..Scale::FULL
    };

    /// Quick when `BENCH_QUICK` is set to anything but empty or `0`.
    pub fn from_env() -> Scale {
        match env::var(QUICK_ENV) {
            Ok(value) if !value.is_empty() && value != "0" => Scale::QUICK,
            _ => Scale::FULL,
        }
    }
}
