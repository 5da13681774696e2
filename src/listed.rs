//! Reading the host's list replies into what the context checks need, without building the
//! objects: items are borrowed views of the reply's bytes (names, namespaces, hosts), and each
//! item's `spec` is read on its own, so one unreadable object does not hide the others.
//!
//! This is the policy's hot path on a busy cluster: every admission of a sidecar-mode Package
//! reads every Package and every foreign Istio Gateway and VirtualService.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;
use uds_egress_core::model::{Package, PackageMeta, PackageSpec};

use crate::cluster::{Listing, LookupError, is_ours};

/// `{"apiVersion", "kind", "items"}` of a list reply; `metadata` is not read, and each item is
/// kept as its raw text, read only if it is wanted.
#[derive(Deserialize)]
struct Reply<'a> {
    #[serde(rename = "apiVersion", borrow)]
    api_version: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    items: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Item<'a> {
    #[serde(default, borrow)]
    metadata: ItemMeta<'a>,
    #[serde(default, borrow)]
    spec: Option<&'a RawValue>,
}

#[derive(Default, Deserialize)]
struct ItemMeta<'a> {
    #[serde(default, borrow)]
    name: Cow<'a, str>,
    #[serde(default, borrow)]
    namespace: Cow<'a, str>,
    #[serde(default, borrow)]
    labels: Option<HashMap<Cow<'a, str>, Cow<'a, str>>>,
}

/// The hosts an Istio object's spec claims: `spec.servers[].hosts[]` of a Gateway,
/// `spec.hosts[]` of a VirtualService. One view serves both kinds: each lacks the other's field.
#[derive(Default, Deserialize)]
struct IstioSpec<'a> {
    #[serde(default, borrow)]
    servers: Vec<Server<'a>>,
    #[serde(default, borrow)]
    hosts: Vec<Cow<'a, str>>,
}

#[derive(Default, Deserialize)]
struct Server<'a> {
    #[serde(default, borrow)]
    hosts: Vec<Cow<'a, str>>,
}

/// A foreign Istio object and the hosts it claims, as written.
#[derive(Clone, Debug, PartialEq)]
pub struct HostClaim<'a> {
    pub namespace: Cow<'a, str>,
    pub name: Cow<'a, str>,
    pub hosts: Vec<Cow<'a, str>>,
}

/// Every listed Package whose (masked) spec parses, as a core Package with only its namespace
/// and name set. A spec that does not parse cannot be generated either, so it has no claim to
/// conflict with; the generator reports it.
pub fn packages(reply: &[u8]) -> Result<Vec<Package>, LookupError> {
    packages_where(reply, |_| true)
}

/// [`packages`], of only the items whose JSON text `wanted` keeps (see [`crate::sieve`]): the
/// others are not parsed.
pub fn packages_where(
    reply: &[u8],
    wanted: impl Fn(&[u8]) -> bool,
) -> Result<Vec<Package>, LookupError> {
    let items = read(Listing::Packages, reply)?;
    Ok(items
        .into_iter()
        .filter(|raw| wanted(raw.get().as_bytes()))
        .filter_map(item)
        .filter_map(|item| {
            let spec = match item.spec {
                None => None,
                Some(raw) => Some(spec_of::<PackageSpec>(raw)?),
            };
            let mut package = Package {
                metadata: PackageMeta {
                    name: Some(item.metadata.name.into_owned()),
                    namespace: Some(item.metadata.namespace.into_owned()),
                    ..PackageMeta::default()
                },
                spec,
            };
            package.migrate();
            Some(package)
        })
        .collect())
}

/// The host claims of the listed Istio objects (`listing` is Gateways or VirtualServices) that
/// uds-egress does not own. An object whose spec does not read claims nothing.
pub fn foreign_claims(listing: Listing, reply: &[u8]) -> Result<Vec<HostClaim<'_>>, LookupError> {
    let items = read(listing, reply)?;
    Ok(items
        .into_iter()
        .filter_map(item)
        .filter(|item| {
            !item
                .metadata
                .labels
                .as_ref()
                .is_some_and(|labels| is_ours(labels.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))))
        })
        .filter_map(|item| {
            let spec: IstioSpec<'_> = match item.spec {
                None => IstioSpec::default(),
                Some(raw) => spec_of(raw)?,
            };
            let hosts = spec
                .servers
                .into_iter()
                .flat_map(|server| server.hosts)
                .chain(spec.hosts)
                .collect();
            Some(HostClaim {
                namespace: item.metadata.namespace,
                name: item.metadata.name,
                hosts,
            })
        })
        .collect())
}

/// One item, or `None` when it is not an object with readable `metadata` (it is then skipped,
/// as an unreadable spec is: one odd object must not hide the others).
fn item(raw: &RawValue) -> Option<Item<'_>> {
    spec_of(raw)
}

/// The items of a reply, refused unless it is the list of the requested kind (as
/// `k8s_openapi::List` refuses it): a host that answered another question must not pass for an
/// empty cluster.
fn read(listing: Listing, reply: &[u8]) -> Result<Vec<&RawValue>, LookupError> {
    let failed = |detail: String| LookupError {
        what: listing.describe(),
        detail,
    };
    let reply: Reply<'_> = serde_json::from_slice(reply)
        .map_err(|e| failed(format!("the host's reply is not a list: {e}")))?;
    let list_kind = format!("{}List", listing.kind());
    if reply.api_version != listing.api_version() || reply.kind != list_kind {
        return Err(failed(format!(
            "the host answered with a {} {}, expected a {} {list_kind}",
            reply.api_version,
            reply.kind,
            listing.api_version()
        )));
    }
    Ok(reply.items)
}

/// One item or item's spec, or `None` when it does not read as `T`.
fn spec_of<'a, T: Deserialize<'a>>(raw: &'a RawValue) -> Option<T> {
    serde_json::from_str(raw.get()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uds_egress_core::objects::meta::{MANAGED_BY_LABEL, MANAGED_BY_VALUE};

    #[test]
    fn packages_keep_identity_and_rules_and_skip_unreadable_specs() {
        let reply = Listing::Packages.reply(&[
            json!({"metadata": {"name": "web", "namespace": "shop"},
                   "spec": {"network": {"serviceMesh": {"mode": "ambient"},
                            "allow": [{"remoteHost": "a.com", "port": 443}]}}}),
            json!({"metadata": {"name": "broken", "namespace": "x"},
                   "spec": {"network": {"allow": "nonsense"}}}),
            json!({"metadata": {"name": "bare", "namespace": "y"}}),
        ]);
        let packages = packages(&reply).unwrap();
        let names: Vec<(&str, &str)> = packages.iter().map(|p| (p.namespace(), p.name())).collect();
        assert_eq!(names, vec![("shop", "web"), ("y", "bare")]);
        assert_eq!(packages[0].allow()[0].host(), Some("a.com"));
        assert!(packages[1].allow().is_empty());
    }

    #[test]
    fn escaped_strings_are_read_too() {
        let reply = br#"{"apiVersion":"networking.istio.io/v1","kind":"VirtualServiceList",
            "items":[{"metadata":{"name":"v\u0073","namespace":"t"},"spec":{"hosts":["a\u002ecom"]}}]}"#;
        let claims = foreign_claims(Listing::VirtualServices, reply).unwrap();
        assert_eq!(claims[0].name, "vs");
        assert_eq!(claims[0].hosts, vec!["a.com"]);
    }

    #[test]
    fn claims_of_gateways_and_virtual_services_leave_out_ours() {
        let reply = Listing::Gateways.reply(&[
            json!({"metadata": {"name": "public", "namespace": "istio-system"},
                   "spec": {"servers": [{"hosts": ["a.com"]}, {"hosts": ["b.com", "c.com"]}]}}),
            json!({"metadata": {"name": "mine", "namespace": "istio-egress-gateway",
                                "labels": {MANAGED_BY_LABEL: MANAGED_BY_VALUE}},
                   "spec": {"servers": [{"hosts": ["a.com"]}]}}),
            json!({"metadata": {"name": "odd", "namespace": "n"}, "spec": {"servers": "x"}}),
            json!({"metadata": {"name": "empty", "namespace": "n"}}),
        ]);
        let claims = foreign_claims(Listing::Gateways, &reply).unwrap();
        let got: Vec<(&str, Vec<&str>)> = claims
            .iter()
            .map(|c| (c.name.as_ref(), c.hosts.iter().map(Cow::as_ref).collect()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("public", vec!["a.com", "b.com", "c.com"]),
                ("empty", vec![])
            ]
        );

        let reply = Listing::VirtualServices.reply(&[json!({
            "metadata": {"name": "vs", "namespace": "team", "labels": {"app": "x"}},
            "spec": {"hosts": ["d.com"]}})]);
        let claims = foreign_claims(Listing::VirtualServices, &reply).unwrap();
        assert_eq!(claims[0].namespace, "team");
        assert_eq!(claims[0].hosts, vec!["d.com"]);
    }

    #[test]
    fn a_reply_of_another_kind_or_not_a_list_fails_the_lookup() {
        let gateways = Listing::Gateways.reply(&[]);
        let err = packages(&gateways).unwrap_err();
        assert_eq!(err.what, "Packages (uds.dev/v1alpha1) cluster-wide");
        assert!(
            err.detail
                .contains("answered with a networking.istio.io/v1 GatewayList"),
            "{}",
            err.detail
        );
        for bad in [&b"not json"[..], b"[]", br#"{"items": []}"#] {
            assert!(foreign_claims(Listing::VirtualServices, bad).is_err());
        }
    }
}
