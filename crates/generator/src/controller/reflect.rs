//! One watch feeding one kube reflector store: the watcher's list-then-watch with kube's default
//! backoff, each object trimmed before it is stored, every event counted so that the control
//! loop wakes up; and what the store holds, as typed manifests.
//!
//! A kind that is not served (its CRD is not installed: the initial list answers 404) must not
//! hold the controller back forever, so until the store has been listed once, that answer
//! counts as a complete, empty list.

use futures::{FutureExt, Stream, StreamExt};
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher::Event;
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::warn;

use super::resources::manifest;
use super::trim::Trim;

/// What to watch: one resource in one namespace (`None`: all), with a selector, stored trimmed.
pub struct WatchSpec {
    pub resource: ApiResource,
    pub namespace: Option<String>,
    pub config: watcher::Config,
    pub trim: Trim,
}

impl WatchSpec {
    fn describe(&self) -> String {
        format!(
            "{} in {}",
            self.resource.plural,
            self.namespace.as_deref().unwrap_or("all namespaces")
        )
    }
}

/// The store of one watch, and what it stores.
pub struct Reflected {
    resource: ApiResource,
    store: Store<DynamicObject>,
}

impl Reflected {
    /// Whether the store has been listed once (it stays so through relists and outages).
    /// `wait_until_ready` is polled, not awaited: see `Watches::synced`.
    pub fn ready(&self) -> bool {
        matches!(self.store.wait_until_ready().now_or_never(), Some(Ok(())))
    }

    /// The stored objects as manifests, in (namespace, name) order: the store is a hash map,
    /// and the core breaks ties between Packages by input order, so the order must not vary.
    pub fn snapshot(&self) -> Vec<Value> {
        let mut objects = self.store.state();
        objects.sort_by(|a, b| {
            let key = |o: &DynamicObject| (o.metadata.namespace.clone(), o.metadata.name.clone());
            key(a).cmp(&key(b))
        });
        objects
            .iter()
            .filter_map(|object| match manifest((**object).clone(), &self.resource) {
                Ok(value) => Some(value),
                Err(error) => {
                    warn!(kind = %self.resource.kind, namespace = ?object.metadata.namespace,
                        name = ?object.metadata.name, %error, "stored object not readable: skipped");
                    None
                }
            })
            .collect()
    }
}

/// Starts the watch; its store, and the task to abort at shutdown.
pub fn spawn(
    client: &kube::Client,
    spec: WatchSpec,
    changes: watch::Sender<u64>,
) -> (Reflected, JoinHandle<()>) {
    let api: Api<DynamicObject> = match &spec.namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &spec.resource),
        None => Api::all_with(client.clone(), &spec.resource),
    };
    // DynamicObject's store is keyed by its ApiResource, which has no Default: hence
    // `Writer::new` rather than `reflector::store()`.
    let writer = reflector::store::Writer::new(spec.resource.clone());
    let store = writer.as_reader();
    let what = spec.describe();
    let trim = spec.trim;
    let events = watcher(api, spec.config)
        .default_backoff()
        .modify(move |object| trim.apply(object));
    let events = not_served_as_empty(events, what.clone());
    let task = tokio::spawn(async move {
        let mut stream = Box::pin(reflector::reflector(writer, events));
        while let Some(item) = stream.next().await {
            match item {
                Ok(_) => changes.send_modify(|n| *n = n.wrapping_add(1)),
                // Said once by `not_served_as_empty`; retried quietly.
                Err(error) if is_not_served(&error) => {}
                Err(error) => warn!(watch = %what, %error, "watch failed, retrying"),
            }
        }
    });
    let reflected = Reflected {
        resource: spec.resource,
        store,
    };
    (reflected, task)
}

/// Turns the first "not served" answer before any complete list into a complete, empty list
/// (`Init` then `InitDone`: whatever a failed paged list had buffered is dropped, the store is
/// emptied and marked ready). Later ones, and all after a list succeeded, pass through: objects
/// already stored stay until a list that works replaces them.
fn not_served_as_empty<S>(
    events: S,
    what: String,
) -> impl Stream<Item = watcher::Result<Event<DynamicObject>>>
where
    S: Stream<Item = watcher::Result<Event<DynamicObject>>>,
{
    let mut listed = false;
    events.flat_map(move |item| {
        let items = match item {
            Ok(Event::InitDone) => {
                listed = true;
                vec![Ok(Event::InitDone)]
            }
            Err(error) if !listed && is_not_served(&error) => {
                warn!(watch = %what, "kind not served (CRD not installed?): treated as empty");
                listed = true;
                vec![Ok(Event::Init), Ok(Event::InitDone)]
            }
            other => vec![other],
        };
        futures::stream::iter(items)
    })
}

fn is_not_served(error: &watcher::Error) -> bool {
    match error {
        watcher::Error::InitialListFailed(kube::Error::Api(status)) => status.code == 404,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::stream;
    use kube::core::Status;

    fn not_found() -> watcher::Error {
        watcher::Error::InitialListFailed(kube::Error::Api(Box::new(Status {
            code: 404,
            ..Status::default()
        })))
    }

    fn kinds(items: Vec<watcher::Result<Event<DynamicObject>>>) -> Vec<&'static str> {
        items
            .iter()
            .map(|item| match item {
                Ok(Event::InitDone) => "InitDone",
                Ok(Event::Init) => "Init",
                Ok(_) => "other event",
                Err(error) if is_not_served(error) => "not served",
                Err(_) => "error",
            })
            .collect()
    }

    #[tokio::test]
    async fn only_a_not_served_answer_before_the_first_list_counts_as_empty() {
        let items = vec![Err(not_found()), Err(not_found())];
        let out: Vec<_> = not_served_as_empty(stream::iter(items), "w".into())
            .collect()
            .await;
        assert_eq!(kinds(out), ["Init", "InitDone", "not served"]);

        let items = vec![Ok(Event::Init), Ok(Event::InitDone), Err(not_found())];
        let out: Vec<_> = not_served_as_empty(stream::iter(items), "w".into())
            .collect()
            .await;
        assert_eq!(kinds(out), ["Init", "InitDone", "not served"]);
    }

    #[tokio::test]
    async fn a_page_listed_before_the_kind_went_missing_is_not_kept() {
        let resource =
            crate::controller::resources::api_resource(&uds_egress_plan::kinds::PACKAGE_KIND);
        let object: DynamicObject = serde_json::from_value(
            serde_json::json!({"metadata": {"name": "a", "namespace": "n"}}),
        )
        .unwrap();
        let items = vec![
            Ok(Event::Init),
            Ok(Event::InitApply(object)),
            Err(not_found()),
        ];
        let mut writer = reflector::store::Writer::new(resource.clone());
        let store = Reflected {
            resource,
            store: writer.as_reader(),
        };
        let events: Vec<_> = not_served_as_empty(stream::iter(items), "w".into())
            .collect()
            .await;
        for event in events.iter().flatten() {
            writer.apply_watcher_event(event);
        }
        assert!(store.ready());
        assert!(store.snapshot().is_empty());
    }
}
