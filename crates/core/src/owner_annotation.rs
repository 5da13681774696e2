//! Owner annotation keys of shared objects: `uds.dev/user-<name>-<namespace>`.
//!
//! An annotation key's name part is at most 63 characters of `[A-Za-z0-9._-]`, alphanumeric at
//! both ends. UDS Core's key breaks that for long Package names and the API server then rejects the
//! whole object; we keep UDS Core's key whenever it is valid and otherwise shorten it
//! deterministically, with a hash of the full pkgId so that distinct Packages keep distinct keys.

use crate::fnv::fnv1a64;
use crate::sanitize::sanitize;

const PREFIX: &str = "uds.dev/";
const MAX_NAME: usize = 63;
const HASH_LEN: usize = 10;

pub const OWNER_ANNOTATION_VALUE: &str = "user";

pub fn owner_annotation_key(pkg_id: &str) -> String {
    let name = format!("user-{pkg_id}");
    if is_valid_name_part(&name) {
        return format!("{PREFIX}{name}");
    }
    let hash = format!("{:016x}", fnv1a64(pkg_id.as_bytes()));
    let hash = hash.get(..HASH_LEN).unwrap_or(&hash);
    // "user-" + readable part + "-" + hash, all within 63 characters.
    let room = MAX_NAME - "user-".len() - 1 - HASH_LEN;
    let readable: String = sanitize(pkg_id).chars().take(room).collect();
    let readable = readable.trim_end_matches('-');
    if readable.is_empty() {
        format!("{PREFIX}user-{hash}")
    } else {
        format!("{PREFIX}user-{readable}-{hash}")
    }
}

/// The name part of a qualified name (Kubernetes `IsQualifiedName`).
pub fn is_valid_name_part(name: &str) -> bool {
    let bytes = name.as_bytes();
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    !bytes.is_empty()
        && bytes.len() <= MAX_NAME
        && bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_uds_core_key_when_valid() {
        assert_eq!(
            owner_annotation_key("app-app-ns"),
            "uds.dev/user-app-app-ns"
        );
        assert_eq!(owner_annotation_key("a.b-ns"), "uds.dev/user-a.b-ns");
    }

    #[test]
    fn shortens_long_keys_deterministically_and_distinctly() {
        let long_a = format!("{}-ns", "a".repeat(80));
        let long_b = format!("{}-nt", "a".repeat(80));
        let key_a = owner_annotation_key(&long_a);
        let key_b = owner_annotation_key(&long_b);
        assert_ne!(key_a, key_b);
        assert_eq!(key_a, owner_annotation_key(&long_a));
        let name = key_a.strip_prefix(PREFIX).unwrap();
        assert!(is_valid_name_part(name), "{name}");
        assert_eq!(name.len(), MAX_NAME);
    }

    #[test]
    fn exactly_63_is_kept() {
        let pkg_id = "p".repeat(58);
        assert_eq!(
            owner_annotation_key(&pkg_id),
            format!("uds.dev/user-{pkg_id}")
        );
        let too_long = "p".repeat(59);
        assert_ne!(
            owner_annotation_key(&too_long),
            format!("uds.dev/user-{too_long}")
        );
    }
}
