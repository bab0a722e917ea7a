"""Writers: document pairs as JSONL, bitext as TSV in Bitextor's columns, errors as JSONL.

Every file is written to ``NAME.tmp`` and renamed when complete, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from ..data import DocError, DocPair


def _atomic_write(path: Path, lines: Iterable[str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def docpair_record(p: DocPair) -> dict:
    return {
        "src_id": p.src_id, "tgt_id": p.tgt_id, "src_url": p.src_name, "tgt_url": p.tgt_name,
        "src_lang": p.src_lang, "tgt_lang": p.tgt_lang, "score": round(p.score, 4),
        "direction": p.direction, "direction_evidence": p.direction_evidence,
        "src_coverage": round(p.src_coverage, 4), "tgt_coverage": round(p.tgt_coverage, 4),
        "n_aligned": p.n_aligned, "candidate_score": round(p.candidate_score, 4),
    }


def _tsv_field(text: str) -> str:
    # a tab or newline inside a field would break the columns
    return " ".join(text.replace("\t", " ").split())


def bitext_rows(pairs: Iterable[DocPair]) -> Iterable[tuple[str, str, str, str, float]]:
    for p in pairs:
        for b in p.pairs:
            if b.src_idx and b.tgt_idx:
                yield p.src_name, p.tgt_name, b.src_text, b.tgt_text, b.score


def tsv_line(row: tuple[str, str, str, str, float]) -> str:
    url1, url2, src, trg, score = row
    return "\t".join((_tsv_field(url1), _tsv_field(url2), _tsv_field(src), _tsv_field(trg), f"{score:.4f}")) + "\n"


def write_docpairs(path: Path, pairs: list[DocPair]) -> None:
    _atomic_write(path, (json.dumps(docpair_record(p), ensure_ascii=False) + "\n" for p in pairs))


def write_bitext_tsv(path: Path, pairs: list[DocPair]) -> None:
    _atomic_write(path, (tsv_line(r) for r in bitext_rows(pairs)))


def write_errors(path: Path, errors: list[DocError]) -> None:
    _atomic_write(path, (json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in errors))


def write_json(path: Path, obj: dict) -> None:
    _atomic_write(path, [json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n"])
