"""How many SemEval-2022 de-en news pairs twinpages calls translations, by the pair's Overall rating
(1 = same story ... 4 = unrelated). All 390 texts go into one pool; `--extract none` (clean text).

Usage: python benchmarks/semeval_pool.py [SHARED_DIR]
"""

import collections
import json
import sys
import tempfile
from pathlib import Path

from twinpages import PipelineConfig, mine
from twinpages.stages.extract import ExtractConfig

shared = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared")
data = shared / "data/news-similarity/semeval2022-de-en.jsonl"
rows = [json.loads(x) for x in data.read_text("utf-8").splitlines()]
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "pool.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"id": r["pair_id"] + "_de", "lang": "de", "text": r["text1"]}) + "\n")
            f.write(json.dumps({"id": r["pair_id"] + "_en", "lang": "en", "text": r["text2"]}) + "\n")
    result = mine([path], None, PipelineConfig(extract=ExtractConfig(mode="none")))
rating = {r["pair_id"]: r["Overall"] for r in rows}
same = collections.Counter()
cross = []
for p in result.pairs:
    a, b = p.src_id.rsplit("_", 1)[0], p.tgt_id.rsplit("_", 1)[0]
    if a == b:
        same[rating[a]] += 1
    else:
        cross.append((p.src_id, p.tgt_id))
print(json.dumps({"pairs_rated": len(rows), "called_translation_by_overall": dict(sorted(same.items())),
                  "called_translation_across_pairs": len(cross)}))
