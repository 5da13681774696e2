//! What must hold of every evaluation and every render, whatever the input: the checks the fuzz
//! targets panic on (a panic is what libFuzzer records as a crash).

use std::collections::HashSet;

use uds_egress_core::DesiredState;
use uds_egress_plan::input::parse_documents_allowing_empty;
use uds_egress_plan::output::write_yaml;
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

/// The YAML `render` prints reads back, with the plan library's reader, as the same objects in the
/// same order: a string the emitter writes plain that a YAML reader takes for something else
/// (a number, a boolean, a line break) fails here.
pub fn check_yaml_round_trip(state: &DesiredState) {
    let mut out = Vec::new();
    assert!(
        write_yaml(&mut out, &state.objects).is_ok(),
        "writing to memory failed"
    );
    let text = String::from_utf8(out).unwrap_or_else(|e| panic!("the YAML is not UTF-8: {e}"));
    let documents = parse_documents_allowing_empty("render", &text)
        .unwrap_or_else(|e| panic!("the printed YAML does not read back: {e}\n{text}"));
    assert_eq!(
        documents.len(),
        state.objects.len(),
        "objects lost or added:\n{text}"
    );
    for (document, object) in documents.iter().zip(&state.objects) {
        object.manifest.with_value(|value| {
            assert_eq!(
                &document.value, value,
                "{} reads back differently",
                object.key
            )
        });
    }
}
