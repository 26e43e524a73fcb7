//! Child processes, measured: wall time and peak RSS (sampled from
//! `/proc/<pid>/status`, the kernel's own high-water mark `VmHWM` included), with
//! their stderr lines handed to the caller as they come.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::{Error, Result};

/// What a child process took.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Measured {
    /// Wall seconds.
    pub seconds: f64,
    /// Peak resident set size, bytes.
    pub peak_rss: u64,
}

/// What the caller sees while the child runs.
pub enum Event<'a> {
    /// A line the child wrote to stderr.
    Line(&'a str),
    /// A sample of the child's resident set size, bytes.
    Rss(u64),
}

/// `VmRSS` and `VmHWM` of a process, bytes (Linux; zeros elsewhere).
fn rss(pid: u32) -> (u64, u64) {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return (0, 0);
    };
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Run `exe args` in `cwd`, sampling its RSS every 20 ms.
pub fn measure(
    exe: &Path,
    args: &[&str],
    cwd: &Path,
    mut on: impl FnMut(Event<'_>),
) -> Result<Measured> {
    let start = Instant::now();
    let mut child = Command::new(exe)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Step(format!("{}: {e}", exe.display())))?;
    let pid = child.id();
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr)
            .lines()
            .map_while(std::io::Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut peak = 0u64;
    let mut tail: Vec<String> = Vec::new();
    let mut last_sample = Instant::now() - Duration::from_secs(1);
    loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(line) => {
                on(Event::Line(&line));
                tail.push(line);
                if tail.len() > 20 {
                    tail.remove(0);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if last_sample.elapsed() >= Duration::from_millis(20) {
            let (now, hwm) = rss(pid);
            peak = peak.max(now).max(hwm);
            if now > 0 {
                on(Event::Rss(now));
            }
            last_sample = Instant::now();
        }
    }
    let status = child.wait()?;
    let _ = reader.join();
    let seconds = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(Error::Step(format!(
            "{} {} failed ({status}):\n{}",
            exe.display(),
            args.join(" "),
            tail.join("\n")
        )));
    }
    Ok(Measured {
        seconds,
        peak_rss: peak,
    })
}
