"""JSON Lines: one document per line, ``{"id", "url"?, "lang"?, "text" | "html"}``, optionally gzipped.

The file is streamed line by line, so an archive of any size is read in bounded memory; the size
limit applies to each line (each document). A malformed or oversized line becomes a DocError naming
the file and line, and the rest of the file is read; a gzip stream cut short keeps the lines before
the damage."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from ...data import DocError, Document
from .base import ReadConfig, ReadError, decode
from .html import html_document

_CHUNK = 1 << 20


def read_file(path: Path, doc_id: str, config: ReadConfig,
              keep: Callable[[int], bool] | None = None) -> Iterator[Document | DocError]:
    """The file's documents; with ``keep``, only lines whose 0-based number it accepts are parsed."""
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    k = 0
    with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as f:
        try:
            while True:
                line = f.readline(config.max_bytes + 1)
                if not line:
                    break
                k += 1
                if keep is not None and not keep(k - 1):
                    if len(line) > config.max_bytes and not line.endswith(b"\n"):
                        while (rest := f.readline(_CHUNK)) and not rest.endswith(b"\n"):
                            pass
                    continue
                if len(line) > config.max_bytes and not line.endswith(b"\n"):
                    while (rest := f.readline(_CHUNK)) and not rest.endswith(b"\n"):
                        pass  # skip the rest of the oversized line
                    yield DocError(f"{doc_id}:{k}", str(path), "read", "too_large",
                                   f"line {k}: over {config.max_bytes:,} bytes (--max-bytes)")
                    continue
                if line.strip():
                    yield _record(line, path, doc_id, k)
        except (EOFError, gzip.BadGzipFile, zlib.error) as e:
            raise ReadError("truncated_gzip", f"gzip data is damaged or cut short after line {k} ({e})") from None


def _record(line: bytes, path: Path, doc_id: str, k: int) -> Document | DocError:
    where = f"{doc_id}:{k}"
    try:
        rec = json.loads(decode(line))
        if not isinstance(rec, dict):
            raise ReadError("malformed_jsonl", "a line must hold a JSON object")
        rid = str(rec.get("id") or where)
        if isinstance(rec.get("html"), str):
            doc = html_document(rid, f"{path}:{k}", rec["html"].encode("utf-8"), url=rec.get("url"))
        elif isinstance(rec.get("text"), str):
            if not rec["text"].strip():
                raise ReadError("empty", "no text")
            doc = Document(id=rid, raw=rec["text"], source=f"{path}:{k}", url=rec.get("url"))
        else:
            raise ReadError("malformed_jsonl", "no 'text' or 'html' string")
        if isinstance(rec.get("lang"), str) and rec["lang"]:
            doc.lang = rec["lang"]
        return doc
    except json.JSONDecodeError as e:
        return DocError(where, str(path), "read", "malformed_jsonl", f"line {k}: {e.msg} at column {e.colno}")
    except ReadError as e:
        return DocError(where, str(path), "read", e.kind, f"line {k}: {e}")
