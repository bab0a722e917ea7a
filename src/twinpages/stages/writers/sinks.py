"""Bitext formats: one sink class per format, in one table (SINKS). A sink writes one language pair's rows
into ``bitext/{l1}-{l2}.{extension}`` as they come, to ``NAME.tmp``, renamed into place on ``close``.
A new output format is one class here and one line in SINKS; `mine --formats` and `align --format`
take it from the table.

Text formats (TSV, TMX, JSONL) are a head, a line per row and a tail (``TextSink``), which `align` also
prints to standard output.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar
from xml.sax.saxutils import escape, quoteattr

from ... import __version__
from ...schemas import BITEXT, REJECTED

TSV_COLUMNS = ("url1", "url2", "src", "trg", "score")  # Bitextor's, in its order
TSV_EXTRA = ("src_lang", "tgt_lang", "bead", "doc_score", "count", "direction", "translation_probability")
# Bitextor's raw file with Bicleaner (its docs/OUTPUT.md): the classifier's score last, where
# bicleaner-ai-classify appends it and where bitextor-filterbicleaner reads it
TSV_BICLEANER = ("src_url", "trg_url", "src_text", "trg_text", "aligner_score", "bicleaner_score")
# XML 1.0 forbids these even when escaped; crawled text has them
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class SinkOptions:
    compress: bool = False  # TSV gzipped (.tsv.gz)
    tsv_header: bool = False
    tsv_extra: bool = False
    tsv_bicleaner: bool = False  # TSV_BICLEANER's six columns
    metadata: dict = field(default_factory=dict)  # stamped into formats that have metadata (Parquet)
    directions: frozenset[str] = frozenset()  # the language pair's directions (TMX's header srclang)


class Sink:
    """One format's file of one language pair."""

    extension: ClassVar[str] = ""

    def __init__(self, folder: Path, name: str, options: SinkOptions):
        self.name, self.options = name, options
        self.path = folder / f"{name}.{self.file_extension(options)}"
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self.n = 0

    @classmethod
    def file_extension(cls, options: SinkOptions) -> str:
        return cls.extension

    def add(self, row) -> None:
        raise NotImplementedError

    def close(self) -> Path:
        os.replace(self.tmp, self.path)
        return self.path


class TextSink(Sink):
    """A text format: head, one line per row, tail; into its file, or into ``stream`` (standard output)."""

    def __init__(self, folder: Path | None, name: str, options: SinkOptions, stream=None):
        super().__init__(folder or Path("."), name, options)
        self.stream = stream
        self.file = stream if stream is not None else self.open()
        self.file.write(self.head())

    def open(self):
        return open(self.tmp, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 (closed in close)

    def head(self) -> str:
        return ""

    def line(self, k: int, row) -> str:
        raise NotImplementedError

    def tail(self) -> str:
        return ""

    def add(self, row) -> None:
        self.n += 1
        self.file.write(self.line(self.n, row))

    def close(self) -> Path | None:
        self.file.write(self.tail())
        if self.stream is not None:
            return None
        self.file.close()
        return super().close()


def one_line(text: str) -> str:
    # a tab or newline inside a field would break the columns
    return " ".join(text.replace("\t", " ").split())


class TsvSink(TextSink):
    """Bitextor's columns url1 url2 src trg score; with ``tsv_extra``, TSV_EXTRA after them."""

    extension = "tsv"

    @classmethod
    def file_extension(cls, options: SinkOptions) -> str:
        return "tsv.gz" if options.compress else "tsv"

    def open(self):
        if self.options.compress:
            return gzip.open(self.tmp, "wt", encoding="utf-8", newline="\n")
        return super().open()

    def head(self) -> str:
        if not self.options.tsv_header:
            return ""
        names = TSV_BICLEANER if self.options.tsv_bicleaner else \
            TSV_COLUMNS + (TSV_EXTRA if self.options.tsv_extra else ())
        return "\t".join(names) + "\n"

    def line(self, k: int, r) -> str:
        cols = [r.src_url, r.tgt_url, r.src, r.tgt, f"{r.score:.4f}"]
        if self.options.tsv_bicleaner:
            cols.append(_probability(r.translation_probability))
        elif self.options.tsv_extra:
            cols += [r.src_lang, r.tgt_lang, f"{len(r.src_idx)}-{len(r.tgt_idx)}", f"{r.doc_score:.4f}",
                     str(r.count), r.direction, _probability(r.translation_probability)]
        return "\t".join(one_line(c) for c in cols) + "\n"


def _probability(p: float | None) -> str:
    return "" if p is None else f"{p:.4f}"


def _xml_text(text: str) -> str:
    return escape(_XML_ILLEGAL.sub(" ", text))


def tmx_srclang(directions) -> str:
    """The header's srclang: the original's language when every unit has that one, else ``*all*``."""
    originals = {d.split("->")[0] if "->" in d else None for d in directions}
    return originals.pop() if len(originals) == 1 and None not in originals else "*all*"


class TmxSink(TextSink):
    """TMX 1.4b: a unit per row, l1 then l2; a unit's ``srclang`` (the original's language) only when the
    direction is known."""

    extension = "tmx"

    def head(self) -> str:
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n'
                f'<header creationtool="twinpages" creationtoolversion="{__version__}" datatype="plaintext" '
                f'segtype="sentence" adminlang="en" srclang={quoteattr(tmx_srclang(self.options.directions))} '
                'o-tmf="twinpages"/>\n<body>\n')

    def line(self, k: int, r) -> str:
        original = r.original
        srclang = f" srclang={quoteattr(original)}" if original else ""
        return (f'<tu tuid="{k}"{srclang}>'
                f'<prop type="score">{r.score:.4f}</prop>'
                f'<prop type="count">{r.count}</prop>'
                f'<prop type="direction">{_xml_text(r.direction)}</prop>'
                f'<prop type="translator">{_xml_text(r.translator)}</prop>'
                + (f'<prop type="translator-probability">{r.translator_probability:.4f}</prop>'
                   if r.translator_probability is not None else "")
                + (f'<prop type="translation-probability">{r.translation_probability:.4f}</prop>'
                   if r.translation_probability is not None else "")
                + "".join(f"<prop type=\"source-document\">{_xml_text(src)}</prop>"
                          f"<prop type=\"target-document\">{_xml_text(tgt)}</prop>" for src, tgt in _documents(r))
                + "\n"
                f"<tuv xml:lang={quoteattr(r.src_lang)}><seg>{_xml_text(r.src)}</seg></tuv>\n"
                f"<tuv xml:lang={quoteattr(r.tgt_lang)}><seg>{_xml_text(r.tgt)}</seg></tuv>\n</tu>\n")

    def tail(self) -> str:
        return "</body>\n</tmx>\n"


def _documents(r) -> list[tuple[str, str]]:
    """The row's document pairs, each once, in run order (ParaCrawl's TMX lists every URL of a unit)."""
    pairs = [(o[0], o[1]) for o in r.occurrences] or [(r.src_url, r.tgt_url)]
    return list(dict.fromkeys(pairs))


class JsonlSink(TextSink):
    """One BITEXT record (schemas.py) per line."""

    extension = "jsonl"

    def line(self, k: int, r) -> str:
        return json.dumps(BITEXT.row(r), ensure_ascii=False) + "\n"


class RejectedSink(TextSink):
    """The rows the filter rejected, one REJECTED record (BITEXT and its ``filter_reason``) per line, into
    ``bitext/rejected/{l1}-{l2}.jsonl`` whatever the formats: kept for inspection, not for training."""

    extension = "jsonl"

    def open(self):
        self.tmp.parent.mkdir(parents=True, exist_ok=True)
        return super().open()

    def line(self, k: int, r) -> str:
        return json.dumps(REJECTED.row(r), ensure_ascii=False) + "\n"


class ParquetSink(Sink):
    """BITEXT records in a Parquet file with the run's metadata and the language pair."""

    extension = "parquet"

    def __init__(self, folder: Path, name: str, options: SinkOptions):
        from ...io import ParquetRows

        super().__init__(folder, name, options)
        self.rows = ParquetRows(self.path, BITEXT.arrow_schema(), options.metadata | {"language_pair": name})

    def add(self, row) -> None:
        self.n += 1
        self.rows.add(BITEXT.row(row))

    def close(self) -> Path:
        return self.rows.close()  # ParquetRows writes its own NAME.tmp


# format name -> sink; the order is the order of `--formats`' default
SINKS: dict[str, type[Sink]] = {"tsv": TsvSink, "tmx": TmxSink, "jsonl": JsonlSink, "parquet": ParquetSink}
FORMATS = tuple(SINKS)
TEXT_FORMATS = tuple(name for name, sink in SINKS.items() if issubclass(sink, TextSink))
