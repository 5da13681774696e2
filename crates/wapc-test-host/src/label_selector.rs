//! Kubernetes label selectors, equality-based (`a=b`, `a==b`, `a!=b`) and existence (`a`, `!a`),
//! comma-separated and all required, as the API server applies them to a list.
//!
//! Set-based requirements (`a in (x,y)`, `a notin (x)`) are refused rather than misread: a host
//! that quietly ignored part of a selector would answer with the wrong objects.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    Absent(String),
}

/// A parsed selector; the empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses a selector, or says which part is not supported or not a selector.
    pub fn parse(text: &str) -> Result<LabelSelector, String> {
        let mut requirements = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part.contains(['(', ')']) || part.split_whitespace().count() > 1 {
                return Err(format!("set-based requirement `{part}`"));
            }
            let requirement = if let Some((key, value)) = part.split_once("!=") {
                Requirement::NotEquals(key_of(key, part)?, value.trim().to_owned())
            } else if let Some((key, value)) =
                part.split_once("==").or_else(|| part.split_once('='))
            {
                Requirement::Equals(key_of(key, part)?, value.trim().to_owned())
            } else if let Some(key) = part.strip_prefix('!') {
                Requirement::Absent(key_of(key, part)?)
            } else {
                Requirement::Exists(key_of(part, part)?)
            };
            requirements.push(requirement);
        }
        Ok(LabelSelector { requirements })
    }

    /// Whether `object` (its `metadata.labels`) satisfies every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        let labels = object.get("metadata").and_then(|m| m.get("labels"));
        let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        self.requirements
            .iter()
            .all(|requirement| match requirement {
                Requirement::Equals(key, value) => label(key) == Some(value),
                // As in Kubernetes, `a!=b` also matches objects without the label.
                Requirement::NotEquals(key, value) => label(key) != Some(value),
                Requirement::Exists(key) => label(key).is_some(),
                Requirement::Absent(key) => label(key).is_none(),
            })
    }
}

fn key_of(key: &str, part: &str) -> Result<String, String> {
    let key = key.trim();
    if key.is_empty() || key.contains(['=', '!']) {
        return Err(format!("`{part}` is not a label requirement"));
    }
    Ok(key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labelled(labels: Value) -> Value {
        json!({"metadata": {"name": "x", "labels": labels}})
    }

    #[test]
    fn equality_and_existence_requirements() {
        let ours = labelled(json!({"app.kubernetes.io/managed-by": "uds-egress", "app": "a"}));
        let helm = labelled(json!({"app.kubernetes.io/managed-by": "Helm"}));
        let bare = json!({"metadata": {"name": "y"}});
        let matching = |selector: &str| {
            let selector = LabelSelector::parse(selector).unwrap();
            [&ours, &helm, &bare].map(|o| selector.matches(o))
        };
        assert_eq!(
            matching("app.kubernetes.io/managed-by!=uds-egress"),
            [false, true, true]
        );
        assert_eq!(
            matching("app.kubernetes.io/managed-by=uds-egress"),
            [true, false, false]
        );
        assert_eq!(
            matching("app.kubernetes.io/managed-by==Helm"),
            [false, true, false]
        );
        assert_eq!(matching("app"), [true, false, false]);
        assert_eq!(matching("!app"), [false, true, true]);
        assert_eq!(
            matching("app, app.kubernetes.io/managed-by!=Helm"),
            [true, false, false]
        );
        assert_eq!(matching(""), [true, true, true]);
    }

    #[test]
    fn set_based_and_malformed_selectors_are_refused() {
        for bad in ["env in (a,b)", "env notin (a)", "=x", "!=x", "a b"] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad}");
        }
    }
}
