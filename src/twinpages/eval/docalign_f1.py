"""Document-alignment precision, recall and F1 against gold pairs, with speed and peak memory.

A predicted document pair counts when its two ids form a gold pair (in either order). Subsets for
quick runs keep whole gold pairs and add documents that have no partner at all.
"""

from __future__ import annotations

import gzip
import json
import random
import resource
import tempfile
import time
from pathlib import Path


def read_gold(path: Path) -> set[frozenset[str]]:
    pairs = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            a, b = line.split("\t")[:2]
            pairs.add(frozenset((a.strip(), b.strip())))
    return pairs


def score(predicted: list[tuple[str, str]], gold: set[frozenset[str]]) -> dict[str, float]:
    pred = {frozenset(p) for p in predicted}
    tp = len(pred & gold)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(gold) if gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "true_positives": tp, "predicted": len(pred), "gold": len(gold)}


def subset(docs_path: Path, gold: set[frozenset[str]], gold_pairs: int, distractors: int,
           seed: int = 0) -> tuple[list[str], set[frozenset[str]]]:
    """The JSON lines of ``gold_pairs`` gold pairs and ``distractors`` documents that are in no gold pair
    (seeded): a subset where every document with a partner has its partner."""
    with gzip.open(docs_path, "rt", encoding="utf-8") if str(docs_path).endswith(".gz") else \
            open(docs_path, encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    ids = [json.loads(line)["id"] for line in lines]
    rng = random.Random(seed)
    chosen_pairs = set(rng.sample(sorted(gold, key=sorted), min(gold_pairs, len(gold))))
    wanted = {i for p in chosen_pairs for i in p}
    paired = {i for p in gold for i in p}
    others = [k for k, i in enumerate(ids) if i not in paired]
    extra = set(rng.sample(others, min(distractors, len(others))))
    keep = [line for k, (line, i) in enumerate(zip(lines, ids, strict=True)) if i in wanted or k in extra]
    return keep, chosen_pairs


def evaluate(docs: Path, gold_path: Path, config=None, gold_pairs: int | None = None,
             distractors: int = 0, progress: bool = False, workers: int = 1, runner=None) -> dict:
    """``runner``: a RunnerConfig (default: local, ``workers`` processes)."""
    from ..api import mine
    from ..config import PipelineConfig

    config = config or PipelineConfig()
    gold = read_gold(gold_path)
    with tempfile.TemporaryDirectory() as tmp:
        inputs = [docs]
        if gold_pairs is not None:
            lines, gold = subset(Path(docs), gold, gold_pairs, distractors)
            sub = Path(tmp) / "subset.jsonl"
            sub.write_text("".join(lines), encoding="utf-8")
            inputs = [sub]
        t0 = time.perf_counter()
        result = mine(inputs, None, config, progress=progress, workers=workers, runner=runner)
        seconds = time.perf_counter() - t0
    metrics = score([(p.src_id, p.tgt_id) for p in result.pairs], gold)
    if not config.select.one_to_one:  # what --one-to-one would have kept, from the same run
        from ..stages.select import one_to_one

        kept = score([(p.src_id, p.tgt_id) for p in one_to_one(result.pairs)], gold)
        metrics |= {f"one_to_one_{k}": kept[k] for k in ("precision", "recall", "f1")}
    n_docs = result.stats["documents_read"]
    return metrics | {"documents": n_docs, "seconds": round(seconds, 1), "docs_per_s": n_docs / seconds,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "candidates": result.stats["candidates"], "one_to_one": config.select.one_to_one,
                      "peak_rss_mb_by_process": result.stats["peak_rss_mb"],
                      "stage_seconds": result.stats.get("stage_seconds", {})}
