//! The `policy-run` command on the no-op policy: output shape and exit codes.

use std::process::{Command, Output};

use uds_egress_wapc_test_host::NOOP_POLICY;

// The end-to-end fixtures, two levels up (crates/wapc-test-host).
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../e2e/fixtures");

fn policy_run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_policy-run"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn prints_a_verdict_per_request_and_object() {
    let noop = NOOP_POLICY.path().unwrap_or_else(|e| panic!("{e}"));
    let request = format!("{FIXTURES}/requests/package-create.json");
    // A bare Package manifest, evaluated as its CREATE.
    let object = format!("{FIXTURES}/objects/package.yaml");
    let cluster = format!("{FIXTURES}/cluster.yaml");
    let output = policy_run(&[
        "--policy",
        noop.to_str().unwrap(),
        "--context",
        &cluster,
        &request,
        &object,
    ]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        stdout(&output),
        format!("== {request}\nverdict: accepted\n== {object}\nverdict: accepted\n")
    );
}

#[test]
fn an_unreadable_request_fails_the_run_but_not_the_others() {
    let noop = NOOP_POLICY.path().unwrap_or_else(|e| panic!("{e}"));
    let request = format!("{FIXTURES}/requests/package-create.json");
    let output = policy_run(&[
        "--policy",
        noop.to_str().unwrap(),
        "/nonexistent.json",
        &request,
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = stdout(&output);
    assert!(
        out.contains("error: cannot read /nonexistent.json"),
        "{out}"
    );
    assert!(out.ends_with("verdict: accepted\n"), "{out}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["--policy"],
        &["--policy", "x.wasm"],
        &["--bogus", "r.json"],
    ] {
        let output = policy_run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("usage: policy-run"));
    }
}
