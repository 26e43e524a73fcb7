//! Input formats: the interchange format and the logs real agents write.

use std::io::BufRead;

use crate::Result;
use crate::model::Event;

/// Receives what a format reader finds in one input file.
pub trait EventSink {
    /// An event found at `line` (1-based line or record number).
    fn event(&mut self, event: Event, line: i64);
    /// A line that could not be read, with a reason a user can act on.
    fn quarantine(&mut self, line: i64, reason: String, raw: &str);
    /// A record of a type the format reader does not map (counted, never fatal).
    fn skipped(&mut self, record_type: &str);
    /// Name of the input being read (formats without session ids derive one from it).
    fn source(&self) -> &str {
        ""
    }
}

/// A session log format.
pub trait Format: Send + Sync {
    /// Name used by `--format` and in `events.source_format`.
    fn name(&self) -> &'static str;
    /// Whether a file with this name and first bytes (decompressed) is in this format.
    fn detect(&self, file_name: &str, head: &[u8]) -> bool;
    /// Read a whole file, reporting events, bad lines and skipped records to `sink`.
    fn read(&self, input: &mut dyn BufRead, sink: &mut dyn EventSink) -> Result<()>;
}

/// A line that is not UTF-8: the quarantine reason and the line, lossily decoded.
type Undecodable = (String, String);

/// The next non-blank line of `input` into `buf` (line ending removed), counting
/// lines in `line_no`: `None` at the end, the text, or why it is undecodable.
fn next_line<'b>(
    input: &mut dyn BufRead,
    buf: &'b mut Vec<u8>,
    line_no: &mut i64,
) -> Result<Option<std::result::Result<&'b str, Undecodable>>> {
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', buf)
            .map_err(|e| crate::Error::Read {
                line: *line_no + 1,
                source: e,
            })?;
        if n == 0 {
            return Ok(None);
        }
        *line_no += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        return Ok(Some(match std::str::from_utf8(buf) {
            Ok(line) => Ok(line),
            Err(e) => Err((
                format!(
                    "not valid UTF-8 (byte {}); re-encode the file as UTF-8",
                    e.valid_up_to()
                ),
                String::from_utf8_lossy(buf).into_owned(),
            )),
        }));
    }
}

/// Drive a line-oriented reader: calls `f` with each non-blank line (1-based number),
/// quarantining lines that are not UTF-8.
pub fn read_lines(
    input: &mut dyn BufRead,
    sink: &mut dyn EventSink,
    mut f: impl FnMut(i64, &str, &mut dyn EventSink),
) -> Result<()> {
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0i64;
    while let Some(line) = next_line(input, &mut buf, &mut line_no)? {
        match line {
            Ok(text) => f(line_no, text, sink),
            Err((reason, lossy)) => sink.quarantine(line_no, reason, &lossy),
        }
    }
    Ok(())
}

/// Like [`read_lines`], with `parse` run on chunks of lines by worker threads
/// while this thread reads the next chunks and emits parsed ones; `emit` sees
/// every line in file order (so per-session state, like implicit `seq`, is
/// resolved exactly as by one thread).
pub fn read_lines_parallel<T: Send>(
    input: &mut dyn BufRead,
    sink: &mut dyn EventSink,
    parse: impl Fn(&str) -> T + Sync,
    mut emit: impl FnMut(i64, &str, T, &mut dyn EventSink),
) -> Result<()> {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex, mpsc};
    type Line = (i64, std::result::Result<String, Undecodable>);
    const CHUNK: usize = 4 * 1024;
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    // Chunks in flight at most: bounds memory.
    let in_flight = workers * 2;
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0i64;
    let mut read_chunk = |failed: &mut Option<crate::Error>| -> Vec<Line> {
        let mut chunk: Vec<Line> = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK && failed.is_none() {
            match next_line(input, &mut buf, &mut line_no) {
                Ok(Some(line)) => chunk.push((line_no, line.map(str::to_string))),
                Ok(None) => break,
                Err(e) => *failed = Some(e),
            }
        }
        chunk
    };
    std::thread::scope(|scope| {
        let (work_tx, work_rx) = mpsc::channel::<(usize, Vec<Line>)>();
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (done_tx, done_rx) = mpsc::channel::<(usize, Vec<Line>, Vec<Option<T>>)>();
        for _ in 0..workers {
            let (rx, tx, parse) = (Arc::clone(&work_rx), done_tx.clone(), &parse);
            scope.spawn(move || {
                loop {
                    let next = rx.lock().map(|r| r.recv());
                    let Ok(Ok((i, chunk))) = next else { return };
                    let parsed = chunk
                        .iter()
                        .map(|(_, l)| l.as_ref().ok().map(|l| parse(l)))
                        .collect();
                    if tx.send((i, chunk, parsed)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut failed = None;
        let (mut sent, mut next_out) = (0usize, 0usize);
        let mut eof = false;
        let mut ready: BTreeMap<usize, (Vec<Line>, Vec<Option<T>>)> = BTreeMap::new();
        loop {
            while !eof && sent - next_out < in_flight {
                let chunk = read_chunk(&mut failed);
                eof = chunk.len() < CHUNK || failed.is_some();
                if !chunk.is_empty() {
                    let _ = work_tx.send((sent, chunk));
                    sent += 1;
                }
            }
            if next_out == sent {
                break;
            }
            // Emit in order what is ready; wait for the next one otherwise.
            while !ready.contains_key(&next_out) {
                match done_rx.recv() {
                    Ok((i, c, p)) => {
                        ready.insert(i, (c, p));
                    }
                    Err(_) => break,
                }
            }
            let Some((chunk, parsed)) = ready.remove(&next_out) else {
                break;
            };
            next_out += 1;
            for ((no, line), p) in chunk.iter().zip(parsed) {
                match (line, p) {
                    (Ok(text), Some(v)) => emit(*no, text, v, sink),
                    (Err((reason, lossy)), _) => sink.quarantine(*no, reason.clone(), lossy),
                    (Ok(_), None) => {}
                }
            }
        }
        drop(work_tx);
        match failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })
}
