//! Which listed Packages can matter to the Package under review, decided on each item's JSON
//! bytes before anything is parsed.
//!
//! [`ConflictScope::touches`] keeps a stored Package when it shares the reviewed Package's
//! namespace, or (in the same mode) a verbatim host or a host's shared object name. The sieve
//! keeps every item that could be such a Package, and usually few others; only the items it keeps
//! are parsed. It is a superset test, so the context rules stay exact:
//!
//! - An item holding a backslash (a JSON escape: `\u0061pi.github.com` is `api.github.com`) or a
//!   non-ASCII byte (the sanitiser lowercases Unicode: `K`, the Kelvin sign, becomes `k`) is
//!   always kept. In any other item every string is written literally and contains no `"`, so
//!   its strings are exactly the byte runs between consecutive quotes.
//! - Kept: an item with a `"namespace"` key whose string value is the reviewed namespace.
//! - Kept: an item with a `"remoteHost"` key whose value is one of the reviewed hosts, or contains,
//!   ignoring ASCII case, every alphanumeric run that the shared name of a reviewed host has after
//!   its prefix. Why that is necessary for a shared-name collision: the sanitiser lowercases,
//!   keeps letters and digits, turns each run of anything else into one `-`, cuts at 250
//!   characters and trims non-letters at both ends; the prefix (`service-entry-`, `ambient-se-`)
//!   ends in `-`, so each run after the prefix's two is a maximal alphanumeric run of the
//!   lowercased host, except the last, which may have lost a tail to the cut or the trim: each is
//!   a substring of the lowercased host. Equal names have equal runs.
//! - A key appearing anywhere (not only where the Package model reads it) only keeps more items.
//!
//! [`ConflictScope::touches`]: uds_egress_core::rules::conflict_scope::ConflictScope::touches

use uds_egress_core::model::Package;
use uds_egress_core::rules::conflicts::shared_name_key;

/// What an item must contain to be worth parsing.
#[derive(Clone, Debug)]
pub struct Sieve {
    namespace: String,
    hosts: Vec<String>,
    /// Per reviewed host, the lower-case runs of its shared name after the prefix.
    name_runs: Vec<Vec<String>>,
    /// Nothing can be ruled out (a reviewed shared name without runs, an empty namespace).
    keep_all: bool,
}

/// The runs of the two prefixes, `service-entry-` and `ambient-se-`.
const PREFIX_RUNS: usize = 2;

impl Sieve {
    pub fn of(package: &Package) -> Sieve {
        let mode = package.mode();
        let mut hosts: Vec<String> = package
            .host_rules()
            .filter_map(|(_, allow)| allow.host())
            .map(str::to_owned)
            .collect();
        hosts.sort_unstable();
        hosts.dedup();
        let name_runs: Vec<Vec<String>> = hosts
            .iter()
            .map(|host| {
                let key = shared_name_key(mode, host);
                let mut runs: Vec<String> = key
                    .split('-')
                    .skip(PREFIX_RUNS)
                    .filter(|run| !run.is_empty())
                    .map(str::to_owned)
                    .collect();
                // The longest first: the one most likely to rule an item out.
                runs.sort_by_key(|run| std::cmp::Reverse(run.len()));
                runs
            })
            .collect();
        let keep_all = package.namespace().is_empty() || name_runs.iter().any(Vec::is_empty);
        Sieve {
            namespace: package.namespace().to_owned(),
            hosts,
            name_runs,
            keep_all,
        }
    }

    /// Whether the item (one listed object's JSON text) may be a Package in scope.
    pub fn keeps(&self, item: &[u8]) -> bool {
        if self.keep_all || item.iter().any(|&b| b == b'\\' || !b.is_ascii()) {
            return true;
        }
        string_fields(item).any(|(key, value)| match key {
            b"namespace" => value == self.namespace.as_bytes(),
            b"remoteHost" => self.host_may_touch(value),
            _ => false,
        })
    }

    fn host_may_touch(&self, host: &[u8]) -> bool {
        self.hosts.iter().zip(&self.name_runs).any(|(ours, runs)| {
            host == ours.as_bytes() || runs.iter().all(|run| contains_ignore_case(host, run))
        })
    }
}

/// Every `"key": "value"` pair of an item whose value is a string, at any depth, for an item
/// without backslashes (so every `"` opens or closes a string).
fn string_fields(item: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut rest = item;
    std::iter::from_fn(move || {
        loop {
            let token = next_string(&mut rest)?;
            // A string not followed by `:` is a value (in an array, or one already paired).
            let Some(after_colon) = skip_space(rest).strip_prefix(b":") else {
                continue;
            };
            rest = skip_space(after_colon);
            if rest.first() == Some(&b'"')
                && let Some(value) = next_string(&mut rest)
            {
                return Some((token, value));
            }
        }
    })
}

/// The next string's contents, leaving `rest` after its closing quote.
fn next_string<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let mut parts = rest.splitn(3, |&b| b == b'"');
    let (_before, body, after) = (parts.next()?, parts.next()?, parts.next()?);
    *rest = after;
    Some(body)
}

fn skip_space(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// Whether `haystack` contains `needle` (lower-case ASCII), ignoring ASCII case.
fn contains_ignore_case(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uds_egress_core::parse::package_from_value;

    fn review(namespace: &str, mode: &str, hosts: &[&str]) -> Package {
        let allow: Vec<_> = hosts
            .iter()
            .map(|h| json!({"direction": "Egress", "remoteHost": h, "port": 443}))
            .collect();
        package_from_value(&json!({
            "metadata": {"name": "app", "namespace": namespace},
            "spec": {"network": {"serviceMesh": {"mode": mode}, "allow": allow}}
        }))
        .unwrap()
    }

    fn item(namespace: &str, host: &str) -> String {
        json!({"metadata": {"name": "x", "namespace": namespace},
               "spec": {"network": {"allow": [{"remoteHost": host, "port": 443}]}}})
        .to_string()
    }

    #[test]
    fn keeps_the_namespace_the_hosts_and_names_that_may_collide() {
        let sieve = Sieve::of(&review("shop", "sidecar", &["api.github.com"]));
        assert!(sieve.keeps(item("shop", "other.com").as_bytes()));
        assert!(sieve.keeps(item("web", "api.github.com").as_bytes()));
        // Same shared name: case, punctuation, a trimmed trailing digit.
        for colliding in ["API.GitHub.com", "api-github.com", "api..github.com1"] {
            assert!(
                sieve.keeps(item("web", colliding).as_bytes()),
                "{colliding}"
            );
        }
        assert!(!sieve.keeps(item("web", "other.com").as_bytes()));
        assert!(!sieve.keeps(item("shops", "api.gitlab.com").as_bytes()));
        // The namespace must be the namespace's value, not any string.
        assert!(!sieve.keeps(br#"{"metadata":{"name":"shop","namespace":"web"}}"#));
        assert!(sieve.keeps(br#"{ "namespace" : "shop" }"#));
    }

    #[test]
    fn escapes_and_non_ascii_are_kept_for_a_full_parse() {
        let sieve = Sieve::of(&review("shop", "sidecar", &["api.github.com"]));
        assert!(sieve.keeps(br#"{"namespace":"web","remoteHost":"\u0061pi.github.com"}"#));
        assert!(sieve.keeps(item("web", "\u{212A}.com").as_bytes()));
    }

    #[test]
    fn a_shared_name_without_runs_rules_nothing_out() {
        let sieve = Sieve::of(&review("shop", "sidecar", &["1.2.3"]));
        assert!(sieve.keeps(item("web", "other.com").as_bytes()));
    }
}
