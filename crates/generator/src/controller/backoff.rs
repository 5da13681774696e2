//! Capped exponential backoff, and which API errors are worth retrying.

use std::time::Duration;

/// `base`, `2·base`, `4·base`, … never more than `cap`; at most `attempts` tries in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    pub attempts: u32,
}

impl Backoff {
    /// Per write, within one pass.
    pub const WRITE: Backoff = Backoff {
        base: Duration::from_millis(200),
        cap: Duration::from_secs(10),
        attempts: 5,
    };

    /// Between passes after a pass left failed writes behind (attempts is unused: passes go on).
    pub const PASS: Backoff = Backoff {
        base: Duration::from_secs(5),
        cap: Duration::from_secs(300),
        attempts: u32::MAX,
    };

    /// The delay before retry number `retry` (0-based).
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }
}

/// Transient failures: the server was busy or broken (5xx, 429), the object changed under us
/// (409), or the request never got an answer. Anything else (400, 403, 404, 422) will fail
/// the same way again.
pub fn is_retryable(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => {
            status.code == 409 || status.code == 429 || (500..600).contains(&status.code)
        }
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

/// The HTTP status of an API error, if it is one.
pub fn status_code(error: &kube::Error) -> Option<u16> {
    match error {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let delays: Vec<u64> = (0..8)
            .map(|i| Backoff::WRITE.delay(i).as_millis() as u64)
            .collect();
        assert_eq!(
            delays,
            vec![200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]
        );
        assert_eq!(Backoff::PASS.delay(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn only_transient_errors_are_retried() {
        let api = |code: u16| {
            kube::Error::Api(Box::new(kube::core::Status {
                code,
                ..Default::default()
            }))
        };
        for code in [409, 429, 500, 503] {
            assert!(is_retryable(&api(code)), "{code}");
        }
        for code in [400, 403, 404, 422] {
            assert!(!is_retryable(&api(code)), "{code}");
        }
        assert_eq!(status_code(&api(404)), Some(404));
    }
}
