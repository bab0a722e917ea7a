"""Near-copies in one language: pages whose main texts share most of their word 5-grams (an article
reposted inside another site's boilerplate, a mirror, a page templated from another), found by MinHash and
banded LSH before anyone embeds them.

Each document's main text becomes a MinHash signature (rensa: Rust, MIT, no dependencies, deterministic
for a seed whatever the process; datasketch does the same in Python at about 50x the time a page) over its
word shingles (``shingle`` tokens, case-folded; a CJK character is a token). Its ``bands`` x ``rows`` values
are cut into bands; two documents of one language that share a band's values are candidates, and those
whose **containment** reaches ``threshold`` are linked; clusters are the connected groups. Containment is
the share of the shorter text's shingles found in the other, estimated from the signatures' Jaccard
similarity J and the two shingle counts: J (a + b) / ((1 + J) min(a, b)). It, not J, is what makes a copy:
a repost keeps another site's menus and related links around the article, and a copy that drops a
paragraph is all inside its original; both lower J far more than containment (BENCHMARKS.md, issue 29).
With 28 bands of 4 values, two texts of Jaccard 0.5 share a band 83 % of the time, of 0.3 20 %. The
representative of a cluster is its member with the longest main text (it holds the most that can be
paired), the first in run order of equals.

Texts under ``min_words`` words get no signature: a short page (a menu, a one-line notice) matches too
many others to mean a copy.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from ..settings import setting

SEED = 20261203  # part of what a signature means: changing it changes every cluster
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+",
                    re.UNICODE)


@dataclass(frozen=True, slots=True)
class CopiesConfig:
    enabled: bool = setting(True, flag="--no-copies", help="do not look for near-copies in one language "
                                                           "(OUT/copies.jsonl)")
    threshold: float = setting(0.8, low=0.0, high=1.0, flag="--copy-threshold",
                               help="share of the shorter page's word shingles found in the other from which two "
                                    "pages are copies")
    shingle: int = setting(5, low=1, flag="--copy-shingle", help="tokens per shingle")
    bands: int = setting(28, low=1)
    rows: int = setting(4, low=1)  # bands x rows values a signature; (1/bands)^(1/rows) ~ 0.43: LSH's knee
    min_words: int = setting(30, low=1)

    @property
    def permutations(self) -> int:
        return self.bands * self.rows


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


def shingle_count(text: str, config: CopiesConfig) -> int:
    return max(len(tokens(text)) - config.shingle + 1, 0)


def signature(text: str, config: CopiesConfig) -> np.ndarray | None:
    """The MinHash signature of a text's shingles (uint32, ``config.permutations`` values); None for a text
    too short to tell a copy."""
    import rensa

    words = tokens(text)
    if len(words) < config.min_words:
        return None
    k = config.shingle
    minhash = rensa.RMinHash(num_perm=config.permutations, seed=SEED)
    minhash.update([" ".join(words[i:i + k]) for i in range(len(words) - k + 1)])
    return np.asarray(minhash.digest(), np.uint32)


def band_keys(sig: np.ndarray, lang: str, config: CopiesConfig) -> np.ndarray:
    """One uint64 key per band: the band's values and the language (copies are looked for within one)."""
    rows = sig.reshape(config.bands, config.rows)
    return np.array([int.from_bytes(hashlib.blake2b(f"{lang}|{b}|".encode() + rows[b].tobytes(),
                                                    digest_size=8).digest(), "little")
                     for b in range(config.bands)], np.uint64)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(a == b))


def containment(a: np.ndarray, b: np.ndarray, size_a: int, size_b: int) -> float:
    """Estimated share of the smaller shingle set found in the other (see the module's docstring)."""
    j = similarity(a, b)
    return min(1.0, j * (size_a + size_b) / ((1 + j) * max(min(size_a, size_b), 1)))


def candidate_edges(keys: np.ndarray, numbers: np.ndarray) -> set[tuple[int, int]]:
    """Pairs of documents that share a band key: each document linked to the first (lowest number) with
    the same key, so a group of n sharing a key gives n - 1 edges, not n^2 (vectorised: a bucket of a
    large run holds millions of keys)."""
    if len(keys) == 0:
        return set()
    order = np.lexsort((numbers, keys))
    keys, numbers = keys[order], numbers[order]
    starts = np.r_[True, keys[1:] != keys[:-1]]
    first = numbers[np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0))]
    linked = numbers != first
    pairs = np.unique(np.stack([first[linked], numbers[linked]], axis=1), axis=0)
    return {(int(a), int(b)) for a, b in pairs}


def clusters(edges: list[tuple[int, int]]) -> list[list[int]]:
    """Connected groups of linked documents (union-find), each sorted, in order of their first member."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for x in sorted(parent):
        groups.setdefault(root(x), []).append(x)
    return sorted(groups.values())
