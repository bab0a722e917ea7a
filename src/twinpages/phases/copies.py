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
from ..store.shards import ShardIndex, read_table
from .base import Phase, Run, documents_shard, load_stats, save_stats

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

    def reads(self, name: str) -> tuple[str, ...]:
        return documents_shard(self.root, name)

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

    def __call__(self, task: str) -> dict:
        store = CopiesShards(Layout(self.root), ShardIndex(self.names, self.bases))
        edges: set[tuple[int, int]] = set()
        for j in range(BUCKETS):
            keys, numbers = store.bucket(j)
            edges |= candidate_edges(keys, numbers)
        linked = [(a, b) for a, b in sorted(edges) if store.containment(a, b) >= self.config.copies.threshold]
        lines, documents = [], 0
        for k, members in enumerate(clusters(linked)):
            representative = max(members, key=lambda m: (store.fact(m, "lengths"), -m))
            lines.append(json.dumps({"cluster": k, "lang": str(store.fact(representative, "langs")),
                                     "representative": representative,
                                     "members": [[m, round(store.containment(representative, m), 4)]
                                                 for m in members]}) + "\n")
            documents += len(members)
        atomic_lines(Path(self.output), lines)
        stats = {"clusters": len(lines), "documents": documents}
        write_json(with_stats(self.output), stats)
        return stats

    def finish(self, run: Run, tasks: list, results: list) -> None:
        run.copies = Path(self.output)
        run.copies_stats = load_stats(with_stats(self.output)) or {}


class CopiesShards:
    """What SignCopies wrote, read by run-wide document number (the clustering step, `query`): band keys a
    bucket at a time, signatures memory-mapped row by row, a shard's small facts loaded once it is needed
    (an NpzFile reads its whole array at every access). A shard without them (a run mined with
    --no-copies) has no keys and no signatures."""

    def __init__(self, layout: Layout, index: ShardIndex):
        self.layout, self.index = layout, index
        self._shards: dict[int, tuple[np.ndarray, dict] | None] = {}

    def bucket(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Every shard's (band key, document number) rows of bucket ``j``, sorted by key."""
        parts = [np.load(p) for name in self.index.names if (p := self.layout.copies_keys(name, j)).exists()]
        rows = np.concatenate(parts) if parts else np.zeros((0, 2), np.uint64)
        order = np.argsort(rows[:, 0], kind="stable")
        return rows[order, 0], rows[order, 1].astype(np.int64)

    def _shard(self, number: int) -> tuple[tuple[np.ndarray, dict] | None, int]:
        k, row = self.index.locate(number)
        if k not in self._shards:
            sig_path, facts_path = self.layout.copies_signatures(self.index.names[k])
            self._shards[k] = None
            if facts_path.exists():
                with np.load(facts_path) as f:
                    self._shards[k] = (np.load(sig_path, mmap_mode="r"), {key: f[key] for key in f.files})
        return self._shards[k], row

    def fact(self, number: int, what: str):
        """A document's ``lengths``, ``shingles``, ``langs`` or ``signed``."""
        shard, row = self._shard(number)
        return shard[1][what][row].item()

    def signature(self, number: int) -> tuple[np.ndarray | None, int]:
        """(signature, shingle count) of a document; (None, 0) where it has none (too short, or no copies)."""
        shard, row = self._shard(number)
        if shard is None or not shard[1]["signed"][row]:
            return None, 0
        return np.asarray(shard[0][row]), int(shard[1]["shingles"][row])

    def containment(self, a: int, b: int) -> float:
        (sig_a, size_a), (sig_b, size_b) = self.signature(a), self.signature(b)
        return containment(sig_a, sig_b, size_a, size_b)
