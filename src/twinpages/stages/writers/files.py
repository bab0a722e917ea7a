"""Atomic file writing and the run's JSONL/Parquet tables: document pairs, alignments, documents, errors.

Every file is written to ``NAME.tmp`` and renamed when complete, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from ...data import DocError, DocPair, Document


def atomic_lines(path: Path, lines: Iterable[str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def atomic_parquet(path: Path, schema, records: Iterable[dict], batch: int = 10_000) -> None:
    """Write records (dicts keyed by the schema's names) in row groups of ``batch``: memory holds one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_name(path.name + ".tmp")
    with pq.ParquetWriter(tmp, schema) as writer:
        chunk: list[dict] = []
        for record in records:
            chunk.append(record)
            if len(chunk) == batch:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                chunk = []
        if chunk:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
    os.replace(tmp, path)


DOCPAIR_SCHEMA_DOC = {
    "src_id": "string: document id (path relative to the input argument)",
    "tgt_id": "string",
    "src_url": "string: URL, else path",
    "tgt_url": "string",
    "src_lang": "string: ISO 639-1",
    "tgt_lang": "string",
    "score": "float: document-pair score (mean cosine of confident beads x the larger coverage)",
    "direction": "string: 'en->de' (original -> translation) or 'unknown'",
    "direction_evidence": "list<string>: why",
    "src_coverage": "float: share of the source's main-text sentences in confident beads",
    "tgt_coverage": "float",
    "n_aligned": "int: beads with both sides (rows of the raw bitext)",
    "candidate_score": "float: margin score of the document vectors that made it a candidate",
    "src_spans": "list<list<int>>: aligned passages, [start, end) character offsets in the source main text",
    "tgt_spans": "list<list<int>>: the same in the target main text",
}


def docpair_record(p: DocPair) -> dict:
    return {
        "src_id": p.src_id, "tgt_id": p.tgt_id, "src_url": p.src_name, "tgt_url": p.tgt_name,
        "src_lang": p.src_lang, "tgt_lang": p.tgt_lang, "score": round(p.score, 4),
        "direction": p.direction, "direction_evidence": p.direction_evidence,
        "src_coverage": round(p.src_coverage, 4), "tgt_coverage": round(p.tgt_coverage, 4),
        "n_aligned": p.n_aligned, "candidate_score": round(p.candidate_score, 4),
        "src_spans": [list(s) for s in p.src_spans], "tgt_spans": [list(s) for s in p.tgt_spans],
    }


def write_docpairs(path: Path, pairs: Iterable[DocPair]) -> None:
    atomic_lines(path, (json.dumps(docpair_record(p), ensure_ascii=False) + "\n" for p in pairs))


def write_docpairs_parquet(path: Path, pairs: Iterable[DocPair]) -> None:
    import pyarrow as pa

    schema = pa.schema([
        ("src_id", pa.string()), ("tgt_id", pa.string()), ("src_url", pa.string()), ("tgt_url", pa.string()),
        ("src_lang", pa.string()), ("tgt_lang", pa.string()), ("score", pa.float32()), ("direction", pa.string()),
        ("direction_evidence", pa.list_(pa.string())), ("src_coverage", pa.float32()),
        ("tgt_coverage", pa.float32()), ("n_aligned", pa.int32()), ("candidate_score", pa.float32()),
        ("src_spans", pa.list_(pa.list_(pa.int64()))), ("tgt_spans", pa.list_(pa.list_(pa.int64()))),
    ])
    atomic_parquet(path, schema, (docpair_record(p) for p in pairs))


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


def write_errors(path: Path, errors: list[DocError]) -> None:
    atomic_lines(path, (json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in errors))


def write_json(path: Path, obj: dict) -> None:
    atomic_lines(path, [json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n"])
