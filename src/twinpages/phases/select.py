"""The select phase, one global step: the decided batches merged into one file in output order, with
``--one-to-one`` applied over all accepted pairs of each language pair at once (a story's de-fr pair
must not take the place of its English original's pairs). Memory: one line per batch while merging;
for one-to-one, the small key of every accepted pair (scores, ids, languages)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, NamedTuple

from ..data import DocPair
from ..io import atomic_lines, merge_sorted_lines, read_lines
from ..schemas import pair_from_dict
from ..stages.select import one_to_one
from ..store import Layout, digest
from ..store.layout import with_stats
from ..store.state import RunState
from .base import Phase, Run, load_stats, save_stats
from .decide import output_key


@dataclass(frozen=True, slots=True)
class Select(Phase):
    """One global step: the decided batches -> the selected pairs in output order."""

    name: ClassVar[str] = "select"
    stage: ClassVar[str] = "select"
    local: ClassVar[bool] = True

    decided: tuple[str, ...]
    output: str
    one_to_one: bool
    translator: str

    @classmethod
    def make(cls, run: Run) -> Select:
        one, translator = run.config.select.one_to_one, run.config.select.translator
        key = (run.candidates.name, run.batch, one) + ((translator,) if translator != "any" else ())
        return cls(tuple(map(str, run.decided)), str(run.layout.pairs(digest(*key))), one, translator)

    def stats_path(self, task) -> Path:
        return with_stats(self.output)

    def outputs(self, task) -> list[Path]:
        return [Path(self.output), self.stats_path(task)]

    def __call__(self, task) -> dict:
        stats = select([Path(p) for p in self.decided], Path(self.output), self.one_to_one, self.translator)
        save_stats(self.stats_path(task), stats)
        return stats

    def finish(self, run: Run, tasks: list, results: list) -> None:
        run.pairs = Path(self.output)
        run.select_stats = load_stats(self.stats_path(None))


@dataclass(frozen=True, slots=True)
class SaveState(Phase):
    """What the finished run leaves for `add`, `query` and `serve` (store/state.py)."""

    name: ClassVar[str] = "state"
    stage: ClassVar[str] = "select"
    local: ClassVar[bool] = True

    state: RunState
    root: str

    @classmethod
    def make(cls, run: Run) -> SaveState:
        rel = run.layout.relative
        state = RunState(tuple(run.shards), run.index, rel(run.candidates), tuple(rel(p) for p in run.decided),
                         rel(run.pairs), tuple(sorted(run.embed_stats.get("encoders", {}))),
                         tuple(rel(p) for p in run.spooled), run.languages)
        return cls(state, run.root)

    def done(self, task) -> bool:
        return False  # a few bytes, written again: the same run gives the same state

    def outputs(self, task) -> list[Path]:
        return [Layout(self.root).state]

    def __call__(self, task) -> None:
        self.state.save(Layout(self.root))


class PairKey(NamedTuple):
    """What choosing pairs needs of an accepted pair (docalign.one_to_one reads the scores and ids)."""

    score: float
    candidate_score: float
    src_id: str
    tgt_id: str
    batch: int
    line: int
    languages: tuple[str, str]
    translator: str


def select(decided: list[Path], output: Path, one_to_one_only: bool, translator: str = "any") -> dict:
    """Write the selected pairs, best first, to ``output``; returns the counts. ``translator``: "machine" or
    "human" keeps only the pairs with that verdict, after one-to-one has chosen."""
    work = output.with_name(output.name + ".parts")
    sources = decided
    if one_to_one_only or translator != "any":
        by_languages: dict[tuple[str, str], list[PairKey]] = {}
        for b, path in enumerate(decided):
            for n, d in enumerate(_records(path)):
                languages = tuple(sorted((d["src_lang"], d["tgt_lang"])))
                by_languages.setdefault(languages, []).append(
                    PairKey(d["score"], d["candidate_score"], d["src_id"], d["tgt_id"], b, n, languages,
                            d["translator"]))
        keep = {(k.batch, k.line) for keys in by_languages.values()
                for k in (one_to_one(keys) if one_to_one_only else keys)
                if translator in ("any", k.translator)}
        sources = []
        for b, path in enumerate(decided):
            part = work / f"{b:06d}.jsonl"
            atomic_lines(part, (line for n, line in enumerate(read_lines(path)) if (b, n) in keep))
            sources.append(part)
    merge_sorted_lines(sources, lambda line: output_key(json.loads(line)), output)
    if work.exists():
        for p in work.iterdir():
            p.unlink()
        work.rmdir()
    n_pairs = n_beads = 0
    for d in _records(output):  # one pass for the counts the run reports
        n_pairs += 1
        n_beads += sum(1 for b in d["beads"] if b["src_idx"] and b["tgt_idx"])
    return {"document_pairs": n_pairs, "sentence_pairs": n_beads}


def _records(path: Path) -> Iterator[dict]:
    for line in read_lines(path):
        yield json.loads(line)


class SelectedPairs:
    """The selected pairs, read from their file each time they are iterated (the writers stream them,
    and MineResult hands them to the caller this way)."""

    def __init__(self, path: Path):
        self.path = path

    def __repr__(self) -> str:
        return f"SelectedPairs({str(self.path)!r}: {len(self)} pairs)"

    def __getitem__(self, k: int) -> DocPair:
        if k < 0:
            k += len(self)
        for n, pair in enumerate(self):
            if n == k:
                return pair
        raise IndexError(k)

    def __iter__(self) -> Iterator[DocPair]:
        for d in _records(self.path):
            yield pair_from_dict(d)

    def __len__(self) -> int:
        return sum(1 for _ in read_lines(self.path))
