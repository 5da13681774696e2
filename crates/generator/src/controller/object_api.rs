//! Raw API calls on the objects the generator manages: read one, server-side apply one, delete
//! one. No retries here (see `executor`).

use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, Preconditions,
};
use kube::{Client, Resource};
use serde_json::Value;
use uds_egress_core::GeneratedObject;
use uds_egress_core::objects::meta::NOT_MANAGED_BY_US;

use uds_egress_plan::Delete;
use uds_egress_plan::identity::ObjectId;
use uds_egress_plan::kinds::managed_kind;
use uds_egress_plan::managed_fields::FIELD_MANAGER;

use super::resources::{api_resource, manifest};

/// Objects per page of a list: large enough to need few pages, small enough for one reply.
const LIST_PAGE: u32 = 500;

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    Api(kube::Error),
    /// Not one of the kinds the generator manages: never sent.
    UnknownKind(String),
}

fn resource(group: &str, kind: &str) -> Result<ApiResource, CallError> {
    managed_kind(group, kind)
        .map(api_resource)
        .ok_or_else(|| CallError::UnknownKind(format!("{kind} ({group})")))
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Api(error) => write!(f, "{error}"),
            CallError::UnknownKind(kind) => write!(f, "{kind} is not a kind uds-egress manages"),
        }
    }
}

/// How many existence checks (GETs before creating) are in flight at once: reads are cheap for
/// the API server, and eight already keep it busy.
pub const CHECKS_IN_FLIGHT: usize = 8;

/// How many writes of one phase are in flight at once. One at a time, every write waits for the
/// one before it to be stored; in flight together, the API server and etcd commit them in
/// batches. Measured on kube-apiserver 1.20 with etcd (2 cores, server-side apply of Istio
/// objects): 8 in flight store about 560 objects/s, 32 about 700/s, 64 about 815/s (16,000
/// objects in 19.6 s; the API server then uses 1.6 of the 2 cores). 64 is a third of the server's
/// default limit of 200 mutating requests in flight, leaving the rest to every other client.
pub const WRITES_IN_FLIGHT: usize = 64;

#[derive(Clone)]
pub struct ObjectApi {
    client: Client,
}

impl ObjectApi {
    pub fn new(client: Client) -> ObjectApi {
        ObjectApi { client }
    }

    fn api(&self, id: &ObjectId) -> Result<(Api<DynamicObject>, ApiResource), CallError> {
        let resource = resource(&id.group, &id.kind)?;
        let api = Api::namespaced_with(self.client.clone(), &id.namespace, &resource);
        Ok((api, resource))
    }

    /// (namespace, name) of every object of a managed kind in `namespace` (`None`: all) that
    /// does not carry our managed-by label: one metadata-only list, in pages.
    pub async fn unlabelled_names(
        &self,
        group: &str,
        kind: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<(String, String)>, CallError> {
        let resource = resource(group, kind)?;
        let api: Api<DynamicObject> = match namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &resource),
            None => Api::all_with(self.client.clone(), &resource),
        };
        let mut params = ListParams::default()
            .labels(NOT_MANAGED_BY_US)
            .limit(LIST_PAGE);
        let mut names = Vec::new();
        loop {
            let page = api.list_metadata(&params).await.map_err(CallError::Api)?;
            names.extend(
                page.items
                    .into_iter()
                    .filter_map(|item| Some((item.metadata.namespace?, item.metadata.name?))),
            );
            match page.metadata.continue_ {
                Some(token) if !token.is_empty() => params = params.continue_token(&token),
                _ => return Ok(names),
            }
        }
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
    ///
    /// Sent as a raw request whose reply is read as text and dropped: the stored object the
    /// server sends back (managedFields included) is not needed, and parsing it was a large part
    /// of the generator's CPU in an initial sync, on cores it shares with the API server.
    /// Error replies still become `kube::Error::Api` (status code, reason) as with `Api::patch`.
    pub async fn apply(&self, object: &GeneratedObject, force: bool) -> Result<(), CallError> {
        let id = ObjectId::of_key(&object.key);
        let resource = resource(&id.group, &id.kind)?;
        let mut params = PatchParams::apply(FIELD_MANAGER);
        if force {
            params = params.force();
        }
        let path = DynamicObject::url_path(&resource, Some(&id.namespace));
        let request = kube::core::Request::new(path)
            .patch(&id.name, &params, &Patch::Apply(&object.manifest))
            .map_err(|e| CallError::Api(kube::Error::BuildRequest(e)))?;
        self.client
            .request_text(request)
            .await
            .map(drop)
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
