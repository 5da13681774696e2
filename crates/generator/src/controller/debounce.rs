//! Turns a burst of watch events into one planning pass.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{Instant, sleep, sleep_until};

/// Waits for a change, then for the burst to settle: `quiet` without a further change, but no
/// longer than `max_wait` after the first. `false` when the change source is gone.
pub async fn settle(
    changes: &mut watch::Receiver<u64>,
    quiet: Duration,
    max_wait: Duration,
) -> bool {
    if changes.changed().await.is_err() {
        return false;
    }
    let deadline = Instant::now() + max_wait;
    loop {
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return true },
            _ = sleep(quiet) => return true,
            _ = sleep_until(deadline) => return true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUIET: Duration = Duration::from_millis(500);
    const MAX: Duration = Duration::from_secs(5);

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_one_pass() {
        let (tx, mut rx) = watch::channel(0u64);
        let sender = tokio::spawn(async move {
            for _ in 0..100 {
                tx.send_modify(|n| *n += 1);
                sleep(Duration::from_millis(10)).await;
            }
            tx
        });
        assert!(settle(&mut rx, QUIET, MAX).await);
        assert_eq!(*rx.borrow(), 100, "settled only after the whole burst");
        let _tx = sender.await.unwrap();
        let again =
            tokio::time::timeout(Duration::from_secs(60), settle(&mut rx, QUIET, MAX)).await;
        assert!(again.is_err(), "no change after the burst: no second pass");
    }

    #[tokio::test(start_paused = true)]
    async fn an_endless_stream_still_gets_passes() {
        let (tx, mut rx) = watch::channel(0u64);
        tokio::spawn(async move {
            loop {
                tx.send_modify(|n| *n += 1);
                sleep(Duration::from_millis(100)).await;
            }
        });
        // Changes never pause for `QUIET`, yet the wait ends (at `MAX`).
        let settled =
            tokio::time::timeout(Duration::from_secs(60), settle(&mut rx, QUIET, MAX)).await;
        assert_eq!(settled.ok(), Some(true));
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_source_ends_the_loop() {
        let (tx, mut rx) = watch::channel(0u64);
        drop(tx);
        assert!(!settle(&mut rx, QUIET, MAX).await);
    }
}
