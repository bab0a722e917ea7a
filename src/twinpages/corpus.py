"""`mine`: the corpus job, as a chain of phases over shards in a run folder (phases/), executed by a
runner (runners/). The driver here plans the shards, hands each phase's tasks to the runner, merges
the tasks' counts, and writes the output files; it never reads a page itself.

    from twinpages import mine
    result = mine(["crawl/"], "out/")                                  # this process
    result = mine(["crawl/"], "out/", runner=RunnerConfig("ray", 8))    # 8 Ray workers

Every phase skips the tasks whose output exists, so rerunning the same command after a crash, a
``kill -9`` or an edited input redoes only what is missing (runfolder.py: the contract and layout).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from .config import PipelineConfig, load_config, to_dict
from .data import Candidates, DocError, DocPair, Document
from .io import atomic_lines, read_lines
from .phases.base import add_stats, load_stats, save_stats
from .phases.candidates import FindCandidates, finish, linked_pairs, read_candidates
from .phases.decide import (
    Decide,
    DecideTask,
    carried_ids,
    carry_decided,
    errors_path,
    pair_costs,
    sentence_counts,
    split_known,
)
from .phases.docshards import ShardIndex, read_documents, shard_ids, vector_paths
from .phases.embed import Embed, cache_watermark, release_embedders
from .phases.ids import find_duplicates
from .phases.plan import InputShard, plan_shards
from .phases.read import BUCKETS, Analyse, CountLines, MergeLines
from .phases.search import (
    BuildIndex,
    PairLanguages,
    SearchIndex,
    TrainIndex,
    answer_path,
    index_stats,
    language_codes,
    pair_output,
    plan_search,
)
from .phases.select import SelectedPairs, select
from .phases.state import RunState
from .progress import Progress
from .runfolder import RunFolder
from .runners import Runner, RunnerConfig, make_runner
from .runners.base import peak_rss_mb
from .schemas import ERROR, error_from_dict
from .stages.embed import encoders_for
from .stages.readers.base import spool_streams
from .stages.writers.outputs import write_outputs


@dataclass(slots=True)
class MineResult:
    """What a run found. ``pairs``: a list when mine() had no output folder; with one, the run folder's
    selected pairs, read back lazily each time they are iterated (a crawl's pairs need not fit in memory)."""

    pairs: list[DocPair] | SelectedPairs
    errors: list[DocError]
    stats: dict


def _digest(*parts) -> str:
    return hashlib.blake2b("\n".join(map(str, parts)).encode(), digest_size=6).hexdigest()


def mine(inputs: Iterable[str | Path], out_dir: str | Path | None = None,
         config: PipelineConfig = PipelineConfig(), progress: bool = False, workers: int = 1,
         checkpoint_every: int | None = None, runner: Runner | RunnerConfig | None = None, clean: bool = False,
         until: str | None = None) -> MineResult:
    """Find translated document pairs among the inputs and align their sentences.

    With ``out_dir``, that folder is the run folder (its shards are kept for later commands) and the
    output files are written there; without it, a temporary one is used and the pairs are returned.
    ``runner``: a runner or its config (default: local, ``workers`` processes); ``checkpoint_every``:
    candidate pairs per decide task (default DECIDE_BATCH); ``clean``: remove an earlier run with other settings first;
    ``until``: stop after this phase (one of PHASES; a later run without it carries on from there)."""
    if until is not None and until not in PHASES:
        raise ValueError(f"unknown phase {until!r}; choose from {PHASES}")
    inputs = _paths(inputs)  # a str is one path, not the characters of one
    missing = [str(p) for p in inputs if str(p) != "-" and not os.path.lexists(p)]
    if missing:  # a typo, not a document that went missing: nothing is run
        raise ValueError(f"no such file or folder: {', '.join(missing)}")
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
    folder = RunFolder(run_dir)
    state = RunState.load(folder.shards)
    if state is None or not (Path(run_dir) / "run.json").exists():
        raise ValueError(f"{run_dir}: not a finished twinpages run (no shards/{'state.json'} or run.json); "
                         "finish it with its `twinpages mine` command first")
    inputs = _paths(inputs)
    missing = [str(p) for p in inputs if str(p) != "-" and not os.path.lexists(p)]
    if missing:
        raise ValueError(f"no such file or folder: {', '.join(missing)}")
    config = load_config(Path(run_dir) / "run.json")
    return _run(inputs, run_dir, config, progress, workers, None, runner, False, None, grow=state)


def _paths(inputs) -> list:
    return [inputs] if isinstance(inputs, str | Path) else list(inputs)


def _outside(inputs: list, out_dir) -> None:
    """Refuse an input inside the run folder: the folder holds what twinpages writes (and --clean or a
    rerun may remove it), and its output files are never inputs."""
    if out_dir is None:
        return
    if not str(out_dir).strip():
        raise ValueError("the output folder (-o) is an empty name: give a folder")
    root = Path(out_dir).resolve()
    for p in inputs:
        if str(p) == "-":
            continue
        path = Path(p).resolve()
        if path == root or root in path.parents:
            raise ValueError(f"the input {p} is inside the run folder {out_dir}: a run folder holds only what "
                             "twinpages writes (and --clean removes it); move the input out, or choose another -o")


def _run(inputs, out_dir, config, progress, workers, checkpoint_every, runner, clean, until,
         extract_only: bool = False, grow: RunState | None = None) -> MineResult:
    _outside(inputs, out_dir)
    tmp = tempfile.TemporaryDirectory() if out_dir is None else None
    folder = RunFolder(Path(tmp.name) / "run" if tmp else out_dir)
    owned = not isinstance(runner, Runner)
    if owned:
        runner = make_runner(runner if isinstance(runner, RunnerConfig) else RunnerConfig(workers=workers))
    try:
        job = _Job(folder, config, runner, progress, checkpoint_every or DECIDE_BATCH, until, extract_only)
        return job.run(inputs, clean, keep_pairs=tmp is not None, grow=grow)
    finally:
        folder.close()
        if owned:
            runner.close()
        if tmp is not None:
            tmp.cleanup()


PHASES = ("read", "embed", "candidates", "decide", "select")
# Candidate pairs per decide task, at most: the unit of resume and of parallel work. Small enough that a
# killed run loses little and two workers share a small corpus; large enough that a task's overhead
# (reading its documents' shards) stays small next to the alignments.
DECIDE_BATCH = 500
# Decide tasks are also cut by cost (phases/decide.py: pair_costs, about n x m sentence pairs compared):
# at most TASK_COST a task (about half a minute of one core on documentation pages), and at least
# MIN_TASKS tasks when there are enough candidates, so that a 100-page site keeps several workers busy.
# Neither depends on the number of workers: the tasks, and so the shards, are the same under any runner.
TASK_COST = 4_000_000
MIN_TASKS = 8


class _Job:
    def __init__(self, folder: RunFolder, config: PipelineConfig, runner: Runner, progress: bool, batch: int,
                 until: str | None = None, extract_only: bool = False):
        self.folder, self.config, self.runner, self.progress, self.batch = folder, config, runner, progress, batch
        self.until, self.extract_only = until, extract_only
        self.signature = config.signature()
        # the encoder threads are shared out among the workers: more BLAS threads than cores slows all
        threads = max(1, config.embed.threads // runner.workers)
        self.work_config = replace(config, embed=replace(config.embed, threads=threads))
        self.root = str(folder.shards)
        self.written: dict[str, list[Path]] = {}
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}  # per phase: CPU seconds of its tasks (all processes)
        self.n_duplicates = 0
        self.n_linked = 0  # candidate pairs from pages that name each other (hreflang, canonical)
        self.search_stats: dict = {}  # each language pair's index kind, what the index holds (documents, bytes)

    def run(self, inputs: list, clean: bool, keep_pairs: bool, grow: RunState | None = None) -> MineResult:
        """``grow``: the finished run these inputs are added to (its input shards come first)."""
        t0 = time.monotonic()
        self.folder.open(self.signature, clean, growing=grow is not None)
        self.previous = RunState.load(self.folder.shards)
        spool = self.folder.path("spool", f"after-{len(grow.shards):05d}") if grow else self.folder.path("spool")
        raw_inputs = inputs
        spooled = spool_streams(inputs, spool)
        self.spooled = [Path(p) for p, q in zip(spooled, inputs, strict=True) if p is not q]
        if grow:  # the streams the grown run read are its inputs still
            self.spooled = [self.folder.path(p) for p in grow.spooled] + self.spooled
        if self.spooled:
            self.written["spool"] = self.spooled
        inputs = spooled
        # a stream's copy is shown by the stream's name: "stdin" for -, else the name it was given
        sources = {str(copy): "stdin" if str(arg) == "-" else str(arg)
                   for copy, arg in zip(spooled, raw_inputs, strict=True) if copy is not arg}
        shards = plan_shards(inputs, self.config.read, sources)
        if not shards:
            raise ValueError(f"no input documents in {', '.join(map(str, inputs))}: folders are searched for "
                             ".txt, .html, .warc, .jsonl files (optionally .gz) and for pages whose first bytes "
                             "are HTML or WARC")
        if grow:
            shards = self.grown(grow, shards)
        repeats = self.count_lines(shards)
        read_stats = self.analyse(shards, repeats)
        errors = [error_from_dict(json.loads(line)) for s in shards
                  for line in read_lines(self.folder.path("errors", f"{s.name}.jsonl"))]
        renamed, duplicates = self.unique_ids(shards)
        errors += duplicates
        self.n_duplicates = len(duplicates)
        index = ShardIndex.from_counts([s.name for s in shards], [st["documents"] for st in read_stats])
        index = replace(index, renamed=renamed)
        if self.extract_only:
            outputs = self.write_extracted(index, errors)
            self.folder.write_manifest(self.signature, self.written, outputs, {})
        if self.until == "read":
            return self._partial(t0, errors, self.stats(read_stats))
        embed_stats = self.embed(index, read_stats)
        if self.until == "embed":
            return self._partial(t0, errors, self.stats(read_stats, embed_stats))
        cand_path, n_candidates = self.candidates(index)
        if self.until == "candidates":
            return self._partial(t0, errors, self.stats(read_stats, embed_stats, n_candidates))
        decided = self.decide(index, cand_path, tuple(sorted(embed_stats.get("encoders", {}))))
        errors += [error_from_dict(json.loads(line)) for path in decided if errors_path(path).exists()
                   for line in read_lines(errors_path(path))]
        if self.until == "decide":
            return self._partial(t0, errors, self.stats(read_stats, embed_stats, n_candidates))
        pairs_path, select_stats = self.select(cand_path, decided)
        state = RunState(tuple(shards), index, self._rel(cand_path), tuple(self._rel(p) for p in decided),
                         self._rel(pairs_path), tuple(sorted(embed_stats.get("encoders", {}))),
                         tuple(self._rel(p) for p in self.spooled))
        self.written["state"] = [state.save(self.folder.shards)]
        pairs = SelectedPairs(pairs_path)
        stats = self.stats(read_stats, embed_stats, n_candidates, select_stats)
        if self.until == "select":
            return self._partial(t0, errors, stats, pairs)
        if keep_pairs:  # no output folder asked for: the pairs are the result
            return self._partial(t0, errors, stats, list(pairs))
        t_write = time.monotonic()
        outputs = self.write(pairs, index, errors, stats)
        self.seconds["write"] = round(time.monotonic() - t_write, 1)
        self.folder.write_manifest(self.signature, self.written, outputs, self.written_from(pairs_path))
        return self._partial(t0, errors, stats, pairs)

    def _rel(self, path: Path) -> str:
        return Path(path).relative_to(self.folder.shards).as_posix()

    def grown(self, grow: RunState, new: list[InputShard]) -> list[InputShard]:
        """The grown run's input shards: the old ones, then the new ones numbered after them. A new shard
        the run has already (the same files, sizes and times) is not read twice."""
        have = {s.digest for s in grow.shards}
        fresh = [s for s in new if s.digest not in have]
        if not fresh:
            raise ValueError(f"nothing to add: every input is in {self.folder.root} already")
        return list(grow.shards) + [replace(s, number=len(grow.shards) + k) for k, s in enumerate(fresh)]

    def _partial(self, t0: float, errors: list[DocError], stats: dict,
                 pairs: list | SelectedPairs | None = None) -> MineResult:
        stats["stage_seconds"] = self.seconds
        stats["cpu_seconds"] = self.cpu
        stats["seconds"] = round(time.monotonic() - t0, 2)
        stats["peak_rss_mb"] = {"driver": peak_rss_mb(),
                                "workers": dict(sorted(self.runner.worker_peak_rss_mb.items()))}
        return MineResult(pairs if pairs is not None else [], errors, stats)

    # --- phases ---------------------------------------------------------------------------------------

    def _map(self, label: str, fn, tasks: list, unit: str, size=lambda task: 1, items=None,
             items_unit: str = "documents") -> list:
        """Run the tasks not done yet; progress in ``unit`` with an ETA, and ``items`` per result."""
        t0, cpu0 = time.monotonic(), self.runner.cpu_seconds
        total = sum(size(t) for t in tasks)
        bar = Progress(label, total, enabled=self.progress and bool(tasks), unit=unit,
                       items_unit=items_unit if items else None)
        results = []
        for task, result in zip(tasks, self.runner.map(fn, tasks), strict=True):
            bar.update(size(task), items(result) if items else 0)
            results.append(result)
        bar.close()
        self.seconds[label] = round(self.seconds.get(label, 0) + time.monotonic() - t0, 1)
        self.cpu[label] = round(self.cpu.get(label, 0) + self.runner.cpu_seconds - cpu0, 1)
        return results

    def count_lines(self, shards: list[InputShard]) -> tuple[str, ...] | None:
        """Site-boilerplate counts per shard, merged per bucket of sites: the table the read phase uses.
        Both steps are runner tasks, so the driver never holds the corpus's line counts."""
        config = self.config.extract
        if not config.repeated_min_docs or config.mode == "none":  # clean text: nothing to count
            return None
        counter = CountLines(self.work_config, self.root)
        todo = [s for s in shards if load_stats(counter.stats_path(s)) is None]
        self._map("counted", counter, todo, "bytes", lambda s: s.size)
        per_bucket = tuple(tuple(str(counter.outputs(s)[j]) for s in shards) for j in range(BUCKETS))
        digest = _digest(*(s.name for s in shards))
        merged = tuple(str(self.folder.path(f"repeats-{digest}.b{j:02d}.npz")) for j in range(BUCKETS))
        merge = MergeLines(config.repeated_min_docs, per_bucket, merged)
        self._map("merged", merge, [j for j in range(BUCKETS) if not Path(merged[j]).exists()], "site buckets")
        self.written["repeats"] = [p for s in shards for p in counter.outputs(s)] + [Path(p) for p in merged]
        return merged

    def analyse(self, shards: list[InputShard], repeats: str | None) -> list[dict]:
        analyse = Analyse(self.work_config, self.root, repeats)
        todo = [s for s in shards if load_stats(analyse.stats_path(s)) is None]
        self._map("read", analyse, todo, "bytes", lambda s: s.size, items=lambda st: st["documents"] + st["failed"])
        self.written["read"] = [p for s in shards for p in analyse.outputs(s)]
        return [load_stats(analyse.stats_path(s)) for s in shards]

    def unique_ids(self, shards: list[InputShard]) -> tuple[tuple, list[DocError]]:
        """Repeated document ids made unique (phases/ids.py), kept in the run folder for a resumed run."""
        path = self.folder.path(f"ids-{_digest(*(s.name for s in shards))}.json")
        found = load_stats(path)
        if found is None:
            renamed, warnings = find_duplicates([self.folder.path("documents", f"{s.name}.parquet") for s in shards])
            found = {"renamed": renamed, "warnings": [ERROR.row(w) for w in warnings]}
            save_stats(path, found)
        self.written["ids"] = [path]
        return tuple(tuple(r) for r in found["renamed"]), [error_from_dict(w) for w in found["warnings"]]

    def embed(self, index: ShardIndex, read_stats: list[dict]) -> dict:
        langs = {lang for st in read_stats for lang in st["languages"]}
        needed = encoders_for(self.config.embed, [None if lang == "und" else lang for lang in langs])
        cache = self.folder.path("stats", "embed-cache.json")
        embed = Embed(self.work_config, self.root, tuple(sorted(((k, tuple(sorted(v))) for k, v in needed.items()),
                                                                key=lambda kv: str(kv[0]))),
                      cache_watermark(self.config, cache))
        sizes = dict(zip(index.names, (st["documents"] for st in read_stats), strict=True))
        todo = [n for n in index.names if load_stats(embed.stats_path(n)) is None]
        done_now = self._map("embedded", embed, todo, "documents", lambda n: sizes[n])
        release_embedders()  # this process's encoders (in-process runs): their memory goes before the index comes
        stats: dict = {}
        for name in index.names:
            add_stats(stats, load_stats(embed.stats_path(name)))
        stats["sentences_embedded"] = sum(st["sentences_embedded"] for st in done_now)  # by this run, not resumed
        encoders = sorted(stats.get("encoders", {}))
        self.written["embed"] = [embed.stats_path(n) for n in index.names] + ([cache] if cache.exists() else []) + [
            p for e in encoders for n in index.names for p in vector_paths(self.folder.path("vectors"), e, n)
            if p.exists()]
        return stats

    def candidates(self, index: ShardIndex) -> tuple[Path, int]:
        path = self.folder.path(f"candidates-{_digest(self.signature, *index.names)}.parquet")
        stats_path = path.with_suffix(".json")
        if self.config.candidates.same_site:  # sites are small: one task searches them all in memory
            if load_stats(stats_path) is None:
                search = FindCandidates(self.work_config, self.root, index, str(path), self.config.embed.threads)
                self._map("candidates", search, [None], "searches")
        else:
            self.search(index, path)
        self.written["candidates"] = [path, stats_path]
        found = load_stats(stats_path)
        self.n_linked = found.get("linked_candidates", 0)
        self.search_stats = {k: found[k] for k in ("searched", "index") if k in found}
        return path, found["candidates"]

    def search(self, index: ShardIndex, output: Path) -> None:
        """The sharded candidate search (phases/search.py). Its files stay in the run folder whatever the
        inputs: a run over more inputs reuses every index shard and answer it already has."""
        root = Path(self.root)
        codes, names = language_codes(root, index)
        plan = plan_search(self.work_config, root, index, codes, names)
        totals = {(s[0].encoder, s[0].lang): sum(x.documents for x in s) for s in plan.shards.values() if s}
        train = [(plan.shards[(enc, lang, True)][0], totals[(enc, lang)], path)
                 for (enc, lang), path in sorted(plan.trained.items()) if load_stats(Path(path + ".json")) is None]
        self._map("trained", TrainIndex(self.work_config, self.root, index), train, "languages")
        shards = [s for key in sorted(plan.shards) for s in plan.shards[key]]
        build = [s for s in shards if load_stats(Path(s.path + ".json")) is None]
        self._map("indexed", BuildIndex(self.work_config, self.root, index, plan.trained), build, "documents",
                  lambda s: s.documents)
        searches = [(q, missing) for q, targets in plan.searches()
                    if (missing := tuple(t for t in targets if not answer_path(q, t).exists()))]
        self._map("searched", SearchIndex(self.work_config, self.root, index), searches, "queries",
                  lambda t: t[0].documents * len(t[1]))
        outputs = [pair_output(root, p, plan) for p in plan.pairs]
        pairing = [(*plan.sides(p), out) for p, out in zip(plan.pairs, outputs, strict=True)
                   if load_stats(Path(out).with_suffix(".json")) is None]
        self._map("paired", PairLanguages(self.work_config), pairing, "language pairs")
        if load_stats(output.with_suffix(".json")) is None:
            found = Candidates.concat([read_candidates(Path(out)) for out in outputs])
            searched = {(p.a, p.b) for p in plan.pairs}
            linked = linked_pairs(root, index, lambda n: names[codes[n]] if codes[n] >= 0 else None, searched)
            finish(output, found, linked, {"index": index_stats(plan),
                                           "searched": {f"{p.a}-{p.b}": "approx" if p.approximate else "exact"
                                                        for p in plan.pairs}})
        self.written["index"] = plan.files() + [p for out in outputs
                                                for p in (Path(out), Path(out).with_suffix(".json"))]

    def decide(self, index: ShardIndex, cand_path: Path, encoders: tuple[str, ...]) -> list[Path]:
        cands = read_candidates(cand_path)
        tag = _digest(cand_path.name, self.batch, "cost", TASK_COST, MIN_TASKS)
        carried = []
        if self.grows_from(index, cand_path):
            cands, carried = self.carry_decisions(cands, index, tag)
        cost = pair_costs(cands, sentence_counts(self.folder.path("vectors"), index, encoders))
        bounds = cost_batches(cost, self.batch)
        tasks = []
        for k, (start, end) in enumerate(bounds):
            part = cands[start:end]
            out = self.folder.path("decided", f"{k:06d}-{tag}.jsonl")
            tasks.append(DecideTask(k, part.src, part.tgt, part.score, str(out), int(cost[start:end].sum())))
        todo = [t for t in tasks if not Path(t.output).exists()]
        self.folder.path("decided").mkdir(parents=True, exist_ok=True)
        # progress and ETA by cost (sentence pairs compared), not by candidates: on long pages one
        # candidate can cost what a thousand short ones do
        self._map("aligned", Decide(self.work_config, self.root, index, encoders), todo, "sentence pairs",
                  lambda t: t.cost, items=lambda st: st["candidates_decided"], items_unit="candidate pairs")
        outputs = carried + [Path(t.output) for t in tasks]
        self.written["decide"] = outputs + [errors_path(p) for p in outputs]
        return outputs

    def grows_from(self, index: ShardIndex, cand_path: Path) -> bool:
        """Whether this run adds documents to the finished run found in the folder (which then numbers
        its documents as this one does) rather than repeating it."""
        prev = self.previous
        if prev is None or prev.candidates == self._rel(cand_path) or len(prev.index) == 0:
            return False
        n = len(prev.index.names)
        return (prev.index.names == index.names[:n] and prev.index.bases == index.bases[:n + 1]
                and set(prev.index.renamed) <= set(index.renamed)
                and all(self.folder.path(p).exists() for p in (prev.candidates, *prev.decided)))

    def carry_decisions(self, cands: Candidates, index: ShardIndex, tag: str) -> tuple[Candidates, list[Path]]:
        """The candidates still to decide, and the finished run's decided batches carried over with the
        pairs that are decided already (phases/decide.py: split_known)."""
        prev = self.previous
        todo, known = split_known(cands, read_candidates(self.folder.path(prev.candidates)), len(prev.index),
                                  self.config.docalign.min_margin)
        outputs = [self.folder.path("decided", f"c{k:06d}-{tag}.jsonl") for k in range(len(prev.decided))]
        missing = [(self.folder.path(rel), out) for rel, out in zip(prev.decided, outputs, strict=True)
                   if not out.exists()]
        if missing:
            wanted = set().union(*(carried_ids(src) for src, _ in missing))
            numbers = _document_numbers(self.folder, prev.index, wanted)
            for src, out in missing:
                carry_decided(src, out, known, numbers)
        return todo, outputs

    def select(self, cand_path: Path, decided: list[Path]) -> tuple[Path, dict]:
        one_to_one, translator = self.config.select.one_to_one, self.config.select.translator
        key = (cand_path.name, self.batch, one_to_one) + ((translator,) if translator != "any" else ())
        path = self.folder.path(f"pairs-{_digest(*key)}.jsonl")
        stats_path = path.with_suffix(".json")
        if load_stats(stats_path) is None:
            t0 = time.monotonic()
            save_stats(stats_path, select(decided, path, one_to_one, translator))
            self.seconds["select"] = round(time.monotonic() - t0, 1)
        self.written["select"] = [path, stats_path]
        return path, load_stats(stats_path)

    # --- outputs --------------------------------------------------------------------------------------

    def stats(self, read_stats: list[dict], embed_stats: dict | None = None, n_candidates: int = 0,
              select_stats: dict | None = None) -> dict:
        read: dict = {}
        for st in read_stats:
            add_stats(read, st)
        embed_stats = embed_stats or {}
        warnings = read.get("warnings_by_type", {})
        if self.n_duplicates:
            warnings = warnings | {"duplicate_id": self.n_duplicates}
        return {
            "documents_read": read.get("documents", 0) + read.get("failed", 0),
            "documents_kept": read.get("documents", 0), "documents_failed": read.get("failed", 0),
            "failed_by_type": read.get("failed_by_type", {}), "warnings_by_type": dict(sorted(warnings.items())),
            "languages": read.get("languages", {}),
            "encoders": embed_stats.get("encoders", {}),
            "sentences_embedded": embed_stats.get("sentences_embedded", 0),
            "candidates": n_candidates, "linked_candidates": self.n_linked,
            "candidate_search": self.search_stats,
            **(select_stats or {"document_pairs": 0, "sentence_pairs": 0}),
        }

    def written_from(self, pairs_path: Path) -> dict:
        """What the output files depend on beyond the signature: the output settings, and the selected
        pairs (a grown run has more)."""
        return to_dict(self.config.output) | {"pairs": pairs_path.name}

    def write(self, pairs: SelectedPairs, index: ShardIndex, errors: list[DocError], stats: dict) -> list[Path]:
        out = self.folder.root
        settings = self.written_from(pairs.path)
        previous = self.folder.manifest() or {}
        before = [out / entry["path"] for entry in previous.get("outputs", [])]
        if previous.get("signature") == self.signature and previous.get("output_settings") == settings \
                and before and all(p.exists() for p in before):
            return before  # finished before, with these settings: nothing to write
        # run.json holds what the inputs and settings determine: not timings, not what a resumed run
        # found already done, not how it was executed
        varying = ("sentences_embedded",)
        run_record = {"signature": self.signature, "label": self.config.label(), "config": to_dict(self.config),
                      "stats": {k: v for k, v in stats.items() if k not in varying}}
        written = write_outputs(out, pairs, lambda ids: _documents(self.folder, index, ids), errors, run_record,
                                self.config.output, self.config.candidates.langs)
        for p in set(before) - set(written):  # files of formats or language pairs this run did not write
            p.unlink(missing_ok=True)
        if (out / "bitext").is_dir() and not any((out / "bitext").iterdir()):
            (out / "bitext").rmdir()
        return written

    def write_extracted(self, index: ShardIndex, errors: list[DocError]) -> list[Path]:
        """`twinpages extract`'s files: each kept document's main text, in run order, and the errors."""
        from .stages.writers.files import write_errors

        out = self.folder.root
        records = (json.dumps({"id": d.id, "url": d.url, "lang": d.lang, "text": d.main_text},
                              ensure_ascii=False) + "\n" for d in _documents(self.folder, index, None))
        atomic_lines(out / "documents.jsonl", records)
        write_errors(out / "errors.jsonl", errors)
        return [out / "documents.jsonl", out / "errors.jsonl"]


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


def _documents(folder: RunFolder, index: ShardIndex, ids: set[str] | None) -> Iterable[Document]:
    """The documents with these ids (None: all), in run order, reading only the shards' id column for
    the others."""
    renames = index.renames()
    for k, name in enumerate(index.names):
        path = folder.path("documents", f"{name}.parquet")
        if ids is not None and not ids.intersection(shard_ids(path, renames.get(k))):
            continue
        for doc in read_documents(path, renames.get(k)):
            if ids is None or doc.id in ids:
                yield doc


def _document_numbers(folder: RunFolder, index: ShardIndex, ids: set[str]) -> dict[str, int]:
    """The run-wide numbers of the documents with these ids, reading the id column of one shard at a time."""
    renames = index.renames()
    out: dict[str, int] = {}
    for k, name in enumerate(index.names):
        for row, doc_id in enumerate(shard_ids(folder.path("documents", f"{name}.parquet"), renames.get(k))):
            if doc_id in ids:
                out[doc_id] = index.bases[k] + row
    return out
