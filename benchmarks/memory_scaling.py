"""Peak memory of `twinpages mine` on 20k and 200k documents (issue 7: memory must not grow with the
corpus beyond the vector index).

The documents are made from the DDTP set: every line (a package's short description, or a paragraph
of its long one) becomes a document of its own, which gives ~240k real English and French texts.
The descriptions are shuffled (seeded) and the first N lines make the N-document corpus.
Each size runs in a fresh process; peak RSS is the
largest process's maximum resident set (ru_maxrss; `--workers 2`), the vector index is N x 512 float32.

Usage: python benchmarks/memory_scaling.py [SHARED_DIR] [N ...]   (default: 20000 200000)
"""

import gzip
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

shared = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared")
sizes = [int(x) for x in sys.argv[2:]] or [20_000, 200_000]


def make_corpus(n: int, path: Path) -> None:
    with gzip.open(shared / "data/docalign/ddtp-en-fr/docs.jsonl.gz", "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    random.Random(0).shuffle(records)  # the file lists all English first: mix the languages
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        for rec in records:
            for k, para in enumerate(p for p in rec["text"].split("\n") if p.strip()):
                out.write(json.dumps({"id": f"{rec['id']}.{k}", "lang": rec["lang"], "text": para}) + "\n")
                written += 1
                if written == n:
                    return
    raise SystemExit(f"only {written} documents available, {n} asked")


results = []
for n in sizes:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        make_corpus(n, corpus)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "twinpages", "mine", str(corpus), "-o", str(Path(tmp) / "out"),
                               "--extract", "none", "--quiet", "--formats", "tsv", "--workers", "2"],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if proc.returncode not in (0, 3):
            raise SystemExit(proc.stderr)
        run = json.loads((Path(tmp) / "out/run.json").read_text())
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # max over children so far
    index_mb = n * 512 * 4 / 2**20
    results.append({"documents": n, "peak_rss_mb": round(rss_mb), "vector_index_mb": round(index_mb),
                    "peak_minus_index_mb": round(rss_mb - index_mb), "seconds": round(seconds, 1),
                    "candidates": run["stats"]["candidates"], "document_pairs": run["stats"]["document_pairs"],
                    "by_stage": proc.stderr.strip().splitlines()[-1]})
    print(json.dumps(results[-1]), flush=True)
if len(results) == 2:
    a, b = results
    print(json.dumps({"ratio_peak": round(b["peak_rss_mb"] / a["peak_rss_mb"], 2),
                      "ratio_beyond_index": round(b["peak_minus_index_mb"] / a["peak_minus_index_mb"], 2)}))
