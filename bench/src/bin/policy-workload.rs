//! The policy's benchmark workload as files, for the figures measured on the real engines
//! (`bench/api-server/policy-figures`): the same cluster and request as figure 1, stored in a
//! real API server and judged by kwctl and policy-server.
//!
//! policy-workload cluster PACKAGES   a kubectl `List` (JSON) of the cluster's objects, Namespaces first
//!                                    (0: the empty cluster)
//! policy-workload request            the typical Package's AdmissionRequest (`kwctl bench -r`)
//! policy-workload lookups            the lookups-only module's settings: the policy's list requests

use std::collections::BTreeSet;
use std::process::ExitCode;

use serde_json::{Value, json};
use uds_egress_bench::policy_workload::{cluster_of, hosts_for, requests};
use uds_egress_policy::cluster::Listing;

const USAGE: &str = "usage: policy-workload cluster PACKAGES | request | lookups";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let printed = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["cluster", packages] => packages
            .parse::<usize>()
            .map_err(|e| format!("PACKAGES {packages}: {e}"))
            .and_then(cluster_list),
        ["request"] => typical_request(),
        ["lookups"] => Ok(json!({"lists": Listing::ALL.map(Listing::request)})),
        _ => Err(USAGE.to_string()),
    };
    match printed {
        Ok(value) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("policy-workload: {problem}");
            ExitCode::from(2)
        }
    }
}

/// The cluster's objects with the Namespaces they live in, as one `List` for `kubectl create -f`.
/// No Packages is the empty cluster: not even the foreign Istio objects, so that it shows the
/// request's cost with nothing to read.
fn cluster_list(packages: usize) -> Result<Value, String> {
    let objects = match packages {
        0 => Vec::new(),
        _ => cluster_of(packages, hosts_for(packages))?,
    };
    let namespaces: BTreeSet<&str> = objects
        .iter()
        .filter_map(|o| o["metadata"]["namespace"].as_str())
        .collect();
    let mut items: Vec<Value> = namespaces
        .into_iter()
        .map(|name| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
        .collect();
    items.extend(objects.iter().cloned());
    Ok(json!({"apiVersion": "v1", "kind": "List", "items": items}))
}

fn typical_request() -> Result<Value, String> {
    requests()
        .into_iter()
        .next()
        .map(|typical| typical.request)
        .ok_or_else(|| "the workload has no requests".to_string())
}
