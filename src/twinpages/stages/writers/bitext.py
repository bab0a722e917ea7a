"""Bitext rows from document pairs, one file set per language pair, as Bitextor and OPUS users expect:
``bitext/{l1}-{l2}.tsv`` (Bitextor's columns; ``.tsv.gz`` with ``compress``), ``.tmx`` (TMX 1.4b),
``.jsonl`` and ``.parquet``.

Every row of a language pair has the same orientation, ``l1`` first (``language_pair``): a pair's
original comes first in ``docpairs``, but bitext columns must not flip from one row to the next (a
language filter for ``[en, fr]`` would reject the rows whose French is in the English column). Where
the original is known, ``direction`` says so (``en->fr``), and the TMX names it as the unit's
``srclang``; where it is not, the TMX says ``*all*``.

Deduplication keeps the first occurrence of each (l1, l2) text pair under a normalised hash (Unicode
NFKC, case-folded, letters and digits only, as Bifixer does for its hashes) and counts the occurrences;
``dedup=False`` keeps every row. Values are rounded as the schema says (schemas.BITEXT), the same in
every format. TSV quoting: none; tabs and line breaks inside a text become spaces, so a row is always
one line of tab-separated fields.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ... import __version__
from ...data import DocPair
from ...schemas import BITEXT

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
# XML 1.0 forbids these even when escaped; crawled text has them
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

TSV_COLUMNS = ("url1", "url2", "src", "trg", "score")  # Bitextor's, in its order
TSV_EXTRA = ("src_lang", "tgt_lang", "bead", "doc_score", "count", "direction")


def language_pair(a: str, b: str, preferred: Iterable[tuple[str, str]] = ()) -> tuple[str, str]:
    """The order of a language pair's columns: as the user gave it (``-l en-de``); else English first
    when one side is English; else by code."""
    for l1, l2 in preferred:
        if {a, b} == {l1, l2}:
            return l1, l2
    if "en" in (a, b) and a != b:
        return "en", b if a == "en" else a
    return (a, b) if a <= b else (b, a)


@dataclass(slots=True)
class BitextRow:
    src_url: str  # the l1 side's document
    tgt_url: str
    src_lang: str  # l1
    tgt_lang: str  # l2
    src: str
    tgt: str
    score: float
    cosine: float
    src_idx: list[int]
    tgt_idx: list[int]
    doc_score: float
    direction: str  # as in docpairs: "en->de" or "unknown"
    translator: str = "unknown"  # this bead's verdict: "machine", "human" or "unknown"
    translator_probability: float | None = None
    count: int = 1

    @property
    def original(self) -> str | None:
        """The language of the original side, when the direction is known."""
        return self.direction.split("->")[0] if "->" in self.direction else None


def normalised_hash(src: str, tgt: str) -> str:
    def norm(text: str) -> str:
        return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())

    return hashlib.blake2b(f"{norm(src)}\t{norm(tgt)}".encode(), digest_size=8).hexdigest()


def _rows_of(p: DocPair, preferred: Iterable[tuple[str, str]]) -> Iterator[BitextRow]:
    l1, _ = language_pair(p.src_lang, p.tgt_lang, preferred)
    turned = p.src_lang != l1
    for b in p.pairs:
        if not (b.src_idx and b.tgt_idx):
            continue
        row = BitextRow(p.src_name, p.tgt_name, p.src_lang, p.tgt_lang, _one_line(b.src_text),
                        _one_line(b.tgt_text), b.score, b.cosine, list(b.src_idx), list(b.tgt_idx), p.score,
                        p.direction, b.translator, b.translator_probability)
        if turned:
            row = BitextRow(row.tgt_url, row.src_url, row.tgt_lang, row.src_lang, row.tgt, row.src, row.score,
                            row.cosine, row.tgt_idx, row.src_idx, row.doc_score, row.direction, row.translator,
                            row.translator_probability)
        yield row


class BitextRows:
    """The bitext rows of ``pairs`` (iterable more than once), streamed, with each row's language pair.
    A first pass counts each normalised (l1, l2) text pair per language pair (``dedup``) and notes the
    language pairs and their directions; iterating yields the first occurrence of each with its count.
    Memory holds one small count per distinct pair, not the rows."""

    def __init__(self, pairs: Iterable[DocPair], dedup: bool = True, preferred: Iterable[tuple[str, str]] = ()):
        self.pairs, self.dedup, self.preferred = pairs, dedup, tuple(preferred)
        self.counts: dict[tuple[str, str, str], int] = {}
        self.rows: dict[tuple[str, str], int] = {}  # rows per language pair (after dedup)
        self.directions: dict[tuple[str, str], set[str]] = {}
        for row in self._all():
            lp = (row.src_lang, row.tgt_lang)
            self.directions.setdefault(lp, set()).add(row.direction)
            if dedup:
                key = (*lp, normalised_hash(row.src, row.tgt))
                if key not in self.counts:
                    self.rows[lp] = self.rows.get(lp, 0) + 1
                self.counts[key] = self.counts.get(key, 0) + 1
            else:
                self.rows[lp] = self.rows.get(lp, 0) + 1

    def _all(self) -> Iterator[BitextRow]:
        for p in self.pairs:
            yield from _rows_of(p, self.preferred)

    def __iter__(self) -> Iterator[BitextRow]:
        if not self.dedup:
            yield from self._all()
            return
        remaining = dict(self.counts)
        for row in self._all():
            count = remaining.pop((row.src_lang, row.tgt_lang, normalised_hash(row.src, row.tgt)), None)
            if count is not None:  # later occurrences were popped already
                row.count = count
                yield row

    def __len__(self) -> int:
        return sum(self.rows.values())


def bitext_rows(pairs: Iterable[DocPair], dedup: bool = True, preferred: Iterable[tuple[str, str]] = ()) \
        -> list[BitextRow]:
    return list(BitextRows(list(pairs), dedup, preferred))


def _one_line(text: str) -> str:
    # a tab or newline inside a field would break the columns
    return " ".join(text.replace("\t", " ").split())


def tsv_line(r: BitextRow, extra: bool = False) -> str:
    """Bitextor's columns url1 url2 src trg score; with ``extra``, TSV_EXTRA after them."""
    cols = [r.src_url, r.tgt_url, r.src, r.tgt, f"{r.score:.4f}"]
    if extra:
        cols += [r.src_lang, r.tgt_lang, f"{len(r.src_idx)}-{len(r.tgt_idx)}", f"{r.doc_score:.4f}", str(r.count),
                 r.direction]
    return "\t".join(_one_line(c) for c in cols) + "\n"


def _xml_text(text: str) -> str:
    return escape(_XML_ILLEGAL.sub(" ", text))


def tmx_header(srclang: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n'
            f'<header creationtool="twinpages" creationtoolversion="{__version__}" datatype="plaintext" '
            f'segtype="sentence" adminlang="en" srclang={quoteattr(srclang)} o-tmf="twinpages"/>\n<body>\n')


TMX_END = "</body>\n</tmx>\n"


def tmx_unit(k: int, r: BitextRow) -> str:
    """One <tu>: l1 then l2; ``srclang`` (the original's language) only when the direction is known."""
    original = r.original
    srclang = f" srclang={quoteattr(original)}" if original else ""
    return (f'<tu tuid="{k}"{srclang}>'
            f'<prop type="score">{r.score:.4f}</prop>'
            f'<prop type="count">{r.count}</prop>'
            f'<prop type="direction">{_xml_text(r.direction)}</prop>'
            f'<prop type="translator">{_xml_text(r.translator)}</prop>'
            + (f'<prop type="translator-probability">{r.translator_probability:.4f}</prop>'
               if r.translator_probability is not None else "")
            + f"<prop type=\"source-document\">{_xml_text(r.src_url)}</prop>"
            f"<prop type=\"target-document\">{_xml_text(r.tgt_url)}</prop>\n"
            f"<tuv xml:lang={quoteattr(r.src_lang)}><seg>{_xml_text(r.src)}</seg></tuv>\n"
            f"<tuv xml:lang={quoteattr(r.tgt_lang)}><seg>{_xml_text(r.tgt)}</seg></tuv>\n</tu>\n")


def tmx_srclang(directions: set[str]) -> str:
    """The header's srclang: the original's language when every unit has that one, else ``*all*``."""
    originals = {d.split("->")[0] if "->" in d else None for d in directions}
    return originals.pop() if len(originals) == 1 and None not in originals else "*all*"


class LanguagePairFiles:
    """One language pair's bitext files, written as rows come and renamed into place on ``close``."""

    def __init__(self, folder: Path, lp: tuple[str, str], formats: Iterable[str], directions: set[str],
                 compress: bool = False, tsv_header: bool = False, tsv_extra: bool = False,
                 metadata: dict | None = None):
        import pyarrow.parquet as pq

        self.name = f"{lp[0]}-{lp[1]}"
        self.tsv_extra = tsv_extra
        self.paths: dict[str, Path] = {}
        self.files: dict[str, object] = {}
        folder.mkdir(parents=True, exist_ok=True)
        for fmt in formats:
            ext = "tsv.gz" if fmt == "tsv" and compress else fmt
            path = folder / f"{self.name}.{ext}"
            self.paths[fmt] = path
            tmp = path.with_name(path.name + ".tmp")
            if fmt == "parquet":
                schema = BITEXT.arrow_schema().with_metadata(
                    {k: str(v) for k, v in ((metadata or {}) | {"language_pair": self.name}).items()})
                self.files[fmt] = pq.ParquetWriter(tmp, schema)
                self.schema, self.batch = schema, []
            elif fmt == "tsv" and compress:
                self.files[fmt] = gzip.open(tmp, "wt", encoding="utf-8", newline="\n")
            else:
                self.files[fmt] = open(tmp, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 (closed in close)
        if "tsv" in self.files and tsv_header:
            self.files["tsv"].write("\t".join(TSV_COLUMNS + (TSV_EXTRA if tsv_extra else ())) + "\n")
        if "tmx" in self.files:
            self.files["tmx"].write(tmx_header(tmx_srclang(directions)))
        self.n = 0

    def add(self, row: BitextRow) -> None:
        self.n += 1
        if "tsv" in self.files:
            self.files["tsv"].write(tsv_line(row, self.tsv_extra))
        if "tmx" in self.files:
            self.files["tmx"].write(tmx_unit(self.n, row))
        record = BITEXT.row(row) if "jsonl" in self.files or "parquet" in self.files else None
        if "jsonl" in self.files:
            self.files["jsonl"].write(json.dumps(record, ensure_ascii=False) + "\n")
        if "parquet" in self.files:
            self.batch.append(record)
            if len(self.batch) == 10_000:
                self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        self.files["parquet"].write_table(pa.Table.from_pylist(self.batch, schema=self.schema))
        self.batch = []

    def close(self) -> list[Path]:
        if "tmx" in self.files:
            self.files["tmx"].write(TMX_END)
        if "parquet" in self.files and (self.batch or self.n == 0):
            self._flush()
        for fmt, f in self.files.items():
            f.close()
            path = self.paths[fmt]
            os.replace(path.with_name(path.name + ".tmp"), path)
        return list(self.paths.values())


def write_bitext(folder: Path, rows: BitextRows, formats: Iterable[str],
                 language_pairs: Iterable[tuple[str, str]] = (), compress: bool = False, tsv_header: bool = False,
                 tsv_extra: bool = False, metadata: dict | None = None) -> list[Path]:
    """Every language pair's files under ``folder``, in one pass over the rows. ``language_pairs``: pairs
    to write even when they have no rows (those the user asked for), so that an empty run leaves files
    that readers accept."""
    formats = tuple(formats)
    lps = sorted(set(rows.directions) | set(language_pairs))
    open_files = {lp: LanguagePairFiles(folder, lp, formats, rows.directions.get(lp, set()), compress, tsv_header,
                                        tsv_extra, metadata) for lp in lps}
    for row in rows:
        open_files[(row.src_lang, row.tgt_lang)].add(row)
    return [p for lp in lps for p in open_files[lp].close()]


BITEXT_SCHEMA_DOC = {c.name: f"{c.type}: {c.doc}" for c in BITEXT.columns}  # documented in README too
