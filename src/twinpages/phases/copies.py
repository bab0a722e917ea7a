"""Near-copies in one language (stages/copies.py), found before embedding: a MinHash signature per
document, band keys spread into buckets per documents shard (one task a shard, like the line counts),
then one step that takes the buckets one at a time (memory: one bucket's keys), links the documents that
share a key and are similar enough, and writes the clusters. Nothing here changes what is embedded or
decided: the clusters are an output (OUT/copies.jsonl) and counts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..io import atomic_lines, write_json
from ..stages.copies import band_keys, candidate_edges, clusters, containment, shingle_count, signature
from ..store import Layout, digest
from ..store.layout import with_stats
from ..store.shards import read_table
from .base import Phase, Run, load_stats, save_stats

BUCKETS = 16


def _looking(run: Run) -> bool:
    return run.config.copies.enabled and not run.extract_only


@dataclass(frozen=True, slots=True)
class SignCopies(Phase):
    """Task: a documents shard -> its documents' signatures and band keys in BUCKETS parts, then its stats."""

    name: ClassVar[str] = "signed"
    record: ClassVar[str] = "copies"
    unit: ClassVar[str] = "documents"

    config: object  # PipelineConfig
    root: str
    bases: tuple[tuple[str, int], ...]  # each shard's first run-wide document number

    @classmethod
    def applies(cls, run: Run) -> bool:
        return _looking(run)

    @classmethod
    def make(cls, run: Run) -> SignCopies:
        return cls(run.work_config, run.root, tuple(zip(run.index.names, run.index.bases, strict=False)))

    def tasks(self, run: Run) -> list[str]:
        return list(run.index.names)

    def stats_path(self, name: str) -> Path:
        return Layout(self.root).stats("copies", name)

    def outputs(self, name: str) -> list[Path]:
        layout = Layout(self.root)
        return [*layout.copies_signatures(name)] + [layout.copies_keys(name, j) for j in range(BUCKETS)] + \
            [self.stats_path(name)]

    def __call__(self, name: str) -> dict:
        config = self.config.copies
        layout = Layout(self.root)
        table = read_table(layout.documents(name), ["lang", "main_text"])
        langs, texts = table.column("lang").to_pylist(), table.column("main_text").to_pylist()
        base = dict(self.bases)[name]
        sigs = np.zeros((len(texts), config.permutations), np.uint32)
        signed = np.zeros(len(texts), bool)
        sizes = np.array([shingle_count(t, config) for t in texts], np.int64)
        keys: list[list[tuple[int, int]]] = [[] for _ in range(BUCKETS)]
        for row, (lang, text) in enumerate(zip(langs, texts, strict=True)):
            sig = signature(text, config)
            if sig is None:
                continue
            sigs[row], signed[row] = sig, True
            for key in band_keys(sig, lang or "und", config):
                keys[int(key) % BUCKETS].append((int(key), base + row))
        sig_path, path = layout.copies_signatures(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(sig_path.with_suffix(".tmp.npy"), sigs)  # memory-mapped by the clustering step
        sig_path.with_suffix(".tmp.npy").replace(sig_path)
        lengths = np.array([len(t) for t in texts], np.int64)
        np.savez(path.with_suffix(".tmp.npz"), signed=signed, lengths=lengths, shingles=sizes,
                 langs=np.array([lang or "und" for lang in langs], dtype=object).astype(str))
        path.with_suffix(".tmp.npz").replace(path)
        for j, rows in enumerate(keys):
            out = layout.copies_keys(name, j)
            np.save(out.with_suffix(".tmp.npy"), np.array(rows, np.uint64).reshape(-1, 2))
            out.with_suffix(".tmp.npy").replace(out)
        stats = {"documents": len(texts), "signed": int(signed.sum())}
        save_stats(self.stats_path(name), stats)
        return stats


@dataclass(frozen=True, slots=True)
class ClusterCopies(Phase):
    """One task: every shard's band keys, a bucket at a time -> the linked documents -> the clusters."""

    name: ClassVar[str] = "clustered"
    record: ClassVar[str] = "copies"
    unit: ClassVar[str] = "buckets"

    config: object  # PipelineConfig
    root: str
    names: tuple[str, ...]
    bases: tuple[int, ...]
    output: str

    @classmethod
    def applies(cls, run: Run) -> bool:
        return _looking(run)

    @classmethod
    def make(cls, run: Run) -> ClusterCopies:
        tag = digest(*run.index.names)
        return cls(run.config, run.root, tuple(run.index.names), tuple(run.index.bases), str(run.layout.copies(tag)))

    def tasks(self, run: Run) -> list[str]:
        return ["clusters"]

    def done(self, task: str) -> bool:
        return with_stats(self.output).exists()

    def outputs(self, task: str) -> list[Path]:
        return [Path(self.output), with_stats(self.output)]

    def _shard(self, number: int) -> tuple[int, int]:
        k = int(np.searchsorted(self.bases, number, side="right")) - 1
        return k, number - self.bases[k]

    def __call__(self, task: str) -> dict:
        layout, config = Layout(self.root), self.config.copies
        edges: set[tuple[int, int]] = set()
        for j in range(BUCKETS):
            parts = [np.load(layout.copies_keys(name, j)) for name in self.names]
            rows = np.concatenate(parts) if parts else np.zeros((0, 2), np.uint64)
            edges |= candidate_edges(rows[:, 0], rows[:, 1].astype(np.int64))
        # signatures memory-mapped, read row by row for the documents an edge names; the small facts of a
        # shard loaded once it is needed (an NpzFile reads its whole array at every access)
        signatures = [np.load(layout.copies_signatures(name)[0], mmap_mode="r") for name in self.names]
        facts: dict[int, dict] = {}

        def fact(number: int, what: str):
            k, row = self._shard(number)
            if k not in facts:
                with np.load(layout.copies_signatures(self.names[k])[1]) as f:
                    facts[k] = {key: f[key] for key in f.files}
            return facts[k][what][row]

        def sig(number: int) -> np.ndarray:
            k, row = self._shard(number)
            return np.asarray(signatures[k][row])

        def size(number: int) -> int:
            return int(fact(number, "shingles"))

        def contained(a: int, b: int) -> float:
            return containment(sig(a), sig(b), size(a), size(b))

        linked = [(a, b) for a, b in sorted(edges) if contained(a, b) >= config.threshold]
        lines = []
        for k, members in enumerate(clusters(linked)):
            lengths = [int(fact(m, "lengths")) for m in members]
            representative = members[max(range(len(members)), key=lambda i: (lengths[i], -members[i]))]
            lang = str(fact(representative, "langs"))
            lines.append(json.dumps({"cluster": k, "lang": lang, "representative": representative,
                                     "members": [[m, round(contained(representative, m), 4)] for m in members]})
                         + "\n")
        atomic_lines(Path(self.output), lines)
        stats = {"clusters": len(lines), "documents": sum(len(json.loads(x)["members"]) for x in lines)}
        write_json(with_stats(self.output), stats)
        return stats

    def finish(self, run: Run, tasks: list, results: list) -> None:
        run.copies = Path(self.output)
        run.copies_stats = load_stats(with_stats(self.output)) or {}
