"""Object storage (issue 28), against an S3-compatible server on 127.0.0.1 (moto, started here), in one process:

1. reading the same file from the server and from local disk (documents/s, their ratio);
2. CommonCrawl's columnar index preselection on a synthetic snapshot: RECORDS WARC records of which a tenth
   are in the mined languages, read through the index (only those records, by byte range) against reading
   every WARC file: seconds, requests and bytes asked of the store;
3. `mine` with its run folder in the store against a run folder on disk, on a DDTP subset: wall time
   ratio, and per phase the store's requests (LIST, GET, PUT, DELETE) and bytes, per document. Workers are
   made to keep their own mirror (another TWINPAGES_CACHE_DIR than the driver's), as on a cluster without a
   shared disk, so what a worker fetches before its task is counted, and so is what the driver fetches.

    python benchmarks/object_storage.py ../shared [--pairs 300 --distractors 300] [--json]

Requests are every S3 API call s3fs makes (counted by method); bytes are what the reads ask for (whole
objects, or byte ranges) and, for the run folder, the files each transfer moved.
A moto server in the same machine has no network latency: the ratios show twinpages' own overhead, not a
real store's (per request, S3 adds tens of milliseconds; the counts let you price that).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import random
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

CALLS: Counter = Counter()  # (part or phase, S3 API method) -> calls, as s3fs makes them
PART = ["setup"]


def count_calls() -> None:
    """Count every S3 API call s3fs makes (list, head, get, put, delete...), under the current PART."""
    import s3fs

    call = s3fs.S3FileSystem._call_s3

    async def counted(self, method, *args, **kwargs):
        CALLS[(PART[0], getattr(method, "__name__", str(method)))] += 1
        return await call(self, method, *args, **kwargs)

    s3fs.S3FileSystem._call_s3 = counted


def calls_of(part: str) -> dict:
    return {method: n for (p, method), n in sorted(CALLS.items()) if p == part}


def start_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      FSSPEC_S3_ENDPOINT_URL=endpoint)
    import fsspec

    fsspec.config.conf.setdefault("s3", {})["endpoint_url"] = endpoint
    return server, fsspec.filesystem("s3")


def timed_read(inputs, config=None) -> tuple[float, int]:
    from twinpages.stages.readers import read

    t0 = time.perf_counter()
    n = sum(1 for _ in (read(inputs, config) if config else read(inputs)) if type(_).__name__ == "Document")
    return time.perf_counter() - t0, n


def read_throughput(fs, archive: Path) -> dict:
    fs.mkdir("bench")
    fs.put_file(str(archive), "bench/docs.jsonl.gz")
    best = {"disk": float("inf"), "s3": float("inf")}
    n = 0
    for _ in range(2):  # alternating, best of two each
        for where, inputs in (("disk", [archive]), ("s3", ["s3://bench/docs.jsonl.gz"])):
            seconds, n = timed_read(inputs)
            best[where] = min(best[where], seconds)
    return {"file": archive.name, "bytes": archive.stat().st_size, "documents": n,
            "disk_docs_per_s": round(n / best["disk"]), "s3_docs_per_s": round(n / best["s3"]),
            "s3_over_disk_seconds": round(best["s3"] / best["disk"], 3)}


def synthetic_snapshot(fs, texts: list[str], records: int, files: int, share: float, seed: int = 0) -> dict:
    """WARC files as CommonCrawl writes them (a gzip member per record) and an index part naming each
    record's languages: ``share`` of them German or English, the rest in other languages."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    mined = set(rng.sample(range(records), int(records * share)))
    others = ["fra", "spa", "ita", "pol", "nld", "por", "ces", "swe", "fin"]
    rows, sizes = [], 0
    per_file = records // files
    for f in range(files):
        name = f"crawl-data/CC-SYN/segments/1/warc/f-{f:05d}.warc.gz"
        blob = b""
        for k in range(f * per_file, (f + 1) * per_file):
            url = f"https://site{k % 97}.example/page/{k}"
            body = "".join(f"<p>{texts[(k * 31 + j) % len(texts)]}</p>" for j in range(PARAGRAPHS))
            html = f"<html><body><article>{body}</article></body></html>".encode()
            http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
            head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\n"
                    f"WARC-Record-ID: <urn:uuid:{k:032x}>\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
                    f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n"
                    ).encode()
            member = gzip.compress(head + http + b"\r\n\r\n")
            lang = rng.choice(["deu", "eng", "deu,eng"]) if k in mined else rng.choice(others)
            rows.append({"url": url, "warc_filename": name, "warc_record_offset": len(blob),
                         "warc_record_length": len(member), "content_languages": lang, "fetch_status": 200})
            blob += member
        fs.pipe_file(f"snap/{name}", blob)
        sizes += len(blob)
    with tempfile.TemporaryDirectory() as tmp:
        pq.write_table(pa.Table.from_pylist(rows), f"{tmp}/part-00000.parquet")
        fs.put_file(f"{tmp}/part-00000.parquet", "snap/cc-index/part-00000.parquet")
        index_bytes = Path(f"{tmp}/part-00000.parquet").stat().st_size
    selected = sum(r["warc_record_length"] for r in rows if r["content_languages"] in ("deu", "eng", "deu,eng"))
    return {"records": records, "files": files, "mined_records": len(mined), "warc_bytes": sizes,
            "index_bytes": index_bytes, "selected_bytes": selected}


PARAGRAPHS = 40  # a page of about 15 kB of text (a CommonCrawl record is 10-50 kB gzipped with its HTML)


def preselection(fs, texts: list[str], records: int) -> dict:
    from twinpages.stages.readers import ReadConfig

    snap = synthetic_snapshot(fs, texts, records, files=10, share=0.1)
    out = {"snapshot": snap}
    index = ReadConfig(input_format="cc-index", cc_languages=("deu", "eng"), cc_warc_base="s3://snap/")
    for name, inputs, config, asked in (
            ("everything", ["s3://snap/crawl-data/"], None, snap["warc_bytes"]),
            ("index", ["s3://snap/cc-index/"], index, snap["index_bytes"] + snap["selected_bytes"])):
        PART[0] = name
        seconds, n = timed_read(inputs, config)
        out[name] = {"seconds": round(seconds, 2), "documents": n, "requests": calls_of(name), "bytes_asked": asked}
    out["index_over_everything_seconds"] = round(out["index"]["seconds"] / out["everything"]["seconds"], 3)
    out["index_over_everything_bytes"] = round(out["index"]["bytes_asked"] / out["everything"]["bytes_asked"], 3)
    # the read phase itself (extraction, language ID, splitting: what a snapshot's read costs), from the store
    from twinpages import mine

    with tempfile.TemporaryDirectory() as tmp:
        examples = Path(__file__).resolve().parents[1] / "examples" / "seeds"
        mine([examples], Path(tmp) / "warm-up", until="read")  # the models load before any timing
        for name, inputs, extra in (("everything", ["s3://snap/crawl-data/"], {}),
                                    ("index", ["s3://snap/cc-index/"], {"input_format": "cc-index",
                                                                         "cc_languages": ("deu", "eng"),
                                                                         "cc_warc_base": "s3://snap/"})):
            from dataclasses import replace

            from twinpages import PipelineConfig

            config = PipelineConfig()
            config = replace(config, read=replace(config.read, **extra))
            PART[0] = f"mine-{name}"
            t0 = time.perf_counter()
            result = mine(inputs, Path(tmp) / name, config, until="read")
            out[name]["read_phase_seconds"] = round(time.perf_counter() - t0, 1)
            out[name]["read_phase_documents"] = result.stats["documents_read"]
    out["index_over_everything_read_phase"] = round(out["index"]["read_phase_seconds"]
                                                    / out["everything"]["read_phase_seconds"], 3)
    return out


def run_folder(shared: Path, pairs: int, distractors: int, scratch: Path) -> dict:
    """One `mine` into the store and one onto disk (the same corpus and settings), alternately timed."""
    from twinpages import mine
    from twinpages.eval.docalign_f1 import read_gold, subset
    from twinpages.store import remote

    base = shared / "data" / "docalign" / "ddtp-en-fr"
    lines, _ = subset(base / "docs.jsonl.gz", read_gold(base / "gold.tsv"), pairs, distractors, seed=3)
    corpus = scratch / "corpus" / "docs.jsonl"
    corpus.parent.mkdir(parents=True)
    corpus.write_text("".join(lines), encoding="utf-8")
    moved: dict = defaultdict(Counter)  # phase -> bytes down and up

    def counted(method, kind):
        def wrapper(self, a, b):
            local = b if kind == "down" else a
            result = method(self, a, b)
            moved[PART[0]][kind] += Path(local).stat().st_size
            return result
        return wrapper

    store = remote.Store
    store.get = counted(store.get, "down")
    store.put = counted(store.put, "up")
    import twinpages.corpus as corpus_module

    run_phase = corpus_module._run_phase

    def named(run, runner, ph, progress):
        PART[0] = f"s3:{ph.name}" if PART[0].startswith(("s3:", "disk:")) else "again"
        return run_phase(run, runner, ph, progress)

    corpus_module._run_phase = named
    driver_init = remote.RemoteRunFolder.__init__

    def elsewhere(self, url):  # the driver's mirror here, the workers' (this process's tasks) there
        os.environ[remote.CACHE_ENV] = str(scratch / "driver")
        driver_init(self, url)
        os.environ[remote.CACHE_ENV] = str(scratch / "worker")

    remote.RemoteRunFolder.__init__ = elsewhere
    seconds = {"disk": [], "s3": []}
    try:
        mine([corpus], scratch / "warm-up", until="read")  # the models load once, before any timing
        # alternately, twice each, into new folders; the store's calls and bytes are counted on its first run
        for k in range(2):
            for where, out in (("disk", scratch / f"disk-run-{k}"), ("s3", f"s3://runs/ddtp-{k}")):
                PART[0] = f"{where}:open" if k == 0 else "again"
                t0 = time.perf_counter()
                result = mine([corpus], out)
                seconds[where].append(time.perf_counter() - t0)
                pairs_found = result.stats["document_pairs"]
                if where == "s3":  # the mirrors as the run left them, then none for the next run
                    if k == 0:
                        shutil.copytree(scratch / "worker", scratch / "worker-first")
                        shutil.copytree(scratch / "driver", scratch / "driver-first")
                    shutil.rmtree(scratch / "worker")
                    shutil.rmtree(scratch / "driver")
    finally:
        corpus_module._run_phase = run_phase
        remote.RemoteRunFolder.__init__ = driver_init
    documents = len(lines)
    per_phase: dict = defaultdict(dict)
    total: Counter = Counter()
    for (part, method), n in CALLS.items():
        if part.startswith("s3:"):
            per_phase[part[3:]][method] = n
            total[method] += n
    for part, c in moved.items():
        if part.startswith("s3:"):
            per_phase[part[3:]].update({f"bytes_{k}": v for k, v in c.items()})
            total.update({f"bytes_{k}": v for k, v in c.items()})
    best = {where: min(s) for where, s in seconds.items()}
    return {"documents": documents, "document_pairs": pairs_found,
            "disk_seconds": [round(s, 1) for s in seconds["disk"]], "s3_seconds": [round(s, 1) for s in seconds["s3"]],
            "s3_over_disk_seconds": round(best["s3"] / best["disk"], 2),
            "per_phase": dict(per_phase),
            "per_document": {k: round(v / documents, 2) for k, v in sorted(total.items())},
            "worker_mirror_bytes": sum(p.stat().st_size for p in (scratch / "worker-first").rglob("*") if p.is_file()),
            "driver_mirror_bytes": sum(p.stat().st_size for p in (scratch / "driver-first").rglob("*") if p.is_file())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("shared", type=Path)
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--distractors", type=int, default=300)
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server, fs = start_server()
    count_calls()
    archive = args.shared / "data" / "docalign" / "ddtp-en-fr" / "docs.jsonl.gz"
    texts = [json.loads(line)["text"] for line in gzip.open(archive, "rt", encoding="utf-8")][:5000]
    scratch = Path(tempfile.mkdtemp(prefix="twinpages-objects-"))
    try:
        fs.mkdir("snap")
        fs.mkdir("runs")
        out = {"read": read_throughput(fs, archive),
               "preselection": preselection(fs, texts, args.records),
               "run_folder": run_folder(args.shared, args.pairs, args.distractors, scratch)}
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    if not args.json:
        print(json.dumps(out, indent=1))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
