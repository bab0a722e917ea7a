"""The candidate search, one global task: every document's nearest neighbours in each other language,
searched per encoder space (stages/candidates.py), over the document vectors of all shards.

Memory: one encoder's document vectors at a time (2 kB a document with USE-m3), gathered from the
shards' files language by language so that each language is one contiguous block (the search reads
the blocks in place), plus the candidate columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from ..data import Candidates
from ..stages.candidates import find_candidates
from ..stages.embed import pair_encoder
from .base import save_stats
from .docshards import ShardIndex, read_table, vector_paths


@dataclass(frozen=True, slots=True)
class FindCandidates:
    """Task (one): -> ``candidates-DIGEST.parquet`` (src, tgt: run-wide document numbers; score: margin),
    grouped by source document."""

    config: object  # PipelineConfig
    root: str
    index: ShardIndex
    output: str
    # The search is the only task of its phase, so it takes every thread of the run (a Ray actor declared
    # with one CPU would otherwise run faiss on one: Ray sets OMP_NUM_THREADS to the actor's CPUs).
    threads: int = 2

    def __call__(self, _task=None) -> dict:
        import faiss

        before = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(self.threads)
        try:
            return self._search()
        finally:
            faiss.omp_set_num_threads(before)

    def _search(self) -> dict:
        root = Path(self.root)
        meta = [read_table(root / "documents" / f"{name}.parquet", ["lang", "group"]) for name in self.index.names]
        langs = np.concatenate([np.asarray(t.column("lang").to_pylist(), dtype=object) for t in meta]) \
            if meta else np.zeros(0, object)
        groups = np.concatenate([np.asarray(t.column("group").to_pylist(), dtype=object) for t in meta]) \
            if meta else np.zeros(0, object)
        del meta
        by_encoder: dict[str, set[tuple[str, str]]] = {}
        present = sorted({lang for lang in langs if lang})
        wanted = {tuple(sorted(lp)) for lp in self.config.candidates.langs}
        for a, b in combinations(present, 2):
            if not wanted or (a, b) in wanted:
                by_encoder.setdefault(pair_encoder(self.config.embed, a, b), set()).add((a, b))
        found = []
        for name, lang_pairs in sorted(by_encoder.items()):
            members, vectors = self._vectors(root, name, langs)
            c = find_candidates(vectors, langs[members].tolist(), self.config.candidates,
                                groups=groups[members].tolist() if self.config.candidates.same_site else None,
                                lang_pairs=lang_pairs)
            found.append(Candidates(members[c.src], members[c.tgt], c.score))
            del vectors  # the largest thing in memory: gone before the next encoder's is read
        cands = Candidates.concat(found).by_score().by_pair()
        _write(Path(self.output), cands)
        stats = {"candidates": len(cands)}
        save_stats(Path(self.output).with_suffix(".json"), stats)
        return stats

    def _vectors(self, root: Path, encoder: str, langs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(run-wide numbers, vectors) of the documents this encoder embedded, ordered by language then
        number, filled in place: one copy of the index in memory."""
        has = np.zeros(len(langs), bool)
        dims = set()
        for k, name in enumerate(self.index.names):
            _, offsets, docs = vector_paths(root / "vectors", encoder, name)
            if docs.exists():
                o = np.load(offsets)
                has[self.index.bases[k]:self.index.bases[k + 1]] = np.diff(o) > 0
                dims.add(np.load(docs, mmap_mode="r").shape[1])
        members = np.flatnonzero(has)
        keys = np.array([str(x) for x in langs[members]], dtype=object)
        members = members[np.lexsort((members, keys))] if len(members) else members  # by language, then number
        out = np.zeros((len(members), dims.pop() if dims else 0), np.float32)
        row_of = np.full(len(langs), -1, np.int64)
        row_of[members] = np.arange(len(members))
        for k, name in enumerate(self.index.names):
            _, _, docs = vector_paths(root / "vectors", encoder, name)
            if not docs.exists():
                continue
            lo, hi = self.index.bases[k], self.index.bases[k + 1]
            rows = row_of[lo:hi]
            mine = rows >= 0
            out[rows[mine]] = np.load(docs, mmap_mode="r")[np.flatnonzero(mine)]
        return members, out


def _write(path: Path, cands: Candidates) -> None:
    import os

    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(pa.table({"src": cands.src, "tgt": cands.tgt, "score": cands.score}), tmp)
    os.replace(tmp, path)


def read_candidates(path: Path) -> Candidates:
    t = read_table(path)
    return Candidates(t.column("src").to_numpy().astype(np.int64), t.column("tgt").to_numpy().astype(np.int64),
                      t.column("score").to_numpy().astype(np.float32))
