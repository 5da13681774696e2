//! Running a program as a measured child process: wall time and peak memory (max RSS), the latter
//! from `wait4(2)`'s resource usage of exactly that child.

use std::fs::File;
use std::io;
use std::path::Path;
use std::process::{Command, Stdio};
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
    let started = Instant::now();
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
    let (status, usage) = wait4(pid).map_err(|e| format!("wait4: {e}"))?;
    let wall = started.elapsed();
    // Reaped above: `child` must not be waited for again, and dropping it does not wait.
    drop(child);
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    Ok(Measured {
        wall,
        // Linux reports ru_maxrss in KiB.
        max_rss_bytes: u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
        exit_code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stderr,
    })
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
}
