"""WARC archives (plain, gzipped or zstd-compressed), read with FastWARC: each HTML response record is a document, with
its target URI as URL, and so is each HTML ``resource`` record (a page archived without its HTTP
exchange: its block is the page); a text/plain resource is a line dump, and so is each ``conversion``
record (CommonCrawl's WET files: a page's text as lines, with its URL). A document's source points at its
record: ``FILE:OFFSET``, the record's offset in the file as stored (a gzip member's start; in a
``.warc.zst``, the offset in the decompressed stream), and its WARC-Date is when it was crawled. A record
cut short (a truncated download) becomes a DocError, and the records before it are kept. An archive that
holds no page at all is one error record for the file: ``empty`` (no bytes), ``no_documents`` (WARC
records, none of them a response or resource) or ``not_warc`` (no WARC at all)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from ...data import DocError, Document
from ..dates import crawl_date
from .errors import ReadError
from .files import DAMAGED, ZSTD_MAGIC, damaged, open_input, shown
from .html import html_document
from .options import ReadConfig
from .text import text_document

_CHARSET = re.compile(r"charset=([\w-]+)", re.IGNORECASE)


def read_file(path: Path, doc_id: str, config: ReadConfig,
              keep: Callable[[int], bool] | None = None) -> Iterator[Document | DocError]:
    """The archive's documents; with ``keep``, only page records whose 0-based number it accepts."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    n_records = 0
    with _open_archive(path) as f:
        try:
            pages = WarcRecordType.response | WarcRecordType.resource | WarcRecordType.conversion
            for record in ArchiveIterator(f, record_types=pages, parse_http=False):
                n_records += 1
                if keep is not None and not keep(n_records - 1):
                    continue
                rec_id = f"{doc_id}#{record.record_id}"
                url = record.headers.get("WARC-Target-URI")
                try:  # the source points at the record: the file and the record's offset in it
                    yield record_document(record, rec_id, f"{shown(path)}:{record.stream_pos}", url, config)
                except ReadError as e:
                    yield DocError(rec_id, f"{shown(path)} {url}", "read", e.kind, str(e))
        except DAMAGED as e:  # a zstd-compressed archive (FastWARC reads gzip itself)
            raise damaged(e, f" after {n_records} records") from None
        except (OSError, ValueError, RuntimeError) as e:  # FastWARC's stream errors
            if n_records == 0 and _head(path)[:5] != b"WARC/":
                raise ReadError("not_warc", f"no WARC records found: the file does not begin with a WARC "
                                            f"record ({e})") from None
            raise ReadError("truncated_warc", f"archive damaged after {n_records} records ({e})") from None
    if n_records == 0 and (keep is None or keep(0)):
        head = _head(path)
        if not head:
            raise ReadError("empty", "no bytes" + (" in the gzip data" if path.stat().st_size else ""))
        if head[:5] != b"WARC/":
            raise ReadError("not_warc", "no WARC records found: the file does not begin with a WARC record")
        raise ReadError("no_documents", "no response, resource or conversion record in the archive (only other WARC "
                                        "records, such as warcinfo or request): no page to read")


def _open_archive(path: Path):
    """The archive as FastWARC reads it: the file itself (FastWARC reads gzip and plain WARC), or its
    decompressed bytes when it is zstd-compressed (``.warc.zst``)."""
    with open(path, "rb") as f:
        zstd = f.read(4) == ZSTD_MAGIC
    return _ForwardSeek(open_input(path)) if zstd else open(path, "rb")


class _ForwardSeek(io.RawIOBase):
    """A stream that FastWARC may seek: it seeks only forward (past a record's block), which reading and
    dropping the bytes does; a seek backwards is an error, not a silent re-read."""

    def __init__(self, f):
        self.f, self.at = f, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.at

    def readinto(self, buffer) -> int:
        n = self.f.readinto(buffer)
        self.at += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset if whence == io.SEEK_SET else self.at + offset if whence == io.SEEK_CUR else -1
        if target < self.at:
            raise io.UnsupportedOperation("a compressed stream seeks forward only")
        while self.at < target and (data := self.f.read(min(target - self.at, 1 << 20))):
            self.at += len(data)
        return self.at

    def close(self) -> None:
        self.f.close()
        super().close()


def record_document(record, rec_id: str, source: str, url: str | None, config: ReadConfig) -> Document:
    """A response, resource or conversion record's document (ccindex.py reads single records with it), with
    the record's date as the date it was crawled."""
    doc = _record_document(record, rec_id, source, url, config)
    doc.crawled = crawl_date(record.headers.get("WARC-Date"))
    return doc


def _record_document(record, rec_id: str, source: str, url: str | None, config: ReadConfig) -> Document:
    block = record.reader.read(config.max_bytes + 1)
    if len(block) > config.max_bytes:
        raise ReadError("too_large", f"record over {config.max_bytes:,} bytes (--max-bytes)")
    if len(block) < record.content_length:
        raise ReadError("truncated_warc", f"record has {len(block):,} of {record.content_length:,} bytes")
    warc_type = record.headers.get("WARC-Type")
    if warc_type in ("resource", "conversion"):  # the block is the content itself, typed by the record
        content_type, body = record.headers.get("Content-Type") or "", block
    else:
        head, sep, body = block.partition(b"\r\n\r\n")
        if not sep:
            raise ReadError("malformed_warc", "no HTTP header in the response record")
        content_type = ""
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-type":
                content_type = value.strip().decode("latin-1")
    m = _CHARSET.search(content_type)
    kind = content_type.split(";")[0].strip().lower()
    if kind == "text/plain" and warc_type in ("resource", "conversion"):
        doc = text_document(rec_id, source, body)
        doc.url = url
        return doc
    if content_type and "html" not in kind:
        raise ReadError("not_html", f"content type {content_type!r}")
    return html_document(rec_id, source, body, url=url, charset=m.group(1) if m else None)


def _head(path: Path) -> bytes:
    """The archive's first bytes, decompressed (b"" for an empty file or empty gzip data)."""
    try:
        with open_input(path) as f:
            return f.read(8)
    except DAMAGED:
        return b"?"  # damaged gzip data: not empty, and not known to be a WARC
