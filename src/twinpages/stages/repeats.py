"""Lines that repeat across the documents of one site are boilerplate (CCNet's idea: hash normalised
lines per shard and drop the repeats). Menus, share buttons, footers and "More Stories" come back on
every page of a site, while an article's sentences appear once.

A first pass over the corpus counts, per group (the URL's host; without a URL, the folder or archive
a document came from), in how many documents each normalised line occurs. Hashes are kept in NumPy
arrays, 8 bytes a line occurrence, so counting stays small next to the encoder's work.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from ..data import Document

_DIGITS = re.compile(r"\d")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def group_of(doc: Document) -> str:
    """The document's site: its URL's host; without a URL, the folder named as input that it was found in
    (a site saved as en/ de/ fr/ folders is one site), else the folder of its file or archive."""
    if doc.url:
        host = urlsplit(doc.url).hostname
        if host:
            return host.lower().removeprefix("www.")
    path = doc.source.split(" ")[0]  # a WARC record's source is "archive url"; a file's its path
    if doc.id and path.endswith("/" + doc.id):  # found in an input folder: the id is the path below it
        return path[:-len(doc.id) - 1]
    return str(Path(path).parent)


def line_hash(text: str) -> int:
    """CCNet's normalisation: case-folded, accents and punctuation removed, digits as 0."""
    norm = unicodedata.normalize("NFD", text.casefold())
    norm = "".join(c for c in norm if not unicodedata.combining(c))
    norm = _NOT_WORD.sub(" ", _DIGITS.sub("0", norm)).strip()
    return int.from_bytes(hashlib.blake2b(norm.encode(), digest_size=8).digest(), "little")


def document_hashes(doc: Document) -> np.ndarray:
    return np.unique(np.fromiter((line_hash(t) for t in doc.raw.splitlines() if t.strip()), dtype=np.uint64))


class LineCounts:
    """In how many documents of each group each line hash occurs: counted per shard, merged with ``+``
    (counts add up), then turned into the table of repeated lines. Memory: 16 bytes per distinct line
    and group."""

    def __init__(self, counts: dict[str, tuple[np.ndarray, np.ndarray]] | None = None):
        self._parts: dict[str, list[np.ndarray]] = defaultdict(list)
        self.counts: dict[str, tuple[np.ndarray, np.ndarray]] = counts or {}  # group -> (hashes, counts)

    def add(self, doc: Document) -> None:
        if doc.html is None and doc.raw:  # HTML pages have their own extractor
            self._parts[group_of(doc)].append(document_hashes(doc))

    def _settle(self) -> None:
        for group, parts in self._parts.items():
            self.counts[group] = _sum_counts([self.counts.get(group), (np.concatenate(parts), None)])
        self._parts.clear()

    def __add__(self, other: LineCounts) -> LineCounts:
        return LineCounts.merge([self, other])

    @classmethod
    def merge(cls, parts: list[LineCounts]) -> LineCounts:
        """The sum of many shards' counts, in one pass per group."""
        for p in parts:
            p._settle()
        groups = sorted({g for p in parts for g in p.counts})
        return cls({g: _sum_counts([p.counts.get(g) for p in parts]) for g in groups})

    def buckets(self, n: int) -> list[LineCounts]:
        """The counts split into ``n`` parts by site: parts can be merged across shards independently."""
        self._settle()
        parts = [LineCounts() for _ in range(n)]
        for group, value in self.counts.items():
            parts[bucket_of(group, n)].counts[group] = value
        return parts

    def repeated(self, min_docs: int) -> RepeatedLines:
        self._settle()
        return RepeatedLines(min_docs, {g: h[c >= min_docs] for g, (h, c) in sorted(self.counts.items())})

    def save(self, path: Path) -> None:
        import os

        self._settle()
        groups = sorted(self.counts)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, groups=np.array(groups, dtype=str),
                 sizes=np.array([len(self.counts[g][0]) for g in groups], np.int64),
                 hashes=np.concatenate([self.counts[g][0] for g in groups]) if groups else np.zeros(0, np.uint64),
                 counts=np.concatenate([self.counts[g][1] for g in groups]) if groups else np.zeros(0, np.int64))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> LineCounts:
        with np.load(path) as f:
            ends = np.cumsum(f["sizes"]).tolist()
            hashes, counts = f["hashes"], f["counts"]
            starts = [0] + ends[:-1] if ends else []
            return cls({str(g): (hashes[a:b], counts[a:b]) for g, a, b in zip(f["groups"], starts, ends, strict=True)})


def _sum_counts(parts) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, counts) summed over parts; a part's counts may be None (one document each)."""
    parts = [p for p in parts if p is not None]
    hashes = np.concatenate([h for h, _ in parts])
    weights = np.concatenate([np.ones(len(h), np.int64) if c is None else c for h, c in parts])
    values, inverse = np.unique(hashes, return_inverse=True)
    return values, np.bincount(inverse, weights=weights, minlength=len(values)).astype(np.int64)


def bucket_of(group: str, n: int) -> int:
    digest = hashlib.blake2b(group.encode("utf-8", "surrogatepass"), digest_size=4).digest()
    return int.from_bytes(digest, "little") % n


class RepeatedLines:
    """Which lines of a document are repeats in its group: made by ``LineCounts.repeated``, or counted
    over a corpus in one process with ``add`` then ``finish``."""

    def __init__(self, min_docs: int = 3, repeated: dict[str, np.ndarray] | None = None):
        self.min_docs = min_docs
        self._counts = LineCounts()
        self._repeated: dict[str, np.ndarray] = repeated or {}

    def add(self, doc: Document) -> None:
        self._counts.add(doc)

    def finish(self) -> None:
        self._repeated = self._counts.repeated(self.min_docs)._repeated
        self._counts = LineCounts()

    def save(self, path: Path) -> None:
        LineCounts({g: (h, np.full(len(h), self.min_docs, np.int64)) for g, h in self._repeated.items()}).save(path)

    @classmethod
    def load(cls, paths: list[Path], min_docs: int) -> RepeatedLines:
        """The table saved in parts (one per bucket of sites: each site is in one part)."""
        tables = [LineCounts.load(p).repeated(min_docs)._repeated for p in paths]
        return cls(min_docs, {g: h for t in tables for g, h in t.items()})

    def repeated_in(self, doc: Document) -> set[int]:
        """Hashes of the document's lines that occur in at least ``min_docs`` documents of its group."""
        rep = self._repeated.get(group_of(doc))
        if rep is None or not len(rep):
            return set()
        own = document_hashes(doc)
        return {int(h) for h in own[np.isin(own, rep)]}
