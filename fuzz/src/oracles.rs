//! What must hold of every evaluation and every render, whatever the input: the checks the fuzz
//! targets panic on (a panic is what libFuzzer records as a crash).

use std::collections::HashSet;

use uds_egress_core::DesiredState;
use uds_egress_policy::verdict::Verdict;

use crate::k8s_names::manifest_problems;

/// A rejection says why; its wire form serialises.
pub fn check_verdict(verdict: &Verdict) {
    if let Verdict::Reject { message, .. } = verdict {
        assert!(!message.trim().is_empty(), "a rejection without a message");
    }
    let response = verdict.clone().into_response();
    assert!(
        serde_json::to_vec(&response).is_ok(),
        "the response does not serialise"
    );
}

/// Rendered objects are valid for the API server and unique by apiVersion, kind, namespace, name.
pub fn check_render(state: &DesiredState) {
    let mut seen = HashSet::new();
    for object in &state.objects {
        let problems = manifest_problems(&object.manifest);
        assert!(problems.is_empty(), "{problems:#?}");
        let key = &object.key;
        assert!(
            seen.insert((&key.api_version, &key.kind, &key.namespace, &key.name)),
            "two objects are {key}"
        );
    }
    assert!(
        serde_json::to_string(state).is_ok(),
        "the state does not serialise"
    );
}
