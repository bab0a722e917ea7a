"""Reference for document alignment: for each French document, its best-margin English candidate.

Same subset as `twinpages eval docalign --gold-pairs 300 --distractors 1500` (seeded), same
documents, vectors and candidates as the pipeline; only the decision differs.

Usage: python benchmarks/docalign_nn_baseline.py [SHARED_DIR] [--gold-pairs 300] [--distractors 1500]
"""

import argparse
import json
import tempfile
from pathlib import Path

from twinpages import PipelineConfig, mine
from twinpages.eval.docalign_f1 import read_gold, score, subset
from twinpages.stages.extract import ExtractConfig
from twinpages.store.shards import DocReader, ShardIndex, read_candidates, read_table

p = argparse.ArgumentParser()
p.add_argument("shared", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared"))
p.add_argument("--gold-pairs", type=int, default=300)
p.add_argument("--distractors", type=int, default=1500)
args = p.parse_args()
base = Path(args.shared) / "data/docalign/ddtp-en-fr"
lines, gold = subset(base / "docs.jsonl.gz", read_gold(base / "gold.tsv"), args.gold_pairs, args.distractors)
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "subset.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    run = Path(tmp) / "run"
    # the pipeline's own phases up to the candidate search; the run folder keeps their shards
    mine([path], run, PipelineConfig(extract=ExtractConfig(mode="none")), until="candidates")
    shards = run / "shards"
    names = sorted(p.stem for p in (shards / "documents").glob("*.parquet"))
    index = ShardIndex.from_counts(names, [read_table(shards / "documents" / f"{n}.parquet", ["id"]).num_rows
                                           for n in names])
    docs = DocReader(shards / "documents", shards / "vectors", index, ())
    best: dict[str, tuple[str, float]] = {}
    for c in read_candidates(next(shards.glob("candidates-*.parquet"))):
        a, b = docs[c.src], docs[c.tgt]
        fr, en = (a, b) if a.lang == "fr" else (b, a)
        if fr.id not in best or c.margin > best[fr.id][1]:
            best[fr.id] = (en.id, c.margin)
print(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                  for k, v in score([(f, e) for f, (e, _) in best.items()], gold).items()}))
