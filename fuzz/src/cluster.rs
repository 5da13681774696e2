//! The cluster the fuzzed policy sees: the example Packages, and a foreign Gateway and
//! VirtualService that claim hosts, so that the context-aware checks run; or a cluster whose
//! lookups fail, for the fail-closed path.

use serde_json::json;
use uds_egress_policy::cluster::{Cluster, Listing, LookupError};

use crate::examples::examples;

pub struct FuzzCluster {
    pub failing: bool,
}

impl Cluster for FuzzCluster {
    fn list(&self, listing: Listing) -> Result<Vec<u8>, LookupError> {
        if self.failing {
            return Err(LookupError {
                what: listing.describe(),
                detail: "injected by the fuzz target".to_string(),
            });
        }
        Ok(match listing {
            Listing::Packages => listing.reply(examples()),
            Listing::Gateways => listing.reply(&[json!({
                "metadata": {"name": "legacy", "namespace": "istio-egress-gateway"},
                "spec": {"servers": [{"hosts": ["api.github.com", "*.example.com"]}]}})]),
            Listing::VirtualServices => listing.reply(&[json!({
                "metadata": {"name": "legacy-vs", "namespace": "apps"},
                "spec": {"hosts": ["example.com"], "gateways": ["istio-egress-gateway/legacy"]}})]),
        })
    }
}
