//! The policy's `validate` natively, on figure 1's requests and cluster, for a profiler:
//!
//! cargo build --release -p uds-egress-bench --example profile_policy
//! valgrind --tool=callgrind --toggle-collect='uds_egress_policy::validate::evaluate*' \
//!     target/release/examples/profile_policy typical 200
//!
//! Arguments: which request (`typical`, `large` or `other`), how many evaluations (default
//! 1,000) and the cluster: a number of Packages (default figure 1's 200), `empty` for a cluster
//! with nothing in it, `none` for no lookups at all (settings `{"contextAware": false}`, as
//! figure 6's "without lookups"), or a kwctl recording (`kwctl run --record-host-capabilities-interactions
//! FILE` against a real API server), whose replies are served as kwctl sent them. The synthetic
//! lookups go through the e2e host's callback as in the wasm benchmark (so the host's
//! serialisation of the replies is in the profile, outside `evaluate`), with the cluster masked
//! by the policy's own field masks. Prints the mean time per evaluation.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use uds_egress_bench::mask;
use uds_egress_bench::policy_workload::{cluster_of, hosts_for, requests};
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

/// The replies a kwctl recording (`--record-host-capabilities-interactions FILE`) holds, by
/// kind: what the real engine sent, byte for byte.
struct Recorded(Vec<(String, Vec<u8>)>);

impl Recorded {
    fn read(path: &str) -> Result<Recorded, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let exchanges: Vec<Value> =
            serde_yaml_ng::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        let replies = exchanges
            .iter()
            .filter_map(|exchange| {
                let request = exchange["request"].as_str()?;
                let kind = request.lines().find_map(|l| l.strip_prefix("kind: "))?;
                let payload = exchange["response"]["payload"].as_str()?;
                Some((kind.to_string(), payload.as_bytes().to_vec()))
            })
            .collect();
        Ok(Recorded(replies))
    }
}

impl Cluster for Recorded {
    fn list(&self, listing: Listing) -> Result<Vec<u8>, LookupError> {
        self.0
            .iter()
            .find(|(kind, _)| kind == listing.kind())
            .map(|(_, reply)| reply.clone())
            .ok_or_else(|| LookupError {
                what: listing.describe(),
                detail: "not in the recording".into(),
            })
    }
}

/// Figure 1's cluster of `packages` Packages (`None`: nothing at all), masked, served by the
/// e2e host's callback.
fn synthetic(packages: Option<usize>) -> Result<Box<dyn Cluster>, String> {
    let objects = match packages {
        None => Vec::new(),
        Some(n) => cluster_of(n, hosts_for(n))?,
    };
    let fixtures =
        KubeFixtures::from_objects(objects.iter().filter_map(masked)).map_err(|e| e.to_string())?;
    Ok(Box::new(HostCallback(Arc::new(HostCalls::new(fixtures)))))
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
    let cluster_arg = args.next();
    let settings = match cluster_arg.as_deref() {
        Some("none") => json!({"contextAware": false}),
        _ => json!({}),
    };
    let replies: Box<dyn Cluster> = match cluster_arg.as_deref() {
        None => synthetic(Some(Scale::FULL.policy_cluster_packages)),
        Some("empty" | "none") => synthetic(None),
        Some(size) if size.parse::<usize>().is_ok() => synthetic(size.parse().ok()),
        Some(recording) => match Recorded::read(recording) {
            Ok(recorded) => Ok(Box::new(recorded) as Box<dyn Cluster>),
            Err(problem) => Err(problem),
        },
    }
    .unwrap_or_else(|problem| {
        eprintln!("profile_policy: {problem}");
        std::process::exit(1)
    });
    let cluster = replies.as_ref();
    let Some(request) = requests().into_iter().nth(index) else {
        return ExitCode::FAILURE;
    };
    let payload = validate_payload(&request.request, &settings);

    let started = Instant::now();
    let mut accepted = 0;
    for _ in 0..runs {
        if evaluate(&payload, cluster).into_response().accepted {
            accepted += 1;
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{which}: {runs} evaluations, {accepted} accepted, {:.1} µs each",
        elapsed.as_secs_f64() * 1e6 / runs as f64
    );
    ExitCode::SUCCESS
}
