//! `uds-egress reach` end to end: the real binary on the examples and on small files.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use support::{example_files, path_str, run};

fn examples() -> Vec<String> {
    example_files().iter().map(|p| path_str(p)).collect()
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("uds-egress-reach-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn reach(args: &[String]) -> support::Run {
    let mut all = vec!["reach".to_string()];
    all.extend(args.iter().cloned());
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    run(&refs, None)
}

/// `(workload, target, via)` of every reached pair in a `--output json` reach.
fn pairs(json: &str) -> BTreeSet<(String, String, String)> {
    let value: Value = serde_json::from_str(json).unwrap();
    let mut out = BTreeSet::new();
    for w in value["workloads"].as_array().unwrap() {
        let workload = w["workload"].to_string();
        for r in w["reaches"].as_array().unwrap() {
            out.insert((
                workload.clone(),
                format!(
                    "{}:{}/{}",
                    r["host"].as_str().unwrap(),
                    r["port"],
                    r["protocol"].as_str().unwrap()
                ),
                r["via"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

#[test]
fn the_examples_print_a_table_with_cross_package_lines() {
    let out = reach(&examples());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].contains("WORKLOAD") && lines[0].contains("REASON"),
        "{}",
        out.stdout
    );
    assert!(
        lines.iter().any(|l| l.starts_with('!')
            && l.contains("ci/github-runner app=runner")
            && l.contains("fonts.gstatic.com:443/TLS")
            && l.contains("gateway routes by host of docs/docs, frontend/frontend")),
        "{}",
        out.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("payments/payments app=checkout sa=checkout")
                && l.contains("api.stripe.com:443/TLS")
                && l.contains("own rule allow[0] \"stripe api\"")),
        "{}",
        out.stdout
    );
    assert!(
        lines.iter().any(|l| l.starts_with('!')
            && l.contains("monitoring/observability app=blackbox-exporter sa=blackbox-exporter")
            && l.contains("api.stripe.com:443/TLS")
            && l.contains("Anywhere allow[0] \"synthetic probes\", host of payments/payments")),
        "{}",
        out.stdout
    );
}

#[test]
fn output_does_not_depend_on_input_order() {
    let mut files = examples();
    let forward = reach(&files);
    files.reverse();
    let backward = reach(&files);
    assert_eq!(forward.stdout, backward.stdout);
    let mut json = vec!["--output".to_string(), "json".to_string()];
    json.extend(files.iter().cloned());
    let a = reach(&json);
    json[2..].reverse();
    assert_eq!(a.stdout, reach(&json).stdout);
}

#[test]
fn host_keeps_only_that_host() {
    let mut args = vec![
        "--host".to_string(),
        "API.Stripe.com".to_string(),
        "--output".into(),
        "json".into(),
    ];
    args.extend(examples());
    let out = reach(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let found = pairs(&out.stdout);
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|(_, target, _)| target.starts_with("api.stripe.com:")),
        "{found:?}"
    );
}

#[test]
fn diff_lists_exactly_the_pairs_that_changed() {
    let dir = scratch("diff");
    let old = path_str(&repo_dir_file("examples/05-frontend.yaml"));
    let new = dir.join("frontend.yaml");
    // frontend now also fetches fonts over plain HTTP on 80 and reaches a new host on 443.
    std::fs::write(
        &new,
        std::fs::read_to_string(&old).unwrap()
            + "      - direction: Egress\n        description: fonts http\n        selector:\n          app: web\n        \
               remoteHost: fonts.gstatic.com\n        remoteProtocol: HTTP\n        port: 80\n",
    )
    .unwrap();
    let new = path_str(&new);
    let mut args = examples();
    args.extend([
        "--output".into(),
        "json".into(),
        "--diff".into(),
        old.clone(),
        new.clone(),
    ]);
    let out = reach(&args);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let diff: Value = serde_json::from_str(&out.stdout).unwrap();
    let listed = |side: &str| -> BTreeSet<(String, String, String)> {
        diff[side]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let p = &c["pair"];
                (
                    p["workload"].to_string(),
                    format!(
                        "{}:{}/{}",
                        p["host"].as_str().unwrap(),
                        p["port"],
                        p["protocol"].as_str().unwrap()
                    ),
                    p["via"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };

    // The same two sets, analysed separately.
    let mut before_args = vec!["--output".to_string(), "json".to_string()];
    before_args.extend(examples());
    let before = pairs(&reach(&before_args).stdout);
    let mut after_args = before_args.clone();
    after_args.retain(|a| !a.ends_with("05-frontend.yaml"));
    after_args.push(new.clone());
    let after = pairs(&reach(&after_args).stdout);
    let opened: BTreeSet<_> = after.difference(&before).cloned().collect();
    let closed: BTreeSet<_> = before.difference(&after).cloned().collect();
    assert!(!opened.is_empty());
    assert_eq!(listed("opened"), opened);
    assert_eq!(listed("closed"), closed);

    // No change, no lines, exit 0.
    let mut same = examples();
    same.extend(["--diff".into(), old.clone(), old]);
    let out = reach(&same);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "0 opened, 0 closed, 0 re-explained\n");
}

#[test]
fn diff_with_an_empty_old_file_adds_a_package() {
    let dir = scratch("added");
    let empty = dir.join("none.yaml");
    std::fs::write(&empty, "").unwrap();
    let files: Vec<String> = examples()
        .into_iter()
        .filter(|f| !f.ends_with("05-frontend.yaml"))
        .collect();
    let mut args = files.clone();
    args.extend([
        "--diff".into(),
        path_str(&empty),
        path_str(&repo_dir_file("examples/05-frontend.yaml")),
    ]);
    let out = reach(&args);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with('+') && l.contains("frontend/frontend app=web")),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.lines().any(|l| l.starts_with('-')),
        "{}",
        out.stdout
    );
}

#[test]
fn live_objects_are_analysed_and_bad_ones_named() {
    let dir = scratch("live");
    let rendered = run(
        &[
            "render",
            &path_str(&repo_dir_file("examples/02-payments.yaml")),
        ],
        None,
    );
    assert_eq!(rendered.code, 0);
    let live = dir.join("live.yaml");
    std::fs::write(&live, &rendered.stdout).unwrap();
    let package = path_str(&repo_dir_file("examples/02-payments.yaml"));
    let out = reach(&["--live".into(), path_str(&live), package.clone()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("api.stripe.com:443/TLS"),
        "{}",
        out.stdout
    );

    let broken = rendered.stdout.replace("number: 443", "number: \"443\"");
    assert_ne!(broken, rendered.stdout);
    std::fs::write(&live, broken).unwrap();
    let out = reach(&["--live".into(), path_str(&live), package]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("live.yaml: document") && out.stderr.contains("ServiceEntry istio-egress-ambient/ambient-se-api-stripe-com: spec.ports[0].number: expected a port number, found a string"),
        "{}",
        out.stderr
    );
}

#[test]
fn invalid_packages_refuse_the_analysis_unless_skipped() {
    let text = "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: a, namespace: a}\nspec:\n  network:\n    serviceMesh: {mode: sidecar}\n    allow:\n      - {direction: Egress, remoteHost: a.com, port: 8443}\n";
    let out = run(&["reach", "-"], Some(text));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("a/a: spec.network.allow[0].port"),
        "{}",
        out.stderr
    );
    let out = run(&["reach", "--skip-invalid", "-"], Some(text));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("skipped: a/a"), "{}", out.stderr);
}

fn repo_dir_file(relative: &str) -> PathBuf {
    support::repo_dir().join(relative)
}
