"""The phase contract, the run a phase works on, and what every phase shares (task stats, model caches).

A phase is one step of `mine` over the run folder. Its class says, for the driver (corpus.py):

- ``applies(run)``: whether the run needs it (the line counts only when there is boilerplate to find);
- ``make(run)``: the phase object for this run: a frozen dataclass of plain settings and paths, which the
  runner pickles and ships to its workers (models load there, once per process: ``models``);
- ``tasks(run)``: its tasks (input shards, batches of candidates...), in order;
- ``done(task)``: whether a task's work is on disk (by default: its stats file, written last, exists);
- ``__call__(task)``: one task's work, in a worker: its files, atomically, then its stats;
- ``outputs(task)``: the files a task leaves (the manifest lists them; a finished run removes the rest), in the
  order they are published to object storage: the file that marks the task done last (store/remote.py);
- ``reads(task)``: the folders (ending in ``/``) and files of the run folder a task reads, relative to it: what a
  worker fetches first when the run folder is in object storage; by default all of ``shards/``;
- ``finish(run, tasks, results)``: in the driver, what the run learns from the phase (counts, paths).

``local = True`` phases are one global step that the driver runs itself (merging, writing outputs).
``stage`` is the part of the run a phase belongs to (STAGES): `--until STAGE` stops after the last phase
of that stage. A new phase is one class and one line in corpus.PHASES.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ..io import write_json
from ..store import Layout, RunFolder

# the parts of a run, in order: `--until` takes the first five
STAGES = ("read", "embed", "candidates", "decide", "select", "write")


class Phase:
    name: ClassVar[str] = ""  # the progress label and the key of `stage_seconds`
    record: ClassVar[str] = ""  # the manifest's key for the phase's files (default: name)
    stage: ClassVar[str] = "read"  # one of STAGES
    unit: ClassVar[str] = "tasks"  # what progress counts (``size``)
    items_unit: ClassVar[str | None] = None  # a second count from each result (``items``)
    local: ClassVar[bool] = False

    @classmethod
    def applies(cls, run: Run) -> bool:
        return True

    @classmethod
    def make(cls, run: Run) -> Phase:
        return cls()

    def tasks(self, run: Run) -> list:
        return [None]

    def stats_path(self, task) -> Path | None:
        return None

    def done(self, task) -> bool:
        path = self.stats_path(task)
        return path is not None and load_stats(path) is not None

    def outputs(self, task) -> list[Path]:
        path = self.stats_path(task)
        return [path] if path is not None else []

    def reads(self, task) -> tuple[str, ...]:
        return ("shards/",)

    def size(self, task) -> int:
        return 1

    def items(self, result) -> int:
        return 0

    def __call__(self, task):
        raise NotImplementedError

    def finish(self, run: Run, tasks: list, results: list) -> None:
        pass


@dataclass(slots=True)
class Run:
    """What the driver knows of a run as its phases go: settings, where things are, and what each phase
    left for the next (input shards, the shard index, the candidates, the decided batches...)."""

    folder: RunFolder
    config: object  # PipelineConfig
    work_config: object  # the same, with the threads of one worker
    signature: str
    batch: int  # candidate pairs per decide task, at most
    grow: object | None = None  # RunState: the finished run `add` adds to
    previous: object | None = None  # RunState: a finished run found in the folder
    extract_only: bool = False
    keep_pairs: bool = False  # no output folder: the pairs are the result
    # what phases leave
    shards: list = field(default_factory=list)  # InputShard
    spooled: list = field(default_factory=list)  # copies of streams (paths)
    repeats: tuple[str, ...] | None = None
    read_stats: list[dict] = field(default_factory=list)
    errors: list = field(default_factory=list)  # DocError
    index: object | None = None  # ShardIndex
    duplicates: int = 0
    languages: object | None = None  # LanguagePlan
    embed_stats: dict = field(default_factory=dict)
    candidates: Path | None = None
    n_candidates: int = 0
    n_linked: int = 0
    search_stats: dict = field(default_factory=dict)
    search_plan: object | None = None  # phases/search.py's SearchPlan
    to_decide: object | None = None  # Candidates: those the decide phase decides (a grown run: the new ones)
    decided: list[Path] = field(default_factory=list)
    decisions_reused: int = 0  # candidates of exact copies given a decision taken before (by this run)
    pairs: Path | None = None
    select_stats: dict | None = None
    bitext_filter: dict | None = None  # rows the bitext filter kept and rejected (write.py)
    copies: Path | None = None  # the clusters of near-copies (copies.py)
    copies_stats: dict | None = None
    outputs: list[Path] = field(default_factory=list)
    # bookkeeping
    written: dict[str, list[Path]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def layout(self) -> Layout:
        return self.folder.layout

    @property
    def root(self) -> str:
        """The run folder, as a string (what phase objects carry to the workers: ``Layout(root)``)."""
        return str(self.folder.root)


def documents_shard(root: str, name: str) -> tuple[str, ...]:
    """``Phase.reads`` of a task that is one documents shard."""
    layout = Layout(root)
    return (layout.in_run(layout.documents(name)),)


# --- task stats: counts that add up; written last, they mark a task as done --------------------------------

def add_stats(total: dict, part: dict) -> dict:
    """Counts add up: numbers are summed, dicts of numbers merged key by key."""
    for key, value in part.items():
        if isinstance(value, dict):
            total[key] = dict(sorted((Counter(total.get(key, {})) + Counter(value)).items()))
        else:
            total[key] = total.get(key, 0) + value
    return total


def save_stats(path: Path, stats: dict) -> None:
    write_json(path, stats)  # written last: the task's completion mark


def load_stats(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --- models: loaded once per configuration and process ------------------------------------------------------

@dataclass(slots=True)
class Models:
    """The document analysis and the pair decision of one configuration, sharing one set of encoders; each
    model loads on first use, in the process that uses it."""

    analyser: object  # stages/analyse.Analyser
    decider: object  # stages/decision.Decider

    @classmethod
    def of(cls, config) -> Models:
        from ..stages.analyse import Analyser
        from ..stages.decision import Decider
        from ..stages.embed import Embedder

        embedder = Embedder(config.embed)
        return cls(Analyser(config, embedder), Decider(config, embedder))

    @property
    def embedder(self):
        return self.analyser.embedder


_MODELS: dict = {}


def models(config) -> Models:
    """One set of models per configuration and process: a phase object is unpickled for every task, and a
    worker that runs many tasks, of one phase or several, loads each model once."""
    if config not in _MODELS:
        _MODELS[config] = Models.of(config)
    return _MODELS[config]


def loaded_models() -> list[Models]:
    return list(_MODELS.values())
