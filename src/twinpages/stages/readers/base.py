"""Readers: turn input paths into Documents, and unreadable inputs into DocError records.

Inputs are files or directories (searched recursively in sorted order, so every run sees the same
documents in the same order). The format comes from the file name (``.txt``, ``.html``/``.htm``,
``.warc``, ``.jsonl``, each optionally ``.gz``), else from the first bytes, and can be forced.
Anything that cannot be read becomes a DocError naming the document, and the run goes on.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ...data import DocError, Document
from ...runfolder import MARKER, is_run_folder
from ...settings import setting

FORMATS = ("txt", "html", "warc", "jsonl")
_SUFFIXES = {".txt": "txt", ".html": "html", ".htm": "html", ".warc": "warc", ".jsonl": "jsonl", ".json": "jsonl"}


@dataclass(frozen=True, slots=True)
class ReadConfig:
    # larger documents are reported, not read: no page is that long
    max_bytes: int = setting(20_000_000, flag="--max-bytes", help="largest input document read, in bytes")
    input_format: str | None = setting(None, flag="--input-format", choices=FORMATS,
                                       help="read every input as this format (default: detect from names and bytes)")
    # Input shards: files are grouped, or a large archive split, into shards of about this many bytes (as
    # stored); each shard is one task of the read phase. A compressed archive is split into interleaved
    # parts (blocks of records), at most max_parts, each of which decompresses the whole file.
    shard_bytes: int = setting(4_000_000, flag="--shard-bytes", help="input bytes per read shard")
    max_parts: int = 16


class ReadError(Exception):
    """A document-level read failure with a short kind ("decode", "binary", "truncated_gzip", ...)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def format_of(path: Path, head: bytes = b"") -> str | None:
    """The input format from the name, else from the first bytes; None when neither tells."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = Path(name).suffix
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    if head.startswith(b"\x1f\x8b"):
        return None  # compressed without a telling name: the caller sniffs the decompressed bytes
    start = head.lstrip()[:16].lower()
    if start.startswith(b"warc/"):
        return "warc"
    if start.startswith(b"{"):
        return "jsonl"
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "html"
    return None


def list_files(inputs: Iterable[str | Path], config: ReadConfig = ReadConfig()) -> list[tuple[Path, str]]:
    """(path, document id prefix) for every input file; ids are paths relative to the input argument.
    Directories contribute the files whose name gives a format; a named file is always read. A twinpages
    run folder (runfolder.MARKER) is never read: named, it is an error; inside a directory, it is skipped."""
    out = []
    for arg in inputs:
        root = Path(arg)
        if is_run_folder(root):
            raise ValueError(f"{root} is a twinpages run folder (it has {MARKER}): its files are outputs, "
                             "never read as input")
        if root.is_dir():
            runs = [p.parent for p in root.rglob(MARKER)]  # output folders inside an input folder
            for p in sorted(root.rglob("*")):
                if p.is_file() and (config.input_format or format_of(p)) and not any(r in p.parents for r in runs):
                    out.append((p, p.relative_to(root).as_posix()))
        else:
            out.append((root, root.name))
    seen: dict[str, int] = {}
    unique = []
    for p, doc_id in out:  # the same relative name under two inputs: keep both, distinguishable
        n = seen.get(doc_id, 0)
        seen[doc_id] = n + 1
        unique.append((p, doc_id if n == 0 else f"{doc_id}#{n}"))
    return unique


def read_bytes(path: Path, config: ReadConfig) -> bytes:
    """The file's bytes, decompressed when gzipped; raises ReadError for too large or truncated files."""
    size = path.stat().st_size
    if size > config.max_bytes:
        raise ReadError("too_large", f"{size:,} bytes is over the limit of {config.max_bytes:,} (--max-bytes)")
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            # bounded: a small compressed file must not expand past the limit either
            with gzip.GzipFile(fileobj=_Bytes(data)) as f:
                data = f.read(config.max_bytes + 1)
        except (EOFError, gzip.BadGzipFile, zlib.error) as e:
            raise ReadError("truncated_gzip", f"gzip data is damaged or cut short ({e})") from None
        if len(data) > config.max_bytes:
            raise ReadError("too_large", f"decompresses to over {config.max_bytes:,} bytes (--max-bytes)")
    return data


def _Bytes(data: bytes):
    import io

    return io.BytesIO(data)


def decode(data: bytes, declared: str | None = None, strict_utf8: bool = False) -> str:
    """Bytes to text: the declared charset if it works, else UTF-8, else a detected encoding.
    Binary content (NUL bytes) is refused; with ``strict_utf8``, non-UTF-8 is refused too."""
    if b"\x00" in data[:8192]:
        raise ReadError("binary", "binary content (NUL bytes), not text")
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if strict_utf8:
            raise ReadError("decode", f"not valid UTF-8 ({e.reason} at byte {e.start})") from None
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    return bytes_to_str(data, detect_encoding(data))


def read(inputs: Iterable[str | Path], config: ReadConfig = ReadConfig()) -> Iterator[Document | DocError]:
    """Every document of every input, or a DocError for what cannot be read."""
    for path, doc_id in list_files(inputs, config):
        yield from read_path(path, doc_id, config)


BLOCK = 256  # records per block when an archive is split into interleaved parts


def read_path(path: Path, doc_id: str, config: ReadConfig = ReadConfig(), part: int = 0,
              parts: int = 1) -> Iterator[Document | DocError]:
    """The documents of one input file; with ``parts`` > 1 only part ``part`` of them: the records of
    blocks ``part``, ``part + parts``, ... (an archive split across tasks; see ReadConfig.shard_bytes).
    A failure of the whole file is reported by part 0 only."""
    from . import html, jsonl, text, warc

    readers = {"txt": text.read_file, "html": html.read_file, "warc": warc.read_file, "jsonl": jsonl.read_file}
    keep = None if parts <= 1 else (lambda k: (k // BLOCK) % parts == part)
    try:
        fmt = config.input_format or format_of(path, _head(path))
        if fmt is None:
            fmt = format_of(Path("x"), read_bytes(path, config)[:64]) or "txt"
        if fmt in ("jsonl", "warc"):
            yield from readers[fmt](path, doc_id, config, keep)
        elif part == 0:
            yield from readers[fmt](path, doc_id, config)
    except ReadError as e:
        if part == 0:
            yield DocError(doc_id, str(path), "read", e.kind, str(e))
    except FileNotFoundError:
        if part == 0:
            yield DocError(doc_id, str(path), "read", "not_found", "no such file")
    except OSError as e:
        if part == 0:
            yield DocError(doc_id, str(path), "read", "unreadable", str(e))


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(64)
