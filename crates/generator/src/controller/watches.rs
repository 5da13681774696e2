//! The watches: Packages (all namespaces or the listed ones) and the owned objects of every
//! managed kind (selected by the managed-by label), each a kube reflector store feeding the
//! change counter.

use kube::Client;
use kube::runtime::watcher;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uds_egress_core::names::{EGRESS_AMBIENT_NAMESPACE, EGRESS_GATEWAY_NAMESPACE};
use uds_egress_core::objects::meta::MANAGED_BY_US;

use super::reflect::{self, Reflected, WatchSpec};
use super::resources::api_resource;
use super::trim::Trim;
use uds_egress_plan::kinds::{MANAGED_KINDS, PACKAGE_KIND};

pub struct Watches {
    /// Where the owned objects are watched: all namespaces (`None`), or the listed ones.
    owned_scopes: Vec<Option<String>>,
    packages: Vec<Reflected>,
    owned: Vec<Reflected>,
    tasks: Vec<JoinHandle<()>>,
}

impl Watches {
    /// Starts every watch. `namespaces` empty means all namespaces; otherwise owned objects are
    /// watched in those and in the two egress namespaces, where shared objects live.
    pub fn start(client: &Client, namespaces: &[String], changes: watch::Sender<u64>) -> Watches {
        let mut owned_namespaces: Vec<Option<String>> = Vec::new();
        if namespaces.is_empty() {
            owned_namespaces.push(None);
        } else {
            for ns in namespaces
                .iter()
                .map(String::as_str)
                .chain([EGRESS_GATEWAY_NAMESPACE, EGRESS_AMBIENT_NAMESPACE])
            {
                if !owned_namespaces.iter().any(|n| n.as_deref() == Some(ns)) {
                    owned_namespaces.push(Some(ns.to_string()));
                }
            }
        }
        let package_namespaces: Vec<Option<String>> = if namespaces.is_empty() {
            vec![None]
        } else {
            namespaces.iter().cloned().map(Some).collect()
        };

        let mut watches = Watches {
            owned_scopes: owned_namespaces.clone(),
            packages: Vec::new(),
            owned: Vec::new(),
            tasks: Vec::new(),
        };
        for namespace in package_namespaces {
            let spec = WatchSpec {
                resource: api_resource(&PACKAGE_KIND),
                namespace,
                config: watcher::Config::default(),
                trim: Trim::Package,
            };
            let (store, task) = reflect::spawn(client, spec, changes.clone());
            watches.packages.push(store);
            watches.tasks.push(task);
        }
        for kind in MANAGED_KINDS {
            for namespace in &owned_namespaces {
                let spec = WatchSpec {
                    resource: api_resource(kind),
                    namespace: namespace.clone(),
                    config: watcher::Config::default().labels(MANAGED_BY_US),
                    trim: Trim::Owned,
                };
                let (store, task) = reflect::spawn(client, spec, changes.clone());
                watches.owned.push(store);
                watches.tasks.push(task);
            }
        }
        watches
    }

    /// Whether every store has been listed once. `wait_until_ready` is polled, not awaited:
    /// the control loop already wakes on every change (a completed list is one) and debounces
    /// them, so the first pass waits for a quiet moment after the last list like every later
    /// pass, and the loop keeps publishing leadership meanwhile. Stores stay ready through
    /// later relists and outages (see `Health` for how an outage shows).
    pub fn synced(&self) -> bool {
        self.packages
            .iter()
            .chain(&self.owned)
            .all(Reflected::ready)
    }

    pub fn packages(&self) -> Vec<Value> {
        self.packages.iter().flat_map(Reflected::snapshot).collect()
    }

    /// The namespaces the owned-object watches cover (`None`: all of them).
    pub fn owned_scopes(&self) -> &[Option<String>] {
        &self.owned_scopes
    }

    pub fn owned(&self) -> Vec<Value> {
        self.owned.iter().flat_map(Reflected::snapshot).collect()
    }

    pub fn abort(&self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}
