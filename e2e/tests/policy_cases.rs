//! Every case of `e2e/fixtures/policy/cases.json` through the built `policy.wasm` in the waPC test
//! host: verdict, message, code, mutated object (field by field), warnings and host calls. A case
//! that mutates is sent again with its mutated object and must then pass unchanged (idempotence).
//! `e2e.bats` runs the same cases through the real kwctl against a real API server.

mod policy_support;

use std::collections::BTreeSet;

use policy_support::{Case, cases, mismatches, resubmitted};

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
            json_patch::diff(mutated, second)
                .0
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
