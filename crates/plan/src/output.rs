//! Printing generated objects as multi-document YAML.
//!
//! A small emitter of our own rather than a YAML library's serialiser: the objects are plain JSON
//! trees, and writing them directly is several times faster (emitting was most of `render`'s
//! time at 10,000 Packages). Strings are written plain only when no YAML reader can take them for
//! anything else; all others are double-quoted, with every non-printable character escaped.

use std::borrow::Borrow;
use std::io::{self, Write};

use serde_json::Value;
use uds_egress_core::GeneratedObject;

/// Writes every object as its own `---` document, in the given order. Each document is built in
/// one reused buffer and written at once, so neither the whole text nor more than one object's
/// JSON form is ever held (at 10,000 Packages the text is 50 MB); `out` should be buffered.
pub fn write_yaml<O: Borrow<GeneratedObject>>(
    out: &mut impl Write,
    objects: impl IntoIterator<Item = O>,
) -> io::Result<()> {
    let mut document = String::new();
    for object in objects {
        object
            .borrow()
            .manifest
            .with_value(|value| write_one(out, &mut document, value))?;
    }
    Ok(())
}

/// As [`write_yaml`], for objects that are JSON values already (Packages, say, written as the
/// input of `render`).
pub fn write_values(out: &mut impl Write, values: &[Value]) -> io::Result<()> {
    let mut document = String::new();
    for value in values {
        write_one(out, &mut document, value)?;
    }
    Ok(())
}

/// One `---` document, built in `document` (cleared first) and written at once.
fn write_one(out: &mut impl Write, document: &mut String, value: &Value) -> io::Result<()> {
    document.clear();
    document.push_str("---\n");
    write_document(document, value);
    out.write_all(document.as_bytes())
}

fn write_document(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) if !map.is_empty() => write_block(out, value, 0),
        Value::Array(items) if !items.is_empty() => write_block(out, value, 0),
        _ => {
            write_scalar(out, value);
            out.push('\n');
        }
    }
}

/// A non-empty mapping or sequence, every line starting at `indent` spaces.
fn write_block(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                push_indent(out, indent);
                write_string(out, key);
                out.push(':');
                write_nested(out, item, indent + 2);
            }
        }
        Value::Array(items) => {
            for item in items {
                push_indent(out, indent);
                out.push('-');
                match item {
                    // The first key sits on the dash's line, the others under it.
                    Value::Object(map) if !map.is_empty() => {
                        out.push(' ');
                        let mut first = true;
                        for (key, inner) in map {
                            if !first {
                                push_indent(out, indent + 2);
                            }
                            first = false;
                            write_string(out, key);
                            out.push(':');
                            write_nested(out, inner, indent + 4);
                        }
                    }
                    _ => write_nested(out, item, indent + 2),
                }
            }
        }
        _ => {
            push_indent(out, indent);
            write_scalar(out, value);
            out.push('\n');
        }
    }
}

/// The value after `key:` or `-`: on the same line when it is a scalar or empty, else below.
fn write_nested(out: &mut String, value: &Value, indent: usize) {
    let is_block = match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    };
    if is_block {
        out.push('\n');
        write_block(out, value, indent);
    } else {
        out.push(' ');
        write_scalar(out, value);
        out.push('\n');
    }
}

fn write_scalar(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

fn write_string(out: &mut String, s: &str) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else {
        write_quoted(out, s);
    }
}

/// A YAML double-quoted scalar; everything YAML does not allow raw is escaped.
fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if is_yaml_printable(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        }
    }
    out.push('"');
}

/// YAML's printable set, less NEL and the Unicode line and paragraph separators, which YAML 1.1
/// readers take for line breaks.
fn is_yaml_printable(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{2027}' | '\u{202a}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

/// Words that YAML 1.1 or 1.2 readers take for booleans or null.
const RESERVED: &[&str] = &["true", "false", "yes", "no", "on", "off", "y", "n", "null"];

/// Letters, digits and `.`, `_`, `/`, `-`, starting with a letter, and not a reserved word:
/// such a string cannot be read as a number, date, boolean, null or YAML syntax.
fn is_plain_safe(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-'))
        && !RESERVED.iter().any(|word| word.eq_ignore_ascii_case(s))
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) {
        let mut text = String::new();
        write_document(&mut text, &value);
        let back: Value = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{e}:\n{text}"));
        assert_eq!(back, value, "emitted:\n{text}");
    }

    #[test]
    fn tricky_strings_survive() {
        let strings = [
            "",
            "1",
            "0x1F",
            "1e3",
            "2001-12-14",
            "true",
            "No",
            "null",
            "~",
            "-",
            "- a",
            "a: b",
            "#x",
            "x #y",
            "'q'",
            "\"d\"",
            "a\nb",
            "tab\there",
            "é",
            "*.svc",
            "&a",
            "!tag",
            "%",
            "@x",
            "`x`",
            "{a}",
            "[a]",
            ".inf",
            ".NaN",
            "uds.dev/user-a-b",
            " lead",
            "trail ",
            "\u{0}",
            "\u{7f}",
            "\u{2028}",
            "...",
            "---",
            "? x",
            "a,b",
            "|",
            ">",
        ];
        for s in strings {
            round_trip(json!({ s: s, "list": [s] }));
        }
    }

    #[test]
    fn nesting_empty_collections_and_numbers() {
        round_trip(json!({
            "a": {"b": {"c": [1, 2.5, -3, true, null]}},
            "empty": {"map": {}, "list": []},
            "items": [{"x": 1, "y": [{"z": "w"}, []]}, [1, [2]], {}],
            "ports": [{"port": 443, "protocol": "TCP"}],
        }));
        round_trip(json!([]));
        round_trip(json!("scalar"));
    }

    #[test]
    fn reads_like_the_design_examples() {
        let mut text = String::new();
        write_document(
            &mut text,
            &json!({"kind": "Sidecar", "metadata": {"labels": {"uds/generation": "1"}},
                    "spec": {"hosts": ["example.com"], "ports": [{"name": "tls-443", "number": 443}]}}),
        );
        assert_eq!(
            text,
            "kind: Sidecar\nmetadata:\n  labels:\n    uds/generation: \"1\"\nspec:\n  hosts:\n    \
             - example.com\n  ports:\n    - name: tls-443\n      number: 443\n"
        );
    }
}
