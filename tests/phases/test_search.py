"""The sharded candidate search in a run: a grown crawl reuses its index, and any runner finds the same."""

from dataclasses import replace

import numpy as np
import pytest

from conftest import ddtp_shuffled
from twinpages.api import mine
from twinpages.config import PipelineConfig
from twinpages.runners import RunnerConfig
from twinpages.store.shards import read_candidates


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """Two batches of DDTP descriptions (English and French, real text), each with gold pairs and
    documents without a partner: the crawl of yesterday and what it found today."""
    docs, gold, others = ddtp_shuffled(0)
    tmp = tmp_path_factory.mktemp("batches")
    out = []
    # yesterday's batch has enough of each language for an approximate index (MIN_APPROX_DOCS)
    for k, (pairs, extra) in enumerate(((gold[:1100], others[:200]), (gold[1100:1500], others[200:400]))):
        path = tmp / f"batch{k}.jsonl"
        path.write_text("".join(docs[i] for g in pairs for i in g) + "".join(docs[i] for i in extra),
                        encoding="utf-8")
        out.append(path)
    return out, tmp / "embeddings.sqlite"


def _config(cache, **candidates):
    config = PipelineConfig()
    # read shards of 300 kB: yesterday's file is 5 of them, today's 2, and an index shard is a few of them
    return replace(config, read=replace(config.read, shard_bytes=300_000),
                   extract=replace(config.extract, mode="none"),
                   embed=replace(config.embed, cache=str(cache)),
                   candidates=replace(config.candidates, **candidates))


def _candidates(run):
    """The latest run's candidates (a run stopped after the candidates phase leaves earlier ones)."""
    path = max((run / "shards").glob("candidates-*.parquet"), key=lambda p: p.stat().st_mtime_ns)
    c = read_candidates(path)
    return c.src, c.tgt, c.margin


def _index_files(run):
    return {p.name: p.stat().st_mtime_ns for p in (run / "shards" / "index").rglob("*") if p.is_file()}


@pytest.mark.parametrize("kind", ["approx", "exact"])
def test_a_grown_run_keeps_its_index_and_finds_what_a_fresh_run_finds(batches, tmp_path, kind):
    (first, second), cache = batches
    config = _config(cache, index=kind, shard_docs=700)
    grown = tmp_path / "grown"
    mine([first], grown, config, until="candidates")
    before = _index_files(grown)
    result = mine([first, second], grown, config, until="candidates")
    after = _index_files(grown)
    assert result.stats["candidate_search"]["searched"] == {"en-fr": kind}
    new = {name for name in after if before.get(name) != after[name]}
    # an answer file is "QUERY-SHARD.INDEX-SHARD.npz"; today's answers name the index shards in use
    new_keys = {key for name in new if name.endswith(".npz") for key in name[:-4].split(".")}
    reused = [name for name in before if name.endswith(".npz") and name not in new
              and set(name[:-4].split(".")) <= new_keys]
    assert reused  # yesterday's full shards' answers to each other, used again, not recomputed
    assert any(name.endswith(".npz") for name in new)  # today's documents: new shards and answers
    if kind == "approx":
        assert "en.trained" not in new and "fr.trained" not in new  # the cells are kept
    fresh = mine([first, second], tmp_path / "fresh", config, until="candidates")
    assert fresh.stats["candidates"] == result.stats["candidates"] > 1400
    for a, b in zip(_candidates(grown), _candidates(tmp_path / "fresh"), strict=True):
        assert np.array_equal(a, b)


def test_two_worker_processes_find_the_same_candidates_as_one(batches, tmp_path):
    (first, second), cache = batches
    config = _config(cache, index="approx", shard_docs=500)
    mine([first, second], tmp_path / "one", config, until="candidates")
    mine([first, second], tmp_path / "two", config, until="candidates", runner=RunnerConfig(workers=2))
    for a, b in zip(_candidates(tmp_path / "one"), _candidates(tmp_path / "two"), strict=True):
        assert np.array_equal(a, b)
