//! The example Packages of `examples/`, read once: starting points of generated Packages and the
//! other Packages of the fuzzed cluster.

use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

/// Every Package document of `examples/*.yaml`, in file-name order. Empty when the directory
/// cannot be read (the targets then generate from scratch).
pub fn examples() -> &'static [Value] {
    static EXAMPLES: OnceLock<Vec<Value>> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        files.sort();
        files
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .flat_map(|text| yaml_documents(&text))
            .filter(|doc| doc.get("kind").and_then(Value::as_str) == Some("Package"))
            .collect()
    })
}

/// Example `i` (modulo their number).
pub fn example(i: u8) -> Option<Value> {
    let all = examples();
    all.get(usize::from(i) % all.len().max(1)).cloned()
}

/// The documents of a multi-document YAML text, as JSON values; unreadable ones are skipped.
pub fn yaml_documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .filter_map(|doc| Value::deserialize(doc).ok())
        .filter(|doc| !doc.is_null())
        .collect()
}
