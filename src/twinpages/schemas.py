"""Record schemas, written once: each output record is one table of columns (name, type, meaning), and
its JSONL form, its Arrow/Parquet schema and the README's table are all derived from that table.

The run folder's internal records (decided document pairs with their beads, which a resumed run loads
back) are serialised from the dataclasses' own fields, strictly: a record that lacks a field or has
an unknown one is refused, never filled with a default. The fields are also part of the run signature
(``fingerprint``), so a run folder written before a field was added is refused as a different run.

``python -m twinpages.schemas`` prints the Markdown tables that README.md carries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from .data import Candidates, DocError, DocPair, Document, Line, Sentence, SentPair


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # string, bool, int32, int64, float32, float64, list<string>, list<int32>, list<list<int64>>
    doc: str
    get: Callable[[Any], Any] | None = None  # the value from the object; default: the attribute ``name``
    digits: int | None = None  # floats are rounded to this many digits in every format


def _arrow_type(name: str):
    import pyarrow as pa

    if name.startswith("list<") and name.endswith(">"):
        return pa.list_(_arrow_type(name[5:-1]))
    return {"string": pa.string(), "bool": pa.bool_(), "int32": pa.int32(), "int64": pa.int64(),
            "float32": pa.float32(), "float64": pa.float64()}[name]


class Record:
    """One record type: its columns, and what each format needs from them."""

    def __init__(self, name: str, columns: list[Column]):
        self.name = name
        self.columns = columns
        self.names = [c.name for c in columns]

    def row(self, obj) -> dict:
        """The record as a dict of plain values (what JSONL writes and Parquet stores)."""
        out = {}
        for c in self.columns:
            value = c.get(obj) if c.get is not None else getattr(obj, c.name)
            if c.digits is not None and value is not None:
                value = round(float(value), c.digits)
            out[c.name] = value
        return out

    def arrow_schema(self):
        import pyarrow as pa

        return pa.schema([(c.name, _arrow_type(c.type)) for c in self.columns])

    def markdown(self) -> str:
        lines = ["| field | type | meaning |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {c.type} | {c.doc} |" for c in self.columns]
        return "\n".join(lines)


DOCPAIR = Record("docpair", [
    Column("src_id", "string", "document id: the path relative to the input argument, or the JSONL id"),
    Column("tgt_id", "string", "the same for the other side"),
    Column("src_url", "string", "URL, else path", lambda p: p.src_name),
    Column("tgt_url", "string", "URL, else path", lambda p: p.tgt_name),
    Column("src_lang", "string", "ISO 639-1"),
    Column("tgt_lang", "string", "ISO 639-1"),
    Column("score", "float64", "document-pair score: mean cosine of the confident beads x the larger coverage",
           digits=4),
    Column("direction", "string", "`en->de` (original -> translation) or `unknown`"),
    Column("direction_probability", "float64", "the provenance model's probability that the source side is the "
           "original (a known direction puts the original first; `unknown` where neither side reaches the "
           "threshold chosen in training); null where no model covers the language pair", digits=4),
    Column("direction_evidence", "list<string>", "why"),
    Column("translator", "string", "`machine`, `human` or `unknown`: who made the translation, by the provenance "
           "model"),
    Column("translator_probability", "float64", "the model's probability that the translation is a machine's "
           "(`machine` at or above the threshold, `human` at or below one minus it); null where no model covers "
           "the language pair", digits=4),
    Column("src_coverage", "float64", "share of the source's main-text sentences in confident beads", digits=4),
    Column("tgt_coverage", "float64", "the same for the target", digits=4),
    Column("n_aligned", "int32", "beads with both sides (rows of the raw bitext)"),
    Column("candidate_score", "float64", "margin of the document vectors that made it a candidate", digits=4),
    Column("src_pointer", "string", "where the source document can be fetched again: `FILE:LINE` (JSONL), "
           "`FILE:ROW` (Parquet), `FILE:OFFSET` (a WARC record's offset in the file as stored), "
           "`FILE:OFFSET+LENGTH` (a record the CommonCrawl index named), else the file"),
    Column("tgt_pointer", "string", "the same for the target"),
    Column("src_published", "string", "the source page's publication date (`YYYY-MM-DD`, by htmldate from its "
           "markup, else its URL); null where unknown. Often wrong (a template's year, an update): evidence, "
           "not used for `direction`"),
    Column("tgt_published", "string", "the same for the target"),
    Column("src_crawled", "string", "when the source was fetched (ISO 8601 UTC: its WARC-Date, or a record's "
           "`date`); null where unknown"),
    Column("tgt_crawled", "string", "the same for the target"),
    Column("src_spans", "list<list<int64>>", "aligned passages: `[start, end)` character offsets in the "
           "source main text (PAN-style)", lambda p: [list(s) for s in p.src_spans]),
    Column("tgt_spans", "list<list<int64>>", "the same in the target main text",
           lambda p: [list(s) for s in p.tgt_spans]),
    Column("linked", "bool", "one page names the other as a language version of itself (hreflang alternate, "
           "canonical link): evidence beside the text, never the only proof"),
])

BITEXT = Record("bitext", [
    Column("src_url", "string", "the `l1` side's document: its URL, else its path"),
    Column("tgt_url", "string", "the `l2` side's document"),
    Column("src_lang", "string", "`l1`, the first language of the file's pair (ISO 639-1)"),
    Column("tgt_lang", "string", "`l2`"),
    Column("src", "string", "the `l1` sentence(s) of the bead, joined with a space"),
    Column("tgt", "string", "the `l2` sentence(s) of the bead"),
    Column("score", "float64", "bead score: normalised similarity on USE-m3's scale (~0 unrelated, ~0.5 "
           "translation)", digits=4),
    Column("cosine", "float64", "the encoder's raw cosine of the two sides", digits=4),
    Column("src_idx", "list<int32>", "indices of the `l1` sentences in its document's main text"),
    Column("tgt_idx", "list<int32>", "indices of the `l2` sentences"),
    Column("doc_score", "float64", "the document pair's score", digits=4),
    Column("direction", "string", "the document pair's direction, `en->de` (original -> translation) or "
           "`unknown`"),
    Column("translator", "string", "`machine`, `human` or `unknown`: this bead's verdict (the document's "
           "translator logit with the bead's own similarity and length shape)"),
    Column("translator_probability", "float64", "this bead's probability of being a machine's; null: no model",
           digits=4),
    Column("count", "int32", "occurrences of this (normalised) pair in the run; 1 without deduplication"),
    Column("translation_probability", "float64", "the filter's probability that the two sides translate each "
           "other (stages/beadfilter.py: calibrated on held-out WMT beads); null: no filter", digits=4),
    Column("occurrences", "list<list<string>>", "every place the (normalised) pair was found, in run order, "
           "this row's among them: `[src_url, tgt_url, src_pointer, tgt_pointer]` (docpairs' pointers); `count` "
           "of them"),
])

# The rows the filter rejected (bitext/rejected/L1-L2.jsonl): a bitext row and why
REJECTED = Record("rejected", [*BITEXT.columns, Column(
    "filter_reason", "string", "the rule that rejected the row (too_short, mostly_punctuation, identical, "
    "untranslated, wrong_language, length_ratio, numbers_differ, urls_differ) or low_probability")])

ERROR = Record("error", [
    Column("doc_id", "string", "the document's id (for an archive: file, then line or record)"),
    Column("source", "string", "where it was read from"),
    Column("stage", "string", "the stage that failed: read, extract, langid, segment, analyse, ..."),
    Column("error", "string", "the error type (README: error types)"),
    Column("message", "string", "what happened, for a person"),
    Column("severity", "string", "`error`: the document was dropped; `warning`: it was kept after a repair "
           "that the message names"),
])

RECORDS = {r.name: r for r in (DOCPAIR, BITEXT, REJECTED, ERROR)}


# --- the report's records: documents.jsonl and alignments.jsonl ---------------------------------------------

def document_row(d: Document) -> dict:
    """A document as documents.jsonl holds it (what the report and `serve` read): raw lines with the
    extractor's verdict ``[number, text, is_main, reason]``, and sentences ``[start, end, line]``."""
    return {"id": d.id, "url": d.name, "lang": d.lang, "main_text": d.main_text,
            "lines": [[line.number, line.text, line.is_main, line.reason] for line in d.lines],
            "sentences": [[s.start, s.end, s.line] for s in d.sentences]}


def extracted_row(d: Document) -> dict:
    """A document as `twinpages extract` writes it."""
    return {"id": d.id, "url": d.url, "lang": d.lang, "text": d.main_text}


def bead_row(b: SentPair) -> list:
    """A bead as alignments.jsonl holds it: ``[src_idx, tgt_idx, score]`` (an empty side: unaligned)."""
    return [list(b.src_idx), list(b.tgt_idx), round(b.score, 4)]


def bead_dict(row: list) -> dict:
    """A bead row as the service answers it."""
    src_idx, tgt_idx, score = row
    return {"src_idx": src_idx, "tgt_idx": tgt_idx, "score": score}


def alignment_row(p: DocPair) -> dict:
    """Every bead of a pair, unaligned sentences included: what the report shows side by side."""
    return {"src_id": p.src_id, "tgt_id": p.tgt_id, "beads": [bead_row(b) for b in p.beads]}


# --- the documents shards: one row per prepared document (store/shards.py) ------------------------------------

def document_shard_schema():
    import pyarrow as pa

    line = pa.struct([("number", pa.int32()), ("text", pa.string()), ("is_main", pa.bool_()),
                      ("reason", pa.string())])
    sentence = pa.struct([("text", pa.string()), ("start", pa.int32()), ("end", pa.int32()),
                          ("line", pa.int32()), ("lang", pa.string())])
    return pa.schema([("key", pa.string()), ("id", pa.string()), ("source", pa.string()), ("url", pa.string()),
                      ("lang", pa.string()), ("lang_score", pa.float64()), ("group", pa.string()),
                      ("main_text", pa.string()), ("lines", pa.list_(line)), ("sentences", pa.list_(sentence)),
                      ("alternates", pa.list_(pa.string())), ("crawled", pa.string()), ("published", pa.string()),
                      ("published_from", pa.string())])


def document_to_shard_row(doc: Document, key: str, group: str) -> dict:
    """``key``: what the run keys the document's work by (store/shards.content_key); ``group``: its site."""
    return {"key": key, "id": doc.id, "source": doc.source, "url": doc.url, "lang": doc.lang,
            "lang_score": doc.lang_score, "group": group, "main_text": doc.main_text,
            "lines": [{"number": x.number, "text": x.text, "is_main": x.is_main, "reason": x.reason}
                      for x in doc.lines],
            "sentences": [{"text": s.text, "start": s.start, "end": s.end, "line": s.line, "lang": s.lang}
                          for s in doc.sentences],
            "alternates": doc.alternates, "crawled": doc.crawled, "published": doc.published,
            "published_from": doc.published_from}


def document_from_shard_row(r: dict) -> Document:
    return Document(id=r["id"], raw="", source=r["source"], url=r["url"], lang=r["lang"],
                    lang_score=r["lang_score"],
                    lines=[Line(x["number"], x["text"], x["is_main"], x["reason"]) for x in r["lines"]],
                    main_text=r["main_text"],
                    sentences=[Sentence(s["text"], s["start"], s["end"], s["line"], s["lang"])
                               for s in r["sentences"]], alternates=r["alternates"] or [], crawled=r["crawled"],
                    published=r["published"], published_from=r["published_from"])


# candidate pairs (phases/search.py, phases/candidates.py): run-wide document numbers and their margin
def candidates_schema():
    import pyarrow as pa

    return pa.schema([("src", pa.int64()), ("tgt", pa.int64()), ("margin", pa.float32())])


def candidates_to_table(cands: Candidates):
    import pyarrow as pa

    return pa.table({"src": cands.src, "tgt": cands.tgt, "margin": cands.margin}, schema=candidates_schema())


def candidates_from_table(t) -> Candidates:
    import numpy as np

    return Candidates(t.column("src").to_numpy().astype(np.int64), t.column("tgt").to_numpy().astype(np.int64),
                      t.column("margin").to_numpy().astype(np.float32))


# --- the run folder's internal records: every dataclass field, strictly ---------------------------------

_FIELDS = {cls: frozenset(f.name for f in fields(cls)) for cls in (DocPair, SentPair, DocError)}


def _check(cls, d: dict) -> None:
    expected = _FIELDS[cls]
    if d.keys() != expected:
        missing, unknown = sorted(expected - set(d)), sorted(set(d) - expected)
        raise ValueError(f"stored {cls.__name__} record does not match this version's fields "
                         f"(missing {missing}, unknown {unknown}); rerun with --clean")


def pair_to_dict(p: DocPair) -> dict:
    d = {f.name: getattr(p, f.name) for f in fields(DocPair)}
    d["beads"] = [{f.name: getattr(b, f.name) for f in fields(SentPair)} for b in p.beads]
    return d


def pair_from_dict(d: dict) -> DocPair:
    _check(DocPair, d)
    beads = []
    for b in d["beads"]:
        _check(SentPair, b)
        beads.append(SentPair(**(b | {"src_idx": tuple(b["src_idx"]), "tgt_idx": tuple(b["tgt_idx"])})))
    return DocPair(**(d | {"beads": beads, "src_spans": [tuple(s) for s in d["src_spans"]],
                           "tgt_spans": [tuple(s) for s in d["tgt_spans"]]}))


def error_from_dict(d: dict) -> DocError:
    _check(DocError, d)
    return DocError(**d)


def fingerprint() -> str:
    """A digest of every record's fields: part of the run signature."""
    parts = [f"{r.name}:{','.join(f'{c.name}/{c.type}/{c.digits}' for c in r.columns)}" for r in RECORDS.values()]
    for cls in (DocPair, SentPair, DocError):
        parts.append(f"{cls.__name__}:{','.join(f.name for f in fields(cls))}")
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=6).hexdigest()


if __name__ == "__main__":
    for record in RECORDS.values():
        print(f"<!-- schema:{record.name} -->\n{record.markdown()}\n<!-- /schema:{record.name} -->\n")
