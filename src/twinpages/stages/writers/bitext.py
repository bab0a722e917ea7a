"""Bitext rows from document pairs, one file set per language pair, as Bitextor and OPUS users expect:
``bitext/{l1}-{l2}.tsv`` (Bitextor's columns; ``.tsv.gz`` with ``compress``), ``.tmx`` (TMX 1.4b),
``.jsonl`` and ``.parquet`` (the formats: sinks.py).

Every row of a language pair has the same orientation, ``l1`` first (``language_pair``): a pair's
original comes first in ``docpairs``, but bitext columns must not flip from one row to the next (a
language filter for ``[en, fr]`` would reject the rows whose French is in the English column). Where
the original is known, ``direction`` says so (``en->fr``), and the TMX names it as the unit's
``srclang``; where it is not, the TMX says ``*all*``.

Every aligned bead gets ``translation_probability`` and, where the filter rejects it, a ``filter_reason``
(stages/beadfilter.py). Rejected rows are not lost: they go to ``bitext/rejected/{l1}-{l2}.jsonl`` with their
reason, deduplicated like the kept rows, and their counts by reason go to run.json.

Deduplication keeps, of each (l1, l2) text pair under a normalised hash (Unicode NFKC, case-folded,
letters and digits only, as Bifixer does for its hashes), the best-scored row, with its count and every
occurrence's URLs and pointers (``occurrences``), in bounded memory (BitextRows); ``dedup=False`` keeps
every row. Values are rounded as the schema says (schemas.BITEXT), the same in
every format. TSV quoting: none; tabs and line breaks inside a text become spaces, so a row is always
one line of tab-separated fields.
"""

from __future__ import annotations

import hashlib
import heapq
import pickle
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...data import DocPair
from ..beadfilter import REASONS, BeadFilter, Verdict, normalised
from .sinks import SINKS, RejectedSink, SinkOptions, one_line


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
    translation_probability: float | None = None  # stages/beadfilter.py; None: no filter was asked
    filter_reason: str = ""  # why the filter rejected it; "" for a kept row
    src_pointer: str = ""  # where each document can be fetched again (DocPair.src_pointer)
    tgt_pointer: str = ""
    occurrences: list = field(default_factory=list)  # every [src_url, tgt_url, src_pointer, tgt_pointer] (dedup)

    @property
    def original(self) -> str | None:
        """The language of the original side, when the direction is known."""
        return self.direction.split("->")[0] if "->" in self.direction else None


def normalised_hash(src: str, tgt: str) -> str:
    # the filter's `identical` rule compares sides under the same normalisation (beadfilter.normalised)
    return hashlib.blake2b(f"{normalised(src)}\t{normalised(tgt)}".encode(), digest_size=8).hexdigest()


def _rows_of(p: DocPair, preferred: Iterable[tuple[str, str]], verdicts: list[Verdict | None]) \
        -> Iterator[BitextRow]:
    l1, _ = language_pair(p.src_lang, p.tgt_lang, preferred)
    turned = p.src_lang != l1
    for b, verdict in zip(p.beads, verdicts, strict=True):
        if not (b.src_idx and b.tgt_idx):
            continue
        row = BitextRow(p.src_name, p.tgt_name, p.src_lang, p.tgt_lang, one_line(b.src_text),
                        one_line(b.tgt_text), b.score, b.cosine, list(b.src_idx), list(b.tgt_idx), p.score,
                        p.direction, b.translator, b.translator_probability, src_pointer=p.src_pointer,
                        tgt_pointer=p.tgt_pointer)
        if verdict is not None:
            row.translation_probability, row.filter_reason = verdict.translation_probability, verdict.reason
        if turned:
            row = replace(row, src_url=row.tgt_url, tgt_url=row.src_url, src_lang=row.tgt_lang,
                          tgt_lang=row.src_lang, src=row.tgt, tgt=row.src, src_idx=row.tgt_idx, tgt_idx=row.src_idx,
                          src_pointer=row.tgt_pointer, tgt_pointer=row.src_pointer)
        yield row


def _records(path: Path) -> Iterator:
    """The records pickled one after another into a spill file."""
    with open(path, "rb") as f:
        while True:
            try:
                yield pickle.load(f)
            except EOFError:
                return


_REASON_OF = ("", *REASONS)
_REASON_CODE = {reason: k for k, reason in enumerate(_REASON_OF)}
# the first pass spills one small record a row into this many bucket files (by the row's key), so that no
# step holds more than a bucket's distinct pairs in memory; a bucket is then reduced alone
BUCKETS = 64


class BitextRows:
    """The bitext rows of ``pairs`` (iterable more than once), streamed, with each row's language pair.

    Deduplication (``dedup``) keeps, of each normalised (l1, l2) text pair, kept and rejected apart, the
    row with the best score (the first of equals) and records every occurrence: its count, and each
    occurrence's URLs and pointers (``occurrences``), in stream order. It is sharded: a first pass spills
    one small record a row into BUCKETS files by key, each bucket is reduced alone (memory: one bucket's
    rows), and the winners come back in stream order by a merge of the buckets' sorted lists; a second
    pass over the pairs yields them. Iterating yields the kept rows (``rejected()``: the rejected ones;
    ``all_rows()``: both, in one pass). ``bead_filter``: the filter's verdicts (None: every row kept, no
    probability). ``workdir``: where the buckets go (default: the system's temporary folder)."""

    def __init__(self, pairs: Iterable[DocPair], dedup: bool = True, preferred: Iterable[tuple[str, str]] = (),
                 bead_filter: BeadFilter | None = None, workdir: Path | None = None, buckets: int = BUCKETS):
        self.pairs, self.dedup, self.preferred, self.bead_filter = pairs, dedup, tuple(preferred), bead_filter
        self.buckets = buckets
        # the filter's verdicts, one per both-sided bead in stream order, from the first pass: the later passes
        # (kept rows, rejected rows) read them back instead of judging again (9 bytes a row)
        self._probabilities: array | None = None
        self._reasons = bytearray()
        self.rows: dict[tuple[str, str], int] = {}  # kept rows per language pair (after dedup)
        self.rejected_rows: dict[tuple[str, str], dict[str, int]] = {}  # per language pair and reason
        self.directions: dict[tuple[str, str], set[str]] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="twinpages-dedup-", dir=workdir)
        self._winners = Path(self._tmp.name)
        spills = [open(self._winners / f"{k:02d}.rows", "wb") for k in range(buckets)] if dedup else []
        try:
            for seq, row in enumerate(self._all()):
                lp = (row.src_lang, row.tgt_lang)
                self.directions.setdefault(lp, set()).add(row.direction)
                if dedup:
                    key = self._key(row)
                    pickle.dump((key, seq, row.score, row.src_lang, row.tgt_lang, row.filter_reason,
                                 _occurrence(row)), spills[int(key[-1][:4], 16) % buckets], 5)
                else:
                    self._count(lp, row.filter_reason)
        finally:
            for f in spills:
                f.close()
        for k in range(buckets if dedup else 0):
            self._reduce(self._winners / f"{k:02d}.rows")

    @staticmethod
    def _key(row: BitextRow) -> tuple[str, str, str, str]:
        # kept and rejected apart: a pair the filter rejected in one place and kept in another is in both files
        return row.src_lang, row.tgt_lang, "rejected" if row.filter_reason else "kept", \
            normalised_hash(row.src, row.tgt)

    def _count(self, lp: tuple[str, str], reason: str) -> None:
        if reason:
            by_reason = self.rejected_rows.setdefault(lp, {})
            by_reason[reason] = by_reason.get(reason, 0) + 1
        else:
            self.rows[lp] = self.rows.get(lp, 0) + 1

    def _reduce(self, bucket: Path) -> None:
        """One bucket's rows grouped by key: the best row's stream number with its count and occurrences,
        written sorted by stream number (``.win``) in place of the bucket."""
        groups: dict[tuple, list] = {}
        for key, seq, score, l1, l2, reason, occurrence in _records(bucket):
            group = groups.get(key)
            if group is None:
                groups[key] = [seq, score, l1, l2, reason, [occurrence]]
            else:
                if score > group[1]:  # the best score; of equals, the first
                    group[0], group[1] = seq, score
                group[5].append(occurrence)
        bucket.unlink()
        winners = sorted((g[0], g[5]) for g in groups.values())
        for g in groups.values():
            self._count((g[2], g[3]), g[4])
        with open(bucket.with_suffix(".win"), "wb") as f:
            for seq, occurrences in winners:
                pickle.dump((seq, occurrences), f, 5)

    def _winners_in_order(self) -> Iterator[tuple[int, list]]:
        yield from heapq.merge(*(_records(self._winners / f"{k:02d}.win") for k in range(self.buckets)))

    def _all(self) -> Iterator[BitextRow]:
        first = self._probabilities is None
        if first:
            self._probabilities = array("d")
        at = 0
        for p in self.pairs:
            if self.bead_filter is None:
                verdicts: list[Verdict | None] = [None] * len(p.beads)
            elif first:
                verdicts = self.bead_filter.judge(p)
                for v in verdicts:
                    if v is not None:
                        self._probabilities.append(v.translation_probability)
                        self._reasons.append(_REASON_CODE[v.reason])
            else:
                verdicts = []
                for b in p.beads:
                    if b.src_idx and b.tgt_idx:
                        verdicts.append(Verdict(self._probabilities[at], _REASON_OF[self._reasons[at]]))
                        at += 1
                    else:
                        verdicts.append(None)
            yield from _rows_of(p, self.preferred, verdicts)

    def all_rows(self) -> Iterator[BitextRow]:
        """Kept and rejected rows (``filter_reason``) in one pass: the best occurrence of each, with its count
        and every occurrence."""
        if not self.dedup:
            for row in self._all():
                row.occurrences = [_occurrence(row)]
                yield row
            return
        winners = self._winners_in_order()
        next_seq, occurrences = next(winners, (None, None))
        for seq, row in enumerate(self._all()):
            if seq == next_seq:
                row.count, row.occurrences = len(occurrences), occurrences
                yield row
                next_seq, occurrences = next(winners, (None, None))

    def __iter__(self) -> Iterator[BitextRow]:
        return (row for row in self.all_rows() if not row.filter_reason)

    def rejected(self) -> Iterator[BitextRow]:
        return (row for row in self.all_rows() if row.filter_reason)

    def __len__(self) -> int:
        return sum(self.rows.values())

    def close(self) -> None:
        """Remove the buckets (also done when the object is collected)."""
        self._tmp.cleanup()

    def filter_stats(self) -> dict:
        """Rows kept and rejected (after dedup), and the rejected by reason, over every language pair."""
        reasons: dict[str, int] = {}
        for by_reason in self.rejected_rows.values():
            for reason, n in by_reason.items():
                reasons[reason] = reasons.get(reason, 0) + n
        return {"kept": len(self), "rejected": sum(reasons.values()),
                "rejected_by_reason": dict(sorted(reasons.items()))}


def _occurrence(row: BitextRow) -> list[str]:
    """Where a row was found: its two documents' URLs (else paths) and pointers (schemas.BITEXT)."""
    return [row.src_url, row.tgt_url, row.src_pointer, row.tgt_pointer]


def bitext_rows(pairs: Iterable[DocPair], dedup: bool = True, preferred: Iterable[tuple[str, str]] = (),
                bead_filter: BeadFilter | None = None) -> list[BitextRow]:
    """The kept rows (the rejected ones: ``BitextRows.rejected``)."""
    return list(BitextRows(list(pairs), dedup, preferred, bead_filter))


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
    # every language pair gets its rejected file, empty or not, so that a reader never meets a missing one
    filtering = rows.bead_filter is not None and rows.bead_filter.config.enabled
    rejected = {lp: RejectedSink(folder / "rejected", f"{lp[0]}-{lp[1]}", options) for lp in lps} \
        if filtering else {}
    for row in rows.all_rows():
        lp = (row.src_lang, row.tgt_lang)
        for sink in [rejected[lp]] if row.filter_reason else sinks[lp]:
            sink.add(row)
    return [sink.close() for lp in lps for sink in sinks[lp]] + [sink.close() for sink in rejected.values()]

