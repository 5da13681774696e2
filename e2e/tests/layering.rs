//! The crate layers of docs/architecture.md, checked on the dependency graph Cargo resolves from
//! Cargo.lock (`cargo tree`): the core keeps no I/O dependency, and the policy's wasm module
//! links no controller code. A new dependency that breaks a layer fails here, in CI, instead of
//! showing up as a bigger module or a tokio in the admission path.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

/// What the core may depend on directly (normal dependencies): serialisation and ordering only.
const CORE_ALLOWED: &[&str] = &["indexmap", "jiff", "serde", "serde_json"];

/// Crates that do I/O or run the controller: none of them may be in the core's tree, nor in the
/// policy module's. A name ending in `-` stands for every crate that starts with it.
const CONTROLLER_CRATES: &[&str] = &[
    "uds-egress-plan",
    "uds-egress-generator",
    "uds-egress-testkit",
    "uds-egress-wapc-test-host",
    "kube",
    "kube-",
    "k8s-openapi-derive",
    "tokio",
    "tokio-",
    "mio",
    "hyper",
    "hyper-",
    "reqwest",
    "rustls",
    "socket2",
    "tower",
    "wasmtime",
    "wasmtime-",
];

/// The workspace's Cargo.toml, read at run time: a test binary cached in a shared target
/// directory may have been compiled in a checkout at another path.
fn workspace_manifest() -> PathBuf {
    let crate_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR");
    PathBuf::from(crate_dir).join("../Cargo.toml")
}

/// The names of the packages in `package`'s normal-dependency tree (itself included), for
/// `target` (None: the host), down to `depth` levels (None: all).
fn dependency_names(package: &str, target: Option<&str>, depth: Option<u32>) -> BTreeSet<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "tree", "--locked", "-e", "normal", "--prefix", "none", "--format", "{p}", "-p",
        ])
        .arg(package)
        .arg("--manifest-path")
        .arg(workspace_manifest());
    if let Some(target) = target {
        command.args(["--target", target]);
    }
    if let Some(depth) = depth {
        command.args(["--depth", &depth.to_string()]);
    }
    let output = command.output().expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let names: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect();
    assert!(
        names.contains(package),
        "cargo tree -p {package} did not list {package}: {names:?}"
    );
    names
}

/// The names among `names` that `forbidden` rules out.
fn forbidden_among(names: &BTreeSet<String>, forbidden: &[&str]) -> Vec<String> {
    names
        .iter()
        .filter(|name| {
            forbidden.iter().any(|f| match f.strip_suffix('-') {
                Some(prefix) => name.starts_with(&format!("{prefix}-")),
                None => name.as_str() == *f,
            })
        })
        .cloned()
        .collect()
}

#[test]
fn core_depends_only_on_its_allow_list() {
    let direct = dependency_names("uds-egress-core", None, Some(1));
    let unexpected: Vec<&String> = direct
        .iter()
        .filter(|name| name.as_str() != "uds-egress-core" && !CORE_ALLOWED.contains(&name.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "uds-egress-core is the pure core (docs/architecture.md): its dependencies are {CORE_ALLOWED:?}, \
         and {unexpected:?} are not among them"
    );
    let io = forbidden_among(
        &dependency_names("uds-egress-core", None, None),
        CONTROLLER_CRATES,
    );
    assert!(
        io.is_empty(),
        "the core's dependency tree has I/O or controller crates: {io:?}"
    );
}

#[test]
fn policy_module_links_no_controller_code() {
    let module = dependency_names("uds-egress-policy", Some("wasm32-wasip1"), None);
    assert!(
        module.contains("uds-egress-core"),
        "the policy is built on the core: {module:?}"
    );
    let controller = forbidden_among(&module, CONTROLLER_CRATES);
    assert!(
        controller.is_empty(),
        "the policy's wasm module would link controller or I/O crates: {controller:?}"
    );
}

/// The check can fail: the generator's tree, which must have kube and tokio, is caught by it.
#[test]
fn the_check_catches_the_generator() {
    let generator = dependency_names("uds-egress-generator", None, None);
    let caught = forbidden_among(&generator, CONTROLLER_CRATES);
    for expected in ["uds-egress-plan", "kube", "kube-runtime", "tokio"] {
        assert!(
            caught.iter().any(|c| c == expected),
            "{expected} not caught in {caught:?}"
        );
    }
    assert!(
        !caught.iter().any(|c| c == "serde"),
        "serde is not a controller crate"
    );
}
