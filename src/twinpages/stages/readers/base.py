"""Readers: turn input paths into Documents, and unreadable inputs into DocError records.

Inputs are files or directories (searched recursively in sorted order, so every run sees the same
documents in the same order: files.py). The format comes from the file name, else from the first bytes
(formats.py: the table of formats), and can be forced. Anything that cannot be read becomes a DocError
naming the document, and the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ...data import DocError, Document
from .errors import ReadError
from .files import list_files, read_bytes, shown
from .formats import READERS, SNIFF_BYTES, format_of
from .options import ReadConfig
from .remote import fetched, is_url


def read(inputs: Iterable[str | Path], config: ReadConfig = ReadConfig()) -> Iterator[Document | DocError]:
    """Every document of every input, or a DocError for what cannot be read."""
    for path, doc_id in list_files(inputs, config):
        yield from read_path(path, doc_id, config)


BLOCK = 256  # records per block when an archive is split into interleaved parts


def read_path(path: Path | str, doc_id: str, config: ReadConfig = ReadConfig(), part: int = 0,
              parts: int = 1, source: str | None = None) -> Iterator[Document | DocError]:
    """The documents of one input file; with ``parts`` > 1 only part ``part`` of them: the records of
    blocks ``part``, ``part + parts``, ... (an archive split across tasks; see ReadConfig.shard_bytes).
    A failure of the whole file is reported by part 0 only. ``source``: what the documents' source says
    in place of the path (a stream's copy: "stdin"). A URL is fetched first (remote.py)."""
    if is_url(path):
        yield from _read_url(str(path), doc_id, config, part, parts)
        return
    path = Path(path)
    if source is None:
        yield from _read_path(path, doc_id, config, part, parts)
        return
    prefix = shown(path)
    for item in _read_path(path, doc_id, config, part, parts):
        if item.source.startswith(prefix):  # keeps what follows the path: ":LINE", " URL"
            item = _with_source(item, source + item.source[len(prefix):])
        yield item


def _read_url(url: str, doc_id: str, config: ReadConfig, part: int, parts: int) -> Iterator[Document | DocError]:
    try:
        with fetched(url) as local:
            yield from read_path(local, doc_id, config, part, parts, source=url)
    except FileNotFoundError:
        if part == 0:
            yield DocError(doc_id, url, "read", "not_found", "no such file in its store")
    except (OSError, ValueError) as e:  # the store refused or failed (credentials, network, protocol)
        if part == 0:
            yield DocError(doc_id, url, "read", "unreadable", f"could not fetch it: {e}")


def _with_source(item: Document | DocError, source: str) -> Document | DocError:
    if isinstance(item, DocError):
        from dataclasses import replace

        return replace(item, source=source)
    item.source = source
    return item


def _read_path(path: Path, doc_id: str, config: ReadConfig, part: int, parts: int) -> Iterator[Document | DocError]:
    keep = None if parts <= 1 else (lambda k: (k // BLOCK) % parts == part)
    try:
        fmt = config.input_format or format_of(path, _head(path))
        if fmt is None:
            fmt = format_of(Path("x"), read_bytes(path, config)[:64]) or "txt"
        reader = READERS[fmt]
        if reader.splittable:
            yield from reader.read_file(path, doc_id, config, keep)
        elif part == 0:
            yield from reader.read_file(path, doc_id, config)
    except ReadError as e:
        if part == 0:
            yield DocError(doc_id, shown(path), "read", e.kind, str(e))
    except FileNotFoundError:
        if part == 0:
            what = "a symbolic link to a file that does not exist" if path.is_symlink() else "no such file"
            yield DocError(doc_id, shown(path), "read", "not_found", what)
    except OSError as e:
        if part == 0:
            what = "a folder that cannot be listed" if path.is_dir() else "a file that cannot be read"
            yield DocError(doc_id, shown(path), "read", "unreadable", f"{what}: {e.strerror or e}")


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(64)


def read_blob(data: bytes, doc_id: str, source: str, fmt: str | None = None,
              config: ReadConfig = ReadConfig()) -> Document | DocError:
    """One document from bytes held in memory (a query's body): ``fmt`` ``html`` or ``txt``, else
    sniffed from the first bytes; the same limits and decoding as a file's."""
    from .html import html_document
    from .text import text_document

    try:
        if len(data) > config.max_bytes:
            raise ReadError("too_large", f"{len(data):,} bytes is over the limit of {config.max_bytes:,} "
                                         "(--max-bytes)")
        fmt = fmt or format_of(Path("x"), data[:SNIFF_BYTES]) or "txt"
        if fmt == "html":
            return html_document(doc_id, source, data)
        if fmt != "txt":
            raise ReadError("unsupported_format", f"one document is read as HTML or text, not {fmt}")
        return text_document(doc_id, source, data)
    except ReadError as e:
        return DocError(doc_id, source, "read", e.kind, str(e))
