"""Everything `mine` writes, chosen by OutputConfig.

Always: docpairs.jsonl, errors.jsonl, run.json, and the report's inputs (alignments.jsonl, documents.jsonl
for the documents in pairs). By ``formats``: the bitext of each language pair under ``bitext/``
(bitext.py: ``{l1}-{l2}.tsv``, ``.tmx``, ``.jsonl``, ``.parquet``) and docpairs.parquet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ... import __version__
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
                              help="append src_lang tgt_lang bead doc_score count direction after Bitextor's "
                                   "five TSV columns")
    tsv_header: bool = setting(False, flag="--tsv-header", help="write a header line in the TSV files")
    compress: bool = setting(False, flag="--compress", help="gzip the TSV files (bitext/L1-L2.tsv.gz)")

    def __post_init__(self):
        unknown = set(self.formats) - set(FORMATS)
        if unknown:
            raise ValueError(f"unknown output format(s) {sorted(unknown)}; choose from {list(FORMATS)}")
        if not self.formats:  # a run whose bitext nobody asked for is a mistake, not a wish
            raise ValueError(f"--formats names no format; choose one or more of {','.join(FORMATS)}")


def write_outputs(out: Path, pairs: Iterable[DocPair], docs: Callable[[set[str]], Iterable[Document]],
                  errors: list[DocError], run_record: dict, config: OutputConfig = OutputConfig(),
                  language_pairs: Iterable[tuple[str, str]] = ()) -> list[Path]:
    """Write the run's files and return their paths. ``pairs`` is read three times: a list, or a run
    folder's re-iterable view; ``docs(ids)`` gives the documents with those ids (the paired ones), once.
    ``language_pairs``: the pairs the user asked for (``-l``), in their order: their bitext files are
    written even when empty."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / n for n in ("docpairs.jsonl", "alignments.jsonl", "documents.jsonl", "errors.jsonl")]
    metadata = {"twinpages": __version__, "signature": run_record.get("signature", "")}
    in_pairs = files.write_pair_tables(out, pairs, "parquet" in config.formats, metadata)
    files.write_documents(out / "documents.jsonl", (d for d in docs(in_pairs) if d.id in in_pairs))
    files.write_errors(out / "errors.jsonl", errors)
    rows = bitext.BitextRows(pairs, dedup=config.dedup, preferred=language_pairs)
    formats = [f for f in FORMATS if f in config.formats]
    if formats:
        written += bitext.write_bitext(out / "bitext", rows, formats, language_pairs, config.compress,
                                       config.tsv_header, config.tsv_extra, metadata)
    if "parquet" in config.formats:
        written.append(out / "docpairs.parquet")
    files.write_json(out / "run.json", run_record | {
        "bitext_rows": {f"{a}-{b}": n for (a, b), n in sorted(rows.rows.items())}})
    return written + [out / "run.json"]
