//! One planning pass: the whole current set of Packages and the live owned objects in, desired
//! state computed, the difference planned and written. Events and metrics are the caller's.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::ObjectReference;
use serde_json::Value;
use tracing::{info, warn};
use uds_egress_core::owner_annotation::owner_annotation_key;
use uds_egress_core::parse::package_from_value;
use uds_egress_core::{GeneratedObject, Package, RuleConfig, desired_state};

use super::backoff::Backoff;
use super::executor::{Executed, Executor};
use super::existence::foreign_objects;
use super::object_api::ObjectApi;
use uds_egress_plan::identity::ObjectId;
use uds_egress_plan::kinds::managed_kind;
use uds_egress_plan::{Conflict, Plan, contributes, plan, report};

pub struct PassInput<'a> {
    /// Package manifests as the watch cache holds them.
    pub packages: &'a [Value],
    /// Live owned objects as the watch caches hold them.
    pub live: Vec<Value>,
    /// The namespaces the owned-object watches cover (`None`: all of them).
    pub scopes: &'a [Option<String>],
    pub config: &'a RuleConfig,
    /// Plan and log; write nothing.
    pub dry_run: bool,
}

/// A Package that contributes nothing, and why (field path and message per problem).
#[derive(Clone, Debug, PartialEq)]
pub struct InvalidPackage {
    pub reference: ObjectReference,
    pub problems: Vec<String>,
}

/// A foreign object in the way, and the Packages whose objects it blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct ConflictReport {
    pub foreign: ObjectReference,
    pub id: ObjectId,
    pub hosts: Vec<String>,
    pub packages: Vec<ObjectReference>,
}

/// A write that failed after its retries, and whom to tell: the Packages the object belongs
/// to (its owner, or the owner annotations of a shared object), else the object itself (an
/// object that is no longer desired, whose delete failed).
#[derive(Clone, Debug, PartialEq)]
pub struct FailureReport {
    pub id: ObjectId,
    pub error: String,
    pub regarding: Vec<ObjectReference>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PassOutcome {
    pub plan: Plan,
    pub invalid: Vec<InvalidPackage>,
    pub conflicts: Vec<ConflictReport>,
    pub failures: Vec<FailureReport>,
    pub executed: Executed,
}

pub async fn run_pass(
    api: &ObjectApi,
    input: PassInput<'_>,
    backoff: Backoff,
    should_stop: &(dyn Fn() -> bool + Send + Sync),
) -> PassOutcome {
    let mut invalid = Vec::new();
    let mut packages: Vec<Package> = Vec::new();
    let mut manifests: Vec<&Value> = Vec::new();
    for manifest in input.packages {
        match package_from_value(manifest) {
            Ok(package) if contributes(&package) => {
                packages.push(package);
                manifests.push(manifest);
            }
            Ok(_) => {}
            Err(violation) => invalid.push(InvalidPackage {
                reference: reference(manifest),
                problems: vec![violation.to_string()],
            }),
        }
    }
    let state = desired_state(&packages, input.config);
    for refusal in &state.refused {
        if let Some(manifest) = manifests.get(refusal.input_index) {
            invalid.push(InvalidPackage {
                reference: reference(manifest),
                problems: refusal.violations.iter().map(|v| v.to_string()).collect(),
            });
        }
    }

    let mut live = input.live;
    let mut planned = plan(&state.objects, &live);
    // The caches hold only labelled objects: an object with the name of one we would create may
    // exist without the label. Look before creating, so that it is never taken over.
    let found = foreign_objects(api, &planned.creates, input.scopes).await;
    if !found.is_empty() {
        live.extend(found);
        planned = plan(&state.objects, &live);
    }

    let executed = if input.dry_run {
        for line in report::to_text(&planned).lines() {
            info!(dry_run = true, "{line}");
        }
        Executed::default()
    } else {
        let executor = Executor {
            api,
            backoff,
            should_stop,
        };
        executor.execute(&planned).await
    };

    let mut conflicts: Vec<ConflictReport> = planned
        .conflicts
        .iter()
        .map(|c| conflict_report(c, &live, &state.objects, &packages))
        .collect();
    for (id, live_object) in &executed.foreign {
        let late = Conflict {
            id: id.clone(),
            hosts: Vec::new(),
            skipped: Vec::new(),
        };
        conflicts.push(conflict_report(
            &late,
            std::slice::from_ref(live_object),
            &state.objects,
            &packages,
        ));
    }
    for conflict in &conflicts {
        warn!(object = %conflict.id, hosts = ?conflict.hosts,
            "an object without the uds-egress label has the name of a generated one: left alone, its host skipped");
    }
    let failures = executed
        .failed
        .iter()
        .map(|(id, error)| failure_report(id, error, &state.objects, &packages))
        .collect();
    PassOutcome {
        plan: planned,
        invalid,
        conflicts,
        failures,
        executed,
    }
}

fn failure_report(
    id: &ObjectId,
    error: &str,
    desired: &[GeneratedObject],
    packages: &[Package],
) -> FailureReport {
    let manifest = desired
        .iter()
        .find(|o| ObjectId::of_key(&o.key) == *id)
        .map(|o| &o.manifest);
    let belongs = |package: &Package| {
        let Some(manifest) = manifest else {
            return false;
        };
        let owned = package.metadata.uid.as_deref().is_some_and(|uid| {
            manifest
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid))
        });
        let annotated = manifest
            .pointer("/metadata/annotations")
            .and_then(Value::as_object)
            .is_some_and(|a| a.contains_key(&owner_annotation_key(&package.pkg_id())));
        owned || annotated
    };
    let mut regarding: Vec<ObjectReference> = packages
        .iter()
        .filter(|p| belongs(p))
        .map(package_reference)
        .collect();
    if regarding.is_empty() {
        regarding.push(ObjectReference {
            api_version: managed_kind(&id.group, &id.kind).map(|k| k.api_version()),
            kind: Some(id.kind.clone()),
            name: Some(id.name.clone()),
            namespace: Some(id.namespace.clone()),
            ..ObjectReference::default()
        });
    }
    FailureReport {
        id: id.clone(),
        error: error.to_string(),
        regarding,
    }
}

fn conflict_report(
    conflict: &Conflict,
    live: &[Value],
    desired: &[GeneratedObject],
    packages: &[Package],
) -> ConflictReport {
    let foreign = live
        .iter()
        .find(|l| ObjectId::of_manifest(l).as_ref() == Some(&conflict.id))
        .map(reference)
        .unwrap_or_default();
    let hosts: Vec<String> = conflict.hosts.iter().map(|h| h.host.clone()).collect();
    let blocked: BTreeSet<&ObjectId> = conflict.skipped.iter().chain([&conflict.id]).collect();
    let owner_uids: BTreeSet<&str> = desired
        .iter()
        .filter(|o| blocked.contains(&ObjectId::of_key(&o.key)))
        .filter_map(|o| o.manifest.pointer("/metadata/ownerReferences"))
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|r| r.get("uid").and_then(Value::as_str))
        .collect();
    let affected = packages
        .iter()
        .filter(|p| {
            p.metadata
                .uid
                .as_deref()
                .is_some_and(|u| owner_uids.contains(u))
                || p.host_rules()
                    .any(|(_, rule)| rule.host().is_some_and(|h| hosts.iter().any(|x| x == h)))
        })
        .map(package_reference)
        .collect();
    ConflictReport {
        foreign,
        id: conflict.id.clone(),
        hosts,
        packages: affected,
    }
}

/// An ObjectReference to any object manifest (missing fields stay empty).
pub fn reference(manifest: &Value) -> ObjectReference {
    let text = |pointer: &str| {
        manifest
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    ObjectReference {
        api_version: text("/apiVersion"),
        kind: text("/kind"),
        name: text("/metadata/name"),
        namespace: text("/metadata/namespace"),
        uid: text("/metadata/uid"),
        resource_version: text("/metadata/resourceVersion"),
        ..ObjectReference::default()
    }
}

fn package_reference(package: &Package) -> ObjectReference {
    ObjectReference {
        api_version: Some(uds_egress_core::model::API_VERSION.to_string()),
        kind: Some(uds_egress_core::model::KIND.to_string()),
        name: Some(package.name().to_string()),
        namespace: Some(package.namespace().to_string()),
        uid: package.metadata.uid.clone(),
        resource_version: package.metadata.resource_version.clone(),
        ..ObjectReference::default()
    }
}
