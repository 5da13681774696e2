//! The policy's `validate` natively, on the benchmark's typical request (or another: argument 1 is
//! its index, 0 typical, 1 the 64-rule Package, 2 not a Package) and cluster, for a profiler:
//!
//! cargo build --release -p uds-egress-bench --example profile_policy
//! valgrind --tool=callgrind target/release/examples/profile_policy 0 50
//!
//! The cluster lookups parse the host's list replies exactly as the module's `HostCluster` does
//! (`k8s_openapi::List` of masked views); the replies are the e2e host's, made once.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use uds_egress_bench::mask;
use uds_egress_bench::policy_workload::{cluster, requests};
use uds_egress_bench::scale::Scale;
use uds_egress_e2e::protocol::validate_payload;
use uds_egress_e2e::{HostCalls, KubeFixtures};
use uds_egress_policy::cluster::{
    Cluster, ClusterObject, GatewayKind, Kind, LookupError, PackageKind, View, VirtualServiceKind,
    list_request,
};
use uds_egress_policy::validate::evaluate;

/// The three list replies, as bytes from the host.
struct Replies {
    packages: Vec<u8>,
    gateways: Vec<u8>,
    virtual_services: Vec<u8>,
}

fn parse<K: Kind + Clone>(reply: &[u8]) -> Result<Vec<ClusterObject>, LookupError> {
    serde_json::from_slice::<k8s_openapi::List<View<K>>>(reply)
        .map(|list| list.items.into_iter().map(ClusterObject::from).collect())
        .map_err(|e| LookupError {
            what: K::KIND.to_string(),
            detail: e.to_string(),
        })
}

impl Cluster for Replies {
    fn packages(&self) -> Result<Vec<ClusterObject>, LookupError> {
        parse::<PackageKind>(&self.packages)
    }
    fn gateways(&self) -> Result<Vec<ClusterObject>, LookupError> {
        parse::<GatewayKind>(&self.gateways)
    }
    fn virtual_services(&self) -> Result<Vec<ClusterObject>, LookupError> {
        parse::<VirtualServiceKind>(&self.virtual_services)
    }
}

fn masks<K: Kind>() -> Vec<String> {
    K::FIELD_MASKS.iter().map(|m| m.to_string()).collect()
}

fn replies() -> Result<Replies, String> {
    let masked: Vec<Value> = cluster(&Scale::FULL)?
        .iter()
        .map(|object| match object["kind"].as_str() {
            Some("Package") => mask::apply(object, &masks::<PackageKind>()),
            Some("Gateway") => mask::apply(object, &masks::<GatewayKind>()),
            _ => mask::apply(object, &masks::<VirtualServiceKind>()),
        })
        .collect();
    let calls = Arc::new(HostCalls::new(
        KubeFixtures::from_objects(masked).map_err(|e| e.to_string())?,
    ));
    let reply = |request: Value| {
        calls
            .handle(
                0,
                "kubewarden",
                "kubernetes",
                "list_resources_all",
                request.to_string().as_bytes(),
            )
            .map_err(|e| e.to_string())
    };
    let request = |r| serde_json::to_value(r).map_err(|e| e.to_string());
    Ok(Replies {
        packages: reply(request(list_request::<PackageKind>())?)?,
        gateways: reply(request(list_request::<GatewayKind>())?)?,
        virtual_services: reply(request(list_request::<VirtualServiceKind>())?)?,
    })
}

fn main() -> ExitCode {
    let numbers: Result<Vec<usize>, _> = std::env::args().skip(1).map(|a| a.parse()).collect();
    let Ok(numbers) = numbers else {
        eprintln!("usage: profile_policy [REQUEST-INDEX [ITERATIONS]]");
        return ExitCode::from(2);
    };
    let index = numbers.first().copied().unwrap_or(0);
    let iterations = numbers.get(1).copied().unwrap_or(200).max(1);
    let Some(request) = requests().into_iter().nth(index) else {
        eprintln!("profile_policy: no request {index}");
        return ExitCode::from(2);
    };
    let payload = validate_payload(&request.request, &json!({}));
    let replies = match replies() {
        Ok(replies) => replies,
        Err(problem) => {
            eprintln!("profile_policy: {problem}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let mut accepted = true;
    for _ in 0..iterations {
        let response = evaluate(&payload, &replies).into_response();
        accepted &= response.accepted;
        std::hint::black_box(serde_json::to_vec(&response).map(|v| v.len()).unwrap_or(0));
    }
    eprintln!(
        "{}: {:.1} µs per validate natively (accepted: {accepted}); list replies {} + {} + {} bytes",
        request.label,
        started.elapsed().as_secs_f64() * 1e6 / iterations as f64,
        replies.packages.len(),
        replies.gateways.len(),
        replies.virtual_services.len()
    );
    ExitCode::SUCCESS
}
