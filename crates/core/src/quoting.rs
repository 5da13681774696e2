//! How user-supplied strings appear in messages: bounded in length and with control characters
//! escaped, so that a 10 MB `remoteHost` cannot produce a 10 MB message or forge log lines.

/// A little more than the longest valid host (253 characters and a trailing dot), so that valid
/// names, and names just too long, always show in full.
const MAX_SHOWN_CHARS: usize = 256;

/// The string in double quotes, escaped like Rust's `{:?}`, cut after 256 characters with a note of
/// its full size: `"example.com"`, `"aaaa…"… (10485760 bytes)`.
pub fn quoted(s: &str) -> String {
    match cut(s) {
        Some(head) => format!("{head:?}… ({} bytes)", s.len()),
        None => format!("{s:?}"),
    }
}

/// The string as is when it is short and free of control characters (so UDS Core's messages keep
/// their exact text for every host it would show), otherwise [`quoted`].
pub fn verbatim(s: &str) -> String {
    if cut(s).is_none() && !s.chars().any(char::is_control) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// The first [`MAX_SHOWN_CHARS`] characters when `s` is longer, cut at a character boundary.
fn cut(s: &str) -> Option<&str> {
    s.char_indices()
        .nth(MAX_SHOWN_CHARS)
        .and_then(|(end, _)| s.get(..end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_show_in_full() {
        assert_eq!(quoted("example.com"), "\"example.com\"");
        assert_eq!(verbatim("example.com"), "example.com");
        let longest = "a".repeat(256);
        assert_eq!(verbatim(&longest), longest);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(quoted("a\0b\n"), "\"a\\0b\\n\"");
        assert_eq!(verbatim("a\u{7}b"), "\"a\\u{7}b\"");
    }

    #[test]
    fn long_strings_are_cut_at_a_character_boundary() {
        let huge = "é".repeat(5_000_000);
        let shown = quoted(&huge);
        assert!(
            shown.starts_with(&format!("\"{}\"…", "é".repeat(256))),
            "{shown}"
        );
        assert!(shown.ends_with("(10000000 bytes)"), "{shown}");
        assert!(shown.len() < 600);
        assert_eq!(verbatim(&huge), shown);
    }
}
