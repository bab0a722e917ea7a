"""The read phase at scale: N documents through read -> extract -> language ID -> sentence split
(`twinpages mine --until read`), as JSONL files or as WARC archives, with the driver's and each worker's
peak memory. The driver must stay flat as N grows: it plans shards and merges counts, it never reads a page.

Documents are DDTP descriptions repeated with varied ids and URLs (10,000 hosts, so that the per-site
boilerplate count sees sites of ~100 pages each), written as files of 50,000 documents; WARC records
wrap each text as an HTML page with a navigation bar and a footer.

    python benchmarks/scale_read.py ../shared --docs 100000 1000000 --format jsonl --workers 2
    python benchmarks/scale_read.py ../shared --docs 100000 --format warc --html-extractor resiliparse
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PER_FILE = 50_000


def texts(shared: Path) -> list[tuple[str, str]]:
    with gzip.open(shared / "data/docalign/ddtp-en-fr/docs.jsonl.gz", "rt", encoding="utf-8") as f:
        return [(r["lang"], r["text"]) for r in map(json.loads, f)]


def records(shared: Path, n: int):
    pool = texts(shared)
    for k in range(n):
        lang, text = pool[k % len(pool)]
        yield f"doc{k:08d}", f"https://site{k % 10_000}.example/{lang}/page{k}.html", text


def write_files(shared: Path, n: int, folder: Path, fmt: str) -> None:
    """PER_FILE records a file, each made by ``jsonl_record`` or ``warc_record``."""
    make = jsonl_record if fmt == "jsonl" else warc_record
    out = None
    for k, rec in enumerate(records(shared, n)):
        if k % PER_FILE == 0:
            if out:
                out.close()
            out = open(folder / f"part{k // PER_FILE:04d}.{fmt}", "wb")
        out.write(make(k, *rec))
    out.close()


def jsonl_record(k: int, doc_id: str, url: str, text: str) -> bytes:
    return (json.dumps({"id": doc_id, "url": url, "text": text}, ensure_ascii=False) + "\n").encode()


def warc_record(k: int, doc_id: str, url: str, text: str) -> bytes:
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    page = (f"<!doctype html><html><head><title>Package</title></head><body><nav><a href='/'>Home</a> "
            f"<a href='/about'>About</a> <a href='/contact'>Contact</a></nav><main><article><h1>Package</h1>"
            f"{paras}</article></main><footer>Copyright 2024 Example Packages. All rights reserved.</footer>"
            "</body></html>").encode()
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + page
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{uuid.UUID(int=k)}>\r\n"
            f"WARC-Target-URI: {url}\r\nContent-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(block)}\r\n\r\n").encode()
    return head + block + b"\r\n\r\n"


RUN = """
import json, sys
from dataclasses import replace
from twinpages import PipelineConfig, RunnerConfig, mine
c = PipelineConfig()
c = replace(c, extract=replace(c.extract, html_extractor=sys.argv[3]))
r = mine([sys.argv[1]], sys.argv[2], c, until="read", runner=RunnerConfig(workers=int(sys.argv[4])))
print(json.dumps(r.stats))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("shared", type=Path)
    ap.add_argument("--docs", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--format", choices=["jsonl", "warc"], default="jsonl")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--html-extractor", default="trafilatura")
    ap.add_argument("--tmp", default=None, help="folder for the generated corpus (default: system temp)")
    args = ap.parse_args()
    for n in args.docs:
        with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
            inputs = Path(tmp) / "in"
            inputs.mkdir()
            write_files(args.shared, n, inputs, args.format)
            size = sum(p.stat().st_size for p in inputs.iterdir())
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", RUN, str(inputs), str(Path(tmp) / "out"),
                                   args.html_extractor, str(args.workers)], capture_output=True, text=True)
            seconds = time.perf_counter() - t0
            if done.returncode != 0:
                raise SystemExit(done.stderr[-3000:])
            stats = json.loads(done.stdout.strip().splitlines()[-1])
        peak = stats["peak_rss_mb"]
        rate = n / seconds
        print(json.dumps({
            "documents": n, "format": args.format, "input_mb": round(size / 2**20), "workers": args.workers,
            "html_extractor": args.html_extractor, "kept": stats["documents_kept"],
            "failed": stats["documents_failed"], "seconds": round(seconds, 1), "stage_seconds": stats["stage_seconds"],
            "docs_per_s": round(rate, 1), "docs_per_s_per_core": round(rate / args.workers, 1),
            "driver_peak_rss_mb": peak["driver"], "worker_peak_rss_mb": sorted(peak["workers"].values())}), flush=True)


if __name__ == "__main__":
    main()
