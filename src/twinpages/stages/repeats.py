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
    if doc.url:
        host = urlsplit(doc.url).hostname
        if host:
            return host.lower().removeprefix("www.")
    # a WARC record's source is "archive url"; a file's its path
    return str(Path(doc.source.split(" ")[0]).parent)


def line_hash(text: str) -> int:
    """CCNet's normalisation: case-folded, accents and punctuation removed, digits as 0."""
    norm = unicodedata.normalize("NFD", text.casefold())
    norm = "".join(c for c in norm if not unicodedata.combining(c))
    norm = _NOT_WORD.sub(" ", _DIGITS.sub("0", norm)).strip()
    return int.from_bytes(hashlib.blake2b(norm.encode(), digest_size=8).digest(), "little")


def document_hashes(doc: Document) -> np.ndarray:
    return np.unique(np.fromiter((line_hash(t) for t in doc.raw.splitlines() if t.strip()), dtype=np.uint64))


class RepeatedLines:
    """Count lines over a corpus with ``add``, then ask which lines of a document are repeats."""

    def __init__(self, min_docs: int = 3):
        self.min_docs = min_docs
        self._parts: dict[str, list[np.ndarray]] = defaultdict(list)
        self._repeated: dict[str, np.ndarray] = {}

    def add(self, doc: Document) -> None:
        if doc.html is None and doc.raw:  # HTML pages have their own extractor
            self._parts[group_of(doc)].append(document_hashes(doc))

    def finish(self) -> None:
        for group, parts in self._parts.items():
            values, counts = np.unique(np.concatenate(parts), return_counts=True)
            self._repeated[group] = values[counts >= self.min_docs]
        self._parts.clear()

    def repeated_in(self, doc: Document) -> set[int]:
        """Hashes of the document's lines that occur in at least ``min_docs`` documents of its group."""
        rep = self._repeated.get(group_of(doc))
        if rep is None or not len(rep):
            return set()
        own = document_hashes(doc)
        return {int(h) for h in own[np.isin(own, rep)]}
