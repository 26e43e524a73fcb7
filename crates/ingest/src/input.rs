//! Finding and opening inputs: files, directories, globs and stdin, plain or
//! gzip/zstd compressed (detected by magic bytes, not by name).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file on disk.
    File(PathBuf),
    /// Standard input.
    Stdin,
    /// A file read in place of another (a Parquet file turned into JSON lines),
    /// recorded under the original's name.
    Converted {
        /// The original input's name.
        name: String,
        /// The file to read.
        path: PathBuf,
    },
    /// An object read from a store (the landing zone), by its URL.
    Bytes {
        /// The object's URL (recorded in `source_file`).
        name: String,
        /// Its content as stored (compressed or not).
        bytes: Vec<u8>,
    },
}

impl Input {
    /// Name recorded in `source_file`.
    pub fn name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => "-".into(),
            Input::Bytes { name, .. } | Input::Converted { name, .. } => name.clone(),
        }
    }

    /// Size on disk, when known (for progress).
    pub fn size(&self) -> Option<u64> {
        match self {
            Input::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Input::Stdin => None,
            Input::Bytes { bytes, .. } => Some(bytes.len() as u64),
            Input::Converted { path, .. } => std::fs::metadata(path).ok().map(|m| m.len()),
        }
    }
}

/// Expand command-line arguments into inputs: `-` is stdin, a directory is walked
/// recursively (sorted), an argument with `*`, `?` or `[` that is not an existing path
/// is a glob. A missing path is an error naming it.
pub fn expand(args: &[String]) -> Result<Vec<Input>> {
    let mut out = Vec::new();
    for arg in args {
        if arg == "-" {
            out.push(Input::Stdin);
            continue;
        }
        let path = Path::new(arg);
        if path.exists() {
            push_path(path, &mut out)?;
        } else if arg.contains(['*', '?', '[']) {
            let paths = glob::glob(arg).map_err(|e| Error::Input {
                path: arg.clone(),
                reason: format!("bad glob pattern: {e}"),
            })?;
            let mut matched = false;
            for p in paths.flatten() {
                matched = true;
                push_path(&p, &mut out)?;
            }
            if !matched {
                return Err(Error::Input {
                    path: arg.clone(),
                    reason: "the glob matches no file".into(),
                });
            }
        } else {
            return Err(Error::Input {
                path: arg.clone(),
                reason: "no such file or directory".into(),
            });
        }
    }
    Ok(out)
}

fn push_path(path: &Path, out: &mut Vec<Input>) -> Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::Input {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            push_path(&p, out)?;
        }
    } else if path.is_file() {
        out.push(Input::File(path.to_path_buf()));
    }
    Ok(())
}

/// Counts bytes read from the underlying (compressed) stream, for progress bars.
#[derive(Debug, Clone, Default)]
pub struct ByteCounter(Arc<AtomicU64>);

impl ByteCounter {
    /// Bytes read so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct Counting<R> {
    inner: R,
    counter: ByteCounter,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Open an input, decompressing gzip or zstd when its first bytes say so.
pub fn open(input: &Input, counter: &ByteCounter) -> Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = match input {
        Input::File(p) => Box::new(File::open(p).map_err(|e| Error::Input {
            path: p.display().to_string(),
            reason: e.to_string(),
        })?),
        Input::Stdin => Box::new(std::io::stdin()),
        Input::Bytes { bytes, .. } => Box::new(std::io::Cursor::new(bytes.clone())),
        Input::Converted { name, path } => {
            Box::new(File::open(path).map_err(|e| Error::Input {
                path: name.clone(),
                reason: e.to_string(),
            })?)
        }
    };
    let mut reader = BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: raw,
            counter: counter.clone(),
        },
    );
    let head = reader.fill_buf().map_err(|e| Error::Input {
        path: input.name(),
        reason: e.to_string(),
    })?;
    let out: Box<dyn BufRead + Send> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::read::MultiGzDecoder::new(reader),
        ))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let dec = zstd::stream::read::Decoder::with_buffer(reader).map_err(|e| Error::Input {
            path: input.name(),
            reason: format!("zstd: {e}"),
        })?;
        Box::new(BufReader::with_capacity(256 * 1024, dec))
    } else {
        Box::new(reader)
    };
    Ok(out)
}

/// Peek at up to `n` decompressed bytes of a buffered reader without consuming them.
pub fn peek(reader: &mut dyn BufRead, n: usize) -> Vec<u8> {
    match reader.fill_buf() {
        Ok(buf) => buf[..buf.len().min(n)].to_vec(),
        Err(_) => Vec::new(),
    }
}
