//! `remoteHost` must be a DNS name (semantics §8.2.2): RFC 1123 labels, at most 253 characters,
//! upper case and one trailing dot accepted; no scheme, path, port, white space or empty labels.
//! IP literals get their own code and a pointer to `remoteCidr`.
//!
//! Wildcards are A9's (`uds_core`); callers skip this check for hosts that contain `*`. Every check
//! is a constant number of linear passes over the host and never slices inside a character, so any
//! UTF-8 input of any size is safe.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::quoting::quoted;
use crate::violation::{Code, Violation, allow_path};

const MAX_NAME_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;
/// Longer than any textual IPv6 address with a zone; longer candidates are not parsed at all.
const MAX_IPV6_TEXT: usize = 64;

/// The violation for the `remoteHost` of `allow[index]`, if it is not a DNS name.
pub fn hostname_violation(index: usize, host: &str) -> Option<Violation> {
    let (code, reason) = problem(host)?;
    Some(Violation::new(
        allow_path(index, Some("remoteHost")),
        code,
        format!("remoteHost {} {reason}", quoted(host)),
    ))
}

/// The first problem of `host`, as a code and the rest of a sentence that starts with the host.
fn problem(host: &str) -> Option<(Code, String)> {
    let invalid = |reason: &str| Some((Code::InvalidHostname, reason.to_string()));
    if host.is_empty() {
        return invalid("is empty");
    }
    if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid("contains whitespace or control characters");
    }
    if host.contains("://") {
        return invalid("has a scheme; write the host name only, for example api.example.com");
    }
    if let Some(literal) = ip_literal(host) {
        return Some((Code::IpLiteralHost, literal.reason()));
    }
    if host.contains('/') {
        return invalid("contains a path; write the host name only, for example api.example.com");
    }
    if host.contains(':') {
        return invalid("contains a port; write the port in port or ports");
    }
    if !host.is_ascii() {
        return invalid("is not ASCII; write internationalised names in punycode (xn--...)");
    }
    // One trailing dot (the DNS root) is valid; a second one makes an empty label below.
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.len() > MAX_NAME_LEN {
        return Some((
            Code::InvalidHostname,
            format!("is longer than {MAX_NAME_LEN} characters ({})", name.len()),
        ));
    }
    for label in name.split('.') {
        if let Some(reason) = label_problem(label) {
            return Some((Code::InvalidHostname, reason));
        }
    }
    if name.rsplit('.').next().is_some_and(is_numeric_label) {
        return invalid(
            "ends in a numeric label; top-level domains are never numeric and resolvers may read such a name as an IP address",
        );
    }
    None
}

/// The problem of one label of an ASCII name.
fn label_problem(label: &str) -> Option<String> {
    if label.is_empty() {
        return Some("contains an empty label (two dots in a row, or a leading dot)".into());
    }
    if label.len() > MAX_LABEL_LEN {
        return Some(format!(
            "has a label longer than {MAX_LABEL_LEN} characters"
        ));
    }
    if let Some(bad) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Some(format!(
            "contains the character {bad:?}; DNS labels allow only letters, digits and '-'"
        ));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Some("has a label that starts or ends with '-'".into());
    }
    None
}

/// An IP address written where a DNS name belongs.
enum IpLiteral {
    /// A canonical address, for which we can suggest the CIDR.
    Canonical(String),
    /// A form resolvers still read as IPv4 (`127.1`, `0x7f.0.0.1`, `2130706433`, `010.0.0.1`).
    Numeric,
}

impl IpLiteral {
    fn reason(&self) -> String {
        match self {
            IpLiteral::Canonical(cidr) => format!(
                "is an IP address; remoteHost takes DNS names only, use remoteCidr (for example {cidr}) for IP destinations"
            ),
            IpLiteral::Numeric => "is an IP address in numeric form; remoteHost takes DNS names only, use remoteCidr for IP destinations".into(),
        }
    }
}

/// Recognises IPv4 and IPv6 literals, bracketed or not, optionally followed by a port or a
/// prefix length (`10.0.0.1:443`, `[::1]:443`, `10.0.0.0/8`).
fn ip_literal(host: &str) -> Option<IpLiteral> {
    let (authority, prefix) = match host.split_once('/') {
        Some((authority, prefix)) => (authority, Some(prefix)),
        None => (host, None),
    };
    // A CIDR written as the host is suggested back as it was written.
    let prefix =
        prefix.filter(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    if let Some(rest) = authority.strip_prefix('[') {
        let inner = rest.split_once(']').map_or(rest, |(inner, _)| inner);
        return ipv6(inner, prefix);
    }
    let mut colons = authority.match_indices(':');
    match (colons.next(), colons.next()) {
        (Some(_), Some(_)) => ipv6(authority, prefix),
        (Some((at, _)), None) => ipv4(authority.get(..at).unwrap_or(authority), None),
        _ => ipv4(authority, prefix),
    }
}

fn ipv6(text: &str, prefix: Option<&str>) -> Option<IpLiteral> {
    // A zone (`fe80::1%eth0`) does not make it less of an address.
    let address = text.split_once('%').map_or(text, |(address, _)| address);
    if address.len() > MAX_IPV6_TEXT {
        return None;
    }
    let parsed: Ipv6Addr = address.parse().ok()?;
    Some(IpLiteral::Canonical(format!(
        "{parsed}/{}",
        prefix.unwrap_or("128")
    )))
}

fn ipv4(text: &str, prefix: Option<&str>) -> Option<IpLiteral> {
    let text = text.strip_suffix('.').unwrap_or(text);
    let mut labels = 0usize;
    for label in text.split('.') {
        labels += 1;
        if labels > 4 || !is_numeric_label(label) {
            return None;
        }
    }
    Some(match text.parse::<Ipv4Addr>() {
        Ok(parsed) => IpLiteral::Canonical(format!("{parsed}/{}", prefix.unwrap_or("32"))),
        Err(_) => IpLiteral::Numeric,
    })
}

/// Decimal digits, or `0x` and hex digits: what resolvers' `inet_aton` reads as a number.
fn is_numeric_label(label: &str) -> bool {
    let hex = label
        .strip_prefix("0x")
        .or_else(|| label.strip_prefix("0X"));
    match hex {
        Some(digits) => digits.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(host: &str) -> Option<(Code, String)> {
        hostname_violation(3, host).map(|v| {
            assert_eq!(v.path, "spec.network.allow[3].remoteHost");
            (v.code, v.message)
        })
    }

    fn invalid(message: &str) -> Option<(Code, String)> {
        Some((Code::InvalidHostname, message.to_string()))
    }

    #[test]
    fn accepts_dns_names() {
        let longest_label = format!("{}.com", "a".repeat(63));
        let longest_name = format!("{}.{}", vec!["b".repeat(63); 3].join("."), "c".repeat(61));
        assert_eq!(longest_name.len(), 253);
        let longest_dotted = format!("{longest_name}.");
        for good in [
            "example.com",
            "API.Example.COM",
            "example.com.",
            "a",
            "localhost",
            "xn--bcher-kva.example",
            "1password.com",
            "a-b.c-d.e",
            "123.example.com",
            longest_label.as_str(),
            longest_name.as_str(),
            longest_dotted.as_str(),
        ] {
            assert_eq!(check(good), None, "{good}");
        }
    }

    #[test]
    fn refuses_schemes_paths_and_ports() {
        assert_eq!(
            check("https://example.com"),
            invalid(
                "remoteHost \"https://example.com\" has a scheme; write the host name only, for example api.example.com"
            )
        );
        assert_eq!(
            check("example.com/api"),
            invalid(
                "remoteHost \"example.com/api\" contains a path; write the host name only, for example api.example.com"
            )
        );
        assert_eq!(
            check("example.com:443"),
            invalid(
                "remoteHost \"example.com:443\" contains a port; write the port in port or ports"
            )
        );
    }

    #[test]
    fn refuses_whitespace_and_control_characters() {
        let message = |shown: &str| {
            invalid(&format!(
                "remoteHost {shown} contains whitespace or control characters"
            ))
        };
        assert_eq!(check("exa mple.com"), message("\"exa mple.com\""));
        assert_eq!(check(" example.com"), message("\" example.com\""));
        assert_eq!(check("example.com\n"), message("\"example.com\\n\""));
        assert_eq!(check("exa\0mple.com"), message("\"exa\\0mple.com\""));
        assert_eq!(check("a\u{1b}[31mb"), message("\"a\\u{1b}[31mb\""));
    }

    #[test]
    fn refuses_non_ascii_names() {
        let punycode = "is not ASCII; write internationalised names in punycode (xn--...)";
        assert_eq!(
            check("bücher.example"),
            invalid(&format!("remoteHost \"bücher.example\" {punycode}"))
        );
        // Multi-byte characters in every position, including where byte offsets would split them.
        for host in ["é", "aé", "éa.", "日本.jp", "ex\u{200b}ample.com", "a.b.ç"] {
            let found = check(host);
            assert!(
                matches!(&found, Some((Code::InvalidHostname, m)) if m.ends_with(punycode)),
                "{host}: {found:?}"
            );
        }
    }

    #[test]
    fn refuses_bad_labels() {
        let cases = [
            (
                "a..b",
                "contains an empty label (two dots in a row, or a leading dot)",
            ),
            (
                ".a",
                "contains an empty label (two dots in a row, or a leading dot)",
            ),
            (
                "a..",
                "contains an empty label (two dots in a row, or a leading dot)",
            ),
            (
                ".",
                "contains an empty label (two dots in a row, or a leading dot)",
            ),
            ("-a.com", "has a label that starts or ends with '-'"),
            ("a.b-.com", "has a label that starts or ends with '-'"),
            (
                "_dmarc.example.com",
                "contains the character '_'; DNS labels allow only letters, digits and '-'",
            ),
            (
                "a@b.com",
                "contains the character '@'; DNS labels allow only letters, digits and '-'",
            ),
            (
                "[example.com]",
                "contains the character '['; DNS labels allow only letters, digits and '-'",
            ),
            (
                "example.123",
                "ends in a numeric label; top-level domains are never numeric and resolvers may read such a name as an IP address",
            ),
        ];
        for (host, reason) in cases {
            assert_eq!(
                check(host),
                invalid(&format!("remoteHost {host:?} {reason}")),
                "{host}"
            );
        }
        let long_label = format!("{}.com", "a".repeat(64));
        assert_eq!(
            check(&long_label),
            invalid(&format!(
                "remoteHost {long_label:?} has a label longer than 63 characters"
            ))
        );
    }

    #[test]
    fn refuses_names_longer_than_253() {
        let host = format!("{}.{}", vec!["b".repeat(63); 3].join("."), "c".repeat(62));
        assert_eq!(
            check(&host),
            invalid(&format!(
                "remoteHost {host:?} is longer than 253 characters (254)"
            ))
        );
    }

    #[test]
    fn ip_literals_point_to_remote_cidr() {
        let canonical = |host: &str, cidr: &str| {
            Some((
                Code::IpLiteralHost,
                format!(
                    "remoteHost {host:?} is an IP address; remoteHost takes DNS names only, use remoteCidr (for example {cidr}) for IP destinations"
                ),
            ))
        };
        assert_eq!(check("10.1.2.3"), canonical("10.1.2.3", "10.1.2.3/32"));
        assert_eq!(check("10.1.2.3."), canonical("10.1.2.3.", "10.1.2.3/32"));
        assert_eq!(
            check("10.1.2.3:443"),
            canonical("10.1.2.3:443", "10.1.2.3/32")
        );
        assert_eq!(check("10.0.0.0/8"), canonical("10.0.0.0/8", "10.0.0.0/8"));
        assert_eq!(check("10.0.0.1/x"), canonical("10.0.0.1/x", "10.0.0.1/32"));
        assert_eq!(check("[fd00::]/8"), canonical("[fd00::]/8", "fd00::/8"));
        assert_eq!(check("::1"), canonical("::1", "::1/128"));
        assert_eq!(check("[::1]"), canonical("[::1]", "::1/128"));
        assert_eq!(
            check("[2001:DB8::1]:443"),
            canonical("[2001:DB8::1]:443", "2001:db8::1/128")
        );
        assert_eq!(
            check("fe80::1%eth0"),
            canonical("fe80::1%eth0", "fe80::1/128")
        );
        let numeric = |host: &str| {
            Some((
                Code::IpLiteralHost,
                format!(
                    "remoteHost {host:?} is an IP address in numeric form; remoteHost takes DNS names only, use remoteCidr for IP destinations"
                ),
            ))
        };
        for host in [
            "127.1",
            "0x7f.0.0.1",
            "2130706433",
            "010.0.0.1",
            "1.2.3.256",
        ] {
            assert_eq!(check(host), numeric(host), "{host}");
        }
        // Five numeric labels are no address, and a numeric top-level label is still refused.
        assert_eq!(
            check("1.2.3.4.5").map(|(code, _)| code),
            Some(Code::InvalidHostname)
        );
    }

    #[test]
    fn a_ten_megabyte_host_gives_a_short_message() {
        let host = "a".repeat(10 * 1024 * 1024);
        let (code, message) = check(&host).expect("refused");
        assert_eq!(code, Code::InvalidHostname);
        assert!(message.len() < 400, "{} bytes", message.len());
        assert!(
            message.ends_with("… (10485760 bytes) is longer than 253 characters (10485760)"),
            "{message}"
        );

        // Long hosts with problems found by each kind of pass stay short too.
        let slash = format!("{}/", "é".repeat(1024 * 1024));
        let (_, message) = check(&slash).expect("refused");
        assert!(message.len() < 1200, "{} bytes", message.len());
        let colons = ":".repeat(1024 * 1024);
        assert!(check(&colons).is_some());
        let brackets = format!("[{}", ":".repeat(1024 * 1024));
        assert!(check(&brackets).is_some());
        let digits = "1.".repeat(1024 * 1024);
        assert!(check(&digits).is_some());
    }
}
