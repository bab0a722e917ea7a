"""Everything `mine` writes, chosen by OutputConfig.

Always: docpairs.jsonl, errors.jsonl, run.json, and the report's inputs (alignments.jsonl, documents.jsonl
for the documents in pairs). By ``formats``: bitext.tsv, bitext.tmx, bitext.jsonl, and the Parquet
tables bitext.parquet and docpairs.parquet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...data import DocError, DocPair, Document
from ...settings import comma_list, setting
from . import bitext, files

FORMATS = ("tsv", "tmx", "jsonl", "parquet")


@dataclass(frozen=True, slots=True)
class OutputConfig:
    formats: tuple[str, ...] = setting(FORMATS, flag="--formats", parse=comma_list,
                                       help=f"bitext files to write, comma-separated from {','.join(FORMATS)}")
    # one row per normalised (source, target), with its count
    dedup: bool = setting(True, flag="--raw-bitext", help="keep duplicate sentence pairs (default: deduplicate)")
    tsv_extra: bool = setting(False, flag="--tsv-extra",
                              help="add src_lang tgt_lang bead doc_score count after Bitextor's five TSV columns")

    def __post_init__(self):
        unknown = set(self.formats) - set(FORMATS)
        if unknown:
            raise ValueError(f"unknown output format(s) {sorted(unknown)}; choose from {list(FORMATS)}")


def output_files(out: Path, config: OutputConfig = OutputConfig()) -> list[Path]:
    """The files ``write_outputs`` writes with this configuration."""
    names = ["docpairs.jsonl", "alignments.jsonl", "documents.jsonl", "errors.jsonl"]
    names += [f"bitext.{ext}" for fmt, ext in (("tsv", "tsv"), ("tmx", "tmx"), ("jsonl", "jsonl"),
                                                 ("parquet", "parquet")) if fmt in config.formats]
    if "parquet" in config.formats:
        names.append("docpairs.parquet")
    return [out / n for n in names + ["run.json"]]


def write_outputs(out: Path, pairs: Iterable[DocPair], docs: Iterable[Document], errors: list[DocError],
                  run_record: dict, config: OutputConfig = OutputConfig()) -> None:
    """Write the run's files. ``pairs`` is read several times: a list, or a store's re-iterable view;
    ``docs`` is read once."""
    out.mkdir(parents=True, exist_ok=True)
    files.write_docpairs(out / "docpairs.jsonl", pairs)
    files.write_alignments(out / "alignments.jsonl", pairs)
    in_pairs = {i for p in pairs for i in (p.src_id, p.tgt_id)}
    files.write_documents(out / "documents.jsonl", (d for d in docs if d.id in in_pairs))
    files.write_errors(out / "errors.jsonl", errors)
    rows = bitext.BitextRows(pairs, dedup=config.dedup)  # streamed again for each format
    if "tsv" in config.formats:
        bitext.write_tsv(out / "bitext.tsv", rows, extra=config.tsv_extra)
    if "tmx" in config.formats:
        bitext.write_tmx(out / "bitext.tmx", rows)
    if "jsonl" in config.formats:
        bitext.write_jsonl(out / "bitext.jsonl", rows)
    if "parquet" in config.formats:
        bitext.write_parquet(out / "bitext.parquet", rows)
        files.write_docpairs_parquet(out / "docpairs.parquet", pairs)
    files.write_json(out / "run.json", run_record | {"bitext_rows": len(rows)})
