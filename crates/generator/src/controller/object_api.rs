//! Raw API calls on the objects the generator manages: read one, server-side apply one, delete
//! one. No retries here (see `executor`).

use kube::Client;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, Preconditions};
use serde_json::Value;
use uds_egress_core::GeneratedObject;

use crate::plan::Delete;
use crate::plan::identity::ObjectId;
use crate::plan::kinds::managed_kind;
use crate::plan::managed_fields::FIELD_MANAGER;

use super::resources::{api_resource, manifest};

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

/// How many calls of one kind of work (the existence checks before creating, the writes of one
/// phase) are in flight at once. One at a time, every call waits for the one before it to be
/// stored; in flight together, the API server and etcd commit them in batches. Eight is a small
/// burst for an API server's priority and fairness to admit.
pub const CALLS_IN_FLIGHT: usize = 8;

#[derive(Clone)]
pub struct ObjectApi {
    client: Client,
}

impl ObjectApi {
    pub fn new(client: Client) -> ObjectApi {
        ObjectApi { client }
    }

    fn api(&self, id: &ObjectId) -> Result<(Api<DynamicObject>, ApiResource), CallError> {
        let kind = managed_kind(&id.group, &id.kind)
            .ok_or_else(|| CallError::UnknownKind(format!("{} ({})", id.kind, id.group)))?;
        let resource = api_resource(kind);
        let api = Api::namespaced_with(self.client.clone(), &id.namespace, &resource);
        Ok((api, resource))
    }

    /// The live object, `None` when there is none.
    pub async fn get(&self, id: &ObjectId) -> Result<Option<Value>, CallError> {
        let (api, resource) = self.api(id)?;
        let found = api.get_opt(&id.name).await.map_err(CallError::Api)?;
        found
            .map(|object| manifest(object, &resource))
            .transpose()
            .map_err(|error| CallError::Api(kube::Error::SerdeError(error)))
    }

    /// Server-side apply under our field manager; `force` takes over fields another manager
    /// holds, so it is only ever set for objects that carry our label.
    pub async fn apply(&self, object: &GeneratedObject, force: bool) -> Result<(), CallError> {
        let id = ObjectId::of_key(&object.key);
        let (api, _) = self.api(&id)?;
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
        let (api, _) = self.api(&delete.id)?;
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
