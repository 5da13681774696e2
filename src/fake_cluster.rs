//! A [`Cluster`] for unit tests: fixed lists, or a failure of one list; counts the lookups.
//! It answers with every object, whatever the selector: the guest's own ownership check is what
//! the tests then exercise.

use std::cell::Cell;

use serde_json::{Value, json};

use crate::cluster::{Cluster, Listing, LookupError};

#[derive(Default)]
pub struct FakeCluster {
    pub packages: Vec<Value>,
    pub gateways: Vec<Value>,
    pub virtual_services: Vec<Value>,
    pub fail: Option<Listing>,
    pub calls: Cell<usize>,
}

impl Cluster for FakeCluster {
    fn list(&self, listing: Listing) -> Result<Vec<u8>, LookupError> {
        self.calls.set(self.calls.get() + 1);
        if self.fail == Some(listing) {
            return Err(LookupError {
                what: format!("{listing:?}"),
                detail: "connection refused".into(),
            });
        }
        let items = match listing {
            Listing::Packages => &self.packages,
            Listing::Gateways => &self.gateways,
            Listing::VirtualServices => &self.virtual_services,
        };
        Ok(listing.reply(items))
    }
}

/// A listed object with the given identity, labels (a JSON map) and spec.
pub fn object(namespace: &str, name: &str, labels: Option<Value>, spec: Value) -> Value {
    let mut metadata = json!({"name": name, "namespace": namespace});
    if let Some(labels) = labels {
        metadata["labels"] = labels;
    }
    json!({"metadata": metadata, "spec": spec})
}
