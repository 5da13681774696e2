//! The whole controller (watches, Lease, control loop, Events) against the mocked API: it
//! converges from the Packages it lists, becomes ready, releases the Lease when stopped, and a
//! second instance started on the converged cluster writes no object.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::assert_declared;
use super::fake_api::FakeApi;
use crate::controller::ControlLoop;
use crate::controller::events::EventSink;
use crate::controller::leader::{Elector, Leadership, LeaseConfig, campaign};
use crate::controller::metrics::Metrics;
use crate::controller::object_api::ObjectApi;
use crate::controller::server::Health;
use crate::controller::watches::Watches;
use uds_egress_testkit::fixtures::{config, desired, package, package_manifest};

const LEASE: &str = "/apis/coordination.k8s.io/v1/namespaces/sys/leases/uds-egress-generator";

/// Runs one controller instance until `done` holds (and it is ready), then stops it as SIGTERM
/// would. Returns whether `done` was reached.
async fn run_until(fake: &FakeApi, identity: &str, done: impl Fn(&FakeApi) -> bool) -> bool {
    let client = fake.client();
    let (changes_tx, changes_rx) = watch::channel(0u64);
    let watches = Watches::start(&client, &[], changes_tx);
    let (stop_tx, stop_rx) = watch::channel(false);
    let lease = LeaseConfig::new("sys".into(), "uds-egress-generator".into(), identity.into());
    let leadership = Arc::new(Leadership::new(lease.renew_deadline));
    let (leading_tx, leading_rx) = watch::channel(false);
    let elector = Elector::new(client.clone(), lease);
    let health = Arc::new(Health::default());
    let campaign = tokio::spawn(campaign(
        elector,
        leadership.clone(),
        leading_tx,
        health.clone(),
        stop_rx.clone(),
    ));
    let control = ControlLoop {
        api: ObjectApi::new(client.clone()),
        events: Some(EventSink::new(client, identity.into())),
        config: config(),
        dry_run: false,
        health: health.clone(),
        metrics: Arc::new(Metrics::new()),
        leadership,
    };
    let control_task = tokio::spawn(async move {
        control.run(&watches, changes_rx, leading_rx, stop_rx).await;
        watches.abort();
    });
    let mut reached = false;
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if done(fake) && health.ready() {
            reached = true;
            break;
        }
    }
    stop_tx.send(true).unwrap();
    control_task.await.unwrap();
    campaign.await.unwrap();
    reached
}

#[tokio::test(start_paused = true)]
async fn converges_stops_cleanly_and_restarts_without_writes() {
    let fake = FakeApi::new();
    let rules: &[(&str, &[u16], &str)] = &[("example.com", &[443], "TLS")];
    fake.insert(package_manifest("app", "sidecar", 1, rules));
    fake.insert(package_manifest("amb", "ambient", 1, rules));
    let expected = desired(&[
        package("app", "sidecar", 1, rules),
        package("amb", "ambient", 1, rules),
    ])
    .objects
    .len();

    let converged = run_until(&fake, "pod-a", |f| f.owned_objects().len() == expected).await;
    assert!(
        converged,
        "{} of {expected} objects",
        fake.owned_objects().len()
    );
    let lease = fake.object(LEASE).unwrap();
    assert!(
        lease["spec"]["holderIdentity"].is_null(),
        "released on stop: {lease}"
    );
    assert_declared(&fake);

    fake.clear_requests();
    let ready = run_until(&fake, "pod-b", |f| {
        f.requests()
            .iter()
            .any(|r| r.path == LEASE && r.method == "PUT")
    })
    .await;
    assert!(ready);
    let object_writes: Vec<String> = fake
        .writes()
        .iter()
        .filter(|w| !w.path.contains("/leases"))
        .map(|w| format!("{} {}", w.method, w.path))
        .collect();
    assert!(object_writes.is_empty(), "{object_writes:?}");
    assert_declared(&fake);
}
