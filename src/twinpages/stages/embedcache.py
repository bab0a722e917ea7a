"""A disk cache of sentence embeddings, keyed by a content hash of (encoder, the document's sentences),
so a second run over the same corpus re-embeds nothing. SQLite (standard library) holds the vectors:
one table, one row per document, written in one transaction per batch, so a run killed at any moment
leaves a consistent cache.

A vector's last bits depend on the batch it was encoded in (backends/blas.py). So that a run's bytes do
not depend on which worker wrote an entry first, a run reads only the entries that were there when it
began (``until``: the cache's ``watermark`` then, kept in the run folder for a resumed run), and an
entry, once written, is never replaced."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np


def content_key(encoder: str, sentences: list[str]) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(encoder.encode())
    for s in sentences:
        h.update(b"\x00")
        h.update(s.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class EmbeddingCache:
    """``dtype``: how entries are stored (a run's ``EmbedConfig.vectors``). The run keys float16 entries
    apart from float32 ones (``key_name``), so one cache file serves runs of either kind."""

    def __init__(self, path: str | Path, dtype: str = "float32"):
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = None
        self.hits = self.misses = 0
        self.until: int | None = None  # read only rows up to this rowid (None: all)

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(self.path)
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER, data BLOB)")
        return self._db

    def watermark(self) -> int:
        """The newest entry's row number: a run that reads ``until`` it sees the cache as it is now."""
        return int(self.db.execute("SELECT COALESCE(MAX(rowid), 0) FROM vectors").fetchone()[0])

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        found = {}
        limit = self.until if self.until is not None else -1
        for k in range(0, len(keys), 500):
            chunk = keys[k:k + 500]
            marks = ",".join("?" * len(chunk))
            for key, dim, data in self.db.execute(f"SELECT key, dim, data FROM vectors WHERE key IN ({marks}) "
                                                  "AND (? < 0 OR rowid <= ?)", [*chunk, limit, limit]):
                found[key] = np.frombuffer(data, dtype=self.dtype).reshape(-1, dim).astype(np.float32)
        self.hits += len(found)
        self.misses += len(set(keys)) - len(found)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        rows = [(k, v.shape[1], np.ascontiguousarray(v, self.dtype).tobytes()) for k, v in items.items()]
        with self.db:  # one transaction
            self.db.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?, ?)", rows)

    def __getstate__(self):
        return {"path": self.path, "dtype": self.dtype, "_db": None, "hits": 0, "misses": 0, "until": self.until}

    def key_name(self, encoder: str) -> str:
        """The encoder's name in the entries' content keys."""
        return encoder if self.dtype == np.float32 else f"{encoder}/{self.dtype.name}"
