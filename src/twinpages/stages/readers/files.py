"""Input files as the readers need them: folders listed in a fixed order (run folders skipped), streams
copied so they can be read twice, gzip read as `gzip -d` reads it and zstd as `zstd -d` does, sizes
bounded."""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from ...store.folder import is_run_folder
from ...store.layout import MARKER
from .errors import ReadError
from .formats import format_of, sniffed
from .options import ReadConfig
from .remote import is_url, list_url


def shown(path: str | Path) -> str:
    """A path as text that can be written anywhere (JSON, Parquet, a terminal): a file name that is not
    UTF-8 keeps its bytes as ``\\xNN`` escapes instead of failing every writer downstream."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def list_files(inputs: Iterable[str | Path], config: ReadConfig = ReadConfig()) -> list[tuple[Path | str, str]]:
    """(path, document id prefix) for every input file; ids are paths relative to the input argument. A URL
    (remote.py) stays a string.
    Directories contribute the files whose name gives a format; a named file is always read. A twinpages
    run folder (store.MARKER) is never read: named, it is an error; inside a directory, it is skipped.
    What cannot be listed is listed anyway, for the reader to report: a folder that cannot be opened, a
    symbolic link to nothing. Nothing under an input goes missing without a record."""
    out = []
    for arg in inputs:
        if is_url(arg):  # remote: listed by its store, never opened to sniff (remote.py)
            out += list_url(str(arg), lambda name: bool(config.input_format or format_of(Path(name))))
            continue
        root = Path(arg)
        if is_run_folder(root):
            raise ValueError(f"{shown(root)} is a twinpages run folder (it has {MARKER}): its files are outputs, "
                             "never read as input")
        if root.is_dir():
            found = []
            for p in _walk(root):  # sockets and pipes inside a folder are not documents: skipped
                dangling = p.is_symlink() and not p.exists()
                if p.is_dir() or dangling or (p.is_file() and (config.input_format or sniffed(p))):
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
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# a skippable frame (0x184D2A50-5F, little-endian): metadata that `zstd -d` passes over
_SKIPPABLE = tuple(bytes([k, 0x2A, 0x4D, 0x18]) for k in range(0x50, 0x60))
COMPRESSED_MAGIC = (GZIP_MAGIC, ZSTD_MAGIC)


class ZstdDamaged(EOFError):
    """zstd data cut short or damaged."""


class _Members(io.RawIOBase):
    """Compressed members (gzip) or frames (zstd) one after another, read as the format's own tool reads
    them: every one in turn, and bytes after the last that do not start another (trailing garbage,
    padding) ignored and counted in ``trailing``, not an error. Each call's output is bounded by the
    caller's buffer: a small input can expand to gigabytes. A subclass says how a member starts and how
    its decompressor is fed."""

    starts: tuple[bytes, ...] = ()

    def __init__(self, raw, chunk: int = 1 << 16):
        self.raw, self.chunk = raw, chunk
        self._inflate = self._decompressor()
        self._pending = b""  # compressed bytes read and not yet given to the decompressor
        self._started = False  # the current member has begun (some of it was given)
        self._done = False
        self.trailing = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._done:
            if self._inflate.eof and not self._next_member():
                break
            out = self._inflate_some(len(buffer))
            if out is None:  # the input ended where a member may end
                break
            if out:
                buffer[:len(out)] = out
                return len(out)
        return 0

    def _next_member(self) -> bool:
        rest = self._inflate.unused_data + self._pending
        self._pending = b""
        if len(rest) < 4:
            rest += self.raw.read(self.chunk)
        if not rest or not rest.startswith(self.starts):  # the end, or trailing garbage
            self.trailing = len(rest) + _drain(self.raw, self.chunk) if rest else 0
            self._done = True
            return False
        self._inflate, self._pending, self._started = self._decompressor(), rest, False
        return True

    def _next_input(self) -> bytes:
        data = self._pending or self.raw.read(self.chunk)
        self._pending = b""
        return data

    def _decompressor(self):
        raise NotImplementedError

    def _inflate_some(self, limit: int) -> bytes | None:
        """Up to ``limit`` bytes of output (b"": none yet); None at the end of the input between members."""
        raise NotImplementedError


class Gunzip(_Members):
    """The bytes of a gzip file as `gzip -d` gives them (_Members). A member cut short or damaged raises
    EOFError or zlib.error as Python's gzip does."""

    starts = (GZIP_MAGIC,)

    def _decompressor(self):
        return zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer

    def _inflate_some(self, limit: int) -> bytes | None:
        data = self._next_input()
        if not data:
            if self._started or self._inflate.unconsumed_tail:
                raise EOFError("compressed file ended before the end-of-stream marker was reached")
            self._done = True  # an empty file
            return None
        self._started = True
        out = self._inflate.decompress(data, limit)
        self._pending = self._inflate.unconsumed_tail
        return out


class Unzstd(_Members):
    """The bytes of a zstd file as `zstd -d` gives them (_Members), skippable frames passed over. A frame
    cut short or damaged raises ZstdDamaged."""

    starts = (ZSTD_MAGIC, *_SKIPPABLE)

    def _decompressor(self):
        return _zstd().ZstdDecompressor()

    def _inflate_some(self, limit: int) -> bytes | None:
        if self._inflate.needs_input:
            data = self._next_input()
            if not data:
                if self._started:
                    raise ZstdDamaged("compressed file ended before the end of a zstd frame")
                self._done = True  # an empty file
                return None
        else:  # output held back by the last call's bound: no new input until it is out
            data = b""
        self._started = True
        try:
            return self._inflate.decompress(data, limit)
        except _zstd().ZstdError as e:
            raise ZstdDamaged(str(e)) from None


def _zstd():
    try:
        from compression import zstd  # Python 3.14
    except ImportError:
        from backports import zstd
    return zstd


def _drain(f, chunk: int) -> int:
    n = 0
    while data := f.read(chunk):
        n += len(data)
    return n


def open_input(path: Path):
    """A binary file object of the input's bytes, decompressed (Gunzip, Unzstd) when it is gzipped or
    zstd-compressed (by its first bytes, whatever its name); the caller closes it. ``.decompressor`` on the
    result is the Gunzip or Unzstd (for its ``trailing``), else None."""
    raw = open(path, "rb")  # noqa: SIM115 (returned open)
    head = raw.read(4)
    raw.seek(0)
    kind = Gunzip if head.startswith(GZIP_MAGIC) else Unzstd if head == ZSTD_MAGIC else None
    if kind is None:
        raw.decompressor = None
        return raw
    decompressor = kind(raw)
    f = io.BufferedReader(decompressor, 1 << 16)
    f.decompressor = decompressor
    return f


def trailing_note(f) -> str | None:
    """What a compressed input's reader ignored after its data, in words (None: nothing)."""
    d = getattr(f, "decompressor", None)
    if d is None or not d.trailing:
        return None
    name, tool = ("zstd", "zstd -d") if isinstance(d, Unzstd) else ("gzip", "gzip -d")
    return f"{d.trailing:,} bytes after the end of the {name} data were ignored (as {tool} ignores them)"


# what a decompressor raises on data cut short or damaged (ZstdDamaged is an EOFError)
DAMAGED = (EOFError, zlib.error)


def damaged(e: Exception, where: str = "") -> ReadError:
    """The read error for compressed data cut short or damaged (``where``: " after line 12")."""
    kind, name = ("truncated_zstd", "zstd") if isinstance(e, ZstdDamaged) else ("truncated_gzip", "gzip")
    return ReadError(kind, f"{name} data is damaged or cut short{where} ({e})")


def read_bytes(path: Path, config: ReadConfig, notes: list | None = None) -> bytes:
    """The file's bytes, decompressed when compressed; raises ReadError for too large or truncated files.
    ``notes``: (kind, message) repairs made while reading (trailing garbage after gzip data) go there."""
    size = path.stat().st_size
    if size > config.max_bytes:
        raise ReadError("too_large", f"{size:,} bytes is over the limit of {config.max_bytes:,} (--max-bytes)")
    with open_input(path) as f:
        try:
            data = f.read(config.max_bytes + 1)  # bounded: a small compressed file must not expand past it
        except DAMAGED as e:
            raise damaged(e) from None
        note = trailing_note(f)
    if len(data) > config.max_bytes:
        raise ReadError("too_large", f"decompresses to over {config.max_bytes:,} bytes (--max-bytes)")
    if note and notes is not None:
        notes.append(("trailing_garbage", note))
    return data
