//! Every object rendered from the bundled examples is accepted by the real CRD schemas (Istio,
//! Gateway API) of its version, and every NetworkPolicy round-trips through k8s-openapi's type.

mod support;

use crd_schema::{SchemaSet, schemas_dirs};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_json::Value;
use support::{documents, example_files, key, path_str, run};

fn rendered_examples() -> Vec<Value> {
    let files: Vec<String> = example_files().iter().map(|p| path_str(p)).collect();
    assert!(files.len() >= 6, "at least six examples");
    let mut args = vec!["render"];
    args.extend(files.iter().map(String::as_str));
    let out = run(&args, None);
    assert_eq!(out.code, 0, "examples render: {}", out.stderr);
    documents(&out.stdout)
}

#[test]
fn rendered_examples_cover_every_kind() {
    let kinds: std::collections::BTreeSet<String> = rendered_examples()
        .iter()
        .map(|o| {
            format!(
                "{} {}",
                o["apiVersion"].as_str().unwrap(),
                o["kind"].as_str().unwrap()
            )
        })
        .collect();
    let expected = [
        "gateway.networking.k8s.io/v1 Gateway",
        "networking.istio.io/v1 Gateway",
        "networking.istio.io/v1 ServiceEntry",
        "networking.istio.io/v1 Sidecar",
        "networking.istio.io/v1 VirtualService",
        "networking.k8s.io/v1 NetworkPolicy",
        "security.istio.io/v1 AuthorizationPolicy",
    ];
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), expected);
}

#[test]
fn every_istio_and_gateway_object_validates_against_its_crd() {
    let schemas = SchemaSet::load_dirs(schemas_dirs()).expect("the repository's CRD schemas load");
    let mut checked = 0;
    for object in rendered_examples() {
        if object["kind"] == "NetworkPolicy" {
            continue;
        }
        if let Err(errors) = schemas.validate(&object) {
            let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            panic!(
                "{} is refused by its CRD schema:\n{}",
                key(&object),
                text.join("\n")
            );
        }
        checked += 1;
    }
    assert!(checked >= 20, "checked {checked} objects");
}

#[test]
fn network_policies_round_trip_through_k8s_openapi() {
    let mut checked = 0;
    for object in rendered_examples() {
        if object["kind"] != "NetworkPolicy" {
            continue;
        }
        let typed: NetworkPolicy = serde_json::from_value(object.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", key(&object)));
        let back = serde_json::to_value(&typed).expect("serialises");
        assert_eq!(back, object, "{} changes in a round trip", key(&object));
        checked += 1;
    }
    assert!(checked >= 6);
}
