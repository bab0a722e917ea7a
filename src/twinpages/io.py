"""Files as the run folder needs them: atomic writes, and a sorted merge of sorted JSON-lines files.

Every file is written to ``NAME.tmp`` and renamed when complete, so a reader (a resumed run, another
worker, a user) never sees half a file: a file that exists is finished.
"""

from __future__ import annotations

import heapq
import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np


def _tmp(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


def atomic_lines(path: Path, lines: Iterable[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path)
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json(path: Path, obj) -> None:
    atomic_lines(path, [json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n"])


def atomic_npy(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path)
    with open(tmp, "wb") as f:
        np.save(f, array, allow_pickle=False)
    os.replace(tmp, path)


class ParquetRows:
    """Records (dicts keyed by the schema's names) written to a Parquet file as they come, in row groups of
    ``batch``: memory holds one group. Written to ``NAME.tmp``, renamed into place on ``close``; a file
    with no record still holds its schema (one empty row group), which every reader accepts."""

    def __init__(self, path: Path, schema, metadata: dict | None = None, batch: int = 10_000):
        import pyarrow.parquet as pq

        path.parent.mkdir(parents=True, exist_ok=True)
        if metadata:
            schema = schema.with_metadata({k: str(v) for k, v in metadata.items()})
        self.path, self.schema, self.batch = path, schema, batch
        self.tmp = _tmp(path)
        self.writer = pq.ParquetWriter(self.tmp, schema)
        self.rows: list[dict] = []
        self.n = 0

    def add(self, record: dict) -> None:
        self.rows.append(record)
        self.n += 1
        if len(self.rows) == self.batch:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
        self.rows = []

    def close(self) -> Path:
        if self.rows or self.n == 0:
            self._flush()
        self.writer.close()
        os.replace(self.tmp, self.path)
        return self.path


def read_lines(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield line


def merge_sorted_lines(paths: list[Path], key: Callable[[str], tuple], out: Path, fan_in: int = 128) -> None:
    """Merge JSON-lines files, each sorted by ``key``, into one sorted file, with at most ``fan_in``
    files open at once (intermediate merges first when there are more): memory holds one line a file."""
    paths = list(paths)
    level = 0
    while len(paths) > fan_in:
        merged = []
        for k in range(0, len(paths), fan_in):
            part = out.with_name(f"{out.name}.merge{level}-{k // fan_in:05d}")
            _merge(paths[k:k + fan_in], key, part)
            merged.append(part)
        if level > 0:
            for p in paths:
                p.unlink(missing_ok=True)
        paths, level = merged, level + 1
    _merge(paths, key, out)
    if level > 0:
        for p in paths:
            p.unlink(missing_ok=True)


def _merge(paths: list[Path], key: Callable[[str], tuple], out: Path) -> None:
    with ExitStack() as stack:
        streams = [((key(line), line) for line in _open_lines(stack, p)) for p in paths]
        atomic_lines(out, (line for _, line in heapq.merge(*streams, key=lambda kl: kl[0])))


def _open_lines(stack: ExitStack, path: Path) -> Iterator[str]:
    f = stack.enter_context(open(path, encoding="utf-8"))
    return (line for line in f if line.strip())
