//! Shared by the `policy_*` tests: the built `policy.wasm` and the case manifest
//! (`e2e/fixtures/policy/cases.json`).
//!
//! Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde_json::{Value, json};
use uds_egress_wapc_test_host::{
    HostCall, HostCalls, KubeFixtures, PolicyHost, PolicyModule, ValidationResponse,
};

pub fn workspace() -> PathBuf {
    // This crate lives one level below the workspace root.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn fixtures() -> PathBuf {
    workspace().join("e2e/fixtures/policy")
}

/// The module `make policy.wasm` builds (optimised by wasm-opt when available): the file that is
/// annotated, pushed and deployed. Missing is a failure, never a skip.
pub fn module() -> &'static PolicyModule {
    static MODULE: OnceLock<PolicyModule> = OnceLock::new();
    MODULE.get_or_init(|| {
        let path = workspace().join("policy.wasm");
        assert!(
            path.is_file(),
            "{} does not exist: build it first with `make policy.wasm`",
            path.display()
        );
        PolicyModule::load(&path)
            .unwrap_or_else(|err| panic!("cannot load {}: {err}", path.display()))
    })
}

/// A fresh instance whose host calls are answered by `calls`.
pub fn host(calls: HostCalls) -> PolicyHost {
    module()
        .instantiate(Arc::new(calls))
        .unwrap_or_else(|err| panic!("cannot instantiate policy.wasm: {err}"))
}

/// An instance with an empty cluster.
pub fn empty_host() -> PolicyHost {
    host(HostCalls::default())
}

/// One case of `cases.json`; `e2e.bats` reads the same file with jq.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub about: String,
    /// AdmissionRequest file, relative to the fixtures directory.
    pub request: String,
    pub settings: Value,
    /// Cluster objects the host calls see (YAML), relative to the fixtures directory.
    #[serde(default)]
    pub cluster: Option<String>,
    /// A host call made to fail.
    #[serde(default)]
    pub fail: Option<Failure>,
    pub expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    pub operation: String,
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub accepted: bool,
    /// The whole rejection message.
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub message_contains: Vec<String>,
    #[serde(default)]
    pub code: Option<u16>,
    /// JSON Pointer -> value in the mutated object. Every change the mutation makes must lie at or
    /// below one of these pointers or of `mutated_absent`.
    #[serde(default)]
    pub mutated: Option<serde_json::Map<String, Value>>,
    /// Pointers the mutation removes.
    #[serde(default)]
    pub mutated_absent: Vec<String>,
    #[serde(default)]
    pub no_mutation: bool,
    #[serde(default)]
    pub warnings_contain: Vec<String>,
    #[serde(default)]
    pub no_warnings: bool,
    /// Kinds listed through host calls, in order.
    pub calls: Vec<String>,
}

pub fn cases() -> Vec<Case> {
    let path = fixtures().join("cases.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("bad {}: {err}", path.display()))
}

pub fn read_json(relative: &str) -> Value {
    let path = fixtures().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("bad JSON in {}: {err}", path.display()))
}

impl Case {
    pub fn request(&self) -> Value {
        read_json(&self.request)
    }

    pub fn cluster(&self) -> KubeFixtures {
        match &self.cluster {
            Some(file) => KubeFixtures::load(fixtures().join(file))
                .unwrap_or_else(|err| panic!("{}: {err}", self.name)),
            None => KubeFixtures::new(),
        }
    }

    pub fn host_calls(&self) -> HostCalls {
        let calls = HostCalls::new(self.cluster());
        match &self.fail {
            Some(f) => calls.failing(&f.operation, Some(&f.kind), &f.message),
            None => calls,
        }
    }

    /// Evaluates `request` (the case's own, or another) against the case's cluster and settings.
    pub fn evaluate(&self, request: &Value) -> (ValidationResponse, Vec<HostCall>) {
        let mut policy = host(self.host_calls());
        let response = policy
            .validate(request, &self.settings)
            .unwrap_or_else(|err| panic!("{}: the guest call failed: {err}", self.name));
        (response, policy.host_calls().recorded())
    }
}

/// Every way `response` and `calls` miss the case's expectations; empty when they meet them.
pub fn mismatches(
    case: &Case,
    request: &Value,
    response: &ValidationResponse,
    calls: &[HostCall],
) -> Vec<String> {
    let expect = &case.expect;
    let mut out = Vec::new();
    let message = response.message.as_deref().unwrap_or("");
    if response.accepted != expect.accepted {
        out.push(format!(
            "accepted is {}, expected {} (message: {message:?})",
            response.accepted, expect.accepted
        ));
    }
    if let Some(wanted) = &expect.message
        && message != wanted
    {
        out.push(format!("message is\n{message}\nexpected\n{wanted}"));
    }
    for part in &expect.message_contains {
        if !message.contains(part.as_str()) {
            out.push(format!("message lacks {part:?}:\n{message}"));
        }
    }
    if expect.code.is_some() && response.code != expect.code {
        out.push(format!(
            "code is {:?}, expected {:?}",
            response.code, expect.code
        ));
    }
    out.extend(mutation_mismatches(expect, request, response));
    let warnings = response.warnings();
    for part in &expect.warnings_contain {
        if !warnings.iter().any(|w| w.contains(part.as_str())) {
            out.push(format!("no warning contains {part:?}: {warnings:?}"));
        }
    }
    if expect.no_warnings && !warnings.is_empty() {
        out.push(format!("unexpected warnings: {warnings:?}"));
    }
    let kinds: Vec<&str> = calls.iter().filter_map(HostCall::kind).collect();
    if kinds != expect.calls {
        out.push(format!(
            "host calls listed {kinds:?}, expected {:?}",
            expect.calls
        ));
    }
    out
}

fn mutation_mismatches(
    expect: &Expect,
    request: &Value,
    response: &ValidationResponse,
) -> Vec<String> {
    let mut out = Vec::new();
    let mutated = response.mutated_object.as_ref();
    if expect.no_mutation && mutated.is_some() {
        out.push(format!(
            "unexpected mutation: {}",
            changes(request, mutated)
        ));
    }
    let Some(wanted) = &expect.mutated else {
        return out;
    };
    let Some(object) = mutated else {
        out.push("expected a mutation, got none".into());
        return out;
    };
    for (pointer, value) in wanted {
        match object.pointer(pointer) {
            Some(actual) if actual == value => {}
            actual => out.push(format!("{pointer} is {actual:?}, expected {value}")),
        }
    }
    for pointer in &expect.mutated_absent {
        if let Some(actual) = object.pointer(pointer) {
            out.push(format!("{pointer} should be gone, is {actual}"));
        }
    }
    // Nothing beyond what the case names may change.
    let covered = |path: &str| {
        wanted
            .keys()
            .chain(expect.mutated_absent.iter())
            .any(|p| path == p || path.starts_with(&format!("{p}/")))
    };
    for change in json_patch::diff(&request["object"], object).0 {
        if !covered(change.path().as_str()) {
            out.push(format!("unexpected change: {change}"));
        }
    }
    out
}

fn changes(request: &Value, mutated: Option<&Value>) -> String {
    mutated
        .map(|m| {
            json_patch::diff(&request["object"], m)
                .0
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

/// The same request sent again with `object` as the object (and the old object), as an UPDATE.
pub fn resubmitted(request: &Value, object: &Value) -> Value {
    let mut again = request.clone();
    again["operation"] = json!("UPDATE");
    again["object"] = object.clone();
    again["oldObject"] = object.clone();
    again
}
