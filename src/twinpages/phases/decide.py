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

from ..io import atomic_lines
from ..schemas import pair_to_dict
from .base import pipeline_for
from .docshards import DocReader, ShardIndex


@dataclass(frozen=True, slots=True)
class DecideTask:
    number: int
    src: np.ndarray  # run-wide document numbers
    tgt: np.ndarray
    margin: np.ndarray
    output: str


def output_key(d: dict) -> tuple:
    """The order of the output files: best score first, then the ids."""
    return (-d["score"], d["src_id"], d["tgt_id"])


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
        accepted = []
        for s, t, m in zip(task.src.tolist(), task.tgt.tolist(), task.margin.tolist(), strict=True):
            pair = pipe.decide(docs[s], docs[t], m)
            if pair is not None:
                accepted.append(pair_to_dict(pair))
        accepted.sort(key=output_key)
        atomic_lines(Path(task.output), (json.dumps(d, ensure_ascii=False) + "\n" for d in accepted))
        return {"candidates_decided": len(task.src), "accepted": len(accepted)}
