//! Runs a policy module on admission requests and prints, per request, the verdict, message,
//! warnings and the mutation as JSON Patch-like lines.
//!
//! policy-run --policy X.wasm [--settings settings.json] [--context cluster.yaml]...
//!            [--admitted-out DIR] request...
//!
//! With `--admitted-out`, every admitted object is written to DIR as JSON, as it would be stored
//! (the mutated object, or the request object when there was no mutation), so that the README's
//! demo can render exactly what admission let in.
//!
//! A request file holds an AdmissionRequest, an AdmissionReview or a bare object (evaluated as
//! its CREATE). `--context` files (repeatable) hold the cluster objects host calls answer from.
//!
//! Like `kwctl run`, a rejection is a result, not a failure: the exit code is 0 unless the
//! settings are invalid (1), a request cannot be evaluated (1) or the usage is wrong (2).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::{Value, json};
use uds_egress_wapc_test_host::{
    HostCalls, KubeFixtures, PolicyHost, PolicyModule, ValidationResponse, read_admission_request,
    read_json,
};

const USAGE: &str = "usage: policy-run --policy X.wasm [--settings settings.json] \
                     [--context cluster.yaml]... [--admitted-out DIR] request.json|object.yaml...";

struct Args {
    policy: PathBuf,
    settings: Option<PathBuf>,
    context: Vec<PathBuf>,
    admitted_out: Option<PathBuf>,
    requests: Vec<PathBuf>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut policy, mut settings, mut admitted_out) = (None, None, None);
    let (mut context, mut requests) = (Vec::new(), Vec::new());
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .map(PathBuf::from)
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match arg.as_str() {
            "--policy" => policy = Some(value("--policy")?),
            "--settings" => settings = Some(value("--settings")?),
            "--context" => context.push(value("--context")?),
            "--admitted-out" => admitted_out = Some(value("--admitted-out")?),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => requests.push(PathBuf::from(arg)),
        }
    }
    let policy = policy.ok_or("--policy is required")?;
    if requests.is_empty() {
        return Err("no request files given".to_owned());
    }
    Ok(Args {
        policy,
        settings,
        context,
        admitted_out,
        requests,
    })
}

fn main() -> ExitCode {
    if std::env::args().any(|arg| arg == "-h" || arg == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(problem) => {
            eprintln!("policy-run: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("policy-run: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> uds_egress_wapc_test_host::Result<ExitCode> {
    let settings = match &args.settings {
        Some(path) => read_json(path)?,
        None => json!({}),
    };
    let mut fixtures = KubeFixtures::new();
    for path in &args.context {
        fixtures.add_file(path)?;
    }
    let mut host =
        PolicyModule::load(&args.policy)?.instantiate(Arc::new(HostCalls::new(fixtures)))?;

    // policy-server validates settings once, before serving any request.
    let verdict = host.validate_settings(settings.to_string().as_bytes())?;
    if !verdict.valid {
        eprintln!(
            "policy-run: settings are not valid: {}",
            verdict.message.as_deref().unwrap_or("(no message)")
        );
        return Ok(ExitCode::FAILURE);
    }

    let mut failed = false;
    for path in &args.requests {
        println!("== {}", path.display());
        host.host_calls().clear();
        let outcome = read_admission_request(path)
            .and_then(|request| Ok((host.validate(&request, &settings)?, request)));
        match outcome {
            Ok((response, request)) => {
                print_response(&response, &request["object"], &host);
                if let (Some(dir), true) = (&args.admitted_out, response.accepted) {
                    let stored = response
                        .mutated_object
                        .as_ref()
                        .unwrap_or(&request["object"]);
                    failed |= !write_admitted(dir, path, stored);
                }
            }
            Err(error) => {
                println!("error: {error}");
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_response(response: &ValidationResponse, object: &Value, host: &PolicyHost) {
    let verdict = match (response.accepted, &response.mutated_object) {
        (true, Some(_)) => "accepted, mutated".to_owned(),
        (true, None) => "accepted".to_owned(),
        (false, _) => match response.code {
            Some(code) => format!("rejected ({code})"),
            None => "rejected".to_owned(),
        },
    };
    println!("verdict: {verdict}");
    if let Some(message) = &response.message {
        println!("message: {message}");
    }
    for warning in response.warnings() {
        println!("warning: {warning}");
    }
    for (key, value) in response.audit_annotations.iter().flatten() {
        println!("audit: {key}={value}");
    }
    if let Some(mutated) = &response.mutated_object {
        let changes = json_patch::diff(object, mutated).0;
        if changes.is_empty() {
            println!("patch: (none: the mutated object equals the request object)");
        } else {
            println!("patch:");
            for change in changes {
                println!("  {change}");
            }
        }
    }
    for call in host.host_calls().recorded() {
        if call.namespace == "kubernetes" {
            println!(
                "lookup: {} {} {}{}",
                call.operation,
                call.request["api_version"].as_str().unwrap_or("?"),
                call.kind().unwrap_or("?"),
                call.error
                    .as_ref()
                    .map(|e| format!(" (failed: {e})"))
                    .unwrap_or_default()
            );
        }
    }
}

/// Writes an admitted object to `dir/<request file stem>.json`; false (with a message) on failure.
fn write_admitted(dir: &std::path::Path, request: &std::path::Path, object: &Value) -> bool {
    let stem = request
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "object".to_owned());
    let target = dir.join(format!("{stem}.json"));
    let written = std::fs::create_dir_all(dir).and_then(|()| {
        let text = serde_json::to_string_pretty(object).map_err(std::io::Error::other)?;
        std::fs::write(&target, text)
    });
    match written {
        Ok(()) => true,
        Err(error) => {
            println!("error: cannot write {}: {error}", target.display());
            false
        }
    }
}
