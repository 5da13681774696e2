//! Every case of `e2e/fixtures/policy/cases.json` through the built `policy.wasm` in the waPC test
//! host: verdict, message, code, mutated object (field by field), warnings and host calls. A case
//! that mutates is sent again with its mutated object and must then pass unchanged (idempotence).
//! The kwctl replay recordings are checked against the host calls made here.

mod policy_support;

use std::collections::BTreeSet;

use policy_support::{Case, WRITE_REPLAYS_ENV, cases, mismatches, relative, resubmitted};

#[test]
fn every_case_meets_its_expectations() {
    let mut failures = Vec::new();
    for case in cases() {
        let request = case.request();
        let (response, calls) = case.evaluate(&request);
        let mut problems = mismatches(&case, &request, &response, &calls);
        if let Some(mutated) = &response.mutated_object {
            problems.extend(second_pass_problems(&case, &request, mutated));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "case {} ({}):\n  {}",
                case.name,
                case.about,
                problems.join("\n  ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Idempotence: the mutated object, sent again, is accepted without a mutation.
fn second_pass_problems(
    case: &Case,
    request: &serde_json::Value,
    mutated: &serde_json::Value,
) -> Vec<String> {
    let again = resubmitted(request, mutated);
    let (response, _) = case.evaluate(&again);
    let mut problems = Vec::new();
    if !response.accepted {
        problems.push(format!(
            "the mutated object is rejected on a second pass: {:?}",
            response.message
        ));
    }
    if let Some(second) = &response.mutated_object {
        problems.push(format!(
            "a second pass mutates again: {:?}",
            uds_egress_e2e::diff(mutated, second)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        ));
    }
    problems
}

#[test]
fn case_names_and_requests_are_unique_and_present() {
    let all = cases();
    let names: BTreeSet<&str> = all.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), all.len(), "duplicate case names");
    for case in &all {
        let request = case.request();
        assert_eq!(
            request["uid"],
            format!("e2e-{}", case.name),
            "{}: request uid",
            case.name
        );
    }
}

/// `replay/<case>.yml` holds exactly the exchanges of the case's host calls, so that kwctl, which
/// replays them in order and compares each request, sees the same cluster as the test host.
#[test]
fn replay_recordings_match_the_host_calls() {
    let write = std::env::var_os(WRITE_REPLAYS_ENV).is_some();
    let mut stale = Vec::new();
    let mut expected_files = BTreeSet::new();
    for case in cases() {
        let (_, calls) = case.evaluate(&case.request());
        let path = case.replay_path();
        if calls.is_empty() {
            continue;
        }
        expected_files.insert(path.clone());
        let recording = policy_support::replay_recording(&case, &calls, &case.cluster());
        assert_replay_shape(&case.name, &recording, calls.len());
        if write {
            std::fs::write(&path, &recording).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(recording.as_str()) {
            stale.push(relative(&path));
        }
    }
    let dir = policy_support::fixtures().join("replay");
    let extra: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| !expected_files.contains(path))
        .map(|path| relative(&path))
        .collect();
    if write {
        for file in &extra {
            let _ = std::fs::remove_file(policy_support::workspace().join(file));
        }
        return;
    }
    assert!(
        stale.is_empty() && extra.is_empty(),
        "replay recordings out of date (missing or different: {stale:?}; no longer used: {extra:?}); \
         regenerate with {WRITE_REPLAYS_ENV}=1 cargo test -p uds-egress-e2e --test policy_cases"
    );
}

/// The recording is what kwctl reads: a YAML list of `{type: Exchange, request, response}` whose
/// request strings are tagged YAML documents of kwctl's request type.
fn assert_replay_shape(name: &str, recording: &str, calls: usize) {
    let exchanges: Vec<serde_yaml_ng::Value> = serde_yaml_ng::from_str(recording)
        .unwrap_or_else(|e| panic!("{name}: the recording is not a YAML list: {e}"));
    assert_eq!(exchanges.len(), calls, "{name}: one exchange per host call");
    for exchange in &exchanges {
        assert_eq!(exchange["type"].as_str(), Some("Exchange"), "{name}");
        let request = exchange["request"].as_str().unwrap_or_default();
        let parsed: serde_yaml_ng::Value = serde_yaml_ng::from_str(request)
            .unwrap_or_else(|e| panic!("{name}: request {request:?} is not YAML: {e}"));
        let serde_yaml_ng::Value::Tagged(tagged) = parsed else {
            panic!("{name}: request {request:?} carries no request-type tag");
        };
        assert_eq!(tagged.tag, "KubernetesListResourceAll", "{name}");
        assert!(
            tagged.value["field_masks"].is_sequence(),
            "{name}: field masks are sent"
        );
        let response_type = exchange["response"]["type"].as_str();
        assert!(
            matches!(response_type, Some("Success" | "Error")),
            "{name}: {response_type:?}"
        );
        if response_type == Some("Success") {
            let payload = exchange["response"]["payload"].as_str().unwrap_or_default();
            let list: serde_json::Value = serde_json::from_str(payload)
                .unwrap_or_else(|e| panic!("{name}: payload is not JSON: {e}"));
            assert!(list["items"].is_array(), "{name}: payload is a list");
        }
    }
}
