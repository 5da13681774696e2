//! The host side of waPC host calls: a fake Kubernetes API answered from [`KubeFixtures`],
//! with injectable failures and a record of every call for assertions.

use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fixtures::KubeFixtures;
use crate::label_selector::LabelSelector;

/// Only binding the Kubewarden host serves.
pub const BINDING: &str = "kubewarden";

/// Error handed back to the guest, which sees its text as the host-call error.
#[derive(Debug, thiserror::Error)]
pub enum HostCallError {
    #[error("host capability {binding}/{namespace}/{operation} is not provided by the test host")]
    Unsupported {
        binding: String,
        namespace: String,
        operation: String,
    },

    #[error("malformed {operation} request: {source}")]
    BadRequest {
        operation: String,
        source: serde_json::Error,
    },

    #[error("could not serialise the {operation} reply: {source}")]
    Reply {
        operation: String,
        source: serde_json::Error,
    },

    #[error("{operation}: {feature} is not supported by the test host")]
    UnsupportedOption { operation: String, feature: String },

    #[error("{api_version} {kind} {name} not found")]
    NotFound {
        api_version: String,
        kind: String,
        name: String,
    },

    /// A failure configured by the test, standing in for an API server or RBAC error.
    #[error("{0}")]
    Injected(String),
}

/// One host call as the guest made it.
#[derive(Debug, Clone, PartialEq)]
pub struct HostCall {
    pub binding: String,
    pub namespace: String,
    pub operation: String,
    /// The request payload, or `Null` when it was not JSON.
    pub request: Value,
    /// The error text returned to the guest, if the call failed.
    pub error: Option<String>,
}

impl HostCall {
    /// The `kind` the guest asked for, for Kubernetes calls.
    pub fn kind(&self) -> Option<&str> {
        self.request.get("kind").and_then(Value::as_str)
    }
}

/// A configured failure: every call to `operation` (for `kind`, or any kind) fails.
#[derive(Debug, Clone)]
struct InjectedFailure {
    operation: String,
    kind: Option<String>,
    message: String,
}

/// Serves host calls. Shared by the [`crate::PolicyHost`] and the test that inspects it.
#[derive(Debug, Default)]
pub struct HostCalls {
    fixtures: KubeFixtures,
    failures: Vec<InjectedFailure>,
    log: Mutex<Vec<HostCall>>,
}

impl HostCalls {
    pub fn new(fixtures: KubeFixtures) -> Self {
        Self {
            fixtures,
            ..Self::default()
        }
    }

    /// Makes `operation` fail with `message`, for one `kind` or for all (`None`).
    #[must_use]
    pub fn failing(mut self, operation: &str, kind: Option<&str>, message: &str) -> Self {
        self.failures.push(InjectedFailure {
            operation: operation.to_owned(),
            kind: kind.map(str::to_owned),
            message: message.to_owned(),
        });
        self
    }

    pub fn fixtures(&self) -> &KubeFixtures {
        &self.fixtures
    }

    /// Every call so far, in order.
    pub fn recorded(&self) -> Vec<HostCall> {
        self.lock_log().clone()
    }

    pub fn clear(&self) {
        self.lock_log().clear();
    }

    /// The waPC host callback body; `Fn(id, binding, namespace, operation, payload)`.
    pub fn handle(
        &self,
        _module_id: u64,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, HostCallError> {
        let request: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
        let result = self.dispatch(binding, namespace, operation, payload, &request);
        self.lock_log().push(HostCall {
            binding: binding.to_owned(),
            namespace: namespace.to_owned(),
            operation: operation.to_owned(),
            request,
            error: result.as_ref().err().map(ToString::to_string),
        });
        result
    }

    /// Wraps this handler in the boxed callback `wapc::WapcHost::new` takes.
    pub fn into_callback(self: Arc<Self>) -> Box<wapc::HostCallback> {
        Box::new(move |id, binding, namespace, operation, payload| {
            self.handle(id, binding, namespace, operation, payload)
                .map_err(Into::into)
        })
    }

    fn dispatch(
        &self,
        binding: &str,
        namespace: &str,
        operation: &str,
        payload: &[u8],
        request: &Value,
    ) -> Result<Vec<u8>, HostCallError> {
        match (binding, namespace, operation) {
            // Guest logging is accepted and dropped, like a host with logging turned down.
            (BINDING, "tracing", "log") => Ok(Vec::new()),
            (BINDING, "kubernetes", "list_resources_all" | "list_resources_by_namespace") => {
                self.check_injected(operation, request)?;
                self.list(operation, payload)
            }
            (BINDING, "kubernetes", "get_resource") => {
                self.check_injected(operation, request)?;
                self.get(operation, payload)
            }
            _ => Err(HostCallError::Unsupported {
                binding: binding.to_owned(),
                namespace: namespace.to_owned(),
                operation: operation.to_owned(),
            }),
        }
    }

    fn check_injected(&self, operation: &str, request: &Value) -> Result<(), HostCallError> {
        let kind = request.get("kind").and_then(Value::as_str);
        match self.failures.iter().find(|failure| {
            failure.operation == operation
                && failure.kind.as_deref().is_none_or(|k| Some(k) == kind)
        }) {
            Some(failure) => Err(HostCallError::Injected(failure.message.clone())),
            None => Ok(()),
        }
    }

    fn list(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, HostCallError> {
        let request: ListRequest = parse(operation, payload)?;
        let selector = request.label_selector(operation)?;
        let namespace = match operation {
            "list_resources_by_namespace" => request.namespace.as_deref(),
            _ => None,
        };
        // Field masks only prune; whole objects are a superset the guest must cope with anyway.
        let items: Vec<&Value> = self
            .fixtures
            .list(&request.api_version, &request.kind, namespace)
            .filter(|object| selector.matches(object))
            .collect();
        // The real host names the list after the requested type; `k8s_openapi::List<T>`
        // checks both, so a guest asking with the wrong apiVersion fails here as in a cluster.
        // Serialised straight from the stored objects, as policy-server serialises its cache.
        let reply = ListReply {
            api_version: &request.api_version,
            kind: format!("{}List", request.kind),
            metadata: Empty {},
            items,
        };
        serde_json::to_vec(&reply).map_err(|source| HostCallError::Reply {
            operation: operation.to_owned(),
            source,
        })
    }

    fn get(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, HostCallError> {
        let request: GetRequest = parse(operation, payload)?;
        let object = self
            .fixtures
            .get(
                &request.api_version,
                &request.kind,
                request.namespace.as_deref(),
                &request.name,
            )
            .ok_or_else(|| HostCallError::NotFound {
                api_version: request.api_version.clone(),
                kind: request.kind.clone(),
                name: match &request.namespace {
                    Some(ns) => format!("{ns}/{}", request.name),
                    None => request.name.clone(),
                },
            })?;
        Ok(object.to_string().into_bytes())
    }

    fn lock_log(&self) -> std::sync::MutexGuard<'_, Vec<HostCall>> {
        // A test that panicked while holding the lock leaves a usable log behind.
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A list reply: `{"apiVersion", "kind": "<Kind>List", "metadata": {}, "items"}`.
#[derive(Serialize)]
struct ListReply<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: String,
    metadata: Empty,
    items: Vec<&'a Value>,
}

#[derive(Serialize)]
struct Empty {}

/// `list_resources_all` and `list_resources_by_namespace` requests, as the SDK serialises them.
/// Unknown fields are refused so a guest/host protocol drift shows up as a failing test.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListRequest {
    api_version: String,
    kind: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    label_selector: Option<String>,
    #[serde(default)]
    field_selector: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // accepted and ignored: see `HostCalls::list`
    field_masks: Option<Vec<String>>,
}

impl ListRequest {
    /// The label selector to filter by. Field selectors are refused: they change which objects
    /// match, and ignoring one would give wrong answers quietly.
    fn label_selector(&self, operation: &str) -> Result<LabelSelector, HostCallError> {
        if self
            .field_selector
            .as_deref()
            .is_some_and(|s| !s.is_empty())
        {
            return Err(HostCallError::UnsupportedOption {
                operation: operation.to_owned(),
                feature: "field_selector".to_owned(),
            });
        }
        LabelSelector::parse(self.label_selector.as_deref().unwrap_or("")).map_err(|problem| {
            HostCallError::UnsupportedOption {
                operation: operation.to_owned(),
                feature: format!("label_selector ({problem})"),
            }
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GetRequest {
    api_version: String,
    kind: String,
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // there is no cache to bypass
    disable_cache: bool,
    #[serde(default)]
    #[allow(dead_code)] // accepted and ignored, like list masks
    field_masks: Option<Vec<String>>,
}

fn parse<T: serde::de::DeserializeOwned>(
    operation: &str,
    payload: &[u8],
) -> Result<T, HostCallError> {
    serde_json::from_slice(payload).map_err(|source| HostCallError::BadRequest {
        operation: operation.to_owned(),
        source,
    })
}
