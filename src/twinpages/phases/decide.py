"""The decide phase, per batch of candidate pairs: align each pair's sentences and keep the pairs that
are translations (Decider.decide). A worker reads the two documents of each candidate from the
shards (DocReader: a few shard tables, memory-mapped vectors); a batch's accepted pairs go to
``decided/K-DIGEST.jsonl``, best first, so that the select phase can merge the batches in order.

A run that grows (``add``) first carries over the decisions of the run it grows from (CarryDecisions):
a pair of two old documents whose margin stays on the same side of the threshold is not decided again.

Batches are cut by cost (about n x m sentence pairs compared), never by the number of workers: the
tasks, and so the shards, are the same under any runner. The pairs of one page (a document and its
translations) go to one batch where they fit (by_page), so its runs are encoded once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..data import DocError
from ..io import atomic_lines, read_lines
from ..limits import DocumentTimeout, time_budget
from ..schemas import ERROR, error_from_dict, pair_to_dict
from ..store import Layout, digest, lookup
from ..store.layout import decided_errors
from ..store.shards import DocReader, ShardIndex, read_candidates
from .base import Phase, Run, models

# Candidate pairs per decide task, at most: the unit of resume and of parallel work. Small enough that a
# killed run loses little and two workers share a small corpus; large enough that a task's overhead
# (reading its documents' shards) stays small next to the alignments.
DECIDE_BATCH = 500
# Decide tasks are also cut by cost (pair_costs, about n x m sentence pairs compared): at most TASK_COST a
# task (about half a minute of one core on documentation pages), and at least MIN_TASKS tasks when there
# are enough candidates, so that a 100-page site keeps several workers busy.
TASK_COST = 4_000_000
MIN_TASKS = 8


@dataclass(frozen=True, slots=True)
class DecideTask:
    number: int
    src: np.ndarray  # run-wide document numbers
    tgt: np.ndarray
    margin: np.ndarray
    output: str
    cost: int = 0  # pair_costs summed: what progress and the split into tasks go by


def output_key(d: dict) -> tuple:
    """The order of the output files: best score first, then the ids."""
    return (-d["score"], d["src_id"], d["tgt_id"])


def sentence_counts(layout: Layout, index: ShardIndex, encoders: tuple[str, ...]) -> np.ndarray:
    """Sentences of every document, by run-wide number, from the vectors' offsets (a few bytes a
    document: the driver never opens a document to plan the decide tasks)."""
    counts = np.zeros(len(index), np.int64)
    for k, name in enumerate(index.names):
        for encoder in encoders:
            offsets = layout.vectors(encoder, name)[1]
            if offsets.exists():
                part = np.diff(np.load(offsets))
                lo = index.bases[k]
                counts[lo:lo + len(part)] = np.maximum(counts[lo:lo + len(part)], part)
    return counts


# What encoding one sentence's runs costs, in sentence pairs compared (measured on the Debian FAQ: about
# 0.7 ms a sentence against 2.3 us a compared pair); a worker pays it the first time it meets a document.
RUNS_COST = 300


def pair_costs(cands, counts: np.ndarray) -> np.ndarray:
    """What deciding each candidate costs, about: the sentence pairs its alignment compares (n x m), a
    per-sentence share for reading it, and, where a document first appears in candidate order, encoding
    its runs (later pairs find them cached): so progress in cost runs at an even pace and its ETA holds."""
    n, m = counts[cands.src], counts[cands.tgt]
    seen: set[int] = set()
    first = np.zeros(len(cands), np.int64)
    for k, (s, t) in enumerate(zip(cands.src.tolist(), cands.tgt.tolist(), strict=True)):
        for doc, size in ((s, n[k]), (t, m[k])):
            if doc not in seen:
                seen.add(doc)
                first[k] += size
    return n * m + 64 * (n + m) + RUNS_COST * first


def by_page(cands):
    """The candidates reordered so that the pairs sharing a document sit side by side: grouped by
    connected component of the graph whose edges are the candidate pairs (a page and its translations),
    each component at the place of its first pair, the pairs in their order otherwise. A document's runs
    are then encoded once in the run, by the task that holds its pairs, instead of once in every task
    (and worker) that meets one of them: on the Debian FAQ in three languages each page's pairs came
    from two language pairs' candidate lists, far apart. The decisions do not depend on the order (a
    document's runs are encoded whole: decision.py), nor do the outputs (select merges by score)."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]  # path halving: near-constant time per lookup
            x = parent[x]
        return x

    src, tgt = cands.src.tolist(), cands.tgt.tolist()
    for s, t in zip(src, tgt, strict=True):
        a, b = root(s), root(t)
        if a != b:
            parent[max(a, b)] = min(a, b)
    first: dict[int, int] = {}
    place = np.array([first.setdefault(root(s), k) for k, s in enumerate(src)], np.int64)
    return cands[np.argsort(place, kind="stable")]


def cost_batches(cost, most: int) -> list[tuple[int, int]]:
    """[start, end) ranges of consecutive candidates: at most ``most`` candidates and about TASK_COST
    each, and at least MIN_TASKS ranges when there are that many candidates."""
    n = len(cost)
    if n == 0:
        return []
    target = max(1.0, min(TASK_COST, float(cost.sum()) / MIN_TASKS))
    bounds, start, acc = [], 0, 0.0
    for k in range(n):
        acc += float(cost[k])
        if k + 1 - start >= most or acc >= target or k == n - 1:
            bounds.append((start, k + 1))
            start, acc = k + 1, 0.0
    return bounds


@lru_cache(maxsize=2)
def _reader(root: str, index: ShardIndex, encoders: tuple[str, ...]) -> DocReader:
    return DocReader(Layout(root), index, encoders)


def _tag(run: Run) -> str:
    return digest(run.candidates.name, run.batch, "cost", TASK_COST, MIN_TASKS, "by page")


@dataclass(frozen=True, slots=True)
class CarryDecisions(Phase):
    """A grown run (``add``): the finished run's decided batches carried over, each keeping the pairs that
    are decided already (split_known), with their new margins. Tasks: (old batch, carried batch)."""

    name: ClassVar[str] = "carried"
    record: ClassVar[str] = "decide"
    stage: ClassVar[str] = "decide"
    local: ClassVar[bool] = True

    root: str
    known: object | None  # Known
    old_index: ShardIndex | None
    batches: tuple[tuple[str, str], ...] = ()  # (old batch, carried batch)

    @classmethod
    def make(cls, run: Run) -> CarryDecisions:
        prev, cands = run.previous, read_candidates(run.candidates)
        run.to_decide = cands
        if not grows_from(run):
            return cls(run.root, None, None)
        todo, known = split_known(cands, read_candidates(run.layout.in_shards(prev.candidates)), len(prev.index),
                                  run.config.docalign.min_margin)
        run.to_decide = todo
        outs = tuple((str(run.layout.in_shards(rel)), str(run.layout.decided(k, _tag(run), carried=True)))
                     for k, rel in enumerate(prev.decided))
        return cls(run.root, known, prev.index, outs)

    def tasks(self, run: Run) -> list:
        return [None] if self.batches else []

    def done(self, task) -> bool:
        return all(Path(out).exists() for _, out in self.batches)

    def outputs(self, task) -> list[Path]:
        return [p for _, out in self.batches for p in (decided_errors(out), Path(out))]

    def __call__(self, task) -> None:
        missing = [(Path(src), Path(out)) for src, out in self.batches if not Path(out).exists()]
        wanted = set().union(*(carried_ids(src) for src, _ in missing))
        numbers = lookup.numbers(Layout(self.root), self.old_index, wanted)
        for src, out in missing:
            carry_decided(src, out, self.known, numbers)

    def finish(self, run: Run, tasks: list, results: list) -> None:
        run.decided = [Path(out) for _, out in self.batches]


def grows_from(run: Run) -> bool:
    """Whether this run adds documents to the finished run found in the folder (which then numbers its
    documents as this one does) rather than repeating it."""
    prev, index = run.previous, run.index
    if prev is None or prev.candidates == run.layout.relative(run.candidates) or len(prev.index) == 0:
        return False
    n = len(prev.index.names)
    return (prev.index.names == index.names[:n] and prev.index.bases == index.bases[:n + 1]
            and set(prev.index.renamed) <= set(index.renamed)
            and all(run.layout.in_shards(p).exists() for p in (prev.candidates, *prev.decided)))


@dataclass(frozen=True, slots=True)
class Decide(Phase):
    """Task: a batch of candidate pairs -> the accepted pairs, best first, and the pairs past their time."""

    name: ClassVar[str] = "aligned"
    record: ClassVar[str] = "decide"
    stage: ClassVar[str] = "decide"
    # progress and ETA by cost (sentence pairs compared), not by candidates: on long pages one candidate can
    # cost what a thousand short ones do
    unit: ClassVar[str] = "sentence pairs"
    items_unit: ClassVar[str] = "candidate pairs"

    config: object  # PipelineConfig (embed.threads: this worker's share)
    root: str
    index: ShardIndex
    encoders: tuple[str, ...]

    @classmethod
    def make(cls, run: Run) -> Decide:
        return cls(run.work_config, run.root, run.index, tuple(sorted(run.embed_stats.get("encoders", {}))))

    def tasks(self, run: Run) -> list[DecideTask]:
        cands = by_page(run.to_decide)
        cost = pair_costs(cands, sentence_counts(run.layout, run.index, self.encoders))
        tasks = []
        for k, (start, end) in enumerate(cost_batches(cost, run.batch)):
            part = cands[start:end]
            tasks.append(DecideTask(k, part.src, part.tgt, part.margin, str(run.layout.decided(k, _tag(run))),
                                    int(cost[start:end].sum())))
        run.layout.shards.joinpath("decided").mkdir(parents=True, exist_ok=True)
        return tasks

    def size(self, task: DecideTask) -> int:
        return task.cost

    def items(self, stats: dict) -> int:
        return stats["candidates_decided"]

    def done(self, task: DecideTask) -> bool:
        return Path(task.output).exists()

    def outputs(self, task: DecideTask) -> list[Path]:
        return [decided_errors(task.output), Path(task.output)]  # the pairs file marks the task as done

    def reads(self, task: DecideTask) -> tuple[str, ...]:
        """The documents and sentence-vector shards of the batch's pages (a batch holds a few pages' pairs)."""
        layout = Layout(self.root)
        numbers = np.concatenate([task.src, task.tgt])
        touched = np.unique(np.searchsorted(np.asarray(self.index.bases), numbers, side="right") - 1)
        files = []
        for k in touched.tolist():
            name = self.index.names[k]
            files.append(layout.documents(name))
            for encoder in self.encoders:  # a shard without vectors of an encoder has none in the store either
                files.extend(layout.vectors(encoder, name)[:2])
        return tuple(layout.in_run(p) for p in files)

    def __call__(self, task: DecideTask) -> dict:
        decider = models(self.config).decider
        docs = _reader(self.root, self.index, self.encoders)
        budget = self.config.docalign.max_pair_seconds
        accepted, failed = [], []
        reused = decider.reused
        for s, t, m in zip(task.src.tolist(), task.tgt.tolist(), task.margin.tolist(), strict=True):
            a, b = docs[s], docs[t]
            try:
                with time_budget(budget, "--max-pair-seconds"):
                    pair = decider.decide(a, b, m)
            except DocumentTimeout as e:  # recorded, and the batch goes on: never a stall
                failed.append(DocError(f"{a.id} | {b.id}", f"{a.name} | {b.name}", "decide", e.kind,
                                       f"the candidate pair was not decided: {e}"))
                continue
            if pair is not None:
                accepted.append(pair_to_dict(pair))
        accepted.sort(key=output_key)
        # the errors first: the pairs file marks the task as done
        atomic_lines(decided_errors(task.output),
                     (json.dumps(ERROR.row(e), ensure_ascii=False) + "\n" for e in failed))
        atomic_lines(Path(task.output), (json.dumps(d, ensure_ascii=False) + "\n" for d in accepted))
        return {"candidates_decided": len(task.src), "accepted": len(accepted), "timed_out": len(failed),
                "reused": decider.reused - reused}

    def finish(self, run: Run, tasks: list, results: list) -> None:
        run.decided = run.decided + [Path(t.output) for t in tasks]
        run.decisions_reused += sum(r.get("reused", 0) for r in results)
        run.errors += [error_from_dict(json.loads(line)) for path in run.decided
                       if decided_errors(path).exists() for line in read_lines(decided_errors(path))]


# --- a grown run: decisions on pairs of old documents are kept -------------------------------------------

@dataclass(frozen=True, slots=True)
class Known:
    """The candidates of a grown run that the finished run decided already: pairs of two old documents
    that were candidates before, with a margin on the same side of ``min_margin`` as before (the one
    threshold of the decision that reads the margin: docalign.first_verdict and is_translation). Their
    decision is the earlier one; their margin, which moved as new documents joined the neighbourhoods,
    is the new one. So a grown run decides what a fresh run over all its inputs would."""

    keys: np.ndarray  # sorted src * width + tgt of the known pairs (src: the first language's side)
    margins: np.ndarray  # their new margins
    width: int

    def margin(self, a: int, b: int) -> float | None:
        """The new margin of the known pair of documents a and b (either order), or None."""
        for key in (a * self.width + b, b * self.width + a):
            k = int(np.searchsorted(self.keys, key))
            if k < len(self.keys) and self.keys[k] == key:
                return float(self.margins[k])
        return None


def split_known(cands, previous, n_old: int, min_margin: float):
    """(the candidates still to decide, Known) for a grown run's candidates and the finished run's."""
    width = max(int(cands.src.max(initial=-1)), int(cands.tgt.max(initial=-1)),
                int(previous.src.max(initial=-1)), int(previous.tgt.max(initial=-1))) + 1
    key = cands.src * width + cands.tgt
    order = np.argsort(previous.src * width + previous.tgt)
    before, old_margin = (previous.src * width + previous.tgt)[order], previous.margin[order]
    pos = np.minimum(np.searchsorted(before, key), len(before) - 1)
    known = np.zeros(len(key), bool) if not len(before) else (
        (cands.src < n_old) & (cands.tgt < n_old) & (before[pos] == key)
        & ((cands.margin >= min_margin) == (old_margin[pos] >= min_margin)))
    sort = np.argsort(key[known])
    return cands[~known], Known(key[known][sort], cands.margin[known][sort], width)


def carried_ids(source: Path) -> set[str]:
    """The document ids of an earlier decide task's accepted pairs."""
    with source.open(encoding="utf-8") as f:
        return {i for line in f for d in (json.loads(line),) for i in (d["src_id"], d["tgt_id"])}


def carry_decided(source: Path, output: Path, known: Known, numbers: dict[str, int]) -> None:
    """An earlier decide task's accepted pairs that are known pairs still, with their new margin, and its
    record of undecided pairs; best first, as decide tasks write them."""
    errors = decided_errors(source)
    atomic_lines(decided_errors(output), errors.open(encoding="utf-8") if errors.exists() else iter(()))
    kept = []
    with source.open(encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            margin = known.margin(numbers[d["src_id"]], numbers[d["tgt_id"]])
            if margin is not None:
                kept.append(d | {"candidate_score": margin})
    kept.sort(key=output_key)
    atomic_lines(output, (json.dumps(d, ensure_ascii=False) + "\n" for d in kept))
