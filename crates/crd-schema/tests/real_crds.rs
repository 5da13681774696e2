//! Objects of every kind the generator renders, checked against the real Istio and Gateway API
//! CRDs (vendored in e2e/fixtures/crds) and the project's Package CRD (deploy/crds).

mod common;

use common::objects::{
    authorization_policy, istio_gateway, package, service_entry, sidecar, virtual_service, waypoint,
};
use common::{assert_error, assert_valid, schemas, with, without, yaml};
use crd_schema::NoteKind;
use serde_json::json;

#[test]
fn loads_every_kind_we_render() {
    let kinds = schemas().kinds();
    for (api_version, kind) in [
        ("networking.istio.io/v1", "ServiceEntry"),
        ("networking.istio.io/v1", "Sidecar"),
        ("networking.istio.io/v1", "VirtualService"),
        ("networking.istio.io/v1", "Gateway"),
        ("security.istio.io/v1", "AuthorizationPolicy"),
        ("gateway.networking.k8s.io/v1", "Gateway"),
        ("uds.dev/v1alpha1", "Package"),
    ] {
        assert!(
            kinds.contains(&(api_version.to_owned(), kind.to_owned())),
            "{api_version} {kind} missing from {kinds:?}"
        );
    }
    assert!(schemas().cel_rule_count() > 100);
}

#[test]
fn every_pattern_of_the_real_crds_compiles() {
    let uncompiled: Vec<_> = schemas()
        .limitations()
        .iter()
        .filter(|n| n.kind == NoteKind::PatternNotCompiled)
        .collect();
    assert!(uncompiled.is_empty(), "{uncompiled:#?}");
}

#[test]
fn valid_objects_pass() {
    for object in [
        service_entry(),
        sidecar(),
        istio_gateway(),
        virtual_service(),
        authorization_policy(),
        waypoint(),
        package(),
    ] {
        assert_valid(&object);
    }
}

#[test]
fn sidecar_without_selector_passes() {
    assert_valid(&without(&sidecar(), "/spec/workloadSelector"));
}

#[test]
fn cel_rules_on_the_path_are_reported_not_evaluated() {
    // Port 0 breaks ServiceEntry's CEL rule "port must be between 1-65535", which only the API
    // server can evaluate: the object passes here, and the report says what was skipped.
    let object = with(&service_entry(), "/spec/ports/0/number", json!(0));
    let report = schemas().check(&object);
    assert!(report.is_valid(), "{:?}", report.errors);
    assert!(
        report
            .notes_of(NoteKind::CelNotEvaluated)
            .any(|n| n.path == "spec.ports[0].number"
                && n.message.contains("port must be between 1-65535")),
        "{:#?}",
        report.notes
    );
}

#[test]
fn unknown_field_would_be_pruned() {
    let object = with(&service_entry(), "/spec/ports/0/portName", json!("x"));
    assert_error(
        &object,
        "spec.ports[0].portName",
        "unknown field (would be pruned)",
    );
    let object = with(&service_entry(), "/spec/exportto", json!(["."]));
    assert_error(&object, "spec.exportto", "unknown field (would be pruned)");
    let object = with(&sidecar(), "/specs", json!({}));
    assert_error(&object, "specs", "unknown field (would be pruned)");
}

#[test]
fn preserved_status_accepts_unknown_fields() {
    let object = with(
        &service_entry(),
        "/status",
        json!({"anything": {"goes": 1}}),
    );
    assert_valid(&object);
}

#[test]
fn wrong_type_is_reported_with_its_path() {
    let object = with(&service_entry(), "/spec/ports/0/number", json!("443"));
    assert_error(
        &object,
        "spec.ports[0].number",
        "expected integer, found string",
    );
    // AuthorizationPolicy ports are strings; a number here is a real generator mistake.
    let object = with(
        &authorization_policy(),
        "/spec/rules/0/to/0/operation/ports/0",
        json!(443),
    );
    assert_error(
        &object,
        "spec.rules[0].to[0].operation.ports[0]",
        "expected string, found integer",
    );
    let object = with(&service_entry(), "/spec/hosts", json!("example.com"));
    assert_error(&object, "spec.hosts", "expected array, found string");
}

#[test]
fn enum_violation() {
    let object = with(&service_entry(), "/spec/resolution", json!("FOO"));
    let errors = assert_error(&object, "spec.resolution", "unsupported value \"FOO\"");
    assert!(errors[0].message.contains("\"DNS\""), "{errors:?}");
    let object = with(&authorization_policy(), "/spec/action", json!("allow"));
    assert_error(&object, "spec.action", "unsupported value \"allow\"");
}

#[test]
fn port_out_of_range() {
    let object = with(
        &istio_gateway(),
        "/spec/servers/0/port/number",
        json!(4_294_967_296_u64),
    );
    assert_error(
        &object,
        "spec.servers[0].port.number",
        "out of range: must be <= 4294967295",
    );
    let object = with(&service_entry(), "/spec/ports/1/number", json!(-1));
    assert_error(
        &object,
        "spec.ports[1].number",
        "out of range: must be >= 0",
    );
    let object = with(&waypoint(), "/spec/listeners/0/port", json!(70000));
    assert_error(
        &object,
        "spec.listeners[0].port",
        "out of range: must be <= 65535",
    );
    let object = with(&waypoint(), "/spec/listeners/0/port", json!(0));
    assert_error(
        &object,
        "spec.listeners[0].port",
        "out of range: must be >= 1",
    );
}

#[test]
fn missing_required_field() {
    let object = without(&service_entry(), "/spec/hosts");
    assert_error(&object, "spec.hosts", "missing required field");
    let object = without(&istio_gateway(), "/spec/servers/0/port/protocol");
    assert_error(
        &object,
        "spec.servers[0].port.protocol",
        "missing required field",
    );
    let object = without(&waypoint(), "/spec/gatewayClassName");
    assert_error(&object, "spec.gatewayClassName", "missing required field");
    let object = without(&sidecar(), "/spec/outboundTrafficPolicy/mode");
    assert_valid(&object); // mode is optional in the schema; the check must not invent rules
}

#[test]
fn wrong_api_version_or_kind() {
    let object = with(
        &service_entry(),
        "/apiVersion",
        json!("networking.istio.io/v2"),
    );
    assert_error(&object, "apiVersion", "has no version v2");
    let object = with(&service_entry(), "/kind", json!("ServiceEntri"));
    assert_error(
        &object,
        "kind",
        "no CustomResourceDefinition for kind ServiceEntri",
    );
    let object = with(
        &authorization_policy(),
        "/apiVersion",
        json!("networking.istio.io/v1"),
    );
    assert_error(
        &object,
        "apiVersion",
        "AuthorizationPolicy exists in: security.istio.io",
    );
    let object = without(&sidecar(), "/kind");
    assert_error(&object, "kind", "missing required field");
    // An Istio Gateway body under the Gateway API version is caught by the schema itself.
    let object = with(
        &istio_gateway(),
        "/apiVersion",
        json!("gateway.networking.k8s.io/v1"),
    );
    assert_error(&object, "spec.selector", "unknown field (would be pruned)");
    assert_error(&object, "spec.listeners", "missing required field");
}

#[test]
fn kinds_without_a_crd_are_rejected() {
    let object =
        yaml("{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: x}}");
    assert_error(
        &object,
        "kind",
        "no CustomResourceDefinition for kind NetworkPolicy",
    );
}

#[test]
fn mutually_exclusive_fields_in_one_of() {
    let object = with(
        &virtual_service(),
        "/spec/http/0/match/0/uri",
        json!({"exact": "/a", "prefix": "/b"}),
    );
    assert_error(
        &object,
        "spec.http[0].match[0].uri",
        "matches 2: [1] has exact; [2] has prefix",
    );
    let object = with(
        &virtual_service(),
        "/spec/http/0/match/0/uri",
        json!({"prefix": "/b"}),
    );
    assert_valid(&object);
    // AuthorizationPolicy: `provider` is only valid with action CUSTOM, but the schema's oneOf is
    // "provider or not": both pass structurally.
    let object = with(
        &authorization_policy(),
        "/spec/provider",
        json!({"name": "ext"}),
    );
    assert_valid(&object);
}

#[test]
fn null_in_a_non_nullable_field() {
    let object = with(&service_entry(), "/spec/location", json!(null));
    assert_error(
        &object,
        "spec.location",
        "null value for a non-nullable field",
    );
}

#[test]
fn duplicate_list_map_keys() {
    let object = with(
        &service_entry(),
        "/spec/ports/1",
        json!({"name": "tls-443", "number": 8443, "protocol": "TLS"}),
    );
    assert_error(
        &object,
        "spec.ports[1]",
        "duplicate entry for the list-map keys",
    );
}

#[test]
fn metadata_is_checked_loosely() {
    let object = with(
        &service_entry(),
        "/metadata/labels/uds~1generation",
        json!(1),
    );
    assert_error(
        &object,
        "metadata.labels[\"uds/generation\"]",
        "expected string, found integer",
    );
    let object = with(
        &service_entry(),
        "/metadata/labels/uds~1package",
        json!("bad value!"),
    );
    assert_error(
        &object,
        "metadata.labels[\"uds/package\"]",
        "invalid label value",
    );
    let object = with(&istio_gateway(), "/metadata/annotations/x", json!(true));
    assert_error(
        &object,
        "metadata.annotations.x",
        "expected string, found boolean",
    );
    let object = without(&sidecar(), "/metadata/name");
    assert_error(&object, "metadata.name", "missing required field");
    let object = with(&sidecar(), "/metadata/namespace", json!(3));
    assert_error(
        &object,
        "metadata.namespace",
        "expected string, found integer",
    );
}

#[test]
fn string_constraints_of_the_gateway_api() {
    let object = with(&waypoint(), "/spec/listeners/0/name", json!("Mesh_1"));
    assert_error(&object, "spec.listeners[0].name", "does not match pattern");
    let object = with(&waypoint(), "/spec/gatewayClassName", json!(""));
    assert_error(&object, "spec.gatewayClassName", "at least 1 characters");
}
