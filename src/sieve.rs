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
//! - Kept: an item with a `"remoteHost"` key whose value is one of the reviewed hosts, or whose
//!   shared object name in the reviewed Package's mode is one of the reviewed hosts' names
//!   ([`SharedNameProbe`], which builds the name only for a host that may have it): the same
//!   test as `touches`, on the raw string (for an item without escapes the raw string is the
//!   parsed one).
//! - A key appearing anywhere (not only where the Package model reads it) only keeps more items.
//!
//! [`ConflictScope::touches`]: uds_egress_core::rules::conflict_scope::ConflictScope::touches

use uds_egress_core::model::Package;
use uds_egress_core::rules::shared_name_probe::SharedNameProbe;

/// What an item must contain to be worth parsing.
#[derive(Clone, Debug)]
pub struct Sieve {
    namespace: String,
    /// The reviewed hosts, sorted.
    hosts: Vec<String>,
    /// Their shared object names in the reviewed mode.
    names: Vec<SharedNameProbe>,
}

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
        let names = hosts.iter().map(|h| SharedNameProbe::of(mode, h)).collect();
        Sieve {
            namespace: package.namespace().to_owned(),
            hosts,
            names,
        }
    }

    /// Whether the item (one listed object's JSON text) may be a Package in scope.
    pub fn keeps(&self, item: &[u8]) -> bool {
        // An empty namespace is also that of an item without one, which has no key to find.
        // `is_ascii` and `memchr` look at a word at a time: the only passes over all the bytes.
        if self.namespace.is_empty() || !item.is_ascii() || memchr::memchr(b'\\', item).is_some() {
            return true;
        }
        string_fields(item).any(|(key, value)| match key {
            b"namespace" => value == self.namespace.as_bytes(),
            b"remoteHost" => self.host_may_touch(value),
            _ => false,
        })
    }

    fn host_may_touch(&self, host: &[u8]) -> bool {
        // ASCII, checked by `keeps`, so always a str.
        let Ok(host) = std::str::from_utf8(host) else {
            return true;
        };
        if host.is_empty() || self.hosts.is_empty() {
            return false;
        }
        self.hosts
            .binary_search_by(|h| h.as_str().cmp(host))
            .is_ok()
            || self.names.iter().any(|name| name.matches(host))
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
    let open = memchr::memchr(b'"', rest)?;
    let body = rest.get(open + 1..)?;
    let close = memchr::memchr(b'"', body)?;
    *rest = body.get(close + 1..)?;
    body.get(..close)
}

fn skip_space(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
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
    fn a_host_whose_name_keeps_no_letters_still_finds_its_collisions() {
        let sieve = Sieve::of(&review("shop", "sidecar", &["1.2.3"]));
        assert!(sieve.keeps(item("web", "1-2-3").as_bytes()));
        assert!(!sieve.keeps(item("web", "other.com").as_bytes()));
    }

    #[test]
    fn another_mode_s_name_does_not_count_but_its_namespace_does() {
        let sieve = Sieve::of(&review("shop", "ambient", &["api.github.com"]));
        assert!(sieve.keeps(item("web", "API.github.com").as_bytes()));
        assert!(!sieve.keeps(item("web", "api.gitlab.com").as_bytes()));
        assert!(sieve.keeps(item("shop", "api.gitlab.com").as_bytes()));
    }
}
