//! Raw API calls on the objects the generator manages: read one, server-side apply one, delete
//! one. No retries here (see `executor`).

use kube::Client;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, Preconditions};
use serde_json::Value;
use uds_egress_core::GeneratedObject;

use crate::plan::Delete;
use crate::plan::identity::ObjectId;
use crate::plan::kinds::{ManagedKind, managed_kind};
use crate::plan::managed_fields::FIELD_MANAGER;

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    Api(kube::Error),
    /// Not one of the kinds the generator manages: never sent.
    UnknownKind(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Api(error) => write!(f, "{error}"),
            CallError::UnknownKind(kind) => write!(f, "{kind} is not a kind uds-egress manages"),
        }
    }
}

/// The API resource of a managed kind, for `Api<DynamicObject>`.
pub fn api_resource(kind: &ManagedKind) -> ApiResource {
    ApiResource {
        group: kind.group.to_string(),
        version: kind.version.to_string(),
        api_version: kind.api_version(),
        kind: kind.kind.to_string(),
        plural: kind.plural.to_string(),
    }
}

/// How many calls of one kind of work (the existence checks before creating, the writes of one
/// phase) are in flight at once. One at a time took a 1,000-Package initial sync past five minutes
/// on the real API server, which stores concurrent writes in one batch; eight keeps a sync to
/// seconds without being a burst an API server's priority and fairness would have to hold back.
pub const CALLS_IN_FLIGHT: usize = 8;

#[derive(Clone)]
pub struct ObjectApi {
    client: Client,
}

impl ObjectApi {
    pub fn new(client: Client) -> ObjectApi {
        ObjectApi { client }
    }

    fn api(&self, id: &ObjectId) -> Result<Api<DynamicObject>, CallError> {
        let kind = managed_kind(&id.group, &id.kind)
            .ok_or_else(|| CallError::UnknownKind(format!("{} ({})", id.kind, id.group)))?;
        Ok(Api::namespaced_with(
            self.client.clone(),
            &id.namespace,
            &api_resource(kind),
        ))
    }

    /// The live object, `None` when there is none.
    pub async fn get(&self, id: &ObjectId) -> Result<Option<Value>, CallError> {
        let api = self.api(id)?;
        let found = api.get_opt(&id.name).await.map_err(CallError::Api)?;
        Ok(found.map(|object| with_type(object, id)))
    }

    /// Server-side apply under our field manager; `force` takes over fields another manager
    /// holds, so it is only ever set for objects that carry our label.
    pub async fn apply(&self, object: &GeneratedObject, force: bool) -> Result<(), CallError> {
        let id = ObjectId::of_key(&object.key);
        let api = self.api(&id)?;
        let mut params = PatchParams::apply(FIELD_MANAGER);
        if force {
            params = params.force();
        }
        api.patch(&id.name, &params, &Patch::Apply(&object.manifest))
            .await
            .map(|_| ())
            .map_err(CallError::Api)
    }

    /// Deletes the object if it is still the one we saw (uid and resourceVersion). Already gone
    /// counts as done.
    pub async fn delete(&self, delete: &Delete) -> Result<(), CallError> {
        let api = self.api(&delete.id)?;
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid: delete.uid.clone(),
                resource_version: delete.resource_version.clone(),
            }),
            ..DeleteParams::default()
        };
        match api.delete(&delete.id.name, &params).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(error) => Err(CallError::Api(error)),
        }
    }
}

/// A DynamicObject as a manifest that names its own apiVersion and kind (list and get
/// responses may leave them out).
pub fn with_type(object: DynamicObject, id: &ObjectId) -> Value {
    let mut value = serde_json::to_value(&object).unwrap_or(Value::Null);
    if let (Some(map), Some(kind)) = (value.as_object_mut(), managed_kind(&id.group, &id.kind)) {
        map.insert("apiVersion".into(), Value::String(kind.api_version()));
        map.insert("kind".into(), Value::String(kind.kind.to_string()));
    }
    value
}
