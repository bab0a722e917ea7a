"""Kill a real `twinpages mine` run with SIGKILL at several points; the rerun finishes the work and the
outputs are byte-identical to an uninterrupted run's: nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import shared_path
from twinpages.eval.docalign_f1 import read_gold, subset

OUTPUTS = ("docpairs.jsonl", "docpairs.parquet", "bitext.tsv", "bitext.tmx", "bitext.jsonl", "bitext.parquet",
           "alignments.jsonl", "documents.jsonl", "errors.jsonl", "run.json")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    base = shared_path("data", "docalign", "ddtp-en-fr")
    lines, _ = subset(base / "docs.jsonl.gz", read_gold(base / "gold.tsv"), 150, 450, seed=3)
    path = tmp_path_factory.mktemp("corpus") / "ddtp.jsonl"
    path.write_text("".join(lines) + '{"id": "broken", "text": \n', encoding="utf-8")  # one bad line too
    return path


def mine_cmd(corpus: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "twinpages", "mine", str(corpus), "-o", str(out), "--extract", "none", "--quiet",
            "--checkpoint-every", "50"]


def run_until(cmd: list[str], ready, timeout: float = 300) -> bool:
    """Start the command, SIGKILL it as soon as ``ready()`` holds; False if it finished first."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if ready():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the run neither finished nor reached the kill point")


def test_kill_and_resume_gives_identical_outputs(corpus, tmp_path):
    reference = tmp_path / "reference"
    done = subprocess.run(mine_cmd(corpus, reference), capture_output=True, text=True, timeout=600)
    assert done.returncode == 3, done.stderr  # finished, with the one broken line reported
    assert not (reference / ".work").exists()

    out = tmp_path / "resumed"
    work = out / ".work"
    # 1: while sentences are being embedded (the embedding cache has appeared)
    killed = run_until(mine_cmd(corpus, out), lambda: (work / "embeddings.sqlite").exists())
    # 2: once some candidate batches are aligned
    killed2 = run_until(mine_cmd(corpus, out), lambda: any(work.glob("aligned-*.jsonl")))
    assert killed and killed2
    assert any(work.glob("aligned-*.jsonl"))  # finished batches survived the kill
    assert not any(out.glob("*.tmp")) and not (out / "docpairs.jsonl").exists()
    final = subprocess.run(mine_cmd(corpus, out), capture_output=True, text=True, timeout=600)
    assert final.returncode == 3, final.stderr
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    assert not work.exists()
