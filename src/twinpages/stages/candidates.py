"""Candidate document pairs from a vector index: k nearest neighbours across languages, margin-scored.

For each pair of languages, the documents of each side are searched in a faiss inner-product index
of the other side. A pair is scored with the ratio margin of Artetxe & Schwenk (2019):
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


@dataclass(frozen=True, slots=True)
class CandidatesConfig:
    k: int = 4  # neighbours per document (and the margin's neighbourhood)
    min_cosine: float = 0.3  # below this, documents share too little for any translated passage
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
    relative_margin: float = 0.9


def _knn(queries: np.ndarray, base: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product search (faiss's brute-force kernel, what IndexFlatIP.search runs), on the
    arrays as they are: a flat index would first copy the base, doubling the largest thing in memory."""
    import faiss

    return faiss.knn(np.ascontiguousarray(queries, dtype=np.float32), np.ascontiguousarray(base, dtype=np.float32),
                     k, metric=faiss.METRIC_INNER_PRODUCT)


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


def _pairs_between(vectors: np.ndarray, ia: np.ndarray, ib: np.ndarray, config: CandidatesConfig) -> Candidates:
    """Margin-scored candidates between two blocks of documents (index arrays into ``vectors``)."""
    k = min(config.k, len(ia), len(ib))
    va, vb = _rows(vectors, ia), _rows(vectors, ib)
    sim_ab, nn_ab = _knn(va, vb, k)
    sim_ba, nn_ba = _knn(vb, va, k)
    del va, vb
    mean_a, mean_b = sim_ab.mean(axis=1), sim_ba.mean(axis=1)
    # the union of both directions' neighbour pairs
    x = np.concatenate([np.repeat(np.arange(len(ia)), k), nn_ba.ravel()]).astype(np.int64)
    y = np.concatenate([nn_ab.ravel(), np.repeat(np.arange(len(ib)), k)]).astype(np.int64)
    cos = np.concatenate([sim_ab.ravel(), sim_ba.ravel()])
    keep = (x >= 0) & (y >= 0) & (cos >= config.min_cosine)  # faiss pads missing neighbours with -1
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
    return Candidates.concat(found).by_score()
