"""The same output files, byte for byte, from the in-process, local-process and Ray runners."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DE_SEED, EN_SEED, shared_path
from twinpages import PipelineConfig, RunnerConfig, mine
from twinpages.runners import make_runner
from twinpages.stages.extract import ExtractConfig


def square(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def test_runners_map_in_order_and_note_each_worker():
    with make_runner(RunnerConfig(workers=1)) as inline, make_runner(RunnerConfig(workers=2)) as pool:
        assert [v for v, _ in inline.map(square, range(20))] == [x * x for x in range(20)]
        out = list(pool.map(square, range(20)))
        assert [v for v, _ in out] == [x * x for x in range(20)]
        assert set(pool.worker_peak_rss_mb) == {pid for _, pid in out} and os.getpid() not in pool.worker_peak_rss_mb
        assert list(inline.worker_peak_rss_mb) == [os.getpid()]


def test_bad_runner_settings_are_refused():
    with pytest.raises(ValueError, match="workers"):
        make_runner(RunnerConfig(workers=0))
    with pytest.raises(ValueError, match="unknown runner"):
        make_runner(RunnerConfig(runner="slurm"))


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_dir) -> Path:
    """The seeds, a broken file, and 60 DDTP pairs with 60 distractors in an archive cut into 3 shards."""
    from twinpages.eval.docalign_f1 import read_gold, subset

    folder = tmp_path_factory.mktemp("corpus")
    for name in (EN_SEED, DE_SEED):
        shutil.copy(seed_dir / name, folder / name)
    (folder / "broken.txt").write_bytes(b"\x00\x01binary")
    base = shared_path("data", "docalign", "ddtp-en-fr")
    lines, _ = subset(base / "docs.jsonl.gz", read_gold(base / "gold.tsv"), 60, 60, seed=5)
    (folder / "ddtp.jsonl").write_text("".join(lines), encoding="utf-8")
    return folder


def config() -> PipelineConfig:
    from dataclasses import replace

    c = PipelineConfig(extract=ExtractConfig(repeated_min_docs=3))
    return replace(c, read=replace(c.read, shard_bytes=20_000))


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("inline") / "out"
    result = mine([corpus], out, config(), checkpoint_every=10)
    assert "broken.txt" in {e.doc_id for e in result.errors}
    assert result.stats["document_pairs"] >= 30, result.stats
    assert result.stats["candidates"] > 30  # several decide tasks
    assert len(list((out / "shards" / "stats" / "read").glob("*.json"))) >= 3  # several read tasks
    return files_of(out)


def test_local_processes_give_the_same_bytes(corpus, reference, tmp_path):
    mine([corpus], tmp_path / "out", config(), checkpoint_every=10, runner=RunnerConfig(workers=2))
    assert files_of(tmp_path / "out") == reference


@pytest.fixture
def local_ray():
    """A two-CPU Ray on this machine for one test, shut down after it; skips where Ray cannot start."""
    ray = pytest.importorskip("ray", reason="the Ray runner needs Ray (pip install 'twinpages[ray]')")
    try:
        ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", logging_level="ERROR",
                 log_to_driver=False)
    except Exception as e:  # noqa: BLE001  (whatever keeps Ray from starting here)
        pytest.skip(f"Ray cannot start on this machine: {e}")
    try:
        yield ray
    finally:
        ray.shutdown()


def test_ray_gives_the_same_bytes(corpus, reference, tmp_path, local_ray):
    from twinpages.runners.ray import RayRunner

    runner = RayRunner(workers=2)
    mine([corpus], tmp_path / "out", config(), checkpoint_every=10, runner=runner)
    assert len(runner.worker_peak_rss_mb) == 2  # both actors ran tasks
    runner.close()
    assert files_of(tmp_path / "out") == reference


# The two runs of test_local_processes_give_the_same_bytes, in a fresh process whose OpenBLAS libraries load
# another kernel (they read OPENBLAS_CORETYPE when they load). CI runs on Intel (SkylakeX) or AMD (Haswell)
# machines: the guarantee must hold on each, not only on the one a test suite happens to get.
OTHER_KERNEL_RUN = """
import json, sys
from dataclasses import replace
from pathlib import Path
from threadpoolctl import threadpool_info
from twinpages import PipelineConfig, RunnerConfig, mine
from twinpages.stages.extract import ExtractConfig

if __name__ == "__main__":
    corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
    c = PipelineConfig(extract=ExtractConfig(repeated_min_docs=3))
    c = replace(c, read=replace(c.read, shard_bytes=20_000))
    mine([corpus], out / "inline", c, checkpoint_every=10)
    mine([corpus], out / "two", c, checkpoint_every=10, runner=RunnerConfig(workers=2))
    print(json.dumps(sorted({i.get("architecture") for i in threadpool_info() if i["internal_api"] == "openblas"})))
"""


@pytest.mark.parametrize("kernel", ["Haswell", "Sandybridge"])
def test_the_same_bytes_under_other_blas_kernels(corpus, kernel, tmp_path):
    """Haswell is what every AVX2 processor (AMD's included) runs; its float32 products differ between one
    and two threads. In-process (two encoder threads) and two worker processes (one each) must agree."""
    script = tmp_path / "run.py"
    script.write_text(OTHER_KERNEL_RUN, encoding="utf-8")
    env = dict(os.environ, OPENBLAS_CORETYPE=kernel)
    done = subprocess.run([sys.executable, str(script), str(corpus), str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [kernel]  # both OpenBLAS libraries took it
    inline, two = files_of(tmp_path / "inline"), files_of(tmp_path / "two")
    assert sorted(inline) == sorted(two)
    assert [name for name in inline if inline[name] != two[name]] == []


def test_an_unreachable_ray_cluster_is_refused_at_once(tmp_path, seed_dir):
    """Issue 26 J: Ray retries an unreachable address for minutes; twinpages checks it first (exit 2, within
    the stated CONNECT_SECONDS) and starts nothing."""
    import time

    from twinpages.cli import main

    t0 = time.monotonic()
    code = main(["mine", str(seed_dir), "-o", str(tmp_path / "out"), "--runner", "ray", "--address", "127.0.0.1:1"])
    assert code == 2 and time.monotonic() - t0 < 15
    assert not (tmp_path / "out").exists()
    from twinpages.runners.ray import reachable

    with pytest.raises(ValueError, match="write HOST:PORT"):
        reachable("nosuchhost")


def test_a_ray_worker_that_dies_is_replaced_and_its_task_runs_again(tmp_path, local_ray):
    """Issue 26 J: kill -9 of a worker ended the run with ActorDiedError. Now the task runs again on a new
    worker; a task that kills every worker it gets stops the run with the resume hint."""
    from twinpages.runners import RunnerError
    from twinpages.runners.ray import TASK_ATTEMPTS, RayRunner

    marker = tmp_path / "died-once"

    def dies_once_on_three(x: int) -> int:
        if x == 3 and not marker.exists():
            marker.write_text("x")
            os._exit(9)  # as kill -9 would end it
        return x * x

    def always_dies_on_two(x: int) -> int:
        if x == 2:
            os._exit(9)
        return x

    runner = RayRunner(workers=2)
    assert list(runner.map(dies_once_on_three, range(8))) == [x * x for x in range(8)]
    assert runner.restarted == 1
    with pytest.raises(RunnerError, match="rerun the same command to resume"):
        list(runner.map(always_dies_on_two, range(5)))
    assert runner.restarted == 1 + TASK_ATTEMPTS - 1
    runner.close()
