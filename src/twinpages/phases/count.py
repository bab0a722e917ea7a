"""The read phase's first pass: the lines repeated across a site's pages (its boilerplate: menus,
footers, share buttons), counted per input shard and merged per bucket of sites. Both steps are tasks,
so the driver never holds the corpus's line counts. Skipped where there is no boilerplate to find
(``--extract none``, or ``repeated_min_docs`` 0)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..data import Document
from ..stages.repeats import LineCounts
from ..store import Layout, digest
from .base import Phase, Run, save_stats
from .plan import InputShard, read_shard

BUCKETS = 16  # the per-site counts are merged in this many independent parts


def _counting(run: Run) -> bool:
    config = run.config.extract
    return bool(config.repeated_min_docs) and config.mode != "none"


@dataclass(frozen=True, slots=True)
class CountLines(Phase):
    """Task: one input shard -> its line-hash counts per site, in BUCKETS parts by site, then its stats."""

    name: ClassVar[str] = "counted"
    record: ClassVar[str] = "repeats"
    unit: ClassVar[str] = "bytes"

    config: object  # PipelineConfig
    root: str

    @classmethod
    def applies(cls, run: Run) -> bool:
        return _counting(run)

    @classmethod
    def make(cls, run: Run) -> CountLines:
        return cls(run.work_config, run.root)

    def tasks(self, run: Run) -> list[InputShard]:
        return run.shards

    def size(self, shard: InputShard) -> int:
        return shard.size

    def stats_path(self, shard: InputShard) -> Path:
        return Layout(self.root).stats("count", shard.name)

    def outputs(self, shard: InputShard) -> list[Path]:
        return [Layout(self.root).repeats(shard.name, j) for j in range(BUCKETS)] + [self.stats_path(shard)]

    def reads(self, shard: InputShard) -> tuple[str, ...]:
        return ("shards/spool/",)  # its inputs: outside the run folder, or copies of streams

    def __call__(self, shard: InputShard) -> dict:
        counts = LineCounts()
        n = 0
        for doc in read_shard(shard, self.config):
            if isinstance(doc, Document):
                counts.add(doc)
                n += 1
        *parts, stats_path = self.outputs(shard)
        parts[0].parent.mkdir(parents=True, exist_ok=True)
        for bucket, path in zip(counts.buckets(BUCKETS), parts, strict=True):
            bucket.save(path)
        stats = {"documents": n}
        save_stats(stats_path, stats)
        return stats


@dataclass(frozen=True, slots=True)
class MergeLines(Phase):
    """Task: one bucket of sites -> the lines repeated across their pages, over all shards."""

    name: ClassVar[str] = "merged"
    record: ClassVar[str] = "repeats"
    unit: ClassVar[str] = "site buckets"

    min_docs: int
    inputs: tuple[tuple[str, ...], ...]  # per bucket: the shards' count files
    merged: tuple[str, ...]

    @classmethod
    def applies(cls, run: Run) -> bool:
        return _counting(run)

    @classmethod
    def make(cls, run: Run) -> MergeLines:
        layout = run.layout
        per_bucket = tuple(tuple(str(layout.repeats(s.name, j)) for s in run.shards) for j in range(BUCKETS))
        tag = digest(*(s.name for s in run.shards))
        return cls(run.config.extract.repeated_min_docs, per_bucket,
                   tuple(str(layout.merged_repeats(tag, j)) for j in range(BUCKETS)))

    def tasks(self, run: Run) -> list[int]:
        return list(range(BUCKETS))

    def done(self, bucket: int) -> bool:
        return Path(self.merged[bucket]).exists()

    def outputs(self, bucket: int) -> list[Path]:
        return [Path(self.merged[bucket])]

    def reads(self, bucket: int) -> tuple[str, ...]:
        root = Path(self.merged[bucket]).parents[1]  # the run folder (merged tables lie in shards/)
        return tuple(Path(p).relative_to(root).as_posix() for p in self.inputs[bucket])

    def __call__(self, bucket: int) -> int:
        merged = LineCounts.merge([LineCounts.load(Path(p)) for p in self.inputs[bucket]])
        table = merged.repeated(self.min_docs)
        table.save(Path(self.merged[bucket]))
        return sum(len(h) for h in table._repeated.values())

    def finish(self, run: Run, tasks: list, results: list) -> None:
        run.repeats = self.merged
