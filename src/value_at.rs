//! A field of a JSON object by its keys, without `Value::pointer`'s cost.
//!
//! `pointer("/spec/network/allow")` splits its text and unescapes each token into a new
//! `String` (two substring searches each); with the handful of such lookups an evaluation
//! makes, that was a tenth of an evaluation without lookups. Keys given as a slice need none of it.

use serde_json::Value;

/// The value under `keys`, each an object member of the one before.
pub fn value_at<'a>(object: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(object, |value, key| value.get(key))
}

/// As [`value_at`], mutably.
pub fn value_at_mut<'a>(object: &'a mut Value, keys: &[&str]) -> Option<&'a mut Value> {
    keys.iter()
        .try_fold(object, |value, key| value.get_mut(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_what_pointer_finds() {
        let mut object = json!({"spec": {"network": {"allow": [1], "n": null}}, "x": [{"a": 1}]});
        for (keys, pointer) in [
            (&["spec", "network", "allow"][..], "/spec/network/allow"),
            (&["spec", "network", "n"], "/spec/network/n"),
            (&["spec", "missing"], "/spec/missing"),
            // Keys name object members only: an array is not entered.
            (&["x", "0"], "/nothing"),
            (&[], ""),
        ] {
            assert_eq!(value_at(&object, keys), object.pointer(pointer), "{keys:?}");
        }
        if let Some(allow) = value_at_mut(&mut object, &["spec", "network", "allow"]) {
            *allow = json!([]);
        }
        assert_eq!(object["spec"]["network"]["allow"], json!([]));
    }
}
