"""JSON Lines: one document per line, ``{"id", "url"?, "lang"?, "text" | "html"}`` or another pipeline's
record (fields.py: warc2text, datatrove, HPLT; ``--text-key``...), optionally gzipped or zstd-compressed.

The file is streamed line by line, so an archive of any size is read in bounded memory; the size
limit applies to each line (each document). A malformed or oversized line becomes a DocError naming
the file and line, and the rest of the file is read; a gzip stream cut short keeps the lines before
the damage."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from ...data import DocError, Document
from .decoding import decode
from .errors import ReadError
from .fields import keys_of, record_document
from .files import DAMAGED, damaged, open_input, shown, trailing_note
from .options import ReadConfig

_CHUNK = 1 << 20


def read_file(path: Path, doc_id: str, config: ReadConfig,
              keep: Callable[[int], bool] | None = None) -> Iterator[Document | DocError]:
    """The file's documents; with ``keep``, only lines whose 0-based number it accepts are parsed."""
    if _is_json_document(path):
        yield from _json_document(path, doc_id, config, keep)
        return
    k = records = 0
    keys = keys_of(config)
    with open_input(path) as f:
        try:
            while True:
                line = f.readline(config.max_bytes + 1)
                if not line:
                    break
                k += 1
                records += bool(line.strip())
                if keep is not None and not keep(k - 1):
                    if len(line) > config.max_bytes and not line.endswith(b"\n"):
                        while (rest := f.readline(_CHUNK)) and not rest.endswith(b"\n"):
                            pass
                    continue
                if len(line) > config.max_bytes and not line.endswith(b"\n"):
                    while (rest := f.readline(_CHUNK)) and not rest.endswith(b"\n"):
                        pass  # skip the rest of the oversized line
                    yield DocError(f"{doc_id}:{k}", f"{shown(path)}:{k}", "read", "too_large",
                                   f"line {k}: over {config.max_bytes:,} bytes (--max-bytes)")
                    continue
                if line.strip():
                    yield _record(line, path, doc_id, k, keys)
        except DAMAGED as e:
            raise damaged(e, f" after line {k}") from None
        note = trailing_note(f)
    if keep is None or keep(0):  # the file's own records: once, by the part that reads its first block
        if note:
            yield DocError(doc_id, shown(path), "read", "trailing_garbage", note, "warning")
        if not records:
            raise ReadError("empty", "no records (the file holds no line that is not blank)")


def _is_json_document(path: Path) -> bool:
    """A ``.json`` file that is one JSON document (pretty-printed, an array), not JSON Lines."""
    name = path.name.lower().removesuffix(".gz").removesuffix(".zst")
    if not name.endswith(".json"):
        return False
    try:
        with open_input(path) as f:
            first = f.readline(_CHUNK).strip()
    except DAMAGED:
        return False  # damaged: read as JSON Lines, which reports it
    if not first.startswith(b"{"):
        return True
    try:
        return not isinstance(json.loads(first), dict)
    except ValueError:
        return True


def _json_document(path: Path, doc_id: str, config: ReadConfig,
                   keep: Callable[[int], bool] | None) -> Iterator[Document | DocError]:
    """An array of records is read as records (``FILE:N``, 1-based); any other JSON is one error for the
    file, not one per line (a stray gold.json or package.json in an input folder)."""
    if keep is not None and not keep(0):
        return  # the whole file is part 0's
    try:
        with open_input(path) as f:
            data = f.read(config.max_bytes + 1)
    except DAMAGED as e:
        raise damaged(e) from None
    if len(data) > config.max_bytes:
        raise ReadError("too_large", f"a JSON document over {config.max_bytes:,} bytes (--max-bytes)")
    if not data.strip():
        raise ReadError("empty", "no records (the file is empty)")
    try:
        doc = json.loads(decode(data)[0])
    except ValueError as e:
        raise ReadError("malformed_json", f"neither JSON Lines nor a JSON document ({e})") from None
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise ReadError("not_documents", "a JSON document that is not an array of records "
                                         "({\"id\", \"text\" | \"html\", ...}): nothing to read")
    keys = keys_of(config)
    for k, rec in enumerate(doc, 1):
        yield _record(json.dumps(rec).encode(), path, doc_id, k, keys)


def _record(line: bytes, path: Path, doc_id: str, k: int, keys: dict) -> Document | DocError:
    where = f"{doc_id}:{k}"
    source = f"{shown(path)}:{k}"
    try:
        text, repaired = decode(line)
        rec = json.loads(text)
        if not isinstance(rec, dict):
            raise ReadError("malformed_jsonl", "a line must hold a JSON object")
        doc = record_document(rec, keys, where, source)
        if repaired:
            doc.warnings.insert(0, ("decode_repaired", repaired))
        return doc
    except json.JSONDecodeError as e:
        return DocError(where, source, "read", "malformed_jsonl", f"line {k}: {e.msg} at column {e.colno}")
    except ReadError as e:
        return DocError(where, source, "read", e.kind, f"line {k}: {e}")
