//! The exact requests of a pass: server-side apply, deletes, retries, odd responses.

use serde_json::{Value, json};

use super::fake_api::{FakeApi, object_path};
use super::{assert_declared, pass};
use crate::controller::backoff::Backoff;
use crate::controller::object_api::ObjectApi;
use uds_egress_testkit::fixtures::{desired, package, package_manifest};

fn app(generation: i64, ports: &[u16]) -> Value {
    package_manifest(
        "app",
        "sidecar",
        generation,
        &[("example.com", ports, "TLS")],
    )
}

#[tokio::test]
async fn creates_use_server_side_apply_without_force() {
    let fake = FakeApi::new();
    let api = ObjectApi::new(fake.client());
    let outcome = pass(&fake, &api, &[app(1, &[443])]).await;
    let objects = desired(&[package(
        "app",
        "sidecar",
        1,
        &[("example.com", &[443], "TLS")],
    )])
    .objects;
    assert_eq!(outcome.executed.created.len(), objects.len());

    let writes = fake.writes();
    assert_eq!(writes.len(), objects.len());
    for (write, object) in writes.iter().zip(&objects) {
        assert_eq!(write.method, "PATCH");
        assert_eq!(write.path, object_path(&object.manifest));
        assert_eq!(write.content_type, "application/apply-patch+yaml");
        assert!(
            write.query.contains("fieldManager=uds-egress"),
            "{}",
            write.query
        );
        assert!(
            !write.query.contains("force"),
            "a create is never forced: {}",
            write.query
        );
        assert_eq!(write.body.as_ref(), Some(&*object.manifest));
    }
    // Each create was preceded by a look for a foreign object of that name.
    let gets = fake.requests().iter().filter(|r| r.method == "GET").count();
    assert_eq!(gets, objects.len());
    assert_declared(&fake);
}

#[tokio::test]
async fn updates_are_forced_applies_in_place_and_converged_means_no_request() {
    let fake = FakeApi::new();
    let api = ObjectApi::new(fake.client());
    pass(&fake, &api, &[app(1, &[443])]).await;
    fake.clear_requests();

    let outcome = pass(&fake, &api, &[app(2, &[443, 8443])]).await;
    let writes = fake.writes();
    let methods: Vec<(&str, bool)> = writes
        .iter()
        .map(|w| (w.method.as_str(), w.query.contains("force=true")))
        .collect();
    // 1 create (the local ServiceEntry's name holds its ports), 5 updates, 1 delete; the
    // Sidecar is updated, never deleted.
    assert_eq!(outcome.executed.created.len(), 1);
    assert_eq!(outcome.executed.updated.len(), 5);
    assert_eq!(outcome.executed.deleted.len(), 1);
    assert_eq!(
        methods.iter().filter(|m| **m == ("PATCH", false)).count(),
        1
    );
    assert_eq!(methods.iter().filter(|m| **m == ("PATCH", true)).count(), 5);
    assert_eq!(methods.iter().filter(|m| m.0 == "DELETE").count(), 1);
    assert!(
        writes
            .iter()
            .all(|w| !(w.method == "DELETE" && w.path.contains("/sidecars/")))
    );

    fake.clear_requests();
    let outcome = pass(&fake, &api, &[app(2, &[443, 8443])]).await;
    assert!(
        fake.requests().is_empty(),
        "converged: {:?}",
        fake.requests()
    );
    assert!(outcome.plan.is_empty());
    assert_declared(&fake);
}

#[tokio::test]
async fn deletes_only_labelled_objects_with_preconditions() {
    let fake = FakeApi::new();
    let api = ObjectApi::new(fake.client());
    pass(&fake, &api, &[app(1, &[443])]).await;
    let unlabelled = json!({"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
        "metadata": {"name": "hand-made", "namespace": "app"}, "spec": {"hosts": ["x.com"]}});
    fake.insert(unlabelled.clone());
    fake.clear_requests();

    // No Packages any more: everything we own goes, the hand-made object stays.
    let mut live = fake.owned_objects();
    live.push(unlabelled.clone());
    let input = crate::controller::pass::PassInput {
        packages: &[],
        live,
        scopes: &[None],
        config: &uds_egress_testkit::fixtures::config(),
        dry_run: false,
    };
    let outcome = crate::controller::pass::run_pass(
        &api,
        input,
        crate::controller::backoff::Backoff::WRITE,
        &|| false,
    )
    .await;
    assert_eq!(outcome.executed.deleted.len(), 6);
    let writes = fake.writes();
    assert!(writes.iter().all(|w| w.method == "DELETE"));
    assert_eq!(writes.len(), 6);
    for write in &writes {
        let body = write.body.clone().unwrap_or_default();
        assert!(body.pointer("/preconditions/uid").is_some(), "{body}");
        assert!(
            body.pointer("/preconditions/resourceVersion").is_some(),
            "{body}"
        );
    }
    assert!(fake.object(&object_path(&unlabelled)).is_some());
    assert!(fake.owned_objects().is_empty());
    assert_declared(&fake);
}

#[tokio::test]
async fn a_foreign_object_with_an_owned_name_is_never_written() {
    let fake = FakeApi::new();
    let api = ObjectApi::new(fake.client());
    let foreign = json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
        "metadata": {"name": "gateway-example-com", "namespace": "istio-egress-gateway"},
        "spec": {"selector": {"app": "mine"}}});
    fake.insert(foreign.clone());
    let outcome = pass(&fake, &api, &[app(1, &[443])]).await;

    assert_eq!(outcome.conflicts.len(), 1);
    let conflict = &outcome.conflicts[0];
    assert_eq!(conflict.hosts, vec!["example.com".to_string()]);
    assert_eq!(
        conflict.foreign.name.as_deref(),
        Some("gateway-example-com")
    );
    assert_eq!(conflict.packages.len(), 1);
    assert_eq!(conflict.packages[0].name.as_deref(), Some("app"));
    // Only the NetworkPolicy and the Sidecar are written; nothing of example.com.
    let written: Vec<String> = fake.writes().iter().map(|w| w.path.clone()).collect();
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(
        written
            .iter()
            .all(|p| p.contains("/networkpolicies/") || p.contains("/sidecars/"))
    );
    assert_eq!(
        fake.object(&object_path(&foreign)).unwrap()["spec"],
        foreign["spec"]
    );

    let notices = crate::controller::events::notices(&outcome);
    let reasons: Vec<&str> = notices.iter().map(|n| n.reason).collect();
    assert_eq!(reasons, vec!["OwnedNameConflict", "EgressObjectConflict"]);
    assert!(
        notices[1].note.contains("host example.com skipped"),
        "{}",
        notices[1].note
    );
}

/// The requests on paths containing `part`, as `METHOD` lines in the order received.
fn methods_on(fake: &FakeApi, part: &str) -> Vec<String> {
    fake.requests()
        .iter()
        .filter(|r| r.path.contains(part))
        .map(|r| r.method.clone())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_500_is_retried() {
    let fake = FakeApi::new();
    let api = ObjectApi::new(fake.client());
    fake.fail_next_at("PATCH", "/sidecars/", 500, 2);
    let outcome = pass(&fake, &api, &[app(1, &[443])]).await;
    assert!(
        outcome.executed.failed.is_empty(),
        "{:?}",
        outcome.executed.failed
    );
    assert_eq!(outcome.executed.created.len(), 6);
    assert_eq!(fake.writes().len(), 8);
    // The Sidecar failed twice and was retried, not skipped.
    assert_eq!(
        methods_on(&fake, "/sidecars/"),
        ["GET", "PATCH", "PATCH", "PATCH"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_409_is_looked_into_and_retried() {
    let fake = FakeApi::new();
    let api = ObjectApi::new(fake.client());
    // The Sidecar's create conflicts once (someone raced us), the re-read finds nothing foreign.
    fake.fail_next_at("PATCH", "/sidecars/", 409, 1);
    let outcome = pass(&fake, &api, &[app(1, &[443])]).await;
    assert!(outcome.executed.failed.is_empty());
    assert_eq!(outcome.executed.created.len(), 6);
    // The probe GET before creating, then PATCH (409), GET (re-read), PATCH.
    assert_eq!(
        methods_on(&fake, "/sidecars/"),
        ["GET", "PATCH", "GET", "PATCH"]
    );

    // A delete whose object changed meanwhile (409 on the preconditions) is re-read and retried.
    fake.clear_requests();
    fake.fail_next_at("DELETE", "/sidecars/", 409, 1);
    let outcome = pass(&fake, &api, &[]).await;
    assert!(
        outcome.executed.failed.is_empty(),
        "{:?}",
        outcome.executed.failed
    );
    assert_eq!(outcome.executed.deleted.len(), 6);
    assert!(fake.owned_objects().is_empty());
    assert_eq!(methods_on(&fake, "/sidecars/"), ["DELETE", "GET", "DELETE"]);
}

#[tokio::test(start_paused = true)]
async fn a_persistent_failure_gives_up_and_the_pass_goes_on() {
    let fake = FakeApi::new();
    let api = ObjectApi::new(fake.client());
    fake.fail_next_at("PATCH", "/sidecars/", 503, 5);
    fake.fail_next_at("PATCH", "/networkpolicies/", 422, 1);
    let outcome = pass(&fake, &api, &[app(1, &[443])]).await;
    // The Sidecar failed after 5 attempts, the NetworkPolicy at once (422 is final), the rest
    // went.
    let failed: Vec<String> = outcome
        .executed
        .failed
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed.iter().any(|id| id.contains("Sidecar")), "{failed:?}");
    assert!(
        failed.iter().any(|id| id.contains("NetworkPolicy")),
        "{failed:?}"
    );
    assert_eq!(outcome.executed.created.len(), 4);
    assert_eq!(fake.writes().len(), 5 + 1 + 4);
    assert!(outcome.executed.failed[0].1.contains("injected failure"));
}

#[tokio::test(start_paused = true)]
async fn the_writes_of_a_phase_are_in_flight_together() {
    let fake = FakeApi::new();
    let api = ObjectApi::new(fake.client());
    // Every create is held up by retries; one at a time, the pass would take each in turn.
    fake.fail_next("PATCH", 503, 6);
    let started = tokio::time::Instant::now();
    let outcome = pass(&fake, &api, &[app(1, &[443])]).await;
    assert_eq!(outcome.executed.created.len(), 6);
    // Six objects each waited one backoff delay; in flight together, the pass waited about one.
    let one_delay = Backoff::WRITE.delay(0);
    assert!(
        started.elapsed() < one_delay * 2,
        "{:?} for 6 retried writes",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_failed_write_is_an_event_on_the_package_it_belongs_to() {
    let fake = FakeApi::new();
    let api = ObjectApi::new(fake.client());
    // 403 is final: each of the 6 objects (3 of the Package's own, 3 shared) fails once.
    fake.fail_next("PATCH", 403, 6);
    let outcome = pass(&fake, &api, &[app(1, &[443])]).await;
    assert_eq!(outcome.executed.failed.len(), 6);
    let notices = crate::controller::events::notices(&outcome);
    assert_eq!(notices.len(), 6);
    for notice in &notices {
        assert_eq!(notice.reason, "WriteFailed");
        assert_eq!(notice.regarding.kind.as_deref(), Some("Package"));
        assert_eq!(notice.regarding.name.as_deref(), Some("app"));
        assert!(notice.note.contains("injected failure"), "{}", notice.note);
    }
    assert!(
        notices
            .iter()
            .any(|n| n.note.contains("istio-egress-gateway/"))
    );

    // A delete of an object no Package wants any more: the Event is on the object.
    assert!(
        pass(&fake, &api, &[app(1, &[443])])
            .await
            .failures
            .is_empty()
    );
    fake.fail_next("DELETE", 403, 6);
    let outcome = pass(&fake, &api, &[]).await;
    let notices = crate::controller::events::notices(&outcome);
    assert!(!notices.is_empty());
    assert!(notices.iter().all(|n| n.reason == "WriteFailed"
        && n.regarding.kind.as_deref() != Some("Package")
        && n.note.contains(n.regarding.name.as_deref().unwrap_or("?"))));
}

#[tokio::test(start_paused = true)]
async fn odd_response_shapes_are_errors_not_panics() {
    let fake = FakeApi::new();
    let api = ObjectApi::new(fake.client());
    fake.answer_next("GET", 200, "not json at all");
    fake.answer_next("GET", 200, "[1, 2, 3]");
    fake.answer_next("PATCH", 200, "{\"kind\": 7}");
    fake.answer_next("PATCH", 500, "<html>proxy error</html>");
    fake.answer_next("PATCH", 404, "");
    fake.answer_next("PATCH", 200, "null");
    let outcome = pass(&fake, &api, &[app(1, &[443])]).await;
    let executed = &outcome.executed;
    assert_eq!(executed.created.len() + executed.failed.len(), 6);
    assert!(!executed.failed.is_empty());

    let before = fake.owned_objects().len();
    assert!(before > 0);
    fake.answer_next("DELETE", 200, "\u{0}\u{1}");
    fake.answer_next("DELETE", 409, "{}");
    fake.answer_next("GET", 200, "{\"metadata\": []}");
    let outcome = pass(&fake, &api, &[]).await;
    let executed = &outcome.executed;
    // Every step ended one way or another.
    assert_eq!(
        executed.deleted.len() + executed.failed.len() + executed.foreign.len(),
        before
    );
}

/// Package `app` with twelve hosts on 443: more creates of each kind than are checked by GET.
fn twelve_hosts() -> Value {
    let hosts: Vec<String> = (1..=12).map(|i| format!("h{i}.example.com")).collect();
    let rules: Vec<(&str, &[u16], &str)> = hosts
        .iter()
        .map(|h| (h.as_str(), &[443u16][..], "TLS"))
        .collect();
    package_manifest("app", "sidecar", 1, &rules)
}

fn foreign_gateway(name: &str) -> Value {
    json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
        "metadata": {"name": name, "namespace": "istio-egress-gateway"},
        "spec": {"selector": {"app": "mine"}}})
}

/// The names of the foreign objects a pass found in its way.
fn blocked(outcome: &crate::controller::pass::PassOutcome) -> Vec<&str> {
    outcome
        .conflicts
        .iter()
        .filter_map(|c| c.foreign.name.as_deref())
        .collect()
}

/// The GETs of single Gateways (not lists) the fake received.
fn gateway_reads(fake: &FakeApi) -> Vec<String> {
    fake.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/gateways/"))
        .map(|r| r.path.clone())
        .collect()
}

#[tokio::test]
async fn many_creates_of_a_kind_are_checked_by_one_list_of_unlabelled_objects() {
    let fake = FakeApi::new();
    let api = ObjectApi::new(fake.client());
    fake.insert(foreign_gateway("gateway-h3-example-com"));
    fake.insert(foreign_gateway("someone-elses-gateway"));
    let outcome = pass(&fake, &api, &[twelve_hosts()]).await;

    let lists: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/gateways"))
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(lists.len(), 1, "{lists:?}");
    assert!(
        lists[0].contains("%21%3D") || lists[0].contains("!="),
        "{lists:?}"
    );
    // Only the name the list showed taken is read in full.
    assert_eq!(
        gateway_reads(&fake),
        vec![
            "/apis/networking.istio.io/v1/namespaces/istio-egress-gateway/gateways/gateway-h3-example-com"
        ]
    );
    assert_eq!(blocked(&outcome), vec!["gateway-h3-example-com"]);
    assert_eq!(outcome.executed.failed, vec![]);
}

#[tokio::test]
async fn a_failed_list_falls_back_to_one_check_per_name() {
    let fake = FakeApi::new();
    let api = ObjectApi::new(fake.client());
    fake.insert(foreign_gateway("gateway-h3-example-com"));
    // The list of Gateways is the first request on a Gateway path.
    fake.fail_next_at("GET", "/gateways", 500, 1);
    let outcome = pass(&fake, &api, &[twelve_hosts()]).await;

    assert_eq!(gateway_reads(&fake).len(), 12);
    assert_eq!(blocked(&outcome), vec!["gateway-h3-example-com"]);
}
