//! Figure 1: the policy's `validate` time next to the no-op policy's, in the e2e waPC host.
//!
//! Both modules are compiled once (as policy-server precompiles them) and instantiated once; the
//! samples of the two alternate request by request (no-op first on even rounds, policy first on
//! odd ones), so load on the machine hits both alike and the ratio stays meaningful. The
//! context-aware lookups are answered from memory by the e2e host's fixture callback, which
//! serialises the list reply on each call, as policy-server does from its cache; the objects are
//! stored already reduced to the field masks the policy asks for.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use uds_egress_wapc_test_host::protocol::validate_payload;
use uds_egress_wapc_test_host::{HostCall, HostCalls, KubeFixtures, PolicyHost, PolicyModule};

use crate::mask;
use crate::policy_workload::{Request, cluster, requests};
use crate::scale::Scale;
use crate::stats::{Summary, micros};
use crate::table::{Check, Row};

/// Rows of figure 1, or the reason it could not be measured.
pub fn run(scale: &Scale, policy: &Path, noop: &Path) -> Result<Vec<Row>, String> {
    let settings = json!({});
    let requests = requests();
    let payloads: Vec<Vec<u8>> = requests
        .iter()
        .map(|r| validate_payload(&r.request, &settings))
        .collect();

    let policy_module = PolicyModule::load(policy).map_err(|e| e.to_string())?;
    let noop_module = PolicyModule::load(noop).map_err(|e| e.to_string())?;
    let objects = cluster(scale)?;
    let (fixtures, listed) = masked_fixtures(&policy_module, &objects, &payloads)?;
    println!(
        "policy: compiled in {:.1} s (no-op {:.1} s); the context-aware lookups return {listed}",
        policy_module.compile_time().as_secs_f64(),
        noop_module.compile_time().as_secs_f64(),
    );
    let calls = Arc::new(HostCalls::new(fixtures));
    let mut policy_host = policy_module
        .instantiate(Arc::clone(&calls))
        .map_err(|e| e.to_string())?;
    let mut noop_host = noop_module
        .instantiate(Arc::new(HostCalls::default()))
        .map_err(|e| e.to_string())?;

    // The typical request once more against an empty cluster: how much of its time the
    // context-aware lookups take (reported for information).
    let mut bare_host = policy_module
        .instantiate(Arc::new(HostCalls::default()))
        .map_err(|e| e.to_string())?;
    for (request, payload) in requests.iter().zip(&payloads) {
        check_verdict(&mut policy_host, request, payload, "policy")?;
        check_verdict(&mut noop_host, request, payload, "no-op")?;
    }
    let lookups = calls.recorded().len();
    calls.clear();

    // samples[request][contender]: 0 the policy, 1 the no-op, 2 the policy without a cluster
    // (typical request only).
    let mut samples: Vec<[Vec<Duration>; 3]> = vec![Default::default(); requests.len()];
    for round in 0..scale.policy_warmup + scale.policy_samples {
        let keep = round >= scale.policy_warmup;
        for (index, (payload, times)) in payloads.iter().zip(samples.iter_mut()).enumerate() {
            let contenders = if index == 0 { 3 } else { 2 };
            for turn in 0..contenders {
                // Rotate who goes first, so that no contender always follows another.
                let who = (turn + round) % contenders;
                let host = match who {
                    0 => &mut policy_host,
                    1 => &mut noop_host,
                    _ => &mut bare_host,
                };
                let elapsed = time_call(host, payload)?;
                if keep && let Some(list) = times.get_mut(who) {
                    list.push(elapsed);
                }
            }
        }
        // The host keeps a record of every call; emptied outside the timed calls.
        calls.clear();
    }
    println!(
        "policy: {} timed calls per request and module after {} warm-up rounds; the three \
         requests make {lookups} host calls in all",
        scale.policy_samples, scale.policy_warmup
    );

    let mut rows = Vec::new();
    for (request, [policy_times, noop_times, bare_times]) in requests.iter().zip(&samples) {
        let (Some(policy), Some(noop)) = (Summary::of(policy_times), Summary::of(noop_times))
        else {
            return Err("no samples taken".into());
        };
        let limit = micros(noop.median) * request.factor;
        rows.push(Row::checked(
            format!("1 policy: {}", request.label),
            format!(
                "{} (no-op {:.1} / {:.1} µs)",
                median_and_p99(&policy),
                micros(noop.median),
                micros(noop.p99)
            ),
            Check::at_most(
                micros(policy.median),
                limit,
                format!("median ≤ {}× no-op = {limit:.1} µs", request.factor),
            ),
        ));
        if let Some(bare) = Summary::of(bare_times) {
            rows.push(Row::info(
                format!("1 policy: {}, empty cluster", request.label),
                format!(
                    "{} = {:.1}× no-op",
                    median_and_p99(&bare),
                    micros(bare.median) / micros(noop.median)
                ),
            ));
        }
    }
    Ok(rows)
}

/// `median 12.3 µs, p99 45.6 µs`.
fn median_and_p99(summary: &Summary) -> String {
    format!(
        "median {:.1} µs, p99 {:.1} µs",
        micros(summary.median),
        micros(summary.p99)
    )
}

fn time_call(host: &mut PolicyHost, payload: &[u8]) -> Result<Duration, String> {
    let started = Instant::now();
    host.validate_raw(payload).map_err(|e| e.to_string())?;
    Ok(started.elapsed())
}

fn check_verdict(
    host: &mut PolicyHost,
    request: &Request,
    payload: &[u8],
    who: &str,
) -> Result<(), String> {
    let response = host.validate_raw(payload).map_err(|e| e.to_string())?;
    if request.must_accept && !response.accepted {
        return Err(format!(
            "the {who} rejected the {}: {}",
            request.label,
            response.message.unwrap_or_default()
        ));
    }
    Ok(())
}

/// (apiVersion, kind) -> the last list request for it and its field masks (`None`: listed
/// without masks, whole objects).
type ListRequests = BTreeMap<(String, String), (HostCall, Option<Vec<String>>)>;

/// The cluster as the host would send it: each object reduced to the field masks the policy
/// asks for its kind (learnt from one evaluation of every request against the whole objects);
/// kinds the policy never lists are left out. Also says what the host's replies to those
/// requests hold (after the policy's label selectors), per kind.
fn masked_fixtures(
    module: &PolicyModule,
    objects: &[Value],
    payloads: &[Vec<u8>],
) -> Result<(KubeFixtures, String), String> {
    let whole = KubeFixtures::from_objects(objects.iter().cloned()).map_err(|e| e.to_string())?;
    let calls = Arc::new(HostCalls::new(whole));
    let mut probe = module
        .instantiate(Arc::clone(&calls))
        .map_err(|e| e.to_string())?;
    for payload in payloads {
        probe.validate_raw(payload).map_err(|e| e.to_string())?;
    }
    let mut requests: ListRequests = BTreeMap::new();
    for call in calls.recorded() {
        let text = |field: &str| call.request[field].as_str().unwrap_or_default().to_owned();
        let field_masks = call.request["field_masks"].as_array().map(|list| {
            list.iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect()
        });
        requests.insert(
            (text("api_version"), text("kind")),
            (call.clone(), field_masks),
        );
    }
    let listed: Vec<Value> = objects
        .iter()
        .filter_map(|object| {
            let key = (
                object["apiVersion"].as_str()?.to_owned(),
                object["kind"].as_str()?.to_owned(),
            );
            Some(match &requests.get(&key)?.1 {
                Some(field_masks) => mask::apply(object, field_masks),
                None => object.clone(),
            })
        })
        .collect();
    let fixtures = KubeFixtures::from_objects(listed).map_err(|e| e.to_string())?;

    // What each reply holds: asked again of a host over the masked objects.
    let host = HostCalls::new(fixtures.clone());
    let mut summary = Vec::new();
    for ((_, kind), (call, _)) in &requests {
        let reply = host
            .handle(
                0,
                &call.binding,
                &call.namespace,
                &call.operation,
                call.request.to_string().as_bytes(),
            )
            .map_err(|e| e.to_string())?;
        let items = serde_json::from_slice::<Value>(&reply)
            .ok()
            .and_then(|list| list["items"].as_array().map(Vec::len))
            .unwrap_or(0);
        summary.push(format!(
            "{items} {kind}s ({:.0} KB)",
            reply.len() as f64 / 1024.0
        ));
    }
    Ok((fixtures, summary.join(", ")))
}
