//! Loading a policy module once and running waPC calls against it, with policy-server's
//! safety net: execution deadlines and a fresh instance after any failed call.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use wapc::WapcHost;
use wasmtime_provider::wasmtime::{Config, Engine, Module};
use wasmtime_provider::{EpochDeadlines, WasmtimeEngineProviderBuilder, WasmtimeEngineProviderPre};

use crate::callback::HostCalls;
use crate::epoch::EpochTicker;
use crate::error::{HostError, Result};
use crate::protocol::{self, SettingsVerdict, ValidationResponse, op};

/// How often the epoch advances; deadlines are rounded up to whole ticks.
const TICK: Duration = Duration::from_millis(10);

/// Execution deadlines, per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// For `wapc_init` when an instance is created.
    pub init_deadline: Duration,
    /// For each guest call (`validate`, ...).
    pub call_deadline: Duration,
}

impl Default for Limits {
    /// policy-server's default evaluation timeout (`KUBEWARDEN_POLICY_TIMEOUT`) is 2 s.
    fn default() -> Self {
        Self {
            init_deadline: Duration::from_secs(2),
            call_deadline: Duration::from_secs(2),
        }
    }
}

impl Limits {
    fn epoch_deadlines(self) -> EpochDeadlines {
        EpochDeadlines {
            wapc_init: ticks(self.init_deadline),
            wapc_func: ticks(self.call_deadline),
        }
    }
}

fn ticks(deadline: Duration) -> u64 {
    let ticks = deadline.as_nanos().div_ceil(TICK.as_nanos()).max(1);
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

/// A compiled policy: the expensive part, done once and shared by every [`PolicyHost`].
/// Cloning is cheap.
#[derive(Clone)]
pub struct PolicyModule {
    inner: Arc<Compiled>,
}

struct Compiled {
    name: String,
    pre: WasmtimeEngineProviderPre,
    deadlines: EpochDeadlines,
    compile_time: Duration,
    // Keeps the deadlines meaningful for as long as any host can run this module.
    _ticker: EpochTicker,
}

// Tests keep one compiled module in a static and instantiate it from many threads.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<PolicyModule>();
};

impl std::fmt::Debug for PolicyModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyModule")
            .field("name", &self.inner.name)
            .field("deadlines", &self.inner.deadlines)
            .field("compile_time", &self.inner.compile_time)
            .finish_non_exhaustive()
    }
}

impl PolicyModule {
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Self::load_with(path, Limits::default())
    }

    pub fn load_with(path: impl AsRef<Path>, limits: Limits) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| HostError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(&path.display().to_string(), &bytes, limits)
    }

    /// Compiles a module from memory: a `.wasm` binary, or WebAssembly text (handy for
    /// hand-written misbehaving guests in tests).
    pub fn from_bytes(name: &str, bytes: &[u8], limits: Limits) -> Result<Self> {
        let compile_error = |message: String| HostError::Compile {
            module: name.to_owned(),
            message,
        };
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|e| compile_error(e.to_string()))?;

        let started = Instant::now();
        let module = Module::new(&engine, bytes).map_err(|e| compile_error(format!("{e:#}")))?;
        let compile_time = started.elapsed();

        // Linking against the waPC and WASI imports happens here, once, not per instance.
        let pre = WasmtimeEngineProviderBuilder::new()
            .engine(engine.clone())
            .module(module)
            .build_pre()
            .map_err(|e| compile_error(e.to_string()))?;
        let ticker = EpochTicker::start(engine, TICK).map_err(HostError::Ticker)?;

        Ok(Self {
            inner: Arc::new(Compiled {
                name: name.to_owned(),
                pre,
                deadlines: limits.epoch_deadlines(),
                compile_time,
                _ticker: ticker,
            }),
        })
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Time cranelift took to compile the module to native code.
    pub fn compile_time(&self) -> Duration {
        self.inner.compile_time
    }

    /// A new instance (runs `wapc_init`) whose host calls are served by `calls`.
    pub fn instantiate(&self, calls: Arc<HostCalls>) -> Result<PolicyHost> {
        let wapc = self.new_wapc_host(&calls)?;
        Ok(PolicyHost {
            module: self.clone(),
            calls,
            wapc,
            stale: false,
        })
    }

    fn new_wapc_host(&self, calls: &Arc<HostCalls>) -> Result<WapcHost> {
        let engine = self
            .inner
            .pre
            .rehydrate(Some(self.inner.deadlines))
            .map_err(|e| HostError::Instantiate(e.to_string()))?;
        WapcHost::new(Box::new(engine), Some(Arc::clone(calls).into_callback()))
            .map_err(|e| HostError::from_init(e.to_string()))
    }
}

/// One running instance of a policy plus the fake cluster its host calls see.
#[derive(Debug)]
pub struct PolicyHost {
    module: PolicyModule,
    calls: Arc<HostCalls>,
    wapc: WapcHost,
    /// Set after a failed call: the guest may have trapped mid-way, so its memory is not
    /// trusted again (policy-server rebuilds its evaluator likewise).
    stale: bool,
}

impl PolicyHost {
    /// Compiles `path` and instantiates it with an empty cluster.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        PolicyModule::load(path)?.instantiate(Arc::new(HostCalls::default()))
    }

    pub fn module(&self) -> &PolicyModule {
        &self.module
    }

    /// The host-call handler: fixtures, injected failures and the record of calls.
    pub fn host_calls(&self) -> &HostCalls {
        &self.calls
    }

    pub fn protocol_version(&mut self) -> Result<String> {
        let reply = self.call(op::PROTOCOL_VERSION, &[])?;
        decode(op::PROTOCOL_VERSION, &reply)
    }

    pub fn validate_settings(&mut self, settings_json: &[u8]) -> Result<SettingsVerdict> {
        let reply = self.call(op::VALIDATE_SETTINGS, settings_json)?;
        decode(op::VALIDATE_SETTINGS, &reply)
    }

    /// Evaluates the inner AdmissionRequest (camelCase, as in kwctl fixtures) with `settings`.
    pub fn validate(&mut self, request: &Value, settings: &Value) -> Result<ValidationResponse> {
        self.validate_raw(&protocol::validate_payload(request, settings))
    }

    /// Sends `payload` to `validate` untouched, for malformed-input tests.
    pub fn validate_raw(&mut self, payload: &[u8]) -> Result<ValidationResponse> {
        let reply = self.call(op::VALIDATE, payload)?;
        decode(op::VALIDATE, &reply)
    }

    /// Any guest operation, raw bytes in and out.
    pub fn call(&mut self, operation: &str, payload: &[u8]) -> Result<Vec<u8>> {
        if self.stale {
            self.wapc = self.module.new_wapc_host(&self.calls)?;
            self.stale = false;
        }
        // wasmtime-provider's host functions slice guest memory without bounds checks, so a
        // guest passing a bad pointer panics the host. Turn that into a failed call: the
        // instance is discarded below, so no broken state is observed afterwards.
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| self.wapc.call(operation, payload)));
        let message = match outcome {
            Ok(Ok(reply)) => return Ok(reply),
            Ok(Err(wapc::errors::Error::GuestCallFailure(message))) => message,
            Ok(Err(other)) => other.to_string(),
            Err(panic) => format!(
                "host panicked while serving the guest: {}",
                panic_text(&panic)
            ),
        };
        self.stale = true;
        Err(HostError::from_guest(operation, message))
    }
}

fn panic_text(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)")
}

fn decode<T: serde::de::DeserializeOwned>(operation: &str, reply: &[u8]) -> Result<T> {
    serde_json::from_slice(reply).map_err(|source| HostError::Decode {
        operation: operation.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_to_whole_ticks() {
        assert_eq!(ticks(Duration::ZERO), 1);
        assert_eq!(ticks(Duration::from_millis(1)), 1);
        assert_eq!(ticks(Duration::from_millis(25)), 3);
        assert_eq!(ticks(Duration::from_secs(2)), 200);
    }
}
