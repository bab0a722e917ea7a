"""What the aligner's run vectors cost against embedding the same sentences (issue 32).

    python benchmarks/overlap_cost.py RUN_FOLDER [--json]

Reads the documents of a finished run (its documents shards) and times, on one thread, in this process:
USE-m3's plain encoding of every document's sentences (what the embed phase does), and the overlap
shortcut the decide phase runs on an accepted document (usem3_overlaps.OverlapEncoder.encode_overlaps,
runs of 2 and 3 sentences, short-sentence runs left out as `mine` does), split into the token features
of the sentences, those of the windows around each join, and the rest (the head, the prefix sums).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import pyarrow.parquet as pq

    from twinpages.backends import usem3_overlaps
    from twinpages.backends.blas import one_thread
    from twinpages.backends.encoders import USEM3

    docs = []
    for path in sorted((args.run / "shards" / "documents").glob("*.parquet")):
        for row in pq.read_table(path, columns=["sentences"]).column("sentences").to_pylist():
            docs.append([s if isinstance(s, str) else s["text"] for s in row])
    docs = [d for d in docs if d]
    encoder = USEM3(threads=1)
    encoder.encode(["warm up"])
    encoder.encode_overlaps(["a b c d e f g h i j", "k l m n o p q r s t"], [2])
    with one_thread():
        t0 = time.process_time()
        for d in docs:
            encoder.encode(d)
        plain = time.process_time() - t0

    spent = {"sentences": 0.0, "joins": 0.0}
    tokens = {"sentences": 0, "joins": 0}
    reduce = usem3_overlaps.OverlapEncoder.reduced_features

    def timed(self, seqs, spans, budget=384):
        t = time.process_time()
        out = reduce(self, seqs, spans, budget)
        kind = "joins" if spans and len(spans[0]) == 1 else "sentences"  # joins: one span a window
        spent[kind] += time.process_time() - t
        tokens[kind] += sum(len(s) for s in seqs)
        return out

    usem3_overlaps.OverlapEncoder.reduced_features = timed
    with one_thread():
        t0 = time.process_time()
        for d in docs:
            encoder._overlaps.encode_overlaps(d, [2, 3], None)
        overlaps = time.process_time() - t0
    result = {"documents": len(docs), "sentences": sum(map(len, docs)), "plain_encoding_s": round(plain, 2),
              "overlaps_s": round(overlaps, 2), "sentence_features_s": round(spent["sentences"], 2),
              "join_features_s": round(spent["joins"], 2),
              "rest_s": round(overlaps - spent["sentences"] - spent["joins"], 2),
              "sentence_tokens": tokens["sentences"], "join_tokens": tokens["joins"],
              "overlaps_over_plain": round(overlaps / plain, 2)}
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
