//! The cluster the fuzzed policy sees: the example Packages, and a foreign Gateway and
//! VirtualService that claim hosts, so that the context-aware checks run; or a cluster whose
//! lookups fail, for the fail-closed path.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value, json};
use uds_egress_policy::cluster::{Cluster, ClusterObject, LookupError};

use crate::examples::examples;

pub struct FuzzCluster {
    pub failing: bool,
}

fn object(value: &Value) -> ClusterObject {
    ClusterObject {
        metadata: serde_json::from_value::<ObjectMeta>(value["metadata"].clone())
            .unwrap_or_default(),
        spec: value.get("spec").cloned().unwrap_or(Value::Null),
    }
}

impl FuzzCluster {
    fn answer(
        &self,
        what: &str,
        items: Vec<ClusterObject>,
    ) -> Result<Vec<ClusterObject>, LookupError> {
        if self.failing {
            return Err(LookupError {
                what: what.to_string(),
                detail: "injected by the fuzz target".to_string(),
            });
        }
        Ok(items)
    }
}

impl Cluster for FuzzCluster {
    fn packages(&self) -> Result<Vec<ClusterObject>, LookupError> {
        self.answer("Packages", examples().iter().map(object).collect())
    }

    fn gateways(&self) -> Result<Vec<ClusterObject>, LookupError> {
        let gateway = json!({"metadata": {"name": "legacy", "namespace": "istio-egress-gateway"},
            "spec": {"servers": [{"hosts": ["api.github.com", "*.example.com"]}]}});
        self.answer("Gateways", vec![object(&gateway)])
    }

    fn virtual_services(&self) -> Result<Vec<ClusterObject>, LookupError> {
        let vs = json!({"metadata": {"name": "legacy-vs", "namespace": "apps"},
            "spec": {"hosts": ["example.com"], "gateways": ["istio-egress-gateway/legacy"]}});
        self.answer("VirtualServices", vec![object(&vs)])
    }
}
