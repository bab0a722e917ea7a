"""The driver of `mine`: one loop over the phases, in order, each a set of tasks a runner executes
(phases/base.py says what a phase is). The driver opens the run folder, makes the input shards, and for
each phase runs the tasks not done yet, keeps the list of files it wrote, and lets it tell the run what
it found; it never reads a page itself. `--until STAGE` stops after the stage's last phase.

Every phase skips the tasks whose output exists, so rerunning the same command after a crash, a
``kill -9`` or an edited input redoes only what is missing (store/folder.py: the contract).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from .phases.base import STAGES, Run
from .phases.candidates import FindCandidates, MergeCandidates
from .phases.copies import ClusterCopies, SignCopies
from .phases.count import CountLines, MergeLines
from .phases.decide import CarryDecisions, Decide
from .phases.embed import Embed, EncodeSentences, HashSentences, OwnSentences
from .phases.ids import UniqueIds
from .phases.plan import InputShard, plan_shards
from .phases.read import Analyse
from .phases.search import BuildIndex, PairLanguages, SearchIndex, TrainIndex
from .phases.select import SaveState, Select, SelectedPairs
from .phases.write import Extracted, Write, summary
from .progress import Progress
from .runners import Runner
from .runners.base import peak_rss_mb
from .stages.readers import spool_streams

# The phases of a run, in order: a new phase is one class (phases/) and one line here.
PHASES = (CountLines, MergeLines, Analyse, UniqueIds, Extracted,
          SignCopies, ClusterCopies,
          HashSentences, OwnSentences, EncodeSentences, Embed,
          FindCandidates, TrainIndex, BuildIndex, SearchIndex, PairLanguages, MergeCandidates,
          CarryDecisions, Decide,
          Select, SaveState,
          Write)
UNTIL = STAGES[:-1]  # where `--until` may stop


def drive(run: Run, runner: Runner, inputs: list, clean: bool, until: str | None, progress: bool) -> dict:
    """Run the phases over the inputs into the run's folder; returns the summary of counts and timings."""
    t0 = time.monotonic()
    run.folder.open(run.signature, clean, growing=run.grow is not None)
    run.previous = _state(run)
    start(run, inputs)
    run.folder.sync()
    last = STAGES.index(until) if until else len(STAGES) - 1
    for phase_class in PHASES:
        if STAGES.index(phase_class.stage) > last:
            break
        if phase_class.applies(run):
            _run_phase(run, runner, phase_class.make(run), progress)
    stats = summary(run)
    stats["stage_seconds"] = run.seconds
    stats["cpu_seconds"] = run.cpu
    stats["seconds"] = round(time.monotonic() - t0, 2)
    stats["peak_rss_mb"] = {"driver": peak_rss_mb(), "workers": dict(sorted(runner.worker_peak_rss_mb.items()))}
    return stats


def _state(run: Run):
    from .store.state import RunState

    return RunState.load(run.layout)


def _run_phase(run: Run, runner: Runner, phase, progress: bool) -> None:
    """The phase's tasks not done yet, with progress and an ETA; its files, its time, what it found."""
    tasks = phase.tasks(run)
    todo = [t for t in tasks if not phase.done(t)]
    t0, cpu0 = time.monotonic(), runner.cpu_seconds
    bar = Progress(phase.name, sum(phase.size(t) for t in todo), enabled=progress and bool(todo) and not phase.local,
                   unit=phase.unit, items_unit=phase.items_unit)
    results = []
    work = map(phase, todo) if phase.local else runner.map(run.folder.worker(phase), todo)
    for task, result in zip(todo, work, strict=True):
        bar.update(phase.size(task), phase.items(result) if phase.items_unit else 0)
        results.append(result)
    bar.close()
    run.seconds[phase.name] = round(run.seconds.get(phase.name, 0) + time.monotonic() - t0, 1)
    if not phase.local:
        run.cpu[phase.name] = round(run.cpu.get(phase.name, 0) + runner.cpu_seconds - cpu0, 1)
    run.folder.sync()  # in object storage: the workers' files come, the driver's go (store/remote.py)
    files = sorted({p for t in tasks for p in phase.outputs(t)})
    if files:
        key = phase.record or phase.name
        run.written[key] = sorted(set(run.written.get(key, [])) | set(files))
    phase.finish(run, tasks, results)
    run.folder.sync()


def start(run: Run, inputs: list) -> None:
    """The run's input shards: streams copied into the run folder first (a stream is read once, a run reads
    its inputs more than once), then files grouped, or archives split, into shards (phases/plan.py)."""
    grow = run.grow
    spooled = spool_streams(inputs, run.layout.spool(len(grow.shards) if grow else None))
    run.spooled = [Path(p) for p, q in zip(spooled, inputs, strict=True) if p is not q]
    if grow:  # the streams the grown run read are its inputs still
        run.spooled = [run.layout.in_shards(p) for p in grow.spooled] + run.spooled
    if run.spooled:
        run.written["spool"] = run.spooled
    # a stream's copy is shown by the stream's name: "stdin" for -, else the name it was given
    sources = {str(copy): "stdin" if str(arg) == "-" else str(arg)
               for copy, arg in zip(spooled, inputs, strict=True) if copy is not arg}
    shards = plan_shards(spooled, run.config.read, sources)
    if not shards:
        raise ValueError(f"no input documents in {', '.join(map(str, spooled))}: folders are searched for "
                         ".txt, .html, .warc, .jsonl files (optionally .gz or .zst) and for pages whose first bytes "
                         "are HTML or WARC")
    run.shards = grown(run, shards) if grow else shards


def grown(run: Run, new: list[InputShard]) -> list[InputShard]:
    """The grown run's input shards: the old ones, then the new ones numbered after them. A new shard the
    run has already (the same files, sizes and times) is not read twice."""
    have = {s.digest for s in run.grow.shards}
    fresh = [s for s in new if s.digest not in have]
    if not fresh:
        raise ValueError(f"nothing to add: every input is in {run.folder.root} already")
    return list(run.grow.shards) + [replace(s, number=len(run.grow.shards) + k) for k, s in enumerate(fresh)]


def selected(run: Run) -> list | SelectedPairs:
    """The run's pairs, if it got as far as choosing them: read back lazily (a crawl's pairs need not fit
    in memory), or as a list when the run had no output folder."""
    if run.pairs is None:
        return []
    pairs = SelectedPairs(run.pairs)
    return list(pairs) if run.keep_pairs else pairs
