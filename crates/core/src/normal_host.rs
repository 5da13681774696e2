//! The one normal form of a host name (semantics §8.3): surrounding white space trimmed,
//! lower-cased, one trailing dot stripped.
//!
//! DNS names compare case-insensitively only in ASCII (RFC 4343), and one trailing dot (the root)
//! names the same host; the policy's mutation writes this form, the host lists match in it and the
//! context checks compare in it, so that all three agree on when two spellings are the same host.

/// `host` without surrounding white space and without one trailing dot: what the normal form
/// keeps, before case-folding. Shared by [`normal_form`] and [`same_host`].
fn bare(host: &str) -> &str {
    let trimmed = host.trim();
    trimmed.strip_suffix('.').unwrap_or(trimmed)
}

/// The normal form of `host`. It may be empty (`" . "`) and may itself not be normal (`a.com..`
/// becomes `a.com.`): callers that rewrite a host decide what to do then.
pub fn normal_form(host: &str) -> String {
    bare(host).to_ascii_lowercase()
}

/// Whether `a` and `b` have the same normal form, without building either.
pub fn same_host(a: &str, b: &str) -> bool {
    bare(a).eq_ignore_ascii_case(bare(b))
}

#[cfg(test)]
mod tests {
    use super::{normal_form, same_host};

    #[test]
    fn trims_lowercases_and_strips_one_dot() {
        for (raw, normal) in [
            ("  API.GitHub.com. ", "api.github.com"),
            ("api.github.com.", "api.github.com"),
            ("Example.COM", "example.com"),
            ("a.com..", "a.com."),
            (" . ", ""),
            // ASCII only: the Kelvin sign is not a `k`.
            ("\u{212a}.io", "\u{212a}.io"),
        ] {
            assert_eq!(normal_form(raw), normal, "{raw:?}");
        }
    }

    #[test]
    fn same_host_compares_normal_forms() {
        assert!(same_host("API.github.com.", "api.github.com"));
        assert!(same_host(" a.com", "A.COM"));
        assert!(!same_host("a.com..", "a.com"));
        assert!(!same_host("\u{212a}.io", "k.io"));
    }
}
