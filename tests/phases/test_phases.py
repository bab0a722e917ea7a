"""The phases' parts: input shards from file metadata, documents and vectors on disk and back, phases
that pickle small (Ray and the process pool ship them to workers)."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np

from conftest import DE_SEED, EN_SEED
from twinpages.config import PipelineConfig
from twinpages.phases.plan import plan_shards
from twinpages.phases.read import Analyse, read_shard
from twinpages.stages.readers import ReadConfig
from twinpages.store import Layout
from twinpages.store.shards import DocReader, DocumentsWriter, ShardIndex, VectorsWriter, content_key, read_documents


def test_small_files_are_grouped_and_a_large_archive_is_split(tmp_path):
    for k in range(5):
        (tmp_path / f"p{k}.txt").write_text("x" * 300, encoding="utf-8")
    archive = tmp_path / "big.jsonl"
    records = (json.dumps({"id": f"d{k}", "text": f"Text number {k}."}) + "\n" for k in range(2000))
    archive.write_text("".join(records), encoding="utf-8")
    config = ReadConfig(shard_bytes=10_000)
    shards = plan_shards([tmp_path], config)
    parts = [s for s in shards if s.files[0][0].endswith("big.jsonl")]
    n = -(-archive.stat().st_size // 10_000)  # ceil: 9 parts of about 10 kB
    assert n > 1 and len(parts) == n and [s.part for s in parts] == list(range(n)) and {s.parts for s in parts} == {n}
    pages = [s for s in shards if s not in parts]
    assert len(pages) == 1 and len(pages[0].files) == 5  # 1,500 bytes: one shard
    # the parts together read every record once, in blocks
    ids = [d.id for s in parts for d in read_shard(s, PipelineConfig(read=config))]
    assert sorted(ids) == sorted(f"d{k}" for k in range(2000)) and ids[:3] == ["d0", "d1", "d2"]


def test_an_edited_file_changes_its_shard_name(tmp_path):
    page = tmp_path / "a.txt"
    page.write_text("one", encoding="utf-8")
    before = plan_shards([tmp_path])[0].name
    assert plan_shards([tmp_path])[0].name == before  # the same input, the same name
    page.write_text("two", encoding="utf-8")
    os.utime(page, ns=(1, 1))
    assert plan_shards([tmp_path])[0].name != before


def test_documents_come_back_from_their_shard_exactly(seed_docs, tmp_path):
    layout = Layout(tmp_path)
    writer = DocumentsWriter(layout.documents("s"))
    for d in seed_docs:
        writer.add(d, content_key(d), "site")
    writer.close()
    back = list(read_documents(layout.documents("s")))
    for a, b in zip(seed_docs, back, strict=True):
        for field in ("id", "source", "url", "lang", "lang_score", "lines", "main_text", "sentences"):
            assert getattr(a, field) == getattr(b, field), field
    counts = np.array([len(d.sentences) for d in seed_docs])
    vectors = VectorsWriter(layout.vectors("usem3", "s"), "usem3", counts, 512)
    for d in seed_docs:
        vectors.add(d)
    vectors.close()
    index = ShardIndex.from_counts(["s"], [len(seed_docs)])
    reader = DocReader(layout, index, ("usem3",))
    for k, d in enumerate(seed_docs):
        assert np.array_equal(reader[k].embeddings["usem3"], d.embeddings["usem3"])
        assert reader[k].sentences == d.sentences


def test_shard_index_locates_run_wide_numbers():
    index = ShardIndex.from_counts(["a", "b", "c"], [3, 0, 2])
    assert [index.locate(n) for n in range(5)] == [(0, 0), (0, 1), (0, 2), (2, 0), (2, 1)]
    assert len(index) == 5


def test_a_content_key_changes_with_the_text():
    from twinpages.data import Document

    a = Document("x", raw="Hello there.", source="f.txt")
    assert content_key(a) == content_key(Document("x", raw="Hello there.", source="f.txt"))
    assert content_key(a) != content_key(Document("x", raw="Hello there!", source="f.txt"))
    assert content_key(a) != content_key(Document("y", raw="Hello there.", source="f.txt"))


def test_phases_pickle_small_after_loading_their_models(seed_dir, tmp_path):
    """A phase holds settings only: after a task has loaded the models in this process, the phase
    still pickles to a few kB (what Ray and the process pool ship to each worker)."""
    shards = plan_shards([seed_dir / EN_SEED, seed_dir / DE_SEED])
    phase = Analyse(PipelineConfig(), str(tmp_path))
    stats = phase(shards[0])
    assert stats["documents"] == 2
    assert len(pickle.dumps(phase)) < 10_000
    assert pickle.loads(pickle.dumps(phase)) == phase
    assert Path(phase.stats_path(shards[0])).exists()


def test_models_load_once_per_process_not_per_task(seed_dir, tmp_path):
    from twinpages.phases.base import models

    shards = plan_shards([seed_dir / EN_SEED, seed_dir / DE_SEED], ReadConfig(shard_bytes=1))  # one file a shard
    assert len(shards) == 2
    config = PipelineConfig()
    Analyse(config, str(tmp_path))(shards[0])
    pipe = models(config)
    lid = pipe.analyser.lid.lid
    Analyse(config, str(tmp_path))(shards[1])  # a new phase object, as a worker unpickles for each task
    assert models(config) is pipe and pipe.analyser.lid.lid is lid


def test_a_decide_task_reads_the_shards_of_its_pages_only():
    """What a worker fetches first when the run folder is in object storage (store/remote.py)."""
    from twinpages.phases.decide import Decide, DecideTask
    from twinpages.store.shards import ShardIndex

    index = ShardIndex.from_counts(["a", "b", "c"], [10, 5, 10])  # documents 0-9, 10-14, 15-24
    phase = Decide(PipelineConfig(), "/run", index, ("usem3",))
    task = DecideTask(0, np.array([0, 9, 24]), np.array([15, 16, 3]), np.zeros(3), "/run/shards/decided/0.jsonl")
    assert phase.reads(task) == ("shards/documents/a.parquet", "shards/vectors/usem3/a.npy",
                                 "shards/vectors/usem3/a.offsets.npy", "shards/documents/c.parquet",
                                 "shards/vectors/usem3/c.npy", "shards/vectors/usem3/c.offsets.npy")
    assert phase.outputs(task)[-1] == Path(task.output)  # the pairs file, the task's done mark, published last
