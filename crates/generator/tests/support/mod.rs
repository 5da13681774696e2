//! Helpers shared by the generator's integration tests: run the real binary, read its YAML.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `uds-egress` with `args`, feeding `stdin` when given.
pub fn run(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_uds-egress"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the uds-egress binary starts");
    {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes())
                .expect("stdin accepts input");
        }
    }
    let out = child.wait_with_output().expect("uds-egress finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The documents of a multi-document YAML text.
pub fn documents(text: &str) -> Vec<Value> {
    text.split("\n---")
        .flat_map(|chunk| chunk.strip_prefix("---").unwrap_or(chunk).split("---\n"))
        .filter(|chunk| !chunk.trim().is_empty())
        .map(|chunk| serde_yaml_ng::from_str::<Value>(chunk).expect("valid YAML document"))
        .filter(|v| !v.is_null())
        .collect()
}

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn repo_dir() -> PathBuf {
    crate_dir().join("../..")
}

/// The bundled example Packages (`examples/*.yaml`), sorted by name.
pub fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_dir().join("examples"))
        .expect("examples/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

pub fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// `namespace/kind/name` of a manifest.
pub fn key(object: &Value) -> String {
    format!(
        "{}/{}/{}",
        object["metadata"]["namespace"].as_str().unwrap_or(""),
        object["kind"].as_str().unwrap_or(""),
        object["metadata"]["name"].as_str().unwrap_or("")
    )
}
