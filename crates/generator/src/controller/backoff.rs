//! Capped exponential backoff with jitter, and which API errors are worth retrying.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// Delays of about `base`, `2·base`, `4·base`, … up to `cap`, each stretched by a random part of
/// itself (backon's jitter: a delay `d` becomes one in `[d, 2d)`), so that replicas and writes that
/// failed together do not all retry in the same instant; at most `attempts` tries in all.
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

    /// The delays between tries: `attempts - 1` of them (endless for [`Backoff::PASS`]).
    pub fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        self.builder().build()
    }

    fn builder(&self) -> ExponentialBuilder {
        let builder = ExponentialBuilder::new()
            .with_min_delay(self.base)
            .with_max_delay(self.cap)
            .with_factor(2.0)
            .with_jitter();
        match usize::try_from(self.attempts.saturating_sub(1)) {
            Ok(retries) if self.attempts != u32::MAX => builder.with_max_times(retries),
            _ => builder.without_max_times(),
        }
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

    /// Each delay is its nominal value (doubling up to the cap) plus a jitter below that value.
    fn assert_jittered(delays: &[Duration], nominal_ms: &[u64]) {
        assert_eq!(delays.len(), nominal_ms.len(), "{delays:?}");
        for (delay, nominal) in delays.iter().zip(nominal_ms) {
            let nominal = Duration::from_millis(*nominal);
            assert!(
                *delay >= nominal && *delay < nominal * 2,
                "{delay:?} for {nominal:?}"
            );
        }
    }

    #[test]
    fn delays_double_up_to_the_cap_with_jitter() {
        // WRITE: 5 tries, so 4 delays.
        let write: Vec<Duration> = Backoff::WRITE.delays().collect();
        assert_jittered(&write, &[200, 400, 800, 1600]);
        let longer = Backoff {
            attempts: 9,
            ..Backoff::WRITE
        };
        let delays: Vec<Duration> = longer.delays().collect();
        assert_jittered(&delays, &[200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
        // PASS never runs out, and stays near its cap.
        let late = Backoff::PASS.delays().nth(1_000);
        assert!(
            late.is_some_and(|d| d >= Duration::from_secs(300) && d < Duration::from_secs(600))
        );
    }

    #[test]
    fn the_jitter_spreads_retries_apart() {
        let seeded = |seed| -> Vec<Duration> {
            Backoff::WRITE
                .builder()
                .with_jitter_seed(seed)
                .build()
                .collect()
        };
        assert_eq!(seeded(1), seeded(1));
        assert_ne!(seeded(1), seeded(2));
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
