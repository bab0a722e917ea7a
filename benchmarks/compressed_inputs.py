"""Reading a JSONL archive gzipped and zstd-compressed (issue 28): the readers' documents per second and
the bytes stored, on the same records, in one process.

    python benchmarks/compressed_inputs.py ../shared/data/docalign/ddtp-en-fr/docs.jsonl.gz [--json]

The archive is decompressed once and written again as zstd (level 3, zstd's default, and level 19) into
a temporary folder; each file is then read through twinpages' readers (`read`, every record a Document),
alternately, twice each; the best time of each is reported.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

from twinpages.stages.readers import read
from twinpages.stages.readers.files import _zstd


def seconds(path: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = sum(1 for _ in read([path]))
    return time.perf_counter() - t0, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("archive", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    zstd = _zstd()
    raw = gzip.decompress(args.archive.read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        files = {"gzip": args.archive}
        for level in (3, 19):
            path = Path(tmp) / f"docs-{level}.jsonl.zst"
            path.write_bytes(zstd.compress(raw, level=level))
            files[f"zstd-{level}"] = path
        best: dict[str, float] = {}
        for _ in range(2):
            for name, path in files.items():
                t, n = seconds(path)
                best[name] = min(best.get(name, t), t)
        result = {"records": n, "uncompressed_mb": round(len(raw) / 1e6, 1)} | {
            name: {"mb": round(path.stat().st_size / 1e6, 1), "seconds": round(best[name], 2),
                   "records_per_second": round(n / best[name])} for name, path in files.items()}
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
