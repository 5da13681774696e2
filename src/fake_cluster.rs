//! A [`Cluster`] for unit tests: fixed lists, or a failure of one list; counts the lookups.

use std::cell::Cell;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use crate::cluster::{Cluster, ClusterObject, LookupError};

/// Which list a [`FakeCluster`] fails.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum List {
    Packages,
    Gateways,
    VirtualServices,
}

#[derive(Default)]
pub struct FakeCluster {
    pub packages: Vec<ClusterObject>,
    pub gateways: Vec<ClusterObject>,
    pub virtual_services: Vec<ClusterObject>,
    pub fail: Option<List>,
    pub calls: Cell<usize>,
}

impl FakeCluster {
    fn answer(
        &self,
        list: List,
        items: &[ClusterObject],
    ) -> Result<Vec<ClusterObject>, LookupError> {
        self.calls.set(self.calls.get() + 1);
        if self.fail == Some(list) {
            return Err(LookupError {
                what: format!("{list:?}"),
                detail: "connection refused".into(),
            });
        }
        Ok(items.to_vec())
    }
}

impl Cluster for FakeCluster {
    fn packages(&self) -> Result<Vec<ClusterObject>, LookupError> {
        self.answer(List::Packages, &self.packages)
    }

    fn gateways(&self) -> Result<Vec<ClusterObject>, LookupError> {
        self.answer(List::Gateways, &self.gateways)
    }

    fn virtual_services(&self) -> Result<Vec<ClusterObject>, LookupError> {
        self.answer(List::VirtualServices, &self.virtual_services)
    }
}

/// A listed object with the given identity, labels (a JSON map) and spec.
pub fn object(namespace: &str, name: &str, labels: Option<Value>, spec: Value) -> ClusterObject {
    ClusterObject {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            labels: labels.and_then(|l| serde_json::from_value(l).ok()),
            ..ObjectMeta::default()
        },
        spec,
    }
}
