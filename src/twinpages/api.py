"""The library API: what the CLI commands call, for a user to call from Python.

    from twinpages import mine, add, extract, align_files
    result = mine(["crawl/"], "out/")                                  # this process
    result = mine(["crawl/"], "out/", runner=RunnerConfig("ray", 8))    # 8 Ray workers
    add("out/", ["new-pages/"])                                        # documents added to a finished run
    pair = align_files("a.txt", "b.txt")                               # two given documents

`mine`, `add` and `extract` run the phases over a run folder (corpus.py drives them, runners/ executes
their tasks); `align_files` runs the document stages and the pair decision on two documents.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from .config import PipelineConfig, load_config
from .data import DocError, DocPair
from .phases.base import Run
from .phases.decide import DECIDE_BATCH
from .phases.select import SelectedPairs
from .runners import Runner, RunnerConfig, make_runner
from .stages.readers.remote import is_url
from .store import RunFolder, open_folder
from .store.state import RunState


@dataclass(slots=True)
class MineResult:
    """What a run found. ``pairs``: a list when mine() had no output folder; with one, the run folder's
    selected pairs, read back lazily each time they are iterated (a crawl's pairs need not fit in memory)."""

    pairs: list[DocPair] | SelectedPairs
    errors: list[DocError]
    stats: dict


def mine(inputs: Iterable[str | Path], out_dir: str | Path | None = None,
         config: PipelineConfig = PipelineConfig(), progress: bool = False, workers: int = 1,
         checkpoint_every: int | None = None, runner: Runner | RunnerConfig | None = None, clean: bool = False,
         until: str | None = None) -> MineResult:
    """Find translated document pairs among the inputs and align their sentences.

    With ``out_dir``, that folder is the run folder (its shards are kept for later commands) and the
    output files are written there; without it, a temporary one is used and the pairs are returned.
    ``runner``: a runner or its config (default: local, ``workers`` processes); ``checkpoint_every``:
    candidate pairs per decide task (default DECIDE_BATCH); ``clean``: remove an earlier run with other
    settings first; ``until``: stop after this stage (corpus.UNTIL; a later run without it carries on)."""
    from .corpus import UNTIL

    if until is not None and until not in UNTIL:
        raise ValueError(f"unknown phase {until!r}; choose from {UNTIL}")
    inputs = _existing(inputs)
    return _run(inputs, out_dir, config, progress, workers, checkpoint_every, runner, clean, until)


def extract(inputs: Iterable[str | Path], out_dir: str | Path, config: PipelineConfig = PipelineConfig(),
            progress: bool = False, workers: int = 1, runner: Runner | RunnerConfig | None = None,
            clean: bool = False) -> MineResult:
    """Read, extract and label the inputs (the read phase of ``mine``, with its runners and resume) and
    write ``OUT/documents.jsonl`` ({id, url, lang, text}, run order) and ``OUT/errors.jsonl``. OUT is a
    run folder: a later ``mine`` with the same settings into it carries on from the read phase."""
    return _run(_paths(inputs), out_dir, config, progress, workers, None, runner, clean, "read", extract_only=True)


def add(run_dir: str | Path, inputs: Iterable[str | Path], progress: bool = False, workers: int = 1,
        runner: Runner | RunnerConfig | None = None) -> MineResult:
    """Add documents to a finished run, with its settings (``RUN_DIR/run.json``): the new documents are
    read, embedded, indexed and paired with the old ones and with each other; the old documents' work
    (extraction, vectors, index shards, decisions on pairs between old documents) is kept, not redone.
    The run's output files are written again over all its pairs."""
    folder = open_folder(run_dir)
    folder.refresh()
    state = RunState.load(folder.layout)
    if state is None or not folder.layout.output("run.json").exists():
        raise ValueError(f"{run_dir}: not a finished twinpages run (no shards/state.json or run.json); "
                         "finish it with its `twinpages mine` command first")
    inputs = _existing(inputs)
    config = load_config(folder.layout.output("run.json"))
    return _run(inputs, run_dir, config, progress, workers, None, runner, False, None, grow=state)


def align_files(src: str | Path, tgt: str | Path, config: PipelineConfig = PipelineConfig()) -> DocPair:
    """Align two given documents (no candidate search). Raises ValueError naming a document that could not
    be read or has no main text."""
    from .phases.base import Models
    from .stages.analyse import load_documents

    both = Models.of(config)
    docs, errors = load_documents([src, tgt], config, both.analyser)
    if errors:
        e = errors[0]
        raise ValueError(f"{e.source}: {e.error}: {e.message}")
    return both.decider.align_pair(docs[0], docs[1], orient=False)


def _paths(inputs) -> list:
    return [inputs] if isinstance(inputs, str | Path) else list(inputs)


def _existing(inputs) -> list:
    inputs = _paths(inputs)  # a str is one path, not the characters of one
    # a URL is listed by its store (a file missing there is the reader's error record, as in a folder)
    missing = [str(p) for p in inputs if str(p) != "-" and not is_url(p) and not os.path.lexists(p)]
    if missing:  # a typo, not a document that went missing: nothing is run
        raise ValueError(f"no such file or folder: {', '.join(missing)}")
    return inputs


def _outside(inputs: list, out_dir) -> None:
    """Refuse an input inside the run folder: the folder holds what twinpages writes (and --clean or a
    rerun may remove it), and its output files are never inputs."""
    if out_dir is None:
        return
    if not str(out_dir).strip():
        raise ValueError("the output folder (-o) is an empty name: give a folder")
    if is_url(out_dir):
        return  # a store's prefix: a local input cannot lie in it (an input URL under it is read as given)
    root = Path(out_dir).resolve()
    for p in inputs:
        if str(p) == "-" or is_url(p):
            continue
        path = Path(p).resolve()
        if path == root or root in path.parents:
            raise ValueError(f"the input {p} is inside the run folder {out_dir}: a run folder holds only what "
                             "twinpages writes (and --clean removes it); move the input out, or choose another -o")


def _run(inputs, out_dir, config, progress, workers, checkpoint_every, runner, clean, until,
         extract_only: bool = False, grow: RunState | None = None) -> MineResult:
    from .corpus import drive, selected

    _outside(inputs, out_dir)
    tmp = tempfile.TemporaryDirectory() if out_dir is None else None
    folder = RunFolder(Path(tmp.name) / "run") if tmp else open_folder(out_dir)
    owned = not isinstance(runner, Runner)
    if owned:
        runner = make_runner(runner if isinstance(runner, RunnerConfig) else RunnerConfig(workers=workers))
    try:
        # the encoder threads are shared out among the workers: more BLAS threads than cores slows all
        threads = max(1, config.embed.threads // runner.workers)
        run = Run(folder, config, replace(config, embed=replace(config.embed, threads=threads)), config.signature(),
                  checkpoint_every or DECIDE_BATCH, grow=grow, extract_only=extract_only, keep_pairs=tmp is not None)
        stats = drive(run, runner, inputs, clean, until, progress)
        return MineResult(selected(run), run.errors, stats)
    finally:
        folder.close()
        if owned:
            runner.close()
        if tmp is not None:
            tmp.cleanup()
