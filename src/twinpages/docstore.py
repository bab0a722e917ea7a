"""Prepared documents on disk, so that a corpus run holds in memory only what the current step needs.

``mine`` streams documents through extraction, language ID and splitting into a DocStore (SQLite),
then streams them back through embedding. Each row holds one pickled Document; beside it are what the
candidate search reads for every document (language, site group, one vector per encoder). Memory then
grows with the vector index, not with the corpus, and alignment reads the two documents of each
candidate pair back through a small LRU cache (candidates come grouped by source document).
"""

from __future__ import annotations

import pickle
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .data import DocPair, Document


class DocStore:
    def __init__(self, path: str | Path, cache_size: int = 2048, chunk: int = 1000, create: bool = True):
        """A new, empty store at ``path``; with ``create=False``, the existing store there, for reading
        (the alignment workers)."""
        self.path = Path(path)
        if create:  # a store lives for one run: a resumed run rebuilds it
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
        self.db = sqlite3.connect(self.path)
        if create:
            # WAL: the alignment workers read documents while this process writes pairs; scratch data,
            # so no syncing to disk
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=OFF")
            self.db.execute("CREATE TABLE docs (idx INTEGER PRIMARY KEY, id TEXT, lang TEXT, grp TEXT, doc BLOB)")
            self.db.execute("CREATE TABLE vectors (encoder TEXT, idx INTEGER, vec BLOB, PRIMARY KEY (encoder, idx))")
            self.db.execute("CREATE TABLE pairs (n INTEGER PRIMARY KEY, score REAL, candidate_score REAL, "
                            "src_id TEXT, tgt_id TEXT, n_aligned INTEGER, pair BLOB)")
        self.n = self.db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
        self.chunk = chunk
        self._cache: OrderedDict[int, Document] = OrderedDict()
        self.cache_size = cache_size

    def add(self, doc: Document, group: str | None = None) -> int:
        idx = self.n
        self.db.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?)", (idx, doc.id, doc.lang, group, _dump(doc)))
        self.n += 1
        return idx

    def replace(self, idx: int, doc: Document, vectors: dict[str, np.ndarray]) -> None:
        """Store the document again (now with its sentence embeddings) and its document vectors."""
        self.db.execute("UPDATE docs SET doc = ? WHERE idx = ?", (_dump(doc), idx))
        self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                            [(name, idx, np.asarray(v, np.float32).tobytes()) for name, v in sorted(vectors.items())])
        self._cache.pop(idx, None)

    def commit(self) -> None:
        self.db.commit()

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int) -> Document:
        doc = self._cache.get(idx)
        if doc is not None:
            self._cache.move_to_end(idx)
            return doc
        row = self.db.execute("SELECT doc FROM docs WHERE idx = ?", (idx,)).fetchone()
        if row is None:
            raise IndexError(idx)
        doc = pickle.loads(row[0])
        self._cache[idx] = doc
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return doc

    def __iter__(self) -> Iterator[Document]:
        """Every document in order, read in chunks (no cursor stays open across writes)."""
        for start in range(0, self.n, self.chunk):
            rows = self.db.execute("SELECT doc FROM docs WHERE idx >= ? AND idx < ? ORDER BY idx",
                                   (start, start + self.chunk)).fetchall()
            for (blob,) in rows:
                yield pickle.loads(blob)

    def langs(self) -> list[str | None]:
        return [lang for (lang,) in self.db.execute("SELECT lang FROM docs ORDER BY idx")]

    def encoder_counts(self) -> dict[str, int]:
        """How many documents each encoder embedded."""
        return dict(self.db.execute("SELECT encoder, COUNT(*) FROM vectors GROUP BY encoder ORDER BY encoder"))

    def lang_counts(self) -> dict[str | None, int]:
        return dict(self.db.execute("SELECT lang, COUNT(*) FROM docs GROUP BY lang"))

    def id_map(self, idx: Iterable[int]) -> dict[int, str]:
        """The ids of some documents (a batch's), without reading the whole corpus's."""
        wanted = sorted(set(idx))
        found: dict[int, str] = {}
        for k in range(0, len(wanted), 500):
            part = wanted[k:k + 500]
            found.update(self.db.execute(f"SELECT idx, id FROM docs WHERE idx IN ({','.join('?' * len(part))})",
                                         part))
        return found

    def vectors(self, encoder: str, with_groups: bool = False) -> VectorIndex:
        """The documents that have a vector of this encoder, grouped by language (so that each language
        is a contiguous block, which the candidate search can use without copying), with their
        languages (and site groups) and vectors."""
        n, dim = self.db.execute("SELECT COUNT(*), MAX(LENGTH(vec)) FROM vectors WHERE encoder = ?",
                                 (encoder,)).fetchone()
        out = np.zeros((n, (dim or 0) // 4), np.float32)  # filled in place: one copy of the index in memory
        members = np.zeros(n, np.int64)
        langs: list[str | None] = []
        groups: list[str | None] | None = [] if with_groups else None
        names: dict = {}  # one string object per distinct language or site, not one per document
        rows = self.db.execute("SELECT v.idx, d.lang, d.grp, v.vec FROM vectors v JOIN docs d ON d.idx = v.idx "
                               "WHERE v.encoder = ? ORDER BY d.lang, v.idx", (encoder,))
        for k, (idx, lang, grp, blob) in enumerate(rows):
            members[k] = idx
            langs.append(names.setdefault(lang, lang))
            if groups is not None:
                groups.append(names.setdefault(grp, grp))
            out[k] = np.frombuffer(blob, dtype=np.float32)
        return VectorIndex(members, langs, groups, out)

    # The accepted document pairs: kept here rather than in memory, as a corpus can have millions.

    def add_pairs(self, pairs: list[DocPair]) -> None:
        self.db.executemany("INSERT INTO pairs (score, candidate_score, src_id, tgt_id, n_aligned, pair) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            [(p.score, p.candidate_score, p.src_id, p.tgt_id, p.n_aligned, _dump(p)) for p in pairs])
        self.db.commit()

    def pair_keys(self) -> list[PairKey]:
        return [PairKey(*row) for row in self.db.execute("SELECT n, score, candidate_score, src_id, tgt_id "
                                                          "FROM pairs ORDER BY n")]

    def keep_pairs(self, keep: set[int]) -> None:
        drop = [(n,) for (n,) in self.db.execute("SELECT n FROM pairs") if n not in keep]
        self.db.executemany("DELETE FROM pairs WHERE n = ?", drop)

    def pairs(self) -> StoredPairs:
        return StoredPairs(self)

    def close(self, remove: bool = True) -> None:
        self.db.close()
        if remove:
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)


def _dump(doc: Document) -> bytes:
    return pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL)


class VectorIndex(NamedTuple):
    """One encoder's document vectors: row k is document ``members[k]``."""

    members: np.ndarray
    langs: list[str | None]
    groups: list[str | None] | None
    vectors: np.ndarray


class PairKey(NamedTuple):
    """What choosing pairs needs of a stored pair (docalign.one_to_one reads the scores and ids)."""

    n: int
    score: float
    candidate_score: float
    src_id: str
    tgt_id: str


class StoredPairs:
    """The store's pairs, best first (score, then ids: the order of the output files), read in chunks
    each time it is iterated."""

    def __init__(self, store: DocStore):
        self.store = store

    def __len__(self) -> int:
        return self.store.db.execute("SELECT COUNT(*) FROM pairs").fetchone()[0]

    def sentence_pairs(self) -> int:
        return self.store.db.execute("SELECT COALESCE(SUM(n_aligned), 0) FROM pairs").fetchone()[0]

    def __iter__(self) -> Iterator[DocPair]:
        db = self.store.db
        order = [n for (n,) in db.execute("SELECT n FROM pairs ORDER BY score DESC, src_id, tgt_id")]
        for k in range(0, len(order), self.store.chunk):
            part = order[k:k + self.store.chunk]
            marks = ",".join("?" * len(part))
            blobs = dict(db.execute(f"SELECT n, pair FROM pairs WHERE n IN ({marks})", part))
            for n in part:
                yield pickle.loads(blobs[n])
