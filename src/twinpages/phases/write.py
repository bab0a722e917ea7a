"""The last step of a run, in the driver: the output files (stages/writers), from the selected pairs and
the documents shards, and the manifest; for `twinpages extract`, its documents and errors instead."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..config import to_dict
from ..io import atomic_lines
from ..schemas import extracted_row
from ..stages.writers.files import write_errors
from ..stages.writers.outputs import write_outputs
from ..store import lookup
from .base import Phase, Run, add_stats
from .select import SelectedPairs


def write_copies(run: Run) -> Path:
    """OUT/copies.jsonl: each cluster of near-copies with its documents' ids and URLs (else paths)."""
    clusters = [json.loads(line) for line in run.copies.read_text(encoding="utf-8").splitlines()]
    wanted = {m for c in clusters for m, _ in c["members"]}
    named = lookup.names_of(run.layout, run.index, wanted)
    lines = []
    for c in clusters:
        rep = named[c["representative"]]
        members = [{"id": named[m][0], "url": named[m][1], "similarity": sim} for m, sim in c["members"]]
        lines.append(json.dumps({"cluster": c["cluster"], "lang": c["lang"], "representative": rep[0],
                                 "members": members}, ensure_ascii=False) + "\n")
    path = run.layout.output("copies.jsonl")
    atomic_lines(path, lines)
    return path


def summary(run: Run) -> dict:
    """The run's counts, as run.json and `--json` give them (what the phases so far found)."""
    read: dict = {}
    for st in run.read_stats:
        add_stats(read, st)
    warnings = read.get("warnings_by_type", {})
    if run.duplicates:
        warnings = warnings | {"duplicate_id": run.duplicates}
    return {
        "documents_read": read.get("documents", 0) + read.get("failed", 0),
        "documents_kept": read.get("documents", 0), "documents_failed": read.get("failed", 0),
        "failed_by_type": read.get("failed_by_type", {}), "warnings_by_type": dict(sorted(warnings.items())),
        "languages": read.get("languages", {}),
        "encoders": run.embed_stats.get("encoders", {}),
        "sentences_embedded": run.embed_stats.get("sentences_embedded", 0),
        "candidates": run.n_candidates, "decisions_reused": run.decisions_reused, "linked_candidates": run.n_linked,
        "candidate_search": run.search_stats,
        **(run.select_stats or {"document_pairs": 0, "sentence_pairs": 0}),
        **({"bitext_filter": run.bitext_filter} if run.bitext_filter is not None else {}),
        **({"copies": run.copies_stats} if run.copies_stats is not None else {}),
    }


def output_settings(run: Run) -> dict:
    """What the output files depend on beyond the signature: the output settings, and the selected pairs
    (a grown run has more)."""
    return to_dict(run.config.output) | {"pairs": run.pairs.name}


@dataclass(frozen=True, slots=True)
class Write(Phase):
    """The output files (unless a finished run wrote them with these settings), then the manifest."""

    name: ClassVar[str] = "write"
    stage: ClassVar[str] = "write"
    local: ClassVar[bool] = True

    run: Run  # a local phase: it runs in the driver, with the run at hand

    @classmethod
    def applies(cls, run: Run) -> bool:
        return not run.keep_pairs and not run.extract_only

    @classmethod
    def make(cls, run: Run) -> Write:
        return cls(run)

    def __call__(self, task) -> list[Path]:
        run = self.run
        out = run.folder.root
        previous = run.folder.manifest() or {}
        before = [out / entry["path"] for entry in previous.get("outputs", [])]
        if previous.get("signature") == run.signature and previous.get("output_settings") == output_settings(run) \
                and before and all(p.exists() for p in before):
            return before  # finished before, with these settings: nothing to write
        # run.json holds what the inputs and settings determine: not timings, not what a resumed run found
        # already done, not how it was executed
        varying = ("sentences_embedded", "decisions_reused")
        record = {"signature": run.signature, "label": run.config.label(), "config": to_dict(run.config),
                  "stats": {k: v for k, v in summary(run).items() if k not in varying}}
        written = write_outputs(run.layout, SelectedPairs(run.pairs),
                                lambda ids: lookup.documents(run.layout, run.index, ids), run.errors, record,
                                run.config.output, run.config.candidates.langs)
        if run.copies is not None:
            written.append(write_copies(run))
        for p in set(before) - set(written):  # files of formats or language pairs this run did not write
            p.unlink(missing_ok=True)
        if run.layout.bitext.is_dir() and not any(run.layout.bitext.iterdir()):
            run.layout.bitext.rmdir()
        return written

    def finish(self, run: Run, tasks: list, results: list) -> None:
        run.outputs = results[0]
        # what the bitext filter kept and rejected, as written (by this run or the finished one it found)
        run.bitext_filter = json.loads(run.layout.output("run.json").read_text(encoding="utf-8")).get("bitext_filter")
        run.folder.write_manifest(run.signature, run.written, run.outputs, output_settings(run))


@dataclass(frozen=True, slots=True)
class Extracted(Phase):
    """`twinpages extract`'s files: each kept document's main text, in run order, and the errors; then the
    manifest."""

    name: ClassVar[str] = "extracted"
    stage: ClassVar[str] = "read"
    local: ClassVar[bool] = True

    run: Run

    @classmethod
    def applies(cls, run: Run) -> bool:
        return run.extract_only

    @classmethod
    def make(cls, run: Run) -> Extracted:
        return cls(run)

    def __call__(self, task) -> list[Path]:
        run = self.run
        layout = run.layout
        records = (json.dumps(extracted_row(d), ensure_ascii=False) + "\n"
                   for d in lookup.documents(layout, run.index, None))
        atomic_lines(layout.output("documents.jsonl"), records)
        write_errors(layout.output("errors.jsonl"), run.errors)
        return [layout.output("documents.jsonl"), layout.output("errors.jsonl")]

    def finish(self, run: Run, tasks: list, results: list) -> None:
        run.outputs = results[0]
        run.folder.write_manifest(run.signature, run.written, run.outputs, {})
