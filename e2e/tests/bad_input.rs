//! The bad-input corpus (`e2e/fixtures/bad-input/`, raw `validate` payloads) and generated large
//! inputs, through the built `policy.wasm` in the waPC test host.
//!
//! Every input must come back as a verdict: a rejection whose message names the field (or the
//! part of the request) at fault, or a clean acceptance where that is right. None may trap, and
//! each must finish within the host's execution deadline (policy-server's default, 2 s, enforced
//! by wasmtime's epoch interruption: a late evaluation fails as `DeadlineExceeded`, so no
//! wall-clock is measured here). After every input the same instance must still judge a valid
//! Package correctly.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use serde_json::{Value, json};
use uds_egress_wapc_test_host::{HostCalls, POLICY, PolicyHost, PolicyModule, ValidationResponse};

const CORPUS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/bad-input");

/// Every file of the corpus and its expected verdict, one per line:
/// `<file> | accept` or `<file> | reject | <part> | <part> ...`, where each part must occur in the
/// rejection message (the field path first, where there is one).
const CORPUS: &str = r#"
malformed-json.json                | reject | not a JSON admission request | line 1
truncated-json.json                | reject | not a JSON admission request | EOF
non-utf8.bin                       | reject | not a JSON admission request | invalid unicode
non-utf8-outside-strings.bin       | reject | not a JSON admission request | expected value
empty.json                         | reject | not a JSON admission request | EOF
payload-is-a-list.json             | reject | not a JSON admission request
request-is-a-number.json           | reject | not a JSON admission request | request: invalid type
no-request.json                    | reject | not a JSON admission request | missing field `request`
create-without-object.json         | reject | the CREATE request carries no Package object
create-object-null.json            | reject | the CREATE request carries no Package object
update-object-null.json            | reject | the UPDATE request carries no Package object
delete-object-null.json            | accept
wrong-kind-pod.json                | accept
wrong-kind-version.json            | accept
kind-not-an-object.json            | reject | not a JSON admission request | invalid type: string "Package", expected struct GroupVersionKind at line 1
operation-not-a-string.json        | reject | not a JSON admission request | invalid type: integer `7`, expected a string at line 1
object-is-a-list.json              | reject | the Package must be a JSON object, got a list
object-is-a-string.json            | reject | the Package must be a JSON object, got a string
metadata-is-a-string.json          | reject | metadata: expected an object, got a string
spec-is-a-string.json              | reject | spec: expected an object, got a string
network-is-a-list.json             | reject | spec.network: expected an object, got a list
allow-is-a-map.json                | reject | spec.network.allow | expected a sequence
allow-entry-is-a-string.json       | reject | spec.network.allow[0]: expected an object, got a string
service-mesh-mode-unknown.json     | reject | spec.network.serviceMesh.mode | unknown mode `Sidecar`
port-as-string.json                | reject | spec.network.allow[0].port | string
port-as-float.json                 | reject | spec.network.allow[0].port | not an integer
port-negative.json                 | reject | spec.network.allow[0].port | -443 is out of range
port-zero.json                     | reject | spec.network.allow[0].port | 0 is out of range
port-above-65535.json              | reject | spec.network.allow[0].port | 65536 is out of range
port-1e309.json                    | reject | spec.network.allow[0].port | number out of range
ports-not-a-list.json              | reject | spec.network.allow[0].ports | expected a sequence
ports-with-a-string.json           | reject | spec.network.allow[0].ports[1] | string
protocol-lowercase.json            | reject | spec.network.allow[0].remoteProtocol | unknown variant `tls`
host-not-a-string.json             | reject | spec.network.allow[0].remoteHost | invalid type
host-300-characters.json           | reject | spec.network.allow[0].remoteHost | longer than 253
host-with-nul.json                 | reject | spec.network.allow[0].remoteHost | control characters | \0
host-with-control-characters.json  | reject | spec.network.allow[0].remoteHost | control characters | \u{1b}
host-with-spaces.json              | reject | spec.network.allow[0].remoteHost | whitespace
host-with-scheme.json              | reject | spec.network.allow[0].remoteHost | has a scheme
host-with-path.json                | reject | spec.network.allow[0].remoteHost | contains a path
host-with-port.json                | reject | spec.network.allow[0].remoteHost | contains a port
host-idn-unicode.json              | reject | spec.network.allow[0].remoteHost | punycode
host-idn-punycode.json             | accept
host-ipv6-literal.json             | reject | spec.network.allow[0].remoteHost | IP address | remoteCidr
host-ipv6-bracketed-with-port.json | reject | spec.network.allow[0].remoteHost | IP address
host-ipv4-literal.json             | reject | spec.network.allow[0].remoteHost | IP address | 10.0.0.1/32
host-wildcard.json                 | reject | spec.network.allow[0].remoteHost | wildcard
host-empty-label.json              | reject | spec.network.allow[0].remoteHost | empty label
host-two-trailing-dots.json        | reject | spec.network.allow[0].remoteHost | empty label
direction-missing.json             | reject | spec.network.allow[0].direction
selector-value-with-space.json     | reject | spec.network.allow[0].selector | "my app" | label value
labels-key-invalid.json            | reject | spec.network.allow[0].labels | "team/a/b" | label key
package-name-over-63.json          | reject | metadata.name | uds/package
duplicate-keys-in-rule.json        | accept
duplicate-object-key.json          | reject | not a JSON admission request | duplicate field `object`
settings-a-list.json               | reject | invalid policy settings | expected a map of settings, got a list
settings-port-as-string.json       | reject | invalid policy settings | settings.gatewayPorts
settings-unknown-key.json          | reject | invalid policy settings | unknown field `gatewayPort`
settings-port-out-of-range.json    | reject | invalid policy settings | gatewayPorts[0] | 70000
settings-namespaces-a-list.json    | reject | invalid policy settings | settings.namespaces.app | got a list
"#;

/// What an input must produce.
enum Expect {
    /// Rejected, the message containing each of these.
    Reject(Vec<&'static str>),
    /// Accepted (mutated or not).
    Accept,
}

fn corpus() -> Vec<(&'static str, Expect)> {
    CORPUS
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut fields = line.split(" | ").map(str::trim);
            let name = fields.next().unwrap();
            let expect = match fields.next() {
                Some("accept") => Expect::Accept,
                Some("reject") => Expect::Reject(fields.collect()),
                other => panic!("{name}: unknown expectation {other:?}"),
            };
            (name, expect)
        })
        .collect()
}

/// Tests of this binary run one at a time: the large inputs take a good part of the deadline, and
/// the deadline is wall-clock time that parallel tests on a 2-core machine would eat into.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Compiled once per test binary; each test gets its own instance.
fn policy() -> PolicyHost {
    static MODULE: OnceLock<PolicyModule> = OnceLock::new();
    let module = MODULE.get_or_init(|| {
        let path = POLICY.path().unwrap_or_else(|e| panic!("{e}"));
        PolicyModule::load(path).unwrap_or_else(|e| panic!("{e}"))
    });
    module
        .instantiate(Arc::new(HostCalls::default()))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn package(allow: Value) -> Value {
    json!({
        "apiVersion": "uds.dev/v1alpha1", "kind": "Package",
        "metadata": {"name": "app", "namespace": "app"},
        "spec": {"network": {"serviceMesh": {"mode": "sidecar"}, "allow": allow}}
    })
}

fn request(object: &Value) -> Value {
    json!({
        "uid": "bad-input",
        "kind": {"group": "uds.dev", "version": "v1alpha1", "kind": "Package"},
        "resource": {"group": "uds.dev", "version": "v1alpha1", "resource": "packages"},
        "operation": "CREATE", "name": "app", "namespace": "app",
        "object": object
    })
}

fn payload(object: &Value) -> Vec<u8> {
    json!({"request": request(object), "settings": {}})
        .to_string()
        .into_bytes()
}

/// Evaluates `payload`; a trap or an exceeded deadline fails the test with the input's name.
fn judge(host: &mut PolicyHost, name: &str, payload: &[u8]) -> ValidationResponse {
    host.validate_raw(payload)
        .unwrap_or_else(|e| panic!("{name}: no verdict (trap or deadline): {e}"))
}

/// The instance still judges a valid Package: accepted, with the defaults written.
fn assert_still_usable(host: &mut PolicyHost, after: &str) {
    let valid = package(json!([{"direction": "Egress", "selector": {"app": "curl"},
        "remoteHost": "api.github.com"}]));
    let response = judge(host, after, &payload(&valid));
    assert!(
        response.accepted,
        "after {after}, a valid Package is refused: {response:?}"
    );
    let mutated = response.mutated_object.unwrap_or(Value::Null);
    assert_eq!(
        mutated.pointer("/spec/network/allow/0/port"),
        Some(&json!(443)),
        "after {after}"
    );
}

/// The problems of a response against an expectation (none when it matches).
fn mismatch(expect: &Expect, response: &ValidationResponse) -> Option<String> {
    let message = response.message.as_deref().unwrap_or("");
    match expect {
        Expect::Accept if response.accepted => None,
        Expect::Accept => Some(format!("expected an acceptance, got {message:?}")),
        Expect::Reject(_) if response.accepted => {
            Some(format!("expected a rejection, got {response:?}"))
        }
        Expect::Reject(parts) => {
            let missing: Vec<&&str> = parts.iter().filter(|p| !message.contains(**p)).collect();
            (!missing.is_empty()).then(|| format!("message {message:?} lacks {missing:?}"))
        }
    }
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(CORPUS_DIR)
        .unwrap_or_else(|e| panic!("{CORPUS_DIR}: {e}"))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn the_corpus_and_its_expectations_match() {
    let on_disk: Vec<String> = corpus_files().iter().map(|p| file_name(p)).collect();
    let listed: Vec<String> = {
        let mut names: Vec<String> = corpus().iter().map(|(n, _)| n.to_string()).collect();
        names.sort();
        names
    };
    assert_eq!(on_disk, listed, "every corpus file has one expectation");
    assert!(
        on_disk.len() >= 40,
        "the corpus has {} inputs",
        on_disk.len()
    );
}

#[test]
fn every_corpus_input_gets_a_clear_verdict_and_the_host_stays_usable() {
    let _serial = serial();
    let mut host = policy();
    let mut failures = Vec::new();
    for (name, expect) in corpus() {
        let bytes = std::fs::read(Path::new(CORPUS_DIR).join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let response = judge(&mut host, name, &bytes);
        if let Some(problem) = mismatch(&expect, &response) {
            failures.push(format!("{name}: {problem}"));
        }
        assert_still_usable(&mut host, name);
    }
    assert!(
        failures.is_empty(),
        "{} inputs:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Four lower-case letters from `i`: descriptions that stay distinct after the name sanitiser
/// (which strips trailing digits).
fn letters(i: usize) -> String {
    (0..4)
        .map(|k| char::from(b'a' + ((i / 26usize.pow(k)) % 26) as u8))
        .collect()
}

#[test]
fn ten_thousand_host_rules_are_refused_by_the_cap() {
    let _serial = serial();
    let mut host = policy();
    let allow: Vec<Value> = (0..10_000)
        .map(|i| json!({"direction": "Egress", "remoteHost": format!("h{}.io", letters(i))}))
        .collect();
    let response = judge(
        &mut host,
        "10,000 host rules",
        &payload(&package(json!(allow))),
    );
    let message = response.message.clone().unwrap_or_default();
    assert!(!response.accepted);
    assert_eq!(
        message,
        "spec.network.allow: spec.network.allow has 10000 remoteHost rules; this cluster's \
         settings allow at most 64 per Package"
    );
    assert_still_usable(&mut host, "10,000 host rules");
}

#[test]
fn ten_thousand_other_rules_are_judged_in_time() {
    let _serial = serial();
    let mut host = policy();
    // Not host rules, so the host-rule cap does not apply; each lacks its direction.
    let allow: Vec<Value> = (0..10_000)
        .map(|i| json!({"remoteGenerated": "KubeAPI", "description": letters(i)}))
        .collect();
    let response = judge(
        &mut host,
        "10,000 other rules",
        &payload(&package(json!(allow))),
    );
    let message = response.message.clone().unwrap_or_default();
    assert!(!response.accepted);
    assert!(
        message.starts_with("spec.network.allow[0].direction:")
            && message.ends_with("and 9990 more"),
        "{message}"
    );
    assert_still_usable(&mut host, "10,000 other rules");
}

/// `depth` levels of lists around a number.
fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

/// A payload whose Package carries `unknown` (JSON text) in an unknown field.
fn payload_with_unknown(unknown: &str) -> Vec<u8> {
    let valid = package(json!([{"direction": "Egress", "remoteHost": "api.github.com"}]));
    let text = String::from_utf8(payload(&valid)).unwrap();
    text.replacen(
        "\"spec\":{",
        &format!("\"spec\":{{\"x-unknown\":{unknown},"),
        1,
    )
    .into_bytes()
}

#[test]
fn a_hundred_levels_of_nesting_in_an_unknown_field_are_ignored() {
    let _serial = serial();
    let mut host = policy();
    let response = judge(&mut host, "100 levels", &payload_with_unknown(&nested(100)));
    assert!(response.accepted, "{response:?}");
    let mutated = response.mutated_object.unwrap_or(Value::Null);
    let mut inner = &mutated["spec"]["x-unknown"];
    for _ in 0..100 {
        inner = &inner[0];
    }
    assert_eq!(inner, &json!(1), "the unknown field is kept as submitted");
}

#[test]
fn nesting_beyond_the_parser_limit_is_refused_not_a_crash() {
    let _serial = serial();
    let mut host = policy();
    for depth in [200, 100_000] {
        let name = format!("{depth} levels");
        let response = judge(&mut host, &name, &payload_with_unknown(&nested(depth)));
        let message = response.message.clone().unwrap_or_default();
        assert!(!response.accepted, "{name}");
        assert!(
            message.contains("recursion limit exceeded"),
            "{name}: {message}"
        );
        assert_still_usable(&mut host, &name);
    }
}

#[test]
fn oversized_requests_are_refused_with_413() {
    let _serial = serial();
    let mut host = policy();
    let filler = "x".repeat(600 * 1024);
    let mut big_object = package(json!([{"direction": "Egress", "remoteHost": "a.io"}]));
    big_object["metadata"]["annotations"] = json!({"filler": filler});
    let huge_payload = format!("{{\"pad\":\"{}\"}}", "y".repeat(4 * 1024 * 1024)).into_bytes();
    for (name, bytes, part) in [
        (
            "object over 512 KiB",
            payload(&big_object),
            "accepts at most 524288 bytes",
        ),
        (
            "payload over 3 MiB",
            huge_payload,
            "reads at most 3145728 bytes",
        ),
    ] {
        let response = judge(&mut host, name, &bytes);
        assert!(!response.accepted, "{name}");
        assert_eq!(response.code, Some(413), "{name}");
        let message = response.message.clone().unwrap_or_default();
        assert!(message.contains(part), "{name}: {message}");
        assert_still_usable(&mut host, name);
    }
}

#[test]
fn settings_of_the_wrong_shape_are_refused_by_validate_settings() {
    let _serial = serial();
    let mut host = policy();
    for (settings, part) in [
        (&b"not json"[..], "settings are not valid JSON"),
        (b"[443]", "expected a map of settings, got a list"),
        (
            b"\"gatewayPorts\"",
            "expected a map of settings, got a string",
        ),
        (br#"{"gatewayPorts": "443"}"#, "settings.gatewayPorts"),
        (br#"{"gatewayPorts": [443.5]}"#, "settings.gatewayPorts"),
        (br#"{"gatewayPorts": [0]}"#, "gatewayPorts[0]"),
        (br#"{"maxRemoteHostRules": -1}"#, "maxRemoteHostRules"),
        (br#"{"maxRemoteHostRules": 1e309}"#, "number out of range"),
        (br#"{"deniedHosts": [5]}"#, "settings.deniedHosts[0]"),
        (br#"{"namespaces": {"app": []}}"#, "settings.namespaces.app"),
        (br#"{"gatewayPort": [443]}"#, "unknown field `gatewayPort`"),
    ] {
        let shown = String::from_utf8_lossy(settings).into_owned();
        let verdict = host
            .validate_settings(settings)
            .unwrap_or_else(|e| panic!("{shown}: no verdict: {e}"));
        assert!(!verdict.valid, "{shown}");
        let message = verdict.message.unwrap_or_default();
        assert!(message.contains(part), "{shown}: {message}");
    }
    assert_still_usable(&mut host, "settings");
}
