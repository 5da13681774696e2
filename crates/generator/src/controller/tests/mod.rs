//! The controller's I/O against a mocked API server.

mod api_usage;
mod fake_api;
mod history;
mod leader;
mod rbac;
mod run_loop;
mod watches;
mod writes;

use serde_json::Value;

use super::backoff::Backoff;
use super::object_api::ObjectApi;
use super::pass::{PassInput, PassOutcome, run_pass};
use api_usage::is_declared;
use fake_api::FakeApi;
use uds_egress_testkit::fixtures::config;

/// One pass with `packages` against the fake, with live objects as the watch caches would show
/// them (the fake's labelled objects).
async fn pass(fake: &FakeApi, api: &ObjectApi, packages: &[Value]) -> PassOutcome {
    let input = PassInput {
        packages,
        live: fake.owned_objects(),
        scopes: &[None],
        config: &config(),
        dry_run: false,
    };
    run_pass(api, input, Backoff::WRITE, &|| false).await
}

/// Every request the controller sent is one the RBAC contract declares.
fn assert_declared(fake: &FakeApi) {
    for request in fake.requests() {
        let (group, resource, verb) = request.rbac();
        assert!(
            is_declared(&group, &resource, &verb),
            "{} {} is not in API_USAGE ({group}, {resource}, {verb})",
            request.method,
            request.path
        );
    }
}
