//! A plan as text for people: what `run` would write, field by field.

use std::fmt::Write as _;

use serde_json::Value;
use uds_egress_core::objects::meta::{MANAGED_BY_LABEL, MANAGED_BY_VALUE};

use crate::compare::FieldChange;
use crate::identity::ObjectId;
use crate::plan::Plan;

/// `+` create (with the whole object), `~` update (with each changed field), `-` delete,
/// `!` conflict, then a summary line.
pub fn to_text(plan: &Plan) -> String {
    let mut out = String::new();
    for object in &plan.creates {
        let _ = writeln!(out, "+ create {}", ObjectId::of_key(&object.key));
        let yaml = serde_yaml_ng::to_string(&object.manifest)
            .unwrap_or_else(|e| format!("(cannot show as YAML: {e})\n"));
        for line in yaml.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    for update in &plan.updates {
        let _ = writeln!(out, "~ update {}", ObjectId::of_key(&update.object.key));
        for change in &update.changes {
            let _ = writeln!(out, "    {}", describe_change(change));
        }
    }
    for delete in &plan.deletes {
        let _ = writeln!(out, "- delete {}", delete.id);
    }
    for conflict in &plan.conflicts {
        let _ = writeln!(
            out,
            "! conflict {} exists without the label {MANAGED_BY_LABEL}={MANAGED_BY_VALUE}: left alone",
            conflict.id
        );
        for scope in &conflict.hosts {
            let mode = if scope.ambient { "ambient" } else { "sidecar" };
            let _ = writeln!(out, "    host {} ({mode}) skipped", scope.host);
        }
        for id in &conflict.skipped {
            let _ = writeln!(out, "    skipped {id}");
        }
    }
    let _ = writeln!(out, "{}", summary(plan));
    out
}

/// `Plan: 1 to create, 2 to update, 0 to delete, 0 conflicts (5 unchanged).`
pub fn summary(plan: &Plan) -> String {
    format!(
        "Plan: {} to create, {} to update, {} to delete, {} conflict{} ({} unchanged).",
        plan.creates.len(),
        plan.updates.len(),
        plan.deletes.len(),
        plan.conflicts.len(),
        if plan.conflicts.len() == 1 { "" } else { "s" },
        plan.unchanged
    )
}

/// `spec.hosts: ["a"] -> ["b"]`; absent sides read `(absent)`.
pub fn describe_change(change: &FieldChange) -> String {
    let show = |v: &Option<Value>| match v {
        Some(value) => value.to_string(),
        None => "(absent)".to_string(),
    };
    format!(
        "{}: {} -> {}",
        change.path,
        show(&change.live),
        show(&change.desired)
    )
}
