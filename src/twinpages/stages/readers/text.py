"""Plain-text line dumps (the seeds' format): one document per file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ...data import DocError, Document
from .decoding import decode
from .errors import ReadError
from .files import read_bytes, shown
from .options import ReadConfig


def read_file(path: Path, doc_id: str, config: ReadConfig) -> Iterator[Document | DocError]:
    notes: list = []
    doc = text_document(doc_id, shown(path), read_bytes(path, config, notes))
    doc.warnings += notes
    yield doc


def text_document(doc_id: str, source: str, data: bytes) -> Document:
    text, repaired = decode(data)
    if not text.strip():
        raise ReadError("empty", "no text")
    doc = Document(id=doc_id, raw=text, source=source)
    if repaired:
        doc.warnings.append(("decode_repaired", repaired))
    return doc
