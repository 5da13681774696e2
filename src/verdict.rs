//! The outcome of one evaluation and its wire form, the SDK's `ValidationResponse`.

use kubewarden_policy_sdk::response::ValidationResponse;
use serde_json::Value;
use uds_egress_core::violation::Violation;

/// At most this many violations are listed in a rejection message; the rest are counted.
pub const MAX_LISTED_VIOLATIONS: usize = 10;

/// Longest line of a rejection message, in characters. UDS Core's messages stay far below it; it
/// bounds parser errors that quote a user's value (`unknown variant `<300 KB>``).
pub const MAX_LINE_CHARS: usize = 1024;

/// HTTP status for a request over the size limits: 413 Content Too Large.
pub const CODE_TOO_LARGE: u16 = 413;
/// HTTP status when a context lookup failed: 503, as the cause is outside the request.
pub const CODE_LOOKUP_FAILED: u16 = 503;

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Accept {
        /// The whole mutated object, only when it differs from the submitted one.
        mutated: Option<Value>,
        warnings: Vec<String>,
    },
    Reject {
        message: String,
        code: Option<u16>,
    },
}

impl Verdict {
    pub fn accept() -> Verdict {
        Verdict::Accept {
            mutated: None,
            warnings: Vec::new(),
        }
    }

    pub fn reject(message: impl Into<String>, code: Option<u16>) -> Verdict {
        Verdict::Reject {
            message: message.into(),
            code,
        }
    }

    /// A rejection listing the violations (at least one is expected).
    pub fn violations(violations: &[Violation]) -> Verdict {
        Verdict::reject(violation_message(violations), None)
    }

    pub fn into_response(self) -> ValidationResponse {
        match self {
            Verdict::Accept { mutated, warnings } => ValidationResponse {
                accepted: true,
                message: None,
                code: None,
                mutated_object: mutated,
                audit_annotations: None,
                warnings: (!warnings.is_empty()).then_some(warnings),
            },
            Verdict::Reject { message, code } => ValidationResponse {
                accepted: false,
                message: Some(message),
                code,
                mutated_object: None,
                audit_annotations: None,
                warnings: None,
            },
        }
    }
}

/// `<path>: <message>` one per line (the message alone when the path is empty), at most
/// [`MAX_LISTED_VIOLATIONS`], then `and N more`.
pub fn violation_message(violations: &[Violation]) -> String {
    let mut lines: Vec<String> = violations
        .iter()
        .take(MAX_LISTED_VIOLATIONS)
        .map(|v| {
            let line = if v.path.is_empty() {
                v.message.clone()
            } else {
                v.to_string()
            };
            bounded(line)
        })
        .collect();
    let rest = violations.len().saturating_sub(MAX_LISTED_VIOLATIONS);
    if rest > 0 {
        lines.push(format!("and {rest} more"));
    }
    lines.join("\n")
}

/// `line` cut after [`MAX_LINE_CHARS`] characters, with a note of its full size.
fn bounded(line: String) -> String {
    match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((end, _)) => format!(
            "{}… (cut, {} bytes in all)",
            line.get(..end).unwrap_or(""),
            line.len()
        ),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uds_egress_core::violation::Code;

    fn violation(i: usize) -> Violation {
        Violation::new(
            format!("spec.network.allow[{i}].remoteHost"),
            Code::InvalidHostname,
            "bad",
        )
    }

    #[test]
    fn one_violation_per_line_with_its_path() {
        let message = violation_message(&[
            violation(0),
            Violation::new("", Code::Malformed, "not an object"),
        ]);
        assert_eq!(
            message,
            "spec.network.allow[0].remoteHost: bad\nnot an object"
        );
    }

    #[test]
    fn at_most_ten_then_a_count() {
        let many: Vec<Violation> = (0..13).map(violation).collect();
        let message = violation_message(&many);
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines.len(), 11);
        assert_eq!(lines[9], "spec.network.allow[9].remoteHost: bad");
        assert_eq!(lines[10], "and 3 more");
        let ten: Vec<Violation> = (0..10).map(violation).collect();
        assert!(!violation_message(&ten).contains("more"));
    }

    #[test]
    fn long_lines_are_cut_at_a_character_boundary() {
        let long = Violation::new("spec.x", Code::Malformed, "é".repeat(5000));
        let message = violation_message(&[long]);
        assert!(message.starts_with("spec.x: éé"));
        assert!(
            message.ends_with("… (cut, 10008 bytes in all)"),
            "{}",
            &message[message.len() - 40..]
        );
        assert_eq!(
            message.chars().count(),
            MAX_LINE_CHARS + "… (cut, 10008 bytes in all)".chars().count()
        );
        let short = Violation::new("spec.x", Code::Malformed, "a".repeat(MAX_LINE_CHARS - 8));
        assert_eq!(violation_message(&[short]).chars().count(), MAX_LINE_CHARS);
    }

    #[test]
    fn responses_carry_what_the_host_needs() {
        let accepted = Verdict::Accept {
            mutated: Some(serde_json::json!({"a": 1})),
            warnings: vec!["w".into()],
        }
        .into_response();
        assert!(accepted.accepted);
        assert_eq!(accepted.mutated_object, Some(serde_json::json!({"a": 1})));
        assert_eq!(accepted.warnings, Some(vec!["w".to_string()]));
        let plain = Verdict::accept().into_response();
        assert!(plain.warnings.is_none() && plain.mutated_object.is_none());
        let rejected = Verdict::reject("no", Some(CODE_TOO_LARGE)).into_response();
        assert!(!rejected.accepted);
        assert_eq!(rejected.message.as_deref(), Some("no"));
        assert_eq!(rejected.code, Some(413));
    }
}
