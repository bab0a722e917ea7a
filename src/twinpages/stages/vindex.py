"""A vector index of one language's documents, exact or compressed, that lives on disk in shards.

Candidate search asks, for every document, its k nearest neighbours (inner product of normalised
vectors) among the documents of another language. Two kinds of index answer it:

- exact: the float32 vectors, searched by brute force. Cost grows with the product of the two
  languages' document counts; the default below a size where it is cheaper (CandidatesConfig).
- approx: an inverted file (IVF, ``lists`` k-means cells) of 4-bit product-quantised codes (faiss's
  SIMD "fast-scan" PQ, one half-byte code per 4 dimensions: 64 bytes for 512 dimensions), searched in
  the ``probes`` cells nearest the query. Its ``shortlist`` best by code distance are re-ranked with
  the vectors kept as float16 beside the codes, so every similarity it returns is the true cosine (to
  float16 precision): the ratio margin's neighbourhood means are computed from true similarities, and
  an approximate index only risks missing a neighbour, not misjudging one.

The similarities a search returns are stored (they make the margins): each is recomputed from the two
vectors by ``row_dots`` (backends/blas.py), so it does not depend on the batch its query was searched in,
on faiss's threads or on the BLAS kernel. faiss only chooses the neighbours, from ``SPARE`` more than
asked, so that its own rounding cannot push a true neighbour out at the k-th place. What is stored of an
approximate index (cells, codebooks, codes) is computed on one thread, whose result depends on the
vectors alone; searching uses the threads the caller gives faiss.

One index is a list of shards, each one ``VectorIndex`` file set holding at most ``shard_docs``
documents, all made from one trained quantizer (``train``). A search loads one shard at a time and
merges the shards' answers (``Neighbours.merge``: best similarity first, then lower document number),
so memory is bounded by the shard size, not by the corpus, and a crawl that grows gets new shards
without rebuilding the old ones. Queries are assigned to their cells once (``assign``) and that
assignment is reused for every shard.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..backends.blas import one_thread, row_dots

# Queries searched at once in an approximate shard: the shortlist's vectors are gathered for them
# (batch x shortlist x d floats, 64 MB at 1024 x 32 x 512), and faiss's lookup tables are per query.
RERANK_BATCH = 1024
# Neighbours asked of faiss beyond k, re-ranked by their exact similarity: faiss's float32 sums can order
# two documents within 1e-7 of each other either way, and only a tie this close at the k-th place could
# change which document is kept.
SPARE = 4
# Training points per IVF cell (faiss warns below 39) and the cap on the training sample.
TRAIN_PER_LIST = 64
TRAIN_MAX = 262_144
# Below this many documents in a language an approximate index is not made (its k-means would have too
# few points to learn cells and codebooks from) and the search is exact, which is instant at that size.
MIN_APPROX_DOCS = 1000


def lists_for(n: int) -> int:
    """IVF cells for an index of ``n`` documents: the power of two nearest sqrt(n), at least 16 — the
    usual rule (a cell holds about sqrt(n) documents), so a probe costs about the same at any size."""
    return max(16, 1 << round(np.log2(max(n, 1)) / 2))


@dataclass(slots=True)
class Neighbours:
    """Each query's k nearest documents: ``ids`` (run-wide document numbers, -1 where there are fewer than
    k) and ``sims`` (cosine; -inf where missing), best first, ties by lower id."""

    ids: np.ndarray  # (n, k) int64
    sims: np.ndarray  # (n, k) float32

    @classmethod
    def empty(cls, n: int, k: int) -> Neighbours:
        return cls(np.full((n, k), -1, np.int64), np.full((n, k), -np.inf, np.float32))

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def k(self) -> int:
        return self.ids.shape[1]

    @classmethod
    def merge(cls, parts: list[Neighbours], k: int) -> Neighbours:
        """The k best of several answers for the same queries (e.g. one per shard). The order does not
        depend on the order of the parts: so shards searched in any order, by any worker, merge the same."""
        ids = np.concatenate([p.ids for p in parts], axis=1)
        sims = np.concatenate([p.sims for p in parts], axis=1)
        # missing neighbours (-1) sort last; among equal similarities, lower document numbers first
        order = np.lexsort((np.where(ids < 0, np.iinfo(np.int64).max, ids), -sims.astype(np.float64)), axis=1)
        order = order[:, :k]
        out = cls(np.take_along_axis(ids, order, 1), np.take_along_axis(sims, order, 1))
        if out.k < k:  # fewer documents than k in all parts together
            pad = cls.empty(len(out), k - out.k)
            out = cls(np.concatenate([out.ids, pad.ids], 1), np.concatenate([out.sims, pad.sims], 1))
        return out

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, ids=self.ids, sims=self.sims)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Neighbours:
        with np.load(path) as f:
            return cls(f["ids"], f["sims"])


def _faiss():
    import faiss

    return faiss


def train(sample: np.ndarray, lists: int, seed: int = 0) -> bytes:
    """A trained, empty approximate index (IVF cells and PQ codebooks) for normalised vectors, learnt
    from ``sample`` (serialised: every shard of the index is made from the same one). A small sample
    gets fewer cells (``usable_lists``)."""
    faiss = _faiss()
    d = sample.shape[1]
    if d % 4:
        raise ValueError(f"an approximate index needs a dimension divisible by 4, not {d}")
    lists = usable_lists(lists, len(sample))
    index = faiss.index_factory(d, f"IVF{lists},PQ{d // 4}x4fs", faiss.METRIC_INNER_PRODUCT)
    ivf = faiss.extract_index_ivf(index)
    ivf.cp.seed = seed  # k-means initialisation: the same sample gives the same cells
    ivf.cp.niter = 10  # faiss's default 25 costs 2.5x for cells that barely move after 10
    with one_thread():  # the cells are stored: their bits must not depend on the threads
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
    return faiss.serialize_index(index).tobytes()


def usable_lists(lists: int, sample: int) -> int:
    """The cells a sample of this size can train: k-means needs about 39 points a cell (faiss's rule)."""
    return max(1, min(lists, sample // 39))


def training_sample(n: int, lists: int, seed: int = 0) -> np.ndarray:
    """Which of ``n`` documents to train on (sorted row numbers): TRAIN_PER_LIST per cell, at most
    TRAIN_MAX, all when there are fewer."""
    size = min(n, max(lists * TRAIN_PER_LIST, 1), TRAIN_MAX)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False)) if size < n else np.arange(n)


class VectorIndex:
    """One shard: documents ``ids`` (run-wide numbers, ascending) and their vectors; with ``trained``
    (from ``train``) also their IVF-PQ codes. Saved as ``PATH.ids.npy``, ``PATH.vec.npy`` (float16 when
    approximate; when exact, float16 where every value is one already, as the run's float16 document
    vectors are, else float32: the search reads them back as float32, the same numbers either way) and
    ``PATH.ivf`` (approximate only)."""

    def __init__(self, ids: np.ndarray, vectors: np.ndarray, ivf=None):
        self.ids, self.vectors, self.ivf = ids, vectors, ivf

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray, trained: bytes | None = None) -> VectorIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if trained is None:
            return cls(np.asarray(ids, np.int64), vectors)
        faiss = _faiss()
        ivf = faiss.deserialize_index(np.frombuffer(trained, np.uint8))
        with one_thread():  # the codes are stored
            ivf.add(vectors)  # positions 0..n-1 in the shard; mapped to ids after the search
        return cls(np.asarray(ids, np.int64), vectors.astype(np.float16), ivf)

    @property
    def approximate(self) -> bool:
        return self.ivf is not None

    def __len__(self) -> int:
        return len(self.ids)

    def save(self, path: Path) -> list[Path]:
        """Write the shard's files (each complete before it gets its name); returns them."""
        written = []
        vectors = self.vectors
        if vectors.dtype == np.float32 and np.array_equal(half := vectors.astype(np.float16), vectors):
            vectors = half  # exactly the same numbers in half the bytes
        for suffix, array in ((".vec.npy", vectors), (".ids.npy", self.ids)):
            tmp = path.with_name(path.name + suffix + ".tmp.npy")
            np.save(tmp, array)
            os.replace(tmp, path.with_name(path.name + suffix))
            written.append(path.with_name(path.name + suffix))
        if self.ivf is not None:
            tmp = path.with_name(path.name + ".ivf.tmp")
            _faiss().write_index(self.ivf, str(tmp))
            os.replace(tmp, path.with_name(path.name + ".ivf"))
            written.append(path.with_name(path.name + ".ivf"))
        return written

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        """The codes in memory; an approximate shard's float16 vectors memory-mapped, as re-ranking reads
        only the shortlisted rows (a small query batch pages in a small part of them)."""
        ivf_path = path.with_name(path.name + ".ivf")
        ivf = _faiss().read_index(str(ivf_path)) if ivf_path.exists() else None
        vectors = np.load(path.with_name(path.name + ".vec.npy"), mmap_mode="r" if ivf is not None else None)
        if ivf is None and vectors.dtype != np.float32:  # an exact shard stored in half: searched in float32
            vectors = vectors.astype(np.float32)
        return cls(cls.load_ids(path), vectors, ivf)

    @staticmethod
    def load_ids(path: Path) -> np.ndarray:
        return np.load(path.with_name(path.name + ".ids.npy"))

    @staticmethod
    def files(path: Path) -> list[Path]:
        return [path.with_name(path.name + s) for s in (".vec.npy", ".ids.npy", ".ivf")]

    def assign(self, queries: np.ndarray, probes: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``probes`` cells nearest each query: (cells, similarities), as every shard of the index
        shares its cells, this is computed once per query and reused for each shard."""
        probes = min(probes, self.ivf.nlist)
        sims, cells = _faiss().extract_index_ivf(self.ivf).quantizer.search(
            np.ascontiguousarray(queries, dtype=np.float32), probes)
        return cells, sims

    def search(self, queries: np.ndarray, k: int, shortlist: int = 32,
               assigned: tuple[np.ndarray, np.ndarray] | None = None, probes: int = 32) -> Neighbours:
        """Each query's k nearest documents in this shard. Exact: brute force. Approximate: the
        ``shortlist`` nearest by code distance in the assigned cells, re-ranked by their true similarity."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        n = len(queries)
        if not len(self) or not n:
            return Neighbours.empty(n, k)
        if self.ivf is None:
            _, rows = _faiss().knn(queries, self.vectors, min(k + SPARE, len(self)),
                                   metric=_faiss().METRIC_INNER_PRODUCT)
            return self._neighbours(rows, self.similarities(queries, rows), k)
        cells, cell_sims = assigned if assigned is not None else self.assign(queries, probes)
        depth = min(shortlist, len(self))
        _faiss().extract_index_ivf(self.ivf).nprobe = cells.shape[1]
        rows = np.empty((n, depth), np.int64)
        sims = np.empty((n, depth), np.float32)
        for start in range(0, n, RERANK_BATCH):  # the shortlist, then its true similarities
            end = start + RERANK_BATCH
            _, r = self.ivf.search_preassigned(queries[start:end], depth, cells[start:end], cell_sims[start:end])
            rows[start:end], sims[start:end] = r, self.similarities(queries[start:end], r)
        return self._neighbours(rows, sims, k)

    def similarities(self, queries: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The exact cosine of each query with each of its rows of this shard (-inf where a row is -1)."""
        out = np.full(rows.shape, -np.inf, np.float32)
        for start in range(0, len(rows), RERANK_BATCH):  # at most batch x k vectors gathered at once
            r = rows[start:start + RERANK_BATCH]
            q = np.broadcast_to(queries[start:start + RERANK_BATCH, None, :], r.shape + queries.shape[1:])
            s = row_dots(q, self.vectors[np.maximum(r, 0)].astype(np.float32))
            out[start:start + RERANK_BATCH] = np.where(r >= 0, s, -np.inf)
        return out

    def _neighbours(self, rows: np.ndarray, sims: np.ndarray, k: int) -> Neighbours:
        ids = np.where(rows >= 0, self.ids[np.maximum(rows, 0)], -1)
        return Neighbours.merge([Neighbours(ids.astype(np.int64), sims.astype(np.float32))], k)


def search_shards(queries: np.ndarray, shards: list[VectorIndex], k: int, shortlist: int = 32,
                  probes: int = 32) -> Neighbours:
    """Search several shards of one index (in memory) and merge: what the sharded phase does file by file."""
    parts, assigned = [], None
    for shard in shards:
        if shard.approximate and assigned is None:
            assigned = shard.assign(queries, probes)
        parts.append(shard.search(queries, k, shortlist, assigned))
    return Neighbours.merge(parts, k) if parts else Neighbours.empty(len(queries), k)
