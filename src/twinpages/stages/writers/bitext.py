"""Bitext rows from document pairs, one file set per language pair, as Bitextor and OPUS users expect:
``bitext/{l1}-{l2}.tsv`` (Bitextor's columns; ``.tsv.gz`` with ``compress``), ``.tmx`` (TMX 1.4b),
``.jsonl`` and ``.parquet`` (the formats: sinks.py).

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

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from ...data import DocPair
from .sinks import SINKS, SinkOptions, one_line

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


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
    for b in p.beads:
        if not (b.src_idx and b.tgt_idx):
            continue
        row = BitextRow(p.src_name, p.tgt_name, p.src_lang, p.tgt_lang, one_line(b.src_text),
                        one_line(b.tgt_text), b.score, b.cosine, list(b.src_idx), list(b.tgt_idx), p.score,
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


def write_bitext(folder: Path, rows: BitextRows, formats: Iterable[str],
                 language_pairs: Iterable[tuple[str, str]] = (), options: SinkOptions | None = None) -> list[Path]:
    """Every language pair's files under ``folder`` (one sink a format: sinks.py), in one pass over the rows.
    ``language_pairs``: pairs to write even when they have no rows (those the user asked for), so that an
    empty run leaves files that readers accept."""
    formats, options = tuple(formats), options or SinkOptions()
    lps = sorted(set(rows.directions) | set(language_pairs))
    folder.mkdir(parents=True, exist_ok=True)
    sinks = {lp: [SINKS[fmt](folder, f"{lp[0]}-{lp[1]}", replace(options, directions=frozenset(
        rows.directions.get(lp, set())))) for fmt in formats] for lp in lps}
    for row in rows:
        for sink in sinks[(row.src_lang, row.tgt_lang)]:
            sink.add(row)
    return [sink.close() for lp in lps for sink in sinks[lp]]

