//! Running a program as a measured child process: wall time and peak memory (max RSS).
//!
//! The peak is the child program's own, read from `/proc/<pid>/status` (`VmHWM`) when it stops at
//! its exit under `ptrace(2)`. `wait4(2)`'s `ru_maxrss` cannot be used: Linux starts a child's max
//! RSS at that of the memory it had before `exec`, and with `posix_spawn` (what `Command` uses)
//! that is the parent's own peak. The bench parent holds a desired state of 10,000 Packages of
//! its own, so `ru_maxrss` showed the parent's 256 MiB for a `render` that used 192 MiB.

use std::fs::File;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::ptr;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    pub wall: Duration,
    /// Peak resident set size.
    pub max_rss_bytes: u64,
    /// `None` when the child was killed by a signal.
    pub exit_code: Option<i32>,
    pub stderr: String,
}

/// Runs `command` with stdout to `stdout` (a file, as a user would redirect it) and waits for it.
pub fn run(mut command: Command, stdout: &Path) -> Result<Measured, String> {
    let stderr_path = stdout.with_extension("stderr");
    let file = |path: &Path| File::create(path).map_err(|e| format!("{}: {e}", path.display()));
    command
        .stdin(Stdio::null())
        .stdout(file(stdout)?)
        .stderr(file(&stderr_path)?);
    // SAFETY: runs in the forked child before `exec`; it only makes one system call.
    unsafe {
        command.pre_exec(|| {
            if trace(libc::PTRACE_TRACEME, 0, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
    let traced = trace_to_exit(pid).map_err(|e| format!("tracing the child: {e}"))?;
    let wall = started.elapsed();
    // Reaped above: `child` must not be waited for again, and dropping it does not wait.
    drop(child);
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let status = traced.status;
    Ok(Measured {
        wall,
        // Without a reading at exit (killed outright), ru_maxrss is an upper bound. Both in KiB.
        max_rss_bytes: traced
            .peak_kib
            .unwrap_or(u64::try_from(traced.usage.ru_maxrss).unwrap_or(0))
            * 1024,
        exit_code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stderr,
    })
}

struct Traced {
    status: libc::c_int,
    usage: libc::rusage,
    /// `VmHWM` at the exit stop.
    peak_kib: Option<u64>,
}

/// Lets the traced child run to its end, reading its peak RSS at the exit stop; signals other
/// than the trace's own are passed on.
fn trace_to_exit(pid: libc::pid_t) -> io::Result<Traced> {
    let mut peak_kib = None;
    let mut started = false;
    loop {
        let (status, usage) = wait4(pid)?;
        if !libc::WIFSTOPPED(status) {
            return Ok(Traced {
                status,
                usage,
                peak_kib,
            });
        }
        let signal = libc::WSTOPSIG(status);
        let forward = if status >> 16 == libc::PTRACE_EVENT_EXIT {
            peak_kib = peak_rss_kib(pid);
            0
        } else if !started && signal == libc::SIGTRAP {
            // The stop after `exec` (PTRACE_TRACEME): from here on, stop again at the exit.
            started = true;
            let options = libc::PTRACE_O_TRACEEXIT | libc::PTRACE_O_EXITKILL;
            if trace(libc::PTRACE_SETOPTIONS, pid, options as usize) == -1 {
                return Err(io::Error::last_os_error());
            }
            0
        } else {
            signal
        };
        if trace(libc::PTRACE_CONT, pid, forward as usize) == -1 {
            return Err(io::Error::last_os_error());
        }
    }
}

/// `ptrace(request, pid, NULL, data)`.
fn trace(request: libc::c_uint, pid: libc::pid_t, data: usize) -> libc::c_long {
    // SAFETY: none of the requests used here reads or writes memory through the address or data
    // arguments; `data` is an option set or a signal number.
    unsafe {
        libc::ptrace(
            request,
            pid,
            ptr::null_mut::<libc::c_void>(),
            data as *mut libc::c_void,
        )
    }
}

/// The `VmHWM` of a live process, in KiB.
fn peak_rss_kib(pid: libc::pid_t) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn wait4(pid: libc::pid_t) -> io::Result<(libc::c_int, libc::rusage)> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data, valid when zeroed.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live locals of the right types; `pid` is our own child.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            return Ok((status, usage));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_exit_code_output_and_memory_of_the_child() {
        let dir =
            std::env::temp_dir().join(format!("uds-egress-bench-child-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("out.txt");
        let mut command = Command::new("sh");
        command.args(["-c", "echo hello; echo oops >&2; exit 3"]);
        let measured = run(command, &out).unwrap();
        assert_eq!(measured.exit_code, Some(3));
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "hello\n");
        assert_eq!(measured.stderr, "oops\n");
        assert!(measured.max_rss_bytes > 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_peak_is_the_childs_own_not_the_parents() {
        // Touched pages, so they count in this process's RSS while the child runs.
        let ballast = std::hint::black_box(vec![1u8; 256 << 20]);
        let dir = std::env::temp_dir().join(format!(
            "uds-egress-bench-child-peak-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut command = Command::new("sh");
        command.args(["-c", "kill -USR1 $$ 2>/dev/null; exit 0"]);
        let measured = run(command, &dir.join("out.txt")).unwrap();
        drop(ballast);
        std::fs::remove_dir_all(&dir).unwrap();
        // The child's USR1 is passed on to it (and kills it, as nothing handles it).
        assert_eq!(measured.exit_code, None);
        let mib = measured.max_rss_bytes >> 20;
        assert!(mib > 0 && mib < 64, "{mib} MiB");
    }
}
