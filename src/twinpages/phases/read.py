"""The read phase, per input shard: count lines per site (first pass), then read, extract, identify
languages and split sentences (second pass, with the merged counts), writing the shard's documents
and errors. Each worker reads its own shard from the input files: no page goes through the driver."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..data import DocError, Document, warnings_of
from ..io import atomic_lines
from ..schemas import ERROR
from ..stages.readers import read_path
from ..stages.repeats import LineCounts, RepeatedLines, group_of
from .base import pipeline_for, save_stats
from .docshards import DocumentsWriter, content_key, document_record
from .plan import InputShard


def read_shard(shard: InputShard, config) -> Iterator[Document | DocError]:
    for path, doc_id, *source in shard.files:
        yield from read_path(Path(path), doc_id, config.read, shard.part, shard.parts, *source)


BUCKETS = 16  # the per-site counts are merged in this many independent parts


@dataclass(frozen=True, slots=True)
class CountLines:
    """Task: one input shard -> its line-hash counts per site, in BUCKETS parts by site
    (``repeats/NAME.bNN.npz``), and ``stats/count/NAME.json`` last."""

    config: object  # PipelineConfig
    root: str

    def outputs(self, shard: InputShard) -> list[Path]:
        folder = Path(self.root) / "repeats"
        return [folder / f"{shard.name}.b{j:02d}.npz" for j in range(BUCKETS)] + [self.stats_path(shard)]

    def stats_path(self, shard: InputShard) -> Path:
        return Path(self.root) / "stats" / "count" / f"{shard.name}.json"

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
class MergeLines:
    """Task: one bucket -> the repeated lines of its sites over all shards (``repeats-DIGEST.bNN.npz``)."""

    min_docs: int
    inputs: tuple[tuple[str, ...], ...]  # per bucket: the shards' count files
    outputs: tuple[str, ...]

    def __call__(self, bucket: int) -> int:
        merged = LineCounts.merge([LineCounts.load(Path(p)) for p in self.inputs[bucket]])
        table = merged.repeated(self.min_docs)
        table.save(Path(self.outputs[bucket]))
        return sum(len(h) for h in table._repeated.values())


@lru_cache(maxsize=2)
def _repeats(paths: tuple[str, ...] | None, min_docs: int) -> RepeatedLines | None:
    return RepeatedLines.load([Path(p) for p in paths], min_docs) if paths else None


@dataclass(frozen=True, slots=True)
class Analyse:
    """Task: one input shard -> ``documents/NAME.parquet``, ``errors/NAME.jsonl``, ``stats/read/NAME.json``."""

    config: object  # PipelineConfig
    root: str  # the run folder's shards/
    repeats: tuple[str, ...] | None = None  # the merged repeated-lines table, in parts

    def stats_path(self, shard: InputShard) -> Path:
        return Path(self.root) / "stats" / "read" / f"{shard.name}.json"

    def outputs(self, shard: InputShard) -> list[Path]:
        root = Path(self.root)
        return [root / "documents" / f"{shard.name}.parquet", root / "errors" / f"{shard.name}.jsonl",
                self.stats_path(shard)]

    def __call__(self, shard: InputShard) -> dict:
        pipe = pipeline_for(self.config)
        repeats = _repeats(self.repeats, self.config.extract.repeated_min_docs)
        docs_path, errors_path, stats_path = self.outputs(shard)
        writer = DocumentsWriter(docs_path)
        errors = []
        langs: Counter = Counter()
        for item in read_shard(shard, self.config):
            if isinstance(item, DocError):
                errors.append(item)
                continue
            errors += warnings_of(item)
            key, group = content_key(item), group_of(item)
            result = pipe.analyse_one(item, repeats)
            if isinstance(result, Document):
                result = _storable(result)
            if isinstance(result, DocError):
                errors.append(result)
                continue
            writer.add(document_record(result, key, group))
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
