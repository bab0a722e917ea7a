"""The decide phase, per batch of candidate pairs: align each pair's sentences and keep the pairs that
are translations (Pipeline.decide). A worker reads the two documents of each candidate from the
shards (DocReader: a few shard tables, memory-mapped vectors); a batch's accepted pairs go to
``decided/K-DIGEST.jsonl``, best first, so that the select phase can merge the batches in order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..data import DocError
from ..io import atomic_lines
from ..limits import DocumentTimeout, time_budget
from ..schemas import ERROR, pair_to_dict
from .base import pipeline_for
from .docshards import DocReader, ShardIndex


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


def sentence_counts(vectors: Path, index: ShardIndex, encoders: tuple[str, ...]) -> np.ndarray:
    """Sentences of every document, by run-wide number, from the vectors' offsets (a few bytes a
    document: the driver never opens a document to plan the decide tasks)."""
    from .docshards import vector_paths

    counts = np.zeros(len(index), np.int64)
    for k, name in enumerate(index.names):
        for encoder in encoders:
            offsets = vector_paths(vectors, encoder, name)[1]
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


@lru_cache(maxsize=2)
def _reader(root: str, index: ShardIndex, encoders: tuple[str, ...]) -> DocReader:
    return DocReader(Path(root) / "documents", Path(root) / "vectors", index, encoders)


@dataclass(frozen=True, slots=True)
class Decide:
    config: object  # PipelineConfig (embed.threads: this worker's share)
    root: str
    index: ShardIndex
    encoders: tuple[str, ...]

    def __call__(self, task: DecideTask) -> dict:
        pipe = pipeline_for(self.config)
        docs = _reader(self.root, self.index, self.encoders)
        budget = self.config.docalign.max_pair_seconds
        accepted, failed = [], []
        for s, t, m in zip(task.src.tolist(), task.tgt.tolist(), task.margin.tolist(), strict=True):
            a, b = docs[s], docs[t]
            try:
                with time_budget(budget, "--max-pair-seconds"):
                    pair = pipe.decide(a, b, m)
            except DocumentTimeout as e:  # recorded, and the batch goes on: never a stall
                failed.append(DocError(f"{a.id} | {b.id}", f"{a.name} | {b.name}", "decide", e.kind,
                                       f"the candidate pair was not decided: {e}"))
                continue
            if pair is not None:
                accepted.append(pair_to_dict(pair))
        accepted.sort(key=output_key)
        # the errors first: the pairs file marks the task as done
        atomic_lines(errors_path(task.output), (json.dumps(ERROR.row(e), ensure_ascii=False) + "\n" for e in failed))
        atomic_lines(Path(task.output), (json.dumps(d, ensure_ascii=False) + "\n" for d in accepted))
        return {"candidates_decided": len(task.src), "accepted": len(accepted), "timed_out": len(failed)}


def errors_path(output: str | Path) -> Path:
    """A decide task's record of the candidate pairs it could not decide (beside its pairs file)."""
    return Path(str(output).removesuffix(".jsonl") + ".errors.jsonl")


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
    before, old_margin = (previous.src * width + previous.tgt)[order], previous.score[order]
    pos = np.minimum(np.searchsorted(before, key), len(before) - 1)
    known = np.zeros(len(key), bool) if not len(before) else (
        (cands.src < n_old) & (cands.tgt < n_old) & (before[pos] == key)
        & ((cands.score >= min_margin) == (old_margin[pos] >= min_margin)))
    sort = np.argsort(key[known])
    return cands[~known], Known(key[known][sort], cands.score[known][sort], width)


def carried_ids(source: Path) -> set[str]:
    """The document ids of an earlier decide task's accepted pairs."""
    with source.open(encoding="utf-8") as f:
        return {i for line in f for d in (json.loads(line),) for i in (d["src_id"], d["tgt_id"])}


def carry_decided(source: Path, output: Path, known: Known, numbers: dict[str, int]) -> None:
    """An earlier decide task's accepted pairs that are known pairs still, with their new margin, and its
    record of undecided pairs; best first, as decide tasks write them."""
    errors = errors_path(source)
    atomic_lines(errors_path(output), errors.open(encoding="utf-8") if errors.exists() else iter(()))
    kept = []
    with source.open(encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            margin = known.margin(numbers[d["src_id"]], numbers[d["tgt_id"]])
            if margin is not None:
                kept.append(d | {"candidate_score": margin})
    kept.sort(key=output_key)
    atomic_lines(output, (json.dumps(d, ensure_ascii=False) + "\n" for d in kept))
