//! Figure 6: the policy on the real engines, as `bench/api-server/policy-figures` measured it
//! (kwctl bench and policy-server, lookups answered by a kube-apiserver storing the benchmark's
//! cluster at each size). This module turns the figures into rows with their budgets.
//!
//! Budgets (issue 13), on the typical Package, with the sizes the script measured (empty, then
//! two sizes ten times apart: 200 and 2,000 in the full run):
//! - kwctl, the smaller cluster: ≤ 3× the same request against the empty cluster;
//! - kwctl, the larger cluster: ≤ 1.5× the smaller one; where the engine's own cost of
//!   delivering the lists (the lookups-only module) is the larger part of the policy's time,
//!   ≤ 1.5× that floor instead, and never more than linear (≤ 10×, the ratio of the sizes);
//! - kwctl without lookups (`contextAware: false`): ≤ 1.5× the no-op;
//! - policy-server at 8 concurrent clients, each non-empty size: p50 ≤ 1.2× the no-op's.

use std::path::Path;

use serde::Deserialize;

use crate::engine_figures;
use crate::table::{Check, Row, thousands};

const FIGURE: &str = "6 policy on real engines";
pub const EMPTY_FACTOR: f64 = 3.0;
pub const LARGER_FACTOR: f64 = 1.5;
pub const NO_LOOKUPS_FACTOR: f64 = 1.5;
pub const SERVER_P50_FACTOR: f64 = 1.2;

/// What the script measured (its JSON keys).
#[derive(Debug, Deserialize)]
pub struct Figures {
    pub seconds: f64,
    pub clients: usize,
    pub kwctl_no_lookups_us: NoLookups,
    pub sizes: Vec<Size>,
}

#[derive(Debug, Deserialize)]
pub struct NoLookups {
    pub policy: f64,
    pub noop: f64,
}

/// One cluster size.
#[derive(Debug, Deserialize)]
pub struct Size {
    pub packages: usize,
    /// kwctl bench medians, µs.
    pub kwctl_us: Contenders<f64>,
    pub policy_server: Contenders<Latency>,
}

#[derive(Debug, Deserialize)]
pub struct Contenders<T> {
    pub policy: T,
    pub lookups_only: T,
    pub noop: T,
}

/// AdmissionReview latencies on policy-server (wrk), µs.
#[derive(Debug, Deserialize)]
pub struct Latency {
    pub p50_us: f64,
    pub p99_us: f64,
    pub requests: usize,
}

/// `required`: the figures must be there (full run, or engines required).
pub fn run(file: &Path, required: bool) -> Vec<Row> {
    let engines = "kube-apiserver, etcd, kubectl, jq, kwctl, policy-server or wrk";
    match engine_figures::read::<Figures>(file, required, FIGURE, engines) {
        Ok(figures) => rows(&figures),
        Err(row) => vec![row],
    }
}

pub fn rows(f: &Figures) -> Vec<Row> {
    let mut sizes: Vec<&Size> = f.sizes.iter().collect();
    sizes.sort_by_key(|s| s.packages);
    let [empty, smaller, larger] = sizes.as_slice() else {
        return vec![Row::error(
            FIGURE,
            format!("three cluster sizes expected, {} measured", sizes.len()),
        )];
    };
    let mut rows = Vec::new();
    for size in &sizes {
        let k = &size.kwctl_us;
        rows.push(Row::info(
            format!("{FIGURE}: kwctl, {} Packages", thousands(size.packages)),
            format!(
                "median {:.1} µs (lookups only {:.1} µs, no-op {:.1} µs)",
                k.policy, k.lookups_only, k.noop
            ),
        ));
    }
    rows.push(Row::checked(
        format!(
            "{FIGURE}: kwctl, {} vs empty cluster",
            thousands(smaller.packages)
        ),
        ratio_text(smaller.kwctl_us.policy, empty.kwctl_us.policy),
        Check::at_most(
            smaller.kwctl_us.policy,
            EMPTY_FACTOR * empty.kwctl_us.policy,
            format!(
                "≤ {EMPTY_FACTOR}× empty = {:.1} µs",
                EMPTY_FACTOR * empty.kwctl_us.policy
            ),
        ),
    ));
    rows.extend(larger_rows(smaller, larger));
    let n = &f.kwctl_no_lookups_us;
    rows.push(Row::checked(
        format!("{FIGURE}: kwctl, no lookups"),
        format!("median {:.1} µs (no-op {:.1} µs)", n.policy, n.noop),
        Check::at_most(
            n.policy,
            NO_LOOKUPS_FACTOR * n.noop,
            format!(
                "≤ {NO_LOOKUPS_FACTOR}× no-op = {:.1} µs",
                NO_LOOKUPS_FACTOR * n.noop
            ),
        ),
    ));
    for size in [smaller, larger] {
        let s = &size.policy_server;
        rows.push(Row::checked(
            format!(
                "{FIGURE}: policy-server p50, {} Packages, {} clients",
                thousands(size.packages),
                f.clients
            ),
            format!(
                "p50 {:.0} µs, p99 {:.0} µs ({} requests; lookups only {:.0} / {:.0} µs; no-op {:.0} / {:.0} µs)",
                s.policy.p50_us,
                s.policy.p99_us,
                thousands(s.policy.requests),
                s.lookups_only.p50_us,
                s.lookups_only.p99_us,
                s.noop.p50_us,
                s.noop.p99_us
            ),
            Check::at_most(
                s.policy.p50_us,
                SERVER_P50_FACTOR * s.noop.p50_us,
                format!(
                    "≤ {SERVER_P50_FACTOR}× no-op = {:.0} µs",
                    SERVER_P50_FACTOR * s.noop.p50_us
                ),
            ),
        ));
    }
    rows
}

/// The larger cluster against the smaller: 1.5× the smaller's time, or, where the floor (the
/// engine delivering the lists) is most of the larger's time, 1.5× the floor and at most linear.
fn larger_rows(smaller: &Size, larger: &Size) -> Vec<Row> {
    let figure = format!(
        "{FIGURE}: kwctl, {} vs {} Packages",
        thousands(larger.packages),
        thousands(smaller.packages)
    );
    let (time, floor, before) = (
        larger.kwctl_us.policy,
        larger.kwctl_us.lookups_only,
        smaller.kwctl_us.policy,
    );
    let value = ratio_text(time, before);
    if floor < time / 2.0 {
        return vec![Row::checked(
            figure,
            value,
            Check::at_most(
                time,
                LARGER_FACTOR * before,
                format!("≤ {LARGER_FACTOR}× = {:.1} µs", LARGER_FACTOR * before),
            ),
        )];
    }
    let linear = larger.packages as f64 / smaller.packages.max(1) as f64;
    vec![
        Row::checked(
            format!("{figure}, against the floor"),
            format!("{value}; lookups only {floor:.1} µs, the larger part"),
            Check::at_most(
                time,
                LARGER_FACTOR * floor,
                format!("≤ {LARGER_FACTOR}× floor = {:.1} µs", LARGER_FACTOR * floor),
            ),
        ),
        Row::checked(
            format!("{figure}, growth"),
            value_ratio(time, before),
            Check::at_most(time / before, linear, format!("≤ {linear:.0}× (linear)")),
        ),
    ]
}

fn ratio_text(value: f64, base: f64) -> String {
    format!(
        "{value:.1} µs vs {base:.1} µs = {}",
        value_ratio(value, base)
    )
}

fn value_ratio(value: f64, base: f64) -> String {
    format!("{:.2}×", value / base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latency(p50_us: f64) -> Latency {
        Latency {
            p50_us,
            p99_us: p50_us * 2.0,
            requests: 1000,
        }
    }

    fn size(packages: usize, policy: f64, lookups_only: f64, server_p50: f64) -> Size {
        Size {
            packages,
            kwctl_us: Contenders {
                policy,
                lookups_only,
                noop: 30.0,
            },
            policy_server: Contenders {
                policy: latency(server_p50),
                lookups_only: latency(server_p50),
                noop: latency(1000.0),
            },
        }
    }

    fn figures(sizes: Vec<Size>) -> Figures {
        Figures {
            seconds: 5.0,
            clients: 8,
            kwctl_no_lookups_us: NoLookups {
                policy: 40.0,
                noop: 30.0,
            },
            sizes,
        }
    }

    fn failed(f: &Figures) -> Vec<String> {
        rows(f)
            .into_iter()
            .filter(Row::failed)
            .map(|r| r.figure)
            .collect()
    }

    #[test]
    fn figures_within_budget_pass_whatever_the_order_of_sizes() {
        let f = figures(vec![
            size(2000, 140.0, 40.0, 1100.0),
            size(0, 50.0, 35.0, 1000.0),
            size(200, 100.0, 36.0, 1100.0),
        ]);
        assert!(failed(&f).is_empty(), "{:?}", rows(&f));
        assert!(rows(&f).iter().all(|r| !r.broken));
    }

    #[test]
    fn each_budget_can_fail() {
        let slow_200 = figures(vec![
            size(0, 50.0, 35.0, 1000.0),
            size(200, 151.0, 36.0, 1100.0),
            size(2000, 160.0, 40.0, 1100.0),
        ]);
        assert_eq!(
            failed(&slow_200),
            vec![format!("{FIGURE}: kwctl, 200 vs empty cluster")]
        );
        let slow_2000 = figures(vec![
            size(0, 50.0, 35.0, 1000.0),
            size(200, 100.0, 36.0, 1100.0),
            size(2000, 151.0, 40.0, 1100.0),
        ]);
        assert_eq!(
            failed(&slow_2000),
            vec![format!("{FIGURE}: kwctl, 2,000 vs 200 Packages")]
        );
        let slow_server = figures(vec![
            size(0, 50.0, 35.0, 1000.0),
            size(200, 100.0, 36.0, 1300.0),
            size(2000, 140.0, 40.0, 1100.0),
        ]);
        assert_eq!(
            failed(&slow_server),
            vec![format!(
                "{FIGURE}: policy-server p50, 200 Packages, 8 clients"
            )]
        );
        let mut heavy = figures(vec![
            size(0, 50.0, 35.0, 1000.0),
            size(200, 100.0, 36.0, 1100.0),
            size(2000, 140.0, 40.0, 1100.0),
        ]);
        heavy.kwctl_no_lookups_us.policy = 46.0;
        assert_eq!(failed(&heavy), vec![format!("{FIGURE}: kwctl, no lookups")]);
    }

    #[test]
    fn where_the_floor_is_the_larger_part_it_is_the_budget_and_growth_stays_linear() {
        // 2,000 Packages: 1,200 µs, 1,000 of them the engine's: within 1.5× the floor.
        let floor_bound = figures(vec![
            size(0, 50.0, 35.0, 1000.0),
            size(200, 130.0, 60.0, 1100.0),
            size(2000, 1200.0, 1000.0, 1100.0),
        ]);
        assert!(failed(&floor_bound).is_empty(), "{:?}", rows(&floor_bound));
        // Past linear growth (11× for 10× the Packages) even though within the floor's budget.
        let super_linear = figures(vec![
            size(0, 50.0, 35.0, 1000.0),
            size(200, 100.0, 60.0, 1100.0),
            size(2000, 1100.0, 1000.0, 1100.0),
        ]);
        assert_eq!(
            failed(&super_linear),
            vec![format!("{FIGURE}: kwctl, 2,000 vs 200 Packages, growth")]
        );
        let over_floor = figures(vec![
            size(0, 50.0, 35.0, 1000.0),
            size(200, 100.0, 60.0, 1100.0),
            size(2000, 990.0, 600.0, 1100.0),
        ]);
        assert_eq!(
            failed(&over_floor),
            vec![format!(
                "{FIGURE}: kwctl, 2,000 vs 200 Packages, against the floor"
            )]
        );
    }

    #[test]
    fn fewer_sizes_than_three_cannot_be_judged() {
        let f = figures(vec![size(0, 50.0, 35.0, 1000.0)]);
        assert!(rows(&f).iter().all(|r| r.broken));
    }

    #[test]
    fn a_missing_file_is_never_a_pass() {
        let missing = Path::new("/nonexistent/policy-engines.json");
        assert!(
            run(missing, false)
                .iter()
                .all(|r| r.check.is_none() && !r.broken)
        );
        assert!(run(missing, true).iter().all(|r| r.broken && r.failed()));
    }
}
