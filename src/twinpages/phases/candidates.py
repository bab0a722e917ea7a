"""Candidate pairs: the vector search's (phases/search.py: sharded tasks, any corpus size) or, for
``--same-site``, one task over every site's blocks in memory (sites are small), plus the pairs whose
pages name each other (hreflang, canonical), merged into one candidates file.

The same-site task's memory: one encoder's document vectors at a time (2 kB a document with USE-m3),
gathered from the shards' files language by language so that each language is one contiguous block.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..data import Candidates
from ..stages.candidates import find_candidates
from ..store import Layout, digest
from ..store.layout import with_stats
from ..store.shards import ShardIndex, read_candidates, read_table, write_candidates
from ..urls import normalise_url, url_hash
from .base import Phase, Run, load_stats, save_stats


class _Finish:
    """What the run learns from its candidates file (the same-site search's or the merged search's)."""

    record: ClassVar[str] = "candidates"
    stage: ClassVar[str] = "candidates"

    def finish(self, run: Run, tasks: list, results: list) -> None:
        found = load_stats(with_stats(self.output))
        run.candidates = Path(self.output)
        run.n_candidates = found["candidates"]
        run.n_linked = found.get("linked_candidates", 0)
        run.search_stats = {k: found[k] for k in ("searched", "index") if k in found}

    def stats_path(self, task) -> Path:
        return with_stats(self.output)

    def outputs(self, task) -> list[Path]:
        return [Path(self.output), with_stats(self.output)]


def candidates_path(run: Run) -> str:
    return str(run.layout.candidates(digest(run.signature, *run.index.names)))


@dataclass(frozen=True, slots=True)
class FindCandidates(_Finish, Phase):
    """Task (one), for ``--same-site``: -> ``candidates-DIGEST.parquet`` (src, tgt: run-wide document
    numbers; score: margin), grouped by source document."""

    name: ClassVar[str] = "candidates"
    unit: ClassVar[str] = "searches"

    config: object  # PipelineConfig
    root: str
    index: ShardIndex
    output: str
    languages: object  # LanguagePlan
    # The search is the only task of its phase, so it takes every thread of the run (a Ray actor declared
    # with one CPU would otherwise run faiss on one: Ray sets OMP_NUM_THREADS to the actor's CPUs).
    threads: int = 2

    @classmethod
    def applies(cls, run: Run) -> bool:
        return run.config.candidates.same_site

    @classmethod
    def make(cls, run: Run) -> FindCandidates:
        return cls(run.work_config, run.root, run.index, candidates_path(run), run.languages,
                   run.config.embed.threads)

    def __call__(self, _task=None) -> dict:
        import faiss

        before = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(self.threads)
        try:
            return self._search()
        finally:
            faiss.omp_set_num_threads(before)

    def _search(self) -> dict:
        layout = Layout(self.root)
        meta = [read_table(layout.documents(name), ["lang", "group"]) for name in self.index.names]
        langs = np.concatenate([np.asarray(t.column("lang").to_pylist(), dtype=object) for t in meta]) \
            if meta else np.zeros(0, object)
        groups = np.concatenate([np.asarray(t.column("group").to_pylist(), dtype=object) for t in meta]) \
            if meta else np.zeros(0, object)
        del meta
        by_encoder = {name: set(pairs) for name, pairs in self.languages.by_encoder().items()}
        found = []
        for name, lang_pairs in sorted(by_encoder.items()):
            members, vectors = self._vectors(layout, name, langs)
            c = find_candidates(vectors, langs[members].tolist(), self.config.candidates,
                                groups=groups[members].tolist() if self.config.candidates.same_site else None,
                                lang_pairs=lang_pairs)
            found.append(Candidates(members[c.src], members[c.tgt], c.margin))
            del vectors  # the largest thing in memory: gone before the next encoder's is read
        searched = {lp for pairs in by_encoder.values() for lp in pairs}
        linked = linked_pairs(layout, self.index, lambda n: langs[n] or None, searched,
                              lambda a, b: groups[a] == groups[b])
        return finish(Path(self.output), Candidates.concat(found), linked)

    def _vectors(self, layout: Layout, encoder: str, langs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(run-wide numbers, vectors) of the documents this encoder embedded, ordered by language then
        number, filled in place: one copy of the index in memory."""
        has = np.zeros(len(langs), bool)
        dims = set()
        for k, name in enumerate(self.index.names):
            _, offsets, docs = layout.vectors(encoder, name)
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
            _, _, docs = layout.vectors(encoder, name)
            if not docs.exists():
                continue
            lo, hi = self.index.bases[k], self.index.bases[k + 1]
            rows = row_of[lo:hi]
            mine = rows >= 0
            out[rows[mine]] = np.load(docs, mmap_mode="r")[np.flatnonzero(mine)]
        return members, out


@dataclass(frozen=True, slots=True)
class MergeCandidates(_Finish, Phase):
    """One global step after the search: every language pair's candidates, and the pairs whose pages name
    each other (hreflang, canonical), in one candidates file grouped by source document."""

    name: ClassVar[str] = "merged candidates"
    local: ClassVar[bool] = True

    root: str
    index: ShardIndex
    output: str
    pairs: tuple[str, ...]  # each language pair's candidates file
    searched: tuple[tuple[str, str], ...]
    extra: dict  # what the search says of itself: index kinds and sizes

    @classmethod
    def applies(cls, run: Run) -> bool:
        return not run.config.candidates.same_site

    @classmethod
    def make(cls, run: Run) -> MergeCandidates:
        from .search import index_stats, pair_output

        plan = run.search_plan
        extra = {"index": index_stats(plan),
                 "searched": {f"{p.a}-{p.b}": "approx" if p.approximate else "exact" for p in plan.pairs}}
        return cls(run.root, run.index, candidates_path(run),
                   tuple(pair_output(run.layout, p, plan) for p in plan.pairs), tuple((p.a, p.b) for p in plan.pairs),
                   extra)

    def __call__(self, _task=None) -> dict:
        from .search import language_codes

        layout = Layout(self.root)
        codes, names = language_codes(layout, self.index)
        found = Candidates.concat([read_candidates(Path(out)) for out in self.pairs])
        linked = linked_pairs(layout, self.index, lambda n: names[codes[n]] if codes[n] >= 0 else None,
                              set(self.searched))
        return finish(Path(self.output), found, linked, self.extra)


def finish(output: Path, found: Candidates, linked: Candidates, extra: dict | None = None) -> dict:
    """Write the candidates file (the vector search's and the linked pairs, grouped by source document)
    and its stats, the phase's completion mark."""
    cands = _union(found, linked).by_margin().by_pair()
    write_candidates(output, cands)
    stats = {"candidates": len(cands), "linked_candidates": len(linked)} | (extra or {})
    save_stats(output.with_suffix(".json"), stats)
    return stats


def linked_pairs(layout: Layout, index: ShardIndex, lang_of, searched: set, same_group=None) -> Candidates:
    """Pairs whose pages name each other as language versions (hreflang, canonical): candidates
    whatever their vectors say, to be decided like any other. Pages are matched by normalised URL
    hashes (8 bytes a page in memory). ``lang_of(n)``: document n's language; ``same_group(a, b)``:
    with --same-site, whether two documents are of one site."""
    own: list[tuple[int, int]] = []  # (url hash, document number)
    named: list[tuple[int, int]] = []  # (document number, hash of a URL it names)
    for k, name in enumerate(index.names):
        table = read_table(layout.documents(name), ["url", "alternates"])
        base = index.bases[k]
        for row, (url, alts) in enumerate(zip(table.column("url").to_pylist(),
                                              table.column("alternates").to_pylist(), strict=True)):
            u = normalise_url(url) if url else None
            if u:
                own.append((url_hash(u), base + row))
            named += [(base + row, url_hash(a)) for a in alts or ()]
    if not named or not own:
        return Candidates.empty()
    hashes = np.array([h for h, _ in own], np.uint64)
    numbers = np.array([n for _, n in own], np.int64)
    order = np.argsort(hashes, kind="stable")
    hashes, numbers = hashes[order], numbers[order]
    pairs = set()
    for n, h in named:
        j = int(np.searchsorted(hashes, np.uint64(h)))
        while j < len(hashes) and hashes[j] == h:
            m = int(numbers[j])
            j += 1
            la, lb = lang_of(n), lang_of(m)
            if not la or not lb or la == lb:
                continue
            a, b = (n, m) if la < lb else (m, n)
            if (min(la, lb), max(la, lb)) in searched and (same_group is None or same_group(a, b)):
                pairs.add((a, b))
    ordered = sorted(pairs)
    return Candidates(np.array([a for a, _ in ordered], np.int64), np.array([b for _, b in ordered], np.int64),
                      np.zeros(len(ordered), np.float32))


def _union(found: Candidates, linked: Candidates) -> Candidates:
    """The vector candidates, and the linked pairs they lack (margin 0: not found by the vectors)."""
    if not len(linked):
        return found
    have = set(zip(found.src.tolist(), found.tgt.tolist(), strict=True))
    new = np.array([(s, t) not in have for s, t in zip(linked.src.tolist(), linked.tgt.tolist(), strict=True)])
    return Candidates.concat([found, linked[new]])
