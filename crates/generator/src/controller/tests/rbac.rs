//! deploy/ parses, and the generator's RBAC grants every call in API_USAGE, for both ways of
//! running it (standalone Deployment, and sidecar of the policy-server).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::api_usage::{API_USAGE, Scope};
use uds_egress_plan::input::parse_documents;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn read(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    parse_documents(&path.to_string_lossy(), &text)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|d| d.value)
        .collect()
}

fn objects_in(dir: &str) -> Vec<Value> {
    let mut files = Vec::new();
    yaml_files(&deploy_dir().join(dir), &mut files);
    files.iter().flat_map(|f| read(f)).collect()
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Whether `rules` allow `verb` on `group`/`resource` (by any name).
fn allows(rules: &[&Value], group: &str, resource: &str, verb: &str) -> bool {
    rules.iter().any(|rule| {
        strings(&rule["apiGroups"]).contains(&group)
            && strings(&rule["resources"]).contains(&resource)
            && strings(&rule["verbs"]).contains(&verb)
    })
}

fn rules_of<'a>(roles: &[&'a Value], name: &str, namespace: Option<&str>) -> Vec<&'a Value> {
    roles
        .iter()
        .filter(|r| r["metadata"]["name"] == name)
        .filter(|r| namespace.is_none_or(|ns| r["metadata"]["namespace"] == ns))
        .flat_map(|r| r["rules"].as_array().into_iter().flatten())
        .collect()
}

/// The role names bound to `subject` (namespace/name) by bindings of `binding_kind`.
fn bound_roles<'a>(
    objects: &'a [Value],
    binding_kind: &str,
    namespace: &str,
    account: &str,
) -> Vec<&'a str> {
    of_kind(objects, binding_kind)
        .into_iter()
        .filter(|b| {
            b["subjects"].as_array().into_iter().flatten().any(|s| {
                s["kind"] == "ServiceAccount" && s["name"] == account && s["namespace"] == namespace
            })
        })
        .filter_map(|b| b["roleRef"]["name"].as_str())
        .collect()
}

/// Checks that `account` in `namespace` may make every call in API_USAGE.
fn assert_covered(objects: &[Value], namespace: &str, account: &str) {
    let cluster_roles = of_kind(objects, "ClusterRole");
    let roles = of_kind(objects, "Role");
    let cluster_rules: Vec<&Value> = bound_roles(objects, "ClusterRoleBinding", namespace, account)
        .into_iter()
        .flat_map(|name| rules_of(&cluster_roles, name, None))
        .collect();
    let namespace_rules: Vec<&Value> = bound_roles(objects, "RoleBinding", namespace, account)
        .into_iter()
        .flat_map(|name| rules_of(&roles, name, Some(namespace)))
        .collect();
    for usage in API_USAGE {
        let rules: Vec<&Value> = match usage.scope {
            Scope::Cluster => cluster_rules.clone(),
            Scope::LeaseNamespace => cluster_rules
                .iter()
                .chain(&namespace_rules)
                .copied()
                .collect(),
        };
        for verb in usage.verbs {
            assert!(
                allows(&rules, usage.group, usage.resource, verb),
                "{namespace}/{account} may not {verb} {}.{}",
                usage.resource,
                usage.group
            );
        }
    }
    // Least privilege: no wildcards, and no resource the controller does not use.
    for rule in cluster_rules.iter().chain(&namespace_rules) {
        for field in ["apiGroups", "resources", "verbs"] {
            assert!(!strings(&rule[field]).contains(&"*"), "wildcard in {rule}");
        }
        for group in strings(&rule["apiGroups"]) {
            for resource in strings(&rule["resources"]) {
                assert!(
                    API_USAGE
                        .iter()
                        .any(|u| u.group == group && u.resource == resource),
                    "{resource}.{group} is granted but never used"
                );
            }
        }
    }
}

#[test]
fn every_manifest_in_deploy_parses() {
    let mut files = Vec::new();
    yaml_files(&deploy_dir(), &mut files);
    assert!(files.len() >= 10, "{files:?}");
    for file in &files {
        for object in read(file) {
            // Helm values and kubectl patches are fragments; everything else is a whole object.
            let fragment =
                file.ends_with("values.yaml") || file.to_string_lossy().ends_with("-patch.yaml");
            assert!(
                fragment || object["kind"].is_string(),
                "{}: document without kind",
                file.display()
            );
        }
    }
}

#[test]
fn the_standalone_deployment_is_granted_every_call() {
    let objects = objects_in("generator");
    let deployment = of_kind(&objects, "Deployment")
        .into_iter()
        .find(|d| d["metadata"]["name"] == "uds-egress-generator")
        .unwrap();
    let namespace = deployment["metadata"]["namespace"].as_str().unwrap();
    let account = deployment["spec"]["template"]["spec"]["serviceAccountName"]
        .as_str()
        .unwrap();
    assert_covered(&objects, namespace, account);

    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["args"][0], "run");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert!(container["resources"]["requests"]["cpu"].is_string());
    let env: Vec<&str> = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert!(
        env.contains(&"POD_NAME") && env.contains(&"UDS_EGRESS_LEASE_NAMESPACE"),
        "{env:?}"
    );
}

#[test]
fn the_policy_server_sidecar_is_granted_every_call() {
    let mut objects = objects_in("generator/sidecar");
    objects.extend(read(&deploy_dir().join("generator/clusterrole.yaml")));
    let policy = objects_in("policy");
    let server = of_kind(&policy, "PolicyServer").into_iter().next().unwrap();
    let account = server["spec"]["serviceAccountName"].as_str().unwrap();
    let namespace = of_kind(&policy, "ServiceAccount")
        .into_iter()
        .find(|s| s["metadata"]["name"] == account)
        .and_then(|s| s["metadata"]["namespace"].as_str())
        .unwrap();
    assert_covered(&objects, namespace, account);
}

#[test]
fn the_egress_gateway_values_match_what_the_objects_expect() {
    let values = read(&deploy_dir().join("egress-gateway/sidecar/values.yaml")).remove(0);
    assert_eq!(values["labels"]["app"], "egressgateway");
    assert_eq!(values["service"]["type"], "ClusterIP");
    let ports: Vec<u64> = values["service"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["port"].as_u64())
        .collect();
    assert_eq!(ports, vec![15021, 80, 443]);
    let ambient = objects_in("egress-gateway/ambient");
    let config = of_kind(&ambient, "ConfigMap").remove(0);
    assert_eq!(
        config["metadata"]["name"],
        uds_egress_core::objects::waypoint::WAYPOINT_CONFIG_MAP
    );
    assert_eq!(
        config["metadata"]["namespace"],
        uds_egress_core::names::EGRESS_AMBIENT_NAMESPACE
    );
}
