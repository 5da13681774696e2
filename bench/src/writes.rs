//! Figure 4: API writes of the controller's planner (`uds-egress plan`, the same planner `run`
//! uses, on Packages and live objects from files), next to UDS Core's for the same history.
//!
//! The cluster: a synthetic set of Packages in which one extra host is used, TLS on 443, by
//! exactly [`Scale::shared_by`] sidecar-mode Packages. The live objects of a converged cluster are
//! our desired objects as the API server returns them (uid, resourceVersion, timestamps added).
//! - (a) restart: the planner on the converged cluster; budget 0 writes.
//! - (b) the first of those Packages adds port 8443 to its rule for the shared host (generation
//!   2); budget: exactly the objects whose content changes (created, changed, deleted), counted
//!   by comparing the desired states before and after.
//! - (c) initial sync: the planner on an empty cluster; budget: exactly the desired objects.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use uds_egress_core::{GeneratedObject, Manifest, ObjectKey, RuleConfig, desired_state};

use crate::child;
use crate::scale::Scale;
use crate::synth::{self, Workload};
use crate::table::{Check, Row, thousands};
use crate::uds_core_cost::{UdsCore, World};

/// Gateway ports for this figure: the default ones plus the port (b) adds.
const GATEWAY_PORTS: [u16; 3] = [80, 443, 8443];
const ADDED_PORT: u16 = 8443;

/// The two sets of Packages of the history, as stored objects.
struct History {
    before: Vec<Value>,
    after: Vec<Value>,
    /// Namespace of the Package that changes.
    changed: String,
}

fn history(scale: &Scale) -> Result<History, String> {
    let mut before = Workload::new(scale.writes_packages, scale.writes_hosts).generate();
    // A host no other rule uses, served as TLS on 443.
    let shared_host = (scale.writes_hosts..)
        .find(|&i| synth::host_service(i) == ("TLS", 443))
        .ok_or("no TLS host index")?;
    let sharing: Vec<usize> = before
        .iter()
        .enumerate()
        .filter(|(_, p)| p["spec"]["network"]["serviceMesh"]["mode"] == "sidecar")
        .map(|(i, _)| i)
        .take(scale.shared_by)
        .collect();
    if sharing.len() < scale.shared_by {
        return Err(format!(
            "fewer than {} sidecar-mode Packages",
            scale.shared_by
        ));
    }
    for &i in &sharing {
        let rule = &mut before[i]["spec"]["network"]["allow"][0];
        let app = rule["selector"]["app"].as_str().unwrap_or("web").to_owned();
        *rule = synth::host_rule(shared_host, &app, None);
    }
    let first = sharing[0];
    let mut after = before.clone();
    let changed = &mut after[first];
    changed["metadata"]["generation"] = json!(2);
    let rule = &mut changed["spec"]["network"]["allow"][0];
    if let Some(fields) = rule.as_object_mut() {
        fields.remove("port");
        fields.insert("ports".into(), json!([443, ADDED_PORT]));
    }
    let changed = changed["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok(History {
        before,
        after,
        changed,
    })
}

pub fn run(scale: &Scale, uds_egress: &Path, work: &Path) -> Result<Vec<Row>, String> {
    let history = history(scale)?;
    let config = RuleConfig {
        gateway_ports: GATEWAY_PORTS.to_vec(),
        ..RuleConfig::default()
    };
    let parsed_before = synth::parse(&history.before)?;
    let parsed_after = synth::parse(&history.after)?;
    let before = desired_state(&parsed_before, &config);
    let after = desired_state(&parsed_after, &config);
    if !before.refused.is_empty() || !after.refused.is_empty() {
        return Err(format!(
            "the writes cluster refuses Packages: {:?}",
            [before.refused, after.refused].concat()
        ));
    }
    let world_before = World::new(&parsed_before, &before.objects);
    let world_after = World::new(&parsed_after, &after.objects);
    let creation_order: Vec<String> = parsed_before
        .iter()
        .map(|p| p.namespace().to_string())
        .collect();

    let write = |name: &str, items: Vec<Value>| -> Result<String, String> {
        let path = work.join(name);
        let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
        std::fs::write(&path, list.to_string()).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path.display().to_string())
    };
    let packages_before = write("writes-packages-before.json", history.before.clone())?;
    let packages_after = write("writes-packages-after.json", history.after.clone())?;
    let live = write("writes-live.json", live_objects(&before.objects))?;
    let plan = |name: &str, packages: &str, live: Option<&str>| {
        planned_writes(uds_egress, &work.join(name), packages, live)
    };
    let n = scale.writes_packages;
    let desired = before.objects.len();
    println!(
        "writes: {} Packages, {} desired objects; the changed host is shared by {} sidecar-mode \
         Packages",
        thousands(n),
        thousands(desired),
        scale.shared_by
    );

    let mut rows = Vec::new();
    let restart = plan("writes-restart.json", &packages_before, Some(&live))?;
    let mut core = UdsCore::restarted(&world_before);
    for namespace in &creation_order {
        core.reconcile(&world_before, namespace);
    }
    rows.push(Row::checked(
        format!("4a writes: restart, converged {} Packages", thousands(n)),
        format!("{restart} (UDS Core {})", describe(core.writes)),
        Check::exactly(restart, 0, "= 0"),
    ));

    let change = plan("writes-change.json", &packages_after, Some(&live))?;
    let changed_objects = content_changes(&before.objects, &after.objects);
    let mut core = UdsCore::converged(&world_before);
    core.reconcile(&world_after, &history.changed);
    rows.push(Row::checked(
        format!("4b writes: +1 port on a host shared by {}", scale.shared_by),
        format!("{change} (UDS Core {})", describe(core.writes)),
        Check::exactly(
            change,
            changed_objects,
            format!("= {changed_objects} objects that change"),
        ),
    ));

    let sync = plan("writes-sync.json", &packages_before, None)?;
    let mut core = UdsCore::empty();
    for namespace in &creation_order {
        core.reconcile(&world_before, namespace);
    }
    rows.push(Row::checked(
        format!("4c writes: initial sync, {} Packages", thousands(n)),
        format!("{} (UDS Core {})", thousands(sync), describe(core.writes)),
        Check::exactly(
            sync,
            desired,
            format!("= {} desired objects", thousands(desired)),
        ),
    ));
    Ok(rows)
}

fn describe(writes: crate::uds_core_cost::Writes) -> String {
    format!(
        "{}: {} applies + {} deletes",
        thousands(writes.total()),
        thousands(writes.applies),
        thousands(writes.deletes)
    )
}

/// Desired objects as the API server would return them once applied.
fn live_objects(objects: &[GeneratedObject]) -> Vec<Value> {
    objects
        .iter()
        .enumerate()
        .map(|(i, object)| {
            let mut live = object.manifest.with_value(Value::clone);
            if let Some(meta) = live["metadata"].as_object_mut() {
                meta.insert("uid".into(), json!(format!("live-{i:08}")));
                meta.insert("resourceVersion".into(), json!(format!("{}", 1000 + i)));
                meta.insert("generation".into(), json!(1));
                meta.insert("creationTimestamp".into(), json!("2025-06-01T00:00:00Z"));
            }
            live
        })
        .collect()
}

/// Objects created, deleted, or whose manifest differs between the two desired states.
fn content_changes(before: &[GeneratedObject], after: &[GeneratedObject]) -> usize {
    let index = |objects: &[GeneratedObject]| -> BTreeMap<ObjectKey, Manifest> {
        objects
            .iter()
            .map(|o| (o.key.clone(), o.manifest.clone()))
            .collect()
    };
    let (before, after) = (index(before), index(after));
    let changed_or_deleted = before
        .iter()
        .filter(|(key, manifest)| after.get(*key) != Some(*manifest))
        .count();
    let created = after
        .keys()
        .filter(|key| !before.contains_key(*key))
        .count();
    changed_or_deleted + created
}

/// Runs `uds-egress plan --output json` and counts creates, updates and deletes.
fn planned_writes(
    uds_egress: &Path,
    output: &Path,
    packages: &str,
    live: Option<&str>,
) -> Result<usize, String> {
    let ports = GATEWAY_PORTS.map(|p| p.to_string()).join(",");
    let mut command = Command::new(uds_egress);
    command.args([
        "plan",
        "--output",
        "json",
        "--gateway-ports",
        &ports,
        packages,
    ]);
    if let Some(live) = live {
        command.args(["--live", live]);
    }
    let measured = child::run(command, output)?;
    // 0: nothing to do; 2: a plan with writes.
    if !matches!(measured.exit_code, Some(0 | 2)) {
        return Err(format!(
            "uds-egress plan failed ({:?}): {}",
            measured.exit_code, measured.stderr
        ));
    }
    let text = std::fs::read_to_string(output).map_err(|e| e.to_string())?;
    let result: Value = serde_json::from_str(&text).map_err(|e| format!("plan output: {e}"))?;
    let count = |field: &str| result["plan"][field].as_array().map_or(0, Vec::len);
    if count("conflicts") > 0 || result["refused"].as_array().is_some_and(|r| !r.is_empty()) {
        return Err(format!(
            "unexpected conflicts or refusals in {}",
            output.display()
        ));
    }
    Ok(count("creates") + count("updates") + count("deletes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_changes_one_rule_of_one_package_on_a_shared_host() {
        let history = history(&Scale::QUICK).unwrap();
        let host_of = |p: &Value| p["spec"]["network"]["allow"][0]["remoteHost"].clone();
        let changed: Vec<usize> = (0..history.before.len())
            .filter(|&i| history.before[i] != history.after[i])
            .collect();
        assert_eq!(changed.len(), 1);
        let after = &history.after[changed[0]];
        assert_eq!(after["metadata"]["namespace"], history.changed.as_str());
        assert_eq!(
            after["spec"]["network"]["allow"][0]["ports"],
            json!([443, 8443])
        );
        let shared = host_of(after);
        let sharing = history.before.iter().filter(|p| {
            p["spec"]["network"]["allow"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["remoteHost"] == shared)
        });
        assert_eq!(sharing.count(), Scale::QUICK.shared_by);
    }

    #[test]
    fn content_changes_count_created_changed_and_deleted_objects() {
        let object = |name: &str, spec: Value| GeneratedObject {
            key: ObjectKey {
                namespace: "ns".into(),
                kind: "ServiceEntry".into(),
                name: name.into(),
                api_version: "networking.istio.io/v1".into(),
            },
            manifest: json!({"spec": spec}).into(),
        };
        let before = [
            object("same", json!(1)),
            object("edit", json!(1)),
            object("gone", json!(1)),
        ];
        let after = [
            object("same", json!(1)),
            object("edit", json!(2)),
            object("new", json!(1)),
        ];
        assert_eq!(content_changes(&before, &after), 3);
    }
}
