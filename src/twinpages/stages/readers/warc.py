"""WARC archives (plain or gzipped), read with FastWARC: each HTML response record is a document,
with its target URI as URL. A record cut short (a truncated download) becomes a DocError, and the
records before it are kept."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from ...data import DocError, Document
from .base import ReadConfig, ReadError, shown
from .html import html_document

_CHARSET = re.compile(r"charset=([\w-]+)", re.IGNORECASE)


def read_file(path: Path, doc_id: str, config: ReadConfig,
              keep: Callable[[int], bool] | None = None) -> Iterator[Document | DocError]:
    """The archive's documents; with ``keep``, only response records whose 0-based number it accepts."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    n_records = 0
    with open(path, "rb") as f:
        try:
            for record in ArchiveIterator(f, record_types=WarcRecordType.response, parse_http=False):
                n_records += 1
                if keep is not None and not keep(n_records - 1):
                    continue
                rec_id = f"{doc_id}#{record.record_id}"
                url = record.headers.get("WARC-Target-URI")
                try:
                    yield _record_document(record, rec_id, shown(path), url, config)
                except ReadError as e:
                    yield DocError(rec_id, f"{shown(path)} {url}", "read", e.kind, str(e))
        except (OSError, ValueError, RuntimeError) as e:  # FastWARC's stream errors
            raise ReadError("truncated_warc", f"archive damaged after {n_records} records ({e})") from None
    if path.stat().st_size and n_records == 0 and not _looks_like_warc(path) and (keep is None or keep(0)):
        raise ReadError("not_warc", "no WARC records found")


def _record_document(record, rec_id: str, source: str, url: str | None, config: ReadConfig) -> Document:
    block = record.reader.read(config.max_bytes + 1)
    if len(block) > config.max_bytes:
        raise ReadError("too_large", f"record over {config.max_bytes:,} bytes (--max-bytes)")
    if len(block) < record.content_length:
        raise ReadError("truncated_warc", f"record has {len(block):,} of {record.content_length:,} bytes")
    head, sep, body = block.partition(b"\r\n\r\n")
    if not sep:
        raise ReadError("malformed_warc", "no HTTP header in the response record")
    content_type = ""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-type":
            content_type = value.strip().decode("latin-1")
    if content_type and "html" not in content_type.lower():
        raise ReadError("not_html", f"content type {content_type!r}")
    m = _CHARSET.search(content_type)
    return html_document(rec_id, source, body, url=url, charset=m.group(1) if m else None)


def _looks_like_warc(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(8)
    return head.startswith(b"WARC/") or head.startswith(b"\x1f\x8b")
