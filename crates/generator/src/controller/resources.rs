//! The one place where a kind the controller calls the API for (a managed kind, or Package)
//! becomes kube's `ApiResource`, and where an object read back gets its apiVersion and kind
//! again: list items, watch events and some get responses leave them out, and the planner
//! identifies objects by them. Watches and single reads both go through here.

use kube::api::{ApiResource, DynamicObject};
use kube::core::TypeMeta;
use serde_json::Value;

use uds_egress_plan::kinds::ManagedKind;

/// The API resource of `kind`, for `Api<DynamicObject>` and the watch stores.
pub fn api_resource(kind: &ManagedKind) -> ApiResource {
    ApiResource {
        group: kind.group.to_string(),
        version: kind.version.to_string(),
        api_version: kind.api_version(),
        kind: kind.kind.to_string(),
        plural: kind.plural.to_string(),
    }
}

/// Gives `object` the apiVersion and kind of `resource`, whatever the response said.
fn set_type(object: &mut DynamicObject, resource: &ApiResource) {
    object.types = Some(TypeMeta {
        api_version: resource.api_version.clone(),
        kind: resource.kind.clone(),
    });
}

/// `object` as a manifest for the planner, naming its own apiVersion and kind.
pub fn manifest(mut object: DynamicObject, resource: &ApiResource) -> serde_json::Result<Value> {
    set_type(&mut object, resource);
    serde_json::to_value(&object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uds_egress_plan::kinds::{MANAGED_KINDS, PACKAGE_KIND};

    #[test]
    fn every_kind_gets_its_group_version_and_plural() {
        for kind in MANAGED_KINDS.iter().chain([&PACKAGE_KIND]) {
            let resource = api_resource(kind);
            assert_eq!(resource.group, kind.group);
            assert_eq!(resource.version, kind.version);
            assert_eq!(
                resource.api_version,
                format!("{}/{}", kind.group, kind.version)
            );
            assert_eq!(resource.kind, kind.kind);
            assert_eq!(resource.plural, kind.plural);
        }
        let waypoint = MANAGED_KINDS
            .iter()
            .find(|k| k.group == "gateway.networking.k8s.io")
            .map(api_resource);
        assert_eq!(
            waypoint.map(|r| r.api_version),
            Some("gateway.networking.k8s.io/v1".to_string())
        );
    }

    #[test]
    fn a_list_item_without_type_becomes_a_typed_manifest() {
        // As a list item arrives: no apiVersion, no kind.
        let item: DynamicObject = serde_json::from_value(json!({
            "metadata": {"name": "a", "namespace": "n"}, "spec": {"hosts": ["x"]}}))
        .unwrap();
        assert!(item.types.is_none());
        for kind in MANAGED_KINDS.iter().chain([&PACKAGE_KIND]) {
            let value = manifest(item.clone(), &api_resource(kind)).unwrap();
            assert_eq!(value["apiVersion"], kind.api_version());
            assert_eq!(value["kind"], kind.kind);
            assert_eq!(value["metadata"]["name"], "a");
            assert_eq!(value["spec"]["hosts"], json!(["x"]));
        }
    }

    #[test]
    fn a_wrong_type_in_the_response_is_replaced() {
        let mut object: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "List", "metadata": {"name": "a"}}))
        .unwrap();
        set_type(&mut object, &api_resource(&PACKAGE_KIND));
        let value = serde_json::to_value(&object).unwrap();
        assert_eq!(value["apiVersion"], "uds.dev/v1alpha1");
        assert_eq!(value["kind"], "Package");
    }
}
