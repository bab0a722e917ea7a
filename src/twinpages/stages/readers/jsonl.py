"""JSON Lines: one document per line, ``{"id", "url"?, "lang"?, "text" | "html"}``. A malformed
line becomes a DocError naming the file and line, and the rest of the file is read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ...data import DocError, Document
from .base import ReadConfig, ReadError, decode, read_bytes
from .html import html_document


def read_file(path: Path, doc_id: str, config: ReadConfig) -> Iterator[Document | DocError]:
    text = decode(read_bytes(path, config))
    for k, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{doc_id}:{k}"
        try:
            rec = json.loads(line)
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
            yield doc
        except json.JSONDecodeError as e:
            yield DocError(where, str(path), "read", "malformed_jsonl", f"line {k}: {e.msg} at column {e.colno}")
        except ReadError as e:
            yield DocError(where, str(path), "read", e.kind, f"line {k}: {e}")
