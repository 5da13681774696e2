//! `run`: the controller. Watches Packages and owned objects, and after each burst of changes
//! (or a periodic resync) runs one planning pass over the whole set, as leader only.

// The contract that deploy/generator RBAC is checked against (by tests only).
#[cfg_attr(not(test), allow(dead_code))]
mod args;
mod backoff;
mod debounce;
mod events;
mod executor;
mod existence;
mod leader;
mod logging;
mod metrics;
mod object_api;
mod pass;
mod reflect;
mod resources;
mod server;
mod trim;
mod watches;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::{Instant, sleep};
use tracing::{error, info};
use uds_egress_core::RuleConfig;

pub use args::{RUN_HELP, RunCli};
use backoff::Backoff;
use events::EventSink;
use leader::{Elector, Leadership, LeaseConfig, campaign};
use metrics::Metrics;
use object_api::ObjectApi;
use pass::{PassInput, run_pass};
use server::Health;
use watches::Watches;

/// A burst of events is over after this long without one...
const QUIET: Duration = Duration::from_millis(500);
/// ...but before the first pass, only this long: the initial lists arrive as whole snapshots, not
/// as a burst of edits to coalesce, and a pass that comes before the last store is listed is
/// skipped (not synced) at no cost. Half a second less until an initial sync starts writing.
const FIRST_QUIET: Duration = Duration::from_millis(50);
/// ...or this long after its first event, whichever comes first.
const MAX_WAIT: Duration = Duration::from_secs(5);
/// A pass runs at least this often, to notice foreign objects (which are not watched) going away.
const RESYNC: Duration = Duration::from_secs(300);

/// Runs the controller until SIGTERM or Ctrl-C; the exit code.
pub fn run(args: RunCli) -> i32 {
    logging::init(args.log_format, args.log_level);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(run_async(args)),
        Err(err) => {
            error!(error = %err, "cannot start the async runtime");
            1
        }
    }
}

async fn run_async(args: RunCli) -> i32 {
    let config = match kube::Config::infer().await {
        Ok(config) => config,
        Err(err) => {
            error!(error = %err, "no cluster configuration (in-cluster or KUBECONFIG)");
            return 1;
        }
    };
    let lease_namespace = args
        .lease_namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    let client = match Client::try_from(config) {
        Ok(client) => client,
        Err(err) => {
            error!(error = %err, "cannot create the Kubernetes client");
            return 1;
        }
    };
    let listener = match TcpListener::bind(args.metrics_addr).await {
        Ok(listener) => listener,
        Err(err) => {
            error!(error = %err, addr = %args.metrics_addr, "cannot listen for /healthz, /readyz, /metrics");
            return 1;
        }
    };

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        info!("shutting down after the write in flight");
        let _ = stop_tx.send(true);
    });

    let health = Arc::new(Health::default());
    let metrics = Arc::new(Metrics::new());
    let server = tokio::spawn(server::serve(
        listener,
        health.clone(),
        metrics.clone(),
        stop_rx.clone(),
    ));
    let (changes_tx, changes_rx) = watch::channel(0u64);
    let watches = Watches::start(&client, &args.namespaces, changes_tx);

    let identity = identity();
    let lease = LeaseConfig::new(lease_namespace, args.lease_name.clone(), identity.clone());
    let (leading_tx, leading_rx) = watch::channel(false);
    let (leadership, campaign_task) = if args.dry_run {
        (Arc::new(Leadership::always()), None)
    } else {
        let leadership = Arc::new(Leadership::new(lease.renew_deadline));
        let elector = Elector::new(client.clone(), lease.clone());
        let task = tokio::spawn(campaign(
            elector,
            leadership.clone(),
            leading_tx,
            health.clone(),
            stop_rx.clone(),
        ));
        (leadership, Some(task))
    };
    info!(identity = %identity, lease = %format!("{}/{}", lease.namespace, lease.name),
        dry_run = args.dry_run, namespaces = ?args.namespaces, "uds-egress controller starting");

    let control = ControlLoop {
        api: ObjectApi::new(client.clone()),
        events: (!args.dry_run).then(|| EventSink::new(client, identity)),
        config: args.gateway_ports.rule_config(),
        dry_run: args.dry_run,
        health,
        metrics,
        leadership,
    };
    control.run(&watches, changes_rx, leading_rx, stop_rx).await;

    if let Some(task) = campaign_task {
        let _ = task.await;
    }
    let _ = server.await;
    watches.abort();
    info!("stopped");
    0
}

struct ControlLoop {
    api: ObjectApi,
    events: Option<EventSink>,
    config: RuleConfig,
    dry_run: bool,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
    leadership: Arc<Leadership>,
}

impl ControlLoop {
    async fn run(
        &self,
        watches: &Watches,
        mut changes: watch::Receiver<u64>,
        mut leading: watch::Receiver<bool>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut delay = RESYNC;
        let mut pass_delays = Backoff::PASS.delays();
        // The campaign ends only at shutdown; after that its channel is closed.
        let mut campaigning = true;
        let mut passed = false;
        loop {
            if *stop.borrow() {
                break;
            }
            tokio::select! {
                _ = stop.changed() => {}
                settled = debounce::settle(&mut changes, if passed { QUIET } else { FIRST_QUIET }, MAX_WAIT)
                    => if !settled { break },
                _ = sleep(delay) => {}
                changed = leading.changed(), if campaigning => campaigning = changed.is_ok(),
            }
            if *stop.borrow() {
                break;
            }
            let synced = watches.synced();
            let is_leading = self.leadership.is_leading();
            self.health.set_synced(synced);
            self.health.set_leading(is_leading && !self.dry_run);
            self.metrics.set_leader(is_leading && !self.dry_run);
            if !synced || !is_leading {
                delay = RESYNC;
                continue;
            }
            let started = Instant::now();
            let should_stop = || *stop.borrow() || !self.leadership.is_leading();
            let packages = watches.packages();
            let input = PassInput {
                packages: &packages,
                live: watches.owned(),
                scopes: watches.owned_scopes(),
                config: &self.config,
                dry_run: self.dry_run,
            };
            let outcome = run_pass(&self.api, input, Backoff::WRITE, &should_stop).await;
            passed = true;
            self.metrics
                .record_pass(&outcome, started.elapsed().as_secs_f64());
            if let Some(events) = &self.events {
                events.publish(&outcome).await;
            }
            self.health.pass_done();
            let done = &outcome.executed;
            info!(
                created = done.created.len(),
                updated = done.updated.len(),
                deleted = done.deleted.len(),
                failed = done.failed.len(),
                conflicts = outcome.conflicts.len(),
                invalid_packages = outcome.invalid.len(),
                unchanged = outcome.plan.unchanged,
                "pass done"
            );
            if done.failed.is_empty() && !done.stopped {
                pass_delays = Backoff::PASS.delays();
                delay = RESYNC;
            } else {
                delay = pass_delays.next().unwrap_or(Backoff::PASS.cap);
            }
        }
    }
}

/// This replica's name in the Lease and in Events: the pod name.
fn identity() -> String {
    ["POD_NAME", "HOSTNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| format!("uds-egress-{}", std::process::id()))
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
