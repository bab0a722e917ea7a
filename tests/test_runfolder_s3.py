"""A run folder in object storage (store/remote.py) on an S3-compatible server the test starts (moto,
127.0.0.1): the bytes a run on disk writes, resume from the store alone, --clean, and the lock object."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, disk_files, store_files
from twinpages import PipelineConfig, mine
from twinpages.store import LOCK, RunFolderError
from twinpages.store.remote import RemoteRunFolder, publish_order, rebase


def stamps(s3, bucket: str, prefix: str) -> dict[str, str]:
    return {o["Key"]: o["LastModified"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]}


@pytest.fixture
def runs(s3, tmp_path, monkeypatch):
    """A bucket for run folders, and this process's mirrors in the test's folder."""
    monkeypatch.setenv("TWINPAGES_CACHE_DIR", str(tmp_path / "cache"))
    s3.create_bucket(Bucket="runs")
    return s3


@pytest.mark.skipif(not EXAMPLES.exists(), reason="the bundled example is missing")
def test_a_run_in_s3_writes_what_a_run_on_disk_writes_and_resumes_from_the_store(runs, tmp_path):
    result = mine([EXAMPLES], "s3://runs/seed")
    mine([EXAMPLES], tmp_path / "disk")
    assert result.stats["document_pairs"] == 1
    assert store_files(runs, "runs", "seed") == disk_files(tmp_path / "disk")
    assert "Contents" not in runs.list_objects_v2(Bucket="runs", Prefix=f"seed/{LOCK}")  # released

    # the mirror is a cache: without it, a rerun finds everything done in the store and redoes nothing (as
    # on disk, a finished run's rerun writes only its state and manifest again)
    def written():
        return {k: v for k, v in stamps(runs, "runs", "seed/").items()
                if k not in ("seed/shards/state.json", "seed/manifest.json")}

    before = written()
    shutil.rmtree(tmp_path / "cache")
    mine([EXAMPLES], "s3://runs/seed")
    assert written() == before
    assert store_files(runs, "runs", "seed") == disk_files(tmp_path / "disk")


@pytest.mark.skipif(not EXAMPLES.exists(), reason="the bundled example is missing")
def test_other_settings_are_refused_unless_clean_which_leaves_only_the_new_run(runs, tmp_path):
    mine([EXAMPLES], "s3://runs/seed")
    other = PipelineConfig()
    other = replace(other, docalign=replace(other.docalign, min_score=other.docalign.min_score + 0.01))
    with pytest.raises(RunFolderError, match="s3://runs/seed holds a twinpages run with other settings"):
        mine([EXAMPLES], "s3://runs/seed", other)
    mine([EXAMPLES], "s3://runs/seed", other, clean=True)
    mine([EXAMPLES], tmp_path / "disk", other)
    assert store_files(runs, "runs", "seed") == disk_files(tmp_path / "disk")


def test_a_prefix_that_holds_other_objects_is_refused(runs):
    runs.put_object(Bucket="runs", Key="mixed/notes.txt", Body=b"a user's file")
    with pytest.raises(RunFolderError, match="s3://runs/mixed exists and is not a twinpages run folder"):
        mine([EXAMPLES], "s3://runs/mixed")
    assert store_files(runs, "runs", "mixed") == {"notes.txt": b"a user's file"}


def lock(runs, key: str, **held) -> None:
    body = {"run": "someone", "host": "other-host", "pid": 4242, "heartbeat": time.time()} | held
    runs.put_object(Bucket="runs", Key=f"{key}/{LOCK}", Body=json.dumps(body).encode())


def test_the_lock_object_refuses_a_live_run_and_is_taken_over_from_a_dead_one(runs, monkeypatch):
    lock(runs, "locked")
    with pytest.raises(RunFolderError, match="in use by another twinpages run .host other-host, pid 4242"):
        RemoteRunFolder("s3://runs/locked").open("sig")

    lock(runs, "locked", heartbeat=time.time() - 1000)  # its run stopped beating 1,000 s ago: a dead run's
    first = RemoteRunFolder("s3://runs/locked")
    assert first.open("sig") is False
    held = json.loads(runs.get_object(Bucket="runs", Key=f"locked/{LOCK}")["Body"].read())
    assert held["host"] == socket.gethostname() and held["run"] != "someone"
    with pytest.raises(RunFolderError, match="in use by another twinpages run"):
        RemoteRunFolder("s3://runs/locked").open("sig")  # the first run is alive
    first.close()
    assert "Contents" not in runs.list_objects_v2(Bucket="runs", Prefix=f"locked/{LOCK}")
    second = RemoteRunFolder("s3://runs/locked")
    assert second.open("sig") is True  # resumes: the marker was published
    second.close()

    # killed on this machine (kill -9 leaves its lock behind): taken over at once, its heartbeat still fresh
    gone = subprocess.Popen(["true"])
    gone.wait()
    lock(runs, "locked", host=socket.gethostname(), pid=gone.pid)
    third = RemoteRunFolder("s3://runs/locked")
    assert third.open("sig") is True
    third.close()

    monkeypatch.setenv("TWINPAGES_LOCK_LEASE", "5000")  # a longer lease: the same 1,000 s are a live run's
    lock(runs, "locked", heartbeat=time.time() - 1000)
    with pytest.raises(RunFolderError, match="5000 s after its last heartbeat"):
        RemoteRunFolder("s3://runs/locked").open("sig")


def test_marks_are_published_after_what_they_mark():
    files = [Path("r/shards/stats/embed/0.json"), Path("r/manifest.json"), Path("r/shards/index/e/k.json"),
             Path("r/shards/index/e/k.vec.npy"), Path("r/shards/documents/0.parquet")]
    assert publish_order(files) == [Path("r/shards/documents/0.parquet"), Path("r/shards/index/e/k.vec.npy"),
                                    Path("r/shards/index/e/k.json"), Path("r/shards/stats/embed/0.json"),
                                    Path("r/manifest.json")]


class Opaque:  # not a dataclass: its attributes are out of rebase's reach
    def __init__(self):
        self.where = Path("/cache/a/run-1/shards")


def test_a_phase_is_rebased_onto_a_workers_mirror_or_refused():
    from twinpages.phases.copies import ClusterCopies

    phase = ClusterCopies(config=PipelineConfig(), root="/cache/a/run-1", names=("0",), bases=(0, 3),
                          output="/cache/a/run-1/shards/copies-x.jsonl")
    moved = rebase(phase, "/cache/a/run-1", "/node2/run-1")
    assert moved.root == "/node2/run-1" and moved.output == "/node2/run-1/shards/copies-x.jsonl"
    assert rebase(Path("/cache/a/run-1-other/x"), "/cache/a/run-1", "/n") == Path("/cache/a/run-1-other/x")

    with pytest.raises(RuntimeError, match="cannot be rebased"):
        rebase([Opaque()], "/cache/a/run-1", "/node2/run-1")  # refused, not left naming the driver's disk


@pytest.mark.skipif(not EXAMPLES.exists(), reason="the bundled example is missing")
def test_the_cli_mines_into_s3_and_a_finished_run_there_is_reported_and_queried(runs, tmp_path, monkeypatch, capsys):
    from twinpages.cli import main
    from twinpages.query import RunIndex

    assert main(["mine", str(EXAMPLES / "000_58abd7e94c42ac02.txt"), "-o", "s3://runs/cli", "-q"]) == 0
    assert "-> s3://runs/cli" in capsys.readouterr().err
    monkeypatch.setenv("TWINPAGES_CACHE_DIR", str(tmp_path / "another-machine"))  # no mirror of the run yet
    (answer,) = RunIndex("s3://runs/cli").query_file(EXAMPLES / "004_e9dbbdd4118222ca.txt")
    assert answer.twins[0].other == "000_58abd7e94c42ac02.txt"
    assert main(["report", "s3://runs/cli", "-o", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "index.html").is_file()


SEED_LINES = {name: [x for x in (EXAMPLES / name).read_text(encoding="utf-8").splitlines() if x.strip()]
              for name in ("000_58abd7e94c42ac02.txt", "004_e9dbbdd4118222ca.txt")} if EXAMPLES.exists() else {}


@pytest.mark.skipif(not EXAMPLES.exists(), reason="the bundled example is missing")
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_corpus_gives_the_same_outputs_from_disk_and_from_s3(runs, tmp_path_factory, data):
    """Pages cut from the two seeds (random lines of either, kept in order), as JSONL: read from S3 into a run
    folder in S3, and from disk into a folder on disk, the outputs are the same but for where pages were read."""
    records = []
    for k in range(data.draw(st.integers(2, 5), label="pages")):
        seed = data.draw(st.sampled_from(sorted(SEED_LINES)), label="seed")
        lines = SEED_LINES[seed]
        keep = data.draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)), label="lines")
        text = "\n".join(x for x, kept in zip(lines, keep, strict=True) if kept) or lines[0]
        records.append({"id": f"page-{k}", "url": f"https://site{k % 2}.example/{k}", "text": text})
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    tmp = tmp_path_factory.mktemp("corpus")
    (tmp / "in").mkdir()
    (tmp / "in" / "docs.jsonl").write_bytes(body)
    key = f"prop-{tmp.name}"
    runs.put_object(Bucket="crawl", Key=f"{key}/docs.jsonl", Body=body)
    mine([f"s3://crawl/{key}/"], f"s3://runs/{key}")
    mine([tmp / "in"], tmp / "disk")
    stored = store_files(runs, "runs", key)
    outputs = [e["path"] for e in json.loads(stored["manifest.json"])["outputs"]]
    assert outputs == [e["path"] for e in json.loads((tmp / "disk" / "manifest.json").read_text())["outputs"]]
    def rows(data: bytes) -> bytes:  # a Parquet file's rows (its bytes hold the lengths of its strings)
        import io

        import pyarrow.parquet as pq

        return json.dumps(pq.read_table(io.BytesIO(data)).to_pylist(), ensure_ascii=False, default=str).encode()

    for name in outputs:
        there, here = stored[name], (tmp / "disk" / name).read_bytes()
        if name.endswith(".parquet"):
            there, here = rows(there), rows(here)
        assert there == here.replace(str(tmp / "in").encode(), f"s3://crawl/{key}".encode()), name


@pytest.mark.skipif(not EXAMPLES.exists(), reason="the bundled example is missing")
def test_add_grows_a_run_in_s3_from_another_machine_as_on_disk(runs, tmp_path, monkeypatch):
    from twinpages import add

    en, de = EXAMPLES / "000_58abd7e94c42ac02.txt", EXAMPLES / "004_e9dbbdd4118222ca.txt"
    mine([en], "s3://runs/grown")
    monkeypatch.setenv("TWINPAGES_CACHE_DIR", str(tmp_path / "another-machine"))  # no mirror of the run
    assert add("s3://runs/grown", [de]).stats["document_pairs"] == 1
    mine([en], tmp_path / "disk")
    add(tmp_path / "disk", [de])
    assert store_files(runs, "runs", "grown") == disk_files(tmp_path / "disk")
