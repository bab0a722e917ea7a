"""Run-wide sentence dedup: each distinct sentence is encoded once in a run, by its owner, the first
documents shard (in the run's order) that holds it; every other occurrence takes the owner's vector.

Why owners and not a cache that tasks share as they go: a vector's last bits depend on the batch it
was encoded in (backends/blas.py), so a shared cache filled in whatever order the workers happen to run
would make a run's bytes depend on its runner. An owner is a fact of the corpus: the owner encodes its
sentences in its own batches, in its own order, whichever worker runs it, and a shard's owners depend
only on the shards before it, so a run that grows (`add`, new shards after the old ones) keeps every
old owner and vector.

The steps (phases/embed.py): each shard writes its distinct sentence hashes, spread into buckets by hash
(``hash_buckets``, ``EmbedConfig.sentence_buckets`` of them); one task per bucket finds every hash's owner
over all shards (``owners``); each shard encodes the sentences it owns (``OwnedVectors`` is what it
writes); each shard then gathers every sentence's vector from its owner's table.

Sentences are keyed by a 64-bit hash of their text: two distinct sentences share a key with a
probability of about n^2 / 2^65 for n distinct sentences in a run (10^-9 for DDTP's 3 x 10^5; 3 % for
10^9, a snapshot's scale), and then one of them gets the other's vector. Said in README.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np


def sentence_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def hashes_of(texts: Iterable[str]) -> np.ndarray:
    return np.fromiter((sentence_hash(t) for t in texts), dtype=np.uint64)


def hash_buckets(hashes: np.ndarray, buckets: int) -> list[np.ndarray]:
    """A shard's distinct hashes, sorted, in ``buckets`` parts (by hash modulo ``buckets``)."""
    distinct = np.unique(hashes)
    part = distinct % np.uint64(buckets)
    return [distinct[part == j] for j in range(buckets)]


def first_owned(hashes: np.ndarray, wanted: np.ndarray, owned: np.ndarray) -> np.ndarray:
    """Where each owned sentence first occurs in a shard (indices into ``hashes``, in order), among the
    sentences ``wanted`` (of documents the encoder embeds): the sentences the shard encodes, in the order
    it meets them."""
    candidates = np.flatnonzero(wanted & np.isin(hashes, owned))
    _, first = np.unique(hashes[candidates], return_index=True)
    return candidates[np.sort(first)]


def owners(parts: Sequence[np.ndarray]) -> list[np.ndarray]:
    """``parts[k]``: shard k's distinct hashes in one bucket (any order, no repeats). For each shard, the
    owner of each of its hashes, in its order: the first shard (lowest k) that holds the hash."""
    if not parts:
        return []
    shard = np.repeat(np.arange(len(parts), dtype=np.int32), [len(p) for p in parts])
    flat = np.concatenate(parts) if len(parts) else np.zeros(0, np.uint64)
    order = np.argsort(flat, kind="stable")  # a hash's rows in shard order: its first row is its owner's
    ordered = flat[order]
    first = np.ones(len(ordered), bool)
    first[1:] = ordered[1:] != ordered[:-1]
    run_start = np.maximum.accumulate(np.where(first, np.arange(len(ordered)), 0))
    owner = np.empty(len(flat), np.int32)
    owner[order] = shard[order][run_start]
    bounds = np.cumsum([0] + [len(p) for p in parts])
    return [owner[bounds[k]:bounds[k + 1]] for k in range(len(parts))]


class OwnedVectors:
    """One shard's owned sentences for one encoder: hashes sorted, with their vectors (as the run stores
    them) and the row of each one's first occurrence in the shard's sentence vectors. Written by the
    shard's encoding step and read, memory-mapped, by every later shard's. The vectors are a working file:
    once every shard has its sentence vectors, the run drops them (they would double the run's largest
    files) and a later reader (a grown run, `add`) finds them by row in the owner's sentence vectors."""

    def __init__(self, hashes: np.ndarray, vectors: np.ndarray, rows: np.ndarray):
        self.hashes, self.vectors, self.rows = hashes, vectors, rows

    @staticmethod
    def paths(base: Path) -> tuple[Path, Path, Path]:
        """(vectors, rows, hashes): the hashes are written last and mark the table as complete."""
        return tuple(base.with_name(f"{base.name}.{part}.npy") for part in ("vectors", "rows", "hashes"))

    def save(self, base: Path, dtype: str) -> list[Path]:
        from ..io import atomic_npy

        order = np.argsort(self.hashes, kind="stable")
        paths = self.paths(base)
        atomic_npy(paths[0], np.ascontiguousarray(self.vectors[order], np.dtype(dtype)))
        atomic_npy(paths[1], self.rows[order].astype(np.int64))
        atomic_npy(paths[2], self.hashes[order])
        return list(paths)

    @classmethod
    def load(cls, base: Path, sentence_vectors: Path) -> OwnedVectors:
        """The table, its vectors from the working file or, once that is gone, by row from the owner's
        sentence vectors (``sentence_vectors``: Layout.vectors' first path): the same numbers."""
        vec_path, rows_path, hash_path = cls.paths(base)
        rows = np.load(rows_path)
        if vec_path.exists():
            return cls(np.load(hash_path), np.load(vec_path, mmap_mode="r"), np.arange(len(rows)))
        return cls(np.load(hash_path), np.load(sentence_vectors, mmap_mode="r"), rows)

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The vectors (float32) of these hashes, which the table must hold."""
        if not len(hashes):
            return np.zeros((0, self.vectors.shape[1]), np.float32)
        at = np.searchsorted(self.hashes, hashes)
        if int(at.max()) >= len(self.hashes) or not np.array_equal(self.hashes[at], hashes):
            raise ValueError("a sentence's owner does not hold its vector (its shard was encoded with other owners)")
        return np.asarray(self.vectors[self.rows[at]], np.float32)
