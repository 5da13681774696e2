//! Bad input never panics: each case is a clear error that names the file and the field, exit
//! code 1, and nothing on stdout.

mod support;

use std::path::PathBuf;

use support::run;

/// A file for one test under the system's temp directory, removed when dropped: one of them
/// holds a 10 MB host, which would otherwise pile up run after run.
struct TempFile(PathBuf);

impl TempFile {
    fn arg(&self) -> String {
        self.0.to_string_lossy().into_owned()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // The (then empty) directory stays: removing it could race another test writing there.
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp_file(name: &str, content: &str) -> TempFile {
    let dir = std::env::temp_dir().join(format!("uds-egress-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, content).expect("temp file");
    TempFile(path)
}

fn package_with(allow: &str) -> String {
    format!(
        "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata:\n  name: app\n  namespace: app-ns\n\
         spec:\n  network:\n    serviceMesh:\n      mode: sidecar\n    allow:\n{allow}"
    )
}

/// Renders `content` as a file and checks the error mentions every one of `expected`.
fn refused(name: &str, content: &str, expected: &[&str]) -> String {
    let path = temp_file(name, content);
    let out = run(&["render", &path.arg()], None);
    assert_eq!(out.code, 1, "{name}: {}", out.stderr);
    assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
    assert!(!out.stderr.contains("panicked"), "{name}: {}", out.stderr);
    for needle in expected {
        assert!(
            out.stderr.contains(needle),
            "{name}: missing {needle:?} in:\n{}",
            out.stderr
        );
    }
    out.stderr
}

#[test]
fn empty_file() {
    refused("empty.yaml", "", &["empty.yaml", "no objects"]);
}

#[test]
fn yaml_syntax_error_names_the_line() {
    // The second document starts at line 3; its bad indentation is on its second line.
    let text = "kind: A\n---\napiVersion: v1\n  kind: B\n";
    refused("syntax.yaml", text, &["syntax.yaml: line 4"]);
}

#[test]
fn allow_as_a_string() {
    let text = "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: app, namespace: app-ns}\n\
                spec: {network: {allow: everything}}\n";
    refused(
        "allow.yaml",
        text,
        &[
            "allow.yaml",
            "app-ns/app",
            "spec.network.allow",
            "expected a sequence",
        ],
    );
}

#[test]
fn ports_of_the_wrong_kind() {
    for (case, port, hint) in [
        ("string", "\"443\"", "string"),
        ("fraction", "443.5", "not an integer"),
        ("negative", "-1", "out of range"),
        ("too-large", "70000", "out of range"),
        ("zero", "0", "out of range"),
    ] {
        let file = format!("port-{case}.yaml");
        let text = package_with(&format!(
            "      - {{direction: Egress, remoteHost: example.com, port: {port}}}\n"
        ));
        refused(&file, &text, &[&file, "spec.network.allow[0].port", hint]);
    }
    let text = package_with(
        "      - {direction: Egress, remoteHost: example.com, ports: [443, \"8443\"]}\n",
    );
    refused(
        "ports-string.yaml",
        &text,
        &["spec.network.allow[0].ports[1]"],
    );
}

#[test]
fn a_package_without_spec_renders_nothing() {
    let path = temp_file(
        "nospec.yaml",
        "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: a, namespace: b}\n",
    );
    let out = run(&["render", &path.arg()], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.is_empty());
}

#[test]
fn a_ten_megabyte_host() {
    let host = "a".repeat(10 * 1024 * 1024);
    let text = package_with(&format!(
        "      - {{direction: Egress, remoteHost: {host}}}\n"
    ));
    let stderr = refused(
        "huge-host.yaml",
        &text,
        &["spec.network.allow[0].remoteHost"],
    );
    assert!(
        stderr.len() < 4096,
        "the message stays short: {} bytes",
        stderr.len()
    );
}

#[test]
fn other_kinds_are_skipped_with_a_note() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: d}\n";
    let path = temp_file("configmap.yaml", text);
    let out = run(&["render", &path.arg()], None);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr.contains("note: ") && out.stderr.contains("ConfigMap"),
        "{}",
        out.stderr
    );
}

#[test]
fn skip_invalid_renders_the_rest() {
    let good = "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: good, namespace: good}\n\
                spec: {network: {allow: [{direction: Egress, remoteHost: example.com}]}}\n";
    let bad = "---\napiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: bad, namespace: bad}\n\
               spec: {network: {allow: [{direction: Egress, remoteHost: \"10.0.0.1\"}]}}\n";
    let path = temp_file("mixed.yaml", &format!("{good}{bad}"));
    let strict = run(&["render", &path.arg()], None);
    assert_eq!(strict.code, 1);
    assert!(
        strict
            .stderr
            .contains("bad/bad: spec.network.allow[0].remoteHost"),
        "{}",
        strict.stderr
    );
    let lenient = run(&["render", "--skip-invalid", &path.arg()], None);
    assert_eq!(lenient.code, 0);
    assert!(lenient.stdout.contains("ambient-se-example-com"));
    assert!(lenient.stderr.contains("bad/bad"));
}

#[test]
fn stdin_and_files_combine_in_order() {
    let text = "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: s, namespace: s}\n\
                spec: {network: {allow: [{direction: Egress, remoteHost: example.com}]}}\n";
    let out = run(&["render", "-"], Some(text));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("uds.dev/user-s-s: user"));
}

#[test]
fn a_namespace_that_is_no_namespace_name() {
    let text = "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: app, namespace: App_NS}\n\
                spec: {network: {allow: [{direction: Egress, selector: {app: web}, remoteHost: a.com, port: 443}]}}\n";
    refused(
        "namespace.yaml",
        text,
        &[
            "App_NS/app",
            "metadata.namespace",
            "is not a Namespace name",
        ],
    );
}

#[test]
fn a_creation_timestamp_that_is_no_time() {
    let text = "apiVersion: uds.dev/v1alpha1\nkind: Package\n\
                metadata: {name: app, namespace: app-ns, creationTimestamp: last tuesday}\n\
                spec: {network: {allow: []}}\n";
    refused(
        "timestamp.yaml",
        text,
        &[
            "app-ns/app",
            "metadata.creationTimestamp",
            "is not an RFC 3339 time",
        ],
    );
}
