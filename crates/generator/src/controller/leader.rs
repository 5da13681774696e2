//! Leader election on a `coordination.k8s.io/v1` Lease, so that only one replica writes.
//!
//! Every change to the Lease is a replace (PUT) carrying the resourceVersion that was read, so
//! two candidates can never both win: the second gets 409 Conflict. A candidate takes over
//! only when the holder has not renewed for the lease duration as measured on the candidate's
//! own monotonic clock (from when it last saw the record change), so clock skew between nodes
//! does not matter. A leader stops writing when it has not renewed within the renew deadline,
//! which is shorter than the lease duration: it stops before anyone else may start.
//!
//! Why not a crate: kube-lease-manager 0.12 (reviewed when this was on kube 4) takes over an
//! expired Lease with an unconditional patch, and kube-leader-election 0.44 acquires with a
//! merge patch without a resourceVersion check; either can let two replicas lead at once.
//! (kube-lease-manager 0.13, the kube 5 release, has not been reviewed.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, PostParams};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{info, warn};

use super::server::Health;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseConfig {
    pub namespace: String,
    pub name: String,
    /// This replica's identity (its pod name).
    pub identity: String,
    pub duration: Duration,
    pub renew_deadline: Duration,
    pub retry_period: Duration,
}

impl LeaseConfig {
    /// The usual Kubernetes controller timings: 15 s lease, 10 s renew deadline, 2 s retries.
    pub fn new(namespace: String, name: String, identity: String) -> LeaseConfig {
        LeaseConfig {
            namespace,
            name,
            identity,
            duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Renew,
    TakeOver,
    Follow,
}

/// What to do with a Lease read at `now` whose record was first seen at `observed_at`.
pub fn decide(
    spec: Option<&LeaseSpec>,
    identity: &str,
    observed_at: Instant,
    now: Instant,
    default_duration: Duration,
) -> Decision {
    let holder = spec
        .and_then(|s| s.holder_identity.as_deref())
        .filter(|h| !h.is_empty());
    match holder {
        None => Decision::TakeOver,
        Some(holder) if holder == identity => Decision::Renew,
        Some(_) => {
            let duration = spec
                .and_then(|s| s.lease_duration_seconds)
                .and_then(|s| u64::try_from(s).ok())
                .filter(|s| *s > 0)
                .map_or(default_duration, Duration::from_secs);
            if now.saturating_duration_since(observed_at) >= duration {
                Decision::TakeOver
            } else {
                Decision::Follow
            }
        }
    }
}

/// The part of a Lease whose change shows that the holder is alive.
type Record = (Option<String>, Option<MicroTime>);

pub struct Elector {
    api: Api<Lease>,
    config: LeaseConfig,
    observed: Option<(Record, Instant)>,
}

impl Elector {
    pub fn new(client: Client, config: LeaseConfig) -> Elector {
        Elector {
            api: Api::namespaced(client, &config.namespace),
            config,
            observed: None,
        }
    }

    /// One round: `Ok(true)` when this replica holds the Lease afterwards.
    pub async fn try_acquire_or_renew(&mut self) -> Result<bool, kube::Error> {
        let now = Instant::now();
        let Some(lease) = self.api.get_opt(&self.config.name).await? else {
            return self.create().await;
        };
        let record: Record = lease
            .spec
            .as_ref()
            .map(|s| (s.holder_identity.clone(), s.renew_time.clone()))
            .unwrap_or_default();
        let observed_at = match &self.observed {
            Some((seen, at)) if *seen == record => *at,
            _ => {
                self.observed = Some((record, now));
                now
            }
        };
        let decision = decide(
            lease.spec.as_ref(),
            &self.config.identity,
            observed_at,
            now,
            self.config.duration,
        );
        let previous = lease.spec.clone().unwrap_or_default();
        let spec = match decision {
            Decision::Follow => return Ok(false),
            Decision::Renew => LeaseSpec {
                renew_time: Some(MicroTime(Timestamp::now())),
                lease_duration_seconds: Some(self.duration_seconds()),
                ..previous
            },
            Decision::TakeOver => {
                info!(lease = %self.config.name, previous = ?previous.holder_identity, "taking over the lease");
                self.held_spec(previous.lease_transitions.unwrap_or(0).saturating_add(1))
            }
        };
        self.replace(lease, spec).await
    }

    /// Gives the Lease up so that another replica can take over at once.
    pub async fn release(&mut self) -> Result<(), kube::Error> {
        let Some(lease) = self.api.get_opt(&self.config.name).await? else {
            return Ok(());
        };
        let holder = lease.spec.as_ref().and_then(|s| s.holder_identity.clone());
        if holder.as_deref() != Some(self.config.identity.as_str()) {
            return Ok(());
        }
        let spec = LeaseSpec {
            holder_identity: None,
            acquire_time: None,
            renew_time: None,
            lease_duration_seconds: Some(1),
            ..lease.spec.clone().unwrap_or_default()
        };
        self.replace(lease, spec).await.map(|_| ())
    }

    async fn create(&mut self) -> Result<bool, kube::Error> {
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(self.config.name.clone()),
                namespace: Some(self.config.namespace.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(self.held_spec(0)),
        };
        match self.api.create(&PostParams::default(), &lease).await {
            Ok(_) => Ok(true),
            // Another replica created it first.
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Replaces the Lease read as `lease` (its resourceVersion is the precondition).
    async fn replace(&mut self, lease: Lease, spec: LeaseSpec) -> Result<bool, kube::Error> {
        let holder = spec.holder_identity.clone();
        let updated = Lease {
            metadata: lease.metadata,
            spec: Some(spec),
        };
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), &updated)
            .await
        {
            Ok(_) => Ok(holder.as_deref() == Some(self.config.identity.as_str())),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(error) => Err(error),
        }
    }

    fn held_spec(&self, transitions: i32) -> LeaseSpec {
        let now = MicroTime(Timestamp::now());
        LeaseSpec {
            holder_identity: Some(self.config.identity.clone()),
            acquire_time: Some(now.clone()),
            renew_time: Some(now),
            lease_duration_seconds: Some(self.duration_seconds()),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }
    }

    fn duration_seconds(&self) -> i32 {
        i32::try_from(self.config.duration.as_secs()).unwrap_or(i32::MAX)
    }
}

/// Whether this replica leads: it renewed the Lease within the renew deadline.
pub struct Leadership {
    renewed: Mutex<Option<Instant>>,
    deadline: Duration,
}

impl Leadership {
    pub fn new(deadline: Duration) -> Leadership {
        Leadership {
            renewed: Mutex::new(None),
            deadline,
        }
    }

    /// Always leading: `--dry-run` takes no Lease, as it writes nothing.
    pub fn always() -> Leadership {
        let leadership = Leadership::new(Duration::MAX);
        leadership.set(Some(Instant::now()));
        leadership
    }

    pub fn is_leading(&self) -> bool {
        let renewed = *self.renewed.lock().unwrap_or_else(|p| p.into_inner());
        renewed.is_some_and(|at| at.elapsed() < self.deadline)
    }

    fn set(&self, renewed: Option<Instant>) {
        *self.renewed.lock().unwrap_or_else(|p| p.into_inner()) = renewed;
    }
}

/// Runs elections until `stop` turns true, then releases the Lease if held. `changed` gets the
/// leading state after every round; `health` whether the round succeeded.
pub async fn campaign(
    mut elector: Elector,
    leadership: Arc<Leadership>,
    changed: watch::Sender<bool>,
    health: Arc<Health>,
    mut stop: watch::Receiver<bool>,
) {
    let retry = elector.config.retry_period;
    while !*stop.borrow() {
        let started = Instant::now();
        let round = elector.try_acquire_or_renew().await;
        health.set_api_reachable(round.is_ok());
        match round {
            Ok(true) => leadership.set(Some(started)),
            Ok(false) => leadership.set(None),
            // Keep the last renewal: leadership lapses by itself at the renew deadline.
            Err(error) => warn!(lease = %elector.config.name, %error, "lease round failed"),
        }
        let leading = leadership.is_leading();
        changed.send_if_modified(|was| std::mem::replace(was, leading) != leading);
        tokio::select! {
            _ = tokio::time::sleep(retry) => {}
            _ = stop.changed() => {}
        }
    }
    if leadership.is_leading() {
        leadership.set(None);
        if let Err(error) = elector.release().await {
            warn!(lease = %elector.config.name, %error, "could not release the lease");
        }
    }
}
