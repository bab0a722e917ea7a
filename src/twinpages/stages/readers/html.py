"""HTML pages: one document per file; the extraction stage finds the main text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ...data import DocError, Document
from .base import ReadConfig, ReadError, decode, read_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)
_CANONICAL = re.compile(r"""<link[^>]+rel=["']canonical["'][^>]*href=["']([^"']+)""", re.IGNORECASE)


def declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii", "ignore") if m else None


def html_document(doc_id: str, source: str, data: bytes, url: str | None = None,
                  charset: str | None = None) -> Document:
    html = decode(data, charset or declared_charset(data))
    if not html.strip():
        raise ReadError("empty", "no content")
    if url is None:
        m = _CANONICAL.search(html[:20000])
        url = m.group(1) if m else None
    return Document(id=doc_id, raw="", source=source, url=url, html=html)


def read_file(path: Path, doc_id: str, config: ReadConfig) -> Iterator[Document | DocError]:
    yield html_document(doc_id, str(path), read_bytes(path, config))
