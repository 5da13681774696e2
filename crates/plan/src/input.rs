//! Parsing the text of a source (a file or stdin, read by the binary) into Kubernetes objects:
//! multi-document YAML (JSON is accepted too), with errors that name the source and, for YAML
//! syntax, the line.

use std::fmt;

use serde_json::Value;
use uds_egress_core::Package;
use uds_egress_core::json_type::json_type;
use uds_egress_core::parse::package_from_value;

use crate::timestamps::timestamp_violation;

/// Where a document came from: file name (`-` for stdin), document number and first line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub source: String,
    /// 1-based position of the document in its source.
    pub document: usize,
    /// 1-based line where the document starts.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: document {} (line {})",
            self.source, self.document, self.line
        )
    }
}

/// A source that could not be read or parsed at all.
#[derive(Debug)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// One object read from a source. `List`-kind documents are expanded into their items.
#[derive(Clone, Debug)]
pub struct Document {
    pub origin: Origin,
    pub value: Value,
}

/// The objects of one source's text; a text without objects is an error.
pub fn parse_documents(source: &str, text: &str) -> Result<Vec<Document>, InputError> {
    collect_documents(source, text, Emptiness::Refused)
}

/// As [`parse_documents`], but a text without objects (`/dev/null`) is no error: it stands for
/// "no Package", before one is added or after one is deleted.
pub fn parse_documents_allowing_empty(
    source: &str,
    text: &str,
) -> Result<Vec<Document>, InputError> {
    collect_documents(source, text, Emptiness::Allowed)
}

fn collect_documents(
    source: &str,
    text: &str,
    emptiness: Emptiness,
) -> Result<Vec<Document>, InputError> {
    let mut documents = Vec::new();
    each_document(source, text, emptiness, &mut |d| documents.push(d))?;
    Ok(documents)
}

/// The Packages of one source's text (other kinds go to `skipped`), each made as soon as its
/// document is read: holding every document's JSON tree first cost more than the Packages do.
pub fn package_inputs(
    source: &str,
    text: &str,
    skipped: &mut Vec<String>,
) -> Result<Vec<PackageInput>, InputError> {
    let mut inputs = Vec::new();
    each_document(
        source,
        text,
        Emptiness::Refused,
        &mut |document| match package_input(document) {
            Ok(input) => inputs.push(input),
            Err(note) => skipped.push(note),
        },
    )?;
    Ok(inputs)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Emptiness {
    Refused,
    Allowed,
}

/// One document's value. A document that is a JSON object (`kubectl get -o json`, often one
/// `List` of every Package) is read by serde_json: the YAML parser keeps every event of a
/// document until its end, which made a 17 MB List cost 200 MB before any object existed. JSON
/// is YAML, so the value is the same (but for a repeated key: the last one wins, as in the API
/// server's JSON decoding, where YAML refuses it); a document serde_json refuses is read as
/// YAML, whose errors carry the line.
fn parse_document(source: &str, start_line: usize, chunk: &str) -> Result<Value, InputError> {
    if chunk.trim_start().starts_with('{')
        && let Ok(value) = serde_json::from_str::<Value>(chunk)
    {
        return Ok(value);
    }
    serde_yaml_ng::from_str(chunk).map_err(|e| {
        let line = e
            .location()
            .map(|l| l.line() + start_line - 1)
            .unwrap_or(start_line);
        InputError(format!(
            "{source}: line {line}: {}",
            strip_location(&e.to_string())
        ))
    })
}

/// Splits a text into YAML documents at `---` lines, parses each and hands its objects to `each`
/// in order. A `---` at the start of a line always ends a document in YAML, so splitting there
/// keeps line numbers exact.
fn each_document(
    source: &str,
    text: &str,
    emptiness: Emptiness,
    each: &mut dyn FnMut(Document),
) -> Result<(), InputError> {
    let mut count = 0;
    let mut objects = 0;
    for (start_line, chunk) in split_documents(text) {
        if chunk.trim().is_empty() {
            continue;
        }
        count += 1;
        let origin = Origin {
            source: source.to_string(),
            document: count,
            line: start_line,
        };
        let value = parse_document(source, start_line, chunk)?;
        match value {
            Value::Null => {}
            Value::Object(_) => {
                objects += 1;
                expand_list(origin, value).into_iter().for_each(&mut *each);
            }
            _ => {
                return Err(InputError(format!(
                    "{origin}: expected a Kubernetes object (a mapping), found {}",
                    json_type(&value)
                )));
            }
        }
    }
    // An empty `List` (kubectl's answer on a fresh cluster) is fine; a text with no object is not.
    if objects == 0 && emptiness == Emptiness::Refused {
        return Err(InputError(format!(
            "{source}: contains no objects (empty input)"
        )));
    }
    Ok(())
}

/// (first line, text) of each document; the `---` line itself belongs to no document.
fn split_documents(text: &str) -> Vec<(usize, &str)> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut start_line = 1;
    let mut offset = 0;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let is_marker =
            line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace);
        if is_marker {
            parts.push((start_line, &text[start..offset]));
            start = offset + line.len();
            start_line = number + 2;
        }
        offset += line.len();
    }
    parts.push((start_line, &text[start..]));
    parts
}

/// serde_yaml_ng appends "at line L column C" for the chunk; we report our own line instead.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

fn expand_list(origin: Origin, value: Value) -> Vec<Document> {
    let is_list = value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && value.get("items").is_some_and(Value::is_array);
    if !is_list {
        return vec![Document { origin, value }];
    }
    match value {
        Value::Object(mut map) => match map.remove("items") {
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| Document {
                    origin: origin.clone(),
                    value: item,
                })
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// A document that is a `uds.dev` Package.
pub fn is_package(value: &Value) -> bool {
    let api_version = value.get("apiVersion").and_then(Value::as_str);
    let kind = value.get("kind").and_then(Value::as_str);
    kind == Some(uds_egress_core::model::KIND)
        && api_version.is_some_and(|v| v.starts_with("uds.dev/"))
}

/// `<kind> <namespace>/<name>` of any object, for notes.
pub fn describe(value: &Value) -> String {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("?").to_string();
    let meta = value.get("metadata");
    format!(
        "{} {} {}/{}",
        text(value.get("apiVersion")),
        text(value.get("kind")),
        text(meta.and_then(|m| m.get("namespace"))),
        text(meta.and_then(|m| m.get("name"))),
    )
}

/// A Package read from a source, or why it could not be read.
pub struct PackageInput {
    pub origin: Origin,
    pub package: Result<Package, uds_egress_core::Violation>,
    /// `namespace/name` as written, for messages about Packages that do not parse.
    pub label: String,
}

/// Picks the Packages out of the documents (other kinds go to `skipped`).
pub fn packages(documents: Vec<Document>, skipped: &mut Vec<String>) -> Vec<PackageInput> {
    let mut out = Vec::new();
    for document in documents {
        match package_input(document) {
            Ok(input) => out.push(input),
            Err(note) => skipped.push(note),
        }
    }
    out
}

/// The Package a document holds, or the note that skips it (not a `uds.dev` Package).
fn package_input(document: Document) -> Result<PackageInput, String> {
    if !is_package(&document.value) {
        return Err(format!(
            "{}: skipping {} (not a uds.dev Package)",
            document.origin,
            describe(&document.value)
        ));
    }
    let meta = document.value.get("metadata");
    let field = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    Ok(PackageInput {
        label: format!("{}/{}", field("namespace"), field("name")),
        package: package_from_value(&document.value).and_then(|package| match timestamp_violation(
            &package,
        ) {
            Some(violation) => Err(violation),
            None => Ok(package),
        }),
        origin: document.origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_documents_with_exact_lines() {
        let text = "a: 1\n---\nb: 2\n--- \nc: 3\n---\n";
        let docs = parse_documents("f.yaml", text).unwrap();
        let lines: Vec<usize> = docs.iter().map(|d| d.origin.line).collect();
        assert_eq!(lines, vec![1, 3, 5]);
        assert_eq!(docs[2].value["c"], 3);
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let text = "a: 1\n---\nb: [1, 2\nc: 3\n";
        let err = parse_documents("bad.yaml", text).unwrap_err().to_string();
        assert!(err.starts_with("bad.yaml: line "), "{err}");
        let line: usize = err["bad.yaml: line ".len()..]
            .split(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(line >= 3, "{err}");
    }

    #[test]
    fn empty_input_is_an_error() {
        let err = parse_documents("empty.yaml", "").unwrap_err().to_string();
        assert_eq!(err, "empty.yaml: contains no objects (empty input)");
        assert!(parse_documents("c.yaml", "# only a comment\n---\n").is_err());
    }

    #[test]
    fn scalars_are_refused_and_lists_expanded() {
        let err = parse_documents("s.yaml", "just text\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected a Kubernetes object"), "{err}");
        let list =
            r#"{"apiVersion": "v1", "kind": "List", "items": [{"kind": "A"}, {"kind": "B"}]}"#;
        let docs = parse_documents("l.json", list).unwrap();
        assert_eq!(docs.len(), 2);
        let empty = r#"{"apiVersion": "v1", "kind": "List", "items": []}"#;
        assert!(parse_documents("e.json", empty).unwrap().is_empty());
    }

    #[test]
    fn json_documents_read_as_their_yaml_reading() {
        let json = r#"{"apiVersion": "v1", "kind": "List", "items": [
            {"kind": "Package", "metadata": {"name": "a", "labels": {"x": "1"}},
             "spec": {"n": 1.5, "m": -3, "t": true, "z": null, "s": "a: b", "l": []}}]}"#;
        let yaml: Value = serde_yaml_ng::from_str(json).unwrap();
        let docs = parse_documents("l.json", json).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].value, yaml["items"][0]);
        // JSON that serde_json refuses is YAML's to read, and its error names the line.
        let err = parse_documents("bad.json", "{\n\"a\": [1,\n}\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("bad.json: line "), "{err}");
    }

    #[test]
    fn packages_read_document_by_document_match_those_picked_from_documents() {
        let text = "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: a, namespace: x}\n\
            ---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\n\
            ---\napiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: b, namespace: y}\n\
            spec: {network: {allow: 3}}\n";
        let mut streamed_notes = Vec::new();
        let streamed = package_inputs("p.yaml", text, &mut streamed_notes).unwrap();
        let mut picked_notes = Vec::new();
        let picked = packages(parse_documents("p.yaml", text).unwrap(), &mut picked_notes);
        let summary = |inputs: &[PackageInput]| -> Vec<String> {
            inputs
                .iter()
                .map(|i| format!("{} {} {:?}", i.label, i.origin, i.package.as_ref().err()))
                .collect()
        };
        assert_eq!(summary(&streamed), summary(&picked));
        assert_eq!(streamed.len(), 2);
        assert!(streamed[1].package.is_err(), "allow: 3 is no list");
        assert_eq!(streamed_notes, picked_notes);
        assert_eq!(
            streamed_notes,
            ["p.yaml: document 2 (line 5): skipping v1 ConfigMap x/c (not a uds.dev Package)"]
        );
    }

    #[test]
    fn markers_inside_text_do_not_split() {
        let text = "a: \"x --- y\"\nb: ---not-a-marker\n";
        assert_eq!(parse_documents("m.yaml", text).unwrap().len(), 1);
    }
}
