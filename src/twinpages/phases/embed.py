"""The embed phase, per documents shard: sentence vectors with each encoder the shard's languages need
(stages/embed.py chooses them per language pair), and one vector per document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .base import loaded_pipelines, pipeline_for, save_stats
from .docshards import read_documents, write_vectors


@dataclass(frozen=True, slots=True)
class Embed:
    """Task: a shard name -> ``vectors/ENCODER/NAME*.npy`` and ``stats/embed/NAME.json``."""

    config: object  # PipelineConfig (its embed.threads: this worker's share of the threads)
    root: str
    needed: tuple[tuple[str | None, tuple[str, ...]], ...]  # language -> encoders, as encoders_for gives

    def stats_path(self, name: str) -> Path:
        return Path(self.root) / "stats" / "embed" / f"{name}.json"

    def __call__(self, name: str) -> dict:
        root = Path(self.root)
        needed = {lang: set(names) for lang, names in self.needed}
        docs = list(read_documents(root / "documents" / f"{name}.parquet"))
        embedder = pipeline_for(self.config).embedder
        # Vectors of a batch depend (in the last bits) on what else is in the batch, so the memory of
        # recent sentences starts empty for every shard: which worker ran which shard before must not
        # change the bytes.
        embedder.forget()
        before = embedder.sentences_embedded
        list(embedder.run(docs, needed))
        encoders = sorted({n for d in docs for n in d.embeddings})
        for encoder in encoders:
            write_vectors(root / "vectors", encoder, name, docs, embedder.encoder(encoder).dim)
        stats = {"encoders": {e: sum(1 for d in docs if e in d.embeddings) for e in encoders},
                 "sentences": sum(len(d.sentences) for d in docs),
                 "sentences_embedded": embedder.sentences_embedded - before}
        save_stats(self.stats_path(name), stats)
        return stats


def release_embedders() -> None:
    """Free this process's encoders (an in-process run's driver, before the candidate search); they
    load again on next use."""
    for pipe in loaded_pipelines():
        pipe.embedder.release()
