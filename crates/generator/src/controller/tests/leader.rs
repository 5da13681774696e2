//! Leader election against the mocked API: create, follow, take over an expired Lease, renew,
//! lose a race, release.

use std::time::Duration;

use serde_json::json;
use tokio::time::{Instant, advance};

use super::fake_api::FakeApi;
use crate::controller::leader::{Decision, Elector, LeaseConfig, decide};

const PATH: &str = "/apis/coordination.k8s.io/v1/namespaces/sys/leases/uds-egress-generator";

fn elector(fake: &FakeApi, identity: &str) -> Elector {
    Elector::new(
        fake.client(),
        LeaseConfig::new("sys".into(), "uds-egress-generator".into(), identity.into()),
    )
}

fn holder(fake: &FakeApi) -> Option<String> {
    fake.object(PATH).and_then(|l| {
        l.pointer("/spec/holderIdentity")
            .and_then(|h| h.as_str())
            .map(str::to_string)
    })
}

#[tokio::test(start_paused = true)]
async fn one_leader_and_a_takeover_after_expiry() {
    let fake = FakeApi::new();
    let mut a = elector(&fake, "pod-a");
    let mut b = elector(&fake, "pod-b");

    assert_eq!(
        a.try_acquire_or_renew().await.ok(),
        Some(true),
        "no Lease: a creates it"
    );
    assert_eq!(fake.writes()[0].method, "POST");
    assert_eq!(
        b.try_acquire_or_renew().await.ok(),
        Some(false),
        "held and fresh: b follows"
    );
    assert_eq!(fake.writes().len(), 1, "a follower writes nothing");

    advance(Duration::from_secs(5)).await;
    assert_eq!(a.try_acquire_or_renew().await.ok(), Some(true), "a renews");
    let renew = fake.writes().last().cloned().unwrap();
    assert_eq!(renew.method, "PUT");
    assert!(
        renew
            .body
            .unwrap()
            .pointer("/metadata/resourceVersion")
            .is_some()
    );

    // a stops renewing; b has seen the latest record and waits a full lease duration from then.
    assert_eq!(b.try_acquire_or_renew().await.ok(), Some(false));
    advance(Duration::from_secs(14)).await;
    assert_eq!(
        b.try_acquire_or_renew().await.ok(),
        Some(false),
        "not yet expired"
    );
    advance(Duration::from_secs(2)).await;
    assert_eq!(
        b.try_acquire_or_renew().await.ok(),
        Some(true),
        "expired: b takes over"
    );
    assert_eq!(holder(&fake).as_deref(), Some("pod-b"));
    let lease = fake.object(PATH).unwrap();
    assert_eq!(lease["spec"]["leaseTransitions"], json!(1));
    assert_eq!(
        a.try_acquire_or_renew().await.ok(),
        Some(false),
        "a sees it lost"
    );

    b.release().await.unwrap();
    assert_eq!(holder(&fake), None);
    assert_eq!(
        a.try_acquire_or_renew().await.ok(),
        Some(true),
        "released: a takes over at once"
    );
}

#[tokio::test(start_paused = true)]
async fn a_lost_race_is_no_leadership() {
    let fake = FakeApi::new();
    let mut a = elector(&fake, "pod-a");
    assert_eq!(a.try_acquire_or_renew().await.ok(), Some(true));
    // Someone else replaced the Lease between a's read and write: the PUT gets 409.
    fake.fail_next("PUT", 409, 1);
    assert_eq!(a.try_acquire_or_renew().await.ok(), Some(false));
    // Two creators racing: the second POST gets 409 AlreadyExists.
    let other = FakeApi::new();
    other.fail_next("POST", 409, 1);
    let mut c = elector(&other, "pod-c");
    assert_eq!(c.try_acquire_or_renew().await.ok(), Some(false));
    // A server error is an error, not leadership.
    fake.fail_next("GET", 500, 1);
    assert!(a.try_acquire_or_renew().await.is_err());
}

#[test]
fn decisions() {
    let now = Instant::now();
    let spec = |holder: Option<&str>, seconds: Option<i32>| {
        k8s_openapi::api::coordination::v1::LeaseSpec {
            holder_identity: holder.map(str::to_string),
            lease_duration_seconds: seconds,
            ..Default::default()
        }
    };
    let d = Duration::from_secs(15);
    assert_eq!(decide(None, "me", now, now, d), Decision::TakeOver);
    assert_eq!(
        decide(Some(&spec(Some(""), None)), "me", now, now, d),
        Decision::TakeOver
    );
    assert_eq!(
        decide(Some(&spec(Some("me"), Some(15))), "me", now, now, d),
        Decision::Renew
    );
    assert_eq!(
        decide(Some(&spec(Some("x"), Some(15))), "me", now, now, d),
        Decision::Follow
    );
    let later = now + Duration::from_secs(15);
    assert_eq!(
        decide(Some(&spec(Some("x"), Some(15))), "me", now, later, d),
        Decision::TakeOver
    );
    // A nonsensical duration falls back to ours.
    assert_eq!(
        decide(
            Some(&spec(Some("x"), Some(-5))),
            "me",
            now,
            now + Duration::from_secs(10),
            d
        ),
        Decision::Follow
    );
}
