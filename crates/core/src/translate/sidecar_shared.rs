//! Shared sidecar-mode objects in `istio-egress-gateway`: per host a Gateway, a VirtualService
//! and a ServiceEntry over the union of all Packages' pairs (semantics §3.2).

use indexmap::IndexMap;

use crate::generated_object::GeneratedObject;
use crate::model::Package;
use crate::names::{self, EGRESS_GATEWAY_NAMESPACE};
use crate::objects::gateway::GatewaySpec;
use crate::objects::generate;
use crate::objects::meta::Meta;
use crate::objects::service_entry::ServiceEntrySpec;
use crate::objects::virtual_service::VirtualServiceSpec;
use crate::owner_annotation::{OWNER_ANNOTATION_VALUE, owner_annotation_key};
use crate::translate::host_aggregate::aggregate_hosts;

pub const SHARED_SIDECAR_LABEL: &str = "shared-egress-resource";

/// `packages`: admitted sidecar-mode Packages in canonical order.
pub fn shared_objects<'a>(packages: impl IntoIterator<Item = &'a Package>) -> Vec<GeneratedObject> {
    let mut objects = Vec::new();
    for (host, aggregate) in aggregate_hosts(packages) {
        let annotations = owner_annotations(&aggregate.packages);
        let meta = |name: String| {
            Meta::shared(
                EGRESS_GATEWAY_NAMESPACE,
                name,
                SHARED_SIDECAR_LABEL,
                &[],
                &[],
                annotations.clone(),
            )
        };
        let gateway_name = names::gateway(host);
        objects.push(generate(
            meta(gateway_name.clone()),
            GatewaySpec::egress(host, &aggregate.pairs),
        ));
        objects.push(generate(
            meta(names::virtual_service(host)),
            VirtualServiceSpec::egress(host, &gateway_name, &aggregate.pairs),
        ));
        objects.push(generate(
            meta(names::shared_service_entry(host)),
            ServiceEntrySpec::external(host, &aggregate.pairs),
        ));
    }
    objects
}

/// `uds.dev/user-<pkgId>: user` per contributing Package, in the given order.
pub fn owner_annotations(packages: &[&Package]) -> IndexMap<String, String> {
    packages
        .iter()
        .map(|p| {
            (
                owner_annotation_key(&p.pkg_id()),
                OWNER_ANNOTATION_VALUE.to_string(),
            )
        })
        .collect()
}
