//! Istio `AuthorizationPolicy` (security.istio.io/v1) on an ambient ServiceEntry.

use serde::Serialize;

use super::Kind;

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationPolicySpec {
    pub action: &'static str,
    pub target_ref: TargetRef,
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TargetRef {
    pub group: &'static str,
    pub kind: &'static str,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Rule {
    pub from: Vec<From>,
    pub to: Vec<To>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct From {
    pub source: Source,
}

/// Exactly one of the two lists is set per source: principals and namespaces are separate sources
/// (OR), not one source that requires both (AND).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Source {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principals: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct To {
    pub operation: Operation,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Operation {
    pub ports: Vec<String>,
}

impl Rule {
    /// A rule for one port; `None` when no identity may use it.
    pub fn for_port(port: u16, principals: Vec<String>, namespaces: Vec<String>) -> Option<Rule> {
        let mut from = Vec::new();
        if !principals.is_empty() {
            from.push(From {
                source: Source {
                    principals: Some(principals),
                    namespaces: None,
                },
            });
        }
        if !namespaces.is_empty() {
            from.push(From {
                source: Source {
                    principals: None,
                    namespaces: Some(namespaces),
                },
            });
        }
        (!from.is_empty()).then(|| Rule {
            from,
            to: vec![To {
                operation: Operation {
                    ports: vec![port.to_string()],
                },
            }],
        })
    }
}

impl AuthorizationPolicySpec {
    pub fn allow_to_service_entry(service_entry: String, rules: Vec<Rule>) -> Self {
        AuthorizationPolicySpec {
            action: "ALLOW",
            target_ref: TargetRef {
                group: "networking.istio.io",
                kind: "ServiceEntry",
                name: service_entry,
            },
            rules,
        }
    }
}

impl Kind for AuthorizationPolicySpec {
    const API_VERSION: &'static str = "security.istio.io/v1";
    const KIND: &'static str = "AuthorizationPolicy";
}
