"""Mirrors are decided once (issue 29): a crawl-like mix of DDTP pairs where a share of the pages also sits
on a mirror (the same text under another id and address), mined; how many candidates were decided and
how many took the decision of an exact copy's, the decide phase's CPU, and P/R.

    python benchmarks/mirrors_decide.py ../shared --pairs 2000 --distractors 2000 --mirrored 0.3 \\
        --work /tmp/mirrors [--workers 2] [--json]

The set: ``--pairs`` DDTP gold pairs and ``--distractors`` unpaired documents (eval.docalign_f1.subset,
seeded), then each document copied to a mirror with probability ``--mirrored`` (its id + "@mirror"). Gold:
the DDTP pairs, and each with a mirror on either side or both (every copy of an English page pairs with
every copy of its French translation). `twinpages mine --extract none` over it (all pairs; one-to-one
would keep one of a page's copies). Run it with the code before the change on PYTHONPATH for the
baseline: the outputs must be the same bytes (the reused decisions are the decisions).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from mine_run import mine_pairs  # benchmarks/ (a script's own folder is on sys.path)

from twinpages.eval.docalign_f1 import read_gold, subset


def build(shared: Path, out: Path, pairs: int, distractors: int, mirrored: float, seed: int) -> set[frozenset[str]]:
    base = shared / "data" / "docalign" / "ddtp-en-fr"
    lines, chosen = subset(base / "docs.jsonl.gz", read_gold(base / "gold.tsv"), pairs, distractors, seed)
    rng = random.Random(seed)
    copies: dict[str, list[str]] = {}
    records = []
    for line in lines:
        d = json.loads(line)
        records.append(d)
        copies[d["id"]] = [d["id"]]
        if rng.random() < mirrored:
            mirror = dict(d, id=d["id"] + "@mirror")
            if d.get("url"):
                mirror["url"] = d["url"].replace("://", "://mirror.", 1)
            records.append(mirror)
            copies[d["id"]].append(mirror["id"])
    out.mkdir(parents=True, exist_ok=True)
    with (out / "docs.jsonl").open("w", encoding="utf-8") as f:
        for d in records:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    a_b = [sorted(p) for p in chosen]
    return {frozenset((x, y)) for a, b in a_b for x in copies[a] for y in copies[b]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shared", type=Path)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--pairs", type=int, default=2000)
    ap.add_argument("--distractors", type=int, default=2000)
    ap.add_argument("--mirrored", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    gold = build(args.shared, args.work, args.pairs, args.distractors, args.mirrored, args.seed)
    run = args.work / "run"
    stats, found, seconds, cmd = mine_pairs(args.work / "docs.jsonl", run, "--extract", "none", workers=args.workers)
    tp = len(found & gold)
    result = {"documents": stats["documents_read"], "mirrors": sum(1 for _ in open(args.work / "docs.jsonl"))
              - args.pairs * 2 - args.distractors, "gold_pairs": len(gold), "candidates": stats["candidates"],
              "decisions_reused": stats.get("decisions_reused"), "pairs": len(found),
              "precision": round(tp / len(found), 4) if found else 0.0, "recall": round(tp / len(gold), 4),
              "cpu_aligned": stats["cpu_seconds"].get("aligned"), "wall_seconds": round(seconds, 1),
              "command": " ".join(cmd[1:])}
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
