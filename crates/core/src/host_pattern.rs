//! Host patterns of the settings: an exact DNS name, or `*.suffix` for any name below `suffix`.

use std::fmt;

use crate::normal_host::normal_form;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostPattern {
    Exact(String),
    /// `*.example.com`: any name ending in `.example.com` (not `example.com` itself).
    Suffix(String),
}

impl HostPattern {
    /// Parses a pattern in the hosts' normal form (white space trimmed, lower-cased, one trailing
    /// dot stripped), so that it compares with a normalised host as written.
    pub fn parse(raw: &str) -> Result<HostPattern, String> {
        let normal = normal_form(raw);
        let valid_body = |s: &str| {
            !s.is_empty()
                && s.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        };
        match normal.strip_prefix("*.") {
            Some(suffix) if valid_body(suffix) => Ok(HostPattern::Suffix(suffix.to_string())),
            None if valid_body(&normal) => Ok(HostPattern::Exact(normal)),
            _ => Err(format!(
                "host pattern {raw:?} is neither a DNS name nor \"*.\" followed by a DNS name"
            )),
        }
    }

    /// Whether `host` (any case, optional trailing dot) matches: compared in its normal form.
    pub fn matches(&self, host: &str) -> bool {
        let host = normal_form(host);
        match self {
            HostPattern::Exact(name) => host == *name,
            HostPattern::Suffix(suffix) => host
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPattern::Exact(name) => f.write_str(name),
            HostPattern::Suffix(suffix) => write!(f, "*.{suffix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::HostPattern;

    #[test]
    fn exact_and_suffix_matching() {
        let exact = HostPattern::parse("API.Example.com.").unwrap();
        assert!(exact.matches("api.example.com"));
        assert!(exact.matches("API.example.COM."));
        assert!(!exact.matches("x.api.example.com"));
        let suffix = HostPattern::parse("*.svc").unwrap();
        assert!(suffix.matches("a.svc"));
        assert!(suffix.matches("a.b.ns.svc"));
        assert!(!suffix.matches("svc"));
        assert!(!suffix.matches("asvc"));
    }

    #[test]
    fn refuses_malformed_patterns() {
        // `a.com..`: one trailing dot goes (the normal form), the second makes an empty label.
        for bad in [
            "",
            "*",
            "*.",
            "a..b",
            "a/b",
            "**.x",
            "x.*",
            "exa mple.com",
            "a.com..",
        ] {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
