"""HTML pages: one document per file; the extraction stage finds the main text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ...data import DocError, Document
from ...urls import normalise_url
from .decoding import decode, html5_charset
from .errors import ReadError
from .files import read_bytes, shown
from .options import ReadConfig

_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)
_CANONICAL = re.compile(r"""<link[^>]+rel=["']canonical["'][^>]*href=["']([^"']+)""", re.IGNORECASE)
_LINK = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def alternates(html: str, url: str | None) -> list[str]:
    """The page's language versions as it declares them: ``<link rel="alternate" hreflang="..">`` (not
    x-default), and its canonical URL when that is another page; normalised, without the page itself."""
    own = normalise_url(url) if url else None
    found: list[str] = []
    for tag in _LINK.findall(html[:100_000]):
        attrs = {m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or "" for m in _ATTR.finditer(tag)}
        rel = attrs.get("rel", "").lower().split()
        wanted = ("alternate" in rel and attrs.get("hreflang") and attrs["hreflang"].lower() != "x-default") \
            or "canonical" in rel
        target = normalise_url(attrs.get("href", ""), url) if wanted else None
        if target and target != own and target not in found:
            found.append(target)
    return found


def declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii", "ignore") if m else None


def html_document(doc_id: str, source: str, data: bytes, url: str | None = None,
                  charset: str | None = None) -> Document:
    """A page's document; ``charset``: the HTTP header's, which outranks the page's own meta."""
    declared = html5_charset(charset) or html5_charset(declared_charset(data), in_meta=True)
    html, repaired = decode(data, declared)
    if not html.strip():
        raise ReadError("empty", "no content")
    if url is None:
        m = _CANONICAL.search(html[:20000])
        url = m.group(1) if m else None
    doc = Document(id=doc_id, raw="", source=source, url=url, html=html, alternates=alternates(html, url))
    if repaired:
        doc.warnings.append(("decode_repaired", repaired))
    return doc


def read_file(path: Path, doc_id: str, config: ReadConfig) -> Iterator[Document | DocError]:
    notes: list = []
    doc = html_document(doc_id, shown(path), read_bytes(path, config, notes))
    doc.warnings += notes
    yield doc
