//! Prometheus metrics of the controller, served on `/metrics`.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::pass::PassOutcome;
use uds_egress_plan::identity::ObjectId;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: String,
}

impl KindLabel {
    fn of(id: &ObjectId) -> KindLabel {
        KindLabel {
            kind: format!("{}.{}", id.kind, id.group),
        }
    }
}

pub struct Metrics {
    registry: Registry,
    passes: Counter,
    written: Family<KindLabel, Counter>,
    deleted: Family<KindLabel, Counter>,
    failed: Family<KindLabel, Counter>,
    conflicts: Gauge,
    invalid_packages: Gauge,
    last_pass_seconds: Gauge<f64, AtomicU64>,
    leader: Gauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("uds_egress");
        let passes = Counter::default();
        let written = Family::<KindLabel, Counter>::default();
        let deleted = Family::<KindLabel, Counter>::default();
        let failed = Family::<KindLabel, Counter>::default();
        let conflicts = Gauge::default();
        let invalid_packages = Gauge::default();
        let last_pass_seconds = Gauge::<f64, AtomicU64>::default();
        let leader = Gauge::default();
        registry.register("passes", "Planning passes run", passes.clone());
        registry.register(
            "objects_written",
            "Objects created or updated by server-side apply, by kind",
            written.clone(),
        );
        registry.register(
            "objects_deleted",
            "Objects deleted, by kind",
            deleted.clone(),
        );
        registry.register(
            "write_failures",
            "Writes that failed after their retries, by kind",
            failed.clone(),
        );
        registry.register(
            "conflicts",
            "Objects without the uds-egress label that have the name of a generated one (last pass)",
            conflicts.clone(),
        );
        registry.register(
            "invalid_packages",
            "Packages that contribute nothing because they are invalid (last pass)",
            invalid_packages.clone(),
        );
        registry.register(
            "last_pass_duration_seconds",
            "Duration of the last planning pass",
            last_pass_seconds.clone(),
        );
        registry.register(
            "leader",
            "1 while this replica holds the Lease",
            leader.clone(),
        );
        Metrics {
            registry,
            passes,
            written,
            deleted,
            failed,
            conflicts,
            invalid_packages,
            last_pass_seconds,
            leader,
        }
    }

    pub fn record_pass(&self, outcome: &PassOutcome, seconds: f64) {
        self.passes.inc();
        let executed = &outcome.executed;
        for id in executed.created.iter().chain(&executed.updated) {
            self.written.get_or_create(&KindLabel::of(id)).inc();
        }
        for id in &executed.deleted {
            self.deleted.get_or_create(&KindLabel::of(id)).inc();
        }
        for (id, _) in &executed.failed {
            self.failed.get_or_create(&KindLabel::of(id)).inc();
        }
        self.conflicts.set(count(outcome.conflicts.len()));
        self.invalid_packages.set(count(outcome.invalid.len()));
        self.last_pass_seconds.set(seconds);
    }

    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::executor::Executed;

    #[test]
    fn a_pass_is_counted_by_kind() {
        let metrics = Metrics::new();
        let id = |kind: &str| ObjectId {
            group: "networking.istio.io".into(),
            kind: kind.into(),
            namespace: "n".into(),
            name: "x".into(),
        };
        let outcome = PassOutcome {
            executed: Executed {
                created: vec![id("Sidecar")],
                updated: vec![id("Sidecar")],
                deleted: vec![id("ServiceEntry")],
                failed: vec![(id("Gateway"), "boom".into())],
                ..Executed::default()
            },
            ..PassOutcome::default()
        };
        metrics.record_pass(&outcome, 0.25);
        metrics.set_leader(true);
        let text = metrics.encode();
        for line in [
            "uds_egress_passes_total 1",
            "uds_egress_objects_written_total{kind=\"Sidecar.networking.istio.io\"} 2",
            "uds_egress_objects_deleted_total{kind=\"ServiceEntry.networking.istio.io\"} 1",
            "uds_egress_write_failures_total{kind=\"Gateway.networking.istio.io\"} 1",
            "uds_egress_conflicts 0",
            "uds_egress_invalid_packages 0",
            "uds_egress_last_pass_duration_seconds 0.25",
            "uds_egress_leader 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }
}
