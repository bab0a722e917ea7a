"""The read phase, per input shard: read, extract, identify languages and split sentences (with the
site-boilerplate table of count.py), writing the shard's documents and errors. Each worker reads its
own shard from the input files: no page goes through the driver."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from ..data import DocError, Document
from ..io import atomic_lines, read_lines
from ..schemas import ERROR, error_from_dict
from ..stages.repeats import RepeatedLines, group_of
from ..store import Layout
from ..store.shards import DocumentsWriter, ShardIndex, content_key
from .base import Phase, Run, load_stats, models, save_stats
from .plan import InputShard, read_shard


@lru_cache(maxsize=2)
def _repeats(paths: tuple[str, ...] | None, min_docs: int) -> RepeatedLines | None:
    return RepeatedLines.load([Path(p) for p in paths], min_docs) if paths else None


@dataclass(frozen=True, slots=True)
class Analyse(Phase):
    """Task: one input shard -> its documents (read, extracted, labelled, split), its errors, its stats."""

    name: ClassVar[str] = "read"
    unit: ClassVar[str] = "bytes"
    items_unit: ClassVar[str] = "documents"

    config: object  # PipelineConfig
    root: str  # the run folder
    repeats: tuple[str, ...] | None = None  # the merged repeated-lines table, in parts

    @classmethod
    def make(cls, run: Run) -> Analyse:
        return cls(run.work_config, run.root, run.repeats)

    def tasks(self, run: Run) -> list[InputShard]:
        return run.shards

    def size(self, shard: InputShard) -> int:
        return shard.size

    def items(self, stats: dict) -> int:
        return stats["documents"] + stats["failed"]

    def stats_path(self, shard: InputShard) -> Path:
        return Layout(self.root).stats("read", shard.name)

    def outputs(self, shard: InputShard) -> list[Path]:
        layout = Layout(self.root)
        return [layout.documents(shard.name), layout.errors(shard.name), self.stats_path(shard)]

    def reads(self, shard: InputShard) -> tuple[str, ...]:
        layout = Layout(self.root)  # its inputs (outside the run, or copies of streams) and the repeated lines
        return ("shards/spool/", *(layout.in_run(p) for p in self.repeats or ()))

    def __call__(self, shard: InputShard) -> dict:
        analyser = models(self.config).analyser
        repeats = _repeats(self.repeats, self.config.extract.repeated_min_docs)
        docs_path, errors_path, stats_path = self.outputs(shard)
        writer = DocumentsWriter(docs_path)
        errors = []
        langs: Counter = Counter()
        for item in read_shard(shard, self.config):
            # what the run keys a document by is taken from the document as read (its analysis frees that)
            key, group = (content_key(item), group_of(item)) if isinstance(item, Document) else (None, None)
            doc = analyser.take(item, errors, repeats)
            result = _storable(doc) if doc is not None else None
            if isinstance(result, DocError):
                errors.append(result)
            elif result is not None:
                writer.add(result, key, group)
                langs[result.lang or "und"] += 1
        writer.close()
        atomic_lines(errors_path, (json.dumps(ERROR.row(e), ensure_ascii=False) + "\n" for e in errors))
        failed = [e for e in errors if e.severity == "error"]
        warned = [e for e in errors if e.severity == "warning"]
        stats = {"documents": writer.n, "failed": len(failed), "languages": dict(sorted(langs.items())),
                 "failed_by_type": dict(sorted(Counter(e.error for e in failed).items())),
                 "warnings": len(warned), "warnings_by_type": dict(sorted(Counter(e.error for e in warned).items()))}
        save_stats(stats_path, stats)
        return stats

    def finish(self, run: Run, tasks: list, results: list) -> None:
        layout = run.layout
        run.read_stats = [load_stats(self.stats_path(s)) for s in run.shards]
        run.errors = [error_from_dict(json.loads(line)) for s in run.shards
                      for line in read_lines(layout.errors(s.name))]
        run.index = ShardIndex.from_counts([s.name for s in run.shards], [st["documents"] for st in run.read_stats])


def _storable(doc: Document) -> Document | DocError:
    """The document, or an error when its text cannot be stored as UTF-8 (a lone surrogate from a
    broken input): one such document must not fail its whole shard."""
    try:
        for text in (doc.id, doc.source, doc.url or "", doc.main_text, *(x.text for x in doc.lines)):
            text.encode("utf-8")
    except UnicodeEncodeError as e:
        return DocError(doc.id.encode("utf-8", "backslashreplace").decode(), doc.source.encode(
            "utf-8", "backslashreplace").decode(), "read", "decode", f"text is not valid Unicode ({e.reason})")
    return doc
