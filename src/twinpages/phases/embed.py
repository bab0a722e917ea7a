"""The embed phase, per documents shard: sentence vectors with each encoder the shard's languages need
(stages/embed.py chooses them per language pair), and one vector per document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .base import load_stats, loaded_pipelines, pipeline_for, save_stats
from .docshards import VectorsWriter, read_documents, read_table


@dataclass(frozen=True, slots=True)
class Embed:
    """Task: a shard name -> ``vectors/ENCODER/NAME*.npy`` and ``stats/embed/NAME.json``."""

    config: object  # PipelineConfig (its embed.threads: this worker's share of the threads)
    root: str
    needed: tuple[tuple[str | None, tuple[str, ...]], ...]  # language -> encoders, as encoders_for gives
    cache_until: int | None = None  # the embedding cache as the run found it (stages/embedcache.py)

    def stats_path(self, name: str) -> Path:
        return Path(self.root) / "stats" / "embed" / f"{name}.json"

    def __call__(self, name: str) -> dict:
        """Documents stream through the encoders in batches and their vectors straight to the files:
        memory holds one batch, not the shard."""
        root = Path(self.root)
        path = root / "documents" / f"{name}.parquet"
        needed = {lang: set(names) for lang, names in self.needed}
        langs, n_sentences = _sentence_counts(path)
        embedder = pipeline_for(self.config).embedder
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
                writers[encoder] = VectorsWriter(root / "vectors", encoder, name, counts,
                                                 embedder.encoder(encoder).dim)
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


def _sentence_counts(path: Path) -> tuple[list[str | None], list[int]]:
    import pyarrow.compute as pc

    table = read_table(path, ["lang", "sentences"])
    return table.column("lang").to_pylist(), pc.list_value_length(table.column("sentences")).to_pylist()


def cache_watermark(config, path: Path) -> int | None:
    """The embedding cache's watermark when the run first embedded (kept in ``path``, so a resumed run reads
    the cache as the first attempt did); None without a cache."""
    from ..io import write_json
    from ..stages.embedcache import EmbeddingCache

    if not config.embed.cache:
        return None
    found = load_stats(path)
    if found is not None and found.get("cache") == str(config.embed.cache):
        return found["until"]
    until = EmbeddingCache(config.embed.cache).watermark()
    write_json(path, {"cache": str(config.embed.cache), "until": until})
    return until


def release_embedders() -> None:
    """Free this process's encoders (an in-process run's driver, before the candidate search); they
    load again on next use."""
    for pipe in loaded_pipelines():
        pipe.embedder.release()
