//! `plan`: what `run` would do, without a cluster. Packages and live objects come from files
//! (for example `kubectl get ... -o yaml`); the creates, updates (field by field), deletes and
//! conflicts go to stdout. Exit code 0: nothing to do; 2: the plan is not empty; 1: bad input.

use clap::{Args, ValueEnum};
use serde::Serialize;
use uds_egress_core::{Refusal, desired_state};
use uds_egress_plan::kinds::managed_documents;
use uds_egress_plan::overlay::overlay;
use uds_egress_plan::{Plan, input, plan, report};

use crate::gateway_ports::GatewayPortsArg;
use crate::sources::read_sources;
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
    let documents = match read_sources(&sources) {
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
                rendered: None,
                stderr: lines,
                exit_code: 1,
            };
        }
    };

    let live = if args.live.is_empty() {
        Vec::new()
    } else {
        match read_sources(&args.live) {
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
        rendered: None,
        stderr,
        exit_code: if plan.is_empty() { 0 } else { 2 },
    }
}

fn failure(line: String) -> RenderOutcome {
    RenderOutcome {
        stdout: String::new(),
        rendered: None,
        stderr: vec![line],
        exit_code: 1,
    }
}

#[cfg(test)]
mod tests;
