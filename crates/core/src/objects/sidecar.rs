//! Istio `Sidecar` (networking.istio.io/v1): `REGISTRY_ONLY` for the selected workloads.

use serde::Serialize;

use super::Kind;
use crate::model::LabelMap;

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SidecarSpec {
    pub outbound_traffic_policy: OutboundTrafficPolicy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload_selector: Option<WorkloadSelector>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OutboundTrafficPolicy {
    pub mode: &'static str,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WorkloadSelector {
    pub labels: LabelMap,
}

impl SidecarSpec {
    /// Without a selector the Sidecar applies to the whole namespace.
    pub fn registry_only(selector: Option<&LabelMap>) -> SidecarSpec {
        SidecarSpec {
            outbound_traffic_policy: OutboundTrafficPolicy {
                mode: "REGISTRY_ONLY",
            },
            workload_selector: selector.map(|labels| WorkloadSelector {
                labels: labels.clone(),
            }),
        }
    }
}

impl Kind for SidecarSpec {
    const API_VERSION: &'static str = "networking.istio.io/v1";
    const KIND: &'static str = "Sidecar";
}
