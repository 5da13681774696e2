//! `plan`: what `run` would do, without a cluster. Packages and live objects come from files
//! (for example `kubectl get ... -o yaml`); the creates, updates (field by field), deletes and
//! conflicts go to stdout. Exit code 0: nothing to do; 2: the plan is not empty; 1: bad input.

use clap::{Args, ValueEnum};
use serde::Serialize;
use serde_json::Value;
use uds_egress_core::{Package, Refusal, desired_state};

use crate::gateway_ports::GatewayPortsArg;
use crate::input::{self, Document, PackageInput};
use crate::plan::identity::{ObjectId, group_of};
use crate::plan::kinds::managed_kind;
use crate::plan::{Plan, contributes, plan, report};
// The same outcome shape and printing as `render`.
use crate::render::RenderOutcome;

pub const PLAN_HELP: &str = "Show what `run` would write, without a cluster.

Reads Package CRs from FILES (`-` is stdin; no FILES means stdin) and the cluster's live objects \
from each --live FILE (multi-document YAML or JSON, `List`s expanded; for example the output of \
`kubectl get serviceentries,sidecars,virtualservices,gateways.networking.istio.io,\
authorizationpolicies,gateways.gateway.networking.k8s.io,networkpolicies -A -o yaml`). Only the \
kinds uds-egress manages are read from live files. Add `--show-managed-fields` to kubectl so that \
fields uds-egress applied earlier and no longer wants are shown as removals precisely; without \
them every label, annotation and top-level spec field of an owned object is taken as ours.

Desired state is computed from the whole set of Packages given, as `run` does: give every \
Package of the cluster (`kubectl get packages -A -o yaml`), then your changed files. When two \
inputs hold a Package with the same namespace and name, the later one replaces the earlier and \
keeps its uid and creationTimestamp; its generation is the earlier one's plus one when the spec \
changed. Packages being deleted contribute nothing. Invalid Packages contribute nothing and are \
reported on stderr, as `run` reports them with an Event.

Prints `+` creates (whole object), `~` updates (each changed field, live -> desired), `-` \
deletes and `!` conflicts (an object without the label app.kubernetes.io/managed-by=uds-egress \
that has the name of a desired one: it is left alone and its host skipped). Exit code 0 when \
there is nothing to do, 2 when there is (like `terraform plan -detailed-exitcode`), 1 on \
unreadable input.";

#[derive(Args, Debug)]
pub struct PlanCli {
    /// Package files (multi-document YAML or JSON); `-` reads stdin.
    #[arg(value_name = "FILES")]
    pub files: Vec<String>,

    /// Live objects of the cluster; repeat for several files. None: an empty cluster.
    #[arg(long = "live", value_name = "FILE")]
    pub live: Vec<String>,

    #[command(flatten)]
    pub gateway_ports: GatewayPortsArg,

    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub output: PlanFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
}

#[derive(Serialize)]
struct JsonPlan<'a> {
    plan: &'a Plan,
    refused: &'a [Refusal],
}

pub fn run_plan(args: &PlanCli) -> RenderOutcome {
    let mut stderr = Vec::new();
    let sources = if args.files.is_empty() {
        vec!["-".to_string()]
    } else {
        args.files.clone()
    };
    let documents = match input::read_sources(&sources) {
        Ok(documents) => documents,
        Err(err) => return failure(format!("error: {err}")),
    };
    let mut notes = Vec::new();
    let inputs = input::packages(documents, &mut notes);
    stderr.extend(notes.into_iter().map(|n| format!("note: {n}")));
    let packages = match overlay(inputs) {
        Ok(packages) => packages,
        Err(problems) => {
            let mut lines: Vec<String> = problems
                .into_iter()
                .map(|p| format!("error: {p}"))
                .collect();
            lines.push("error: no plan; fix the Package files above".into());
            return RenderOutcome {
                stdout: String::new(),
                objects: Vec::new(),
                stderr: lines,
                exit_code: 1,
            };
        }
    };

    let live = if args.live.is_empty() {
        Vec::new()
    } else {
        match input::read_sources(&args.live) {
            Ok(documents) => managed_documents(documents, &mut stderr)
                .into_iter()
                .map(|d| d.value)
                .collect(),
            Err(err) => return failure(format!("error: {err}")),
        }
    };

    let state = desired_state(&packages, &args.gateway_ports.rule_config());
    for refusal in &state.refused {
        for violation in &refusal.violations {
            stderr.push(format!(
                "refused: {}/{}: {violation} (contributes nothing)",
                refusal.namespace, refusal.name
            ));
        }
    }
    let plan = plan(&state.objects, &live);
    let stdout = match args.output {
        PlanFormat::Text => report::to_text(&plan),
        PlanFormat::Json => {
            let json = JsonPlan {
                plan: &plan,
                refused: &state.refused,
            };
            match serde_json::to_string_pretty(&json) {
                Ok(text) => text + "\n",
                Err(err) => return failure(format!("error: cannot write JSON: {err}")),
            }
        }
    };
    RenderOutcome {
        stdout,
        objects: Vec::new(),
        stderr,
        exit_code: if plan.is_empty() { 0 } else { 2 },
    }
}

/// The Packages to plan with, in input order, a later copy replacing an earlier one in place.
/// Unparseable Packages fail the plan: unlike an invalid one, we cannot tell what it replaces.
pub(crate) fn overlay(inputs: Vec<PackageInput>) -> Result<Vec<Package>, Vec<String>> {
    let mut packages: Vec<Package> = Vec::new();
    let mut problems = Vec::new();
    for input in inputs {
        let mut package = match input.package {
            Ok(package) => package,
            Err(violation) => {
                problems.push(format!("{} ({}): {violation}", input.label, input.origin));
                continue;
            }
        };
        let same = |p: &Package| p.namespace() == package.namespace() && p.name() == package.name();
        match packages.iter_mut().find(|p| same(p)) {
            Some(earlier) => {
                inherit_server_fields(&mut package, earlier);
                *earlier = package;
            }
            None => packages.push(package),
        }
    }
    if problems.is_empty() {
        Ok(packages.into_iter().filter(contributes).collect())
    } else {
        Err(problems)
    }
}

/// What the API server would keep or bump when `earlier` is updated to `later`.
fn inherit_server_fields(later: &mut Package, earlier: &Package) {
    let meta = &mut later.metadata;
    if meta.uid.is_none() {
        meta.uid = earlier.metadata.uid.clone();
    }
    if meta.creation_timestamp.is_none() {
        meta.creation_timestamp = earlier.metadata.creation_timestamp.clone();
    }
    if meta.generation.is_none() {
        let base = earlier.metadata.generation.unwrap_or(0);
        meta.generation = Some(if later.spec == earlier.spec {
            base
        } else {
            base + 1
        });
    }
}

/// Live objects of the kinds uds-egress manages, with where each was read; others are noted and
/// left out.
pub(crate) fn managed_documents(
    documents: Vec<Document>,
    notes: &mut Vec<String>,
) -> Vec<Document> {
    let mut objects = Vec::new();
    for document in documents {
        let managed = ObjectId::of_manifest(&document.value)
            .is_some_and(|id| managed_kind(&id.group, &id.kind).is_some());
        if managed {
            objects.push(document);
        } else {
            let group = document
                .value
                .get("apiVersion")
                .and_then(Value::as_str)
                .map(group_of)
                .unwrap_or("?");
            notes.push(format!(
                "note: {}: ignoring {} (group {group}): not a kind uds-egress manages",
                document.origin,
                input::describe(&document.value)
            ));
        }
    }
    objects
}

fn failure(line: String) -> RenderOutcome {
    RenderOutcome {
        stdout: String::new(),
        objects: Vec::new(),
        stderr: vec![line],
        exit_code: 1,
    }
}

#[cfg(test)]
mod tests;
