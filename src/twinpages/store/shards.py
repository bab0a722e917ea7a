"""Prepared documents and their vectors on disk, one shard per input shard.

A documents shard is a Parquet table, one row per document: its content key (a hash of id, source, URL
and text: what the run keys work by), the id users see, where it came from, its language, its lines with
the extractor's verdicts, its main text and its sentences. Vectors are NumPy files per encoder and shard
(sentence vectors, their offsets, one vector per document), which workers memory-map: reading one
document's sentence vectors costs a page or two, not the shard.

Documents are numbered across the run: shard after shard, row after row (``ShardIndex``). The candidate
search and the decisions refer to documents by that number.
"""

from __future__ import annotations

import bisect
import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import Candidates, Document
from ..io import ParquetRows, atomic_npy
from ..schemas import (
    candidates_from_table,
    candidates_to_table,
    document_from_shard_row,
    document_shard_schema,
    document_to_shard_row,
)


def content_key(doc: Document) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in (doc.id, doc.source, doc.url or "", doc.html or doc.raw):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


class DocumentsWriter:
    """A documents shard written in row groups as documents come: memory holds one group."""

    def __init__(self, path: Path, group: int = 1024):
        self.rows = ParquetRows(path, document_shard_schema(), batch=group)

    @property
    def n(self) -> int:
        return self.rows.n

    def add(self, doc: Document, key: str, group: str) -> None:
        self.rows.add(document_to_shard_row(doc, key, group))

    def close(self) -> None:
        self.rows.close()


def read_table(path: Path, columns: list[str] | None = None):
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=columns)


def shard_ids(path: Path, renames: dict[int, str] | None = None) -> list[str]:
    """A documents shard's ids in this run (``renames``: row -> id, ShardIndex.renames), reading only the
    id column."""
    ids = read_table(path, ["id"]).column("id").to_pylist()
    for row, new in (renames or {}).items():
        ids[row] = new
    return ids


def read_documents(path: Path, renames: dict[int, str] | None = None) -> Iterator[Document]:
    """The shard's documents in order; ``renames``: row -> id, for ids made unique (ShardIndex.renames)."""
    import pyarrow.parquet as pq

    row = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=512):
        for r in batch.to_pylist():
            doc = document_from_shard_row(r)
            if renames:
                doc.id = renames.get(row, doc.id)
            row += 1
            yield doc


# --- vectors ------------------------------------------------------------------------------------------

def write_candidates(path: Path, cands: Candidates) -> None:
    import os

    import pyarrow.parquet as pq

    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(candidates_to_table(cands), tmp)
    os.replace(tmp, path)


def read_candidates(path: Path) -> Candidates:
    return candidates_from_table(read_table(path))


class VectorsWriter:
    """One encoder's vectors of a shard, written as the documents come (their number of sentences
    known up front, from the documents shard): sentence vectors straight to the .npy file, so memory
    holds one batch; offsets and document vectors (one row a document: small) at the end."""

    def __init__(self, paths: tuple[Path, Path, Path], encoder: str, sentence_counts: np.ndarray, dim: int,
                 dtype: str = "float32"):
        from numpy.lib import format as npy

        self.paths = paths  # Layout.vectors: sentence vectors, offsets, document vectors
        self.paths[0].parent.mkdir(parents=True, exist_ok=True)
        self.encoder, self.dim, self.dtype = encoder, dim, np.dtype(dtype)  # dtype: EmbedConfig.vectors
        self.counts = np.asarray(sentence_counts, np.int64)  # 0 for documents this encoder does not embed
        self.doc_vectors = np.zeros((len(self.counts), dim), self.dtype)
        self.tmp = self.paths[0].with_name(self.paths[0].name + ".tmp")
        self.f = open(self.tmp, "wb")
        npy.write_array_header_1_0(self.f, {"descr": npy.dtype_to_descr(self.dtype), "fortran_order": False,
                                            "shape": (int(self.counts.sum()), dim)})
        self.row = 0

    def add(self, doc: Document) -> None:
        from ..stages.embed import document_vector

        v = doc.embeddings.get(self.encoder)
        n = 0 if v is None else len(v)
        if n != self.counts[self.row]:
            raise ValueError(f"{doc.id}: {n} {self.encoder} vectors, {self.counts[self.row]} expected")
        if n:
            self.f.write(np.ascontiguousarray(v, self.dtype).tobytes())
            self.doc_vectors[self.row] = document_vector(doc, self.encoder)
        self.row += 1

    def close(self) -> list[Path]:
        import os

        self.f.close()
        os.replace(self.tmp, self.paths[0])
        offsets = np.concatenate([[0], np.cumsum(self.counts)]).astype(np.int64)
        atomic_npy(self.paths[1], offsets)
        atomic_npy(self.paths[2], self.doc_vectors)  # written last: its presence marks the three as complete
        return list(self.paths)


# --- reading documents by run-wide number ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ShardIndex:
    """The run's documents shards in order, with the number of each shard's first document."""

    names: tuple[str, ...]
    bases: tuple[int, ...]  # len(names) + 1: bases[-1] is the number of documents
    renamed: tuple[tuple[int, int, str], ...] = ()  # (shard position, row, id): repeated ids made unique (ids.py)

    @classmethod
    def from_counts(cls, names: Iterable[str], counts: Iterable[int]) -> ShardIndex:
        bases = [0]
        for n in counts:
            bases.append(bases[-1] + n)
        return cls(tuple(names), tuple(bases))

    def locate(self, number: int) -> tuple[int, int]:
        """(shard position, row) of a document number."""
        k = bisect.bisect_right(self.bases, number) - 1
        return k, number - self.bases[k]

    def __len__(self) -> int:
        return self.bases[-1]

    def renames(self) -> dict[int, dict[int, str]]:
        """Per shard position: row -> the document's id in this run (where it is not the stored one)."""
        out: dict[int, dict[int, str]] = {}
        for k, row, new in self.renamed:
            out.setdefault(k, {})[row] = new
        return out


class DocReader:
    """Documents by run-wide number, with their sentence vectors, for the workers that decide candidate
    pairs. Holds a few shards' tables (Arrow, compact) and recently used documents; vectors are
    memory-mapped."""

    def __init__(self, layout, index: ShardIndex, encoders: tuple[str, ...], tables: int = 8, documents: int = 2048):
        self.layout, self.index, self.encoders = layout, index, encoders
        self._tables: OrderedDict[int, object] = OrderedDict()
        self._docs: OrderedDict[int, Document] = OrderedDict()
        self._vectors: dict[tuple[str, int], tuple | None] = {}
        self.n_tables, self.n_docs = tables, documents
        self.renames = index.renames()

    def __getitem__(self, number: int) -> Document:
        doc = self._docs.get(number)
        if doc is not None:
            self._docs.move_to_end(number)
            return doc
        k, row = self.index.locate(number)
        doc = document_from_shard_row(self._table(k).slice(row, 1).to_pylist()[0])
        doc.id = self.renames.get(k, {}).get(row, doc.id)
        for name in self.encoders:
            vectors = self._vector_files(name, k)
            if vectors is not None:
                path, layout, offsets = vectors
                a, b = int(offsets[row]), int(offsets[row + 1])
                if b > a:
                    doc.embeddings[name] = _read_rows(path, layout, a, b)
        self._docs[number] = doc
        if len(self._docs) > self.n_docs:
            self._docs.popitem(last=False)
        return doc

    def _table(self, k: int):
        table = self._tables.get(k)
        if table is None:
            table = read_table(self.layout.documents(self.index.names[k]))
            self._tables[k] = table
            if len(self._tables) > self.n_tables:
                self._tables.popitem(last=False)
        else:
            self._tables.move_to_end(k)
        return table

    def _vector_files(self, encoder: str, k: int):
        """(path, where the rows start, dim, offsets) of a shard's sentence vectors: rows are read with
        one positioned read each, not memory-mapped (mapped pages would count as the worker's memory)."""
        key = (encoder, k)
        if key not in self._vectors:
            sent, offsets, _ = self.layout.vectors(encoder, self.index.names[k])
            self._vectors[key] = (sent, _npy_layout(sent), np.load(offsets)) if sent.exists() else None
        return self._vectors[key]


def _npy_layout(path: Path) -> tuple[int, int, np.dtype]:
    """(byte offset of the data, row width, dtype) of a 2-D .npy file."""
    from numpy.lib import format as npy

    with open(path, "rb") as f:
        major, _ = npy.read_magic(f)
        read_header = npy.read_array_header_1_0 if major == 1 else npy.read_array_header_2_0
        shape, _, dtype = read_header(f)
        return f.tell(), shape[1], dtype


def _read_rows(path: Path, layout: tuple[int, int, np.dtype], a: int, b: int) -> np.ndarray:
    """Rows [a, b) of a vectors file, as float32 (the file may hold float16: EmbedConfig.vectors)."""
    import os

    start, dim, dtype = layout
    width = dim * dtype.itemsize
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.pread(fd, (b - a) * width, start + a * width)
    finally:
        os.close(fd)
    return np.frombuffer(data, dtype).reshape(b - a, dim).astype(np.float32)
