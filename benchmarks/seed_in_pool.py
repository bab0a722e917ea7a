"""The seed pair inside a pool of DDTP descriptions and SemEval news: found, with no false partner?

Pool: the two seed line dumps, the 390 SemEval texts and N DDTP documents (seeded sample of whole gold
pairs plus unpaired English), all through `mine` with default settings (line-dump extraction for
every text, as a crawl would get it).

Usage: python benchmarks/seed_in_pool.py [SHARED_DIR] [--ddtp-pairs 500] [--ddtp-distractors 1500]
"""

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from twinpages import mine
from twinpages.eval.docalign_f1 import read_gold, subset

p = argparse.ArgumentParser()
p.add_argument("shared", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared"))
p.add_argument("--ddtp-pairs", type=int, default=500)
p.add_argument("--ddtp-distractors", type=int, default=1500)
args = p.parse_args()
shared = Path(args.shared)
EN, DE = "000_58abd7e94c42ac02.txt", "004_e9dbbdd4118222ca.txt"
with tempfile.TemporaryDirectory() as tmp:
    pool = Path(tmp) / "pool"
    pool.mkdir()
    for name in (EN, DE):
        shutil.copy(shared / "seeds" / name, pool / name)
    base = shared / "data/docalign/ddtp-en-fr"
    lines, _ = subset(base / "docs.jsonl.gz", read_gold(base / "gold.tsv"), args.ddtp_pairs, args.ddtp_distractors)
    (pool / "ddtp.jsonl").write_text("".join(lines), encoding="utf-8")
    rows = [json.loads(x) for x in (shared / "data/news-similarity/semeval2022-de-en.jsonl").read_text("utf-8")
            .splitlines()]
    with open(pool / "semeval.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            for side, lang in (("text1", "lang1"), ("text2", "lang2")):
                f.write(json.dumps({"id": f"{r['pair_id']}_{r[lang]}", "lang": r[lang], "text": r[side]}) + "\n")
    result = mine([pool], None)
seed_pairs = [p for p in result.pairs if EN in (p.src_id, p.tgt_id) or DE in (p.src_id, p.tgt_id)]
print(json.dumps({"documents": result.stats["documents_read"], "pairs": len(result.pairs),
                  "seed_pairs": [(p.src_id, p.tgt_id, p.direction, round(p.score, 3)) for p in seed_pairs],
                  "seed_pair_found": any({p.src_id, p.tgt_id} == {EN, DE} for p in seed_pairs),
                  "false_partners_of_seeds": sum({p.src_id, p.tgt_id} != {EN, DE} for p in seed_pairs)}))
