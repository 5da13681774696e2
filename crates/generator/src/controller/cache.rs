//! A watch cache: the objects one watch stream has delivered, replaced wholesale at each
//! (re)list so that objects deleted while the watch was down disappear too.

use std::collections::BTreeMap;
use std::sync::Mutex;

use kube::api::DynamicObject;
use kube::runtime::watcher::Event;
use serde_json::Value;

use crate::plan::managed_fields::FIELD_MANAGER;

#[derive(Default)]
struct State {
    objects: BTreeMap<(String, String), Value>,
    /// Objects of a relist in progress.
    relist: Option<BTreeMap<(String, String), Value>>,
    synced: bool,
}

pub struct WatchCache {
    api_version: String,
    kind: String,
    /// Keep only our own managedFields entry (the planner needs no other): saves memory.
    keep_own_managed_fields: bool,
    state: Mutex<State>,
}

impl WatchCache {
    pub fn new(api_version: &str, kind: &str, keep_own_managed_fields: bool) -> WatchCache {
        WatchCache {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            keep_own_managed_fields,
            state: Mutex::new(State::default()),
        }
    }

    pub fn apply(&self, event: Event<DynamicObject>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match event {
            Event::Init => state.relist = Some(BTreeMap::new()),
            Event::InitApply(object) => {
                let (key, value) = self.entry(object);
                state
                    .relist
                    .get_or_insert_with(BTreeMap::new)
                    .insert(key, value);
            }
            Event::InitDone => {
                state.objects = state.relist.take().unwrap_or_default();
                state.synced = true;
            }
            Event::Apply(object) => {
                let (key, value) = self.entry(object);
                state.objects.insert(key, value);
            }
            Event::Delete(object) => {
                let (key, _) = self.entry(object);
                state.objects.remove(&key);
            }
        }
    }

    /// The kind is not served (its CRD is not installed): nothing to see, and that is final
    /// until a relist says otherwise.
    pub fn mark_absent(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if !state.synced {
            state.objects.clear();
            state.synced = true;
        }
    }

    pub fn synced(&self) -> bool {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).synced
    }

    pub fn snapshot(&self) -> Vec<Value> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.objects.values().cloned().collect()
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    fn entry(&self, object: DynamicObject) -> ((String, String), Value) {
        let key = (
            object.metadata.namespace.clone().unwrap_or_default(),
            object.metadata.name.clone().unwrap_or_default(),
        );
        let mut value = serde_json::to_value(&object).unwrap_or(Value::Null);
        if let Some(map) = value.as_object_mut() {
            // List items may come without apiVersion and kind.
            map.insert("apiVersion".into(), Value::String(self.api_version.clone()));
            map.insert("kind".into(), Value::String(self.kind.clone()));
        }
        if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            let own = |entry: &Value| {
                self.keep_own_managed_fields
                    && entry.get("manager").and_then(Value::as_str) == Some(FIELD_MANAGER)
            };
            if let Some(Value::Array(entries)) = metadata.get_mut("managedFields") {
                entries.retain(own);
            }
        }
        (key, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(name: &str, managers: &[&str]) -> DynamicObject {
        let managed: Vec<Value> = managers
            .iter()
            .map(|m| json!({"manager": m, "operation": "Apply", "fieldsV1": {}}))
            .collect();
        serde_json::from_value(json!({"metadata": {"name": name, "namespace": "n",
            "managedFields": managed}, "spec": {}}))
        .unwrap()
    }

    #[test]
    fn a_relist_replaces_the_contents() {
        let cache = WatchCache::new("networking.istio.io/v1", "Sidecar", true);
        assert!(!cache.synced());
        cache.apply(Event::Init);
        cache.apply(Event::InitApply(object("a", &[])));
        cache.apply(Event::InitApply(object("b", &[])));
        assert!(!cache.synced(), "not synced before the list is complete");
        cache.apply(Event::InitDone);
        assert!(cache.synced());
        cache.apply(Event::Delete(object("a", &[])));
        cache.apply(Event::Apply(object("c", &[])));
        let names: Vec<Value> = cache
            .snapshot()
            .iter()
            .map(|o| o["metadata"]["name"].clone())
            .collect();
        assert_eq!(names, vec![json!("b"), json!("c")]);
        // The watch restarted; "b" was deleted meanwhile.
        cache.apply(Event::Init);
        cache.apply(Event::InitApply(object("c", &[])));
        cache.apply(Event::InitDone);
        assert_eq!(cache.snapshot().len(), 1);
        assert_eq!(cache.snapshot()[0]["kind"], "Sidecar");
        assert_eq!(cache.snapshot()[0]["apiVersion"], "networking.istio.io/v1");
    }

    #[test]
    fn only_our_managed_fields_are_kept() {
        let ours = WatchCache::new("v", "K", true);
        ours.apply(Event::Apply(object("a", &["kubectl", "uds-egress"])));
        let kept = ours.snapshot()[0]["metadata"]["managedFields"].clone();
        assert_eq!(kept.as_array().map(Vec::len), Some(1));
        assert_eq!(kept[0]["manager"], "uds-egress");
        let none = WatchCache::new("v", "K", false);
        none.apply(Event::Apply(object("a", &["uds-egress"])));
        assert_eq!(none.snapshot()[0]["metadata"]["managedFields"], json!([]));
    }

    #[test]
    fn an_absent_kind_counts_as_synced_and_empty() {
        let cache = WatchCache::new("v", "K", true);
        cache.mark_absent();
        assert!(cache.synced());
        assert!(cache.snapshot().is_empty());
    }
}
