"""What the document-pair benchmarks share: `twinpages mine` in a subprocess over a corpus, its `--json`
stats and the pairs it wrote (imported by wmt_twins.py and mirrors_decide.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path


def mine_pairs(corpus: Path, run: Path, *flags: str, workers: int = 2) -> tuple[dict, set, float, list]:
    """(the run's stats, its document pairs as id sets, wall seconds, the command) of a fresh run."""
    shutil.rmtree(run, ignore_errors=True)
    cmd = [sys.executable, "-m", "twinpages", "mine", str(corpus), "-o", str(run), *flags, "--json", "--quiet",
           "--workers", str(workers)]
    t0 = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode not in (0, 3):  # 3: finished, with documents that could not be used
        sys.exit(done.stderr)
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    found = {frozenset((p["src_id"], p["tgt_id"]))
             for p in map(json.loads, (run / "docpairs.jsonl").read_text(encoding="utf-8").splitlines())}
    return stats, found, time.monotonic() - t0, cmd
