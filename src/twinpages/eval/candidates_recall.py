"""Candidate-search recall against gold pairs, with the index's build and search time and memory.

``gold_recall``: gold pairs among the candidates (either order) over gold pairs whose two documents
were both read. The documents are read and embedded first (with ``--cache`` a second evaluation skips
the encoder); the candidate phases then run in a fresh process over the same run folder, so that
``peak_rss_mb`` is the search's own peak (that process and its workers), not the encoder's.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .docalign_f1 import read_gold, subset

_CHILD = """
import json, sys
from twinpages.config import PipelineConfig, from_dict
from twinpages.api import mine
from twinpages.runners import RunnerConfig
args = json.loads(sys.argv[1])
config = from_dict(PipelineConfig, args["config"])
runner = from_dict(RunnerConfig, args["runner"]) if args["runner"] else None
result = mine(args["inputs"], args["out"], config, progress=args["progress"], runner=runner, until="candidates")
print(json.dumps(result.stats))
"""


def evaluate(docs: Path, gold_path: Path, config=None, gold_pairs: int | None = None, distractors: int = 0,
             progress: bool = False, runner=None) -> dict:
    """``runner``: a RunnerConfig (default: local, one process)."""
    from ..api import mine
    from ..config import PipelineConfig, to_dict

    config = config or PipelineConfig()
    gold = read_gold(gold_path)
    with tempfile.TemporaryDirectory() as tmp:
        inputs = [str(docs)]
        if gold_pairs is not None:
            lines, gold = subset(Path(docs), gold, gold_pairs, distractors)
            sub = Path(tmp) / "subset.jsonl"
            sub.write_text("".join(lines), encoding="utf-8")
            inputs = [str(sub)]
        out = Path(tmp) / "run"
        t0 = time.perf_counter()
        mine(inputs, out, config, progress=progress, runner=runner, until="embed")
        embed_seconds = time.perf_counter() - t0
        child = {"inputs": inputs, "out": str(out), "config": to_dict(config), "progress": progress,
                 "runner": to_dict(runner) if runner is not None else None}
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(child)], stdout=subprocess.PIPE, text=True,
                              check=True)
        seconds = time.perf_counter() - t0
        stats = json.loads(done.stdout.strip().splitlines()[-1])
        # the search process and the workers it waited for, or (Ray actors are not its children) the
        # peaks its runner recorded for each worker
        by_process = stats.get("peak_rss_mb", {})
        peak = max([resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, by_process.get("driver", 0),
                    *by_process.get("workers", {}).values()])
        found, present = _found_gold(out, gold)
    stage = stats.get("stage_seconds", {})
    index = stats.get("candidate_search", {}).get("index", {})
    indexed = sum(kind["documents"] for kind in index.values())
    return {
        "gold_recall": found / present if present else 0.0,
        "gold_found": found, "gold": present, "gold_not_read": len(gold) - present,
        "candidates": stats["candidates"], "documents": stats["documents_read"],
        "searched": stats.get("candidate_search", {}).get("searched", {}),
        "build_seconds": round(stage.get("trained", 0) + stage.get("indexed", 0), 1),
        "search_seconds": round(stage.get("searched", 0) + stage.get("paired", 0) + stage.get("candidates", 0), 1),
        "candidate_phase_seconds": round(seconds, 1), "embed_seconds": round(embed_seconds, 1),
        "peak_rss_mb": round(peak),
        "index_bytes_per_doc": round(sum(k["bytes"] for k in index.values()) / indexed, 1) if indexed else 0.0,
        "index_memory_bytes_per_doc": round(sum(k["memory_bytes"] for k in index.values()) / indexed, 1)
        if indexed else 0.0,
    }


def _found_gold(run: Path, gold: set[frozenset[str]]) -> tuple[int, int]:
    """(gold pairs among the run's candidates, gold pairs whose two documents the run read)."""
    import numpy as np

    from ..store import Layout
    from ..store.shards import read_candidates, read_table

    layout = Layout(run)
    stats = list(layout.shards.glob("candidates-*.json"))  # a run stopped after its candidates has no state yet
    if len(stats) != 1:
        raise RuntimeError(f"expected one candidates file in {layout.shards}, found {len(stats)}")
    ids: list[str] = []
    for path in sorted(layout.documents("*").parent.glob("*.parquet")):  # shard names sort in run order
        ids += read_table(path, ["id"]).column("id").to_pylist()
    cands = read_candidates(stats[0].with_suffix(".parquet"))
    ids_arr = np.asarray(ids, dtype=object)
    found_pairs = {frozenset(p) for p in zip(ids_arr[cands.src].tolist(), ids_arr[cands.tgt].tolist(), strict=True)}
    have = set(ids)
    present = [g for g in gold if g <= have]
    return sum(1 for g in present if g in found_pairs), len(present)
