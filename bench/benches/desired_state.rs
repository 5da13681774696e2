//! Criterion bench of the in-process translation: `desired_state` over the whole synthetic set,
//! at the render size and ten times it (same hosts), so `make bench` can read both medians for
//! the throughput and scaling figures. Sizes follow `BENCH_QUICK` like the rest of the suite.

use std::process::ExitCode;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use uds_egress_bench::criterion_estimate::GROUP;
use uds_egress_bench::scale::Scale;
use uds_egress_bench::synth::{self, Workload};
use uds_egress_core::{RuleConfig, desired_state};

fn main() -> ExitCode {
    let scale = Scale::from_env();
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(if scale.quick { 1 } else { 3 }))
        .configure_from_args();
    let config = RuleConfig::default();
    let mut group = criterion.benchmark_group(GROUP);
    // One iteration is hundreds of milliseconds: flat sampling, few samples.
    group.sampling_mode(SamplingMode::Flat);
    for packages in [scale.render_packages, scale.scaling_packages] {
        let parsed = match synth::parse(&Workload::new(packages, scale.render_hosts).generate()) {
            Ok(parsed) => parsed,
            Err(problem) => {
                eprintln!("desired_state bench: {problem}");
                return ExitCode::FAILURE;
            }
        };
        let refused = desired_state(&parsed, &config).refused.len();
        if refused > 0 {
            eprintln!("desired_state bench: {refused} synthetic Packages refused");
            return ExitCode::FAILURE;
        }
        let seconds = if scale.quick { 2 } else { 10 };
        group
            .throughput(Throughput::Elements(packages as u64))
            .measurement_time(Duration::from_secs(seconds));
        group.bench_with_input(BenchmarkId::from_parameter(packages), &parsed, |b, set| {
            // The drop of the result is not part of the translation.
            b.iter_with_large_drop(|| desired_state(set, &config))
        });
    }
    group.finish();
    criterion.final_summary();
    ExitCode::SUCCESS
}
