"""Unique document ids across the run, after the read phase.

Ids come from the inputs (a file's path, a JSONL record's ``id``), so two inputs can bring the same id:
two JSONL files that both number their records from 1, a crawl read twice. Every output refers to
documents by id, so a repeated id would show one document's text for another's. The first document in
run order keeps the id; each later one is renamed ``ID#N`` (the first N that no document has) and a
``duplicate_id`` warning names both. Shards are read in parallel, so this is a step of its own: it reads
the shards' id columns (8 bytes a document in memory), and the renames go with the ShardIndex to
whatever reads documents (store.shards.DocReader, the outputs).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..data import DocError
from ..schemas import ERROR, error_from_dict
from ..store import digest
from ..store.shards import read_table
from .base import Phase, Run, load_stats, save_stats


@dataclass(frozen=True, slots=True)
class UniqueIds(Phase):
    """One global step after the read phase: the repeated ids and their new names, kept in the run folder
    for a resumed run; the ShardIndex carries the renames to whatever reads documents."""

    name: ClassVar[str] = "ids"
    stage: ClassVar[str] = "read"
    local: ClassVar[bool] = True

    path: str
    documents: tuple[str, ...]  # the documents shards, in run order

    @classmethod
    def make(cls, run: Run) -> UniqueIds:
        layout = run.layout
        return cls(str(layout.ids(digest(*(s.name for s in run.shards)))),
                   tuple(str(layout.documents(s.name)) for s in run.shards))

    def stats_path(self, task) -> Path:
        return Path(self.path)

    def __call__(self, task) -> dict:
        renamed, warnings = find_duplicates([Path(p) for p in self.documents])
        found = {"renamed": renamed, "warnings": [ERROR.row(w) for w in warnings]}
        save_stats(Path(self.path), found)
        return found

    def finish(self, run: Run, tasks: list, results: list) -> None:
        found = load_stats(Path(self.path))
        run.index = replace(run.index, renamed=tuple(tuple(r) for r in found["renamed"]))
        duplicates = [error_from_dict(w) for w in found["warnings"]]
        run.errors += duplicates
        run.duplicates = len(duplicates)


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def find_duplicates(paths: list[Path]) -> tuple[list[tuple[int, int, str]], list[DocError]]:
    """(shard position, row, new id) for every document whose id an earlier one has, and a warning each."""
    hashes = []
    for path in paths:
        ids = read_table(path, ["id"]).column("id").to_pylist()
        hashes.append(np.fromiter((_hash(i) for i in ids), np.uint64, len(ids)))
    every = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
    distinct, counts = np.unique(every, return_counts=True)
    repeated = distinct[counts > 1]
    if not len(repeated):
        return [], []

    def taken(name: str) -> bool:
        h = np.uint64(_hash(name))
        k = np.searchsorted(distinct, h)
        return bool(k < len(distinct) and distinct[k] == h)

    first: dict[str, str] = {}  # id -> where its first document came from
    used: set[str] = set()
    renamed, warnings = [], []
    for k, path in enumerate(paths):
        rows = np.flatnonzero(np.isin(hashes[k], repeated))
        if not len(rows):
            continue
        table = read_table(path, ["id", "source"])
        for row in rows.tolist():
            doc_id, source = table.column("id")[row].as_py(), table.column("source")[row].as_py()
            if doc_id not in first:  # the hash repeats; this id may not (then it stays first and only)
                first[doc_id] = source
                continue
            n = 1
            while taken(f"{doc_id}#{n}") or f"{doc_id}#{n}" in used:
                n += 1
            new = f"{doc_id}#{n}"
            used.add(new)
            renamed.append((k, row, new))
            warnings.append(DocError(new, source, "read", "duplicate_id",
                                     f"id {doc_id!r} is also the id of a document from {first[doc_id]}; "
                                     f"this one is named {new!r}", "warning"))
    return renamed, warnings
