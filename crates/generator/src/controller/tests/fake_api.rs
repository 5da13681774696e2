//! An in-memory Kubernetes API server behind a `tower-test` mock, for `kube::Client`: enough of
//! GET, LIST, server-side apply PATCH, POST, PUT and DELETE (with preconditions) to run the
//! controller's I/O against, with every request recorded and failures injectable.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Either, Full, StreamBody};
use hyper::body::Frame;
use kube::client::Body;
use serde_json::{Value, json};

use uds_egress_plan::identity::{group_of, is_owned};
use uds_egress_plan::kinds::managed_kind;
use uds_egress_testkit::server_side::stored_after_apply;

/// A response body: whole, or (for watches) one that never ends, like a quiet watch.
pub type FakeBody =
    Either<Full<Bytes>, StreamBody<futures::stream::Pending<Result<Frame<Bytes>, Infallible>>>>;

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub content_type: String,
    pub body: Option<Value>,
}

impl Recorded {
    pub fn is_write(&self) -> bool {
        self.method != "GET"
    }

    /// (group, resource, verb) as RBAC sees this request.
    pub fn rbac(&self) -> (String, String, String) {
        let segments: Vec<&str> = self.path.trim_matches('/').split('/').collect();
        let (group, rest) = match segments.first() {
            Some(&"api") => ("", segments.get(2..).unwrap_or_default()),
            _ => (
                segments.get(1).copied().unwrap_or(""),
                segments.get(3..).unwrap_or_default(),
            ),
        };
        let rest = if rest.first() == Some(&"namespaces") {
            rest.get(2..).unwrap_or_default()
        } else {
            rest
        };
        let resource = rest.first().copied().unwrap_or("");
        let named = rest.len() > 1;
        let verb = match (self.method.as_str(), named) {
            ("GET", true) => "get",
            ("GET", false) if self.query.contains("watch=true") => "watch",
            ("GET", false) => "list",
            ("POST", _) => "create",
            ("PUT", _) => "update",
            ("PATCH", _) => "patch",
            ("DELETE", _) => "delete",
            _ => "?",
        };
        (group.to_string(), resource.to_string(), verb.to_string())
    }
}

/// An injected answer for the next requests of a method (on paths containing `path`, if set:
/// writes run concurrently, so "the next PATCH" alone does not say which object).
#[derive(Clone, Debug)]
struct Injected {
    method: &'static str,
    path: Option<&'static str>,
    status: u16,
    body: Option<String>,
    times: usize,
}

#[derive(Default)]
struct State {
    objects: BTreeMap<String, Value>,
    requests: Vec<Recorded>,
    injected: VecDeque<Injected>,
    resource_version: u64,
}

#[derive(Clone, Default)]
pub struct FakeApi {
    state: Arc<Mutex<State>>,
}

impl FakeApi {
    pub fn new() -> FakeApi {
        FakeApi::default()
    }

    /// A client whose requests this fake answers (needs a tokio runtime).
    pub fn client(&self) -> kube::Client {
        let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<FakeBody>>();
        let fake = self.clone();
        tokio::spawn(async move {
            while let Some((request, respond)) = handle.next_request().await {
                let response = fake.answer(request).await;
                respond.send_response(response);
            }
        });
        kube::Client::new(service, "default")
    }

    /// Stores an object as if someone else had created it (kept as given, plus a resourceVersion).
    pub fn insert(&self, mut manifest: Value) {
        let mut state = self.lock();
        state.resource_version += 1;
        let rv = state.resource_version;
        if let Some(meta) = manifest.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.entry("uid")
                .or_insert(json!(format!("uid-foreign-{rv}")));
            meta.insert("resourceVersion".into(), json!(rv.to_string()));
        }
        let path = object_path(&manifest);
        state.objects.insert(path, manifest);
    }

    /// Like `insert`, but stored (and so listed and watched) without apiVersion and kind, as
    /// the API server sends list items.
    pub fn insert_untyped(&self, manifest: Value) {
        let path = object_path(&manifest);
        self.insert(manifest);
        let mut state = self.lock();
        if let Some(map) = state.objects.get_mut(&path).and_then(Value::as_object_mut) {
            map.remove("apiVersion");
            map.remove("kind");
        }
    }

    /// The next `times` requests with `method` get `status` (with a Status body).
    pub fn fail_next(&self, method: &'static str, status: u16, times: usize) {
        self.lock().injected.push_back(Injected {
            method,
            path: None,
            status,
            body: None,
            times,
        });
    }

    /// The next `times` requests with `method` on a path containing `path` get `status`.
    pub fn fail_next_at(
        &self,
        method: &'static str,
        path: &'static str,
        status: u16,
        times: usize,
    ) {
        self.lock().injected.push_back(Injected {
            method,
            path: Some(path),
            status,
            body: None,
            times,
        });
    }

    /// The next request with `method` gets `status` and exactly `body`.
    pub fn answer_next(&self, method: &'static str, status: u16, body: &str) {
        self.lock().injected.push_back(Injected {
            method,
            path: None,
            status,
            body: Some(body.to_string()),
            times: 1,
        });
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    pub fn writes(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(Recorded::is_write)
            .collect()
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// Stored objects of the managed kinds that carry our label: what the watch caches hold.
    pub fn owned_objects(&self) -> Vec<Value> {
        self.lock()
            .objects
            .values()
            .filter(|o| is_owned(o))
            .cloned()
            .collect()
    }

    pub fn object(&self, path: &str) -> Option<Value> {
        self.lock().objects.get(path).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn answer(&self, request: Request<Body>) -> Response<FakeBody> {
        let (parts, body) = request.into_parts();
        let bytes = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        let recorded = Recorded {
            method: parts.method.to_string(),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().unwrap_or("").to_string(),
            content_type: parts
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            body,
        };
        let mut state = self.lock();
        state.requests.push(recorded.clone());
        if let Some(position) = state.injected.iter().position(|i| {
            i.method == recorded.method && i.path.is_none_or(|p| recorded.path.contains(p))
        }) {
            let injected = state.injected.get_mut(position).map(|i| {
                i.times -= 1;
                i.clone()
            });
            if state.injected.get(position).is_some_and(|i| i.times == 0) {
                state.injected.remove(position);
            }
            if let Some(injected) = injected {
                return match injected.body {
                    Some(body) => response(injected.status, body),
                    None => status(injected.status, "Injected", "injected failure"),
                };
            }
        }
        handle(&mut state, &recorded)
    }
}

fn handle(state: &mut State, request: &Recorded) -> Response<FakeBody> {
    let path = request.path.clone();
    match request.method.as_str() {
        "GET" => match state.objects.get(&path) {
            Some(object) => ok(object),
            None if request.query.contains("watch=true") => Response::builder()
                .status(200)
                .body(Either::Right(StreamBody::new(futures::stream::pending())))
                .unwrap_or_else(|_| Response::new(Either::Left(Full::new(Bytes::new())))),
            None => {
                let selector = label_selector(&request.query);
                let items: Vec<&Value> = state
                    .objects
                    .iter()
                    .filter(|(p, _)| in_collection(&path, p))
                    .map(|(_, o)| o)
                    .filter(|o| selector.as_ref().is_none_or(|s| s.matches(o)))
                    .collect();
                if is_collection(&path) {
                    ok(&json!({"apiVersion": "v1", "kind": "List",
                        "metadata": {"resourceVersion": state.resource_version.to_string()}, "items": items}))
                } else {
                    status(404, "NotFound", "not found")
                }
            }
        },
        "PATCH" => {
            let Some(manifest) = &request.body else {
                return status(400, "BadRequest", "no body");
            };
            let force = request.query.contains("force=true");
            let existing = state.objects.get(&path).cloned();
            if let Some(existing) = &existing
                && !is_owned(existing)
                && !force
            {
                return status(
                    409,
                    "Conflict",
                    "Apply failed with 1 conflict: conflict with \"helm\"",
                );
            }
            state.resource_version += 1;
            let stored = stored_after_apply(manifest, existing.as_ref(), state.resource_version);
            state.objects.insert(path, stored.clone());
            ok(&stored)
        }
        "DELETE" => {
            let Some(existing) = state.objects.get(&path) else {
                return status(404, "NotFound", "not found");
            };
            let wanted = |field: &str| {
                request
                    .body
                    .as_ref()
                    .and_then(|b| b.pointer(&format!("/preconditions/{field}")))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let actual = |pointer: &str| {
                existing
                    .pointer(pointer)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            for (field, pointer) in [
                ("uid", "/metadata/uid"),
                ("resourceVersion", "/metadata/resourceVersion"),
            ] {
                if let Some(w) = wanted(field)
                    && Some(w) != actual(pointer)
                {
                    return status(409, "Conflict", "Precondition failed");
                }
            }
            state.objects.remove(&path);
            ok(&json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}))
        }
        "POST" => {
            let Some(mut object) = request.body.clone() else {
                return status(400, "BadRequest", "no body");
            };
            let name = object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let target = format!("{path}/{name}");
            if state.objects.contains_key(&target) {
                return status(409, "AlreadyExists", "already exists");
            }
            state.resource_version += 1;
            set_meta(
                &mut object,
                "resourceVersion",
                json!(state.resource_version.to_string()),
            );
            set_meta(
                &mut object,
                "uid",
                json!(format!("uid-{}", state.resource_version)),
            );
            state.objects.insert(target, object.clone());
            response(201, object.to_string())
        }
        "PUT" => {
            let Some(mut object) = request.body.clone() else {
                return status(400, "BadRequest", "no body");
            };
            let Some(existing) = state.objects.get(&path) else {
                return status(404, "NotFound", "not found");
            };
            if object.pointer("/metadata/resourceVersion")
                != existing.pointer("/metadata/resourceVersion")
            {
                return status(409, "Conflict", "the object has been modified");
            }
            state.resource_version += 1;
            set_meta(
                &mut object,
                "resourceVersion",
                json!(state.resource_version.to_string()),
            );
            state.objects.insert(path, object.clone());
            ok(&object)
        }
        _ => status(405, "MethodNotAllowed", "method not allowed"),
    }
}

/// Whether the object at `object_path` is listed by the collection at `collection`, namespaced
/// (`.../namespaces/ns/plural`) or across namespaces (`.../plural`).
fn in_collection(collection: &str, object_path: &str) -> bool {
    if let Some(rest) = object_path.strip_prefix(&format!("{collection}/")) {
        return !rest.contains('/');
    }
    let Some((base, plural)) = collection.rsplit_once('/') else {
        return false;
    };
    let Some(rest) = object_path.strip_prefix(&format!("{base}/namespaces/")) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    parts.len() == 3 && parts.get(1) == Some(&plural)
}

/// A `labelSelector` of the two forms the controller uses: `key=value` and `key!=value` (which
/// also selects objects without the label).
struct LabelSelector {
    key: String,
    value: String,
    negated: bool,
}

impl LabelSelector {
    fn matches(&self, object: &Value) -> bool {
        let label = object
            .pointer("/metadata/labels")
            .and_then(|l| l.get(&self.key))
            .and_then(Value::as_str);
        (label == Some(self.value.as_str())) != self.negated
    }
}

fn label_selector(query: &str) -> Option<LabelSelector> {
    let raw = query
        .split('&')
        .find_map(|p| p.strip_prefix("labelSelector="))?;
    let decoded = raw
        .replace("%2F", "/")
        .replace("%2f", "/")
        .replace("%3D", "=")
        .replace("%3d", "=")
        .replace("%21", "!");
    let (key, value) = decoded.split_once('=')?;
    let (key, negated) = match key.strip_suffix('!') {
        Some(key) => (key, true),
        None => (key, false),
    };
    Some(LabelSelector {
        key: key.to_string(),
        value: value.to_string(),
        negated,
    })
}

fn is_collection(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let after_version = if segments.first() == Some(&"api") {
        2
    } else {
        3
    };
    let rest = segments.get(after_version..).unwrap_or_default();
    match rest.first() {
        Some(&"namespaces") => rest.len() == 3,
        Some(_) => rest.len() == 1,
        None => false,
    }
}

fn set_meta(object: &mut Value, key: &str, value: Value) {
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert(key.into(), value);
    }
}

/// The URL path of a stored object.
pub fn object_path(manifest: &Value) -> String {
    let text = |p: &str| {
        manifest
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let api_version = text("/apiVersion");
    let kind = text("/kind");
    let plural = match managed_kind(group_of(&api_version), &kind) {
        Some(k) => k.plural.to_string(),
        None => format!("{}s", kind.to_lowercase()),
    };
    let prefix = if group_of(&api_version).is_empty() {
        "/api"
    } else {
        "/apis"
    };
    format!(
        "{prefix}/{api_version}/namespaces/{}/{plural}/{}",
        text("/metadata/namespace"),
        text("/metadata/name")
    )
}

fn ok(value: &Value) -> Response<FakeBody> {
    response(200, value.to_string())
}

fn status(code: u16, reason: &str, message: &str) -> Response<FakeBody> {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code});
    response(code, body.to_string())
}

fn response(code: u16, body: String) -> Response<FakeBody> {
    Response::builder()
        .status(code)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Either::Left(Full::new(Bytes::from(body))))
        .unwrap_or_else(|_| Response::new(Either::Left(Full::new(Bytes::new()))))
}
