"""Documents of a run by id or address: what `add` (carried decisions), the output writers, `query` and
`serve` look up. Each reads the documents shards' small columns shard by shard, never a whole shard's
documents unless they hold one that is wanted."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..data import Document
from .layout import Layout
from .shards import ShardIndex, read_documents, read_table, shard_ids


def documents(layout: Layout, index: ShardIndex, ids: set[str] | None) -> Iterator[Document]:
    """The documents with these ids (None: all), in run order, reading only the shards' id column for
    the others."""
    renames = index.renames()
    for k, name in enumerate(index.names):
        path = layout.documents(name)
        if ids is not None and not ids.intersection(shard_ids(path, renames.get(k))):
            continue
        for doc in read_documents(path, renames.get(k)):
            if ids is None or doc.id in ids:
                yield doc


def numbers(layout: Layout, index: ShardIndex, ids: Iterable[str]) -> dict[str, int]:
    """The run-wide numbers of the documents with these ids, reading the id column of one shard at a time."""
    ids = set(ids)
    renames = index.renames()
    out: dict[str, int] = {}
    for k, name in enumerate(index.names):
        for row, doc_id in enumerate(shard_ids(layout.documents(name), renames.get(k))):
            if doc_id in ids:
                out[doc_id] = index.bases[k] + row
    return out


def names_of(layout: Layout, index: ShardIndex, wanted: Iterable[int]) -> dict[int, tuple[str, str]]:
    """(id, URL else source) of the documents with these run-wide numbers, reading only the shards that
    hold one."""
    wanted = set(wanted)
    renames = index.renames()
    out: dict[int, tuple[str, str]] = {}
    for k, name in enumerate(index.names):
        lo, hi = index.bases[k], index.bases[k + 1]
        if not any(lo <= n < hi for n in wanted):
            continue
        path = layout.documents(name)
        table = read_table(path, ["url", "source"])
        ids = shard_ids(path, renames.get(k))
        urls, sources = table.column("url").to_pylist(), table.column("source").to_pylist()
        for n in wanted:
            if lo <= n < hi:
                out[n] = (ids[n - lo], urls[n - lo] or sources[n - lo])
    return out


def addresses(layout: Layout, index: ShardIndex) -> dict[str, int]:
    """Every document's number by id and by the address a pair shows for it (its URL, else the path it was
    read from: Document.name); an id wins over an address."""
    by_id, by_address = {}, {}
    renames = index.renames()
    for k, name in enumerate(index.names):
        path = layout.documents(name)
        table = read_table(path, ["url", "source"])
        rows = zip(shard_ids(path, renames.get(k)), table.column("url").to_pylist(),
                   table.column("source").to_pylist(), strict=True)
        for row, (doc_id, url, source) in enumerate(rows):
            by_id[doc_id] = index.bases[k] + row
            if url or source:
                by_address.setdefault(url or source, index.bases[k] + row)
    return by_address | by_id
