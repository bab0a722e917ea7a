"""Readers: turn input paths into Documents, and unreadable inputs into DocError records.

This first reader takes plain-text line dumps (``.txt``, as in the seeds): a file, or a directory
searched recursively in sorted order so that every run sees the same documents in the same order.
A file that cannot be read becomes a DocError naming it, and the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..data import DocError, Document

TEXT_SUFFIXES = (".txt",)


@dataclass(frozen=True, slots=True)
class ReadConfig:
    max_bytes: int = 20_000_000  # larger files are reported, not read: no page is that long


def list_files(inputs: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """(path, document id) for every input file; ids are paths relative to the input argument."""
    out = []
    for arg in inputs:
        root = Path(arg)
        if root.is_dir():
            for p in sorted(root.rglob("*")):
                if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES:
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


def decode(data: bytes) -> str:
    """Decode a text file's bytes; raises UnicodeDecodeError or ValueError with a clear message."""
    if b"\x00" in data[:8192]:
        raise ValueError("binary content (NUL bytes), not a text dump")
    return data.decode("utf-8-sig")


def read_text_file(path: Path, doc_id: str, config: ReadConfig = ReadConfig()) -> Document | DocError:
    def fail(kind: str, message: str) -> DocError:
        return DocError(doc_id=doc_id, source=str(path), stage="read", error=kind, message=message)

    try:
        size = path.stat().st_size
        if size > config.max_bytes:
            return fail("too_large", f"{size:,} bytes is over the limit of {config.max_bytes:,} (--max-bytes)")
        text = decode(path.read_bytes())
    except FileNotFoundError:
        return fail("not_found", "no such file")
    except UnicodeDecodeError as e:
        return fail("decode", f"not valid UTF-8 ({e.reason} at byte {e.start})")
    except (OSError, ValueError) as e:
        return fail("unreadable", str(e))
    if not text.strip():
        return fail("empty", "no text")
    return Document(id=doc_id, raw=text, source=str(path))


def read(inputs: Iterable[str | Path], config: ReadConfig = ReadConfig()) -> Iterator[Document | DocError]:
    for path, doc_id in list_files(inputs):
        yield read_text_file(path, doc_id, config)
