"""Full DDTP en-fr under each runner: the same P/R from each, wall time and peak memory of the driver and
of each worker. Runs `twinpages eval docalign` once per (runner, workers), one after the other.

    python benchmarks/runners_ddtp.py ../shared [--only local:2,ray:1,ray:2] > results.jsonl
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("shared", type=Path)
    ap.add_argument("--only", default="local:2,ray:1,ray:2", help="runner:workers, comma-separated")
    args = ap.parse_args()
    base = args.shared / "data" / "docalign" / "ddtp-en-fr"
    for spec in args.only.split(","):
        runner, workers = spec.split(":")
        cmd = [sys.executable, "-m", "twinpages", "eval", "docalign", "--docs", str(base / "docs.jsonl.gz"),
               "--gold", str(base / "gold.tsv"), "--extract", "none", "--runner", runner, "--workers", workers,
               "--quiet", "--json"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            print(json.dumps({"runner": runner, "workers": int(workers), "error": done.stderr[-2000:]}), flush=True)
            continue
        metrics = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps({"runner": runner, "workers": int(workers)} | metrics), flush=True)


if __name__ == "__main__":
    main()
