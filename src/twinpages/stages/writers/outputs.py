"""Everything `mine` writes, chosen by OutputConfig.

Always: docpairs.jsonl, errors.jsonl, run.json, and the report's inputs (alignments.jsonl, documents.jsonl
for the documents in pairs). By ``formats``: the bitext of each language pair under ``bitext/``
(bitext.py: ``{l1}-{l2}.tsv``, ``.tmx``, ``.jsonl``, ``.parquet``) and docpairs.parquet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ... import __version__
from ...data import DocError, DocPair, Document
from ...settings import comma_list, setting
from ...store.layout import Layout
from ..beadfilter import BeadFilter, FilterConfig
from . import bitext, files
from .sinks import FORMATS, SINKS, SinkOptions


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
    tsv_bicleaner: bool = setting(False, flag="--tsv-bicleaner",
                                  help="TSV in Bitextor's raw layout with Bicleaner: src_url trg_url src_text "
                                       "trg_text aligner_score bicleaner_score (the translation probability last, "
                                       "where bicleaner-ai-classify puts its score)")
    filter: FilterConfig = field(default_factory=FilterConfig)  # which beads ship (stages/beadfilter.py)

    def __post_init__(self):
        unknown = set(self.formats) - set(SINKS)
        if unknown:
            raise ValueError(f"unknown output format(s) {sorted(unknown)}; choose from {list(SINKS)}")
        if not self.formats:  # a run whose bitext nobody asked for is a mistake, not a wish
            raise ValueError(f"--formats names no format; choose one or more of {','.join(SINKS)}")
        if self.tsv_bicleaner and self.tsv_extra:
            raise ValueError("--tsv-bicleaner writes Bitextor's six columns with the score last; it cannot take "
                             "--tsv-extra's columns too (the JSONL and Parquet files have them all)")


def write_outputs(layout: Layout, pairs: Iterable[DocPair], docs: Callable[[set[str]], Iterable[Document]],
                  errors: list[DocError], run_record: dict, config: OutputConfig = OutputConfig(),
                  language_pairs: Iterable[tuple[str, str]] = ()) -> list[Path]:
    """Write the run's files into its folder and return their paths. ``pairs`` is read three times: a list,
    or a run folder's re-iterable view; ``docs(ids)`` gives the documents with those ids (the paired ones),
    once. ``language_pairs``: the pairs the user asked for (``-l``), in their order: their bitext files are
    written even when empty."""
    layout.root.mkdir(parents=True, exist_ok=True)
    written = [layout.output(n) for n in ("docpairs.jsonl", "alignments.jsonl", "documents.jsonl", "errors.jsonl")]
    metadata = {"twinpages": __version__, "signature": run_record.get("signature", "")}
    in_pairs = files.write_pair_tables(layout, pairs, "parquet" in config.formats, metadata)
    files.write_documents(layout.output("documents.jsonl"), (d for d in docs(in_pairs) if d.id in in_pairs))
    files.write_errors(layout.output("errors.jsonl"), errors)
    # the dedup's buckets beside the run's other shards (the disk the run was given), removed when written
    rows = bitext.BitextRows(pairs, dedup=config.dedup, preferred=language_pairs,
                             bead_filter=BeadFilter(config.filter), workdir=layout.shards if layout.shards.is_dir()
                             else None)
    options = SinkOptions(config.compress, config.tsv_header, config.tsv_extra, config.tsv_bicleaner, metadata)
    written += bitext.write_bitext(layout.bitext, rows, [f for f in SINKS if f in config.formats], language_pairs,
                                   options)
    if "parquet" in config.formats:
        written.append(layout.output("docpairs.parquet"))
    files.write_json(layout.output("run.json"), run_record | {
        "bitext_rows": {f"{a}-{b}": n for (a, b), n in sorted(rows.rows.items())},
        "bitext_filter": rows.filter_stats()})
    rows.close()
    return written + [layout.output("run.json")]
