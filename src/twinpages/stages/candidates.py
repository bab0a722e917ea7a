"""Candidate document pairs from a vector index: k nearest neighbours across languages, margin-scored.

For each pair of languages, the documents of each side are searched in an index of the other side
(stages/vindex.py: exact, or compressed above a size). A pair is scored with the ratio margin of
Artetxe & Schwenk (2019):
cos(x, y) / ((mean cos of x's k neighbours + mean cos of y's k neighbours) / 2), which discounts
"hub" documents that are close to everything. Candidates are only a shortlist: document alignment
rescores each with sentence-level evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..data import Candidates
from ..settings import language_pairs, setting
from .vindex import MIN_APPROX_DOCS, Neighbours, VectorIndex, lists_for, search_shards, train, training_sample


@dataclass(frozen=True, slots=True)
class CandidatesConfig:
    k: int = setting(4, low=1)  # neighbours per document (and the margin's neighbourhood)
    # below this, documents share too little for any translated passage
    min_cosine: float = setting(0.3, low=-1.0, high=1.0)
    # only these language pairs are searched; their order is also the bitext's column order (-l en-de:
    # English first). Empty: every pair of languages present.
    langs: tuple[tuple[str, str], ...] = setting((), flag=("-l", "--langs"), parse=language_pairs,
                                                 help="language pairs to mine, comma-separated (en-de,en-fr); "
                                                      "also the column order of their bitext")
    same_site: bool = setting(False, flag="--same-site",
                              help="pair only documents of one site (ParaCrawl's setting)")
    # Keep a pair only when its margin is at least this share of the best margin of each of its two
    # documents: a document's real partners (several copies, near-identical siblings) all score close
    # to its best, the rest of its k neighbours fall far below. On full DDTP this keeps 49k of 272k
    # candidates and loses 9 of 19,427 gold pairs. 0 keeps all.
    relative_margin: float = setting(0.9, low=0.0, high=1.0)
    # The vector index (stages/vindex.py). auto: exact while the two languages' document counts multiply
    # to at most exact_max (brute force costs their product; the compressed index costs about their sum
    # plus a build), compressed above. 6e8: where the two cost the same on our 2-core machine (DDTP
    # subsets: 19.5k x 19.5k exact 5.3 s, approx 7.4 s; 61k x 19.5k exact 15 s, approx 11 s).
    index: str = setting("auto", flag="--index", choices=("auto", "exact", "approx"),
                         help="candidate search: exact (brute force), approx (compressed IVF-PQ index, "
                              "re-ranked exactly), auto (exact for small corpora)")
    exact_max: float = setting(6e8, flag="--exact-max", low=0,
                               help="auto: exact search while the two languages' document counts multiply "
                                    "to at most this")
    index_lists: int = setting(0, flag="--index-lists", low=0,
                               help="approx: IVF cells (0: the power of two nearest sqrt of the documents)")
    index_probes: int = setting(32, flag="--index-probes", low=1, help="approx: cells searched per query")
    index_shortlist: int = setting(32, flag="--index-shortlist", low=1,
                                   help="approx: neighbours re-ranked by their true similarity per query")
    # Documents per index shard (and per query batch): bounds the search's memory at about 3 kB a
    # document of it (exact: 2 kB vectors; approx: float16 vectors and codes), whatever the corpus.
    shard_docs: int = setting(500_000, flag="--index-shard-docs", low=1,
                              help="documents per index shard and query batch: bounds the search's memory")

    def approximate(self, n_a: int, n_b: int) -> bool:
        if min(n_a, n_b) < MIN_APPROX_DOCS:  # too few to train an index on, and exact is instant
            return False
        return self.index == "approx" or (self.index == "auto" and n_a * n_b > self.exact_max)


def _rows(vectors: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The rows ``idx`` of ``vectors``: a view when they are one contiguous block (no copy of a large
    index), else a copy."""
    if len(idx) and idx[-1] - idx[0] == len(idx) - 1 and np.all(np.diff(idx) == 1):
        return vectors[idx[0]:idx[-1] + 1]
    return vectors[idx]


def _codes(values) -> tuple[np.ndarray, list]:
    """Each value as a small integer (its rank among the distinct values), and the distinct values."""
    distinct = sorted(set(values), key=str)
    rank = {v: k for k, v in enumerate(distinct)}
    return np.fromiter((rank[v] for v in values), dtype=np.int64, count=len(values)), distinct


def _blocks(langs, groups) -> dict[tuple, np.ndarray]:
    """The documents of each (group, language), as index arrays in index order, keyed in sorted order.
    Done with integer codes and one sort: a corpus has millions of documents and may have many sites."""
    lang_code, lang_names = _codes(langs)
    group_code, group_names = _codes(groups) if groups is not None else (np.zeros(len(langs), np.int64), [None])
    key = group_code * len(lang_names) + lang_code
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    blocks = {}
    for members in np.split(order, bounds) if len(order) else []:
        g, lang = divmod(int(key[members[0]]), len(lang_names))
        if lang_names[lang]:
            blocks[(group_names[g], lang_names[lang])] = members
    return dict(sorted(blocks.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])))


def index_of(vectors: np.ndarray, ids: np.ndarray, config: CandidatesConfig, approximate: bool,
             seed: int = 0) -> list[VectorIndex]:
    """The shards of one language's index, in memory (the sharded phase builds the same, file by file)."""
    trained = None
    if approximate and len(ids):
        lists = config.index_lists or lists_for(len(ids))
        first = vectors[:config.shard_docs]  # trained on the first shard: later shards add, never retrain
        trained = train(first[training_sample(len(first), lists, seed)], lists, seed)
    return [VectorIndex.build(vectors[s:s + config.shard_docs], ids[s:s + config.shard_docs], trained)
            for s in range(0, len(ids), config.shard_docs)]


def neighbours(queries: np.ndarray, shards: list[VectorIndex], config: CandidatesConfig) -> Neighbours:
    """Each query's ``config.k`` nearest documents in the shards, in query batches of ``shard_docs``."""
    parts = [search_shards(queries[s:s + config.shard_docs], shards, config.k, config.index_shortlist,
                           config.index_probes) for s in range(0, len(queries), config.shard_docs)]
    if not parts:
        return Neighbours.empty(0, config.k)
    return Neighbours(np.concatenate([p.ids for p in parts]), np.concatenate([p.sims for p in parts]))


def pairs_from_neighbours(ia: np.ndarray, ib: np.ndarray, nn_ab: Neighbours, nn_ba: Neighbours,
                          config: CandidatesConfig, k: int | None = None) -> Candidates:
    """Margin-scored candidates between the documents ``ia`` of one language and ``ib`` of another
    (ascending document numbers), from each side's nearest neighbours in the other (by document number;
    -1 for none, or for a neighbour left out of a part of the languages, whose similarity still counts in
    the mean). ``k``: the neighbourhood's size, when ia and ib are a part of the languages (query.py);
    by default the run's, from their sizes."""
    k = min(config.k, len(ia), len(ib)) if k is None else k
    if not k:
        return Candidates.empty()
    sim_ab, sim_ba = nn_ab.sims[:, :k], nn_ba.sims[:, :k]
    mean_a, mean_b = mean_found(sim_ab, config), mean_found(sim_ba, config)
    # the union of both directions' neighbour pairs, as positions in ia and ib
    x = np.concatenate([np.repeat(np.arange(len(ia)), k), _positions(ia, nn_ba.ids[:, :k].ravel())])
    y = np.concatenate([_positions(ib, nn_ab.ids[:, :k].ravel()), np.repeat(np.arange(len(ib)), k)])
    cos = np.concatenate([sim_ab.ravel(), sim_ba.ravel()])
    keep = (x >= 0) & (y >= 0) & (cos >= config.min_cosine)  # missing neighbours are -1
    x, y, cos = x[keep], y[keep], cos[keep]
    _, first = np.unique(x * len(ib) + y, return_index=True)
    x, y, cos = x[first], y[first], cos[first]
    margin = (cos / ((mean_a[x] + mean_b[y]) / 2.0)).astype(np.float32)
    if config.relative_margin > 0:  # near the best margin of each of the two documents
        best_a = np.zeros(len(ia), np.float32)
        best_b = np.zeros(len(ib), np.float32)
        np.maximum.at(best_a, x, margin)
        np.maximum.at(best_b, y, margin)
        near = margin >= config.relative_margin * np.maximum(best_a[x], best_b[y])
        x, y, margin = x[near], y[near], margin[near]
    return Candidates(ia[x].astype(np.int64), ib[y].astype(np.int64), margin)


def mean_found(sims: np.ndarray, config: CandidatesConfig) -> np.ndarray:
    """Each row's mean similarity over the neighbours found: an approximate search may find fewer than k
    in the cells it probes (none at all: min_cosine, the least a candidate's similarity can be)."""
    found = np.isfinite(sims)
    total = np.where(found, sims, 0).sum(axis=1)
    count = found.sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), config.min_cosine).astype(np.float32)


def _positions(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Where each of ``ids`` stands in ``sorted_ids`` (-1 for -1, the missing neighbour)."""
    pos = np.searchsorted(sorted_ids, np.maximum(ids, 0))
    return np.where(ids >= 0, pos, -1).astype(np.int64)


def _pairs_between(vectors: np.ndarray, ia: np.ndarray, ib: np.ndarray, config: CandidatesConfig) -> Candidates:
    """Margin-scored candidates between two blocks of documents (ascending index arrays into ``vectors``)."""
    va, vb = _rows(vectors, ia), _rows(vectors, ib)
    approx = config.approximate(len(ia), len(ib))
    nn_ab = neighbours(va, index_of(vb, ib, config, approx), config)
    nn_ba = neighbours(vb, index_of(va, ia, config, approx), config)
    return pairs_from_neighbours(ia, ib, nn_ab, nn_ba, config)


def find_candidates(vectors: np.ndarray, langs: Sequence[str | None], config: CandidatesConfig = CandidatesConfig(),
                    groups: Sequence[str | None] | None = None,
                    lang_pairs: set[tuple[str, str]] | None = None) -> Candidates:
    """Shortlist cross-language pairs, best margin first. ``vectors`` holds one normalised row per
    document and ``langs`` its language. With ``groups`` (e.g. the site of each document), pairs stay
    inside a group; with ``lang_pairs`` (sorted language tuples), only those language pairs are searched."""
    blocks = _blocks(langs, groups)
    found = []
    for (group_a, lang_a), ia in blocks.items():
        for (group_b, lang_b), ib in blocks.items():
            if group_a != group_b or lang_a >= lang_b:
                continue
            if lang_pairs is not None and (lang_a, lang_b) not in lang_pairs:
                continue
            found.append(_pairs_between(vectors, ia, ib, config))
    return Candidates.concat(found).by_margin()
