"""Input shards: the read phase's tasks, made from file metadata alone (nothing is read here).

Small files (a page each) are grouped into shards of about ``ReadConfig.shard_bytes``; a large archive
(JSONL, WARC) is split into interleaved parts, each of which reads the records of every ``parts``-th
block. A shard's name carries a digest of its files' paths, sizes and modification times: an edited
input makes a new shard, whose work is done again.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..data import DocError, Document
from ..stages.readers import READERS, ReadConfig, format_of, list_files, read_path
from ..stages.readers.remote import is_url, stat_url, url_name

MAX_FILES = 1000  # files per shard, whatever their size


@dataclass(frozen=True, slots=True)
class InputShard:
    number: int
    # (path, document id prefix), or (path, id prefix, source): a stream copied into the run folder is
    # shown by its own name ("stdin"), not by where the copy is kept
    files: tuple[tuple[str, ...], ...]
    digest: str
    part: int = 0
    parts: int = 1
    size: int = 0  # bytes as stored (for progress)

    @property
    def name(self) -> str:
        return f"{self.number:05d}-{self.digest}"


def _stat(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
        return st.st_size, st.st_mtime_ns
    except OSError:
        return 0, 0  # the reader reports it (not_found, unreadable)


def plan_shards(inputs: Iterable[str | Path], config: ReadConfig = ReadConfig(),
                sources: dict[str, str] | None = None) -> list[InputShard]:
    """``sources``: for the files that are copies of streams, what their documents' source shows."""
    sources = sources or {}
    shards: list[InputShard] = []
    group: list[tuple[str, str, int, int]] = []
    group_bytes = 0

    def emit(files, part=0, parts=1):
        h = hashlib.blake2b(digest_size=6)
        for path, doc_id, size, mtime in files:
            h.update(f"{path}\t{doc_id}\t{size}\t{mtime}\n".encode("utf-8", "surrogateescape"))
        h.update(f"{part}/{parts}".encode())
        listed = tuple((p, i, sources[p]) if p in sources else (p, i) for p, i, _, _ in files)
        shards.append(InputShard(len(shards), listed, h.hexdigest(), part, parts, sum(f[2] for f in files) // parts))

    for path, doc_id in list_files(inputs, config):
        remote = is_url(path)
        size, mtime = stat_url(path) if remote else _stat(path)
        fmt = config.input_format or format_of(url_name(path) if remote else path)
        entry = (str(path), doc_id, size, mtime)
        # a remote archive is one task: each part would fetch the whole file
        if (fmt is None or READERS[fmt].splittable) and size > config.shard_bytes and not remote:
            if group:
                emit(group)
                group, group_bytes = [], 0
            parts = min(config.max_parts, math.ceil(size / config.shard_bytes))
            for part in range(parts):
                emit([entry], part, parts)
            continue
        group.append(entry)
        group_bytes += size
        if group_bytes >= config.shard_bytes or len(group) >= MAX_FILES:
            emit(group)
            group, group_bytes = [], 0
    if group:
        emit(group)
    return shards


def read_shard(shard: InputShard, config) -> Iterator[Document | DocError]:
    """An input shard's documents (or the errors that stand for them), in order."""
    for path, doc_id, *source in shard.files:
        yield from read_path(path if is_url(path) else Path(path), doc_id, config.read, shard.part, shard.parts,
                             *source)
