//! The policy's `validate` natively, on figure 1's requests and cluster, for a profiler:
//!
//! cargo build --release -p uds-egress-bench --example profile_policy
//! valgrind --tool=callgrind --toggle-collect='uds_egress_policy::validate::evaluate*' \
//!     target/release/examples/profile_policy typical 200
//!
//! Arguments: which request (`typical`, `large` or `other`), how many evaluations (default
//! 1,000) and optionally `empty` for a cluster with nothing in it. The lookups go through the e2e host's callback as in the wasm benchmark (so the host's
//! serialisation of the replies is in the profile, outside `evaluate`), with the cluster masked
//! by the policy's own field masks. Prints the mean time per evaluation.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use uds_egress_bench::mask;
use uds_egress_bench::policy_workload::{cluster, requests};
use uds_egress_bench::scale::Scale;
use uds_egress_policy::cluster::{Cluster, Listing, LookupError};
use uds_egress_policy::validate::evaluate;
use uds_egress_wapc_test_host::protocol::validate_payload;
use uds_egress_wapc_test_host::{HostCalls, KubeFixtures};

/// The e2e host's callback, called directly.
struct HostCallback(Arc<HostCalls>);

impl Cluster for HostCallback {
    fn list(&self, listing: Listing) -> Result<Vec<u8>, LookupError> {
        let request = serde_json::to_vec(&listing.request()).unwrap_or_default();
        self.0
            .handle(
                0,
                "kubewarden",
                "kubernetes",
                "list_resources_all",
                &request,
            )
            .map_err(|e| LookupError {
                what: listing.describe(),
                detail: e.to_string(),
            })
    }
}

fn masked(object: &Value) -> Option<Value> {
    let listing = [
        Listing::Packages,
        Listing::Gateways,
        Listing::VirtualServices,
    ]
    .into_iter()
    .find(|l| object["apiVersion"] == l.api_version() && object["kind"] == l.kind())?;
    let masks: Vec<String> = listing
        .field_masks()
        .iter()
        .map(|m| m.to_string())
        .collect();
    Some(mask::apply(object, &masks))
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "typical".into());
    let runs: usize = match args.next().map(|a| a.parse()) {
        None => 1_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("profile_policy: the second argument is a number of evaluations: {e}");
            return ExitCode::from(2);
        }
    };
    let index = match which.as_str() {
        "typical" => 0,
        "large" => 1,
        "other" => 2,
        _ => {
            eprintln!("profile_policy: the request is typical, large or other");
            return ExitCode::from(2);
        }
    };
    let empty = args.next().is_some_and(|a| a == "empty");
    let objects = match cluster(&Scale::FULL) {
        Ok(_) if empty => Vec::new(),
        Ok(objects) => objects,
        Err(problem) => {
            eprintln!("profile_policy: {problem}");
            return ExitCode::FAILURE;
        }
    };
    let fixtures = match KubeFixtures::from_objects(objects.iter().filter_map(masked)) {
        Ok(fixtures) => fixtures,
        Err(e) => {
            eprintln!("profile_policy: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cluster = HostCallback(Arc::new(HostCalls::new(fixtures)));
    let Some(request) = requests().into_iter().nth(index) else {
        return ExitCode::FAILURE;
    };
    let payload = validate_payload(&request.request, &json!({}));

    let started = Instant::now();
    let mut accepted = 0;
    for _ in 0..runs {
        if evaluate(&payload, &cluster).into_response().accepted {
            accepted += 1;
        }
        cluster.0.clear();
    }
    let elapsed = started.elapsed();
    println!(
        "{which}: {runs} evaluations, {accepted} accepted, {:.1} µs each",
        elapsed.as_secs_f64() * 1e6 / runs as f64
    );
    ExitCode::SUCCESS
}
