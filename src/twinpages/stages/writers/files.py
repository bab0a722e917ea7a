"""The run's JSONL/Parquet tables: document pairs, alignments, documents, errors (schemas in schemas.py).

Every file is written atomically (io.py): a reader never sees half a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ...data import DocError, DocPair, Document
from ...io import atomic_lines, write_json  # noqa: F401  (write_json: used by outputs)
from ...schemas import DOCPAIR, ERROR


def docpair_record(p: DocPair) -> dict:
    return DOCPAIR.row(p)


def alignment_record(p: DocPair) -> dict:
    """Every bead of a pair, unaligned sentences included: what the report shows side by side."""
    return {"src_id": p.src_id, "tgt_id": p.tgt_id,
            "beads": [[list(b.src_idx), list(b.tgt_idx), round(b.score, 4)] for b in p.pairs]}


def write_pair_tables(out: Path, pairs: Iterable[DocPair], parquet: bool, metadata: dict | None = None) -> set[str]:
    """docpairs.jsonl, alignments.jsonl and (``parquet``) docpairs.parquet in one pass over the pairs
    (reading a crawl's pairs back costs more than writing them); returns the ids of the paired documents."""
    import os

    import pyarrow as pa
    import pyarrow.parquet as pq

    names = ["docpairs.jsonl", "alignments.jsonl"] + (["docpairs.parquet"] if parquet else [])
    tmp = {name: out / f"{name}.tmp" for name in names}
    ids: set[str] = set()
    schema = DOCPAIR.arrow_schema().with_metadata({k: str(v) for k, v in (metadata or {}).items()})
    with open(tmp["docpairs.jsonl"], "w", encoding="utf-8", newline="\n") as docpairs, \
            open(tmp["alignments.jsonl"], "w", encoding="utf-8", newline="\n") as alignments:
        writer = pq.ParquetWriter(tmp["docpairs.parquet"], schema) if parquet else None
        batch: list[dict] = []
        for p in pairs:
            row = DOCPAIR.row(p)
            docpairs.write(json.dumps(row, ensure_ascii=False) + "\n")
            alignments.write(json.dumps(alignment_record(p), ensure_ascii=False) + "\n")
            ids.update((p.src_id, p.tgt_id))
            if writer is not None:
                batch.append(row)
                if len(batch) == 10_000:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    batch = []
        if writer is not None:
            if batch or not ids:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            writer.close()
    for name in names:
        os.replace(tmp[name], out / name)
    return ids


def document_record(d: Document) -> dict:
    """A document as the report reads it: raw lines with the extractor's verdict, and sentence offsets."""
    return {"id": d.id, "url": d.name, "lang": d.lang, "main_text": d.main_text,
            "lines": [[line.number, line.text, line.is_main, line.reason] for line in d.lines],
            "sentences": [[s.start, s.end, s.line] for s in d.sentences]}


def write_documents(path: Path, docs: Iterable[Document]) -> None:
    """The documents of the pairs (document_record)."""
    atomic_lines(path, (json.dumps(document_record(d), ensure_ascii=False) + "\n" for d in docs))


def write_errors(path: Path, errors: Iterable[DocError]) -> None:
    atomic_lines(path, (json.dumps(ERROR.row(e), ensure_ascii=False) + "\n" for e in errors))
