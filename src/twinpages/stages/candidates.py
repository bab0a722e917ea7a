"""Candidate document pairs from a vector index: k nearest neighbours across languages, margin-scored.

For each pair of languages, the documents of each side are searched in a faiss inner-product index
of the other side. A pair is scored with the ratio margin of Artetxe & Schwenk (2019):
cos(x, y) / ((mean cos of x's k neighbours + mean cos of y's k neighbours) / 2), which discounts
"hub" documents that are close to everything. Candidates are only a shortlist: document alignment
rescores each with sentence-level evidence.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ..data import Candidate


@dataclass(frozen=True, slots=True)
class CandidatesConfig:
    k: int = 4  # neighbours per document (and the margin's neighbourhood)
    min_cosine: float = 0.3  # below this, documents share too little for any translated passage
    same_site: bool = False  # pair only documents of one site (ParaCrawl's setting)
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


def find_candidates(vectors: np.ndarray, langs: list[str | None], config: CandidatesConfig = CandidatesConfig(),
                    groups: list[str] | None = None,
                    lang_pairs: set[tuple[str, str]] | None = None) -> list[Candidate]:
    """Shortlist cross-language pairs. ``vectors`` holds one normalised row per document and
    ``langs`` its language. With ``groups`` (e.g. the site of each document), pairs stay inside a group;
    with ``lang_pairs`` (sorted language tuples), only those language pairs are searched."""
    by_key: dict[tuple, list[int]] = defaultdict(list)
    for i, lang in enumerate(langs):
        if lang:
            by_key[(groups[i] if groups else None, lang)].append(i)
    found: dict[tuple[int, int], float] = {}
    keys = sorted(by_key, key=lambda k: (str(k[0]), k[1]))
    for ka in keys:
        for kb in keys:
            if ka[0] != kb[0] or ka[1] >= kb[1]:
                continue
            if lang_pairs is not None and (ka[1], kb[1]) not in lang_pairs:
                continue
            ia, ib = np.array(by_key[ka]), np.array(by_key[kb])
            k = min(config.k, len(ia), len(ib))
            va, vb = _rows(vectors, ia), _rows(vectors, ib)
            sim_ab, nn_ab = _knn(va, vb, k)
            sim_ba, nn_ba = _knn(vb, va, k)
            del va, vb
            mean_a, mean_b = sim_ab.mean(axis=1), sim_ba.mean(axis=1)
            # the union of both directions' neighbour pairs, in arrays (millions of pairs in a large
            # corpus: Python tuples would cost more memory than the vectors)
            x = np.concatenate([np.repeat(np.arange(len(ia)), k), nn_ba.ravel()]).astype(np.int64)
            y = np.concatenate([nn_ab.ravel(), np.repeat(np.arange(len(ib)), k)]).astype(np.int64)
            cos = np.concatenate([sim_ab.ravel(), sim_ba.ravel()])
            keep = (x >= 0) & (y >= 0) & (cos >= config.min_cosine)  # faiss pads missing neighbours with -1
            x, y, cos = x[keep], y[keep], cos[keep]
            _, first = np.unique(x * len(ib) + y, return_index=True)
            x, y, cos = x[first], y[first], cos[first]
            margin = cos / ((mean_a[x] + mean_b[y]) / 2.0)
            if config.relative_margin > 0:  # near the best margin of each of the two documents
                best_a = np.zeros(len(ia), np.float32)
                best_b = np.zeros(len(ib), np.float32)
                np.maximum.at(best_a, x, margin)
                np.maximum.at(best_b, y, margin)
                near = margin >= config.relative_margin * np.maximum(best_a[x], best_b[y])
                x, y, margin = x[near], y[near], margin[near]
            found.update({(int(ia[a]), int(ib[b])): float(m) for a, b, m in zip(x, y, margin, strict=True)})
    # stable order: best margin first, then by index, so outputs do not depend on set order
    return [Candidate(a, b, s) for (a, b), s in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))]
