"""The cheap first verdict (issue 14): how many candidate pairs it rejects before any alignment, and how
many translations it would lose, over the candidates of finished `twinpages mine` run folders.

Every candidate is decided twice, in this process: with the prefilter off (the reference verdict), and
by the prefilter alone. Lost = accepted by the reference, rejected by the prefilter (goal: 0).

    python benchmarks/prefilter.py RUN_FOLDER... [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from twinpages.config import load_config
from twinpages.phases.base import Models
from twinpages.stages.docalign import may_be_translation
from twinpages.store.shards import DocReader, ShardIndex, read_candidates


def measure(run: Path) -> dict:
    import pyarrow.parquet as pq

    config = load_config(run / "run.json")
    shards = run / "shards"
    names = sorted(p.stem for p in (shards / "documents").glob("*.parquet"))
    index = ShardIndex.from_counts(names, [pq.read_metadata(shards / "documents" / f"{n}.parquet").num_rows
                                           for n in names])
    encoders = tuple(sorted(p.name for p in (shards / "vectors").iterdir()))
    docs = DocReader(shards / "documents", shards / "vectors", index, encoders, documents=100_000)
    (cand_path,) = shards.glob("candidates-*.parquet")
    cands = list(read_candidates(cand_path))
    reference = Models.of(replace(config, docalign=replace(config.docalign, prefilter=False)))
    accepted = rejected = lost = 0
    t_ref = t_pre = 0.0
    for c in cands:
        a, b = docs[c.src], docs[c.tgt]
        name, da = reference.decider.docalign_config(a, b)
        t0 = time.perf_counter()
        keep = may_be_translation(a.embeddings[name], b.embeddings[name], c.score, replace(da, prefilter=True))
        t1 = time.perf_counter()
        pair = reference.decider.decide(a, b, c.score)
        t2 = time.perf_counter()
        t_pre += t1 - t0
        t_ref += t2 - t1
        accepted += pair is not None
        rejected += not keep
        lost += pair is not None and not keep
    return {"run": str(run), "candidates": len(cands), "accepted": accepted, "rejected_by_prefilter": rejected,
            "lost": lost, "prefilter_seconds": round(t_pre, 2), "decide_seconds": round(t_ref, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = [measure(r) for r in args.runs]
    print(json.dumps(rows if args.json else rows, indent=None if args.json else 1))


if __name__ == "__main__":
    main()
