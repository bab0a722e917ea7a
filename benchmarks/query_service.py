"""Query latency and the HTTP service under load, on a finished run (BENCHMARKS.md "Query and serve").

    # the run: full DDTP en-fr (80,967 documents), as `mine` writes it
    twinpages mine ../shared/data/docalign/ddtp-en-fr/docs.jsonl.gz -o RUN --extract none --workers 2
    python benchmarks/query_service.py latency RUN --docs ../shared/data/docalign/ddtp-en-fr/docs.jsonl.gz
    python benchmarks/query_service.py load RUN --docs ... --clients 8 --seconds 60
    python benchmarks/query_service.py seed RUN2 --shared ../shared     # RUN2: English seed + SemEval + DDTP

latency: one document at a time through the library (RunIndex.query_bytes: extraction, language ID,
splitting, embedding, index search, alignment of each candidate), the model and indexes loaded first
(their load time reported apart); the documents are DDTP descriptions sampled with a seed, sent as new
text. load: `twinpages serve RUN` in its own process, ``--clients`` threads posting such documents to
/query over loopback for ``--seconds``; requests/s, latency percentiles, errors.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np


def sample_texts(docs: Path, n: int, seed: int = 0) -> list[tuple[str, str]]:
    """(id, text) of n documents drawn with a seed: JSONL records {id, text}, or SemEval's pairs
    {pair_id, text1, text2} (each text a document)."""
    opener = gzip.open if docs.suffix == ".gz" else open
    with opener(docs, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    texts = [(r["id"], r["text"]) for r in rows if "text" in r] + [
        (f"{r['pair_id']}_{k}", r[f"text{k}"]) for r in rows if "text1" in r for k in (1, 2)]
    return random.Random(seed).sample(texts, min(n, len(texts)))


def percentiles(seconds: list[float]) -> dict:
    a = np.asarray(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 1), "p90_ms": round(float(np.percentile(a, 90)), 1),
            "p99_ms": round(float(np.percentile(a, 99)), 1), "max_ms": round(float(a.max()), 1)}


def latency(args) -> dict:
    from twinpages.query import QueryError, RunIndex

    t0 = time.monotonic()
    run = RunIndex(args.run)
    run.warm()
    load = time.monotonic() - t0
    texts = sample_texts(Path(args.docs), args.queries + args.warmup, args.seed)
    times, twins, candidates, refused = [], 0, 0, {}
    for k, (doc_id, text) in enumerate(texts):
        t = time.perf_counter()
        try:
            answer = run.query_bytes(text.encode("utf-8"), doc_id, "txt")
        except QueryError as e:  # e.g. a one-line description identified as a language the run lacks
            refused[e.kind] = refused.get(e.kind, 0) + 1
            continue
        elapsed = time.perf_counter() - t
        if k < args.warmup:
            continue
        times.append(elapsed)
        twins += len(answer.twins)
        candidates += answer.candidates
    return {"what": "latency", "run": str(args.run), "documents": len(run.state.index), "queries": len(times),
            "load_seconds": round(load, 1), **percentiles(times), "mean_ms": round(1000 * float(np.mean(times)), 1),
            "twins_per_query": round(twins / len(times), 2), "candidates_per_query": round(candidates / len(times), 2),
            "refused": refused}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(args) -> dict:
    import tempfile

    port = free_port()
    log = tempfile.TemporaryFile("w+")  # not a pipe: uvicorn logs every request, and a full pipe would block it
    server = subprocess.Popen([sys.executable, "-m", "twinpages", "serve", str(args.run), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=log, text=True)
    try:
        t0 = time.monotonic()
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                if server.poll() is not None:
                    log.seek(0)
                    raise SystemExit(f"the server ended: {log.read()}") from None
                time.sleep(0.5)
        startup = time.monotonic() - t0
        texts = sample_texts(Path(args.docs), 500, args.seed)
        stop = time.monotonic() + args.seconds
        times: list[float] = []
        errors: dict[str, int] = {}
        lock = threading.Lock()

        def client(n: int):
            rng = random.Random(n)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            while time.monotonic() < stop:
                _, text = rng.choice(texts)
                t = time.perf_counter()
                try:
                    conn.request("POST", "/query", body=text.encode("utf-8"),
                                 headers={"Content-Type": "text/plain; charset=utf-8"})
                    r = conn.getresponse()
                    r.read()
                    status = r.status
                except OSError as e:
                    status = type(e).__name__
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                elapsed = time.perf_counter() - t
                with lock:
                    if status == 200:
                        times.append(elapsed)
                    else:
                        errors[str(status)] = errors.get(str(status), 0) + 1
            conn.close()

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        t_start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t_start
        return {"what": "load", "run": str(args.run), "clients": args.clients, "seconds": round(wall, 1),
                "startup_seconds": round(startup, 1), "requests": len(times) + sum(errors.values()),
                "ok": len(times), "errors": errors, "requests_per_s": round(len(times) / wall, 2),
                **percentiles(times)}
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def seed(args) -> dict:
    from twinpages.query import RunIndex

    run = RunIndex(args.run)
    german = (Path(args.shared) / "seeds" / "004_e9dbbdd4118222ca.txt").read_bytes()
    run.query_bytes(german, "warmup.txt", "txt")
    answer = run.query_bytes(german, "004_e9dbbdd4118222ca.txt", "txt")
    first = answer.twins[0].record() if answer.twins else {}
    return {"what": "seed", "run": str(args.run), "documents": len(run.state.index), "twins": len(answer.twins),
            "first": first.get("document"), "src_coverage": first.get("src_coverage"),
            "tgt_coverage": first.get("tgt_coverage"), "direction": first.get("direction"),
            "score": first.get("score"), "seconds": round(answer.seconds, 3)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["latency", "load", "seed"])
    p.add_argument("run")
    p.add_argument("--docs", help="JSONL(.gz) documents to query with (DDTP's docs.jsonl.gz)")
    p.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    print(json.dumps({"latency": latency, "load": load, "seed": seed}[args.what](args)))


if __name__ == "__main__":
    main()
