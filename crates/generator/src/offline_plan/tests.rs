use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::*;
use crate::gateway_ports::GatewayPortsArg;
use uds_egress_testkit::fixtures::{desired, package, package_manifest};
use uds_egress_testkit::server_side::stored_objects;

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("uds-egress-plan-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_yaml(dir: &Path, name: &str, values: &[Value]) -> String {
    let mut text = String::new();
    for value in values {
        text.push_str("---\n");
        text.push_str(&serde_yaml_ng::to_string(value).unwrap());
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn args(files: Vec<String>, live: Vec<String>, output: PlanFormat) -> PlanCli {
    PlanCli {
        files,
        live,
        gateway_ports: GatewayPortsArg {
            ports: vec![80, 443, 8443],
        },
        output,
    }
}

#[test]
fn an_empty_cluster_gets_everything_created() {
    let dir = scratch("empty");
    let packages = write_yaml(
        &dir,
        "p.yaml",
        &[package_manifest(
            "app",
            "sidecar",
            1,
            &[("a.com", &[443], "TLS")],
        )],
    );
    let outcome = run_plan(&args(vec![packages], vec![], PlanFormat::Text));
    assert_eq!(outcome.exit_code, 2, "{:?}", outcome.stderr);
    assert_eq!(
        outcome.stdout.matches("\n+ create ").count() + 1,
        6,
        "{}",
        outcome.stdout
    );
    assert!(
        outcome
            .stdout
            .ends_with("Plan: 6 to create, 0 to update, 0 to delete, 0 conflicts (0 unchanged).\n")
    );
}

#[test]
fn a_converged_cluster_plans_nothing_and_exits_zero() {
    let dir = scratch("converged");
    let manifest = package_manifest("app", "ambient", 1, &[("a.com", &[443], "TLS")]);
    let live = stored_objects(
        &desired(&[package("app", "ambient", 1, &[("a.com", &[443], "TLS")])]).objects,
    );
    let mut live_docs = live.clone();
    live_docs.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "x"}}));
    let packages = write_yaml(&dir, "p.yaml", &[manifest]);
    let live_file = write_yaml(&dir, "live.yaml", &live_docs);
    let outcome = run_plan(&args(vec![packages], vec![live_file], PlanFormat::Text));
    assert_eq!(
        outcome.exit_code, 0,
        "{}\n{:?}",
        outcome.stdout, outcome.stderr
    );
    assert_eq!(
        outcome.stdout,
        "Plan: 0 to create, 0 to update, 0 to delete, 0 conflicts (4 unchanged).\n"
    );
    assert!(
        outcome
            .stderr
            .iter()
            .any(|l| l.contains("ignoring v1 ConfigMap x/c")),
        "{:?}",
        outcome.stderr
    );
}

#[test]
fn a_changed_file_replaces_the_cluster_copy_of_its_package() {
    let dir = scratch("overlay");
    let cluster = package_manifest("app", "sidecar", 4, &[("a.com", &[443], "TLS")]);
    let live = stored_objects(
        &desired(&[package("app", "sidecar", 4, &[("a.com", &[443], "TLS")])]).objects,
    );
    // As written in a pull request: no uid, no generation, no creationTimestamp.
    let mut changed = package_manifest("app", "sidecar", 0, &[("a.com", &[443, 8443], "TLS")]);
    let meta = changed["metadata"].as_object_mut().unwrap();
    meta.remove("uid");
    meta.remove("generation");
    meta.remove("creationTimestamp");
    let cluster_file = write_yaml(&dir, "cluster.yaml", &[cluster]);
    let changed_file = write_yaml(&dir, "changed.yaml", &[changed]);
    let live_file = write_yaml(&dir, "live.yaml", &live);
    let outcome = run_plan(&args(
        vec![cluster_file, changed_file],
        vec![live_file],
        PlanFormat::Json,
    ));
    assert_eq!(outcome.exit_code, 2, "{:?}", outcome.stderr);
    let json: Value = serde_json::from_str(&outcome.stdout).unwrap();
    let updates = json["plan"]["updates"].as_array().unwrap();
    let sidecar = updates
        .iter()
        .find(|u| u["object"]["key"]["kind"] == "Sidecar")
        .unwrap();
    // Same uid (no ownerReference change); generation 4 -> 5.
    assert_eq!(
        sidecar["changes"],
        json!([{"path": "metadata.labels[\"uds/generation\"]", "live": "4", "desired": "5"}])
    );
    assert_eq!(json["plan"]["creates"].as_array().unwrap().len(), 1);
    assert_eq!(json["plan"]["deletes"].as_array().unwrap().len(), 1);
    assert_eq!(json["refused"], json!([]));
}

#[test]
fn invalid_packages_are_reported_and_contribute_nothing() {
    let dir = scratch("invalid");
    let bad = package_manifest("bad", "sidecar", 1, &[("a.com", &[9999], "TLS")]);
    let packages = write_yaml(&dir, "p.yaml", &[bad]);
    let outcome = run_plan(&args(vec![packages], vec![], PlanFormat::Text));
    assert_eq!(outcome.exit_code, 0);
    assert!(
        outcome
            .stderr
            .iter()
            .any(|l| l.starts_with("refused: bad/bad: ")),
        "{:?}",
        outcome.stderr
    );
}

#[test]
fn unreadable_input_exits_one() {
    let dir = scratch("unreadable");
    let missing = dir.join("nope.yaml").to_string_lossy().into_owned();
    let outcome = run_plan(&args(vec![missing.clone()], vec![], PlanFormat::Text));
    assert_eq!(outcome.exit_code, 1);
    assert!(
        outcome.stderr[0].contains("cannot read"),
        "{:?}",
        outcome.stderr
    );

    let packages = write_yaml(&dir, "p.yaml", &[package_manifest("a", "sidecar", 1, &[])]);
    let outcome = run_plan(&args(vec![packages], vec![missing], PlanFormat::Text));
    assert_eq!(outcome.exit_code, 1);

    let broken = write_yaml(
        &dir,
        "b.yaml",
        &[json!({"apiVersion": "uds.dev/v1alpha1", "kind": "Package",
        "metadata": {"name": "b", "namespace": "b"}, "spec": {"network": {"allow": "all"}}})],
    );
    let outcome = run_plan(&args(vec![broken], vec![], PlanFormat::Text));
    assert_eq!(outcome.exit_code, 1);
    assert!(
        outcome.stderr[0].contains("spec.network.allow"),
        "{:?}",
        outcome.stderr
    );
}
