"""The run's JSONL/Parquet tables: document pairs, alignments, documents, errors (schemas in schemas.py).

Every file is written atomically (io.py): a reader never sees half a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ...data import DocError, DocPair, Document
from ...io import ParquetRows, atomic_lines, write_json  # noqa: F401  (write_json: used by outputs)
from ...schemas import DOCPAIR, ERROR, alignment_row, document_row
from ...store.layout import Layout


def docpair_record(p: DocPair) -> dict:
    return DOCPAIR.row(p)


def write_pair_tables(layout: Layout, pairs: Iterable[DocPair], parquet: bool,
                      metadata: dict | None = None) -> set[str]:
    """docpairs.jsonl, alignments.jsonl and (``parquet``) docpairs.parquet in one pass over the pairs
    (reading a crawl's pairs back costs more than writing them); returns the ids of the paired documents."""
    import os

    paths = {name: layout.output(name) for name in ("docpairs.jsonl", "alignments.jsonl")}
    tmp = {name: path.with_name(path.name + ".tmp") for name, path in paths.items()}
    ids: set[str] = set()
    table = ParquetRows(layout.output("docpairs.parquet"), DOCPAIR.arrow_schema(), metadata) if parquet else None
    with open(tmp["docpairs.jsonl"], "w", encoding="utf-8", newline="\n") as docpairs, \
            open(tmp["alignments.jsonl"], "w", encoding="utf-8", newline="\n") as alignments:
        for p in pairs:
            row = DOCPAIR.row(p)
            docpairs.write(json.dumps(row, ensure_ascii=False) + "\n")
            alignments.write(json.dumps(alignment_row(p), ensure_ascii=False) + "\n")
            ids.update((p.src_id, p.tgt_id))
            if table is not None:
                table.add(row)
    if table is not None:
        table.close()
    for name, path in paths.items():
        os.replace(tmp[name], path)
    return ids


def write_documents(path: Path, docs: Iterable[Document]) -> None:
    """The documents of the pairs (schemas.document_row)."""
    atomic_lines(path, (json.dumps(document_row(d), ensure_ascii=False) + "\n" for d in docs))


def write_errors(path: Path, errors: Iterable[DocError]) -> None:
    atomic_lines(path, (json.dumps(ERROR.row(e), ensure_ascii=False) + "\n" for e in errors))
