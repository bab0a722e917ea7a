"""The candidate search as independent tasks, for corpora of any size (stages/vindex.py, stages/candidates.py).

For each encoder space and each language taking part in a wanted language pair, the language's
documents are cut into index shards: runs of consecutive run shards holding about ``shard_docs``
documents of that language. Then four kinds of task, each writing its own files under
``shards/index/ENCODER/`` and skipped when they exist (resume):

1. train (approximate indexes only): one per language, the IVF cells and PQ codebooks, learnt from a
   sample of the language's first index shard and kept for the life of the run folder, so a grown
   crawl adds to its index instead of rebuilding it;
2. build: one per index shard (its vectors, and its codes when approximate);
3. search: one per (query language, index language, query shard): the query shard's documents
   against every index shard of the other language, one loaded at a time, one answer file per
   (query shard, index shard). A crawl that grows gets new files for new shards only: old
   queries against new index shards, new queries against all;
4. pair: one per language pair, merging the answers into each side's k nearest neighbours and
   scoring the pairs (ratio margin).

Every task's memory is bounded by ``shard_docs`` (and the pair task by k neighbours a document); the
answers merge in a fixed order, so the candidates do not depend on the runner or the number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..stages.candidates import pairs_from_neighbours
from ..stages.vindex import Neighbours, VectorIndex, lists_for, train, training_sample, usable_lists
from ..store import Layout, digest
from ..store.shards import ShardIndex, read_table, write_candidates
from .base import Phase, Run, load_stats, save_stats

# --- what the driver knows: each document's language and whether an encoder embedded it ------------------

def language_codes(layout: Layout, index: ShardIndex) -> tuple[np.ndarray, list[str]]:
    """Each document's language as a small integer (-1: none) and the languages' names: 2 bytes a
    document in the driver, where strings would cost tens."""
    import pyarrow.compute as pc

    names: dict[str, int] = {}
    parts = []
    for name in index.names:
        col = pc.dictionary_encode(read_table(layout.documents(name), ["lang"]).column("lang"))
        col = col.combine_chunks() if col.num_chunks else None
        if col is None:
            parts.append(np.zeros(0, np.int16))
            continue
        local = [names.setdefault(v, len(names)) if v else -1 for v in col.dictionary.to_pylist()]
        idx = col.indices.to_numpy(zero_copy_only=False)
        mapped = np.asarray(local + [-1], np.int16)[np.where(col.indices.is_null().to_numpy(zero_copy_only=False),
                                                             len(local), idx)]
        parts.append(mapped)
    return (np.concatenate(parts) if parts else np.zeros(0, np.int16)), list(names)


def embedded(layout: Layout, index: ShardIndex, encoder: str) -> np.ndarray:
    """Which documents ``encoder`` embedded (a document vector exists)."""
    has = np.zeros(len(index), bool)
    for k, name in enumerate(index.names):
        _, offsets, docs = layout.vectors(encoder, name)
        if docs.exists():
            has[index.bases[k]:index.bases[k + 1]] = np.diff(np.load(offsets)) > 0
    return has


# --- the plan ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class IndexShard:
    """One shard of one language's index: that language's documents in the run shards ``runs``
    (positions in the ShardIndex, consecutive)."""

    encoder: str
    lang: str
    runs: tuple[int, ...]
    documents: int
    approximate: bool
    path: str  # prefix of its files (VectorIndex.save); PATH.json marks it complete

    @property
    def key(self) -> str:
        return Path(self.path).name


@dataclass(frozen=True, slots=True)
class LanguagePair:
    encoder: str
    a: str
    b: str
    approximate: bool


@dataclass(slots=True)
class SearchPlan:
    pairs: list[LanguagePair]
    shards: dict[tuple[str, str, bool], list[IndexShard]]  # (encoder, language, approximate) -> its shards
    trained: dict[tuple[str, str], str]  # (encoder, language) -> trained quantizer file (approximate only)

    def sides(self, pair: LanguagePair) -> tuple[tuple[IndexShard, ...], tuple[IndexShard, ...]]:
        return tuple(self.shards[(pair.encoder, pair.a, pair.approximate)]), \
            tuple(self.shards[(pair.encoder, pair.b, pair.approximate)])

    def searches(self) -> list[tuple[IndexShard, tuple[IndexShard, ...]]]:
        """Every query shard with the other language's index shards, in both directions of every pair."""
        out = []
        for pair in self.pairs:
            a, b = self.sides(pair)
            out += [(q, b) for q in a] + [(q, a) for q in b]
        return out


def plan_search(config, layout: Layout, index: ShardIndex, codes: np.ndarray, names: list[str],
                languages) -> SearchPlan:
    """The shards and language pairs to search: the language plan's pairs (stages/languages.py), each in
    its encoder's space, from the run's documents (``language_codes``)."""
    cc = config.candidates
    plan = SearchPlan([], {}, {})
    for encoder, lang_pairs in languages.by_encoder().items():
        has = embedded(layout, index, encoder)
        per_run = {}  # language -> documents it has in each run shard
        for lang in {x for lp in lang_pairs for x in lp}:
            mine = has & (codes == names.index(lang))
            bounds = zip(index.bases[:-1], index.bases[1:], strict=True)
            per_run[lang] = [int(np.count_nonzero(mine[lo:hi])) for lo, hi in bounds]
        for a, b in lang_pairs:
            approx = cc.approximate(sum(per_run[a]), sum(per_run[b]))
            plan.pairs.append(LanguagePair(encoder, a, b, approx))
            for lang in (a, b):
                key = (encoder, lang, approx)
                if key not in plan.shards:
                    plan.shards[key] = _shards(encoder, lang, approx, per_run[lang], index, cc.shard_docs, layout)
                if approx:
                    plan.trained[(encoder, lang)] = str(layout.trained(encoder, lang))
    return plan


def _shards(encoder: str, lang: str, approx: bool, per_run: list[int], index: ShardIndex, shard_docs: int,
            layout: Layout) -> list[IndexShard]:
    """Consecutive run shards grouped until a group holds ``shard_docs`` documents of the language. A run
    that grows keeps its full groups (and their files); only the last, unfilled one changes."""
    shards, runs, n = [], [], 0

    def close():
        kind = "approx" if approx else "exact"
        key = f"{lang}-{kind}-{digest(*(index.names[r] for r in runs))}"
        shards.append(IndexShard(encoder, lang, tuple(runs), n, approx, str(layout.index_shard(encoder, key))))

    for r, count in enumerate(per_run):
        if not count:
            continue
        runs.append(r)
        n += count
        if n >= shard_docs:
            close()
            runs, n = [], 0
    if runs:
        close()
    return shards


def language_vectors(layout: Layout, index: ShardIndex, encoder: str, lang: str,
                     runs: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(run-wide numbers, float32 vectors) of the language's embedded documents in these run shards."""
    ids, vecs = [], []
    for r in runs:
        name = index.names[r]
        _, offsets, docs = layout.vectors(encoder, name)
        if not docs.exists():
            continue
        langs = read_table(layout.documents(name), ["lang"]).column("lang").to_pylist()
        rows = np.flatnonzero((np.diff(np.load(offsets)) > 0) & (np.asarray(langs, dtype=object) == lang))
        if len(rows):
            ids.append(index.bases[r] + rows)
            vecs.append(np.load(docs, mmap_mode="r")[rows].astype(np.float32))
    if not ids:
        return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
    return np.concatenate(ids).astype(np.int64), np.concatenate(vecs)


class _Threads:
    """faiss's OpenMP threads for one task (a Ray actor declared with one CPU gets OMP_NUM_THREADS=1)."""

    def __init__(self, n: int):
        self.n = n

    def __enter__(self):
        import faiss

        self.before = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(self.n)

    def __exit__(self, *exc):
        import faiss

        faiss.omp_set_num_threads(self.before)


# --- the phases ---------------------------------------------------------------------------------------------

class _SearchPhase(Phase):
    """What the four search phases share: the run's search plan, made once by the first of them."""

    record: ClassVar[str] = "index"
    stage: ClassVar[str] = "candidates"

    @classmethod
    def applies(cls, run: Run) -> bool:
        return not run.config.candidates.same_site

    @staticmethod
    def plan(run: Run) -> SearchPlan:
        if run.search_plan is None:
            codes, names = language_codes(run.layout, run.index)
            run.search_plan = plan_search(run.work_config, run.layout, run.index, codes, names, run.languages)
        return run.search_plan


@dataclass(frozen=True, slots=True)
class TrainIndex(_SearchPhase):
    """Task: (first index shard of a language, its documents, output file) -> the trained, empty
    approximate index (its cells and codebooks)."""

    name: ClassVar[str] = "trained"
    unit: ClassVar[str] = "languages"

    config: object  # PipelineConfig
    root: str
    index: ShardIndex

    @classmethod
    def make(cls, run: Run) -> TrainIndex:
        cls.plan(run)
        return cls(run.work_config, run.root, run.index)

    def tasks(self, run: Run) -> list:
        plan = self.plan(run)
        totals = {(s[0].encoder, s[0].lang): sum(x.documents for x in s) for s in plan.shards.values() if s}
        return [(plan.shards[(enc, lang, True)][0], totals[(enc, lang)], path)
                for (enc, lang), path in sorted(plan.trained.items())]

    def stats_path(self, task) -> Path:
        return Path(task[2] + ".json")

    def outputs(self, task) -> list[Path]:
        return [Path(task[2]), self.stats_path(task)]

    def __call__(self, task: tuple[IndexShard, int, str]) -> dict:
        first, total, output = task  # total: the language's documents now, which the cells are sized for
        with _Threads(self.config.embed.threads):
            _, vecs = language_vectors(Layout(self.root), self.index, first.encoder, first.lang, first.runs)
            sample = training_sample(len(vecs), self.config.candidates.index_lists or lists_for(total))
            lists = usable_lists(self.config.candidates.index_lists or lists_for(total), len(sample))
            blob = train(vecs[sample], lists)
        tmp = Path(output + ".tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(blob)
        tmp.replace(output)
        stats = {"lists": lists, "sample": len(sample)}
        save_stats(Path(output + ".json"), stats)
        return stats


@dataclass(frozen=True, slots=True)
class BuildIndex(_SearchPhase):
    """Task: IndexShard -> its VectorIndex files."""

    name: ClassVar[str] = "indexed"
    unit: ClassVar[str] = "documents"

    config: object
    root: str
    index: ShardIndex
    trained: dict  # (encoder, language) -> trained file

    @classmethod
    def make(cls, run: Run) -> BuildIndex:
        return cls(run.work_config, run.root, run.index, cls.plan(run).trained)

    def tasks(self, run: Run) -> list[IndexShard]:
        plan = self.plan(run)
        return [s for key in sorted(plan.shards) for s in plan.shards[key]]

    def size(self, shard: IndexShard) -> int:
        return shard.documents

    def stats_path(self, shard: IndexShard) -> Path:
        return Path(shard.path + ".json")

    def outputs(self, shard: IndexShard) -> list[Path]:
        return [p for p in VectorIndex.files(Path(shard.path)) if p.exists()] + [self.stats_path(shard)]

    def __call__(self, shard: IndexShard) -> dict:
        with _Threads(self.config.embed.threads):
            ids, vecs = language_vectors(Layout(self.root), self.index, shard.encoder, shard.lang, shard.runs)
            blob = Path(self.trained[(shard.encoder, shard.lang)]).read_bytes() if shard.approximate else None
            built = VectorIndex.build(vecs, ids, blob)
        path = Path(shard.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        files = built.save(path)
        # what a search holds of it: ids, and the vectors (exact) or the codes (approximate: its float16
        # vectors are memory-mapped, read where shortlisted)
        held = path.with_name(path.name + ".ivf").stat().st_size if shard.approximate else built.vectors.nbytes
        stats = {"documents": len(ids), "bytes": sum(f.stat().st_size for f in files),
                 "memory_bytes": int(ids.nbytes + held)}
        save_stats(path.with_name(path.name + ".json"), stats)
        return stats


def answer_path(root: str, query: IndexShard, target: IndexShard) -> Path:
    return Layout(root).answer(query.encoder, query.key, target.key)


@dataclass(frozen=True, slots=True)
class SearchIndex(_SearchPhase):
    """Task: (query shard, the other language's index shards) -> one Neighbours file per index shard."""

    name: ClassVar[str] = "searched"
    unit: ClassVar[str] = "queries"

    config: object
    root: str
    index: ShardIndex

    @classmethod
    def make(cls, run: Run) -> SearchIndex:
        return cls(run.work_config, run.root, run.index)

    def tasks(self, run: Run) -> list:
        return self.plan(run).searches()

    def size(self, task) -> int:
        return task[0].documents * len(task[1])

    def done(self, task) -> bool:
        return all(p.exists() for p in self.outputs(task))

    def outputs(self, task) -> list[Path]:
        query, targets = task
        return [answer_path(self.root, query, t) for t in targets]

    def __call__(self, task: tuple[IndexShard, tuple[IndexShard, ...]]) -> dict:
        query, targets = task
        cc = self.config.candidates
        todo = [t for t in targets if not answer_path(self.root, query, t).exists()]
        if not todo:
            return {"queries": 0}
        with _Threads(self.config.embed.threads):
            _, q = language_vectors(Layout(self.root), self.index, query.encoder, query.lang, query.runs)
            assigned = None
            for target in todo:
                shard = VectorIndex.load(Path(target.path))
                if shard.approximate and assigned is None:  # the cells are the same in every shard
                    assigned = shard.assign(q, cc.index_probes)
                found = shard.search(q, cc.k, cc.index_shortlist, assigned)
                del shard
                path = answer_path(self.root, query, target)
                path.parent.mkdir(parents=True, exist_ok=True)
                found.save(path)
        return {"queries": len(q) * len(todo)}


@dataclass(frozen=True, slots=True)
class PairLanguages(_SearchPhase):
    """Task: (a language's index shards, the other's, output) -> the pair's margin-scored candidates
    (Parquet)."""

    name: ClassVar[str] = "paired"
    unit: ClassVar[str] = "language pairs"

    config: object
    root: str

    @classmethod
    def make(cls, run: Run) -> PairLanguages:
        return cls(run.work_config, run.root)

    def tasks(self, run: Run) -> list:
        plan = self.plan(run)
        return [(*plan.sides(p), pair_output(run.layout, p, plan)) for p in plan.pairs]

    def stats_path(self, task) -> Path:
        return Path(task[2]).with_suffix(".json")

    def outputs(self, task) -> list[Path]:
        return [Path(task[2]), self.stats_path(task)]

    def __call__(self, task: tuple[tuple[IndexShard, ...], tuple[IndexShard, ...], str]) -> dict:
        shards_a, shards_b, output = task
        ia, nn_ab = self.neighbours(shards_a, shards_b)
        ib, nn_ba = self.neighbours(shards_b, shards_a)
        cands = pairs_from_neighbours(ia, ib, nn_ab, nn_ba, self.config.candidates)
        write_candidates(Path(output), cands)
        save_stats(Path(output).with_suffix(".json"), {"candidates": len(cands)})
        return {"candidates": len(cands)}

    def neighbours(self, queries, targets) -> tuple[np.ndarray, Neighbours]:
        """Each query document's k nearest in the other language: its number, in ascending order, and
        the merge of its answers from every index shard."""
        k = self.config.candidates.k
        ids, parts = [], []
        for q in queries:
            ids.append(VectorIndex.load_ids(Path(q.path)))
            found = [Neighbours.load(answer_path(self.root, q, t)) for t in targets]
            parts.append(Neighbours.merge(found, k) if found else Neighbours.empty(len(ids[-1]), k))
        if not ids:
            return np.zeros(0, np.int64), Neighbours.empty(0, k)
        return np.concatenate(ids), Neighbours(np.concatenate([p.ids for p in parts]),
                                               np.concatenate([p.sims for p in parts]))


def index_stats(plan: SearchPlan) -> dict:
    """What the built shards hold: documents, bytes on disk and bytes a search holds in memory, per kind."""
    out: dict = {}
    for (_, _, approx), shards in plan.shards.items():
        kind = out.setdefault("approx" if approx else "exact", {"documents": 0, "bytes": 0, "memory_bytes": 0})
        for s in shards:
            st = load_stats(Path(s.path + ".json")) or {}
            for key in kind:
                kind[key] += st.get(key, 0)
    return out


def pair_output(layout: Layout, pair: LanguagePair, plan: SearchPlan) -> str:
    keys = [s.key for lang in (pair.a, pair.b) for s in plan.shards[(pair.encoder, lang, pair.approximate)]]
    return str(layout.pair_candidates(pair.encoder, pair.a, pair.b, digest(*keys)))
