"""The embed phase, per documents shard: sentence vectors with each encoder the shard's languages need
(the run's language plan: stages/languages.py), and one vector per document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..stages.languages import LanguagePlan
from ..store import Layout
from ..store.shards import VectorsWriter, read_documents, read_table
from .base import Phase, Run, add_stats, documents_shard, load_stats, loaded_models, models, save_stats


@dataclass(frozen=True, slots=True)
class Embed(Phase):
    """Task: a shard name -> its vectors per encoder, then its stats."""

    name: ClassVar[str] = "embedded"
    record: ClassVar[str] = "embed"
    stage: ClassVar[str] = "embed"
    unit: ClassVar[str] = "documents"

    config: object  # PipelineConfig (its embed.threads: this worker's share of the threads)
    root: str
    needed: tuple[tuple[str | None, tuple[str, ...]], ...]  # language -> encoders (the language plan)
    cache_until: int | None = None  # the embedding cache as the run found it (stages/embedcache.py)
    sizes: tuple[tuple[str, int], ...] = ()  # documents per shard (progress)

    @classmethod
    def make(cls, run: Run) -> Embed:
        langs = {lang for st in run.read_stats for lang in st["languages"]}
        run.languages = LanguagePlan.of(run.config, [None if lang == "und" else lang for lang in langs])
        sizes = tuple(zip(run.index.names, (st["documents"] for st in run.read_stats), strict=True))
        return cls(run.work_config, run.root, run.languages.encoders, cache_watermark(run.config, run.layout), sizes)

    def tasks(self, run: Run) -> list[str]:
        return list(run.index.names)

    def size(self, name: str) -> int:
        return dict(self.sizes)[name]

    def stats_path(self, name: str) -> Path:
        return Layout(self.root).stats("embed", name)

    def outputs(self, name: str) -> list[Path]:
        layout = Layout(self.root)
        encoders = {e for _, names in self.needed for e in names}
        files = []
        for encoder in sorted(encoders):
            vectors = layout.vectors(encoder, name)
            # a shard with sentences for the encoder: its offsets say so (the driver of a run in object
            # storage holds the offsets, not the sentence vectors: store/remote.py)
            if vectors[1].exists():
                files += vectors
        return files + [self.stats_path(name)]

    def reads(self, name: str) -> tuple[str, ...]:
        return documents_shard(self.root, name)

    def __call__(self, name: str) -> dict:
        """Documents stream through the encoders in batches and their vectors straight to the files:
        memory holds one batch, not the shard."""
        layout = Layout(self.root)
        path = layout.documents(name)
        needed = {lang: set(names) for lang, names in self.needed}
        langs, n_sentences = _sentence_counts(path)
        embedder = models(self.config).embedder
        # Vectors of a batch depend (in the last bits) on what else is in the batch, so the memory of
        # recent sentences starts empty for every shard: which worker ran which shard before must not
        # change the bytes.
        embedder.forget()
        if embedder.cache is not None:
            embedder.cache.until = self.cache_until
        before = embedder.sentences_embedded
        writers = {}
        for encoder in sorted({e for lang in set(langs) for e in needed.get(lang, ())}):
            counts = np.array([n if encoder in needed.get(lang, ()) else 0 for lang, n in zip(langs, n_sentences,
                                                                                            strict=True)], np.int64)
            if counts.any():
                writers[encoder] = VectorsWriter(layout.vectors(encoder, name), encoder, counts,
                                                 embedder.encoder(encoder).dim, self.config.embed.vectors)
        for doc in embedder.run(read_documents(path), needed):
            for writer in writers.values():
                writer.add(doc)
            doc.embeddings.clear()
        for writer in writers.values():
            writer.close()
        stats = {"encoders": {e: int(np.count_nonzero(w.counts)) for e, w in writers.items()},
                 "sentences": int(sum(n_sentences)), "sentences_embedded": embedder.sentences_embedded - before}
        save_stats(self.stats_path(name), stats)
        return stats

    def finish(self, run: Run, tasks: list, results: list) -> None:
        release_embedders()  # this process's encoders (in-process runs): their memory goes before the index comes
        stats: dict = {}
        for name in run.index.names:
            add_stats(stats, load_stats(self.stats_path(name)))
        stats["sentences_embedded"] = sum(st["sentences_embedded"] for st in results)  # by this run, not resumed
        run.embed_stats = stats
        if run.layout.embed_cache.exists():
            run.written.setdefault(self.record, []).append(run.layout.embed_cache)


def _sentence_counts(path: Path) -> tuple[list[str | None], list[int]]:
    import pyarrow.compute as pc

    table = read_table(path, ["lang", "sentences"])
    return table.column("lang").to_pylist(), pc.list_value_length(table.column("sentences")).to_pylist()


def cache_watermark(config, layout: Layout) -> int | None:
    """The embedding cache's watermark when the run first embedded (kept in the run folder, so a resumed run
    reads the cache as the first attempt did); None without a cache."""
    from ..io import write_json
    from ..stages.embedcache import EmbeddingCache

    if not config.embed.cache:
        return None
    found = load_stats(layout.embed_cache)
    if found is not None and found.get("cache") == str(config.embed.cache):
        return found["until"]
    until = EmbeddingCache(config.embed.cache).watermark()
    write_json(layout.embed_cache, {"cache": str(config.embed.cache), "until": until})
    return until


def release_embedders() -> None:
    """Free this process's encoders (an in-process run's driver, before the candidate search); they
    load again on next use."""
    for loaded in loaded_models():
        loaded.embedder.release()
