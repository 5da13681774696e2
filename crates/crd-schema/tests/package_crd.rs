//! The project's own Package CRD, `deploy/crds/package.yaml`: every example Package and every
//! fixture Package that the tests expect a cluster to store is accepted by it, and so are the
//! parts of UDS Core Packages that uds-egress does not interpret; wrong types are not.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{assert_error_in, lines, with, without, yaml};
use crd_schema::SchemaSet;
use serde::Deserialize;
use serde_json::{Value, json};

/// Only the Package CRD, so that nothing else can make a Package pass.
fn package_schema() -> &'static SchemaSet {
    static SCHEMA: OnceLock<SchemaSet> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let file = crd_schema::package_crd();
        SchemaSet::load_files([&file]).unwrap_or_else(|e| panic!("loading {}: {e}", file.display()))
    })
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn assert_stored(object: &Value, origin: &str) {
    let report = package_schema().check(object);
    assert!(
        report.errors.is_empty(),
        "{origin}: refused by deploy/crds/package.yaml:\n{}",
        lines(&report.errors)
    );
}

fn assert_refused(object: &Value, path: &str, fragment: &str) {
    assert_error_in(package_schema(), object, path, fragment);
}

/// The Package documents of a multi-document YAML file.
fn packages_in_yaml(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .filter(|doc| doc["kind"] == "Package")
        .collect()
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    files
}

/// The shared sidecar Package of the schema tests.
fn example() -> Value {
    common::objects::package()
}

#[test]
fn the_crd_defines_package_v1alpha1_only() {
    assert_eq!(
        package_schema().kinds(),
        [("uds.dev/v1alpha1".to_owned(), "Package".to_owned())]
    );
    assert_eq!(package_schema().cel_rule_count(), 0);
    assert!(
        package_schema().limitations().is_empty(),
        "{:#?}",
        package_schema().limitations()
    );
}

#[test]
fn every_example_package_validates() {
    let mut checked = 0;
    for file in yaml_files(&repo().join("examples")) {
        for package in packages_in_yaml(&file) {
            assert_stored(&package, &file.display().to_string());
            checked += 1;
        }
    }
    assert!(checked >= 6, "checked {checked} example Packages");
}

#[test]
fn every_fixture_package_that_is_stored_validates() {
    let fixtures = repo().join("e2e/fixtures");
    let mut checked = 0;
    // The clusters the policy's context-aware lookups see, and the bare manifests.
    let mut files = yaml_files(&fixtures.join("policy/clusters"));
    files.push(fixtures.join("cluster.yaml"));
    files.push(fixtures.join("objects/package.yaml"));
    for file in files {
        for package in packages_in_yaml(&file) {
            assert_stored(&package, &file.display().to_string());
            checked += 1;
        }
    }
    // The Packages of the policy cases that are admitted (and so stored).
    let cases_file = fixtures.join("policy/cases.json");
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string(&cases_file).expect("cases.json")).unwrap();
    for case in cases.as_array().expect("a list of cases") {
        if case["expect"]["accepted"] != true {
            continue;
        }
        let request_file = fixtures
            .join("policy")
            .join(case["request"].as_str().unwrap());
        let request: Value =
            serde_json::from_str(&std::fs::read_to_string(&request_file).unwrap()).unwrap();
        let request = request.get("request").unwrap_or(&request);
        for object in [&request["object"], &request["oldObject"]] {
            if object["kind"] == "Package" {
                assert_stored(object, &request_file.display().to_string());
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "checked {checked} fixture Packages");
}

#[test]
fn uds_core_fields_that_uds_egress_does_not_read_are_kept() {
    let package = yaml(
        r#"
apiVersion: uds.dev/v1alpha1
kind: Package
metadata: {name: app, namespace: app-ns}
spec:
  network:
    serviceMesh: {mode: ambient}
    expose:
      - {service: app, selector: {app: web}, host: app, gateway: tenant, port: 8080}
    allow:
      - {direction: Ingress, remoteNamespace: "", remoteServiceAccount: gateway, port: 8080}
      - {direction: Egress, remoteGenerated: KubeAPI}
      - {direction: Egress, remoteCidr: 10.0.0.0/8, remoteProtocol: UDP, ports: [53]}
      - {direction: Egress, podLabels: {app: a}, remotePodLabels: {app: b}, remoteNamespace: other}
      - {direction: Egress, selector: {}, remoteHost: example.com, port: 443, labels: {team: x}, futureField: {keep: true}}
  sso:
    - {name: App, clientId: uds-app, redirectUris: ["https://app.example.com/login"]}
  monitor:
    - {selector: {app: web}, portName: metrics, targetPort: 9090}
  caBundle: {configMap: {name: uds-trust-bundle}}
  somethingNew: {any: [1, "two"]}
status:
  phase: Ready
  observedGeneration: 1
  conditions: [{type: Ready, status: "True"}]
"#,
    );
    assert_stored(&package, "inline");
    assert_stored(&without(&example(), "/spec/network/serviceMesh"), "no mode");
    assert_stored(&without(&example(), "/spec"), "no spec");
}

#[test]
fn wrong_types_are_refused() {
    let ports = "/spec/network/allow/0/ports";
    assert_refused(
        &with(&example(), ports, json!(["x"])),
        "spec.network.allow[0].ports[0]",
        "expected integer, found string",
    );
    assert_refused(
        &with(&example(), ports, json!(443)),
        "spec.network.allow[0].ports",
        "expected array, found integer",
    );
    assert_refused(
        &with(&example(), "/spec/network/allow/0/port", json!("443")),
        "spec.network.allow[0].port",
        "expected integer, found string",
    );
    assert_refused(
        &with(&example(), "/spec/network/allow/0/port", json!(443.5)),
        "spec.network.allow[0].port",
        "expected integer",
    );
    assert_refused(
        &with(&example(), "/spec/network/allow/0/selector/app", json!(1)),
        "spec.network.allow[0].selector.app",
        "expected string, found integer",
    );
    assert_refused(
        &with(
            &example(),
            "/spec/network/allow",
            json!({"direction": "Egress"}),
        ),
        "spec.network.allow",
        "expected array, found object",
    );
}

#[test]
fn out_of_range_ports_are_refused() {
    assert_refused(
        &with(&example(), "/spec/network/allow/0/ports/0", json!(0)),
        "spec.network.allow[0].ports[0]",
        "out of range: must be >= 1",
    );
    assert_refused(
        &with(&example(), "/spec/network/allow/0/port", json!(65536)),
        "spec.network.allow[0].port",
        "out of range: must be <= 65535",
    );
}

#[test]
fn enums_and_required_fields() {
    for (pointer, path, value) in [
        (
            "/spec/network/serviceMesh/mode",
            "spec.network.serviceMesh.mode",
            "Sidecar",
        ),
        (
            "/spec/network/allow/0/direction",
            "spec.network.allow[0].direction",
            "egress",
        ),
        (
            "/spec/network/allow/0/remoteProtocol",
            "spec.network.allow[0].remoteProtocol",
            "HTTPS",
        ),
        (
            "/spec/network/allow/0/remoteGenerated",
            "spec.network.allow[0].remoteGenerated",
            "Internet",
        ),
    ] {
        assert_refused(
            &with(&example(), pointer, json!(value)),
            path,
            &format!("unsupported value \"{value}\""),
        );
    }
    assert_refused(
        &without(&example(), "/spec/network/allow/0/direction"),
        "spec.network.allow[0].direction",
        "missing required field",
    );
    // serviceMesh is ours to type: a misspelt key there would be pruned.
    assert_refused(
        &with(
            &example(),
            "/spec/network/serviceMesh/mdoe",
            json!("sidecar"),
        ),
        "spec.network.serviceMesh.mdoe",
        "unknown field (would be pruned)",
    );
}
