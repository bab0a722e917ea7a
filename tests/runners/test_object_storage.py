"""Runs whose inputs and run folder are in object storage only (an S3-compatible server the test starts on
127.0.0.1): a Ray cluster of two nodes, each with its own disk for its mirror, writes the bytes a local run
writes; a run killed with SIGKILL resumes from the store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from test_runners import config, corpus  # noqa: F401 (the fixture)

from conftest import disk_files, store_files
from twinpages import mine
from twinpages.store import LOCK


@pytest.fixture
def in_store(s3, corpus, tmp_path, monkeypatch):  # noqa: F811 (the fixture)
    """The corpus uploaded to s3://crawl/corpus/, a bucket for runs, and a local run of those inputs (the
    bytes to expect; the driver's mirror in the test's folder)."""
    for f in sorted(corpus.iterdir()):
        s3.put_object(Bucket="crawl", Key=f"corpus/{f.name}", Body=f.read_bytes())
    s3.create_bucket(Bucket="runs")
    monkeypatch.setenv("TWINPAGES_CACHE_DIR", str(tmp_path / "driver"))
    mine(["s3://crawl/corpus/"], tmp_path / "disk", config(), checkpoint_every=10)
    return disk_files(tmp_path / "disk")


def test_two_ray_nodes_without_a_shared_disk(s3, in_store, tmp_path, monkeypatch):
    ray = pytest.importorskip("ray", reason="the Ray runner needs Ray (pip install 'twinpages[ray]')")
    from ray._private import ray_constants
    from ray.cluster_utils import Cluster

    # every process of the cluster on loopback: Ray would otherwise resolve 127.0.0.1 to this machine's
    # outward address, which a test must not use (Ray's own switch, read by each process it starts)
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    monkeypatch.setattr(ray_constants, "ENABLE_RAY_CLUSTER", False)
    from twinpages.runners.ray import RayRunner

    nodes = [tmp_path / "node-1", tmp_path / "node-2"]  # each node's own disk for its mirror
    try:
        cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False,
            "env_vars": {"TWINPAGES_CACHE_DIR": str(nodes[0]), "RAY_USAGE_STATS_ENABLED": "0"}})
        cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1",
                         env_vars={"TWINPAGES_CACHE_DIR": str(nodes[1]), "RAY_USAGE_STATS_ENABLED": "0"})
    except Exception as e:  # noqa: BLE001 (whatever keeps Ray from starting here)
        pytest.skip(f"a two-node Ray cluster cannot start on this machine: {e}")
    try:
        with RayRunner(workers=2, address=cluster.address) as runner:
            mine(["s3://crawl/corpus/"], "s3://runs/ray", config(), checkpoint_every=10, runner=runner)
            pids = set(runner.worker_peak_rss_mb)
    finally:
        ray.shutdown()
        cluster.shutdown()
    stored = store_files(s3, "runs", "ray")
    assert set(stored) ^ set(in_store) == set()  # the same files (a shorter message than their bytes)
    assert stored == in_store
    assert len(pids) == 2 and os.getpid() not in pids
    for node in nodes:  # both nodes worked, each from its own mirror (the phases' paths rebased onto it)
        assert list(node.rglob("*.parquet")), f"{node.name} fetched or wrote no shard"
    # the driver never fetched the sentence vectors (no step of its own reads them), yet listed them all
    driver = tmp_path / "driver"
    assert list(driver.rglob("*.offsets.npy"))
    assert not [p for p in driver.rglob("vectors/*/*.npy") if not p.name.endswith((".offsets.npy", ".docs.npy"))]


def test_a_run_killed_with_sigkill_resumes_from_the_store(s3, in_store, tmp_path):
    settings = ("from dataclasses import replace\n"
                "from twinpages import PipelineConfig, mine\n"
                "from twinpages.stages.extract import ExtractConfig\n"
                "c = PipelineConfig(extract=ExtractConfig(repeated_min_docs=3))\n"
                "c = replace(c, read=replace(c.read, shard_bytes=20_000))\n")
    made: dict = {}
    exec(settings, made)  # noqa: S102 (the test's own text)
    assert made["c"] == config()  # the killed run has the settings of the run it is compared with
    code = settings + "mine(['s3://crawl/corpus/'], 's3://runs/killed', c, checkpoint_every=10)\n"
    env = dict(os.environ, TWINPAGES_CACHE_DIR=str(tmp_path / "killed-mirror"))
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            found = s3.list_objects_v2(Bucket="runs", Prefix="killed/shards/stats/read/").get("KeyCount", 0)
            if found:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "Contents" not in s3.list_objects_v2(Bucket="runs", Prefix="killed/manifest.json")  # killed mid-run
    # its lock is left behind, held by a process of this machine that is gone: taken over at once
    assert s3.list_objects_v2(Bucket="runs", Prefix=f"killed/{LOCK}")["KeyCount"] == 1
    mine(["s3://crawl/corpus/"], "s3://runs/killed", config(), checkpoint_every=10)
    stored = store_files(s3, "runs", "killed")
    assert set(stored) ^ set(in_store) == set()
    assert stored == in_store
