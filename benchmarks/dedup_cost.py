"""What the sharded bitext dedup costs and holds (issue 29), over a finished run's selected pairs.

    python benchmarks/dedup_cost.py RUN_FOLDER [--json]
    python benchmarks/dedup_cost.py --synthetic 1000000 [--json]   # made-up rows, 1 in 4 a repeat

One process, the same pairs (read into memory first), no filter: the rows made and written out as the
write phase makes them (``all_rows``) three ways, each timed and, in a second pass under tracemalloc, its
peak of Python memory: without dedup; deduplicated in 64 buckets (as shipped); deduplicated in 1 bucket
(every distinct pair's record in memory at once, as a dict of all pairs held before). Reports rows,
distinct rows, seconds and peak MB of each.
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from pathlib import Path

from twinpages.phases.select import SelectedPairs
from twinpages.stages.writers.bitext import BitextRows


def run(pairs, **kw) -> tuple[int, float]:
    t0 = time.perf_counter()
    n = sum(1 for _ in BitextRows(pairs, **kw).all_rows())
    return n, time.perf_counter() - t0


def synthetic(n_rows: int, per_pair: int = 20) -> dict:
    """Peak Python memory of the shipped dedup over ``n_rows`` made-up rows (pairs of ``per_pair`` beads,
    made as they are read, so only the dedup's own memory counts), at 1/10 and all of the rows: flat
    means the peak does not grow with the rows."""
    from twinpages.data import DocPair, SentPair

    def pairs(rows: int):
        for k in range(rows // per_pair):
            beads = [SentPair((j,), (j,), f"Sentence {(k * per_pair + j) % (rows * 3 // 4)} here.",
                              f"Satz {(k * per_pair + j) % (rows * 3 // 4)} hier.", 0.5, 0.7) for j in range(per_pair)]
            yield DocPair(f"a{k}", f"b{k}", "en", "de", 0.8, 1.0, 1.0, "unknown", beads=beads,
                          src_name=f"https://a.example/{k}", tgt_name=f"https://b.example/{k}")

    class Pairs:  # iterable more than once, never held
        def __init__(self, rows):
            self.rows = rows

        def __iter__(self):
            return pairs(self.rows)

    out = {}
    for rows in (n_rows // 10, n_rows):
        tracemalloc.start()
        t0 = time.perf_counter()
        n = sum(1 for _ in BitextRows(Pairs(rows)).all_rows())
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[str(rows)] = {"distinct": n, "seconds": round(seconds, 1), "peak_mb": round(peak / 1e6, 1)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_folder", type=Path, nargs="?")
    ap.add_argument("--synthetic", type=int, help="rows of made-up pairs instead of a run's")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.synthetic:
        result = synthetic(args.synthetic)
        print(json.dumps(result) if args.json else json.dumps(result, indent=1))
        return
    pairs = list(SelectedPairs(next((args.run_folder / "shards").glob("pairs-*.jsonl"))))
    ways = {"no_dedup": {"dedup": False}, "dedup_64_buckets": {}, "dedup_1_bucket": {"buckets": 1}}
    result = {"document_pairs": len(pairs)}
    for name, kw in ways.items():
        n, seconds = run(pairs, **kw)
        tracemalloc.start()
        run(pairs, **kw)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        result[name] = {"rows": n, "seconds": round(seconds, 2), "peak_mb": round(peak / 1e6, 1)}
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
