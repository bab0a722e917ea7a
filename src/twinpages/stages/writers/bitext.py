"""Bitext rows from document pairs, deduplicated, as TSV (Bitextor's columns), TMX 1.4b, JSONL, Parquet.

Deduplication keeps the first occurrence of each (source, target) pair under a normalised hash
(Unicode NFKC, case-folded, letters and digits only, as Bifixer does for its hashes) and counts the
occurrences; ``dedup=False`` keeps every row.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ... import __version__
from ...data import DocPair
from ...io import atomic_lines, atomic_parquet
from ...schemas import BITEXT

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
# XML 1.0 forbids these even when escaped; crawled text has them
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(slots=True)
class BitextRow:
    url1: str
    url2: str
    src_lang: str
    tgt_lang: str
    src: str
    trg: str
    score: float
    cosine: float
    src_idx: list[int]
    tgt_idx: list[int]
    doc_score: float
    count: int = 1


def normalised_hash(src: str, trg: str) -> str:
    def norm(text: str) -> str:
        return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())

    return hashlib.blake2b(f"{norm(src)}\t{norm(trg)}".encode(), digest_size=8).hexdigest()


class BitextRows:
    """The bitext rows of ``pairs`` (which must be iterable more than once), streamed. With ``dedup``, a
    first pass counts each normalised (source, target) pair; iterating yields the first occurrence of
    each with its count. Memory holds one small count per distinct pair, not the rows."""

    def __init__(self, pairs: Iterable[DocPair], dedup: bool = True):
        self.pairs, self.dedup = pairs, dedup
        self.counts: dict[str, int] = {}
        self.n = 0
        for row in self._all():
            if dedup:
                key = normalised_hash(row.src, row.trg)
                self.counts[key] = self.counts.get(key, 0) + 1
            else:
                self.n += 1
        if dedup:
            self.n = len(self.counts)

    def _all(self) -> Iterator[BitextRow]:
        for p in self.pairs:
            for b in p.pairs:
                if b.src_idx and b.tgt_idx:
                    yield BitextRow(p.src_name, p.tgt_name, p.src_lang, p.tgt_lang, _one_line(b.src_text),
                                    _one_line(b.tgt_text), b.score, b.cosine, list(b.src_idx), list(b.tgt_idx),
                                    p.score)

    def __iter__(self) -> Iterator[BitextRow]:
        if not self.dedup:
            yield from self._all()
            return
        remaining = dict(self.counts)
        for row in self._all():
            count = remaining.pop(normalised_hash(row.src, row.trg), None)
            if count is not None:  # later occurrences were popped already
                row.count = count
                yield row

    def __len__(self) -> int:
        return self.n


def bitext_rows(pairs: Iterable[DocPair], dedup: bool = True) -> list[BitextRow]:
    return list(BitextRows(list(pairs), dedup))


def _one_line(text: str) -> str:
    # a tab or newline inside a field would break the columns
    return " ".join(text.replace("\t", " ").split())


def write_tsv(path: Path, rows: Iterable[BitextRow], extra: bool = False) -> None:
    """Bitextor's columns url1 url2 src trg score; with ``extra``: src_lang tgt_lang bead doc_score count."""

    def line(r: BitextRow) -> str:
        cols = [r.url1, r.url2, r.src, r.trg, f"{r.score:.4f}"]
        if extra:
            bead = f"{len(r.src_idx)}-{len(r.tgt_idx)}"
            cols += [r.src_lang, r.tgt_lang, bead, f"{r.doc_score:.4f}", str(r.count)]
        return "\t".join(_one_line(c) for c in cols) + "\n"

    atomic_lines(path, (line(r) for r in rows))


def write_jsonl(path: Path, rows: Iterable[BitextRow]) -> None:
    atomic_lines(path, (json.dumps(BITEXT.row(r), ensure_ascii=False) + "\n" for r in rows))


def _xml_text(text: str) -> str:
    return escape(_XML_ILLEGAL.sub(" ", text))


def write_tmx(path: Path, rows: Iterable[BitextRow]) -> None:
    """TMX 1.4b: one <tu> per row, the source language first; properties carry score and documents."""
    langs = {r.src_lang for r in rows}
    srclang = next(iter(langs)) if len(langs) == 1 else "*all*"

    def lines():
        yield '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n'
        yield (f'<header creationtool="twinpages" creationtoolversion="{__version__}" datatype="plaintext" '
               f'segtype="sentence" adminlang="en" srclang="{srclang}" o-tmf="twinpages"/>\n<body>\n')
        for k, r in enumerate(rows, 1):
            yield (f'<tu tuid="{k}" srclang="{r.src_lang}">'
                   f'<prop type="score">{r.score:.4f}</prop>'
                   f'<prop type="count">{r.count}</prop>'
                   f"<prop type=\"source-document\">{_xml_text(r.url1)}</prop>"
                   f"<prop type=\"target-document\">{_xml_text(r.url2)}</prop>\n"
                   f"<tuv xml:lang={quoteattr(r.src_lang)}><seg>{_xml_text(r.src)}</seg></tuv>\n"
                   f"<tuv xml:lang={quoteattr(r.tgt_lang)}><seg>{_xml_text(r.trg)}</seg></tuv>\n</tu>\n")
        yield "</body>\n</tmx>\n"

    atomic_lines(path, lines())


BITEXT_SCHEMA_DOC = {c.name: f"{c.type}: {c.doc}" for c in BITEXT.columns}  # documented in README too


def write_parquet(path: Path, rows: Iterable[BitextRow], metadata: dict | None = None) -> None:
    atomic_parquet(path, BITEXT.arrow_schema(), (BITEXT.row(r) for r in rows), metadata=metadata)
