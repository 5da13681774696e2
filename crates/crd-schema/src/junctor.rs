//! `allOf`, `anyOf`, `oneOf` and `not` with their JSON-Schema meaning. Istio expresses "at most
//! one of these fields" as `oneOf: [{not: {anyOf: [{required: [a]}, ...]}}, {required: [a]}, ...]`.

use serde_json::Value;

use crate::schema::{Schema, describe};
use crate::validate::Walker;

pub(crate) fn check(walker: &mut Walker, schema: &Schema, value: &Value) {
    for branch in &schema.all_of {
        let outcome = walker.branch(branch, value);
        walker.notes.extend(outcome.notes);
        walker.errors.extend(outcome.errors);
    }
    if !schema.any_of.is_empty() && matching(walker, &schema.any_of, value).is_empty() {
        walker.error(format!(
            "must match at least one of: {}",
            list(schema.any_of.iter().enumerate())
        ));
    }
    if !schema.one_of.is_empty() {
        let matched = matching(walker, &schema.one_of, value);
        match matched.len() {
            1 => {}
            0 => walker.error(format!(
                "must match exactly one of: {}; matches none",
                list(schema.one_of.iter().enumerate())
            )),
            n => walker.error(format!(
                "must match exactly one oneOf alternative, matches {n}: {} (mutually exclusive)",
                list(matched.iter().map(|i| (*i, &schema.one_of[*i])))
            )),
        }
    }
    if let Some(not) = &schema.not {
        let outcome = walker.branch(not, value);
        walker.notes.extend(outcome.notes);
        if outcome.errors.is_empty() {
            walker.error(format!("must not match: {}", describe(not)));
        }
    }
}

/// Indexes of the branches `value` satisfies; their notes are kept, their errors are not.
fn matching(walker: &mut Walker, branches: &[Schema], value: &Value) -> Vec<usize> {
    let mut matched = Vec::new();
    for (i, branch) in branches.iter().enumerate() {
        let outcome = walker.branch(branch, value);
        walker.notes.extend(outcome.notes);
        if outcome.errors.is_empty() {
            matched.push(i);
        }
    }
    matched
}

fn list<'a>(branches: impl Iterator<Item = (usize, &'a Schema)>) -> String {
    branches
        .map(|(i, branch)| format!("[{i}] {}", describe(branch)))
        .collect::<Vec<_>>()
        .join("; ")
}
