"""Readers: turn input paths into Documents, and unreadable inputs into DocError records.

Inputs are files or directories (searched recursively in sorted order, so every run sees the same
documents in the same order). The format comes from the file name (``.txt``, ``.html``/``.htm``,
``.warc``, ``.jsonl``, each optionally ``.gz``), else from the first bytes, and can be forced.
Anything that cannot be read becomes a DocError naming the document, and the run goes on.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ...data import DocError, Document
from ...settings import setting
from ...store.folder import MARKER, is_run_folder

FORMATS = ("txt", "html", "warc", "jsonl")
SNIFF_BYTES = 1024
# what a crawl or a mirror holds besides pages: not opened to sniff
_NOT_DOCUMENTS = frozenset(".css .js .mjs .png .jpg .jpeg .gif .webp .svg .ico .pdf .zip .woff .woff2 .ttf .eot "
                           ".mp3 .mp4 .webm .avi .mov .md .py .csv .tsv .xml .rss .atom .map .lock".split())
_SURROGATE = re.compile("[\ud800-\udfff]")
_SUFFIXES = {".txt": "txt", ".html": "html", ".htm": "html", ".shtml": "html", ".xhtml": "html", ".xht": "html",
             ".warc": "warc", ".jsonl": "jsonl", ".json": "jsonl"}


@dataclass(frozen=True, slots=True)
class ReadConfig:
    # larger documents are reported, not read: no page is that long
    max_bytes: int = setting(20_000_000, flag="--max-bytes", low=1, help="largest input document read, in bytes")
    input_format: str | None = setting(None, flag="--input-format", choices=FORMATS,
                                       help="read every input as this format (default: detect from names and bytes)")
    # Input shards: files are grouped, or a large archive split, into shards of about this many bytes (as
    # stored); each shard is one task of the read phase. A compressed archive is split into interleaved
    # parts (blocks of records), at most max_parts, each of which decompresses the whole file.
    shard_bytes: int = setting(4_000_000, flag="--shard-bytes", low=1, help="input bytes per read shard")
    max_parts: int = setting(16, low=1)
    # the net under the per-stage limits (limits.py): one document's extraction, language ID and
    # splitting past this many seconds becomes a too_slow error record. An execution limit, outside
    # the run signature, like the runner's settings.
    max_doc_seconds: float = setting(60.0, flag="--max-doc-seconds", signed=False, low=0,
                                     help="time budget for analysing one document (0: none)")


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
    start = head.removeprefix(codecs.BOM_UTF8).lstrip().lower()
    if start.startswith(b"warc/"):
        return "warc"
    if start.startswith(b"{"):
        return "jsonl"
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "html"
    # an XML declaration or a comment before the page (XHTML, pages saved by wget)
    if start.startswith((b"<?xml", b"<!--", b"<!doctype")) and b"<html" in start[:SNIFF_BYTES]:
        return "html"
    return None


def shown(path: str | Path) -> str:
    """A path as text that can be written anywhere (JSON, Parquet, a terminal): a file name that is not
    UTF-8 keeps its bytes as ``\\xNN`` escapes instead of failing every writer downstream."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def list_files(inputs: Iterable[str | Path], config: ReadConfig = ReadConfig()) -> list[tuple[Path, str]]:
    """(path, document id prefix) for every input file; ids are paths relative to the input argument.
    Directories contribute the files whose name gives a format; a named file is always read. A twinpages
    run folder (runfolder.MARKER) is never read: named, it is an error; inside a directory, it is skipped.
    What cannot be listed is listed anyway, for the reader to report: a folder that cannot be opened, a
    symbolic link to nothing. Nothing under an input goes missing without a record."""
    out = []
    for arg in inputs:
        root = Path(arg)
        if is_run_folder(root):
            raise ValueError(f"{shown(root)} is a twinpages run folder (it has {MARKER}): its files are outputs, "
                             "never read as input")
        if root.is_dir():
            found = []
            for p in _walk(root):  # sockets and pipes inside a folder are not documents: skipped
                dangling = p.is_symlink() and not p.exists()
                if p.is_dir() or dangling or (p.is_file() and (config.input_format or _sniffed(p))):
                    found.append((p.relative_to(root).as_posix(), p))
            out += [(p, shown(rel)) for rel, p in sorted(found)]
        else:
            out.append((root, "stdin" if str(arg) == "-" else shown(root.name)))
    seen: dict[str, int] = {}
    unique = []
    for p, doc_id in out:  # the same relative name under two inputs: keep both, distinguishable
        n = seen.get(doc_id, 0)
        seen[doc_id] = n + 1
        unique.append((p, doc_id if n == 0 else f"{doc_id}#{n}"))
    return unique


def _sniffed(path: Path) -> str | None:
    """The format of a file found in a folder: from its name, else from its first bytes (a mirror made
    by wget has pages named ``article.php?id=17`` or ``artikel``); None for what is not a document."""
    fmt = format_of(path)
    if fmt or path.suffix.lower() in _NOT_DOCUMENTS:
        return fmt
    try:
        with open(path, "rb") as f:
            return format_of(Path("x"), f.read(SNIFF_BYTES))
    except OSError:
        return "txt"  # listed, so that the reader reports why it cannot be read


def _walk(root: Path) -> Iterator[Path]:
    """Files under ``root``, and the folders that could not be opened (as themselves), skipping run
    folders. Symbolic links to folders are not followed (a link cycle must not hang a run)."""
    failed: list[Path] = []
    for folder, dirs, files in os.walk(root, onerror=lambda e: failed.append(Path(e.filename))):
        if MARKER in files:  # an output folder inside an input folder
            dirs.clear()
            continue
        dirs.sort()
        here = Path(folder)
        for name in files:
            yield here / name
    yield from failed


def spool_streams(inputs: Iterable[str | Path], folder: Path) -> list[str | Path]:
    """The inputs, with each stream (``-`` for standard input, a pipe such as ``<(zcat x.gz)``, a device)
    copied to a file under ``folder`` first: a stream can be read once, and a run reads its inputs more
    than once (site line counts, then documents; a resumed run again). The copy keeps the stream's name,
    so its documents' ids are what they would be from a file of that name."""
    import shutil
    import stat
    import sys

    out: list[str | Path] = []
    for k, arg in enumerate(inputs):
        if str(arg) == "-":
            source, name = sys.stdin.buffer, "stdin"
        else:
            try:
                mode = os.stat(arg).st_mode
            except OSError:
                out.append(arg)  # missing or unreadable: the reader reports it
                continue
            if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
                out.append(arg)
                continue
            source, name = open(arg, "rb"), Path(arg).name  # noqa: SIM115 (closed below)
        target = folder / f"{k:04d}" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        with open(tmp, "wb") as f:
            shutil.copyfileobj(source, f, 1 << 20)
        if source is not sys.stdin.buffer:
            source.close()
        os.replace(tmp, target)
        out.append(target)
    return out


GZIP_MAGIC = b"\x1f\x8b"


class Gunzip(io.RawIOBase):
    """The bytes of a gzip file as `gzip -d` gives them: every member in turn, and bytes after the last
    member that are not another member (trailing garbage, padding) ignored, counted in ``trailing``, not
    an error. A member cut short or damaged raises EOFError or zlib.error as Python's gzip does."""

    def __init__(self, raw, chunk: int = 1 << 16):
        self.raw, self.chunk = raw, chunk
        self._inflate = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer
        self._pending = b""  # compressed bytes read and not yet given to the decompressor
        self._started = False  # the current member has begun (some of it was given)
        self._done = False
        self.trailing = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._done:
            if self._inflate.eof:
                rest = self._inflate.unused_data + self._pending
                self._pending = b""
                if len(rest) < 2:
                    rest += self.raw.read(self.chunk)
                if not rest:
                    self._done = True
                    break
                if not rest.startswith(GZIP_MAGIC):  # not another member: trailing garbage
                    self.trailing = len(rest) + _drain(self.raw, self.chunk)
                    self._done = True
                    break
                self._inflate, self._pending, self._started = zlib.decompressobj(wbits=31), rest, False
            data = self._pending or self.raw.read(self.chunk)
            self._pending = b""
            if not data:
                if self._started or self._inflate.unconsumed_tail:
                    raise EOFError("compressed file ended before the end-of-stream marker was reached")
                self._done = True  # an empty file
                break
            self._started = True
            out = self._inflate.decompress(data, len(buffer))  # bounded: a bomb expands a buffer at a time
            self._pending = self._inflate.unconsumed_tail
            if out:
                buffer[:len(out)] = out
                return len(out)
        return 0


def _drain(f, chunk: int) -> int:
    n = 0
    while data := f.read(chunk):
        n += len(data)
    return n


def open_input(path: Path):
    """A binary file object of the input's bytes, decompressed (Gunzip) when it is gzipped; the caller
    closes it. ``.gunzip`` on the result is the Gunzip (for its ``trailing``), else None."""
    raw = open(path, "rb")  # noqa: SIM115 (returned open)
    if raw.read(2) != GZIP_MAGIC:
        raw.seek(0)
        raw.gunzip = None
        return raw
    raw.seek(0)
    gunzip = Gunzip(raw)
    f = io.BufferedReader(gunzip, 1 << 16)
    f.gunzip = gunzip
    return f


def trailing_note(f) -> str | None:
    """What a gzipped input's reader ignored after its data, in words (None: nothing)."""
    g = getattr(f, "gunzip", None)
    if g is None or not g.trailing:
        return None
    return f"{g.trailing:,} bytes after the end of the gzip data were ignored (as gzip -d ignores them)"


def read_bytes(path: Path, config: ReadConfig, notes: list | None = None) -> bytes:
    """The file's bytes, decompressed when gzipped; raises ReadError for too large or truncated files.
    ``notes``: (kind, message) repairs made while reading (trailing garbage after gzip data) go there."""
    size = path.stat().st_size
    if size > config.max_bytes:
        raise ReadError("too_large", f"{size:,} bytes is over the limit of {config.max_bytes:,} (--max-bytes)")
    with open_input(path) as f:
        try:
            data = f.read(config.max_bytes + 1)  # bounded: a small compressed file must not expand past it
        except (EOFError, zlib.error) as e:
            raise ReadError("truncated_gzip", f"gzip data is damaged or cut short ({e})") from None
        note = trailing_note(f)
    if len(data) > config.max_bytes:
        raise ReadError("too_large", f"decompresses to over {config.max_bytes:,} bytes (--max-bytes)")
    if note and notes is not None:
        notes.append(("trailing_garbage", note))
    return data


# Byte-order marks, longest first (UTF-32-LE's starts with UTF-16-LE's): a BOM decides the encoding
# before anything else, as in browsers.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def html5_charset(declared: str | None, in_meta: bool = False) -> str | None:
    """A declared charset as the WHATWG encoding standard maps it (``latin1`` -> cp1252, ...); None for
    a label it does not know (``undefined``, ``rot13``: Python codecs no page means). A page's own meta
    cannot declare UTF-16 (its bytes would not be readable as ASCII to declare it): browsers read UTF-8."""
    if not declared:
        return None
    from resiliparse.parse.encoding import map_encoding_to_html5

    name = map_encoding_to_html5(declared.strip(), fallback_utf8=False)
    if name and name.startswith("utf-16") and in_meta:
        return "utf-8"
    return name


def decode(data: bytes, declared: str | None = None, strict_utf8: bool = False) -> tuple[str, str | None]:
    """Bytes to text, and a note when the text had to be repaired (else None).

    Order: a byte-order mark; the declared charset (WHATWG labels only) when the bytes decode with it;
    UTF-8; then, if some lines are good UTF-8 and others not (one stray byte, one Latin-1 line pasted
    in), each line on its own: good UTF-8 lines stay as they are, the others are decoded with the
    encoding detected for them, and the note says how many; else one encoding detected for the whole.
    Binary content (NUL bytes outside UTF-16/32) is refused; with ``strict_utf8``, non-UTF-8 is refused."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(name, "replace"), None
    name = html5_charset(declared)
    nul = b"\x00" in data[:8192]
    if name and name.startswith("utf-16"):
        if nul:  # declared by an HTTP header, and the bytes look the part
            return data.decode(name, "replace"), None
        name = None  # UTF-16 without a BOM and without NUL bytes: the declaration is wrong
    if nul:
        raise ReadError("binary", "binary content (NUL bytes), not text")
    if name and name != "utf-8":
        try:
            return data.decode(name), None
        except UnicodeError:
            pass
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as e:
        if strict_utf8:
            raise ReadError("decode", f"not valid UTF-8 ({e.reason} at byte {e.start})") from None
    return _decode_mixed(data)


# A well-formed UTF-8 sequence of two to four bytes (RFC 3629): how many a line holds tells a UTF-8 line with
# a stray byte (many, and a few bytes that fit nowhere) from a line in a legacy encoding (none, or the odd
# accidental one).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
                             rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}"
                             rb"|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}")


def _stray_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    """A codec error handler: the bytes that are not UTF-8, read as Windows-1252 (where stray bytes
    mostly come from: a Latin-1 or Windows editor), U+FFFD for the five it leaves undefined."""
    bad = error.object[error.start:error.end]
    return bad.decode("cp1252", "replace"), error.end


codecs.register_error("twinpages-stray-bytes", _stray_bytes)


def _decode_mixed(data: bytes) -> tuple[str, str | None]:
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    lines = data.splitlines(keepends=True)
    good, bad = [], []
    for k, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good.append(k)
        except UnicodeDecodeError:
            bad.append(k)
    if not good and not any(_mostly_utf8(lines[k]) for k in bad):
        return bytes_to_str(data, detect_encoding(data)), None  # one legacy encoding: nothing to repair
    out, stray = [], 0
    for line in lines:
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            if _mostly_utf8(line):  # UTF-8 with a few stray bytes: only those are decoded otherwise
                text = line.decode("utf-8", "twinpages-stray-bytes")
                stray += 1
            else:  # a line in a legacy encoding, pasted into UTF-8
                text = bytes_to_str(line, detect_encoding(line))
            out.append(text)
    where = ", ".join(str(k + 1) for k in bad[:5]) + (", ..." if len(bad) > 5 else "")
    how = [f"{stray} held stray bytes, read as Windows-1252 (the rest of the line as UTF-8)"] if stray else []
    how += [f"{len(bad) - stray} were decoded with a detected encoding"] if len(bad) > stray else []
    return "".join(out), (f"{len(bad)} of {len(lines)} lines were not UTF-8 (line {where}): {'; '.join(how)}; "
                          "the other lines as UTF-8")


def _mostly_utf8(line: bytes) -> bool:
    """Whether a line that is not valid UTF-8 is UTF-8 with stray bytes: it holds at least as many
    well-formed multi-byte sequences as bytes that belong to none."""
    sequences = _UTF8_MULTIBYTE.findall(line)
    non_ascii = sum(b >= 0x80 for b in line)
    covered = sum(len(s) for s in sequences)
    return bool(sequences) and len(sequences) >= non_ascii - covered


def replace_surrogates(text: str) -> tuple[str, int]:
    """Lone surrogates (from JSON ``\\udc00`` escapes) replaced by U+FFFD, and how many there were: no
    UTF-8 writer accepts them, so one would otherwise fail every stage that writes the document."""
    n = len(_SURROGATE.findall(text))
    return (_SURROGATE.sub("\ufffd", text), n) if n else (text, 0)


def read(inputs: Iterable[str | Path], config: ReadConfig = ReadConfig()) -> Iterator[Document | DocError]:
    """Every document of every input, or a DocError for what cannot be read."""
    for path, doc_id in list_files(inputs, config):
        yield from read_path(path, doc_id, config)


BLOCK = 256  # records per block when an archive is split into interleaved parts


def read_path(path: Path, doc_id: str, config: ReadConfig = ReadConfig(), part: int = 0,
              parts: int = 1, source: str | None = None) -> Iterator[Document | DocError]:
    """The documents of one input file; with ``parts`` > 1 only part ``part`` of them: the records of
    blocks ``part``, ``part + parts``, ... (an archive split across tasks; see ReadConfig.shard_bytes).
    A failure of the whole file is reported by part 0 only. ``source``: what the documents' source says
    in place of the path (a stream's copy: "stdin")."""
    if source is None:
        yield from _read_path(path, doc_id, config, part, parts)
        return
    prefix = shown(path)
    for item in _read_path(path, doc_id, config, part, parts):
        if item.source.startswith(prefix):  # keeps what follows the path: ":LINE", " URL"
            item = _with_source(item, source + item.source[len(prefix):])
        yield item


def _with_source(item: Document | DocError, source: str) -> Document | DocError:
    if isinstance(item, DocError):
        from dataclasses import replace

        return replace(item, source=source)
    item.source = source
    return item


def _read_path(path: Path, doc_id: str, config: ReadConfig, part: int, parts: int) -> Iterator[Document | DocError]:
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
