//! The watches: Packages (all namespaces or the listed ones) and the owned objects of every
//! managed kind (selected by the managed-by label), each feeding a cache and a change counter.

use std::sync::Arc;

use futures::StreamExt;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::warn;
use uds_egress_core::names::{EGRESS_AMBIENT_NAMESPACE, EGRESS_GATEWAY_NAMESPACE};
use uds_egress_core::objects::meta::{MANAGED_BY_LABEL, MANAGED_BY_VALUE};

use super::cache::WatchCache;
use super::resources::api_resource;
use crate::plan::kinds::{MANAGED_KINDS, PACKAGE_KIND};

pub struct Watches {
    pub packages: Vec<Arc<WatchCache>>,
    pub owned: Vec<Arc<WatchCache>>,
    pub tasks: Vec<JoinHandle<()>>,
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
            packages: Vec::new(),
            owned: Vec::new(),
            tasks: Vec::new(),
        };
        let package_resource = api_resource(&PACKAGE_KIND);
        for namespace in &package_namespaces {
            let cache = Arc::new(WatchCache::new(
                &package_resource.api_version,
                &package_resource.kind,
                false,
            ));
            watches.tasks.push(spawn_watch(
                client,
                &package_resource,
                namespace.as_deref(),
                watcher::Config::default(),
                cache.clone(),
                changes.clone(),
            ));
            watches.packages.push(cache);
        }
        let selector = format!("{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}");
        for kind in MANAGED_KINDS {
            let resource = api_resource(kind);
            for namespace in &owned_namespaces {
                let cache = Arc::new(WatchCache::new(&resource.api_version, &resource.kind, true));
                watches.tasks.push(spawn_watch(
                    client,
                    &resource,
                    namespace.as_deref(),
                    watcher::Config::default().labels(&selector),
                    cache.clone(),
                    changes.clone(),
                ));
                watches.owned.push(cache);
            }
        }
        watches
    }

    pub fn synced(&self) -> bool {
        self.packages.iter().chain(&self.owned).all(|c| c.synced())
    }

    pub fn packages(&self) -> Vec<Value> {
        self.packages.iter().flat_map(|c| c.snapshot()).collect()
    }

    pub fn owned(&self) -> Vec<Value> {
        self.owned.iter().flat_map(|c| c.snapshot()).collect()
    }

    pub fn abort(&self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

fn spawn_watch(
    client: &Client,
    resource: &ApiResource,
    namespace: Option<&str>,
    config: watcher::Config,
    cache: Arc<WatchCache>,
    changes: watch::Sender<u64>,
) -> JoinHandle<()> {
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, resource),
        None => Api::all_with(client.clone(), resource),
    };
    let what = format!(
        "{} in {}",
        resource.plural,
        namespace.unwrap_or("all namespaces")
    );
    tokio::spawn(async move {
        let mut stream = Box::pin(watcher(api, config).default_backoff());
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => {
                    cache.apply(event);
                    changes.send_modify(|n| *n = n.wrapping_add(1));
                }
                Err(error) => {
                    if is_not_served(&error) {
                        if !cache.synced() {
                            warn!(watch = %what, kind = cache.kind(), "kind not served (CRD not installed?): treated as empty");
                            cache.mark_absent();
                            changes.send_modify(|n| *n = n.wrapping_add(1));
                        }
                    } else {
                        warn!(watch = %what, %error, "watch failed, retrying");
                    }
                }
            }
        }
    })
}

fn is_not_served(error: &watcher::Error) -> bool {
    match error {
        watcher::Error::InitialListFailed(kube::Error::Api(status)) => status.code == 404,
        _ => false,
    }
}
