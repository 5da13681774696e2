//! Checks on strings and numbers: lengths, patterns, bounds and formats.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::Number;

use crate::schema::Schema;

/// Formats with a check below. Integer formats are checked more strictly than the API server
/// does (it ignores formats on numbers), because Istio and Gateway API decode these fields into
/// fixed-width integers and an out-of-range value breaks them later.
const CHECKED_FORMATS: &[&str] = &[
    "int32",
    "int64",
    "uint32",
    "uint64",
    "float",
    "double",
    "byte",
    "date-time",
    "ipv4",
    "ipv6",
];

pub(crate) fn is_checked_format(format: &str) -> bool {
    CHECKED_FORMATS.contains(&format)
}

/// Error messages for a string value.
pub(crate) fn string_problems(schema: &Schema, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    // Kubernetes counts characters (runes), not bytes.
    let length = text.chars().count() as u64;
    if let Some(min) = schema.min_length.filter(|min| length < *min) {
        problems.push(format!(
            "must be at least {min} characters long, is {length}"
        ));
    }
    if let Some(max) = schema.max_length.filter(|max| length > *max) {
        problems.push(format!("may be at most {max} characters long, is {length}"));
    }
    // An uncompiled pattern is reported as a note by the walker, not here.
    if let Some(pattern) = &schema.pattern
        && let Ok(regex) = &pattern.regex
        && !regex.is_match(text)
    {
        problems.push(format!("does not match pattern `{}`", pattern.source));
    }
    let format_ok = match schema.format.as_deref() {
        Some("byte") => is_base64(text),
        Some("date-time") => is_rfc3339(text),
        Some("ipv4") => text.parse::<Ipv4Addr>().is_ok(),
        Some("ipv6") => text.parse::<Ipv6Addr>().is_ok(),
        _ => true,
    };
    if !format_ok && let Some(format) = &schema.format {
        problems.push(format!("is not a valid `{format}` value"));
    }
    problems
}

/// Error messages for a number value.
pub(crate) fn number_problems(schema: &Schema, number: &Number) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(value) = number.as_f64() else {
        return problems;
    };
    if let Some(min) = schema.minimum
        && (value < min.value || (min.exclusive && value == min.value))
    {
        let relation = if min.exclusive { ">" } else { ">=" };
        problems.push(format!(
            "{number} is out of range: must be {relation} {}",
            min.value
        ));
    }
    if let Some(max) = schema.maximum
        && (value > max.value || (max.exclusive && value == max.value))
    {
        let relation = if max.exclusive { "<" } else { "<=" };
        problems.push(format!(
            "{number} is out of range: must be {relation} {}",
            max.value
        ));
    }
    if let Some(step) = schema.multiple_of.filter(|step| *step > 0.0)
        && (value / step).fract() != 0.0
    {
        problems.push(format!("{number} is not a multiple of {step}"));
    }
    if let Some(problem) = schema
        .format
        .as_deref()
        .and_then(|format| integer_format_problem(format, number))
    {
        problems.push(problem);
    }
    problems
}

fn integer_format_problem(format: &str, number: &Number) -> Option<String> {
    let (low, high): (i128, i128) = match format {
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "int64" => (i64::MIN.into(), i64::MAX.into()),
        "uint32" => (0, u32::MAX.into()),
        "uint64" => (0, u64::MAX.into()),
        _ => return None,
    };
    let whole = number
        .as_i64()
        .map(i128::from)
        .or_else(|| number.as_u64().map(i128::from));
    match whole {
        Some(n) if (low..=high).contains(&n) => None,
        Some(_) => Some(format!(
            "{number} does not fit format {format} ({low}..={high})"
        )),
        None => Some(format!("{number} is not an integer (format {format})")),
    }
}

/// Standard alphabet with padding, as Go's `base64.StdEncoding` (what `format: byte` uses).
fn is_base64(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return false;
    }
    let padding = bytes.iter().rev().take_while(|b| **b == b'=').count();
    padding <= 2
        && bytes[..bytes.len() - padding]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn is_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let at = |i: usize, c: u8| b.get(i).is_some_and(|x| x.eq_ignore_ascii_case(&c));
    if !(digits(0..4)
        && at(4, b'-')
        && digits(5..7)
        && at(7, b'-')
        && digits(8..10)
        && at(10, b'T')
        && digits(11..13)
        && at(13, b':')
        && digits(14..16)
        && at(16, b':')
        && digits(17..19))
    {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            digits(i + 1..i + 3) && at(i + 3, b':') && digits(i + 4..i + 6) && i + 6 == b.len()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_needs_standard_alphabet_and_padding() {
        assert!(is_base64("aGVsbG8="));
        assert!(is_base64(""));
        assert!(!is_base64("aGVsbG8"));
        assert!(!is_base64("aGV$bG8="));
    }

    #[test]
    fn rfc3339_accepts_zulu_offsets_and_fractions() {
        assert!(is_rfc3339("2024-01-02T03:04:05Z"));
        assert!(is_rfc3339("2024-01-02T03:04:05.123+01:00"));
        assert!(!is_rfc3339("2024-01-02 03:04:05Z"));
        assert!(!is_rfc3339("2024-01-02T03:04:05"));
        assert!(!is_rfc3339("2024-01-02T03:04:05.Z"));
    }

    #[test]
    fn integer_formats_have_their_ranges() {
        let n = |v: i64| Number::from(v);
        assert_eq!(integer_format_problem("int32", &n(2_147_483_647)), None);
        assert!(integer_format_problem("int32", &n(2_147_483_648)).is_some());
        assert!(integer_format_problem("uint32", &n(-1)).is_some());
        assert!(integer_format_problem("int64", &Number::from(u64::MAX)).is_some());
        assert_eq!(integer_format_problem("double", &n(-1)), None);
    }
}
