"""The embed stage: sentence vectors with each encoder the documents' languages need (the run's language
plan: stages/languages.py), each distinct sentence encoded once in the run (stages/owners.py), and one
vector per document. Four phases:

- HashSentences, per documents shard: its distinct sentences' hashes, in buckets;
- OwnSentences, per encoder and bucket: each hash's owner, the first shard that holds it;
- EncodeSentences, per shard: the encoder runs over the sentences the shard owns, in the shard's order;
- Embed, per shard: each document's sentence vectors, gathered from their owners, and its document vector.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..io import atomic_npy, write_json
from ..stages.languages import LanguagePlan
from ..stages.owners import OwnedVectors, first_owned, hash_buckets, hashes_of, owners
from ..store import Layout, digest
from ..store.shards import VectorsWriter, read_documents, read_table
from .base import Phase, Run, add_stats, documents_shard, load_stats, loaded_models, models, save_stats


def shard_sentences(path: Path) -> tuple[list[str | None], np.ndarray, list[str]]:
    """(each document's language, its number of sentences, every sentence's text in order) of a shard."""
    import pyarrow.compute as pc

    table = read_table(path, ["lang", "sentences"])
    column = table.column("sentences")
    texts = pc.struct_field(pc.list_flatten(column), "text").to_pylist()
    return table.column("lang").to_pylist(), pc.list_value_length(column).to_numpy().astype(np.int64), texts


def prefixes(names: tuple[str, ...]) -> tuple[str, ...]:
    """For each shard, a digest of the shards up to it: what its owners (and so its vectors) depend on."""
    out, last = [], ""
    for name in names:
        last = digest(last, name)
        out.append(last)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """What every phase of the stage knows of the run's shards: their order, sizes and encoders."""

    names: tuple[str, ...]
    prefixes: tuple[str, ...]
    sizes: tuple[int, ...]  # documents
    encoders: tuple[tuple[str, ...], ...]  # per shard: the encoders its documents need
    needed: tuple[tuple[str | None, tuple[str, ...]], ...]  # language -> encoders (the language plan)
    run_wide: bool = True  # EmbedConfig.sentence_dedup: owners over the run, or each shard its own
    buckets: int = 16  # EmbedConfig.sentence_buckets: the owners step holds one bucket of the run's hashes
    # lookups made once (every task asks them, the driver for every task: a crawl has millions of shards)
    _at: dict = field(default=None, init=False, compare=False, repr=False)  # shard name -> position
    _langs: dict = field(default=None, init=False, compare=False, repr=False)  # encoder -> its languages

    def __post_init__(self):
        object.__setattr__(self, "_at", {name: k for k, name in enumerate(self.names)})
        langs: dict[str, set] = {}
        for lang, encoders in self.needed:
            for encoder in encoders:
                langs.setdefault(encoder, set()).add(lang)
        object.__setattr__(self, "_langs", {e: frozenset(v) for e, v in langs.items()})

    @classmethod
    def of(cls, run: Run) -> ShardPlan:
        needed = dict(run.languages.encoders)
        per_shard = tuple(tuple(sorted({e for lang in st["languages"] for e in needed.get(None if lang == "und"
                                                                                        else lang, ())}))
                          for st in run.read_stats)
        names = tuple(run.index.names)
        return cls(names, prefixes(names), tuple(st["documents"] for st in run.read_stats), per_shard,
                   run.languages.encoders, run.config.embed.sentence_dedup == "run", run.config.embed.sentence_buckets)

    def position(self, name: str) -> int:
        return self._at[name]

    def all_encoders(self) -> list[str]:
        return sorted({e for es in self.encoders for e in es})

    def needs(self, lang: str | None, encoder: str) -> bool:
        return lang in self._langs.get(encoder, ())

    def sentences_for(self, langs: list[str | None], counts: np.ndarray, encoder: str) -> np.ndarray:
        """Per sentence of a shard (documents' languages, their sentence counts): whether the encoder embeds it."""
        return np.repeat([self.needs(lang, encoder) for lang in langs], counts).astype(bool)


@dataclass(frozen=True, slots=True)
class HashSentences(Phase):
    """Task: a documents shard -> per encoder its distinct sentences' hashes in buckets, then its stats."""

    name: ClassVar[str] = "hashed"
    record: ClassVar[str] = "embed"
    stage: ClassVar[str] = "embed"
    unit: ClassVar[str] = "documents"

    root: str
    plan: ShardPlan

    @classmethod
    def make(cls, run: Run) -> HashSentences:
        langs = {lang for st in run.read_stats for lang in st["languages"]}
        run.languages = LanguagePlan.of(run.config, [None if lang == "und" else lang for lang in langs])
        return cls(run.root, ShardPlan.of(run))

    def tasks(self, run: Run) -> list[str]:
        return list(self.plan.names)

    def size(self, name: str) -> int:
        return self.plan.sizes[self.plan.position(name)]

    def stats_path(self, name: str) -> Path:
        return Layout(self.root).stats("hash", name)

    def outputs(self, name: str) -> list[Path]:
        layout = Layout(self.root)
        return [layout.sentence_hashes(e, name, j) for e in self.plan.encoders[self.plan.position(name)]
                for j in range(self.plan.buckets)] + [self.stats_path(name)]

    def reads(self, name: str) -> tuple[str, ...]:
        return documents_shard(self.root, name)

    def __call__(self, name: str) -> dict:
        layout = Layout(self.root)
        langs, counts, texts = shard_sentences(layout.documents(name))
        hashes = hashes_of(texts)
        for encoder in self.plan.encoders[self.plan.position(name)]:
            wanted = self.plan.sentences_for(langs, counts, encoder)
            for j, part in enumerate(hash_buckets(hashes[wanted], self.plan.buckets)):
                atomic_npy(layout.sentence_hashes(encoder, name, j), part)
        stats = {"sentences": len(texts), "distinct": int(len(np.unique(hashes)))}
        save_stats(self.stats_path(name), stats)
        return stats


@dataclass(frozen=True, slots=True)
class OwnSentences(Phase):
    """Task: (encoder, bucket) -> the owner of every shard's hashes in the bucket, one file a shard."""

    name: ClassVar[str] = "owned"
    record: ClassVar[str] = "embed"
    stage: ClassVar[str] = "embed"
    unit: ClassVar[str] = "buckets"

    root: str
    plan: ShardPlan
    tag: str  # the shards of the run: a grown run finds its owners again (the old ones do not change)

    @classmethod
    def make(cls, run: Run) -> OwnSentences:
        plan = ShardPlan.of(run)
        return cls(run.root, plan, digest(*plan.names))

    def tasks(self, run: Run) -> list[tuple[str, int]]:
        return [(e, j) for e in self.plan.all_encoders() for j in range(self.plan.buckets)]

    def _shards(self, encoder: str) -> list[int]:
        return [k for k, es in enumerate(self.plan.encoders) if encoder in es]

    def done(self, task: tuple[str, int]) -> bool:
        return Layout(self.root).owners_done(task[0], self.tag, task[1]).exists()

    def outputs(self, task: tuple[str, int]) -> list[Path]:
        (encoder, j), layout = task, Layout(self.root)
        return [layout.sentence_owners(encoder, self.plan.names[k], self.plan.prefixes[k], j)
                for k in self._shards(encoder)] + [layout.owners_done(encoder, self.tag, j)]

    def reads(self, task: tuple[str, int]) -> tuple[str, ...]:
        (encoder, j), layout = task, Layout(self.root)
        return tuple(layout.in_run(layout.sentence_hashes(encoder, self.plan.names[k], j))
                     for k in self._shards(encoder))

    def __call__(self, task: tuple[str, int]) -> dict:
        (encoder, j), layout = task, Layout(self.root)
        shards = self._shards(encoder)
        parts = [np.load(layout.sentence_hashes(encoder, self.plan.names[k], j)) for k in shards]
        # once per shard: every shard owns all its sentences
        found = owners(parts) if self.plan.run_wide else [np.full(len(p), k, np.int32) for k, p in enumerate(parts)]
        where = np.asarray(shards, np.int32)
        for k, owner in zip(shards, found, strict=True):
            # a shard's owners depend on the shards up to it only: a grown run writes the same file again
            atomic_npy(layout.sentence_owners(encoder, self.plan.names[k], self.plan.prefixes[k], j), where[owner])
        stats = {"hashes": int(sum(len(p) for p in parts)),
                 "distinct": int(len(np.unique(np.concatenate(parts)))) if parts else 0}
        write_json(layout.owners_done(encoder, self.tag, j), stats)
        return stats


def _owners_of(layout: Layout, plan: ShardPlan, encoder: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(hashes sorted, their owners) of shard k's sentences for an encoder."""
    name, prefix = plan.names[k], plan.prefixes[k]
    hashes = [np.load(layout.sentence_hashes(encoder, name, j)) for j in range(plan.buckets)]
    owner = [np.load(layout.sentence_owners(encoder, name, prefix, j)) for j in range(plan.buckets)]
    flat, who = np.concatenate(hashes), np.concatenate(owner)
    order = np.argsort(flat)
    return flat[order], who[order]


def _owner_files(layout: Layout, plan: ShardPlan, name: str) -> list[Path]:
    k = plan.position(name)
    return [p for e in plan.encoders[k] for j in range(plan.buckets)
            for p in (layout.sentence_hashes(e, name, j), layout.sentence_owners(e, name, plan.prefixes[k], j))]


@dataclass(frozen=True, slots=True)
class EncodeSentences(Phase):
    """Task: a documents shard -> the vectors of the sentences it owns, per encoder, then its stats."""

    name: ClassVar[str] = "embedded"
    record: ClassVar[str] = "embed"
    stage: ClassVar[str] = "embed"
    unit: ClassVar[str] = "documents"

    config: object  # PipelineConfig (its embed.threads: this worker's share of the threads)
    root: str
    plan: ShardPlan
    cache_until: int | None = None  # the embedding cache as the run found it (stages/embedcache.py)

    @classmethod
    def make(cls, run: Run) -> EncodeSentences:
        return cls(run.work_config, run.root, ShardPlan.of(run), cache_watermark(run.config, run.layout))

    def tasks(self, run: Run) -> list[str]:
        return list(self.plan.names)

    def size(self, name: str) -> int:
        return self.plan.sizes[self.plan.position(name)]

    def stats_path(self, name: str) -> Path:
        return Layout(self.root).stats("encode", f"{name}-{self.plan.prefixes[self.plan.position(name)]}")

    def outputs(self, name: str) -> list[Path]:
        layout, k = Layout(self.root), self.plan.position(name)
        owned = [layout.owned(e, name, self.plan.prefixes[k]) for e in self.plan.encoders[k]]
        return [p for base in owned for p in OwnedVectors.paths(base)] + [self.stats_path(name)]

    def reads(self, name: str) -> tuple[str, ...]:
        layout = Layout(self.root)
        owners_files = _owner_files(layout, self.plan, name)
        return documents_shard(self.root, name) + tuple(layout.in_run(p) for p in owners_files)

    def __call__(self, name: str) -> dict:
        """The shard's owned sentences, in the order they first occur in it, through the encoder in batches
        of ``batch_sentences``: the batches, and so the vectors' bits, depend on the shard alone."""
        layout, k = Layout(self.root), self.plan.position(name)
        langs, counts, texts = shard_sentences(layout.documents(name))
        hashes = hashes_of(texts)
        embedder = models(self.config).embedder
        if embedder.cache is not None:
            embedder.cache.until = self.cache_until
        encoded = 0
        starts = np.concatenate([[0], np.cumsum(counts)])
        for encoder in self.plan.encoders[k]:
            sorted_hashes, owner = _owners_of(layout, self.plan, encoder, k)
            wanted = self.plan.sentences_for(langs, counts, encoder)
            first = first_owned(hashes, wanted, sorted_hashes[owner == k])
            # a sentence of a document the embedding cache holds (--cache) takes its vector from there
            cached = self._cached(embedder, encoder, langs, counts, texts)
            table = np.zeros((len(first), embedder.encoder(encoder).dim), np.float32)
            todo = list(range(len(first)))
            if cached:
                doc_of = np.searchsorted(starts, first, side="right") - 1
                todo = []
                for r, (i, d) in enumerate(zip(first.tolist(), doc_of.tolist(), strict=True)):
                    if d in cached:
                        table[r] = cached[d][i - starts[d]]
                    else:
                        todo.append(r)
            if todo:
                table[todo] = embedder.encode_texts(encoder, [texts[first[r]] for r in todo])
            encoded += len(todo)
            # each owned sentence's row in the shard's sentence vectors (the documents this encoder embeds)
            rows = np.cumsum(wanted)[first] - 1
            OwnedVectors(hashes[first], table, rows).save(layout.owned(encoder, name, self.plan.prefixes[k]),
                                                          self.config.embed.vectors)
        stats = {"sentences_embedded": encoded}
        save_stats(self.stats_path(name), stats)
        return stats

    def _cached(self, embedder, encoder, langs, counts, texts) -> dict[int, np.ndarray]:
        """The documents (by row) whose vectors the embedding cache holds (--cache), with those vectors."""
        if embedder.cache is None:
            return {}
        from ..stages.embedcache import content_key

        starts = np.concatenate([[0], np.cumsum(counts)])
        keys = {d: content_key(embedder.cache.key_name(encoder), texts[starts[d]:starts[d + 1]])
                for d, lang in enumerate(langs) if self.plan.needs(lang, encoder)}
        found = embedder.cache.get_many(sorted(set(keys.values())))
        return {d: found[key] for d, key in keys.items() if key in found}

    def finish(self, run: Run, tasks: list, results: list) -> None:
        release_embedders()  # this process's encoders (in-process runs): their memory goes before the index comes
        run.embed_stats = {"sentences_embedded": sum(st["sentences_embedded"] for st in results)}  # by this run


@dataclass(frozen=True, slots=True)
class Embed(Phase):
    """Task: a documents shard -> its sentence vectors (from their owners) and document vectors per
    encoder, then its stats."""

    name: ClassVar[str] = "assembled"
    record: ClassVar[str] = "embed"
    stage: ClassVar[str] = "embed"
    unit: ClassVar[str] = "documents"

    config: object  # PipelineConfig
    root: str
    plan: ShardPlan
    settled: tuple[bool, ...] = ()  # per shard: its vectors were written before this run (done then)

    @classmethod
    def make(cls, run: Run) -> Embed:
        phase = cls(run.work_config, run.root, ShardPlan.of(run))
        return replace(phase, settled=tuple(phase.done(name) for name in phase.plan.names))

    def tasks(self, run: Run) -> list[str]:
        return list(self.plan.names)

    def size(self, name: str) -> int:
        return self.plan.sizes[self.plan.position(name)]

    def stats_path(self, name: str) -> Path:
        return Layout(self.root).stats("embed", f"{name}-{self.plan.prefixes[self.plan.position(name)]}")

    def outputs(self, name: str) -> list[Path]:
        layout = Layout(self.root)
        files = []
        for encoder in self.plan.encoders[self.plan.position(name)]:
            vectors = layout.vectors(encoder, name)
            # a shard with sentences for the encoder: its offsets say so (the driver of a run in object
            # storage holds the offsets, not the sentence vectors: store/remote.py)
            if vectors[1].exists():
                files += vectors
        return files + [self.stats_path(name)]

    def reads(self, name: str) -> tuple[str, ...]:
        """Its documents and owners, and the owned tables of the shards up to it (those its owners name)."""
        layout, k = Layout(self.root), self.plan.position(name)
        tables = []
        for j in range(k + 1) if self.plan.run_wide else (k,):
            for e in set(self.plan.encoders[k]) & set(self.plan.encoders[j]):
                tables += OwnedVectors.paths(layout.owned(e, self.plan.names[j], self.plan.prefixes[j]))
                if self.settled[j]:  # its working vectors may be gone: read by row from its sentence vectors
                    tables.append(layout.vectors(e, self.plan.names[j])[0])
        return documents_shard(self.root, name) + tuple(
            layout.in_run(p) for p in _owner_files(layout, self.plan, name) + tables)

    def __call__(self, name: str) -> dict:
        """Documents stream through, each taking its sentences' vectors from their owners' tables
        (memory-mapped), and their vectors go straight to the files: memory holds one document."""
        layout, k = Layout(self.root), self.plan.position(name)
        langs, counts, _ = shard_sentences(layout.documents(name))
        writers, lookups = {}, {}
        for encoder in self.plan.encoders[k]:
            wanted = np.array([n if self.plan.needs(lang, encoder) else 0 for lang, n in zip(langs, counts,
                                                                                        strict=True)], np.int64)
            if not wanted.any():
                continue
            tables = OwnedTables(layout, self.plan, encoder)  # an owner's table is opened when first named
            lookups[encoder] = (*_owners_of(layout, self.plan, encoder, k), tables)
            writers[encoder] = VectorsWriter(layout.vectors(encoder, name), encoder, wanted,
                                             tables[k].vectors.shape[1], self.config.embed.vectors)
        cache = self._cache()
        for doc in read_documents(layout.documents(name)):
            for encoder, (sorted_hashes, owner, tables) in lookups.items():
                if not self.plan.needs(doc.lang, encoder) or not doc.sentences:
                    continue
                hashes = hashes_of(s.text for s in doc.sentences)
                who = owner[np.searchsorted(sorted_hashes, hashes)]
                vectors = np.zeros((len(hashes), writers[encoder].dim), np.float32)
                for j in np.unique(who).tolist():
                    vectors[who == j] = tables[j].lookup(hashes[who == j])
                doc.embeddings[encoder] = vectors
                if cache is not None:
                    cache.put(encoder, doc)
            for writer in writers.values():
                writer.add(doc)
            doc.embeddings.clear()
        for writer in writers.values():
            writer.close()
        if cache is not None:
            cache.flush()
        stats = {"encoders": {e: int(np.count_nonzero(w.counts)) for e, w in writers.items()},
                 "sentences": int(counts.sum())}
        save_stats(self.stats_path(name), stats)
        return stats

    def _owned_bases(self, layout: Layout) -> list[Path]:
        return [layout.owned(e, name, prefix) for name, prefix, es in
                zip(self.plan.names, self.plan.prefixes, self.plan.encoders, strict=True) for e in es]

    def _cache(self):
        return CachePuts(self.config.embed) if self.config.embed.cache else None

    def finish(self, run: Run, tasks: list, results: list) -> None:
        # the owned sentences' working vectors are in every shard's sentence vectors now: the run drops
        # them (a file the run did not write is removed when it records what it wrote: folder.py)
        working = {OwnedVectors.paths(layout_base)[0] for layout_base in self._owned_bases(run.layout)}
        run.written[self.record] = [p for p in run.written.get(self.record, []) if p not in working]
        stats: dict = {}
        for name in run.index.names:
            add_stats(stats, load_stats(self.stats_path(name)))
        stats["sentences_embedded"] = run.embed_stats.get("sentences_embedded", 0)
        run.embed_stats = stats
        if run.layout.embed_cache.exists():
            run.written.setdefault(self.record, []).append(run.layout.embed_cache)


class OwnedTables(dict):
    """The owned tables of one encoder by shard position, each opened (memory-mapped) the first time a
    sentence names its shard as owner: a shard's task opens the few it needs, not every shard's before it."""

    def __init__(self, layout: Layout, plan: ShardPlan, encoder: str):
        super().__init__()
        self.layout, self.plan, self.encoder = layout, plan, encoder

    def __missing__(self, j: int) -> OwnedVectors:
        name = self.plan.names[j]
        table = self[j] = OwnedVectors.load(self.layout.owned(self.encoder, name, self.plan.prefixes[j]),
                                            self.layout.vectors(self.encoder, name)[0])
        return table


class CachePuts:
    """The documents' vectors into the embedding cache (--cache), a few hundred at a time: a second run over
    the same documents then finds every document there and encodes nothing."""

    def __init__(self, embed_config, every: int = 256):
        from ..stages.embedcache import EmbeddingCache

        self.cache = EmbeddingCache(embed_config.cache, embed_config.vectors)
        self.every, self.items = every, {}

    def put(self, encoder: str, doc) -> None:
        from ..stages.embedcache import content_key

        key = content_key(self.cache.key_name(encoder), [s.text for s in doc.sentences])
        self.items[key] = doc.embeddings[encoder]
        if len(self.items) >= self.every:
            self.flush()

    def flush(self) -> None:
        if self.items:
            self.cache.put_many(self.items)
            self.items = {}


def cache_watermark(config, layout: Layout) -> int | None:
    """The embedding cache's watermark when the run first embedded (kept in the run folder, so a resumed run
    reads the cache as the first attempt did); None without a cache."""
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

