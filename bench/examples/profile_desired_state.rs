//! One `desired_state` over the synthetic set, for a profiler (the criterion bench repeats it):
//!
//! cargo build --release -p uds-egress-bench --example profile_desired_state
//! valgrind --tool=callgrind --toggle-collect='uds_egress_core::desired::desired_state*' \
//!     target/release/examples/profile_desired_state 100000
//!
//! The argument is the number of Packages (default 10,000), over the render figure's 2,000 hosts.

use std::process::ExitCode;
use std::time::Instant;

use uds_egress_bench::scale::Scale;
use uds_egress_bench::synth::{self, Workload};
use uds_egress_core::{RuleConfig, desired_state};

fn main() -> ExitCode {
    let packages = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        None => Scale::FULL.render_packages,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("profile_desired_state: the argument is a number of Packages: {e}");
            return ExitCode::from(2);
        }
    };
    let parsed = match synth::parse(&Workload::new(packages, Scale::FULL.render_hosts).generate()) {
        Ok(parsed) => parsed,
        Err(problem) => {
            eprintln!("profile_desired_state: {problem}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let state = desired_state(&parsed, &RuleConfig::default());
    eprintln!(
        "{packages} Packages: {:.3} s, {} objects, {} refused",
        started.elapsed().as_secs_f64(),
        state.objects.len(),
        state.refused.len()
    );
    ExitCode::SUCCESS
}
