"""The run's JSONL/Parquet tables: document pairs, alignments, documents, errors (schemas in schemas.py).

Every file is written atomically (io.py): a reader never sees half a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ...data import DocError, DocPair, Document
from ...io import atomic_lines, atomic_parquet, write_json  # noqa: F401  (write_json: used by outputs)
from ...schemas import DOCPAIR, ERROR


def docpair_record(p: DocPair) -> dict:
    return DOCPAIR.row(p)


def write_docpairs(path: Path, pairs: Iterable[DocPair]) -> None:
    atomic_lines(path, (json.dumps(docpair_record(p), ensure_ascii=False) + "\n" for p in pairs))


def write_docpairs_parquet(path: Path, pairs: Iterable[DocPair], metadata: dict | None = None) -> None:
    atomic_parquet(path, DOCPAIR.arrow_schema(), (DOCPAIR.row(p) for p in pairs), metadata=metadata)


def write_alignments(path: Path, pairs: Iterable[DocPair]) -> None:
    """Every bead of every pair, unaligned sentences included: what the report shows side by side."""

    def record(p: DocPair) -> dict:
        return {"src_id": p.src_id, "tgt_id": p.tgt_id,
                "beads": [[list(b.src_idx), list(b.tgt_idx), round(b.score, 4)] for b in p.pairs]}

    atomic_lines(path, (json.dumps(record(p), ensure_ascii=False) + "\n" for p in pairs))


def write_documents(path: Path, docs: Iterable[Document]) -> None:
    """The documents of the pairs: raw lines with the extractor's verdict, and sentence offsets."""

    def record(d: Document) -> dict:
        return {"id": d.id, "url": d.name, "lang": d.lang, "main_text": d.main_text,
                "lines": [[line.number, line.text, line.is_main, line.reason] for line in d.lines],
                "sentences": [[s.start, s.end, s.line] for s in d.sentences]}

    atomic_lines(path, (json.dumps(record(d), ensure_ascii=False) + "\n" for d in docs))


def write_errors(path: Path, errors: Iterable[DocError]) -> None:
    atomic_lines(path, (json.dumps(ERROR.row(e), ensure_ascii=False) + "\n" for e in errors))
