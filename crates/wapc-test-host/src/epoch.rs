//! The clock behind execution deadlines: a thread that advances the engine's epoch.
//!
//! Wasmtime only checks epochs; something has to move them. policy-server does the same with
//! its own ticker, which is what turns a runaway policy into "deadline exceeded".

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use wasmtime_provider::wasmtime::Engine;

/// Ticks while alive; stops and joins its thread when dropped.
#[derive(Debug)]
pub(crate) struct EpochTicker {
    // Dropping the sender is the stop signal: the thread's `recv_timeout` sees the hang-up at
    // once instead of finishing a sleep.
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub(crate) fn start(engine: Engine, tick: Duration) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("wasm-epoch-ticker".to_owned())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
                    engine.increment_epoch();
                }
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // The thread only loops on the channel; a join error would mean it panicked,
            // and there is nothing left to clean up in that case.
            let _ = thread.join();
        }
    }
}
