//! Order statistics of timing samples.

use std::time::Duration;

/// Median and 99th percentile (nearest rank) of a set of samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub median: Duration,
    pub p99: Duration,
}

impl Summary {
    /// `None` for no samples.
    pub fn of(samples: &[Duration]) -> Option<Summary> {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        Some(Summary {
            median: percentile(&sorted, 50.0)?,
            p99: percentile(&sorted, 99.0)?,
        })
    }
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}

/// Microseconds, for the table.
pub fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(v: u64) -> Duration {
        Duration::from_micros(v)
    }

    #[test]
    fn median_and_p99_by_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).rev().map(us).collect();
        let s = Summary::of(&samples).unwrap();
        assert_eq!(s.median, us(50));
        assert_eq!(s.p99, us(99));
        let one = Summary::of(&[us(7)]).unwrap();
        assert_eq!((one.median, one.p99), (us(7), us(7)));
        assert_eq!(Summary::of(&[]), None);
    }
}
