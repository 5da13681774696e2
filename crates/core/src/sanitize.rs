//! The name sanitiser applied to every generated object name (semantics §3.1).

/// Longest name the sanitiser keeps before trimming the ends.
pub const MAX_LEN: usize = 250;

/// Lowercases, collapses each run of characters outside `a-z0-9` into one `-`, truncates to 250
/// characters, then strips leading and trailing characters that are not letters (digits too).
///
/// Called for every host of every listed Package on each admission, so it makes one allocation:
/// characters are lowercased one by one (the only context-dependent lowercasing, a final sigma,
/// becomes `-` either way), ASCII input (nearly all of it) byte by byte, and the ends are
/// trimmed in place.
pub fn sanitize(input: &str) -> String {
    // The output has at most one character per input byte.
    let capacity = input.len().min(MAX_LEN + 1);
    if input.is_ascii() {
        collapse(
            input.bytes().map(|b| char::from(b.to_ascii_lowercase())),
            capacity,
        )
    } else {
        collapse(input.chars().flat_map(char::to_lowercase), capacity)
    }
}

/// The sanitiser over already lowercased characters.
fn collapse(lowercased: impl Iterator<Item = char>, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut in_run = false;
    for c in lowercased {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('-');
            in_run = true;
        }
        // Everything pushed is ASCII, so byte length equals character count.
        if out.len() > MAX_LEN {
            break;
        }
    }
    out.truncate(MAX_LEN);
    let not_letter = |c: char| !c.is_ascii_lowercase();
    let end = out.trim_end_matches(not_letter).len();
    out.truncate(end);
    let start = out.len() - out.trim_start_matches(not_letter).len();
    out.drain(..start);
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn examples_of_the_semantics() {
        assert_eq!(sanitize("gateway-10.1.2.3"), "gateway");
        assert_eq!(sanitize("gateway-host1"), "gateway-host");
        assert_eq!(sanitize("9lives-egress-default"), "lives-egress-default");
        assert_eq!(sanitize("gateway-example.com"), "gateway-example-com");
        assert_eq!(
            sanitize("app-egress-10.1.2.3-443-tls"),
            "app-egress-10-1-2-3-443-tls"
        );
    }

    #[test]
    fn lowercases_and_collapses_runs() {
        assert_eq!(
            sanitize("Allow-App-Egress-Curl--All Pods_TCP"),
            "allow-app-egress-curl-all-pods-tcp"
        );
        assert_eq!(sanitize("a...b"), "a-b");
        assert_eq!(sanitize("ÄPI.example"), "pi-example");
        // Lowercasing outside ASCII can give ASCII letters (the Kelvin sign is a `k`).
        assert_eq!(sanitize("\u{212A}ube.io"), "kube-io");
        assert_eq!(sanitize("ΟΔΟΣ.gr"), "gr");
    }

    #[test]
    fn only_separators_or_digits_give_empty() {
        assert_eq!(sanitize("---"), "");
        assert_eq!(sanitize("1234"), "");
        assert_eq!(sanitize(""), "");
    }

    #[test]
    fn truncates_to_250_before_trimming() {
        let long = format!("a{}", "b".repeat(400));
        assert_eq!(sanitize(&long).len(), 250);
        // A separator at position 250 is cut off by truncation, then trimming removes nothing.
        let edge = format!("{}-x", "a".repeat(249));
        assert_eq!(sanitize(&edge), "a".repeat(249));
        // Digits at the cut are trimmed after truncation.
        let digits = format!("{}{}", "a".repeat(248), "12345");
        assert_eq!(sanitize(&digits), "a".repeat(248));
    }
}
