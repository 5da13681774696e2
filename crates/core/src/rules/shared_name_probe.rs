//! Whether a host has another host's shared object name, answered for most hosts without
//! building the name.
//!
//! The policy asks this of every host of every listed Package (see the policy's sieve), and
//! [`shared_name_key`] allocates twice (the prefixed host, then its sanitised form). Sanitising
//! keeps a host's letters and digits in order, lowercased; what it drops or rewrites is every
//! other character, the ends that are not letters, and whatever lies past 250 characters. So,
//! while neither host is long enough to be cut, equal shared names imply equal lowercased letters
//! and digits once the digits after the last letter are set aside: the "core" below. Comparing
//! cores is a pass over the host's bytes with no allocation, and the name itself is built only
//! for a host whose core matches.

use super::conflicts::shared_name_key;
use crate::model::Mode;
use crate::sanitize;

/// The longest host the sanitiser keeps whole in any shared name: `service-entry-` is the longest
/// prefix ([`shared_name_key`]), and a host's sanitised part is never longer than the host.
const WHOLE_HOST_LEN: usize = sanitize::MAX_LEN - "service-entry-".len();

/// One host's shared object name in one mode, and what any host with that name must contain.
#[derive(Clone, Debug)]
pub struct SharedNameProbe {
    mode: Mode,
    name: String,
    /// The host's core, or `None` when the host is long enough to be cut (then every host is
    /// compared by name).
    core: Option<Vec<u8>>,
}

impl SharedNameProbe {
    pub fn of(mode: Mode, host: &str) -> SharedNameProbe {
        SharedNameProbe {
            mode,
            name: shared_name_key(mode, host),
            core: core_of(host),
        }
    }

    /// Whether `host`'s shared object name in the probe's mode is the probe host's:
    /// `shared_name_key(mode, host) == shared_name_key(mode, probe host)`, exactly.
    pub fn matches(&self, host: &str) -> bool {
        let may_match = match (&self.core, whole(host)) {
            (Some(core), true) => has_core(host, core),
            _ => true,
        };
        may_match && shared_name_key(self.mode, host) == self.name
    }
}

fn whole(host: &str) -> bool {
    host.is_ascii() && host.len() <= WHOLE_HOST_LEN
}

/// The lowercased ASCII letters and digits of a whole ASCII host, without the digits after its
/// last letter. Outside ASCII, lowercasing can turn a character into letters (the Kelvin sign
/// is a `k`), so such a host has no core.
fn core_of(host: &str) -> Option<Vec<u8>> {
    if !whole(host) {
        return None;
    }
    let mut core: Vec<u8> = alphanumerics(host).collect();
    let end = core
        .iter()
        .rposition(u8::is_ascii_lowercase)
        .map_or(0, |last| last + 1);
    core.truncate(end);
    Some(core)
}

/// Whether the whole ASCII `host` has `core` as its core: its letters and digits are the core's,
/// then digits only.
fn has_core(host: &str, core: &[u8]) -> bool {
    let mut rest = alphanumerics(host);
    core.iter().all(|&c| rest.next() == Some(c)) && rest.all(|b| b.is_ascii_digit())
}

fn alphanumerics(host: &str) -> impl Iterator<Item = u8> + '_ {
    host.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn hosts_with_one_name_match_and_others_do_not() {
        let probe = SharedNameProbe::of(Mode::Sidecar, "api.github.com");
        for same in [
            "api.github.com",
            "API.GitHub.com",
            "api-github.com",
            "api..github.com1",
        ] {
            assert!(probe.matches(same), "{same}");
        }
        // Same letters and digits, another name: the core matches, the name does not.
        for other in [
            "apigithub.com",
            "api.github.co",
            "api.github.com1x",
            "github.com",
        ] {
            assert!(!probe.matches(other), "{other}");
        }
    }

    #[test]
    fn hosts_without_letters_share_the_bare_prefix() {
        let probe = SharedNameProbe::of(Mode::Ambient, "1.2.3");
        assert!(probe.matches("10-20"));
        assert!(probe.matches(""));
        assert!(!probe.matches("a.1"));
    }

    #[test]
    fn non_ascii_and_long_hosts_are_compared_by_name() {
        let probe = SharedNameProbe::of(Mode::Sidecar, "k.io");
        assert!(probe.matches("\u{212A}.io"));
        let long = format!("{}.com", "a".repeat(300));
        let cut = SharedNameProbe::of(Mode::Sidecar, &long);
        // Past the sanitiser's cut, hosts differing only there share a name.
        assert!(cut.matches(&format!("{}.org", "a".repeat(300))));
        assert!(!SharedNameProbe::of(Mode::Sidecar, "a.com").matches(&long));
    }

    #[test]
    fn a_host_of_the_whole_length_is_not_cut_in_either_mode() {
        let host = format!("{}z", "a".repeat(WHOLE_HOST_LEN - 1));
        for mode in [Mode::Sidecar, Mode::Ambient] {
            assert!(shared_name_key(mode, &host).ends_with("az"), "{mode:?}");
        }
    }

    fn host() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-cA-C0-2.\\-_]{0,8}",
            "[a-c0-2.]{0,4}\u{212A}?[a-c0-2.]{0,4}",
            "[ab.]{230,245}",
        ]
    }

    proptest! {
        /// The probe answers as comparing the names does, in both modes.
        #[test]
        fn matches_is_name_equality(a in host(), b in host(), ambient in any::<bool>()) {
            let mode = if ambient { Mode::Ambient } else { Mode::Sidecar };
            prop_assert_eq!(
                SharedNameProbe::of(mode, &a).matches(&b),
                shared_name_key(mode, &a) == shared_name_key(mode, &b)
            );
        }
    }
}
