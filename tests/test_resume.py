"""Kill a real `twinpages mine` run with SIGKILL in each phase; the rerun finishes the work and the
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

OUTPUTS = ("docpairs.jsonl", "docpairs.parquet", "bitext/en-fr.tsv", "bitext/en-fr.tmx", "bitext/en-fr.jsonl",
           "bitext/en-fr.parquet", "alignments.jsonl", "documents.jsonl", "errors.jsonl", "run.json", "manifest.json")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    base = shared_path("data", "docalign", "ddtp-en-fr")
    lines, _ = subset(base / "docs.jsonl.gz", read_gold(base / "gold.tsv"), 150, 450, seed=3)
    path = tmp_path_factory.mktemp("corpus") / "ddtp.jsonl"
    path.write_text("".join(lines) + '{"id": "broken", "text": \n', encoding="utf-8")  # one bad line too
    return path


def mine_cmd(corpus: Path, out: Path, *extra: str) -> list[str]:
    # small read shards (the archive is split in 4 parts) and small decide batches: several tasks per phase
    return [sys.executable, "-m", "twinpages", "mine", str(corpus), "-o", str(out), "--extract", "none", "--quiet",
            "--checkpoint-every", "50", "--shard-bytes", "60000", *extra]


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
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("the run neither finished nor reached the kill point")


def count(folder: Path, pattern: str) -> int:
    return len(list(folder.glob(pattern))) if folder.exists() else 0


def test_kill_in_every_phase_and_resume_gives_identical_outputs(corpus, tmp_path):
    reference = tmp_path / "reference"
    done = subprocess.run(mine_cmd(corpus, reference), capture_output=True, text=True, timeout=600)
    assert done.returncode == 3, done.stderr  # finished, with the one broken line reported
    shards = reference / "shards"
    n_read = count(shards, "stats/read/*.json")
    assert n_read >= 4 and count(shards, "decided/*.jsonl") > 3  # several tasks in each phase

    out = tmp_path / "resumed"
    s = out / "shards"
    kill_points = {  # phase: the moment it has started and is not finished
        "read": lambda: count(s, "documents/*.parquet") >= 1,
        "embed": lambda: count(s, "vectors/usem3/*.docs.npy") >= 1,
        "candidates": lambda: count(s, "stats/embed/*.json") == n_read,
        "decide": lambda: count(s, "decided/*.jsonl") >= 2,
    }
    for phase, ready in kill_points.items():
        assert run_until(mine_cmd(corpus, out), ready), f"the run finished before the kill in the {phase} phase"
        assert not (out / "docpairs.jsonl").exists() and not any(out.glob("*.tmp"))
    final = subprocess.run(mine_cmd(corpus, out), capture_output=True, text=True, timeout=600)
    assert final.returncode == 3, final.stderr
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    # the shards too: a resumed phase wrote what an uninterrupted one writes
    ref_files = sorted(p.relative_to(reference) for p in shards.rglob("*") if p.is_file())
    assert ref_files == sorted(p.relative_to(out) for p in s.rglob("*") if p.is_file())
    for rel in ref_files:
        assert (out / rel).read_bytes() == (reference / rel).read_bytes(), rel


def test_an_edited_input_is_new_work(corpus, tmp_path):
    """Kill a run, edit the input in place (every French text gets one more sentence), rerun: every
    French document in the outputs carries the new text, none the old; the old shards are removed."""
    import json

    data = tmp_path / "corpus.jsonl"
    data.write_bytes(corpus.read_bytes())
    out = tmp_path / "run"
    cmd = mine_cmd(data, out)
    assert run_until(cmd, lambda: count(out / "shards", "decided/*.jsonl") >= 1)
    old = {p.name for p in (out / "shards" / "documents").glob("*.parquet")}
    added = "Ceci est une phrase ajoutée pour vérifier la reprise."
    lines = []
    for line in data.read_text(encoding="utf-8").splitlines(keepends=True):
        try:
            rec = json.loads(line)
        except ValueError:
            lines.append(line)
            continue
        if rec.get("lang") == "fr":
            rec["text"] = rec["text"].rstrip() + "\n" + added
        lines.append(json.dumps(rec, ensure_ascii=False) + "\n")
    data.write_text("".join(lines), encoding="utf-8")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 3, done.stderr
    docs = [json.loads(x) for x in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    french = [d for d in docs if d["lang"] == "fr"]
    assert french and all(d["main_text"].endswith(added) for d in french)
    new = {p.name for p in (out / "shards" / "documents").glob("*.parquet")}
    assert len(new) == count(out / "shards", "stats/read/*.json") and not old & new  # stale shards removed
