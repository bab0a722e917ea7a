"""What the sharded bitext dedup costs and holds (issue 29), over a finished run's selected pairs.

    python benchmarks/dedup_cost.py RUN_FOLDER [--json]

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_folder", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
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
